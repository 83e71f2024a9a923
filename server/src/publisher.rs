//! The output side shared by the worker and the router: what a read made waits in the outbox,
//! each subject's last mark is read once per start and then kept, and a message refused as
//! already published is recognised as a predecessor's.

use std::collections::HashMap;

use crate::log::{Error, Output, Subject};
use crate::outbox::Outbox;

pub(crate) struct Publisher<O> {
    pub(crate) output: O,
    /// Each subject's last mark, read once per start and then kept.
    marks: HashMap<Subject, u64>,
    /// What the messages applied since the last send made.
    pub(crate) outbox: Outbox,
}

impl<O: Output> Publisher<O> {
    pub(crate) fn new(output: O) -> Self {
        Publisher {
            output,
            marks: HashMap::new(),
            outbox: Outbox::default(),
        }
    }

    /// The last mark of `subject`, pending or published (read from the transport the first
    /// time).
    pub(crate) fn mark(&mut self, subject: &Subject) -> Result<u64, Error> {
        if let Some(m) = self.outbox.mark(subject) {
            return Ok(m);
        }
        if let Some(m) = self.marks.get(subject) {
            return Ok(*m);
        }
        let m = self.output.last(subject)?;
        self.marks.insert(subject.clone(), m);
        Ok(m)
    }

    /// Puts `line` in the outbox for `subject` unless the subject holds `mark` already.
    pub(crate) fn push_new(
        &mut self,
        subject: &Subject,
        mark: u64,
        line: impl AsRef<[u8]>,
    ) -> Result<(), Error> {
        if mark > self.mark(subject)? {
            self.outbox.push(subject, mark, line);
        }
        Ok(())
    }

    /// Publishes the outbox, a round at a time. A message refused because the subject is
    /// already at or past its mark was published by a worker we replaced, which ran the same
    /// input the same way: the same lines, so it is done.
    pub(crate) fn send(&mut self) -> Result<(), Error> {
        for round in self.outbox.take_rounds() {
            let marks: Vec<(Subject, u64)> =
                round.iter().map(|(s, m)| (s.clone(), m.mark)).collect();
            let results = self.output.publish_all(round);
            for ((subject, mark), result) in marks.into_iter().zip(results) {
                let mark = match result {
                    Ok(()) => mark,
                    Err(Error::Fenced(why)) => {
                        let now = self.output.last(&subject)?;
                        if now < mark {
                            return Err(Error::Fenced(why));
                        }
                        now
                    }
                    Err(e) => return Err(e),
                };
                self.marks.insert(subject, mark);
            }
        }
        Ok(())
    }
}
