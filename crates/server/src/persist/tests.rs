//! The persister against a real WAL on disk and real object stores (local directory, memory), with a
//! fault injector in front of the store that fails writes on demand.
use super::*;
use crate::wal::WalConfig;
use arrow::array::{Float64Array, StringArray, TimestampNanosecondArray};
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use async_trait::async_trait;
use bytes::Bytes;
use encode::TIME_COLUMN;
use futures::stream::{BoxStream, StreamExt};
use object_store::memory::InMemory;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMultipartOptions, PutOptions, PutPayload, PutResult,
};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Rows of one test table: room, temp, time.
type Rows = Vec<(String, f64, i64)>;

/// Payloads in these tests are `db,table,room,temp,time` lines; one record may hold several.
struct CsvDecoder;

impl SegmentDecoder for CsvDecoder {
    fn decode(&self, records: &[Record]) -> Result<Vec<TableData>, String> {
        let mut rows: std::collections::BTreeMap<(String, String), Rows> = Default::default();
        for r in records {
            for line in std::str::from_utf8(&r.payload)
                .map_err(|e| e.to_string())?
                .lines()
            {
                let f: Vec<&str> = line.split(',').collect();
                let [db, table, room, temp, time] = f[..] else {
                    return Err(format!("bad test payload {line:?}"));
                };
                rows.entry((db.into(), table.into())).or_default().push((
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
            .map(|((database, table), rows)| TableData {
                database,
                table,
                tags: vec!["room".into()],
                batch: RecordBatch::try_new(
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
                .unwrap(),
            })
            .collect())
    }
}

/// Fails every write while `failing` is set, with the error a full or read-only store gives.
#[derive(Debug)]
struct FaultInjector {
    inner: InMemory,
    failing: AtomicBool,
    refused: AtomicU64,
}

impl std::fmt::Display for FaultInjector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FaultInjector({})", self.inner)
    }
}

impl FaultInjector {
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
        self.check()?;
        self.inner.put_opts(location, payload, opts).await
    }
    async fn put_multipart_opts(
        &self,
        location: &ObjPath,
        opts: PutMultipartOptions,
    ) -> object_store::Result<Box<dyn MultipartUpload>> {
        self.check()?;
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

struct Harness {
    wal: Wal,
    handle: PersistHandle,
    dropped: Arc<Mutex<Vec<u64>>>,
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
    let dropped = Arc::new(Mutex::new(Vec::new()));
    let d = dropped.clone();
    let (persister, handle) = Persister::new(
        store,
        wal.clone(),
        Arc::new(CsvDecoder),
        Arc::new(move |id| d.lock().unwrap().push(id)),
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
        &format!("db,cpu,b,1.5,{}\ndb,cpu,a,2.5,{}", HOUR + 2, HOUR + 1),
    )
    .await;
    write(
        &h.wal,
        &format!("db,cpu,a,3.5,{}\ndb,mem,x,9,{}", 2 * HOUR, 5),
    )
    .await;
    let segment = h.wal.current_segment();
    h.handle.flush(Duration::from_secs(10)).await.unwrap();
    assert_eq!(*h.dropped.lock().unwrap(), vec![segment]);
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
            format!("parquet/db/cpu/1970-01-01T01-00/{seg}"),
            format!("parquet/db/cpu/1970-01-01T02-00/{seg}"),
            format!("parquet/db/mem/1970-01-01T00-00/{seg}"),
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
    write(&h.wal, &format!("db,cpu,a,1,{HOUR}")).await;
    h.handle.flush(Duration::from_secs(10)).await.unwrap();
    assert_eq!(store.get(&path).await.unwrap().unwrap(), "catalog v1");
    version.store(2, Ordering::SeqCst);
    write(&h.wal, &format!("db,cpu,a,2,{HOUR}")).await;
    h.handle.flush(Duration::from_secs(10)).await.unwrap();
    assert_eq!(store.get(&path).await.unwrap().unwrap(), "catalog v2");
    h.task.abort();
}

#[tokio::test]
async fn failing_store_keeps_the_wal_refuses_writes_over_the_limit_and_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let injector = Arc::new(FaultInjector {
        inner: InMemory::new(),
        failing: AtomicBool::new(true),
        refused: AtomicU64::new(0),
    });
    let store = Store::new(injector.clone());
    let mut cfg = config();
    // One 40-byte record (16-byte frame, 24-byte payload) is admitted; five pass the limit.
    cfg.max_bytes = 150;
    let h = start(dir.path(), store.clone(), cfg);
    assert!(h.handle.admit().is_ok());
    write(&h.wal, &format!("db,cpu,a,1,{HOUR}")).await;
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
    assert!(h.dropped.lock().unwrap().is_empty());

    for i in 0..4 {
        write(&h.wal, &format!("db,cpu,b,{i},{HOUR}")).await;
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
        write(&wal, &format!("db,cpu,a,1,{HOUR}")).await;
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
    let files = encode_segment(&sealed, &CsvDecoder, HOUR, 1, false).unwrap();
    for (p, b) in files {
        store.put(&p, b).await.unwrap();
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

#[test]
fn block_names_are_utc_calendar_minutes() {
    assert_eq!(block_name(0), "1970-01-01T00-00");
    assert_eq!(block_name(1_763_790_000_000_000_000), "2025-11-22T05-40");
    assert_eq!(block_name(-60_000_000_000), "1969-12-31T23-59");
    assert_eq!(block_name(951_782_400_000_000_000), "2000-02-29T00-00");
}
