//! The streaming reader: records in, checked identities or rejections out.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::io::{self, BufRead, Read};

use grantline_eval::{Evaluator, FieldError, Identity, StrictJson, Warning};
use grantline_ir::AttributeKind;
use serde_json::Value as Json;

use crate::closest as suggest;
use crate::convert::{Kinds, Prepared, Preparer};
use crate::json_doc::{self, ListInfo, Piece};
use crate::mapping::Mapping;
use crate::number::{self, Token, Unfit};
use crate::scim;
use crate::Format;

/// The longest record that is read, line breaks included: a line of JSON
/// Lines, or a CSV row (all its lines, when a quoted cell holds line
/// breaks). A longer record is rejected with its line, without being held
/// in memory, and reading goes on at the next line.
pub const MAX_RECORD_BYTES: usize = 1 << 20;

/// The largest JSON document that is read whole: a JSON array, one JSON
/// object, a SCIM `ListResponse`, or a line of SCIM JSON Lines (which may
/// hold a `ListResponse`). A larger document is a
/// [`ReadError::DocumentTooLarge`] (so is a larger first line of SCIM
/// JSON Lines; a larger later line is rejected, and reading goes on). JSON Lines and CSV, read a record at a
/// time, have no limit but [`MAX_RECORD_BYTES`] per record.
pub const MAX_DOCUMENT_BYTES: usize = 256 << 20;

/// How a record names its person: the key attribute and its value, such as
/// `employee_id NW-00412`. The value is the one the schema holds, so that a
/// person has one key however an export writes it: text as converted
/// (trimmed, in every format), a number without leading zeros, exponent or
/// a fraction of zero (`42` for `0042`, `42.0` or `4.2e1`). Duplicates are
/// found, and two exports matched, on this value. A value that cannot be
/// converted (the record is then rejected) is shown as written.
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
    /// A CSV row with another number of cells than the header. `lines`:
    /// the row's first and last line, when a quoted cell takes it over
    /// more than one.
    RaggedRow {
        cells: usize,
        expected: usize,
        lines: Option<(usize, usize)>,
    },
    /// A record longer than `limit` bytes ([`MAX_RECORD_BYTES`]), or a line
    /// of SCIM JSON Lines longer than [`MAX_DOCUMENT_BYTES`]: skipped
    /// unread, up to the next line.
    TooLong { limit: usize },
    /// Not valid JSON (or a field named twice in one object), or a JSON
    /// document that is not a well-formed array.
    Json(String),
    /// A CSV row or header that cannot be read (such as text that is not
    /// UTF-8, a quoted cell that is not closed, or two columns for one
    /// attribute). A bad header ends reading.
    Csv(String),
    /// Pages of a paginated SCIM `ListResponse` (JSON Lines of pages, or
    /// an array of them) that leave out items of `1..=total`: the ranges
    /// `first..=last` of the items no page holds.
    MissingItems {
        missing: Vec<(u64, u64)>,
        total: u64,
    },
    /// The input could not be read; reading ends.
    Io(String),
}

