//! Reading a population (`--people`): the identities that population rules
//! (GL107, GL108, GL206) evaluate.
//!
//! The input is either a JSON array of identity objects (pretty-printed or
//! not) or JSON Lines (one object per line, blank lines skipped). The format
//! is told by the first non-whitespace character: `[` is an array. A single
//! object spread over several lines (an identity file of `grantline eval`)
//! is read as one record.
//!
//! Each record is checked against the schema by
//! [`Evaluator::identity_from_json`]. A bad record is reported with its file,
//! line and key (its `employee_id`, `email` or `id`) and skipped; the other
//! records are still read. A record that names a field twice is bad: an HR
//! export would otherwise lose one of the two values without a word.

use std::fmt;

use grantline_eval::{Evaluator, FieldError, Identity, StrictJson};

/// The people read from a population file, and the records that could not
/// be read.
#[derive(Debug, Clone, Default)]
pub struct PeopleRead {
    /// The valid records, in file order.
    pub people: Vec<Identity>,
    /// The bad records, in file order.
    pub errors: Vec<RecordError>,
}

/// A record of a population file that was skipped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}{}: {problem}", key.as_ref().map(|k| format!(" ({k})")).unwrap_or_default())]
pub struct RecordError {
    pub file: String,
    /// The 1-based line where the record starts (for file-level problems,
    /// where the problem is).
    pub line: usize,
    /// How the record names the person, e.g. `employee_id NW-00412`: its
    /// `employee_id`, `email` or `id` field, when it has one.
    pub key: Option<String>,
    pub problem: RecordProblem,
}

/// Why a record was skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordProblem {
    /// The record is JSON but does not fit the schema (or is not an object).
    Fields(Vec<FieldError>),
    /// The record is not valid JSON (or names a field twice), or the file is
    /// not a well-formed array.
    Json(String),
}

impl fmt::Display for RecordProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordProblem::Json(message) => f.write_str(message),
            RecordProblem::Fields(errors) => match errors.as_slice() {
                [one] => write!(f, "{one}"),
                many => {
                    write!(f, "{} problems", many.len())?;
                    for error in many {
                        write!(f, "\n  {error}")?;
                    }
                    Ok(())
                }
            },
        }
    }
}

/// Fields that name a person in messages, in order of preference.
const KEY_FIELDS: &[&str] = &["employee_id", "email", "id"];

/// Reads the population in `text` (the content of `file`), checking each
/// record against the evaluator's schema.
pub fn read_people(evaluator: &Evaluator, file: &str, text: &str) -> PeopleRead {
    let mut reader = Reader {
        evaluator,
        file,
        read: PeopleRead::default(),
    };
    // A byte-order mark, which some editors write, is not part of the data.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') {
        reader.array(text);
    } else if trimmed.starts_with('{') && is_one_object(text) {
        reader.record(1, 0, text);
    } else {
        reader.lines(text);
    }
    reader.read
}

/// Whether `text` is one JSON value (and not JSON Lines): cheap, because
/// parsing stops at the end of the first value of JSON Lines.
fn is_one_object(text: &str) -> bool {
    let Some(first) = text.trim_start().lines().next() else {
        return false;
    };
    // A first line that is a whole record: JSON Lines.
    if serde_json::from_str::<serde::de::IgnoredAny>(first).is_ok() {
        return false;
    }
    serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok()
}

struct Reader<'a> {
    evaluator: &'a Evaluator,
    file: &'a str,
    read: PeopleRead,
}

