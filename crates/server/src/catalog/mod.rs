//! The catalog: databases, their tables and each table's typed columns.
//!
//! Created on first write and kept in `catalog.json` under the data directory, rewritten atomically
//! (temp file, fsync, rename, directory fsync) on every change, so a restart keeps every schema a
//! client was told about. With a remote object store the persister also puts a copy beside the
//! Parquet files ([`Catalog::to_json`]), and a server started on an empty data directory takes
//! that copy ([`Catalog::install`]), so the bucket alone holds everything needed to read it.
//! Readers take a cheap `Arc` snapshot; changes are serialised by one lock and applied
//! optimistically: a write validates against a snapshot and commits its additions, and
//! re-validates if another write changed the same columns in between.
//!
//! Databases and tables get ids ([`DbId`], [`TableId`]) from counters that only grow, as in
//! InfluxDB 3: WAL records and Parquet paths use ids, never names, so a name of any length or byte
//! never reaches a path, and a deleted database's records and files can never reach a new database
//! of the same name. Deleting a database leaves a tombstone (its id) until its files are removed.
pub mod limits;
pub mod names;

pub use limits::CatalogLimits;

use parking_lot::{Mutex, RwLock};
use std::collections::{BTreeMap, HashMap};
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use linewise_core::{ColumnKind, KnownSchema};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The catalog's file name, in the data directory and in a remote object store.
pub const CATALOG_FILE: &str = "catalog.json";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnDef {
    pub name: String,
    /// Stored by the core's spelling of the kind (`tag`, `float`, …, `time`).
    #[serde(rename = "type")]
    pub column_type: ColumnKind,
}

/// A database's catalog id: never reused, also after the database is deleted.
pub type DbId = u32;
/// A table's catalog id: unique across databases, never reused.
pub type TableId = u32;

/// A table's columns in creation order (`time` included once it exists).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TableSchema {
    /// 0 only in catalog files written before ids existed; [`Catalog::open`] assigns one.
    #[serde(default)]
    pub id: TableId,
    pub columns: Vec<ColumnDef>,
    #[serde(skip)]
    index: HashMap<String, usize>,
}

impl TableSchema {
    pub fn column(&self, name: &str) -> Option<ColumnKind> {
        self.index.get(name).map(|&i| self.columns[i].column_type)
    }

    /// Tag and field columns (the ones the 500-column limit counts).
    pub fn data_columns(&self) -> usize {
        self.columns
            .iter()
            .filter(|c| c.column_type != ColumnKind::Time)
            .count()
    }

    fn add(&mut self, name: &str, column_type: ColumnKind) {
        self.index.insert(name.into(), self.columns.len());
        self.columns.push(ColumnDef {
            name: name.into(),
            column_type,
        });
    }

    fn reindex(&mut self) {
        self.index = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| (c.name.clone(), i))
            .collect();
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DatabaseSchema {
    /// 0 only in catalog files written before ids existed; [`Catalog::open`] assigns one.
    #[serde(default)]
    pub id: DbId,
    pub tables: BTreeMap<String, TableSchema>,
}

impl KnownSchema for DatabaseSchema {
    fn column(&self, measurement: &str, column: &str) -> Option<ColumnKind> {
        self.tables.get(measurement)?.column(column)
    }
}

/// One immutable version of the catalog.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CatalogState {
    /// Sent as `cluster-uuid` on every response, like InfluxDB 3.
    pub uuid: String,
    /// Bumped by every change; writes compare it to detect concurrent schema changes.
    pub version: u64,
    pub databases: BTreeMap<String, DatabaseSchema>,
    /// The id the next database gets (ids start at 1).
    #[serde(default)]
    pub next_db_id: DbId,
    /// The id the next table gets (ids start at 1).
    #[serde(default)]
    pub next_table_id: TableId,
    /// Tombstones: deleted databases (id → name) whose Parquet files are not all removed yet.
    #[serde(default)]
    pub deleted: BTreeMap<DbId, String>,
    /// How Parquet files are named: 0 in catalogs of versions whose paths held the names
    /// (`parquet/<db>/<table>/…`), [`ID_PATHS`] once those files were moved to id paths.
    #[serde(default)]
    pub layout: u32,
}

