//! Bundles: a compiled rule set in one file, for services that run it without the compiler
//! (as OPA ships bundles). `vigil build` writes one; `vigil run --bundle` and
//! `Engine::from_bundle` read it.
//!
//! A bundle is one header line, `vigil-bundle <format> <fingerprint>`, then the program as
//! JSON: event types, lists, zones and calendar contents included, so nothing is read from the
//! disk when it runs. The header is read first, so a bundle of another format is refused with
//! both versions named before anything else is parsed.

use std::fmt;

use crate::Program;

/// The bundle format `encode` writes and `decode` reads. Change it whenever the IR's
/// serialized shape changes (a field added, renamed or retyped).
pub const BUNDLE_FORMAT: u32 = 3;

/// Older formats `decode` still reads: format 1 lacks workflow-level timers and timer
/// conditions, which read as none; formats 1 and 2 lack maps (none), and name alert
/// recipients and severities bare (`Recipient` and `SeverityOf` read both shapes).
const READS_FORMATS: [u32; 3] = [1, 2, BUNDLE_FORMAT];

const MAGIC: &str = "vigil-bundle";

/// Why a bundle could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BundleError {
    /// The bytes do not start with a bundle header.
    NotABundle,
    /// A bundle of another format version.
    Format { found: String },
    /// The header is right but the program is not.
    Corrupt(String),
}

impl fmt::Display for BundleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BundleError::NotABundle => {
                f.write_str("not a Vigil bundle (build one with `vigil build`)")
            }
            BundleError::Format { found } => write!(
                f,
                "bundle format {found}, but this Vigil reads bundle format {BUNDLE_FORMAT}: \
                 build the bundle again with this Vigil (`vigil build`)"
            ),
            BundleError::Corrupt(why) => write!(f, "corrupt bundle: {why}"),
        }
    }
}

impl std::error::Error for BundleError {}

/// The bundle of `program`.
pub fn encode(program: &Program) -> Vec<u8> {
    let mut out = format!("{MAGIC} {BUNDLE_FORMAT} {}\n", program.fingerprint).into_bytes();
    // Serializing plain data to a Vec cannot fail: every map key in the IR is a string.
    if let Err(e) = serde_json::to_writer(&mut out, program) {
        crate::impossible!("a program did not serialize: {e}");
    }
    out.push(b'\n');
    out
}

/// The program in a bundle.
pub fn decode(bytes: &[u8]) -> Result<Program, BundleError> {
    let newline = header_end(bytes).ok_or(BundleError::NotABundle)?;
    let (header, body) = bytes.split_at(newline);
    let header = std::str::from_utf8(header).map_err(|_| BundleError::NotABundle)?;
    let mut words = header.split(' ');
    if words.next() != Some(MAGIC) {
        return Err(BundleError::NotABundle);
    }
    let format = words.next().unwrap_or_default();
    if !READS_FORMATS.iter().any(|f| format == f.to_string()) {
        return Err(BundleError::Format {
            found: format.to_string(),
        });
    }
    let fingerprint = words.next().unwrap_or_default();
    let program: Program =
        serde_json::from_slice(body).map_err(|e| BundleError::Corrupt(e.to_string()))?;
    if program.fingerprint != fingerprint {
        return Err(BundleError::Corrupt(format!(
            "the header names rule set {fingerprint}, the program is {}",
            program.fingerprint
        )));
    }
    crate::validate::check(&program).map_err(BundleError::Corrupt)?;
    Ok(program)
}

/// Where the header line ends.
fn header_end(bytes: &[u8]) -> Option<usize> {
    // The header is short: no bundle's first line is longer than this.
    bytes.iter().take(256).position(|b| *b == b'\n')
}
