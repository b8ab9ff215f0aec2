//! Wires the WAL and the persister into the write path and the server's life cycle: start (replay
//! the WAL into the buffer, then persist in the background), every write (admission, WAL append,
//! wait for fdatasync unless `no_sync`), deleting databases (their Parquet files are removed in the
//! background, and the removal is finished on the next start if it was interrupted), and shutdown
//! (persist everything, or leave a replayable WAL).
use crate::buffer::{Buffer, SegmentTable};
use crate::catalog::{Catalog, CatalogError, CatalogLimits, CATALOG_FILE};
use crate::duration::parse_duration;
use crate::persist::{
    database_prefix, CatalogSource, DecodeError, PersistConfig, PersistHandle, PersistedRows,
    Persister, SegmentDecoder, Store, StoreArgs, StoreError, TableData,
};
use crate::wal::{self, Record, Wal, WalConfig};
use crate::write::{self, batch::LoggedWrite, Writer};
use arrow::datatypes::DataType;
use bytes::Bytes;
use object_store::path::Path as ObjPath;
use object_store::ObjectStore;
use std::collections::BTreeMap;
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

/// Consecutive time blocks of one WAL segment share a Parquet file until it holds this many rows:
/// sparse data (each line in an hour of its own) makes files by the rows, not by the hours, while a
/// dense block keeps a file to itself.
const FILE_ROWS: usize = 100_000;

/// Durability flags of `linewise serve`.
#[derive(Debug, Clone, clap::Args)]
pub struct DurabilityArgs {
    /// Longest a `no_sync` write stays in the WAL unsynced (writes without `no_sync` are synced
    /// before their answer, sharing one fdatasync with every write that arrived meanwhile).
    #[arg(long, env = "LINEWISE_WAL_FLUSH_INTERVAL", default_value = "10ms", value_parser = parse_duration)]
    pub wal_flush_interval: Duration,
    /// A WAL segment is sealed and persisted once it holds this many bytes. Persisting a segment
    /// holds its rows a few times over for a moment (decoded, sorted, encoded), so this size is
    /// what memory swings by; each segment makes one Parquet file per table and hour.
    #[arg(long, env = "LINEWISE_WAL_SEGMENT_SIZE", default_value_t = 16 << 20)]
    pub wal_segment_size: u64,
    /// Start even when a WAL segment is damaged in the middle, skipping the damaged bytes (the
    /// writes in them are lost). Without it such damage stops the start, naming file and offset.
    #[arg(long, env = "LINEWISE_WAL_SKIP_CORRUPT")]
    pub wal_skip_corrupt: bool,
    /// How often buffered writes are persisted to Parquet (e.g. `10s`, `500ms`).
    #[arg(long, env = "LINEWISE_PERSIST_INTERVAL", default_value = "10s", value_parser = parse_duration)]
    pub persist_interval: Duration,
    /// Time span of the rows of one Parquet file.
    #[arg(long, env = "LINEWISE_PARQUET_BLOCK", default_value = "1h", value_parser = parse_duration)]
    pub parquet_block: Duration,
    /// How long shutdown waits for persisting before leaving the rest to WAL replay.
    #[arg(long, env = "LINEWISE_SHUTDOWN_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    pub shutdown_timeout: Duration,
    /// How long a write waits for persistence to make room when the buffer is full, before it
    /// is refused with 503.
    #[arg(long, env = "LINEWISE_WRITE_WAIT_TIMEOUT", default_value = "5s", value_parser = parse_duration)]
    pub write_wait_timeout: Duration,
    #[command(flatten)]
    pub store: StoreArgs,
}

/// Errors starting durability.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Wal(#[from] wal::OpenError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error("reading the catalog from the object store: {0}")]
    CatalogFromStore(StoreError),
    #[error(transparent)]
    Migrate(#[from] crate::persist::MigrateError),
    #[error("replaying WAL segment {segment} record {seq}: {source}")]
    Replay {
        segment: u64,
        seq: u64,
        source: write::ReplayError,
    },
}

/// The running WAL and persister.
pub struct Durability {
    /// Where the Parquet files are (queries read them).
    object_store: Arc<dyn ObjectStore>,
    wal: Wal,
    persist: PersistHandle,
    task: tokio::task::JoinHandle<()>,
    relief: tokio::task::JoinHandle<()>,
    removal: tokio::task::JoinHandle<()>,
    shutdown_timeout: Duration,
}

