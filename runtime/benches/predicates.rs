//! Predicate evaluation, JIT against interpreter: R single-event rules on one event type, none
//! indexable (thresholds only) and none sharing a conjunct, so every event evaluates every
//! rule. Rows are decoded once up front; the figure is the cost of dispatch and conditions.
//!
//! ```text
//! cargo bench -p vigil-runtime --bench predicates
//! ```
//! Criterion reports elements/s where an element is one rule tried on one event: its inverse is
//! ns/event/rule.

// A measurement or a generator run by hand: it stops at the first thing that goes wrong.
// (The workspace denies unwraps, indexing and panics in the engine, the compiler and the CLI.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use vigil_compiler::load::compile_sources as compile;
use vigil_ir::Value;
use vigil_runtime::{Engine, EngineConfig, EngineKind, Source};

const EVENTS: usize = 1000;

fn rules(r: usize) -> String {
    let mut text = String::from(
        "unit desk\nevent CallRecord { caller: str, callee_age: int, duration: duration, region: str }\n",
    );
    for i in 0..r {
        // The first conjunct holds for most calls, the second almost never: two conjuncts a
        // rule, each with its own constants (nothing shared, nothing indexed). `+ {i}` on both
        // sides keeps them conditions to evaluate: a bare `c.callee_age >= 5` is a range test,
        // which the plan answers by a search over the bounds, with no code run per rule.
        text.push_str(&format!(
            "rule r{i} {{\n  when c: CallRecord where c.callee_age + {i} >= {} and c.duration + {i}m >= {}m and len(c.region) > {}\n  alert desk\n}}\n",
            i + i % 40,
            600 + 2 * i,
            i % 3
        ));
    }
    text
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("predicates");
    for r in [10usize, 100, 1000] {
        let program = Arc::new(compile(&[("bench.vigil", &rules(r))]).expect("compiles"));
        group.throughput(Throughput::Elements((EVENTS * r) as u64));
        for (name, kind) in [("jit", EngineKind::Jit), ("interp", EngineKind::Interp)] {
            let config = EngineConfig {
                engine: kind,
                ..EngineConfig::default()
            };
            let mut engine = Engine::new(program.clone(), config);
            let ty = engine.event_type("CallRecord").expect("event type");
            let mut time = 1_700_000_000_000i64;
            group.bench_function(format!("{name}/R={r}"), |b| {
                b.iter(|| {
                    for i in 0..EVENTS {
                        time += 1000;
                        let row = engine.make_row(
                            ty,
                            time,
                            &[
                                Value::str("+8613900000000"),
                                Value::Int((i % 90) as i64),
                                Value::Duration(((i % 50) * 60_000) as i64),
                                Value::str("广东"),
                            ],
                            Source::Line(i as u64),
                        );
                        let _ = black_box(engine.push_row(row));
                    }
                    black_box(engine.take_records().len())
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
