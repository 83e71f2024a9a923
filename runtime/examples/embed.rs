//! The smallest embedding: a service that runs a reviewed rule set shipped as a bundle
//! (`vigil build rules/ -o rules.bundle`), with no compiler inside.
//!
//! ```sh
//! cargo run --release -p vigil-runtime --example embed -- rules.bundle < events.jsonl
//! ```

use std::io::{BufRead, Write};
use std::process::ExitCode;

use vigil_runtime::{Engine, EngineConfig};

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: embed BUNDLE < events.jsonl");
        return ExitCode::from(2);
    };
    let engine = std::fs::read(&path)
        .map_err(|e| e.to_string())
        .and_then(|b| Engine::from_bundle(&b, EngineConfig::default()).map_err(|e| e.to_string()));
    let mut engine = match engine {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: `{path}`: {e}");
            return ExitCode::from(2);
        }
    };
    let mut out = std::io::stdout().lock();
    let mut write = |engine: &mut Engine| -> std::io::Result<()> {
        for r in engine.take_records() {
            writeln!(out, "{}", engine.to_json(&r))?;
        }
        Ok(())
    };
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        engine.push_line(line.as_bytes());
        if write(&mut engine).is_err() {
            return ExitCode::from(1);
        }
    }
    engine.finish();
    if write(&mut engine).is_err() {
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}
