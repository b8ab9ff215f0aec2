//! Database-name rules, with InfluxDB 3's exact messages (clients and scripts match on them).
use thiserror::Error;

/// Longest accepted name: `<db>/<rp>` with 255 bytes each side.
pub const MAX_DB_NAME_BYTES: usize = 511;
/// Longest name the v1 and v2 endpoints accept (their "namespace" rule).
pub const MAX_NAMESPACE_BYTES: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DbNameError {
    #[error("db name cannot be empty")]
    Empty,
    #[error("db name too long: max 511")]
    TooLong,
    #[error("db name did not start with a number or letter")]
    BadStart,
    #[error("invalid character in database or rp name: must be ASCII, containing only letters, numbers, underscores, or hyphens")]
    BadChar,
    #[error("db name with invalid retention policy, if providing a retention policy name, must be of form '<db_name>/<rp_name>'")]
    BadRetentionPolicy,
}

/// `validate_db_name` of InfluxDB 3: ASCII letters, digits, `_`, `-`, and at most one inner `/`.
pub fn validate_db_name(name: &str) -> Result<(), DbNameError> {
    if name.is_empty() {
        return Err(DbNameError::Empty);
    }
    if name.len() > MAX_DB_NAME_BYTES {
        return Err(DbNameError::TooLong);
    }
    if !name.as_bytes()[0].is_ascii_alphanumeric() {
        return Err(DbNameError::BadStart);
    }
    let mut slashes = 0;
    for b in name.bytes() {
        match b {
            b'/' => {
                slashes += 1;
                if slashes > 1 {
                    return Err(DbNameError::BadRetentionPolicy);
                }
            }
            b if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' => {}
            _ => return Err(DbNameError::BadChar),
        }
    }
    if name.ends_with('/') {
        return Err(DbNameError::BadRetentionPolicy);
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NamespaceError {
    #[error("namespace name {0} length must be between 1 and 64 characters")]
    Length(String),
    #[error("namespace name '{name}' contains invalid character, character number {position} is not allowed")]
    BadChar { name: String, position: usize },
}

/// The v1/v2 "namespace" rule checked before `validate_db_name`: 1–64 bytes of Unicode letters or
/// digits plus `/ _ -`.
pub fn validate_namespace(name: &str) -> Result<(), NamespaceError> {
    if name.is_empty() || name.len() > MAX_NAMESPACE_BYTES {
        return Err(NamespaceError::Length(name.into()));
    }
    if let Some(position) = name
        .chars()
        .position(|c| !(c.is_alphanumeric() || matches!(c, '/' | '_' | '-')))
    {
        return Err(NamespaceError::BadChar {
            name: name.into(),
            position,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn db_names_follow_influxdb3() {
        assert_eq!(validate_db_name("sensors"), Ok(()));
        assert_eq!(validate_db_name("get-started"), Ok(()));
        assert_eq!(validate_db_name("db/rp"), Ok(()));
        assert_eq!(validate_db_name(""), Err(DbNameError::Empty));
        assert_eq!(
            validate_db_name("?this_is_fine"),
            Err(DbNameError::BadStart)
        );
        assert_eq!(validate_db_name("this#_is_fine"), Err(DbNameError::BadChar));
        assert_eq!(
            validate_db_name("a/b/c"),
            Err(DbNameError::BadRetentionPolicy)
        );
        assert_eq!(validate_db_name("a/"), Err(DbNameError::BadRetentionPolicy));
        assert_eq!(
            validate_db_name(&"a".repeat(512)),
            Err(DbNameError::TooLong)
        );
        assert_eq!(validate_db_name("zürich"), Err(DbNameError::BadChar));
    }

    #[test]
    fn namespaces_allow_64_bytes() {
        assert!(validate_namespace(&"a".repeat(64)).is_ok());
        assert_eq!(
            validate_namespace(&"a".repeat(65)).unwrap_err().to_string(),
            format!(
                "namespace name {} length must be between 1 and 64 characters",
                "a".repeat(65)
            )
        );
        assert_eq!(
            validate_namespace("a#b").unwrap_err().to_string(),
            "namespace name 'a#b' contains invalid character, character number 1 is not allowed"
        );
    }
}
