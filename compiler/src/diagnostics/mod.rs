//! Every diagnostic the compiler reports: one struct per kind, each with a stable code.
//!
//! Diagnostics are plain data (bad input is data, not `Err`). Spans are relative to the item
//! they were found in; `Located` (in `render`) places them in a file. The codes are part of the
//! public contract: editors, CI scripts and the language server match on them.

mod render;
mod suggest;

pub use render::{Located, RenderFormat, render_human, render_json, summary_counts};
pub use suggest::{closest, did_you_mean, suggest};

use miette::Diagnostic;
use thiserror::Error;

use crate::syntax::Span;

/// Whether a diagnostic stops the rule set from running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Level {
    Warning,
    Error,
}

macro_rules! diag_enum {
    ($($variant:ident),* $(,)?) => {
        /// CAUTION: publicly exported; the variants and their codes are a stable interface.
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Error, Diagnostic)]
        pub enum Diag {
            $(
                #[error(transparent)]
                #[diagnostic(transparent)]
                $variant($variant),
            )*
        }
        $(
            impl From<$variant> for Diag {
                fn from(d: $variant) -> Diag { Diag::$variant(d) }
            }
        )*
        impl Diag {
            /// The primary span (relative to the item, or to the file for file-level errors).
            pub fn span(&self) -> Span {
                match self { $(Diag::$variant(d) => d.span,)* }
            }

            /// Moves every span of the diagnostic by `by` bytes.
            pub fn shifted(mut self, by: u32) -> Diag {
                match &mut self { $(Diag::$variant(d) => d.span = d.span.shift(by),)* }
                self
            }
        }
    };
}

diag_enum![
    SyntaxError,
    NotAnItem,
    DuplicateName,
    DuplicateMember,
    UnknownName,
    UnknownEvent,
    UnknownField,
    UnknownVariant,
    UnknownUnit,
    UnknownFunction,
    UnknownType,
    UnknownState,
    UnknownVariable,
    UnknownRule,
    UnknownWorkflow,
    UnknownSeverity,
    UnknownMode,
    UnknownTimezone,
    TypeMismatch,
    BadOperands,
    WrongArity,
    NeedlessOptional,
    AggregateOutsideWindow,
    NotConstant,
    BadDuration,
    BadTime,
    BadNumber,
    BadString,
    BadRegex,
    BadTemplate,
    ResourceUnreadable,
    BadResource,
    BadMapEntry,
    OptionalRecipient,
    HiddenInMessage,
    Cycle,
    SequenceKeyMissing,
    SequenceKeyType,
    SequenceStartsAbsent,
    MissingClause,
    RepeatedClause,
    NoAction,
    MissingField,
    EngineField,
    DuplicateBinding,
    NoCorrelation,
    UnreachableState,
    DeadEndState,
    RuleExpired,
    BadQuorum,
    WorkdaysWithoutCalendar,
    TooMany,
    StartTypeMismatch,
    MisplacedConstruct,
    BadExpectation,
];

impl Diag {
    pub fn level(&self) -> Level {
        match self.severity() {
            Some(miette::Severity::Warning) | Some(miette::Severity::Advice) => Level::Warning,
            _ => Level::Error,
        }
    }

    /// The stable code, e.g. `vigil::unknown_field`.
    pub fn code_str(&self) -> String {
        self.code().map(|c| c.to_string()).unwrap_or_default()
    }

    /// The "did you mean" replacement a quick fix can apply at `span()`, if there is one.
    pub fn replacement(&self) -> Option<&str> {
        let help = match self {
            Diag::UnknownName(d) => &d.help,
            Diag::UnknownEvent(d) => &d.help,
            Diag::UnknownField(d) => &d.help,
            Diag::UnknownVariant(d) => &d.help,
            Diag::UnknownUnit(d) => &d.help,
            Diag::UnknownFunction(d) => &d.help,
            Diag::UnknownType(d) => &d.help,
            Diag::UnknownState(d) => &d.help,
            Diag::UnknownVariable(d) => &d.help,
            Diag::UnknownRule(d) => &d.help,
            Diag::UnknownWorkflow(d) => &d.help,
            Diag::UnknownSeverity(d) => &d.help,
            Diag::UnknownTimezone(d) => &d.help,
            _ => return None,
        };
        let help = help.as_deref()?;
        let start = help.find("did you mean `")? + "did you mean `".len();
        let end = start + help[start..].find('`')?;
        Some(&help[start..end])
    }
}

