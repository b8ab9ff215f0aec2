//! The write path after the HTTP layer: validate → catalog commit → WAL append → buffer insert.
//!
//! Parsing, per-batch type checks and the time of lines without one are the core's check pipeline
//! (`Checker`, with the catalog as its `KnownSchema`); this module adds what needs the server's
//! state: the catalog's limits, the columns a write creates, and the order of the durable steps.
pub mod batch;
pub mod cpu;
pub mod line_error;
mod validate;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use linewise_core::Precision;
use thiserror::Error;
use tokio::sync::Notify;

use crate::buffer::{Buffer, BufferError, WriteBatch};
use crate::catalog::{Catalog, CatalogError, CatalogState, DbId};
use batch::{BatchIds, LoggedWrite};
use cpu::CpuSlots;
pub use line_error::LineError;

/// How often a write validates again after losing a race for the same new columns.
const MAX_COMMIT_ATTEMPTS: usize = 16;

#[derive(Debug, Error)]
pub enum WalError {
    #[error("the WAL is full: {0}")]
    Full(String),
    #[error("WAL I/O error: {0}")]
    Io(String),
}

/// Where a write was logged: the WAL segment (the buffer tags the rows with it and drops them
/// once that segment is persisted), and what to tell the WAL once the rows are in the buffer.
pub struct Logged {
    pub segment: u64,
    /// Called once the rows are in the buffer; dropped uncalled, the WAL learns they never got
    /// there (persistence then reads that segment back from its file).
    pub applied: Option<Box<dyn FnOnce() + Send>>,
}

impl Logged {
    /// Logged in `segment`, with nothing to report back.
    pub fn at(segment: u64) -> Self {
        Logged {
            segment,
            applied: None,
        }
    }
}

/// The durability seam: the WAL appends a validated write with its catalog ids (its `encode()`d
/// bytes) before the rows reach the buffer, and resolves once they are durable when `sync` is true.
pub trait Wal: Send + Sync {
    fn append<'a>(
        &'a self,
        write: &'a LoggedWrite,
        sync: bool,
    ) -> Pin<Box<dyn Future<Output = Result<Logged, WalError>> + Send + 'a>>;

    /// `Err(WalError::Full)` while too much is waiting to be persisted to take another write.
    fn admit(&self) -> Result<(), WalError> {
        Ok(())
    }

    /// Notified whenever persistence frees room (in the buffer and the WAL alike); `None` when
    /// nothing ever does, so a full write path refuses at once.
    fn room(&self) -> Option<Arc<Notify>> {
        None
    }
}

/// Used until a WAL is configured: writes live in the buffer only.
pub struct NoWal;

impl Wal for NoWal {
    fn append<'a>(
        &'a self,
        _write: &'a LoggedWrite,
        _sync: bool,
    ) -> Pin<Box<dyn Future<Output = Result<Logged, WalError>> + Send + 'a>> {
        Box::pin(async { Ok(Logged::at(0)) })
    }
}

/// One write request, after the HTTP layer checked parameters and decoded the body.
pub struct WriteRequest<'a> {
    pub db: &'a str,
    pub body: &'a str,
    pub precision: Precision,
    pub accept_partial: bool,
    pub no_sync: bool,
}

/// What a write did: lines stored and lines rejected (a non-empty `errors` is a partial write).
#[derive(Debug)]
pub struct WriteOutcome {
    pub accepted: usize,
    pub errors: Vec<LineError>,
    /// Whether the write had to wait for persistence to make room.
    pub waited: bool,
}

