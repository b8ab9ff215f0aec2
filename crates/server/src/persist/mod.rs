//! Background persistence: sealed WAL segments → Parquet files in the object store → segment removed.
//!
//! The persister works per WAL segment, not on a snapshot of the live buffer: it takes the rows
//! that sealed segment logged (from the buffer once every write of the segment reached it, else by
//! reading the file and decoding its records: [`SegmentDecoder`], supplied by the write path that
//! owns the payload format), and writes the Parquet files of each table: one
//! per time block, except that consecutive sparse blocks share a file up to a row target
//! ([`PersistConfig::file_rows`]), named after the catalog ids, the segment and the first block
//! (`parquet/<db_id>/<table_id>/<YYYY-MM-DDTHH-MM>/<segment>.parquet`), so no name ever reaches a
//! path. The names are deterministic, so persisting a segment again after a crash overwrites the
//! same files instead of duplicating rows.
//!
//! Tables are persisted independently ([`progress`]): a table whose encoding or put fails is
//! retried with backoff while every other table, of this segment and of later ones, goes on; its
//! error is logged once per interval and exported in `/metrics`. Rows leave the buffer per table,
//! only up to the first segment that still holds unpersisted rows of that table, and a segment is
//! deleted only once every table in it is persisted: the failing table's rows stay in their WAL
//! segment (replayed on every start) until they reach Parquet. [`PersistHandle::flush`] (at
//! shutdown) seals the current segment and waits until every older one is persisted, but not for
//! tables that cannot be persisted (encoding or decoding fails): those are left to the WAL. While
//! the store fails, unpersisted WAL bytes grow until [`PersistHandle::admit`] turns writes away
//! with 503.
pub mod encode;
mod migrate;
mod progress;
pub mod store;
#[cfg(test)]
mod tests;

use crate::catalog::{DbId, TableId};
use crate::wal::{ReadError, Record, SealedSegment, Wal, WalError};
use arrow::array::RecordBatch;
use chrono::{Datelike, Timelike};
pub use migrate::{migrate, MigrateError};
use object_store::path::Path as ObjPath;
use parking_lot::Mutex;
pub use progress::TableFailure;
use progress::{Failures, Pending, Subject, TableKey};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
pub use store::{Store, StoreArgs, StoreError};
use tokio::sync::{mpsc, Notify};

/// Prefix of the Parquet files in the object store.
pub const PARQUET_PREFIX: &str = "parquet";

/// One table's rows decoded from a segment.
#[derive(Debug, Clone)]
pub struct TableData {
    pub database: String,
    pub table: String,
    pub database_id: DbId,
    pub table_id: TableId,
    /// Tag column names, in the order rows are sorted by.
    pub tags: Vec<String>,
    /// Tags (strings), fields and `time` (Timestamp ns).
    pub batch: RecordBatch,
}

/// The catalog file to keep beside the Parquet files: its version and its bytes.
pub type CatalogSource = Arc<dyn Fn() -> (u64, Vec<u8>) + Send + Sync>;

/// Turns WAL payloads back into rows; implemented by the write path, which owns the payload format.
/// Rows of databases deleted since are left out.
pub trait SegmentDecoder: Send + Sync + 'static {
    fn decode(&self, records: &[Record]) -> Result<Vec<TableData>, DecodeError>;

    /// The rows of sealed segment `segment` from memory, when the source holds every one of them
    /// (`None`: read the file and [`Self::decode`] it). Reading and decoding the file took a
    /// quarter of persisting's time under sustained ingest, and held the segment twice more.
    fn in_memory(&self, _segment: u64) -> Option<Result<Vec<TableData>, DecodeError>> {
        None
    }
}

/// A decoder's own error: the payload format, and so its failures, belong to the write path.
pub type DecodeError = Box<dyn std::error::Error + Send + Sync>;

/// Told which rows are in the store, so the buffer can let go of them.
pub trait PersistedRows: Send + Sync + 'static {
    /// Every row of the WAL segments up to `segment` is persisted.
    fn all_through(&self, segment: u64);
    /// The rows of one table in the WAL segments up to `segment` are persisted.
    fn table_through(&self, database: &str, table: &str, segment: u64);
}

/// Persistence settings.
#[derive(Debug, Clone)]
pub struct PersistConfig {
    /// Rows are split into files by time blocks of this length.
    pub block: Duration,
    /// Consecutive time blocks of a segment share a file until it holds this many rows.
    pub file_rows: usize,
    /// The current WAL segment is sealed (and so persisted) at least this often.
    pub interval: Duration,
    /// Above this many unpersisted bytes the current segment is sealed at once.
    pub force_bytes: u64,
    /// Above this many unpersisted bytes writes are refused (503 + Retry-After).
    pub max_bytes: u64,
    /// Read segments with damaged records skipped (matches `--wal-skip-corrupt`).
    pub skip_corrupt: bool,
}

