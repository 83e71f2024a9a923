//! Evaluating a condition on candidate field values, for the witness search.
//!
//! The same semantics as the runtime's reference interpreter (both call `ir::ops`), over a
//! function that gives each field's value instead of packed rows. This is only the search's
//! fast path: every witness it finds is verified by running the runtime itself.

use std::collections::HashMap;

use smol_str::SmolStr;

use crate::ir::{ExprArena, ExprId, Node, Program, Value, ops};

/// A field of the event in a slot: declared (by position), or the implicit `time` or `id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum FieldKey {
    Declared(u16),
    Time,
    Id,
}

pub(crate) struct Env<'a> {
    pub program: &'a Program,
    pub arena: &'a ExprArena,
    pub regexes: &'a HashMap<SmolStr, regex::Regex>,
    pub tz: &'a jiff::tz::TimeZone,
    /// The window's aggregates, for a `having` condition.
    pub aggregates: &'a [Value],
}

/// Evaluates `id`, reading fields through `field`. `Err` is an overflow or a division by
/// zero, which makes the whole condition false (SPEC §3).
pub(crate) fn eval(
    env: &Env<'_>,
    id: ExprId,
    field: &dyn Fn(u8, FieldKey) -> Value,
) -> Result<Value, ops::EvalError> {
    let ev = |e: ExprId| eval(env, e, field);
    Ok(match env.arena.node(id) {
        Node::Const(v) => v.clone(),
        Node::Field { slot, field: f } => field(*slot, FieldKey::Declared(*f)),
        Node::EventTime(slot) => field(*slot, FieldKey::Time),
        Node::EventId(slot) => field(*slot, FieldKey::Id),
        Node::Unary(op, a) => ops::unary(*op, &ev(*a)?)?,
        Node::Binary(op, a, b) => {
            let a = ev(*a)?;
            let b = ev(*b)?;
            ops::binary(*op, &a, &b)?
        }
        Node::And(a, b) => Value::Bool(ops::truthy(&ev(*a)?) && ops::truthy(&ev(*b)?)),
        Node::Or(a, b) => Value::Bool(ops::truthy(&ev(*a)?) || ops::truthy(&ev(*b)?)),
        Node::In {
            value,
            set,
            negated,
        } => {
            let v = ev(*value)?;
            let s = ev(*set)?;
            ops::in_set(&v, &s, *negated)
        }
        Node::InList {
            value,
            list,
            negated,
        } => {
            let v = ev(*value)?;
            match (v, env.program.lists.get(*list as usize)) {
                (Value::Absent, _) => Value::Bool(*negated),
                (_, None) => Value::Bool(false),
                (v, Some(l)) => Value::Bool(l.values.contains(&v) != *negated),
            }
        }
        Node::Coalesce(a, b) => match ev(*a)? {
            Value::Absent => ev(*b)?,
            v => v,
        },
        Node::Exists(a) => Value::Bool(!ev(*a)?.is_absent()),
        Node::Call(f, args) => {
            let vals = args.iter().map(|a| ev(*a)).collect::<Result<Vec<_>, _>>()?;
            ops::call(*f, &vals, env.tz)?
        }
        Node::Matches(s, pattern) => match ev(*s)? {
            Value::Str(s) => {
                Value::Bool(env.regexes.get(pattern).is_some_and(|re| re.is_match(&s)))
            }
            _ => Value::Bool(false),
        },
        Node::Within(p, zone) => match ev(*p)? {
            Value::Point(p) => Value::Bool(
                env.program
                    .zones
                    .get(*zone as usize)
                    .is_some_and(|z| z.contains(p)),
            ),
            _ => Value::Bool(false),
        },
        Node::Agg(i) => env
            .aggregates
            .get(*i as usize)
            .cloned()
            .unwrap_or(Value::Absent),
        // The search refuses conditions that read these (see `witness::unsupported`).
        Node::Key | Node::From | Node::Visits(_) | Node::Param(_) => Value::Absent,
    })
}

/// Whether a condition holds: `None` (no condition) holds; an evaluation error does not.
pub(crate) fn holds(
    env: &Env<'_>,
    cond: Option<ExprId>,
    field: &dyn Fn(u8, FieldKey) -> Value,
) -> bool {
    match cond {
        None => true,
        Some(c) => eval(env, c, field).is_ok_and(|v| ops::truthy(&v)),
    }
}
