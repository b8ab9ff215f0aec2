//! The persister against a real WAL on disk and real object stores (local directory, memory), with a
//! fault injector in front of the store that fails writes on demand.
use super::*;
use crate::wal::WalConfig;
use arrow::array::{Float64Array, StringArray, TimestampNanosecondArray};
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::{BoxStream, StreamExt};
use linewise_core::TIME_COLUMN;
use object_store::memory::InMemory;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMultipartOptions, PutOptions, PutPayload, PutResult,
};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Rows of one test table: room, temp, time.
type Rows = Vec<(String, f64, i64)>;

/// Payloads in these tests are `db_id,table_id,room,temp,time` lines; one record may hold several.
/// Database `N` is named `dN`, table `N` `tN`; table 99's rows come without a `time` column, so
/// they cannot be encoded.
struct CsvDecoder;

impl SegmentDecoder for CsvDecoder {
    fn decode(&self, records: &[Record]) -> Result<Vec<TableData>, String> {
        let mut rows: std::collections::BTreeMap<(u32, u32), Rows> = Default::default();
        for r in records {
            for line in std::str::from_utf8(&r.payload)
                .map_err(|e| e.to_string())?
                .lines()
            {
                let f: Vec<&str> = line.split(',').collect();
                let [db, table, room, temp, time] = f[..] else {
                    return Err(format!("bad test payload {line:?}"));
                };
                let key = (
                    db.parse().map_err(|_| "db id")?,
                    table.parse().map_err(|_| "table id")?,
                );
                rows.entry(key).or_default().push((
                    room.into(),
                    temp.parse().map_err(|_| "temp")?,
                    time.parse().map_err(|_| "time")?,
                ));
            }
        }
        let schema = Arc::new(Schema::new(vec![
            Field::new("room", DataType::Utf8, true),
            Field::new("temp", DataType::Float64, true),
            Field::new(
                TIME_COLUMN,
                DataType::Timestamp(TimeUnit::Nanosecond, None),
                false,
            ),
        ]));
        Ok(rows
            .into_iter()
            .map(|((database_id, table_id), rows)| {
                let batch = RecordBatch::try_new(
                    schema.clone(),
                    vec![
                        Arc::new(StringArray::from_iter_values(
                            rows.iter().map(|r| r.0.clone()),
                        )),
                        Arc::new(Float64Array::from_iter_values(rows.iter().map(|r| r.1))),
                        Arc::new(TimestampNanosecondArray::from_iter_values(
                            rows.iter().map(|r| r.2),
                        )),
                    ],
                )
                .unwrap();
                let batch = if table_id == 99 {
                    batch.project(&[0, 1]).unwrap()
                } else {
                    batch
                };
                TableData {
                    database: format!("d{database_id}"),
                    table: format!("t{table_id}"),
                    database_id,
                    table_id,
                    tags: vec!["room".into()],
                    batch,
                }
            })
            .collect())
    }
}

/// Fails every write while `failing` is set (or, with `only_under`, the writes under that prefix),
/// with the error a full or read-only store gives.
#[derive(Debug)]
struct FaultInjector {
    inner: InMemory,
    failing: AtomicBool,
    refused: AtomicU64,
    only_under: Option<String>,
}

impl std::fmt::Display for FaultInjector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FaultInjector({})", self.inner)
    }
}

impl FaultInjector {
    fn new(failing: bool, only_under: Option<&str>) -> Self {
        FaultInjector {
            inner: InMemory::new(),
            failing: AtomicBool::new(failing),
            refused: AtomicU64::new(0),
            only_under: only_under.map(str::to_string),
        }
    }

    fn check_path(&self, location: &ObjPath) -> object_store::Result<()> {
        match &self.only_under {
            Some(prefix) if !location.as_ref().starts_with(prefix.as_str()) => Ok(()),
            _ => self.check(),
        }
    }