/// Why a segment or one of its tables could not be persisted (retried until it can).
#[derive(Debug, thiserror::Error)]
pub enum PersistError {
    #[error("reading WAL segment: {0}")]
    Read(#[from] ReadError),
    #[error("decoding WAL segment {segment}: {source}")]
    Decode { segment: u64, source: DecodeError },
    #[error("decoding WAL segment {segment}: encoding task failed: {source}")]
    Task {
        segment: u64,
        source: tokio::task::JoinError,
    },
    #[error("encoding Parquet for {database}.{table}: {source}")]
    Encode {
        database: String,
        table: String,
        source: encode::EncodeError,
    },
    #[error("writing {path}: {source}")]
    Store { path: String, source: StoreError },
    #[error("deleting persisted WAL segment {path}: {source}")]
    Remove {
        path: String,
        source: std::io::Error,
    },
}

impl PersistError {
    /// Whether trying again with the same bytes gives the same error (a damaged segment, rows
    /// that cannot be encoded): shutdown does not wait for these.
    fn is_permanent(&self) -> bool {
        matches!(
            self,
            PersistError::Read(_)
                | PersistError::Decode { .. }
                | PersistError::Task { .. }
                | PersistError::Encode { .. }
        )
    }
}

/// Writes refused because too much is waiting to be persisted.
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "{unpersisted} bytes are waiting to be persisted (limit {limit}){}; retry later",
    cause.as_ref().map(|c| format!(", object store failing: {c}")).unwrap_or_default()
)]
pub struct Overloaded {
    pub unpersisted: u64,
    pub limit: u64,
    pub cause: Option<String>,
    /// Suggested `Retry-After`, in seconds.
    pub retry_after_secs: u64,
}

/// Errors of [`PersistHandle::flush`].
#[derive(Debug, thiserror::Error)]
pub enum FlushError {
    #[error(transparent)]
    Wal(#[from] WalError),
    #[error(
        "persisting did not finish within {timeout:?}{}; the WAL keeps the rest for the next start",
        cause.as_ref().map(|e| format!(" ({e})")).unwrap_or_default()
    )]
    Timeout {
        timeout: Duration,
        cause: Option<String>,
    },
    #[error("everything else is persisted; {0}; the WAL keeps those rows for the next start")]
    Failing(String),
}

struct Shared {
    error: Mutex<Option<String>>,
    files_written: AtomicU64,
    failures: Mutex<Failures>,
    /// When every segment still waiting is blocked by errors retrying cannot cure, the highest
    /// segment the persister has seen; else 0. `flush` stops waiting once it covers its target.
    stuck_through: AtomicU64,
    /// Woken whenever persisted rows left the buffer: writes waiting for room (see
    /// [`PersistHandle::room`]) look again.
    room: Arc<Notify>,
}

/// Control of a running persister: flush, admission, status.
#[derive(Clone)]
pub struct PersistHandle {
    shared: Arc<Shared>,
    wal: Wal,
    config: PersistConfig,
}

impl PersistHandle {
    /// Refuses a write when unpersisted data passed the memory limit.
    pub fn admit(&self) -> Result<(), Overloaded> {
        let unpersisted = self.wal.unpersisted_bytes();
        if unpersisted <= self.config.max_bytes {
            return Ok(());
        }
        let cause = self.error();
        Err(Overloaded {
            unpersisted,
            limit: self.config.max_bytes,
            retry_after_secs: if cause.is_some() { 10 } else { 1 },
            cause,
        })
    }

    /// Notified each time persisting a segment freed memory: a write refused by [`Self::admit`]
    /// waits on it (enabling the `notified()` future before it checks again) instead of polling.
    pub fn room(&self) -> Arc<Notify> {
        self.shared.room.clone()
    }

    /// The error persistence is currently retrying, if any.
    pub fn error(&self) -> Option<String> {
        self.shared.error.lock().clone()
    }

    /// Parquet files written since start.
    pub fn files_written(&self) -> u64 {
        self.shared.files_written.load(Ordering::Relaxed)
    }

    /// The tables (or segments) persisting currently fails for, with their errors.
    pub fn failures(&self) -> Vec<TableFailure> {
        self.shared.failures.lock().current()
    }

