//! The command line end to end: `vigil test`, `vigil run`, `vigil check`, `vigil fmt`, as a
//! user runs them.

// Test code: a failed unwrap, index or assertion stops the test right there. (The workspace
// denies them outside tests; clippy.toml covers `#[test]` functions, not a test crate's helpers.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn vigil(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("vigil runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vigil-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[test]
fn the_semantics_suite_passes() {
    let o = vigil(&["test", "tests/semantics"]);
    let out = stdout(&o);
    assert!(o.status.success(), "{out}{}", stderr(&o));
    let last = out.lines().last().unwrap_or("");
    let passed: usize = last
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(
        passed >= 35 && last.ends_with(" passed, 0 failed"),
        "{last}"
    );
}

#[test]
fn a_failing_test_shows_expected_and_actual_and_exits_1() {
    let dir = temp_dir("failing");
    for f in ["schema.vigil", "calendar.txt"] {
        std::fs::copy(Path::new("tests/semantics").join(f), dir.join(f)).expect("copy");
    }
    let text = std::fs::read_to_string("tests/semantics/suppression.vigil").expect("read");
    let broken = text.replace(
        "expect alert long_call key \"E1\" count 2",
        "expect alert long_call key \"E1\" count 3",
    );
    std::fs::write(dir.join("suppression.vigil"), broken).expect("write");
    let o = vigil(&["test", dir.to_str().expect("utf-8")]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("FAIL suppression is half-open"), "{out}");
    assert!(
        out.contains("expected exactly 3, found 2 matching alerts"),
        "{out}"
    );
    assert!(
        out.contains(r#""rule":"long_call""#),
        "the actual records are shown: {out}"
    );
    assert!(out.trim_end().ends_with("2 passed, 1 failed"), "{out}");
}

#[test]
fn check_reports_every_error_and_exits_1() {
    let dir = temp_dir("check");
    std::fs::write(
        dir.join("a.vigil"),
        "unit u\nevent E { a: int }\nrule r1 {\n  when e: E where e.b > 1\n  alert u\n}\n",
    )
    .expect("write");
    std::fs::write(
        dir.join("b.vigil"),
        "rule r2 {\n  when e: E where e.a > 1\n  alert v\n}\n",
    )
    .expect("write");
    let o = vigil(&["check", dir.to_str().expect("utf-8")]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("vigil::unknown_field") && err.contains("vigil::unknown_unit"),
        "{err}"
    );
    assert!(
        err.contains("a.vigil:4:") && err.contains("b.vigil:3:"),
        "{err}"
    );
    assert!(err.contains("2 errors"), "{err}");

    let o = vigil(&[
        "check",
        dir.to_str().expect("utf-8"),
        "--error-format",
        "json",
    ]);
    let lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["code"], "vigil::unknown_field");
    assert_eq!(lines[0]["help"], "did you mean `a`?");
}

#[test]
fn check_passes_on_a_clean_rule_set_with_a_summary() {
    let o = vigil(&["check", "tests/semantics"]);
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    // The expired `old_campaign` rule of actions.vigil is a warning, not an error.
    assert!(
        err.contains("checked 11 files:") && err.contains(" tests — 1 warning"),
        "{err}"
    );
    assert!(err.contains("vigil::rule_expired"), "{err}");
}

#[test]
fn warnings_fail_only_with_deny_warnings() {
    let dir = temp_dir("warn");
    std::fs::write(
        dir.join("w.vigil"),
        "event D { id2: str }\nworkflow w {\n  start on d: D by d.id2\n  state a { after 1d -> b }\n  state b {}\n}\n",
    )
    .expect("write");
    let path = dir.to_str().expect("utf-8");
    assert!(vigil(&["check", path]).status.success());
    assert_eq!(
        vigil(&["check", path, "--deny-warnings"]).status.code(),
        Some(1)
    );
}

#[test]
fn fmt_check_lists_unformatted_files_and_fmt_fixes_them() {
    let dir = temp_dir("fmt");
    let file = dir.join("r.vigil");
    std::fs::write(
        &file,
        "unit u   // the desk\nevent E{a:int}\nrule r{when e:E where e.a>1 alert u}\n",
    )
    .expect("write");
    let path = dir.to_str().expect("utf-8");
    let o = vigil(&["fmt", "--check", path]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("r.vigil"));
    assert!(vigil(&["fmt", path]).status.success());
    let formatted = std::fs::read_to_string(&file).expect("read");
    assert!(formatted.contains("unit u  // the desk\n"), "{formatted}");
    assert!(
        formatted.contains("rule r {\n  when e: E where e.a > 1\n  alert u\n}\n"),
        "{formatted}"
    );
    assert!(vigil(&["fmt", "--check", path]).status.success());
}

