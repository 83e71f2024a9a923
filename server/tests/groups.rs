//! A run split over key groups, over the in-memory transport (issue 23): the router and one
//! worker per target, each killed at random between messages and started again from its
//! checkpoint, publish together what one worker publishes — the same records and units'
//! copies (each target's in an order of its own), the same rejects in the same order.

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

use common::{Rng, config, reference};
use vigil_runtime::partition::{Partition, Target};
use vigil_server::memory::{MemoryCheckpoints, MemoryInput, MemoryOutput, MemorySubject};
use vigil_server::{Error, RouterWorker, Subject, Worker};

/// The bundled day and a tick past its end, which releases what lateness holds back.
fn city_ended() -> (Arc<vigil_ir::Program>, Vec<String>) {
    let (program, mut lines) = common::city();
    lines.push(r#"{"type":"$tick","time":"2022-03-03T00:00:00Z"}"#.into());
    (program, lines)
}

type Group = Worker<MemorySubject, MemoryOutput, MemoryCheckpoints>;

/// One target's transport: its output and checkpoints outlive its worker.
struct Part {
    target: Target,
    output: MemoryOutput,
    checkpoints: MemoryCheckpoints,
    worker: Option<Group>,
}

#[test]
fn router_and_groups_killed_anywhere_publish_the_records_of_one_worker() {
    let (program, lines) = city_ended();
    let want = reference(&program, lines.iter().map(String::as_str));
    for (seed, groups) in [(1u64, 1u32), (2, 3), (3, 7)] {
        let mut rng = Rng(seed);
        let input = MemoryInput::default();
        for m in lines.chunks(1 + rng.below(40) as usize) {
            input.append(m.join("\n"));
        }
        let partition = Arc::new(Partition::new(program.clone(), groups));
        let routes = MemoryOutput::default();
        let router_checkpoints = MemoryCheckpoints::default();
        let every = 1 + rng.below(5);
        let start_router = || {
            RouterWorker::start(
                partition.clone(),
                (10_000, None),
                input.clone(),
                routes.clone(),
                router_checkpoints.clone(),
                every,
            )
            .expect("the router starts")
        };
        let start = |part: &Part| {
            Worker::start_group(
                partition.clone(),
                part.target,
                config(),
                routes.input(Subject::Route(part.target)),
                part.output.clone(),
                part.checkpoints.clone(),
                every,
            )
            .expect("a group starts")
        };
        let mut parts: Vec<Part> = Target::all(groups)
            .map(|target| Part {
                target,
                output: MemoryOutput::default(),
                checkpoints: MemoryCheckpoints::default(),
                worker: None,
            })
            .collect();
        let mut router = start_router();
        let mut kills = 0;
        // Turns at random until a whole round finds nothing left to do.
        loop {
            let mut busy = 0;
            for _ in 0..=parts.len() {
                let k = rng.below(parts.len() as u64 + 1) as usize;
                let max = 1 + rng.below(6) as usize;
                let killed = rng.below(4) == 0;
                if k == parts.len() {
                    busy += router.poll(max).expect("routes");
                    if killed {
                        drop(router);
                        router = start_router();
                        kills += 1;
                    }
                    continue;
                }
                let part = &mut parts[k];
                let mut worker = part.worker.take().unwrap_or_else(|| start(part));
                busy += worker.poll(max).expect("applies");
                if killed {
                    kills += 1;
                } else {
                    part.worker = Some(worker);
                }
            }
            if busy == 0 {
                // Nothing in a round of random turns: make sure with one of each.
                let mut left = router.poll(1).expect("routes");
                for part in &mut parts {
                    let mut worker = part.worker.take().unwrap_or_else(|| start(part));
                    left += worker.poll(1).expect("applies");
                    part.worker = Some(worker);
                }
                if left == 0 {
                    break;
                }
            }
        }
        assert!(kills > 20, "seed {seed}: {kills} kills");

        // The rejects are the router's, in input order; records and copies come from every
        // target, each target's in its own order.
        let mut got: BTreeMap<Subject, Vec<String>> = BTreeMap::new();
        got.insert(Subject::Rejects, routes.lines(&Subject::Rejects));
        for part in &parts {
            for subject in part.output.subjects() {
                got.entry(subject.clone())
                    .or_default()
                    .extend(part.output.lines(&subject));
            }
        }
        let sorted = |m: &BTreeMap<Subject, Vec<String>>| {
            m.iter()
                .map(|(s, l)| {
                    let mut l = l.clone();
                    if *s != Subject::Rejects {
                        l.sort();
                    }
                    (s.clone(), l)
                })
                .collect::<BTreeMap<_, _>>()
        };
        assert_eq!(sorted(&got), sorted(&want), "seed {seed}, G = {groups}");
        let busy_targets = parts
            .iter()
            .filter(|p| !p.output.subjects().is_empty())
            .count();
        assert!(
            groups == 1 || busy_targets > 2,
            "G = {groups}: records from {busy_targets} targets"
        );
    }
}

/// A checkpoint of another placement or group count is refused, by the router and by a
/// target's worker: its keys were grouped otherwise.
#[test]
fn a_checkpoint_of_another_group_count_is_refused() {
    let (program, lines) = city_ended();
    let input = MemoryInput::default();
    for m in lines.chunks(100).take(5) {
        input.append(m.join("\n"));
    }
    let routes = MemoryOutput::default();
    let (router_checkpoints, group_checkpoints) =
        (MemoryCheckpoints::default(), MemoryCheckpoints::default());
    let three = Arc::new(Partition::new(program.clone(), 3));
    let four = Arc::new(Partition::new(program.clone(), 4));
    let mut router = RouterWorker::start(
        three.clone(),
        (10_000, None),
        input.clone(),
        routes.clone(),
        router_checkpoints.clone(),
        1,
    )
    .expect("starts");
    assert_eq!(router.poll(10).expect("routes"), 5);
    let target = Target::Group(0);
    let mut group = Worker::start_group(
        three,
        target,
        config(),
        routes.input(Subject::Route(target)),
        MemoryOutput::default(),
        group_checkpoints.clone(),
        1,
    )
    .expect("starts");
    assert!(group.poll(10).expect("applies") > 0);

    let refused = RouterWorker::start(
        four.clone(),
        (10_000, None),
        input,
        routes.clone(),
        router_checkpoints,
        1,
    )
    .err()
    .expect("refused");
    assert!(
        matches!(refused, Error::State(ref why) if why.contains("group count")),
        "{refused}"
    );
    let refused = Worker::start_group(
        four,
        target,
        config(),
        routes.input(Subject::Route(target)),
        MemoryOutput::default(),
        group_checkpoints,
        1,
    )
    .err()
    .expect("refused");
    assert!(
        matches!(refused, Error::State(ref why) if why.contains("group count")),
        "{refused}"
    );
}
