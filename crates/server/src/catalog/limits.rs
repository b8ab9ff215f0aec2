//! How many databases, tables and columns the catalog holds.
//!
//! InfluxDB 3 Core caps these at 5 databases, 2000 tables and 500 columns per table; the database
//! cap is a product tier, not a technical need, so here each is a flag with a default no ordinary
//! user meets, and every refusal names the flag that raises it.
//! What they bound is memory: each table is a buffer of typed columns, and each column a builder.

/// The catalog's limits, from `linewise serve`'s flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::Args)]
pub struct CatalogLimits {
    /// Databases the catalog holds; creating one more is refused (422) naming this flag.
    #[arg(long = "max-databases", env = "LINEWISE_MAX_DATABASES", default_value_t = CatalogLimits::DEFAULT.databases, value_parser = clap::value_parser!(u32).range(1..))]
    pub databases: u32,
    /// Tables across all databases; a line that would create one more is refused.
    #[arg(long = "max-tables", env = "LINEWISE_MAX_TABLES", default_value_t = CatalogLimits::DEFAULT.tables, value_parser = clap::value_parser!(u32).range(1..))]
    pub tables: u32,
    /// Tag and field columns of one table (`time` not counted); a line that would add one more, or
    /// that has more on its own, is refused.
    #[arg(long = "max-columns-per-table", env = "LINEWISE_MAX_COLUMNS_PER_TABLE", default_value_t = CatalogLimits::DEFAULT.columns_per_table, value_parser = clap::value_parser!(u32).range(1..))]
    pub columns_per_table: u32,
}

impl CatalogLimits {
    pub const DEFAULT: CatalogLimits = CatalogLimits {
        databases: 100,
        tables: 10_000,
        columns_per_table: linewise_core::validate::MAX_COLUMNS_PER_TABLE as u32,
    };

    pub fn databases(&self) -> usize {
        self.databases as usize
    }

    pub fn tables(&self) -> usize {
        self.tables as usize
    }

    pub fn columns_per_table(&self) -> usize {
        self.columns_per_table as usize
    }
}

impl Default for CatalogLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}
