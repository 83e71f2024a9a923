//! IR expressions: typed nodes in an arena, addressed by `ExprId`.
//!
//! An expression reads events through *slots*: slot 0 is the event of a single-event or window
//! rule (the latest one for `having`), slot `i` the `i`-th step of a sequence, and in a workflow
//! slot 0 is the start event and slot 1 the event being offered to a transition. Function calls
//! to `fn` items are inlined during lowering; constant subexpressions are folded.

use serde::{Deserialize, Serialize};
use std::fmt;

use super::value::{Ty, Value};
use crate::Span;

/// An expression in an `ExprArena`. Displays as `e3`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ExprId(pub u32);

impl fmt::Display for ExprId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "e{}", self.0)
    }
}

impl ExprId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum UnOp {
    Not,
    Neg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl BinOp {
    pub fn as_str(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Rem => "%",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
        }
    }

    pub fn is_comparison(self) -> bool {
        !matches!(
            self,
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Rem
        )
    }

    /// The comparison that holds of `b, a` when this one holds of `a, b` (`<` for `>`);
    /// `None` for arithmetic.
    pub fn mirrored(self) -> Option<BinOp> {
        Some(match self {
            BinOp::Lt => BinOp::Gt,
            BinOp::Le => BinOp::Ge,
            BinOp::Gt => BinOp::Lt,
            BinOp::Ge => BinOp::Le,
            BinOp::Eq | BinOp::Ne => self,
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Rem => return None,
        })
    }
}

/// Built-in functions (SPEC §3). Regexes and zones are referenced by index into the program.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Builtin {
    Len,
    Lower,
    Upper,
    Contains,
    StartsWith,
    EndsWith,
    Abs,
    Min,
    Max,
    Float,
    Int,
    Hour,
    Weekday,
    /// `minute(t)`: the minute of the hour in the rule set's time zone (SPEC v0.2).
    Minute,
    /// `seconds(d)`: a duration as whole seconds, truncated toward zero (SPEC v0.2).
    Seconds,
    /// `workday(t)`: the date of `t` is a working day of the rule set's calendar (Monday to
    /// Friday without one), SPEC v0.2.
    Workday,
    /// `date(t)`: the date of `t` as `"YYYY-MM-DD"` in the rule set's time zone (SPEC v0.2).
    Date,
    /// `intersects(a, b)`: the two sets share an element (SPEC v0.2).
    Intersects,
    Distance,
    /// `point(lat, lon)`: a position from two floats (for test events and constants).
    Point,
}

impl Builtin {
    pub fn name(self) -> &'static str {
        match self {
            Builtin::Len => "len",
            Builtin::Lower => "lower",
            Builtin::Upper => "upper",
            Builtin::Contains => "contains",
            Builtin::StartsWith => "starts_with",
            Builtin::EndsWith => "ends_with",
            Builtin::Abs => "abs",
            Builtin::Min => "min",
            Builtin::Max => "max",
            Builtin::Float => "float",
            Builtin::Int => "int",
            Builtin::Hour => "hour",
            Builtin::Weekday => "weekday",
            Builtin::Minute => "minute",
            Builtin::Seconds => "seconds",
            Builtin::Workday => "workday",
            Builtin::Date => "date",
            Builtin::Intersects => "intersects",
            Builtin::Distance => "distance",
            Builtin::Point => "point",
        }
    }
}

/// Window aggregates (SPEC §4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AggKind {
    Count,
    Sum,
    Min,
    Max,
    Avg,
    Distinct,
}