impl Reader<'_> {
    fn error(&mut self, line: usize, key: Option<String>, problem: RecordProblem) {
        self.read.errors.push(RecordError {
            file: self.file.to_string(),
            line,
            key,
            problem,
        });
    }

    /// One record: `text` starts at `line`, after `column` characters.
    fn record(&mut self, line: usize, column: usize, text: &str) {
        let value = match serde_json::from_str::<StrictJson>(text) {
            Ok(StrictJson(value)) => value,
            Err(error) => {
                let at = line + error.line().saturating_sub(1);
                let column = if error.line() <= 1 {
                    column + error.column()
                } else {
                    error.column()
                };
                // serde's position is within the record: give the file's.
                let message = error.to_string();
                let message = match message.rfind(" at line ") {
                    Some(end) => message.get(..end).unwrap_or(&message).to_string(),
                    None => message,
                };
                let problem =
                    RecordProblem::Json(format!("not valid JSON at column {column}: {message}"));
                self.error(at, None, problem);
                return;
            }
        };
        match self.evaluator.identity_from_json(&value) {
            Ok(identity) => self.read.people.push(identity),
            Err(error) => self.error(line, key(&value), RecordProblem::Fields(error.errors)),
        }
    }

    /// JSON Lines: one record per non-blank line.
    fn lines(&mut self, text: &str) {
        for (index, line) in text.lines().enumerate() {
            if !line.trim().is_empty() {
                self.record(index + 1, 0, line);
            }
        }
    }

    /// A JSON array: each element is cut out of the text with a scanner
    /// that only follows strings and nesting, then read on its own, so that
    /// a bad element does not hide the others.
    fn array(&mut self, text: &str) {
        let bytes = text.as_bytes();
        let mut line = 1;
        let mut at = 0;
        // Up to and past the opening bracket.
        while let Some(&byte) = bytes.get(at) {
            at += 1;
            match byte {
                b'\n' => line += 1,
                b'[' => break,
                _ => {}
            }
        }
        let mut depth = 0usize;
        let mut in_string = false;
        let mut escaped = false;
        // Where the current element starts (byte, line), once a
        // non-whitespace character was seen.
        let mut start: Option<(usize, usize)> = None;
        let mut elements = 0usize;
        let mut closed = false;
        while let Some(&byte) = bytes.get(at) {
            if in_string {
                if escaped {
                    escaped = false;
                } else if byte == b'\\' {
                    escaped = true;
                } else if byte == b'"' {
                    in_string = false;
                } else if byte == b'\n' {
                    line += 1;
                }
                at += 1;
                continue;
            }
            match byte {
                b'\n' => line += 1,
                b' ' | b'\t' | b'\r' => {}
                b',' | b']' if depth == 0 => {
                    match start.take() {
                        Some((from, from_line)) => {
                            elements += 1;
                            self.element(text, from, from_line, at);
                        }
                        // `[]` is an empty population; `[,` or `,,` or `,]`
                        // is a missing element.
                        None if byte == b']' && elements == 0 => {}
                        None => {
                            let problem = RecordProblem::Json(
                                "not valid JSON: a record is missing (an extra comma?)".to_string(),
                            );
                            self.error(line, None, problem);
                        }
                    }
                    if byte == b']' {
                        closed = true;
                        at += 1;
                        break;
                    }
                    elements = elements.max(1);
                }
                other => {
                    if start.is_none() {
                        start = Some((at, line));
                    }
                    match other {
                        b'"' => in_string = true,
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => depth = depth.saturating_sub(1),
                        _ => {}
                    }
                }
            }
            at += 1;
        }
        if !closed {
            if let Some((from, from_line)) = start {
                self.element(text, from, from_line, text.len());
            }
            let problem =
                RecordProblem::Json("not valid JSON: the array is not closed by `]`".to_string());
            self.error(line, None, problem);
            return;
        }
        // Anything after the closing bracket.
        let rest = text.get(at..).unwrap_or("");
        if let Some(offset) = rest.find(|c: char| !c.is_whitespace()) {
            let before = rest.get(..offset).unwrap_or("");
            let problem = RecordProblem::Json(
                "not valid JSON: text after the closing `]` of the array".to_string(),
            );
            self.error(line + before.matches('\n').count(), None, problem);
        }
    }

    /// The element of the array `text` from byte `from` (on `line`) to
    /// byte `to`.
    fn element(&mut self, text: &str, from: usize, line: usize, to: usize) {
        let before = text.get(..from).unwrap_or("");
        let column = before
            .rfind('\n')
            .map_or(before, |nl| before.get(nl + 1..).unwrap_or(""))
            .chars()
            .count();
        self.record(line, column, text.get(from..to).unwrap_or("").trim_end());
    }
}

/// How messages name the person of a record: `employee_id NW-00412`.
fn key(value: &serde_json::Value) -> Option<String> {
    KEY_FIELDS.iter().find_map(|field| {
        let shown = match value.get(*field)? {
            serde_json::Value::String(text) => text.clone(),
            serde_json::Value::Number(number) => number.to_string(),
            _ => return None,
        };
        Some(format!("{field} {shown}"))
    })
}
