//! What a matcher (`sequence`, `windows`) needs from the engine it runs in: evaluation that
//! counts its errors and feeds coverage, keys read in place, the key cap, timers, and the
//! observers of `explain`. The engine implements it once (`rules::RuleHost`); a matcher sees
//! nothing else of the engine, so its logic reads on its own and can be driven by a test host.

use vigil_ir::{self as ir, Value};

use crate::explain::SeqFate;
use crate::interp::{Ctx, EvalError};
use crate::row::{Event, Key, KeyRef, Row};

/// What a matcher needs from the engine it runs in.
pub(crate) trait Host {
    /// Evaluates a condition; errors make it false (and are counted).
    fn test(&mut self, arena: &ir::ExprArena, cond: ir::ExprId, ctx: &Ctx<'_>) -> bool;
    /// Evaluates a value; errors give `None` (and are counted).
    fn value(&mut self, arena: &ir::ExprArena, expr: ir::ExprId, ctx: &Ctx<'_>) -> Option<Value>;
    /// Counts an evaluation error found outside `test` and `value`.
    fn eval_error(&mut self, e: EvalError);
    /// The key `expr` reads, `event` being in slot `at.0`; `None` on an evaluation error.
    fn key_of<'e>(
        &mut self,
        arena: &ir::ExprArena,
        expr: ir::ExprId,
        at: (usize, &'e Row),
        ctx: &Ctx<'_>,
    ) -> Option<KeyOf<'e>>;
    /// The key as a value to keep.
    fn owned_key(&mut self, key: &KeyOf<'_>) -> Value;
    /// An event's key was absent: the event starts and continues nothing.
    fn key_absent(&mut self);
    /// Whether a matcher holding state for `held` keys may take `key` as one more (the key
    /// cap); when not, the host says so.
    fn admit(&mut self, held: usize, key: KeyRef<'_>, event: &Event) -> bool;

    // Sequences.

    /// A fresh number for a complete match that waits for its final absence.
    fn pending_id(&mut self) -> u64;
    /// Calls back `Sequence::due` for the pending match `id` of `key` at `due`.
    fn absence_timer(&mut self, due: i64, key: Key, id: u64);
    /// Observers (explain): a partial match of `key` met `fate` at `time`.
    fn observe(&mut self, key: KeyRef<'_>, time: i64, line: Option<u64>, fate: SeqFate);
    /// Whether anyone observes: work done only for `observe` is skipped otherwise.
    fn observed(&self) -> bool;
}

/// A group or sequence key as read from an event.
pub(crate) enum KeyOf<'e> {
    /// String field `field` of the event, read in place.
    Field {
        field: u16,
        text: &'e str,
    },
    Value(Value),
}

impl KeyOf<'_> {
    pub(crate) fn as_ref(&self) -> KeyRef<'_> {
        match self {
            KeyOf::Field { text, .. } => KeyRef::Str(text),
            KeyOf::Value(v) => KeyRef::Value(v),
        }
    }

    pub(crate) fn is_absent(&self) -> bool {
        matches!(self, KeyOf::Value(Value::Absent))
    }
}
