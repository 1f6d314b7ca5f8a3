//! `grantline lint`, run as a user would from the repository root, on the
//! policies of `tests/lint-fixtures/`. The tests do not depend on which
//! rules exist beyond what `grantline_lint::rules()` says; the snapshots of
//! the text and JSON output change when rules do (`INSTA_UPDATE=always`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const FIXTURE: &str = "crates/grantline-cli/tests/lint-fixtures/policies";
const PEOPLE: &str = "crates/grantline-cli/tests/lint-fixtures/people.jsonl";
const BAD_CONFIG: &str = "crates/grantline-cli/tests/lint-fixtures/bad-config.toml";
const BROKEN: &str = "crates/grantline-cli/tests/fixtures/broken";
const AT: &str = "2026-12-01";

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

/// A folder of this test's own.
fn scratch(test: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("grantline-lint-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&path);
    std::fs::create_dir_all(&path).unwrap();
    path
}

fn json_report(args: &[&str]) -> (Value, Output) {
    let mut all = vec!["lint", "--at", AT, "--format", "json"];
    all.extend_from_slice(args);
    let output = grantline(&all);
    let report = serde_json::from_str(&stdout(&output))
        .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&output), stderr(&output)));
    (report, output)
}

fn findings(report: &Value) -> &Vec<Value> {
    report["findings"].as_array().unwrap()
}

fn has_error(report: &Value) -> bool {
    findings(report)
        .iter()
        .any(|finding| finding["severity"] == "error")
}

/// The exit status the findings call for.
fn expected_code(report: &Value) -> i32 {
    i32::from(has_error(report))
}

/// A configuration that sets every rule to `level`.
fn every_rule_at(level: &str, folder: &Path) -> PathBuf {
    let mut text = String::from("[rules]\n");
    for info in grantline_lint::rules() {
        text.push_str(&format!("{} = \"{level}\"\n", info.code));
    }
    let path = folder.join(format!("{level}.toml"));
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn text_output_shows_each_finding_and_a_summary() {
    let output = grantline(&["lint", FIXTURE, "--at", AT]);
    let text = stdout(&output);
    let (report, _) = json_report(&[FIXTURE]);
    assert_eq!(output.status.code(), Some(expected_code(&report)), "{text}");
    let summary = text.lines().last().unwrap();
    assert!(summary.ends_with(" rules run)"), "{summary}");
    for finding in findings(&report) {
        let code = finding["code"].as_str().unwrap();
        assert!(text.contains(code), "{code} is not in the text output");
    }
    insta::assert_snapshot!(text);
}

#[test]
fn json_output_is_one_document_with_a_summary() {
    let (report, output) = json_report(&[FIXTURE]);
    assert_eq!(output.status.code(), Some(expected_code(&report)));
    assert!(
        !findings(&report).is_empty(),
        "the fixture gives no finding: {}",
        stdout(&output)
    );
    let summary = &report["summary"];
    let count = |level: &str| {
        findings(&report)
            .iter()
            .filter(|f| f["severity"] == level)
            .count() as u64
    };
    assert_eq!(summary["errors"], count("error"));
    assert_eq!(summary["warnings"], count("warning"));
    assert_eq!(summary["infos"], count("info"));
    // Without --people, the rules that need a population do not run.
    let run: Vec<&str> = summary["rules_run"]
        .as_array()
        .unwrap()
        .iter()
        .map(|code| code.as_str().unwrap())
        .collect();
    for info in grantline_lint::rules() {
        assert_eq!(
            run.contains(&info.code),
            !info.needs_population,
            "{}",
            info.code
        );
    }
    insta::assert_snapshot!(stdout(&output));
}

#[test]
fn sarif_output_points_at_the_files_of_the_policy_folder() {
    let (report, _) = json_report(&[FIXTURE]);
    let output = grantline(&["lint", FIXTURE, "--at", AT, "--format", "sarif"]);
    assert_eq!(output.status.code(), Some(expected_code(&report)));
    let log: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    let driver_rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(driver_rules.len(), grantline_lint::rules().len());
    let base = run["originalUriBaseIds"]["POLICYROOT"]["uri"]
        .as_str()
        .unwrap();
    assert!(
        base.starts_with("file:///") && base.ends_with("/lint-fixtures/policies/"),
        "{base}"
    );
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), findings(&report).len());
    for (result, finding) in results.iter().zip(findings(&report)) {
        assert_eq!(result["ruleId"], finding["code"]);
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(driver_rules[index]["id"], finding["code"]);
        let level = result["level"].as_str().unwrap();
        let severity = finding["severity"].as_str().unwrap();
        assert_eq!(level, if severity == "info" { "note" } else { severity });
        for location in result["locations"].as_array().unwrap() {
            let physical = &location["physicalLocation"];
            let uri = physical["artifactLocation"]["uri"].as_str().unwrap();
            assert!(uri == "schema.grant" || uri == "rules.grant", "{uri}");
            assert_eq!(physical["artifactLocation"]["uriBaseId"], "POLICYROOT");
            assert!(physical["region"]["startLine"].as_u64().unwrap() >= 1);
        }
    }
}

