//! The writer thread: the only code that touches the open segment file.
//!
//! Loop: block for one request, take every request already queued (they arrived while the last
//! sync ran), encode them into one buffer, `write` it, `fdatasync` if any of them asked for
//! durability (or unsynced `no_sync` bytes are older than the flush interval), then answer them all.
//! On an I/O error every waiting request gets the error, the log refuses appends, and the thread
//! retries until the disk works again. A `no_sync` append is acknowledged once written, before it
//! is synced, so the writer keeps the bytes written since the last sync: on recovery the segment is
//! cut back to its last synced length and those bytes are written (and synced) again, and a segment
//! sealed while the disk failed is announced for persistence only once they are. An acknowledged
//! record therefore stays in its segment whatever the disk did in between.
use super::format;
use super::segment::segment_file_name;
use super::{SealedSegment, WalError};
use bytes::Bytes;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// Most bytes committed by one write + sync; bounds the memory of a group.
const MAX_GROUP_BYTES: usize = 16 * 1024 * 1024;
/// How often a failed log retries its disk.
const RETRY_INTERVAL: Duration = Duration::from_millis(250);
/// Most bytes written but not synced: past this a segment is synced before the flush interval, so
/// the copy kept for a rewrite after an I/O error stays bounded.
const MAX_UNSYNCED_BYTES: usize = 4 * MAX_GROUP_BYTES;

pub(super) enum Request {
    Append {
        seq: u64,
        segment: u64,
        payload: Bytes,
        sync: bool,
        ack: oneshot::Sender<Result<(), WalError>>,
    },
    Seal {
        segment: u64,
    },
    Shutdown {
        ack: oneshot::Sender<Result<(), WalError>>,
    },
}

/// State shared with the handles: the current I/O error and the unpersisted byte count.
#[derive(Default)]
pub(super) struct Health {
    error: Mutex<Option<String>>,
    pub(super) unpersisted: AtomicU64,
    /// Number of data syncs done: appends divided by this is the group-commit factor.
    pub(super) syncs: AtomicU64,
    /// Ids of the segment files on disk (sealed or current).
    pub(super) live: Mutex<std::collections::BTreeSet<u64>>,
}

impl Health {
    pub(super) fn error(&self) -> Option<String> {
        self.error.lock().expect("health lock").clone()
    }
    fn set(&self, e: Option<String>) {
        *self.error.lock().expect("health lock") = e;
    }
}

struct Open {
    id: u64,
    file: File,
    /// Bytes written (the file length if all went well).
    len: u64,
    /// Bytes known to be on disk.
    synced_len: u64,
    /// The records written since the last sync (the file's bytes `synced_len..len`), some of them
    /// acknowledged `no_sync` appends: written again if an I/O error may have lost them.
    unsynced: Vec<u8>,
}

pub(super) struct Writer {
    dir: PathBuf,
    flush_interval: Duration,
    sealed_tx: tokio::sync::mpsc::UnboundedSender<SealedSegment>,
    health: std::sync::Arc<Health>,
    /// The segment new records go to; opened lazily.
    current: u64,
    open: Option<Open>,
    /// When the oldest written-but-unsynced byte was written.
    unsynced_since: Option<Instant>,
    failed: bool,
    /// Segments sealed while the disk failed, oldest first: their unsynced records are written
    /// again before they are announced for persistence.
    stranded: Vec<Open>,
}

type Ack = oneshot::Sender<Result<(), WalError>>;

impl Writer {
    pub(super) fn create(
        dir: PathBuf,
        first_segment: u64,
        flush_interval: Duration,
        sealed_tx: tokio::sync::mpsc::UnboundedSender<SealedSegment>,
        health: std::sync::Arc<Health>,
    ) -> io::Result<Writer> {
        let mut w = Writer {
            dir,
            flush_interval,
            sealed_tx,
            health,
            current: first_segment,
            open: None,
            unsynced_since: None,
            failed: false,
            stranded: Vec::new(),
        };
        w.open_current()?;
        Ok(w)
    }

    fn path(&self, id: u64) -> PathBuf {
        self.dir.join(segment_file_name(id))
    }

    /// Opens the current segment: the open one again after an I/O error (see `restore`), else a
    /// new file with a segment header.
    fn open_current(&mut self) -> io::Result<()> {
        let id = self.current;
        let path = self.path(id);
        if let Some(open) = self.open.as_mut().filter(|o| o.id == id) {
            return restore(&path, open);
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)?;
        file.write_all(&format::segment_header())?;
        file.sync_all()?;
        File::open(&self.dir)?.sync_all()?;
        self.health.live.lock().expect("live lock").insert(id);
        let len = format::SEGMENT_HEADER_LEN as u64;
        self.open = Some(Open {
            id,
            file,
            len,
            synced_len: len,
            unsynced: Vec::new(),
        });
        Ok(())
    }

