//! Running `test` blocks (SPEC §6): each in a fresh engine, its expectations checked against
//! the records it produced.

use std::sync::Arc;

use vigil_ir::{ExpectTarget, Expectation, Program, TestCase, TestStep, Value};

use crate::engine::{Engine, EngineConfig};
use crate::record::{Origin, Record};
use crate::row::{Key, Source};

/// How one test went.
#[derive(Debug, Clone, PartialEq)]
pub struct TestOutcome {
    /// The test's title.
    pub name: String,
    /// Where the test is: `file:line`.
    pub location: String,
    /// The expectations that did not hold, and test events the engine rejected.
    pub failures: Vec<Failure>,
    /// Every record the test produced, as JSON lines.
    pub records: Vec<String>,
}

impl TestOutcome {
    /// Whether every expectation held.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// One way a test failed.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// One-based line of the expectation or event in the test's file.
    pub line: u32,
    /// The expectation as written, or the rejected event.
    pub what: String,
    /// What happened instead.
    pub detail: String,
    /// The records relevant to it (JSON lines), to show expected against actual.
    pub actual: Vec<String>,
}

/// Runs one test block of `program`.
pub fn run_test(program: &Arc<Program>, test: &TestCase) -> TestOutcome {
    let config = EngineConfig {
        lateness: test.lateness,
        ..EngineConfig::default()
    };
    let mut engine = Engine::new(program.clone(), config);
    run_test_in(&mut engine, test)
}

/// Runs one test block in a given (fresh) engine, for callers that collect coverage.
pub fn run_test_in(engine: &mut Engine, test: &TestCase) -> TestOutcome {
    let mut failures = Vec::new();
    let mut records: Vec<Record> = Vec::new();
    // Rejected test events by reason; with an `expect reject` in the block they are what it
    // judges, without one each is a failure.
    let mut rejects: Vec<&'static str> = Vec::new();
    let judged = (test.expects.iter()).any(|e| matches!(e.target, ExpectTarget::Reject(_)));
    for step in &test.steps {
        match step {
            TestStep::Event {
                event,
                time,
                fields,
                line,
            } => {
                let row = engine.build_row(*event, *time, fields, Source::Line(u64::from(*line)));
                if let Err(r) = engine.push_row(row) {
                    rejects.push(r.kind.as_str());
                    if judged {
                        continue;
                    }
                    let name = engine
                        .program()
                        .event(*event)
                        .map_or("?".into(), |e| e.name.to_string());
                    failures.push(Failure {
                        line: *line,
                        what: format!("event {name}"),
                        detail: format!("the engine rejected it: {r}"),
                        actual: Vec::new(),
                    });
                }
            }
            TestStep::AdvanceBy(d) => {
                let base = engine.max_time_seen().unwrap_or(engine.watermark());
                engine.advance_to(base.saturating_add(*d));
            }
            TestStep::AdvanceTo(t) => engine.advance_to(*t),
        }
        records.extend(engine.take_records());
    }
    engine.finish();
    records.extend(engine.take_records());
    for e in &test.expects {
        if let Some(f) = check(engine, e, &records, &rejects) {
            failures.push(f);
        }
    }
    TestOutcome {
        name: test.name.clone(),
        location: format!("{}:{}", test.origin.file, test.origin.line),
        failures,
        records: records.iter().map(|r| engine.to_json(r)).collect(),
    }
}

fn same(a: &Value, b: &Value) -> bool {
    Key(a.clone()) == Key(b.clone())
}

fn check(
    engine: &Engine,
    e: &Expectation,
    records: &[Record],
    rejects: &[&str],
) -> Option<Failure> {
    let about: Vec<&Record> = records
        .iter()
        .filter(|r| match (&e.target, r) {
            (ExpectTarget::Alert(name), Record::Alert(a)) => match &a.origin {
                Origin::Rule(r) => **r == **name,
                Origin::Workflow { workflow, .. } => **workflow == **name,
            },
            (ExpectTarget::Transition { workflow, .. }, Record::Transition(t)) => {
                *t.workflow == **workflow
            }
            _ => false,
        })
        .collect();
    let matching = about
        .iter()
        .filter(|r| match (&e.target, r) {
            (ExpectTarget::Alert(_), Record::Alert(a)) => {
                e.key.as_ref().is_none_or(|k| same(k, &a.key))
                    && e.at.is_none_or(|t| t == a.time)
                    && e.to
                        .as_ref()
                        .is_none_or(|u| a.to.iter().any(|t| **t == **u))
                    && e.message
                        .as_ref()
                        .is_none_or(|m| a.message.as_ref() == Some(m))
            }
            (ExpectTarget::Transition { key, to, .. }, Record::Transition(t)) => {
                same(key, &t.key) && *t.to == **to && e.at.is_none_or(|at| at == t.time)
            }
            _ => false,
        })
        .count()
        + match &e.target {
            ExpectTarget::Reject(reason) => {
                rejects.iter().filter(|r| **r == reason.as_str()).count()
            }
            _ => 0,
        };
    let ok = match (e.negated, e.count) {
        (true, _) => matching == 0,
        (false, Some(n)) => matching as u64 == n,
        (false, None) => matching > 0,
    };
    if ok {
        return None;
    }
    let wanted = match (e.negated, e.count) {
        (true, _) => "none".to_string(),
        (false, Some(n)) => format!("exactly {n}"),
        (false, None) => "at least one".to_string(),
    };
    let kind = match &e.target {
        ExpectTarget::Alert(_) => "matching alert",
        ExpectTarget::Transition { .. } => "matching transition",
        ExpectTarget::Reject(_) => "rejected event",
    };
    Some(Failure {
        line: e.line,
        what: e.text.clone(),
        detail: format!(
            "expected {wanted}, found {matching} {kind}{}",
            if matching == 1 { "" } else { "s" }
        ),
        actual: about.iter().map(|r| engine.to_json(r)).collect(),
    })
}

/// Runs one test block in a coverage engine: its outcome and what it exercised.
pub fn run_test_with_coverage(
    program: &Arc<Program>,
    test: &TestCase,
) -> (TestOutcome, crate::coverage::Coverage) {
    let mut engine = Engine::new(
        program.clone(),
        EngineConfig {
            engine: crate::engine::EngineKind::Coverage,
            lateness: test.lateness,
            ..EngineConfig::default()
        },
    );
    let outcome = run_test_in(&mut engine, test);
    let coverage = engine.take_coverage().unwrap_or_default();
    (outcome, coverage)
}
