//! The write path after the HTTP layer: validate → catalog commit → WAL append → buffer insert.
//!
//! Parsing and per-batch type checks are the core's (`parse_lines`, `BatchValidator` with the
//! catalog as its `KnownSchema`); this module adds what needs the server's state: the catalog's
//! limits, the columns a write creates, and the order of the durable steps.
pub mod batch;
pub mod cpu;
pub mod line_error;
mod validate;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use linewise_core::Precision;
use thiserror::Error;

use crate::buffer::{Buffer, BufferError};
use crate::catalog::{Catalog, CatalogError, MAX_DATABASES};
use batch::WriteBatch;
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

/// The durability seam: the WAL appends a validated write (its `encode()`d bytes) before the
/// rows reach the buffer, and resolves once they are durable when `sync` is true. It answers the
/// WAL segment the write went to: the buffer tags the rows with it and drops them once that
/// segment is persisted.
pub trait Wal: Send + Sync {
    fn append<'a>(
        &'a self,
        batch: &'a WriteBatch,
        sync: bool,
    ) -> Pin<Box<dyn Future<Output = Result<u64, WalError>> + Send + 'a>>;
}

/// Used until a WAL is configured: writes live in the buffer only.
pub struct NoWal;

impl Wal for NoWal {
    fn append<'a>(
        &'a self,
        _batch: &'a WriteBatch,
        _sync: bool,
    ) -> Pin<Box<dyn Future<Output = Result<u64, WalError>> + Send + 'a>> {
        Box::pin(async { Ok(0) })
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
}

#[derive(Debug, Error)]
pub enum WriteError {
    #[error("incoming write was empty")]
    Empty,
    #[error("Adding a new database would exceed limit of {MAX_DATABASES} databases")]
    TooManyDatabases,
    /// `accept_partial=false` and a line failed: nothing was stored.
    #[error("line {}: {}", .0.line_number, .0.error_message)]
    Rejected(LineError),
    #[error(transparent)]
    Buffer(#[from] BufferError),
    #[error(transparent)]
    Wal(#[from] WalError),
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
}

fn now_ns() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

impl Writer {
    pub async fn write(&self, req: &WriteRequest<'_>) -> Result<WriteOutcome, WriteError> {
        self.buffer.check_capacity()?;
        // Taken once per request, as InfluxDB does: lines without a timestamp share it.
        let now = now_ns();
        let validated = self
            .cpu
            .run(req.body.len(), || self.prepare(req, now))
            .await?;
        if validated.batch.tables.is_empty() {
            if validated.errors.is_empty() {
                return Err(WriteError::Empty);
            }
            return Ok(WriteOutcome {
                accepted: 0,
                errors: validated.errors,
            });
        }
        let segment = self.wal.append(&validated.batch, !req.no_sync).await?;
        self.buffer.insert(&validated.batch, segment)?;
        Ok(WriteOutcome {
            accepted: validated.accepted,
            errors: validated.errors,
        })
    }

    /// The CPU part of a write, synchronous so that it can run off the async workers: parse,
    /// validate and build the columns, and commit the new columns to the catalog.
    fn prepare(&self, req: &WriteRequest<'_>, now: i64) -> Result<validate::Validated, WriteError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let snapshot = self.catalog.snapshot();
            let is_new_db = !snapshot.databases.contains_key(req.db);
            if is_new_db && snapshot.databases.len() >= MAX_DATABASES {
                return Err(WriteError::TooManyDatabases);
            }
            let v = validate::validate(&snapshot, req, now)?;
            if v.changes.columns.is_empty() {
                return Ok(v);
            }
            match self.catalog.commit(req.db, &v.changes) {
                Ok(()) => return Ok(v),
                Err(CatalogError::Conflict) if attempt < MAX_COMMIT_ATTEMPTS => continue,
                Err(CatalogError::Conflict) => return Err(WriteError::Contention),
                Err(CatalogError::TooManyDatabases) => return Err(WriteError::TooManyDatabases),
                Err(e) => return Err(WriteError::Catalog(e)),
            }
        }
    }

    /// Puts a write read back from WAL segment `segment` into the buffer (on start). Writes to
    /// databases deleted since are skipped.
    pub fn replay(&self, bytes: &[u8], segment: u64) -> Result<usize, ReplayError> {
        let batch = WriteBatch::decode(bytes)?;
        if !self.catalog.snapshot().databases.contains_key(&batch.db) {
            return Ok(0);
        }
        self.buffer.insert(&batch, segment)?;
        Ok(batch.rows())
    }
}

#[derive(Debug, Error)]
pub enum ReplayError {
    #[error(transparent)]
    Decode(#[from] batch::BatchDecodeError),
    #[error(transparent)]
    Buffer(#[from] BufferError),
}
