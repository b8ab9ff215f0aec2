//! Write-ahead log: every accepted write is appended here before it is acknowledged.
//!
//! Records are opaque payloads with a sequence number, framed with a length and a CRC32C
//! ([`format`]) in append-only segment files `DIR/<id>.wal`. One writer thread owns the files
//! ([`writer`]): it takes every request queued while its previous `fdatasync` ran and commits them
//! with one write and one sync (group commit), so concurrent writers share syncs instead of queueing
//! for one each. Sequence numbers and segment ids are handed out under a small lock in the caller,
//! so the caller knows at once which segment its record lands in (the buffer keeps rows per segment,
//! and drops them when that segment has been persisted).
//!
//! A segment is sealed (synced, closed, announced on the `sealed` channel) when it passes its size
//! limit or on [`Wal::rotate`]; the persister turns a sealed segment into Parquet files and then
//! calls [`Wal::remove_segment`]. On start, [`Wal::open`] replays every segment ([`segment`]).
mod applied;
pub mod format;
pub mod segment;
mod writer;

pub use applied::Applying;

pub use segment::{ReadError, Record, SegmentContents};

use bytes::Bytes;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;

/// Settings of the log.
#[derive(Debug, Clone)]
pub struct WalConfig {
    /// Directory of the segment files (created if missing).
    pub dir: PathBuf,
    /// Longest a record written with `no_sync` stays unsynced.
    pub flush_interval: Duration,
    /// A segment is sealed once it holds this many bytes.
    pub segment_max_bytes: u64,
    /// Skip damaged records in the middle of a segment at start instead of refusing to start.
    pub skip_corrupt: bool,
}

/// Errors of the log.
#[derive(Debug, Clone, thiserror::Error)]
pub enum WalError {
    #[error("write-ahead log I/O error: {0}")]
    Io(String),
    #[error(
        "write-ahead log unavailable after an earlier I/O error ({0}); retrying in the background"
    )]
    Unavailable(String),
    #[error("payload of {len} bytes exceeds the WAL record limit of {max} bytes")]
    TooLarge { len: usize, max: usize },
    #[error("write-ahead log is shut down")]
    Closed,
}

/// Errors opening the log.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("cannot create WAL directory {path}: {source}")]
    CreateDir { path: PathBuf, source: io::Error },
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error("cannot create WAL segment: {0}")]
    Create(io::Error),
}

/// A segment that will receive no more records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedSegment {
    pub id: u64,
    pub path: PathBuf,
    /// Bytes in the file.
    pub len: u64,
}

/// What [`Wal::open`] found on disk.
#[derive(Debug)]
pub struct Recovery {
    /// Every segment with records, oldest first: replay these into the buffer. They are also queued
    /// on the `sealed` channel for the persister.
    pub segments: Vec<SegmentContents>,
    /// Total bytes cut from a torn tail.
    pub torn_tail_bytes: u64,
    /// Bytes skipped in damaged regions (only with `skip_corrupt`).
    pub skipped_bytes: u64,
}

/// Where an appended record went.
pub struct Appended {
    pub seq: u64,
    pub segment: u64,
    done: oneshot::Receiver<Result<(), WalError>>,
    applying: Applying,
}

impl Appended {
    /// Waits until the record is written (and, for a synced append, durable on disk). The answer
    /// is to be told once the record's rows are in the buffer ([`Applying::applied`]).
    pub async fn wait(self) -> Result<Applying, WalError> {
        self.done.await.unwrap_or(Err(WalError::Closed))?;
        Ok(self.applying)
    }
}

/// Handle to the log; cheap to clone.
#[derive(Clone)]
pub struct Wal {
    inner: Arc<Inner>,
}

struct Assign {
    next_seq: u64,
    segment: u64,
    segment_bytes: u64,
}

struct Inner {
    dir: PathBuf,
    max_bytes: u64,
    assign: Mutex<Assign>,
    tx: mpsc::Sender<writer::Request>,
    health: Arc<writer::Health>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
    applied: Arc<applied::Tracker>,
}

