//! The syntax tree of one item, as written.
//!
//! Spans are relative to the start of the item (see `Span`), so an edit to one item leaves the
//! trees of every other item equal and salsa does not re-check them. The tree keeps what the
//! formatter needs to print the item back (parentheses, clause order, raw literal text) and
//! nothing about comments, which the splitter keeps beside it.

use smol_str::SmolStr;

use super::Span;

/// A name as written, with its span.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ident {
    pub name: SmolStr,
    pub span: Span,
}

/// A string literal: the text between the quotes, escapes not yet applied.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StrLit {
    pub raw: SmolStr,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ItemKind {
    Timezone(StrLit),
    Unit(Unit),
    Calendar(FileDecl),
    Enum(Enum),
    Event(Event),
    List(List),
    Map(Map),
    Zone(FileDecl),
    Const(Const),
    Fn(Fn),
    Rule(Rule),
    Workflow(Workflow),
    Test(Test),
}

/// One top-level item. `span` covers the item from its keyword to its end.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Item {
    pub kind: ItemKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Unit {
    pub name: Ident,
    pub display: Option<StrLit>,
    /// `Some` when the unit has a `{ ... }` body, even an empty one.
    pub sees: Option<Vec<Sees>>,
}

/// `sees Event.{a, b}`: the fields of `Event` this unit may receive.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Sees {
    pub event: Ident,
    pub fields: Vec<Ident>,
    pub span: Span,
}