// ---------------------------------------------------------------------------------------------
// Syntax

#[derive(Debug, Clone, PartialEq, Eq, Hash, Error, Diagnostic)]
#[error("syntax error: {message}")]
#[diagnostic(code(vigil::syntax))]
pub struct SyntaxError {
    #[label("{label}")]
    pub span: Span,
    pub message: String,
    pub label: String,
    #[help]
    pub help: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Error, Diagnostic)]
#[error("expected an item, found `{found}`")]
#[diagnostic(
    code(vigil::not_an_item),
    help(
        "a file holds items: timezone, unit, calendar, enum, event, list, map, zone, const, fn, rule, workflow, test"
    )
)]
pub struct NotAnItem {
    #[label("not an item")]
    pub span: Span,
    pub found: String,
}

// ---------------------------------------------------------------------------------------------
// Names

#[derive(Debug, Clone, PartialEq, Eq, Hash, Error, Diagnostic)]
#[error("`{name}` is defined more than once")]
#[diagnostic(code(vigil::duplicate_name), help("{first}"))]
pub struct DuplicateName {
    #[label("second definition of `{name}`")]
    pub span: Span,
    pub name: String,
    /// Where the first definition is, as `path:line:col`.
    pub first: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Error, Diagnostic)]
#[error("{what} `{name}` appears more than once in `{owner}`")]
#[diagnostic(code(vigil::duplicate_member))]
pub struct DuplicateMember {
    #[label("repeated here")]
    pub span: Span,
    pub what: &'static str,
    pub name: String,
    pub owner: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Error, Diagnostic)]
#[error("cannot find `{name}` in this scope")]
#[diagnostic(code(vigil::unknown_name))]
pub struct UnknownName {
    #[label("not a binding, field, constant, list, zone or enum value")]
    pub span: Span,
    pub name: String,
    #[help]
    pub help: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Error, Diagnostic)]
#[error("unknown event type `{name}`")]
#[diagnostic(code(vigil::unknown_event))]
pub struct UnknownEvent {
    #[label("no event of this name")]
    pub span: Span,
    pub name: String,
    #[help]
    pub help: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Error, Diagnostic)]
#[error("unknown field `{field}` on `{event}`")]
#[diagnostic(code(vigil::unknown_field))]
pub struct UnknownField {
    #[label("no such field")]
    pub span: Span,
    pub field: String,
    pub event: String,
    #[help]
    pub help: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Error, Diagnostic)]
#[error("`{name}` is not a value of enum `{enum_name}`")]
#[diagnostic(code(vigil::unknown_variant))]
pub struct UnknownVariant {
    #[label("no such value")]
    pub span: Span,
    pub name: String,
    pub enum_name: String,
    #[help]
    pub help: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Error, Diagnostic)]
#[error("unknown unit `{name}`")]
#[diagnostic(code(vigil::unknown_unit))]
pub struct UnknownUnit {
    #[label("no unit of this name")]
    pub span: Span,
    pub name: String,
    #[help]
    pub help: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Error, Diagnostic)]
#[error("unknown function `{name}`")]
#[diagnostic(code(vigil::unknown_function))]
pub struct UnknownFunction {
    #[label("no built-in or `fn` of this name")]
    pub span: Span,
    pub name: String,
    #[help]
    pub help: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Error, Diagnostic)]
#[error("unknown type `{name}`")]
#[diagnostic(code(vigil::unknown_type))]
pub struct UnknownType {
    #[label("not a type")]
    pub span: Span,
    pub name: String,
    #[help]
    pub help: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Error, Diagnostic)]
#[error("workflow `{workflow}` has no state `{name}`")]
#[diagnostic(code(vigil::unknown_state))]
pub struct UnknownState {
    #[label("undefined state")]
    pub span: Span,
    pub name: String,
    pub workflow: String,
    #[help]
    pub help: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Error, Diagnostic)]
#[error("workflow `{workflow}` has no variable `{name}`")]
#[diagnostic(code(vigil::unknown_variable))]
pub struct UnknownVariable {
    #[label("not declared with `var`")]
    pub span: Span,
    pub name: String,
    pub workflow: String,
    #[help]
    pub help: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Error, Diagnostic)]
