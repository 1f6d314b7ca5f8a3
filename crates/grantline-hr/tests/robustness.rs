#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! Inputs that once lost, merged or misread records: stray quotes in CSV,
//! a page of a paginated SCIM `ListResponse`, keys written in several ways,
//! records too long to hold, numbers that do not fit, and a JSON array
//! that lacks a comma. Every record read is accounted for.

use std::path::Path;

use grantline_eval::{AttributeValue, Evaluator};
use grantline_hr::{read, Format, Mapping, Record, Rejected, Summary};
use grantline_syntax::SourceMap;

fn evaluator_of(schema: &str) -> Evaluator {
    let mut sources = SourceMap::new();
    sources.add("schema.grant", schema);
    let compiled = grantline_compiler::compile(&sources);
    assert!(
        compiled.diagnostics.is_empty(),
        "{:?}",
        compiled.diagnostics
    );
    Evaluator::new(compiled.policy.expect("compiles")).expect("valid")
}

/// The schema of the other HR tests.
fn evaluator() -> Evaluator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/schema.grant");
    evaluator_of(&std::fs::read_to_string(path).unwrap())
}

/// A schema whose key is a number.
fn numbered() -> Evaluator {
    evaluator_of(
        "timezone \"UTC\"\nattribute badge: number\nattribute name: optional text\n\
         entitlement slack\nrule everyone: anyone grants slack\n",
    )
}

struct Outcome {
    records: Vec<Record>,
    rejected: Vec<Rejected>,
    summary: Summary,
}

impl Outcome {
    fn messages(&self) -> Vec<String> {
        self.rejected.iter().map(ToString::to_string).collect()
    }

    fn keys(&self) -> Vec<String> {
        self.records
            .iter()
            .map(|r| r.key.as_ref().map(|k| k.value.clone()).unwrap_or_default())
            .collect()
    }

    fn value(&self, key: &str, attribute: &str) -> Option<AttributeValue> {
        let record = self
            .records
            .iter()
            .find(|r| r.key.as_ref().is_some_and(|k| k.value == key))
            .unwrap_or_else(|| panic!("no record {key}"));
        record.identity.get(attribute).cloned()
    }
}

fn outcome_of<R: std::io::BufRead>(mut reader: grantline_hr::HrReader<'_, R>) -> Outcome {
    let mut records = Vec::new();
    let mut rejected = Vec::new();
    for item in reader.by_ref() {
        match item {
            Ok(record) => records.push(record),
            Err(rejection) => rejected.push(rejection),
        }
    }
    let summary = reader.summary();
    assert_eq!(summary.read, summary.accepted + summary.rejected);
    assert_eq!(summary.accepted, records.len());
    assert_eq!(summary.rejected, rejected.len());
    Outcome {
        records,
        rejected,
        summary,
    }
}

fn read_as(
    evaluator: &Evaluator,
    text: &str,
    file: &str,
    format: Format,
    key: Option<&str>,
) -> Outcome {
    let mapping = Mapping::default();
    let reader = read(evaluator, text.as_bytes(), file, format, &mapping, key)
        .unwrap_or_else(|e| panic!("{file}: {e}"));
    outcome_of(reader)
}

/// The error of a read that cannot start, if it is one.
fn read_error(evaluator: &Evaluator, text: &str, format: Format) -> Option<String> {
    let mapping = Mapping::default();
    read(
        evaluator,
        text.as_bytes(),
        "users.scim.json",
        format,
        &mapping,
        Some("employee_id"),
    )
    .err()
    .map(|e| e.to_string())
}

fn summary(read: usize, accepted: usize, rejected: usize) -> Summary {
    Summary {
        read,
        accepted,
        rejected,
    }
}

const CSV_HEADER: &str = "employee_id,email,employment,status,department,level,start_date,title\n";

fn csv_row(id: &str, title: &str) -> String {
    format!("{id},{id}@nw.example,full-time,active,Sales,5,2024-01-31,{title}\n")
}

fn text(s: &str) -> Option<AttributeValue> {
    Some(AttributeValue::Text(s.to_string()))
}

// 1. CSV quoting.