    fn check(&self) -> object_store::Result<()> {
        if self.failing.load(Ordering::SeqCst) {
            self.refused.fetch_add(1, Ordering::SeqCst);
            return Err(object_store::Error::Generic {
                store: "fault-injector",
                source: "no space left on device".into(),
            });
        }
        Ok(())
    }
}

#[async_trait]
impl ObjectStore for FaultInjector {
    async fn put_opts(
        &self,
        location: &ObjPath,
        payload: PutPayload,
        opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        self.check_path(location)?;
        self.inner.put_opts(location, payload, opts).await
    }
    async fn put_multipart_opts(
        &self,
        location: &ObjPath,
        opts: PutMultipartOptions,
    ) -> object_store::Result<Box<dyn MultipartUpload>> {
        self.check_path(location)?;
        self.inner.put_multipart_opts(location, opts).await
    }
    async fn get_opts(
        &self,
        location: &ObjPath,
        options: GetOptions,
    ) -> object_store::Result<GetResult> {
        self.inner.get_opts(location, options).await
    }
    fn delete_stream(
        &self,
        locations: BoxStream<'static, object_store::Result<ObjPath>>,
    ) -> BoxStream<'static, object_store::Result<ObjPath>> {
        if let Err(e) = self.check() {
            return futures::stream::once(async { Err(e) }).boxed();
        }
        self.inner.delete_stream(locations)
    }
    fn list(
        &self,
        prefix: Option<&ObjPath>,
    ) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        self.inner.list(prefix)
    }
    async fn list_with_delimiter(
        &self,
        prefix: Option<&ObjPath>,
    ) -> object_store::Result<ListResult> {
        self.inner.list_with_delimiter(prefix).await
    }
    async fn copy_opts(
        &self,
        from: &ObjPath,
        to: &ObjPath,
        options: CopyOptions,
    ) -> object_store::Result<()> {
        self.check()?;
        self.inner.copy_opts(from, to, options).await
    }
}

const HOUR: i64 = 3_600_000_000_000;

fn config() -> PersistConfig {
    PersistConfig {
        block: Duration::from_secs(3600),
        file_rows: 1,
        interval: Duration::from_secs(3600),
        force_bytes: 1 << 30,
        max_bytes: 2 << 30,
        skip_corrupt: false,
    }
}

/// What the persister told the buffer it may drop.
#[derive(Default)]
struct Released {
    all: Mutex<Vec<u64>>,
    tables: Mutex<Vec<(String, String, u64)>>,
}

impl PersistedRows for Released {
    fn all_through(&self, segment: u64) {
        self.all.lock().unwrap().push(segment);
    }

    fn table_through(&self, database: &str, table: &str, segment: u64) {
        self.tables
            .lock()
            .unwrap()
            .push((database.into(), table.into(), segment));
    }
}

struct Harness {
    wal: Wal,
    handle: PersistHandle,
    dropped: Arc<Released>,
    task: tokio::task::JoinHandle<()>,
}

fn start(dir: &std::path::Path, store: Store, config: PersistConfig) -> Harness {
    start_mirroring(dir, store, config, None)
}

fn start_mirroring(
    dir: &std::path::Path,
    store: Store,
    config: PersistConfig,
    catalog: Option<CatalogSource>,
) -> Harness {
    let (wal, _, sealed) = Wal::open(WalConfig {
        dir: dir.join("wal"),
        flush_interval: Duration::from_millis(5),
        segment_max_bytes: 1 << 20,
        skip_corrupt: false,
    })
    .unwrap();
    let dropped = Arc::new(Released::default());
    let (persister, handle) = Persister::new(
        store,
        wal.clone(),
        Arc::new(CsvDecoder),
        dropped.clone(),
        config,
    );
    let persister = match catalog {
        Some(c) => persister.mirror_catalog(c),
        None => persister,
    };
    let task = tokio::spawn(persister.run(sealed));
    Harness {
        wal,
        handle,
        dropped,
        task,
    }
}

