#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! Good and bad records of every format, with the rejection messages
//! snapshot-tested, and the counts that account for every record.

use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use grantline_eval::{AttributeValue, Evaluator, Warning};
use grantline_hr::{
    read, Format, HrReader, Mapping, ReadError, Record, RejectReason, Rejected, Summary,
};
use grantline_syntax::SourceMap;

fn data(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    std::fs::read_to_string(path).unwrap()
}

fn evaluator() -> Evaluator {
    let mut sources = SourceMap::new();
    sources.add("schema.grant", data("schema.grant"));
    let compiled = grantline_compiler::compile(&sources);
    assert!(
        compiled.diagnostics.is_empty(),
        "{:?}",
        compiled.diagnostics
    );
    Evaluator::new(compiled.policy.expect("compiles")).expect("valid")
}

fn mapping(name: &str) -> Mapping {
    Mapping::parse(name, &data(name)).unwrap()
}

/// Everything a reader yields, and its summary.
struct Outcome {
    records: Vec<Record>,
    rejected: Vec<Rejected>,
    summary: Summary,
}

impl Outcome {
    fn messages(&self) -> String {
        self.rejected
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn keys(&self) -> Vec<String> {
        self.records
            .iter()
            .map(|r| r.key.as_ref().map(|k| k.value.clone()).unwrap_or_default())
            .collect()
    }

    fn record(&self, key: &str) -> &Record {
        self.records
            .iter()
            .find(|r| r.key.as_ref().is_some_and(|k| k.value == key))
            .unwrap_or_else(|| panic!("no record {key}"))
    }
}

fn run<R: BufRead>(reader: HrReader<'_, R>) -> Outcome {
    let mut reader = reader;
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
    // The iterator stays finished.
    assert!(reader.next().is_none());
    assert_eq!(reader.summary(), summary);
    Outcome {
        records,
        rejected,
        summary,
    }
}

fn read_text(
    evaluator: &Evaluator,
    text: &str,
    file: &str,
    format: Format,
    mapping: &Mapping,
    key: Option<&str>,
) -> Outcome {
    run(read(evaluator, text.as_bytes(), file, format, mapping, key).unwrap())
}

fn value(record: &Record, attribute: &str) -> Option<AttributeValue> {
    record.identity.get(attribute).cloned()
}

fn text(s: &str) -> Option<AttributeValue> {
    Some(AttributeValue::Text(s.to_string()))
}

fn date(s: &str) -> Option<AttributeValue> {
    Some(AttributeValue::Date(s.parse().unwrap()))
}

#[test]
fn csv_export_with_a_mapping() {
    let evaluator = evaluator();
    let mapping = mapping("csv-mapping.toml");
    assert!(mapping.check(&evaluator).is_empty());
    let outcome = read_text(
        &evaluator,
        &data("export.csv"),
        "export.csv",
        Format::Csv,
        &mapping,
        Some("employee_id"),
    );
    assert_eq!(
        outcome.keys(),
        ["NW-00001", "NW-00002", "NW-00003", "NW-00009"]
    );
    // The byte-order mark is not part of the first column's name.
    let ann = outcome.record("NW-00001");
    eprintln!("{}", outcome.messages());
    eprintln!(
        "{:?}",
        outcome.records.iter().map(|r| r.line).collect::<Vec<_>>()
    );
    assert_eq!(ann.line, 2);
    assert_eq!(value(ann, "employment"), text("full-time"));
    assert_eq!(value(ann, "manager"), Some(AttributeValue::Flag(true)));
    assert_eq!(value(ann, "level"), Some(AttributeValue::Number(7.0)));
    assert_eq!(value(ann, "start_date"), date("2021-03-01"));
    assert_eq!(value(ann, "end_date"), None);
    assert_eq!(
        value(ann, "groups"),
        Some(AttributeValue::List(vec!["oncall".into(), "sre".into()]))
    );
    // `Title` is not mapped: it passes through and warns.
    assert_eq!(
        ann.warnings,
        [Warning::UnknownField {
            field: "Title".into(),
            suggestion: Some("title".into())
        }]
    );
    let bob = outcome.record("NW-00002");
    assert_eq!(value(bob, "department"), text("Human Resources"));
    assert_eq!(value(bob, "manager"), Some(AttributeValue::Flag(false)));
    assert_eq!(value(bob, "groups"), None);
    // A quoted cell over two lines: the record starts at line 4; cells are
    // trimmed; numbers may have decimals.
    let cy = outcome.record("NW-00003");
    assert_eq!(cy.line, 4);
    assert_eq!(value(cy, "employment"), text("contractor"));
    assert_eq!(value(cy, "level"), Some(AttributeValue::Number(3.5)));
    assert_eq!(value(cy, "end_date"), date("2026-07-31"));
    // An empty cell is absent: a required attribute then warns.
    let nine = outcome.record("NW-00009");
    assert!(nine.warnings.contains(&Warning::MissingAttribute {
        attribute: "email".into()
    }));
    insta::assert_snapshot!("csv_rejections", outcome.messages());
    assert_eq!(
        outcome.summary,
        Summary {
            read: 12,
            accepted: 4,
            rejected: 8
        }
    );
}

#[test]
fn csv_without_a_mapping_reads_columns_by_name() {
    let evaluator = evaluator();
    let text = "employee_id,email,employment,status,department,manager,level,start_date,groups\n\
                NW-1,a@nw.example,full-time,active,Sales,TRUE,5,2024-01-31,a;b\n\
                NW-2,b@nw.example,full-time,active,Sales,x,5,31/01/2024,\n";
    let outcome = read_text(
        &evaluator,
        text,
        "plain.csv",
        Format::Csv,
        &Mapping::default(),
        None,
    );
    assert_eq!(outcome.keys(), ["NW-1"]);
    let one = &outcome.records[0];
    assert_eq!(value(one, "manager"), Some(AttributeValue::Flag(true)));
    assert_eq!(
        value(one, "groups"),
        Some(AttributeValue::List(vec!["a".into(), "b".into()]))
    );
    assert!(one.warnings.is_empty(), "{:?}", one.warnings);
    insta::assert_snapshot!("csv_default_mapping_rejections", outcome.messages());
}

#[test]
fn a_csv_header_with_two_columns_for_one_attribute_stops_reading() {
    let evaluator = evaluator();
    let mapping = Mapping::parse("m.toml", "[columns]\nDept = \"department\"\n").unwrap();
    let text = "employee_id,Dept,department\nNW-1,Sales,Sales\n";
    let outcome = read_text(&evaluator, text, "two.csv", Format::Csv, &mapping, None);
    assert_eq!(
        outcome.messages(),
        "two.csv:1: header: columns `Dept` and `department` both give attribute `department`"
    );
    assert_eq!(outcome.summary.read, 1);
}

#[test]
fn csv_with_another_delimiter_and_an_empty_file() {
    let evaluator = evaluator();
    let mapping =
        Mapping::parse("m.toml", "csv-delimiter = \";\"\nlist-separator = \",\"\n").unwrap();
    let text = "employee_id;email;employment;status;department;level;start_date;groups\n\
                NW-1;a@nw.example;full-time;active;Sales;5;2024-01-31;\"x, y\"\n";
    let outcome = read_text(&evaluator, text, "semi.csv", Format::Csv, &mapping, None);
    assert!(outcome.rejected.is_empty(), "{}", outcome.messages());
    assert_eq!(
        value(&outcome.records[0], "groups"),
        Some(AttributeValue::List(vec!["x".into(), "y".into()]))
    );
    for empty in ["", "\u{feff}", "employee_id,email\n"] {
        let outcome = read_text(&evaluator, empty, "e.csv", Format::Csv, &mapping, None);
        assert_eq!(outcome.summary, Summary::default());
    }
}

#[test]
fn json_lines() {
    let evaluator = evaluator();
    let outcome = read_text(
        &evaluator,
        &data("people.jsonl"),
        "people.jsonl",
        Format::JsonLines,
        &Mapping::default(),
        Some("employee_id"),
    );
    assert_eq!(outcome.keys(), ["NW-1"]);
    assert_eq!(outcome.records[0].line, 1);
    insta::assert_snapshot!("jsonl_rejections", outcome.messages());
}

#[test]
fn json_lines_with_a_mapping_and_a_date_format() {
    let evaluator = evaluator();
    let mapping = Mapping::parse(
        "m.toml",
        "date-format = \"%d.%m.%Y\"\n[columns]\nid = \"employee_id\"\nmail = \"email\"\nnote = \"\"\n\
         [values.employment]\nFT = \"full-time\"\n[values.groups]\nOC = \"oncall\"\n",
    )
    .unwrap();
    let input = r#"{"id": "NW-1", "mail": "a@nw.example", "employment": "FT", "status": "active", "department": "Sales", "level": 5, "start_date": "31.01.2024", "groups": ["OC", "x"], "note": "dropped"}
{"id": "NW-2", "mail": "b@nw.example", "email": "b2@nw.example", "employment": "FT", "status": "active", "department": "Sales", "level": 5, "start_date": "31.01.2024"}
{"id": "NW-3", "mail": "c@nw.example", "employment": "FT", "status": "active", "department": "Sales", "level": 5, "start_date": "2024-01-31"}
"#;
    let outcome = read_text(
        &evaluator,
        input,
        "mapped.jsonl",
        Format::JsonLines,
        &mapping,
        Some("employee_id"),
    );
    assert_eq!(outcome.keys(), ["NW-1"]);
    let one = &outcome.records[0];
    assert_eq!(value(one, "employment"), text("full-time"));
    assert_eq!(value(one, "start_date"), date("2024-01-31"));
    assert_eq!(
        value(one, "groups"),
        Some(AttributeValue::List(vec!["oncall".into(), "x".into()]))
    );
    assert!(one.warnings.is_empty(), "{:?}", one.warnings);
    insta::assert_snapshot!("jsonl_mapping_rejections", outcome.messages());
}

#[test]
fn a_json_array_keeps_each_records_line() {
    let evaluator = evaluator();
    let text = "\u{feff}[\n  {\"employee_id\": \"NW-1\", \"email\": \"a@nw.example\", \"employment\": \"full-time\",\n   \"status\": \"active\", \"department\": \"Sales\", \"level\": 5, \"start_date\": \"2024-01-01\"},\n  {\"employee_id\": \"NW-2\",\n   \"level\": true},\n  {\"employee_id\": \"NW-3\" \"x\": 1},\n  {\"employee_id\": \"NW-1\", \"email\": \"b@nw.example\", \"employment\": \"full-time\",\n   \"status\": \"active\", \"department\": \"Sales\", \"level\": 5, \"start_date\": \"2024-01-01\"},,\n]\n";
    let outcome = read_text(
        &evaluator,
        text,
        "people.json",
        Format::Json,
        &Mapping::default(),
        Some("employee_id"),
    );
    assert_eq!(outcome.keys(), ["NW-1"]);
    assert_eq!(outcome.records[0].line, 2);
    insta::assert_snapshot!("json_array_rejections", outcome.messages());
    // One object over several lines is one record.
    let one = "{\n  \"employee_id\": \"NW-9\",\n  \"employment\": \"full-time\"\n}\n";
    let outcome = read_text(
        &evaluator,
        one,
        "one.json",
        Format::Json,
        &Mapping::default(),
        None,
    );
    assert_eq!(outcome.keys(), ["NW-9"]);
    assert_eq!(outcome.summary.read, 1);
}

#[test]
fn scim_list_response_with_the_enterprise_extension() {
    let evaluator = evaluator();
    let mapping = mapping("scim-mapping.toml");
    assert!(mapping.check(&evaluator).is_empty());
    let outcome = read_text(
        &evaluator,
        &data("users.scim.json"),
        "users.scim.json",
        Format::Scim,
        &mapping,
        Some("employee_id"),
    );
    assert_eq!(outcome.keys(), ["NW-100", "NWC-7"]);
    let ann = outcome.record("NW-100");
    assert_eq!(ann.line, 7);
    assert_eq!(value(ann, "email"), text("ann@nw.example"));
    assert_eq!(value(ann, "employment"), text("full-time"));
    assert_eq!(value(ann, "status"), text("active"));
    assert_eq!(value(ann, "department"), text("Engineering"));
    assert_eq!(value(ann, "title"), text("Staff Engineer"));
    assert_eq!(value(ann, "manager_id"), text("NW-001"));
    // `manager` is a flag of the schema, never the manager's id.
    assert_eq!(value(ann, "manager"), None);
    // Defaults to attributes the schema lacks (user_name, cost_center, ...)
    // are left out, so they do not warn.
    assert_eq!(
        ann.warnings,
        [
            Warning::MissingAttribute {
                attribute: "level".into()
            },
            Warning::MissingAttribute {
                attribute: "start_date".into()
            }
        ]
    );
    let cy = outcome.record("NWC-7");
    assert_eq!(value(cy, "status"), text("terminated"));
    assert_eq!(value(cy, "email"), text("cy@nw.example"));
    assert_eq!(value(cy, "employment"), text("contractor"));
    insta::assert_snapshot!("scim_rejections", outcome.messages());
}

#[test]
fn scim_without_a_mapping_does_not_read_active_as_a_status() {
    let evaluator = evaluator();
    let outcome = read_text(
        &evaluator,
        &data("users.scim.json"),
        "users.scim.json",
        Format::Scim,
        &Mapping::default(),
        None,
    );
    // `userType: Contractor` is no value of `employment` without a mapping.
    assert!(!outcome.keys().contains(&"NWC-7".to_string()));
    for record in &outcome.records {
        assert_eq!(record.identity.get("status"), None);
    }
    insta::assert_snapshot!("scim_default_mapping_rejections", outcome.messages());
}

#[test]
fn scim_json_lines_and_arrays_of_users() {
    let evaluator = evaluator();
    let mapping = Mapping::parse(
        "m.toml",
        "[columns]\nuserName = \"email\"\n\"emails.primary\" = \"\"\n\"enterprise.department\" = \"\"\n\
         \"enterprise.division\" = \"department\"\n",
    )
    .unwrap();
    let ext = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    let lines = format!(
        "{{\"userName\": \"a@nw.example\", \"emails\": [{{\"value\": \"x@y\"}}], \"{ext}\": {{\"employeeNumber\": \"NW-1\", \"division\": \"Sales\", \"department\": \"x\"}}}}\n\
         {{\"schemas\": [\"urn:ietf:params:scim:api:messages:2.0:ListResponse\"], \"Resources\": [{{\"userName\": \"b@nw.example\", \"{ext}\": {{\"employeeNumber\": \"NW-2\"}}}}, {{\"userName\": \"c@nw.example\", \"{ext}\": {{\"employeeNumber\": \"NW-2\"}}}}]}}\n\
         \"not a user\"\n"
    );
    let outcome = read_text(
        &evaluator,
        &lines,
        "users.scim.jsonl",
        Format::Scim,
        &mapping,
        Some("employee_id"),
    );
    assert_eq!(outcome.keys(), ["NW-1", "NW-2"]);
    let one = &outcome.records[0];
    assert_eq!(value(one, "email"), text("a@nw.example"));
    assert_eq!(value(one, "department"), text("Sales"));
    assert_eq!(outcome.records[1].line, 2);
    insta::assert_snapshot!("scim_lines_rejections", outcome.messages());

    let array = format!(
        "[\n {{\"userName\": \"a@nw.example\",\n  \"{ext}\": {{\"employeeNumber\": \"NW-1\"}}}},\n {{\"userName\": \"b@nw.example\", \"{ext}\": {{\"employeeNumber\": \"NW-1\"}}}}\n]"
    );
    let outcome = read_text(
        &evaluator,
        &array,
        "users.json",
        Format::Scim,
        &mapping,
        Some("employee_id"),
    );
    assert_eq!(outcome.keys(), ["NW-1"]);
    assert_eq!(
        outcome.messages(),
        "users.json:4 (employee_id NW-1): duplicate key NW-1, first at line 2"
    );
}

#[test]
fn scim_addresses_groups_and_extension_attributes() {
    let evaluator = evaluator();
    let mapping = mapping("extension-mapping.toml");
    assert!(mapping.check(&evaluator).is_empty());
    let outcome = read_text(
        &evaluator,
        &data("extension.scim.json"),
        "extension.scim.json",
        Format::Scim,
        &mapping,
        Some("employee_id"),
    );
    assert_eq!(outcome.keys(), ["NW-200", "NW-201"]);
    let ann = outcome.record("NW-200");
    // The address marked primary, not the first.
    assert_eq!(value(ann, "country"), text("GB"));
    assert_eq!(value(ann, "city"), text("London"));
    // `display`, else `value`.
    assert_eq!(
        value(ann, "groups"),
        Some(AttributeValue::List(vec!["oncall".into(), "sre".into()]))
    );
    // The custom extension by SCIM attribute notation, with the kinds of
    // its JSON values and the mapping's spellings.
    assert_eq!(value(ann, "manager"), Some(AttributeValue::Flag(true)));
    assert_eq!(value(ann, "level"), Some(AttributeValue::Number(7.0)));
    assert_eq!(value(ann, "start_date"), date("2021-03-01"));
    assert_eq!(value(ann, "status"), text("on-leave"));
    assert_eq!(value(ann, "site"), text("London"));
    // The enterprise and core fields in attribute notation.
    assert_eq!(value(ann, "manager_id"), text("NW-001"));
    assert_eq!(value(ann, "email"), text("ann@nw.example"));
    assert_eq!(value(ann, "employment"), text("full-time"));
    assert_eq!(value(ann, "title"), text("Staff Engineer"));
    // Members that nothing reads (`nickName`, `favoriteColor`, `badge.number`)
    // are ignored, without a warning.
    assert!(ann.warnings.is_empty(), "{:?}", ann.warnings);
    let bo = outcome.record("NW-201");
    // No entry marked primary: the first. No groups: an empty list.
    assert_eq!(value(bo, "country"), text("DE"));
    assert_eq!(value(bo, "city"), None);
    assert_eq!(value(bo, "groups"), Some(AttributeValue::List(vec![])));
    // Attribute names ignore case; `null` is absent.
    assert_eq!(value(bo, "status"), text("active"));
    assert_eq!(value(bo, "end_date"), None);
    assert!(bo.warnings.is_empty(), "{:?}", bo.warnings);
    insta::assert_snapshot!("scim_extension_rejections", outcome.messages());
}

#[test]
fn scim_mapping_that_names_an_extension_without_an_attribute() {
    let evaluator = evaluator();
    let mapping = Mapping::parse(
        "m.toml",
        "[columns]\n\"urn:ietf:params:scim:schemas:extension:acme:2.0:User\" = \"site\"\n\
         [values.employment]\nEmployee = \"full-time\"\n",
    )
    .unwrap();
    let outcome = read_text(
        &evaluator,
        &data("extension.scim.json"),
        "extension.scim.json",
        Format::Scim,
        &mapping,
        Some("employee_id"),
    );
    // To the mapping, `urn:…:acme:2.0` is a schema URN and `User` an
    // attribute: every User that has the extension says what is wrong.
    assert!(outcome.records.is_empty());
    assert_eq!(outcome.summary.rejected, 5);
    insta::assert_snapshot!("scim_extension_without_an_attribute", outcome.messages());
}

#[test]
fn the_scim_example_holds_the_people_of_the_json_lines_example() {
    // policies/hr/scim-2026-12-01.scim.json read with scim-mapping.toml
    // gives the identities of after.jsonl, attribute for attribute.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let sources = grantline_compiler::load_path(&root.join("policies")).unwrap();
    let evaluator = Evaluator::new(grantline_compiler::compile(&sources).policy.unwrap()).unwrap();
    let hr = |name: &str| std::fs::read_to_string(root.join("policies/hr").join(name)).unwrap();
    let mapping = Mapping::parse("scim-mapping.toml", &hr("scim-mapping.toml")).unwrap();
    assert!(mapping.check(&evaluator).is_empty());
    let scim = hr("scim-2026-12-01.scim.json");
    let scim = read_text(
        &evaluator,
        &scim,
        "scim",
        Format::Scim,
        &mapping,
        Some("employee_id"),
    );
    let jsonl = hr("after.jsonl");
    let jsonl = read_text(
        &evaluator,
        &jsonl,
        "jsonl",
        Format::JsonLines,
        &Mapping::default(),
        Some("employee_id"),
    );
    assert!(scim.rejected.is_empty(), "{}", scim.messages());
    assert_eq!(scim.keys(), jsonl.keys());
    for (scim, jsonl) in scim.records.iter().zip(&jsonl.records) {
        assert_eq!(scim.identity, jsonl.identity);
        assert_eq!(scim.warnings, jsonl.warnings);
    }
}

#[test]
fn the_key_attribute_must_be_declared_text_or_number() {
    let evaluator = evaluator();
    let mapping = Mapping::default();
    let error = |key| {
        read(
            &evaluator,
            &b""[..],
            "x.csv",
            Format::Csv,
            &mapping,
            Some(key),
        )
        .err()
        .map(|e: ReadError| e.to_string())
    };
    assert_eq!(
        error("employee_ud").as_deref(),
        Some("the key attribute `employee_ud` is not declared; did you mean `employee_id`?")
    );
    assert_eq!(
        error("start_date").as_deref(),
        Some("the key attribute `start_date` is a date; a key is text or a number")
    );
    assert!(error("email").is_none());
}

#[test]
fn formats_by_name_and_content() {
    let detect = |name: &str, content: &str| {
        Format::detect(Path::new(name), &mut content.as_bytes()).unwrap()
    };
    assert_eq!(detect("hr/export.CSV", "[1]"), Format::Csv);
    assert_eq!(detect("people.jsonl", "{}\n{}"), Format::JsonLines);
    assert_eq!(detect("people.ndjson", "{}\n"), Format::JsonLines);
    assert_eq!(detect("people.json", "[{}]"), Format::Json);
    assert_eq!(detect("users.scim.json", "whatever"), Format::Scim);
    assert_eq!(
        detect(
            "users.json",
            "{\"schemas\": [\"urn:ietf:params:scim:api:messages:2.0:ListResponse\"]}"
        ),
        Format::Scim
    );
    assert_eq!(detect("export", "\u{feff}a,b\n1,2\n"), Format::Csv);
    assert_eq!(detect("export", "  [\n{}]"), Format::Json);
    assert_eq!(
        detect("export", "{\"a\": 1}\n{\"a\": 2}\n"),
        Format::JsonLines
    );
    assert_eq!(detect("export", "{\n\"a\": 1\n}\n"), Format::Json);
    assert_eq!("NDJSON".parse::<Format>(), Ok(Format::JsonLines));
    assert_eq!("scim".parse::<Format>(), Ok(Format::Scim));
    assert_eq!(
        "xml".parse::<Format>().unwrap_err().to_string(),
        "unknown HR format `xml`; expected one of `json`, `jsonl`, `csv`, `scim`"
    );
}

/// An input that gives `data`, then fails: what came before is still read.
struct FailsAfter {
    data: io::Cursor<Vec<u8>>,
}

impl Read for FailsAfter {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.data.read(buf)? {
            0 => Err(io::Error::other("disk on fire")),
            n => Ok(n),
        }
    }
}