#[test]
fn a_quote_inside_an_unquoted_csv_cell_is_text_and_rows_stay_apart() {
    let evaluator = evaluator();
    let input = [
        CSV_HEADER.to_string(),
        csv_row("NW-1", "O\"Brien"),
        csv_row("NW-2", "Ann"),
        csv_row("NW-3", "5\"10 tall"),
        csv_row("NW-4", "\"Lead, \"\"Sales\"\"\""),
        csv_row("NW-5", "\"two\nlines\""),
        csv_row("NW-6", "Bo"),
    ]
    .concat();
    let outcome = read_as(
        &evaluator,
        &input,
        "x.csv",
        Format::Csv,
        Some("employee_id"),
    );
    assert_eq!(outcome.messages(), Vec::<String>::new());
    assert_eq!(
        outcome.keys(),
        ["NW-1", "NW-2", "NW-3", "NW-4", "NW-5", "NW-6"]
    );
    assert_eq!(outcome.value("NW-1", "title"), text("O\"Brien"));
    assert_eq!(outcome.value("NW-3", "title"), text("5\"10 tall"));
    assert_eq!(outcome.value("NW-4", "title"), text("Lead, \"Sales\""));
    assert_eq!(outcome.value("NW-5", "title"), text("two\nlines"));
    let lines: Vec<usize> = outcome.records.iter().map(|r| r.line).collect();
    assert_eq!(lines, [2, 3, 4, 5, 6, 8]);
    assert_eq!(outcome.summary, summary(6, 6, 0));
}

#[test]
fn a_quoted_csv_cell_that_is_never_closed_rejects_its_row_and_the_next_rows_are_read() {
    let evaluator = evaluator();
    let input = [
        CSV_HEADER.to_string(),
        csv_row("NW-1", "\"Bob"),
        csv_row("NW-2", "Ann"),
        csv_row("NW-3", "Cy"),
    ]
    .concat();
    let outcome = read_as(
        &evaluator,
        &input,
        "x.csv",
        Format::Csv,
        Some("employee_id"),
    );
    assert_eq!(
        outcome.messages(),
        ["x.csv:2: a quoted cell opened on line 2 is not closed by the end of the file"]
    );
    assert_eq!(outcome.keys(), ["NW-2", "NW-3"]);
    assert_eq!(outcome.summary, summary(3, 2, 1));
}

#[test]
fn a_stray_opening_quote_does_not_take_the_next_row_into_its_cell() {
    let evaluator = evaluator();
    // The quote before `Bob` opens a cell that the quote before `x`, on
    // the next line, would close (as `"Bob…NW-2,…,"x"`): one record of the
    // right width, with NW-2 inside a title.
    let input = [
        CSV_HEADER.to_string(),
        csv_row("NW-1", "\"Bob"),
        csv_row("NW-2", "\"x\""),
        csv_row("NW-3", "Cy"),
    ]
    .concat();
    let outcome = read_as(
        &evaluator,
        &input,
        "x.csv",
        Format::Csv,
        Some("employee_id"),
    );
    assert_eq!(
        outcome.messages(),
        ["x.csv:2: a quoted cell opened on line 2 is not closed as a cell ends: on line 3, a quote is followed by text"]
    );
    assert_eq!(outcome.keys(), ["NW-2", "NW-3"]);
    assert_eq!(outcome.value("NW-2", "title"), text("x"));
    // A quoted cell that does take the next line into a row of another
    // width says so.
    let input = format!("{CSV_HEADER}NW-1,\"a\nNW-2\",b\n{}", csv_row("NW-3", "Cy"));
    let outcome = read_as(
        &evaluator,
        &input,
        "x.csv",
        Format::Csv,
        Some("employee_id"),
    );
    assert_eq!(
        outcome.messages(),
        ["x.csv:2: the row has 3 cells but the header has 8 columns (a quoted cell takes the row from line 2 to line 3)"]
    );
    assert_eq!(outcome.keys(), ["NW-3"]);
}