    pub(super) fn run(mut self, rx: mpsc::Receiver<Request>) {
        loop {
            let first = if self.failed {
                rx.recv_timeout(RETRY_INTERVAL)
            } else if let Some(since) = self.unsynced_since {
                rx.recv_timeout(
                    (since + self.flush_interval).saturating_duration_since(Instant::now()),
                )
            } else {
                rx.recv().map_err(|_| mpsc::RecvTimeoutError::Disconnected)
            };
            let first = match first {
                Ok(r) => r,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if self.failed {
                        self.try_recover();
                    } else {
                        let _ = self.sync(&mut Vec::new());
                    }
                    continue;
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let _ = self.sync(&mut Vec::new());
                    return;
                }
            };
            let mut group = vec![first];
            let mut bytes = 0;
            while bytes < MAX_GROUP_BYTES {
                match rx.try_recv() {
                    Ok(r) => {
                        if let Request::Append { payload, .. } = &r {
                            bytes += payload.len();
                        }
                        group.push(r);
                    }
                    Err(_) => break,
                }
            }
            if self.failed {
                self.try_recover();
            }
            if self.commit(group) {
                return;
            }
        }
    }

    /// Commits one group; returns true on shutdown.
    fn commit(&mut self, group: Vec<Request>) -> bool {
        let mut buf = Vec::new();
        // Requests waiting for the next sync, and those answered once written.
        let mut wait_sync: Vec<Ack> = Vec::new();
        let mut wait_write: Vec<Ack> = Vec::new();
        let mut any_sync = false;
        let mut shutdown = None;
        for req in group {
            match req {
                Request::Append {
                    seq,
                    segment,
                    payload,
                    sync,
                    ack,
                } => {
                    if self.failed {
                        let _ = ack.send(Err(WalError::Unavailable(
                            self.health.error().unwrap_or_default(),
                        )));
                        continue;
                    }
                    if segment != self.current {
                        self.finish_segment(&mut buf, &mut wait_sync, &mut wait_write, segment);
                        if self.failed {
                            let _ = ack.send(Err(WalError::Unavailable(
                                self.health.error().unwrap_or_default(),
                            )));
                            continue;
                        }
                    }
                    format::encode_record(&mut buf, seq, &payload);
                    if sync {
                        any_sync = true;
                        wait_sync.push(ack);
                    } else {
                        wait_write.push(ack);
                    }
                }
                Request::Seal { segment } if segment == self.current => {
                    if !self.failed {
                        self.finish_segment(&mut buf, &mut wait_sync, &mut wait_write, segment + 1);
                    } else {
                        self.strand(segment + 1);
                    }
                }
                Request::Seal { .. } => {}
                Request::Shutdown { ack } => shutdown = Some(ack),
            }
        }
        let written = self.write(&buf, &mut wait_write);
        let due = self
            .unsynced_since
            .is_some_and(|t| t.elapsed() >= self.flush_interval)
            || self
                .open
                .as_ref()
                .is_some_and(|o| o.unsynced.len() >= MAX_UNSYNCED_BYTES);
        if written && (any_sync || due || shutdown.is_some()) {
            self.sync(&mut wait_sync);
        } else {
            self.answer(&mut wait_sync, written);
        }
        if let Some(ack) = shutdown {
            let result = match self.health.error() {
                Some(e) => Err(WalError::Io(e)),
                None => Ok(()),
            };
            let _ = ack.send(result);
            return true;
        }
        false
    }

    /// Writes what is buffered for the current segment, syncs it, announces it as sealed, and makes
    /// `next` the current segment.
    fn finish_segment(
        &mut self,
        buf: &mut Vec<u8>,
        wait_sync: &mut Vec<Ack>,
        wait_write: &mut Vec<Ack>,
        next: u64,
    ) {
        let written = self.write(buf, wait_write);
        buf.clear();
        if written {
            self.sync(wait_sync);
        } else {
            self.answer(wait_sync, false);
        }
        if self.failed {
            self.strand(next);
            return;
        }
        // The next segment exists before the sealed one is announced, so the set of live
        // segments is never empty while the persister removes the sealed one.
        let sealed = self.open.take();
        self.current = next;
        let opened = self.open_current();
        if let Some(open) = sealed {
            self.announce(open);
        }
        if let Err(e) = opened {
            self.fail(format!("creating {}: {e}", self.path(next).display()));
        }
    }

    /// Seals the open segment while the disk fails: it is kept, to be restored and announced on
    /// recovery, and `next` becomes the current segment (created on recovery too).
    fn strand(&mut self, next: u64) {
        if let Some(open) = self.open.take() {
            self.stranded.push(open);
        }
        self.current = next;
    }

    fn announce(&self, open: Open) {
        let _ = self.sealed_tx.send(SealedSegment {
            id: open.id,
            path: self.path(open.id),
            len: open.len,
        });
    }

    /// Writes `buf` to the open segment and answers the `no_sync` requests. False on error.
    fn write(&mut self, buf: &[u8], wait_write: &mut Vec<Ack>) -> bool {
        if buf.is_empty() && wait_write.is_empty() {
            return !self.failed;
        }
        let result = match self.open.as_mut() {
            Some(open) => open.file.write_all(buf).map(|()| {
                open.len += buf.len() as u64;
                open.unsynced.extend_from_slice(buf);
            }),
            None => Err(io::Error::other("no open segment")),
        };
        match result {
            Ok(()) => {
                self.health
                    .unpersisted
                    .fetch_add(buf.len() as u64, Ordering::Relaxed);
                if !buf.is_empty() && self.unsynced_since.is_none() {
                    self.unsynced_since = Some(Instant::now());
                }
                for ack in wait_write.drain(..) {
                    let _ = ack.send(Ok(()));
                }
                true
            }
            Err(e) => {
                let msg = format!("writing {}: {e}", self.path(self.current).display());
                for ack in wait_write.drain(..) {
                    let _ = ack.send(Err(WalError::Io(msg.clone())));
                }
                self.fail(msg);
                false
            }
        }
    }

    /// fdatasync the open segment and answer the requests waiting for it.
    fn sync(&mut self, wait_sync: &mut Vec<Ack>) -> bool {
        let Some(open) = self.open.as_mut() else {
            self.answer(wait_sync, !self.failed);
            return !self.failed;
        };
        if open.synced_len == open.len {
            self.unsynced_since = None;
            self.answer(wait_sync, !self.failed);
            return !self.failed;
        }
        match open.file.sync_data() {
            Ok(()) => {
                open.synced_len = open.len;
                open.unsynced.clear();
                self.health.syncs.fetch_add(1, Ordering::Relaxed);
                self.unsynced_since = None;
                self.answer(wait_sync, true);
                true
            }
            Err(e) => {
                let id = open.id;
                let msg = format!("syncing {}: {e}", self.path(id).display());
                self.fail(msg);
                self.answer(wait_sync, false);
                false
            }
        }
    }

    fn answer(&self, waiting: &mut Vec<Ack>, ok: bool) {
        for ack in waiting.drain(..) {
            let _ = ack.send(if ok {
                Ok(())
            } else {
                Err(WalError::Io(self.health.error().unwrap_or_default()))
            });
        }
    }

    fn fail(&mut self, msg: String) {
        tracing::error!("WAL: {msg}; appends fail until the disk recovers");
        self.failed = true;
        self.unsynced_since = None;
        self.health.set(Some(msg));
    }

    /// Restores the segments sealed during the failure and announces them, then re-opens (or
    /// creates) the current segment; clears the error once all of it worked.
    fn try_recover(&mut self) {
        while let Some(open) = self.stranded.first_mut() {
            let path = self.dir.join(segment_file_name(open.id));
            if let Err(e) = restore(&path, open) {
                let msg = format!("restoring {}: {e}", path.display());
                self.health.set(Some(msg));
                return;
            }
            let open = self.stranded.remove(0);
            self.announce(open);
        }
        match self.open_current() {
            Ok(()) => {
                tracing::info!("WAL: disk writable again, appends resumed");
                self.failed = false;
                self.health.set(None);
            }
            Err(e) => {
                self.health.set(Some(format!(
                    "re-opening {}: {e}",
                    self.path(self.current).display()
                )));
            }
        }
    }
}

/// Puts `open`'s segment file back to what was written to it: cut to the length known synced
/// (dropping whatever a failed write left), its unsynced records written again, then synced.
fn restore(path: &std::path::Path, open: &mut Open) -> io::Result<()> {
    use std::io::Seek;
    let mut file = OpenOptions::new().read(true).write(true).open(path)?;
    file.set_len(open.synced_len)?;
    file.seek(io::SeekFrom::Start(open.synced_len))?;
    file.write_all(&open.unsynced)?;
    file.sync_all()?;
    open.file = file;
    open.synced_len = open.len;
    open.unsynced.clear();
    Ok(())
}

#[cfg(test)]
mod tests;
