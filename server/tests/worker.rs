//! The worker over the in-memory transport: killed at any point and started again, or
//! replaced by another worker, it publishes exactly the records, units' copies and rejects of
//! one uninterrupted run, in order; a replaced worker stops at its next checkpoint; ticks fire
//! deadlines on a quiet feed.

// Test code: a failed unwrap, index or assertion stops the test right there.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use common::{Rng, city, config, reference, reference_with};
use vigil_runtime::EngineConfig;
use vigil_server::memory::{MemoryCheckpoints, MemoryInput, MemoryOutput};
use vigil_server::{Checkpoint, Checkpoints, Error, Output, Published, Subject, Worker};

/// Every subject's lines as the transport holds them.
fn published(output: &MemoryOutput) -> BTreeMap<Subject, Vec<String>> {
    output
        .subjects()
        .into_iter()
        .map(|s| {
            let lines = output.lines(&s);
            (s, lines)
        })
        .collect()
}

/// Half the seeds decode every read ahead on a second thread, the others none.
fn ahead(seed: u64) -> usize {
    if seed.is_multiple_of(2) {
        0
    } else {
        usize::MAX
    }
}

/// The lines as messages of 1 to 40 lines each, as producers batch them.
fn messages(lines: &[String], rng: &mut Rng) -> MemoryInput {
    let input = MemoryInput::default();
    let mut i = 0;
    while i < lines.len() {
        let n = (1 + rng.below(40) as usize).min(lines.len() - i);
        let mut payload = lines[i..i + n].join("\n");
        if rng.below(2) == 0 {
            payload.push('\n');
        }
        input.append(payload);
        i += n;
    }
    input
}

#[test]
fn a_worker_killed_anywhere_publishes_every_record_once_in_order() {
    let (program, lines) = city();
    let want = reference(&program, lines.iter().map(String::as_str));
    assert!(want[&Subject::Records].len() > 100, "{want:?}");
    assert!(
        want.len() > 10,
        "records, rejects and many units: {:?}",
        want.keys()
    );
    for seed in [1u64, 2, 3] {
        let mut rng = Rng(seed);
        let input = messages(&lines, &mut rng);
        let output = MemoryOutput::default();
        let checkpoints = MemoryCheckpoints::default();
        let every = 1 + rng.below(9);
        let start = || {
            Worker::start(
                program.clone(),
                config(),
                input.clone(),
                output.clone(),
                checkpoints.clone(),
                every,
            )
            .expect("starts")
            .with_decode_ahead(ahead(seed))
        };
        let mut worker = start();
        let mut kills = 0;
        loop {
            let n = worker.poll(1 + rng.below(20) as usize).expect("polls");
            if n == 0 {
                break;
            }
            // Killed between any two messages: after a publish, before its checkpoint.
            if rng.below(4) == 0 {
                drop(worker);
                worker = start();
                kills += 1;
            }
        }
        assert!(kills > 10, "seed {seed}: {kills} kills");
        assert_eq!(published(&output), want, "seed {seed}");
    }
}

/// An output that stores `left` more messages, then fails as a transport whose process died:
/// what was stored of a batch stays, the rest is not stored.
#[derive(Clone)]
struct Dying {
    output: MemoryOutput,
    left: Arc<AtomicU64>,
}

impl Output for Dying {
    fn last(&mut self, subject: &Subject) -> Result<u64, Error> {
        self.output.last(subject)
    }

    fn publish(&mut self, subject: &Subject, message: Published) -> Result<(), Error> {
        let left = self.left.load(Ordering::SeqCst);
        if left == 0 {
            return Err(Error::Transport("died".into()));
        }
        self.left.store(left - 1, Ordering::SeqCst);
        self.output.publish(subject, message)
    }
}

