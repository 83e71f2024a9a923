//! What `vigil serve` shows on `/metrics`, in the Prometheus text format: the worker counts
//! what it publishes, the serving loop sets the gauges. Counters start at zero with the
//! process, as Prometheus expects; the run's own totals are in its records.

use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use vigil_runtime::{AlertRecord, Origin, RejectKind};

type Labels<const N: usize> = [(&'static str, String); N];

/// The server's metrics; shared between the serving loop and the HTTP thread.
pub struct Metrics {
    registry: Registry,
    lines: Counter,
    rejects: Family<Labels<1>, Counter>,
    records: Counter,
    alerts: Family<Labels<2>, Counter>,
    /// Seconds from the engine's watermark to the wall clock.
    pub watermark_lag: Gauge<f64, AtomicU64>,
    checkpoints: Histogram,
    /// Live workflow instances.
    pub instances: Gauge,
    /// Input messages stored and not applied yet.
    pub consumer_lag: Gauge,
    /// 1 while this server holds the lease, 0 while it waits as a standby.
    pub active: Gauge,
}

impl Default for Metrics {
    fn default() -> Metrics {
        let mut registry = Registry::with_prefix("vigil");
        let lines = Counter::default();
        let rejects = Family::<Labels<1>, Counter>::default();
        let records = Counter::default();
        let alerts = Family::<Labels<2>, Counter>::default();
        let watermark_lag = Gauge::<f64, AtomicU64>::default();
        let checkpoints = Histogram::new(exponential_buckets(0.001, 2.0, 14));
        let instances = Gauge::default();
        let consumer_lag = Gauge::default();
        let active = Gauge::default();
        registry.register(
            "input_lines",
            "Input lines read (events, ticks and rejected lines)",
            lines.clone(),
        );
        registry.register("rejects", "Rejected input lines by reason", rejects.clone());
        registry.register(
            "records",
            "Records published (alerts, transitions, overflows, orphans)",
            records.clone(),
        );
        registry.register(
            "alerts",
            "Alerts delivered, by the rule or workflow that raised them and the unit",
            alerts.clone(),
        );
        registry.register(
            "watermark_lag_seconds",
            "How far the engine's event time is behind the wall clock",
            watermark_lag.clone(),
        );
        registry.register(
            "checkpoint_duration_seconds",
            "Time to write a checkpoint (snapshot and compare-and-set)",
            checkpoints.clone(),
        );
        registry.register(
            "workflow_instances",
            "Live workflow instances",
            instances.clone(),
        );
        registry.register(
            "consumer_lag_messages",
            "Input messages stored but not applied yet",
            consumer_lag.clone(),
        );
        registry.register(
            "active",
            "1 while this server holds the deployment's lease",
            active.clone(),
        );
        Metrics {
            registry,
            lines,
            rejects,
            records,
            alerts,
            watermark_lag,
            checkpoints,
            instances,
            consumer_lag,
            active,
        }
    }
}

impl Metrics {
    /// An input line was read.
    pub fn line(&self, reject: Option<RejectKind>) {
        self.lines.inc();
        if let Some(kind) = reject {
            self.rejects
                .get_or_create(&[("reason", kind.as_str().to_string())])
                .inc();
        }
    }

    /// `n` records were published.
    pub fn records(&self, n: usize) {
        self.records.inc_by(n as u64);
    }

    /// An alert went to `unit`.
    pub fn alert(&self, alert: &AlertRecord, unit: &str) {
        let origin = match &alert.origin {
            Origin::Rule(rule) => rule.to_string(),
            Origin::Workflow { workflow, state } => format!("{workflow}.{state}"),
        };
        self.alerts
            .get_or_create(&[("origin", origin), ("unit", unit.to_string())])
            .inc();
    }

    /// A checkpoint took `seconds`.
    pub fn checkpoint(&self, seconds: f64) {
        self.checkpoints.observe(seconds);
    }

    /// The text exposition format.
    pub fn text(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }
}
