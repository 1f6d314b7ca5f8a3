//! The audit log of `grantline eval --people … --audit`: one record per
//! completed run, and never a partial record, whether a run fails midway or
//! its process is killed while it writes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
const AT: &str = "2026-12-01T09:00:00Z";

fn grantline() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_grantline"));
    command.current_dir(ROOT).env("NO_COLOR", "1");
    command
}

/// A scratch folder of this test.
fn scratch(name: &str) -> PathBuf {
    let folder =
        std::env::temp_dir().join(format!("grantline-audit-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&folder);
    std::fs::create_dir_all(&folder).unwrap();
    folder
}

/// An export of `count` people: the example's first person under new keys.
fn large_export(folder: &Path, count: usize) -> PathBuf {
    let example = std::fs::read_to_string(Path::new(ROOT).join("policies/hr/after.jsonl")).unwrap();
    let person = example.lines().next().unwrap();
    assert!(person.contains("\"NW-00412\""));
    let mut text = String::new();
    for i in 0..count {
        text.push_str(&person.replace("NW-00412", &format!("NW-{i:06}")));
        text.push('\n');
    }
    let file = folder.join("people.jsonl");
    std::fs::write(&file, text).unwrap();
    file
}

fn eval_args<'a>(people: &'a Path, log: &'a Path) -> Vec<&'a str> {
    vec![
        "eval",
        "policies",
        "--people",
        people.to_str().unwrap(),
        "--at",
        AT,
        "--audit",
        log.to_str().unwrap(),
    ]
}

/// The log's lines, each of which must be a complete JSON record.
fn records(log: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(log).unwrap();
    assert!(text.is_empty() || text.ends_with('\n'), "no partial line");
    text.lines()
        .map(|line| serde_json::from_str(line).expect("a complete record"))
        .collect()
}

#[test]
fn a_batch_run_appends_what_each_person_was_given() {
    let folder = scratch("batch");
    let log = folder.join("audit.jsonl");
    let people = "policies/hr/after.jsonl";
    let output = grantline()
        .args(["eval", "policies", "--people", people, "--at", AT])
        .args(["--audit", log.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let records = records(&log);
    assert_eq!(records.len(), 1);
    let record = &records[0];
    assert_eq!(record["command"], "eval");
    assert_eq!(record["at"], AT);
    assert!(record["policy_version"]
        .as_str()
        .unwrap()
        .starts_with("sha256:"));
    assert_eq!(record["inputs"][0]["file"], people);
    assert_eq!(record["inputs"][0]["read"], 12);
    let decisions = record["decisions"].as_array().unwrap();
    assert_eq!(decisions.len(), 12, "one entry per person");
    // The audit entry says what the decision on standard output says.
    let first: serde_json::Value = serde_json::from_str(
        String::from_utf8(output.stdout)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(decisions[0]["person"], first["person"]);
    let granted: Vec<&serde_json::Value> = first["decision"]["entitlements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["entitlement"])
        .collect();
    let audited: Vec<&serde_json::Value> = decisions[0]["entitlements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["entitlement"])
        .collect();
    assert_eq!(granted, audited);
    assert_eq!(
        decisions[0]["entitlements"][0]["rules"][0],
        first["decision"]["entitlements"][0]["reasons"][0]["rule"]
    );
    let _ = std::fs::remove_dir_all(folder);
}

#[test]
fn a_run_that_fails_midway_leaves_no_record() {
    let folder = scratch("failed");
    let log = folder.join("audit.jsonl");
    let people = large_export(&folder, 20_000);
    // Standard output closed before the run writes: its writes fail and it
    // stops with the record begun.
    let mut child = grantline()
        .args(eval_args(&people, &log))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    assert_ne!(status.code(), Some(0), "the run did not complete");
    assert_eq!(
        std::fs::read(&log).unwrap(),
        b"",
        "its record was taken back"
    );
    let _ = std::fs::remove_dir_all(folder);
}

#[test]
fn a_killed_run_leaves_no_partial_record() {
    let folder = scratch("killed");
    let log = folder.join("audit.jsonl");
    let people = large_export(&folder, 20_000);

    let mut child = grantline()
        .args(eval_args(&people, &log))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill it once its record has begun, while it evaluates and writes.
    let started = Instant::now();
    while std::fs::metadata(&log).map_or(0, |m| m.len()) == 0
        && started.elapsed() < Duration::from_secs(30)
    {
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let killed_midway = !std::fs::read(&log).unwrap().ends_with(b"\n");

    // Readers skip the unterminated line; the next run removes it.
    let status = grantline()
        .args(eval_args(&people, &log))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(0));
    let records = records(&log);
    // Exactly one record unless the first run completed before the kill.
    assert_eq!(records.len(), if killed_midway { 1 } else { 2 });
    let last = records.last().unwrap();
    assert_eq!(last["decisions"].as_array().unwrap().len(), 20_000);
    assert_eq!(last["inputs"][0]["read"], 20_000);
    assert!(
        killed_midway,
        "the run was killed while it wrote its record"
    );
    let _ = std::fs::remove_dir_all(folder);
}
