//! Witnesses confirmed by the runtime: each version's condition, as a one-rule program, must
//! alert on a witness exactly when the search said it holds.

use std::sync::Arc;

use vigil_ir::Program;
use vigil_runtime::{Engine, EngineConfig, Record};

use crate::{Report, Search, Witness, witness};

/// The witnesses of one condition after verification.
pub struct Checked {
    /// Witnesses the runtime confirmed: at most one for each direction.
    pub witnesses: Vec<Witness>,
    /// Candidates from the search that the runtime did not confirm (a search bug if not 0).
    pub unverified: usize,
}

/// Runs a one-rule program on `lines`: whether its rule alerted.
fn alerts(probe: Program, lines: &[String]) -> bool {
    let mut engine = Engine::new(Arc::new(probe), EngineConfig::default());
    for l in lines {
        let _ = engine.push_line(l.as_bytes());
    }
    engine.finish();
    engine
        .take_records()
        .iter()
        .any(|r| matches!(r, Record::Alert(_)))
}

/// Keeps the witnesses of condition `i` that the runtime confirms.
pub fn verify(report: &Report, i: usize, old: Option<&Program>, new: Option<&Program>) -> Checked {
    let mut checked = Checked {
        witnesses: Vec::new(),
        unverified: 0,
    };
    let (Some(c), Some(old), Some(new)) = (report.conditions.get(i), old, new) else {
        return checked;
    };
    let Search::Done { witnesses, .. } = &c.search else {
        return checked;
    };
    let (Some(fa), Some(fb)) = (
        witness::locate(old, &c.old_site),
        witness::locate(new, &c.new_site),
    ) else {
        return checked;
    };
    let (pa, pb) = (
        witness::probe_program(fa.located()),
        witness::probe_program(fb.located()),
    );
    for w in witnesses {
        if checked.witnesses.iter().any(|v| v.new == w.new) {
            continue;
        }
        let ok = alerts(pa.clone(), &w.lines) == w.old && alerts(pb.clone(), &w.lines) == w.new;
        if ok {
            checked.witnesses.push(w.clone());
        } else {
            checked.unverified += 1;
        }
    }
    checked
}
