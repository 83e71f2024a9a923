//! `vigil serve`'s core (SPEC §9; `SCALEOUT.md`, phase 0): one engine over an ordered input
//! log, whose records go to an output log *before* the input position is committed, with
//! checkpoints (engine snapshot, input position, records produced) written by
//! compare-and-set. A worker killed at any point and started again, here or on another
//! machine, publishes every record exactly once and in order: records already in the output
//! log are recognised by their index and skipped on replay (the replay is deterministic), and a
//! worker whose checkpoint or publish is refused has been replaced and stops.
//!
//! The transport is a trait (`log`): `memory` holds it in memory, for tests; `jetstream` is
//! NATS JetStream (streams, KV and object store, `Nats-Msg-Id`, expected-last-sequence
//! headers).

pub mod access;
mod cadence;
pub mod http;
pub mod jetstream;
pub mod log;
pub mod logging;
pub mod memory;
pub mod metrics;
mod outbox;
mod publisher;
pub mod router;
pub mod stop;
pub mod testing;
pub mod worker;

pub use log::{Checkpoint, Checkpoints, Error, Input, Message, Output, Published, Subject};
pub use router::RouterWorker;
pub use worker::Worker;
