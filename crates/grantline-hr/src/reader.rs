//! The streaming reader: records in, checked identities or rejections out.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::io::{self, BufRead};

use grantline_eval::{Evaluator, FieldError, Identity, StrictJson, Warning};
use grantline_ir::AttributeKind;
use serde_json::Value as Json;

use crate::closest as suggest;
use crate::convert::{Kinds, Prepared, Preparer};
use crate::json_doc::{self, Piece};
use crate::mapping::Mapping;
use crate::scim;
use crate::Format;

/// How a record names its person: the key attribute and its value as
/// written, such as `employee_id NW-00412`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RecordKey {
    pub attribute: String,
    pub value: String,
}

impl fmt::Display for RecordKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.attribute, self.value)
    }
}

/// An accepted record.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// The 1-based line where the record starts.
    pub line: usize,
    /// The key attribute's value; without a key attribute, the record's
    /// `employee_id`, `email` or `id`, when it has one.
    pub key: Option<RecordKey>,
    pub identity: Identity,
    /// Required attributes the record lacks and fields the schema does not
    /// declare (ignored), as a decision would report them.
    pub warnings: Vec<Warning>,
}

/// A rejected record, or a part of the input that could not be read as a
/// record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}{}: {reason}", key.as_ref().map(|k| format!(" ({k})")).unwrap_or_default())]
pub struct Rejected {
    pub file: String,
    /// The 1-based line where the record starts (for a problem of the file,
    /// where the problem is).
    pub line: usize,
    /// As in [`Record::key`], when the record names one.
    pub key: Option<RecordKey>,
    pub reason: RejectReason,
}

/// Why a record was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RejectReason {
    /// Values that do not fit the schema (or that could not be converted
    /// to the attribute's kind), every one of the record.
    Fields(Vec<FieldError>),
    /// The record lacks the key attribute.
    MissingKey { attribute: String },
    /// An earlier record has the same key. Records are never merged.
    DuplicateKey { key: String, first_line: usize },
    /// Two fields of one record map to the same attribute.
    DuplicateField {
        attribute: String,
        first: String,
        second: String,
    },
    /// A CSV row with another number of cells than the header.
    RaggedRow { cells: usize, expected: usize },
    /// Not valid JSON (or a field named twice in one object), or a JSON
    /// document that is not a well-formed array.
    Json(String),
    /// A CSV row or header that cannot be read (such as text that is not
    /// UTF-8, or two columns for one attribute). A bad header ends reading.
    Csv(String),
    /// The input could not be read; reading ends.
    Io(String),
}

impl fmt::Display for RejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RejectReason::Fields(errors) => match errors.as_slice() {
                [one] => write!(f, "{one}"),
                many => {
                    write!(f, "{} problems", many.len())?;
                    for error in many {
                        write!(f, "\n  {error}")?;
                    }
                    Ok(())
                }
            },
            RejectReason::MissingKey { attribute } => {
                write!(f, "the key attribute `{attribute}` is missing")
            }
            RejectReason::DuplicateKey { key, first_line } => {
                write!(f, "duplicate key {key}, first at line {first_line}")
            }
            RejectReason::DuplicateField {
                attribute,
                first,
                second,
            } => write!(
                f,
                "`{first}` and `{second}` both give attribute `{attribute}`"
            ),
            RejectReason::RaggedRow { cells, expected } => write!(
                f,
                "the row has {cells} cells but the header has {expected} columns"
            ),
            RejectReason::Json(message) | RejectReason::Csv(message) => f.write_str(message),
            RejectReason::Io(message) => write!(f, "cannot read the input: {message}"),
        }
    }
}

/// Every record read, accounted for: `read == accepted + rejected`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub read: usize,
    pub accepted: usize,
    pub rejected: usize,
}

/// A mistake in how the reader was asked to read, found before any record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("the key attribute `{name}` is not declared{}", suggestion.as_ref().map(|s| format!("; did you mean `{s}`?")).unwrap_or_default())]
    KeyNotDeclared {
        name: String,
        suggestion: Option<String>,
    },
    #[error("the key attribute `{name}` is a {kind}; a key is text or a number")]
    KeyKind { name: String, kind: &'static str },
}

