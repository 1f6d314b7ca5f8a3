//! Identity records: strict conversion from JSON against the schema.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use chrono::NaiveDate;
use grantline_ir::AttributeKind;
use serde_json::Value as Json;

/// The attribute schema shared by an evaluator and the identities it makes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Schema {
    pub(crate) attributes: Vec<SchemaAttribute>,
    pub(crate) index: HashMap<String, usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SchemaAttribute {
    pub(crate) name: String,
    pub(crate) kind: AttributeKind,
    pub(crate) optional: bool,
}

impl Schema {
    pub(crate) fn new(attributes: Vec<SchemaAttribute>) -> Schema {
        let index = attributes
            .iter()
            .enumerate()
            .map(|(i, a)| (a.name.clone(), i))
            .collect();
        Schema { attributes, index }
    }

    pub(crate) fn lookup(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }
}

/// One person's attributes, checked against a policy set's schema.
///
/// Values are stored by attribute index; make identities with
/// [`Evaluator::identity_from_json`](crate::Evaluator::identity_from_json) or
/// [`Evaluator::identity_from_values`](crate::Evaluator::identity_from_values).
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    pub(crate) schema: Arc<Schema>,
    pub(crate) values: Vec<Option<AttributeValue>>,
    /// Fields that the schema does not declare, sorted and unique.
    pub(crate) unknown_fields: Vec<String>,
}

impl Identity {
    /// The value of an attribute; `None` when it is absent or not declared.
    pub fn get(&self, attribute: &str) -> Option<&AttributeValue> {
        let index = self.schema.lookup(attribute)?;
        self.values.get(index)?.as_ref()
    }

    /// The present attributes, in schema order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &AttributeValue)> {
        self.schema
            .attributes
            .iter()
            .zip(&self.values)
            .filter_map(|(a, v)| Some((a.name.as_str(), v.as_ref()?)))
    }

    /// Fields of the record that the schema does not declare (ignored).
    pub fn unknown_fields(&self) -> &[String] {
        &self.unknown_fields
    }
}

/// An attribute value of an identity. Values of a closed set are `Text`.
#[derive(Debug, Clone, PartialEq)]
pub enum AttributeValue {
    Text(String),
    Flag(bool),
    Number(f64),
    Date(NaiveDate),
    List(Vec<String>),
}

impl fmt::Display for AttributeValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AttributeValue::Text(text) => f.write_str(text),
            AttributeValue::Flag(flag) => write!(f, "{flag}"),
            AttributeValue::Number(number) => write!(f, "{number}"),
            AttributeValue::Date(date) => write!(f, "{}", date.format("%Y-%m-%d")),
            AttributeValue::List(items) => write!(f, "[{}]", items.join(", ")),
        }
    }
}

/// Every problem of an identity record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct IdentityError {
    pub errors: Vec<FieldError>,
}

impl fmt::Display for IdentityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

/// One problem with one field. `field` is empty when the record as a whole
/// is wrong (not a JSON object).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
    pub hint: Option<String>,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "identity record: {}", self.message)?;
        } else {
            write!(f, "field `{}`: {}", self.field, self.message)?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "; {hint}")?;
        }
        Ok(())
    }
}

/// The closest candidates to `name`, with the thresholds of the compiler's
/// suggestions: an exact case-insensitive match alone if there is one, else
/// up to three candidates, closest first, each within an edit distance of
/// `max(2, len / 3)` (`len` in characters of `name`) or starting with `name`
/// when it has at least three characters. Comparisons ignore case.
pub fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let wanted = name.to_lowercase();
    let limit = (name.chars().count() / 3).max(2);
    let prefix_ok = wanted.chars().count() >= 3;
    let mut scored: Vec<(usize, &str)> = Vec::new();
    for candidate in candidates {
        if candidate == name {
            continue;
        }
        let lower = candidate.to_lowercase();
        if lower == wanted {
            return vec![candidate.to_string()];
        }
        let distance = strsim::levenshtein(&wanted, &lower);
        if distance <= limit || (prefix_ok && lower.starts_with(&wanted)) {
            scored.push((distance, candidate));
        }
    }
    scored.sort();
    scored.dedup();
    scored
        .into_iter()
        .take(3)
        .map(|(_, c)| c.to_string())
        .collect()
}

fn describe_json(value: &Json) -> String {
    match value {
        Json::Null => "null".to_string(),
        Json::Bool(b) => format!("{b}"),
        Json::Number(n) => format!("number {n}"),
        Json::String(s) => format!("text {}", Json::String(s.clone())),
        Json::Array(_) => "an array".to_string(),
        Json::Object(_) => "an object".to_string(),
    }
}

