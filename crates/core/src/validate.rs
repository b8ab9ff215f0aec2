//! Batch schema checks: a column's type must not change within a batch, nor against stored schema.
use alloc::borrow::Cow;
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use crate::{
    ColumnKind, Diagnostic, ErrorKind, FieldType, KnownSchema, Line, Precision, TIME_COLUMN,
};

/// InfluxDB 3 Core's limit of tags and fields per table (`time` not counted): the npm validator
/// refuses lines past it as the server would; the server sets its catalog's own limit.
pub const MAX_COLUMNS_PER_TABLE: usize = 500;

/// Plain words for messages: `tag`, `float field`, `time column`.
fn describe(kind: ColumnKind) -> String {
    match kind {
        ColumnKind::Tag => String::from("tag"),
        ColumnKind::Field(t) => format!("{t} field"),
        ColumnKind::Time => String::from("time column"),
    }
}

/// A column as first seen in this batch.
#[derive(Debug, Clone, Copy)]
struct Seen {
    kind: ColumnKind,
    line: u32,
}

/// Checks lines one after another against earlier lines of the batch and against a `KnownSchema`:
/// type conflicts (naming both types and the earlier line), tag/field name clashes, duplicate keys,
/// the reserved column `time`, and the timestamp conversion under `precision`.
/// A rejected line leaves no trace: later lines are checked against accepted lines only.
pub struct BatchValidator<'s> {
    schema: Option<&'s dyn KnownSchema>,
    precision: Precision,
    tables: BTreeMap<String, BTreeMap<String, Seen>>,
    last: Layout,
    max_columns: usize,
}

/// The names (as written) and kinds of the last accepted line's columns. Lines of a batch mostly
/// repeat one layout, and a line with the last accepted line's layout passes every column check
/// that line passed: its names hold no duplicates, no `time` and no tag/field clash, and every
/// column is now remembered with the kind it has. Such a line skips the per-column checks, which
/// otherwise cost several times its parse.
#[derive(Default)]
struct Layout {
    measurement: String,
    tags: Vec<String>,
    fields: Vec<(String, FieldType)>,
}

impl Layout {
    fn matches(&self, line: &Line<'_>) -> bool {
        self.measurement == line.measurement.raw
            && self.tags.len() == line.tags.len()
            && self.fields.len() == line.fields.len()
            && self
                .tags
                .iter()
                .zip(&line.tags)
                .all(|(t, (k, _))| t == k.raw)
            && self
                .fields
                .iter()
                .zip(&line.fields)
                .all(|((f, t), (k, v))| f == k.raw && *t == v.field_type())
    }

    fn record(&mut self, line: &Line<'_>) {
        self.measurement.clear();
        self.measurement.push_str(line.measurement.raw);
        self.tags.clear();
        self.tags
            .extend(line.tags.iter().map(|(k, _)| k.raw.to_string()));
        self.fields.clear();
        self.fields.extend(
            line.fields
                .iter()
                .map(|(k, v)| (k.raw.to_string(), v.field_type())),
        );
    }
}

/// Where a column's existing kind comes from, for the message.
enum Origin {
    Batch(u32),
    Stored,
    SameLine,
}

impl<'s> BatchValidator<'s> {
    pub fn new(precision: Precision, schema: Option<&'s dyn KnownSchema>) -> Self {
        BatchValidator {
            schema,
            precision,
            tables: BTreeMap::new(),
            last: Layout::default(),
            max_columns: usize::MAX,
        }
    }

    /// Refuses a line with more than `max` tags and fields at once, before its columns are looked
    /// at: such a line can never fit a table with a column limit of `max` (the server's catalog
    /// sets its own), and checking it would cost time in proportion to its size for nothing.
    pub fn with_max_columns(mut self, max: usize) -> Self {
        self.max_columns = max;
        self
    }

    pub fn precision(&self) -> Precision {
        self.precision
    }

