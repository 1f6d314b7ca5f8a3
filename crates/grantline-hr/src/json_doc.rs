//! A JSON document read whole (a JSON array of records, one record object,
//! or a SCIM `ListResponse`) cut into its records with a scanner that only
//! follows strings and nesting, so that each record is parsed on its own,
//! keeps its starting line, and a bad record does not hide the others.

use serde_json::Value as Json;

use crate::scim::{Paging, LIST_RESPONSE};

/// One piece of a document: a record's text or a problem of the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece {
    /// The record at bytes `from..to`, starting at `line` after `column`
    /// characters.
    Record {
        from: usize,
        to: usize,
        line: usize,
        column: usize,
    },
    /// A problem of the document itself, at `line`.
    Problem { line: usize, message: String },
}

/// A document cut into pieces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Document {
    pub(crate) pieces: Vec<Piece>,
    /// Whether the top level is an array (its elements are the records).
    pub(crate) array: bool,
    /// For a SCIM `ListResponse`: its paging members and the number of
    /// its resources. The records are its resources.
    pub(crate) list: Option<ListInfo>,
}

/// What a `ListResponse` says of itself, and what it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ListInfo {
    /// The line of its opening `{`.
    pub(crate) line: usize,
    pub(crate) paging: Paging,
    /// The records of its `Resources`.
    pub(crate) count: u64,
}

/// Cuts `text` into records. `scim`: a top-level object with a `Resources`
/// member (any case), or whose `schemas` names the `ListResponse` message,
/// is a `ListResponse` whose resources are the records.
pub(crate) fn pieces(text: &str, scim: bool) -> Document {
    let mut scanner = Scanner {
        bytes: text.as_bytes(),
        text,
        at: 0,
        line: 1,
        out: Vec::new(),
    };
    scanner.skip_space();
    let start = (scanner.at, scanner.line);
    let mut array = false;
    let mut list = None;
    match scanner.peek() {
        None => {}
        Some(b'[') => {
            array = true;
            scanner.array();
            scanner.trailing("`]` of the array");
        }
        Some(b'{') if scim => match scanner.list_response() {
            Some(info) => list = Some(info),
            None => {
                // Not a ListResponse: the whole text is one User.
                scanner.out.clear();
                scanner.at = start.0;
                scanner.line = start.1;
                scanner.whole();
            }
        },
        Some(_) => scanner.whole(),
    }
    Document {
        pieces: scanner.out,
        array,
        list,
    }
}

/// A member of the top-level object: its name as written (between the
/// quotes) and its value's text.
struct Member<'a> {
    name: &'a str,
    from: usize,
    to: usize,
    line: usize,
}

struct Scanner<'a> {
    bytes: &'a [u8],
    text: &'a str,
    at: usize,
    line: usize,
    out: Vec<Piece>,
}