fn quoted_list(values: &[String]) -> String {
    values
        .iter()
        .map(|v| format!("`{v}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A strict `YYYY-MM-DD` date.
pub(crate) fn parse_date(text: &str) -> Option<NaiveDate> {
    let bytes = text.as_bytes();
    let shape_ok = bytes.len() == 10
        && bytes.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            _ => b.is_ascii_digit(),
        });
    if !shape_ok {
        return None;
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

fn field_error(field: &str, message: String, hint: Option<String>) -> FieldError {
    FieldError {
        field: field.to_string(),
        message,
        hint,
    }
}

/// Converts one JSON value for an attribute. `Ok(None)` for null (absent).
pub(crate) fn convert_json(
    name: &str,
    kind: &AttributeKind,
    value: &Json,
) -> Result<Option<AttributeValue>, FieldError> {
    if value.is_null() {
        return Ok(None);
    }
    let converted = match (kind, value) {
        (AttributeKind::Values { values }, Json::String(text)) => {
            check_closed(name, values, text)?;
            AttributeValue::Text(text.clone())
        }
        (AttributeKind::Values { values }, other) => {
            return Err(field_error(
                name,
                format!(
                    "expected a value of the set, found {}",
                    describe_json(other)
                ),
                Some(format!("allowed values: {}", quoted_list(values))),
            ))
        }
        (AttributeKind::Flag, Json::Bool(b)) => AttributeValue::Flag(*b),
        (AttributeKind::Flag, other) => {
            return Err(field_error(
                name,
                format!("expected true or false, found {}", describe_json(other)),
                None,
            ))
        }
        (AttributeKind::Number, Json::Number(n)) => match n.as_f64() {
            Some(f) if f.is_finite() => AttributeValue::Number(f),
            _ => {
                return Err(field_error(
                    name,
                    format!("number {n} is out of range"),
                    None,
                ))
            }
        },
        (AttributeKind::Number, other) => {
            return Err(field_error(
                name,
                format!("expected a number, found {}", describe_json(other)),
                None,
            ))
        }
        (AttributeKind::Text, Json::String(text)) => AttributeValue::Text(text.clone()),
        (AttributeKind::Text, other) => {
            return Err(field_error(
                name,
                format!("expected text, found {}", describe_json(other)),
                None,
            ))
        }
        (AttributeKind::Date, Json::String(text)) => match parse_date(text) {
            Some(date) => AttributeValue::Date(date),
            None => {
                return Err(field_error(
                    name,
                    format!(
                        "{} is not a valid date",
                        describe_json(&Json::String(text.clone()))
                    ),
                    Some("write dates as YYYY-MM-DD, such as 2026-01-31".to_string()),
                ))
            }
        },
        (AttributeKind::Date, other) => {
            return Err(field_error(
                name,
                format!(
                    "expected a date (YYYY-MM-DD), found {}",
                    describe_json(other)
                ),
                None,
            ))
        }
        (AttributeKind::ListOfText, Json::Array(items)) => {
            let mut texts = Vec::with_capacity(items.len());
            let mut bad = Vec::new();
            for (i, item) in items.iter().enumerate() {
                match item {
                    Json::String(text) => texts.push(text.clone()),
                    other => bad.push(format!("item {} is {}", i + 1, describe_json(other))),
                }
            }
            if !bad.is_empty() {
                return Err(field_error(
                    name,
                    format!("expected a list of text, but {}", bad.join(", ")),
                    None,
                ));
            }
            AttributeValue::List(texts)
        }
        (AttributeKind::ListOfText, other) => {
            return Err(field_error(
                name,
                format!("expected a list of text, found {}", describe_json(other)),
                None,
            ))
        }
    };
    Ok(Some(converted))
}

fn check_closed(name: &str, values: &[String], text: &str) -> Result<(), FieldError> {
    if values.iter().any(|v| v == text) {
        return Ok(());
    }
    let suggestions = suggest(text, values.iter().map(String::as_str));
    let hint = match suggestions.first() {
        Some(close) => format!("did you mean `{close}`?"),
        None => format!("allowed values: {}", quoted_list(values)),
    };
    Err(field_error(
        name,
        format!("unknown value `{text}`"),
        Some(hint),
    ))
}

/// Checks a programmatically built value against its attribute's kind.
pub(crate) fn check_value(
    name: &str,
    kind: &AttributeKind,
    value: &AttributeValue,
) -> Result<(), FieldError> {
    let ok = match (kind, value) {
        (AttributeKind::Values { values }, AttributeValue::Text(text)) => {
            return check_closed(name, values, text)
        }
        (AttributeKind::Number, AttributeValue::Number(n)) => {
            if !n.is_finite() {
                return Err(field_error(name, format!("number {n} is not finite"), None));
            }
            true
        }
        (AttributeKind::Flag, AttributeValue::Flag(_))
        | (AttributeKind::Text, AttributeValue::Text(_))
        | (AttributeKind::Date, AttributeValue::Date(_))
        | (AttributeKind::ListOfText, AttributeValue::List(_)) => true,
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(field_error(
            name,
            format!("expected a {} value, found {value}", kind.describe()),
            None,
        ))
    }
}

/// Whether a stored value fits an attribute kind (used when an identity made
/// for another schema is evaluated).
pub(crate) fn fits(kind: &AttributeKind, value: &AttributeValue) -> bool {
    check_value("", kind, value).is_ok()
}