    /// Validates one parsed line; on success returns its timestamp in ns (`default_time_ns` when the
    /// line has none) and remembers its column types for later lines.
    pub fn check(&mut self, line: &Line<'_>, default_time_ns: i64) -> Result<i64, Diagnostic> {
        let count = line.tags.len() + line.fields.len();
        if count > self.max_columns {
            return Err(self.too_many_columns(line, count));
        }
        if self.last.matches(line) {
            return self.time_of(line, default_time_ns);
        }
        let table = line.measurement.unescaped();
        let tags: Vec<Cow<'_, str>> = line.tags.iter().map(|(k, _)| k.unescaped()).collect();
        let fields: Vec<Cow<'_, str>> = line.fields.iter().map(|(k, _)| k.unescaped()).collect();
        let repeats = repeats(&tags, &fields);

        for (i, name) in tags.iter().enumerate() {
            let raw = line.tags[i].0.raw;
            self.check_reserved(line, raw, name)?;
            if let Some(j) = repeats[i].earlier {
                let first = column_of(line, line.tags[j].0.raw);
                return Err(error(
                    line,
                    raw,
                    ErrorKind::DuplicateTag,
                    format!("tag key '{name}' appears twice in this line (first at column {first}); keep one"),
                ));
            }
            if let Some((kind, origin)) = self.known(&table, name) {
                if kind != ColumnKind::Tag {
                    return Err(conflict(line, raw, name, kind, ColumnKind::Tag, origin));
                }
            }
        }
        for (i, name) in fields.iter().enumerate() {
            let raw = line.fields[i].0.raw;
            let got = ColumnKind::Field(line.fields[i].1.field_type());
            let repeat = repeats[tags.len() + i];
            self.check_reserved(line, raw, name)?;
            if let Some(j) = repeat.earlier {
                let first = column_of(line, line.fields[j].0.raw);
                return Err(error(
                    line,
                    raw,
                    ErrorKind::DuplicateField,
                    format!(
                        "invalid line protocol - multiple instances of '{name}' field found \
                         (first at column {first}); keep one"
                    ),
                ));
            }
            if repeat.also_tag {
                return Err(conflict(
                    line,
                    raw,
                    name,
                    ColumnKind::Tag,
                    got,
                    Origin::SameLine,
                ));
            }
            if let Some((kind, origin)) = self.known(&table, name) {
                if kind != got {
                    return Err(conflict(line, raw, name, kind, got, origin));
                }
            }
        }
        let time = self.time_of(line, default_time_ns)?;
        self.remember(line, table, &tags, &fields);
        self.last.record(line);
        Ok(time)
    }

    /// The error for a line with `count` tags and fields, more than `max_columns`: at the first
    /// key past the limit.
    fn too_many_columns(&self, line: &Line<'_>, count: usize) -> Diagnostic {
        let max = self.max_columns;
        let past = line
            .tags
            .iter()
            .map(|(k, _)| k)
            .chain(line.fields.iter().map(|(k, _)| k))
            .nth(max)
            .map_or(line.measurement.raw, |k| k.raw);
        error(
            line,
            past,
            ErrorKind::TooManyColumns,
            format!(
                "too many columns: this line has {count} tags and fields, more than the limit of \
                 {max} columns per table"
            ),
        )
    }

    /// The line's timestamp in ns under the batch's precision.
    fn time_of(&self, line: &Line<'_>, default_time_ns: i64) -> Result<i64, Diagnostic> {
        match line.timestamp {
            Some(ts) => self.precision.to_nanos(ts).map_err(|e| {
                let span = line.timestamp_span();
                let raw = &line.raw[span];
                error(line, raw, ErrorKind::TimestampOutOfRange, e.to_string())
            }),
            None => Ok(default_time_ns),
        }
    }

