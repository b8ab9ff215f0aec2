//! Batch schema checks: a column's type must not change within a batch, nor against stored schema.
use alloc::borrow::Cow;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::convert::Infallible;
use core::hash::{Hash, Hasher};

use rustc_hash::{FxBuildHasher, FxHasher};

use crate::convert::{a_type, convert_value, example};
use crate::{
    ColumnKind, Diagnostic, ErrorKind, FieldType, FieldValue, KnownSchema, Line, Precision,
    TIME_COLUMN,
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

/// Hash maps with a fast, deterministic hasher: lookups cost one hash and one compare, where an
/// ordered map of string keys compares at every level (and wasm32's `memcmp` goes byte by byte).
type Map<K, V> = hashbrown::HashMap<K, V, FxBuildHasher>;

/// Distinct layouts remembered at most: enough for any real mix of measurements, and a bound on
/// the memory of an input whose every line has a layout of its own.
const MAX_LAYOUTS: usize = 1024;

/// A column a line adds: new to the batch and unknown to the [`KnownSchema`]. Names unescaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewColumn {
    pub name: String,
    pub kind: ColumnKind,
}

/// Why a line was turned down.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection<R> {
    /// The record does not parse (the `Line` it was parsed into holds nothing of it).
    Syntax(Diagnostic),
    /// The line parsed but is invalid: a conflict with the batch or the stored schema, a reserved
    /// or repeated name, a timestamp out of range.
    Invalid(Diagnostic),
    /// The line is valid, but the caller refused the columns it adds (a catalog limit).
    Refused(R),
}

/// Checks lines one after another against earlier lines of the batch and against a `KnownSchema`:
/// type conflicts (naming both types and the earlier line), tag/field name clashes, duplicate keys,
/// the reserved column `time`, and the timestamp conversion under `precision`.
/// A rejected line leaves no trace: later lines are checked against accepted lines only.
pub struct BatchValidator<'s> {
    schema: Option<&'s dyn KnownSchema>,
    precision: Precision,
    tables: Map<String, Map<String, Seen>>,
    /// Every accepted layout (up to `MAX_LAYOUTS`), by `layout_hash`.
    layouts: Map<u64, Layout>,
    /// The same layouts by `set_hash`, for lines that list the columns of an accepted line in
    /// another order (writers that build lines from a map do).
    sets: Map<u64, Layout>,
    /// The hash of the last accepted line's layout: the next line most often repeats it.
    last: Option<u64>,
    /// The columns the last accepted line added.
    added: Vec<NewColumn>,
    /// Columns (tags, then fields, by index) of the line being checked that this batch has not
    /// seen yet: all that [`BatchValidator::remember`] has to record.
    unseen: Vec<usize>,
    max_columns: usize,
}

/// The names (as written) and kinds of an accepted line's columns. Lines of a batch mostly
/// repeat a few layouts, and a line with the layout of an accepted line passes every column check
/// that line passed: its names hold no duplicates, no `time` and no tag/field clash, and every
/// column is remembered with the kind it has (columns are never forgotten nor change kind). Such
/// a line skips the per-column checks, which otherwise cost several times its parse.
#[derive(Default)]
struct Layout {
    measurement: String,
    tags: Vec<String>,
    fields: Vec<(String, FieldType)>,
}

impl Layout {
    fn of(line: &Line<'_>) -> Layout {
        Layout {
            measurement: line.measurement.raw.to_string(),
            tags: line.tags.iter().map(|(k, _)| k.raw.to_string()).collect(),
            fields: line
                .fields
                .iter()
                .map(|(k, v)| (k.raw.to_string(), v.field_type()))
                .collect(),
        }
    }

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
}