/// `1 MiB`, or a number of bytes.
fn size(bytes: usize) -> String {
    const MIB: usize = 1 << 20;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else {
        format!("{bytes} bytes")
    }
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
            RejectReason::RaggedRow {
                cells,
                expected,
                lines,
            } => {
                write!(
                    f,
                    "the row has {cells} cells but the header has {expected} columns"
                )?;
                if let Some((first, last)) = lines {
                    write!(
                        f,
                        " (a quoted cell takes the row from line {first} to line {last})"
                    )?;
                }
                Ok(())
            }
            RejectReason::TooLong { limit } => write!(
                f,
                "record longer than {}, the most read as one record; it is skipped",
                size(*limit)
            ),
            RejectReason::Json(message) | RejectReason::Csv(message) => f.write_str(message),
            RejectReason::MissingItems { missing, total } => {
                let shown: Vec<String> = missing
                    .iter()
                    .take(5)
                    .map(|(first, last)| {
                        if first == last {
                            format!("{first}")
                        } else {
                            format!("{first}–{last}")
                        }
                    })
                    .collect();
                let more = if missing.len() > shown.len() {
                    ", …"
                } else {
                    ""
                };
                let noun = match missing.as_slice() {
                    [(first, last)] if first == last => "item",
                    _ => "items",
                };
                write!(
                    f,
                    "the pages of a paginated ListResponse in this file lack {noun} {}{more} of {total}; \
                     export all users in one file or concatenate all the pages",
                    shown.join(", ")
                )
            }
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

/// A mistake in how the reader was asked to read, or an input that cannot
/// be read as a whole, found before any record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("the key attribute `{name}` is not declared{}", suggestion.as_ref().map(|s| format!("; did you mean `{s}`?")).unwrap_or_default())]
    KeyNotDeclared {
        name: String,
        suggestion: Option<String>,
    },
    #[error("the key attribute `{name}` is a {kind}; a key is text or a number")]
    KeyKind { name: String, kind: &'static str },
    /// A SCIM `ListResponse` that is one page of a paginated result (its
    /// `startIndex` is after the first item, or it holds fewer items than
    /// its `totalResults`), alone in its file: read as the whole export, it
    /// would leave out everyone on the other pages.
    #[error(
        "this is page {page} of a paginated ListResponse ({}); export all users in one file or concatenate the pages",
        scim::items(*first, *count, *total)
    )]
    PartialPage {
        /// The page's number, from 1 (by `itemsPerPage`, else by its size).
        page: u64,
        /// The 1-based index of its first item (`startIndex`).
        first: u64,
        /// The items it holds.
        count: u64,
        /// `totalResults`.
        total: Option<u64>,
    },
    /// A JSON document (read whole) larger than [`MAX_DOCUMENT_BYTES`].
    #[error(
        "the JSON document is larger than {}, the most read whole; write the export as JSON Lines, one record (for SCIM, one User) per line, which are read a record at a time",
        size(*limit)
    )]
    DocumentTooLarge { limit: usize },
}

/// Reads the HR export `input` (named `file` in messages) in `format`,
/// mapped by `mapping`, checking every record against `evaluator`'s schema.
/// `key` names the attribute that identifies a person: a record without it,
/// or with the key of an earlier record, is rejected.
///
/// The result is an iterator of accepted records and rejections, in input
/// order; [`HrReader::summary`] counts them. The start of the input is
/// read at once (a JSON document whole, to check that it is a whole
/// export: see [`ReadError`]).
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

/// The sizes above which a record or a document is not read.
#[derive(Debug, Clone, Copy)]
struct Limits {
    record: usize,
    document: usize,
}

const LIMITS: Limits = Limits {
    record: MAX_RECORD_BYTES,
    document: MAX_DOCUMENT_BYTES,
};

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
    limits: Limits,
    state: State<R>,
    pending: VecDeque<Result<Record, Rejected>>,
    seen: HashMap<String, usize>,
    /// SCIM: the pages of `ListResponse`s read from JSON Lines or from an
    /// array: (line, first item, items, total).
    pages: Vec<(usize, u64, u64, Option<u64>)>,
    /// Whether the checks at the end of the input were made.
    ended: bool,
    summary: Summary,
}

enum State<R> {
    Lines {
        input: LineReader<R>,
    },
    Csv {
        input: CsvLines<R>,
        columns: Vec<Column>,
    },
    /// A JSON document (or a line of SCIM JSON Lines) cut into pieces.
    Doc {
        text: String,
        pieces: std::vec::IntoIter<Piece>,
        /// The lines before the text.
        offset: usize,
        /// SCIM: whether a record may be a `ListResponse` (the pieces are
        /// the elements of an array).
        expand: bool,
        /// For a line of JSON Lines, the lines after it.
        rest: Option<LineReader<R>>,
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
        Self::open(evaluator, input, file, format, mapping, key, LIMITS)
    }

