//! A JSON document read whole (a JSON array of records, one record object,
//! or a SCIM `ListResponse`) cut into its records with a scanner that only
//! follows strings and nesting, so that each record is parsed on its own,
//! keeps its starting line, and a bad record does not hide the others.

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

/// Cuts `text` into records. `scim`: a top-level object with a `Resources`
/// member is a `ListResponse` whose resources are the records.
pub(crate) fn pieces(text: &str, scim: bool) -> Vec<Piece> {
    let mut scanner = Scanner {
        bytes: text.as_bytes(),
        text,
        at: 0,
        line: 1,
        out: Vec::new(),
    };
    scanner.skip_space();
    let start = (scanner.at, scanner.line);
    match scanner.peek() {
        None => {}
        Some(b'[') => {
            scanner.array();
            scanner.trailing("array");
        }
        Some(b'{') if scim && !scanner.find_resources() => {
            // Not a ListResponse: the whole text is one User.
            scanner.out.clear();
            scanner.at = start.0;
            scanner.line = start.1;
            scanner.whole();
        }
        Some(b'{') if scim => {}
        Some(_) => scanner.whole(),
    }
    scanner.out
}

struct Scanner<'a> {
    bytes: &'a [u8],
    text: &'a str,
    at: usize,
    line: usize,
    out: Vec<Piece>,
}

impl Scanner<'_> {
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

    /// Anything but whitespace after the closing bracket of the top level.
    fn trailing(&mut self, what: &str) {
        self.skip_space();
        if self.peek().is_some() {
            let line = self.line;
            self.problem(line, &format!("text after the closing `]` of the {what}"));
        }
    }

    /// An array of records; the scanner stands on its `[`. Leaves the
    /// scanner after the closing `]`.
    fn array(&mut self) {
        self.at += 1;
        let mut depth = 0usize;
        let mut in_string = false;
        let mut escaped = false;
        let mut start: Option<(usize, usize)> = None;
        let mut elements = 0usize;
        while let Some(byte) = self.peek() {
            if in_string {
                if escaped {
                    escaped = false;
                } else if byte == b'\\' {
                    escaped = true;
                } else if byte == b'"' {
                    in_string = false;
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
                        return;
                    }
                    elements = elements.max(1);
                }
                other => {
                    if start.is_none() {
                        start = Some((self.at, self.line));
                    }
                    match other {
                        b'"' => in_string = true,
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => depth = depth.saturating_sub(1),
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
    }

    /// In a top-level object, the `Resources` member: its records are read
    /// as an array. False when the object has no `Resources` member.
    fn find_resources(&mut self) -> bool {
        self.at += 1;
        let mut depth = 1usize;
        let mut last_key: Option<(usize, usize)> = None;
        let mut string_start: Option<usize> = None;
        let mut escaped = false;
        while let Some(byte) = self.peek() {
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
                        return false;
                    }
                }
                b':' if depth == 1 => {
                    let key = last_key.and_then(|(from, to)| self.text.get(from..to));
                    if key == Some("Resources") {
                        self.at += 1;
                        self.skip_space();
                        if self.peek() == Some(b'[') {
                            self.array();
                        } else {
                            let line = self.line;
                            self.problem(line, "`Resources` of a ListResponse is not an array");
                        }
                        return true;
                    }
                }
                b',' if depth == 1 => last_key = None,
                _ => {}
            }
            self.at += 1;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::indexing_slicing)]
    use super::*;

    fn records(text: &str, scim: bool) -> Vec<String> {
        pieces(text, scim)
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
}
