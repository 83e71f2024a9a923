//! `vigil run --rulesets DIR` over an input with a `$reload` line (what `vigil serve reload`
//! leaves in a live server's input): the rules switch at that line, and a durable run (`--state`)
//! that stopped after it goes on with the reloaded rule set, not the one on its command line,
//! ending byte-identical to one run over the whole input.

// Test code: a failed unwrap or assertion stops the test right there.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::process::Command;

use common::ring_rules;

fn vigil(args: &[&std::ffi::OsStr]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(args)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

#[test]
fn a_durable_run_stopped_after_a_reload_goes_on_with_the_reloaded_rules() {
    let dir = std::env::temp_dir().join(format!("vigil-run-reload-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let v1 = ring_rules(&dir, "v1", "v1 late:", "");
    let v2 = ring_rules(
        &dir,
        "v2",
        "v2 late:",
        "unit school\nrule acked {\n  when a: Ack\n  alert school message \"ack {a.case}\"\n}\n",
    );
    let bundles = dir.join("bundles");
    std::fs::create_dir_all(&bundles).expect("dir");
    let bundle = bundles.join("v2.bundle");
    vigil(&[
        "build".as_ref(),
        v2.as_os_str(),
        "-o".as_ref(),
        bundle.as_os_str(),
    ]);
    // The bundle's first line: `vigil-bundle <format> <fingerprint>`.
    let header = std::fs::read_to_string(&bundle).expect("bundle");
    let fingerprint = header
        .lines()
        .next()
        .and_then(|l| l.split(' ').nth(2))
        .expect("a fingerprint")
        .to_string();
    let first = format!(
        "{{\"type\":\"Incident\",\"time\":\"2022-03-01T03:00:00Z\",\"case\":\"A\"}}\n\
         {{\"type\":\"Incident\",\"time\":\"2022-03-01T03:02:00Z\",\"case\":\"B\"}}\n\
         {{\"type\":\"$reload\",\"ruleset\":\"{fingerprint}\"}}\n\
         {{\"type\":\"Ack\",\"time\":\"2022-03-01T03:02:30Z\",\"case\":\"B\"}}\n"
    );
    let second = "{\"type\":\"Incident\",\"time\":\"2022-03-01T03:04:00Z\",\"case\":\"C\"}\n\
                  {\"type\":\"Ack\",\"time\":\"2022-03-01T03:09:00Z\",\"case\":\"D\"}\n";
    let whole = dir.join("whole.jsonl");
    std::fs::write(&whole, format!("{first}{second}")).expect("events");
    let run = |events: &Path, extra: &[&std::ffi::OsStr]| {
        let mut args: Vec<&std::ffi::OsStr> = vec![
            "run".as_ref(),
            v1.as_os_str(),
            "--events".as_ref(),
            events.as_os_str(),
            "--rulesets".as_ref(),
            bundles.as_os_str(),
        ];
        args.extend_from_slice(extra);
        vigil(&args)
    };
    let reference = run(&whole, &[]);
    for part in ["v1 late: A", "ack B", "v2 late: C", "ack D"] {
        assert!(reference.contains(part), "{part}: {reference}");
    }
    assert!(!reference.contains("v2 late: A"), "fired once: {reference}");

    // Without the bundles, the reload is refused and v1 goes on.
    let refused = vigil(&[
        "run".as_ref(),
        v1.as_os_str(),
        "--events".as_ref(),
        whole.as_os_str(),
    ]);
    assert!(
        refused.contains("v1 late: C") && !refused.contains("ack"),
        "{refused}"
    );

    // A durable run over the first part, then over the file grown by the second part.
    let events = dir.join("events.jsonl");
    let (state, out) = (dir.join("state"), dir.join("out.jsonl"));
    std::fs::write(&events, &first).expect("events");
    let durable = [
        "--state".as_ref(),
        state.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
        "--checkpoint-every".as_ref(),
        "1".as_ref(),
    ];
    run(&events, &durable);
    std::fs::write(&events, format!("{first}{second}")).expect("events");
    run(&events, &durable);
    assert_eq!(std::fs::read_to_string(&out).expect("out"), reference);
    let _ = std::fs::remove_dir_all(&dir);
}