impl AggKind {
    pub fn name(self) -> &'static str {
        match self {
            AggKind::Count => "count",
            AggKind::Sum => "sum",
            AggKind::Min => "min",
            AggKind::Max => "max",
            AggKind::Avg => "avg",
            AggKind::Distinct => "distinct",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Node {
    Const(Value),
    /// Field `field` (its position in the event declaration) of the event in `slot`.
    Field {
        slot: u8,
        field: u16,
    },
    /// The implicit `time` of the event in `slot`.
    EventTime(u8),
    /// The implicit optional `id` of the event in `slot`.
    EventId(u8),
    Unary(UnOp, ExprId),
    Binary(BinOp, ExprId, ExprId),
    /// `and`/`or` short-circuit; an absent operand counts as false.
    And(ExprId, ExprId),
    Or(ExprId, ExprId),
    /// `x in set`; `negated` for `not in` (still false when `x` is absent).
    In {
        value: ExprId,
        set: ExprId,
        negated: bool,
    },
    /// `m[k]` (SPEC v0.2): the value of map number `map` at `key`, absent without an entry.
    /// Maps, like lists, can be reloaded at run time.
    Lookup {
        map: u32,
        key: ExprId,
    },
    /// The contents of list number `i` as a set, read when evaluated since lists reload
    /// (`intersects(a, list)`, SPEC v0.2).
    List(u32),
    /// `x in list` against a named list, which can be reloaded at run time.
    InList {
        value: ExprId,
        list: u32,
        negated: bool,
    },
    Coalesce(ExprId, ExprId),
    /// `if c then a else b` (SPEC v0.2): `b` when `c` is false or absent.
    If(ExprId, ExprId, ExprId),
    Exists(ExprId),
    Call(Builtin, Vec<ExprId>),
    /// `matches(s, "re")`; the pattern was compiled once by the checker.
    Matches(ExprId, smol_str::SmolStr),
    /// `within(p, zone)` with the program's zone number.
    Within(ExprId, u32),
    /// The value of aggregate number `i` of the rule's window.
    Agg(u32),
    /// The group or sequence key (a workflow's instance key).
    Key,
    /// In a workflow: the state the instance came from (`{from}`).
    From,
    /// In a workflow: how many times the instance entered state number `i`.
    Visits(u32),
    /// In a workflow: the value of variable number `i` (SPEC v0.2).
    Var(u32),
    /// Parameter `i` of a `fn` whose body is checked on its own; never in a program, since
    /// calls are inlined.
    Param(u32),
    /// In the fields of `emit ... for x in set`: the element `x` the event is emitted for.
    Element,
}

/// The expressions of one rule, workflow or test.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ExprArena {
    nodes: Vec<(Node, Ty, Span)>,
}

impl ExprArena {
    /// Adds a node. Operands must already be in the arena (ids only point backwards), which
    /// keeps evaluation order and the JIT's walk simple.
    pub fn push(&mut self, node: Node, ty: Ty, span: Span) -> ExprId {
        debug_assert!(
            self.operands(&node)
                .iter()
                .all(|o| o.index() < self.nodes.len())
        );
        let id = ExprId(u32::try_from(self.nodes.len()).unwrap_or(u32::MAX));
        self.nodes.push((node, ty, span));
        id
    }

    pub fn node(&self, id: ExprId) -> &Node {
        &self.entry(id).0
    }

    pub fn ty(&self, id: ExprId) -> &Ty {
        &self.entry(id).1
    }

    /// The source span (relative to the item's start) the node came from.
    pub fn span(&self, id: ExprId) -> Span {
        self.entry(id).2
    }

    /// The node `id`. Ids are made by the arena that holds them, so a miss is a broken
    /// invariant (an id used with another item's arena): `impossible!`, then an absent constant.
    fn entry(&self, id: ExprId) -> &(Node, Ty, Span) {
        static ABSENT: (Node, Ty, Span) = (
            Node::Const(Value::Absent),
            Ty::Error,
            Span { start: 0, end: 0 },
        );
        match self.nodes.get(id.index()) {
            Some(entry) => entry,
            None => {
                crate::impossible!(
                    "expression {} of an arena of {}",
                    id.index(),
                    self.nodes.len()
                );
                &ABSENT
            }
        }
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    pub fn ids(&self) -> impl Iterator<Item = ExprId> + use<> {
        (0..u32::try_from(self.nodes.len()).unwrap_or(u32::MAX)).map(ExprId)
    }

    /// The ids a node reads.
    pub fn operands(&self, node: &Node) -> Vec<ExprId> {
        match node {
            Node::Unary(_, a) | Node::Exists(a) | Node::Matches(a, _) | Node::Within(a, _) => {
                vec![*a]
            }
            Node::InList { value, .. } => vec![*value],
            Node::Lookup { key, .. } => vec![*key],
            Node::If(c, a, b) => vec![*c, *a, *b],
            Node::Binary(_, a, b) | Node::And(a, b) | Node::Or(a, b) | Node::Coalesce(a, b) => {
                vec![*a, *b]
            }
            Node::In { value, set, .. } => vec![*value, *set],
            Node::Call(_, args) => args.clone(),
            Node::Const(_)
            | Node::List(_)
            | Node::Field { .. }
            | Node::EventTime(_)
            | Node::EventId(_)
            | Node::Agg(_)
            | Node::Key
            | Node::From
            | Node::Visits(_)
            | Node::Var(_)
            | Node::Param(_)
            | Node::Element => Vec::new(),
        }
    }

    /// Checks that every operand points backwards; run after lowering in tests.
    pub fn verify(&self) -> Result<(), String> {
        for (i, (node, _, _)) in self.nodes.iter().enumerate() {
            for op in self.operands(node) {
                if op.index() >= i {
                    return Err(format!("e{i} reads {op}, which does not come before it"));
                }
            }
        }
        Ok(())
    }

    /// The constant value of `id`, if it is a constant.
    pub fn as_const(&self, id: ExprId) -> Option<&Value> {
        match self.node(id) {
            Node::Const(v) => Some(v),
            _ => None,
        }
    }
}