impl Durability {
    /// Opens the catalog under `data_dir` (taking the object store's copy when the directory has
    /// none), opens the WAL under `data_dir/wal`, replays it into `buffer`, starts persisting to the
    /// object store, and returns the write path logging to the WAL. `max_unpersisted` bounds memory:
    /// past it writes wait for room (`--write-wait-timeout`), then get 503; past a quarter of it
    /// persistence starts early.
    pub async fn start(
        args: &DurabilityArgs,
        data_dir: &Path,
        buffer: Arc<Buffer>,
        max_unpersisted: u64,
        limits: CatalogLimits,
    ) -> Result<(Durability, Writer), StartError> {
        let store = Store::from_args(&args.store, data_dir)?;
        let object_store = store.object_store();
        let store_is_local = store.is_local();
        if !store_is_local && !Catalog::exists(data_dir) {
            let copy = store
                .get(&ObjPath::from(CATALOG_FILE))
                .await
                .map_err(StartError::CatalogFromStore)?;
            if let Some(bytes) = copy {
                Catalog::install(data_dir, &bytes)?;
                tracing::info!("catalog taken from the object store");
            }
        }
        let catalog = Arc::new(Catalog::open(data_dir)?.with_limits(limits));
        // Before anything reads or writes Parquet: files of older versions move to id paths.
        let moved = crate::persist::migrate(&catalog, &store).await?;
        if moved > 0 {
            tracing::info!(
                files = moved,
                "Parquet files moved from name paths to id paths"
            );
        }
        let (wal, recovery, sealed) = Wal::open(WalConfig {
            dir: data_dir.join("wal"),
            flush_interval: args.wal_flush_interval,
            segment_max_bytes: args.wal_segment_size,
            skip_corrupt: args.wal_skip_corrupt,
        })?;
        let config = PersistConfig {
            block: args.parquet_block,
            file_rows: FILE_ROWS,
            interval: args.persist_interval,
            force_bytes: max_unpersisted / 4,
            max_bytes: max_unpersisted,
            skip_corrupt: args.wal_skip_corrupt,
        };
        let mirror: Option<CatalogSource> = (!store_is_local).then(|| {
            let catalog = catalog.clone();
            Arc::new(move || catalog.to_json()) as CatalogSource
        });
        let (mut persister, persist) = Persister::new(
            store.clone(),
            wal.clone(),
            Arc::new(WriteBatchDecoder {
                catalog: catalog.clone(),
                buffer: buffer.clone(),
                wal: wal.clone(),
            }),
            Arc::new(BufferRelease(buffer.clone())),
            config,
        );
        if let Some(mirror) = &mirror {
            persister = persister.mirror_catalog(mirror.clone());
        }
        let writer = Writer {
            catalog,
            buffer,
            wal: Arc::new(DurableWal {
                wal: wal.clone(),
                persist: persist.clone(),
            }),
            cpu: Default::default(),
            write_wait: args.write_wait_timeout,
        };
        let mut rows = 0;
        let mut records = 0;
        for segment in &recovery.segments {
            for r in &segment.records {
                rows +=
                    writer
                        .replay(&r.payload, segment.id)
                        .map_err(|source| StartError::Replay {
                            segment: segment.id,
                            seq: r.seq,
                            source,
                        })?;
                records += 1;
            }
        }
        tracing::info!(
            segments = recovery.segments.len(),
            records,
            rows,
            torn_tail_bytes = recovery.torn_tail_bytes,
            "WAL replayed"
        );
        // Only now: a segment persisted before its rows were replayed would leave them buffered.
        let task = tokio::spawn(persister.run(sealed));
        let relief = tokio::spawn(relieve_pressure(
            wal.clone(),
            writer.buffer.clone(),
            usize::try_from(max_unpersisted / 2).unwrap_or(usize::MAX),
        ));
        let removal = tokio::spawn(remove_deleted_databases(
            writer.catalog.clone(),
            store,
            wal.clone(),
            mirror,
        ));
        Ok((
            Durability {
                object_store,
                wal,
                persist,
                task,
                relief,
                removal,
                shutdown_timeout: args.shutdown_timeout,
            },
            writer,
        ))
    }

    /// The object store the Parquet files are written to.
    pub fn object_store(&self) -> Arc<dyn ObjectStore> {
        self.object_store.clone()
    }

    /// Persistence state for health and metrics.
    pub fn persist(&self) -> &PersistHandle {
        &self.persist
    }

    /// Persists everything buffered (bounded by the shutdown timeout) and closes the WAL. Whatever
    /// is not persisted stays in the WAL and is replayed on the next start.
    pub async fn shutdown(self) {
        match self.persist.flush(self.shutdown_timeout).await {
            Ok(()) => tracing::info!("all writes persisted"),
            Err(e) => tracing::warn!("{e}"),
        }
        self.task.abort();
        self.relief.abort();
        self.removal.abort();
        if let Err(e) = self.wal.shutdown().await {
            tracing::error!("closing the WAL: {e}");
        }
    }
}

