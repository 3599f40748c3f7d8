//! What the read view changed lately, in this process: for a front end that keeps its own
//! index of the view (the web app's contact list, whose index of every contact and timeline
//! cost 0.8 s and hundreds of MiB to rebuild after each action on W1). It asks where the log
//! stands (`view_mark`), and later which contacts changed since (`view_changes_since`), and
//! rereads only those. Nothing here is stored: a new process starts a new log.

use super::Store;
use rapport_model::{ContactId, RecordRef};
use std::collections::{BTreeSet, VecDeque};

/// How many changes the log keeps; a reader further behind rereads everything.
const KEEP: usize = 256;

/// A point in the view's change log (see `Store::view_mark`).
pub type ViewMark = u64;

/// One change of the view: the contacts whose record, timeline or quarantine mask changed, or
/// `None` when the view was rewritten whole.
type Entry = (ViewMark, Option<BTreeSet<ContactId>>);

#[derive(Debug, Default)]
pub(crate) struct ViewLog {
    /// The mark the next change gets.
    next: ViewMark,
    recent: VecDeque<Entry>,
}

impl ViewLog {
    fn record(&mut self, contacts: Option<BTreeSet<ContactId>>) {
        self.recent.push_back((self.next, contacts));
        self.next += 1;
        while self.recent.len() > KEEP {
            self.recent.pop_front();
        }
    }

    fn since(&self, mark: ViewMark) -> Option<BTreeSet<ContactId>> {
        if mark > self.next {
            return None;
        }
        let oldest = self.recent.front().map_or(self.next, |(m, _)| *m);
        if mark < oldest {
            return None;
        }
        let mut out = BTreeSet::new();
        for (_, contacts) in self.recent.iter().filter(|(m, _)| *m >= mark) {
            out.extend(contacts.as_ref()?);
        }
        Some(out)
    }
}

impl Store {
    /// Where the view's change log stands: give it to `view_changes_since` later.
    pub fn view_mark(&self) -> ViewMark {
        self.log(|log| log.next)
    }

    /// The contacts whose record or timeline, as the view reads, changed since `mark` (by a
    /// commit, a sync's commit, or a quarantine entry made or released in this process).
    /// `None` when it cannot tell: the view was rewritten whole since, or `mark` is older than
    /// the log keeps. Then reread everything.
    pub fn view_changes_since(&self, mark: ViewMark) -> Option<BTreeSet<ContactId>> {
        self.log(|log| log.since(mark))
    }

    /// Notes a change of the view (`None`: rewritten whole).
    pub(crate) fn log_view_change(&self, contacts: Option<BTreeSet<ContactId>>) {
        self.log(|log| log.record(contacts));
    }

    /// Notes that the quarantine masks of `records` changed.
    pub(crate) fn log_masks(&self, records: &[RecordRef]) {
        let contacts = records
            .iter()
            .filter_map(|r| match r {
                RecordRef::Contact(id) => Some(*id),
                RecordRef::Group(_) => None,
            })
            .collect();
        self.log_view_change(Some(contacts));
    }

    fn log<T>(&self, f: impl FnOnce(&mut ViewLog) -> T) -> T {
        // A panic elsewhere while the log was held leaves it whole (each change is one push).
        let mut log = self.view_log.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut log)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: &[u64]) -> BTreeSet<ContactId> {
        n.iter().map(|n| ContactId::from_u64(*n)).collect()
    }

    #[test]
    fn changes_since_a_mark_are_the_union_of_later_entries() {
        let mut log = ViewLog::default();
        log.record(Some(ids(&[1])));
        let mark = log.next;
        assert_eq!(log.since(mark), Some(BTreeSet::new()));
        log.record(Some(ids(&[2])));
        log.record(Some(ids(&[3, 2])));
        assert_eq!(log.since(mark), Some(ids(&[2, 3])));
        assert_eq!(log.since(0), Some(ids(&[1, 2, 3])));
    }

    #[test]
    fn a_rebuild_or_a_mark_older_than_the_log_means_reread_everything() {
        let mut log = ViewLog::default();
        log.record(Some(ids(&[1])));
        log.record(None);
        let after = log.next;
        log.record(Some(ids(&[2])));
        assert_eq!(log.since(0), None);
        assert_eq!(log.since(after), Some(ids(&[2])));
        for n in 0..KEEP as u64 {
            log.record(Some(ids(&[n])));
        }
        assert_eq!(log.since(after), None);
        assert_eq!(log.since(log.next + 1), None);
    }
}
