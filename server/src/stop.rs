//! SIGTERM and SIGINT ask `vigil serve` to stop between two input messages, after a
//! checkpoint: the output then holds nothing past it, and another version of the rule set can
//! go on from there (`Worker::start`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once SIGTERM or SIGINT arrived.
#[derive(Clone, Default)]
pub struct Stop(Arc<AtomicBool>);

impl Stop {
    /// Watches for the signals on a thread of its own.
    pub fn on_signals() -> std::io::Result<Stop> {
        use tokio::signal::unix::{SignalKind, signal};
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        // Registered here, before the thread starts, so that no signal is missed.
        let (mut term, mut int) = rt.block_on(async {
            Ok::<_, std::io::Error>((
                signal(SignalKind::terminate())?,
                signal(SignalKind::interrupt())?,
            ))
        })?;
        let stop = Stop::default();
        let flag = stop.0.clone();
        std::thread::Builder::new()
            .name("vigil-signals".into())
            .spawn(move || {
                rt.block_on(futures_util::future::select(
                    Box::pin(term.recv()),
                    Box::pin(int.recv()),
                ));
                flag.store(true, Ordering::SeqCst);
            })?;
        Ok(stop)
    }

    /// Asks for a stop, as a signal would (a server giving up one of its parts).
    pub fn ask(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn requested(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}
