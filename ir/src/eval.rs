//! The reference evaluation of IR expressions, over whatever supplies the inputs.
//!
//! The runtime's interpreter reads packed rows and reloadable lists; `vigil diff`'s witness
//! search reads candidate field values. Both go through this one walk, so an expression means
//! the same thing in both (operators and built-ins are in `ops`).

use super::ops::{self, EvalError};
use super::{ExprArena, ExprId, Node, Point, Value};

/// What an expression can read besides constants.
pub trait Inputs {
    /// Field `field` (by declaration position) of the event in `slot`; `Absent` when missing.
    fn field(&self, slot: u8, field: u16) -> Value;
    /// The implicit `time` of the event in `slot`.
    fn time(&self, slot: u8) -> Value;
    /// The implicit `id` of the event in `slot`.
    fn id(&self, slot: u8) -> Value;
    /// Whether `value` (present) is in list number `list`; `None` when there is no such list.
    fn in_list(&self, list: u32, value: &Value) -> Option<bool>;
    /// The contents of list number `list` as a set; `None` when there is no such list.
    fn list(&self, list: u32) -> Option<Value>;
    /// The value of map number `map` at `key` (present); `None` without an entry or map.
    fn lookup(&self, map: u32, key: &Value) -> Option<Value>;
    /// Whether `text` matches the checked regex `pattern`.
    fn matches(&self, pattern: &str, text: &str) -> bool;
    /// Whether `p` lies in zone number `zone`.
    fn within(&self, zone: u32, p: Point) -> bool;
    /// The value of aggregate number `i` of the window.
    fn aggregate(&self, i: u32) -> Value;
    /// The group, sequence or instance key.
    fn key(&self) -> Value;
    /// In a workflow: the state the instance came from.
    fn from(&self) -> Value;
    /// In a workflow: how many times the instance entered state number `i`.
    fn visits(&self, i: u32) -> Value;
    /// In a workflow: the value of variable number `i`.
    fn var(&self, i: u32) -> Value;
    /// In the fields of `emit ... for x in set`: the element `x`.
    fn element(&self) -> Value {
        Value::Absent
    }
    /// The rule set's calendar, for `workday` (none: Monday to Friday).
    fn calendar(&self) -> Option<&crate::CalendarDef> {
        None
    }
    /// The rule set's time zone, for `hour` and `weekday`.
    fn tz(&self) -> &jiff::tz::TimeZone;
}

/// Evaluates `id`. `Err` is an overflow or a division by zero, which makes a whole condition
/// false (SPEC §3).
pub fn eval(arena: &ExprArena, id: ExprId, inputs: &impl Inputs) -> Result<Value, EvalError> {
    let ev = |e: ExprId| eval(arena, e, inputs);
    Ok(match arena.node(id) {
        Node::Const(v) => v.clone(),
        Node::Field { slot, field } => inputs.field(*slot, *field),
        Node::EventTime(slot) => inputs.time(*slot),
        Node::EventId(slot) => inputs.id(*slot),
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
        } => match ev(*value)? {
            // `not` applies after: `x not in l` is true for an absent `x` (SPEC §3).
            Value::Absent => Value::Bool(*negated),
            v => Value::Bool(inputs.in_list(*list, &v).is_some_and(|hit| hit != *negated)),
        },
        Node::List(i) => inputs.list(*i).unwrap_or(Value::Absent),
        Node::Lookup { map, key } => match ev(*key)? {
            Value::Absent => Value::Absent,
            k => inputs.lookup(*map, &k).unwrap_or(Value::Absent),
        },
        // Only the branch taken is evaluated: an overflow in the other changes nothing.
        Node::If(c, a, b) => match ev(*c)? {
            Value::Bool(true) => ev(*a)?,
            _ => ev(*b)?,
        },
        Node::Coalesce(a, b) => match ev(*a)? {
            Value::Absent => ev(*b)?,
            v => v,
        },
        Node::Exists(a) => Value::Bool(!ev(*a)?.is_absent()),
        Node::Call(f, args) => {
            let vals = args.iter().map(|a| ev(*a)).collect::<Result<Vec<_>, _>>()?;
            ops::call(*f, &vals, inputs.tz(), inputs.calendar())?
        }
        Node::Matches(s, pattern) => match ev(*s)? {
            Value::Str(s) => Value::Bool(inputs.matches(pattern, &s)),
            _ => Value::Bool(false),
        },
        Node::Within(p, zone) => match ev(*p)? {
            Value::Point(p) => Value::Bool(inputs.within(*zone, p)),
            _ => Value::Bool(false),
        },
        Node::Agg(i) => inputs.aggregate(*i),
        Node::Key => inputs.key(),
        Node::From => inputs.from(),
        Node::Visits(i) => inputs.visits(*i),
        Node::Var(i) => inputs.var(*i),
        Node::Element => inputs.element(),
        // Parameters are inlined away before a program exists.
        Node::Param(_) => Value::Absent,
    })
}