#[test]
fn the_exit_status_follows_the_levels_of_the_findings() {
    let folder = scratch("levels");
    let warnings = every_rule_at("warning", &folder);
    let (report, output) = json_report(&[FIXTURE, "--config", warnings.to_str().unwrap()]);
    assert!(!findings(&report).is_empty());
    assert!(!has_error(&report));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));

    let errors = every_rule_at("error", &folder);
    let output = grantline(&[
        "lint",
        FIXTURE,
        "--at",
        AT,
        "--config",
        errors.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let text = stdout(&output);
    let summary = text.lines().last().unwrap();
    assert!(!summary.starts_with("0 errors"), "{summary}");

    // --select keeps the levels of the configuration.
    let code = findings(&report)[0]["code"].as_str().unwrap().to_string();
    let (selected, output) = json_report(&[
        FIXTURE,
        "--config",
        errors.to_str().unwrap(),
        "--select",
        &code,
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(findings(&selected)
        .iter()
        .all(|f| f["code"] == code.as_str()));
    assert_eq!(selected["summary"]["rules_run"], serde_json::json!([code]));
    // --ignore drops it.
    let (ignored, _) = json_report(&[FIXTURE, "--ignore", &code.to_ascii_lowercase()]);
    assert!(findings(&ignored)
        .iter()
        .all(|f| f["code"] != code.as_str()));
    let _ = std::fs::remove_dir_all(folder);
}

#[test]
fn a_suppression_comment_silences_one_finding() {
    let (report, _) = json_report(&[FIXTURE]);
    let finding = findings(&report)
        .iter()
        .find(|f| f["location"]["file"].as_str().is_some())
        .expect("a finding with a location");
    let code = finding["code"].as_str().unwrap();
    let file = finding["location"]["file"].as_str().unwrap();
    let line = finding["location"]["line"].as_u64().unwrap() as usize;
    // A copy of the fixture with `# lint: allow CODE` above that line.
    let folder = scratch("suppress");
    for entry in std::fs::read_dir(root().join(FIXTURE)).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, folder.join(path.file_name().unwrap())).unwrap();
    }
    let name = Path::new(file).file_name().unwrap();
    let text = std::fs::read_to_string(folder.join(name)).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    let comment = format!("# lint: allow {code} -- accepted in review");
    lines.insert(line - 1, &comment);
    std::fs::write(folder.join(name), lines.join("\n") + "\n").unwrap();

    let (after, _) = json_report(&[folder.to_str().unwrap()]);
    let same = |report: &Value| {
        findings(report)
            .iter()
            .filter(|f| f["code"] == code)
            .count()
    };
    assert!(same(&after) < same(&report));
    assert!(
        after["summary"]["suppressed"].as_u64().unwrap()
            > report["summary"]["suppressed"].as_u64().unwrap()
    );
    let _ = std::fs::remove_dir_all(folder);
}

#[test]
fn a_population_with_no_readable_identity_is_an_error() {
    let folder = std::env::temp_dir().join(format!("grantline-lint-people-{}", std::process::id()));
    std::fs::create_dir_all(&folder).unwrap();
    for (name, text) in [
        ("empty.json", ""),
        ("bad.jsonl", "{\"department\": \"Nowhere\"}\n"),
        (
            "bom.json",
            "\u{feff}[\n  {\"department\": \"Sales\"},\n  {\"department\": \"Sales\"\n]\n",
        ),
    ] {
        let path = folder.join(name);
        std::fs::write(&path, text).unwrap();
        let output = grantline(&[
            "lint",
            FIXTURE,
            "--at",
            AT,
            "--people",
            path.to_str().unwrap(),
        ]);
        let err = stderr(&output);
        if name == "bom.json" {
            // A byte-order mark does not hide the array: one good record,
            // one broken one, named by line.
            assert!(err.contains("bom.json:4"), "{err}");
            assert!(err.contains("linting with the 1 identity read"), "{err}");
        } else {
            assert_eq!(output.status.code(), Some(2), "{name}: {err}");
            assert!(err.contains("no identity could be read"), "{name}: {err}");
        }
    }
    let _ = std::fs::remove_dir_all(folder);
}

#[test]
fn bad_records_of_people_are_reported_and_the_others_linted() {
    let output = grantline(&["lint", FIXTURE, "--at", AT, "--people", PEOPLE]);
    let err = stderr(&output);
    assert!(err.contains("Marketing"), "{err}");
    assert!(err.contains("department"), "{err}");
    assert!(
        err.contains("1 of 5 records of") && err.contains("linting with the 4 identities read"),
        "{err}"
    );
    let (report, json) = json_report(&[FIXTURE, "--people", PEOPLE]);
    assert_eq!(json.status.code(), Some(expected_code(&report)));
    assert_eq!(output.status.code(), Some(expected_code(&report)));
    // With a population every rule runs.
    assert_eq!(
        report["summary"]["rules_run"].as_array().unwrap().len(),
        grantline_lint::rules().len()
    );
}

#[test]
fn a_csv_export_with_a_mapping_is_a_population() {
    // The population is read as `plan` reads HR exports: the example's
    // Workday CSV gives the same findings as the same people in JSON Lines.
    let (csv_report, csv) = json_report(&[
        "policies",
        "--people",
        "policies/hr/workday-2026-12-01.csv",
        "--mapping",
        "policies/hr/workday-mapping.toml",
    ]);
    assert!(stderr(&csv).is_empty(), "{}", stderr(&csv));
    let (jsonl_report, _) = json_report(&["policies", "--people", "policies/hr/after.jsonl"]);
    assert_eq!(csv_report["findings"], jsonl_report["findings"]);
    assert_eq!(
        csv_report["summary"]["rules_run"].as_array().unwrap().len(),
        grantline_lint::rules().len()
    );
}

#[test]
fn a_bad_configuration_is_an_error_with_its_place() {
    let output = grantline(&["lint", FIXTURE, "--config", BAD_CONFIG]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.contains("bad-config.toml:2:16:"), "{err}");
    assert!(stdout(&output).is_empty());

    let folder = scratch("config");
    let unknown = folder.join("lint.toml");
    std::fs::write(&unknown, "[rules]\nGL999 = \"off\"\n").unwrap();
    let output = grantline(&["lint", FIXTURE, "--config", unknown.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("lint.toml:2:1: no lint rule `GL999`"));
    let _ = std::fs::remove_dir_all(folder);
}

#[test]
fn unknown_codes_are_usage_errors_with_a_suggestion() {
    let first = grantline_lint::rules()[0];
    let typo = format!("{}x", &first.code[..4]);
    let output = grantline(&["lint", FIXTURE, "--select", &typo]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.contains(&format!("no lint rule `{typo}`")), "{err}");
    assert!(err.contains("did you mean"), "{err}");

    let output = grantline(&["lint", FIXTURE, "--ignore", "GL9"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("`grantline lint --list` shows every rule"));

    let output = grantline(&["lint", "--explain", "nothing-like-this"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn policy_errors_exit_2_with_the_diagnostics() {
    let output = grantline(&["lint", BROKEN]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.contains("rules.grant:2:8"), "{err}");
    assert!(err.ends_with("error: 3 errors\n"), "{err}");
    assert!(stdout(&output).is_empty());
}

#[test]
fn list_and_explain_describe_the_rules() {
    let output = grantline(&["lint", "--list"]);
    assert_eq!(output.status.code(), Some(0));
    let list = stdout(&output);
    let rules = grantline_lint::rules();
    assert_eq!(list.lines().count(), rules.len() + 1);
    for info in &rules {
        assert!(
            list.lines()
                .any(|l| l.starts_with(info.code) && l.contains(info.name)),
            "{}",
            info.code
        );
    }
    let info = rules[0];
    let output = grantline(&["lint", "--explain", &info.code.to_ascii_lowercase()]);
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    assert!(text.starts_with(&format!("# {} {}\n", info.code, info.name)));
    assert!(text.contains(&info.doc()));
    let by_name = grantline(&["lint", "--explain", info.name]);
    assert_eq!(stdout(&by_name), text);
}

#[test]
fn a_malformed_at_is_a_usage_error() {
    let output = grantline(&["lint", FIXTURE, "--at", "2026-12-1"]);
    assert_eq!(output.status.code(), Some(2));
}
