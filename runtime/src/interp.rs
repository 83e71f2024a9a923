//! The reference interpreter: evaluates IR expressions over rows, with the operator semantics
//! of `vigil_compiler::ir::ops`. The JIT is tested against it.

use std::collections::HashMap;
use std::sync::Arc;

use smol_str::SmolStr;
use vigil_compiler::ir::{ExprArena, ExprId, Node, SetValue, Value, ZoneDef, ops};

use crate::row::{Layout, Row};

pub use vigil_compiler::ir::ops::EvalError;

/// What an expression can read besides constants: the events in its slots, the key, the
/// window's aggregates, and in workflows the previous state and visit counts.
#[derive(Default)]
pub struct Ctx<'a> {
    pub slots: &'a [Option<&'a Row>],
    pub key: Option<&'a Value>,
    pub aggregates: &'a [Value],
    pub from: Option<&'a str>,
    pub visits: &'a [u32],
}

/// The rule set's shared tables: lists (reloadable), zones, compiled regexes, time zone.
pub struct Tables {
    pub layouts: Vec<Layout>,
    pub lists: Vec<Arc<SetValue>>,
    /// The lists again, hashed, for the compiled code's lookups.
    pub list_index: Vec<ListIndex>,
    pub zones: Vec<ZoneDef>,
    pub regexes: HashMap<SmolStr, regex::Regex>,
    pub tz: jiff::tz::TimeZone,
}

impl Tables {
    pub fn new(program: &vigil_compiler::ir::Program) -> Tables {
        let mut regexes = HashMap::new();
        let mut collect = |arena: &ExprArena| {
            for id in arena.ids() {
                if let Node::Matches(_, pattern) = arena.node(id)
                    && !regexes.contains_key(pattern)
                    && let Ok(re) = regex::Regex::new(pattern)
                {
                    regexes.insert(pattern.clone(), re);
                }
            }
        };
        for r in &program.rules {
            collect(&r.exprs);
        }
        for w in &program.workflows {
            collect(&w.exprs);
        }
        let lists: Vec<Arc<SetValue>> = program.lists.iter().map(|l| l.values.clone()).collect();
        Tables {
            layouts: Layout::all(program),
            list_index: lists.iter().map(|l| ListIndex::new(l)).collect(),
            lists,
            zones: program.zones.clone(),
            regexes,
            tz: program.time_zone(),
        }
    }
}

/// A list's contents as hash sets: strings, and one-word values.
#[derive(Debug, Default)]
pub struct ListIndex {
    pub strs: rustc_hash::FxHashSet<Box<str>>,
    pub words: rustc_hash::FxHashSet<u64>,
}

impl ListIndex {
    pub fn new(set: &SetValue) -> ListIndex {
        let mut ix = ListIndex::default();
        for v in &set.items {
            match v {
                Value::Str(s) => {
                    ix.strs.insert(Box::from(&**s));
                }
                other => {
                    if let Some(w) = crate::row::word_of(other) {
                        ix.words.insert(w);
                    }
                }
            }
        }
        ix
    }
}

impl Tables {
    /// Field `i` of `row`.
    pub fn field(&self, row: &Row, i: u16) -> Value {
        self.layouts
            .get(row.ty as usize)
            .map_or(Value::Absent, |l| row.value(l, i))
    }
}

/// Evaluates `id`.
pub fn eval(
    arena: &ExprArena,
    id: ExprId,
    ctx: &Ctx<'_>,
    tables: &Tables,
) -> Result<Value, EvalError> {
    let ev = |e: ExprId| eval(arena, e, ctx, tables);
    Ok(match arena.node(id) {
        Node::Const(v) => v.clone(),
        Node::Field { slot, field } => {
            slot_row(ctx, *slot).map_or(Value::Absent, |r| tables.field(r, *field))
        }
        Node::EventTime(slot) => {
            slot_row(ctx, *slot).map_or(Value::Absent, |r| Value::Time(r.time))
        }
        Node::EventId(slot) => slot_row(ctx, *slot).map_or(Value::Absent, |r| {
            let id = tables
                .layouts
                .get(r.ty as usize)
                .map_or(u16::MAX, Layout::id_field);
            tables.field(r, id)
        }),
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
            match (v, tables.lists.get(*list as usize)) {
                // `not` applies after: `x not in l` is true for an absent `x` (SPEC §3).
                (Value::Absent, _) => Value::Bool(*negated),
                (_, None) => Value::Bool(false),
                (v, Some(set)) => Value::Bool(set.contains(&v) != *negated),
            }
        }
        Node::Coalesce(a, b) => match ev(*a)? {
            Value::Absent => ev(*b)?,
            v => v,
        },
        Node::Exists(a) => Value::Bool(!ev(*a)?.is_absent()),
        Node::Call(f, args) => {
            let vals = args.iter().map(|a| ev(*a)).collect::<Result<Vec<_>, _>>()?;
            ops::call(*f, &vals, &tables.tz)?
        }
        Node::Matches(s, pattern) => match ev(*s)? {
            Value::Str(s) => Value::Bool(
                tables
                    .regexes
                    .get(pattern)
                    .is_some_and(|re| re.is_match(&s)),
            ),
            _ => Value::Bool(false),
        },
        Node::Within(p, zone) => match ev(*p)? {
            Value::Point(p) => Value::Bool(
                tables
                    .zones
                    .get(*zone as usize)
                    .is_some_and(|z| z.contains(p)),
            ),
            _ => Value::Bool(false),
        },
        Node::Agg(i) => ctx
            .aggregates
            .get(*i as usize)
            .cloned()
            .unwrap_or(Value::Absent),
        Node::Key => ctx.key.cloned().unwrap_or(Value::Absent),
        Node::From => ctx.from.map_or(Value::Absent, Value::str),
        Node::Visits(i) => Value::Int(i64::from(ctx.visits.get(*i as usize).copied().unwrap_or(0))),
        Node::Param(_) => Value::Absent,
    })
}

fn slot_row<'a>(ctx: &Ctx<'a>, slot: u8) -> Option<&'a Row> {
    ctx.slots.get(slot as usize).copied().flatten()
}
