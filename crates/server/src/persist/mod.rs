//! Background persistence: sealed WAL segments → Parquet files in the object store → segment removed.
//!
//! The persister works per WAL segment, not on a snapshot of the live buffer: it reads the sealed
//! segment file, decodes its records into per-table Arrow batches ([`SegmentDecoder`], supplied by
//! the write path that owns the payload format), and writes the Parquet files of each table: one
//! per time block, except that consecutive sparse blocks share a file up to a row target
//! ([`PersistConfig::file_rows`]). A file is named after the segment and its first block
//! (`parquet/<db>/<table>/<YYYY-MM-DDTHH-MM>/<segment>.parquet`). The
//! names are deterministic, so persisting a segment again after a crash overwrites the same files
//! instead of duplicating rows. Only when every file of the segment is written does it tell the
//! buffer to drop that segment's rows (`on_persisted`) and delete the segment.
//!
//! Segments are persisted in order; [`PersistHandle::flush`] (at shutdown) seals the current one and
//! waits until no older segment file is left. A failing store is retried with backoff; while it
//! fails, unpersisted WAL bytes grow until [`PersistHandle::admit`] turns writes away with 503.
pub mod encode;
pub mod store;
#[cfg(test)]
mod tests;

use crate::wal::{ReadError, Record, SealedSegment, Wal, WalError};
use arrow::array::RecordBatch;
use object_store::path::Path as ObjPath;
use std::sync::{Arc, Mutex};
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
    /// Tag column names, in the order rows are sorted by.
    pub tags: Vec<String>,
    /// Tags (strings), fields and `time` (Timestamp ns).
    pub batch: RecordBatch,
}

/// The catalog file to keep beside the Parquet files: its version and its bytes.
pub type CatalogSource = Arc<dyn Fn() -> (u64, Vec<u8>) + Send + Sync>;

/// Turns WAL payloads back into rows; implemented by the write path, which owns the payload format.
pub trait SegmentDecoder: Send + Sync + 'static {
    fn decode(&self, records: &[Record]) -> Result<Vec<TableData>, String>;
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

/// Why a segment could not be persisted (retried until it can).
#[derive(Debug, thiserror::Error)]
pub enum PersistError {
    #[error("reading WAL segment: {0}")]
    Read(#[from] ReadError),
    #[error("decoding WAL segment {segment}: {message}")]
    Decode { segment: u64, message: String },
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
}

struct Shared {
    error: Mutex<Option<String>>,
    files_written: std::sync::atomic::AtomicU64,
    /// Woken whenever a persisted segment left the buffer and the WAL: writes waiting for room
    /// (see [`PersistHandle::room`]) look again.
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
        self.shared
            .error
            .lock()
            .expect("persist error lock")
            .clone()
    }

