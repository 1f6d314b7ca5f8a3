#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! The audit log holds only complete records, also after a killed run.

use std::io::Write;

use chrono::{DateTime, Utc};
use grantline_provision::audit::{
    append, read, sha256, sha256_file, AuditInput, AuditRecord, AuditWriter, RunHead, RunTail,
};
use grantline_provision::{Action, ActionKind, Trigger};

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn action(entitlement: &str) -> Action {
    Action {
        person: "NW-1".to_string(),
        action: ActionKind::Grant,
        entitlement: entitlement.to_string(),
        effective: at("2026-12-01T09:00:00Z"),
        rules: vec!["sales".to_string()],
        approvers: Vec::new(),
        trigger: Trigger::Joined,
    }
}

fn record<'a>(actions: &'a [Action]) -> AuditRecord<'a> {
    AuditRecord {
        run_at: at("2026-12-01T09:00:05Z"),
        command: "plan",
        policy_version: sha256(b"{}"),
        inputs: vec![AuditInput {
            file: "after.jsonl".to_string(),
            sha256: sha256(b""),
            read: 1,
            accepted: 1,
            rejected: 0,
        }],
        at: at("2026-12-01T09:00:00Z"),
        actions,
    }
}

#[test]
fn records_append_and_a_killed_run_leaves_no_partial_record() {
    let folder = std::env::temp_dir().join(format!("grantline-audit-{}", std::process::id()));
    std::fs::create_dir_all(&folder).unwrap();
    let log = folder.join("audit.jsonl");
    let _ = std::fs::remove_file(&log);

    let first = [action("crm")];
    append(&log, &record(&first)).unwrap();
    // A run killed while writing: half a record, no newline.
    let mut file = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    file.write_all(br#"{"run_at":"2026-12-01T10:00:00Z","command":"pl"#)
        .unwrap();
    drop(file);
    assert_eq!(
        read(&log).unwrap().len(),
        1,
        "read ignores the partial line"
    );

    let second = [action("slack"), action("zoom")];
    append(&log, &record(&second)).unwrap();
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.ends_with('\n'));
    assert!(
        !text.contains("\"pl{"),
        "the partial record is gone: {text}"
    );
    let records = read(&log).unwrap();
    assert_eq!(records.len(), 2);
    assert_eq!(records[1]["actions"][1]["entitlement"], "zoom");
    assert_eq!(records[0]["policy_version"], sha256(b"{}"));
    assert!(text
        .lines()
        .all(|line| serde_json::from_str::<serde_json::Value>(line).is_ok()));
    let _ = std::fs::remove_dir_all(folder);
}

fn head() -> RunHead<'static> {
    RunHead {
        run_at: at("2026-12-01T09:00:05Z"),
        command: "eval",
        policy_version: sha256(b"{}"),
        at: at("2026-12-01T09:00:00Z"),
    }
}

#[test]
fn a_streamed_record_is_one_line_and_an_unfinished_one_is_taken_back() {
    let folder =
        std::env::temp_dir().join(format!("grantline-audit-stream-{}", std::process::id()));
    std::fs::create_dir_all(&folder).unwrap();
    let log = folder.join("audit.jsonl");
    let _ = std::fs::remove_file(&log);

    let first = [action("crm")];
    append(&log, &record(&first)).unwrap();
    let before = std::fs::read(&log).unwrap();

    // A run that fails midway: its writer is dropped unfinished.
    let mut failed = AuditWriter::begin(&log, &head(), "decisions").unwrap();
    for i in 0..10_000 {
        failed.push(&serde_json::json!({ "person": i })).unwrap();
    }
    drop(failed);
    assert_eq!(std::fs::read(&log).unwrap(), before, "the log is as it was");

    // A killed run's unterminated line is removed when the next one begins.
    let mut file = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    file.write_all(br#"{"run_at":"2026-12-01T10:00:00Z","decisions":[{"per"#)
        .unwrap();
    drop(file);
    let mut writer = AuditWriter::begin(&log, &head(), "decisions").unwrap();
    writer
        .push(&serde_json::json!({ "person": "NW-1" }))
        .unwrap();
    writer
        .push(&serde_json::json!({ "person": "NW-2" }))
        .unwrap();
    writer.finish(&RunTail { inputs: Vec::new() }).unwrap();
    let records = read(&log).unwrap();
    assert_eq!(records.len(), 2);
    assert_eq!(records[1]["command"], "eval");
    assert_eq!(records[1]["decisions"][1]["person"], "NW-2");
    assert_eq!(records[1]["inputs"], serde_json::json!([]));
    let text = std::fs::read_to_string(&log).unwrap();
    assert_eq!(text.lines().count(), 2);
    assert!(!text.contains("\"per{"));

    // An empty list is valid JSON too.
    AuditWriter::begin(&log, &head(), "decisions")
        .unwrap()
        .finish(&RunTail { inputs: Vec::new() })
        .unwrap();
    assert_eq!(read(&log).unwrap()[2]["decisions"], serde_json::json!([]));
    let _ = std::fs::remove_dir_all(folder);
}

#[test]
fn hashes_name_content() {
    assert_eq!(
        sha256(b"abc"),
        "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    let file = std::env::temp_dir().join(format!("grantline-hash-{}", std::process::id()));
    std::fs::write(&file, vec![b'x'; 200_000]).unwrap();
    assert_eq!(sha256_file(&file).unwrap(), sha256(&vec![b'x'; 200_000]));
    let _ = std::fs::remove_file(file);
}
