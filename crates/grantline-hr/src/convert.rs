//! One record's source values turned into a JSON object of attributes,
//! ready for the evaluator's identity check.

use std::collections::HashMap;

use chrono::NaiveDate;
use grantline_eval::FieldError;
use grantline_ir::{AttributeKind, PolicySet};
use serde_json::{Map, Value as Json};

use crate::mapping::{Mapping, DEFAULT_DATE_FORMAT};

/// Fields that name a person in messages when no key attribute is given,
/// in order of preference.
pub(crate) const LABEL_FIELDS: &[&str] = &["employee_id", "email", "id"];

/// The attribute kinds of a schema, by name.
pub(crate) struct Kinds<'a>(HashMap<&'a str, &'a AttributeKind>);

impl<'a> Kinds<'a> {
    pub(crate) fn new(policy: &'a PolicySet) -> Kinds<'a> {
        Kinds(
            policy
                .attributes
                .iter()
                .map(|a| (a.name.as_str(), &a.kind))
                .collect(),
        )
    }

    pub(crate) fn get(&self, name: &str) -> Option<&'a AttributeKind> {
        self.0.get(name).copied()
    }
}

/// A record being built: attribute values, conversion errors, and where
/// each attribute came from.
pub(crate) struct Prepared {
    pub(crate) object: Map<String, Json>,
    pub(crate) errors: Vec<FieldError>,
    /// (attribute, source name), in source order.
    pub(crate) sources: Vec<(String, String)>,
    /// Two sources of one attribute: (attribute, first source, second).
    pub(crate) duplicate: Option<(String, String, String)>,
    /// The key attribute's value as written, or without a key attribute the
    /// first label field's: (attribute, value).
    pub(crate) key: Option<(String, String)>,
    labels: Vec<Option<String>>,
}

pub(crate) struct Preparer<'a> {
    pub(crate) kinds: &'a Kinds<'a>,
    pub(crate) mapping: &'a Mapping,
    pub(crate) key: Option<&'a str>,
    /// How a source is named in messages: "column" or "field".
    pub(crate) noun: &'static str,
}

