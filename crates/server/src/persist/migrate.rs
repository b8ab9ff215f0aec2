//! Moves Parquet files from the name paths of older versions to id paths.
//!
//! Before catalog ids, files were named `parquet/<db>/<table>/<block>/<segment>.parquet` after the
//! database and table names. Queries now list `parquet/<db_id>/<table_id>/`, so without this step a
//! data directory from an older version would keep its files but lose sight of their rows. Each
//! file is copied to its id path, then the table's old files are deleted, and the catalog's
//! `layout` says it is done: a start cut off halfway copies the rest again (same names, same
//! bytes) and never reads a half-moved table twice, because the old copies are deleted only after
//! all of a table's files are in place and queries run only after this step.
use super::{table_prefix, Store, StoreError, PARQUET_PREFIX};
use crate::catalog::{Catalog, CatalogError, ID_PATHS};
use object_store::path::Path as ObjPath;

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error("moving Parquet files of {database}.{table} to id paths: {source}")]
    Store {
        database: String,
        table: String,
        source: StoreError,
    },
    #[error("file {0} listed but gone while moving it")]
    Vanished(String),
    #[error(transparent)]
    Catalog(#[from] CatalogError),
}

/// Moves every file of a catalog written before ids (`layout` below [`ID_PATHS`]); returns how
/// many files moved. Does nothing for a catalog already on id paths.
pub async fn migrate(catalog: &Catalog, store: &Store) -> Result<usize, MigrateError> {
    let snapshot = catalog.snapshot();
    if snapshot.layout >= ID_PATHS {
        return Ok(0);
    }
    let mut moved = 0;
    for (db_name, db) in &snapshot.databases {
        for (table_name, table) in &db.tables {
            let failed = |source| MigrateError::Store {
                database: db_name.clone(),
                table: table_name.clone(),
                source,
            };
            let old = ObjPath::from_iter([PARQUET_PREFIX, db_name.as_str(), table_name.as_str()]);
            let files = store.list(&old).await.map_err(failed)?;
            if files.is_empty() {
                continue;
            }
            let new = table_prefix(db.id, table.id);
            for file in &files {
                let Some(rest) = file.prefix_match(&old) else {
                    continue;
                };
                let target = rest.fold(new.clone(), |p, part| p.join(part));
                let bytes = store
                    .get(file)
                    .await
                    .map_err(failed)?
                    .ok_or_else(|| MigrateError::Vanished(file.to_string()))?;
                store.put(&target, bytes).await.map_err(failed)?;
            }
            store.delete_prefix(&old).await.map_err(failed)?;
            moved += files.len();
            tracing::info!(
                database = %db_name,
                table = %table_name,
                files = files.len(),
                "moved Parquet files to id paths"
            );
        }
    }
    catalog.set_layout(ID_PATHS)?;
    Ok(moved)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    #[tokio::test]
    async fn name_path_files_move_to_id_paths_once() {
        let dir = tempfile::tempdir().unwrap();
        // A catalog as an older version wrote it: no ids, no layout.
        std::fs::write(
            dir.path().join("catalog.json"),
            br#"{"uuid":"u","version":1,"databases":{"home db":{"tables":{"m":{"columns":[{"name":"f","type":"float"}]}}}}}"#,
        )
        .unwrap();
        let catalog = Catalog::open(dir.path()).unwrap();
        let store = Store::new(std::sync::Arc::new(
            object_store::local::LocalFileSystem::new_with_prefix(dir.path()).unwrap(),
        ));
        let old = ObjPath::from_iter(["parquet", "home db", "m", "2022-01-01T08-00", "1.parquet"]);
        store.put(&old, Bytes::from_static(b"PAR1")).await.unwrap();

        assert_eq!(migrate(&catalog, &store).await.unwrap(), 1);
        let snap = catalog.snapshot();
        let db = &snap.databases["home db"];
        let moved = table_prefix(db.id, db.tables["m"].id)
            .join("2022-01-01T08-00")
            .join("1.parquet");
        assert_eq!(store.get(&moved).await.unwrap().unwrap(), "PAR1");
        assert_eq!(store.get(&old).await.unwrap(), None);
        assert_eq!(snap.layout, ID_PATHS);
        // Kept in the catalog file: the next start moves nothing.
        let reopened = Catalog::open(dir.path()).unwrap();
        assert_eq!(migrate(&reopened, &store).await.unwrap(), 0);
    }
}
