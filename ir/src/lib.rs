//! The typed IR of a whole rule set: the only thing the runtime sees.
//!
//! Everything is resolved: event types, fields, units, lists, zones, states and workflows are
//! numbers into the program's tables; constants are folded; `fn` calls are inlined. Each rule,
//! workflow and test owns an `ExprArena` for its expressions.

use serde::{Deserialize, Serialize};
pub mod bundle;
pub mod eval;
mod expr;
pub mod id;
pub mod impossible;
pub mod maps;
pub mod ops;
pub mod placement;
mod span;
pub mod text;
pub mod time;
pub mod validate;
mod value;

use std::collections::BTreeSet;
use std::sync::Arc;

use smol_str::SmolStr;

pub use expr::{AggKind, BinOp, Builtin, ExprArena, ExprId, Node, UnOp};
pub use id::{Id, IdVec, RuleId, StateId, WorkflowId};
pub use span::Span;
pub use value::{MapValue, Point, SetValue, Severity, Ty, Value};

/// Index of an event type in `Program::events`.
pub type EventTypeId = u32;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Program {
    /// `sha256:` and the hex digest of the canonical text (SPEC §1).
    pub fingerprint: String,
    /// The IANA name of the rule set's time zone (`UTC` by default).
    pub timezone: String,
    pub events: Vec<EventType>,
    pub enums: Vec<EnumDef>,
    pub units: Vec<UnitDef>,
    pub lists: Vec<ListDef>,
    /// Lookup tables (SPEC v0.2); bundles of formats 1 and 2 have none.
    #[serde(default)]
    pub maps: Vec<MapDef>,
    pub zones: Vec<ZoneDef>,
    pub calendar: Option<CalendarDef>,
    pub rules: IdVec<RuleId, Rule>,
    pub workflows: IdVec<WorkflowId, Workflow>,
    pub tests: Vec<TestCase>,
}

impl Program {
    pub fn event_id(&self, name: &str) -> Option<EventTypeId> {
        self.events
            .iter()
            .position(|e| e.name == name)
            .and_then(|i| u32::try_from(i).ok())
    }

    pub fn event(&self, id: EventTypeId) -> Option<&EventType> {
        self.events.get(id as usize)
    }

    pub fn time_zone(&self) -> jiff::tz::TimeZone {
        crate::time::time_zone(&self.timezone).unwrap_or(jiff::tz::TimeZone::UTC)
    }
}

/// Where an item is in the source, to point at it from records and reports.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Origin {
    pub file: String,
    /// Byte offset of the item in its file; spans in the item's arena are relative to it.
    pub offset: u32,
    /// One-based line of the item's first keyword.
    pub line: u32,
    /// Position of the item in the rule set (files in order, items in order): the
    /// "declaration order" that orders records and timers (SPEC §7).
    pub order: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventType {
    pub name: SmolStr,
    /// Declared fields in order; a field's position is its slot in a row.
    pub fields: Vec<FieldDef>,
}

