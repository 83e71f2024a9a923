//! End to end with a real editor: headless Neovim starts `vigil lsp` on a rule file with a
//! mistake, and the test checks the diagnostics Neovim received, a go-to-definition jump into
//! another file, and a completion. `.ci/run` installs Neovim; without it the test says so and
//! passes.

// Test code: a failed unwrap, index or assertion stops the test right there. (The workspace
// denies them outside tests; clippy.toml covers `#[test]` functions, not a test crate's helpers.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::PathBuf;
use std::process::Command;

const SCHEMA: &str = "/// Where the duty desk is.\nunit desk \"值班台\"\n\nevent Call { caller: str, callee: str, minutes: int }\n";
const RULES: &str = "rule long_call {\n  when c: Call where c.minuts > 30\n  alert desk\n}\n";

fn nvim() -> Option<PathBuf> {
    let out = Command::new("nvim").arg("--version").output().ok()?;
    out.status.success().then(|| PathBuf::from("nvim"))
}

#[test]
fn neovim_gets_diagnostics_definition_and_completion() {
    let Some(nvim) = nvim() else {
        println!("SKIPPED: `nvim` is not installed (.ci/run installs Debian's neovim)");
        return;
    };
    let dir = std::env::temp_dir().join(format!("vigil-nvim-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("state")).unwrap();
    std::fs::write(dir.join("schema.vigil"), SCHEMA).unwrap();
    std::fs::write(dir.join("rules.vigil"), RULES).unwrap();
    let out = dir.join("out.json");
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/lsp/nvim_e2e.lua");
    let def_col = RULES.lines().nth(1).unwrap().find("Call").unwrap();
    let comp_col = RULES.lines().nth(1).unwrap().find("c.minuts").unwrap() + 2;
    let status = Command::new(nvim)
        .args(["--headless", "-n", "-i", "NONE", "-u"])
        .arg(&script)
        .env("LS_CMD", format!("{}\tlsp", env!("CARGO_BIN_EXE_vigil")))
        .env("TEST_FILE", dir.join("rules.vigil"))
        .env("OUT", &out)
        .env("DEF_ROW", "2")
        .env("DEF_COL", def_col.to_string())
        .env("COMP_ROW", "2")
        .env("COMP_COL", comp_col.to_string())
        .env("XDG_CACHE_HOME", dir.join("state"))
        .env("XDG_STATE_HOME", dir.join("state"))
        .env("XDG_DATA_HOME", dir.join("state"))
        .env("XDG_CONFIG_HOME", dir.join("state"))
        .stdin(std::process::Stdio::null())
        .status()
        .expect("cannot run nvim");
    let text = std::fs::read_to_string(&out).unwrap_or_default();
    assert!(status.success(), "nvim failed: {text}");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();

    let diags = v["diagnostics"].as_array().unwrap();
    assert_eq!(diags.len(), 1, "{text}");
    assert_eq!(diags[0]["code"], "vigil::unknown_field", "{text}");
    assert_eq!(diags[0]["lnum"], 1, "{text}");
    assert_eq!(diags[0]["col"], comp_col, "{text}");
    assert!(
        diags[0]["message"]
            .as_str()
            .unwrap()
            .contains("did you mean `minutes`"),
        "{text}"
    );

    let uri = v["definition"]["uri"].as_str().unwrap_or_default();
    assert!(uri.ends_with("/schema.vigil"), "{text}");
    assert_eq!(v["definition"]["range"]["start"]["line"], 3, "{text}");
    assert!(
        v["jumped"]["file"]
            .as_str()
            .unwrap()
            .ends_with("schema.vigil"),
        "{text}"
    );
    assert_eq!(v["jumped"]["cursor"], serde_json::json!([4, 6]), "{text}");

    let labels: Vec<&str> = v["completion"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| l.as_str())
        .collect();
    for field in ["caller", "callee", "minutes", "time", "id"] {
        assert!(labels.contains(&field), "{text}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
