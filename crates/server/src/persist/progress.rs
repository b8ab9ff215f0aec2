//! What the persister still has to do, per WAL segment and table, and what keeps failing.
//!
//! A segment waits here until every table in it is persisted; a table that fails is retried with
//! backoff without holding up the other tables. The buffer may drop a table's rows only up to
//! the first waiting segment that still holds rows of that table ([`Pending::table_persisted_through`]),
//! and every table's rows only up to the first waiting segment ([`Pending::all_persisted_through`]),
//! so no row leaves memory before it is in the store, and a query never misses one.
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use super::PersistError;
use crate::catalog::{DbId, TableId};
use crate::wal::SealedSegment;

/// A table by catalog ids.
pub(super) type TableKey = (DbId, TableId);

/// First retry after a failure; doubled per failed attempt up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// Names longer than this are cut in log lines and error texts (a name may be 10,000 bytes).
const NAME_SHOWN: usize = 64;

/// One sealed segment not yet fully persisted.
pub(super) struct SegmentWork {
    pub segment: SealedSegment,
    /// Tables of the segment not yet persisted; `None` until the segment was decoded once (it may
    /// then hold rows of any table).
    pub remaining: Option<BTreeSet<TableKey>>,
    /// Every table is persisted and the segment file deleted.
    pub done: bool,
    attempts: u32,
    retry_at: Instant,
    /// Whether the last attempt failed only with errors retrying cannot cure.
    permanent: bool,
}

impl SegmentWork {
    /// The tables the segment holds rows of (of databases not deleted), as decoded now.
    pub fn found(&mut self, tables: impl Iterator<Item = TableKey>) {
        self.remaining = Some(tables.collect());
    }

    pub fn persisted(&mut self, table: TableKey) {
        if let Some(r) = &mut self.remaining {
            r.remove(&table);
        }
    }

    pub fn failed(&mut self, permanent: bool, now: Instant) {
        self.attempts = self.attempts.saturating_add(1);
        self.permanent = permanent;
        let factor = 1u32 << self.attempts.saturating_sub(1).min(16);
        self.retry_at = now + FIRST_BACKOFF.saturating_mul(factor).min(MAX_BACKOFF);
    }

    fn holds(&self, table: TableKey) -> bool {
        self.remaining.as_ref().is_none_or(|r| r.contains(&table))
    }
}

/// The segments waiting to be persisted, oldest first.
#[derive(Default)]
pub(super) struct Pending {
    works: Vec<SegmentWork>,
    /// The highest segment id received.
    highest: u64,
    /// What `all_persisted_through` last answered.
    told_all: u64,
}

impl Pending {
    pub fn push(&mut self, segment: SealedSegment) {
        self.highest = self.highest.max(segment.id);
        self.works.push(SegmentWork {
            segment,
            remaining: None,
            done: false,
            attempts: 0,
            retry_at: Instant::now(),
            permanent: false,
        });
    }

    pub fn is_empty(&self) -> bool {
        self.works.is_empty()
    }

    pub fn highest_seen(&self) -> u64 {
        self.highest
    }

    /// Indexes of the segments to try now, oldest first.
    pub fn due(&self, now: Instant) -> Vec<usize> {
        (0..self.works.len())
            .filter(|&i| !self.works[i].done && self.works[i].retry_at <= now)
            .collect()
    }

    pub fn get_mut(&mut self, index: usize) -> &mut SegmentWork {
        &mut self.works[index]
    }

    /// When the next failed segment is to be tried again.
    pub fn next_retry(&self) -> Option<Instant> {
        self.works
            .iter()
            .filter(|w| !w.done)
            .map(|w| w.retry_at)
            .min()
    }

    pub fn retire_done(&mut self) {
        self.works.retain(|w| !w.done);
    }

    /// Whether something waits and everything waiting failed with errors retrying cannot cure.
    pub fn all_permanent(&self) -> bool {
        !self.works.is_empty() && self.works.iter().all(|w| w.attempts > 0 && w.permanent)
    }