#[derive(Debug, Error)]
pub enum WriteError {
    #[error("incoming write was empty")]
    Empty,
    #[error(transparent)]
    TooManyDatabases(CatalogError),
    /// `accept_partial=false` and a line failed: nothing was stored.
    #[error("line {}: {}", .0.line_number, .0.error_message)]
    Rejected(LineError),
    #[error(transparent)]
    Buffer(#[from] BufferError),
    #[error(transparent)]
    Wal(#[from] WalError),
    /// The buffer or the WAL stayed full for the whole `--write-wait-timeout`.
    #[error("{cause}; waited {waited:?} for persistence to make room (--write-wait-timeout)")]
    Busy {
        waited: Duration,
        cause: Box<WriteError>,
    },
    #[error("catalog error: {0}")]
    Catalog(CatalogError),
    #[error("the catalog kept changing during the write ({MAX_COMMIT_ATTEMPTS} attempts); retry")]
    Contention,
    #[error("building columns: {0}")]
    Columns(String),
}

pub struct Writer {
    pub catalog: Arc<Catalog>,
    pub buffer: Arc<Buffer>,
    pub wal: Arc<dyn Wal>,
    /// Where the CPU part of a large write runs.
    pub cpu: CpuSlots,
    /// How long a write waits for room when the buffer or the WAL is full before it is refused.
    pub write_wait: Duration,
}

fn now_ns() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

impl Writer {
    /// Waits (up to `write_wait`) until both the buffer and the WAL have room. The bound is soft:
    /// every write woken together is let in, so it can be passed by what the connections carry.
    /// Answers whether it had to wait.
    pub async fn wait_for_room(&self) -> Result<bool, WriteError> {
        let deadline = tokio::time::Instant::now() + self.write_wait;
        let room = self.wal.room();
        let mut waited = false;
        loop {
            let notified = room.as_deref().map(Notify::notified);
            tokio::pin!(notified);
            // Registered before the check, so a wake-up between the check and the wait is not lost.
            if let Some(n) = notified.as_mut().as_pin_mut() {
                n.enable();
            }
            let full = match self.buffer.check_capacity() {
                Err(e) => WriteError::Buffer(e),
                Ok(()) => match self.wal.admit() {
                    Err(e) => WriteError::Wal(e),
                    Ok(()) => return Ok(waited),
                },
            };
            let Some(n) = notified.as_pin_mut() else {
                return Err(full);
            };
            if tokio::time::timeout_at(deadline, n).await.is_err() {
                return Err(WriteError::Busy {
                    waited: self.write_wait,
                    cause: Box::new(full),
                });
            }
            waited = true;
        }
    }

    pub async fn write(&self, req: &WriteRequest<'_>) -> Result<WriteOutcome, WriteError> {
        let waited = self.wait_for_room().await?;
        // Taken once per request, as InfluxDB does: lines without a timestamp share it.
        let now = now_ns();
        let (validated, ids) = self
            .cpu
            .run(req.body.len(), || self.prepare(req, now))
            .await?;
        // No ids: no line was accepted.
        let Some(ids) = ids else {
            if validated.errors.is_empty() {
                return Err(WriteError::Empty);
            }
            return Ok(WriteOutcome {
                accepted: 0,
                errors: validated.errors,
                waited,
            });
        };
        let logged = LoggedWrite {
            ids: Some(ids),
            batch: validated.batch,
        };
        let at = self.wal.append(&logged, !req.no_sync).await?;
        self.buffer
            .insert(&logged.batch, at.segment, logged.ids.as_ref().map(|i| i.db))?;
        if let Some(applied) = at.applied {
            applied();
        }
        Ok(WriteOutcome {
            accepted: validated.accepted,
            errors: validated.errors,
            waited,
        })
    }

    /// The CPU part of a write, synchronous so that it can run off the async workers: parse,
    /// validate and build the columns, commit the new columns to the catalog, and take the ids of
    /// the database and tables the rows were checked against (`None` when no line was accepted).
    fn prepare(
        &self,
        req: &WriteRequest<'_>,
        now: i64,
    ) -> Result<(validate::Validated, Option<BatchIds>), WriteError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let snapshot = self.catalog.snapshot();
            let validated_against = snapshot.databases.get(req.db).map(|d| d.id);
            let limits = self.catalog.limits();
            if validated_against.is_none() && snapshot.databases.len() >= limits.databases() {
                return Err(WriteError::TooManyDatabases(
                    CatalogError::TooManyDatabases(limits.databases()),
                ));
            }
            let v = validate::validate(&snapshot, &limits, req, now)?;
            if !v.changes.columns.is_empty() {
                match self.catalog.commit(req.db, &v.changes) {
                    Ok(()) => {}
                    Err(CatalogError::Conflict) if attempt < MAX_COMMIT_ATTEMPTS => continue,
                    Err(CatalogError::Conflict) => return Err(WriteError::Contention),
                    Err(e @ CatalogError::TooManyDatabases(_)) => {
                        return Err(WriteError::TooManyDatabases(e))
                    }
                    Err(e) => return Err(WriteError::Catalog(e)),
                }
            }
            if v.batch.tables.is_empty() {
                return Ok((v, None));
            }
            // The ids of the database the rows were checked against: deleted (and maybe created
            // again under the same name) since, the write is validated again.
            match batch_ids(&self.catalog.snapshot(), &v.batch, validated_against) {
                Some(ids) => return Ok((v, Some(ids))),
                None if attempt < MAX_COMMIT_ATTEMPTS => continue,
                None => return Err(WriteError::Contention),
            }
        }
    }