impl Wal {
    /// Opens the log in `config.dir`: reads every segment (cutting a torn tail off the newest one,
    /// refusing damage elsewhere unless `skip_corrupt`), starts a new segment for new records and the
    /// writer thread. Returns the handle, what was recovered, and the channel of sealed segments.
    pub fn open(
        config: WalConfig,
    ) -> Result<
        (
            Wal,
            Recovery,
            tokio::sync::mpsc::UnboundedReceiver<SealedSegment>,
        ),
        OpenError,
    > {
        std::fs::create_dir_all(&config.dir).map_err(|source| OpenError::CreateDir {
            path: config.dir.clone(),
            source,
        })?;
        let listed = segment::list_segments(&config.dir)?;
        let (sealed_tx, sealed_rx) = tokio::sync::mpsc::unbounded_channel();
        let mut recovery = Recovery {
            segments: Vec::new(),
            torn_tail_bytes: 0,
            skipped_bytes: 0,
        };
        let mut last_seq = 0;
        let mut unpersisted = 0;
        let mut empty = Vec::new();
        let last_id = listed.last().map(|(id, _)| *id);
        for (id, path) in &listed {
            let opts = segment::ReadOptions {
                is_last: Some(*id) == last_id,
                skip_corrupt: config.skip_corrupt,
            };
            let (contents, report) = segment::read_segment(*id, path, last_seq, opts)?;
            if report.torn_tail_bytes > 0 {
                tracing::warn!(
                    segment = %path.display(),
                    bytes = report.torn_tail_bytes,
                    "WAL: cut a torn tail of {} bytes (an append interrupted by a crash; it was never acknowledged)",
                    report.torn_tail_bytes
                );
            }
            for (offset, bytes) in &report.skipped {
                tracing::error!(
                    segment = %path.display(),
                    offset, bytes,
                    "WAL: skipped {bytes} damaged bytes at offset {offset} (--wal-skip-corrupt); writes in them are lost"
                );
            }
            recovery.torn_tail_bytes += report.torn_tail_bytes;
            recovery.skipped_bytes += report.skipped.iter().map(|(_, b)| b).sum::<u64>();
            if let Some(r) = contents.records.last() {
                last_seq = r.seq;
            }
            if contents.records.is_empty() {
                empty.push(path.clone());
                continue;
            }
            unpersisted += record_bytes(contents.len);
            let _ = sealed_tx.send(SealedSegment {
                id: *id,
                path: path.clone(),
                len: contents.len,
            });
            recovery.segments.push(contents);
        }
        let first_segment = last_id.map_or(1, |id| id + 1);
        let health = Arc::new(writer::Health::default());
        health.unpersisted.store(unpersisted, Ordering::Relaxed);
        health
            .live
            .lock()
            .expect("live lock")
            .extend(recovery.segments.iter().map(|s| s.id));
        let (tx, rx) = mpsc::channel();
        let w = writer::Writer::create(
            config.dir.clone(),
            first_segment,
            config.flush_interval,
            sealed_tx,
            health.clone(),
        )
        .map_err(OpenError::Create)?;
        // Empty segments go only once the new one exists: segment ids must never be reused (Parquet
        // files are named after them), and the newest file on disk is what the next id follows.
        for path in empty {
            remove_file_synced(&config.dir, &path).map_err(OpenError::Create)?;
        }
        let thread = std::thread::Builder::new()
            .name("wal-writer".into())
            .spawn(move || w.run(rx))
            .map_err(OpenError::Create)?;
        let wal = Wal {
            inner: Arc::new(Inner {
                dir: config.dir,
                max_bytes: config.segment_max_bytes.max(1),
                assign: Mutex::new(Assign {
                    next_seq: last_seq + 1,
                    segment: first_segment,
                    segment_bytes: 0,
                }),
                tx,
                health,
                thread: Mutex::new(Some(thread)),
                applied: Arc::default(),
            }),
        };
        Ok((wal, recovery, sealed_rx))
    }

    /// Queues `payload`. With `sync`, [`Appended::wait`] resolves once the record is on disk
    /// (fdatasync); without, once it is written to the file (synced within the flush interval).
    /// Fails at once while the log is in an I/O error state.
    pub fn append(&self, payload: Bytes, sync: bool) -> Result<Appended, WalError> {
        if payload.len() > format::MAX_PAYLOAD_LEN {
            return Err(WalError::TooLarge {
                len: payload.len(),
                max: format::MAX_PAYLOAD_LEN,
            });
        }
        if let Some(e) = self.inner.health.error() {
            return Err(WalError::Unavailable(e));
        }
        let size = (payload.len() + format::RECORD_HEADER_LEN) as u64;
        let (ack, done) = oneshot::channel();
        let mut a = self.inner.assign.lock().expect("wal assign lock");
        let seq = a.next_seq;
        let segment = a.segment;
        self.inner
            .tx
            .send(writer::Request::Append {
                seq,
                segment,
                payload,
                sync,
                ack,
            })
            .map_err(|_| WalError::Closed)?;
        let applying = self.inner.applied.start(segment);
        a.next_seq += 1;
        a.segment_bytes += size;
        if a.segment_bytes >= self.inner.max_bytes {
            self.seal_locked(&mut a)?;
        }
        Ok(Appended {
            seq,
            segment,
            done,
            applying,
        })
    }