#[test]
fn a_worker_that_dies_half_way_through_publishing_a_batch_publishes_the_rest_once() {
    let (program, lines) = city();
    let want = reference(&program, lines.iter().map(String::as_str));
    for seed in [4u64, 5, 6] {
        let mut rng = Rng(seed);
        let input = messages(&lines, &mut rng);
        let output = Dying {
            output: MemoryOutput::default(),
            left: Arc::new(AtomicU64::new(u64::MAX)),
        };
        let checkpoints = MemoryCheckpoints::default();
        let every = 1 + rng.below(9);
        let start = || loop {
            // A start publishes what a restore reported, so it may die too.
            if let Ok(w) = Worker::start(
                program.clone(),
                config(),
                input.clone(),
                output.clone(),
                checkpoints.clone(),
                every,
            ) {
                break w.with_decode_ahead(ahead(seed));
            }
            output.left.store(u64::MAX, Ordering::SeqCst);
        };
        let mut worker = start();
        let mut deaths = 0;
        loop {
            // Batches of many messages, each publishing several subjects: a death a few
            // messages into a round leaves some subjects published and others not.
            output.left.store(rng.below(12), Ordering::SeqCst);
            match worker.poll(5 + rng.below(60) as usize) {
                Ok(0) => break,
                Ok(_) => {}
                Err(Error::Transport(_)) => {
                    deaths += 1;
                    output.left.store(u64::MAX, Ordering::SeqCst);
                    drop(worker);
                    worker = start();
                }
                Err(e) => panic!("seed {seed}: {e}"),
            }
        }
        assert!(deaths > 10, "seed {seed}: {deaths} deaths");
        assert_eq!(published(&output.output), want, "seed {seed}");
    }
}

#[test]
fn a_replaced_worker_stops_at_its_next_checkpoint_and_its_successor_goes_on() {
    let (program, lines) = city();
    let want = reference(&program, lines.iter().map(String::as_str));
    let input = messages(&lines, &mut Rng(9));
    let (output, checkpoints) = (MemoryOutput::default(), MemoryCheckpoints::default());
    let start = || {
        Worker::start(
            program.clone(),
            config(),
            input.clone(),
            output.clone(),
            checkpoints.clone(),
            5,
        )
        .expect("starts")
    };
    let mut old = start();
    old.poll(30).expect("polls");
    // Another machine takes over while the old worker still runs.
    let mut new = start();
    let fenced = (0..20).find_map(|_| old.poll(1).err());
    assert!(matches!(fenced, Some(Error::Fenced(_))), "{fenced:?}");
    while new.poll(50).expect("polls") > 0 {}
    assert_eq!(published(&output), want);
}

#[test]
fn a_checkpoint_of_another_rule_set_or_a_corrupt_one_is_refused() {
    let (program, _) = city();
    let mut checkpoints = MemoryCheckpoints::default();
    let cp = Checkpoint {
        seq: 3,
        records: 0,
        fingerprint: "sha256:other".into(),
        snapshot: Vec::new(),
    };
    checkpoints.save(&cp, None).expect("saves");
    let start = |c: MemoryCheckpoints| {
        Worker::start(
            program.clone(),
            config(),
            MemoryInput::default(),
            MemoryOutput::default(),
            c,
            1,
        )
    };
    let refused = start(checkpoints.clone()).err();
    assert!(
        matches!(&refused, Some(Error::State(why)) if why.contains("sha256:other")),
        "{refused:?}"
    );
    let cp = Checkpoint {
        fingerprint: program.fingerprint.clone(),
        snapshot: b"not a snapshot".to_vec(),
        ..cp
    };
    checkpoints.save(&cp, Some(1)).expect("saves");
    let refused = start(checkpoints).err();
    assert!(
        matches!(&refused, Some(Error::State(why)) if why.starts_with("corrupt checkpoint")),
        "{refused:?}"
    );
}