    /// Failed attempts to persist a table or segment since start.
    pub fn failed_attempts(&self) -> u64 {
        self.shared.failures.lock().attempts_total()
    }

    /// Seals the current WAL segment and waits until every segment before the new one is persisted
    /// (and deleted), or until all that is left are tables that cannot be persisted.
    pub async fn flush(&self, timeout: Duration) -> Result<(), FlushError> {
        self.wal.rotate()?;
        let target = self.wal.current_segment();
        let deadline = Instant::now() + timeout;
        while self.wal.oldest_segment().is_some_and(|o| o < target) {
            if self.shared.stuck_through.load(Ordering::SeqCst) + 1 >= target {
                return Err(FlushError::Failing(self.error().unwrap_or_default()));
            }
            if Instant::now() >= deadline {
                return Err(FlushError::Timeout {
                    timeout,
                    cause: self.error(),
                });
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Ok(())
    }
}

/// The background persister.
pub struct Persister {
    store: Store,
    wal: Wal,
    decoder: Arc<dyn SegmentDecoder>,
    persisted: Arc<dyn PersistedRows>,
    config: PersistConfig,
    shared: Arc<Shared>,
    catalog: Option<CatalogSource>,
    /// One more than the catalog version last put into the store (0: none yet).
    catalog_put: AtomicU64,
}

/// What one attempt at a segment left to do.
enum Attempt {
    /// Every table is persisted and the segment deleted.
    Done,
    /// Some tables (or the whole segment) failed; try again later.
    Failed { permanent: bool },
}

impl Persister {
    /// `persisted` hears which rows are in the store.
    pub fn new(
        store: Store,
        wal: Wal,
        decoder: Arc<dyn SegmentDecoder>,
        persisted: Arc<dyn PersistedRows>,
        config: PersistConfig,
    ) -> (Persister, PersistHandle) {
        let shared = Arc::new(Shared {
            error: Mutex::new(None),
            files_written: AtomicU64::new(0),
            failures: Mutex::new(Failures::new(config.interval.max(Duration::from_secs(1)))),
            stuck_through: AtomicU64::new(0),
            room: Arc::new(Notify::new()),
        });
        let handle = PersistHandle {
            shared: shared.clone(),
            wal: wal.clone(),
            config: config.clone(),
        };
        (
            Persister {
                store,
                wal,
                decoder,
                persisted,
                config,
                shared,
                catalog: None,
                catalog_put: AtomicU64::new(0),
            },
            handle,
        )
    }

    /// Also puts the catalog into the store (as `catalog.json`) before a segment's Parquet files
    /// whenever it changed, so every file in the store has a catalog that knows its columns. For
    /// stores other than the data directory, which holds the catalog file already.
    pub fn mirror_catalog(mut self, catalog: CatalogSource) -> Self {
        self.catalog = Some(catalog);
        self
    }

    async fn put_catalog(&self, catalog: &CatalogSource) -> Result<(), PersistError> {
        let (version, bytes) = catalog();
        if self.catalog_put.load(Ordering::Relaxed) == version + 1 {
            return Ok(());
        }
        let path = ObjPath::from(crate::catalog::CATALOG_FILE);
        self.store
            .put(&path, bytes.into())
            .await
            .map_err(|source| PersistError::Store {
                path: path.to_string(),
                source,
            })?;
        self.catalog_put.store(version + 1, Ordering::Relaxed);
        Ok(())
    }

    /// Runs until the `sealed` channel closes: persists each sealed segment table by table,
    /// retries what failed with backoff, and seals the current segment every `interval` or when
    /// unpersisted bytes pass `force_bytes`.
    pub async fn run(self, mut sealed: mpsc::UnboundedReceiver<SealedSegment>) {
        let rotator = tokio::spawn(rotate_periodically(self.wal.clone(), self.config.clone()));
        let mut pending = Pending::default();
        let mut open = true;
        while open || !pending.is_empty() {
            let next_retry = pending.next_retry();
            tokio::select! {
                received = sealed.recv(), if open => match received {
                    Some(segment) => pending.push(segment),
                    None => open = false,
                },
                () = sleep_until(next_retry), if next_retry.is_some() => {}
            }
            while let Ok(segment) = sealed.try_recv() {
                pending.push(segment);
            }
            self.pass(&mut pending).await;
            if !open && pending.all_permanent() {
                break;
            }
        }
        rotator.abort();
    }

    /// Tries every segment that is due, oldest first, and after each one tells the buffer which
    /// rows it may drop and wakes the writes waiting for room: under load several segments wait,
    /// and holding their rows until the last of them is persisted kept the buffer full.
    async fn pass(&self, pending: &mut Pending) {
        while let Some(&index) = pending.due(Instant::now()).first() {
            let mut done_tables = Vec::new();
            match self.attempt(pending, index, &mut done_tables).await {
                Attempt::Done => pending.get_mut(index).done = true,
                Attempt::Failed { permanent } => {
                    pending.get_mut(index).failed(permanent, Instant::now())
                }
            }
            pending.retire_done();
            if let Some(through) = pending.all_persisted_through() {
                self.persisted.all_through(through);
            }
            for (key, database, table) in done_tables {
                if let Some(through) = pending.table_persisted_through(key) {
                    self.persisted.table_through(&database, &table, through);
                }
            }
            self.shared.room.notify_waiters();
        }
        let stuck = if pending.all_permanent() {
            pending.highest_seen()
        } else {
            0
        };
        self.shared.stuck_through.store(stuck, Ordering::SeqCst);
        let failures = self.shared.failures.lock().summary();
        *self.shared.error.lock() = failures;
    }

    /// One attempt at the segment at `index` of `pending`: decodes it, then encodes and puts the
    /// tables not yet persisted, each on its own. Tables persisted now go to `done_tables`.
    async fn attempt(
        &self,
        pending: &mut Pending,
        index: usize,
        done_tables: &mut Vec<(TableKey, String, String)>,
    ) -> Attempt {
        let work = pending.get_mut(index);
        let segment = work.segment.clone();
        let wanted = work.remaining.clone();
        let decoder = self.decoder.clone();
        let block_ns = i64::try_from(self.config.block.as_nanos())
            .unwrap_or(i64::MAX)
            .max(1);
        let skip_corrupt = self.config.skip_corrupt;
        let file_rows = self.config.file_rows;
        let seg = segment.clone();
        let encoded = tokio::task::spawn_blocking(move || {
            encode_segment(
                &seg,
                &*decoder,
                block_ns,
                file_rows,
                skip_corrupt,
                wanted.as_ref(),
            )
        })
        .await
        .unwrap_or_else(|e| {
            Err(PersistError::Task {
                segment: segment.id,
                source: e,
            })
        });
        let what = Subject::Segment(segment.id);
        let tables = match encoded {
            Ok(tables) => {
                self.failures().recovered(what);
                tables
            }
            Err(e) => {
                let permanent = e.is_permanent();
                self.failures().failed(what, None, &e);
                return Attempt::Failed { permanent };
            }
        };
        let work = pending.get_mut(index);
        work.found(tables.iter().map(|t| t.key));
        let mut permanent = true;
        let mut failed = false;
        for t in tables {
            let subject = Subject::Table(t.key);
            match self.put_table(t.files).await {
                Ok(()) => {
                    self.failures().recovered(subject);
                    pending.get_mut(index).persisted(t.key);
                    done_tables.push((t.key, t.database, t.table));
                }
                Err(e) => {
                    failed = true;
                    permanent &= e.is_permanent();
                    self.failures()
                        .failed(subject, Some((t.database, t.table)), &e);
                }
            }
        }
        if failed {
            return Attempt::Failed { permanent };
        }
        match self.wal.remove_segment(&segment) {
            Ok(()) => {
                self.failures().recovered(what);
                tracing::debug!(segment = segment.id, "persisted WAL segment");
                Attempt::Done
            }
            Err(source) => {
                let e = PersistError::Remove {
                    path: segment.path.display().to_string(),
                    source,
                };
                self.failures().failed(what, None, &e);
                Attempt::Failed { permanent: false }
            }
        }
    }

    fn failures(&self) -> parking_lot::MutexGuard<'_, Failures> {
        self.shared.failures.lock()
    }

    /// Puts one table's files of a segment (after the catalog that defines their columns).
    async fn put_table(
        &self,
        files: Result<Vec<(ObjPath, bytes::Bytes)>, PersistError>,
    ) -> Result<(), PersistError> {
        let files = files?;
        if let Some(catalog) = self.catalog.as_ref().filter(|_| !files.is_empty()) {
            self.put_catalog(catalog).await?;
        }
        for (path, bytes) in files {
            self.store
                .put(&path, bytes)
                .await
                .map_err(|source| PersistError::Store {
                    path: path.to_string(),
                    source,
                })?;
            self.shared.files_written.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }
}

async fn sleep_until(at: Option<Instant>) {
    if let Some(at) = at {
        tokio::time::sleep_until(at.into()).await;
    }
}

/// One table's Parquet files of a segment, or why they could not be encoded.
struct EncodedTable {
    key: TableKey,
    database: String,
    table: String,
    files: Result<Vec<(ObjPath, bytes::Bytes)>, PersistError>,
}

/// Gathers one segment's rows (from memory when the decoder holds them all, else from its file),
/// and encodes the tables in `wanted` (all when `None`): each table's object paths and bytes, or
/// its encoding error. Reading and decoding errors concern the whole segment.
fn encode_segment(
    segment: &SealedSegment,
    decoder: &dyn SegmentDecoder,
    block_ns: i64,
    file_rows: usize,
    skip_corrupt: bool,
    wanted: Option<&std::collections::BTreeSet<TableKey>>,
) -> Result<Vec<EncodedTable>, PersistError> {
    let started = Instant::now();
    let decode_error = |source| PersistError::Decode {
        segment: segment.id,
        source,
    };
    let (tables, source) = match decoder.in_memory(segment.id) {
        Some(tables) => (tables.map_err(decode_error)?, "memory"),
        None => {
            let opts = crate::wal::segment::ReadOptions {
                is_last: true,
                skip_corrupt,
            };
            let (contents, _) =
                crate::wal::segment::read_segment(segment.id, &segment.path, 0, opts)?;
            if contents.records.is_empty() {
                return Ok(Vec::new());
            }
            let tables = decoder.decode(&contents.records).map_err(decode_error)?;
            (tables, "file")
        }
    };
    let gathered = started.elapsed();
    let rows: usize = tables.iter().map(|t| t.batch.num_rows()).sum();
    let meta = vec![("linewise.segment".to_string(), segment.id.to_string())];
    let mut out = Vec::new();
    for t in tables {
        let key = (t.database_id, t.table_id);
        if wanted.is_some_and(|w| !w.contains(&key)) {
            continue;
        }
        let files = encode::encode_blocks(&t.batch, &t.tags, block_ns, file_rows, &meta)
            .map(|blocks| {
                blocks
                    .into_iter()
                    .map(|b| {
                        let path = file_path(t.database_id, t.table_id, b.block_start, segment.id);
                        (path, b.bytes)
                    })
                    .collect()
            })
            .map_err(|source| PersistError::Encode {
                database: t.database.clone(),
                table: t.table.clone(),
                source,
            });
        out.push(EncodedTable {
            key,
            database: t.database,
            table: t.table,
            files,
        });
    }
    // Where persisting's time goes, per segment (`RUST_LOG=linewise_server::persist=debug`).
    tracing::debug!(
        segment = segment.id,
        source,
        rows,
        files = out.len(),
        gather_ms = gathered.as_millis(),
        encode_ms = (started.elapsed() - gathered).as_millis(),
        "encoded WAL segment"
    );
    Ok(out)
}

/// `parquet/<db_id>/<table_id>/<YYYY-MM-DDTHH-MM>/<segment>.parquet`: catalog ids, never names.
pub fn file_path(database: DbId, table: TableId, block_start: i64, segment: u64) -> ObjPath {
    ObjPath::from_iter([
        PARQUET_PREFIX.to_string(),
        database.to_string(),
        table.to_string(),
        block_name(block_start),
        format!("{segment:020}.parquet"),
    ])
}

/// `parquet/<db_id>`: every file of one database.
pub fn database_prefix(database: DbId) -> ObjPath {
    ObjPath::from_iter([PARQUET_PREFIX.to_string(), database.to_string()])
}

/// `parquet/<db_id>/<table_id>`: every file of one table.
pub fn table_prefix(database: DbId, table: TableId) -> ObjPath {
    ObjPath::from_iter([
        PARQUET_PREFIX.to_string(),
        database.to_string(),
        table.to_string(),
    ])
}

/// The UTC minute a block starts at, as `YYYY-MM-DDTHH-MM`.
fn block_name(ns: i64) -> String {
    let t = chrono::DateTime::from_timestamp_nanos(ns);
    format!(
        "{:04}-{:02}-{:02}T{:02}-{:02}",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute()
    )
}

async fn rotate_periodically(wal: Wal, config: PersistConfig) {
    let tick = config.interval.min(Duration::from_millis(100));
    let mut last = Instant::now();
    loop {
        tokio::time::sleep(tick).await;
        let forced = wal.unpersisted_bytes() > config.force_bytes && !wal.sealed_waiting();
        if forced || last.elapsed() >= config.interval {
            if let Err(e) = wal.rotate() {
                tracing::error!("sealing WAL segment: {e}");
            }
            last = Instant::now();
        }
    }
}