/// Reads the HR export `input` (named `file` in messages) in `format`,
/// mapped by `mapping`, checking every record against `evaluator`'s schema.
/// `key` names the attribute that identifies a person: a record without it,
/// or with the key of an earlier record, is rejected.
///
/// The result is an iterator of accepted records and rejections, in input
/// order; [`HrReader::summary`] counts them.
pub fn read<'a, R: BufRead>(
    evaluator: &'a Evaluator,
    input: R,
    file: &str,
    format: Format,
    mapping: &'a Mapping,
    key: Option<&str>,
) -> Result<HrReader<'a, R>, ReadError> {
    HrReader::new(evaluator, input, file, format, mapping, key)
}

/// The records of an HR export, read one at a time. JSON Lines and CSV are
/// read a line (a record) at a time; a JSON array or a SCIM `ListResponse`
/// is read whole, then checked a record at a time. Besides the input being
/// read, memory holds only the keys seen (and their lines).
pub struct HrReader<'a, R: BufRead> {
    evaluator: &'a Evaluator,
    mapping: &'a Mapping,
    kinds: Kinds<'a>,
    file: String,
    format: Format,
    key: Option<String>,
    /// SCIM: the fields read from every User and their attributes.
    scim_fields: Vec<scim::MappedField>,
    state: State<R>,
    pending: VecDeque<Result<Record, Rejected>>,
    seen: HashMap<String, usize>,
    summary: Summary,
}

enum State<R> {
    Start(R),
    Lines {
        input: R,
        line: usize,
        buf: Vec<u8>,
    },
    Csv {
        input: CsvLines<R>,
        columns: Vec<Column>,
    },
    Doc {
        text: String,
        pieces: std::vec::IntoIter<Piece>,
    },
    Done,
}

/// A CSV column: its header and the attribute it gives (`None`: dropped by
/// the mapping, or a column without a name).
struct Column {
    name: String,
    attribute: Option<String>,
}