impl Layout {
    /// Whether `line` has exactly this layout's columns, in any order: a one-to-one match, so
    /// a line naming one column twice never passes for a layout that has it once.
    fn same_columns(&self, line: &Line<'_>) -> bool {
        if self.measurement != line.measurement.raw
            || self.tags.len() != line.tags.len()
            || self.fields.len() != line.fields.len()
            || self.tags.len() + self.fields.len() > 64
        {
            return false;
        }
        let mut taken = 0u64;
        let mut take = |j: usize| {
            let bit = 1u64 << j;
            let free = taken & bit == 0;
            taken |= bit;
            free
        };
        let tags_match = line.tags.iter().all(|(k, _)| {
            self.tags
                .iter()
                .position(|t| t == k.raw)
                .is_some_and(&mut take)
        });
        let width = self.tags.len();
        tags_match
            && line.fields.iter().all(|(k, v)| {
                let t = v.field_type();
                self.fields
                    .iter()
                    .position(|(f, ft)| f == k.raw && *ft == t)
                    .is_some_and(|j| take(width + j))
            })
    }
}

/// A hash of the columns `Layout::same_columns` compares, whatever their order: the sum of one
/// hash per column.
fn set_hash(line: &Line<'_>) -> u64 {
    let one = |tag: bool, name: &str, t: u8| {
        let mut h = FxHasher::default();
        h.write_u8(u8::from(tag));
        name.hash(&mut h);
        h.write_u8(t);
        h.finish()
    };
    let mut h = FxHasher::default();
    line.measurement.raw.hash(&mut h);
    let tags = line.tags.iter().map(|(k, _)| one(true, k.raw, 0));
    let fields = line
        .fields
        .iter()
        .map(|(k, v)| one(false, k.raw, v.field_type() as u8 + 1));
    tags.chain(fields)
        .fold(h.finish(), |sum, column| sum.wrapping_add(column))
}

/// A hash of what `Layout::matches` compares.
fn layout_hash(line: &Line<'_>) -> u64 {
    let mut h = FxHasher::default();
    line.measurement.raw.hash(&mut h);
    h.write_usize(line.tags.len());
    for (k, _) in &line.tags {
        k.raw.hash(&mut h);
    }
    for (k, v) in &line.fields {
        k.raw.hash(&mut h);
        h.write_u8(v.field_type() as u8);
    }
    h.finish()
}

