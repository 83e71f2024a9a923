//! `vigil serve`'s log: `tracing` events on standard error, as text for a person or as one
//! JSON object per line for a log collector (`--log-format json`), with their fields (rule
//! set, input position, subject, error) apart from the message.

/// How the log is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

/// Sends `tracing` events to standard error from now on: Vigil's from info up, the
/// libraries' (the compiler's query engine, the NATS client) from warnings up.
pub fn init(format: Format) {
    use tracing::Level;
    use tracing_subscriber::filter::Targets;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let targets = Targets::new()
        .with_target("vigil", Level::INFO)
        .with_target("vigil_server", Level::INFO)
        .with_default(Level::WARN);
    let builder = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false);
    // Another subscriber already set (a test) keeps its place.
    let _ = match format {
        Format::Text => builder.finish().with(targets).try_init(),
        Format::Json => builder
            .json()
            .flatten_event(true)
            .finish()
            .with(targets)
            .try_init(),
    };
}