/// [`CatalogState::layout`] of data directories whose Parquet paths use catalog ids.
pub const ID_PATHS: u32 = 2;

impl CatalogState {
    pub fn table_count(&self) -> usize {
        self.databases.values().map(|d| d.tables.len()).sum()
    }

    /// The live database with this id, with its name.
    pub fn database_by_id(&self, id: DbId) -> Option<(&str, &DatabaseSchema)> {
        self.databases
            .iter()
            .find(|(_, d)| d.id == id)
            .map(|(name, d)| (name.as_str(), d))
    }

    fn new_database(&mut self) -> Result<DatabaseSchema, CatalogError> {
        let id = self.next_db_id.max(1);
        self.next_db_id = id
            .checked_add(1)
            .ok_or(CatalogError::IdsExhausted("database"))?;
        Ok(DatabaseSchema {
            id,
            tables: BTreeMap::new(),
        })
    }

    fn new_table(&mut self) -> Result<TableSchema, CatalogError> {
        let id = self.next_table_id.max(1);
        self.next_table_id = id
            .checked_add(1)
            .ok_or(CatalogError::IdsExhausted("table"))?;
        Ok(TableSchema {
            id,
            ..TableSchema::default()
        })
    }

    /// Gives ids to the databases and tables of a catalog file written before ids existed, and
    /// moves the counters past every id in use. Whether anything changed.
    fn assign_missing_ids(&mut self) -> bool {
        let max_db = self
            .databases
            .values()
            .map(|d| d.id)
            .chain(self.deleted.keys().copied())
            .max();
        let max_table = self
            .databases
            .values()
            .flat_map(|d| d.tables.values().map(|t| t.id))
            .max();
        let before = (self.next_db_id, self.next_table_id);
        self.next_db_id = self.next_db_id.max(max_db.unwrap_or(0).saturating_add(1));
        self.next_table_id = self
            .next_table_id
            .max(max_table.unwrap_or(0).saturating_add(1));
        let mut changed = before != (self.next_db_id, self.next_table_id);
        let mut next_db = self.next_db_id;
        let mut next_table = self.next_table_id;
        for db in self.databases.values_mut() {
            if db.id == 0 {
                db.id = next_db;
                next_db = next_db.saturating_add(1);
                changed = true;
            }
            for t in db.tables.values_mut() {
                if t.id == 0 {
                    t.id = next_table;
                    next_table = next_table.saturating_add(1);
                    changed = true;
                }
            }
        }
        self.next_db_id = next_db;
        self.next_table_id = next_table;
        changed
    }
}

/// What one write adds to the catalog, in the order the lines introduced it.
#[derive(Debug, Clone, Default)]
pub struct SchemaChanges {
    pub create_database: bool,
    pub columns: Vec<(String, String, ColumnKind)>,
}

impl SchemaChanges {
    pub fn is_empty(&self) -> bool {
        !self.create_database && self.columns.is_empty()
    }
}