#[test]
fn a_carriage_return_that_ends_a_csv_row_inside_a_line_is_a_rejection_not_a_lost_row() {
    let evaluator = evaluator();
    let input = format!(
        "{CSV_HEADER}{}\r{}{}",
        csv_row("NW-1", "A").trim_end(),
        csv_row("NW-2", "B"),
        csv_row("NW-3", "C")
    );
    let outcome = read_as(
        &evaluator,
        &input,
        "x.csv",
        Format::Csv,
        Some("employee_id"),
    );
    assert_eq!(
        outcome.messages(),
        ["x.csv:2: a carriage return without a line feed, outside quotes, ends a CSV row: the line holds more than one row (save the file with CRLF or LF line breaks)"]
    );
    assert_eq!(outcome.keys(), ["NW-3"]);
    // CRLF line breaks are line breaks.
    let input = format!(
        "{CSV_HEADER}{}{}{}",
        csv_row("NW-1", "A"),
        csv_row("NW-2", "B"),
        csv_row("NW-3", "C")
    )
    .replace('\n', "\r\n");
    let outcome = read_as(
        &evaluator,
        &input,
        "x.csv",
        Format::Csv,
        Some("employee_id"),
    );
    assert_eq!(outcome.keys(), ["NW-1", "NW-2", "NW-3"]);
}

// 2. Paginated SCIM ListResponses.

const USER: &str = "{\"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\": {\"employeeNumber\": \"NW-ID\"}}";

fn user(id: usize) -> String {
    USER.replace("ID", &id.to_string())
}

fn list_response(members: &str, users: std::ops::RangeInclusive<usize>) -> String {
    let users: Vec<String> = users.map(user).collect();
    format!(
        "{{\"schemas\": [\"urn:ietf:params:scim:api:messages:2.0:ListResponse\"],\n {members},\n \"Resources\": [\n  {}\n ]\n}}\n",
        users.join(",\n  ")
    )
}

#[test]
fn a_page_of_a_paginated_list_response_is_no_whole_export() {
    let evaluator = evaluator();
    let first = list_response(
        "\"totalResults\": 5, \"itemsPerPage\": 2, \"startIndex\": 1",
        1..=2,
    );
    assert_eq!(
        read_error(&evaluator, &first, Format::Scim).as_deref(),
        Some("this is page 1 of a paginated ListResponse (items 1–2 of 5); export all users in one file or concatenate the pages")
    );
    // The last page lacks the items before it; member names in any case.
    let last = list_response(
        "\"TotalResults\": 5, \"itemsperpage\": 2, \"STARTINDEX\": 5",
        5..=5,
    )
    .replace("\"Resources\"", "\"resources\"")
    .replace("\"schemas\"", "\"Schemas\"");
    assert_eq!(
        read_error(&evaluator, &last, Format::Scim).as_deref(),
        Some("this is page 3 of a paginated ListResponse (item 5 of 5); export all users in one file or concatenate the pages")
    );
    // One line, as an API returns it.
    let one_line = first.replace('\n', "");
    assert_eq!(
        read_error(&evaluator, &one_line, Format::Scim).as_deref(),
        Some("this is page 1 of a paginated ListResponse (items 1–2 of 5); export all users in one file or concatenate the pages")
    );
    // An empty page past the first.
    let empty = "{\"schemas\": [\"urn:ietf:params:scim:api:messages:2.0:ListResponse\"], \"totalResults\": 3}";
    assert_eq!(
        read_error(&evaluator, empty, Format::Scim).as_deref(),
        Some("this is page 1 of a paginated ListResponse (no items of 3); export all users in one file or concatenate the pages")
    );
}

