//! Memory under a long stream whose keys go quiet (SPEC §7: memory follows the live keys, not
//! the stream's length), through windows, sequences with absences and workflows with timers
//! pending. Prints the live keys, workflow instances, pending deadlines and the resident set at
//! checkpoints; peak RSS should stop growing once the windows have filled.
//!
//! ```text
//! cargo run --release -p vigil-runtime --example memory -- [EVENTS] [KEYS]
//! cargo run --release -p vigil-runtime --example memory -- burst [KEYS]
//! ```
//! Defaults: 10,000,000 events over 1,000,000 keys, one event per millisecond; each key is
//! busy for a while and then never seen again. `burst`: KEYS (default 2,000,000) distinct keys
//! within one second of event time, against the key cap (`--max-keys`, 1,000,000 per rule):
//! the keys past it are refused with overflow records, and memory stops growing there.

// A measurement or a generator run by hand: it stops at the first thing that goes wrong.
// (The workspace denies unwraps, indexing and panics in the engine, the compiler and the CLI.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Arc;

use vigil_compiler::load::compile_sources as compile;
use vigil_runtime::{Engine, EngineConfig};

const RULES: &str = r#"
unit desk
event Ping { key: str, n: int }

rule busy_key {
  when p: Ping group by p.key within 1m having count() >= 1000
  alert desk
}

rule rising {
  when sequence by key within 1m
    a: Ping
    then b: Ping where b.n > a.n + 1000000
  alert desk
}

rule gone_quiet {
  when sequence by key within 30s
    a: Ping where a.n < 10
    then not Ping
  alert desk
}

workflow watch {
  start on p: Ping where p.n < 100 by p.key
  state open {
    on Ping where n >= 990 -> answered
    after 2m -> lapsed
  }
  state answered {
    after 1m -> closed
  }
  final closed
  final lapsed
}
"#;

/// Keys are spread over a band that moves through the key space: about 50,000 are live at
/// any moment, and every key goes quiet for good once the band has passed it.
fn key(i: u64, keys: u64) -> u64 {
    let band = 50_000;
    let start = i * keys / 10_000_000;
    (start + (i.wrapping_mul(2_654_435_761) % band)) % keys
}

/// (resident, peak resident) in MiB, from /proc (Linux).
fn rss() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn main() {
    let mut args = std::env::args().skip(1).peekable();
    if args.peek().map(String::as_str) == Some("burst") {
        args.next();
        let keys = args
            .next()
            .and_then(|a| a.parse().ok())
            .unwrap_or(2_000_000);
        return burst(keys);
    }
    let events: u64 = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000_000);
    let keys: u64 = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let program = match compile(&[("memory.vigil", RULES)]) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let mut engine = Engine::new(Arc::new(program), EngineConfig::default());
    let base: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z in milliseconds
    let checkpoints = [
        events / 100,
        events / 10,
        events / 4,
        events / 2,
        events * 3 / 4,
        events,
    ];
    println!(
        "{:>12} {:>10} {:>10} {:>10} {:>12} {:>10} {:>10} {:>10}",
        "events",
        "live keys",
        "instances",
        "deadlines",
        "transitions",
        "alerts",
        "RSS MiB",
        "peak MiB"
    );
    let mut alerts = 0usize;
    let mut line = String::with_capacity(96);
    for i in 0..events {
        line.clear();
        use std::fmt::Write as _;
        let _ = write!(
            line,
            r#"{{"type":"Ping","time":{},"key":"k{}","n":{}}}"#,
            base + i as i64,
            key(i, keys),
            i % 1000
        );
        engine.push_line(line.as_bytes());
        if i % 4096 == 0 {
            alerts += engine.take_records().len();
        }
        if checkpoints.contains(&(i + 1)) {
            alerts += engine.take_records().len();
            let (now, peak) = rss();
            println!(
                "{:>12} {:>10} {:>10} {:>10} {:>12} {:>10} {:>10.1} {:>10.1}",
                i + 1,
                engine.live_keys(),
                engine.live_instances(),
                engine.pending_deadlines(),
                engine.stats().transitions,
                alerts,
                now,
                peak
            );
        }
    }
}

/// `keys` events with distinct keys within one second of event time.
fn burst(keys: u64) {
    let program = compile(&[("memory.vigil", RULES)]).unwrap_or_else(|e| panic!("{e}"));
    let mut engine = Engine::new(Arc::new(program), EngineConfig::default());
    let base: i64 = 1_767_225_600_000;
    println!(
        "{:>12} {:>10} {:>10} {:>10} {:>10} {:>10}",
        "events", "live keys", "overflows", "seconds", "RSS MiB", "peak MiB"
    );
    let started = std::time::Instant::now();
    let mut line = String::with_capacity(96);
    let mut overflows = 0usize;
    for i in 0..keys {
        line.clear();
        use std::fmt::Write as _;
        let time = base + (i * 1000 / keys) as i64;
        let _ = write!(
            line,
            r#"{{"type":"Ping","time":{time},"key":"k{i}","n":{}}}"#,
            i % 1000
        );
        engine.push_line(line.as_bytes());
        if i % 4096 == 0 || i + 1 == keys {
            let records = engine.take_records();
            overflows += records
                .iter()
                .filter(|r| engine.to_json(r).starts_with(r#"{"kind":"overflow""#))
                .count();
        }
        if (i + 1) % (keys / 4).max(1) == 0 {
            let (now, peak) = rss();
            println!(
                "{:>12} {:>10} {:>10} {:>10.2} {:>10.1} {:>10.1}",
                i + 1,
                engine.live_keys(),
                overflows,
                started.elapsed().as_secs_f64(),
                now,
                peak
            );
        }
    }
}
