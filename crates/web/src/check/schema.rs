//! The server's stored column types, as the page learnt them, offered to the core's validator.
use std::collections::HashMap;

use linewise_core::{ColumnKind, FieldType, KnownSchema};

/// Column kinds per measurement (table), keyed by name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoredSchema {
    tables: HashMap<String, HashMap<String, ColumnKind>>,
}

impl StoredSchema {
    pub fn insert(&mut self, table: &str, column: &str, kind: ColumnKind) {
        self.tables
            .entry(table.to_owned())
            .or_default()
            .insert(column.to_owned(), kind);
    }

    pub fn is_empty(&self) -> bool {
        self.tables.is_empty()
    }

    /// Tables in name order, each with its columns in name order, for display.
    pub fn tables(&self) -> Vec<(&str, Vec<(&str, ColumnKind)>)> {
        let mut out: Vec<_> = self
            .tables
            .iter()
            .map(|(t, cols)| {
                let mut cols: Vec<_> = cols.iter().map(|(c, k)| (c.as_str(), *k)).collect();
                cols.sort_unstable_by_key(|(c, _)| *c);
                (t.as_str(), cols)
            })
            .collect();
        out.sort_unstable_by_key(|(t, _)| *t);
        out
    }
}

impl KnownSchema for StoredSchema {
    fn column(&self, measurement: &str, column: &str) -> Option<ColumnKind> {
        self.tables.get(measurement)?.get(column).copied()
    }
}

/// Maps an Arrow/DataFusion type name from `information_schema.columns` to a column kind.
/// Tags are dictionary-encoded strings; `time` is the timestamp column.
pub fn kind_from_sql_type(column: &str, data_type: &str) -> Option<ColumnKind> {
    let t = data_type.trim();
    if column == "time" || t.starts_with("Timestamp") {
        return Some(ColumnKind::Time);
    }
    if t.starts_with("Dictionary") {
        return Some(ColumnKind::Tag);
    }
    let field = match t {
        "Float64" | "Double" | "DOUBLE" => FieldType::Float,
        "Int64" | "BIGINT" => FieldType::Integer,
        "UInt64" | "BIGINT UNSIGNED" => FieldType::UInteger,
        "Utf8" | "Utf8View" | "LargeUtf8" | "VARCHAR" => FieldType::String,
        "Boolean" | "BOOLEAN" => FieldType::Boolean,
        _ => return None,
    };
    Some(ColumnKind::Field(field))
}

/// Kind name shown in the page.
pub fn kind_name(kind: ColumnKind) -> &'static str {
    match kind {
        ColumnKind::Tag => "tag",
        ColumnKind::Time => "time",
        ColumnKind::Field(t) => t.as_str(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_sql_types() {
        assert_eq!(
            kind_from_sql_type("room", "Dictionary(Int32, Utf8)"),
            Some(ColumnKind::Tag)
        );
        assert_eq!(
            kind_from_sql_type("temp", "Float64"),
            Some(ColumnKind::Field(FieldType::Float))
        );
        assert_eq!(
            kind_from_sql_type("time", "Timestamp(Nanosecond, None)"),
            Some(ColumnKind::Time)
        );
        assert_eq!(kind_from_sql_type("x", "List(Int8)"), None);
        let mut s = StoredSchema::default();
        s.insert("home", "temp", ColumnKind::Field(FieldType::Float));
        assert_eq!(
            s.column("home", "temp"),
            Some(ColumnKind::Field(FieldType::Float))
        );
        assert_eq!(s.column("home", "hum"), None);
    }
}