#[test]
fn a_whole_list_response_and_concatenated_pages_are_read() {
    let evaluator = evaluator();
    // All pages in one ListResponse that kept the first page's members but
    // `totalResults`.
    let whole = list_response(
        "\"totalResults\": 5, \"itemsPerPage\": 2, \"startIndex\": 1",
        1..=5,
    );
    let outcome = read_as(
        &evaluator,
        &whole,
        "u.scim.json",
        Format::Scim,
        Some("employee_id"),
    );
    assert_eq!(outcome.keys(), ["NW-1", "NW-2", "NW-3", "NW-4", "NW-5"]);
    // The pages as JSON Lines, in any order.
    let page = |start: usize, users| {
        list_response(
            &format!("\"totalResults\": 5, \"itemsPerPage\": 2, \"startIndex\": {start}"),
            users,
        )
        .replace('\n', "")
            + "\n"
    };
    let pages = [page(3, 3..=4), page(1, 1..=2), page(5, 5..=5)].concat();
    let outcome = read_as(
        &evaluator,
        &pages,
        "u.scim.jsonl",
        Format::Scim,
        Some("employee_id"),
    );
    assert_eq!(outcome.messages(), Vec::<String>::new());
    assert_eq!(outcome.keys(), ["NW-3", "NW-4", "NW-1", "NW-2", "NW-5"]);
    // A page missing: the records read are told, and so are the missing.
    let gap = [page(1, 1..=2), page(5, 5..=5)].concat();
    let outcome = read_as(
        &evaluator,
        &gap,
        "u.scim.jsonl",
        Format::Scim,
        Some("employee_id"),
    );
    assert_eq!(outcome.keys(), ["NW-1", "NW-2", "NW-5"]);
    assert_eq!(
        outcome.messages(),
        ["u.scim.jsonl:1: the pages of a paginated ListResponse in this file lack items 3–4 of 5; export all users in one file or concatenate all the pages"]
    );
    assert_eq!(outcome.summary, summary(4, 3, 1));
    // An empty ListResponse holds nobody.
    let empty = "{\"schemas\": [\"urn:ietf:params:scim:api:messages:2.0:ListResponse\"], \"totalResults\": 0, \"Resources\": []}";
    let outcome = read_as(
        &evaluator,
        empty,
        "u.scim.json",
        Format::Scim,
        Some("employee_id"),
    );
    assert_eq!(outcome.summary, Summary::default());
    let empty = "{\"schemas\": [\"urn:ietf:params:scim:api:messages:2.0:ListResponse\"],\n \"totalResults\": 0}";
    let outcome = read_as(
        &evaluator,
        empty,
        "u.scim.json",
        Format::Scim,
        Some("employee_id"),
    );
    assert_eq!(outcome.summary, Summary::default());
    // `resources` in another case is a ListResponse's too.
    let lower = whole.replace("\"Resources\"", "\"resources\"");
    let outcome = read_as(
        &evaluator,
        &lower,
        "u.scim.json",
        Format::Scim,
        Some("employee_id"),
    );
    assert_eq!(outcome.keys().len(), 5);
}

// 3. Keys in one form.

#[test]
fn a_number_key_is_one_key_however_it_is_written() {
    let evaluator = numbered();
    let csv = "badge,name\n0042,a\n42,b\n42.0,c\n4.2e1,d\n43,e\n";
    let outcome = read_as(&evaluator, csv, "b.csv", Format::Csv, Some("badge"));
    assert_eq!(outcome.keys(), ["42", "43"]);
    assert_eq!(
        outcome.messages(),
        [
            "b.csv:3 (badge 42): duplicate key 42, first at line 2",
            "b.csv:4 (badge 42): duplicate key 42, first at line 2",
            "b.csv:5 (badge 42): duplicate key 42, first at line 2",
        ]
    );
    let jsonl = "{\"badge\": 42}\n{\"badge\": 42.0}\n{\"badge\": 4.2e1}\n{\"badge\": 42.5}\n{\"badge\": \"7\"}\n";
    let outcome = read_as(
        &evaluator,
        jsonl,
        "b.jsonl",
        Format::JsonLines,
        Some("badge"),
    );
    assert_eq!(outcome.keys(), ["42", "42.5"]);
    assert_eq!(
        outcome.messages(),
        [
            "b.jsonl:2 (badge 42): duplicate key 42, first at line 1",
            "b.jsonl:3 (badge 42): duplicate key 42, first at line 1",
            "b.jsonl:5 (badge 7): field `badge`: expected a number, found text \"7\"",
        ]
    );
    // A key that is no number is rejected for that, not as a duplicate.
    let csv = "badge,name\nx7,a\nx7,b\n";
    let outcome = read_as(&evaluator, csv, "b.csv", Format::Csv, Some("badge"));
    assert_eq!(
        outcome.messages(),
        [
            "b.csv:2 (badge x7): field `badge`: expected a number, found text \"x7\"",
            "b.csv:3 (badge x7): field `badge`: expected a number, found text \"x7\"",
        ]
    );
}

