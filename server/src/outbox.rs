//! What a batch of input messages has to publish, kept until the batch is done: per subject,
//! lines cut into messages of at most `MESSAGE_BYTES`, each marked with its last line's mark.
//! Sent in rounds, one message per subject in each, so that a transport can send a round at
//! once and await its acknowledgements together.

use std::collections::BTreeMap;

use crate::log::{Published, Subject};

/// NATS refuses messages over its `max_payload`, 1 MiB by default: half leaves room for the
/// headers and for a server configured lower.
pub const MESSAGE_BYTES: usize = 512 * 1024;

#[derive(Debug, Default)]
pub struct Outbox {
    subjects: BTreeMap<Subject, Vec<Published>>,
}

impl Outbox {
    /// Adds `line` (with its newline) marked `mark` after what `subject` has pending.
    pub fn push(&mut self, subject: &Subject, mark: u64, line: impl AsRef<[u8]>) {
        let line = line.as_ref();
        let messages = match self.subjects.get_mut(subject) {
            Some(m) => m,
            None => self.subjects.entry(subject.clone()).or_default(),
        };
        match messages.last_mut() {
            Some(last) if last.lines.len() + line.len() <= MESSAGE_BYTES => {
                last.lines.extend_from_slice(line);
                last.mark = mark;
            }
            _ => messages.push(Published {
                mark,
                lines: line.to_vec(),
            }),
        }
    }

    /// The mark of the last line pending for `subject`.
    pub fn mark(&self, subject: &Subject) -> Option<u64> {
        self.subjects.get(subject)?.last().map(|m| m.mark)
    }

    /// Everything pending, emptied out: round `k` holds each subject's `k`-th message.
    pub fn take_rounds(&mut self) -> Vec<Vec<(Subject, Published)>> {
        let mut rounds: Vec<Vec<(Subject, Published)>> = Vec::new();
        for (subject, messages) in std::mem::take(&mut self.subjects) {
            for (k, message) in messages.into_iter().enumerate() {
                match rounds.get_mut(k) {
                    Some(round) => round.push((subject.clone(), message)),
                    None => rounds.push(vec![(subject.clone(), message)]),
                }
            }
        }
        rounds
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subject_is_cut_into_messages_and_sent_one_message_per_round() {
        let mut outbox = Outbox::default();
        let long = format!("{}\n", "x".repeat(MESSAGE_BYTES / 2 - 1));
        for mark in 1..=3 {
            outbox.push(&Subject::Records, mark, &long);
        }
        outbox.push(&Subject::Rejects, 7, "{}\n");
        assert_eq!(outbox.mark(&Subject::Records), Some(3));
        assert_eq!(outbox.mark(&Subject::Unit("desk".into())), None);

        let rounds = outbox.take_rounds();
        let shape: Vec<Vec<(Subject, u64, usize)>> = rounds
            .iter()
            .map(|round| {
                round
                    .iter()
                    .map(|(s, m)| (s.clone(), m.mark, m.lines.len()))
                    .collect()
            })
            .collect();
        let half = long.len();
        assert_eq!(
            shape,
            vec![
                vec![(Subject::Records, 2, 2 * half), (Subject::Rejects, 7, 3)],
                vec![(Subject::Records, 3, half)],
            ]
        );
        assert!(outbox.take_rounds().is_empty());
    }
}