impl<'a, R: BufRead> HrReader<'a, R> {
    /// See [`read`].
    pub fn new(
        evaluator: &'a Evaluator,
        input: R,
        file: &str,
        format: Format,
        mapping: &'a Mapping,
        key: Option<&str>,
    ) -> Result<HrReader<'a, R>, ReadError> {
        let kinds = Kinds::new(evaluator.policy());
        if let Some(name) = key {
            match kinds.get(name) {
                None => {
                    return Err(ReadError::KeyNotDeclared {
                        name: name.to_string(),
                        suggestion: suggest(
                            name,
                            evaluator
                                .policy()
                                .attributes
                                .iter()
                                .map(|a| a.name.as_str()),
                        ),
                    })
                }
                Some(AttributeKind::Text | AttributeKind::Number) => {}
                Some(other) => {
                    return Err(ReadError::KeyKind {
                        name: name.to_string(),
                        kind: other.describe(),
                    })
                }
            }
        }
        let scim_fields = match format {
            // A default only for attributes the schema declares.
            Format::Scim => scim::fields(mapping, |attribute| kinds.get(attribute).is_some()),
            _ => Vec::new(),
        };
        Ok(HrReader {
            evaluator,
            mapping,
            kinds,
            file: file.to_string(),
            format,
            key: key.map(str::to_string),
            scim_fields,
            state: State::Start(input),
            pending: VecDeque::new(),
            seen: HashMap::new(),
            summary: Summary::default(),
        })
    }

    /// The counts so far; final once the iterator has returned `None`.
    pub fn summary(&self) -> Summary {
        self.summary
    }

    fn preparer(&self, noun: &'static str) -> Preparer<'_> {
        Preparer {
            kinds: &self.kinds,
            mapping: self.mapping,
            key: self.key.as_deref(),
            noun,
        }
    }

    fn reject(&mut self, line: usize, key: Option<RecordKey>, reason: RejectReason) {
        self.pending.push_back(Err(Rejected {
            file: self.file.clone(),
            line,
            key,
            reason,
        }));
    }

    /// Advances the input, queueing what it finds; false at the end.
    fn step(&mut self) -> bool {
        match std::mem::replace(&mut self.state, State::Done) {
            State::Start(input) => {
                self.start(input);
                true
            }
            State::Lines {
                mut input,
                mut line,
                mut buf,
            } => {
                buf.clear();
                match input.read_until(b'\n', &mut buf) {
                    Ok(0) => return false,
                    Ok(_) => {
                        line += 1;
                        self.json_line(line, &buf);
                    }
                    Err(error) => {
                        self.reject(line + 1, None, RejectReason::Io(error.to_string()));
                        return true;
                    }
                }
                self.state = State::Lines { input, line, buf };
                true
            }
            State::Csv { mut input, columns } => {
                match input.next_record() {
                    Ok(None) => return false,
                    Ok(Some(raw)) => self.csv_row(&columns, raw),
                    Err(error) => {
                        let line = input.line + 1;
                        self.reject(line, None, RejectReason::Io(error.to_string()));
                        return true;
                    }
                }
                self.state = State::Csv { input, columns };
                true
            }
            State::Doc { text, mut pieces } => {
                let Some(piece) = pieces.next() else {
                    return false;
                };
                match piece {
                    Piece::Problem { line, message } => {
                        self.reject(line, None, RejectReason::Json(message))
                    }
                    Piece::Record {
                        from,
                        to,
                        line,
                        column,
                    } => {
                        let part = text.get(from..to).unwrap_or("");
                        self.json_text(line, column, part);
                    }
                }
                self.state = State::Doc { text, pieces };
                true
            }
            State::Done => false,
        }
    }

    fn start(&mut self, mut input: R) {
        if let Err(error) = skip_bom(&mut input) {
            self.reject(1, None, RejectReason::Io(error.to_string()));
            return;
        }
        if self.format == Format::Csv {
            self.start_csv(input);
            return;
        }
        // The first line that is not blank decides between JSON Lines and a
        // document read whole.
        let mut head = Vec::new();
        let mut lines = 0;
        let first = loop {
            let before = head.len();
            match input.read_until(b'\n', &mut head) {
                Ok(0) => break None,
                Ok(_) => lines += 1,
                Err(error) => {
                    self.reject(lines + 1, None, RejectReason::Io(error.to_string()));
                    return;
                }
            }
            let line = head.get(before..).unwrap_or(&[]);
            if !line.iter().all(u8::is_ascii_whitespace) {
                break Some(line.to_vec());
            }
        };
        let Some(first) = first else {
            return;
        };
        let trimmed = first.trim_ascii_start();
        let as_lines = self.format == Format::JsonLines
            || (trimmed.first() != Some(&b'[')
                && serde_json::from_slice::<serde::de::IgnoredAny>(&first).is_ok());
        if as_lines {
            self.json_line(lines, &first);
            self.state = State::Lines {
                input,
                line: lines,
                buf: Vec::new(),
            };
            return;
        }
        if let Err(error) = input.read_to_end(&mut head) {
            self.reject(lines, None, RejectReason::Io(error.to_string()));
            return;
        }
        let text = match String::from_utf8(head) {
            Ok(text) => text,
            Err(error) => {
                let valid = error.utf8_error().valid_up_to();
                let bytes = error.as_bytes();
                let line = bytes
                    .get(..valid)
                    .unwrap_or(&[])
                    .iter()
                    .filter(|b| **b == b'\n')
                    .count()
                    + 1;
                self.reject(
                    line,
                    None,
                    RejectReason::Json("not valid UTF-8".to_string()),
                );
                return;
            }
        };
        let pieces = json_doc::pieces(&text, self.format == Format::Scim);
        self.state = State::Doc {
            text,
            pieces: pieces.into_iter(),
        };
    }

    fn start_csv(&mut self, input: R) {
        let mut input = CsvLines {
            input,
            line: 0,
            delimiter: self.mapping.csv_delimiter(),
        };
        let raw = match input.next_record() {
            Ok(Some(raw)) => raw,
            Ok(None) => return,
            Err(error) => {
                let line = input.line + 1;
                self.reject(line, None, RejectReason::Io(error.to_string()));
                return;
            }
        };
        let line = raw.line;
        let header = match raw.cells {
            Ok(header) => header,
            Err(problem) => {
                self.reject(line, None, RejectReason::Csv(format!("header: {problem}")));
                return;
            }
        };
        let mut columns: Vec<Column> = Vec::with_capacity(header.len());
        for (index, cell) in header.iter().enumerate() {
            let Ok(name) = std::str::from_utf8(cell) else {
                let reason =
                    RejectReason::Csv(format!("header: column {} is not valid UTF-8", index + 1));
                self.reject(line, None, reason);
                return;
            };
            let name = name.trim().to_string();
            let attribute = match self.mapping.column(&name) {
                Some("") => None,
                Some(attribute) => Some(attribute.to_string()),
                None if name.is_empty() => None,
                None => Some(name.clone()),
            };
            if let Some(attribute) = &attribute {
                if let Some(first) = columns
                    .iter()
                    .find(|c| c.attribute.as_ref() == Some(attribute))
                {
                    let reason = RejectReason::Csv(format!(
                        "header: columns `{}` and `{name}` both give attribute `{attribute}`",
                        first.name
                    ));
                    self.reject(line, None, reason);
                    return;
                }
            }
            columns.push(Column { name, attribute });
        }
        self.state = State::Csv { input, columns };
    }

    fn csv_row(&mut self, columns: &[Column], raw: RawRow) {
        let line = raw.line;
        let row = match raw.cells {
            Ok(row) => row,
            Err(problem) => {
                self.reject(line, None, RejectReason::Csv(problem));
                return;
            }
        };
        // A row of empty cells (a spreadsheet's trailing rows) is no record.
        if row.iter().all(|cell| cell.trim_ascii().is_empty()) {
            return;
        }
        if row.len() != columns.len() {
            let reason = RejectReason::RaggedRow {
                cells: row.len(),
                expected: columns.len(),
            };
            self.reject(line, None, reason);
            return;
        }
        let preparer = self.preparer("column");
        let mut record = preparer.start();
        let mut unreadable = Vec::new();
        for (index, (column, cell)) in columns.iter().zip(row.iter()).enumerate() {
            let Ok(cell) = std::str::from_utf8(cell) else {
                unreadable.push(index + 1);
                continue;
            };
            match &column.attribute {
                Some(attribute) => preparer.add_text(&mut record, &column.name, attribute, cell),
                None if column.name.is_empty() && !cell.trim().is_empty() => {
                    record.errors.push(FieldError {
                        field: String::new(),
                        message: format!(
                            "a value in column {}, which has no name in the header",
                            index + 1
                        ),
                        hint: None,
                    });
                }
                None => {}
            }
        }
        preparer.finish(&mut record);
        if !unreadable.is_empty() {
            let list: Vec<String> = unreadable.iter().map(ToString::to_string).collect();
            let reason =
                RejectReason::Csv(format!("not valid UTF-8 in column {}", list.join(", ")));
            self.reject(line, key_of(&record), reason);
            return;
        }
        self.finish(line, record, "column");
    }

    /// One line of JSON Lines (line number `line`).
    fn json_line(&mut self, line: usize, bytes: &[u8]) {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return;
        }
        match std::str::from_utf8(bytes) {
            Ok(text) => self.json_text(line, 0, text.trim_end()),
            Err(_) => self.reject(
                line,
                None,
                RejectReason::Json("not valid UTF-8".to_string()),
            ),
        }
    }

    /// One record's JSON text, starting at `line` after `column` characters.
    fn json_text(&mut self, line: usize, column: usize, text: &str) {
        let value = match serde_json::from_str::<StrictJson>(text) {
            Ok(StrictJson(value)) => value,
            Err(error) => {
                let at = line + error.line().saturating_sub(1);
                let column = if error.line() <= 1 {
                    column + error.column()
                } else {
                    error.column()
                };
                let message = error.to_string();
                let message = match message.rfind(" at line ") {
                    Some(end) => message.get(..end).unwrap_or(&message).to_string(),
                    None => message,
                };
                let reason =
                    RejectReason::Json(format!("not valid JSON at column {column}: {message}"));
                self.reject(at, None, reason);
                return;
            }
        };
        if self.format == Format::Scim {
            if let Some(resources) = scim::resources(&value) {
                for user in resources {
                    self.json_record(line, user);
                }
                return;
            }
        }
        self.json_record(line, &value);
    }

    fn json_record(&mut self, line: usize, value: &Json) {
        let Json::Object(object) = value else {
            // The evaluator says what the record is instead of an object.
            let reason = match self.evaluator.identity_from_json(value) {
                Err(error) => RejectReason::Fields(error.errors),
                Ok(_) => RejectReason::Json("expected a JSON object".to_string()),
            };
            self.reject(line, None, reason);
            return;
        };
        let scim = self.format == Format::Scim;
        let preparer = self.preparer("field");
        let mut record = preparer.start();
        if scim {
            // Members that no field reads are ignored. A problem of the
            // User's shape is told once, for the first field it concerns.
            let mut problems: Vec<String> = Vec::new();
            for field in &self.scim_fields {
                match field.value(object) {
                    Ok(Some(value)) => {
                        preparer.add_json(&mut record, &field.source, &field.attribute, value)
                    }
                    Ok(None) => {}
                    Err(message) if problems.contains(&message) => {}
                    Err(message) => {
                        problems.push(message.clone());
                        preparer.add_problem(&mut record, &field.source, &field.attribute, message)
                    }
                }
            }
        } else {
            for (name, value) in object {
                let attribute = match self.mapping.column(name) {
                    Some("") => continue,
                    Some(attribute) => attribute,
                    None => name.as_str(),
                };
                preparer.add_json(&mut record, name, attribute, value.clone());
            }
        }
        preparer.finish(&mut record);
        self.finish(line, record, "field");
    }

    /// Key checks and the schema check of a prepared record.
    fn finish(&mut self, line: usize, record: Prepared, noun: &'static str) {
        let key = key_of(&record);
        if let Some((attribute, first, second)) = record.duplicate {
            let reason = RejectReason::DuplicateField {
                attribute,
                first,
                second,
            };
            self.reject(line, key, reason);
            return;
        }
        if let Some(attribute) = &self.key {
            let Some(value) = key.as_ref().map(|k| &k.value) else {
                let reason = RejectReason::MissingKey {
                    attribute: attribute.clone(),
                };
                self.reject(line, None, reason);
                return;
            };
            if let Some(first_line) = self.seen.get(value) {
                let reason = RejectReason::DuplicateKey {
                    key: value.clone(),
                    first_line: *first_line,
                };
                self.reject(line, key, reason);
                return;
            }
            self.seen.insert(value.clone(), line);
        }
        let mut errors = record.errors;
        let object = Json::Object(record.object);
        match self.evaluator.identity_from_json(&object) {
            Ok(identity) if errors.is_empty() => {
                let warnings = self.evaluator.identity_warnings(&identity);
                self.pending.push_back(Ok(Record {
                    line,
                    key,
                    identity,
                    warnings,
                }));
                return;
            }
            Ok(_) => {}
            Err(error) => {
                let preparer = self.preparer(noun);
                errors.extend(error.errors.into_iter().map(|mut e| {
                    if let Some(hint) = self.spelling_hint(&e.field, object.get(&e.field)) {
                        e.hint = Some(hint);
                    }
                    if let Some((_, source)) = record.sources.iter().find(|(a, _)| *a == e.field) {
                        e.message = preparer.with_source(source, &e.field, e.message);
                    }
                    e
                }));
            }
        }
        // In the order of the record's fields.
        let position = |e: &FieldError| {
            record
                .sources
                .iter()
                .position(|(a, _)| *a == e.field)
                .unwrap_or(usize::MAX)
        };
        errors.sort_by_key(position);
        self.reject(line, key, RejectReason::Fields(errors));
    }
}