#[error("unknown rule or workflow `{name}`")]
#[diagnostic(code(vigil::unknown_rule))]
pub struct UnknownRule {
    #[label("no rule or workflow of this name")]
    pub span: Span,
    pub name: String,
    #[help]
    pub help: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Error, Diagnostic)]
#[error("unknown workflow `{name}`")]
#[diagnostic(code(vigil::unknown_workflow))]
pub struct UnknownWorkflow {
    #[label("no workflow of this name")]
    pub span: Span,
    pub name: String,
    #[help]
    pub help: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Error, Diagnostic)]
#[error("unknown severity `{name}`")]
#[diagnostic(code(vigil::unknown_severity))]
pub struct UnknownSeverity {
    #[label("expected low, medium, high or critical")]
    pub span: Span,
    pub name: String,
    #[help]
    pub help: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Error, Diagnostic)]
#[error("unknown mode `{name}`")]
#[diagnostic(
    code(vigil::unknown_mode),
    help("the only mode is `shadow`: `mode shadow`")
)]
pub struct UnknownMode {
    #[label("expected `shadow`")]
    pub span: Span,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Error, Diagnostic)]
#[error("unknown time zone `{name}`")]
#[diagnostic(code(vigil::unknown_timezone))]
pub struct UnknownTimezone {
    #[label("not an IANA time zone name")]
    pub span: Span,
    pub name: String,
    #[help]
    pub help: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Types

#[derive(Debug, Clone, PartialEq, Eq, Hash, Error, Diagnostic)]
#[error("mismatched types: expected {expected}, found {found}")]
#[diagnostic(code(vigil::type_mismatch))]
pub struct TypeMismatch {
    #[label("this is {found}")]
    pub span: Span,
    pub expected: String,
    pub found: String,
    #[help]
    pub help: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Error, Diagnostic)]
#[error("`{op}` cannot be applied to {left} and {right}")]
#[diagnostic(code(vigil::bad_operands))]
pub struct BadOperands {
    #[label("{left} {op} {right}")]
    pub span: Span,
    pub op: String,
    pub left: String,
    pub right: String,
    #[help]
    pub help: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Error, Diagnostic)]
#[error("`{name}` takes {expected}, but {found} given")]
#[diagnostic(code(vigil::wrong_arity))]
pub struct WrongArity {
    #[label("wrong number of arguments")]
    pub span: Span,
    pub name: String,
    pub expected: String,
    pub found: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Error, Diagnostic)]
#[error("`{what}` is never absent")]
#[diagnostic(code(vigil::needless_optional), severity(Warning))]
pub struct NeedlessOptional {
    #[label("this value is always present")]
    pub span: Span,
    pub what: String,
    #[help]
    pub help: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Error, Diagnostic)]
#[error("aggregate `{name}()` outside a window")]
#[diagnostic(
    code(vigil::aggregate_outside_window),
    help(
        "aggregates are allowed in `having` and in the messages of a rule with `group by ... within ...`"
    )
)]
pub struct AggregateOutsideWindow {
    #[label("no window here")]
    pub span: Span,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Error, Diagnostic)]
#[error("{what} must be a constant")]
#[diagnostic(
    code(vigil::not_constant),
    help("use a literal or a `const`; it cannot depend on an event")
)]
pub struct NotConstant {
    #[label("not known before events arrive")]
    pub span: Span,
    pub what: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Error, Diagnostic)]
#[error("invalid duration `{text}`: {reason}")]
#[diagnostic(code(vigil::bad_duration))]
pub struct BadDuration {
    #[label("{reason}")]
    pub span: Span,
    pub text: String,
    pub reason: String,
    #[help]
    pub help: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Error, Diagnostic)]
#[error("invalid time `{text}`: {reason}")]
#[diagnostic(code(vigil::bad_time))]
pub struct BadTime {
    #[label("{reason}")]
    pub span: Span,
    pub text: String,
    pub reason: String,
    #[help]
    pub help: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Error, Diagnostic)]
#[error("invalid number `{text}`: {reason}")]
#[diagnostic(code(vigil::bad_number))]
pub struct BadNumber {
    #[label("{reason}")]
    pub span: Span,
    pub text: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Error, Diagnostic)]
#[error("invalid string: {reason}")]
#[diagnostic(code(vigil::bad_string))]
pub struct BadString {
    #[label("{reason}")]
    pub span: Span,
    pub reason: String,
    #[help]
    pub help: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Error, Diagnostic)]