/// `vigil run` of the suppression rules over `events`, records and rejects written in `dir`.
fn run_suppression(dir: &Path, events: &Path) -> (Output, PathBuf, PathBuf) {
    let (out, rejects) = (dir.join("out.jsonl"), dir.join("rejects.jsonl"));
    let o = vigil(&[
        "run",
        "tests/semantics/schema.vigil",
        "tests/semantics/suppression.vigil",
        "--events",
        events.to_str().expect("utf-8"),
        "--out",
        out.to_str().expect("utf-8"),
        "--rejects",
        rejects.to_str().expect("utf-8"),
    ]);
    (o, out, rejects)
}

#[test]
fn run_writes_records_rejects_and_a_summary() {
    let dir = temp_dir("run");
    let events = dir.join("events.jsonl");
    std::fs::write(
        &events,
        concat!(
            r#"{"type":"Call","time":"2021-11-01T10:00:00+08:00","caller":"x","callee":"E1","minutes":40}"#,
            "\n\nnot json\n",
            r#"{"type":"Call","time":"2021-11-01T09:00:00+08:00","caller":"x","callee":"E1","minutes":40}"#,
            "\n",
        ),
    )
    .expect("write");
    let (o, out, rejects) = run_suppression(&dir, &events);
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    let records = std::fs::read_to_string(&out).expect("out");
    assert_eq!(records.lines().count(), 1, "{records}");
    assert!(records.contains(r#""rule":"long_call""#));
    let rejected = std::fs::read_to_string(&rejects).expect("rejects");
    assert!(
        rejected.contains(r#""line":3,"reason":"not_json""#),
        "{rejected}"
    );
    assert!(
        rejected.contains(r#""line":4,"reason":"late""#),
        "{rejected}"
    );
    assert!(
        err.contains("rejected            2 (not_json 1, late 1)"),
        "{err}"
    );
    // The summary says how long the rule set took to become an engine.
    let start_up: f64 = err
        .lines()
        .find_map(|l| l.trim().strip_prefix("start-up"))
        .and_then(|rest| {
            rest.trim()
                .strip_suffix(" ms to check, compile and JIT the rule set")
        })
        .and_then(|ms| ms.parse().ok())
        .unwrap_or_else(|| panic!("no start-up line: {err}"));
    assert!(start_up.is_finite(), "{err}");

    let o = vigil(&[
        "run",
        "tests/semantics/schema.vigil",
        "--events",
        events.to_str().expect("utf-8"),
        "--strict",
    ]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "--strict stops at the first reject"
    );
}

#[test]
fn a_line_that_is_not_utf8_is_rejected_and_the_lines_around_it_are_not() {
    let dir = temp_dir("utf8");
    let call = |hour: u32, callee: &[u8]| {
        let mut line = format!(
            r#"{{"type":"Call","time":"2021-11-01T{hour:02}:00:00+08:00","caller":"x","minutes":40,"callee":""#
        )
        .into_bytes();
        line.extend_from_slice(callee);
        line.extend_from_slice(b"\"}\n");
        line
    };
    // The reader checks its buffer in one pass: the bad line shares it with good ones.
    let mut events = call(9, "é1".as_bytes());
    events.extend(call(10, b"E\xff2"));
    events.extend(call(11, "张3".as_bytes()));
    let path = dir.join("events.jsonl");
    std::fs::write(&path, &events).expect("write");
    let (o, out, rejects) = run_suppression(&dir, &path);
    assert!(o.status.success(), "{}", stderr(&o));
    let records = std::fs::read_to_string(&out).expect("out");
    let callees: Vec<&str> = records
        .lines()
        .filter_map(|r| r.split(r#""callee":""#).nth(1)?.split('"').next())
        .collect();
    assert_eq!(callees, ["é1", "张3"], "{records}");
    let rejected = std::fs::read_to_string(&rejects).expect("rejects");
    assert!(
        rejected.contains(r#""line":2,"reason":"not_json","detail":"not UTF-8 at byte "#),
        "{rejected}"
    );
    assert_eq!(rejected.lines().count(), 1, "{rejected}");
}

#[test]
fn coverage_reports_clauses_rules_and_transitions_both_ways() {
    let o = vigil(&["test", "tests/semantics", "--coverage"]);
    let out = stdout(&o);
    assert!(o.status.success(), "{out}");
    // A clause seen both ways, and one the suite never makes true.
    assert!(
        out.contains("rule three_in_a_week (tests/semantics/windows.vigil:"),
        "{out}"
    );
    let line = |needle: &str| {
        out.lines()
            .find(|l| l.contains(needle))
            .unwrap_or("")
            .to_string()
    };
    assert!(
        line("i.category == theft").contains("true ✓  false ✓"),
        "{out}"
    );
    assert!(
        line("sessions -> sessions on Session").contains("taken ✓"),
        "{out}"
    );
    let total = line("seen both ways:");
    assert!(total.contains(" of 26 rules"), "{total}");
}

/// The rules library's own `test` blocks pass, every rule is seen firing and quiet, and what
/// coverage does not reach is exactly the exceptions explained beside them in the library: a
/// state's only transition, which every offered event takes; a loop bounded at the legal
/// maximum; a three-valued role whose last value is true whenever it is reached.
#[test]
fn the_rules_library_passes_its_tests_and_its_coverage_gaps_are_the_known_ones() {
    let o = vigil(&["test", "rules", "--coverage"]);
    let out = stdout(&o);
    assert!(o.status.success(), "{out}");
    assert!(out.contains(" passed, 0 failed"), "{out}");
    let total = out
        .lines()
        .find(|l| l.contains("seen both ways:"))
        .unwrap_or_default();
    let (rules, of_rules) = total
        .split("seen both ways: ")
        .nth(1)
        .and_then(|t| t.split(" rules").next())
        .and_then(|t| t.split_once(" of "))
        .unwrap_or_default();
    assert_eq!(rules, of_rules, "{total}");
    let gaps: Vec<&str> = out
        .lines()
        .map(str::trim)
        .filter(|l| l.contains('✗') && !l.starts_with("coverage"))
        .collect();
    let known = [
        "disposing -> disposed on HitDisposed ",
        "unresolved -> unresolved on MediationSession ",
        "52: visits(unresolved) < MAX_MEDIATION_SESSIONS - 1 ",
        "escalated -> found on PersonFound ",
        "on_scene -> closed on Cleared ",
        "31: role == mutual_aid ",
        "36: role == mutual_aid ",
    ];
    assert_eq!(gaps.len(), known.len(), "{gaps:#?}");
    for (gap, k) in gaps.iter().zip(known) {
        assert!(gap.starts_with(k), "{gap} is not {k}");
    }
}

/// Decoding on a second thread (the default) changes nothing a run writes: the city example's
/// records and rejects, with a lateness buffer, are byte for byte those of `--single-thread`.
#[test]
fn a_run_writes_the_same_whether_it_decodes_on_a_second_thread_or_not() {
    let dir = temp_dir("threads");
    let run = |name: &str, extra: &[&str]| {
        let (out, rejects) = (
            dir.join(format!("{name}.out")),
            dir.join(format!("{name}.rejects")),
        );
        let mut args = vec![
            "run",
            "rules/",
            "--events",
            "examples/city-1day.jsonl",
            "--lateness",
            "10s",
            "--out",
            out.to_str().expect("utf-8"),
            "--rejects",
            rejects.to_str().expect("utf-8"),
        ];
        args.extend_from_slice(extra);
        let o = vigil(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        let read = |p: &Path| std::fs::read_to_string(p).expect("written");
        (read(&out), read(&rejects))
    };
    let (records, rejects) = run("two", &[]);
    assert!(records.lines().count() > 100, "{records}");
    assert!(rejects.lines().count() >= 5, "{rejects}");
    assert_eq!(run("one", &["--single-thread"]), (records, rejects));
}

/// How many rules and workflows `vigil check rules` counts in the library.
fn library_counts() -> (usize, usize) {
    let o = vigil(&["check", "rules"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    let count = |what: &str| {
        err.split([':', ','])
            .find_map(|part| part.trim().strip_suffix(what)?.trim().parse().ok())
            .unwrap_or_else(|| panic!("no `{what}` in {err}"))
    };
    (count(" rules"), count(" workflows"))
}

/// `vigil build --emit placement` prints where each unit would run over key groups.
#[test]
fn build_emits_the_placement() {
    let o = vigil(&["build", "rules", "--emit", "placement"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let (rules, workflows) = library_counts();
    assert!(
        out.starts_with(&format!("placement of {} units:", rules + workflows)),
        "{out}"
    );
    assert!(out.contains("workflow preventive_lead"), "{out}");
    assert!(
        out.lines()
            .any(|l| l.starts_with("workflow emergency_stop_payment") && l.contains("global")),
        "{out}"
    );
}

#[test]
fn a_bundle_runs_without_the_sources_and_gives_the_same_records() {
    let dir = temp_dir("bundle");
    let bundle = dir.join("city.bundle");
    let bundle = bundle.to_str().expect("utf-8");
    let o = vigil(&["build", "rules", "-o", bundle]);
    assert!(o.status.success(), "{}", stderr(&o));
    // The bundle holds every rule and workflow the checker counts in the library.
    let (rules, workflows) = library_counts();
    assert!(
        stderr(&o).contains(&format!("{rules} rules, {workflows} workflows")),
        "{}",
        stderr(&o)
    );
    let o = vigil(&[
        "run",
        "rules",
        "--events",
        "examples/city-1day.jsonl",
        "--lateness",
        "10s",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let from_sources = stdout(&o);
    // Run from another folder: the lists, zones and calendar the rules read from files travel
    // in the bundle.
    let events = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/city-1day.jsonl");
    let o = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args([
            "run",
            "--bundle",
            "city.bundle",
            "--lateness",
            "10s",
            "--events",
        ])
        .arg(events)
        .current_dir(&dir)
        .output()
        .expect("vigil runs");
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(from_sources.lines().count() > 100);
    assert_eq!(stdout(&o), from_sources);
    assert!(
        stderr(&o).contains("to load and JIT the bundle"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_bundle_of_another_format_or_no_bundle_is_refused_with_the_reason() {
    let dir = temp_dir("bundle-format");
    let path = dir.join("rules.bundle");
    let p = path.to_str().expect("utf-8");
    let o = vigil(&["build", "tests/semantics", "-o", p]);
    assert!(o.status.success(), "{}", stderr(&o));
    let bytes = std::fs::read(&path).expect("bundle");
    let newer = [
        b"vigil-bundle 99".as_slice(),
        &bytes[b"vigil-bundle 1".len()..],
    ]
    .concat();
    std::fs::write(&path, newer).expect("write");
    let o = vigil(&["run", "--bundle", p, "--events", "examples/city-1day.jsonl"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("bundle format 99, but this Vigil reads bundle format 3"),
        "{err}"
    );
    std::fs::write(&path, b"{\"type\":\"Call\"}\n").expect("write");
    let o = vigil(&["run", "--bundle", p, "--events", "examples/city-1day.jsonl"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not a Vigil bundle"), "{}", stderr(&o));
    // Cut short: the header is right, the program is not.
    std::fs::write(&path, &bytes[..bytes.len() / 2]).expect("write");
    let o = vigil(&["run", "--bundle", p, "--events", "examples/city-1day.jsonl"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("corrupt bundle"), "{}", stderr(&o));
    // A bundle needs a file to go to, and sources and a bundle do not mix.
    let o = vigil(&["build", "tests/semantics"]);
    assert_eq!(o.status.code(), Some(2));
    let o = vigil(&["run", "rules", "--bundle", p]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn build_emits_the_ir_as_text() {
    let o = vigil(&["build", "tests/ir/single.vigil", "--emit", "ir"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.starts_with("ruleset sha256:"), "{out}");
    assert!(
        out.contains("  when $0: Call where (and (and (and (>= $0.minutes 60)"),
        "{out}"
    );
}

/// SPEC §7 (v0.2): `$tick` lines move time on a quiet feed, in both decoding modes, are
/// counted in the summary and never rejected.
#[test]
fn ticks_fire_deadlines_without_other_events_and_are_counted() {
    let dir = temp_dir("ticks");
    let rules = dir.join("rules.vigil");
    std::fs::write(
        &rules,
        r#"unit desk "desk"
event Contact { track: str, identified: bool }
event Identified { track: str }
rule unidentified {
  when sequence by track within 15m
    c: Contact where not c.identified
    then not Identified
  alert desk message "{c.track} not identified"
}
"#,
    )
    .expect("rules");
    let events = dir.join("events.jsonl");
    std::fs::write(
        &events,
        concat!(
            r#"{"type":"Contact","time":"2021-11-25T19:00:00Z","track":"T1","identified":false}"#,
            "\n",
            r#"{"type":"$tick","time":"2021-11-25T19:10:00Z"}"#,
            "\n",
            r#"{"type":"$tick","time":"2021-11-25T19:15:00Z"}"#,
            "\n",
        ),
    )
    .expect("events");
    for mode in [&[][..], &["--single-thread"][..]] {
        let mut args = vec![
            "run",
            rules.to_str().expect("utf-8"),
            "--events",
            events.to_str().expect("utf-8"),
        ];
        args.extend_from_slice(mode);
        let o = vigil(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        let out = stdout(&o);
        assert_eq!(out.lines().count(), 1, "{out}");
        assert!(out.contains(r#""message":"T1 not identified""#), "{out}");
        let err = stderr(&o);
        assert!(err.contains("ticks               2"), "{err}");
        assert!(err.contains("rejected            0"), "{err}");
    }
}

/// Issue 26: a line over `--max-line-bytes` is rejected as `too_long` without being kept,
/// and the lines after it keep their numbers.
#[test]
fn a_line_over_the_limit_is_rejected_too_long_and_the_run_goes_on() {
    let dir = temp_dir("too-long");
    let events = dir.join("events.jsonl");
    let rejects = dir.join("rejects.jsonl");
    let long = format!(
        r#"{{"type":"CallRecord","time":"2021-11-25T19:00:00+08:00","caller":"{}"}}"#,
        "9".repeat(3 << 20)
    );
    let call = r#"{"type":"CallRecord","time":"2021-11-25T19:00:01+08:00","call_id":"c","caller":"a","callee":"b","callee_age":80,"duration":5400}"#;
    std::fs::write(&events, format!("{call}\n{long}\n{call}\n")).expect("events");
    for mode in [&[][..], &["--single-thread"][..]] {
        let mut args = vec![
            "run",
            "rules/",
            "--events",
            events.to_str().expect("utf-8"),
            "--rejects",
            rejects.to_str().expect("utf-8"),
            "--max-line-bytes",
            "100000",
        ];
        args.extend_from_slice(mode);
        let o = vigil(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        let rejected = std::fs::read_to_string(&rejects).expect("rejects");
        assert_eq!(rejected.lines().count(), 1, "{rejected}");
        assert!(rejected.contains(r#""line":2"#), "{rejected}");
        assert!(rejected.contains(r#""reason":"too_long""#), "{rejected}");
        assert!(
            rejected.len() < 1000,
            "the long line was kept: {} bytes",
            rejected.len()
        );
        let err = stderr(&o);
        assert!(err.contains("lines read          3"), "{err}");
    }
}

/// Issue 26: a full disk stops the run with an error that names the file (`/dev/full` answers
/// every write with "no space left").
#[test]
fn a_full_disk_stops_the_run_with_an_error_naming_the_file() {
    for out in [
        &["--out", "/dev/full"][..],
        &["--out", "/dev/null", "--rejects", "/dev/full"][..],
    ] {
        let mut args = vec![
            "run",
            "rules/",
            "--events",
            "examples/city-1day.jsonl",
            "--lateness",
            "10s",
        ];
        args.extend_from_slice(out);
        let o = vigil(&args);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        let err = stderr(&o);
        assert!(
            err.contains("`/dev/full`: No space left on device"),
            "{err}"
        );
    }
}

/// SPEC §5: a second start event for a live key is ignored and counted, and the run's summary
/// says how many.
#[test]
fn the_summary_counts_ignored_second_starts() {
    let dir = std::env::temp_dir().join(format!("vigil-dup-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let events = dir.join("events.jsonl");
    let line = |t: &str| {
        format!(
            r#"{{"type":"CaseOpened","time":"2022-01-04T{t}+08:00","case_id":"C1","kind":"minor"}}"#
        )
    };
    let text = [line("09:00:00"), line("10:00:00"), line("11:00:00")].join("\n");
    std::fs::write(&events, text).expect("events");
    let o = vigil(&[
        "run",
        "tests/semantics",
        "--events",
        events.to_str().expect("utf-8"),
    ]);
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("starts ignored      2"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// SPEC v0.2 routing: a unit field decoded by name (an unknown name is `wrong_type`), each
/// recipient once in the order written with a `set<unit>` in declaration order, and a
/// severity computed per alert.
#[test]
fn alerts_go_to_units_named_in_the_data_in_order_with_computed_severities() {
    let dir = temp_dir("routing");
    let events = dir.join("events.jsonl");
    std::fs::write(
        &events,
        [
            r#"{"type":"Referral","time":"2022-03-02T00:00:11+08:00","address":"x","station":"harbour","kind":"fraud"}"#,
            r#"{"type":"Referral","time":"2022-03-02T00:00:12+08:00","address":"x","kind":"fraud"}"#,
            r#"{"type":"Referral","time":"2022-03-02T00:00:13+08:00","address":"x","station":"nowhere","kind":"fraud"}"#,
            r#"{"type":"Passage","time":"2022-03-02T00:00:14+08:00","checkpoint":"K7","speed":121}"#,
            r#"{"type":"Passage","time":"2022-03-02T00:00:15+08:00","checkpoint":"K7","speed":81}"#,
        ]
        .join("\n"),
    )
    .expect("write");
    let o = vigil(&[
        "run",
        "tests/semantics",
        "--events",
        events.to_str().expect("utf-8"),
    ]);
    let (out, err) = (stdout(&o), stderr(&o));
    assert!(o.status.success(), "{err}");
    let to = |line: u32, rule: &str| -> String {
        let record = out
            .lines()
            .find(|l| {
                l.contains(&format!(r#""rule":"{rule}""#))
                    && l.contains(&format!(r#""line":{line},"#))
            })
            .unwrap_or_else(|| panic!("no {rule} for line {line}: {out}"));
        let start = record.find(r#""to":"#).expect("to") + 5;
        record[start..start + record[start..].find(']').expect("]") + 1].to_string()
    };
    assert_eq!(
        to(1, "copy_to_the_centre"),
        r#"["command_centre","harbour","old_town"]"#
    );
    // Without a station the set adds its members in declaration order: old_town first.
    assert_eq!(
        to(2, "copy_to_the_centre"),
        r#"["command_centre","old_town","harbour"]"#
    );
    assert_eq!(to(1, "referral_to_its_station"), r#"["harbour"]"#);
    assert!(err.contains("`nowhere` is not a declared unit"), "{err}");
    let severity = |line: u32| {
        out.lines()
            .find(|l| {
                l.contains(r#""rule":"speeding""#) && l.contains(&format!(r#""line":{line},"#))
            })
            .and_then(|l| l.split(r#""severity":""#).nth(1))
            .and_then(|s| s.split('"').next())
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(severity(4), "critical");
    assert_eq!(severity(5), "high");
}

/// `vigil graph`: the rule graph and every workflow's state diagram as Markdown with Mermaid
/// blocks, one workflow as DOT, and a clear error for a workflow that does not exist.
#[test]
fn graph_draws_the_rule_graph_and_each_workflow() {
    let o = vigil(&["graph", "rules/"]);
    let out = stdout(&o);
    assert!(o.status.success(), "{}", stderr(&o));
    // The rule graph, then each of the library's workflows.
    let (_, workflows) = library_counts();
    assert!(workflows >= 6, "{workflows}");
    assert_eq!(out.matches("```mermaid").count(), workflows + 1, "{out}");
    assert!(
        out.contains("## rule graph") && out.contains("flowchart LR"),
        "{out}"
    );
    // A rule emits the lead that starts the workflow.
    assert!(
        out.contains("r_repeated_preventable_address -.->|\"emits\"| e_PreventiveLead"),
        "{out}"
    );
    assert!(
        out.contains("e_PreventiveLead -->|\"start on\"| w_preventive_lead"),
        "{out}"
    );
    // A state diagram: its start, a final state, a transition and a timer.
    assert!(
        out.contains("[*] --> pushed : start on PreventiveLead"),
        "{out}"
    );
    assert!(out.contains("closed --> [*]"), "{out}");
    assert!(
        out.contains("pushed --> overdue : after LEAD_CONTACT_DEADLINE"),
        "{out}"
    );

    let o = vigil(&[
        "graph",
        "rules/",
        "--workflow",
        "violent_incident_response",
        "--format",
        "dot",
    ]);
    let dot = stdout(&o);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(dot.matches("digraph ").count(), 1, "{dot}");
    assert!(dot.trim_end().ends_with('}'), "{dot}");
    // Workflow-level timers leave from "any state", dashed.
    assert!(
        dot.contains("\"any_state\" -> \"second_level_response\" [label=\"after SECOND_LEVEL_AFTER where visits(on_scene) == 0\", style=dashed];"),
        "{dot}"
    );

    // SVG, laid out by Vigil: one picture, every state drawn.
    let o = vigil(&[
        "graph",
        "rules/",
        "--workflow",
        "preventive_lead",
        "--format",
        "svg",
    ]);
    let svg = stdout(&o);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        svg.starts_with("<svg ") && svg.trim_end().ends_with("</svg>"),
        "{svg}"
    );
    for state in [
        "pushed",
        "contacted",
        "complex",
        "follow_up",
        "overdue",
        "closed",
    ] {
        assert!(svg.contains(&format!(">{state}</text>")), "{state}: {svg}");
    }
    let o = vigil(&["graph", "rules/", "--format", "svg"]);
    assert_eq!(o.status.code(), Some(2), "several diagrams are not one SVG");

    let o = vigil(&["graph", "rules/", "--workflow", "nope"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no workflow `nope` in the rule set (it has: "),
        "{}",
        stderr(&o)
    );
}

/// `vigil explain --workflow W --key K`: the instance's history, where it stands with its
/// pending timer, and why each event that came did not move it.
#[test]
fn explain_tells_a_workflow_instances_story_and_why_events_did_not_move_it() {
    let dir = temp_dir("explain-workflow");
    std::fs::write(
        dir.join("call.vigil"),
        r#"unit desk
enum Role { police, medic }
event Report { case: str }
event Arrived { case: str, role: Role }
workflow call {
  start on r: Report by r.case
  state waiting {
    on a: Arrived by a.case where a.role == police -> done
    after 10m alert desk message "{r.case} late"
  }
  final done
}
"#,
    )
    .expect("write");
    let events = dir.join("events.jsonl");
    std::fs::write(
        &events,
        [
            r#"{"type":"Arrived","time":"2022-03-01T09:59:00Z","case":"A","role":"police"}"#,
            r#"{"type":"Report","time":"2022-03-01T10:00:00Z","case":"A"}"#,
            r#"{"type":"Arrived","time":"2022-03-01T10:01:00Z","case":"A","role":"medic"}"#,
            r#"{"type":"Arrived","time":"2022-03-01T10:02:00Z","case":"B","role":"police"}"#,
        ]
        .join("\n"),
    )
    .expect("write");
    let o = vigil(&[
        "explain",
        dir.to_str().expect("utf-8"),
        "--events",
        events.to_str().expect("utf-8"),
        "--workflow",
        "call",
        "--key",
        "A",
    ]);
    let out = stdout(&o);
    assert!(o.status.success(), "{out}{}", stderr(&o));
    assert!(
        out.contains("(start) -> waiting  (Report, line 2)"),
        "{out}"
    );
    assert!(
        out.contains("now: in waiting since 2022-03-01T10:00:00Z"),
        "{out}"
    );
    assert!(
        out.contains("timer after 10m due 2022-03-01T10:10:00Z (acts, the state stays)"),
        "{out}"
    );
    assert!(
        out.contains(
            "on Arrived -> done: 1 event before waiting was entered at 2022-03-01T10:00:00Z"
        ),
        "{out}"
    );
    assert!(
        out.contains(
            "line 3: Arrived at 2022-03-01T10:01:00Z: ✗ a.role == police (a.role = medic)"
        ),
        "{out}"
    );
    assert!(
        out.contains("line 4: Arrived at 2022-03-01T10:02:00Z has key \"B\""),
        "{out}"
    );
    let o = vigil(&[
        "explain",
        dir.to_str().expect("utf-8"),
        "--events",
        events.to_str().expect("utf-8"),
        "--rule",
        "call",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--workflow call --key K"),
        "{}",
        stderr(&o)
    );
}
