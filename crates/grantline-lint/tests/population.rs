#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! Reading a population: JSON arrays and JSON Lines, bad records reported
//! with their line and skipped.

use grantline_eval::Evaluator;
use grantline_lint::population::{read_people, PeopleRead, RecordProblem};
use grantline_syntax::SourceMap;

const SCHEMA: &str = "\
timezone \"UTC\"
attribute employee_id: text
attribute email: optional text
attribute department: Sales | Finance | Engineering
attribute level: number
attribute manager: flag
entitlement slack
rule everyone-slack:
    anyone
    grants slack
";

fn evaluator() -> Evaluator {
    let mut sources = SourceMap::new();
    sources.add("schema.grant", SCHEMA);
    let compiled = grantline_compiler::compile(&sources);
    Evaluator::new(compiled.policy.expect("compiles")).expect("valid")
}

fn read(file: &str, text: &str) -> PeopleRead {
    read_people(&evaluator(), file, text)
}

fn errors(read: &PeopleRead) -> String {
    read.errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

fn ids(read: &PeopleRead) -> Vec<String> {
    read.people
        .iter()
        .map(|p| {
            p.get("employee_id")
                .map(ToString::to_string)
                .unwrap_or_default()
        })
        .collect()
}

#[test]
fn a_pretty_printed_array_is_read() {
    let text = r#"[
  {
    "employee_id": "E-1",
    "department": "Sales",
    "level": 3
  },
  {"employee_id": "E-2", "department": "Finance", "level": 5, "manager": true}
]
"#;
    let read = read("people.json", text);
    assert!(read.errors.is_empty(), "{}", errors(&read));
    assert_eq!(ids(&read), ["E-1", "E-2"]);
}

#[test]
fn a_compact_array_and_an_empty_one_are_read() {
    let read = read(
        "people.json",
        r#"[{"employee_id":"E-1","department":"Sales","level":3},{"employee_id":"E-2","department":"Sales","level":4}]"#,
    );
    assert!(read.errors.is_empty(), "{}", errors(&read));
    assert_eq!(ids(&read), ["E-1", "E-2"]);
    let empty = super_read("  [ ]\n");
    assert!(empty.people.is_empty() && empty.errors.is_empty());
    let nothing = super_read("\n\n");
    assert!(nothing.people.is_empty() && nothing.errors.is_empty());
}

fn super_read(text: &str) -> PeopleRead {
    read("people.json", text)
}

#[test]
fn json_lines_are_read_and_blank_lines_skipped() {
    let text = "{\"employee_id\": \"E-1\", \"department\": \"Sales\", \"level\": 3}\n\
                \n   \n\
                {\"employee_id\": \"E-2\", \"department\": \"Engineering\", \"level\": 7}\r\n\
                {\"employee_id\": \"E-3\", \"department\": \"Finance\", \"level\": 2}";
    let read = read("people.jsonl", text);
    assert!(read.errors.is_empty(), "{}", errors(&read));
    assert_eq!(ids(&read), ["E-1", "E-2", "E-3"]);
}

#[test]
fn one_pretty_printed_object_is_one_record() {
    let text = "{\n  \"employee_id\": \"E-1\",\n  \"department\": \"Sales\",\n  \"level\": 3\n}\n";
    let read = read("alice.json", text);
    assert!(read.errors.is_empty(), "{}", errors(&read));
    assert_eq!(ids(&read), ["E-1"]);
}

#[test]
fn bad_records_of_an_array_are_reported_with_their_line_and_skipped() {
    let text = r#"[
  {"employee_id": "E-1", "department": "Sales", "level": 3},
  {
    "employee_id": "E-2",
    "department": "Sales",
    "level": "six"
  },
  {"email": "e3@example.com", "department": "Slaes", "level": 2},
  {"id": 4, "department": "Marketing", "level": "high"},
  42,
  {"employee_id": "E-6", "department": "Sales" "level": 2},
  {"employee_id": "E-7", "department": "Sales", "level": 2, "level": 3},
  {"employee_id": "E-8", "department": "Finance", "level": 4, "note": "a, [b] and {c}"},
]
"#;
    let read = read("people.json", text);
    assert_eq!(ids(&read), ["E-1", "E-8"]);
    let lines: Vec<usize> = read.errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, [3, 8, 9, 10, 11, 12, 14]);
    assert!(matches!(
        read.errors[0].problem,
        RecordProblem::Fields(ref fields) if fields[0].field == "level"
    ));
    assert_eq!(read.errors[0].key.as_deref(), Some("employee_id E-2"));
    insta::assert_snapshot!("array_errors", errors(&read));
}

#[test]
fn bad_json_lines_are_reported_with_their_line_and_skipped() {
    let text = "{\"employee_id\": \"E-1\", \"department\": \"Sales\", \"level\": 3}\n\
                {\"employee_id\": \"E-2\", \"department\": \"Sales\", \"level\": 3\n\
                \n\
                [\"E-3\", \"Sales\"]\n\
                {\"employee_id\": \"E-4\", \"department\": \"Legal\", \"level\": true}\n\
                {\"employee_id\": \"E-5\", \"department\": \"Finance\", \"level\": 4}\n";
    let read = read("people.jsonl", text);
    assert_eq!(ids(&read), ["E-1", "E-5"]);
    insta::assert_snapshot!("json_lines_errors", errors(&read));
}

#[test]
fn a_broken_array_reports_what_it_can() {
    let text = "[\n  {\"employee_id\": \"E-1\", \"department\": \"Sales\", \"level\": 3},\n  {\"employee_id\": \"E-2\", \"department\": \"Sales\", \"level\": 4}\n";
    let read = read("people.json", text);
    assert_eq!(ids(&read), ["E-1", "E-2"]);
    let trailing =
        super_read("[{\"employee_id\": \"E-1\", \"department\": \"Sales\", \"level\": 3}]\n\n{}");
    assert_eq!(ids(&trailing), ["E-1"]);
    insta::assert_snapshot!(
        "broken_array_errors",
        format!("{}\n{}", errors(&read), errors(&trailing))
    );
}
