//! Evaluating a condition on candidate field values, for the witness search.
//!
//! The same walk as the runtime's reference interpreter (`ir::eval`), over a function that
//! gives each field's value instead of packed rows. This is only the search's
//! fast path: every witness it finds is verified by running the runtime itself.

use std::collections::HashMap;

use smol_str::SmolStr;

use vigil_ir::{self as ir, ExprArena, ExprId, Point, Program, Value, ops};

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
    ir::eval::eval(env.arena, id, &Candidate { env, field })
}

/// Candidate events as the evaluator's inputs.
struct Candidate<'e, 'a> {
    env: &'e Env<'a>,
    field: &'e dyn Fn(u8, FieldKey) -> Value,
}

impl ir::eval::Inputs for Candidate<'_, '_> {
    fn field(&self, slot: u8, field: u16) -> Value {
        (self.field)(slot, FieldKey::Declared(field))
    }

    fn time(&self, slot: u8) -> Value {
        (self.field)(slot, FieldKey::Time)
    }

    fn id(&self, slot: u8) -> Value {
        (self.field)(slot, FieldKey::Id)
    }

    fn in_list(&self, list: u32, value: &Value) -> Option<bool> {
        Some(
            self.env
                .program
                .lists
                .get(list as usize)?
                .values
                .contains(value),
        )
    }

    fn list(&self, list: u32) -> Option<Value> {
        Some(Value::Set(
            self.env.program.lists.get(list as usize)?.values.clone(),
        ))
    }

    fn lookup(&self, map: u32, key: &Value) -> Option<Value> {
        self.env
            .program
            .maps
            .get(map as usize)?
            .entries
            .get(key)
            .cloned()
    }

    fn matches(&self, pattern: &str, text: &str) -> bool {
        self.env
            .regexes
            .get(pattern)
            .is_some_and(|re| re.is_match(text))
    }

    fn within(&self, zone: u32, p: Point) -> bool {
        self.env
            .program
            .zones
            .get(zone as usize)
            .is_some_and(|z| z.contains(p))
    }

    fn aggregate(&self, i: u32) -> Value {
        self.env
            .aggregates
            .get(i as usize)
            .cloned()
            .unwrap_or(Value::Absent)
    }

    // The search refuses conditions that read these (see `witness::unsupported`).
    fn key(&self) -> Value {
        Value::Absent
    }

    fn from(&self) -> Value {
        Value::Absent
    }

    fn visits(&self, _: u32) -> Value {
        Value::Absent
    }

    fn var(&self, _: u32) -> Value {
        Value::Absent
    }

    fn tz(&self) -> &jiff::tz::TimeZone {
        self.env.tz
    }
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