impl<R: BufRead> HrReader<'_, R> {
    /// For a value outside an attribute's set that the mapping spells
    /// values of: the closest spelling, when there is one.
    fn spelling_hint(&self, attribute: &str, value: Option<&Json>) -> Option<String> {
        let Some(Json::String(text)) = value else {
            return None;
        };
        let spellings = self.mapping.spellings(attribute)?;
        let close = suggest(text, spellings.keys().map(String::as_str))?;
        let target = spellings.get(&close)?;
        Some(format!("did you mean `{close}` (`{target}`)?"))
    }
}

/// Longest text of one CSV record: a quote that is never closed would
/// otherwise take the rest of the file.
const MAX_CSV_RECORD: usize = 1 << 20;

/// CSV records cut from the input line by line, so that each knows the line
/// it starts on: a record ends at a line break outside quotes. Blank lines
/// are skipped.
struct CsvLines<R> {
    input: R,
    /// The last line read.
    line: usize,
    delimiter: u8,
}

/// One CSV record: its first line and its cells, or why it cannot be read.
struct RawRow {
    line: usize,
    cells: Result<csv::ByteRecord, String>,
}

impl<R: BufRead> CsvLines<R> {
    fn next_record(&mut self) -> io::Result<Option<RawRow>> {
        let mut text = Vec::new();
        let mut start = 0;
        let mut quotes = 0usize;
        loop {
            let before = text.len();
            if self.input.read_until(b'\n', &mut text)? == 0 {
                if text.is_empty() {
                    return Ok(None);
                }
                let problem = format!("a quoted cell opened on line {start} is not closed");
                return Ok(Some(RawRow {
                    line: start,
                    cells: Err(problem),
                }));
            }
            self.line += 1;
            let added = text.get(before..).unwrap_or(&[]);
            if before == 0 {
                if added.iter().all(u8::is_ascii_whitespace) {
                    text.clear();
                    continue;
                }
                start = self.line;
            }
            quotes += added.iter().filter(|b| **b == b'"').count();
            if quotes.is_multiple_of(2) {
                break;
            }
            if text.len() > MAX_CSV_RECORD {
                let problem = format!(
                    "a quoted cell opened on line {start} is not closed within {} MiB",
                    MAX_CSV_RECORD >> 20
                );
                return Ok(Some(RawRow {
                    line: start,
                    cells: Err(problem),
                }));
            }
        }
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(self.delimiter)
            .from_reader(text.as_slice());
        let mut record = csv::ByteRecord::new();
        let cells = match reader.read_byte_record(&mut record) {
            Ok(_) => Ok(record),
            Err(error) => Err(error.to_string()),
        };
        Ok(Some(RawRow { line: start, cells }))
    }
}

fn key_of(record: &Prepared) -> Option<RecordKey> {
    record.key.as_ref().map(|(attribute, value)| RecordKey {
        attribute: attribute.clone(),
        value: value.clone(),
    })
}

/// Consumes a UTF-8 byte-order mark at the start of `input`.
fn skip_bom<R: BufRead>(input: &mut R) -> io::Result<()> {
    let head = input.fill_buf()?;
    if head.starts_with(b"\xef\xbb\xbf") {
        input.consume(3);
    }
    Ok(())
}

impl<R: BufRead> Iterator for HrReader<'_, R> {
    type Item = Result<Record, Rejected>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.pending.pop_front() {
                self.summary.read += 1;
                match &item {
                    Ok(_) => self.summary.accepted += 1,
                    Err(_) => self.summary.rejected += 1,
                }
                return Some(item);
            }
            if !self.step() {
                return None;
            }
        }
    }
}
