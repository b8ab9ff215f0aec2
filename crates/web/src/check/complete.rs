//! Completion: what can come next at the caret, from the stored schema and from the document.
//! The core says where the caret stands ([`linewise_core::complete::context`]); this gathers the
//! names to offer and writes each as the text to insert, escaped as the writer escapes, with the
//! type suffix a field's column needs.
use std::collections::{BTreeMap, BTreeSet};

use linewise_core::complete::{context, escape, Context, Place};
use linewise_core::{parse_lines, ColumnKind, FieldType, FieldValue, KnownColumns, Line};

/// Tag values remembered per tag key: enough to pick from, bounded for a document of millions.
const MAX_VALUES: usize = 50;
/// Suggestions shown at most.
const MAX_ITEMS: usize = 12;

/// Names the document uses, per measurement.
#[derive(Debug, Default)]
pub struct Names {
    tables: BTreeMap<String, Table>,
}

#[derive(Debug, Default)]
struct Table {
    tags: BTreeMap<String, BTreeSet<String>>,
    fields: BTreeMap<String, FieldType>,
}

impl Names {
    /// The names in `text` (some lines of the document: completion reads the start and the
    /// lines around the caret, not millions of lines per keystroke).
    pub fn read(&mut self, text: &str) {
        let mut lines = parse_lines(text.as_bytes());
        let mut line = Line::new();
        while let Some(r) = lines.next_into(&mut line) {
            if r.is_ok() {
                self.add(&line);
            }
        }
    }

    fn add(&mut self, line: &Line<'_>) {
        let table = self
            .tables
            .entry(line.measurement.unescaped().into_owned())
            .or_default();
        for (k, v) in &line.tags {
            let values = table.tags.entry(k.unescaped().into_owned()).or_default();
            if values.len() < MAX_VALUES {
                values.insert(v.unescaped().into_owned());
            }
        }
        for (k, v) in &line.fields {
            let t = match v {
                FieldValue::Float(_) => FieldType::Float,
                FieldValue::Integer(_) => FieldType::Integer,
                FieldValue::UInteger(_) => FieldType::UInteger,
                FieldValue::String(_) => FieldType::String,
                FieldValue::Boolean(_) => FieldType::Boolean,
            };
            table.fields.entry(k.unescaped().into_owned()).or_insert(t);
        }
    }
}

/// One completion: what the list shows and what accepting it does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub label: String,
    /// What it is: `tag`, `float field`, `measurement`, with `stored` when the server has it.
    pub detail: String,
    /// Replaces the typed part of the name.
    pub insert: String,
    /// Bytes from the end of `insert` back to where the caret goes (inside `i`, `""`).
    pub caret_back: usize,
}

/// The completions at byte `caret` of `line`, and the line's byte range they replace.
pub fn complete(
    line: &str,
    caret: usize,
    names: &Names,
    stored: &KnownColumns,
) -> (std::ops::Range<usize>, Vec<Item>) {
    let c = context(line, caret);
    let items = match &c.place {
        Place::Measurement => measurements(&c, names, stored),
        Place::TagKey => tag_keys(&c, names, stored),
        Place::TagValue { key } => tag_values(&c, key, names),
        Place::FieldKey => field_keys(&c, names, stored),
        Place::FieldValue { key } => field_values(&c, key, names, stored),
        Place::Timestamp | Place::None => Vec::new(),
    };
    let mut items: Vec<Item> = items
        .into_iter()
        .filter(|i| starts_with_ignoring_case(&i.label, &c.typed) && i.label != c.typed)
        .collect();
    items.truncate(MAX_ITEMS);
    (c.range, items)
}

fn starts_with_ignoring_case(label: &str, typed: &str) -> bool {
    label
        .chars()
        .flat_map(char::to_lowercase)
        .zip(typed.chars().flat_map(char::to_lowercase))
        .all(|(a, b)| a == b)
        && label.chars().count() >= typed.chars().count()
}