    fn open(
        evaluator: &'a Evaluator,
        input: R,
        file: &str,
        format: Format,
        mapping: &'a Mapping,
        key: Option<&str>,
        limits: Limits,
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
        let mut reader = HrReader {
            evaluator,
            mapping,
            kinds,
            file: file.to_string(),
            format,
            key: key.map(str::to_string),
            scim_fields,
            limits,
            state: State::Done,
            pending: VecDeque::new(),
            seen: HashMap::new(),
            pages: Vec::new(),
            ended: false,
            summary: Summary::default(),
        };
        reader.start(input)?;
        Ok(reader)
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

    /// The limit of one line of JSON Lines: a line of SCIM may hold a
    /// `ListResponse`, which is read as a document.
    fn line_limit(&self) -> usize {
        if self.format == Format::Scim {
            self.limits.document
        } else {
            self.limits.record
        }
    }

    /// Advances the input, queueing what it finds; false at the end.
    fn step(&mut self) -> bool {
        match std::mem::replace(&mut self.state, State::Done) {
            State::Lines { mut input } => {
                match input.next(self.line_limit()) {
                    Ok(None) => return false,
                    Ok(Some(Line::TooLong { line })) => {
                        let limit = self.line_limit();
                        self.reject(line, None, RejectReason::TooLong { limit });
                    }
                    Ok(Some(Line::Text { line, bytes })) => {
                        if self.format == Format::Scim {
                            self.scim_line(line, bytes, input);
                            return true;
                        }
                        self.json_line(line, &bytes);
                    }
                    Err(error) => {
                        self.reject(input.line + 1, None, RejectReason::Io(error.to_string()));
                        return true;
                    }
                }
                self.state = State::Lines { input };
                true
            }
            State::Csv { mut input, columns } => {
                match input.next_record() {
                    Ok(None) => return false,
                    Ok(Some(raw)) => self.csv_row(&columns, raw),
                    Err(error) => {
                        let line = input.lines.line + 1;
                        self.reject(line, None, RejectReason::Io(error.to_string()));
                        return true;
                    }
                }
                self.state = State::Csv { input, columns };
                true
            }
            State::Doc {
                text,
                mut pieces,
                offset,
                expand,
                rest,
            } => {
                let Some(piece) = pieces.next() else {
                    if let Some(input) = rest {
                        self.state = State::Lines { input };
                        return true;
                    }
                    return false;
                };
                match piece {
                    Piece::Problem { line, message } => {
                        self.reject(offset + line, None, RejectReason::Json(message))
                    }
                    Piece::Record {
                        from,
                        to,
                        line,
                        column,
                    } => {
                        let part = text.get(from..to).unwrap_or("");
                        self.record_text(offset + line, column, part, expand);
                    }
                }
                self.state = State::Doc {
                    text,
                    pieces,
                    offset,
                    expand,
                    rest,
                };
                true
            }
            State::Done => false,
        }
    }

    /// The checks that need the whole input: the pages of a paginated
    /// `ListResponse` read from JSON Lines (or an array) hold every item.
    fn end(&mut self) {
        let partial = self.pages.iter().any(|(_, first, count, total)| {
            let paging = scim::Paging {
                total: *total,
                start_index: Some(*first),
                items_per_page: None,
            };
            paging.partial(*count).is_some()
        });
        if !partial {
            return;
        }
        let pages: Vec<(u64, u64, Option<u64>)> = self
            .pages
            .iter()
            .map(|(_, first, count, total)| (*first, *count, *total))
            .collect();
        let (missing, total) = scim::missing_items(&pages);
        if missing.is_empty() {
            return;
        }
        let line = self.pages.first().map_or(1, |(line, ..)| *line);
        self.reject(line, None, RejectReason::MissingItems { missing, total });
    }

    fn note_page(&mut self, line: usize, list: &ListInfo) {
        let first = list.paging.first();
        self.pages
            .push((line, first, list.count, list.paging.total));
    }

    /// Reads the start of the input: a CSV header, or the first line of
    /// JSON, which decides between JSON Lines and a document read whole.
    fn start(&mut self, mut input: R) -> Result<(), ReadError> {
        if let Err(error) = skip_bom(&mut input) {
            self.reject(1, None, RejectReason::Io(error.to_string()));
            return Ok(());
        }
        if self.format == Format::Csv {
            self.start_csv(input);
            return Ok(());
        }
        let mut lines = LineReader::new(input);
        // The first line that is not blank decides; it may be a whole
        // document on one line.
        let first_limit = match self.format {
            Format::JsonLines => self.limits.record,
            _ => self.limits.document,
        };
        let (line, first) = loop {
            match lines.next(first_limit) {
                Ok(None) => return Ok(()),
                Ok(Some(Line::TooLong { line })) => {
                    if self.format != Format::JsonLines {
                        return Err(ReadError::DocumentTooLarge {
                            limit: self.limits.document,
                        });
                    }
                    let limit = self.limits.record;
                    self.reject(line, None, RejectReason::TooLong { limit });
                    self.state = State::Lines { input: lines };
                    return Ok(());
                }
                Ok(Some(Line::Text { line, bytes })) => {
                    if !bytes.iter().all(u8::is_ascii_whitespace) {
                        break (line, bytes);
                    }
                }
                Err(error) => {
                    self.reject(lines.line + 1, None, RejectReason::Io(error.to_string()));
                    return Ok(());
                }
            }
        };
        let trimmed = first.trim_ascii_start();
        let as_lines = self.format == Format::JsonLines
            || (trimmed.first() != Some(&b'[')
                && serde_json::from_slice::<serde::de::IgnoredAny>(&first).is_ok());
        if as_lines {
            if self.format == Format::Scim {
                return self.first_scim_line(line, first, lines);
            }
            if first.len() > self.limits.record {
                let limit = self.limits.record;
                self.reject(line, None, RejectReason::TooLong { limit });
            } else {
                self.json_line(line, &first);
            }
            self.state = State::Lines { input: lines };
            return Ok(());
        }
        // A document, read whole from its first line that is not blank.
        let mut bytes = first;
        let room = self.limits.document.saturating_sub(bytes.len()) as u64;
        if let Err(error) = lines.input.by_ref().take(room + 1).read_to_end(&mut bytes) {
            self.reject(line, None, RejectReason::Io(error.to_string()));
            return Ok(());
        }
        if bytes.len() > self.limits.document {
            return Err(ReadError::DocumentTooLarge {
                limit: self.limits.document,
            });
        }
        let offset = line - 1;
        let text = match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(error) => {
                let valid = error.utf8_error().valid_up_to();
                let at = error
                    .as_bytes()
                    .get(..valid)
                    .unwrap_or(&[])
                    .iter()
                    .filter(|b| **b == b'\n')
                    .count();
                self.reject(
                    offset + at + 1,
                    None,
                    RejectReason::Json("not valid UTF-8".to_string()),
                );
                return Ok(());
            }
        };
        let scim = self.format == Format::Scim;
        let document = json_doc::pieces(&text, scim);
        if let Some(list) = &document.list {
            if let Some(page) = list.paging.partial(list.count) {
                return Err(partial_page(page));
            }
        }
        self.state = State::Doc {
            text,
            pieces: document.pieces.into_iter(),
            offset,
            expand: scim && document.array,
            rest: None,
        };
        Ok(())
    }