#[test]
fn a_text_key_is_trimmed_in_json_as_in_csv() {
    let evaluator = evaluator();
    let jsonl = "{\"employee_id\": \"NW-1 \", \"email\": \" a@nw.example\"}\n{\"employee_id\": \"NW-1\"}\n{\"employee_id\": \"  \"}\n";
    let outcome = read_as(
        &evaluator,
        jsonl,
        "p.jsonl",
        Format::JsonLines,
        Some("employee_id"),
    );
    assert_eq!(outcome.keys(), ["NW-1"]);
    // The key as the identity holds it; other text is kept as written.
    assert_eq!(outcome.value("NW-1", "employee_id"), text("NW-1"));
    assert_eq!(outcome.value("NW-1", "email"), text(" a@nw.example"));
    assert_eq!(
        outcome.messages(),
        [
            "p.jsonl:2 (employee_id NW-1): duplicate key NW-1, first at line 1",
            "p.jsonl:3: the key attribute `employee_id` is missing",
        ]
    );
    // Two exports that write one key in two ways have one person.
    let csv = "employee_id,email\n NW-1 ,a@nw.example\n";
    let outcome = read_as(&evaluator, csv, "p.csv", Format::Csv, Some("employee_id"));
    assert_eq!(outcome.keys(), ["NW-1"]);
}

// 4. Records too long to hold.

#[test]
fn a_record_longer_than_the_limit_is_rejected_and_the_next_ones_are_read() {
    const LIMIT: usize = 1 << 20;
    assert_eq!(grantline_hr::MAX_RECORD_BYTES, LIMIT);
    let evaluator = evaluator();
    let long = "x".repeat(LIMIT + 10);
    let jsonl = format!(
        "{{\"employee_id\": \"NW-1\"}}\n{{\"employee_id\": \"NW-2\", \"note\": \"{long}\"}}\n{{\"employee_id\": \"NW-3\"}}\n"
    );
    let outcome = read_as(
        &evaluator,
        &jsonl,
        "p.jsonl",
        Format::JsonLines,
        Some("employee_id"),
    );
    assert_eq!(outcome.keys(), ["NW-1", "NW-3"]);
    assert_eq!(
        outcome.messages(),
        ["p.jsonl:2: record longer than 1 MiB, the most read as one record; it is skipped"]
    );
    // A JSON input whose first line is a record, too.
    let rest = jsonl.split_once('\n').unwrap().1;
    let outcome = read_as(
        &evaluator,
        rest,
        "p.json",
        Format::Json,
        Some("employee_id"),
    );
    assert_eq!(outcome.keys(), ["NW-3"]);
    assert_eq!(outcome.summary, summary(2, 1, 1));
    let csv = format!(
        "{CSV_HEADER}{}{}{}",
        csv_row("NW-1", "a"),
        csv_row("NW-2", &long),
        csv_row("NW-3", "c")
    );
    let outcome = read_as(&evaluator, &csv, "p.csv", Format::Csv, Some("employee_id"));
    assert_eq!(outcome.keys(), ["NW-1", "NW-3"]);
    assert_eq!(
        outcome.messages(),
        ["p.csv:3: record longer than 1 MiB, the most read as one record; it is skipped"]
    );
    // A quoted cell over lines that passes the limit: the lines after the
    // quote are read as records.
    let lines = format!("{}\n", "y".repeat(1023)).repeat(1025);
    let csv = format!(
        "{CSV_HEADER}{}{lines}{}",
        csv_row("NW-1", "\"a"),
        csv_row("NW-3", "c")
    );
    let outcome = read_as(&evaluator, &csv, "p.csv", Format::Csv, Some("employee_id"));
    assert_eq!(outcome.keys(), ["NW-3"]);
    assert_eq!(
        outcome.messages().first().map(String::as_str),
        Some("p.csv:2: a quoted cell opened on line 2 is not closed within 1 MiB")
    );
    assert_eq!(
        outcome.messages().get(1).map(String::as_str),
        Some("p.csv:3: the row has 1 cells but the header has 8 columns")
    );
    assert_eq!(outcome.summary, summary(1027, 1, 1026));
}