impl Preparer<'_> {
    pub(crate) fn start(&self) -> Prepared {
        Prepared {
            object: Map::new(),
            errors: Vec::new(),
            sources: Vec::new(),
            duplicate: None,
            key: None,
            labels: vec![None; LABEL_FIELDS.len()],
        }
    }

    /// Notes that `attribute` comes from `source`; false (and the duplicate
    /// recorded) when another source of this record already gave it.
    fn claim(&self, record: &mut Prepared, source: &str, attribute: &str) -> bool {
        if let Some((_, first)) = record.sources.iter().find(|(a, _)| a == attribute) {
            if record.duplicate.is_none() {
                record.duplicate = Some((attribute.to_string(), first.clone(), source.to_string()));
            }
            return false;
        }
        record
            .sources
            .push((attribute.to_string(), source.to_string()));
        true
    }

    fn note_key(&self, record: &mut Prepared, attribute: &str, shown: &str) {
        if shown.is_empty() {
            return;
        }
        match self.key {
            Some(key) if key == attribute => {
                record.key = Some((attribute.to_string(), shown.to_string()));
            }
            Some(_) => {}
            None => {
                if let Some(slot) = LABEL_FIELDS
                    .iter()
                    .position(|f| *f == attribute)
                    .and_then(|i| record.labels.get_mut(i))
                {
                    *slot = Some(shown.to_string());
                }
            }
        }
    }

    /// Ends a record: picks the label when there is no key attribute.
    pub(crate) fn finish(&self, record: &mut Prepared) {
        if self.key.is_none() {
            record.key = LABEL_FIELDS
                .iter()
                .zip(&record.labels)
                .find_map(|(f, v)| Some((f.to_string(), v.clone()?)));
        }
    }

    fn error(
        &self,
        source: &str,
        attribute: &str,
        message: String,
        hint: Option<String>,
    ) -> FieldError {
        FieldError {
            field: attribute.to_string(),
            message: self.with_source(source, attribute, message),
            hint,
        }
    }

    /// `message`, naming the source when it is not the attribute's name.
    pub(crate) fn with_source(&self, source: &str, attribute: &str, message: String) -> String {
        if source == attribute {
            message
        } else {
            format!("{message} ({} `{source}`)", self.noun)
        }
    }

    /// A problem of `source`, which gives `attribute`, that is found
    /// before the value is checked (such as a SCIM User of another shape).
    pub(crate) fn add_problem(
        &self,
        record: &mut Prepared,
        source: &str,
        attribute: &str,
        message: String,
    ) {
        if self.claim(record, source, attribute) {
            let error = self.error(source, attribute, message, None);
            record.errors.push(error);
        }
    }

    /// A text cell (CSV) of `source` for `attribute`. An empty cell is
    /// absent.
    pub(crate) fn add_text(
        &self,
        record: &mut Prepared,
        source: &str,
        attribute: &str,
        cell: &str,
    ) {
        let cell = cell.trim();
        if cell.is_empty() || !self.claim(record, source, attribute) {
            return;
        }
        self.note_key(record, attribute, cell);
        let mapped = |text: &str| {
            self.mapping
                .value(attribute, text)
                .unwrap_or(text)
                .to_string()
        };
        let value = match self.kinds.get(attribute) {
            None | Some(AttributeKind::Text | AttributeKind::Values { .. }) => {
                Json::String(mapped(cell))
            }
            Some(AttributeKind::Number) => match parse_number(cell) {
                Some(number) => number,
                None => {
                    let error = self.error(
                        source,
                        attribute,
                        format!(
                            "expected a number, found text {}",
                            Json::String(cell.into())
                        ),
                        None,
                    );
                    record.errors.push(error);
                    return;
                }
            },
            Some(AttributeKind::Flag) => match self.mapping.flag(&mapped(cell)) {
                Some(flag) => Json::Bool(flag),
                None => {
                    let (yes, no) = self.mapping.flag_spellings();
                    let error = self.error(
                        source,
                        attribute,
                        format!("expected a flag, found text {}", Json::String(cell.into())),
                        Some(format!(
                            "true is written {}; false is written {} (set [flags] in the mapping for other spellings)",
                            yes.join(", "),
                            no.join(", ")
                        )),
                    );
                    record.errors.push(error);
                    return;
                }
            },
            Some(AttributeKind::Date) => match self.date(&mapped(cell)) {
                Some(date) => Json::String(date),
                None => {
                    let error = self.date_error(source, attribute, cell);
                    record.errors.push(error);
                    return;
                }
            },
            Some(AttributeKind::ListOfText) => Json::Array(
                cell.split(self.mapping.list_separator())
                    .map(str::trim)
                    .filter(|item| !item.is_empty())
                    .map(|item| Json::String(mapped(item)))
                    .collect(),
            ),
        };
        record.object.insert(attribute.to_string(), value);
    }

    /// A JSON value (JSON, JSON Lines, SCIM) of `source` for `attribute`.
    /// JSON types are kept; the mapping's `[values]` spellings apply to
    /// text, numbers and booleans (as `true`/`false`), in lists to each
    /// text item; a date attribute's text is read with `date-format` when
    /// the mapping sets one.
    pub(crate) fn add_json(
        &self,
        record: &mut Prepared,
        source: &str,
        attribute: &str,
        value: Json,
    ) {
        if value.is_null() || !self.claim(record, source, attribute) {
            return;
        }
        match &value {
            Json::String(text) => self.note_key(record, attribute, text),
            Json::Number(number) => self.note_key(record, attribute, &number.to_string()),
            _ => {}
        }
        let spelled = |value: Json| -> Json {
            let spelling = match &value {
                Json::String(text) => text.clone(),
                Json::Bool(flag) => flag.to_string(),
                Json::Number(number) => number.to_string(),
                _ => return value,
            };
            match self.mapping.value(attribute, &spelling) {
                Some(mapped) => Json::String(mapped.to_string()),
                None => value,
            }
        };
        let value = match value {
            Json::Array(items) => Json::Array(items.into_iter().map(spelled).collect()),
            other => spelled(other),
        };
        let value = match (self.kinds.get(attribute), value) {
            (Some(AttributeKind::Date), Json::String(text))
                if self.mapping.date_format() != DEFAULT_DATE_FORMAT =>
            {
                match self.date(&text) {
                    Some(date) => Json::String(date),
                    None => {
                        let error = self.date_error(source, attribute, &text);
                        record.errors.push(error);
                        return;
                    }
                }
            }
            (_, value) => value,
        };
        record.object.insert(attribute.to_string(), value);
    }

    /// A date written in the mapping's format, as `YYYY-MM-DD`. Strict: the
    /// text must be what the format writes for that date (ignoring case).
    fn date(&self, text: &str) -> Option<String> {
        let format = self.mapping.date_format();
        let date = NaiveDate::parse_from_str(text, format).ok()?;
        if !date.format(format).to_string().eq_ignore_ascii_case(text) {
            return None;
        }
        Some(date.format(DEFAULT_DATE_FORMAT).to_string())
    }

    fn date_error(&self, source: &str, attribute: &str, text: &str) -> FieldError {
        let format = self.mapping.date_format();
        let example = NaiveDate::from_ymd_opt(2026, 1, 31)
            .map(|d| d.format(format).to_string())
            .unwrap_or_default();
        let hint = if format == DEFAULT_DATE_FORMAT {
            format!("write dates as {example}, or set `date-format` in the mapping")
        } else {
            format!("the mapping's date-format `{format}` writes dates as {example}")
        };
        self.error(
            source,
            attribute,
            format!(
                "text {} is not a date in the format `{format}`",
                Json::String(text.into())
            ),
            Some(hint),
        )
    }
}

/// A finite decimal number; whole numbers stay integers in JSON.
fn parse_number(text: &str) -> Option<Json> {
    if !text
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'))
    {
        return None;
    }
    let number: f64 = text.parse().ok()?;
    if !number.is_finite() {
        return None;
    }
    if let Ok(whole) = text.parse::<i64>() {
        return Some(Json::from(whole));
    }
    serde_json::Number::from_f64(number).map(Json::Number)
}
