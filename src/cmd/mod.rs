//! One module per subcommand.

pub mod check;
pub mod fmt;

/// Prints an error about the command line or the file system and returns exit status 2.
pub fn fail(message: impl std::fmt::Display) -> std::process::ExitCode {
    eprintln!("error: {message}");
    std::process::ExitCode::from(2)
}
