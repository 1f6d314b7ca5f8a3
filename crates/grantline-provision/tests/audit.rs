#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! The audit log holds only complete records, also after a killed run and
//! with concurrent writers; reading it reports every line that is not one.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Barrier};
use std::time::Duration;

use chrono::{DateTime, Utc};
use grantline_provision::audit::{
    append, read, sha256, sha256_file, AuditInput, AuditRecord, AuditWriter, BadLine,
    HashingReader, LineProblem, RunHead, RunTail,
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
        lasts: None,
        max_duration: None,
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
    let logged = read(&log).unwrap();
    assert_eq!(logged.records.len(), 1, "the partial line is no record");
    assert_eq!(logged.unterminated, Some(2));
    assert!(logged.is_intact(), "and no damage");

    let second = [action("slack"), action("zoom")];
    append(&log, &record(&second)).unwrap();
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.ends_with('\n'));
    assert!(
        !text.contains("\"pl{"),
        "the partial record is gone: {text}"
    );
    let logged = read(&log).unwrap();
    assert_eq!(logged.unterminated, None);
    let records = values(&log);
    assert_eq!(records.len(), 2);
    assert_eq!(records[1]["actions"][1]["entitlement"], "zoom");
    assert_eq!(records[0]["policy_version"], sha256(b"{}"));
    assert!(text
        .lines()
        .all(|line| serde_json::from_str::<serde_json::Value>(line).is_ok()));
    let _ = std::fs::remove_dir_all(folder);
}

/// The records of an intact log without an unterminated line.
fn values(log: &Path) -> Vec<serde_json::Value> {
    let logged = read(log).unwrap();
    assert_eq!(logged.bad_lines, Vec::new());
    assert_eq!(logged.unterminated, None);
    logged.records.into_iter().map(|r| r.record).collect()
}

