//! States the code rules out but the compiler cannot see are ruled out. `impossible!` marks
//! them: a debug build (every test) panics there, so a broken invariant is found at once; a
//! release build counts it, keeps the first message, and carries on with the fallback the
//! caller gives, so one bad state never takes an operations centre's engine down. The CLI
//! reports the count at the end of a run (`vigil_ir::impossible::reported`).

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

static COUNT: AtomicU64 = AtomicU64::new(0);
static FIRST: Mutex<Option<String>> = Mutex::new(None);

/// Marks a state that cannot happen: panics in debug builds, is counted in release builds.
/// Takes `format!` arguments.
#[macro_export]
macro_rules! impossible {
    ($($arg:tt)*) => {{
        if cfg!(debug_assertions) {
            ::std::panic!("impossible: {}", ::std::format_args!($($arg)*));
        } else {
            $crate::impossible::record(::std::format_args!($($arg)*));
        }
    }};
}

#[doc(hidden)]
pub fn record(what: std::fmt::Arguments<'_>) {
    if COUNT.fetch_add(1, Ordering::Relaxed) == 0
        && let Ok(mut first) = FIRST.lock()
    {
        *first = Some(what.to_string());
    }
}

/// How many impossible states this process met, and the first one's message.
pub fn reported() -> Option<(u64, String)> {
    let n = COUNT.load(Ordering::Relaxed);
    if n == 0 {
        return None;
    }
    let first = FIRST
        .lock()
        .ok()
        .and_then(|f| f.clone())
        .unwrap_or_default();
    Some((n, first))
}
