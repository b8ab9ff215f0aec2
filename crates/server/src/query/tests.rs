//! Engine tests over real Arrow batches and real Parquet files in a local-directory object store.
use super::*;
use arrow::array::{Float64Array, Int64Array, StringArray, TimestampNanosecondArray};
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use datafusion::physical_plan::displayable;
use linewise_core::TIME_COLUMN;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use parquet::arrow::ArrowWriter;
use std::sync::Mutex;

/// The "home" sample of the InfluxDB get-started guide: room, temp, hum, co, time in seconds.
const HOME: [(&str, f64, f64, i64, i64); 26] = [
    ("Living Room", 21.1, 35.9, 0, 1641024000),
    ("Kitchen", 21.0, 35.9, 0, 1641024000),
    ("Living Room", 21.4, 35.9, 0, 1641027600),
    ("Kitchen", 23.0, 36.2, 0, 1641027600),
    ("Living Room", 21.8, 36.0, 0, 1641031200),
    ("Kitchen", 22.7, 36.1, 0, 1641031200),
    ("Living Room", 22.2, 36.0, 0, 1641034800),
    ("Kitchen", 22.4, 36.0, 0, 1641034800),
    ("Living Room", 22.2, 35.9, 0, 1641038400),
    ("Kitchen", 22.5, 36.0, 0, 1641038400),
    ("Living Room", 22.4, 36.0, 0, 1641042000),
    ("Kitchen", 22.8, 36.5, 1, 1641042000),
    ("Living Room", 22.3, 36.1, 0, 1641045600),
    ("Kitchen", 22.8, 36.3, 1, 1641045600),
    ("Living Room", 22.3, 36.1, 1, 1641049200),
    ("Kitchen", 22.7, 36.2, 3, 1641049200),
    ("Living Room", 22.4, 36.0, 4, 1641052800),
    ("Kitchen", 22.4, 36.0, 7, 1641052800),
    ("Living Room", 22.6, 35.9, 5, 1641056400),
    ("Kitchen", 22.7, 36.0, 9, 1641056400),
    ("Living Room", 22.8, 36.2, 9, 1641060000),
    ("Kitchen", 23.3, 36.9, 18, 1641060000),
    ("Living Room", 22.5, 36.3, 14, 1641063600),
    ("Kitchen", 23.1, 36.6, 22, 1641063600),
    ("Living Room", 22.2, 36.4, 17, 1641067200),
    ("Kitchen", 22.7, 36.5, 26, 1641067200),
];

fn home_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("co", DataType::Int64, true),
        Field::new("hum", DataType::Float64, true),
        Field::new("room", DataType::Utf8, true),
        Field::new("temp", DataType::Float64, true),
        Field::new(
            TIME_COLUMN,
            DataType::Timestamp(TimeUnit::Nanosecond, None),
            false,
        ),
    ]))
}

fn home_batch(rows: &[(&str, f64, f64, i64, i64)]) -> RecordBatch {
    RecordBatch::try_new(
        home_schema(),
        vec![
            Arc::new(rows.iter().map(|r| Some(r.3)).collect::<Int64Array>()),
            Arc::new(rows.iter().map(|r| Some(r.2)).collect::<Float64Array>()),
            Arc::new(rows.iter().map(|r| Some(r.0)).collect::<StringArray>()),
            Arc::new(rows.iter().map(|r| Some(r.1)).collect::<Float64Array>()),
            Arc::new(
                rows.iter()
                    .map(|r| Some(r.4 * 1_000_000_000))
                    .collect::<TimestampNanosecondArray>(),
            ),
        ],
    )
    .unwrap()
}

/// A database "db" whose tables are whatever the test put in.
#[derive(Debug)]
struct Fixture {
    store: Arc<dyn ObjectStore>,
    tables: Mutex<Vec<(String, TableSnapshot)>>,
    _dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Arc<Self> {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(LocalFileSystem::new_with_prefix(dir.path()).unwrap());
        Arc::new(Self {
            store,
            tables: Mutex::default(),
            _dir: dir,
        })
    }