impl<'a> Scanner<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn skip_space(&mut self) {
        while let Some(byte) = self.peek() {
            match byte {
                b'\n' => self.line += 1,
                b' ' | b'\t' | b'\r' => {}
                _ => return,
            }
            self.at += 1;
        }
    }

    fn problem(&mut self, line: usize, message: &str) {
        self.out.push(Piece::Problem {
            line,
            message: format!("not valid JSON: {message}"),
        });
    }

    fn column_of(&self, from: usize) -> usize {
        let before = self.text.get(..from).unwrap_or("");
        before
            .rfind('\n')
            .map_or(before, |nl| before.get(nl + 1..).unwrap_or(""))
            .chars()
            .count()
    }

    fn record(&mut self, from: usize, line: usize, to: usize) {
        let column = self.column_of(from);
        let trimmed = self.text.get(from..to).unwrap_or("").trim_end();
        self.out.push(Piece::Record {
            from,
            to: from + trimmed.len(),
            line,
            column,
        });
    }

    /// The whole text, from the current position, as one record.
    fn whole(&mut self) {
        let (from, line) = (self.at, self.line);
        self.record(from, line, self.text.len());
    }

    /// Anything but whitespace after the closing bracket (`what`) of the
    /// top level.
    fn trailing(&mut self, what: &str) {
        self.skip_space();
        if self.peek().is_some() {
            let line = self.line;
            self.problem(line, &format!("text after the closing {what}"));
        }
    }

    /// An array of records; the scanner stands on its `[`. Leaves the
    /// scanner after the closing `]`; false when the text ends first.
    ///
    /// A record that follows a complete object or array without a comma
    /// (`[{…} {…}]`) is a record of its own, after a problem that says the
    /// comma is missing.
    fn array(&mut self) -> bool {
        self.at += 1;
        let mut depth = 0usize;
        let mut in_string = false;
        let mut escaped = false;
        let mut start: Option<(usize, usize)> = None;
        // Where the current record ended, when it is a complete object,
        // array or string and only whitespace followed.
        let mut complete: Option<usize> = None;
        let mut elements = 0usize;
        while let Some(byte) = self.peek() {
            if in_string {
                if escaped {
                    escaped = false;
                } else if byte == b'\\' {
                    escaped = true;
                } else if byte == b'"' {
                    in_string = false;
                    if depth == 0 {
                        complete = Some(self.at + 1);
                    }
                } else if byte == b'\n' {
                    self.line += 1;
                }
                self.at += 1;
                continue;
            }
            match byte {
                b'\n' => self.line += 1,
                b' ' | b'\t' | b'\r' => {}
                b',' | b']' if depth == 0 => {
                    complete = None;
                    match start.take() {
                        Some((from, from_line)) => {
                            elements += 1;
                            self.record(from, from_line, self.at);
                        }
                        None if byte == b']' && elements == 0 => {}
                        None => {
                            let line = self.line;
                            self.problem(line, "a record is missing (an extra comma?)");
                        }
                    }
                    if byte == b']' {
                        self.at += 1;
                        return true;
                    }
                    elements = elements.max(1);
                }
                b'{' | b'[' if depth == 0 && complete.is_some() => {
                    if let (Some((from, from_line)), Some(to)) = (start.take(), complete.take()) {
                        elements += 1;
                        self.record(from, from_line, to);
                    }
                    let line = self.line;
                    self.problem(line, "a comma is missing before this record");
                    start = Some((self.at, self.line));
                    depth += 1;
                }
                other => {
                    if start.is_none() {
                        start = Some((self.at, self.line));
                    }
                    match other {
                        b'"' => in_string = true,
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth = depth.saturating_sub(1);
                            if depth == 0 {
                                complete = Some(self.at + 1);
                            }
                        }
                        _ if depth == 0 => complete = None,
                        _ => {}
                    }
                }
            }
            self.at += 1;
        }
        if let Some((from, from_line)) = start {
            self.record(from, from_line, self.text.len());
        }
        let line = self.line;
        self.problem(line, "the array is not closed by `]`");
        false
    }

    /// The top-level object as a SCIM `ListResponse`: its `Resources` cut
    /// into records and its paging members read. `None` when it is no
    /// `ListResponse`: it has no `Resources` member and its `schemas` do not
    /// name the `ListResponse` message. Member names are matched ignoring
    /// case when no member has the exact name (RFC 7643 §2.1).
    fn list_response(&mut self) -> Option<ListInfo> {
        let text = self.text;
        let open_line = self.line;
        self.at += 1;
        let mut depth = 1usize;
        let mut members: Vec<Member<'a>> = Vec::new();
        let mut last_key: Option<(usize, usize)> = None;
        // After a member's `:`, its name until its value starts.
        let mut awaiting: Option<&'a str> = None;
        // The member whose value is being read: name, start, line.
        let mut value: Option<(&'a str, usize, usize)> = None;
        let mut string_start: Option<usize> = None;
        let mut escaped = false;
        let mut closed = false;
        let end_member = |value: &mut Option<(&'a str, usize, usize)>,
                          members: &mut Vec<Member<'a>>,
                          to: usize| {
            if let Some((name, from, line)) = value.take() {
                let trimmed = text.get(from..to).unwrap_or("").trim_end();
                members.push(Member {
                    name,
                    from,
                    to: from + trimmed.len(),
                    line,
                });
            }
        };
        while let Some(byte) = self.peek() {
            if let Some(name) = awaiting {
                if !matches!(byte, b' ' | b'\t' | b'\r' | b'\n') {
                    value = Some((name, self.at, self.line));
                    awaiting = None;
                }
            }
            if let Some(from) = string_start {
                if escaped {
                    escaped = false;
                } else if byte == b'\\' {
                    escaped = true;
                } else if byte == b'"' {
                    string_start = None;
                    if depth == 1 {
                        last_key = Some((from + 1, self.at));
                    }
                } else if byte == b'\n' {
                    self.line += 1;
                }
                self.at += 1;
                continue;
            }
            match byte {
                b'\n' => self.line += 1,
                b'"' => string_start = Some(self.at),
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        end_member(&mut value, &mut members, self.at);
                        closed = true;
                        self.at += 1;
                        break;
                    }
                }
                b':' if depth == 1 => {
                    awaiting = last_key.take().and_then(|(from, to)| text.get(from..to));
                }
                b',' if depth == 1 => {
                    last_key = None;
                    end_member(&mut value, &mut members, self.at);
                }
                _ => {}
            }
            self.at += 1;
        }
        if !closed {
            end_member(&mut value, &mut members, text.len());
        }
        let find = |name: &str| {
            members
                .iter()
                .find(|m| m.name == name)
                .or_else(|| members.iter().find(|m| m.name.eq_ignore_ascii_case(name)))
        };
        let value_of = |member: Option<&Member<'_>>| -> Option<Json> {
            let member = member?;
            serde_json::from_str(text.get(member.from..member.to)?).ok()
        };
        let resources = find("Resources");
        let named = match value_of(find("schemas")) {
            Some(Json::Array(schemas)) => schemas.iter().any(|s| {
                s.as_str()
                    .is_some_and(|s| s.eq_ignore_ascii_case(LIST_RESPONSE))
            }),
            _ => false,
        };
        if resources.is_none() && !named {
            return None;
        }
        let whole_number = |name: &str| match value_of(find(name)) {
            Some(Json::Number(number)) => number.as_u64(),
            Some(Json::String(text)) => text.trim().parse().ok(),
            _ => None,
        };
        let paging = Paging {
            total: whole_number("totalResults"),
            start_index: whole_number("startIndex"),
            items_per_page: whole_number("itemsPerPage"),
        };
        let resources = resources.map(|m| (m.from, m.to, m.line));
        let end = (self.at, self.line);
        let mut count = 0u64;
        let mut array_closed = true;
        if let Some((from, to, line)) = resources {
            self.at = from;
            self.line = line;
            match self.peek() {
                Some(b'[') => {
                    let before = self.out.len();
                    array_closed = self.array();
                    let records = self
                        .out
                        .iter()
                        .skip(before)
                        .filter(|p| matches!(p, Piece::Record { .. }))
                        .count();
                    count = u64::try_from(records).unwrap_or(u64::MAX);
                }
                _ if text.get(from..to) == Some("null") => {}
                _ => self.problem(line, "`Resources` of a ListResponse is not an array"),
            }
            (self.at, self.line) = end;
        }
        if closed {
            self.trailing("`}` of the ListResponse");
        } else if array_closed {
            let line = self.line;
            self.problem(line, "the ListResponse is not closed by `}`");
        }
        Some(ListInfo {
            line: open_line,
            paging,
            count,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::indexing_slicing)]
    use super::*;

    fn records(text: &str, scim: bool) -> Vec<String> {
        pieces(text, scim)
            .pieces
            .into_iter()
            .map(|p| match p {
                Piece::Record { from, to, line, .. } => format!("{line}: {}", &text[from..to]),
                Piece::Problem { line, message } => format!("{line}! {message}"),
            })
            .collect()
    }

    #[test]
    fn arrays_list_responses_and_single_objects() {
        assert_eq!(
            records("[\n {\"a\": \"x,]\"},\n {\"b\": [1, 2]}\n]\n", false),
            ["2: {\"a\": \"x,]\"}", "3: {\"b\": [1, 2]}"]
        );
        assert_eq!(
            records(
                "{\"schemas\": [\"x\"], \"totalResults\": 1,\n \"Resources\": [\n  {\"userName\": \"a\"}\n ]\n}",
                true
            ),
            ["3: {\"userName\": \"a\"}"]
        );
        assert_eq!(
            records("{\"userName\": \"a\",\n \"x\": {\"Resources\": 1}}", true),
            ["1: {\"userName\": \"a\",\n \"x\": {\"Resources\": 1}}"]
        );
        assert_eq!(
            records("[1,,2", false),
            [
                "1: 1",
                "1! not valid JSON: a record is missing (an extra comma?)",
                "1: 2",
                "1! not valid JSON: the array is not closed by `]`"
            ]
        );
        assert_eq!(
            records("[]\n x", false),
            ["2! not valid JSON: text after the closing `]` of the array"]
        );
    }

    #[test]
    fn a_missing_comma_between_records_is_a_problem_between_two_records() {
        assert_eq!(
            records(
                "[\n {\"a\": [1]}\n {\"b\": \"}\"}\n [2] {\"c\": 3},\n \"x\" {\"d\": 4}\n]",
                false
            ),
            [
                "2: {\"a\": [1]}",
                "3! not valid JSON: a comma is missing before this record",
                "3: {\"b\": \"}\"}",
                "4! not valid JSON: a comma is missing before this record",
                "4: [2]",
                "4! not valid JSON: a comma is missing before this record",
                "4: {\"c\": 3}",
                "5: \"x\"",
                "5! not valid JSON: a comma is missing before this record",
                "5: {\"d\": 4}",
            ]
        );
        // Anything else after a record is part of it, for the record's
        // parser to report.
        assert_eq!(
            records("[{\"a\": 1} x, 2]", false),
            ["1: {\"a\": 1} x", "1: 2"]
        );
        // In a ListResponse too.
        let doc = pieces("{\"Resources\": [{\"a\": 1}\n{\"b\": 2}]}", true);
        assert_eq!(doc.list.map(|l| l.count), Some(2));
        assert_eq!(doc.pieces.len(), 3);
    }

    #[test]
    fn the_paging_members_of_a_list_response_in_any_case_and_place() {
        let text = "{\"resources\": [{\"a\": 1}, {\"b\": 2}],\n \"TOTALRESULTS\": 5, \"StartIndex\": \"3\",\n \"itemsPerPage\": 2, \"schemas\": []}";
        let doc = pieces(text, true);
        assert_eq!(records(text, true), ["1: {\"a\": 1}", "1: {\"b\": 2}"]);
        assert_eq!(
            doc.list,
            Some(ListInfo {
                line: 1,
                paging: Paging {
                    total: Some(5),
                    start_index: Some(3),
                    items_per_page: Some(2),
                },
                count: 2,
            })
        );
        // The exact name wins over another spelling.
        let doc = pieces("{\"resources\": 1, \"Resources\": [{\"a\": 1}]}", true);
        assert_eq!(doc.list.map(|l| l.count), Some(1));
        // A ListResponse without `Resources` (none found) is named by its
        // `schemas`; a User's `schemas` make no ListResponse.
        let empty = format!("{{\"schemas\": [\"{LIST_RESPONSE}\"], \"totalResults\": 0}}");
        let doc = pieces(&empty, true);
        assert!(doc.pieces.is_empty());
        assert_eq!(
            doc.list.map(|l| (l.paging.total, l.count)),
            Some((Some(0), 0))
        );
        let user =
            "{\"schemas\": [\"urn:ietf:params:scim:schemas:core:2.0:User\"], \"userName\": \"a\"}";
        assert_eq!(pieces(user, true).list, None);
        assert_eq!(records(user, true).len(), 1);
        // Problems of the ListResponse itself.
        assert_eq!(
            records("{\"Resources\": {}}\n{}", true),
            [
                "1! not valid JSON: `Resources` of a ListResponse is not an array",
                "2! not valid JSON: text after the closing `}` of the ListResponse"
            ]
        );
        assert_eq!(
            records("{\"Resources\": [{\"a\": 1}],\n \"totalResults\": 1", true),
            [
                "1: {\"a\": 1}",
                "2! not valid JSON: the ListResponse is not closed by `}`"
            ]
        );
        assert_eq!(
            records("{\"Resources\": [{\"a\": 1},\n", true),
            [
                "1: {\"a\": 1}",
                "2! not valid JSON: the array is not closed by `]`"
            ]
        );
    }
}