/// The stored columns of `table`.
fn stored_columns<'a>(
    stored: &'a KnownColumns,
    table: &str,
) -> impl Iterator<Item = (&'a str, ColumnKind)> + 'a {
    stored
        .tables()
        .find(|(t, _)| *t == table)
        .into_iter()
        .flat_map(|(_, columns)| columns)
}

fn measurements(c: &Context, names: &Names, stored: &KnownColumns) -> Vec<Item> {
    let stored_names: BTreeSet<&str> = stored.tables().map(|(t, _)| t).collect();
    let all: BTreeSet<&str> = names
        .tables
        .keys()
        .map(String::as_str)
        .chain(stored_names.iter().copied())
        .collect();
    all.into_iter()
        .map(|t| Item {
            label: t.to_owned(),
            detail: with_stored("measurement", stored_names.contains(t)),
            insert: escape(t, &c.place),
            caret_back: 0,
        })
        .collect()
}

fn tag_keys(c: &Context, names: &Names, stored: &KnownColumns) -> Vec<Item> {
    let stored_tags: BTreeSet<&str> = stored_columns(stored, &c.measurement)
        .filter(|(_, k)| *k == ColumnKind::Tag)
        .map(|(n, _)| n)
        .collect();
    let doc = names.tables.get(&c.measurement);
    let all: BTreeSet<&str> = doc
        .into_iter()
        .flat_map(|t| t.tags.keys().map(String::as_str))
        .chain(stored_tags.iter().copied())
        .filter(|k| !c.tags.iter().any(|seen| seen == k))
        .collect();
    all.into_iter()
        .map(|k| Item {
            label: k.to_owned(),
            detail: with_stored("tag", stored_tags.contains(k)),
            insert: format!("{}=", escape(k, &c.place)),
            caret_back: 0,
        })
        .collect()
}

fn tag_values(c: &Context, key: &str, names: &Names) -> Vec<Item> {
    let values = names
        .tables
        .get(&c.measurement)
        .and_then(|t| t.tags.get(key));
    values
        .into_iter()
        .flatten()
        .map(|v| Item {
            label: v.clone(),
            detail: format!("value of {key}"),
            insert: escape(v, &c.place),
            caret_back: 0,
        })
        .collect()
}

/// Field types by key for the record's measurement: the stored type wins (the server enforces it).
fn field_types<'a>(
    c: &Context,
    names: &'a Names,
    stored: &'a KnownColumns,
) -> BTreeMap<String, (FieldType, bool)> {
    let mut out: BTreeMap<String, (FieldType, bool)> = names
        .tables
        .get(&c.measurement)
        .into_iter()
        .flat_map(|t| t.fields.iter().map(|(k, t)| (k.clone(), (*t, false))))
        .collect();
    for (name, kind) in stored_columns(stored, &c.measurement) {
        if let ColumnKind::Field(t) = kind {
            out.insert(name.to_owned(), (t, true));
        }
    }
    out
}

fn field_keys(c: &Context, names: &Names, stored: &KnownColumns) -> Vec<Item> {
    field_types(c, names, stored)
        .into_iter()
        .filter(|(k, _)| !c.fields.iter().any(|seen| seen == k))
        .map(|(k, (t, is_stored))| {
            let (suffix, caret_back) = match t {
                FieldType::Float | FieldType::Boolean => ("", 0),
                FieldType::Integer => ("i", 1),
                FieldType::UInteger => ("u", 1),
                FieldType::String => ("\"\"", 1),
            };
            Item {
                detail: with_stored(&format!("{} field", t.as_str()), is_stored),
                insert: format!("{}={suffix}", escape(&k, &c.place)),
                label: k,
                caret_back,
            }
        })
        .collect()
}

fn field_values(c: &Context, key: &str, names: &Names, stored: &KnownColumns) -> Vec<Item> {
    match field_types(c, names, stored).get(key) {
        Some((FieldType::Boolean, _)) => ["true", "false"]
            .into_iter()
            .map(|v| Item {
                label: v.into(),
                detail: "boolean".into(),
                insert: v.into(),
                caret_back: 0,
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn with_stored(what: &str, stored: bool) -> String {
    if stored {
        format!("{what} · stored")
    } else {
        what.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored() -> KnownColumns {
        let mut k = KnownColumns::default();
        k.insert("home", "room", ColumnKind::Tag);
        k.insert("home", "temp", ColumnKind::Field(FieldType::Float));
        k.insert("home", "co", ColumnKind::Field(FieldType::Integer));
        k.insert("home", "time", ColumnKind::Time);
        k
    }

    fn labels(line: &str, names: &Names) -> Vec<String> {
        let (_, items) = complete(line, line.len(), names, &stored());
        items.into_iter().map(|i| i.label).collect()
    }

    #[test]
    fn offers_measurements_tags_and_fields_from_the_stored_schema() {
        let names = Names::default();
        assert_eq!(labels("h", &names), ["home"]);
        assert_eq!(labels("home,", &names), ["room"]);
        assert_eq!(labels("home,room=K ", &names), ["co", "temp"]);
        assert_eq!(labels("home,room=K temp=1,", &names), ["co"]);
        let (range, items) = complete("home,room=K c", 13, &names, &stored());
        assert_eq!(range, 12..13);
        assert_eq!(
            items[0],
            Item {
                label: "co".into(),
                detail: "integer field · stored".into(),
                insert: "co=i".into(),
                caret_back: 1,
            }
        );
    }

    #[test]
    fn offers_what_the_document_uses_escaped() {
        let mut names = Names::default();
        names.read(
            "my\\ home,room=Living\\ Room on=true,note=\"x\" 1\nmy\\ home,room=Hall on=false 2\n",
        );
        assert_eq!(labels("my", &names), ["my home"]);
        let (_, items) = complete("m", 1, &names, &KnownColumns::default());
        assert_eq!(items[0].insert, "my\\ home");
        assert_eq!(labels("my\\ home,room=", &names), ["Hall", "Living Room"]);
        let (_, items) = complete("my\\ home,room=L", 15, &names, &KnownColumns::default());
        assert_eq!(items[0].insert, "Living\\ Room");
        let (_, items) = complete(
            "my\\ home,room=Hall n",
            20,
            &names,
            &KnownColumns::default(),
        );
        assert_eq!(
            (items[0].insert.as_str(), items[0].caret_back),
            ("note=\"\"", 1)
        );
        assert_eq!(labels("my\\ home,room=Hall on=", &names), ["true", "false"]);
        assert!(labels("my\\ home,room=Hall on=true 1", &names).is_empty());
    }
}
