//! `grantline eval --people FILE`: everyone in an HR export, one JSON line each.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn root() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .canonicalize()
        .unwrap()
}

/// Runs the binary in `dir` (the repository root when `None`); standard
/// output and error are pipes.
fn grantline_in(dir: Option<&Path>, args: &[&str]) -> Output {
    let root = root();
    Command::new(env!("CARGO_BIN_EXE_grantline"))
        .args(args)
        .current_dir(dir.unwrap_or(&root))
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn grantline(args: &[&str]) -> Output {
    grantline_in(None, args)
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// An empty scratch folder for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("batch-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

const AFTER: &str = "policies/hr/after.jsonl";
const AT: &str = "2026-12-01";

#[test]
fn one_line_per_person_in_input_order_with_the_single_eval_decision() {
    let output = grantline(&["eval", "policies", "--people", AFTER, "--at", AT]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        stderr(&output),
        "12 records read: 12 evaluated, 0 rejected\n"
    );
    let results = lines(&stdout(&output));
    let export = std::fs::read_to_string(root().join(AFTER)).unwrap();
    let people: Vec<Value> = export
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(results.len(), people.len());

    let dir = scratch("single");
    for (index, (result, person)) in results.iter().zip(&people).enumerate() {
        assert_eq!(result["person"], person["employee_id"]);
        assert_eq!(result["line"], index + 1);
        let file = dir.join(format!("person-{}.json", index + 1));
        std::fs::write(&file, person.to_string()).unwrap();
        let single = grantline(&[
            "eval",
            "policies",
            "--identity",
            file.to_str().unwrap(),
            "--at",
            AT,
            "--format",
            "json",
        ]);
        assert_eq!(single.status.code(), Some(0), "{}", stderr(&single));
        let decision: Value = serde_json::from_str(&stdout(&single)).unwrap();
        assert_eq!(result["decision"], decision, "line {}", index + 1);
    }
}

#[test]
fn the_same_from_compiled_ir() {
    let dir = scratch("ir");
    let ir = dir.join("policies.ir.json");
    let compiled = grantline(&["compile", "policies", "-o", ir.to_str().unwrap()]);
    assert_eq!(compiled.status.code(), Some(0), "{}", stderr(&compiled));
    let from_ir = grantline(&[
        "eval",
        "--ir",
        ir.to_str().unwrap(),
        "--people",
        AFTER,
        "--at",
        AT,
    ]);
    assert_eq!(from_ir.status.code(), Some(0), "{}", stderr(&from_ir));
    let from_source = grantline(&["eval", "policies", "--people", AFTER, "--at", AT]);
    assert_eq!(lines(&stdout(&from_ir)), lines(&stdout(&from_source)));
}

#[test]
fn a_bad_record_is_reported_with_its_line_and_the_others_are_evaluated() {
    let dir = scratch("bad");
    let export = std::fs::read_to_string(root().join(AFTER)).unwrap();
    let mut people: Vec<Value> = export
        .lines()
        .take(3)
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    people[1]["level"] = Value::from("five");
    let text: String = people.iter().map(|p| format!("{p}\n")).collect();
    std::fs::write(dir.join("people.jsonl"), text).unwrap();

    let policies = root().join("policies");
    let output = grantline_in(
        Some(&dir),
        &[
            "eval",
            policies.to_str().unwrap(),
            "--people",
            "people.jsonl",
            "--at",
            AT,
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.starts_with("error: people.jsonl:2 (employee_id NW-00731): field `level`"),
        "{err}"
    );
    assert!(
        err.ends_with("3 records read: 2 evaluated, 1 rejected\n"),
        "{err}"
    );
    insta::assert_snapshot!(err);
    let results = lines(&stdout(&output));
    let evaluated: Vec<(&Value, &Value)> =
        results.iter().map(|r| (&r["person"], &r["line"])).collect();
    assert_eq!(
        evaluated,
        [
            (&Value::from("NW-00412"), &Value::from(1)),
            (&Value::from("NW-00218"), &Value::from(3)),
        ]
    );
}

#[test]
fn a_csv_export_is_read_through_its_mapping() {
    let dir = scratch("csv");
    std::fs::write(
        dir.join("hr.toml"),
        r#"date-format = "%d/%m/%Y"
list-separator = "|"

[columns]
"Employee ID" = "employee_id"
"Work Email" = "email"
"Emp Type" = "employment"
"Dept" = "department"
"Is Manager" = "manager"
"Hire Date" = "start_date"

[values.employment]
FT = "full-time"
CW = "contractor"

[values.status]
A = "active"
T = "terminated"
"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("people.csv"),
        "Employee ID,Work Email,Emp Type,status,Dept,country,site,Is Manager,level,Hire Date,groups,cost_center\n\
         NW-1,ana@northwind.example,FT,A,Sales,US,New York,Y,6,15/03/2021,sales-east|sales-leadership,CC-2100\n\
         NWC-2,bo@northwind.example,CW,A,Engineering,DE,Berlin,N,4,01/09/2025,eng-all,CC-3100\n\
         NW-3,cy@northwind.example,FT,T,Marketing,GB,London,N,5,01/02/2020,,CC-4100\n",
    )
    .unwrap();
    let policies = root().join("policies");
    let output = grantline_in(
        Some(&dir),
        &[
            "eval",
            policies.to_str().unwrap(),
            "--people",
            "people.csv",
            "--mapping",
            "hr.toml",
            "--at",
            AT,
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stderr(&output), "3 records read: 3 evaluated, 0 rejected\n");
    let results = lines(&stdout(&output));
    let people: Vec<&Value> = results.iter().map(|r| &r["person"]).collect();
    assert_eq!(people, ["NW-1", "NWC-2", "NW-3"]);
    assert_eq!(results[1]["line"], 3);
    let entitlements = |index: usize| -> Vec<String> {
        results[index]["decision"]["entitlements"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["entitlement"].as_str().unwrap().to_string())
            .collect()
    };
    // The US sales manager gets Salesforce; the terminated person nothing.
    assert!(
        entitlements(0).iter().any(|e| e.starts_with("salesforce")),
        "{:?}",
        entitlements(0)
    );
    assert_eq!(entitlements(2), Vec::<String>::new());
}

#[test]
fn piped_output_has_no_progress_bar() {
    let output = grantline(&["eval", "policies", "--people", AFTER, "--at", AT]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    for (stream, text) in [("stdout", stdout(&output)), ("stderr", stderr(&output))] {
        for mark in ['\r', '\u{1b}', '█', '░', '⠁', '='] {
            assert!(!text.contains(mark), "{stream} holds {mark:?}: {text}");
        }
    }
    assert_eq!(
        stderr(&output),
        "12 records read: 12 evaluated, 0 rejected\n"
    );
}

#[test]
fn people_and_identity_are_mutually_exclusive() {
    let output = grantline(&[
        "eval",
        "policies",
        "--people",
        AFTER,
        "--identity",
        "policies/identities/alice-sales-manager.json",
    ]);
    assert_eq!(output.status.code(), Some(2));
    let output = grantline(&["eval", "policies", "--people", AFTER, "--format", "text"]);
    assert_eq!(output.status.code(), Some(2));
    let output = grantline(&["eval", "policies", "--mapping", "x.toml"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn order_is_kept_across_chunks() {
    // More records than one chunk (1,024), each a copy of a person of the
    // example export under a new key.
    let dir = scratch("chunks");
    let export = std::fs::read_to_string(root().join(AFTER)).unwrap();
    let people: Vec<Value> = export
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let count = 2_500;
    let mut text = String::new();
    for index in 0..count {
        let mut person = people[index % people.len()].clone();
        person["employee_id"] = Value::from(format!("NW-{index:05}"));
        text.push_str(&format!("{person}\n"));
    }
    std::fs::write(dir.join("people.jsonl"), text).unwrap();
    let file = dir.join("people.jsonl");
    let output = grantline(&[
        "eval",
        "policies",
        "--people",
        file.to_str().unwrap(),
        "--at",
        AT,
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        stderr(&output),
        "2500 records read: 2500 evaluated, 0 rejected\n"
    );
    let results = lines(&stdout(&output));
    assert_eq!(results.len(), count);
    let single = lines(&stdout(&grantline(&[
        "eval", "policies", "--people", AFTER, "--at", AT,
    ])));
    for (index, result) in results.iter().enumerate() {
        assert_eq!(result["person"], format!("NW-{index:05}"));
        assert_eq!(result["line"], index + 1);
        assert_eq!(
            result["decision"],
            single[index % single.len()]["decision"],
            "line {}",
            index + 1
        );
    }
}