#[error("invalid regular expression")]
#[diagnostic(code(vigil::bad_regex))]
pub struct BadRegex {
    #[label("{reason}")]
    pub span: Span,
    pub reason: String,
    #[help]
    pub help: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Error, Diagnostic)]
#[error("invalid message template: {reason}")]
#[diagnostic(code(vigil::bad_template))]
pub struct BadTemplate {
    #[label("{reason}")]
    pub span: Span,
    pub reason: String,
    #[help]
    pub help: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Error, Diagnostic)]
#[error("cannot read `{path}`: {reason}")]
#[diagnostic(
    code(vigil::resource_unreadable),
    help("paths are relative to the file that declares them")
)]
pub struct ResourceUnreadable {
    #[label("looked for {resolved}")]
    pub span: Span,
    pub path: String,
    pub resolved: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Error, Diagnostic)]
#[error("invalid {kind} file `{path}`: {reason}")]
#[diagnostic(code(vigil::bad_resource))]
pub struct BadResource {
    #[label("declared here")]
    pub span: Span,
    pub kind: &'static str,
    pub path: String,
    pub reason: String,
}

/// An entry of a map file that is not an entry of the declared types (SPEC v0.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Error, Diagnostic)]
#[error("map `{map}`: line {line} of `{path}`: {reason}")]
#[diagnostic(code(vigil::bad_map_entry))]
pub struct BadMapEntry {
    #[label("read from here")]
    pub span: Span,
    pub map: String,
    pub path: String,
    pub line: usize,
    pub reason: String,
}

/// A message that shows a unit a field its `sees` clause hides (SPEC v0.2: the unit's copy
/// has the value replaced by `…`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Error, Diagnostic)]
#[error("`{unit}` may not see `{event}.{field}`, which this message shows")]
#[diagnostic(code(vigil::hidden_in_message), severity(Warning))]
pub struct HiddenInMessage {
    #[label("`{unit}` receives `…` here")]
    pub span: Span,
    pub unit: String,
    pub event: String,
    pub field: String,
    #[help]
    pub help: Option<String>,
}

/// An alert recipient that may be absent (SPEC v0.2: it needs a default).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Error, Diagnostic)]
#[error("this recipient may be absent, and an alert must reach someone")]
#[diagnostic(code(vigil::optional_recipient))]
pub struct OptionalRecipient {
    #[label("absent for some events")]
    pub span: Span,
    #[help]
    pub help: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Error, Diagnostic)]
#[error("{what} form a cycle: {cycle}")]
#[diagnostic(code(vigil::cycle), help("{help}"))]
pub struct Cycle {
    #[label("part of the cycle")]
    pub span: Span,
    pub what: &'static str,
    pub cycle: String,
    pub help: String,
}

// ---------------------------------------------------------------------------------------------
// Patterns and rules

#[derive(Debug, Clone, PartialEq, Eq, Hash, Error, Diagnostic)]
#[error("`{event}` has no field `{key}` to correlate the sequence by")]
#[diagnostic(code(vigil::sequence_key_missing))]
pub struct SequenceKeyMissing {
    #[label("this step has no `{key}`")]
    pub span: Span,
    pub event: String,
    pub key: String,
    #[help]
    pub help: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Error, Diagnostic)]
#[error("the sequence key `{key}` is {found} here but {expected} in the first step")]
#[diagnostic(
    code(vigil::sequence_key_type),
    help("every step's key must have one type")
)]
pub struct SequenceKeyType {
    #[label("{found}")]
    pub span: Span,
    pub key: String,
    pub expected: String,
    pub found: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Error, Diagnostic)]
#[error("a sequence cannot start with an absence")]
#[diagnostic(
    code(vigil::sequence_starts_absent),
    help("the first step must be an event that happened; write `then not ...` after it")
)]
pub struct SequenceStartsAbsent {
    #[label("first step")]
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Error, Diagnostic)]
#[error("{owner} has no {clause}")]
#[diagnostic(code(vigil::missing_clause))]
pub struct MissingClause {
    #[label("needs {clause}")]
    pub span: Span,
    pub owner: String,
    pub clause: &'static str,
    #[help]
    pub help: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Error, Diagnostic)]
#[error("`{clause}` given more than once")]
#[diagnostic(code(vigil::repeated_clause), help("keep one `{clause}`"))]
pub struct RepeatedClause {
    #[label("repeated")]
    pub span: Span,
    pub clause: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Error, Diagnostic)]