#[derive(Debug, Error)]
pub enum CatalogError {
    /// InfluxDB 3's words (clients match on them), then the flag that raises the limit.
    #[error("Adding a new database would exceed limit of {0} databases (set by --max-databases)")]
    TooManyDatabases(usize),
    #[error("attempted to create a resource that already exists")]
    AlreadyExists,
    #[error("database not found: {0}")]
    DatabaseNotFound(String),
    /// Another write changed the same columns or used up a limit since the snapshot was taken.
    #[error("the catalog changed during the write; validate again")]
    Conflict,
    #[error("catalog file {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("no {0} id is left (ids are never reused)")]
    IdsExhausted(&'static str),
    #[error("catalog file {path} is not valid: {source}")]
    Corrupt {
        path: PathBuf,
        source: serde_json::Error,
    },
}

pub struct Catalog {
    /// `None`: kept in memory only (tests of other modules).
    dir: Option<PathBuf>,
    state: RwLock<Arc<CatalogState>>,
    commit_lock: Mutex<()>,
    deleted: Arc<tokio::sync::Notify>,
    limits: CatalogLimits,
}

impl Catalog {
    /// Loads `DIR/catalog.json`, or starts empty (with a new uuid) when there is none.
    pub fn open(dir: &Path) -> Result<Self, CatalogError> {
        let path = dir.join(CATALOG_FILE);
        let mut state = match fs::read(&path) {
            Ok(bytes) => {
                let mut state: CatalogState =
                    serde_json::from_slice(&bytes).map_err(|source| CatalogError::Corrupt {
                        path: path.clone(),
                        source,
                    })?;
                for db in state.databases.values_mut() {
                    for t in db.tables.values_mut() {
                        t.reindex();
                    }
                }
                state
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Self::empty_state(),
            Err(source) => return Err(CatalogError::Io { path, source }),
        };
        let assigned = state.assign_missing_ids();
        let catalog = Catalog {
            dir: Some(dir.to_path_buf()),
            state: RwLock::new(Arc::new(state)),
            commit_lock: Mutex::new(()),
            deleted: Arc::default(),
            limits: CatalogLimits::DEFAULT,
        };
        if assigned {
            // Kept at once: Parquet paths and WAL records name these ids from now on.
            catalog.persist(&catalog.snapshot())?;
        }
        Ok(catalog)
    }

    /// The same catalog enforcing `limits` from now on. Lowering a limit below what the catalog
    /// already holds keeps everything; it only refuses more.
    pub fn with_limits(mut self, limits: CatalogLimits) -> Self {
        self.limits = limits;
        self
    }

    pub fn limits(&self) -> CatalogLimits {
        self.limits
    }

    /// Notified whenever a database is deleted (its files are then to be removed).
    pub fn deletions(&self) -> Arc<tokio::sync::Notify> {
        self.deleted.clone()
    }

    /// Whether `dir` holds a catalog file.
    pub fn exists(dir: &Path) -> bool {
        dir.join(CATALOG_FILE).exists()
    }

    /// Makes `bytes`, a catalog file read from the object store, `dir`'s catalog file, after
    /// checking that they are one.
    pub fn install(dir: &Path, bytes: &[u8]) -> Result<(), CatalogError> {
        serde_json::from_slice::<CatalogState>(bytes).map_err(|source| CatalogError::Corrupt {
            path: dir.join(CATALOG_FILE),
            source,
        })?;
        write_atomically(dir, bytes)
    }

    /// The catalog file's contents now, with the version they hold (bumped by every change).
    pub fn to_json(&self) -> (u64, Vec<u8>) {
        let state = self.snapshot();
        // Plain maps of strings and numbers: serialising cannot fail.
        let bytes = serde_json::to_vec_pretty(&*state).unwrap_or_default();
        (state.version, bytes)
    }

    #[cfg(test)]
    pub fn in_memory() -> Self {
        Catalog {
            dir: None,
            state: RwLock::new(Arc::new(Self::empty_state())),
            commit_lock: Mutex::new(()),
            deleted: Arc::default(),
            limits: CatalogLimits::DEFAULT,
        }
    }

    fn empty_state() -> CatalogState {
        CatalogState {
            uuid: uuid::Uuid::new_v4().to_string(),
            version: 0,
            databases: BTreeMap::new(),
            next_db_id: 1,
            next_table_id: 1,
            deleted: BTreeMap::new(),
            layout: ID_PATHS,
        }
    }

    /// Records that every Parquet file is under an id path (after [`crate::persist::migrate`]).
    pub fn set_layout(&self, layout: u32) -> Result<(), CatalogError> {
        let _guard = self.commit_lock.lock();
        let mut next = (*self.snapshot()).clone();
        if next.layout == layout {
            return Ok(());
        }
        next.layout = layout;
        self.persist(&next)?;
        *self.state.write() = Arc::new(next);
        Ok(())
    }

    pub fn snapshot(&self) -> Arc<CatalogState> {
        self.state.read().clone()
    }

    /// Applies `change` to a copy of the current state under the commit lock, persists it, then
    /// publishes it. Nothing changes when `change` fails.
    fn update<T>(
        &self,
        change: impl FnOnce(&mut CatalogState) -> Result<T, CatalogError>,
    ) -> Result<T, CatalogError> {
        let _guard = self.commit_lock.lock();
        let mut next = (*self.snapshot()).clone();
        let out = change(&mut next)?;
        next.version += 1;
        self.persist(&next)?;
        *self.state.write() = Arc::new(next);
        Ok(out)
    }

    pub fn create_database(&self, name: &str) -> Result<(), CatalogError> {
        self.update(|s| {
            if s.databases.len() >= self.limits.databases() {
                return Err(CatalogError::TooManyDatabases(self.limits.databases()));
            }
            if s.databases.contains_key(name) {
                return Err(CatalogError::AlreadyExists);
            }
            let db = s.new_database()?;
            s.databases.insert(name.into(), db);
            Ok(())
        })
    }

    /// Deletes a database: its name is free at once (a new database of that name gets a new id),
    /// and a tombstone keeps its id until [`Catalog::forget_deleted`] says its files are gone.
    pub fn delete_database(&self, name: &str) -> Result<DbId, CatalogError> {
        let id = self.update(|s| {
            let db = s
                .databases
                .remove(name)
                .ok_or_else(|| CatalogError::DatabaseNotFound(name.into()))?;
            s.deleted.insert(db.id, name.into());
            Ok(db.id)
        })?;
        self.deleted.notify_one();
        Ok(id)
    }

    /// Drops the tombstone of deleted database `id`: all its files are removed.
    pub fn forget_deleted(&self, id: DbId) -> Result<(), CatalogError> {
        if !self.snapshot().deleted.contains_key(&id) {
            return Ok(());
        }
        self.update(|s| {
            s.deleted.remove(&id);
            Ok(())
        })
    }

    /// Commits a write's additions. `Conflict` when a column now exists with another type or a
    /// limit would be passed: the caller validates the request again against a fresh snapshot,
    /// which then names the offending lines.
    pub fn commit(&self, db: &str, changes: &SchemaChanges) -> Result<(), CatalogError> {
        if changes.is_empty() {
            return Ok(());
        }
        self.update(|s| {
            if !s.databases.contains_key(db) {
                if !changes.create_database {
                    return Err(CatalogError::Conflict);
                }
                if s.databases.len() >= self.limits.databases() {
                    return Err(CatalogError::TooManyDatabases(self.limits.databases()));
                }
                let new = s.new_database()?;
                s.databases.insert(db.into(), new);
            }
            let mut tables = s.table_count();
            for (table, column, column_type) in &changes.columns {
                let exists = s
                    .databases
                    .get(db)
                    .is_some_and(|d| d.tables.contains_key(table));
                if !exists {
                    if tables >= self.limits.tables() {
                        return Err(CatalogError::Conflict);
                    }
                    tables += 1;
                    let new = s.new_table()?;
                    if let Some(d) = s.databases.get_mut(db) {
                        d.tables.insert(table.clone(), new);
                    }
                }
                let Some(t) = s
                    .databases
                    .get_mut(db)
                    .and_then(|d| d.tables.get_mut(table))
                else {
                    return Err(CatalogError::Conflict);
                };
                match t.column(column) {
                    Some(existing) if existing == *column_type => {}
                    Some(_) => return Err(CatalogError::Conflict),
                    None => {
                        if *column_type != ColumnKind::Time
                            && t.data_columns() >= self.limits.columns_per_table()
                        {
                            return Err(CatalogError::Conflict);
                        }
                        t.add(column, *column_type);
                    }
                }
            }
            Ok(())
        })
    }

    fn persist(&self, state: &CatalogState) -> Result<(), CatalogError> {
        let Some(dir) = &self.dir else {
            return Ok(());
        };
        let bytes = serde_json::to_vec_pretty(state).map_err(|e| CatalogError::Io {
            path: dir.join(CATALOG_FILE),
            source: std::io::Error::other(e),
        })?;
        write_atomically(dir, &bytes)
    }
}

/// Replaces `dir`'s catalog file with `bytes`: temp file, fsync, rename, directory fsync.
fn write_atomically(dir: &Path, bytes: &[u8]) -> Result<(), CatalogError> {
    let path = dir.join(CATALOG_FILE);
    let tmp = dir.join(format!("{CATALOG_FILE}.tmp"));
    let io = |source| CatalogError::Io {
        path: path.clone(),
        source,
    };
    let mut f = File::create(&tmp).map_err(io)?;
    f.write_all(bytes).map_err(io)?;
    f.sync_all().map_err(io)?;
    drop(f);
    fs::rename(&tmp, &path).map_err(io)?;
    File::open(dir).and_then(|d| d.sync_all()).map_err(io)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use linewise_core::FieldType;

    fn changes(cols: &[(&str, &str, ColumnKind)]) -> SchemaChanges {
        SchemaChanges {
            create_database: true,
            columns: cols
                .iter()
                .map(|(t, c, ty)| (t.to_string(), c.to_string(), *ty))
                .collect(),
        }
    }

    #[test]
    fn survives_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let uuid = {
            let c = Catalog::open(dir.path()).unwrap();
            c.commit(
                "sensors",
                &changes(&[
                    ("home", "room", ColumnKind::Tag),
                    ("home", "temp", ColumnKind::Field(FieldType::Float)),
                    ("home", "time", ColumnKind::Time),
                ]),
            )
            .unwrap();
            c.snapshot().uuid.clone()
        };
        let c = Catalog::open(dir.path()).unwrap();
        let s = c.snapshot();
        assert_eq!(s.uuid, uuid);
        let db = &s.databases["sensors"];
        assert_eq!(
            db.column("home", "temp"),
            Some(ColumnKind::Field(FieldType::Float))
        );
        assert_eq!(db.column("home", "room"), Some(ColumnKind::Tag));
        assert_eq!(db.column("home", "nope"), None);
        assert!(!dir.path().join("catalog.json.tmp").exists());
    }