#[test]
fn csv_and_json_lines_stream_record_by_record() {
    let evaluator = evaluator();
    let mapping = Mapping::default();
    let csv = "employee_id,email,employment,status,department,level,start_date\n\
               NW-1,a@nw.example,full-time,active,Sales,5,2024-01-31\n\
               NW-2,b@nw.example,full-time,active,Sales,5,2024-01-31\n";
    let jsonl = "{\"employee_id\": \"NW-1\"}\n{\"employee_id\": \"NW-2\"}\n";
    for (text, format) in [(csv, Format::Csv), (jsonl, Format::JsonLines)] {
        let input = BufReader::with_capacity(
            16,
            FailsAfter {
                data: io::Cursor::new(text.as_bytes().to_vec()),
            },
        );
        let mut reader = read(
            &evaluator,
            input,
            "stream",
            format,
            &mapping,
            Some("employee_id"),
        )
        .unwrap();
        // The first record arrives before the input is read to its end.
        let first = reader.next().unwrap().unwrap();
        assert_eq!(first.key.unwrap().value, "NW-1");
        let rest: Vec<_> = reader.by_ref().collect();
        assert_eq!(rest.len(), 2, "{format}");
        assert!(rest[0].is_ok());
        let Err(Rejected {
            reason: RejectReason::Io(message),
            ..
        }) = &rest[1]
        else {
            panic!("{:?}", rest[1]);
        };
        assert!(message.contains("disk on fire"), "{message}");
        assert_eq!(
            reader.summary(),
            Summary {
                read: 3,
                accepted: 2,
                rejected: 1
            }
        );
    }
}