#[error("{what} has no effect")]
#[diagnostic(code(vigil::no_action))]
pub struct NoAction {
    #[label("nothing happens")]
    pub span: Span,
    pub what: String,
    #[help]
    pub help: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Error, Diagnostic)]
#[error("missing field{plural} {fields} of `{event}`")]
#[diagnostic(code(vigil::missing_field))]
pub struct MissingField {
    #[label("required field{plural} not given")]
    pub span: Span,
    pub fields: String,
    pub plural: &'static str,
    pub event: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Error, Diagnostic)]
#[error("`{field}` is set by the engine")]
#[diagnostic(code(vigil::engine_field))]
pub struct EngineField {
    #[label("cannot be given here")]
    pub span: Span,
    pub field: String,
    #[help]
    pub help: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Error, Diagnostic)]
#[error("`{name}` is bound twice")]
#[diagnostic(code(vigil::duplicate_binding), help("give each step its own name"))]
pub struct DuplicateBinding {
    #[label("already bound")]
    pub span: Span,
    pub name: String,
}

// ---------------------------------------------------------------------------------------------
// Workflows

#[derive(Debug, Clone, PartialEq, Eq, Hash, Error, Diagnostic)]
#[error("cannot tell which instance a `{event}` belongs to")]
#[diagnostic(code(vigil::no_correlation))]
pub struct NoCorrelation {
    #[label("`{event}` has no field `{key}`")]
    pub span: Span,
    pub event: String,
    pub key: String,
    #[help]
    pub help: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Error, Diagnostic)]
#[error("state `{name}` can never be entered")]
#[diagnostic(
    code(vigil::unreachable_state),
    severity(Warning),
    help("no transition leads here from the first state")
)]
pub struct UnreachableState {
    #[label("unreachable")]
    pub span: Span,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Error, Diagnostic)]
#[error("state `{name}` has no way out")]
#[diagnostic(
    code(vigil::dead_end_state),
    severity(Warning),
    help("add a transition or an `after ... ->` deadline, or declare it `final`")
)]
pub struct DeadEndState {
    #[label("instances entering here stay forever")]
    pub span: Span,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Error, Diagnostic)]
#[error("rule `{name}` expired at {at}")]
#[diagnostic(
    code(vigil::rule_expired),
    severity(Warning),
    help("it no longer fires for events after that time; remove it or move `expires`")
)]
pub struct RuleExpired {
    #[label("past")]
    pub span: Span,
    pub name: String,
    pub at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Error, Diagnostic)]
#[error("`await any {k} of` with {n} item{plural}")]
#[diagnostic(
    code(vigil::bad_quorum),
    help("k must be between 1 and the number of items")
)]
pub struct BadQuorum {
    #[label("can never complete")]
    pub span: Span,
    pub k: u32,
    pub n: usize,
    pub plural: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Error, Diagnostic)]
#[error("no calendar declared: working days are Monday to Friday")]
#[diagnostic(
    code(vigil::workdays_without_calendar),
    severity(Warning),
    help("declare `calendar name = file(\"...\")` with the holidays and make-up workdays")
)]
pub struct WorkdaysWithoutCalendar {
    #[label("counts weekdays only")]
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Error, Diagnostic)]
#[error("more than one `{what}` in the rule set")]
#[diagnostic(code(vigil::too_many), help("{help}"))]
pub struct TooMany {
    #[label("another `{what}`")]
    pub span: Span,
    pub what: &'static str,
    pub help: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Error, Diagnostic)]
#[error("workflow `{workflow}` starts on `{expected}`, but this rule fires on {found}")]
#[diagnostic(code(vigil::start_type_mismatch))]
pub struct StartTypeMismatch {
    #[label("cannot start `{workflow}` here")]
    pub span: Span,
    pub workflow: String,
    pub expected: String,
    pub found: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Error, Diagnostic)]
#[error("{what} is not allowed {place}")]
#[diagnostic(code(vigil::misplaced))]
pub struct MisplacedConstruct {
    #[label("not allowed here")]
    pub span: Span,
    pub what: String,
    pub place: String,
    #[help]
    pub help: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Error, Diagnostic)]
#[error("{reason}")]
#[diagnostic(code(vigil::bad_expectation))]
pub struct BadExpectation {
    #[label("{label}")]
    pub span: Span,
    pub reason: String,
    pub label: String,
}
