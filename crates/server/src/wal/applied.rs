//! Which segments have every record's rows in the buffer, so persistence can take a sealed
//! segment's rows from memory instead of reading the file back and decoding it.
//!
//! A record is *applying* from its append (under the same lock that assigns its segment, so it is
//! counted before that segment can be sealed) until the write path has put its rows in the buffer
//! and calls [`Applying::applied`]. A handle dropped without that (the write failed after its
//! append, or its request was cancelled while waiting for the sync) marks the segment
//! *incomplete*: its file holds a record the buffer lacks, and only the file has all of it.
use parking_lot::{Condvar, Mutex};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

#[derive(Default)]
struct SegmentState {
    applying: usize,
    incomplete: bool,
}

#[derive(Default)]
pub(super) struct Tracker {
    segments: Mutex<BTreeMap<u64, SegmentState>>,
    changed: Condvar,
}

/// One appended record whose rows are not in the buffer yet.
pub struct Applying {
    tracker: Arc<Tracker>,
    segment: u64,
    applied: bool,
}

impl Applying {
    /// The record's rows are in the buffer.
    pub fn applied(mut self) {
        self.applied = true;
    }
}

impl Drop for Applying {
    fn drop(&mut self) {
        let mut segments = self.tracker.segments.lock();
        let state = segments.entry(self.segment).or_default();
        state.applying = state.applying.saturating_sub(1);
        state.incomplete |= !self.applied;
        drop(segments);
        self.tracker.changed.notify_all();
    }
}

impl Tracker {
    /// Counts a record appended to `segment`; called under the WAL's assignment lock.
    pub(super) fn start(self: &Arc<Self>, segment: u64) -> Applying {
        self.segments.lock().entry(segment).or_default().applying += 1;
        Applying {
            tracker: self.clone(),
            segment,
            applied: false,
        }
    }

    /// Waits (up to `timeout`) until no record of the sealed `segment` is applying; answers
    /// whether the buffer then holds every record of it.
    pub(super) fn wait(&self, segment: u64, timeout: Duration) -> bool {
        let mut segments = self.segments.lock();
        let deadline = std::time::Instant::now() + timeout;
        loop {
            match segments.get(&segment) {
                None => return true,
                Some(s) if s.incomplete => return false,
                Some(s) if s.applying == 0 => return true,
                Some(_) => {}
            }
            if self.changed.wait_until(&mut segments, deadline).timed_out() {
                return false;
            }
        }
    }

    /// Forgets `segment` (persisted and removed).
    pub(super) fn forget(&self, segment: u64) {
        self.segments.lock().remove(&segment);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_segment_is_complete_once_every_record_is_applied() {
        let t = Arc::new(Tracker::default());
        let a = t.start(1);
        let b = t.start(1);
        assert!(
            !t.wait(1, Duration::from_millis(10)),
            "two records applying"
        );
        a.applied();
        let waiter = {
            let t = t.clone();
            std::thread::spawn(move || t.wait(1, Duration::from_secs(10)))
        };
        b.applied();
        assert!(
            waiter.join().unwrap(),
            "woken once the last record is applied"
        );
        assert!(
            t.wait(2, Duration::ZERO),
            "a segment without records is complete"
        );
    }

    #[test]
    fn a_record_dropped_unapplied_leaves_its_segment_to_the_file() {
        let t = Arc::new(Tracker::default());
        let a = t.start(3);
        let b = t.start(3);
        a.applied();
        drop(b);
        assert!(!t.wait(3, Duration::from_secs(10)));
        t.forget(3);
        assert!(t.wait(3, Duration::ZERO));
    }
}