    fn set_table(&self, name: &str, snapshot: TableSnapshot) {
        let mut tables = self.tables.lock().unwrap();
        tables.retain(|(n, _)| n != name);
        tables.push((name.to_owned(), snapshot));
    }

    /// Writes `batch` as a Parquet file; `record_range` says whether its time range is handed to the engine
    /// or left for it to read from the footer.
    async fn put_parquet(
        &self,
        name: &str,
        batch: &RecordBatch,
        record_range: bool,
    ) -> ParquetFile {
        let mut bytes = Vec::new();
        let mut writer = ArrowWriter::try_new(&mut bytes, batch.schema(), None).unwrap();
        writer.write(batch).unwrap();
        writer.close().unwrap();
        let path = Path::from(format!("db/home/{name}.parquet"));
        let size = bytes.len() as u64;
        self.store
            .put(&path, PutPayload::from(bytes))
            .await
            .unwrap();
        let times = batch
            .column_by_name(TIME_COLUMN)
            .unwrap()
            .as_any()
            .downcast_ref::<TimestampNanosecondArray>();
        let times = times.unwrap();
        let range = TimeRange {
            min: times.iter().flatten().min().unwrap(),
            max: times.iter().flatten().max().unwrap(),
        };
        ParquetFile {
            path,
            size,
            time_range: record_range.then_some(range),
        }
    }
}

#[async_trait::async_trait]
impl QuerySource for Fixture {
    fn database_exists(&self, db: &str) -> bool {
        db == "db"
    }

    fn table_names(&self, db: &str) -> Vec<String> {
        if db != "db" {
            return Vec::new();
        }
        self.tables
            .lock()
            .unwrap()
            .iter()
            .map(|(n, _)| n.clone())
            .collect()
    }

    async fn table_snapshot(
        &self,
        db: &str,
        table: &str,
    ) -> Result<Option<TableSnapshot>, datafusion::error::DataFusionError> {
        if db != "db" {
            return Ok(None);
        }
        let tables = self.tables.lock().unwrap();
        Ok(tables
            .iter()
            .find(|(n, _)| n == table)
            .map(|(_, s)| s.clone()))
    }

    fn object_store(&self) -> Arc<dyn ObjectStore> {
        Arc::clone(&self.store)
    }
}

const HOME_SORTED: &str = "\
+----+------+-------------+------+---------------------+
| co | hum  | room        | temp | time                |
+----+------+-------------+------+---------------------+
| 0  | 35.9 | Kitchen     | 21.0 | 2022-01-01T08:00:00 |
| 0  | 36.2 | Kitchen     | 23.0 | 2022-01-01T09:00:00 |
| 0  | 36.1 | Kitchen     | 22.7 | 2022-01-01T10:00:00 |
| 0  | 36.0 | Kitchen     | 22.4 | 2022-01-01T11:00:00 |
| 0  | 36.0 | Kitchen     | 22.5 | 2022-01-01T12:00:00 |
| 1  | 36.5 | Kitchen     | 22.8 | 2022-01-01T13:00:00 |
| 1  | 36.3 | Kitchen     | 22.8 | 2022-01-01T14:00:00 |
| 3  | 36.2 | Kitchen     | 22.7 | 2022-01-01T15:00:00 |
| 7  | 36.0 | Kitchen     | 22.4 | 2022-01-01T16:00:00 |
| 9  | 36.0 | Kitchen     | 22.7 | 2022-01-01T17:00:00 |
| 18 | 36.9 | Kitchen     | 23.3 | 2022-01-01T18:00:00 |
| 22 | 36.6 | Kitchen     | 23.1 | 2022-01-01T19:00:00 |
| 26 | 36.5 | Kitchen     | 22.7 | 2022-01-01T20:00:00 |
| 0  | 35.9 | Living Room | 21.1 | 2022-01-01T08:00:00 |
| 0  | 35.9 | Living Room | 21.4 | 2022-01-01T09:00:00 |
| 0  | 36.0 | Living Room | 21.8 | 2022-01-01T10:00:00 |
| 0  | 36.0 | Living Room | 22.2 | 2022-01-01T11:00:00 |
| 0  | 35.9 | Living Room | 22.2 | 2022-01-01T12:00:00 |
| 0  | 36.0 | Living Room | 22.4 | 2022-01-01T13:00:00 |
| 0  | 36.1 | Living Room | 22.3 | 2022-01-01T14:00:00 |
| 1  | 36.1 | Living Room | 22.3 | 2022-01-01T15:00:00 |
| 4  | 36.0 | Living Room | 22.4 | 2022-01-01T16:00:00 |
| 5  | 35.9 | Living Room | 22.6 | 2022-01-01T17:00:00 |
| 9  | 36.2 | Living Room | 22.8 | 2022-01-01T18:00:00 |
| 14 | 36.3 | Living Room | 22.5 | 2022-01-01T19:00:00 |
| 17 | 36.4 | Living Room | 22.2 | 2022-01-01T20:00:00 |
+----+------+-------------+------+---------------------+
";

