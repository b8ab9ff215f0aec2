//! The tables a database's queries can name, as Flight SQL's metadata commands list them: the
//! database's own tables in `iox` and DataFusion's `information_schema`, under the `public` catalog.
use super::{QueryEngine, QueryError, CATALOG, SCHEMA};
use arrow::datatypes::{Schema, SchemaRef};
use datafusion::catalog::information_schema::{InformationSchemaProvider, INFORMATION_SCHEMA};
use datafusion::catalog::SchemaProvider;
use datafusion::datasource::TableType;
use std::sync::Arc;

/// One table of a database, with its schema when it was asked for (an empty one otherwise).
#[derive(Debug, Clone)]
pub struct TableInfo {
    pub catalog: &'static str,
    pub schema_name: &'static str,
    pub name: String,
    /// `BASE TABLE`, `VIEW` or `LOCAL TEMPORARY`, as `information_schema.tables` names them.
    pub table_type: &'static str,
    pub schema: SchemaRef,
}

impl QueryEngine {
    /// The catalog every database's tables are in.
    pub fn catalog_name(&self) -> &'static str {
        CATALOG
    }

    /// The schemas of every database's session: its tables, then DataFusion's `information_schema`.
    pub fn schema_names(&self) -> [&'static str; 2] {
        [SCHEMA, INFORMATION_SCHEMA]
    }

    /// Every table of `db`'s session; with `with_schemas` also each one's columns, which for the
    /// database's own tables costs a snapshot of each (its buffer and its list of files).
    pub async fn tables(&self, db: &str, with_schemas: bool) -> Result<Vec<TableInfo>, QueryError> {
        if !self.source.database_exists(db) {
            return Err(QueryError::DatabaseNotFound(db.to_owned()));
        }
        let ctx = self.session(db);
        let own = ctx
            .catalog(CATALOG)
            .and_then(|catalog| catalog.schema(SCHEMA))
            .expect("every session registers its database's schema");
        let information: Arc<dyn SchemaProvider> = Arc::new(InformationSchemaProvider::new(
            Arc::clone(ctx.state().catalog_list()),
        ));
        let mut tables = Vec::new();
        // `information_schema`'s tables are built in memory and cost nothing to open; the database's
        // own are all base tables, opened (snapshotted) only when their columns are asked for.
        for (schema_name, provider, open_cheap) in [
            (SCHEMA, own, false),
            (INFORMATION_SCHEMA, information, true),
        ] {
            let mut names = provider.table_names();
            names.sort();
            for name in names {
                let mut info = TableInfo {
                    catalog: CATALOG,
                    schema_name,
                    name,
                    table_type: table_type_name(TableType::Base),
                    schema: Arc::new(Schema::empty()),
                };
                if with_schemas || open_cheap {
                    let table = provider
                        .table(&info.name)
                        .await
                        .map_err(QueryError::from_datafusion)?;
                    // A table dropped since its name was listed is left out.
                    let Some(table) = table else { continue };
                    info.table_type = table_type_name(table.table_type());
                    if with_schemas {
                        info.schema = table.schema();
                    }
                }
                tables.push(info);
            }
        }
        Ok(tables)
    }
}

fn table_type_name(table_type: TableType) -> &'static str {
    match table_type {
        TableType::Base => "BASE TABLE",
        TableType::View => "VIEW",
        TableType::Temporary => "LOCAL TEMPORARY",
    }
}
