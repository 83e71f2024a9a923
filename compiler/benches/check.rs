//! `vigil check` of a generated 10,000-rule set: parse, resolve, type-check and lower, from a
//! fresh database each time (the cost a CLI run pays; the editor pays it once).

// A measurement or a generator run by hand: it stops at the first thing that goes wrong.
// (The workspace denies unwraps, indexing and panics in the engine, the compiler and the CLI.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use vigil_compiler::db::{Database, RuleSet, SourceFile, program, ruleset_diagnostics};

/// A rule set like the benchmark's W1 workload, with windows and sequences mixed in.
pub fn generated_rule_set(rules: usize) -> Vec<(String, String)> {
    let mut schema = String::from(
        "timezone \"Asia/Shanghai\"\nunit desk \"值班台\"\nenum Category { noise, theft, fraud, dispute, violence }\n\
         event CallRecord { caller: str, callee: str, callee_age: int, duration: duration, region: str }\n\
         event Incident { category: Category, district: str, address: str, severity: int }\n\
         event CheckpointPass { plate: str, checkpoint: str, speed: int }\n",
    );
    schema.push_str("list regions = [\"广东\", \"福建\", \"河北\", \"四川\", \"天津\"]\n");
    let mut files = vec![("schema.vigil".to_string(), schema)];
    let per_file = 500;
    for f in 0..rules.div_ceil(per_file) {
        let mut text = String::new();
        for i in f * per_file..((f + 1) * per_file).min(rules) {
            let body = match i % 10 {
                0..=2 => format!(
                    "  when c: CallRecord where c.callee_age >= {} and c.duration >= {}m and c.region in regions\n  alert desk message \"{{c.callee}} {{c.duration}}\"\n",
                    40 + i % 40,
                    10 + i % 90
                ),
                3..=5 => format!(
                    "  when p: CheckpointPass where p.checkpoint == \"K{}\" and p.speed > {}\n  alert desk\n",
                    i % 100,
                    60 + i % 60
                ),
                6..=7 => format!(
                    "  when i: Incident where i.category in [noise, dispute] and i.severity >= {}\n    group by i.address within 7d having count() >= 3\n  alert desk message \"{{key}}: {{count()}}\"\n",
                    i % 5
                ),
                _ => format!(
                    "  when sequence by plate within 2h\n    a: CheckpointPass where a.checkpoint == \"K{}\"\n    then b: CheckpointPass where b.checkpoint == \"K{}\" and b.time - a.time < 20m\n  alert desk\n",
                    i % 50,
                    50 + i % 50
                ),
            };
            text.push_str(&format!("rule r{i:05} {{\n{body}}}\n\n"));
        }
        files.push((format!("rules_{f:03}.vigil"), text));
    }
    files
}

fn check(files: &[(String, String)]) -> usize {
    let db = Database::new(Arc::new(|_: &str| Err("no files".to_string())));
    let sources = files
        .iter()
        .map(|(n, t)| SourceFile::new(&db, n.clone(), Arc::from(t.as_str())))
        .collect();
    let ruleset = RuleSet::new(&db, sources, None);
    let diags = ruleset_diagnostics(&db, ruleset).len();
    assert_eq!(diags, 0);
    program(&db, ruleset).as_ref().map_or(0, |p| p.rules.len())
}

fn bench(c: &mut Criterion) {
    let files = generated_rule_set(10_000);
    assert_eq!(check(&files), 10_000);
    let mut group = c.benchmark_group("check");
    group.sample_size(10);
    group.bench_function("10000 rules", |b| b.iter(|| check(&files)));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
