//! `vigil-service`: the rules at PATHS behind HTTP.
//!
//! ```sh
//! cargo run --release -p vigil-service -- rules/ --listen 127.0.0.1:8080 --lateness 10s
//! curl -N localhost:8080/alerts &
//! curl --data-binary @examples/city-1day.jsonl localhost:8080/events
//! ```

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use vigil_service::{Options, Service, router};

const USAGE: &str = "usage: vigil-service [--listen ADDR] [--lateness DURATION] PATHS...";

#[tokio::main]
async fn main() -> ExitCode {
    let mut listen: SocketAddr = ([127, 0, 0, 1], 8080).into();
    let mut lateness_ms = 0;
    let mut paths = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--listen" => match args.next().map(|a| a.parse()) {
                Some(Ok(a)) => listen = a,
                _ => return usage("--listen needs an address such as 127.0.0.1:8080"),
            },
            "--lateness" => {
                match args
                    .next()
                    .map(|d| vigil_ir::time::parse_duration_literal(&d))
                {
                    Some(Ok(ms)) => lateness_ms = ms,
                    _ => return usage("--lateness needs a duration such as 10s"),
                }
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            _ => paths.push(PathBuf::from(arg)),
        }
    }
    if paths.is_empty() {
        return usage("no rule set given");
    }
    let service = match Service::new(Options { paths, lateness_ms }) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let listener = match tokio::net::TcpListener::bind(listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: cannot listen on {listen}: {e}");
            return ExitCode::FAILURE;
        }
    };
    eprintln!("vigil-service listening on http://{listen}");
    // No graceful shutdown: server-sent event streams never end by themselves, so waiting for
    // them would keep the process alive after Ctrl-C.
    if let Err(e) = axum::serve(listener, router(service)).await {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn usage(why: &str) -> ExitCode {
    eprintln!("error: {why}\n{USAGE}");
    ExitCode::from(2)
}
