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
pub mod names;

use std::collections::{BTreeMap, HashMap};
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use linewise_core::{ColumnKind, FieldType, KnownSchema};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// InfluxDB 3 Core's limits (`CORE_NUM_*_LIMIT`).
pub const MAX_DATABASES: usize = 5;
pub const MAX_TABLES: usize = 2000;
pub const MAX_COLUMNS_PER_TABLE: usize = 500;

/// The catalog's file name, in the data directory and in a remote object store.
pub const CATALOG_FILE: &str = "catalog.json";

/// A column's type, as stored and as named in InfluxDB's error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ColumnType {
    Tag,
    Float,
    Integer,
    UInteger,
    String,
    Boolean,
    Time,
}

impl ColumnType {
    /// InfluxDB's `InfluxColumnType` display name, used in type-conflict messages.
    pub fn iox_name(self) -> &'static str {
        match self {
            ColumnType::Tag => "iox::column_type::tag",
            ColumnType::Time => "iox::column_type::timestamp",
            ColumnType::Float => "iox::column_type::field::float",
            ColumnType::Integer => "iox::column_type::field::integer",
            ColumnType::UInteger => "iox::column_type::field::uinteger",
            ColumnType::String => "iox::column_type::field::string",
            ColumnType::Boolean => "iox::column_type::field::boolean",
        }
    }

    pub fn of_field(t: FieldType) -> Self {
        match t {
            FieldType::Float => ColumnType::Float,
            FieldType::Integer => ColumnType::Integer,
            FieldType::UInteger => ColumnType::UInteger,
            FieldType::String => ColumnType::String,
            FieldType::Boolean => ColumnType::Boolean,
        }
    }

    pub fn kind(self) -> ColumnKind {
        match self {
            ColumnType::Tag => ColumnKind::Tag,
            ColumnType::Time => ColumnKind::Time,
            ColumnType::Float => ColumnKind::Field(FieldType::Float),
            ColumnType::Integer => ColumnKind::Field(FieldType::Integer),
            ColumnType::UInteger => ColumnKind::Field(FieldType::UInteger),
            ColumnType::String => ColumnKind::Field(FieldType::String),
            ColumnType::Boolean => ColumnKind::Field(FieldType::Boolean),
        }
    }

    pub fn of_kind(kind: ColumnKind) -> Self {
        match kind {
            ColumnKind::Tag => ColumnType::Tag,
            ColumnKind::Time => ColumnType::Time,
            ColumnKind::Field(t) => ColumnType::of_field(t),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnDef {
    pub name: String,
    #[serde(rename = "type")]
    pub column_type: ColumnType,
}

/// A table's columns in creation order (`time` included once it exists).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TableSchema {
    pub columns: Vec<ColumnDef>,
    #[serde(skip)]
    index: HashMap<String, usize>,
}

impl TableSchema {
    pub fn column(&self, name: &str) -> Option<ColumnType> {
        self.index.get(name).map(|&i| self.columns[i].column_type)
    }

    /// Tag and field columns (the ones the 500-column limit counts).
    pub fn data_columns(&self) -> usize {
        self.columns
            .iter()
            .filter(|c| c.column_type != ColumnType::Time)
            .count()
    }

    fn add(&mut self, name: &str, column_type: ColumnType) {
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
    pub tables: BTreeMap<String, TableSchema>,
}

impl KnownSchema for DatabaseSchema {
    fn column(&self, measurement: &str, column: &str) -> Option<ColumnKind> {
        self.tables
            .get(measurement)?
            .column(column)
            .map(ColumnType::kind)
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
}

impl CatalogState {
    pub fn table_count(&self) -> usize {
        self.databases.values().map(|d| d.tables.len()).sum()
    }
}

/// What one write adds to the catalog, in the order the lines introduced it.
#[derive(Debug, Clone, Default)]
pub struct SchemaChanges {
    pub create_database: bool,
    pub columns: Vec<(String, String, ColumnType)>,
}

impl SchemaChanges {
    pub fn is_empty(&self) -> bool {
        !self.create_database && self.columns.is_empty()
    }
}

#[derive(Debug, Error)]
pub enum CatalogError {
    #[error("Adding a new database would exceed limit of {MAX_DATABASES} databases")]
    TooManyDatabases,
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
}

impl Catalog {
    /// Loads `DIR/catalog.json`, or starts empty (with a new uuid) when there is none.
    pub fn open(dir: &Path) -> Result<Self, CatalogError> {
        let path = dir.join(CATALOG_FILE);
        let state = match fs::read(&path) {
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
        Ok(Catalog {
            dir: Some(dir.to_path_buf()),
            state: RwLock::new(Arc::new(state)),
            commit_lock: Mutex::new(()),
        })
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
        }
    }

    fn empty_state() -> CatalogState {
        CatalogState {
            uuid: uuid::Uuid::new_v4().to_string(),
            version: 0,
            databases: BTreeMap::new(),
        }
    }

    pub fn snapshot(&self) -> Arc<CatalogState> {
        self.state.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Applies `change` to a copy of the current state under the commit lock, persists it, then
    /// publishes it. Nothing changes when `change` fails.
    fn update<T>(
        &self,
        change: impl FnOnce(&mut CatalogState) -> Result<T, CatalogError>,
    ) -> Result<T, CatalogError> {
        let _guard = self.commit_lock.lock().unwrap_or_else(|p| p.into_inner());
        let mut next = (*self.snapshot()).clone();
        let out = change(&mut next)?;
        next.version += 1;
        self.persist(&next)?;
        *self.state.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(next);
        Ok(out)
    }

    pub fn create_database(&self, name: &str) -> Result<(), CatalogError> {
        self.update(|s| {
            if s.databases.len() >= MAX_DATABASES {
                return Err(CatalogError::TooManyDatabases);
            }
            if s.databases.contains_key(name) {
                return Err(CatalogError::AlreadyExists);
            }
            s.databases.insert(name.into(), DatabaseSchema::default());
            Ok(())
        })
    }

    pub fn delete_database(&self, name: &str) -> Result<(), CatalogError> {
        self.update(|s| {
            s.databases
                .remove(name)
                .map(drop)
                .ok_or_else(|| CatalogError::DatabaseNotFound(name.into()))
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
                if s.databases.len() >= MAX_DATABASES {
                    return Err(CatalogError::TooManyDatabases);
                }
                s.databases.insert(db.into(), DatabaseSchema::default());
            }
            let mut tables = s.table_count();
            let Some(database) = s.databases.get_mut(db) else {
                return Err(CatalogError::Conflict);
            };
            for (table, column, column_type) in &changes.columns {
                if !database.tables.contains_key(table) {
                    if tables >= MAX_TABLES {
                        return Err(CatalogError::Conflict);
                    }
                    tables += 1;
                    database
                        .tables
                        .insert(table.clone(), TableSchema::default());
                }
                let Some(t) = database.tables.get_mut(table) else {
                    return Err(CatalogError::Conflict);
                };
                match t.column(column) {
                    Some(existing) if existing == *column_type => {}
                    Some(_) => return Err(CatalogError::Conflict),
                    None => {
                        if *column_type != ColumnType::Time
                            && t.data_columns() >= MAX_COLUMNS_PER_TABLE
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

    fn changes(cols: &[(&str, &str, ColumnType)]) -> SchemaChanges {
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
                    ("home", "room", ColumnType::Tag),
                    ("home", "temp", ColumnType::Float),
                    ("home", "time", ColumnType::Time),
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
        c.commit("sensors", &changes(&[("home", "temp", ColumnType::Float)]))
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
    fn conflicting_commit_changes_nothing() {
        let c = Catalog::in_memory();
        c.commit("db", &changes(&[("t", "v", ColumnType::Float)]))
            .unwrap();
        let before = c.snapshot().version;
        let err = c
            .commit(
                "db",
                &changes(&[
                    ("t", "w", ColumnType::Float),
                    ("t", "v", ColumnType::Integer),
                ]),
            )
            .unwrap_err();
        assert!(matches!(err, CatalogError::Conflict));
        assert_eq!(c.snapshot().version, before);
        assert_eq!(c.snapshot().databases["db"].column("t", "w"), None);
    }

    #[test]
    fn database_limit_is_five() {
        let c = Catalog::in_memory();
        for i in 0..MAX_DATABASES {
            c.create_database(&format!("db{i}")).unwrap();
        }
        let err = c.create_database("db9").unwrap_err();
        assert_eq!(
            err.to_string(),
            "Adding a new database would exceed limit of 5 databases"
        );
        assert!(matches!(
            c.create_database("db0"),
            Err(CatalogError::TooManyDatabases)
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
}