    /// Every row of the segments up to the answer is persisted (`None`: no news since last asked).
    pub fn all_persisted_through(&mut self) -> Option<u64> {
        let through = self
            .works
            .first()
            .map_or(self.highest, |w| w.segment.id.saturating_sub(1));
        (through > self.told_all).then(|| {
            self.told_all = through;
            through
        })
    }

    /// The rows of `table` in the segments up to the answer are persisted.
    pub fn table_persisted_through(&self, table: TableKey) -> Option<u64> {
        let through = self
            .works
            .iter()
            .find(|w| w.holds(table))
            .map_or(self.highest, |w| w.segment.id.saturating_sub(1));
        (through > 0).then_some(through)
    }
}

/// What failed: a whole segment (reading, decoding, deleting it) or one table of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Subject {
    Segment(u64),
    Table(TableKey),
}

/// A table (or segment) persisting currently fails for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableFailure {
    /// Database and table names; `None` when the whole segment fails.
    pub table: Option<(String, String)>,
    /// The WAL segment, when the whole segment fails.
    pub segment: Option<u64>,
    pub error: String,
    /// Failed attempts in a row.
    pub attempts: u64,
}

struct Entry {
    failure: TableFailure,
    logged: Instant,
}

/// The current failures, logged when they start, at most once per interval while they last, and
/// when they end.
pub(super) struct Failures {
    log_interval: Duration,
    current: BTreeMap<Subject, Entry>,
    attempts_total: u64,
}

/// `name`, cut to [`NAME_SHOWN`] characters.
fn shown(name: &str) -> String {
    match name.char_indices().nth(NAME_SHOWN) {
        Some((at, _)) => format!("{}… ({} bytes)", &name[..at], name.len()),
        None => name.to_string(),
    }
}

fn describe(subject: Subject, failure: &TableFailure) -> String {
    match (&failure.table, subject) {
        (Some((db, table)), _) => format!("table '{}' of database '{}'", shown(table), shown(db)),
        (None, Subject::Segment(id)) => format!("WAL segment {id}"),
        (None, Subject::Table((db, table))) => format!("table {table} of database {db}"),
    }
}

impl Failures {
    pub fn new(log_interval: Duration) -> Self {
        Failures {
            log_interval,
            current: BTreeMap::new(),
            attempts_total: 0,
        }
    }

    pub fn failed(&mut self, subject: Subject, table: Option<(String, String)>, e: &PersistError) {
        self.attempts_total += 1;
        let error = e.to_string();
        let now = Instant::now();
        let entry = self.current.entry(subject).or_insert_with(|| Entry {
            failure: TableFailure {
                table,
                segment: match subject {
                    Subject::Segment(id) => Some(id),
                    Subject::Table(_) => None,
                },
                error: String::new(),
                attempts: 0,
            },
            logged: now,
        });
        let first = entry.failure.attempts == 0;
        let changed = entry.failure.error != error;
        entry.failure.attempts += 1;
        entry.failure.error = error;
        if first || changed || now.duration_since(entry.logged) >= self.log_interval {
            entry.logged = now;
            tracing::error!(
                attempts = entry.failure.attempts,
                "persisting {} failed: {}; retrying (other tables go on; the rows stay in the WAL; \
                 next report in {:?} if it keeps failing)",
                describe(subject, &entry.failure),
                entry.failure.error,
                self.log_interval
            );
        }
    }

    pub fn recovered(&mut self, subject: Subject) {
        if let Some(entry) = self.current.remove(&subject) {
            tracing::info!(
                "persisting {} works again after {} failed attempts",
                describe(subject, &entry.failure),
                entry.failure.attempts
            );
        }
    }

    pub fn current(&self) -> Vec<TableFailure> {
        self.current.values().map(|e| e.failure.clone()).collect()
    }

    pub fn attempts_total(&self) -> u64 {
        self.attempts_total
    }

