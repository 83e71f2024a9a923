//! Random sessions against the language server on a copy of the rules library
//! (`lsp/tests/common/edits.rs`): opens, closes, full and incremental edits and requests,
//! no panic, no hang (every answer within 20 s), and at the end the published diagnostics
//! equal a fresh check of the same texts.
#![no_main]

#[path = "../../lsp/tests/common/mod.rs"]
#[allow(dead_code)]
mod client;

use std::path::PathBuf;
use std::sync::OnceLock;

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime")
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let library = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../rules");
    runtime().block_on(client::edits::session(&library, data));
});
