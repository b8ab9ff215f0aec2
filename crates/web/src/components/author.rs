//! A small form that builds one point and appends it as correctly escaped line protocol, written
//! by the core's writer (the same code the server and the npm package use).
use leptos::prelude::*;
use linewise_core::{write_line, FieldType, OwnedFieldValue, Point, Precision};

use crate::state::AppState;

#[derive(Debug, Clone, PartialEq)]
struct FieldRow {
    id: usize,
    key: RwSignal<String>,
    kind: RwSignal<String>,
    value: RwSignal<String>,
}

#[derive(Debug, Clone, PartialEq)]
struct TagRow {
    id: usize,
    key: RwSignal<String>,
    value: RwSignal<String>,
}

/// A field's text that does not read as a value of the type chosen for it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("“{text}” is not {expected}")]
struct NotAValue {
    text: String,
    /// What the type needs, in words ("an integer", "true or false").
    expected: &'static str,
}

/// The value `text` of a field of type `kind` (a [`FieldType`] spelling; a float when it is none).
fn field_value(kind: &str, text: &str) -> Result<OwnedFieldValue, NotAValue> {
    let bad = |expected: &'static str| NotAValue {
        text: text.to_owned(),
        expected,
    };
    Ok(match kind.parse().unwrap_or(FieldType::Float) {
        FieldType::Integer => {
            OwnedFieldValue::Integer(text.trim().parse().map_err(|_| bad("an integer"))?)
        }
        FieldType::UInteger => OwnedFieldValue::UInteger(
            text.trim()
                .parse()
                .map_err(|_| bad("an unsigned integer"))?,
        ),
        FieldType::Boolean => match text.trim() {
            "true" => OwnedFieldValue::Boolean(true),
            "false" => OwnedFieldValue::Boolean(false),
            _ => return Err(bad("true or false")),
        },
        FieldType::String => OwnedFieldValue::String(text.to_owned()),
        FieldType::Float => {
            let v: f64 = text.trim().parse().map_err(|_| bad("a number"))?;
            if !v.is_finite() {
                return Err(bad("a finite number"));
            }
            OwnedFieldValue::Float(v)
        }
    })
}

/// Milliseconds since the epoch in the unit of `p` (`Auto` writes nanoseconds).
fn timestamp_in(ms: f64, p: Precision) -> i64 {
    let ms = ms.round() as i64;
    match p {
        Precision::Second => ms.div_euclid(1000),
        Precision::Millisecond => ms,
        Precision::Microsecond => ms * 1_000,
        _ => ms * 1_000_000,
    }
}