impl EventType {
    pub fn field(&self, name: &str) -> Option<(u16, &FieldDef)> {
        self.fields
            .iter()
            .enumerate()
            .find(|(_, f)| f.name == name)
            .and_then(|(i, f)| Some((u16::try_from(i).ok()?, f)))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldDef {
    pub name: SmolStr,
    pub ty: Ty,
    pub optional: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnumDef {
    pub name: SmolStr,
    pub variants: Vec<SmolStr>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitDef {
    pub name: SmolStr,
    pub display: Option<String>,
    /// `None`: sees every field. `Some`: per event type, the fields it may see.
    pub sees: Option<Vec<(EventTypeId, Vec<u16>)>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListDef {
    pub name: SmolStr,
    pub elem: Ty,
    /// Where the list was read from (absolute or relative to the working directory), for
    /// reloading; `None` for a literal list.
    pub path: Option<String>,
    pub values: Arc<SetValue>,
}

/// `map name: K -> V = ...` (SPEC v0.2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MapDef {
    pub name: SmolStr,
    pub key: Ty,
    pub value: Ty,
    /// Where the map was read from, for reloading; `None` for a literal map.
    pub path: Option<String>,
    pub entries: Arc<MapValue>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ZoneDef {
    pub name: SmolStr,
    pub polygons: Vec<Polygon>,
}

/// A polygon as lon/lat rings: the exterior and its holes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Polygon {
    pub exterior: Vec<(f64, f64)>,
    pub holes: Vec<Vec<(f64, f64)>>,
}

impl ZoneDef {
    pub fn contains(&self, p: Point) -> bool {
        self.polygons.iter().any(|poly| {
            ops::ring_contains(&poly.exterior, p)
                && !poly.holes.iter().any(|h| ops::ring_contains(h, p))
        })
    }
}

/// Working days: weekdays, minus holidays, plus make-up workdays. Dates as (year, month, day).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CalendarDef {
    pub name: SmolStr,
    pub holidays: BTreeSet<(i16, i8, i8)>,
    pub workdays: BTreeSet<(i16, i8, i8)>,
}

impl CalendarDef {
    pub fn is_workday(&self, date: jiff::civil::Date) -> bool {
        let key = (date.year(), date.month(), date.day());
        if self.workdays.contains(&key) {
            return true;
        }
        if self.holidays.contains(&key) {
            return false;
        }
        !matches!(
            date.weekday(),
            jiff::civil::Weekday::Saturday | jiff::civil::Weekday::Sunday
        )
    }
}

// ---------------------------------------------------------------------------------------------
// Rules

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    pub name: SmolStr,
    pub title: Option<String>,
    pub severity: SeverityOf,
    pub tags: Vec<String>,
    /// After this event time the rule no longer fires.
    pub expires: Option<i64>,
    pub shadow: bool,
    pub pattern: Pattern,
    pub actions: Vec<Action>,
    pub suppress: Option<Suppress>,
    pub exprs: ExprArena,
    pub origin: Origin,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suppress {
    /// `None`: the alert key (group or sequence key), else the whole rule.
    pub key: Option<ExprId>,
    pub duration: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Pattern {
    Single {
        event: EventTypeId,
        cond: Option<ExprId>,
    },
    Window {
        event: EventTypeId,
        cond: Option<ExprId>,
        key: ExprId,
        within: i64,
        having: ExprId,
        /// The aggregates `having` and messages use; `Node::Agg(i)` reads number `i`.
        aggregates: Vec<Aggregate>,
    },
    Sequence {
        within: i64,
        steps: Vec<SeqStep>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Aggregate {
    pub kind: AggKind,
    /// Evaluated on each event of the window (slot 0); `None` for `count()`.
    pub arg: Option<ExprId>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeqStep {
    pub event: EventTypeId,
    /// `then not`: an absence.
    pub absent: bool,
    /// The step's key, read from its event in this step's slot.
    pub key: ExprId,
    pub cond: Option<ExprId>,
}

impl Pattern {
    /// The event types the pattern reads (for dispatch and the rule graph).
    pub fn event_types(&self) -> Vec<EventTypeId> {
        match self {
            Pattern::Single { event, .. } | Pattern::Window { event, .. } => vec![*event],
            Pattern::Sequence { steps, .. } => steps.iter().map(|s| s.event).collect(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Action {
    Alert {
        /// The recipients in the order written; bundles of formats 1 and 2 name units by
        /// number only.
        #[serde(alias = "units")]
        to: Vec<Recipient>,
        severity: Option<SeverityOf>,
        message: Option<Template>,
    },
    Emit {
        event: EventTypeId,
        /// A value for every field slot of the event type (`Const(Absent)` for omitted
        /// optional fields).
        fields: Vec<ExprId>,
        /// `for x in set`: the set; one event is emitted per element, in the set's order, with
        /// `Node::Element` reading it. An absent set emits nothing.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        each: Option<ExprId>,
    },
    Start {
        workflow: WorkflowId,
    },
    /// `set name = value` in a workflow (SPEC v0.2): variable number `var` of the workflow.
    Set {
        var: u32,
        value: ExprId,
    },
}

/// Whom an alert goes to.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub enum Recipient {
    /// A declared unit, by number.
    Unit(u32),
    /// An expression of type `unit` or `set<unit>` (SPEC v0.2), never absent (the checker
    /// asks for a `??` default).
    Expr(ExprId),
}

/// An alert's severity: written, or computed per alert (SPEC v0.2, an expression of the
/// built-in enum `severity` whose values are `Severity` by position).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub enum SeverityOf {
    Fixed(Severity),
    Expr(ExprId),
}

impl From<Severity> for SeverityOf {
    fn from(s: Severity) -> SeverityOf {
        SeverityOf::Fixed(s)
    }
}

/// Bundles of formats 1 and 2 wrote a recipient as a bare unit number and a severity as a
/// bare name; both still read.
mod compat {
    use super::{ExprId, Recipient, Severity, SeverityOf};
    use serde::{Deserialize, Deserializer};

    #[derive(Deserialize)]
    enum RecipientTagged {
        Unit(u32),
        Expr(ExprId),
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum RecipientRepr {
        Bare(u32),
        Tagged(RecipientTagged),
    }

    impl<'de> Deserialize<'de> for Recipient {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Recipient, D::Error> {
            Ok(match RecipientRepr::deserialize(d)? {
                RecipientRepr::Bare(u) | RecipientRepr::Tagged(RecipientTagged::Unit(u)) => {
                    Recipient::Unit(u)
                }
                RecipientRepr::Tagged(RecipientTagged::Expr(e)) => Recipient::Expr(e),
            })
        }
    }

    #[derive(Deserialize)]
    enum SeverityTagged {
        Fixed(Severity),
        Expr(ExprId),
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum SeverityRepr {
        Bare(Severity),
        Tagged(SeverityTagged),
    }

    impl<'de> Deserialize<'de> for SeverityOf {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<SeverityOf, D::Error> {
            Ok(match SeverityRepr::deserialize(d)? {
                SeverityRepr::Bare(s) | SeverityRepr::Tagged(SeverityTagged::Fixed(s)) => {
                    SeverityOf::Fixed(s)
                }
                SeverityRepr::Tagged(SeverityTagged::Expr(e)) => SeverityOf::Expr(e),
            })
        }
    }
}

/// A message with `{expr}` interpolations.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Template {
    pub parts: Vec<TemplatePart>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum TemplatePart {
    Text(String),
    Expr(ExprId),
}

// ---------------------------------------------------------------------------------------------
// Workflows

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Workflow {
    pub name: SmolStr,
    pub title: Option<String>,
    pub start: WorkflowStart,
    /// States in declaration order; the first is where instances begin.
    pub states: IdVec<StateId, StateDef>,
    /// Workflow-level timers (SPEC v0.2), due at the start event's time plus their delay
    /// whatever the state, in source order. Bundles of format 1 have none.
    #[serde(default)]
    pub timers: Vec<Timer>,
    /// Variables (SPEC v0.2) in declaration order: `Node::Var(i)` reads number `i`.
    #[serde(default)]
    pub vars: Vec<VarDef>,
    pub exprs: ExprArena,
    pub origin: Origin,
}

/// `var name: ty = init`: set from the start event (slot 0) when an instance starts, before
/// the first state's `on enter`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VarDef {
    pub name: SmolStr,
    pub ty: Ty,
    pub init: ExprId,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkflowStart {
    pub event: EventTypeId,
    pub cond: Option<ExprId>,
    /// The instance key, read from the start event in slot 0.
    pub key: ExprId,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateDef {
    pub name: SmolStr,
    pub is_final: bool,
    pub on_enter: Vec<Action>,
    /// Event-driven transitions (`on` and `await`) in source order.
    pub transitions: Vec<Transition>,
    /// Timers (`after`) in source order.
    pub timers: Vec<Timer>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Transition {
    On {
        trigger: Trigger,
        target: StateId,
        actions: Vec<Action>,
    },
    Await {
        quorum: u32,
        items: Vec<Trigger>,
        target: StateId,
        actions: Vec<Action>,
    },
}

/// An event that can drive a transition: its type, how it finds its instance, and its guard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trigger {
    pub event: EventTypeId,
    /// The instance key, read from the event in slot 1.
    pub key: ExprId,
    /// Evaluated with the start event in slot 0 and this event in slot 1.
    pub cond: Option<ExprId>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timer {
    pub delay: Delay,
    /// `Some`: interrupting (`after D -> s`); `None`: runs its actions and the state stays.
    pub target: Option<StateId>,
    pub actions: Vec<Action>,
    /// How the cause is written in transition records: `after 3d`.
    pub label: String,
    /// `after D where c`: evaluated when due, with the start event in slot 0; false, the
    /// timer does nothing (SPEC v0.2).
    #[serde(default)]
    pub cond: Option<ExprId>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Delay {
    Duration(i64),
    Workdays(u32),
}

// ---------------------------------------------------------------------------------------------
// Tests

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestCase {
    pub name: String,
    /// `lateness D` (SPEC v0.2): the block runs with that lateness. Bundles of format 1 have
    /// none.
    #[serde(default)]
    pub lateness: i64,
    pub steps: Vec<TestStep>,
    pub expects: Vec<Expectation>,
    pub origin: Origin,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum TestStep {
    /// An event: its type, time and a value per field slot.
    Event {
        event: EventTypeId,
        time: i64,
        fields: Vec<Value>,
        /// One-based line in the test's file, used as the event's line in evidence.
        line: u32,
    },
    AdvanceBy(i64),
    AdvanceTo(i64),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Expectation {
    pub negated: bool,
    pub target: ExpectTarget,
    /// `key K`; `key null` is `Some(Value::Absent)`.
    pub key: Option<Value>,
    pub count: Option<u64>,
    pub at: Option<i64>,
    /// `to unit` (SPEC v0.2): the alert is addressed to this unit.
    #[serde(default)]
    pub to: Option<SmolStr>,
    /// The alert's message, exactly.
    pub message: Option<String>,
    /// The expectation's source text, to show when it fails.
    pub text: String,
    pub line: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ExpectTarget {
    /// Alerts of a rule or of a workflow.
    Alert(SmolStr),
    /// A transition of `workflow`'s instance `key` into `to`.
    Transition {
        workflow: SmolStr,
        key: Value,
        to: SmolStr,
    },
    /// Test events rejected for this reason (`late`), SPEC v0.2.
    Reject(SmolStr),
}
