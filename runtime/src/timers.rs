//! Timers: absence deadlines and workflow `after` clauses, in the order SPEC §7 fires them.

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, VecDeque};
use vigil_ir::{RuleId, WorkflowId};

use crate::row::Key;

/// What a timer does when it fires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TimerKind {
    /// The deadline of a sequence match waiting for an absence (`then not` last).
    Absence { rule: RuleId, key: Key, id: u64 },
    /// An `after` clause of a workflow state, for the instance's entry `generation`.
    Workflow {
        workflow: WorkflowId,
        key: Key,
        generation: u64,
        timer: usize,
    },
    /// A workflow-level `after` clause (SPEC v0.2), for the instance born at `born`.
    WorkflowLevel {
        workflow: WorkflowId,
        key: Key,
        born: u64,
        timer: usize,
    },
}

impl TimerKind {
    /// The key the timer belongs to (timers at one instant fire in key order).
    pub(crate) fn key(&self) -> &Key {
        match self {
            TimerKind::Absence { key, .. }
            | TimerKind::Workflow { key, .. }
            | TimerKind::WorkflowLevel { key, .. } => key,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Timer {
    pub due: i64,
    /// Declaration order of the rule or workflow.
    pub order: u32,
    pub seq: u64,
    pub kind: TimerKind,
}

impl PartialEq for Timer {
    fn eq(&self, other: &Timer) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Timer {}
impl PartialOrd for Timer {
    fn partial_cmp(&self, other: &Timer) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Timer {
    /// (due time, declaration order, key in byte order, creation order): SPEC §7.
    fn cmp(&self, other: &Timer) -> Ordering {
        (self.due, self.order)
            .cmp(&(other.due, other.order))
            .then_with(|| self.kind.key().byte_cmp(other.kind.key()))
            .then(self.seq.cmp(&other.seq))
    }
}

/// The timers still to fire, earliest first.
///
/// Most timers are set in the order they fall due: an absence deadline is its match's start
/// plus the rule's constant span, and events arrive in time order. Those wait in a queue,
/// where setting and firing one is constant time; a timer that falls due before the newest
/// queued one goes to a heap. The earlier of the two fronts fires first.
#[derive(Debug, Default)]
pub(crate) struct TimerQueue {
    /// In firing order.
    queue: VecDeque<Timer>,
    out_of_order: BinaryHeap<Reverse<Timer>>,
}

impl TimerQueue {
    pub(crate) fn push(&mut self, timer: Timer) {
        if self.queue.back().is_none_or(|last| *last <= timer) {
            self.queue.push_back(timer);
        } else {
            self.out_of_order.push(Reverse(timer));
        }
    }

    /// The timer that fires next.
    pub(crate) fn peek(&self) -> Option<&Timer> {
        match (self.queue.front(), self.out_of_order.peek()) {
            (Some(q), Some(Reverse(h))) => Some(if h < q { h } else { q }),
            (q, h) => q.or(h.map(|Reverse(h)| h)),
        }
    }

    pub(crate) fn pop(&mut self) -> Option<Timer> {
        let from_heap = match (self.queue.front(), self.out_of_order.peek()) {
            (Some(q), Some(Reverse(h))) => h < q,
            (None, _) => true,
            (Some(_), None) => false,
        };
        if from_heap {
            self.out_of_order.pop().map(|Reverse(t)| t)
        } else {
            self.queue.pop_front()
        }
    }

    /// Every timer, in no particular order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Timer> {
        self.queue
            .iter()
            .chain(self.out_of_order.iter().map(|Reverse(t)| t))
    }
}

#[cfg(test)]
mod tests {
    use vigil_ir::Value;

    use super::*;

    fn timer(due: i64, order: u32, key: &str, seq: u64) -> Timer {
        Timer {
            due,
            order,
            seq,
            kind: TimerKind::Absence {
                rule: RuleId(0),
                key: Key(Value::str(key)),
                id: seq,
            },
        }
    }

    /// Timers pushed in any order come out in the order of a plain heap.
    #[test]
    fn timers_fire_in_spec_order_whatever_order_they_were_set_in() {
        // A small deterministic generator: dues that mostly rise, with ties and late ones.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for round in 0..200 {
            let mut queue = TimerQueue::default();
            let mut reference = BinaryHeap::new();
            let mut due = 0;
            let mut popped = Vec::new();
            let mut expected = Vec::new();
            for seq in 0..(round % 40 + 1) {
                let r = next();
                due += match r % 5 {
                    0 => 0,
                    1 => -(((r >> 8) % 50) as i64),
                    _ => ((r >> 8) % 20) as i64,
                };
                let key = ["a", "b", "c"][(r >> 16) as usize % 3];
                let t = timer(due, (r >> 24) as u32 % 2, key, seq);
                queue.push(t.clone());
                reference.push(Reverse(t));
                if r % 7 == 0 {
                    assert_eq!(
                        queue.peek().map(|t| t.seq),
                        reference.peek().map(|t| t.0.seq)
                    );
                    popped.extend(queue.pop().map(|t| t.seq));
                    expected.extend(reference.pop().map(|t| t.0.seq));
                }
            }
            assert_eq!(queue.iter().count(), reference.len());
            while let Some(Reverse(t)) = reference.pop() {
                expected.push(t.seq);
                popped.extend(queue.pop().map(|t| t.seq));
            }
            assert_eq!(queue.pop().map(|t| t.seq), None);
            assert_eq!(popped, expected, "round {round}");
        }
    }
}
