//! The column kinds a write must agree with because they are already stored: the validator's hook
//! ([`KnownSchema`]) and the one map of them ([`KnownColumns`]) that the page (the server's schema
//! as it learnt it) and the npm package (the schema its caller passes) fill.
use alloc::collections::BTreeMap;
use alloc::string::String;

use crate::ColumnKind;

/// The hook through which the server's catalog (or a copy of the server's schema) adds the kinds
/// it already stores. `Sync`, so that parts of one input can be checked on several threads.
pub trait KnownSchema: Sync {
    fn column(&self, measurement: &str, column: &str) -> Option<ColumnKind>;
}

/// Column kinds by measurement, then column name, both in name order. With the `serde` feature it
/// reads and writes as `{ "measurement": { "column": "float" | … | "tag" | "time" } }`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(transparent)
)]
pub struct KnownColumns {
    tables: BTreeMap<String, BTreeMap<String, ColumnKind>>,
}

impl KnownColumns {
    /// Records `column` of `measurement` as `kind` (replacing what was known of it).
    pub fn insert(&mut self, measurement: &str, column: &str, kind: ColumnKind) {
        self.tables
            .entry(measurement.into())
            .or_default()
            .insert(column.into(), kind);
    }

    pub fn is_empty(&self) -> bool {
        self.tables.is_empty()
    }

    /// Measurements in name order, each with its columns in name order.
    pub fn tables(
        &self,
    ) -> impl Iterator<Item = (&str, impl Iterator<Item = (&str, ColumnKind)> + '_)> + '_ {
        self.tables.iter().map(|(table, columns)| {
            let columns = columns.iter().map(|(c, k)| (c.as_str(), *k));
            (table.as_str(), columns)
        })
    }
}

impl KnownSchema for KnownColumns {
    fn column(&self, measurement: &str, column: &str) -> Option<ColumnKind> {
        self.tables.get(measurement)?.get(column).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FieldType;
    use alloc::vec::Vec;

    #[test]
    fn looks_up_and_lists_in_name_order() {
        let mut known = KnownColumns::default();
        assert!(known.is_empty());
        known.insert("home", "temp", ColumnKind::Field(FieldType::Integer));
        known.insert("home", "temp", ColumnKind::Field(FieldType::Float));
        known.insert("home", "room", ColumnKind::Tag);
        known.insert("air", "time", ColumnKind::Time);
        assert_eq!(
            known.column("home", "temp"),
            Some(ColumnKind::Field(FieldType::Float))
        );
        assert_eq!(known.column("home", "hum"), None);
        assert_eq!(known.column("garden", "temp"), None);
        let listed: Vec<(&str, Vec<(&str, ColumnKind)>)> =
            known.tables().map(|(t, c)| (t, c.collect())).collect();
        assert_eq!(
            listed,
            [
                ("air", alloc::vec![("time", ColumnKind::Time)]),
                (
                    "home",
                    alloc::vec![
                        ("room", ColumnKind::Tag),
                        ("temp", ColumnKind::Field(FieldType::Float))
                    ]
                ),
            ]
        );
    }
}