    /// The first line of SCIM JSON Lines: a `ListResponse` that is one page
    /// of a paginated result, alone in the file, is no whole export.
    fn first_scim_line(
        &mut self,
        line: usize,
        bytes: Vec<u8>,
        mut lines: LineReader<R>,
    ) -> Result<(), ReadError> {
        let text = match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(error) => {
                self.scim_line(line, error.into_bytes(), lines);
                return Ok(());
            }
        };
        let document = json_doc::pieces(&text, true);
        if let Some(page) = document
            .list
            .and_then(|list| list.paging.partial(list.count))
        {
            match lines.more(self.limits.document) {
                Ok(false) => return Err(partial_page(page)),
                Ok(true) => {}
                // Told when the next line is read.
                Err(error) => lines.failed = Some(error),
            }
        }
        self.scim_document(line, text, document, lines);
        Ok(())
    }

    /// One line of SCIM JSON Lines (line number `line`), read like a
    /// document: a User, an array of Users or a `ListResponse`. `rest`: the
    /// lines after it.
    fn scim_line(&mut self, line: usize, bytes: Vec<u8>, rest: LineReader<R>) {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            self.state = State::Lines { input: rest };
            return;
        }
        let text = match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(_) => {
                self.reject(
                    line,
                    None,
                    RejectReason::Json("not valid UTF-8".to_string()),
                );
                self.state = State::Lines { input: rest };
                return;
            }
        };
        let document = json_doc::pieces(&text, true);
        self.scim_document(line, text, document, rest);
    }

    /// A line of SCIM JSON Lines, cut into pieces.
    fn scim_document(
        &mut self,
        line: usize,
        text: String,
        document: json_doc::Document,
        rest: LineReader<R>,
    ) {
        if let Some(list) = &document.list {
            self.note_page(line + list.line - 1, list);
        }
        self.state = State::Doc {
            text,
            pieces: document.pieces.into_iter(),
            offset: line - 1,
            expand: document.array,
            rest: Some(rest),
        };
    }

    fn start_csv(&mut self, input: R) {
        let mut input = CsvLines {
            lines: LineReader::new(input),
            delimiter: self.mapping.csv_delimiter(),
            limit: self.limits.record,
        };
        let raw = match input.next_record() {
            Ok(Some(raw)) => raw,
            Ok(None) => return,
            Err(error) => {
                let line = input.lines.line + 1;
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
            Err(reason) => {
                self.reject(line, None, reason);
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
                lines: (raw.last_line > line).then_some((line, raw.last_line)),
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

    /// A record's text cut from a document, starting at `line` after
    /// `column` characters. SCIM, with `expand`: a record that is a
    /// `ListResponse` gives its resources.
    fn record_text(&mut self, line: usize, column: usize, text: &str, expand: bool) {
        if expand && text.starts_with('{') {
            let document = json_doc::pieces(text, true);
            if let Some(list) = &document.list {
                self.note_page(line + list.line - 1, list);
                for piece in document.pieces {
                    match piece {
                        Piece::Problem { line: at, message } => {
                            self.reject(line + at - 1, None, RejectReason::Json(message))
                        }
                        Piece::Record {
                            from,
                            to,
                            line: at,
                            column: inner,
                        } => {
                            let column = if at == 1 { column + inner } else { inner };
                            let part = text.get(from..to).unwrap_or("");
                            self.record_text(line + at - 1, column, part, false);
                        }
                    }
                }
                return;
            }
        }
        if text.len() > self.limits.record {
            let limit = self.limits.record;
            self.reject(line, None, RejectReason::TooLong { limit });
            return;
        }
        self.json_text(line, column, text);
    }

    /// One record's JSON text, starting at `line` after `column` characters.
    fn json_text(&mut self, line: usize, column: usize, text: &str) {
        // A number out of range is no JSON value to the parser: it is read
        // as `null`, and rejected by its field.
        let unfit = number::unfit_numbers(text);
        let patched;
        let parsed = if unfit.iter().any(|t| t.unfit == Unfit::OutOfRange) {
            let mut out = String::with_capacity(text.len());
            let mut at = 0;
            for token in unfit.iter().filter(|t| t.unfit == Unfit::OutOfRange) {
                out.push_str(text.get(at..token.from).unwrap_or(""));
                out.push_str("null");
                at = token.to;
            }
            out.push_str(text.get(at..).unwrap_or(""));
            patched = out;
            patched.as_str()
        } else {
            text
        };
        let value = match serde_json::from_str::<StrictJson>(parsed) {
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
        self.json_record(line, &value, &unfit);
    }

    /// A record's JSON value; `unfit`: the numbers of its text that are out
    /// of range (read as `null`) or not exact.
    fn json_record(&mut self, line: usize, value: &Json, unfit: &[Token]) {
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
        record.inexact = unfit
            .iter()
            .filter_map(|t| match t.unfit {
                Unfit::Inexact(near) => Some((
                    t.path.last().cloned().unwrap_or_default(),
                    near.to_bits(),
                    t.text.clone(),
                )),
                Unfit::OutOfRange => None,
            })
            .collect();
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
        // Numbers out of range, by the member they are in (SCIM: by their
        // path in the User, as it is not known which field reads them).
        for token in unfit.iter().filter(|t| t.unfit == Unfit::OutOfRange) {
            let message = token.unfit.message(&token.text);
            if scim {
                let path = token.path.join(".");
                preparer.add_problem(&mut record, &path, &path, message);
                continue;
            }
            let Some(source) = token.path.first() else {
                continue;
            };
            let attribute = match self.mapping.column(source) {
                Some("") => continue,
                Some(attribute) => attribute,
                None => source.as_str(),
            };
            preparer.add_problem(&mut record, source, attribute, message);
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
            // A key that could not be converted is no key to compare: the
            // record is rejected for its value.
            let unconverted = record.errors.iter().any(|e| e.field == *attribute);
            match key.as_ref().map(|k| &k.value) {
                None if !unconverted => {
                    let reason = RejectReason::MissingKey {
                        attribute: attribute.clone(),
                    };
                    self.reject(line, None, reason);
                    return;
                }
                Some(value) if record.key_valid && !unconverted => {
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
                _ => {}
            }
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

fn partial_page(page: scim::Page) -> ReadError {
    ReadError::PartialPage {
        page: page.number,
        first: page.first,
        count: page.count,
        total: page.total,
    }
}

/// One line of the input, through its line break.
enum Line {
    Text {
        line: usize,
        bytes: Vec<u8>,
    },
    /// A line longer than the limit it was read with, skipped.
    TooLong {
        line: usize,
    },
}

/// The input, read a line at a time, never holding more of a line than a
/// limit; lines may be put back to be read again.
struct LineReader<R> {
    input: R,
    /// The last line read from the input.
    line: usize,
    back: VecDeque<Line>,
    /// An error met while looking ahead, told by the next read.
    failed: Option<io::Error>,
}

impl<R: BufRead> LineReader<R> {
    fn new(input: R) -> LineReader<R> {
        LineReader {
            input,
            line: 0,
            back: VecDeque::new(),
            failed: None,
        }
    }

    /// The next line, of at most `limit` bytes (line break included);
    /// `None` at the end of the input.
    fn next(&mut self, limit: usize) -> io::Result<Option<Line>> {
        if let Some(line) = self.back.pop_front() {
            return Ok(Some(line));
        }
        if let Some(error) = self.failed.take() {
            return Err(error);
        }
        let mut bytes = Vec::new();
        let mut too_long = false;
        let mut any = false;
        loop {
            let chunk = match self.input.fill_buf() {
                Ok(chunk) => chunk,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => return Err(error),
            };
            if chunk.is_empty() {
                break;
            }
            any = true;
            let (take, done) = match chunk.iter().position(|b| *b == b'\n') {
                Some(at) => (at + 1, true),
                None => (chunk.len(), false),
            };
            if !too_long {
                if bytes.len() + take > limit {
                    too_long = true;
                    bytes = Vec::new();
                } else {
                    bytes.extend_from_slice(chunk.get(..take).unwrap_or(&[]));
                }
            }
            self.input.consume(take);
            if done {
                break;
            }
        }
        if !any {
            return Ok(None);
        }
        self.line += 1;
        let line = self.line;
        Ok(Some(if too_long {
            Line::TooLong { line }
        } else {
            Line::Text { line, bytes }
        }))
    }

    /// Whether a line that is not blank follows; it is put back.
    fn more(&mut self, limit: usize) -> io::Result<bool> {
        loop {
            match self.next(limit)? {
                None => return Ok(false),
                Some(Line::Text { bytes, .. }) if bytes.iter().all(u8::is_ascii_whitespace) => {}
                Some(line) => {
                    self.back.push_front(line);
                    return Ok(true);
                }
            }
        }
    }
}

/// CSV records cut from the input line by line, so that each knows the line
/// it starts on: a record ends at a line break outside a quoted cell. Blank
/// lines are skipped.
struct CsvLines<R> {
    lines: LineReader<R>,
    delimiter: u8,
    /// The longest record.
    limit: usize,
}

/// One CSV record: its first and last line and its cells, or why it
/// cannot be read.
struct RawRow {
    line: usize,
    last_line: usize,
    cells: Result<csv::ByteRecord, RejectReason>,
}

/// Where a CSV lexer stands, by RFC 4180 as the `csv` crate reads it: a
/// quote opens a quoted cell only at the start of a cell; elsewhere it is
/// text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lex {
    CellStart,
    Unquoted,
    Quoted,
    /// A quote in a quoted cell: it closes the cell, or with another quote
    /// is one quote of its text.
    QuoteInQuoted,
}

struct Lexer {
    delimiter: u8,
    state: Lex,
    /// The line of the last quote that opened a quoted cell.
    opened: usize,
    /// The first quoted cell over more than one line whose closing quote
    /// is followed by text (`"…"x`, which the `csv` crate reads as text of
    /// the cell): the lines it opened and closed on. Its opening quote was
    /// likely a stray one, and the cell holds the rows that follow.
    badly_closed: Option<(usize, usize)>,
}

impl Lexer {
    fn feed(&mut self, bytes: &[u8], line: usize) {
        for &byte in bytes {
            if self.state == Lex::QuoteInQuoted
                && self.opened < line
                && self.badly_closed.is_none()
                && !matches!(byte, b'"' | b'\n' | b'\r' | b' ' | b'\t')
                && byte != self.delimiter
            {
                self.badly_closed = Some((self.opened, line));
            }
            self.state = match (self.state, byte) {
                (Lex::CellStart, b'"') => {
                    self.opened = line;
                    Lex::Quoted
                }
                (Lex::Quoted, b'"') => Lex::QuoteInQuoted,
                (Lex::Quoted, _) | (Lex::QuoteInQuoted, b'"') => Lex::Quoted,
                (_, b'\n') => Lex::CellStart,
                (_, byte) if byte == self.delimiter => Lex::CellStart,
                _ => Lex::Unquoted,
            };
        }
    }

    /// Whether a quoted cell is open: the record goes on at the next line.
    fn quoted(&self) -> bool {
        self.state == Lex::Quoted
    }
}

impl<R: BufRead> CsvLines<R> {
    fn next_record(&mut self) -> io::Result<Option<RawRow>> {
        let (start, mut text) = loop {
            match self.lines.next(self.limit)? {
                None => return Ok(None),
                Some(Line::TooLong { line }) => {
                    return Ok(Some(RawRow {
                        line,
                        last_line: line,
                        cells: Err(RejectReason::TooLong { limit: self.limit }),
                    }))
                }
                Some(Line::Text { line, bytes }) => {
                    if !bytes.iter().all(u8::is_ascii_whitespace) {
                        break (line, bytes);
                    }
                }
            }
        };
        let mut lexer = Lexer {
            delimiter: self.delimiter,
            state: Lex::CellStart,
            opened: start,
            badly_closed: None,
        };
        lexer.feed(&text, start);
        // The lines after the first: (line, where it starts in `text`).
        let mut more: Vec<(usize, usize)> = Vec::new();
        let mut last = start;
        loop {
            let problem = if let Some((opened, closed)) = lexer.badly_closed {
                Some((
                    opened,
                    format!(
                        "a quoted cell opened on line {opened} is not closed as a cell ends: \
                         on line {closed}, a quote is followed by text"
                    ),
                ))
            } else if !lexer.quoted() {
                None
            } else {
                let why = match self.lines.next(self.limit)? {
                    None => "by the end of the file".to_string(),
                    Some(Line::Text { line, bytes }) if text.len() + bytes.len() <= self.limit => {
                        more.push((line, text.len()));
                        lexer.feed(&bytes, line);
                        text.extend_from_slice(&bytes);
                        last = line;
                        continue;
                    }
                    Some(line) => {
                        self.lines.back.push_front(line);
                        format!("within {}", size(self.limit))
                    }
                };
                let opened = lexer.opened;
                Some((
                    opened,
                    format!("a quoted cell opened on line {opened} is not closed {why}"),
                ))
            };
            let Some((opened, problem)) = problem else {
                break;
            };
            // The opening quote is taken for a stray one: the record ends
            // at its line, and the lines after it are read again as records.
            let mut end = text.len();
            for (line, from) in more.iter().filter(|(line, _)| *line > opened).rev() {
                let bytes = text.get(*from..end).unwrap_or(&[]).to_vec();
                self.lines
                    .back
                    .push_front(Line::Text { line: *line, bytes });
                end = *from;
            }
            return Ok(Some(RawRow {
                line: start,
                last_line: opened,
                cells: Err(RejectReason::Csv(problem)),
            }));
        }
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(self.delimiter)
            .from_reader(text.as_slice());
        let mut record = csv::ByteRecord::new();
        let cells = match reader.read_byte_record(&mut record) {
            Ok(_) => {
                // The lexer ends a record only at a line feed; the csv
                // reader also at a carriage return.
                let mut extra = csv::ByteRecord::new();
                match reader.read_byte_record(&mut extra) {
                    Ok(false) => Ok(record),
                    Ok(true) | Err(_) => Err(RejectReason::Csv(
                        "a carriage return without a line feed, outside quotes, ends a CSV row: \
                         the line holds more than one row (save the file with CRLF or LF line breaks)"
                            .to_string(),
                    )),
                }
            }
            Err(error) => Err(RejectReason::Csv(error.to_string())),
        };
        Ok(Some(RawRow {
            line: start,
            last_line: last,
            cells,
        }))
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
                if self.ended {
                    return None;
                }
                self.ended = true;
                self.end();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn evaluator() -> Evaluator {
        let mut sources = grantline_syntax::SourceMap::new();
        sources.add("schema.grant", include_str!("../tests/data/schema.grant"));
        Evaluator::new(grantline_compiler::compile(&sources).policy.unwrap()).unwrap()
    }

    /// Reads `text` with small limits: the messages, or the read error.
    fn read_small(text: &str, format: Format) -> Result<Vec<String>, String> {
        read_limited(text, format, 40, 100)
    }

    fn read_limited(
        text: &str,
        format: Format,
        record: usize,
        document: usize,
    ) -> Result<Vec<String>, String> {
        let evaluator = evaluator();
        let mapping = Mapping::default();
        let limits = Limits { record, document };
        let reader = HrReader::open(
            &evaluator,
            text.as_bytes(),
            "f",
            format,
            &mapping,
            Some("employee_id"),
            limits,
        )
        .map_err(|e| e.to_string())?;
        Ok(reader
            .map(|item| match item {
                Ok(record) => format!("ok {}", record.key.unwrap().value),
                Err(rejected) => rejected.to_string(),
            })
            .collect())
    }

    #[test]
    fn a_document_larger_than_the_limit_is_a_read_error() {
        let records = "{\"employee_id\": \"NW-1\"},\n".repeat(4);
        let array = format!("\n[\n{records}{{\"employee_id\": \"NW-5\"}}]\n");
        assert_eq!(
            read_small(&array, Format::Json),
            Err("the JSON document is larger than 100 bytes, the most read whole; write the export as JSON Lines, one record (for SCIM, one User) per line, which are read a record at a time".to_string())
        );
        // On one line too.
        assert_eq!(
            read_small(&array.replace('\n', ""), Format::Scim)
                .map_err(|e| e.starts_with("the JSON document is larger than 100 bytes")),
            Err(true)
        );
        let small = "\n[\n{\"employee_id\": \"NW-1\"},\n{\"employee_id\": \"NW-2\"}\n]";
        assert_eq!(
            read_small(small, Format::Json),
            Ok(vec!["ok NW-1".to_string(), "ok NW-2".to_string()])
        );
    }

    #[test]
    fn a_record_of_a_document_or_a_line_of_scim_past_its_limit_is_skipped() {
        let long = format!(
            "{{\"employee_id\": \"NW-2\", \"x\": \"{}\"}}",
            "y".repeat(20)
        );
        let array = format!("[{{\"employee_id\": \"NW-1\"}},\n{long}]");
        assert_eq!(
            read_small(&array, Format::Json),
            Ok(vec![
                "ok NW-1".to_string(),
                "f:2: record longer than 40 bytes, the most read as one record; it is skipped"
                    .to_string()
            ])
        );
        // A line of SCIM JSON Lines may be as long as a document (it may
        // be a ListResponse); each User in it as long as a record.
        let ext = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
        let user = |id: &str| format!("{{\"{ext}\": {{\"employeeNumber\": \"{id}\"}}}}");
        let list = format!("{{\"Resources\": [{}, {}]}}", user("NW-4"), user("NW-5"));
        let lines = [
            user("NW-1"),
            user(&"N".repeat(40)),
            user(&"N".repeat(150)),
            list,
            user("NW-3"),
        ]
        .join("\n");
        assert_eq!(
            read_limited(&lines, Format::Scim, 120, 200),
            Ok(vec![
                "ok NW-1".to_string(),
                "f:2: record longer than 120 bytes, the most read as one record; it is skipped"
                    .to_string(),
                "f:3: record longer than 200 bytes, the most read as one record; it is skipped"
                    .to_string(),
                "ok NW-4".to_string(),
                "ok NW-5".to_string(),
                "ok NW-3".to_string()
            ])
        );
    }
}
