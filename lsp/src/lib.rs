//! `vigil-lsp`: the language server for Vigil rule sets, over the compiler's salsa database.
//!
//! Every answer comes from the compiler's queries (`vigil_compiler::db` and
//! `vigil_compiler::ide`); this crate only keeps documents in the database, runs queries off
//! the async runtime and converts results to LSP types (`convert`). It does not depend on the
//! runtime: the code lens on `test` blocks runs `vigil test`.

#![deny(missing_docs, unreachable_pub)]

mod convert;
mod handlers;
mod publish;
mod server;
mod state;
mod transport;

use std::process::ExitCode;

use tokio::io::{AsyncRead, AsyncWrite};

pub use server::{Backend, Config};
use tower_lsp_server::{ClientSocket, LspService, Server};

/// The server as a service, with the socket it sends notifications and requests through.
pub fn service(config: Config) -> (LspService<Backend>, ClientSocket) {
    let builder = LspService::build(move |client| Backend::new(client, config));
    server::with_custom_methods(builder).finish()
}

/// Serves one client on `input` and `output` until it says `exit` or closes `input`.
/// Malformed messages are logged and skipped.
pub async fn serve<I, O>(input: I, output: O, config: Config)
where
    I: AsyncRead + Unpin + Send + 'static,
    O: AsyncWrite + Unpin,
{
    let (service, socket) = service(config);
    Server::new(transport::checked(input), output, socket)
        .serve(service)
        .await;
}

/// Runs the server on standard input and output until the client says `exit`.
pub fn run_stdio() -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the language server: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(serve(
        tokio::io::stdin(),
        tokio::io::stdout(),
        Config::default(),
    ));
    // Standard input's blocking read cannot be cancelled, so the runtime is not dropped.
    std::process::exit(0)
}
