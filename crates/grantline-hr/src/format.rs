//! The formats of HR exports, chosen explicitly or detected.

use std::fmt;
use std::io::{self, BufRead};
use std::path::Path;
use std::str::FromStr;

/// The layout of an HR export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// A JSON array of records (or one record object), each an object keyed
    /// by column name.
    Json,
    /// JSON Lines: one record object per line; blank lines are skipped.
    JsonLines,
    /// Comma-separated values with a header row (RFC 4180 quoting).
    Csv,
    /// SCIM 2.0 User resources: a `ListResponse`, a JSON array of Users,
    /// one User, or JSON Lines of Users.
    Scim,
}

/// Text that marks a SCIM document.
const SCIM_MARKER: &[u8] = b"urn:ietf:params:scim:";

impl Format {
    /// The name used on the command line and in [`FromStr`].
    pub fn name(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::JsonLines => "jsonl",
            Format::Csv => "csv",
            Format::Scim => "scim",
        }
    }

    /// The format a file name's extension names: `.scim.json` is SCIM,
    /// `.json` JSON, `.jsonl` and `.ndjson` JSON Lines, `.csv` CSV (any
    /// letter case). `None` for any other name.
    pub fn from_extension(path: &Path) -> Option<Format> {
        let name = path.file_name()?.to_str()?.to_ascii_lowercase();
        if name.ends_with(".scim.json") || name.ends_with(".scim.jsonl") {
            Some(Format::Scim)
        } else if name.ends_with(".jsonl") || name.ends_with(".ndjson") {
            Some(Format::JsonLines)
        } else if name.ends_with(".json") {
            Some(Format::Json)
        } else if name.ends_with(".csv") {
            Some(Format::Csv)
        } else {
            None
        }
    }

    /// The format of content that starts with `head` (a byte-order mark is
    /// skipped): JSON that mentions a SCIM schema URN
    /// (`urn:ietf:params:scim:`) is SCIM; `[` starts a JSON array; `{`
    /// starts JSON Lines when the first line is a whole JSON value and one
    /// JSON object otherwise; anything else is CSV.
    pub fn sniff(head: &[u8]) -> Format {
        let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
        let start = head.iter().position(|b| !b.is_ascii_whitespace());
        let rest = start.and_then(|at| head.get(at..)).unwrap_or(&[]);
        match rest.first() {
            Some(b'[' | b'{') if contains(rest, SCIM_MARKER) => Format::Scim,
            Some(b'[') => Format::Json,
            Some(b'{') => {
                let first_line = rest.split(|b| *b == b'\n').next().unwrap_or(rest);
                if serde_json::from_slice::<serde::de::IgnoredAny>(first_line).is_ok() {
                    Format::JsonLines
                } else {
                    Format::Json
                }
            }
            _ => Format::Csv,
        }
    }

    /// The format of `input` named `path`: by the extension, except that a
    /// `.json`, `.jsonl` or `.ndjson` file that mentions a SCIM schema URN
    /// near its start is SCIM; by the content ([`sniff`](Self::sniff)) when
    /// the extension says nothing. Looks at the buffered start of `input`
    /// without consuming it.
    pub fn detect<R: BufRead>(path: &Path, input: &mut R) -> io::Result<Format> {
        let by_name = Format::from_extension(path);
        match by_name {
            Some(named @ (Format::Csv | Format::Scim)) => Ok(named),
            Some(named) => {
                let head = input.fill_buf()?;
                Ok(if Format::sniff(head) == Format::Scim {
                    Format::Scim
                } else {
                    named
                })
            }
            None => Ok(Format::sniff(input.fill_buf()?)),
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A format name that is not one of `json`, `jsonl`, `csv`, `scim`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown HR format `{0}`; expected one of `json`, `jsonl`, `csv`, `scim`")]
pub struct UnknownFormat(pub String);

impl FromStr for Format {
    type Err = UnknownFormat;

    /// `json`, `jsonl` (also `json-lines`, `ndjson`), `csv`, `scim`; any
    /// letter case.
    fn from_str(name: &str) -> Result<Format, UnknownFormat> {
        match name.to_ascii_lowercase().as_str() {
            "json" => Ok(Format::Json),
            "jsonl" | "json-lines" | "jsonlines" | "ndjson" => Ok(Format::JsonLines),
            "csv" => Ok(Format::Csv),
            "scim" => Ok(Format::Scim),
            _ => Err(UnknownFormat(name.to_string())),
        }
    }
}
