//! The `grantline` binary, run as a user would from the repository root.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::Path;
use std::process::{Command, Output};

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn grantline(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_grantline"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

const ALICE: &str = "policies/identities/alice-sales-manager.json";
const BROKEN: &str = "crates/grantline-cli/tests/fixtures/broken";

#[test]
fn check_passes_on_the_example_policies() {
    let output = grantline(&["check", "policies"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    insta::assert_snapshot!(stdout(&output));
}

#[test]
fn check_reports_every_error_with_location_and_hint() {
    let output = grantline(&["check", BROKEN]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(err.contains("rules.grant:2:8"), "{err}");
    assert!(err.ends_with("error: 3 errors\n"), "{err}");
    insta::assert_snapshot!(err);
}

#[test]
fn check_json_lists_the_diagnostics() {
    let output = grantline(&["check", BROKEN, "--format", "json"]);
    assert_eq!(output.status.code(), Some(1));
    let diagnostics: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let codes: Vec<&str> = diagnostics
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "grantline::unknown-word",
            "grantline::unknown-entitlement",
            "grantline::type-mismatch"
        ]
    );
    insta::assert_snapshot!(stdout(&output));
}

#[test]
fn eval_prints_the_decision_for_one_identity() {
    let output = grantline(&[
        "eval",
        "policies",
        "--identity",
        ALICE,
        "--at",
        "2026-12-01",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("salesforce.admin"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn eval_json_is_a_decision_object() {
    let output = grantline(&[
        "eval",
        "policies",
        "--identity",
        ALICE,
        "--at",
        "2026-12-01",
        "--format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let decision: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(decision["at"], "2026-12-01T00:00:00Z");
    insta::assert_snapshot!(stdout(&output));
}

#[test]
fn eval_of_everyone_accounts_for_every_record() {
    let output = grantline(&[
        "eval",
        "policies",
        "--identity",
        "policies/identities/everyone.json",
        "--at",
        "2026-12-01",
        "--format",
        "json",
    ]);
    let records: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let everyone: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("policies/identities/everyone.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        records.as_array().unwrap().len(),
        everyone.as_array().unwrap().len()
    );
    let text = grantline(&[
        "eval",
        "policies",
        "--identity",
        "policies/identities/everyone.json",
        "--at",
        "2026-12-01",
    ]);
    insta::assert_snapshot!(stdout(&text));
}

#[test]
fn compiled_ir_gives_the_same_decision_as_the_sources() {
    let dir = std::env::temp_dir().join(format!("grantline-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ir = dir.join("policies.ir.json");
    let compiled = grantline(&["compile", "policies", "-o", ir.to_str().unwrap()]);
    assert_eq!(compiled.status.code(), Some(0), "{}", stderr(&compiled));
    let from_ir = grantline(&[
        "eval",
        "--ir",
        ir.to_str().unwrap(),
        "--identity",
        ALICE,
        "--at",
        "2026-12-01",
    ]);
    let from_source = grantline(&[
        "eval",
        "policies",
        "--identity",
        ALICE,
        "--at",
        "2026-12-01",
    ]);
    assert_eq!(from_ir.status.code(), Some(0), "{}", stderr(&from_ir));
    assert_eq!(stdout(&from_ir), stdout(&from_source));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_records_are_named_by_record_and_field() {
    let output = grantline(&[
        "eval",
        "policies",
        "--identity",
        "crates/grantline-cli/tests/fixtures/identities/bad-records.json",
        "--at",
        "2026-12-01",
        "--format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(err.contains("record 2 (employee_id E-2)"), "{err}");
    assert!(err.contains("`department`"), "{err}");
    assert!(err.contains("`start_date`"), "{err}");
    let records: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(
        records.as_array().unwrap().len(),
        3,
        "every record is accounted for"
    );
    assert!(records[0]["decision"].is_object());
    assert_eq!(records[1]["errors"][0]["field"], "department");
    insta::assert_snapshot!(err);
}

#[test]
fn explain_says_which_condition_failed() {
    let output = grantline(&[
        "explain",
        "policies",
        "--identity",
        ALICE,
        "netsuite.approver",
        "--at",
        "2026-12-01",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("not granted"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn explain_of_an_unknown_entitlement_suggests_the_closest() {
    let output = grantline(&[
        "explain",
        "policies",
        "--identity",
        ALICE,
        "salesforce.admn",
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("salesforce.admin"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn usage_errors_exit_with_2() {
    let output = grantline(&["eval", "policies", "--identity", ALICE, "--at", "tomorrow"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("not an instant"),
        "{}",
        stderr(&output)
    );
    assert_eq!(grantline(&["frobnicate"]).status.code(), Some(2));
}

#[test]
fn a_missing_policy_folder_is_an_error() {
    let output = grantline(&["check", "no-such-folder"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("no-such-folder"),
        "{}",
        stderr(&output)
    );
}

const POLICY_TESTS: &str = "crates/grantline-cli/tests/fixtures/policy-tests";

#[test]
fn test_reports_each_test_with_expected_against_actual() {
    let output = grantline(&["test", POLICY_TESTS]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.ends_with("\n3 passed, 1 failed\n"), "{text}");
    assert!(
        text.contains("expected: pending approval\n      actual:   not granted"),
        "{text}"
    );
    insta::assert_snapshot!(text);
}

#[test]
fn test_coverage_lists_the_rules_no_test_exercised() {
    let output = grantline(&["test", POLICY_TESTS, "--coverage"]);
    let text = stdout(&output);
    assert!(
        text.contains("coverage: 4 of 5 rules exercised (80.0%)"),
        "{text}"
    );
    assert!(text.contains("not exercised: contractors-end"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn the_example_policies_pass_their_tests_with_full_coverage() {
    let output = grantline(&["test", "policies", "--coverage"]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{text}{}", stderr(&output));
    assert!(text.contains("rules exercised (100.0%)"), "{text}");
}

#[test]
fn help_describes_every_command() {
    let output = grantline(&["--help"]);
    assert_eq!(output.status.code(), Some(0));
    insta::assert_snapshot!(stdout(&output));
}