/// Seals the current WAL segment (so it is persisted and its rows leave the buffer) whenever the
/// buffer's Arrow memory passes `limit`: many small writes cost more buffer memory than WAL bytes.
/// Not while sealed segments wait: under sustained load that made a segment (and a Parquet file)
/// every 50 ms, each a few thousand rows, that freed nothing sooner.
async fn relieve_pressure(wal: Wal, buffer: Arc<Buffer>, limit: usize) {
    loop {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if buffer.bytes() > limit && !wal.sealed_waiting() {
            if let Err(e) = wal.rotate() {
                tracing::error!("sealing WAL segment under memory pressure: {e}");
            }
        }
    }
}

/// How often tombstoned databases are looked at when no deletion wakes the remover.
const REMOVAL_RECHECK: Duration = Duration::from_secs(1);

/// Removes the Parquet files of deleted databases, then their tombstones. A database's files are
/// removed at once, and once more when the persister has got past every WAL segment sealed before
/// the removal began: a segment being persisted during the delete may still have put a file of it
/// (segments decoded after the delete skip its records by id). Tombstones left by an
/// interrupted run are finished on the next start. With a remote store the catalog copy there is
/// updated first, so a server started from the bucket does not see the database either.
async fn remove_deleted_databases(
    catalog: Arc<Catalog>,
    store: Store,
    wal: Wal,
    mirror: Option<CatalogSource>,
) {
    let deletions = catalog.deletions();
    // Tombstone → the WAL segment current when its first removal ran.
    let mut started: BTreeMap<crate::catalog::DbId, u64> = BTreeMap::new();
    loop {
        let tombstones = catalog.snapshot().deleted.clone();
        started.retain(|id, _| tombstones.contains_key(id));
        if !tombstones.is_empty() {
            if let Some(mirror) = &mirror {
                let (_, bytes) = mirror();
                if let Err(e) = store
                    .put(&ObjPath::from(CATALOG_FILE), Bytes::from(bytes))
                    .await
                {
                    tracing::warn!("putting the catalog into the object store: {e}");
                }
            }
        }
        for (id, name) in tombstones {
            match store.delete_prefix(&database_prefix(id)).await {
                Ok(files) => {
                    tracing::info!(database = %name, id, files, "removed Parquet files of deleted database")
                }
                Err(e) => {
                    tracing::warn!(database = %name, id, "removing files of deleted database: {e}; retrying");
                    continue;
                }
            }
            let since = *started.entry(id).or_insert_with(|| wal.current_segment());
            // Segments from `since` on were sealed after the delete: they are decoded without it.
            if wal.oldest_segment().is_none_or(|oldest| oldest >= since) {
                match catalog.forget_deleted(id) {
                    Ok(()) => {
                        started.remove(&id);
                    }
                    Err(e) => tracing::warn!(database = %name, id, "dropping tombstone: {e}"),
                }
            }
        }
        let _ = tokio::time::timeout(REMOVAL_RECHECK, deletions.notified()).await;
    }
}

/// The write path's WAL: admits writes under the memory bound (and tells the writer when
/// persistence frees room), logs the encoded batch, and waits for the fdatasync unless the write
/// asked for `no_sync`.
struct DurableWal {
    wal: Wal,
    persist: PersistHandle,
}

fn wal_error(e: wal::WalError) -> write::WalError {
    match e {
        wal::WalError::Io(msg) => write::WalError::Io(msg),
        other => write::WalError::Io(other.to_string()),
    }
}

impl write::Wal for DurableWal {
    fn append<'a>(
        &'a self,
        write: &'a LoggedWrite,
        sync: bool,
    ) -> Pin<Box<dyn Future<Output = Result<write::Logged, write::WalError>> + Send + 'a>> {
        Box::pin(async move {
            let bytes = write
                .encode()
                .map_err(|e| write::WalError::Io(format!("encoding the write: {e}")))?;
            let appended = self
                .wal
                .append(Bytes::from(bytes), sync)
                .map_err(wal_error)?;
            let segment = appended.segment;
            // A `no_sync` write is answered once the writer has written it to the file (synced
            // within the flush interval), not when it is queued: a record whose write fails (a full
            // disk) must get the error, as nothing would keep it.
            let applying = appended.wait().await.map_err(wal_error)?;
            Ok(write::Logged {
                segment,
                applied: Some(Box::new(move || applying.applied())),
            })
        })
    }

    fn admit(&self) -> Result<(), write::WalError> {
        self.persist
            .admit()
            .map_err(|e| write::WalError::Full(e.to_string()))
    }

    fn room(&self) -> Option<Arc<tokio::sync::Notify>> {
        Some(self.persist.room())
    }
}

