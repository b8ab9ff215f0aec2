//! The column types a JS caller already knows (`{ measurement: { column: "float" | … | "tag" } }`),
//! fed to the validator through the core's `KnownSchema` hook.
use std::collections::BTreeMap;

use linewise_core::{ColumnKind, FieldType, KnownSchema};

/// Known columns by measurement, then column name.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Schema {
    measurements: BTreeMap<String, BTreeMap<String, ColumnKind>>,
}

impl Schema {
    /// Builds the schema from `[measurement, column, kind, measurement, column, kind, …]`, the flat
    /// form the JS wrapper sends. Errors name the offending entry.
    pub fn from_triples(triples: &[String]) -> Result<Schema, String> {
        if !triples.len().is_multiple_of(3) {
            return Err(format!(
                "schema: expected (measurement, column, type) triples, got {} strings",
                triples.len()
            ));
        }
        let mut schema = Schema::default();
        for entry in triples.chunks_exact(3) {
            let kind = column_kind(&entry[2]).ok_or_else(|| {
                format!(
                    "schema.{}.{}: unknown column type {:?}, expected one of \
                     float, integer, uinteger, string, boolean, tag, time",
                    entry[0], entry[1], entry[2]
                )
            })?;
            schema
                .measurements
                .entry(entry[0].clone())
                .or_default()
                .insert(entry[1].clone(), kind);
        }
        Ok(schema)
    }

    pub fn is_empty(&self) -> bool {
        self.measurements.is_empty()
    }
}

fn column_kind(name: &str) -> Option<ColumnKind> {
    Some(match name {
        "float" => ColumnKind::Field(FieldType::Float),
        "integer" => ColumnKind::Field(FieldType::Integer),
        "uinteger" => ColumnKind::Field(FieldType::UInteger),
        "string" => ColumnKind::Field(FieldType::String),
        "boolean" => ColumnKind::Field(FieldType::Boolean),
        "tag" => ColumnKind::Tag,
        "time" => ColumnKind::Time,
        _ => return None,
    })
}

impl KnownSchema for Schema {
    fn column(&self, measurement: &str, column: &str) -> Option<ColumnKind> {
        self.measurements.get(measurement)?.get(column).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn looks_up_known_columns() {
        let schema =
            Schema::from_triples(&strings(&["home", "temp", "float", "home", "room", "tag"]))
                .unwrap();
        assert_eq!(
            schema.column("home", "temp"),
            Some(ColumnKind::Field(FieldType::Float))
        );
        assert_eq!(schema.column("home", "room"), Some(ColumnKind::Tag));
        assert_eq!(schema.column("home", "co"), None);
        assert_eq!(schema.column("cpu", "temp"), None);
    }

    #[test]
    fn rejects_unknown_types_naming_the_column() {
        let err = Schema::from_triples(&strings(&["home", "temp", "double"])).unwrap_err();
        assert!(
            err.starts_with("schema.home.temp: unknown column type \"double\""),
            "{err}"
        );
        assert!(Schema::from_triples(&strings(&["home", "temp"])).is_err());
    }
}