    /// Puts a write read back from WAL segment `segment` into the buffer (on start). Writes to
    /// databases deleted since are skipped by id, so they never reach a new database of the same
    /// name.
    pub fn replay(&self, bytes: &[u8], segment: u64) -> Result<usize, ReplayError> {
        let logged = LoggedWrite::decode(bytes)?;
        if !is_live(&self.catalog.snapshot(), &logged) {
            return Ok(0);
        }
        self.buffer
            .insert(&logged.batch, segment, logged.ids.as_ref().map(|i| i.db))?;
        Ok(logged.batch.rows())
    }
}

/// The ids of `batch`'s database and tables in `catalog`; `None` when one is missing or the
/// database is no longer the one (`expected`) the rows were validated against.
fn batch_ids(
    catalog: &CatalogState,
    batch: &WriteBatch,
    expected: Option<DbId>,
) -> Option<BatchIds> {
    let db = catalog.databases.get(&batch.db)?;
    if expected.is_some_and(|id| id != db.id) {
        return None;
    }
    let tables = batch
        .tables
        .iter()
        .map(|(name, _)| db.tables.get(name).map(|t| t.id))
        .collect::<Option<Vec<_>>>()?;
    Some(BatchIds { db: db.id, tables })
}

/// Whether a logged write belongs to a database that still exists: the same id, and every table
/// the same id (records of the first format, without ids, go by name).
pub fn is_live(catalog: &CatalogState, logged: &LoggedWrite) -> bool {
    let Some(db) = catalog.databases.get(&logged.batch.db) else {
        return false;
    };
    let Some(ids) = &logged.ids else {
        return true;
    };
    db.id == ids.db
        && logged
            .batch
            .tables
            .iter()
            .zip(&ids.tables)
            .all(|((name, _), id)| db.tables.get(name).is_some_and(|t| t.id == *id))
}

#[derive(Debug, Error)]
pub enum ReplayError {
    #[error(transparent)]
    Decode(#[from] batch::BatchDecodeError),
    #[error(transparent)]
    Buffer(#[from] BufferError),
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Mutex;

    /// Keeps what the write path logs, as the WAL would.
    #[derive(Default)]
    struct Recorded(Mutex<Vec<Vec<u8>>>);

    impl Wal for Recorded {
        fn append<'a>(
            &'a self,
            write: &'a LoggedWrite,
            _sync: bool,
        ) -> Pin<Box<dyn Future<Output = Result<Logged, WalError>> + Send + 'a>> {
            Box::pin(async move {
                let bytes = write.encode().map_err(|e| WalError::Io(e.to_string()))?;
                self.0.lock().unwrap().push(bytes);
                Ok(Logged::at(1))
            })
        }
    }

    /// A WAL that is full until `room` is set, and says so through its notifier.
    struct FullWal {
        room: AtomicBool,
        notify: Arc<Notify>,
    }