    #[test]
    fn a_copy_installed_elsewhere_is_the_same_catalog() {
        let c = Catalog::in_memory();
        c.commit(
            "sensors",
            &changes(&[("home", "temp", ColumnKind::Field(FieldType::Float))]),
        )
        .unwrap();
        let (version, bytes) = c.to_json();
        assert_eq!(version, 1);
        let dir = tempfile::tempdir().unwrap();
        assert!(!Catalog::exists(dir.path()));
        assert!(matches!(
            Catalog::install(dir.path(), b"{not a catalog"),
            Err(CatalogError::Corrupt { .. })
        ));
        assert!(!Catalog::exists(dir.path()), "nothing installed");
        Catalog::install(dir.path(), &bytes).unwrap();
        let copy = Catalog::open(dir.path()).unwrap().snapshot();
        assert_eq!(copy.uuid, c.snapshot().uuid);
        assert_eq!(
            copy.databases["sensors"].column("home", "temp"),
            Some(ColumnKind::Field(FieldType::Float))
        );
    }

    #[test]
    fn the_file_names_column_kinds_by_the_core_spellings() {
        let c = Catalog::in_memory();
        let kinds = [
            ColumnKind::Tag,
            ColumnKind::Field(FieldType::UInteger),
            ColumnKind::Time,
        ];
        let columns: Vec<(&str, &str, ColumnKind)> = ["a", "b", "time"]
            .into_iter()
            .zip(kinds)
            .map(|(c, k)| ("t", c, k))
            .collect();
        c.commit("db", &changes(&columns)).unwrap();
        let (_, bytes) = c.to_json();
        let file: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        let stored: Vec<&str> = file["databases"]["db"]["tables"]["t"]["columns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["type"].as_str().unwrap())
            .collect();
        assert_eq!(stored, ["tag", "uinteger", "time"]);
    }

    #[test]
    fn conflicting_commit_changes_nothing() {
        let c = Catalog::in_memory();
        c.commit(
            "db",
            &changes(&[("t", "v", ColumnKind::Field(FieldType::Float))]),
        )
        .unwrap();
        let before = c.snapshot().version;
        let err = c
            .commit(
                "db",
                &changes(&[
                    ("t", "w", ColumnKind::Field(FieldType::Float)),
                    ("t", "v", ColumnKind::Field(FieldType::Integer)),
                ]),
            )
            .unwrap_err();
        assert!(matches!(err, CatalogError::Conflict));
        assert_eq!(c.snapshot().version, before);
        assert_eq!(c.snapshot().databases["db"].column("t", "w"), None);
    }

    #[test]
    fn database_limit_is_the_flags() {
        let c = Catalog::in_memory().with_limits(CatalogLimits {
            databases: 5,
            ..CatalogLimits::DEFAULT
        });
        for i in 0..5 {
            c.create_database(&format!("db{i}")).unwrap();
        }
        let err = c.create_database("db9").unwrap_err();
        assert_eq!(
            err.to_string(),
            "Adding a new database would exceed limit of 5 databases (set by --max-databases)"
        );
        assert!(matches!(
            c.create_database("db0"),
            Err(CatalogError::TooManyDatabases(5))
        ));
        c.delete_database("db0").unwrap();
        c.create_database("db9").unwrap();
        c.delete_database("db1").unwrap();
        assert!(matches!(
            c.create_database("db9"),
            Err(CatalogError::AlreadyExists)
        ));
        assert!(matches!(
            c.delete_database("db1"),
            Err(CatalogError::DatabaseNotFound(_))
        ));
    }

    #[test]
    fn ids_are_never_reused_and_a_deleted_name_gets_a_new_id() {
        let dir = tempfile::tempdir().unwrap();
        let c = Catalog::open(dir.path()).unwrap();
        c.commit(
            "x",
            &changes(&[("t", "f", ColumnKind::Field(FieldType::Integer))]),
        )
        .unwrap();
        c.create_database("y").unwrap();
        let s = c.snapshot();
        let (x, t) = (s.databases["x"].id, s.databases["x"].tables["t"].id);
        assert_eq!((x, t, s.databases["y"].id), (1, 1, 2));
        assert_eq!(c.delete_database("x").unwrap(), x);
        assert_eq!(c.snapshot().deleted.get(&x).map(String::as_str), Some("x"));
        c.commit(
            "x",
            &changes(&[("t", "f", ColumnKind::Field(FieldType::String))]),
        )
        .unwrap();
        let s = c.snapshot();
        assert_eq!(s.databases["x"].id, 3);
        assert_eq!(s.databases["x"].tables["t"].id, 2);
        assert_eq!(s.database_by_id(3).map(|(n, _)| n), Some("x"));
        assert!(s.database_by_id(x).is_none());
        // The tombstone and the counters survive a restart; forgetting it frees no id.
        drop(c);
        let c = Catalog::open(dir.path()).unwrap();
        assert!(c.snapshot().deleted.contains_key(&x));
        c.forget_deleted(x).unwrap();
        drop(c);
        let c = Catalog::open(dir.path()).unwrap();
        assert!(c.snapshot().deleted.is_empty());
        c.delete_database("x").unwrap();
        c.create_database("x").unwrap();
        assert_eq!(c.snapshot().databases["x"].id, 4);
    }

    #[test]
    fn a_catalog_file_without_ids_gets_them_on_open() {
        let dir = tempfile::tempdir().unwrap();
        let legacy = r#"{"uuid":"u","version":3,"databases":{
            "a":{"tables":{"t1":{"columns":[{"name":"v","type":"float"}]},"t2":{"columns":[]}}},
            "b":{"tables":{"t1":{"columns":[]}}}}}"#;
        std::fs::write(dir.path().join(CATALOG_FILE), legacy).unwrap();
        let s = Catalog::open(dir.path()).unwrap().snapshot();
        assert_eq!((s.databases["a"].id, s.databases["b"].id), (1, 2));
        let mut tables: Vec<TableId> = s
            .databases
            .values()
            .flat_map(|d| d.tables.values().map(|t| t.id))
            .collect();
        tables.sort();
        assert_eq!(tables, [1, 2, 3]);
        assert_eq!((s.next_db_id, s.next_table_id), (3, 4));
        assert_eq!(
            s.databases["a"].column("t1", "v"),
            Some(ColumnKind::Field(FieldType::Float))
        );
        // Written back at once, so the ids are the same on every later start.
        let again = Catalog::open(dir.path()).unwrap().snapshot();
        assert_eq!(
            again.databases["b"].tables["t1"].id,
            s.databases["b"].tables["t1"].id
        );
        assert_eq!(again.version, s.version);
    }
}