/// The "Add a point" form.
#[component]
pub fn Author() -> impl IntoView {
    let state = expect_context::<AppState>();
    let next_id = StoredValue::new(2_usize);
    let measurement = RwSignal::new(String::from("home"));
    let tags = RwSignal::new(vec![TagRow {
        id: 0,
        key: RwSignal::new("room".into()),
        value: RwSignal::new("Living Room".into()),
    }]);
    let fields = RwSignal::new(vec![FieldRow {
        id: 1,
        key: RwSignal::new("temp".into()),
        kind: RwSignal::new(FieldType::Float.to_string()),
        value: RwSignal::new("21.5".into()),
    }]);
    let time_mode = RwSignal::new(String::from("now"));
    let chosen_time = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let new_id = move || {
        let id = next_id.get_value();
        next_id.set_value(id + 1);
        id
    };

    let insert = move |_| {
        let precision = state.precision.get_untracked();
        let timestamp = match time_mode.get_untracked().as_str() {
            "none" => None,
            "chosen" => {
                let ms = js_sys::Date::parse(&chosen_time.get_untracked());
                if ms.is_nan() {
                    note.set("Choose a date and time, or pick “now”.".into());
                    return;
                }
                Some(timestamp_in(ms, precision))
            }
            _ => Some(timestamp_in(js_sys::Date::now(), precision)),
        };
        let mut point = Point {
            measurement: measurement.get_untracked(),
            tags: Vec::new(),
            fields: Vec::new(),
            timestamp,
        };
        for t in tags.get_untracked() {
            let (k, v) = (t.key.get_untracked(), t.value.get_untracked());
            if !k.is_empty() {
                point.tags.push((k, v));
            }
        }
        for f in fields.get_untracked() {
            let key = f.key.get_untracked();
            if key.is_empty() {
                continue;
            }
            match field_value(&f.kind.get_untracked(), &f.value.get_untracked()) {
                Ok(v) => point.fields.push((key, v)),
                Err(e) => {
                    note.set(format!("Field “{key}”: {e}."));
                    return;
                }
            }
        }
        if point.measurement.is_empty() || point.fields.is_empty() {
            note.set("A point needs a measurement and at least one field.".into());
            return;
        }
        let mut line = String::new();
        if let Err(e) = write_line(&mut line, &point) {
            note.set(format!("Cannot write this point: {e}."));
            return;
        }
        let mut text = state.text.with_value(crate::text::Text::to_text);
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(&line);
        text.push('\n');
        note.set(format!("Added: {line}"));
        state.replace_text(text);
    };

    let kinds = FieldType::ALL;
    view! {
        <details class="panel author">
            <summary>"Add a point"</summary>
            <div class="field">
                <label for="author-measurement">"Measurement"</label>
                <input id="author-measurement" prop:value=move || measurement.get()
                    on:input:target=move |ev| measurement.set(ev.target().value()) />
            </div>
            <fieldset class="field">
                <legend>"Tags"</legend>
                <For each=move || tags.get() key=|t| t.id let:t>
                    <div class="row pair">
                        <input aria-label="Tag key" placeholder="key" prop:value=move || t.key.get()
                            on:input:target=move |ev| t.key.set(ev.target().value()) />
                        <input aria-label="Tag value" placeholder="value" prop:value=move || t.value.get()
                            on:input:target=move |ev| t.value.set(ev.target().value()) />
                        <button type="button" class="icon" aria-label="Remove tag"
                            on:click=move |_| tags.update(|v| v.retain(|x| x.id != t.id))>"×"</button>
                    </div>
                </For>
                <button type="button" class="secondary" on:click=move |_| {
                    let id = new_id();
                    tags.update(|v| v.push(TagRow { id, key: RwSignal::new(String::new()), value: RwSignal::new(String::new()) }))
                }>"Add tag"</button>
            </fieldset>
            <fieldset class="field">
                <legend>"Fields"</legend>
                <For each=move || fields.get() key=|f| f.id let:f>
                    <div class="row pair">
                        <input aria-label="Field key" placeholder="key" prop:value=move || f.key.get()
                            on:input:target=move |ev| f.key.set(ev.target().value()) />
                        <select aria-label="Field type" on:change:target=move |ev| f.kind.set(ev.target().value())>
                            {kinds.iter().map(|k| {
                                let name = k.as_str();
                                view! { <option value=name selected=move || f.kind.get() == name>{name}</option> }
                            }).collect_view()}
                        </select>
                        <input aria-label="Field value" placeholder="value" prop:value=move || f.value.get()
                            on:input:target=move |ev| f.value.set(ev.target().value()) />
                        <button type="button" class="icon" aria-label="Remove field"
                            on:click=move |_| fields.update(|v| v.retain(|x| x.id != f.id))>"×"</button>
                    </div>
                </For>
                <button type="button" class="secondary" on:click=move |_| {
                    let id = new_id();
                    fields.update(|v| v.push(FieldRow { id, key: RwSignal::new(String::new()),
                        kind: RwSignal::new(FieldType::Float.to_string()), value: RwSignal::new(String::new()) }))
                }>"Add field"</button>
            </fieldset>
            <fieldset class="field">
                <legend>"Time"</legend>
                <label class="check"><input type="radio" name="author-time" value="now" checked
                    on:change=move |_| time_mode.set("now".into()) />"Now (in the chosen precision)"</label>
                <label class="check"><input type="radio" name="author-time" value="chosen"
                    on:change=move |_| time_mode.set("chosen".into()) />"At"</label>
                <input type="datetime-local" aria-label="Point time" step="1"
                    on:input:target=move |ev| { chosen_time.set(ev.target().value()); time_mode.set("chosen".into()); } />
                <label class="check"><input type="radio" name="author-time" value="none"
                    on:change=move |_| time_mode.set("none".into()) />"None (the server's time)"</label>
            </fieldset>
            <button type="button" class="primary" data-testid="author-insert" on:click=insert>"Append to the editor"</button>
            <p class="note" aria-live="polite">{move || note.get()}</p>
        </details>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_typed_values() {
        assert_eq!(
            field_value("integer", " 3 "),
            Ok(OwnedFieldValue::Integer(3))
        );
        assert!(field_value("uinteger", "-1").is_err());
        assert_eq!(
            field_value("string", "a b"),
            Ok(OwnedFieldValue::String("a b".into()))
        );
        assert!(field_value("float", "NaN").is_err());
        assert_eq!(timestamp_in(1_500.0, Precision::Second), 1);
        assert_eq!(timestamp_in(1_500.0, Precision::Auto), 1_500_000_000);
    }
}
