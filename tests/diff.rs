//! `vigil diff`: reports on real edits (one snapshot per fixture pair in `fixtures/diff/`),
//! witnesses checked against the runtime for random pairs of conditions, and a replay diff
//! checked against running both versions separately.

// Test code: a failed unwrap, index or assertion stops the test right there. (The workspace
// denies them outside tests; clippy.toml covers `#[test]` functions, not a test crate's helpers.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use proptest::prelude::*;
mod browser;

use serde_json::Value as Json;
use vigil_compiler::db::{Database, RuleSet, SourceFile, program, ruleset_diagnostics};
use vigil_diff::witness::{self, Search, SearchConfig, Site};
use vigil_runtime::{Engine, EngineConfig, EngineKind, Record};

fn vigil(args: &[&str]) -> Output {
    vigil_in(Path::new(env!("CARGO_MANIFEST_DIR")), args)
}

fn vigil_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("vigil runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vigil-diff-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

// ---------------------------------------------------------------------------------------------
// Reports on real edits

/// Edits that change nothing a rule set does: `vigil diff` exits 0 on them.
const NO_CHANGE: [&str; 2] = ["reformat", "rewrite_same_meaning"];

#[test]
fn diff_reports_of_real_edits() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/diff");
    let mut cases: Vec<String> = std::fs::read_dir(&root)
        .expect("fixtures/diff")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    cases.sort();
    assert!(cases.len() >= 7, "{cases:?}");
    for case in cases {
        let old = format!("tests/fixtures/diff/{case}/old");
        let new = format!("tests/fixtures/diff/{case}/new");
        let mut snapshot = String::new();
        for format in ["text", "markdown", "json"] {
            let o = vigil(&["diff", &old, &new, "--format", format]);
            let expected = if NO_CHANGE.contains(&case.as_str()) {
                0
            } else {
                1
            };
            assert_eq!(
                o.status.code(),
                Some(expected),
                "{case} ({format}): {}{}",
                stdout(&o),
                String::from_utf8_lossy(&o.stderr)
            );
            if format == "json" {
                check_json(&case, &stdout(&o));
            }
            snapshot.push_str(&format!("--- {format} (exit {expected}) ---\n"));
            snapshot.push_str(&stdout(&o));
        }
        insta::assert_snapshot!(case, snapshot);
    }
}

/// Every witness in a report was verified, and every changed condition that is not shown
/// equivalent has one (all the fixture edits are separable).
fn check_json(case: &str, text: &str) {
    let doc: Json = serde_json::from_str(text).expect("the json report parses");
    for c in doc["conditions"].as_array().expect("conditions") {
        assert_eq!(c["unverified"], 0, "{case}: {c}");
        if c["equivalent"] == Json::Bool(false) {
            assert_eq!(c["search"]["status"], "found", "{case}: {c}");
        }
    }
}

