//! Persisting from memory against persisting from the file, over a real WAL on disk.
use super::*;
use crate::persist::PersistConfig;
use crate::wal::segment::{read_segment, ReadOptions};
use crate::write::WriteRequest;
use arrow::record_batch::RecordBatch;
use linewise_core::Precision;
use object_store::memory::InMemory;

struct Parts {
    _dir: tempfile::TempDir,
    wal: Wal,
    sealed: tokio::sync::mpsc::UnboundedReceiver<wal::SealedSegment>,
    decoder: Arc<WriteBatchDecoder>,
    writer: Writer,
}

/// The write path over a real WAL, with a persister that is never run: the test seals segments
/// and gathers their rows itself.
fn parts() -> Parts {
    let dir = tempfile::tempdir().unwrap();
    let catalog = Arc::new(Catalog::open(dir.path()).unwrap());
    let (wal, _, sealed) = Wal::open(WalConfig {
        dir: dir.path().join("wal"),
        flush_interval: Duration::from_millis(5),
        segment_max_bytes: 1 << 30,
        skip_corrupt: false,
    })
    .unwrap();
    let buffer = Arc::new(Buffer::new(usize::MAX));
    let decoder = Arc::new(WriteBatchDecoder {
        catalog: catalog.clone(),
        buffer: buffer.clone(),
        wal: wal.clone(),
    });
    let config = PersistConfig {
        block: Duration::from_secs(3600),
        file_rows: 1,
        interval: Duration::from_secs(3600),
        force_bytes: 1 << 30,
        max_bytes: 1 << 30,
        skip_corrupt: false,
    };
    let (_, persist) = Persister::new(
        Store::new(Arc::new(InMemory::new())),
        wal.clone(),
        decoder.clone(),
        Arc::new(BufferRelease(buffer.clone())),
        config,
    );
    let writer = Writer {
        catalog,
        buffer,
        wal: Arc::new(DurableWal {
            wal: wal.clone(),
            persist,
        }),
        cpu: Default::default(),
        write_wait: Duration::from_secs(1),
    };
    Parts {
        _dir: dir,
        wal,
        sealed,
        decoder,
        writer,
    }
}

async fn write(writer: &Writer, db: &str, body: &str) {
    let req = WriteRequest {
        db,
        body,
        precision: Precision::Nanosecond,
        accept_partial: false,
        no_sync: false,
    };
    writer.write(&req).await.unwrap();
}

/// What persistence would write, in a comparable form.
fn summary(tables: Vec<TableData>) -> Vec<(String, String, u32, u32, Vec<String>, RecordBatch)> {
    tables
        .into_iter()
        .map(|t| {
            (
                t.database,
                t.table,
                t.database_id,
                t.table_id,
                t.tags,
                t.batch,
            )
        })
        .collect()
}

#[tokio::test]
async fn a_segment_in_memory_holds_what_its_file_holds() {
    let mut p = parts();
    write(&p.writer, "a", "cpu,host=x v=1 1\nmem,host=y free=2i 2\n").await;
    write(&p.writer, "a", "cpu,host=z,dc=w v=3,up=true 3\n").await;
    write(&p.writer, "b", "cpu v=4 4\n").await;
    let id = p.wal.rotate().unwrap().unwrap();
    let segment = p.sealed.recv().await.unwrap();
    assert_eq!(segment.id, id);
    let memory = p
        .decoder
        .in_memory(id)
        .expect("every write reached the buffer");
    let memory = summary(memory.unwrap());
    let opts = ReadOptions {
        is_last: true,
        skip_corrupt: false,
    };
    let (contents, _) = read_segment(id, &segment.path, 0, opts).unwrap();
    let file = summary(p.decoder.decode(&contents.records).unwrap());
    assert_eq!(memory.len(), 3, "a.cpu, a.mem and b.cpu");
    assert_eq!(memory, file);
    let cpu = &memory[0];
    assert_eq!((cpu.0.as_str(), cpu.1.as_str()), ("a", "cpu"));
    assert_eq!(cpu.4, ["host", "dc"]);
    assert_eq!(cpu.5.num_rows(), 2);
}

#[tokio::test]
async fn a_write_that_never_reached_the_buffer_leaves_its_segment_to_the_file() {
    let mut p = parts();
    write(&p.writer, "a", "cpu v=1 1\n").await;
    // Logged but never applied, as when the request is cancelled while its sync runs.
    let appended = p
        .wal
        .append(Bytes::from_static(b"not a batch"), true)
        .unwrap();
    drop(appended);
    let id = p.wal.rotate().unwrap().unwrap();
    p.sealed.recv().await.unwrap();
    assert!(p.decoder.in_memory(id).is_none());
    write(&p.writer, "a", "cpu v=2 2\n").await;
    let next = p.wal.rotate().unwrap().unwrap();
    let rows = p.decoder.in_memory(next).unwrap().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].batch.num_rows(), 1, "only the later segment's row");
}
