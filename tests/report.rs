//! `vigil run --report FILE.html` opened in a real browser: headless Chromium (`$CHROMIUM`, else
//! `chromium`; `.ci/run` installs Debian's) loads the page from its file, runs its script, and
//! the test reads what was drawn from the rendered DOM: each rule's bars add up to its alerts
//! in the records, each rule and unit row to the alerts delivered, the reject bars to the
//! rejects file, the open instances to the run's summary. A screenshot is kept in the target
//! directory (`report-city.png`) for a person to look at.

// Test code: a failed unwrap or assertion stops the test right there.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod browser;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use browser::{attributes, browse, elements};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn count(attrs: &BTreeMap<String, String>) -> u64 {
    attrs["data-count"].parse().expect("a count")
}

#[test]
fn the_run_report_draws_in_a_browser_what_the_run_wrote() {
    let dir = std::env::temp_dir().join(format!("vigil-report-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let (page, out, rejects) = (
        dir.join("city.html"),
        dir.join("records.jsonl"),
        dir.join("rejects.jsonl"),
    );
    // No lateness: late lines among the rejects, so that several reasons show.
    let run = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .current_dir(root())
        .args(["run", "rules/", "--events", "examples/city-1day.jsonl"])
        .arg("--out")
        .arg(&out)
        .arg("--rejects")
        .arg(&rejects)
        .arg("--report")
        .arg(&page)
        .output()
        .expect("runs");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let summary = String::from_utf8(run.stderr).expect("UTF-8");

    // What the records and rejects say, counted here.
    let mut alerts: BTreeMap<String, u64> = BTreeMap::new();
    let mut delivered: BTreeMap<(String, String), u64> = BTreeMap::new();
    for line in std::fs::read_to_string(&out).expect("records").lines() {
        let r: serde_json::Value = serde_json::from_str(line).expect("JSON");
        if r["kind"] != "alert" || r["shadow"] == true {
            continue;
        }
        let origin = r["rule"]
            .as_str()
            .or(r["workflow"].as_str())
            .expect("an origin");
        *alerts.entry(origin.to_string()).or_default() += 1;
        for unit in r["to"].as_array().expect("units") {
            let unit = unit.as_str().expect("a unit").to_string();
            *delivered.entry((origin.to_string(), unit)).or_default() += 1;
        }
    }
    let mut reasons: BTreeMap<String, u64> = BTreeMap::new();
    for line in std::fs::read_to_string(&rejects).expect("rejects").lines() {
        let r: serde_json::Value = serde_json::from_str(line).expect("JSON");
        *reasons
            .entry(r["reason"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    assert!(
        alerts.len() > 10 && reasons.len() > 3,
        "{alerts:?} {reasons:?}"
    );

    let dom = browse(&page, &["--dump-dom"]);

    // Alerts over time: one group per rule, its bars adding up to its alerts.
    let mut drawn: BTreeMap<String, u64> = BTreeMap::new();
    let mut rest = dom.as_str();
    while let Some(at) = rest.find("<g class=\"rule\"") {
        rest = &rest[at..];
        let end = rest.find("</g>").expect("a closed group");
        let group = &rest[..end];
        let attrs = attributes(&group[2..group.find('>').unwrap()]);
        let bars: u64 = (elements(group, "rect", "bar").iter())
            .chain(&elements(group, "rect", "bar zero"))
            .map(count)
            .sum();
        assert_eq!(
            bars.to_string(),
            attrs["data-total"],
            "{}",
            attrs["data-rule"]
        );
        drawn.insert(attrs["data-rule"].clone(), bars);
        rest = &rest[end..];
    }
    assert_eq!(drawn, alerts);

    let rows: BTreeMap<(String, String), u64> = elements(&dom, "tr", "delivered")
        .iter()
        .map(|a| ((a["data-rule"].clone(), a["data-unit"].clone()), count(a)))
        .collect();
    assert_eq!(rows, delivered);

    let rejected: BTreeMap<String, u64> = elements(&dom, "rect", "reject")
        .iter()
        .map(|a| (a["data-label"].clone(), count(a)))
        .collect();
    assert_eq!(rejected, reasons);

    // The summary's "(8 workflow instances open)".
    let open: u64 = summary
        .split_once(" workflow instances open")
        .and_then(|(before, _)| before.rsplit('(').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no open instances in {summary}"));
    let bars = elements(&dom, "rect", "open");
    assert!(open > 0 && !bars.is_empty(), "{summary}");
    assert_eq!(bars.iter().map(count).sum::<u64>(), open);

    // A picture for people: kept where CI keeps its artifacts.
    browser::screenshot(&page, "report-city.png", "1300,1600");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_report_cannot_be_asked_of_a_durable_run() {
    let run = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .current_dir(root())
        .args(["run", "rules/", "--events", "examples/city-1day.jsonl"])
        .args([
            "--out",
            "/dev/null",
            "--state",
            "/nonexistent",
            "--report",
            "r.html",
        ])
        .output()
        .expect("runs");
    assert_eq!(run.status.code(), Some(2));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(err.contains("--report") && err.contains("--state"), "{err}");
}
