//! The sequence matcher (SPEC §4.1): partial matches per key with EQL-style match selection,
//! absences between steps and after the last one.
//!
//! A `Sequence` owns its state and decides what an event does to it; everything it needs
//! from the engine around it (evaluation, keys, the key cap, timers, observers) goes through
//! `Host`. It never fires a rule itself: a completed match is returned, and the engine applies
//! suppression and actions.

use smallvec::{SmallVec, smallvec};
use vigil_ir::{self as ir, Value};

use crate::engine::Engine;
use crate::explain::SeqFate;
use crate::host::{Host, KeyOf};
use crate::interp::Ctx;
use crate::row::{Event, Key, KeyMap, KeyRef, Layout, Row};
use crate::snapshot::{Dec, Enc, R};

/// A rule's event slots, one per step: inline for sequences of up to three steps.
pub(crate) type Slots = SmallVec<[Option<Event>; 3]>;

/// A match in progress: the events of the steps matched so far (one slot per step).
#[derive(Clone)]
pub(crate) struct Partial {
    pub(crate) slots: Slots,
    pub(crate) first_time: i64,
}

impl Partial {
    /// Positive steps matched.
    pub(crate) fn reached(&self) -> usize {
        self.slots.iter().filter(|s| s.is_some()).count()
    }
}

/// One key's partial matches.
#[derive(Clone)]
pub(crate) struct SeqKey {
    /// `waiting[k]`: the one partial match that has matched positive steps 0..=k, for every
    /// positive step but the last (whose match is complete): empty for `a then not B`.
    waiting: Vec<Option<Partial>>,
    /// Complete matches waiting for their absence deadline, each with its own (usually one
    /// per key, kept inline).
    pending: SmallVec<[(u64, Partial); 1]>,
}

impl SeqKey {
    fn new(places: usize) -> SeqKey {
        SeqKey {
            waiting: vec![None; places],
            pending: SmallVec::new(),
        }
    }

    fn is_empty(&self) -> bool {
        self.pending.is_empty() && self.waiting.iter().all(Option::is_none)
    }

    /// The partial match that has matched positive steps 0..=k.
    pub(crate) fn waiting(&self, k: usize) -> Option<&Partial> {
        self.waiting.get(k)?.as_ref()
    }

    /// Every partial match waiting for a next step.
    pub(crate) fn all_waiting(&self) -> impl Iterator<Item = &Partial> {
        self.waiting.iter().flatten()
    }

    /// The complete matches waiting for their absence deadline, with their numbers.
    pub(crate) fn pending(&self) -> impl Iterator<Item = (u64, &Partial)> {
        self.pending.iter().map(|(id, p)| (*id, p))
    }

    /// Puts `partial` at `place`; the partial that waited there before, if any.
    fn store(&mut self, place: Place, partial: Partial) -> Option<Partial> {
        match place {
            Place::Waiting(k) => self.waiting.get_mut(k)?.replace(partial),
            Place::Pending(id) => {
                self.pending.push((id, partial));
                None
            }
        }
    }
}

/// Where a match that is not complete, or waits for its final absence, is kept.
#[derive(Debug, Clone, Copy)]
enum Place {
    /// Waiting for the positive step after its `k`-th.
    Waiting(usize),
    /// Complete, pending the absence deadline of this timer.
    Pending(u64),
}

/// A completed match: the rule fires with it.
pub(crate) struct Complete {
    pub(crate) key: Value,
    pub(crate) slots: Slots,
}

/// A sequence rule's matcher: its pattern and its partial matches.
pub(crate) struct Sequence {
    steps: Box<[ir::SeqStep]>,
    /// Every positive step must fall within this span of the first.
    within: i64,
    /// How many steps are not absences.
    positives: usize,
    keys: KeyMap<SeqKey>,
    /// Event time of the next sweep of expired partial matches.
    next_sweep: i64,
}

impl Sequence {
    pub(crate) fn new(steps: &[ir::SeqStep], within: i64) -> Sequence {
        Sequence {
            steps: steps.into(),
            within,
            positives: steps.iter().filter(|s| !s.absent).count(),
            keys: KeyMap::default(),
            next_sweep: i64::MIN,
        }
    }