async fn write(wal: &Wal, payload: &str) {
    wal.append(Bytes::from(payload.to_string()), true)
        .unwrap()
        .wait()
        .await
        .unwrap();
}

fn read_parquet(bytes: Bytes) -> RecordBatch {
    let reader = ::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(bytes)
        .unwrap()
        .build()
        .unwrap();
    let batches: Vec<RecordBatch> = reader.map(Result::unwrap).collect();
    arrow::compute::concat_batches(&batches[0].schema(), &batches).unwrap()
}

#[tokio::test]
async fn sealed_segments_become_parquet_files_and_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    let args = <StoreArgs as clap::FromArgMatches>::from_arg_matches(
        &<StoreArgs as clap::Args>::augment_args(clap::Command::new("t")).get_matches_from(["t"]),
    )
    .unwrap();
    let store = Store::from_args(&args, &dir.path().join("data")).unwrap();
    let h = start(dir.path(), store.clone(), config());
    write(
        &h.wal,
        &format!("1,10,b,1.5,{}\n1,10,a,2.5,{}", HOUR + 2, HOUR + 1),
    )
    .await;
    write(&h.wal, &format!("1,10,a,3.5,{}\n1,11,x,9,{}", 2 * HOUR, 5)).await;
    let segment = h.wal.current_segment();
    h.handle.flush(Duration::from_secs(10)).await.unwrap();
    assert_eq!(*h.dropped.all.lock().unwrap(), vec![segment]);
    assert!(!dir
        .path()
        .join("wal")
        .join(crate::wal::segment::segment_file_name(segment))
        .exists());
    assert_eq!(
        h.wal.unpersisted_bytes(),
        0,
        "the new segment holds only its header"
    );

    let files = store.list(&ObjPath::from(PARQUET_PREFIX)).await.unwrap();
    let names: Vec<String> = files.iter().map(|p| p.to_string()).collect();
    let seg = format!("{segment:020}.parquet");
    assert_eq!(
        names,
        vec![
            format!("parquet/1/10/1970-01-01T01-00/{seg}"),
            format!("parquet/1/10/1970-01-01T02-00/{seg}"),
            format!("parquet/1/11/1970-01-01T00-00/{seg}"),
        ]
    );
    // Files are on the local disk, fsynced, and hold the rows sorted by tag then time.
    let on_disk = std::fs::read(dir.path().join("data").join(&names[0])).unwrap();
    let b = read_parquet(Bytes::from(on_disk));
    let rooms = b.column(0).as_any().downcast_ref::<StringArray>().unwrap();
    assert_eq!(rooms.iter().flatten().collect::<Vec<_>>(), ["a", "b"]);
    h.task.abort();
}

#[tokio::test]
async fn the_catalog_goes_into_the_store_before_the_files_that_need_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(Arc::new(InMemory::new()));
    let version = Arc::new(AtomicU64::new(1));
    let v = version.clone();
    let catalog: CatalogSource = Arc::new(move || {
        let n = v.load(Ordering::SeqCst);
        (n, format!("catalog v{n}").into_bytes())
    });
    let h = start_mirroring(dir.path(), store.clone(), config(), Some(catalog));
    let path = ObjPath::from(crate::catalog::CATALOG_FILE);
    h.handle.flush(Duration::from_secs(10)).await.unwrap();
    assert_eq!(
        store.get(&path).await.unwrap(),
        None,
        "no files, no catalog"
    );
    write(&h.wal, &format!("1,10,a,1,{HOUR}")).await;
    h.handle.flush(Duration::from_secs(10)).await.unwrap();
    assert_eq!(store.get(&path).await.unwrap().unwrap(), "catalog v1");
    version.store(2, Ordering::SeqCst);
    write(&h.wal, &format!("1,10,a,2,{HOUR}")).await;
    h.handle.flush(Duration::from_secs(10)).await.unwrap();
    assert_eq!(store.get(&path).await.unwrap().unwrap(), "catalog v2");
    h.task.abort();
}

