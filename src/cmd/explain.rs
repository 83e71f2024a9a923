//! `vigil explain`: why a rule fired on an event, and why it did not.
//!
//! With `--line N`, the event of line N in full: each clause of the condition with its value,
//! a window's contents and aggregates, a sequence's partial matches and what became of them.
//! Without it, a summary over the whole input: how often each clause was the one that failed.

use std::fmt::Write as _;
use std::fs::File;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use vigil_ir::{self as ir, ExprArena, ExprId, Node, Pattern, Program, Ty, Value};
use vigil_runtime::explain::{
    AtLine, ClauseValue, Detail, Explainer, FateKey, PartialView, SeqFate, StepRole, StepView,
    WindowView,
};
use vigil_runtime::{Engine, EngineConfig, EngineKind, Pushed, Reject};

use super::source::Sources;

#[derive(clap::Args)]
pub struct Args {
    /// Rule set: .vigil files and directories (searched recursively).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Events, one JSON object per line (as for `vigil run`).
    #[arg(long)]
    events: PathBuf,
    /// The rule to explain.
    #[arg(long, value_name = "NAME", required_unless_present = "workflow")]
    rule: Option<String>,
    /// Or a workflow instance: its history, where it stands, its pending timers, and why the
    /// events that came did not move it (with --key).
    #[arg(long, value_name = "NAME", conflicts_with_all = ["rule", "line"], requires = "key")]
    workflow: Option<String>,
    /// The instance's key (as the workflow's `by` computes it).
    #[arg(long, value_name = "KEY", requires = "workflow")]
    key: Option<String>,
    /// Explain the event on this line of the input (one-based). Without it: a summary over
    /// the whole input of how often each clause was the one that failed.
    #[arg(long, value_name = "N")]
    line: Option<u64>,
    /// How long to wait for out-of-order events, as for `vigil run`.
    #[arg(long, default_value = "0s")]
    lateness: String,
}

/// Window events listed before the list is cut.
const WINDOW_SHOWN: usize = 20;
/// Firings listed in a summary.
const FIRINGS_SHOWN: usize = 5;

pub fn run(args: Args) -> ExitCode {
    let program = match super::compile(&args.paths) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let lateness = match vigil_ir::time::parse_duration_literal(&args.lateness) {
        Ok(ms) => ms,
        Err(e) => return super::fail(format!("--lateness {}: {e}", args.lateness)),
    };
    if let (Some(w), Some(k)) = (&args.workflow, &args.key) {
        return super::explain_workflow::run(program, w, k, &args.events, lateness);
    }
    let name = args.rule.clone().unwrap_or_default();
    let Some((rule, _)) = program
        .rules
        .iter_enumerated()
        .find(|(_, r)| r.name == name)
    else {
        return super::fail(unknown_rule(&program, &name));
    };
    let file = match File::open(&args.events) {
        Ok(f) => f,
        Err(e) => return super::fail(format!("{}: {e}", args.events.display())),
    };
    let mut engine = Engine::new(
        program,
        EngineConfig {
            lateness,
            engine: EngineKind::Interp,
            ..EngineConfig::default()
        },
    );
    engine.explain(rule, args.line);
    let mut reader = vigil_runtime::LineReader::new(file);
    let mut rejected: Option<Reject> = None;
    let mut blank = false;
    loop {
        let line = match reader.next_line() {
            Ok(Some((line, _))) => line,
            Ok(None) => break,
            Err(e) => return super::fail(format!("{}: {e}", args.events.display())),
        };
        let pushed = engine.push(line);
        if Some(engine.lines()) == args.line {
            match pushed {
                Pushed::Rejected(r) => rejected = Some(r),
                Pushed::Blank => blank = true,
                Pushed::Accepted | Pushed::Reloaded(_) | Pushed::Unavailable(_) => {}
            }
        }
    }
    engine.finish();
    let lines = engine.lines();
    let Some(explanation) = engine.take_explanation() else {
        return super::fail("the engine lost the explanation");
    };
    let color = std::io::stdout().is_terminal();
    let Some(explained) = engine.program().rules.get(rule) else {
        return super::fail("the engine lost the rule it explained");
    };
    let mut report = Report {
        engine: &engine,
        program: engine.program(),
        rule: explained,
        sources: Sources::default(),
        color,
        out: String::new(),
    };
    report.heading();
    match args.line {
        Some(n) if n == 0 || n > lines => {
            return super::fail(format!(
                "--line {n}: {} has {lines} line{}",
                args.events.display(),
                if lines == 1 { "" } else { "s" }
            ));
        }
        Some(n) => {
            if let Some(r) = rejected {
                let _ = writeln!(report.out, "line {n} was rejected, so no rule saw it: {r}");
            } else if blank {
                let _ = writeln!(report.out, "line {n} is blank");
            } else {
                report.at_line(n, &explanation);
            }
        }
        None => report.summary(&explanation, &args.events),
    }
    for line in report.out.lines() {
        println!("{}", line.trim_end());
    }
    ExitCode::SUCCESS
}