/// `calendar name = file("...")` or `zone name = geojson("...")`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FileDecl {
    pub name: Ident,
    pub path: StrLit,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Enum {
    pub name: Ident,
    pub variants: Vec<Ident>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Event {
    pub name: Ident,
    pub fields: Vec<FieldDecl>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FieldDecl {
    pub name: Ident,
    pub ty: TypeExpr,
    pub span: Span,
}

/// A type as written: `int`, `Category?`, `set<str>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TypeExpr {
    pub name: Ident,
    pub arg: Option<Box<TypeExpr>>,
    pub optional: bool,
    pub span: Span,
}

/// A type as it is written: `str`, `set<Category>`, `int?`. The one printer of source types
/// (formatter, hover, outline, diff).
impl std::fmt::Display for TypeExpr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name.name)?;
        if let Some(arg) = &self.arg {
            write!(f, "<{arg}>")?;
        }
        if self.optional {
            f.write_str("?")?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct List {
    pub name: Ident,
    pub source: ListSource,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ListSource {
    File(StrLit),
    /// A literal set; the expression is always an `ExprKind::Set`.
    Literal(Expr),
}

/// `map name: K -> V = ...` (SPEC v0.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Map {
    pub name: Ident,
    pub key: TypeExpr,
    pub value: TypeExpr,
    pub source: MapSource,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MapSource {
    File(StrLit),
    /// `{ k: v, ... }`: the entries as written, and the braces' span.
    Literal(Vec<(Expr, Expr)>, Span),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Const {
    pub name: Ident,
    pub ty: Option<TypeExpr>,
    pub value: Expr,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Fn {
    pub name: Ident,
    pub params: Vec<Param>,
    pub ret: TypeExpr,
    pub body: Expr,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Param {
    pub name: Ident,
    pub ty: TypeExpr,
}

// ---------------------------------------------------------------------------------------------
// Rules

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Rule {
    pub name: Ident,
    /// Clauses in source order; the checker reports missing and repeated ones.
    pub clauses: Vec<RuleClause>,
}

// A rule holds a handful of clauses and a clause one pattern: boxing would add an allocation
// per clause for no measurable saving.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RuleClause {
    Title(StrLit),
    Severity(Expr),
    When(Pattern),
    Suppress(Suppress),
    Tags(Vec<StrLit>, Span),
    Expires(Expr),
    Mode(Ident),
    Action(Action),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Suppress {
    pub by: Option<Expr>,
    pub duration: Expr,
    pub span: Span,
}

#[allow(clippy::large_enum_variant)] // see RuleClause
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Pattern {
    Single(SinglePattern),
    Sequence(SequencePattern),
}

/// `[x:] Type [by expr] [where cond]`: one event to match, in a rule or a workflow.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EventMatch {
    pub binding: Option<Ident>,
    pub ty: Ident,
    pub by: Option<Expr>,
    pub cond: Option<Expr>,
    /// Whether `by` was written before `where`, so the formatter keeps the author's order.
    pub by_first: bool,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SinglePattern {
    pub event: EventMatch,
    pub group: Option<GroupClause>,
    pub span: Span,
}

/// `group by key within D having cond`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GroupClause {
    pub key: Expr,
    pub within: Expr,
    pub having: Expr,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SequencePattern {
    pub key: Ident,
    pub within: Expr,
    pub steps: Vec<Step>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Step {
    /// `then not T`: an absence.
    pub absent: bool,
    pub event: EventMatch,
    pub span: Span,
}

// ---------------------------------------------------------------------------------------------
// Actions

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Action {
    Alert(AlertAction),
    Emit(EmitAction),
    Start(Ident, Span),
    /// `set name = expr`: a workflow variable (SPEC v0.2).
    Set(SetAction),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SetAction {
    pub name: Ident,
    pub value: Expr,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AlertAction {
    /// Unit names or, SPEC v0.2, expressions of type `unit` or `set<unit>`.
    pub to: Vec<Expr>,
    pub severity: Option<Expr>,
    pub message: Option<StrLit>,
    /// Whether `message` came before `severity` in the source.
    pub message_first: bool,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EmitAction {
    pub ty: Ident,
    pub fields: Vec<FieldInit>,
    /// `for name in set`: one event per element, `name` bound to it in the fields.
    pub each: Option<EmitEach>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EmitEach {
    pub name: Ident,
    pub set: Expr,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FieldInit {
    pub name: Ident,
    pub value: Expr,
}

impl Action {
    pub fn span(&self) -> Span {
        match self {
            Action::Alert(a) => a.span,
            Action::Emit(e) => e.span,
            Action::Start(_, span) => *span,
            Action::Set(s) => s.span,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Workflows

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Workflow {
    pub name: Ident,
    pub clauses: Vec<WorkflowClause>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum WorkflowClause {
    Title(StrLit),
    Start(EventMatch, Span),
    State(State),
    /// A workflow-level timer (SPEC v0.2), due at the start event's time plus its delay.
    After(AfterClause),
    /// `var name: T = expr` (SPEC v0.2).
    Var(VarDecl),
}

/// A workflow variable: set from the start binding, then by `set` actions.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VarDecl {
    pub name: Ident,
    pub ty: TypeExpr,
    pub init: Expr,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct State {
    pub name: Ident,
    pub is_final: bool,
    /// `final x` without braces has no body; `final x { ... }` and every `state` have one.
    pub has_body: bool,
    pub clauses: Vec<StateClause>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum StateClause {
    OnEnter(Vec<Action>, Span),
    On(OnTransition),
    After(AfterClause),
    Await(AwaitClause),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OnTransition {
    pub event: EventMatch,
    pub target: Ident,
    pub actions: Vec<Action>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AfterClause {
    pub delay: Delay,
    /// `after D where c`: checked when the timer is due (SPEC v0.2).
    pub cond: Option<Expr>,
    /// `None` for a non-interrupting timer (`after 5m alert ...`).
    pub target: Option<Ident>,
    pub actions: Vec<Action>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Delay {
    Duration(Expr),
    /// `after N workdays`: the count and its span.
    Workdays(u32, Span),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AwaitClause {
    pub quorum: Quorum,
    pub items: Vec<EventMatch>,
    pub target: Ident,
    pub actions: Vec<Action>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Quorum {
    All,
    /// `any k of`: `k` and its span.
    Any(u32, Span),
}

// ---------------------------------------------------------------------------------------------
// Tests

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Test {
    pub name: StrLit,
    /// `test "name" lateness 10s { ... }` (SPEC v0.2).
    pub lateness: Option<Expr>,
    pub clauses: Vec<TestClause>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TestClause {
    Events(Vec<TestStep>, Span),
    Expect(Expect),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TestStep {
    Event(TestEvent),
    /// `advance D`: the watermark moves D past the latest event time so far.
    AdvanceBy(Expr, Span),
    /// `advance to T`.
    AdvanceTo(Expr, Span),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TestEvent {
    pub ty: Ident,
    pub fields: Vec<FieldInit>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Expect {
    pub negated: bool,
    pub kind: ExpectKind,
    pub options: Vec<ExpectOption>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ExpectKind {
    /// `expect alert NAME` (a rule or a workflow).
    Alert(Ident),
    /// `expect transition WORKFLOW KEY to STATE`.
    Transition {
        workflow: Ident,
        key: Expr,
        to: Ident,
    },
    /// `expect reject REASON` (SPEC v0.2): test events rejected for that reason (`late`).
    Reject(Ident),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ExpectOption {
    Key(Expr),
    /// `key null`.
    KeyNull(Span),
    /// `to unit`: a recipient of the alert.
    To(Ident),
    Count(Expr),
    At(Expr),
    /// The alert's message, exactly.
    Message(StrLit),
}

// ---------------------------------------------------------------------------------------------
// Expressions

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ExprKind {
    /// Literals keep their source text; the checker gives them their value and reports the ones
    /// that are out of range or malformed.
    Int(SmolStr),
    Float(SmolStr),
    Duration(SmolStr),
    Time(SmolStr),
    Bool(bool),
    Str(StrLit),
    Set(Vec<Expr>),
    Name(Ident),
    Field(Box<Expr>, Ident),
    /// `m[k]` (SPEC v0.2): a map lookup.
    Index(Box<Expr>, Box<Expr>),
    Call(Ident, Vec<Expr>),
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    Paren(Box<Expr>),
    /// `if c then a else b` (SPEC v0.2).
    If(Box<Expr>, Box<Expr>, Box<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    Not,
    Neg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    NotIn,
    Coalesce,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl BinaryOp {
    pub fn as_str(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::In => "in",
            BinaryOp::NotIn => "not in",
            BinaryOp::Coalesce => "??",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Rem => "%",
        }
    }

    /// Binding strength, higher binds tighter (SPEC §3).
    pub fn precedence(self) -> u8 {
        match self {
            BinaryOp::Or => 1,
            BinaryOp::And => 2,
            BinaryOp::Eq
            | BinaryOp::Ne
            | BinaryOp::Lt
            | BinaryOp::Le
            | BinaryOp::Gt
            | BinaryOp::Ge
            | BinaryOp::In
            | BinaryOp::NotIn => 4,
            BinaryOp::Coalesce => 5,
            BinaryOp::Add | BinaryOp::Sub => 6,
            BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => 7,
        }
    }

    pub fn is_comparison(self) -> bool {
        self.precedence() == 4
    }
}

impl Item {
    /// The item's name as the rule set's namespace knows it; `None` for `timezone`.
    pub fn name(&self) -> Option<&Ident> {
        match &self.kind {
            ItemKind::Timezone(_) | ItemKind::Test(_) => None,
            ItemKind::Unit(u) => Some(&u.name),
            ItemKind::Calendar(f) | ItemKind::Zone(f) => Some(&f.name),
            ItemKind::Enum(e) => Some(&e.name),
            ItemKind::Event(e) => Some(&e.name),
            ItemKind::List(l) => Some(&l.name),
            ItemKind::Map(m) => Some(&m.name),
            ItemKind::Const(c) => Some(&c.name),
            ItemKind::Fn(f) => Some(&f.name),
            ItemKind::Rule(r) => Some(&r.name),
            ItemKind::Workflow(w) => Some(&w.name),
        }
    }
}