async fn pretty(engine: &QueryEngine, sql: &str) -> String {
    let output = engine.query("db", sql, &Default::default()).await.unwrap();
    String::from_utf8(
        QueryFormat::Pretty
            .encode(&output.schema, &output.batches)
            .unwrap(),
    )
    .unwrap()
}

/// The files a query's plan reads, by name.
async fn planned_files(engine: &QueryEngine, sql: &str) -> Vec<String> {
    let plan = engine
        .session("db")
        .sql(sql)
        .await
        .unwrap()
        .create_physical_plan()
        .await
        .unwrap();
    let text = displayable(plan.as_ref()).indent(true).to_string();
    let mut files: Vec<String> = ["early", "middle", "late"]
        .into_iter()
        .filter(|name| text.contains(&format!("{name}.parquet")))
        .map(str::to_owned)
        .collect();
    files.sort();
    files
}

#[tokio::test]
async fn buffer_and_parquet_read_as_one_table() {
    let fixture = Fixture::new();
    let persisted = fixture
        .put_parquet("early", &home_batch(&HOME[..10]), true)
        .await;
    let snapshot = TableSnapshot {
        schema: home_schema(),
        batches: vec![home_batch(&HOME[10..20]), home_batch(&HOME[20..])],
        files: vec![persisted],
    };
    fixture.set_table("home", snapshot);
    let engine = QueryEngine::new(fixture.clone(), &QueryArgs::default()).unwrap();
    assert_eq!(
        pretty(&engine, "SELECT * FROM home ORDER BY room, time").await,
        HOME_SORTED
    );
    assert_eq!(
        pretty(&engine, "SELECT * FROM iox.home ORDER BY room, time").await,
        HOME_SORTED
    );
}

#[tokio::test]
async fn time_filters_skip_files_by_recorded_and_footer_ranges() {
    let fixture = Fixture::new();
    // 08:00-09:00, 10:00-13:00 (range left to the footer), 14:00-20:00.
    let early = fixture
        .put_parquet("early", &home_batch(&HOME[..4]), true)
        .await;
    let middle = fixture
        .put_parquet("middle", &home_batch(&HOME[4..12]), false)
        .await;
    let late = fixture
        .put_parquet("late", &home_batch(&HOME[12..]), true)
        .await;
    fixture.set_table(
        "home",
        TableSnapshot {
            schema: home_schema(),
            batches: vec![],
            files: vec![early, middle, late],
        },
    );
    let engine = QueryEngine::new(fixture.clone(), &QueryArgs::default()).unwrap();

    let all = "SELECT count(*) FROM home";
    assert_eq!(
        planned_files(&engine, all).await,
        ["early", "late", "middle"]
    );
    let after_noon = "SELECT count(*) FROM home WHERE time >= '2022-01-01T14:00:00Z'";
    assert_eq!(planned_files(&engine, after_noon).await, ["late"]);
    let morning = "SELECT count(*) FROM home WHERE time BETWEEN '2022-01-01T09:30:00Z' AND '2022-01-01T11:00:00Z'";
    assert_eq!(planned_files(&engine, morning).await, ["middle"]);
    let either = "SELECT count(*) FROM home WHERE time < '2022-01-01T08:30:00Z' OR time > '2022-01-01T19:30:00Z'";
    assert_eq!(planned_files(&engine, either).await, ["early", "late"]);
    let none = "SELECT count(*) FROM home WHERE time > '2023-01-01T00:00:00Z'";
    assert!(planned_files(&engine, none).await.is_empty());

    // Pruning does not change answers.
    assert!(pretty(&engine, after_noon).await.contains("| 14       |"));
    assert!(pretty(&engine, morning).await.contains("| 4        |"));
    assert!(pretty(&engine, none).await.contains("| 0        |"));
}

