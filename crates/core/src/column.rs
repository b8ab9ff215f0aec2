//! The vocabulary of columns: what a column is (a tag, a field of one of five types, the time), the
//! one spelling every face reads and writes for it, and InfluxDB 3's name for it in messages.
//! The server's catalog file, the CLI's JSON, the page and the npm package all use these spellings.
use alloc::string::String;
use core::fmt;
use core::str::FromStr;

/// The column name InfluxDB reserves for the timestamp: the last column of every table.
pub const TIME_COLUMN: &str = "time";

/// The five field types of line protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FieldType {
    Float,
    Integer,
    /// Unsigned integer (`1u`).
    UInteger,
    String,
    Boolean,
}

impl FieldType {
    /// Every field type, in the order of the spellings in messages.
    pub const ALL: [FieldType; 5] = [
        FieldType::Float,
        FieldType::Integer,
        FieldType::UInteger,
        FieldType::String,
        FieldType::Boolean,
    ];

    /// The spelling (`float|integer|uinteger|string|boolean`).
    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::Float => "float",
            FieldType::Integer => "integer",
            FieldType::UInteger => "uinteger",
            FieldType::String => "string",
            FieldType::Boolean => "boolean",
        }
    }

    /// InfluxDB 3's name for the column type, used in its schema-conflict messages
    /// (`iox::column_type::field::float`).
    pub fn iox_name(self) -> &'static str {
        match self {
            FieldType::Float => "iox::column_type::field::float",
            FieldType::Integer => "iox::column_type::field::integer",
            FieldType::UInteger => "iox::column_type::field::uinteger",
            FieldType::String => "iox::column_type::field::string",
            FieldType::Boolean => "iox::column_type::field::boolean",
        }
    }
}

impl fmt::Display for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not one of the spellings of a [`FieldType`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownFieldType(pub String);

impl fmt::Display for UnknownFieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown field type {:?}, expected one of float, integer, uinteger, string, boolean",
            self.0
        )
    }
}

#[cfg(feature = "std")]
impl std::error::Error for UnknownFieldType {}

impl FromStr for FieldType {
    type Err = UnknownFieldType;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FieldType::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| UnknownFieldType(s.into()))
    }
}

/// What a column is: a tag, a field of one type, or the time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ColumnKind {
    Tag,
    Field(FieldType),
    Time,
}

impl ColumnKind {
    /// The spelling: `tag`, `time`, or the field type's (`float`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            ColumnKind::Tag => "tag",
            ColumnKind::Field(t) => t.as_str(),
            ColumnKind::Time => "time",
        }
    }

    /// InfluxDB 3's name for the column type (`iox::column_type::tag`, `…::field::float`, …), which
    /// its HTTP API puts in schema-conflict messages.
    pub fn iox_name(self) -> &'static str {
        match self {
            ColumnKind::Tag => "iox::column_type::tag",
            ColumnKind::Field(t) => t.iox_name(),
            ColumnKind::Time => "iox::column_type::timestamp",
        }
    }

    /// The kind of a column from the type name `information_schema.columns` gives for it: Arrow's
    /// names (tags are dictionary-encoded strings, `time` a timestamp), or the SQL ones.
    pub fn of_type_name(column: &str, data_type: &str) -> Option<ColumnKind> {
        let t = data_type.trim();
        if column == TIME_COLUMN || t.starts_with("Timestamp") {
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
}

impl fmt::Display for ColumnKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not one of the spellings of a [`ColumnKind`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownColumnKind(pub String);

impl fmt::Display for UnknownColumnKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown column type {:?}, expected one of \
             float, integer, uinteger, string, boolean, tag, time",
            self.0
        )
    }
}

#[cfg(feature = "std")]
impl std::error::Error for UnknownColumnKind {}

impl FromStr for ColumnKind {
    type Err = UnknownColumnKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "tag" => Ok(ColumnKind::Tag),
            "time" => Ok(ColumnKind::Time),
            _ => s
                .parse()
                .map(ColumnKind::Field)
                .map_err(|_| UnknownColumnKind(s.into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn every_kind_reads_back_its_own_spelling() {
        let kinds = FieldType::ALL
            .map(ColumnKind::Field)
            .into_iter()
            .chain([ColumnKind::Tag, ColumnKind::Time]);
        let mut names = alloc::vec::Vec::new();
        for kind in kinds {
            assert_eq!(kind.to_string().parse::<ColumnKind>(), Ok(kind));
            names.push(kind.as_str());
        }
        assert_eq!(
            names,
            ["float", "integer", "uinteger", "string", "boolean", "tag", "time"]
        );
        assert_eq!("uinteger".parse(), Ok(FieldType::UInteger));
    }

    #[test]
    fn unknown_spellings_are_refused_with_the_choices() {
        let err = "Float".parse::<ColumnKind>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown column type \"Float\", expected one of \
             float, integer, uinteger, string, boolean, tag, time"
        );
        assert_eq!(
            "tag".parse::<FieldType>(),
            Err(UnknownFieldType("tag".into()))
        );
    }

    #[test]
    fn influxdb_names() {
        assert_eq!(ColumnKind::Tag.iox_name(), "iox::column_type::tag");
        assert_eq!(ColumnKind::Time.iox_name(), "iox::column_type::timestamp");
        assert_eq!(
            ColumnKind::Field(FieldType::UInteger).iox_name(),
            "iox::column_type::field::uinteger"
        );
    }

    #[test]
    fn kinds_from_information_schema_type_names() {
        assert_eq!(
            ColumnKind::of_type_name("room", "Dictionary(Int32, Utf8)"),
            Some(ColumnKind::Tag)
        );
        assert_eq!(
            ColumnKind::of_type_name("temp", "Float64"),
            Some(ColumnKind::Field(FieldType::Float))
        );
        assert_eq!(
            ColumnKind::of_type_name("n", " BIGINT UNSIGNED "),
            Some(ColumnKind::Field(FieldType::UInteger))
        );
        assert_eq!(
            ColumnKind::of_type_name("time", "Timestamp(Nanosecond, None)"),
            Some(ColumnKind::Time)
        );
        assert_eq!(ColumnKind::of_type_name("x", "List(Int8)"), None);
    }
}