/// A scratch folder of this test.
fn scratch(name: &str) -> PathBuf {
    let folder =
        std::env::temp_dir().join(format!("grantline-audit-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&folder);
    std::fs::create_dir_all(&folder).unwrap();
    folder
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
    let records = values(&log);
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
    assert_eq!(values(&log)[2]["decisions"], serde_json::json!([]));
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

#[test]
fn an_input_is_hashed_as_it_is_read_not_read_again() {
    let folder = scratch("hashing");
    let file = folder.join("people.jsonl");
    let evaluated: Vec<u8> = (0..20_000)
        .flat_map(|i| format!("{{\"id\":\"NW-{i:05}\"}}\n").into_bytes())
        .collect();
    std::fs::write(&file, &evaluated).unwrap();

    // Read through a buffer, as the CLI reads an export.
    let mut input = BufReader::with_capacity(
        4096,
        HashingReader::new(std::fs::File::open(&file).unwrap()),
    );
    let mut lines = 0;
    let mut line = String::new();
    while input.read_line(&mut line).unwrap() > 0 {
        lines += 1;
        line.clear();
    }
    assert_eq!(lines, 20_000);
    // The file changes after the run read it: the hash still names the
    // content the run read, where a second reading names the new one.
    std::fs::write(&file, b"{\"id\":\"someone else\"}\n").unwrap();
    let hasher = input.into_inner();
    assert_eq!(hasher.bytes_read(), evaluated.len() as u64);
    assert_eq!(hasher.finish().unwrap(), sha256(&evaluated));
    assert_ne!(sha256_file(&file).unwrap(), sha256(&evaluated));

    // A reader that stops early: the rest is hashed by `finish`, once, and
    // what a buffer held unread counts once too.
    let content = b"header\nrest of the file, never parsed\n".repeat(1000);
    let mut input = BufReader::with_capacity(64, HashingReader::new(&content[..]));
    let mut first = String::new();
    input.read_line(&mut first).unwrap();
    assert_eq!(first, "header\n");
    assert!(input.get_ref().bytes_read() < content.len() as u64);
    assert_eq!(input.into_inner().finish().unwrap(), sha256(&content));
    // Read to the end by hand, with small reads.
    let mut hasher = HashingReader::new(&content[..]);
    let mut block = [0u8; 7];
    while hasher.read(&mut block).unwrap() > 0 {}
    assert_eq!(hasher.finish().unwrap(), sha256(&content));
    let _ = std::fs::remove_dir_all(folder);
}

#[test]
fn read_reports_each_bad_line_and_keeps_the_records() {
    let folder = scratch("bad-lines");
    let log = folder.join("audit.jsonl");
    let first = [action("crm")];
    append(&log, &record(&first)).unwrap();
    let mut file = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    // Damage, edits by hand, a record of another program, a killed run.
    file.write_all(b"{\"run_at\":\"2026-12-01T10:00:00Z\",\"command\":\"pl\n")
        .unwrap();
    file.write_all(b"\n").unwrap();
    file.write_all(b"[1,2]\n").unwrap();
    file.write_all(b"{\"command\":\"\xff\"}\n").unwrap();
    drop(file);
    let second = [action("slack")];
    append(&log, &record(&second)).unwrap();
    let mut file = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    file.write_all(br#"{"run_at":"2026-12-01T11:00:00Z""#)
        .unwrap();
    drop(file);

    let logged = read(&log).unwrap();
    assert!(!logged.is_intact());
    let lines: Vec<usize> = logged.records.iter().map(|r| r.line).collect();
    assert_eq!(lines, [1, 6], "the records, with their lines");
    assert_eq!(
        logged.records[1].record["actions"][0]["entitlement"],
        "slack"
    );
    let problems: Vec<(usize, &LineProblem)> = logged
        .bad_lines
        .iter()
        .map(|bad| (bad.line, &bad.problem))
        .collect();
    assert!(
        matches!(problems[0], (2, LineProblem::Json { .. })),
        "{problems:?}"
    );
    assert_eq!(problems[1], (3, &LineProblem::Blank));
    assert_eq!(problems[2], (4, &LineProblem::NotAnObject));
    assert!(
        matches!(problems[3], (5, LineProblem::Json { .. })),
        "{problems:?}"
    );
    assert_eq!(problems.len(), 4);
    assert_eq!(logged.unterminated, Some(7), "a run in progress or killed");
    let shown = logged.bad_lines[0].to_string();
    assert!(
        shown.starts_with("line 2: not valid JSON (column ") && !shown.contains("line 1"),
        "{shown}"
    );
    assert_eq!(
        BadLine {
            line: 4,
            problem: LineProblem::NotAnObject
        }
        .to_string(),
        "line 4: JSON that is not an object"
    );
    let _ = std::fs::remove_dir_all(folder);
}

/// A head or tail naming its writer and run, for telling runs apart.
fn tagged(writer: usize, run: usize) -> serde_json::Value {
    serde_json::json!({ "command": "eval", "writer": writer, "run": run })
}

#[test]
fn concurrent_writers_append_whole_runs_one_after_another() {
    let folder = scratch("concurrent");
    let log = folder.join("audit.jsonl");
    const WRITERS: usize = 4;
    const RUNS: usize = 6;
    // Enough items that a record is written in many blocks.
    const ITEMS: usize = 3_000;
    let start = Arc::new(Barrier::new(WRITERS));
    let threads: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let log = log.clone();
            let start = Arc::clone(&start);
            std::thread::spawn(move || {
                start.wait();
                for run in 0..RUNS {
                    match run % 3 {
                        // A run that fails midway: taken back out.
                        2 => {
                            let mut failed =
                                AuditWriter::begin(&log, &tagged(writer, run), "decisions")
                                    .unwrap();
                            for i in 0..ITEMS {
                                failed
                                    .push(&serde_json::json!({ "writer": writer, "i": i }))
                                    .unwrap();
                            }
                        }
                        1 => {
                            let actions = [action(&format!("app-{writer}-{run}"))];
                            append(&log, &record(&actions)).unwrap();
                        }
                        _ => {
                            let mut streamed =
                                AuditWriter::begin(&log, &tagged(writer, run), "decisions")
                                    .unwrap();
                            for i in 0..ITEMS {
                                streamed
                                    .push(&serde_json::json!({ "writer": writer, "i": i }))
                                    .unwrap();
                            }
                            streamed.finish(&tagged(writer, run)).unwrap();
                        }
                    }
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }

    // Every line parses, and each streamed record is one run's head, all
    // its items in order, and its tail.
    let records = values(&log);
    let streamed: Vec<&serde_json::Value> =
        records.iter().filter(|r| r["command"] == "eval").collect();
    let appended: Vec<&serde_json::Value> =
        records.iter().filter(|r| r["command"] == "plan").collect();
    assert_eq!(streamed.len(), WRITERS * RUNS / 3);
    assert_eq!(appended.len(), WRITERS * RUNS / 3);
    assert_eq!(
        records.len(),
        streamed.len() + appended.len(),
        "no failed run"
    );
    let text = std::fs::read_to_string(&log).unwrap();
    for line in text.lines().filter(|line| line.contains("\"eval\"")) {
        // The head's fields, the list, the tail's fields.
        assert!(
            line.starts_with("{\"command\":\"eval\",\"run\":"),
            "{line:.80}"
        );
        assert!(line.ends_with('}'));
    }
    let mut seen = Vec::new();
    for record in streamed {
        let writer = record["writer"].as_u64().unwrap();
        let decisions = record["decisions"].as_array().unwrap();
        assert_eq!(decisions.len(), ITEMS);
        for (i, item) in decisions.iter().enumerate() {
            assert_eq!(item["writer"], writer, "another run's item inside");
            assert_eq!(item["i"], i);
        }
        seen.push((writer, record["run"].as_u64().unwrap()));
    }
    seen.sort_unstable();
    let expected: Vec<(u64, u64)> = (0..WRITERS as u64)
        .flat_map(|w| (0..RUNS as u64).filter(|r| r % 3 == 0).map(move |r| (w, r)))
        .collect();
    assert_eq!(seen, expected);
    let _ = std::fs::remove_dir_all(folder);
}

#[test]
fn a_writer_waits_for_the_run_that_holds_the_log() {
    let folder = scratch("waits");
    let log = folder.join("audit.jsonl");
    let mut first = AuditWriter::begin(&log, &tagged(1, 0), "decisions").unwrap();
    first
        .push(&serde_json::json!({ "person": "NW-1" }))
        .unwrap();

    let (done, appended) = mpsc::channel();
    let other = {
        let log = log.clone();
        std::thread::spawn(move || {
            let actions = [action("crm")];
            append(&log, &record(&actions)).unwrap();
            done.send(()).unwrap();
        })
    };
    assert!(
        appended.recv_timeout(Duration::from_millis(300)).is_err(),
        "the second run waits while the first one writes"
    );
    first
        .push(&serde_json::json!({ "person": "NW-2" }))
        .unwrap();
    first.finish(&RunTail { inputs: Vec::new() }).unwrap();
    appended.recv_timeout(Duration::from_secs(30)).unwrap();
    other.join().unwrap();

    let records = values(&log);
    assert_eq!(records.len(), 2);
    assert_eq!(
        records[0]["decisions"][1]["person"], "NW-2",
        "the first run's, whole"
    );
    assert_eq!(records[1]["command"], "plan", "then the second run's");

    // A run that waited behind one that failed writes where that one began.
    let failed = AuditWriter::begin(&log, &tagged(2, 0), "decisions").unwrap();
    let other = {
        let log = log.clone();
        std::thread::spawn(move || {
            let actions = [action("zoom")];
            append(&log, &record(&actions)).unwrap();
        })
    };
    std::thread::sleep(Duration::from_millis(100));
    drop(failed);
    other.join().unwrap();
    let records = values(&log);
    assert_eq!(records.len(), 3);
    assert_eq!(records[2]["actions"][0]["entitlement"], "zoom");
    let _ = std::fs::remove_dir_all(folder);
}