    /// Seals the current segment if it holds any record (so it can be persisted); returns its id.
    /// The sealed segment is announced on the `sealed` channel once it is synced.
    pub fn rotate(&self) -> Result<Option<u64>, WalError> {
        let mut a = self.inner.assign.lock().expect("wal assign lock");
        if a.segment_bytes == 0 {
            return Ok(None);
        }
        self.seal_locked(&mut a).map(Some)
    }

    fn seal_locked(&self, a: &mut Assign) -> Result<u64, WalError> {
        let id = a.segment;
        self.inner
            .tx
            .send(writer::Request::Seal { segment: id })
            .map_err(|_| WalError::Closed)?;
        a.segment += 1;
        a.segment_bytes = 0;
        Ok(id)
    }

    /// The segment new records currently go to; every lower id is sealed.
    pub fn current_segment(&self) -> u64 {
        self.inner.assign.lock().expect("wal assign lock").segment
    }

    /// The oldest segment file still on disk (not yet persisted, or the current one).
    pub fn oldest_segment(&self) -> Option<u64> {
        self.inner
            .health
            .live
            .lock()
            .expect("live lock")
            .first()
            .copied()
    }

    /// Whether a sealed segment is still waiting to be persisted. Sealing the current one early
    /// frees no memory sooner then: it only queues behind them, as one more small file.
    pub fn sealed_waiting(&self) -> bool {
        self.oldest_segment()
            .is_some_and(|oldest| oldest < self.current_segment())
    }

    /// Waits (up to `timeout`) until every record appended to the sealed `segment` has been
    /// applied to the buffer; `false` when one never will be (its write failed or was cancelled
    /// after the append) or the wait timed out: then only the file has all of the segment.
    pub fn wait_applied(&self, segment: u64, timeout: Duration) -> bool {
        self.inner.applied.wait(segment, timeout)
    }

    /// Deletes a sealed segment whose records are all persisted.
    pub fn remove_segment(&self, segment: &SealedSegment) -> io::Result<()> {
        remove_file_synced(&self.inner.dir, &segment.path)?;
        self.inner
            .health
            .live
            .lock()
            .expect("live lock")
            .remove(&segment.id);
        self.inner.applied.forget(segment.id);
        self.inner
            .health
            .unpersisted
            .fetch_sub(record_bytes(segment.len), Ordering::Relaxed);
        Ok(())
    }

    /// Bytes of records not yet persisted (sealed or not): the measure of memory held by the buffer.
    /// Segment headers are left out, so an empty WAL counts as empty whatever the bound.
    pub fn unpersisted_bytes(&self) -> u64 {
        self.inner.health.unpersisted.load(Ordering::Relaxed)
    }

    /// Data syncs done so far (for metrics: appends per sync shows group commit at work).
    pub fn sync_count(&self) -> u64 {
        self.inner.health.syncs.load(Ordering::Relaxed)
    }

    /// The I/O error the log is failing with, if any.
    pub fn health_error(&self) -> Option<String> {
        self.inner.health.error()
    }

    /// Syncs everything written and stops the writer thread. Appends after this fail with `Closed`.
    pub async fn shutdown(&self) -> Result<(), WalError> {
        let (ack, done) = oneshot::channel();
        self.inner
            .tx
            .send(writer::Request::Shutdown { ack })
            .map_err(|_| WalError::Closed)?;
        let result = done.await.unwrap_or(Err(WalError::Closed));
        let handle = self.inner.thread.lock().expect("wal thread lock").take();
        if let Some(h) = handle {
            let _ = tokio::task::spawn_blocking(move || h.join()).await;
        }
        result
    }
}

/// The record bytes of a segment file `len` bytes long (its header is not data).
fn record_bytes(len: u64) -> u64 {
    len.saturating_sub(format::SEGMENT_HEADER_LEN as u64)
}

/// Removes a file and syncs its directory, so the removal itself survives a crash.
fn remove_file_synced(dir: &Path, path: &Path) -> io::Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests;
