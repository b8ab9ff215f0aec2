//! The object store Parquet files (and the catalog) live in: a local directory (default), memory, or
//! an S3-compatible service, all behind the `object_store` crate.
//!
//! `object_store`'s local backend writes a temporary file and renames it into place (atomic), but
//! does not fsync; [`Store::put`] adds the fsync of the file and of every directory up to the root,
//! so a file the persister has reported written survives power loss.
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::path::Path as ObjPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Which backend holds the files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StoreKind {
    /// A directory on the local disk (`--data-dir`).
    File,
    /// Process memory (lost on exit; for tests and trials).
    Memory,
    /// An S3-compatible service.
    S3,
}

/// Object store flags of `linewise serve`.
#[derive(Debug, Clone, clap::Args)]
pub struct StoreArgs {
    /// Where Parquet files are kept.
    #[arg(
        long,
        env = "LINEWISE_OBJECT_STORE",
        value_enum,
        default_value = "file"
    )]
    pub object_store: StoreKind,
    /// S3 bucket (with `--object-store s3`).
    #[arg(long, env = "LINEWISE_BUCKET")]
    pub bucket: Option<String>,
    /// S3 endpoint URL, for S3-compatible services (default: AWS).
    #[arg(long, env = "LINEWISE_AWS_ENDPOINT")]
    pub aws_endpoint: Option<String>,
    /// S3 region (default: AWS_DEFAULT_REGION or us-east-1).
    #[arg(long, env = "LINEWISE_AWS_DEFAULT_REGION")]
    pub aws_default_region: Option<String>,
    /// S3 access key id (default: AWS_ACCESS_KEY_ID).
    #[arg(long, env = "LINEWISE_AWS_ACCESS_KEY_ID")]
    pub aws_access_key_id: Option<String>,
    /// S3 secret access key (default: AWS_SECRET_ACCESS_KEY).
    #[arg(long, env = "LINEWISE_AWS_SECRET_ACCESS_KEY", hide_env_values = true)]
    pub aws_secret_access_key: Option<String>,
    /// Allow plain-HTTP endpoints (local S3-compatible servers).
    #[arg(long, env = "LINEWISE_AWS_ALLOW_HTTP")]
    pub aws_allow_http: bool,
}