    impl Wal for FullWal {
        fn append<'a>(
            &'a self,
            _write: &'a LoggedWrite,
            _sync: bool,
        ) -> Pin<Box<dyn Future<Output = Result<Logged, WalError>> + Send + 'a>> {
            Box::pin(async { Ok(Logged::at(1)) })
        }

        fn admit(&self) -> Result<(), WalError> {
            if self.room.load(Ordering::SeqCst) {
                Ok(())
            } else {
                Err(WalError::Full("42 bytes unpersisted (limit 1)".into()))
            }
        }

        fn room(&self) -> Option<Arc<Notify>> {
            Some(self.notify.clone())
        }
    }

    fn writer(dir: &std::path::Path, wal: Arc<FullWal>, wait: Duration) -> Writer {
        Writer {
            catalog: Arc::new(Catalog::open(dir).unwrap()),
            buffer: Arc::new(Buffer::new(usize::MAX)),
            wal,
            cpu: Default::default(),
            write_wait: wait,
        }
    }

    fn request<'a>(db: &'a str, body: &'a str) -> WriteRequest<'a> {
        WriteRequest {
            db,
            body,
            precision: Precision::Nanosecond,
            accept_partial: true,
            no_sync: false,
        }
    }

    #[tokio::test]
    async fn replay_after_delete_and_recreate_skips_the_old_database_by_id() {
        let catalog = Arc::new(Catalog::in_memory());
        let wal = Arc::new(Recorded::default());
        let writer = Writer {
            catalog: catalog.clone(),
            buffer: Arc::new(Buffer::new(usize::MAX)),
            wal: wal.clone(),
            cpu: Default::default(),
            write_wait: Duration::ZERO,
        };
        writer.write(&request("x", "t f=1i 1")).await.unwrap();
        catalog.delete_database("x").unwrap();
        writer.buffer.drop_database("x");
        writer.write(&request("x", "t f=\"s\" 2")).await.unwrap();
        let records = wal.0.lock().unwrap().clone();
        let ids: Vec<_> = records
            .iter()
            .map(|r| LoggedWrite::decode(r).unwrap().ids.unwrap().db)
            .collect();
        assert_eq!(ids, [1, 2]);

        // A restart: the same catalog, an empty buffer, the WAL replayed in order.
        let restarted = Writer {
            catalog,
            buffer: Arc::new(Buffer::new(usize::MAX)),
            wal: Arc::new(NoWal),
            cpu: Default::default(),
            write_wait: Duration::ZERO,
        };
        assert_eq!(
            restarted.replay(&records[0], 1).unwrap(),
            0,
            "deleted database"
        );
        assert_eq!(restarted.replay(&records[1], 1).unwrap(), 1);
        let snap = restarted.buffer.snapshot("x", "t").unwrap().unwrap();
        assert_eq!(
            snap.schema.field_with_name("f").unwrap().data_type(),
            &arrow::datatypes::DataType::Utf8
        );
        assert_eq!(snap.batches.iter().map(|b| b.num_rows()).sum::<usize>(), 1);
    }

    #[tokio::test]
    async fn a_full_write_path_waits_for_room_then_stores() {
        let dir = tempfile::tempdir().unwrap();
        let wal = Arc::new(FullWal {
            room: AtomicBool::new(false),
            notify: Arc::new(Notify::new()),
        });
        let w = writer(dir.path(), wal.clone(), Duration::from_secs(10));
        let freer = {
            let wal = wal.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(100)).await;
                wal.room.store(true, Ordering::SeqCst);
                wal.notify.notify_waiters();
            })
        };
        let started = std::time::Instant::now();
        let out = w.write(&request("d", "m f=1 1")).await.unwrap();
        assert!(out.waited);
        assert_eq!(out.accepted, 1);
        assert!(started.elapsed() >= Duration::from_millis(100));
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "woken, not timed out"
        );
        freer.await.unwrap();
        assert!(!w.write(&request("d", "m f=2 2")).await.unwrap().waited);
        assert_eq!(w.buffer.stats()[0].rows, 2);
    }

    #[tokio::test]
    async fn a_write_path_full_for_the_whole_wait_refuses_naming_the_flag() {
        let dir = tempfile::tempdir().unwrap();
        let wal = Arc::new(FullWal {
            room: AtomicBool::new(false),
            notify: Arc::new(Notify::new()),
        });
        let w = writer(dir.path(), wal.clone(), Duration::from_millis(200));
        // A wake-up that finds no room yet: the write goes back to waiting, for the rest of its time.
        let waker = {
            let wal = wal.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(20)).await;
                wal.notify.notify_waiters();
            })
        };
        let started = std::time::Instant::now();
        let err = w.write(&request("d", "m f=1 1")).await.unwrap_err();
        assert!(started.elapsed() >= Duration::from_millis(200));
        waker.await.unwrap();
        assert!(matches!(err, WriteError::Busy { .. }), "{err}");
        assert_eq!(
            err.to_string(),
            "the WAL is full: 42 bytes unpersisted (limit 1); waited 200ms for persistence to make \
             room (--write-wait-timeout)"
        );
        assert!(w.buffer.stats().is_empty());
    }
}