    /// Parquet files written since start.
    pub fn files_written(&self) -> u64 {
        self.shared
            .files_written
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Seals the current WAL segment and waits until every segment before the new one is persisted
    /// (and deleted).
    pub async fn flush(&self, timeout: Duration) -> Result<(), FlushError> {
        self.wal.rotate()?;
        let target = self.wal.current_segment();
        let deadline = Instant::now() + timeout;
        while self.wal.oldest_segment().is_some_and(|o| o < target) {
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
    on_persisted: Arc<dyn Fn(u64) + Send + Sync>,
    config: PersistConfig,
    shared: Arc<Shared>,
    catalog: Option<CatalogSource>,
    /// One more than the catalog version last put into the store (0: none yet).
    catalog_put: std::sync::atomic::AtomicU64,
}

impl Persister {
    /// `on_persisted(id)` is called once segment `id` is in the store.
    pub fn new(
        store: Store,
        wal: Wal,
        decoder: Arc<dyn SegmentDecoder>,
        on_persisted: Arc<dyn Fn(u64) + Send + Sync>,
        config: PersistConfig,
    ) -> (Persister, PersistHandle) {
        let shared = Arc::new(Shared {
            error: Mutex::new(None),
            files_written: Default::default(),
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
                on_persisted,
                config,
                shared,
                catalog: None,
                catalog_put: Default::default(),
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
        use std::sync::atomic::Ordering::Relaxed;
        let (version, bytes) = catalog();
        if self.catalog_put.load(Relaxed) == version + 1 {
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
        self.catalog_put.store(version + 1, Relaxed);
        Ok(())
    }

    /// Runs until the `sealed` channel closes: persists each sealed segment, and seals the current
    /// one every `interval` or when unpersisted bytes pass `force_bytes`.
    pub async fn run(self, mut sealed: mpsc::UnboundedReceiver<SealedSegment>) {
        let rotator = tokio::spawn(rotate_periodically(self.wal.clone(), self.config.clone()));
        while let Some(segment) = sealed.recv().await {
            let mut backoff = Duration::from_millis(100);
            loop {
                match self.persist_segment(&segment).await {
                    Ok(()) => {
                        *self.shared.error.lock().expect("persist error lock") = None;
                        break;
                    }
                    Err(e) => {
                        tracing::error!(
                            "persisting WAL segment {}: {e}; retrying in {backoff:?}",
                            segment.id
                        );
                        *self.shared.error.lock().expect("persist error lock") =
                            Some(e.to_string());
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(Duration::from_secs(5));
                    }
                }
            }
        }
        rotator.abort();
    }

    async fn persist_segment(&self, segment: &SealedSegment) -> Result<(), PersistError> {
        let seg = segment.clone();
        let decoder = self.decoder.clone();
        let block_ns = i64::try_from(self.config.block.as_nanos())
            .unwrap_or(i64::MAX)
            .max(1);
        let skip_corrupt = self.config.skip_corrupt;
        let file_rows = self.config.file_rows;
        let files = tokio::task::spawn_blocking(move || {
            encode_segment(&seg, &*decoder, block_ns, file_rows, skip_corrupt)
        })
        .await
        .expect("encoding task panicked")?;
        let count = files.len();
        let started = Instant::now();
        if let Some(catalog) = self.catalog.as_ref().filter(|_| count > 0) {
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
            self.shared
                .files_written
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        (self.on_persisted)(segment.id);
        self.wal
            .remove_segment(segment)
            .map_err(|source| PersistError::Remove {
                path: segment.path.display().to_string(),
                source,
            })?;
        self.shared.room.notify_waiters();
        tracing::debug!(
            segment = segment.id,
            files = count,
            put_ms = started.elapsed().as_millis(),
            "persisted WAL segment"
        );
        Ok(())
    }
}

/// Reads, decodes and encodes one segment: the object paths and bytes of its Parquet files.
fn encode_segment(
    segment: &SealedSegment,
    decoder: &dyn SegmentDecoder,
    block_ns: i64,
    file_rows: usize,
    skip_corrupt: bool,
) -> Result<Vec<(ObjPath, bytes::Bytes)>, PersistError> {
    let opts = crate::wal::segment::ReadOptions {
        is_last: true,
        skip_corrupt,
    };
    let started = Instant::now();
    let (contents, _) = crate::wal::segment::read_segment(segment.id, &segment.path, 0, opts)?;
    if contents.records.is_empty() {
        return Ok(Vec::new());
    }
    let read = started.elapsed();
    let tables = decoder
        .decode(&contents.records)
        .map_err(|message| PersistError::Decode {
            segment: segment.id,
            message,
        })?;
    let decoded = started.elapsed();
    let rows: usize = tables.iter().map(|t| t.batch.num_rows()).sum();
    let meta = vec![
        ("linewise.segment".to_string(), segment.id.to_string()),
        (
            "linewise.min_seq".to_string(),
            contents.records[0].seq.to_string(),
        ),
        (
            "linewise.max_seq".to_string(),
            contents.records[contents.records.len() - 1].seq.to_string(),
        ),
    ];
    let mut out = Vec::new();
    for t in tables {
        let blocks =
            encode::encode_blocks(&t.batch, &t.tags, block_ns, file_rows, &meta).map_err(|source| {
                PersistError::Encode {
                    database: t.database.clone(),
                    table: t.table.clone(),
                    source,
                }
            })?;
        for b in blocks {
            out.push((
                file_path(&t.database, &t.table, b.block_start, segment.id),
                b.bytes,
            ));
        }
    }
    // Where persisting's time goes, per segment (`RUST_LOG=linewise_server::persist=debug`).
    tracing::debug!(
        segment = segment.id,
        rows,
        files = out.len(),
        read_ms = read.as_millis(),
        decode_ms = (decoded - read).as_millis(),
        encode_ms = (started.elapsed() - decoded).as_millis(),
        "encoded WAL segment"
    );
    Ok(out)
}

/// `parquet/<db>/<table>/<YYYY-MM-DDTHH-MM>/<segment>.parquet`.
pub fn file_path(database: &str, table: &str, block_start: i64, segment: u64) -> ObjPath {
    ObjPath::from_iter([
        PARQUET_PREFIX.to_string(),
        database.to_string(),
        table.to_string(),
        block_name(block_start),
        format!("{segment:020}.parquet"),
    ])
}

/// The UTC minute a block starts at, as `YYYY-MM-DDTHH-MM`.
fn block_name(ns: i64) -> String {
    let secs = ns.div_euclid(1_000_000_000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}-{:02}",
        rem / 3600,
        rem % 3600 / 60
    )
}

async fn rotate_periodically(wal: Wal, config: PersistConfig) {
    let tick = config.interval.min(Duration::from_millis(100));
    let mut last = Instant::now();
    loop {
        tokio::time::sleep(tick).await;
        let forced = wal.unpersisted_bytes() > config.force_bytes;
        if forced || last.elapsed() >= config.interval {
            if let Err(e) = wal.rotate() {
                tracing::error!("sealing WAL segment: {e}");
            }
            last = Instant::now();
        }
    }
}
