//! With the `serde` feature: precisions, column kinds and field types read and write as their
//! spellings (`"ms"`, `"tag"`, `"float"`), so a catalog file, a JSON answer and a JS caller's
//! schema all hold the names [`FromStr`] reads and `Display` writes.
use core::fmt;
use core::marker::PhantomData;
use core::str::FromStr;

use serde::de::{self, Deserializer, Visitor};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};

use crate::{ColumnKind, FieldType, Precision};

/// Reads a `T` from a string through its `FromStr`.
struct Named<T>(PhantomData<T>);

impl<T: FromStr> Visitor<'_> for Named<T>
where
    T::Err: fmt::Display,
{
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a name")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        v.parse().map_err(E::custom)
    }
}

macro_rules! by_name {
    ($($t:ty),*) => {$(
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_str(Named(PhantomData))
            }
        }
    )*};
}

by_name!(Precision, ColumnKind, FieldType);

#[cfg(test)]
mod tests {
    use crate::{ColumnKind, FieldType, KnownColumns, Precision};

    #[test]
    fn names_round_trip_through_json() {
        assert_eq!(
            serde_json::to_string(&Precision::Millisecond).unwrap(),
            "\"ms\""
        );
        assert_eq!(
            serde_json::from_str::<Precision>("\"second\"").unwrap(),
            Precision::Second
        );
        let kind = ColumnKind::Field(FieldType::UInteger);
        assert_eq!(serde_json::to_string(&kind).unwrap(), "\"uinteger\"");
        assert_eq!(
            serde_json::from_str::<ColumnKind>("\"tag\"").unwrap(),
            ColumnKind::Tag
        );
        let err = serde_json::from_str::<ColumnKind>("\"Tag\"").unwrap_err();
        assert!(
            err.to_string().starts_with("unknown column type \"Tag\""),
            "{err}"
        );
    }

    #[test]
    fn known_columns_are_nested_objects() {
        let json = r#"{"home":{"room":"tag","temp":"float"}}"#;
        let known: KnownColumns = serde_json::from_str(json).unwrap();
        let mut expected = KnownColumns::default();
        expected.insert("home", "room", ColumnKind::Tag);
        expected.insert("home", "temp", ColumnKind::Field(FieldType::Float));
        assert_eq!(known, expected);
        assert_eq!(serde_json::to_string(&known).unwrap(), json);
    }
}
