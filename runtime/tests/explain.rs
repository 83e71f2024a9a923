//! `Engine::explain` against the engine itself: explaining a rule changes no record, counts
//! exactly the rule's firings, and the clause values it reports agree with what fired.

// Test code: a failed unwrap, index or assertion stops the test right there. (The workspace
// denies them outside tests; clippy.toml covers `#[test]` functions, not a test crate's helpers.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Arc;

use proptest::prelude::*;
use vigil_compiler::load::compile_sources as compile;
use vigil_ir::Pattern;
use vigil_runtime::explain::{Detail, Explainer, StepRole};
use vigil_runtime::{Engine, EngineConfig, EngineKind};

const RULES: &str = include_str!("../../tests/fixtures/explain/rules.vigil");

fn program() -> Arc<vigil_ir::Program> {
    Arc::new(compile(&[("rules.vigil", RULES)]).expect("the fixture compiles"))
}

/// Events over small key domains so that windows fill and sequences match.
fn events() -> impl Strategy<Value = Vec<String>> {
    let one = (
        0u8..7,
        0u32..40,
        0usize..3,
        0usize..3,
        any::<bool>(),
        0i64..90,
    );
    prop::collection::vec(one, 1..40).prop_map(|evs| {
        let mut t = 1_772_323_200i64; // 2026-03-01T00:00:00Z
        let people = ["P-1", "P-2", "P-3"];
        let places = ["Station", "Market", "Park"];
        evs.into_iter()
            .map(|(kind, gap, a, b, flag, n)| {
                t += i64::from(gap) * 60;
                let time = jiff::Timestamp::from_second(t).expect("time").to_string();
                match kind {
                    0 => {
                        let caller = ["+8617000000001", "+8617000000002", "+8613900000000"][a];
                        format!(
                            r#"{{"type":"Call","time":"{time}","caller":"{caller}","callee_age":{},"minutes":{n}}}"#,
                            50 + n / 2
                        )
                    }
                    1 => format!(
                        r#"{{"type":"Dispute","time":"{time}","address":"A{a}","reporter":"R{b}","injured":{flag}}}"#
                    ),
                    2 => format!(
                        r#"{{"type":"Contact","time":"{time}","track":"T{a}","speed":{}.5}}"#,
                        n / 10
                    ),
                    3 => format!(r#"{{"type":"Identified","time":"{time}","track":"T{a}"}}"#),
                    4 => format!(r#"{{"type":"Report","time":"{time}","person":"{}"}}"#, people[a]),
                    5 => format!(
                        r#"{{"type":"Sighting","time":"{time}","person":"{}","place":"{}"}}"#,
                        people[a], places[b]
                    ),
                    _ => format!(r#"{{"type":"Found","time":"{time}","person":"{}"}}"#, people[a]),
                }
            })
            .collect()
    })
}

fn run(
    lines: &[String],
    explain: Option<(vigil_ir::RuleId, Option<u64>)>,
) -> (Vec<String>, Option<Explainer>) {
    let mut engine = Engine::new(
        program(),
        EngineConfig {
            engine: EngineKind::Interp,
            ..EngineConfig::default()
        },
    );
    if let Some((rule, line)) = explain {
        engine.explain(rule, line);
    }
    for l in lines {
        engine.push_line(l.as_bytes());
    }
    engine.finish();
    let records = engine.take_records();
    let json = records.iter().map(|r| engine.to_json(r)).collect();
    let x = engine.take_explanation();
    (json, x)
}

fn alerts_of(records: &[String], rule: &str) -> usize {
    let needle = format!(r#""rule":"{rule}""#);
    records.iter().filter(|r| r.contains(&needle)).count()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn explaining_changes_nothing_and_counts_every_firing(lines in events()) {
        let program = program();
        let (plain, _) = run(&lines, None);
        for (r, rule) in program.rules.iter_enumerated() {
            let (records, x) = run(&lines, Some((r, None)));
            prop_assert_eq!(&records, &plain);
            let x = x.expect("an explanation");
            // The fixture's rules have no `suppress`: every firing is an alert.
            prop_assert_eq!(x.summary.fired as usize, alerts_of(&plain, &rule.name));
            prop_assert_eq!(x.firings.len(), alerts_of(&plain, &rule.name));
        }
    }

    #[test]
    fn the_clause_values_agree_with_what_fired(lines in events()) {
        let program = program();
        for (r, rule) in program.rules.iter_enumerated() {
            for n in 1..=lines.len() as u64 {
                let (_, x) = run(&lines, Some((r, Some(n))));
                let x = x.expect("an explanation");
                let Some(at) = &x.at else {
                    // Not an event of the rule's types.
                    continue;
                };
                let fired = !at.fired.is_empty();
                match (&at.detail, &rule.pattern) {
                    (Detail::Single { cond }, _) => {
                        prop_assert_eq!(cond.as_ref().is_none_or(|c| c.holds()), fired, "line {}", n);
                    }
                    (Detail::Window(w), _) => {
                        let holds = w.joined && w.having.as_ref().is_some_and(|h| h.holds());
                        prop_assert_eq!(holds, fired, "line {}", n);
                        if w.joined {
                            prop_assert_eq!(w.window.last().and_then(|e| e.line()), Some(n));
                        }
                    }
                    (Detail::Sequence { steps, .. }, Pattern::Sequence { steps: defs, .. }) => {
                        let positives = defs.iter().filter(|s| !s.absent).count();
                        let final_absence = defs.last().is_some_and(|s| s.absent);
                        // Without a final absence, a sequence fires exactly when the event
                        // completes a waiting partial match whose step condition holds.
                        let completes = steps.iter().any(|s| {
                            let holds = s.cond.as_ref().is_none_or(|c| c.holds());
                            match &s.role {
                                StepRole::Continues { partial, expired } => {
                                    holds && !expired && partial.reached + 1 == positives
                                }
                                StepRole::Starts { .. } => holds && positives == 1,
                                _ => false,
                            }
                        });
                        if !final_absence {
                            prop_assert_eq!(completes, fired, "line {}", n);
                        } else {
                            // Final absences fire at deadlines, never on an event.
                            prop_assert!(!fired, "line {}", n);
                        }
                    }
                    (d, _) => prop_assert!(false, "unexpected detail {:?}", d),
                }
            }
        }
    }
}
