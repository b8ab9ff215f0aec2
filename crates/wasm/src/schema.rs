//! The column types a JS caller already knows (`{ measurement: { column: "float" | … | "tag" } }`),
//! read into the core's `KnownColumns`, which the validator consults through `KnownSchema`.
use linewise_core::{ColumnKind, KnownColumns};

/// Builds the known columns from `[measurement, column, kind, measurement, column, kind, …]`, the
/// flat form the JS wrapper sends. Errors name the offending entry.
pub fn from_triples(triples: &[String]) -> Result<KnownColumns, String> {
    if !triples.len().is_multiple_of(3) {
        return Err(format!(
            "schema: expected (measurement, column, type) triples, got {} strings",
            triples.len()
        ));
    }
    let mut known = KnownColumns::default();
    for entry in triples.chunks_exact(3) {
        let kind: ColumnKind = entry[2]
            .parse()
            .map_err(|e| format!("schema.{}.{}: {e}", entry[0], entry[1]))?;
        known.insert(&entry[0], &entry[1], kind);
    }
    Ok(known)
}

#[cfg(test)]
mod tests {
    use super::*;
    use linewise_core::{FieldType, KnownSchema};

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn looks_up_known_columns() {
        let known =
            from_triples(&strings(&["home", "temp", "float", "home", "room", "tag"])).unwrap();
        assert_eq!(
            known.column("home", "temp"),
            Some(ColumnKind::Field(FieldType::Float))
        );
        assert_eq!(known.column("home", "room"), Some(ColumnKind::Tag));
        assert_eq!(known.column("home", "co"), None);
        assert_eq!(known.column("cpu", "temp"), None);
    }

    #[test]
    fn rejects_unknown_types_naming_the_column() {
        let err = from_triples(&strings(&["home", "temp", "double"])).unwrap_err();
        assert!(
            err.starts_with("schema.home.temp: unknown column type \"double\""),
            "{err}"
        );
        assert!(from_triples(&strings(&["home", "temp"])).is_err());
    }
}