    fn check_reserved(&self, line: &Line<'_>, raw: &str, name: &str) -> Result<(), Diagnostic> {
        if name == TIME_COLUMN {
            return Err(error(
                line,
                raw,
                ErrorKind::ReservedColumn,
                String::from(
                    "'time' is a reserved column: it holds the line's timestamp, so no tag or \
                     field may be called 'time'",
                ),
            ));
        }
        Ok(())
    }

    /// The kind a column already has: from an earlier line of the batch, else from the schema.
    fn known(&self, table: &str, column: &str) -> Option<(ColumnKind, Origin)> {
        if let Some(seen) = self.tables.get(table).and_then(|t| t.get(column)) {
            return Some((seen.kind, Origin::Batch(seen.line)));
        }
        self.schema?
            .column(table, column)
            .map(|k| (k, Origin::Stored))
    }

    fn remember(
        &mut self,
        line: &Line<'_>,
        table: Cow<'_, str>,
        tags: &[Cow<'_, str>],
        fields: &[Cow<'_, str>],
    ) {
        let columns = match self.tables.get_mut(table.as_ref()) {
            Some(columns) => columns,
            None => self.tables.entry(table.into_owned()).or_default(),
        };
        let kinds = tags.iter().map(|t| (t, ColumnKind::Tag)).chain(
            fields
                .iter()
                .zip(&line.fields)
                .map(|(f, (_, v))| (f, ColumnKind::Field(v.field_type()))),
        );
        for (name, kind) in kinds {
            if !columns.contains_key(name.as_ref()) {
                columns.insert(
                    name.to_string(),
                    Seen {
                        kind,
                        line: line.line_number,
                    },
                );
            }
        }
    }
}

/// Where a column's name first appears in its line.
#[derive(Debug, Clone, Copy, Default)]
struct Repeat {
    /// Index (among the tags for a tag, the fields for a field) of the first earlier column of
    /// the same kind with this name.
    earlier: Option<usize>,
    /// For a field: a tag of the line has the same name.
    also_tag: bool,
}

/// One `Repeat` per column, tags then fields, found by sorting the names: a line's columns are
/// compared in O(n log n), not pairwise (a line with 150,000 fields took half a minute that way).
fn repeats(tags: &[Cow<'_, str>], fields: &[Cow<'_, str>]) -> Vec<Repeat> {
    let n = tags.len() + fields.len();
    let name = |i: usize| -> &str {
        match tags.get(i) {
            Some(t) => t,
            None => &fields[i - tags.len()],
        }
    };
    let mut order: Vec<usize> = (0..n).collect();
    // Tags come before fields in this index space, so within a run of equal names the tags come
    // first and each kind is in line order.
    order.sort_unstable_by(|&a, &b| name(a).cmp(name(b)).then(a.cmp(&b)));
    let mut out = alloc::vec![Repeat::default(); n];
    for group in order.chunk_by(|&a, &b| name(a) == name(b)) {
        let first_tag = group.iter().copied().find(|&i| i < tags.len());
        let first_field = group.iter().copied().find(|&i| i >= tags.len());
        for &i in group {
            out[i] = if i < tags.len() {
                Repeat {
                    earlier: first_tag.filter(|&f| f != i),
                    also_tag: false,
                }
            } else {
                Repeat {
                    earlier: first_field.filter(|&f| f != i).map(|f| f - tags.len()),
                    also_tag: first_tag.is_some(),
                }
            };
        }
    }
    out
}

/// 1-based character column of `part` (a slice of `line.raw`) on its physical line.
fn column_of(line: &Line<'_>, part: &str) -> u32 {
    let at = line.span_of(part).start;
    let before = &line.raw[..at];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    1 + before[line_start..].chars().count() as u32
}

fn error(line: &Line<'_>, part: &str, kind: ErrorKind, message: String) -> Diagnostic {
    let span = line.span_of(part);
    let span = if span.is_empty() {
        span.start..span.start + 1
    } else {
        span
    };
    Diagnostic::locate(
        line.raw.as_bytes(),
        line.offset,
        line.line_number,
        line.raw.len(),
        span,
        kind,
        message,
    )
}

/// InfluxDB's schema-conflict text, plus where the existing type was seen.
fn conflict(
    line: &Line<'_>,
    raw: &str,
    name: &str,
    expected: ColumnKind,
    got: ColumnKind,
    origin: Origin,
) -> Diagnostic {
    let context = match origin {
        Origin::Batch(n) => format!("first seen as {} on line {n}", describe(expected)),
        Origin::Stored => format!("stored as {}", describe(expected)),
        Origin::SameLine => format!("also a {} in this line", describe(expected)),
    };
    let kind = match (expected, got) {
        (ColumnKind::Field(_), ColumnKind::Field(_)) => ErrorKind::TypeConflict,
        (ColumnKind::Time, _) => ErrorKind::ReservedColumn,
        _ => ErrorKind::ColumnKindConflict,
    };
    error(
        line,
        raw,
        kind,
        format!(
            "invalid column type for column '{name}', expected {}, got {} ({context})",
            expected.iox_name(),
            got.iox_name()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_lines;
    use alloc::vec;
    use proptest::prelude::*;

    /// Lines from a small vocabulary, so that layouts repeat, clash and conflict often.
    fn line() -> impl Strategy<Value = String> {
        let measurement = prop::sample::select(vec!["m", "n", "m\\ x"]);
        let tags = prop::collection::vec(prop::sample::select(vec!["a", "b", "time", "f"]), 0..3);
        let value = prop::sample::select(vec!["1", "1i", "1u", "t", "\"s\""]);
        let fields = prop::collection::vec(
            (prop::sample::select(vec!["f", "g", "a", "time"]), value),
            1..3,
        );
        let timestamp = prop::sample::select(vec!["", " 1", " 9223372036854775807"]);
        (measurement, tags, fields, timestamp).prop_map(|(m, tags, fields, ts)| {
            let mut out = String::from(m);
            for t in tags {
                out += &format!(",{t}=v");
            }
            let fields: Vec<String> = fields.iter().map(|(k, v)| format!("{k}={v}")).collect();
            format!("{out} {}{ts}", fields.join(","))
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        /// The layout shortcut gives exactly the answers of the full checks.
        #[test]
        fn the_layout_shortcut_changes_no_answer(lines in prop::collection::vec(line(), 1..12)) {
            let input = lines.join("\n");
            let mut cached = BatchValidator::new(Precision::Second, None);
            let mut full = BatchValidator::new(Precision::Second, None);
            for parsed in parse_lines(input.as_bytes()) {
                let Ok(line) = parsed else { continue };
                full.last = Layout::default();
                let a = cached.check(&line, 0).map_err(|d| d.to_string());
                let b = full.check(&line, 0).map_err(|d| d.to_string());
                prop_assert_eq!(a, b, "line {}", line.raw);
            }
        }
    }

    #[test]
    fn a_repeated_layout_with_another_field_type_is_still_a_conflict() {
        let input = b"m,a=1 f=1 1\nm,a=2 f=2 2\nm,a=3 f=\"x\" 3\nm,a=4 f=3 99999999999999999\n";
        let mut v = BatchValidator::new(Precision::Second, None);
        let results: Vec<Result<i64, String>> = parse_lines(input)
            .map(|l| v.check(&l.unwrap(), 0).map_err(|d| d.to_string()))
            .collect();
        assert_eq!(results[0], Ok(1_000_000_000));
        assert_eq!(results[1], Ok(2_000_000_000));
        let conflict = results[2].as_ref().unwrap_err();
        assert!(
            conflict.contains("first seen as float field on line 1"),
            "{conflict}"
        );
        assert!(
            results[3].is_err(),
            "the timestamp of a cached layout is still checked"
        );
    }
}