#[test]
fn counts_account_for_every_record_of_every_fixture() {
    let evaluator = evaluator();
    let csv_mapping = mapping("csv-mapping.toml");
    let scim_mapping = mapping("scim-mapping.toml");
    let extension_mapping = mapping("extension-mapping.toml");
    let cases = [
        ("export.csv", &csv_mapping),
        ("people.jsonl", &Mapping::default()),
        ("users.scim.json", &scim_mapping),
        ("extension.scim.json", &extension_mapping),
    ];
    for (name, mapping) in cases {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(name);
        let mut input = BufReader::new(std::fs::File::open(&path).unwrap());
        let format = Format::detect(&path, &mut input).unwrap();
        for key in [None, Some("employee_id")] {
            let input = BufReader::new(std::fs::File::open(&path).unwrap());
            let outcome = run(read(&evaluator, input, name, format, mapping, key).unwrap());
            let items = outcome.records.len() + outcome.rejected.len();
            assert_eq!(outcome.summary.read, items, "{name}");
            assert!(items > 0);
            // Lines only go forward, except for a record that starts before
            // a problem inside it is found.
            let mut lines: Vec<usize> = outcome.records.iter().map(|r| r.line).collect();
            lines.extend(outcome.rejected.iter().map(|r| r.line));
            assert!(lines.iter().all(|l| *l >= 1), "{name}: {lines:?}");
        }
    }
}