// 5. Numbers that do not fit.

#[test]
fn a_number_that_cannot_be_held_exactly_is_rejected_by_its_field() {
    let evaluator = evaluator();
    let csv = "employee_id,level\nNW-1,12345678901234567890\nNW-2,1e400\nNW-3,9007199254740993\nNW-4,0.1\n";
    let outcome = read_as(&evaluator, csv, "n.csv", Format::Csv, Some("employee_id"));
    assert_eq!(outcome.keys(), ["NW-4"]);
    assert_eq!(
        outcome.messages(),
        [
            "n.csv:2 (employee_id NW-1): field `level`: number 12345678901234567890 cannot be held exactly: it would be read as 12345678901234567000; a number holds 15 significant digits; an identifier this long is text",
            "n.csv:3 (employee_id NW-2): field `level`: number 1e400 is out of range",
            "n.csv:4 (employee_id NW-3): field `level`: number 9007199254740993 cannot be held exactly: it would be read as 9007199254740992; a number holds 15 significant digits; an identifier this long is text",
        ]
    );
    let jsonl = "{\"employee_id\": \"NW-1\", \"level\": 12345678901234567890}\n\
                 {\"employee_id\": \"NW-2\", \"level\": 1e400}\n\
                 {\"employee_id\": \"NW-3\", \"level\": 123456789012345678901234567890}\n\
                 {\"employee_id\": \"NW-4\", \"level\": 0.30000000000000001}\n\
                 {\"employee_id\": \"NW-5\", \"level\": 0.1, \"other\": 0.30000000000000001}\n\
                 {\"employee_id\": \"NW-6\", \"level\": 0.3, \"other\": 0.30000000000000001}\n";
    let outcome = read_as(
        &evaluator,
        jsonl,
        "n.jsonl",
        Format::JsonLines,
        Some("employee_id"),
    );
    // NW-6's `level` is exactly 0.3; the inexact number is in a member
    // no field reads.
    assert_eq!(outcome.keys(), ["NW-5", "NW-6"]);
    assert_eq!(
        outcome.messages(),
        [
            "n.jsonl:1 (employee_id NW-1): field `level`: number 12345678901234567890 cannot be held exactly: it would be read as 12345678901234567000; a number holds 15 significant digits; an identifier this long is text",
            "n.jsonl:2 (employee_id NW-2): field `level`: number 1e400 is out of range",
            "n.jsonl:3 (employee_id NW-3): field `level`: number 123456789012345678901234567890 cannot be held exactly: it would be read as 123456789012345680000000000000; a number holds 15 significant digits; an identifier this long is text",
            "n.jsonl:4 (employee_id NW-4): field `level`: number 0.30000000000000001 cannot be held exactly: it would be read as 0.3; a number holds 15 significant digits; an identifier this long is text",
        ]
    );
    // A key that does not fit is not compared: two badges that would both
    // be read as 2^53 are two rejections, neither a duplicate.
    let evaluator = numbered();
    let csv = "badge\n9007199254740993\n9007199254740992.5\n";
    let outcome = read_as(&evaluator, csv, "b.csv", Format::Csv, Some("badge"));
    assert_eq!(outcome.summary, summary(2, 0, 2));
    assert!(
        outcome
            .messages()
            .iter()
            .all(|m| m.contains("cannot be held exactly")),
        "{:?}",
        outcome.messages()
    );
}

// 6. A JSON array without a comma between two records.

#[test]
fn a_missing_comma_in_a_json_array_loses_no_record() {
    let evaluator = evaluator();
    let json = "[\n  {\"employee_id\": \"NW-1\"}\n  {\"employee_id\": \"NW-2\"},\n  {\"employee_id\": \"NW-3\"}\n]\n";
    let outcome = read_as(
        &evaluator,
        json,
        "p.json",
        Format::Json,
        Some("employee_id"),
    );
    assert_eq!(outcome.keys(), ["NW-1", "NW-2", "NW-3"]);
    assert_eq!(
        outcome.messages(),
        ["p.json:3: not valid JSON: a comma is missing before this record"]
    );
    assert_eq!(outcome.summary, summary(4, 3, 1));
}
