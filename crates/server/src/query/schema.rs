//! One database seen as a DataFusion schema: tables are snapshotted only when a query names them.
use super::provider::SnapshotTable;
use super::prune::FileRangeCache;
use super::source::QuerySource;
use async_trait::async_trait;
use datafusion::catalog::SchemaProvider;
use datafusion::common::{DataFusionError, Result};
use datafusion::datasource::TableProvider;
use datafusion::execution::object_store::ObjectStoreUrl;
use std::sync::Arc;

#[derive(Debug)]
pub struct DatabaseSchema {
    db: String,
    source: Arc<dyn QuerySource>,
    store_url: ObjectStoreUrl,
    ranges: Arc<FileRangeCache>,
}

impl DatabaseSchema {
    pub fn new(
        db: String,
        source: Arc<dyn QuerySource>,
        store_url: ObjectStoreUrl,
        ranges: Arc<FileRangeCache>,
    ) -> Self {
        Self {
            db,
            source,
            store_url,
            ranges,
        }
    }
}

#[async_trait]
impl SchemaProvider for DatabaseSchema {
    fn table_names(&self) -> Vec<String> {
        self.source.table_names(&self.db)
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>, DataFusionError> {
        let snapshot = self.source.table_snapshot(&self.db, name).await?;
        Ok(snapshot.map(|snapshot| {
            Arc::new(SnapshotTable::new(
                snapshot,
                self.source.object_store(),
                self.store_url.clone(),
                Arc::clone(&self.ranges),
            )) as Arc<dyn TableProvider>
        }))
    }

    fn table_exist(&self, name: &str) -> bool {
        self.source
            .table_names(&self.db)
            .iter()
            .any(|table| table == name)
    }
}