/// Tells the buffer which rows are persisted (it drops them).
struct BufferRelease(Arc<Buffer>);

impl PersistedRows for BufferRelease {
    fn all_through(&self, segment: u64) {
        self.0.drop_all_through(segment);
    }

    fn table_through(&self, database: &str, table: &str, segment: u64) {
        self.0.drop_through(database, table, segment);
    }
}

/// Why a sealed WAL segment's records did not turn back into rows.
#[derive(Debug, thiserror::Error)]
enum ReplayDecodeError {
    #[error("record {seq}: {source}")]
    Record {
        seq: u64,
        source: write::batch::BatchDecodeError,
    },
    #[error("record {seq}: {source}")]
    Buffer {
        seq: u64,
        source: crate::buffer::BufferError,
    },
    #[error(transparent)]
    Snapshot(crate::buffer::BufferError),
    #[error("{table}: {source}")]
    Concat {
        table: String,
        source: arrow::error::ArrowError,
    },
}

/// How long persisting a sealed segment waits for writes logged in it to reach the buffer (they
/// are between their WAL sync and the buffer insert) before it reads the segment's file instead.
const APPLY_WAIT: Duration = Duration::from_secs(2);

/// A segment's rows per table, from the write path's WAL payloads or straight from the buffer,
/// merging the columns of successive writes the way the buffer does. Writes to databases
/// deleted since are left out by id.
struct WriteBatchDecoder {
    catalog: Arc<Catalog>,
    buffer: Arc<Buffer>,
    wal: Wal,
}

impl WriteBatchDecoder {
    /// `tables` as persistence takes them: with the ids of their (live) database and table and
    /// their rows in one batch.
    fn table_data(
        catalog: &crate::catalog::CatalogState,
        tables: Vec<SegmentTable>,
    ) -> Result<Vec<TableData>, ReplayDecodeError> {
        let mut out = Vec::with_capacity(tables.len());
        for t in tables {
            let Some(db) = catalog.databases.get(&t.db) else {
                continue;
            };
            let Some(table_id) = db.tables.get(&t.table).map(|d| d.id) else {
                continue;
            };
            let tags = t
                .schema
                .fields()
                .iter()
                .filter(|f| matches!(f.data_type(), DataType::Dictionary(..)))
                .map(|f| f.name().clone())
                .collect();
            let batch =
                arrow::compute::concat_batches(&t.schema, &t.batches).map_err(|source| {
                    ReplayDecodeError::Concat {
                        table: format!("{}.{}", t.db, t.table),
                        source,
                    }
                })?;
            out.push(TableData {
                database_id: db.id,
                table_id,
                database: t.db,
                table: t.table,
                tags,
                batch,
            });
        }
        Ok(out)
    }
}

impl SegmentDecoder for WriteBatchDecoder {
    fn decode(&self, records: &[Record]) -> Result<Vec<TableData>, DecodeError> {
        let buffer = Buffer::new(usize::MAX);
        let catalog = self.catalog.snapshot();
        for r in records {
            let logged = LoggedWrite::decode(&r.payload)
                .map_err(|source| ReplayDecodeError::Record { seq: r.seq, source })?;
            if !write::is_live(&catalog, &logged) {
                continue;
            }
            buffer
                .insert(&logged.batch, 0, None)
                .map_err(|source| ReplayDecodeError::Buffer { seq: r.seq, source })?;
        }
        let tables = buffer
            .segment(0, |_, _| true)
            .map_err(ReplayDecodeError::Snapshot)?;
        Ok(Self::table_data(&catalog, tables)?)
    }

    fn in_memory(&self, segment: u64) -> Option<Result<Vec<TableData>, DecodeError>> {
        if !self.wal.wait_applied(segment, APPLY_WAIT) {
            return None;
        }
        let catalog = self.catalog.snapshot();
        let live = |db: &str, id: Option<crate::catalog::DbId>| {
            catalog
                .databases
                .get(db)
                .is_some_and(|d| id.is_none_or(|id| id == d.id))
        };
        let tables = match self.buffer.segment(segment, live) {
            Ok(tables) => tables,
            Err(e) => return Some(Err(ReplayDecodeError::Snapshot(e).into())),
        };
        Some(Self::table_data(&catalog, tables).map_err(Into::into))
    }
}

#[cfg(test)]
mod tests;
