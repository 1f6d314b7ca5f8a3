//! One record's source values turned into a JSON object of attributes,
//! ready for the evaluator's identity check.

use std::collections::HashMap;

use chrono::NaiveDate;
use grantline_eval::FieldError;
use grantline_ir::{AttributeKind, PolicySet};
use serde_json::{Map, Value as Json};

use crate::mapping::{Mapping, DEFAULT_DATE_FORMAT};
use crate::number::{self, Unfit};

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
    /// The key attribute's value, or without a key attribute the first
    /// label field's: (attribute, value). The value is canonical (see
    /// [`Prepared::key_valid`]).
    pub(crate) key: Option<(String, String)>,
    /// Whether `key` is the key attribute's value as the schema holds it:
    /// text as converted (trimmed), a number in canonical form (`42` for
    /// `0042` and `42.0`). False when the value could not be converted (it
    /// is then shown as written, and the record is rejected for it).
    pub(crate) key_valid: bool,
    /// JSON: the numbers of the record's text that are not exact: the
    /// member they are in, the bits of the number they were read as, and
    /// their text.
    pub(crate) inexact: Vec<(String, u64, String)>,
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
            key_valid: false,
            inexact: Vec::new(),
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

    /// Notes the key (or a label) from `attribute`'s converted value.
    fn note_key(&self, record: &mut Prepared, attribute: &str, value: &Json) {
        let canonical = match (self.kinds.get(attribute), value) {
            (Some(AttributeKind::Number), number) => number::json_key(number),
            (Some(AttributeKind::Text) | None, Json::String(text)) => Some(text.clone()),
            _ => None,
        };
        match canonical {
            Some(shown) => self.note_key_shown(record, attribute, &shown, true),
            None => self.note_key_written(record, attribute, value),
        }
    }

    /// Notes the key (or a label) from `attribute`'s value as written, when
    /// it could not be converted.
    fn note_key_written(&self, record: &mut Prepared, attribute: &str, value: &Json) {
        match value {
            Json::String(text) => self.note_key_shown(record, attribute, text.trim(), false),
            Json::Number(number) => {
                self.note_key_shown(record, attribute, &number.to_string(), false)
            }
            _ => {}
        }
    }

    fn note_key_shown(&self, record: &mut Prepared, attribute: &str, shown: &str, valid: bool) {
        if shown.is_empty() {
            return;
        }
        match self.key {
            Some(key) if key == attribute => {
                record.key = Some((attribute.to_string(), shown.to_string()));
                record.key_valid = valid;
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
        // Until the value is converted, the key as written.
        self.note_key_written(record, attribute, &Json::String(cell.to_string()));
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
                Ok(Some(number)) => number,
                Ok(None) => {
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
                Err(unfit) => {
                    let error = self.error(source, attribute, unfit.message(cell), unfit.hint());
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
        self.note_key(record, attribute, &value);
        record.object.insert(attribute.to_string(), value);
    }

    /// A JSON value (JSON, JSON Lines, SCIM) of `source` for `attribute`.
    /// JSON types are kept; the mapping's `[values]` spellings apply to
    /// text, numbers and booleans (as `true`/`false`), in lists to each
    /// text item; a date attribute's text is read with `date-format` when
    /// the mapping sets one. The key attribute's text is trimmed, as a CSV
    /// cell is. A number for a number attribute must be exactly a number
    /// the schema holds.
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
        // Until the value is converted, the key as written.
        self.note_key_written(record, attribute, &value);
        let value = match value {
            Json::String(text) if self.key == Some(attribute) => {
                Json::String(text.trim().to_string())
            }
            other => other,
        };
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
            (Some(AttributeKind::Number), Json::Number(number)) => {
                // The number written in this field's member: another member
                // read as the same number says nothing of this one.
                let written = |near: f64| {
                    record
                        .inexact
                        .iter()
                        .find(|(member, bits, _)| {
                            *bits == near.to_bits() && names_member(source, member)
                        })
                        .map(|(_, _, text)| text.clone())
                };
                if let Err((text, unfit)) = number::check_json(&number, written) {
                    let error = self.error(source, attribute, unfit.message(&text), unfit.hint());
                    record.errors.push(error);
                    return;
                }
                Json::Number(number)
            }
            (_, value) => value,
        };
        self.note_key(record, attribute, &value);
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

/// A decimal number that the schema holds exactly; whole numbers stay
/// integers in JSON. `Ok(None)` for text that is no number; an error for
/// a number out of range or written more precisely than it is held.
fn parse_number(text: &str) -> Result<Option<Json>, Unfit> {
    if !text
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'))
    {
        return Ok(None);
    }
    let Some(number) = number::check(text)? else {
        return Ok(None);
    };
    if let Ok(whole) = text.parse::<i64>() {
        return Ok(Some(Json::from(whole)));
    }
    Ok(serde_json::Number::from_f64(number).map(Json::Number))
}

/// Whether the field `source` (a member name, or a SCIM path such as
/// `name.familyName` or `urn:…:User:costCenter`) ends with `member`.
fn names_member(source: &str, member: &str) -> bool {
    source == member
        || source
            .strip_suffix(member)
            .is_some_and(|rest| rest.ends_with('.') || rest.ends_with(':'))
}
