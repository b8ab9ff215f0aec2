//! The writer against real segment files, with the disk failing under it: the open segment's file
//! descriptor is swapped for one on `/dev/full`, whose writes fail with the OS's own ENOSPC, while
//! the segment file keeps what was written before.
use super::*;
use crate::wal::segment::{read_segment, ReadOptions};
use std::path::Path;
use std::sync::Arc;

fn writer(dir: &Path) -> (Writer, tokio::sync::mpsc::UnboundedReceiver<SealedSegment>) {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    // A long flush interval: `no_sync` records stay unsynced until something syncs them.
    let w = Writer::create(
        dir.to_path_buf(),
        1,
        Duration::from_secs(3600),
        tx,
        Arc::new(Health::default()),
    )
    .unwrap();
    (w, rx)
}

/// Commits one append; its answer.
fn append(
    w: &mut Writer,
    seq: u64,
    segment: u64,
    payload: impl Into<Bytes>,
    sync: bool,
) -> Result<(), WalError> {
    let (ack, mut done) = oneshot::channel();
    let payload = payload.into();
    w.commit(vec![Request::Append {
        seq,
        segment,
        payload,
        sync,
        ack,
    }]);
    done.try_recv().expect("every append is answered")
}

/// From now on, writes to the open segment fail with ENOSPC.
fn fill_disk(w: &mut Writer) {
    let full = OpenOptions::new().write(true).open("/dev/full").unwrap();
    w.open.as_mut().unwrap().file = full;
}

fn payloads(dir: &Path, id: u64) -> Vec<(u64, Vec<u8>)> {
    let path = dir.join(segment_file_name(id));
    let opts = ReadOptions {
        is_last: false,
        skip_corrupt: false,
    };
    let (contents, _) = read_segment(id, &path, 0, opts).unwrap();
    contents
        .records
        .iter()
        .map(|r| (r.seq, r.payload.to_vec()))
        .collect()
}

#[test]
fn acknowledged_unsynced_records_are_written_again_after_a_full_disk() {
    let dir = tempfile::tempdir().unwrap();
    let (mut w, _sealed) = writer(dir.path());
    append(&mut w, 1, 1, "acked a", false).unwrap();
    append(&mut w, 2, 1, "acked b", false).unwrap();
    fill_disk(&mut w);
    let err = append(&mut w, 3, 1, "refused c", true).unwrap_err();
    assert!(err.to_string().contains("No space left on device"), "{err}");
    assert!(w.health.error().is_some());
    // Known broken: every append is refused, synced or not.
    let err = append(&mut w, 4, 1, "refused d", false).unwrap_err();
    assert!(matches!(err, WalError::Unavailable(_)), "{err}");

    w.try_recover();
    assert_eq!(w.health.error(), None);
    append(&mut w, 5, 1, "after e", true).unwrap();
    assert_eq!(
        payloads(dir.path(), 1),
        [
            (1, b"acked a".to_vec()),
            (2, b"acked b".to_vec()),
            (5, b"after e".to_vec())
        ]
    );
}

#[test]
fn a_segment_sealed_while_the_disk_is_full_is_announced_once_restored() {
    let dir = tempfile::tempdir().unwrap();
    let (mut w, mut sealed) = writer(dir.path());
    append(&mut w, 1, 1, "acked a", false).unwrap();
    fill_disk(&mut w);
    append(&mut w, 2, 1, "refused b", true).unwrap_err();
    w.commit(vec![Request::Seal { segment: 1 }]);
    assert!(
        sealed.try_recv().is_err(),
        "announced before its records were restored"
    );

    w.try_recover();
    let s = sealed.try_recv().expect("announced on recovery");
    assert_eq!(s.id, 1);
    assert_eq!(s.len, std::fs::metadata(&s.path).unwrap().len());
    assert_eq!(payloads(dir.path(), 1), [(1, b"acked a".to_vec())]);
    append(&mut w, 3, 2, "next segment", true).unwrap();
    assert_eq!(payloads(dir.path(), 2), [(3, b"next segment".to_vec())]);
}

#[test]
fn unsynced_bytes_past_the_bound_are_synced_early() {
    let dir = tempfile::tempdir().unwrap();
    let (mut w, _sealed) = writer(dir.path());
    let big = Bytes::from(vec![7u8; MAX_GROUP_BYTES / 2]);
    let mut seq = 0;
    while w.health.syncs.load(Ordering::Relaxed) == 0 {
        seq += 1;
        assert!(seq <= 9, "{seq} unsynced appends of 8 MiB and no sync");
        append(&mut w, seq, 1, big.clone(), false).unwrap();
    }
    assert!(w.open.as_ref().unwrap().unsynced.is_empty());
}
