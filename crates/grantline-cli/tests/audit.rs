//! The audit log of `grantline eval --people … --audit` and `grantline plan
//! … --audit`: one record per completed run, and never a partial record,
//! whether a run fails midway, its process is killed while it writes, or
//! other runs append to the same log at the same time.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
const AT: &str = "2026-12-01T09:00:00Z";
const BEFORE: &str = "policies/hr/before.jsonl";
const AFTER: &str = "policies/hr/after.jsonl";

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

#[test]
fn concurrent_runs_append_whole_records_one_after_another() {
    let folder = scratch("concurrent");
    let log = folder.join("audit.jsonl");
    let people = large_export(&folder, 5_000);
    let log_arg = log.to_str().unwrap();
    let plan_args = [
        "plan", "policies", "--before", BEFORE, "--after", AFTER, "--at", AT, "--audit", log_arg,
    ];
    // Started together, so that their records would overlap in time.
    let mut runs: Vec<(&str, Child)> = Vec::new();
    for _ in 0..3 {
        let eval = grantline()
            .args(eval_args(&people, &log))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        runs.push(("eval", eval));
        let plan = grantline()
            .args(plan_args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        runs.push(("plan", plan));
    }
    for (command, mut child) in runs {
        assert_eq!(child.wait().unwrap().code(), Some(0), "{command}");
    }

    // Every line a whole record of one run: no run's bytes inside another's.
    let records = records(&log);
    assert_eq!(records.len(), 6);
    let evals: Vec<&serde_json::Value> =
        records.iter().filter(|r| r["command"] == "eval").collect();
    let plans: Vec<&serde_json::Value> =
        records.iter().filter(|r| r["command"] == "plan").collect();
    assert_eq!((evals.len(), plans.len()), (3, 3));
    for record in evals {
        let decisions = record["decisions"].as_array().unwrap();
        assert_eq!(decisions.len(), 5_000);
        for (i, decision) in decisions.iter().enumerate() {
            assert_eq!(decision["person"], format!("NW-{i:06}"), "in input order");
        }
        assert_eq!(record["inputs"][0]["read"], 5_000);
    }
    for record in plans {
        assert_eq!(record["actions"].as_array().unwrap().len(), 42 + 18);
        assert_eq!(record["inputs"][1]["file"], AFTER);
    }
    let _ = std::fs::remove_dir_all(folder);
}

/// Runs `args` (with `{input}` for the input's path) reading the content
/// of `source` from a named pipe, which gives its content once: a run that
/// opened its input a second time to hash it would wait there for a writer,
/// and hash whatever that writer gives (here: nothing).
#[cfg(unix)]
fn run_on_a_pipe(folder: &Path, source: &str, args: &[&str]) -> std::process::ExitStatus {
    use std::io::Write;
    let input = folder.join(Path::new(source).file_name().unwrap());
    let _ = std::fs::remove_file(&input);
    let made = Command::new("mkfifo").arg(&input).status().unwrap();
    assert!(made.success(), "mkfifo {}", input.display());
    let input_arg = input.to_str().unwrap();
    let args: Vec<&str> = args
        .iter()
        .map(|arg| if *arg == "{input}" { input_arg } else { *arg })
        .collect();
    let mut child = grantline()
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let content = std::fs::read(Path::new(ROOT).join(source)).unwrap();
    // Blocks until the run opens the pipe; closing it ends the input.
    let mut pipe = std::fs::OpenOptions::new()
        .write(true)
        .open(&input)
        .unwrap();
    pipe.write_all(&content).unwrap();
    drop(pipe);
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() && started.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(10));
    }
    if child.try_wait().unwrap().is_none() {
        // Waiting on a second opening of its input: end that one empty.
        // (Harmless if the run is merely slow: it has read its input to
        // the end already.)
        std::thread::spawn(move || {
            let _ = std::fs::OpenOptions::new().write(true).open(&input);
        });
    }
    child.wait().unwrap()
}

#[cfg(unix)]
#[test]
fn an_input_is_hashed_as_the_run_read_it() {
    use grantline_provision::audit::sha256;
    let folder = scratch("pipe");
    let log = folder.join("audit.jsonl");
    let log_arg = log.to_str().unwrap();
    let expected = |source: &str| sha256(&std::fs::read(Path::new(ROOT).join(source)).unwrap());

    let eval = [
        "eval", "policies", "--people", "{input}", "--at", AT, "--audit", log_arg,
    ];
    assert_eq!(run_on_a_pipe(&folder, AFTER, &eval).code(), Some(0));
    let plan = [
        "plan", "policies", "--before", "{input}", "--after", AFTER, "--at", AT, "--audit", log_arg,
    ];
    assert_eq!(run_on_a_pipe(&folder, BEFORE, &plan).code(), Some(0));

    let records = records(&log);
    assert_eq!(records.len(), 2);
    assert_eq!(records[0]["command"], "eval");
    assert_eq!(records[0]["inputs"][0]["read"], 12);
    assert_eq!(
        records[0]["inputs"][0]["sha256"],
        expected(AFTER),
        "the bytes evaluated, read once"
    );
    assert_eq!(records[1]["command"], "plan");
    assert_eq!(records[1]["inputs"][0]["sha256"], expected(BEFORE));
    // A regular file is hashed the same way.
    assert_eq!(records[1]["inputs"][1]["sha256"], expected(AFTER));
    let _ = std::fs::remove_dir_all(folder);
}