#[tokio::test]
async fn columns_added_later_read_as_nulls_in_older_data() {
    let fixture = Fixture::new();
    let old_schema = Arc::new(home_schema().project(&[1, 2, 3, 4]).unwrap());
    let old = home_batch(&HOME[..2]).project(&[1, 2, 3, 4]).unwrap();
    assert_eq!(old.schema(), old_schema);
    let file = fixture.put_parquet("early", &old, true).await;
    let buffered = home_batch(&HOME[2..4]).project(&[1, 2, 3, 4]).unwrap();
    let fresh = home_batch(&HOME[4..6]);
    fixture.set_table(
        "home",
        TableSnapshot {
            schema: home_schema(),
            batches: vec![buffered, fresh],
            files: vec![file],
        },
    );
    let engine = QueryEngine::new(fixture.clone(), &QueryArgs::default()).unwrap();
    let text = pretty(
        &engine,
        "SELECT room, co, time FROM home ORDER BY time, room",
    )
    .await;
    let expected = "\
+-------------+----+---------------------+
| room        | co | time                |
+-------------+----+---------------------+
| Kitchen     |    | 2022-01-01T08:00:00 |
| Living Room |    | 2022-01-01T08:00:00 |
| Kitchen     |    | 2022-01-01T09:00:00 |
| Living Room |    | 2022-01-01T09:00:00 |
| Kitchen     | 0  | 2022-01-01T10:00:00 |
| Living Room | 0  | 2022-01-01T10:00:00 |
+-------------+----+---------------------+
";
    assert_eq!(text, expected);
}

#[tokio::test]
async fn errors_name_the_problem() {
    let fixture = Fixture::new();
    fixture.set_table(
        "home",
        TableSnapshot {
            schema: home_schema(),
            batches: vec![home_batch(&HOME)],
            files: vec![],
        },
    );
    let engine = QueryEngine::new(fixture.clone(), &QueryArgs::default()).unwrap();
    let none = serde_json::Map::new();

    let err = engine.query("nope", "SELECT 1", &none).await.unwrap_err();
    assert!(
        matches!(err, QueryError::DatabaseNotFound(ref db) if db == "nope"),
        "{err}"
    );

    let err = engine
        .query("db", "SELECT * FROM homes", &none)
        .await
        .unwrap_err();
    assert!(err.is_client_error());
    assert!(err.to_string().contains("homes"), "{err}");

    let err = engine
        .query("db", "SELECT * FROM home WHERE", &none)
        .await
        .unwrap_err();
    assert!(err.is_client_error());
    assert!(err.to_string().contains("SQL error"), "{err}");

    let err = engine
        .query("db", "SELECT nosuch FROM home", &none)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("nosuch"), "{err}");

    // Statements that would touch the server's files are refused.
    for sql in [
        "CREATE EXTERNAL TABLE t STORED AS CSV LOCATION '/etc/passwd'",
        "COPY home TO '/tmp/x.csv'",
    ] {
        let err = engine.query("db", sql, &none).await.unwrap_err();
        assert!(err.is_client_error(), "{sql}: {err}");
    }
}

