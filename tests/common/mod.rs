//! Helpers shared by the end-to-end tests: fixture rule sets and the compiler database.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use vigil_compiler::db::{Database, RuleSet, SourceFile};

/// 2026-01-01T00:00:00Z: the "now" of fixture rule sets, so `expires` warnings do not
/// depend on the day the tests run.
pub const FIXED_NOW: i64 = 1_767_225_600_000;

/// A rule set written as one text: `// @file: path` lines start further files (the first
/// part is named `main_name`), and the shared prelude is added unless the text says
/// `// @no-prelude`.
pub struct Fixture {
    pub files: BTreeMap<String, String>,
}

impl Fixture {
    pub fn parse(main_name: &str, text: &str) -> Fixture {
        let mut files = BTreeMap::new();
        let mut name = main_name.to_string();
        let mut body = String::new();
        for line in text.split_inclusive('\n') {
            if let Some(rest) = line.trim_end().strip_prefix("// @file: ") {
                files.insert(
                    std::mem::replace(&mut name, rest.to_string()),
                    std::mem::take(&mut body),
                );
                continue;
            }
            body.push_str(line);
        }
        files.insert(name, body);
        if !text.contains("// @no-prelude") {
            let prelude =
                std::fs::read_to_string(fixtures().join("prelude.vigil")).expect("prelude");
            files.insert("prelude.vigil".into(), prelude);
        }
        Fixture { files }
    }

    /// A database with the fixture's `.vigil` files as the rule set; other files are what
    /// lists, zones and calendars can read.
    pub fn load(&self) -> (Database, RuleSet) {
        let resources: BTreeMap<String, String> = self.files.clone();
        let db = Database::new(Arc::new(move |path: &str| {
            resources
                .get(path)
                .cloned()
                .ok_or_else(|| "No such file or directory".to_string())
        }));
        let sources = self
            .files
            .iter()
            .filter(|(name, _)| name.ends_with(".vigil"))
            .map(|(name, text)| SourceFile::new(&db, name.clone(), Arc::from(text.as_str())))
            .collect();
        let ruleset = RuleSet::new(&db, sources, Some(FIXED_NOW));
        (db, ruleset)
    }
}

pub fn fixtures() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures"))
}

/// `dir/name/ring.vigil`: a workflow whose 1-minute deadline alerts `desk` with `message` and
/// the case, then `extra` — the versions of a rule set that reload tests switch between.
pub fn ring_rules(dir: &Path, name: &str, message: &str, extra: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::create_dir_all(&path).expect("dir");
    std::fs::write(
        path.join("ring.vigil"),
        format!(
            "unit desk\nevent Incident {{ case: str }}\nevent Ack {{ case: str }}\n\
             workflow ring {{\n  start on i: Incident by i.case\n  state raised {{\n    \
             on Ack -> done\n    after 1m alert desk message \"{message} {{i.case}}\"\n  }}\n  \
             final done\n}}\n{extra}"
        ),
    )
    .expect("rules");
    path
}