#[tokio::test]
async fn failing_store_keeps_the_wal_refuses_writes_over_the_limit_and_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let injector = Arc::new(FaultInjector::new(true, None));
    let store = Store::new(injector.clone());
    let mut cfg = config();
    // One 40-byte record (16-byte frame, 24-byte payload) is admitted; five pass the limit.
    cfg.max_bytes = 150;
    let h = start(dir.path(), store.clone(), cfg);
    assert!(h.handle.admit().is_ok());
    write(&h.wal, &format!("1,10,a,1,{HOUR}")).await;
    let segment = h.wal.current_segment();
    let err = h
        .handle
        .flush(Duration::from_millis(400))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no space left on device"), "{err}");
    assert!(injector.refused.load(Ordering::SeqCst) >= 1);
    // The segment is still on disk: nothing acknowledged is lost.
    let seg_path = dir
        .path()
        .join("wal")
        .join(crate::wal::segment::segment_file_name(segment));
    assert!(seg_path.exists());
    assert!(h.dropped.all.lock().unwrap().is_empty());

    for i in 0..4 {
        write(&h.wal, &format!("1,10,b,{i},{HOUR}")).await;
    }
    let over = h.handle.admit().unwrap_err();
    assert!(over.to_string().contains("object store failing"), "{over}");
    assert_eq!(over.retry_after_secs, 10);

    injector.failing.store(false, Ordering::SeqCst);
    h.handle.flush(Duration::from_secs(20)).await.unwrap();
    assert!(!seg_path.exists());
    assert!(h.handle.admit().is_ok());
    assert_eq!(h.handle.error(), None);
    let files = store.list(&ObjPath::from(PARQUET_PREFIX)).await.unwrap();
    let rows: usize = {
        let mut n = 0;
        for f in &files {
            n += read_parquet(store.get(f).await.unwrap().unwrap()).num_rows();
        }
        n
    };
    assert_eq!(rows, 5);
    h.task.abort();
}

#[tokio::test]
async fn persisting_again_after_a_crash_overwrites_instead_of_duplicating() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(Arc::new(InMemory::new()));
    let seg = {
        let (wal, _, _sealed) = Wal::open(WalConfig {
            dir: dir.path().join("wal"),
            flush_interval: Duration::from_millis(5),
            segment_max_bytes: 1 << 20,
            skip_corrupt: false,
        })
        .unwrap();
        write(&wal, &format!("1,10,a,1,{HOUR}")).await;
        let seg = wal.current_segment();
        wal.shutdown().await.unwrap();
        seg
    };
    // A crash after the Parquet file was written but before the segment was deleted.
    let sealed = SealedSegment {
        id: seg,
        path: dir
            .path()
            .join("wal")
            .join(crate::wal::segment::segment_file_name(seg)),
        len: 0,
    };
    let tables = encode_segment(&sealed, &CsvDecoder, HOUR, 1, false, None).unwrap();
    for t in tables {
        for (p, b) in t.files.unwrap() {
            store.put(&p, b).await.unwrap();
        }
    }
    let h = start(dir.path(), store.clone(), config());
    h.handle.flush(Duration::from_secs(10)).await.unwrap();
    let files = store.list(&ObjPath::from(PARQUET_PREFIX)).await.unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(
        read_parquet(store.get(&files[0]).await.unwrap().unwrap()).num_rows(),
        1
    );
    h.task.abort();
}

async fn rows_under(store: &Store, prefix: &str) -> usize {
    let mut n = 0;
    for f in store.list(&ObjPath::from(prefix)).await.unwrap() {
        n += read_parquet(store.get(&f).await.unwrap().unwrap()).num_rows();
    }
    n
}

