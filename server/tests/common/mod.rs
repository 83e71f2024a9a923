//! What the server's tests compare with: one engine over every line, as a live run has it.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use vigil_runtime::{Engine, EngineConfig, Pushed, Record};
use vigil_server::Subject;

/// The engine options of the tests: the bundled day's lateness.
pub fn config() -> EngineConfig {
    EngineConfig {
        lateness: 10_000,
        ..EngineConfig::default()
    }
}

/// What one engine over `lines` publishes, per subject (no end of input, as a live server).
pub fn reference<'l>(
    program: &Arc<vigil_ir::Program>,
    lines: impl Iterator<Item = &'l str>,
) -> BTreeMap<Subject, Vec<String>> {
    reference_with(program, config(), lines)
}

/// As `reference`, with these engine options.
pub fn reference_with<'l>(
    program: &Arc<vigil_ir::Program>,
    config: EngineConfig,
    lines: impl Iterator<Item = &'l str>,
) -> BTreeMap<Subject, Vec<String>> {
    let mut engine = Engine::new(program.clone(), config);
    let mut out: BTreeMap<Subject, Vec<String>> = BTreeMap::new();
    for l in lines {
        if let Pushed::Rejected(r) = engine.push_line(l.as_bytes()) {
            let n = engine.lines();
            out.entry(Subject::Rejects)
                .or_default()
                .push(r.json(n, l.as_bytes()));
        }
        for r in engine.take_records() {
            out.entry(Subject::Records)
                .or_default()
                .push(engine.to_json(&r));
            if let Record::Alert(a) = &r
                && !a.shadow
            {
                for unit in &a.to {
                    out.entry(Subject::Unit(unit.to_string()))
                        .or_default()
                        .push(
                            engine
                                .to_json_for_unit(a, unit)
                                .expect("a unit of the program"),
                        );
                }
            }
        }
    }
    out
}

/// The project's root, where `rules/` and `examples/` are.
#[allow(dead_code)] // Not every test crate reads files.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// SplitMix64: a deterministic source of batch sizes, turns and kill points.
#[allow(dead_code)] // Not every test crate kills workers at random.
pub struct Rng(pub u64);

#[allow(dead_code)]
impl Rng {
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)) % n.max(1)
    }
}

/// The rules library and the bundled day's lines.
#[allow(dead_code)] // Not every test crate runs the city.
pub fn city() -> (Arc<vigil_ir::Program>, Vec<String>) {
    let program = vigil_compiler::load::compile_paths(&[root().join("rules")]).expect("rules");
    let text = std::fs::read_to_string(root().join("examples/city-1day.jsonl")).expect("sample");
    (program, text.lines().map(str::to_string).collect())
}
