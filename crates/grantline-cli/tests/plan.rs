//! `grantline plan` on the example HR exports in `policies/hr/`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::process::{Command, Output};

fn grantline(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_grantline"))
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

const BEFORE: &str = "policies/hr/before.jsonl";
const AFTER: &str = "policies/hr/after.jsonl";
const AT: &str = "2026-12-01T09:00:00Z";

#[test]
fn the_plan_between_two_exports() {
    let output = grantline(&[
        "plan", "policies", "--before", BEFORE, "--after", AFTER, "--at", AT,
    ]);
    let text = String::from_utf8(output.stdout).unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    insta::assert_snapshot!(text);
}

#[test]
fn jsonl_has_one_action_per_line_with_its_reason() {
    let output = grantline(&[
        "plan", "policies", "--before", BEFORE, "--after", AFTER, "--at", AT, "--format", "jsonl",
    ]);
    let text = String::from_utf8(output.stdout).unwrap();
    let actions: Vec<serde_json::Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert!(!actions.is_empty());
    // Grace is missing from the later export: she loses what she held,
    // which is nothing, as she was already terminated. Kofi leaves at the
    // end of the day: revokes at midnight, triggered by his end date.
    let kofi: Vec<&serde_json::Value> = actions
        .iter()
        .filter(|a| a["person"] == "NW-00377")
        .collect();
    assert!(!kofi.is_empty());
    for action in kofi {
        assert_eq!(action["action"], "revoke");
        assert_eq!(action["effective"], "2026-12-02T00:00:00Z");
        assert_eq!(action["trigger"]["kind"], "changed");
        assert_eq!(action["trigger"]["changes"][0]["attribute"], "end_date");
    }
}

#[test]
fn one_export_at_two_instants_and_usage_errors() {
    // Between two instants with the same data, only dates passing change
    // access (a window closing, an end date going by).
    let output = grantline(&[
        "plan",
        "policies",
        "--before",
        AFTER,
        "--from",
        "2026-12-01",
        "--at",
        "2026-12-08",
        "--format",
        "jsonl",
    ]);
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8(output.stdout).unwrap();
    for line in text.lines() {
        let action: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(action["trigger"]["kind"], "time", "{line}");
    }
    assert!(
        text.contains("NW-00377"),
        "Kofi's access ended with 2026-12-01"
    );

    let output = grantline(&["plan", "policies", "--before", BEFORE]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--after FILE"));
}

#[test]
fn each_run_appends_one_audit_record() {
    let log =
        std::env::temp_dir().join(format!("grantline-plan-audit-{}.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&log);
    for _ in 0..2 {
        let output = grantline(&[
            "plan",
            "policies",
            "--before",
            BEFORE,
            "--after",
            AFTER,
            "--at",
            AT,
            "--format",
            "jsonl",
            "--audit",
            log.to_str().unwrap(),
        ]);
        assert_eq!(output.status.code(), Some(0));
    }
    let text = std::fs::read_to_string(&log).unwrap();
    let records: Vec<serde_json::Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(records.len(), 2);
    let record = &records[1];
    assert_eq!(record["command"], "plan");
    assert_eq!(record["at"], AT);
    assert!(record["policy_version"]
        .as_str()
        .unwrap()
        .starts_with("sha256:"));
    assert_eq!(record["inputs"].as_array().unwrap().len(), 2);
    assert_eq!(record["inputs"][1]["file"], AFTER);
    assert_eq!(record["inputs"][1]["rejected"], 0);
    assert_eq!(records[0]["policy_version"], record["policy_version"]);
    assert_eq!(
        record["actions"].as_array().unwrap().len(),
        42 + 18,
        "every action of the plan"
    );
    let _ = std::fs::remove_file(log);
}

#[test]
fn a_workday_csv_export_with_a_mapping_gives_the_same_plan() {
    // The same people as the JSON Lines exports, as Workday writes them:
    // other column names, `FT`/`CW`, `Y`/`N`, US dates, groups joined by `;`.
    let plan = |args: &[&str]| {
        let mut all = vec!["plan", "policies", "--at", AT, "--format", "jsonl"];
        all.extend_from_slice(args);
        let output = grantline(&all);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    let csv = plan(&[
        "--before",
        "policies/hr/workday-2026-11-30.csv",
        "--after",
        "policies/hr/workday-2026-12-01.csv",
        "--mapping",
        "policies/hr/workday-mapping.toml",
    ]);
    let json = plan(&["--before", BEFORE, "--after", AFTER]);
    assert!(!csv.is_empty());
    assert_eq!(csv, json);
}

#[test]
fn a_scim_export_with_a_mapping_gives_the_same_plan() {
    // The later people as an identity provider returns them over SCIM 2.0:
    // the enterprise extension, the primary address's country, groups, and
    // a custom extension read by SCIM attribute notation.
    let plan = |args: &[&str]| {
        let mut all = vec!["plan", "policies", "--at", AT, "--format", "jsonl"];
        all.extend_from_slice(args);
        let output = grantline(&all);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    let scim = plan(&[
        "--before",
        BEFORE,
        "--after",
        "policies/hr/scim-2026-12-01.scim.json",
        "--mapping",
        "policies/hr/scim-mapping.toml",
    ]);
    let json = plan(&["--before", BEFORE, "--after", AFTER]);
    assert!(!scim.is_empty());
    assert_eq!(scim, json);
}

/// A copy of the later export with some lines replaced, in a temporary file.
fn after_with(test: &str, edit: impl Fn(usize, &str) -> String) -> std::path::PathBuf {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let text = std::fs::read_to_string(format!("{root}/{AFTER}")).unwrap();
    let edited: String = text
        .lines()
        .enumerate()
        .map(|(i, line)| edit(i, line) + "\n")
        .collect();
    let path = std::env::temp_dir().join(format!(
        "grantline-plan-{test}-{}.jsonl",
        std::process::id()
    ));
    std::fs::write(&path, edited).unwrap();
    path
}

/// `grantline plan` from the example's earlier export to `after` (a
/// temporary file, removed): the exit code, standard output and error.
fn plan_to(after: std::path::PathBuf, extra: &[&str]) -> (Option<i32>, String, String) {
    let mut args = vec![
        "plan",
        "policies",
        "--before",
        BEFORE,
        "--after",
        after.to_str().unwrap(),
        "--at",
        AT,
    ];
    args.extend_from_slice(extra);
    let output = grantline(&args);
    std::fs::remove_file(&after).unwrap();
    (
        output.status.code(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

fn people_in(jsonl: &str) -> std::collections::BTreeSet<String> {
    jsonl
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
        .map(|action| action["person"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_person_whose_later_record_is_rejected_is_left_out_not_revoked() {
    // Alice's later record has a misspelled department: she keeps what she
    // has (no revokes) until it is fixed, and the run says so.
    let after = after_with("rejected", |i, line| {
        if i == 0 {
            line.replace(
                "\"department\": \"Marketing\"",
                "\"department\": \"Marketting\"",
            )
        } else {
            line.to_string()
        }
    });
    let (code, stdout, stderr) = plan_to(after, &["--format", "jsonl"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("1 person left out of the plan") && stderr.contains("NW-00412"),
        "{stderr}"
    );
    let planned = people_in(&stdout);
    assert!(!planned.contains("NW-00412"), "{planned:?}");
    // Everyone else is planned as without the typo.
    let whole = grantline(&[
        "plan", "policies", "--before", BEFORE, "--after", AFTER, "--at", AT, "--format", "jsonl",
    ]);
    let mut expected = people_in(&String::from_utf8(whole.stdout).unwrap());
    expected.remove("NW-00412");
    assert_eq!(planned, expected);
}

#[test]
fn an_unreadable_later_record_makes_no_one_a_leaver() {
    // A line that is not JSON names nobody: whoever is missing from the
    // later export may be that line, so no one is revoked as a leaver.
    let after = after_with("unreadable", |i, line| {
        if i == 0 {
            "{\"employee_id\": \"NW-00412\", oops".to_string()
        } else {
            line.to_string()
        }
    });
    let (code, stdout, stderr) = plan_to(after, &[]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("NW-00412"), "{stderr}");
    assert!(stderr.contains("not treated as leavers"), "{stderr}");
    assert!(!stdout.contains("NW-00412"), "{stdout}");
    assert!(!stdout.contains("left the HR data"), "{stdout}");
    // Alice, and Grace who really left: both wait for the file to be fixed.
    assert!(
        stdout.contains("1 record rejected (2 people left out)"),
        "{stdout}"
    );
}

/// A folder with a small policy keyed by a number, and two exports.
fn number_keyed(test: &str, before: &str, after: &str) -> std::path::PathBuf {
    let folder = std::env::temp_dir().join(format!("grantline-plan-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(
        folder.join("policy.grant"),
        "timezone \"UTC\"\n\
         attribute employee_id: key number\n\
         attribute department: Sales | Engineering\n\
         entitlement crm, github\n\
         rule sales:\n    in Sales grants crm\n\
         rule engineers:\n    in Engineering grants github\n",
    )
    .unwrap();
    std::fs::write(folder.join("before.jsonl"), before).unwrap();
    std::fs::write(folder.join("after.jsonl"), after).unwrap();
    folder
}

fn plan_folder(folder: &std::path::Path) -> (Option<i32>, String, String) {
    let path = |name: &str| folder.join(name).to_str().unwrap().to_string();
    let output = grantline(&[
        "plan",
        &path("policy.grant"),
        "--before",
        &path("before.jsonl"),
        "--after",
        &path("after.jsonl"),
        "--at",
        AT,
    ]);
    std::fs::remove_dir_all(folder).unwrap();
    (
        output.status.code(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn a_typo_in_a_number_key_makes_no_one_a_leaver() {
    // `42a` is not a number: the record names nobody for sure, so person 42,
    // missing from the later export, is not revoked as a leaver.
    let folder = number_keyed(
        "key-typo",
        "{\"employee_id\": 42, \"department\": \"Sales\"}\n\
         {\"employee_id\": 7, \"department\": \"Sales\"}\n",
        "{\"employee_id\": \"42a\", \"department\": \"Sales\"}\n\
         {\"employee_id\": 7, \"department\": \"Engineering\"}\n",
    );
    let (code, stdout, stderr) = plan_folder(&folder);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(!stdout.contains("left the HR data"), "{stdout}");
    assert!(stdout.contains("revoke  7"), "{stdout}");
    assert!(stdout.contains("(1 person left out)"), "{stdout}");
    assert!(stderr.contains("not treated as leavers"), "{stderr}");
}

#[test]
fn an_unreadable_earlier_record_makes_no_one_a_joiner() {
    // Person 42 moved from Sales to Engineering, but the earlier record is
    // not JSON: planned as a joiner they would keep `crm` for good.
    let folder = number_keyed(
        "earlier-unreadable",
        "{\"employee_id\": 42, \"department\": \"Sales\"\n\
         {\"employee_id\": 7, \"department\": \"Sales\"}\n",
        "{\"employee_id\": 42, \"department\": \"Engineering\"}\n\
         {\"employee_id\": 7, \"department\": \"Sales\"}\n",
    );
    let (code, stdout, stderr) = plan_folder(&folder);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(!stdout.contains("joined"), "{stdout}");
    assert!(stdout.contains("0 grants, 0 revokes"), "{stdout}");
    assert!(stdout.contains("(1 person left out)"), "{stdout}");
    assert!(stderr.contains("not treated as joiners"), "{stderr}");
}