#[tokio::test]
async fn a_table_the_store_refuses_does_not_hold_back_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let injector = Arc::new(FaultInjector::new(true, Some("parquet/1/11/")));
    let store = Store::new(injector.clone());
    let h = start(dir.path(), store.clone(), config());
    let wal_file = |id| {
        dir.path()
            .join("wal")
            .join(crate::wal::segment::segment_file_name(id))
    };
    write(&h.wal, &format!("1,10,a,1,{HOUR}\n1,11,a,1,{HOUR}")).await;
    let first = h.wal.current_segment();
    h.wal.rotate().unwrap();
    write(&h.wal, &format!("1,10,a,2,{HOUR}\n2,20,a,2,{HOUR}")).await;
    let second = h.wal.current_segment();
    let err = h
        .handle
        .flush(Duration::from_millis(600))
        .await
        .unwrap_err();
    assert!(matches!(err, FlushError::Timeout { .. }), "{err}");
    assert!(
        err.to_string().contains("table 't11' of database 'd1'"),
        "{err}"
    );
    // Every other table of both segments is in the store; the segment without table 11 is gone,
    // the one with its rows stays (they are only there).
    assert_eq!(rows_under(&store, "parquet/1/10").await, 2);
    assert_eq!(rows_under(&store, "parquet/2/20").await, 1);
    assert_eq!(rows_under(&store, "parquet/1/11").await, 0);
    assert!(wal_file(first).exists());
    assert!(!wal_file(second).exists());
    // The buffer may drop table 10 and 20 through the second segment, but not table 11's rows.
    let tables = h.dropped.tables.lock().unwrap().clone();
    assert!(
        tables.contains(&("d1".into(), "t10".into(), second)),
        "{tables:?}"
    );
    assert!(
        tables.contains(&("d2".into(), "t20".into(), second)),
        "{tables:?}"
    );
    assert!(!tables.iter().any(|(_, t, _)| t == "t11"), "{tables:?}");
    assert!(h.dropped.all.lock().unwrap().iter().all(|&s| s < first));
    let failures = h.handle.failures();
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(failures[0].table, Some(("d1".into(), "t11".into())));
    assert!(failures[0].attempts >= 2, "retried: {failures:?}");
    assert!(
        failures[0].attempts < 10,
        "with backoff, not in a loop: {failures:?}"
    );
    assert!(failures[0].error.contains("no space left on device"));

    injector.failing.store(false, Ordering::SeqCst);
    h.handle.flush(Duration::from_secs(20)).await.unwrap();
    assert_eq!(rows_under(&store, "parquet/1/11").await, 1);
    assert!(!wal_file(first).exists());
    assert!(h.handle.failures().is_empty());
    assert_eq!(h.handle.error(), None);
    assert!(h.dropped.all.lock().unwrap().contains(&second));
    h.task.abort();
}

#[tokio::test]
async fn flush_does_not_wait_for_a_table_that_cannot_be_encoded() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(Arc::new(InMemory::new()));
    let h = start(dir.path(), store.clone(), config());
    write(&h.wal, &format!("1,10,a,1,{HOUR}\n1,99,a,1,{HOUR}")).await;
    let segment = h.wal.current_segment();
    let started = Instant::now();
    let err = h.handle.flush(Duration::from_secs(30)).await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(matches!(err, FlushError::Failing(_)), "{err}");
    assert!(
        err.to_string().contains("table 't99' of database 'd1'"),
        "{err}"
    );
    assert!(err.to_string().contains("has no `time` column"), "{err}");
    assert_eq!(rows_under(&store, "parquet/1/10").await, 1);
    assert!(dir
        .path()
        .join("wal")
        .join(crate::wal::segment::segment_file_name(segment))
        .exists());
    h.task.abort();
}

#[test]
fn block_names_are_utc_calendar_minutes() {
    assert_eq!(block_name(0), "1970-01-01T00-00");
    assert_eq!(block_name(1_763_790_000_000_000_000), "2025-11-22T05-40");
    assert_eq!(block_name(-60_000_000_000), "1969-12-31T23-59");
    assert_eq!(block_name(951_782_400_000_000_000), "2000-02-29T00-00");
}