    /// How many keys hold state (for the key cap).
    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }

    pub(crate) fn next_sweep(&self) -> i64 {
        self.next_sweep
    }

    pub(crate) fn get(&self, key: KeyRef<'_>) -> Option<&SeqKey> {
        self.keys.get(&key)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (&Key, &SeqKey)> {
        self.keys.iter()
    }

    /// The partial match an event filling step `j` for `key` at `time` acts on: the one a
    /// positive step continues (none for the first), the one an absence between steps
    /// discards, or the first pending match a final absence cancels.
    pub(crate) fn acted_on(&self, key: KeyRef<'_>, j: usize, time: i64) -> Option<&Partial> {
        let s = self.keys.get(&key)?;
        let step = self.steps.get(j)?;
        if step.absent && j + 1 == self.steps.len() {
            let within = self.within;
            return s
                .pending()
                .map(|(_, p)| p)
                .find(|p| time < p.first_time + within);
        }
        s.waiting(self.rank(j).checked_sub(1)?)
    }

    /// The partial match a new match of `key` would supersede.
    pub(crate) fn superseded(&self, key: KeyRef<'_>) -> Option<&Partial> {
        self.keys.get(&key)?.waiting(0)
    }

    /// Whether `p` is too old to continue at `time`.
    pub(crate) fn expired(&self, p: &Partial, time: i64) -> bool {
        time - p.first_time >= self.within
    }

    fn final_absence(&self) -> bool {
        self.steps.last().is_some_and(|s| s.absent)
    }

    /// Offers `event`; the match it completes, if any. `gated`: the plan already found the
    /// condition of step 0 true for it.
    pub(crate) fn offer(
        &mut self,
        host: &mut impl Host,
        exprs: &ir::ExprArena,
        event: &Event,
        gated: bool,
    ) -> Option<Complete> {
        let n = self.steps.len();
        // The key of each step this event's type can fill (on the stack for short sequences:
        // this runs for every event of the sequence's types).
        let mut small_keys: [Option<KeyOf<'_>>; SMALL_KEYS] = Default::default();
        let mut large_keys: Vec<Option<KeyOf<'_>>> = Vec::new();
        let keys: &mut [Option<KeyOf<'_>>] = match small_keys.get_mut(..n) {
            Some(keys) => keys,
            None => {
                large_keys.resize_with(n, || None);
                &mut large_keys
            }
        };
        self.read_keys(host, exprs, event, gated, keys);
        if keys.iter().all(Option::is_none) {
            return None;
        }
        self.sweep(host, event.time);
        self.discard(host, exprs, event, keys);
        self.cancel(host, exprs, event, keys);
        self.advance(host, exprs, event, keys)
    }

    /// The key of each step `event` may fill, in `keys`.
    fn read_keys<'e>(
        &self,
        host: &mut impl Host,
        exprs: &ir::ExprArena,
        event: &'e Event,
        gated: bool,
        keys: &mut [Option<KeyOf<'e>>],
    ) {
        let n = self.steps.len();
        for ((j, step), place) in self.steps.iter().enumerate().zip(keys) {
            if step.event != event.ty {
                continue;
            }
            // The first positive step: an event its condition rejects starts nothing, and its
            // key there is never needed (most events of a start type, in practice). `gated`:
            // the plan found it true (`plan::gate`: then this is step 0).
            let first = !step.absent && self.rank(j) == 0;
            let known = gated && j == 0;
            if first && !known && !step_matches(&self.steps, host, exprs, j, &[], event) {
                continue;
            }
            let key = with_slots(n, |slots| {
                if let Some(s) = slots.get_mut(j) {
                    *s = Some(&**event);
                }
                let ctx = Ctx {
                    slots,
                    ..Ctx::default()
                };
                host.key_of(exprs, step.key, (j, &**event), &ctx)
            });
            match key {
                Some(k) if k.is_absent() => host.key_absent(),
                Some(k) => *place = Some(k),
                None => {}
            }
        }
    }

    /// Absences between steps discard the partial match that waits before them.
    fn discard(
        &mut self,
        host: &mut impl Host,
        exprs: &ir::ExprArena,
        event: &Event,
        keys: &[Option<KeyOf<'_>>],
    ) {
        let n = self.steps.len();
        for (j, (step, key)) in self.steps.iter().zip(keys).enumerate() {
            if !step.absent || j + 1 == n {
                continue;
            }
            let Some(key) = key else { continue };
            let Some(k) = self.rank(j).checked_sub(1) else {
                continue;
            };
            let key = key.as_ref();
            let Some(waiting) = self.keys.get_mut(&key).and_then(|s| s.waiting.get_mut(k)) else {
                continue;
            };
            if let Some(p) = waiting
                && step_matches(&self.steps, host, exprs, j, &p.slots, event)
            {
                let reached = p.reached();
                *waiting = None;
                let fate = SeqFate::Discarded { reached };
                host.observe(key, event.time, event.line(), fate);
            }
        }
    }

    /// A final absence cancels its key's pending matches whose deadline is still ahead.
    fn cancel(
        &mut self,
        host: &mut impl Host,
        exprs: &ir::ExprArena,
        event: &Event,
        keys: &[Option<KeyOf<'_>>],
    ) {
        if !self.final_absence() {
            return;
        }
        let (Some(Some(key)), Some(step)) = (keys.last(), self.steps.last()) else {
            return;
        };
        let key = key.as_ref();
        let Some(s) = self.keys.get_mut(&key) else {
            return;
        };
        let (within, last) = (self.within, self.steps.len() - 1);
        let in_time = |p: &Partial| event.time < p.first_time + within;
        if step.cond.is_none() && !host.observed() {
            // Nothing to evaluate and nothing to note.
            s.pending.retain(|(_, p)| !in_time(p));
            return;
        }
        let mut cancelled = 0;
        s.pending.retain(|(_, p)| {
            let cancels =
                in_time(p) && step_matches(&self.steps, host, exprs, last, &p.slots, event);
            cancelled += usize::from(cancels);
            !cancels
        });
        for _ in 0..cancelled {
            host.observe(key, event.time, event.line(), SeqFate::Cancelled);
        }
    }

    /// Positive steps, last first, so that one event never fills two steps of one match.
    fn advance(
        &mut self,
        host: &mut impl Host,
        exprs: &ir::ExprArena,
        event: &Event,
        keys: &[Option<KeyOf<'_>>],
    ) -> Option<Complete> {
        let (n, within) = (self.steps.len(), self.within);
        let (time, line) = (event.time, event.line());
        for (j, key_of) in keys.iter().enumerate().rev() {
            if self
                .steps
                .get(j)
                .is_none_or(|s| s.absent || s.event != event.ty)
            {
                continue;
            }
            let Some(key_of) = key_of else { continue };
            let k = self.rank(j);
            let key = key_of.as_ref();
            let mut advanced = if k == 0 {
                // A new match (its condition held when its key was read).
                Partial {
                    slots: smallvec![None; n],
                    first_time: time,
                }
            } else {
                let Some(waiting) = self
                    .keys
                    .get_mut(&key)
                    .and_then(|s| s.waiting.get_mut(k - 1))
                else {
                    continue;
                };
                let Some(p) = waiting else { continue };
                // Every positive step must fall within the span of the first.
                if time - p.first_time >= within {
                    let fate = SeqFate::Expired {
                        reached: p.reached(),
                        at: p.first_time.saturating_add(within),
                    };
                    *waiting = None;
                    host.observe(key, time, line, fate);
                    continue;
                }
                if !step_matches(&self.steps, host, exprs, j, &p.slots, event) {
                    continue;
                }
                let Some(p) = waiting.take() else { continue };
                p
            };
            if let Some(slot) = advanced.slots.get_mut(j) {
                *slot = Some(event.clone());
            }
            let complete = k + 1 == self.positives;
            if !complete || self.final_absence() {
                self.wait(host, key_of, event, k, advanced);
                continue;
            }
            if k == 0 && !self.ensure_key(host, key_of, event) {
                continue;
            }
            host.observe(key, time, line, progress(k));
            host.observe(key, time, line, SeqFate::Completed);
            // Complete: discard every partial match of this key (skip past the last event).
            if let Some(s) = self.keys.get_mut(&key) {
                for p in s.waiting.iter_mut().filter_map(Option::take) {
                    let fate = SeqFate::Dropped {
                        reached: p.reached(),
                    };
                    host.observe(key, time, line, fate);
                }
                if s.is_empty() {
                    self.keys.remove(&key);
                }
            }
            // The completing event does not start a new match.
            return Some(Complete {
                key: host.owned_key(key_of),
                slots: advanced.slots,
            });
        }
        None
    }

    /// Keeps `advanced` (which has matched positive step `k`), for its next positive step or,
    /// complete, for its absence deadline: stored with one lookup of its key (or one
    /// insertion, for a first step).
    fn wait(
        &mut self,
        host: &mut impl Host,
        key_of: &KeyOf<'_>,
        event: &Event,
        k: usize,
        advanced: Partial,
    ) {
        let complete = k + 1 == self.positives;
        let key = key_of.as_ref();
        let (time, line) = (event.time, event.line());
        let place = if complete {
            Place::Pending(host.pending_id())
        } else {
            Place::Waiting(k)
        };
        let deadline = advanced.first_time + self.within;
        let replaced = match self.keys.get_mut(&key) {
            Some(s) => s.store(place, advanced),
            None if k == 0 => {
                if !host.admit(self.keys.len(), key, event) {
                    return;
                }
                let owned = Key(host.owned_key(key_of));
                let mut s = SeqKey::new(self.positives - 1);
                s.store(place, advanced);
                self.keys.insert(owned, s);
                None
            }
            None => return,
        };
        host.observe(key, time, line, progress(k));
        match place {
            Place::Waiting(_) => {
                if replaced.is_some() {
                    let fate = SeqFate::Superseded { reached: k + 1 };
                    host.observe(key, time, line, fate);
                }
            }
            Place::Pending(id) => {
                host.observe(key, time, line, SeqFate::Completed);
                let owned = Key(host.owned_key(key_of));
                host.absence_timer(deadline, owned, id);
            }
        }
    }

    /// Makes sure `key` has state; false when the key cap forbids it.
    fn ensure_key(&mut self, host: &mut impl Host, key: &KeyOf<'_>, event: &Event) -> bool {
        if self.keys.contains_key(&key.as_ref()) {
            return true;
        }
        if !host.admit(self.keys.len(), key.as_ref(), event) {
            return false;
        }
        let owned = Key(host.owned_key(key));
        self.keys.insert(owned, SeqKey::new(self.positives - 1));
        true
    }

    /// Drops expired partial matches once per span of event time (SPEC §7: memory follows
    /// the live keys): keys whose partial matches have all passed their span, with no absence
    /// pending, go.
    fn sweep(&mut self, host: &mut impl Host, now: i64) {
        if now < self.next_sweep {
            return;
        }
        let within = self.within;
        self.next_sweep = now.saturating_add(within);
        let horizon = now.saturating_sub(within);
        let observed = host.observed();
        self.keys.retain(|k, s| {
            for w in &mut s.waiting {
                if w.as_ref().is_some_and(|p| p.first_time <= horizon)
                    && let Some(p) = w.take()
                    && observed
                {
                    let at = p.first_time.saturating_add(within);
                    let fate = SeqFate::Expired {
                        reached: p.reached(),
                        at,
                    };
                    host.observe(KeyRef::Value(&k.0), at, None, fate);
                }
            }
            !s.is_empty()
        });
    }

    /// The final-absence deadline of pending match `id` of `key` has come: the match, unless
    /// an absent-type event cancelled it.
    pub(crate) fn due(&mut self, key: &Key, id: u64) -> Option<Partial> {
        let s = self.keys.get_mut(key)?;
        let pos = s.pending.iter().position(|(i, _)| *i == id)?;
        let (_, partial) = s.pending.remove(pos);
        if s.is_empty() {
            self.keys.remove(key);
        }
        Some(partial)
    }

    /// Whether pending match `id` of `key` still waits for its deadline.
    pub(crate) fn is_pending(&self, key: &Key, id: u64) -> bool {
        self.keys
            .get(key)
            .is_some_and(|s| s.pending.iter().any(|(i, _)| *i == id))
    }

    /// The position of step `j` among the positive steps.
    fn rank(&self, j: usize) -> usize {
        positive_rank(&self.steps, j)
    }
}

/// Whether `event` fills step `j` of a match whose earlier steps hold `earlier` (missing ones
/// are empty; its condition sees them).
fn step_matches(
    steps: &[ir::SeqStep],
    host: &mut impl Host,
    exprs: &ir::ExprArena,
    j: usize,
    earlier: &[Option<Event>],
    event: &Event,
) -> bool {
    let Some(cond) = steps.get(j).and_then(|s| s.cond) else {
        return true;
    };
    with_slots(steps.len(), |slots| {
        for (s, p) in slots.iter_mut().zip(earlier) {
            *s = p.as_deref();
        }
        if let Some(s) = slots.get_mut(j) {
            *s = Some(event);
        }
        let ctx = Ctx {
            slots,
            ..Ctx::default()
        };
        host.test(exprs, cond, &ctx)
    })
}

/// What matching positive step `k` (counted among the positive steps) makes of a match.
fn progress(k: usize) -> SeqFate {
    match k {
        0 => SeqFate::Started,
        _ => SeqFate::Advanced { reached: k + 1 },
    }
}

/// The position of step `j` among the positive steps (the steps before it that are not
/// absences).
pub(crate) fn positive_rank(steps: &[ir::SeqStep], j: usize) -> usize {
    steps.iter().take(j).filter(|s| !s.absent).count()
}

/// Sequences of up to this many steps evaluate on the stack.
const SMALL: usize = 8;

/// Sequences of up to this many steps keep their keys on the stack (dropped one by one for
/// every event of their types: fewer than `SMALL`).
const SMALL_KEYS: usize = 4;

/// Runs `f` with `n` empty event slots, on the stack when `n` is small.
fn with_slots<'r, T>(n: usize, f: impl FnOnce(&mut [Option<&'r Row>]) -> T) -> T {
    let mut small = [None; SMALL];
    match small.get_mut(..n) {
        Some(slots) => f(slots),
        None => f(&mut vec![None; n]),
    }
}

// ---------------------------------------------------------------------------------------------
// Snapshots: keys in key order, each with its waiting places and its pending matches.

impl Sequence {
    pub(crate) fn encode(&self, e: &mut Enc, program: &ir::Program, layouts: &[Layout]) {
        let mut keys: Vec<(&Key, &SeqKey)> = self.keys.iter().collect();
        keys.sort_by(|a, b| a.0.0.total_cmp(&b.0.0));
        e.u64(keys.len() as u64);
        for (k, s) in keys {
            e.value(&k.0);
            e.u64(s.waiting.len() as u64);
            for w in &s.waiting {
                match w {
                    Some(p) => {
                        e.u8(1);
                        encode_partial(e, program, layouts, p);
                    }
                    None => e.u8(0),
                }
            }
            e.u64(s.pending.len() as u64);
            for (id, p) in &s.pending {
                e.u64(*id);
                encode_partial(e, program, layouts, p);
            }
        }
    }

    /// How many places for waiting partial matches each key has: one per positive step but
    /// the last.
    pub(crate) fn waiting_places(&self) -> usize {
        self.positives.saturating_sub(1)
    }

    /// Takes the partial matches a snapshot held (`decode`), and its time of the next sweep.
    pub(crate) fn restore(&mut self, saved: Saved, next_sweep: i64) {
        self.keys = saved.0;
        self.next_sweep = next_sweep;
    }
}

/// A sequence's partial matches as a snapshot holds them, read before they touch the engine.
pub(crate) struct Saved(KeyMap<SeqKey>);

/// Reads what `Sequence::encode` wrote, giving each key `places` waiting places whatever the
/// snapshot held (earlier versions kept one more, always empty).
pub(crate) fn decode(d: &mut Dec<'_>, engine: &Engine, places: usize) -> R<Saved> {
    let mut keys = KeyMap::default();
    for _ in 0..d.len()? {
        let k = d.value()?;
        let mut waiting = Vec::new();
        for _ in 0..d.len()? {
            waiting.push(if d.u8()? == 1 {
                Some(decode_partial(d, engine)?)
            } else {
                None
            });
        }
        waiting.resize(places, None);
        let mut pending = SmallVec::new();
        for _ in 0..d.len()? {
            let id = d.u64()?;
            pending.push((id, decode_partial(d, engine)?));
        }
        keys.insert(Key(k), SeqKey { waiting, pending });
    }
    Ok(Saved(keys))
}

fn encode_partial(e: &mut Enc, program: &ir::Program, layouts: &[Layout], p: &Partial) {
    e.i64(p.first_time);
    e.u64(p.slots.len() as u64);
    for s in &p.slots {
        e.opt_row(program, layouts, s.as_ref());
    }
}

fn decode_partial(d: &mut Dec<'_>, engine: &Engine) -> R<Partial> {
    let first_time = d.i64()?;
    let mut slots = SmallVec::new();
    for _ in 0..d.len()? {
        slots.push(d.opt_row(engine)?);
    }
    Ok(Partial { slots, first_time })
}