#[test]
fn formatting_and_comments_alone_are_no_change() {
    let o = vigil(&[
        "diff",
        "tests/fixtures/diff/reformat/old",
        "tests/fixtures/diff/reformat/new",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let doc: Json = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!(doc["items"], Json::Array(Vec::new()));
    assert_eq!(doc["old"]["fingerprint"], doc["new"]["fingerprint"]);
}

#[test]
fn usage_and_io_errors_exit_2() {
    let o = vigil(&["diff", "no/such/dir", "tests/fixtures/diff/reformat/new"]);
    assert_eq!(o.status.code(), Some(2));
    let o = vigil(&["diff", "git:HEAD", "tests/fixtures/diff/reformat/new"]);
    assert_eq!(o.status.code(), Some(2));
    let o = vigil(&[
        "diff",
        "tests/fixtures/diff/reformat/old",
        "tests/fixtures/diff/reformat/new",
        "--events",
        "no/such/events.jsonl",
    ]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn a_git_revision_is_read_with_its_list_files() {
    let dir = temp_dir("git");
    let git = |args: &[&str]| {
        let o = Command::new("git")
            .args(args)
            .current_dir(&dir)
            .output()
            .expect("git runs");
        assert!(o.status.success(), "git {args:?}: {o:?}");
    };
    git(&["init", "-q"]);
    let rules = dir.join("rules");
    std::fs::create_dir_all(rules.join("lists")).expect("mkdir");
    let text = "unit desk\nevent Call { caller: str, minutes: int }\n\
                list flagged = file(\"lists/flagged.txt\")\n\
                rule flagged_call {\n  when c: Call where c.caller in flagged and c.minutes >= 30\n  alert desk\n}\n";
    std::fs::write(rules.join("calls.vigil"), text).expect("write");
    std::fs::write(rules.join("lists/flagged.txt"), "+86170\n").expect("write");
    git(&["add", "."]);
    git(&[
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@example.org",
        "commit",
        "-qm",
        "rules",
    ]);
    // The working tree: a lower threshold and one more flagged number.
    std::fs::write(
        rules.join("calls.vigil"),
        text.replace("c.minutes >= 30", "c.minutes >= 20"),
    )
    .expect("write");
    std::fs::write(rules.join("lists/flagged.txt"), "+86170\n+86171\n").expect("write");
    let o = vigil_in(
        &dir,
        &["diff", "git:HEAD:rules", "rules", "--format", "json"],
    );
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let doc: Json = serde_json::from_str(&stdout(&o)).expect("json");
    let items = doc["items"].as_array().expect("items");
    let names: Vec<(&str, &str)> = items
        .iter()
        .map(|i| {
            (
                i["name"].as_str().unwrap_or(""),
                i["status"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        names,
        [("flagged", "changed"), ("flagged_call", "changed")],
        "{doc}"
    );
    assert_eq!(
        doc["items"][0]["details"][0]["note"],
        "1 added, 0 removed (added +86171)"
    );
    assert_eq!(doc["conditions"][0]["search"]["status"], "found");
}

// ---------------------------------------------------------------------------------------------
// Witnesses against the runtime

const SCHEMA: &str = r#"
unit desk
enum Kind { a, b, c }
event Ev { n: int, f: float, d: duration, k: Kind, s: str, flag: bool, o: int?, t: str? }
list names = ["alpha", "beta"]
const LIMIT = 7
"#;

fn compile(cond: &str) -> Result<vigil_ir::Program, String> {
    let db = Database::new(Arc::new(|p: &str| Err(format!("no file {p}"))));
    let text = format!("{SCHEMA}\nrule r {{\n  when e: Ev where {cond}\n  alert desk\n}}\n");
    let file = SourceFile::new(&db, "r.vigil".into(), Arc::from(text));
    let ruleset = RuleSet::new(&db, vec![file], None);
    match program(&db, ruleset) {
        Some(p) => Ok((**p).clone()),
        None => Err(vigil_compiler::diagnostics::render_human(
            ruleset_diagnostics(&db, ruleset),
            false,
        )),
    }
}

/// Whether the real rule set alerts on `lines`, run by the runtime (JIT or interpreter).
fn fires(program: &vigil_ir::Program, lines: &[String], kind: EngineKind) -> bool {
    let config = EngineConfig {
        engine: kind,
        ..EngineConfig::default()
    };
    let mut engine = Engine::new(Arc::new(program.clone()), config);
    for l in lines {
        engine.push_line(l.as_bytes());
    }
    engine.finish();
    engine
        .take_records()
        .iter()
        .any(|r| matches!(r, Record::Alert(_)))
}

fn atom() -> impl Strategy<Value = String> {
    let op = prop::sample::select(vec!["<", "<=", ">", ">=", "==", "!="]);
    prop_oneof![
        (op.clone(), -3i64..12).prop_map(|(o, c)| format!("e.n {o} {c}")),
        op.clone().prop_map(|o| format!("e.n {o} LIMIT")),
        (op.clone(), -4i64..8).prop_map(|(o, c)| format!("e.f {o} {}", c as f64 / 2.0)),
        (op.clone(), 0u32..40, prop::bool::ANY).prop_map(|(o, m, secs)| if secs {
            format!("e.d {o} {}s", m * 45)
        } else {
            format!("e.d {o} {m}m")
        }),
        prop::sample::select(vec![
            "e.k == a",
            "e.k != c",
            "e.k in [a, b]",
            "e.k not in [b]",
            "e.s == \"alpha\"",
            "e.s in names",
            "e.s not in names",
            "starts_with(e.s, \"al\")",
            "contains(e.s, \"et\")",
            "ends_with(e.s, \"ta\")",
            "len(e.s) > 4",
            "lower(e.s) == \"beta\"",
            "e.flag",
            "not e.flag",
            "exists(e.o)",
            "e.o > 3",
            "(e.o ?? 0) >= 2",
            "e.t == \"x\"",
            "e.t not in [\"q\"]",
            "e.n + 2 > 5",
            "e.n % 3 == 0",
            "e.n * 2 >= 9",
            "hour(e.time) >= 18",
            "weekday(e.time) == 6",
            "e.d * 2 > 20m",
            "float(e.n) < e.f",
            "e.n < e.o",
        ])
        .prop_map(String::from),
    ]
}

fn condition() -> impl Strategy<Value = String> {
    atom().prop_recursive(3, 12, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} and {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} or {b})")),
            inner.prop_map(|a| format!("not ({a})")),
        ]
    })
}

/// An edit of `cond`: a pair that often differs a little (the interesting case for review).
fn pair() -> impl Strategy<Value = (String, String)> {
    prop_oneof![
        (condition(), condition()),
        (condition(), atom()).prop_map(|(c, a)| (c.clone(), format!("{c} and {a}"))),
        (condition(), atom()).prop_map(|(c, a)| (c.clone(), format!("{c} or {a}"))),
        (condition(), -3i64..12, -3i64..12)
            .prop_map(|(c, x, y)| (format!("{c} and e.n >= {x}"), format!("{c} and e.n >= {y}"))),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]

    /// Every witness the solver returns separates the two conditions when the real rules run
    /// in the runtime, with both engines.
    #[test]
    fn every_witness_really_separates_the_conditions((old, new) in pair()) {
        let (Ok(a), Ok(b)) = (compile(&old), compile(&new)) else {
            // Ill-typed combinations (none are generated today) are not the solver's concern.
            return Ok(());
        };
        let site = Site::RuleWhere { rule: "r".into() };
        let (Some(fa), Some(fb)) = (witness::locate(&a, &site), witness::locate(&b, &site)) else {
            panic!("the rule's condition is found");
        };
        let search = witness::search(fa.located(), fb.located(), &SearchConfig::default());
        let Search::Done { witnesses, .. } = search else {
            panic!("the search runs on `{old}` / `{new}`: {search:?}");
        };
        for w in &witnesses {
            prop_assert_ne!(w.old, w.new);
            for kind in [EngineKind::Jit, EngineKind::Interp] {
                prop_assert_eq!(fires(&a, &w.lines, kind), w.old, "old `{}` on {:?}", old, w.lines);
                prop_assert_eq!(fires(&b, &w.lines, kind), w.new, "new `{}` on {:?}", new, w.lines);
            }
        }
    }
}

fn compile_window(cond: &str, having: &str) -> Result<vigil_ir::Program, String> {
    compile(&format!(
        "{cond}\n    group by e.s within 1h having {having}"
    ))
}

fn having_atom() -> impl Strategy<Value = String> {
    let op = prop::sample::select(vec!["<", "<=", ">", ">=", "==", "!="]);
    prop_oneof![
        (op.clone(), 0i64..7).prop_map(|(o, c)| format!("count() {o} {c}")),
        (op.clone(), -2i64..20).prop_map(|(o, c)| format!("sum(e.n) {o} {c}")),
        (op.clone(), 0i64..4).prop_map(|(o, c)| format!("distinct(e.k) {o} {c}")),
        (op.clone(), -2i64..12).prop_map(|(o, c)| format!("max(e.n) {o} {c}")),
        (op.clone(), -2i64..12).prop_map(|(o, c)| format!("min(e.n) {o} {c}")),
        (op.clone(), -4i64..8).prop_map(|(o, c)| format!("avg(e.f) {o} {}", c as f64 / 2.0)),
        (op, 0u32..90).prop_map(|(o, m)| format!("sum(e.d) {o} {m}m")),
    ]
}

fn having() -> impl Strategy<Value = String> {
    having_atom().prop_recursive(2, 6, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} and {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} or {b})")),
            inner.prop_map(|a| format!("not ({a})")),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// The same for a window's `having`: a witness is a group of events, and the real window
    /// rules, run by the runtime, fire on it in one version only.
    #[test]
    fn every_window_witness_really_separates_the_conditions(
        cond in prop_oneof![Just("true".to_string()), atom()],
        (old, new) in (having(), having()),
    ) {
        let (Ok(a), Ok(b)) = (compile_window(&cond, &old), compile_window(&cond, &new)) else {
            return Ok(());
        };
        let site = Site::RuleHaving { rule: "r".into() };
        let (Some(fa), Some(fb)) = (witness::locate(&a, &site), witness::locate(&b, &site)) else {
            panic!("the rule's having is found");
        };
        let search = witness::search(fa.located(), fb.located(), &SearchConfig::default());
        let Search::Done { witnesses, .. } = search else {
            panic!("the search runs on `{old}` / `{new}`: {search:?}");
        };
        for w in &witnesses {
            prop_assert_ne!(w.old, w.new);
            for kind in [EngineKind::Jit, EngineKind::Interp] {
                prop_assert_eq!(fires(&a, &w.lines, kind), w.old, "old `{}` on {:?}", old, w.lines);
                prop_assert_eq!(fires(&b, &w.lines, kind), w.new, "new `{}` on {:?}", new, w.lines);
            }
        }
    }
}

#[test]
fn the_solver_finds_witnesses_for_simple_edits() {
    // Edits a reviewer meets every day; each one must get a witness, in the right direction.
    let cases = [
        ("e.n >= 10", "e.n >= 8", (false, true)),
        ("e.d >= 30m", "e.d > 30m", (true, false)),
        ("e.k in [a, b]", "e.k == a", (true, false)),
        ("e.s == \"alpha\"", "e.s in names", (false, true)),
        ("e.o > 3", "(e.o ?? 5) > 3", (false, true)),
        (
            "e.flag and e.f < 1.5",
            "e.flag and e.f < 1.0",
            (true, false),
        ),
        ("hour(e.time) >= 18", "hour(e.time) >= 20", (true, false)),
        (
            "starts_with(e.s, \"al\")",
            "starts_with(e.s, \"alp\")",
            (true, false),
        ),
    ];
    for (old, new, direction) in cases {
        let (a, b) = (compile(old).expect(old), compile(new).expect(new));
        check_direction(
            &a,
            &b,
            Site::RuleWhere { rule: "r".into() },
            (old, new),
            direction,
        );
    }
    let windows = [
        ("count() >= 3", "count() >= 2", (false, true)),
        ("distinct(e.k) >= 3", "distinct(e.k) >= 2", (false, true)),
        ("sum(e.n) > 10", "sum(e.n) > 20", (true, false)),
        (
            "count() >= 2 and max(e.n) > 5",
            "count() >= 2",
            (false, true),
        ),
    ];
    for (old, new, direction) in windows {
        let (a, b) = (
            compile_window("e.flag", old).expect(old),
            compile_window("e.flag", new).expect(new),
        );
        check_direction(
            &a,
            &b,
            Site::RuleHaving { rule: "r".into() },
            (old, new),
            direction,
        );
    }
}

/// The search finds a witness in `direction` (old holds, new holds), and it verifies.
fn check_direction(
    a: &vigil_ir::Program,
    b: &vigil_ir::Program,
    site: Site,
    (old, new): (&str, &str),
    direction: (bool, bool),
) {
    let (fa, fb) = (
        witness::locate(a, &site).expect("found"),
        witness::locate(b, &site).expect("found"),
    );
    let Search::Done { witnesses, .. } =
        witness::search(fa.located(), fb.located(), &SearchConfig::default())
    else {
        panic!("searched");
    };
    let w = witnesses
        .iter()
        .find(|w| (w.old, w.new) == direction)
        .unwrap_or_else(|| panic!("`{old}` → `{new}`: no witness {direction:?} in {witnesses:?}"));
    assert_eq!(fires(a, &w.lines, EngineKind::Jit), w.old);
    assert_eq!(fires(b, &w.lines, EngineKind::Jit), w.new);
}

// ---------------------------------------------------------------------------------------------
// Replay

/// A deterministic stream over the fixture schema: calls, checkpoint passes and disputes.
fn stream(n: usize) -> String {
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = |m: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % m
    };
    let base = 1_637_830_800_000i64; // 2021-11-25T09:00:00Z
    let mut t = base;
    let mut out = String::new();
    for i in 0..n {
        t += i64::try_from(next(240_000)).unwrap_or(0) + 1000;
        match next(4) {
            0 | 1 => {
                let caller = ["+8617000000001", "+8617000000002", "+8613900000000"]
                    [usize::try_from(next(3)).unwrap_or(0)];
                out.push_str(&format!(
                    "{{\"type\":\"CallRecord\",\"time\":{t},\"caller\":\"{caller}\",\"callee\":\"+86138{:05}\",\"callee_age\":{},\"duration\":{}}}\n",
                    next(8),
                    50 + next(40),
                    600 + next(2400)
                ));
            }
            2 => {
                let plate = format!("粤B{:03}", next(6));
                let cp = ["K1", "K7", "K3"][usize::try_from(next(3)).unwrap_or(0)];
                out.push_str(&format!(
                    "{{\"type\":\"CheckpointPass\",\"time\":{t},\"plate\":\"{plate}\",\"checkpoint\":\"{cp}\"}}\n"
                ));
            }
            _ => {
                // Cases C-0 to C-5 get their parties contacted; the others run into the
                // deadline, which the edit moved.
                let n = next(12);
                let case = format!("C-{n}");
                if n < 6 && next(3) == 0 {
                    out.push_str(&format!(
                        "{{\"type\":\"PartiesContacted\",\"time\":{t},\"case_id\":\"{case}\"}}\n"
                    ));
                } else {
                    let cat = ["noise", "theft", "fraud", "dispute"]
                        [usize::try_from(next(4)).unwrap_or(0)];
                    out.push_str(&format!(
                        "{{\"type\":\"DisputeReported\",\"time\":{t},\"case_id\":\"{case}\",\"summary\":\"s{i}\",\"category\":\"{cat}\"}}\n"
                    ));
                }
            }
        }
    }
    out
}

/// The identity `vigil diff` matches records by, computed here from `vigil run`'s output.
fn identity(r: &Json) -> (String, String) {
    let f = |k: &str| r.get(k).map(Json::to_string).unwrap_or_default();
    match r["kind"].as_str() {
        Some("alert") => (
            format!(
                "alert|{}",
                r.get("rule")
                    .or(r.get("workflow"))
                    .and_then(Json::as_str)
                    .unwrap_or("")
            ),
            format!(
                "{}|{}|{}|{}|{}",
                f("rule"),
                f("workflow"),
                f("state"),
                f("key"),
                f("time")
            ),
        ),
        _ => (
            format!("transition|{}", r["workflow"].as_str().unwrap_or("")),
            format!(
                "{}|{}|{}|{}|{}|{}",
                f("workflow"),
                f("key"),
                f("from"),
                f("to"),
                f("time"),
                f("cause")
            ),
        ),
    }
}

/// Per owner: (count, multiset of identities).
fn run_alone(rules: &str, events: &Path) -> BTreeMap<String, Vec<String>> {
    let o = vigil(&["run", rules, "--events", events.to_str().expect("utf-8")]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in stdout(&o).lines() {
        let r: Json = serde_json::from_str(line).expect("a record");
        if !matches!(r["kind"].as_str(), Some("alert" | "transition")) {
            continue;
        }
        let (owner, id) = identity(&r);
        out.entry(owner).or_default().push(id);
    }
    out
}

fn minus(a: &[String], b: &[String]) -> usize {
    let mut left: BTreeMap<&String, usize> = BTreeMap::new();
    for x in b {
        *left.entry(x).or_insert(0) += 1;
    }
    a.iter()
        .filter(|x| match left.get_mut(x) {
            Some(n) if *n > 0 => {
                *n -= 1;
                false
            }
            _ => true,
        })
        .count()
}

#[test]
fn replay_diff_agrees_with_running_both_versions() {
    let dir = temp_dir("replay");
    let events = dir.join("events.jsonl");
    std::fs::write(&events, stream(3000)).expect("write events");
    let old = "tests/fixtures/diff/several_changes/old";
    let new = "tests/fixtures/diff/several_changes/new";
    let o = vigil(&[
        "diff",
        old,
        new,
        "--events",
        events.to_str().expect("utf-8"),
        "--format",
        "json",
    ]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let doc: Json = serde_json::from_str(&stdout(&o)).expect("json");
    let replay = &doc["replay"];
    assert_eq!(replay["lines"], 3000);

    let (a, b) = (run_alone(old, &events), run_alone(new, &events));
    let mut seen = 0;
    let mut differing = 0;
    for (section, prefix) in [("alerts", "alert"), ("transitions", "transition")] {
        for entry in replay[section].as_array().expect("entries") {
            let owner = format!("{prefix}|{}", entry["name"].as_str().unwrap_or(""));
            let (x, y) = (
                a.get(&owner).cloned().unwrap_or_default(),
                b.get(&owner).cloned().unwrap_or_default(),
            );
            assert_eq!(entry["old"], x.len(), "{owner}");
            assert_eq!(entry["new"], y.len(), "{owner}");
            assert_eq!(entry["only_old"], minus(&x, &y), "{owner}");
            assert_eq!(entry["only_new"], minus(&y, &x), "{owner}");
            for (sample, side) in [("only_old_sample", &x), ("only_new_sample", &y)] {
                for s in entry[sample].as_array().expect("samples") {
                    let (_, id) = identity(&s["record"]);
                    assert!(
                        side.contains(&id),
                        "{owner}: {id} is not in that version's output"
                    );
                    assert!(
                        !s["lines"].as_array().expect("lines").is_empty() || prefix == "transition"
                    );
                }
            }
            if entry["only_old"] != 0 || entry["only_new"] != 0 {
                differing += 1;
            }
            seen += 1;
        }
    }
    // Every rule and workflow that produced anything appears, and the three edits show.
    assert_eq!(
        seen,
        a.keys()
            .chain(b.keys())
            .collect::<std::collections::BTreeSet<_>>()
            .len()
    );
    assert!(differing >= 3, "{replay}");
    assert_eq!(replay["differs"], true);
}

/// `vigil diff --events F --format html` in a real browser: for every rule or workflow whose
/// output differs, the bars drawn per hour add up, old and new, to what each version alone
/// writes; every changed item and every changed condition is shown, with the witnesses.
#[test]
fn the_html_diff_draws_in_a_browser_what_each_version_writes() {
    let dir = temp_dir("page");
    let events = dir.join("events.jsonl");
    std::fs::write(&events, stream(3000)).expect("write events");
    let old = "tests/fixtures/diff/several_changes/old";
    let new = "tests/fixtures/diff/several_changes/new";
    let events_arg = events.to_str().expect("utf-8");
    let page = vigil(&["diff", old, new, "--events", events_arg, "--format", "html"]);
    assert_eq!(
        page.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&page.stderr)
    );
    let file = dir.join("diff.html");
    std::fs::write(&file, &page.stdout).expect("write the page");
    let report: Json = serde_json::from_str(&stdout(&vigil(&[
        "diff", old, new, "--events", events_arg, "--format", "json",
    ])))
    .expect("json");

    let dom = browser::browse(&file, &["--dump-dom"]);

    // The outputs that differ, each drawn hour by hour.
    let (a, b) = (run_alone(old, &events), run_alone(new, &events));
    let mut drawn = BTreeMap::new();
    let mut rest = dom.as_str();
    while let Some(at) = rest.find("<section class=\"output\"") {
        rest = &rest[at..];
        let end = rest.find("</section>").expect("a closed section");
        let section = &rest[..end];
        let attrs = browser::attributes(&section[8..section.find('>').unwrap()]);
        let prefix = if attrs["data-kind"] == "alerts" {
            "alert"
        } else {
            "transition"
        };
        let owner = format!("{prefix}|{}", attrs["data-name"]);
        let sum = |class: &str| -> usize {
            (browser::elements(section, "rect", class).iter())
                .map(|r| r["data-count"].parse::<usize>().expect("a count"))
                .sum()
        };
        let (x, y) = (
            a.get(&owner).cloned().unwrap_or_default(),
            b.get(&owner).cloned().unwrap_or_default(),
        );
        assert_eq!(
            (sum("old-bar"), sum("new-bar")),
            (x.len(), y.len()),
            "{owner}"
        );
        assert_eq!(attrs["data-old"], x.len().to_string(), "{owner}");
        drawn.insert(owner, (minus(&x, &y), minus(&y, &x)));
        rest = &rest[end..];
    }
    let differing: BTreeMap<String, (usize, usize)> = (a.keys().chain(b.keys()))
        .map(|owner| {
            let (x, y) = (
                a.get(owner).cloned().unwrap_or_default(),
                b.get(owner).cloned().unwrap_or_default(),
            );
            (owner.clone(), (minus(&x, &y), minus(&y, &x)))
        })
        .filter(|(_, (only_old, only_new))| only_old + only_new > 0)
        .collect();
    assert!(differing.len() >= 3, "{differing:?}");
    assert_eq!(drawn, differing);

    // Every changed item, and every changed condition with its witnesses.
    let items: Vec<String> = browser::elements(&dom, "section", "item")
        .iter()
        .map(|i| i["data-name"].clone())
        .collect();
    let want: Vec<String> = (report["items"].as_array().expect("items").iter())
        .map(|i| i["name"].as_str().expect("a name").to_string())
        .collect();
    assert_eq!(items, want);
    let witnesses: Vec<usize> = browser::elements(&dom, "section", "condition")
        .iter()
        .map(|c| c["data-witnesses"].parse().expect("a count"))
        .collect();
    let want: Vec<usize> = (report["conditions"].as_array().expect("conditions").iter())
        .map(|c| c["witnesses"].as_array().expect("witnesses").len())
        .collect();
    assert_eq!(witnesses, want);
    assert!(want.iter().any(|n| *n > 0), "{report}");

    browser::screenshot(&file, "diff-page.png", "1300,2000");
    let _ = std::fs::remove_dir_all(&dir);
}