    /// One line naming what fails (the first three), for 503 answers and shutdown logs.
    pub fn summary(&self) -> Option<String> {
        let mut parts: Vec<String> = self
            .current
            .iter()
            .take(3)
            .map(|(s, e)| {
                format!(
                    "persisting {} fails: {}",
                    describe(*s, &e.failure),
                    e.failure.error
                )
            })
            .collect();
        if self.current.len() > 3 {
            parts.push(format!("and {} more", self.current.len() - 3));
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn segment(id: u64) -> SealedSegment {
        SealedSegment {
            id,
            path: PathBuf::from(format!("{id}.wal")),
            len: 0,
        }
    }

    #[test]
    fn a_failing_table_holds_back_only_its_own_rows() {
        let mut p = Pending::default();
        p.push(segment(5));
        p.push(segment(6));
        let now = Instant::now();
        assert_eq!(p.due(now), vec![0, 1]);
        // Segment 5: table (1, 1) persisted, (1, 2) fails. Segment 6: both persisted.
        p.get_mut(0).found([(1, 1), (1, 2)].into_iter());
        p.get_mut(0).persisted((1, 1));
        p.get_mut(0).failed(false, now);
        p.get_mut(1).found([(1, 1), (1, 2)].into_iter());
        p.get_mut(1).persisted((1, 1));
        p.get_mut(1).persisted((1, 2));
        p.get_mut(1).done = true;
        p.retire_done();
        assert_eq!(p.table_persisted_through((1, 1)), Some(6));
        assert_eq!(p.table_persisted_through((1, 2)), Some(4));
        assert_eq!(p.all_persisted_through(), Some(4));
        assert_eq!(p.all_persisted_through(), None, "told once");
        assert!(p.due(now).is_empty(), "backing off");
        assert!(p.next_retry().unwrap() > now);
        assert!(!p.all_permanent());
        p.get_mut(0).failed(true, now);
        assert!(p.all_permanent());
        p.get_mut(0).persisted((1, 2));
        p.get_mut(0).done = true;
        p.retire_done();
        assert_eq!(p.table_persisted_through((1, 2)), Some(6));
        assert_eq!(p.all_persisted_through(), Some(6));
    }

    #[test]
    fn a_segment_not_decoded_yet_may_hold_any_table() {
        let mut p = Pending::default();
        p.push(segment(3));
        assert_eq!(p.table_persisted_through((9, 9)), Some(2));
        p.get_mut(0).failed(false, Instant::now());
        assert_eq!(p.table_persisted_through((9, 9)), Some(2));
    }

    #[test]
    fn backoff_doubles_up_to_five_seconds() {
        let mut p = Pending::default();
        p.push(segment(1));
        let now = Instant::now();
        let w = p.get_mut(0);
        w.failed(false, now);
        assert_eq!(w.retry_at - now, Duration::from_millis(100));
        w.failed(false, now);
        assert_eq!(w.retry_at - now, Duration::from_millis(200));
        for _ in 0..40 {
            w.failed(false, now);
        }
        assert_eq!(w.retry_at - now, MAX_BACKOFF);
    }

    #[test]
    fn failures_are_counted_named_and_cleared() {
        let mut f = Failures::new(Duration::from_secs(3600));
        let e = PersistError::Decode {
            segment: 1,
            source: "bad".into(),
        };
        let long = "L".repeat(300);
        for _ in 0..3 {
            f.failed(
                Subject::Table((1, 2)),
                Some(("db".into(), long.clone())),
                &e,
            );
        }
        assert_eq!(f.attempts_total(), 3);
        let now = f.current();
        assert_eq!(now.len(), 1);
        assert_eq!(now[0].attempts, 3);
        let summary = f.summary().unwrap();
        assert!(
            summary.contains(&format!("table '{}… (300 bytes)'", "L".repeat(64))),
            "{summary}"
        );
        assert!(summary.contains("decoding WAL segment 1: bad"), "{summary}");
        f.recovered(Subject::Table((1, 2)));
        assert!(f.current().is_empty());
        assert_eq!(f.summary(), None);
    }
}