#[tokio::test]
async fn params_bind_placeholders() {
    let fixture = Fixture::new();
    fixture.set_table(
        "home",
        TableSnapshot {
            schema: home_schema(),
            batches: vec![home_batch(&HOME)],
            files: vec![],
        },
    );
    let engine = QueryEngine::new(fixture.clone(), &QueryArgs::default()).unwrap();
    let params = serde_json::json!({"room": "Kitchen", "min_co": 20});
    let params = params.as_object().unwrap();
    let output = engine
        .query(
            "db",
            "SELECT co FROM home WHERE room = $room AND co > $min_co ORDER BY co",
            params,
        )
        .await
        .unwrap();
    let json = QueryFormat::Json
        .encode(&output.schema, &output.batches)
        .unwrap();
    assert_eq!(String::from_utf8(json).unwrap(), r#"[{"co":22},{"co":26}]"#);

    let bad = serde_json::json!({"room": ["Kitchen"]});
    let err = engine
        .query("db", "SELECT 1", bad.as_object().unwrap())
        .await
        .unwrap_err();
    assert!(matches!(err, QueryError::InvalidParam { .. }), "{err}");
}

#[tokio::test]
async fn information_schema_lists_tables() {
    let fixture = Fixture::new();
    fixture.set_table(
        "home",
        TableSnapshot {
            schema: home_schema(),
            batches: vec![],
            files: vec![],
        },
    );
    let engine = QueryEngine::new(fixture.clone(), &QueryArgs::default()).unwrap();
    let text = pretty(
        &engine,
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'iox'",
    )
    .await;
    assert!(text.contains("| home       |"), "{text}");
    // A table with no rows yet still has its columns.
    let text = pretty(&engine, "SELECT * FROM home").await;
    assert!(text.contains("| co | hum | room | temp | time |"), "{text}");
}

#[tokio::test]
async fn batches_stream_after_planning() {
    let fixture = Fixture::new();
    fixture.set_table(
        "home",
        TableSnapshot {
            schema: home_schema(),
            batches: vec![home_batch(&HOME[..10]), home_batch(&HOME[10..])],
            files: vec![],
        },
    );
    let engine = QueryEngine::new(fixture.clone(), &QueryArgs::default()).unwrap();
    let sql = "SELECT room, co FROM home WHERE co > 10 ORDER BY co";
    let mut answer = engine
        .execute_batches("db", sql, &Default::default())
        .await
        .unwrap();
    let names: Vec<&str> = answer
        .schema
        .fields()
        .iter()
        .map(|f| f.name().as_str())
        .collect();
    assert_eq!(names, ["room", "co"]);
    let mut co = Vec::new();
    while let Some(batch) = answer.batches.recv().await {
        let batch = batch.unwrap();
        let column = batch.column(1).as_any().downcast_ref::<Int64Array>();
        co.extend(column.unwrap().values().iter().copied());
    }
    assert_eq!(co, [14, 17, 18, 22, 26]);
    let planned = engine.plan_schema("db", sql, &Default::default()).await;
    assert_eq!(planned.unwrap(), answer.schema);

    // Planning errors and unknown databases come before any batch.
    let err = engine
        .execute_batches("db", "SELECT nope FROM home", &Default::default())
        .await
        .unwrap_err();
    assert!(matches!(err, QueryError::Sql(_)), "{err}");
    assert!(err.to_string().contains("nope"), "{err}");
    let err = engine
        .execute_batches("other", "SELECT 1", &Default::default())
        .await
        .unwrap_err();
    assert!(matches!(err, QueryError::DatabaseNotFound(db) if db == "other"));
}

#[tokio::test]
async fn tables_list_the_database_and_information_schema() {
    let fixture = Fixture::new();
    fixture.set_table(
        "home",
        TableSnapshot {
            schema: home_schema(),
            batches: vec![home_batch(&HOME[..2])],
            files: vec![],
        },
    );
    let engine = QueryEngine::new(fixture.clone(), &QueryArgs::default()).unwrap();
    let tables = engine.tables("db", true).await.unwrap();
    let home = tables.iter().find(|t| t.name == "home").unwrap();
    assert_eq!((home.catalog, home.schema_name), ("public", "iox"));
    assert_eq!(home.table_type, "BASE TABLE");
    assert_eq!(home.schema, home_schema());
    let columns = tables
        .iter()
        .find(|t| t.schema_name == "information_schema" && t.name == "columns")
        .unwrap();
    assert_eq!(columns.table_type, "VIEW");
    let bare = engine.tables("db", false).await.unwrap();
    assert_eq!(bare.len(), tables.len());
    assert!(bare.iter().all(|t| t.schema.fields().is_empty()));
    assert!(matches!(
        engine.tables("other", false).await,
        Err(QueryError::DatabaseNotFound(_))
    ));
}