#[test]
fn ticks_in_the_input_fire_a_deadline_on_a_quiet_feed() {
    let program = vigil_compiler::load::compile_sources(&[(
        "ring.vigil",
        "unit desk\nevent Incident { case: str }\nevent Ack { case: str }\n\
         workflow ring {\n  start on i: Incident by i.case\n  state raised {\n    on Ack -> done\n    after 1m alert desk message \"{i.case} not acknowledged\"\n  }\n  final done\n}\n",
    )])
    .expect("rules");
    let input = MemoryInput::default();
    let output = MemoryOutput::default();
    let mut worker = Worker::start(
        Arc::new(program),
        EngineConfig::default(),
        input.clone(),
        output.clone(),
        MemoryCheckpoints::default(),
        1,
    )
    .expect("starts");
    input.append(r#"{"type":"Incident","time":"2022-03-01T03:00:00Z","case":"A"}"#);
    worker.poll(10).expect("polls");
    input.append(r#"{"type":"$tick","time":"2022-03-01T03:00:59Z"}"#);
    worker.poll(10).expect("polls");
    let records = output.lines(&Subject::Records);
    assert_eq!(records.len(), 1, "only the start: {records:?}");
    // The next tick is past the deadline: the alert goes out with no other event.
    input.append(r#"{"type":"$tick","time":"2022-03-01T03:01:00Z"}"#);
    worker.poll(10).expect("polls");
    let records = output.lines(&Subject::Records);
    assert_eq!(records.len(), 2, "{records:?}");
    assert_eq!(output.lines(&Subject::Unit("desk".into())).len(), 1);
    assert!(records[1].contains("A not acknowledged"), "{records:?}");
    assert!(
        records[1].contains(r#""time":"2022-03-01T03:01:00Z""#),
        "{records:?}"
    );
}

/// A server started with an edited rule set goes on from the checkpoint of the old one, as
/// `vigil run --state` does: the workflow instance keeps its timer, the alert says what the
/// new version says, and an instance whose state is gone is reported as an orphan record
/// before anything else.
#[test]
fn an_edited_rule_set_goes_on_from_the_old_ones_checkpoint() {
    let ring = |message: &str, state: &str| {
        let source = format!(
            "unit desk\nevent Incident {{ case: str }}\nevent Ack {{ case: str }}\n\
             workflow ring {{\n  start on i: Incident by i.case\n  state {state} {{\n    on Ack -> done\n    after 1m alert desk message \"{message} {{i.case}}\"\n  }}\n  final done\n}}\n"
        );
        Arc::new(vigil_compiler::load::compile_sources(&[("ring.vigil", &source)]).expect("rules"))
    };
    let input = MemoryInput::default();
    let output = MemoryOutput::default();
    let checkpoints = MemoryCheckpoints::default();
    let start_every = |program: Arc<vigil_ir::Program>, every: u64| {
        Worker::start(
            program,
            EngineConfig::default(),
            input.clone(),
            output.clone(),
            checkpoints.clone(),
            every,
        )
    };
    let start = |program| start_every(program, 1);
    // v1 publishes past its last checkpoint and is killed: v2 cannot go on from there (it
    // would number other records as those), until v1 ran again and checkpointed.
    let v1 = ring("not acknowledged:", "raised");
    let mut worker = start_every(v1.clone(), 1000).expect("starts");
    assert_eq!(worker.upgraded_from(), None);
    input.append(r#"{"type":"Incident","time":"2022-03-01T03:00:00Z","case":"A"}"#);
    worker.poll(10).expect("polls");
    drop(worker);
    let v2 = ring("still not acknowledged:", "raised");
    let refused = start(v2.clone()).err();
    assert!(
        matches!(&refused, Some(Error::State(why)) if why.contains("past its last checkpoint")),
        "{refused:?}"
    );
    let mut worker = start_every(v1.clone(), 1000).expect("starts");
    worker.poll(10).expect("polls");
    worker.checkpoint().expect("checkpoints");
    drop(worker);

    let mut worker = start(v2.clone()).expect("goes on with the edited rule set");
    assert_eq!(worker.upgraded_from(), Some(v1.fingerprint.as_str()));
    input.append(r#"{"type":"$tick","time":"2022-03-01T03:01:00Z"}"#);
    input.append(r#"{"type":"Incident","time":"2022-03-01T03:02:00Z","case":"B"}"#);
    worker.poll(10).expect("polls");
    let records = output.lines(&Subject::Records);
    assert_eq!(records.len(), 3, "{records:?}");
    assert!(
        records[1].contains("still not acknowledged: A"),
        "{records:?}"
    );
    assert!(records[1].contains(&v2.fingerprint), "{records:?}");
    drop(worker);

    // The state A and B wait in is gone in v3: both are orphans, published as it starts.
    let v3 = ring("not acknowledged:", "open");
    let worker = start(v3).expect("goes on");
    let records = output.lines(&Subject::Records);
    assert_eq!(records.len(), 5, "{records:?}");
    for (record, key) in records[3..].iter().zip(["A", "B"]) {
        assert!(record.contains(r#""kind":"orphan""#), "{records:?}");
        assert!(record.contains(&format!(r#""key":"{key}""#)), "{records:?}");
    }
    drop(worker);
}

/// A `$reload` line in the input switches rule sets at its place, for a worker killed
/// anywhere too: one started again with the old rule set after the reload goes on with the
/// reloaded one, and everything published equals one engine over the whole input.
#[test]
fn a_reload_in_the_input_holds_across_kills_and_restarts() {
    let rules = |message: &str, extra: &str| {
        let source = format!(
            "unit desk\nunit patrol\nevent Incident {{ case: str, street: str }}\n\
             event Ack {{ case: str }}\n\
             rule busy {{\n  when i: Incident group by i.street within 10m having count() >= 3\n  \
             alert desk message \"{message} {{key}}\"\n  suppress for 5m\n}}\n\
             workflow ring {{\n  start on i: Incident by i.case\n  state raised {{\n    \
             on Ack -> done\n    after 1m alert patrol message \"{message} {{i.case}}\"\n  }}\n  \
             final done\n}}\n{extra}"
        );
        Arc::new(vigil_compiler::load::compile_sources(&[("ring.vigil", &source)]).expect("rules"))
    };
    let v1 = rules("v1", "");
    let v2 = rules(
        "v2",
        "unit school\nrule acked {\n  when a: Ack\n  alert school message \"ack {a.case}\"\n}\n\
         event Visit { case: str }\n\
         rule visited {\n  when v: Visit\n  alert school message \"visit {v.case}\"\n}\n",
    );
    let found = v2.clone();
    let rulesets = vigil_runtime::Rulesets::new(move |fp| {
        (fp == found.fingerprint)
            .then(|| found.clone())
            .ok_or_else(|| vigil_runtime::NotFound::Missing(fp.to_string()))
    });
    let config = EngineConfig {
        rulesets: Some(rulesets),
        ..config()
    };
    let mut rng = Rng(7);
    let mut lines = Vec::new();
    for n in 0..1500u64 {
        let time = 1_646_100_000_000 + n as i64 * 7_000;
        let case = rng.below(300);
        // Visits are a type of the new rule set only: rejected before the reload, and
        // decoded with the new rule set after it.
        let line = if rng.below(8) == 0 {
            format!(r#"{{"type":"Visit","time":{time},"case":"c{case}"}}"#)
        } else if rng.below(3) == 0 {
            format!(r#"{{"type":"Ack","time":{time},"case":"c{case}"}}"#)
        } else {
            let street = rng.below(5);
            format!(r#"{{"type":"Incident","time":{time},"case":"c{case}","street":"s{street}"}}"#)
        };
        lines.push(line);
        if n == 700 {
            lines.push(format!(
                r#"{{"type":"$reload","ruleset":"{}"}}"#,
                v2.fingerprint
            ));
        }
    }
    let want = reference_with(&v1, config.clone(), lines.iter().map(String::as_str));
    let without = reference(&v1, lines.iter().map(String::as_str));
    assert_ne!(want, without, "the reload changed what is published");
    assert!(
        want.contains_key(&Subject::Unit("school".into())),
        "{:?}",
        want.keys()
    );
    assert!(
        want[&Subject::Records]
            .iter()
            .any(|r| r.contains(&v2.fingerprint)),
        "records of the new rule set"
    );

    for seed in [1u64, 2] {
        let mut rng = Rng(seed);
        let input = messages(&lines, &mut rng);
        let output = MemoryOutput::default();
        let checkpoints = MemoryCheckpoints::default();
        let every = 1 + rng.below(5);
        // Always started with the old rule set, as a restart with the same command would be.
        let start = || {
            Worker::start(
                v1.clone(),
                config.clone(),
                input.clone(),
                output.clone(),
                checkpoints.clone(),
                every,
            )
            .expect("starts")
            .with_decode_ahead(ahead(seed))
        };
        let mut worker = start();
        let (mut kills, mut kept) = (0, 0);
        while worker.poll(1 + rng.below(3) as usize).expect("polls") > 0 {
            if rng.below(2) == 0 {
                drop(worker);
                worker = start();
                kills += 1;
                kept += usize::from(worker.kept_reloaded() == Some(v2.fingerprint.as_str()));
            }
        }
        assert!(
            kills > 10 && kept > 0,
            "seed {seed}: {kills} kills, {kept} after the reload"
        );
        assert_eq!(worker.engine().program().fingerprint, v2.fingerprint);
        assert_eq!(published(&output), want, "seed {seed}");
    }
}
