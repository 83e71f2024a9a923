//! The router's cost alone (issue 23's serial part): routes a JSON Lines file through
//! `Router::batches`, 100 lines to an input message, as `vigil serve --groups N` does, and
//! prints events per second. No broker: only decoding, keys, groups and batch encoding.
//!
//!   cargo run --release -p vigil-runtime --example route -- BUNDLE EVENTS.jsonl [GROUPS]
//!
//! `BUNDLE` is a rule set built by `vigil build`.

use std::sync::Arc;

use vigil_runtime::partition::{Partition, Router};

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [bundle, events, rest @ ..] = args.as_slice() else {
        return Err("usage: route BUNDLE EVENTS.jsonl [GROUPS]".into());
    };
    let groups = rest
        .first()
        .map_or(Ok(8), |g| g.parse())
        .map_err(|e| format!("{e}"))?;
    let bytes = std::fs::read(bundle).map_err(|e| format!("{bundle}: {e}"))?;
    let program = Arc::new(vigil_ir::bundle::decode(&bytes).map_err(|e| e.to_string())?);
    let text = std::fs::read(events).map_err(|e| format!("{events}: {e}"))?;
    let lines: Vec<&[u8]> = text
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let mut router = Router::new(Arc::new(Partition::new(program, groups)), 10_000);
    let started = std::time::Instant::now();
    let mut bytes_out = 0;
    for message in lines.chunks(100) {
        let (batches, _) = router.batches(message.iter().copied());
        bytes_out += batches.iter().map(|(_, b)| b.encode().len()).sum::<usize>();
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "router alone, G = {groups}: {} lines in {secs:.2} s, {:.0} events/s, {} MB of batches",
        lines.len(),
        lines.len() as f64 / secs,
        bytes_out / 1_000_000
    );
    Ok(())
}
