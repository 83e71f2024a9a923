//! Vigil's runtime: runs a compiled rule set (`vigil_ir::Program`) over a stream of
//! events and produces alert and transition records. It never links the compiler: a program
//! comes from `vigil_compiler` in the same process, or from a bundle.
//!
//! ```
//! use std::sync::Arc;
//! use vigil_compiler::load::compile_sources as compile;
//! use vigil_runtime::{Engine, EngineConfig};
//!
//! let program = compile(&[(
//!     "rules.vigil",
//!     r#"
//!     unit desk
//!     event Call { caller: str, minutes: int }
//!     rule long_call {
//!       when c: Call where c.minutes >= 30
//!       alert desk message "{c.caller} talked for {c.minutes} minutes"
//!     }
//!     "#,
//! )])
//! .expect("the rule set checks");
//! let mut engine = Engine::new(Arc::new(program), EngineConfig::default());
//! engine.push_line(br#"{"type":"Call","time":"2021-11-25T19:00:00Z","caller":"+86170","minutes":45}"#);
//! engine.finish();
//! let records = engine.take_records();
//! assert_eq!(records.len(), 1);
//! let json = engine.to_json(&records[0]);
//! assert!(json.contains(r#""message":"+86170 talked for 45 minutes""#));
//! ```

#![deny(missing_docs)]

mod actions;
pub mod coverage;
mod engine;
pub mod explain;
#[doc(hidden)]
pub mod fuzzing;
mod host;
mod ingest;
pub mod instance;
mod interp;
mod jit;
mod json;
mod lines;
mod observe;
pub mod partition;
pub mod pipeline;
mod plan;
mod record;
mod redact;
mod row;
mod rules;
mod rulesets;
mod sequence;
mod snapshot;
pub mod store;
pub mod testing;
mod timers;
mod windows;
mod workflow;

pub use engine::{Engine, EngineConfig, EngineKind, Pushed, Stats};
pub use ingest::{Decoded, LineDecoder, Reject, RejectKind};
pub use lines::{DEFAULT_MAX_LINE, Line, LineReader};
pub use record::{AlertRecord, Origin, OrphanRecord, OverflowRecord, Record, TransitionRecord};
pub use row::{Event, Key, Kind, Layout, Row, RowBuffers, RowBuilder, Source};
pub use rulesets::{NotFound, RELOAD, Rulesets, reload_line};
pub use snapshot::SnapshotError;
pub use workflow::workdays_due;

impl Engine {
    /// A record as one JSON line (no newline), times in the rule set's time zone.
    pub fn to_json(&self, record: &Record) -> String {
        self.writer(record.ruleset()).json(record)
    }

    /// A value as a rule author writes it: strings quoted, enum values by name, durations
    /// as `1h30m`, times in RFC 3339 in the rule set's zone, `absent` for a missing value
    /// (`vigil_ir::text::write_literal`).
    pub fn literal(&self, v: &vigil_ir::Value, ty: &vigil_ir::Ty) -> String {
        use vigil_ir::text::{LiteralStyle, write_literal};
        let mut o = String::new();
        let style = LiteralStyle {
            tz: &self.tables.tz,
            qualified_enums: false,
        };
        write_literal(&mut o, &*self.program, style, ty, v);
        o
    }

    /// What writes the records of rule set `ruleset`: the running one, or one reloaded away
    /// from whose records may still be written (`Engine::reload`).
    fn made_by(
        &self,
        ruleset: &str,
    ) -> (
        &vigil_ir::Program,
        &interp::Tables,
        &std::collections::HashMap<std::sync::Arc<str>, redact::Reads>,
    ) {
        if *self.fingerprint != *ruleset
            && let Some(r) = (self.retired.iter().rev()).find(|r| r.program.fingerprint == ruleset)
        {
            return (&r.program, &r.tables, &r.reads);
        }
        (&self.program, &self.tables, &self.reads)
    }

    fn writer(&self, ruleset: &str) -> record::Writer<'_> {
        let (program, tables, _) = self.made_by(ruleset);
        record::Writer { program, tables }
    }

    /// Appends a record as one JSON line (no newline) to `out`: for writers that reuse one
    /// buffer.
    pub fn write_json(&self, record: &Record, out: &mut String) {
        self.writer(record.ruleset()).write_json(record, out)
    }

    /// An alert as delivered to `unit`: its evidence limited to what the unit sees, as the
    /// rule set that raised it says. `None` when that rule set has no such unit.
    pub fn to_json_for_unit(&self, alert: &AlertRecord, unit: &str) -> Option<String> {
        let name = match &alert.origin {
            Origin::Rule(r) => r,
            Origin::Workflow { workflow, .. } => workflow,
        };
        let (program, tables, reads) = self.made_by(&alert.ruleset);
        let unit = program.units.iter().position(|u| u.name == unit)?;
        let unit = u32::try_from(unit).ok()?;
        let redaction = reads
            .get(name)
            .map(|r| r.redaction(program, unit))
            .unwrap_or_default();
        Some(record::Writer { program, tables }.alert_for_unit(alert, unit, &redaction))
    }
}