/// Errors of the object store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("--object-store s3 needs --bucket")]
    NoBucket,
    #[error("cannot create data directory {path}: {source}")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("object store: {0}")]
    ObjectStore(#[from] object_store::Error),
    #[error("syncing {path}: {source}")]
    Sync {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// An object store plus, for the local backend, its root (for fsync).
#[derive(Clone, Debug)]
pub struct Store {
    inner: Arc<dyn ObjectStore>,
    local_root: Option<PathBuf>,
}

impl Store {
    /// Builds the store named by the flags; `data_dir` is the local root.
    pub fn from_args(args: &StoreArgs, data_dir: &Path) -> Result<Store, StoreError> {
        match args.object_store {
            StoreKind::File => {
                std::fs::create_dir_all(data_dir).map_err(|source| StoreError::CreateDir {
                    path: data_dir.to_path_buf(),
                    source,
                })?;
                let root = data_dir
                    .canonicalize()
                    .map_err(|source| StoreError::CreateDir {
                        path: data_dir.to_path_buf(),
                        source,
                    })?;
                let fs = LocalFileSystem::new_with_prefix(&root)?;
                Ok(Store {
                    inner: Arc::new(fs),
                    local_root: Some(root),
                })
            }
            StoreKind::Memory => Ok(Store::new(Arc::new(InMemory::new()))),
            StoreKind::S3 => {
                let bucket = args.bucket.as_ref().ok_or(StoreError::NoBucket)?;
                let mut b = AmazonS3Builder::from_env().with_bucket_name(bucket);
                if let Some(e) = &args.aws_endpoint {
                    b = b.with_endpoint(e);
                }
                if let Some(r) = &args.aws_default_region {
                    b = b.with_region(r);
                }
                if let Some(k) = &args.aws_access_key_id {
                    b = b.with_access_key_id(k);
                }
                if let Some(s) = &args.aws_secret_access_key {
                    b = b.with_secret_access_key(s);
                }
                if args.aws_allow_http {
                    b = b.with_allow_http(true);
                }
                Ok(Store::new(Arc::new(b.build()?)))
            }
        }
    }

    /// Wraps any object store (no local fsync).
    pub fn new(inner: Arc<dyn ObjectStore>) -> Store {
        Store {
            inner,
            local_root: None,
        }
    }

    /// Whether this is the local directory under the data directory (which already holds the
    /// catalog file), rather than a store of its own.
    pub fn is_local(&self) -> bool {
        self.local_root.is_some()
    }

    /// The underlying object store (e.g. to register with a query engine).
    pub fn object_store(&self) -> Arc<dyn ObjectStore> {
        self.inner.clone()
    }

    /// Writes an object atomically and, on the local backend, durably.
    pub async fn put(&self, path: &ObjPath, bytes: Bytes) -> Result<(), StoreError> {
        self.inner.put(path, PutPayload::from(bytes)).await?;
        if let Some(root) = &self.local_root {
            let root = root.clone();
            let rel = path.to_string();
            tokio::task::spawn_blocking(move || sync_path(&root, &rel))
                .await
                .map_err(|e| StoreError::Sync {
                    path: PathBuf::from(path.to_string()),
                    source: std::io::Error::other(e),
                })??;
        }
        Ok(())
    }

    /// Reads an object; `None` when it does not exist.
    pub async fn get(&self, path: &ObjPath) -> Result<Option<Bytes>, StoreError> {
        match self.inner.get(path).await {
            Ok(r) => Ok(Some(r.bytes().await?)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes every object under `prefix` (on the local backend also the emptied directories);
    /// returns how many objects there were.
    pub async fn delete_prefix(&self, prefix: &ObjPath) -> Result<usize, StoreError> {
        let paths = self.list(prefix).await?;
        let count = paths.len();
        let locations = futures::stream::iter(paths.into_iter().map(Ok)).boxed();
        self.inner
            .delete_stream(locations)
            .try_collect::<Vec<_>>()
            .await?;
        if let Some(root) = &self.local_root {
            let dir = root.join(prefix.to_string());
            tokio::task::spawn_blocking(move || remove_dir_synced(&dir))
                .await
                .map_err(|e| StoreError::Sync {
                    path: PathBuf::from(prefix.to_string()),
                    source: std::io::Error::other(e),
                })??;
        }
        Ok(count)
    }

    /// Paths of every object under `prefix`, sorted.
    pub async fn list(&self, prefix: &ObjPath) -> Result<Vec<ObjPath>, StoreError> {
        let mut out: Vec<ObjPath> = self
            .inner
            .list(Some(prefix))
            .map_ok(|m| m.location)
            .try_collect()
            .await?;
        out.sort();
        Ok(out)
    }
}

/// Removes the (emptied) directory tree `dir`, and syncs its parent so the removal is durable.
fn remove_dir_synced(dir: &Path) -> Result<(), StoreError> {
    let err = |source| StoreError::Sync {
        path: dir.to_path_buf(),
        source,
    };
    match std::fs::remove_dir_all(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(err(e)),
    }
    if let Some(parent) = dir.parent() {
        std::fs::File::open(parent)
            .and_then(|f| f.sync_all())
            .map_err(err)?;
    }
    Ok(())
}

/// fsyncs `root/rel` and every directory from its parent up to `root`.
fn sync_path(root: &Path, rel: &str) -> Result<(), StoreError> {
    let file = root.join(rel);
    let sync = |p: &Path| {
        std::fs::File::open(p)
            .and_then(|f| f.sync_all())
            .map_err(|source| StoreError::Sync {
                path: p.to_path_buf(),
                source,
            })
    };
    sync(&file)?;
    let mut dir = file.parent();
    while let Some(d) = dir {
        sync(d)?;
        if d == root {
            break;
        }
        dir = d.parent();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        store: StoreArgs,
    }

    #[tokio::test]
    async fn local_store_writes_files_under_the_data_dir() {
        let dir = tempfile::tempdir().unwrap();
        let args = Cli::parse_from(["x"]).store;
        let store = Store::from_args(&args, &dir.path().join("data")).unwrap();
        let p = ObjPath::from("parquet/db/t/a.parquet");
        store.put(&p, Bytes::from_static(b"PAR1")).await.unwrap();
        let on_disk = std::fs::read(dir.path().join("data/parquet/db/t/a.parquet")).unwrap();
        assert_eq!(on_disk, b"PAR1");
        assert_eq!(
            store.list(&ObjPath::from("parquet")).await.unwrap(),
            vec![p.clone()]
        );
        assert_eq!(
            store.get(&p).await.unwrap().unwrap(),
            Bytes::from_static(b"PAR1")
        );
        assert_eq!(store.get(&ObjPath::from("nope")).await.unwrap(), None);
        let other = ObjPath::from("parquet/db2/t/b.parquet");
        store
            .put(&other, Bytes::from_static(b"PAR1"))
            .await
            .unwrap();
        assert_eq!(
            store
                .delete_prefix(&ObjPath::from("parquet/db"))
                .await
                .unwrap(),
            1
        );
        assert!(!dir.path().join("data/parquet/db").exists());
        assert_eq!(
            store.list(&ObjPath::from("parquet")).await.unwrap(),
            vec![other]
        );
        assert_eq!(
            store
                .delete_prefix(&ObjPath::from("parquet/db"))
                .await
                .unwrap(),
            0
        );
    }

    #[test]
    fn s3_needs_a_bucket() {
        let args = Cli::parse_from(["x", "--object-store", "s3"]).store;
        let err = Store::from_args(&args, Path::new(".")).unwrap_err();
        assert_eq!(err.to_string(), "--object-store s3 needs --bucket");
    }
}