/// "no rule `x`", with the closest names.
fn unknown_rule(program: &Program, name: &str) -> String {
    if program.workflows.iter().any(|w| w.name == name) {
        return format!(
            "`{name}` is a workflow: explain one of its instances with `--workflow {name} --key K`"
        );
    }
    let close: Vec<String> = vigil_compiler::diagnostics::closest(
        name,
        program.rules.iter().map(|r| r.name.as_str()),
        3,
    )
    .iter()
    .map(|n| format!("`{n}`"))
    .collect();
    match (close.is_empty(), program.rules.is_empty()) {
        (_, true) => format!("no rule `{name}`: the rule set has no rules"),
        (false, _) => format!("no rule `{name}`; did you mean {}?", close.join(" or ")),
        (true, _) => format!(
            "no rule `{name}`; the rules are: {}",
            program
                .rules
                .iter()
                .map(|r| r.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

struct Report<'a> {
    engine: &'a Engine,
    program: &'a Program,
    rule: &'a ir::Rule,
    sources: Sources,
    color: bool,
    out: String,
}

impl Report<'_> {
    fn heading(&mut self) {
        let o = &self.rule.origin;
        let _ = writeln!(
            self.out,
            "rule {} ({}:{}) — {}",
            self.rule.name,
            o.file,
            o.line,
            pattern_kind(&self.rule.pattern)
        );
    }

    fn mark(&self, ok: bool) -> &'static str {
        match (ok, self.color) {
            (true, true) => "\x1b[32m✓\x1b[0m",
            (false, true) => "\x1b[31m✗\x1b[0m",
            (true, false) => "✓",
            (false, false) => "✗",
        }
    }

    fn text(&mut self, id: ExprId) -> String {
        self.sources
            .snippet(&self.rule.origin, &self.rule.exprs, id)
            .1
    }

    fn literal(&self, v: &Value, ty: &Ty) -> String {
        self.engine.literal(v, ty)
    }

    fn value_of(&self, id: ExprId, v: &Value) -> String {
        self.literal(v, self.rule.exprs.ty(id))
    }

    fn time(&self, t: i64) -> String {
        self.literal(&Value::Time(t), &Ty::Time)
    }

    fn event_name(&self, ty: ir::EventTypeId) -> &str {
        self.program.event(ty).map_or("?", |e| e.name.as_str())
    }

    // -----------------------------------------------------------------------------------------
    // One event

    fn at_line(&mut self, n: u64, x: &Explainer) {
        let Some(at) = &x.at else {
            let _ = writeln!(
                self.out,
                "line {n}: the rule reads {} events; this line's event is not one of them",
                self.rule_types()
            );
            return;
        };
        let line = format!(
            "line {n}: {} at {}",
            self.event_name(at.event.ty),
            self.time(at.event.time)
        );
        let _ = writeln!(self.out, "{line}");
        self.verdict(n, at, x);
        let _ = writeln!(self.out);
        match &at.detail {
            Detail::Expired { at } => {
                let at = self.time(*at);
                let _ = writeln!(self.out, "  the rule expired at {at}: it no longer fires");
            }
            Detail::Single { cond } => match cond {
                Some(c) => self.condition("where", c, 1),
                None => {
                    let _ = writeln!(self.out, "  no condition: every event fires the rule");
                }
            },
            Detail::Window(w) => self.window(w),
            Detail::Sequence { steps, partials } => self.sequence(steps, partials, at),
        }
    }

    fn rule_types(&self) -> String {
        let mut names: Vec<&str> = Vec::new();
        for t in self.rule.pattern.event_types() {
            let name = self.event_name(t);
            if !names.contains(&name) {
                names.push(name);
            }
        }
        names.join(", ")
    }

    /// Whether the rule fired on the event, or later with it as evidence.
    fn verdict(&mut self, n: u64, at: &AtLine, x: &Explainer) {
        let line = if let Some(f) = at.fired.first() {
            let what = if f.suppressed {
                "fired, but `suppress` silenced it"
            } else {
                "fired"
            };
            format!(
                "result: {} {what} at {}{}",
                self.mark(!f.suppressed),
                self.time(f.time),
                self.key_text(f.key.as_ref())
            )
        } else if let Some(f) = x
            .firings
            .iter()
            .find(|f| f.time > at.event.time && f.lines.contains(&n))
        {
            format!(
                "result: {} did not fire on this event; it is evidence of the firing at {}{}{}",
                self.mark(false),
                self.time(f.time),
                self.key_text(f.key.as_ref()),
                if f.suppressed {
                    " (silenced by `suppress`)"
                } else {
                    ""
                }
            )
        } else {
            format!("result: {} did not fire", self.mark(false))
        };
        let _ = writeln!(self.out, "{line}");
    }

    fn key_text(&self, key: Option<&Value>) -> String {
        match key {
            Some(k) => format!(", key {}", self.key_literal(k)),
            None => String::new(),
        }
    }

    /// A key as a literal: its type is the pattern's key type.
    fn key_literal(&self, k: &Value) -> String {
        let ty = match &self.rule.pattern {
            Pattern::Window { key, .. } => self.rule.exprs.ty(*key).clone(),
            Pattern::Sequence { steps, .. } => steps
                .first()
                .map_or(Ty::Error, |s| self.rule.exprs.ty(s.key).clone()),
            Pattern::Single { .. } => Ty::Error,
        };
        self.literal(k, &ty)
    }

    /// A condition, clause by clause, under a heading indented by `depth`.
    fn condition(&mut self, heading: &str, c: &ClauseValue, depth: usize) {
        let pad = "  ".repeat(depth);
        let line = format!(
            "{pad}{heading}: {}",
            if c.holds() { "true" } else { "false" }
        );
        let _ = writeln!(self.out, "{line}");
        self.clause(c, depth + 1);
    }

    fn clause(&mut self, c: &ClauseValue, depth: usize) {
        let pad = "  ".repeat(depth);
        let mark = self.mark(c.holds());
        if !c.parts.is_empty() {
            let what = match self.rule.exprs.node(c.expr) {
                Node::And(..) => "all of",
                Node::Or(..) => "any of",
                _ => "not",
            };
            let _ = writeln!(self.out, "{pad}{mark} {what}");
            for p in &c.parts {
                self.clause(p, depth + 1);
            }
            return;
        }
        let text = self.text(c.expr);
        let mut facts: Vec<String> = Vec::new();
        for (e, v) in &c.operands {
            let name = self.text(*e);
            facts.push(format!("{name} = {}", self.value_of(*e, v)));
        }
        match &c.value {
            Err(e) => facts.push(format!("error: {}", e.as_str())),
            Ok(Value::Absent) => facts.push("absent, so false".into()),
            Ok(_) => {}
        }
        if facts.is_empty() {
            let _ = writeln!(self.out, "{pad}{mark} {text}");
        } else {
            let _ = writeln!(self.out, "{pad}{mark} {text:<40} {}", facts.join(", "));
        }
    }

    fn window(&mut self, w: &WindowView) {
        let Pattern::Window {
            key,
            within,
            aggregates,
            ..
        } = &self.rule.pattern
        else {
            return;
        };
        if let Some(c) = &w.cond {
            self.condition("where", c, 1);
            if !c.holds() {
                let _ = writeln!(self.out, "  the event does not join any window");
                return;
            }
        }
        let key_text = self.text(*key);
        match &w.key {
            None => {}
            Some(Err(e)) => {
                let _ = writeln!(self.out, "  key {key_text}: error: {}", e.as_str());
            }
            Some(Ok(k)) => {
                let k = self.value_of(*key, k);
                let _ = writeln!(self.out, "  key: {key_text} = {k}");
            }
        }
        if !w.joined {
            let _ = writeln!(
                self.out,
                "  the key or an aggregated value is absent: the event joins no window"
            );
            return;
        }
        let within = vigil_ir::time::format_duration(*within);
        let n = w.window.len();
        let _ = writeln!(
            self.out,
            "  window (the last {within}): {n} event{}",
            if n == 1 { "" } else { "s" }
        );
        for (i, e) in w.window.iter().enumerate() {
            if i == WINDOW_SHOWN.saturating_sub(1) && n > WINDOW_SHOWN {
                let _ = writeln!(self.out, "    … {} more", n - WINDOW_SHOWN);
            }
            if i >= WINDOW_SHOWN.saturating_sub(1) && i + 1 < n {
                continue;
            }
            let line = e
                .line()
                .map_or("derived".to_string(), |l| format!("line {l}"));
            let this = if i + 1 == n { "  ← this event" } else { "" };
            let _ = writeln!(self.out, "    {line:<10} {}{this}", self.time(e.time));
        }
        match &w.aggregates {
            Err(e) => {
                let _ = writeln!(self.out, "  aggregates: error: {}", e.as_str());
            }
            Ok(values) => {
                let _ = writeln!(self.out, "  aggregates");
                let mut shown: Vec<String> = Vec::new();
                for (i, (a, v)) in aggregates.iter().zip(values).enumerate() {
                    let text = self.aggregate_text(i, a);
                    if shown.contains(&text) {
                        continue;
                    }
                    shown.push(text.clone());
                    let ty = match a.arg {
                        Some(arg) if !matches!(a.kind, ir::AggKind::Distinct) => {
                            self.rule.exprs.ty(arg).clone()
                        }
                        _ => Ty::Int,
                    };
                    let ty = if a.kind == ir::AggKind::Avg && ty == Ty::Int {
                        Ty::Float
                    } else {
                        ty
                    };
                    let v = self.literal(v, &ty);
                    let _ = writeln!(self.out, "    {text} = {v}");
                }
            }
        }
        if let Some(h) = &w.having {
            self.condition("having", h, 1);
        }
    }

    /// The source text of aggregate `i`: the first `Node::Agg(i)` of the rule.
    fn aggregate_text(&mut self, i: usize, a: &ir::Aggregate) -> String {
        let node = self
            .rule
            .exprs
            .ids()
            .find(|id| matches!(self.rule.exprs.node(*id), Node::Agg(j) if *j as usize == i));
        match node {
            Some(id) => self.text(id),
            None => match a.arg {
                Some(arg) => format!("{}({})", a.kind.name(), self.text(arg)),
                None => format!("{}()", a.kind.name()),
            },
        }
    }

    fn sequence(&mut self, steps: &[StepView], partials: &[(Value, PartialView)], at: &AtLine) {
        let Pattern::Sequence { steps: defs, .. } = &self.rule.pattern else {
            return;
        };
        let positives = defs.iter().filter(|s| !s.absent).count();
        if partials.is_empty() {
            let _ = writeln!(self.out, "  no partial match of this event's key before it");
        } else {
            let _ = writeln!(self.out, "  partial matches before this event");
            for (k, p) in partials {
                let line = format!(
                    "    key {}: {}",
                    self.key_literal(k),
                    self.partial_text(p, positives)
                );
                let _ = writeln!(self.out, "{line}");
            }
        }
        for s in steps {
            let Some(def) = defs.get(s.step) else {
                continue;
            };
            let _ = writeln!(self.out);
            let step_text = format!(
                "step {} ({}{})",
                s.step + 1,
                if def.absent { "then not " } else { "" },
                self.event_name(def.event)
            );
            let key = match &s.key {
                Ok(k) => format!("key {} = {}", self.text(def.key), self.value_of(def.key, k)),
                Err(e) => format!("key error: {}", e.as_str()),
            };
            let _ = writeln!(self.out, "  {step_text}, {key}");
            if matches!(&s.key, Ok(Value::Absent)) {
                let _ = writeln!(
                    self.out,
                    "    the key is absent: the event cannot fill this step"
                );
                continue;
            }
            let holds = s.cond.as_ref().is_none_or(ClauseValue::holds);
            let role = self.role_text(&s.role, holds, s.step, positives, defs.len());
            let _ = writeln!(self.out, "    {role}");
            if let Some(c) = &s.cond {
                self.condition("where", c, 2);
            }
        }
        if !at.history.is_empty() {
            let _ = writeln!(self.out);
            let _ = writeln!(
                self.out,
                "  history of this key's partial matches before this event"
            );
            for (k, note) in &at.history {
                let line = note
                    .line
                    .map_or("deadline".to_string(), |l| format!("line {l}"));
                let final_absence = defs.last().is_some_and(|s| s.absent);
                let what = fate_text(note.fate, positives, final_absence, |t| self.time(t));
                let _ = writeln!(
                    self.out,
                    "    {} {line:<9} key {}: {what}",
                    self.time(note.time),
                    self.key_literal(k)
                );
            }
        }
    }

    fn partial_text(&self, p: &PartialView, positives: usize) -> String {
        let lines: Vec<String> = p
            .steps
            .iter()
            .flatten()
            .map(|l| l.map_or("derived".into(), |l| format!("line {l}")))
            .collect();
        format!(
            "matched {} of {positives} steps ({}), span ends {}",
            p.reached,
            lines.join(", "),
            self.time(p.expires)
        )
    }

    fn started(p: &PartialView) -> String {
        p.started_at().map_or("from a derived event".into(), |l| {
            format!("started at line {l}")
        })
    }

    fn role_text(
        &self,
        role: &StepRole,
        holds: bool,
        step: usize,
        positives: usize,
        steps: usize,
    ) -> String {
        match role {
            StepRole::Starts { replaces } => {
                let base = if holds {
                    if positives == 1 && steps == 1 {
                        "completes a match (a one-step sequence)".to_string()
                    } else {
                        "starts a partial match".to_string()
                    }
                } else {
                    "does not start a partial match: the condition is false".to_string()
                };
                match replaces {
                    Some(p) if holds && positives > 1 => format!(
                        "{base}, replacing the one {} (the latest first step is kept)",
                        Self::started(p)
                    ),
                    _ => base,
                }
            }
            StepRole::Continues { partial, expired } => {
                if *expired {
                    format!(
                        "the partial match {} expired at {}, before this event",
                        Self::started(partial),
                        self.time(partial.expires)
                    )
                } else if !holds {
                    format!(
                        "the condition is false: the partial match {} keeps waiting",
                        Self::started(partial)
                    )
                } else if partial.reached + 1 == positives {
                    format!("completes the match {}", Self::started(partial))
                } else {
                    format!(
                        "continues the partial match {} ({} of {positives} steps)",
                        Self::started(partial),
                        partial.reached + 1
                    )
                }
            }
            StepRole::NothingWaiting { others } => {
                let mut s = format!(
                    "no partial match of this key waits for step {}: nothing to continue",
                    step + 1
                );
                if !others.is_empty() {
                    let list: Vec<String> = others
                        .iter()
                        .map(|(k, p)| format!("{} ({})", self.key_literal(k), Self::started(p)))
                        .collect();
                    let _ = write!(
                        s,
                        "\n    partial matches of other keys wait for it: {}",
                        list.join(", ")
                    );
                }
                s
            }
            StepRole::Absence { partial } => match partial {
                None => "nothing waits before this absence: the event changes nothing".into(),
                Some(p) if holds && step + 1 == steps => {
                    format!(
                        "cancels the match {} (it waited for its deadline)",
                        Self::started(p)
                    )
                }
                Some(p) if holds => format!("discards the partial match {}", Self::started(p)),
                Some(p) => format!(
                    "the condition is false: the match {} is not discarded",
                    Self::started(p)
                ),
            },
        }
    }

    // -----------------------------------------------------------------------------------------
    // The whole input

    fn summary(&mut self, x: &Explainer, events: &std::path::Path) {
        let s = &x.summary;
        let _ = writeln!(
            self.out,
            "over {}: {} {} event{} offered; fired {}{}",
            events.display(),
            s.offered,
            self.rule_types(),
            if s.offered == 1 { "" } else { "s" },
            s.fired,
            if s.suppressed > 0 {
                format!(" (and {} suppressed)", s.suppressed)
            } else {
                String::new()
            }
        );
        match &self.rule.pattern {
            Pattern::Single { .. } => {}
            Pattern::Window { .. } => {
                let _ = writeln!(
                    self.out,
                    "  where false {}, key or aggregated value absent {}, having false {}; largest window {} events",
                    s.cond_false, s.key_absent, s.having_false, s.max_window
                );
            }
            Pattern::Sequence { steps, .. } => self.sequence_summary(x, steps),
        }
        if s.blame.is_empty() {
            let _ = writeln!(self.out, "\n  no condition was ever false");
        } else {
            let _ = writeln!(
                self.out,
                "\n  the clause that failed (per event whose condition was false)"
            );
            let total: u64 = s.blame.values().sum();
            let mut blamed: Vec<(&ExprId, &u64)> = s.blame.iter().collect();
            blamed.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            for (id, n) in blamed {
                let text = self.text(*id);
                let pct = *n as f64 * 100.0 / total.max(1) as f64;
                let range = self.range_text(x, *id);
                let _ = writeln!(self.out, "    {n:>8} {pct:>5.1}%  {text:<40}{range}");
            }
        }
        let _ = writeln!(self.out, "\n  every clause: true / false");
        let ids: Vec<ExprId> = s.leaves.keys().copied().collect();
        for id in ids {
            let (line, text) = self
                .sources
                .snippet(&self.rule.origin, &self.rule.exprs, id);
            let Some(l) = s.leaves.get(&id) else {
                continue;
            };
            let range = self.range_text(x, id);
            let _ = writeln!(
                self.out,
                "    {line:>4}: {text:<40} {:>8} / {:<8}{range}",
                l.held, l.failed
            );
        }
        if !x.firings.is_empty() {
            let _ = writeln!(self.out, "\n  firings");
            for f in x.firings.iter().take(FIRINGS_SHOWN) {
                let lines: Vec<String> = f.lines.iter().map(u64::to_string).collect();
                let line = format!(
                    "    {}{}{}, evidence lines {}",
                    self.time(f.time),
                    self.key_text(f.key.as_ref()),
                    if f.suppressed { " (suppressed)" } else { "" },
                    lines.join(", ")
                );
                let _ = writeln!(self.out, "{line}");
            }
            if x.firings.len() > FIRINGS_SHOWN {
                let _ = writeln!(self.out, "    … {} more", x.firings.len() - FIRINGS_SHOWN);
            }
        }
    }

    /// "  (minutes seen 3 to 29)" for a leaf whose first operand is not constant.
    fn range_text(&mut self, x: &Explainer, id: ExprId) -> String {
        let Some(ClauseRange { operand, lo, hi }) = leaf_range(x, &self.rule.exprs, id) else {
            return String::new();
        };
        if !matches!(
            self.rule.exprs.ty(operand),
            Ty::Int | Ty::Float | Ty::Duration | Ty::Time
        ) {
            return String::new();
        }
        let name = self.text(operand);
        let (lo, hi) = (self.value_of(operand, &lo), self.value_of(operand, &hi));
        if lo == hi {
            format!("  ({name} always {lo})")
        } else {
            format!("  ({name} seen {lo} to {hi})")
        }
    }

    fn sequence_summary(&mut self, x: &Explainer, steps: &[ir::SeqStep]) {
        let positives = steps.iter().filter(|s| !s.absent).count();
        let f = &x.summary.fates;
        let get = |k: FateKey| f.get(&k).copied().unwrap_or(0);
        let _ = writeln!(
            self.out,
            "  partial matches: started {}, completed {}",
            get(FateKey::Started),
            get(FateKey::Completed)
        );
        let mut ends: Vec<String> = Vec::new();
        for (k, n) in f {
            let what = match k {
                FateKey::Advanced(r) if *r < positives => {
                    format!("matched {r} of {positives} steps")
                }
                FateKey::Expired(r) => format!("expired with {r} of {positives} steps matched"),
                FateKey::Discarded(r) => {
                    format!("discarded by an absence with {r} of {positives} steps matched")
                }
                FateKey::Superseded(r) => {
                    format!("replaced by a newer one with {r} of {positives} steps matched")
                }
                FateKey::Dropped(r) => format!(
                    "dropped with {r} of {positives} steps matched when another match completed"
                ),
                FateKey::Cancelled => "cancelled by the absent event before the deadline".into(),
                _ => continue,
            };
            ends.push(format!("{what}: {n}"));
        }
        for (r, n) in &x.summary.waiting_at_end {
            ends.push(format!(
                "still waiting at the end with {r} of {positives} steps matched: {n}"
            ));
        }
        if x.summary.pending_at_end > 0 {
            ends.push(format!(
                "complete, waiting for the deadline at the end: {}",
                x.summary.pending_at_end
            ));
        }
        for e in ends {
            let _ = writeln!(self.out, "    {e}");
        }
    }
}

struct ClauseRange {
    operand: ExprId,
    lo: Value,
    hi: Value,
}

fn leaf_range(x: &Explainer, arena: &ExprArena, id: ExprId) -> Option<ClauseRange> {
    let (lo, hi) = x.summary.leaves.get(&id)?.range.clone()?;
    let operand = *vigil_runtime::explain::variable_operands(arena, id).first()?;
    Some(ClauseRange { operand, lo, hi })
}

fn pattern_kind(p: &Pattern) -> &'static str {
    match p {
        Pattern::Single { .. } => "single-event rule",
        Pattern::Window { .. } => "window rule",
        Pattern::Sequence { .. } => "sequence rule",
    }
}

fn fate_text(
    f: SeqFate,
    positives: usize,
    final_absence: bool,
    time: impl Fn(i64) -> String,
) -> String {
    match f {
        SeqFate::Started => "started".into(),
        SeqFate::Advanced { reached } => format!("matched {reached} of {positives} steps"),
        SeqFate::Superseded { reached } => {
            format!("replaced by a newer partial match ({reached} of {positives} steps matched)")
        }
        SeqFate::Expired { reached, at } => {
            format!(
                "expired at {} with {reached} of {positives} steps matched",
                time(at)
            )
        }
        SeqFate::Discarded { reached } => {
            format!("discarded by the absent event ({reached} of {positives} steps matched)")
        }
        SeqFate::Dropped { reached } => format!(
            "dropped ({reached} of {positives} steps matched): another match of the key completed"
        ),
        SeqFate::Completed if final_absence => {
            "every step matched: waits for the deadline of the final absence".into()
        }
        SeqFate::Completed => "completed".into(),
        SeqFate::Cancelled => "cancelled: the absent event came before the deadline".into(),
    }
}
