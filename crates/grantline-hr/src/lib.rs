//! HR input adapters: HR exports (CSV, JSON, JSON Lines, SCIM 2.0) turned
//! into identities checked against a policy set's schema.
//!
//! ```
//! use grantline_eval::Evaluator;
//! use grantline_hr::{read, Format, Mapping};
//! use grantline_syntax::SourceMap;
//!
//! let mut sources = SourceMap::new();
//! sources.add("schema.grant", r#"
//!     attribute employee_id: text
//!     attribute employment: full-time | part-time | contractor
//!     attribute level: number
//!     entitlement slack
//!     rule everyone: anyone grants slack
//! "#);
//! let policy = grantline_compiler::compile(&sources).policy.ok_or("policy errors")?;
//! let evaluator = Evaluator::new(policy)?;
//! let mapping = Mapping::parse("hr.toml", r#"
//!     [columns]
//!     "Employee ID" = "employee_id"
//!     [values.employment]
//!     FT = "full-time"
//! "#)?;
//! let export = "Employee ID,employment,level\nNW-1,FT,5\nNW-2,FX,5\nNW-1,FT,6\n";
//! let mut reader = read(&evaluator, export.as_bytes(), "export.csv", Format::Csv, &mapping, Some("employee_id"))?;
//! let messages: Vec<String> = reader
//!     .by_ref()
//!     .filter_map(|item| item.err())
//!     .map(|rejected| rejected.to_string())
//!     .collect();
//! assert_eq!(messages, [
//!     "export.csv:3 (employee_id NW-2): field `employment`: unknown value `FX`; did you mean `FT` (`full-time`)?",
//!     "export.csv:4 (employee_id NW-1): duplicate key NW-1, first at line 2",
//! ]);
//! let summary = reader.summary();
//! assert_eq!((summary.read, summary.accepted, summary.rejected), (3, 1, 2));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Reading
//!
//! [`read`] (or [`HrReader::new`]) returns an [`HrReader`], an iterator of
//! `Result<`[`Record`]`, `[`Rejected`]`>` in input order. Every record is
//! checked by [`Evaluator::identity_from_json`](grantline_eval::Evaluator::identity_from_json);
//! a rejection names the file, the line where the record starts, the
//! record's key and every problem of the record. Nothing is merged or
//! guessed: with a key attribute, a record without a key is rejected, and so
//! is a second record with a key already seen. Keys are compared, and shown
//! in [`RecordKey`], in the form the schema holds them: text trimmed (in
//! every format), a number as a number (`0042`, `42`, `42.0` and `4.2e1`
//! are the key `42`). [`HrReader::summary`] counts what was read:
//! `read == accepted + rejected`. A part of the input that is no record (a
//! broken JSON array, an unreadable CSV header) is counted as a rejection
//! too.
//!
//! Memory does not grow with the number of people, except for the set of
//! keys seen: CSV and JSON Lines are read a record at a time; a JSON array
//! or SCIM `ListResponse` is read whole, then checked a record at a time.
//! A record may be at most [`MAX_RECORD_BYTES`] (1 MiB, line breaks
//! included): a longer line of JSON Lines or CSV row is rejected with its
//! line, skipped to the next line without being held, and reading goes on.
//! A JSON document read whole may be at most [`MAX_DOCUMENT_BYTES`]
//! (256 MiB); a larger one is a [`ReadError::DocumentTooLarge`] (JSON
//! Lines have no such limit).
//!
//! [`read`] reads the start of the input at once: a JSON document whole,
//! to check that it is a whole export (see SCIM below).
//!
//! # Formats
//!
//! [`Format`] is chosen explicitly (also by name: `json`, `jsonl`, `csv`,
//! `scim`) or detected by [`Format::detect`] from the file name (`.csv`,
//! `.json`, `.jsonl`/`.ndjson`, `.scim.json`) and content (JSON that
//! mentions `urn:ietf:params:scim:` is SCIM). A UTF-8 byte-order mark is
//! skipped in every format.
//!
//! - **CSV**: a header row, then one record per row (RFC 4180 quoting, so
//!   a quoted cell may hold the delimiter or a line break; the record's line
//!   is where it starts). A quote opens a quoted cell only at the start of a
//!   cell (`""` in it is one quote); a quote anywhere else is text
//!   (`O"Brien`). A quoted cell that is not closed by the end of the file or
//!   within [`MAX_RECORD_BYTES`], or that is closed on a later line by a
//!   quote followed by text (`…"x`), rejects its row up to the line of its
//!   opening quote, which is taken for a stray one, and the lines after it
//!   are read again as rows: rows are never merged. A carriage return
//!   without a line feed outside quotes (which ends a row in CSV) rejects
//!   its line. Cells are trimmed; an empty cell is absent; a row of empty
//!   cells is skipped; a row with another number of cells than the header
//!   is rejected. Cells are text, converted to the attribute's kind:
//!   numbers (`7`, `7.5`), flags by their spellings, dates by
//!   `date-format`, lists split at `list-separator` (items trimmed, empty
//!   items dropped). A column of a name the schema does not declare is
//!   kept as text (the record then warns of an unknown field). Two columns
//!   that give the same attribute make the header unreadable: reading stops.
//! - **JSON**: an array of objects (or one object), each a record keyed by
//!   field name. JSON types are kept (the schema check is strict), except
//!   that the key attribute's text is trimmed; the mapping renames fields
//!   and applies `[values]` spellings. A record that follows another
//!   without a comma (`[{…} {…}]`) is read, after a rejection for the
//!   missing comma at its line.
//!
//!   In every format, a number for a number attribute must be one the
//!   schema holds exactly (a 64-bit float: about 15 significant digits):
//!   `12345678901234567890` or `0.30000000000000001`, which would be read
//!   as another number, and `1e400`, out of range, are rejected by their
//!   field.
//! - **JSON Lines**: one object per line, blank lines skipped. A `json`
//!   input whose first line is a whole JSON value is read this way too.
//! - **SCIM 2.0** Users (RFC 7643): a `ListResponse` (its `Resources`), an
//!   array of Users, one User, or JSON Lines of Users (or of
//!   `ListResponse`s). A `ListResponse` is an object with a `Resources`
//!   member or whose `schemas` name
//!   `urn:ietf:params:scim:api:messages:2.0:ListResponse`; its members'
//!   names (`Resources`, `totalResults`, `startIndex`, `itemsPerPage`,
//!   `schemas`) are matched ignoring case (RFC 7643 §2.1). A
//!   `ListResponse` that is one page of a paginated result (its
//!   `startIndex` is after 1, or it holds fewer `Resources` than its
//!   `totalResults`) alone in its file (not in an array) would leave out
//!   everyone on the other pages: it is a [`ReadError::PartialPage`], and
//!   nothing is read.
//!   All the pages in one file are read: one `ListResponse` holding every
//!   `Resources` (its `itemsPerPage` does not matter), or the pages as
//!   JSON Lines or an array; items of `1..=totalResults` that no page holds
//!   are then told by a rejection ([`RejectReason::MissingItems`]) after
//!   the records. The fields below are read, by default into the
//!   attribute shown, but only when the schema declares it; the mapping's
//!   `[columns]` overrides a default by the field's name (`"enterprise.department"
//!   = "org_unit"`, or `""` to drop it), and reads a field without a
//!   default only when it names it. Other members are ignored.
//!
//!   | SCIM field (mapping name) | read from | default attribute |
//!   | --- | --- | --- |
//!   | `userName` | `userName` | `user_name` |
//!   | `active` | `active` (true/false) | `active` |
//!   | `userType` | `userType` | `employment` |
//!   | `title` | `title` | `title` |
//!   | `displayName` | `displayName` | `display_name` |
//!   | `emails.primary` | `value` of the `emails` entry with `primary: true`, else of the first | `email` |
//!   | `name.givenName` | `name.givenName` | `given_name` |
//!   | `name.familyName` | `name.familyName` | `family_name` |
//!   | `enterprise.employeeNumber` | enterprise extension `employeeNumber` | `employee_id` |
//!   | `enterprise.costCenter` | enterprise `costCenter` | `cost_center` |
//!   | `enterprise.organization` | enterprise `organization` | `organization` |
//!   | `enterprise.division` | enterprise `division` | `division` |
//!   | `enterprise.department` | enterprise `department` | `department` |
//!   | `enterprise.manager` | enterprise `manager.value` (the manager's id) | `manager_id` |
//!   | `addresses.primary.country` | `country` of the `addresses` entry with `primary: true`, else of the first | `country` |
//!   | `addresses.primary.locality` | `locality` of that address; likewise `formatted`, `streetAddress`, `region`, `postalCode`, `type` | none |
//!   | `groups` | `display` of each `groups` entry (its `value` when it has no `display`), as a list | `groups` |
//!
//!   The enterprise extension is the member
//!   `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`.
//!
//!   Any other attribute, such as one of a custom extension schema, is
//!   named in SCIM attribute notation (RFC 7644 §3.10): the schema URN,
//!   `:`, the attribute name, and optionally `.` and a sub-attribute:
//!   `"urn:ietf:params:scim:schemas:extension:acme:2.0:User:site" = "site"`
//!   reads the member `site` of the User's member
//!   `urn:ietf:params:scim:schemas:extension:acme:2.0:User`; `…:badge.site`
//!   reads `site` of the complex attribute `badge` (of each entry, as a
//!   list, when `badge` is multi-valued). The core schema's URN
//!   (`urn:ietf:params:scim:schemas:core:2.0:User`) reads the User's own
//!   attributes (`…:User:externalId`). A field of the table spelled this
//!   way (`…:enterprise:2.0:User:department`, `…:enterprise:2.0:User:manager`
//!   or `…:manager.value`, `…:core:2.0:User:userName`) is that field: it replaces its default
//!   just as its name does. Attribute names are matched ignoring case when
//!   no member has the exact name. A mapping name that starts with `urn:`
//!   and is not attribute notation is a mistake of the mapping. A User of
//!   another shape than a field expects (an extension or address that is
//!   not an object, a group without `display` or `value`, a sub-attribute
//!   of text) is rejected, naming the field; a value of the wrong kind for
//!   its attribute is rejected by the schema check, as in JSON.
//!
//!   `active: false` says nothing about a status attribute unless the
//!   mapping says so: map `active` to the status attribute and spell the
//!   booleans, e.g. `[columns] active = "status"` with
//!   `[values.status] true = "active"` and `false = "terminated"`, or read
//!   the status from an extension attribute of the identity provider.
//!
//! # The mapping
//!
//! A [`Mapping`] (TOML, see its documentation) renames columns
//! (`[columns]`), spells values (`[values.<attribute>]`), and sets the list
//! separator, date format, CSV delimiter and spellings of flags. Columns it
//! does not name pass through under their own name. [`Mapping::check`]
//! checks its `[values]` tables against a schema.

mod convert;
mod format;
mod json_doc;
mod mapping;
mod number;
mod reader;
pub mod scim;

pub use format::{Format, UnknownFormat};
pub use mapping::{
    Mapping, MappingError, DEFAULT_DATE_FORMAT, DEFAULT_FALSE, DEFAULT_LIST_SEPARATOR, DEFAULT_TRUE,
};
pub use reader::{
    read, HrReader, ReadError, Record, RecordKey, RejectReason, Rejected, Summary,
    MAX_DOCUMENT_BYTES, MAX_RECORD_BYTES,
};

/// The closest of `candidates` to `name`, by the evaluator's rules for "did
/// you mean".
pub(crate) fn closest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    grantline_eval::suggest(name, candidates).into_iter().next()
}