/// Where a column's existing kind comes from, for the message.
#[derive(Clone, Copy)]
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
            tables: Map::default(),
            layouts: Map::default(),
            sets: Map::default(),
            last: None,
            added: Vec::new(),
            unseen: Vec::new(),
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
        self.check_admitted(line, default_time_ns, |_, _| Ok::<(), Infallible>(()))
            .map_err(|rejection| match rejection {
                Rejection::Syntax(d) | Rejection::Invalid(d) => d,
                Rejection::Refused(never) => match never {},
            })
    }

    /// `check`, and before a valid line that adds columns is remembered, `admit` is asked
    /// whether it may add them ([`NewColumn`]s, in line order). A refused line leaves no trace,
    /// as an invalid one. `admit` is not called for lines that add nothing.
    pub fn check_admitted<R>(
        &mut self,
        line: &Line<'_>,
        default_time_ns: i64,
        admit: impl FnOnce(&Line<'_>, &[NewColumn]) -> Result<(), R>,
    ) -> Result<i64, Rejection<R>> {
        let count = line.tags.len() + line.fields.len();
        if count > self.max_columns {
            return Err(Rejection::Invalid(self.too_many_columns(line, count)));
        }
        if self.known_layout(line) {
            self.added.clear();
            return self
                .time_of(line, default_time_ns)
                .map_err(Rejection::Invalid);
        }
        self.check_columns(line).map_err(Rejection::Invalid)?;
        let time = self
            .time_of(line, default_time_ns)
            .map_err(Rejection::Invalid)?;
        if !self.added.is_empty() {
            admit(line, &self.added).map_err(Rejection::Refused)?;
        }
        self.remember(line);
        Ok(time)
    }

    /// Whether the columns `later` (a validator that checked a later part of the same input on
    /// its own) remembered agree with this one's: each has the same kind here, or none. Then the
    /// lines `later` accepted would be accepted after this one's lines too, with the same times;
    /// its invalid lines may not get the same verdict (their messages name earlier lines).
    pub fn agrees_with(&self, later: &BatchValidator<'_>) -> bool {
        later
            .tables
            .iter()
            .all(|(table, columns)| match self.tables.get(table) {
                None => true,
                Some(mine) => columns
                    .iter()
                    .all(|(c, seen)| mine.get(c).is_none_or(|m| m.kind == seen.kind)),
            })
    }

    /// The columns the last accepted line added (empty when it added none).
    pub fn added(&self) -> &[NewColumn] {
        &self.added
    }

    /// Whether `line` has the layout of an accepted line; the last one's is tried first.
    fn known_layout(&mut self, line: &Line<'_>) -> bool {
        if let Some(layout) = self.last.and_then(|h| self.layouts.get(&h)) {
            if layout.matches(line) {
                return true;
            }
        }
        let h = layout_hash(line);
        if self.layouts.get(&h).is_some_and(|l| l.matches(line)) {
            self.last = Some(h);
            return true;
        }
        self.sets
            .get(&set_hash(line))
            .is_some_and(|l| l.same_columns(line))
    }

    /// The per-column checks of a line whose layout is new; fills `added`.
    fn check_columns(&mut self, line: &Line<'_>) -> Result<(), Diagnostic> {
        self.added.clear();
        self.unseen.clear();
        let table = line.measurement.unescaped();
        // The table's columns are looked up once for the line, not once per column.
        let seen = self.tables.get(table.as_ref());
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
            let known = match seen.and_then(|t| t.get(name.as_ref())) {
                Some(s) => Some((s.kind, Origin::Batch(s.line))),
                None => {
                    self.unseen.push(i);
                    stored(self.schema, &table, name)
                }
            };
            match known {
                Some((kind, origin)) if kind != ColumnKind::Tag => {
                    let value = line.tags[i].1.raw;
                    let here = Here::Tag(value);
                    return Err(conflict(line, raw, name, kind, here, origin));
                }
                Some(_) => {}
                None => self.added.push(NewColumn {
                    name: name.to_string(),
                    kind: ColumnKind::Tag,
                }),
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
            let here = || Here::Field(&line.fields[i].1, &line.raw[line.field_value_span(i)]);
            if repeat.also_tag {
                return Err(conflict(
                    line,
                    raw,
                    name,
                    ColumnKind::Tag,
                    here(),
                    Origin::SameLine,
                ));
            }
            let known = match seen.and_then(|t| t.get(name.as_ref())) {
                Some(s) => Some((s.kind, Origin::Batch(s.line))),
                None => {
                    self.unseen.push(tags.len() + i);
                    stored(self.schema, &table, name)
                }
            };
            match known {
                Some((kind, origin)) if kind != got => {
                    return Err(conflict(line, raw, name, kind, here(), origin));
                }
                Some(_) => {}
                None => self.added.push(NewColumn {
                    name: name.to_string(),
                    kind: got,
                }),
            }
        }
        Ok(())
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

    /// Remembers the kinds of the columns of an accepted line that the batch had not seen
    /// (`check_columns` listed them), and its layout.
    fn remember(&mut self, line: &Line<'_>) {
        if !self.unseen.is_empty() {
            let table = line.measurement.unescaped();
            let columns = match self.tables.get_mut(table.as_ref()) {
                Some(columns) => columns,
                None => self.tables.entry(table.into_owned()).or_default(),
            };
            for &i in &self.unseen {
                let (key, kind) = match line.tags.get(i) {
                    Some((k, _)) => (k, ColumnKind::Tag),
                    None => {
                        let (k, v) = &line.fields[i - line.tags.len()];
                        (k, ColumnKind::Field(v.field_type()))
                    }
                };
                columns.insert(
                    key.unescaped().into_owned(),
                    Seen {
                        kind,
                        line: line.line_number,
                    },
                );
            }
        }
        let h = layout_hash(line);
        if self.layouts.len() < MAX_LAYOUTS {
            self.layouts.entry(h).or_insert_with(|| Layout::of(line));
        }
        if self.sets.len() < MAX_LAYOUTS {
            self.sets
                .entry(set_hash(line))
                .or_insert_with(|| Layout::of(line));
        }
        self.last = Some(h);
    }
}

/// A column's kind in the known schema.
fn stored(
    schema: Option<&dyn KnownSchema>,
    table: &str,
    column: &str,
) -> Option<(ColumnKind, Origin)> {
    schema?.column(table, column).map(|k| (k, Origin::Stored))
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

/// One `Repeat` per column, tags then fields, found by sorting: a line's columns are compared in
/// O(n log n), not pairwise (a line with 150,000 fields took half a minute that way). The sort is
/// of the names' hashes, so strings are compared only where two hashes are equal — nearly never
/// but for a real repeat.
fn repeats(tags: &[Cow<'_, str>], fields: &[Cow<'_, str>]) -> Vec<Repeat> {
    let n = tags.len() + fields.len();
    let name = |i: usize| -> &str {
        match tags.get(i) {
            Some(t) => t,
            None => &fields[i - tags.len()],
        }
    };
    let mut hashed: Vec<(u64, usize)> = (0..n)
        .map(|i| {
            let mut h = FxHasher::default();
            name(i).hash(&mut h);
            (h.finish(), i)
        })
        .collect();
    hashed.sort_unstable();
    // A name whose hash no other column shares is unique: its `Repeat` stays the default.
    let mut out = alloc::vec![Repeat::default(); n];
    let mut order = Vec::new();
    for same_hash in hashed.chunk_by(|a, b| a.0 == b.0).filter(|g| g.len() > 1) {
        order.clear();
        order.extend(same_hash.iter().map(|&(_, i)| i));
        // Tags come before fields in this index space, so within a run of equal names the tags
        // come first and each kind is in line order.
        order.sort_unstable_by(|&a, &b| name(a).cmp(name(b)).then(a.cmp(&b)));
        mark_repeats(&order, tags.len(), &name, &mut out);
    }
    out
}

/// Fills `out` for `order`, column indexes sorted by name and then index.
fn mark_repeats<'n>(
    order: &[usize],
    tags: usize,
    name: &impl Fn(usize) -> &'n str,
    out: &mut [Repeat],
) {
    for group in order.chunk_by(|&a, &b| name(a) == name(b)) {
        let first_tag = group.iter().copied().find(|&i| i < tags);
        let first_field = group.iter().copied().find(|&i| i >= tags);
        for &i in group {
            out[i] = if i < tags {
                Repeat {
                    earlier: first_tag.filter(|&f| f != i),
                    also_tag: false,
                }
            } else {
                Repeat {
                    earlier: first_field.filter(|&f| f != i).map(|f| f - tags),
                    also_tag: first_tag.is_some(),
                }
            };
        }
    }
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

/// What the conflicting column is in the line: a tag with its value, or a field with its value
/// (decoded, and as written).
#[derive(Clone, Copy)]
enum Here<'l, 'a> {
    Tag(&'l str),
    Field(&'l FieldValue<'a>, &'l str),
}

impl Here<'_, '_> {
    fn kind(self) -> ColumnKind {
        match self {
            Here::Tag(_) => ColumnKind::Tag,
            Here::Field(v, _) => ColumnKind::Field(v.field_type()),
        }
    }
}

/// Longest value repeated in a plain conflict message, in characters.
const MAX_SHOWN_VALUE: usize = 40;

fn shown(text: &str) -> Cow<'_, str> {
    match text.char_indices().nth(MAX_SHOWN_VALUE) {
        Some((cut, _)) => Cow::Owned(format!("{}…", &text[..cut])),
        None => Cow::Borrowed(text),
    }
}

/// InfluxDB's schema-conflict text, plus where the existing type was seen; and the same told
/// for a person (`Diagnostic::plain_message`).
fn conflict(
    line: &Line<'_>,
    raw: &str,
    name: &str,
    expected: ColumnKind,
    here: Here<'_, '_>,
    origin: Origin,
) -> Diagnostic {
    let got = here.kind();
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
    let sentence = format!(
        "invalid column type for column '{name}', expected {}, got {}",
        expected.iox_name(),
        got.iox_name()
    );
    let influx_len = sentence.len();
    let table = line.measurement.unescaped();
    let d = error(line, raw, kind, format!("{sentence} ({context})"))
        .with_influx_sentence(influx_len)
        .with_plain(plain_conflict(name, &table, expected, here, origin));
    match (expected, here) {
        (ColumnKind::Field(t), Here::Field(value, written)) => {
            match convert_value(value, written, t) {
                Some(text) => {
                    let at = line.span_of(written);
                    d.with_suggestion(line.offset + at.start..line.offset + at.end, text)
                }
                None => d,
            }
        }
        _ => d,
    }
}

/// A schema conflict for a person: what the column is and where that was seen, what this value
/// is, and what would fit.
fn plain_conflict(
    name: &str,
    table: &str,
    expected: ColumnKind,
    here: Here<'_, '_>,
    origin: Origin,
) -> String {
    let is = match (origin, expected) {
        (Origin::SameLine, _) => {
            return format!(
                "'{name}' is both a tag and a field in this line; a name is one or the other in a \
                 table: rename the field or the tag"
            )
        }
        (_, ColumnKind::Time) => {
            return format!(
            "'{name}' is the column that holds each line's timestamp; give this {} another name",
            describe(here.kind())
        )
        }
        (Origin::Batch(n), ColumnKind::Tag) => {
            format!("column '{name}' of '{table}' is a tag (first seen on line {n})")
        }
        (Origin::Batch(n), ColumnKind::Field(t)) => {
            format!(
                "column '{name}' of '{table}' is {} field (first seen on line {n})",
                a_type(t)
            )
        }
        (Origin::Stored, ColumnKind::Tag) => {
            format!("column '{name}' of '{table}' is stored as a tag in the database")
        }
        (Origin::Stored, ColumnKind::Field(t)) => {
            format!(
                "column '{name}' of '{table}' is stored as {} field in the database",
                a_type(t)
            )
        }
    };
    let this = match here {
        Here::Tag(value) => format!("here it is a tag (value {})", shown(value)),
        Here::Field(value, written) => format!(
            "this value, {}, is {}",
            shown(written),
            a_type(value.field_type())
        ),
    };
    let fits = match (expected, here) {
        (ColumnKind::Field(t), Here::Field(value, written)) => {
            match convert_value(value, written, t) {
                Some(exact) => format!("{} fits: {}", a_type(t), shown(&exact)),
                None => format!("{} fits, such as {}", a_type(t), example(t)),
            }
        }
        (ColumnKind::Field(t), Here::Tag(_)) => format!(
            "write it as a field ({}, such as {name}={}) or give the tag another name",
            a_type(t),
            example(t)
        ),
        _ => String::from(
            "move it to the tag set (after the measurement, before the space) or give the field \
             another name",
        ),
    };
    format!("{is}; {this}; {fits}")
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
                full.layouts.clear();
                full.sets.clear();
                full.last = None;
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

    #[test]
    fn columns_in_another_order_take_the_shortcut_and_lose_no_check() {
        let input = b"m,t=1 a=1,b=2i 1\nm,t=1 b=3i,a=4 2\nm,t=1 b=3,a=4 3\nm,t=1 a=1,a=2 4\n\
            m,t=1 b=1i,t=2 5\n";
        let lines: Vec<Line<'_>> = parse_lines(input).map(Result::unwrap).collect();
        let mut v = BatchValidator::new(Precision::Second, None);
        let mut check = |i: usize| v.check(&lines[i], 0).map_err(|d| d.to_string());
        assert_eq!(check(0), Ok(1_000_000_000));
        assert_eq!(check(1), Ok(2_000_000_000));
        let conflict = check(2).unwrap_err();
        assert!(
            conflict.contains("first seen as integer field on line 1"),
            "{conflict}"
        );
        let twice = check(3).unwrap_err();
        assert!(twice.contains("multiple instances of 'a'"), "{twice}");
        let clash = check(4).unwrap_err();
        assert!(clash.contains("'t'"), "{clash}");
        // The reordered line was answered by the set of columns, not by the full checks.
        assert!(v.sets.contains_key(&set_hash(&lines[1])));
        assert!(!v.layouts.contains_key(&layout_hash(&lines[1])));
    }

    /// The messages of the rejected lines of `input`: (InfluxDB's text, the plain text).
    fn rejected(input: &str, schema: Option<&dyn KnownSchema>) -> Vec<(String, String)> {
        let mut v = BatchValidator::new(Precision::Second, schema);
        parse_lines(input.as_bytes())
            .filter_map(|l| v.check(&l.unwrap(), 0).err())
            .map(|d| {
                (
                    d.influx_message().into_owned(),
                    String::from(d.plain_message()),
                )
            })
            .collect()
    }

    #[test]
    fn a_conflict_is_told_plainly_for_people_and_in_influxdbs_words_for_the_api() {
        let got = rejected("home,room=K temp=21.5 1\nhome,room=K temp=21i 2\n", None);
        assert_eq!(
            got,
            [(
                String::from(
                    "invalid column type for column 'temp', expected \
                     iox::column_type::field::float, got iox::column_type::field::integer"
                ),
                String::from(
                    "column 'temp' of 'home' is a float field (first seen on line 1); this \
                     value, 21i, is an integer; a float fits: 21.0"
                ),
            )]
        );
        let got = rejected("m f=1i 1\nm f=\"hi\" 2\nm,f=x g=1 3\nm f=2i,f=3i 4\n", None);
        assert_eq!(
            got.iter().map(|(_, p)| p.as_str()).collect::<Vec<_>>(),
            [
                "column 'f' of 'm' is an integer field (first seen on line 1); this value, \
                 \"hi\", is a string; an integer fits, such as 1i",
                "column 'f' of 'm' is an integer field (first seen on line 1); here it is a tag \
                 (value x); write it as a field (an integer, such as f=1i) or give the tag \
                 another name",
                "invalid line protocol - multiple instances of 'f' field found (first at column \
                 3); keep one",
            ]
        );
        for (_, plain) in &got {
            assert!(!plain.contains("iox::"), "{plain}");
        }
    }

    #[test]
    fn a_conflict_with_the_stored_schema_says_so() {
        let mut known = crate::KnownColumns::default();
        known.insert("home", "temp", ColumnKind::Field(FieldType::Float));
        known.insert("home", "room", ColumnKind::Tag);
        let got = rejected(
            "home,room=K temp=\"warm\" 1\nhome room=3i 2\nhome,temp=x t=1\n",
            Some(&known as &dyn KnownSchema),
        );
        assert_eq!(
            got.iter().map(|(_, p)| p.as_str()).collect::<Vec<_>>(),
            [
                "column 'temp' of 'home' is stored as a float field in the database; this \
                 value, \"warm\", is a string; a float fits, such as 1.5",
                "column 'room' of 'home' is stored as a tag in the database; this value, 3i, is \
                 an integer; move it to the tag set (after the measurement, before the space) or \
                 give the field another name",
                "column 'temp' of 'home' is stored as a float field in the database; here it is \
                 a tag (value x); write it as a field (a float, such as temp=1.5) or give the tag \
                 another name",
            ]
        );
        assert!(got[0]
            .0
            .starts_with("invalid column type for column 'temp', expected iox::"));
    }
}
