//! Tests of the log against real files, fsync and the OS's own error for a full disk (`/dev/full`).
use super::*;
use std::time::Instant;

fn config(dir: &Path) -> WalConfig {
    WalConfig {
        dir: dir.to_path_buf(),
        flush_interval: Duration::from_millis(5),
        segment_max_bytes: 1 << 20,
        skip_corrupt: false,
    }
}

async fn try_append(wal: &Wal, payload: &'static [u8], sync: bool) -> Result<(), WalError> {
    wal.append(Bytes::from_static(payload), sync)?
        .wait()
        .await
        .map(drop)
}

fn payloads(r: &Recovery) -> Vec<(u64, Vec<u8>)> {
    r.segments
        .iter()
        .flat_map(|s| s.records.iter())
        .map(|r| (r.seq, r.payload.to_vec()))
        .collect()
}

#[tokio::test]
async fn synced_appends_survive_reopen_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let (wal, rec, _sealed) = Wal::open(config(dir.path())).unwrap();
    assert!(rec.segments.is_empty());
    for i in 0..10u8 {
        let a = wal.append(Bytes::from(vec![i; 3]), true).unwrap();
        assert_eq!(a.seq, u64::from(i) + 1);
        a.wait().await.unwrap();
    }
    drop(wal);
    let (wal, rec, mut sealed) = Wal::open(config(dir.path())).unwrap();
    let got = payloads(&rec);
    assert_eq!(got.len(), 10);
    assert_eq!(got[9], (10, vec![9, 9, 9]));
    // Recovered segments are queued for persistence, and new records continue the sequence.
    assert_eq!(sealed.recv().await.unwrap().id, rec.segments[0].id);
    let a = wal.append(Bytes::from_static(b"next"), true).unwrap();
    assert_eq!(a.seq, 11);
    assert!(a.segment > rec.segments[0].id);
    a.wait().await.unwrap();
    wal.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers_share_syncs() {
    let dir = tempfile::tempdir().unwrap();
    let (wal, _, _sealed) = Wal::open(config(dir.path())).unwrap();
    let before = wal.sync_count();
    let mut tasks = Vec::new();
    for t in 0..16u8 {
        let wal = wal.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..20u8 {
                wal.append(Bytes::from(vec![t, i]), true)
                    .unwrap()
                    .wait()
                    .await
                    .unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let syncs = wal.sync_count() - before;
    assert!(
        syncs < 320,
        "320 synced appends took {syncs} syncs: no group commit"
    );
    wal.shutdown().await.unwrap();
    let (_, rec, _) = Wal::open(config(dir.path())).unwrap();
    assert_eq!(payloads(&rec).len(), 320);
}

#[tokio::test]
async fn no_sync_appends_are_synced_within_the_flush_interval() {
    let dir = tempfile::tempdir().unwrap();
    let (wal, _, _sealed) = Wal::open(config(dir.path())).unwrap();
    let before = wal.sync_count();
    wal.append(Bytes::from_static(b"x"), false)
        .unwrap()
        .wait()
        .await
        .unwrap();
    let start = Instant::now();
    while wal.sync_count() == before {
        assert!(start.elapsed() < Duration::from_secs(2), "never synced");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

#[tokio::test]
async fn segments_rotate_and_are_removed_after_persisting() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.segment_max_bytes = 100;
    let (wal, _, mut sealed) = Wal::open(cfg.clone()).unwrap();
    for _ in 0..5 {
        wal.append(Bytes::from(vec![7u8; 60]), true)
            .unwrap()
            .wait()
            .await
            .unwrap();
    }
    // 76-byte records, 100-byte limit: every second record seals a segment.
    let s1 = sealed.recv().await.unwrap();
    let s2 = sealed.recv().await.unwrap();
    assert!(s1.id < s2.id && s1.path.exists());
    assert_eq!(wal.rotate().unwrap(), Some(s2.id + 1));
    let s3 = sealed.recv().await.unwrap();
    assert_eq!(
        wal.rotate().unwrap(),
        None,
        "an empty segment is not sealed"
    );
    let total = wal.unpersisted_bytes();
    wal.remove_segment(&s1).unwrap();
    assert!(!s1.path.exists());
    assert_eq!(
        wal.unpersisted_bytes(),
        total - (s1.len - format::SEGMENT_HEADER_LEN as u64)
    );
    wal.shutdown().await.unwrap();
    let (_, rec, _) = Wal::open(cfg).unwrap();
    let ids: Vec<u64> = rec.segments.iter().map(|s| s.id).collect();
    assert_eq!(ids, vec![s2.id, s3.id]);
    assert_eq!(payloads(&rec).len(), 3);
}

#[tokio::test]
async fn torn_tail_is_cut_on_open_and_damage_in_the_middle_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let (wal, _, _s) = Wal::open(config(dir.path())).unwrap();
    for p in [&b"one"[..], b"two", b"three"] {
        wal.append(Bytes::copy_from_slice(p), true)
            .unwrap()
            .wait()
            .await
            .unwrap();
    }
    wal.shutdown().await.unwrap();
    let (_, path) = segment::list_segments(dir.path()).unwrap().pop().unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    let intact = bytes.clone();
    bytes.extend_from_slice(&[5, 0, 0, 0, 1, 2]);
    std::fs::write(&path, &bytes).unwrap();
    let (wal, rec, _s) = Wal::open(config(dir.path())).unwrap();
    assert_eq!(rec.torn_tail_bytes, 6);
    assert_eq!(payloads(&rec).len(), 3);
    wal.shutdown().await.unwrap();

    // The same segment is no longer the newest: a flipped bit in its middle record is damage.
    let mut bad = intact;
    bad[format::SEGMENT_HEADER_LEN + format::RECORD_HEADER_LEN + 3 + 18] ^= 4;
    std::fs::write(&path, &bad).unwrap();
    let err = Wal::open(config(dir.path())).err().unwrap();
    let msg = err.to_string();
    assert!(
        msg.contains(&path.display().to_string()) && msg.contains("offset 35"),
        "{msg}"
    );
    let mut cfg = config(dir.path());
    cfg.skip_corrupt = true;
    let (_, rec, _) = Wal::open(cfg).unwrap();
    let got: Vec<Vec<u8>> = payloads(&rec).into_iter().map(|(_, p)| p).collect();
    assert_eq!(got, vec![b"one".to_vec(), b"three".to_vec()]);
    assert!(rec.skipped_bytes > 0);
}

#[tokio::test]
async fn full_disk_fails_writes_then_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let (wal, _, mut sealed) = Wal::open(config(dir.path())).unwrap();
    wal.append(Bytes::from_static(b"before"), true)
        .unwrap()
        .wait()
        .await
        .unwrap();
    let old = wal.rotate().unwrap().unwrap();
    assert_eq!(sealed.recv().await.unwrap().id, old);
    // The writer already created the next segment; make it a full disk, and make the writer re-open
    // it by sealing once more with a record in it.
    let next = dir.path().join(segment::segment_file_name(old + 1));
    let next2 = dir.path().join(segment::segment_file_name(old + 2));
    std::os::unix::fs::symlink("/dev/full", &next2).unwrap();
    wal.append(Bytes::from_static(b"lands in old+1"), true)
        .unwrap()
        .wait()
        .await
        .unwrap();
    assert!(next.exists());
    wal.rotate().unwrap();
    let err = try_append(&wal, b"lost", true).await.unwrap_err();
    assert!(
        err.to_string().contains(&next2.display().to_string()),
        "{err}"
    );
    let err = try_append(&wal, b"refused", false).await.unwrap_err();
    assert!(matches!(err, WalError::Unavailable(_)), "{err}");
    assert!(wal.health_error().is_some());

    std::fs::remove_file(&next2).unwrap();
    let start = Instant::now();
    while wal.health_error().is_some() {
        assert!(start.elapsed() < Duration::from_secs(5), "never recovered");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    wal.append(Bytes::from_static(b"after"), true)
        .unwrap()
        .wait()
        .await
        .unwrap();
    wal.shutdown().await.unwrap();
    let (_, rec, _) = Wal::open(config(dir.path())).unwrap();
    let got: Vec<Vec<u8>> = payloads(&rec).into_iter().map(|(_, p)| p).collect();
    assert_eq!(
        got,
        vec![
            b"before".to_vec(),
            b"lands in old+1".to_vec(),
            b"after".to_vec()
        ]
    );
}

#[tokio::test]
async fn segment_ids_are_never_reused_after_everything_is_persisted() {
    let dir = tempfile::tempdir().unwrap();
    let (wal, _, mut sealed) = Wal::open(config(dir.path())).unwrap();
    try_append(&wal, b"a", true).await.unwrap();
    wal.rotate().unwrap();
    let s = sealed.recv().await.unwrap();
    wal.remove_segment(&s).unwrap();
    wal.shutdown().await.unwrap();
    // Only the empty current segment is left; the next run must still count upwards from it.
    let (wal, rec, _) = Wal::open(config(dir.path())).unwrap();
    assert!(rec.segments.is_empty());
    assert!(wal.current_segment() > s.id + 1);
    assert_eq!(segment::list_segments(dir.path()).unwrap().len(), 1);
}
