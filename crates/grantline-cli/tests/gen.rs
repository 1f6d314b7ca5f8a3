//! `grantline gen`, writing synthetic workloads to temporary folders that
//! `check` and `eval` then read.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn grantline(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_grantline"))
        .args(args)
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

/// A fresh temporary folder for one test (removed when dropped).
struct Scratch(PathBuf);

impl Scratch {
    fn new(test: &str) -> Scratch {
        let path =
            std::env::temp_dir().join(format!("grantline-gen-{}-{test}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        Scratch(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    fn join(&self, name: &str) -> String {
        self.0.join(name).to_str().unwrap().to_string()
    }

    fn files(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.0)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn gen(out: &Path, rules: &str, identities: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "gen",
        "--rules",
        rules,
        "--identities",
        identities,
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    grantline(&args)
}

#[test]
fn gen_writes_a_workload_that_checks_and_evaluates() {
    let scratch = Scratch::new("roundtrip");
    let out = scratch.path().join("nested/workload");
    let output = gen(&out, "1200", "25", &["--seed", "7"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let summary = stdout(&output);
    assert_eq!(summary.lines().count(), 1, "{summary}");
    assert!(
        summary.starts_with(&format!("wrote {}: 1200 rules in 2 files, ", out.display())),
        "{summary}"
    );
    assert!(
        summary.trim_end().ends_with("25 identities (seed 7)"),
        "{summary}"
    );
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "catalogue.grant",
            "identities.json",
            "identities.jsonl",
            "rules-001.grant",
            "rules-002.grant",
            "schema.grant"
        ]
    );

    let dir = out.to_str().unwrap();
    let check = grantline(&["check", dir]);
    assert_eq!(check.status.code(), Some(0), "{}", stderr(&check));
    assert!(
        stdout(&check).contains("1200 rules; no errors"),
        "{}",
        stdout(&check)
    );
    assert_eq!(stderr(&check), "");

    let identities = out.join("identities.json");
    let eval = grantline(&[
        "eval",
        dir,
        "--identity",
        identities.to_str().unwrap(),
        "--at",
        "2026-12-01",
        "--format",
        "json",
    ]);
    assert_eq!(eval.status.code(), Some(0), "{}", stderr(&eval));
    let decisions: serde_json::Value = serde_json::from_str(&stdout(&eval)).unwrap();
    let decisions = decisions.as_array().unwrap();
    assert_eq!(decisions.len(), 25);
    assert!(decisions.iter().all(|d| d["decision"].is_object()));
    // Everyone who is not terminated gets something.
    assert!(decisions
        .iter()
        .any(|d| !d["decision"]["entitlements"].as_array().unwrap().is_empty()));

    let lines = std::fs::read_to_string(out.join("identities.jsonl")).unwrap();
    assert_eq!(lines.lines().count(), 25);
}

#[test]
fn the_same_seed_writes_the_same_bytes() {
    let scratch = Scratch::new("seed");
    let (a, b, c) = (
        scratch.path().join("a"),
        scratch.path().join("b"),
        scratch.path().join("c"),
    );
    for (dir, seed) in [(&a, "3"), (&b, "3"), (&c, "4")] {
        let output = gen(dir, "300", "40", &["--seed", seed]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    }
    for name in ["catalogue.grant", "rules-001.grant", "identities.json"] {
        let read = |dir: &Path| std::fs::read(dir.join(name)).unwrap();
        assert_eq!(read(&a), read(&b), "{name}");
        assert_ne!(read(&a), read(&c), "{name}");
    }
}

#[test]
fn gen_refuses_to_overwrite_policies_without_force() {
    let scratch = Scratch::new("force");
    let first = gen(scratch.path(), "2100", "5", &[]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let rules_before = std::fs::read_to_string(scratch.join("rules-001.grant")).unwrap();

    let again = gen(scratch.path(), "100", "5", &[]);
    assert_eq!(again.status.code(), Some(2));
    let err = stderr(&again);
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains("already holds 5 .grant files"), "{err}");
    assert!(err.contains("--force"), "{err}");
    assert_eq!(stdout(&again), "");
    // Nothing was touched.
    assert_eq!(
        std::fs::read_to_string(scratch.join("rules-001.grant")).unwrap(),
        rules_before
    );

    let forced = gen(scratch.path(), "100", "5", &["--force"]);
    assert_eq!(forced.status.code(), Some(0), "{}", stderr(&forced));
    // The rules files of the larger workload are gone.
    assert_eq!(
        scratch.files(),
        [
            "catalogue.grant",
            "identities.json",
            "identities.jsonl",
            "rules-001.grant",
            "schema.grant"
        ]
    );
    let check = grantline(&["check", scratch.path().to_str().unwrap()]);
    assert_eq!(check.status.code(), Some(0), "{}", stderr(&check));
    assert!(
        stdout(&check).contains("100 rules; no errors"),
        "{}",
        stdout(&check)
    );
}

#[test]
fn gen_writes_into_an_existing_folder_without_policies() {
    let scratch = Scratch::new("existing");
    std::fs::create_dir_all(scratch.path()).unwrap();
    std::fs::write(scratch.path().join("notes.txt"), "keep me\n").unwrap();
    let output = gen(scratch.path(), "10", "1", &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).contains("10 rules in 1 file, "));
    assert!(stdout(&output).trim_end().ends_with("1 identity (seed 42)"));
    assert_eq!(
        std::fs::read_to_string(scratch.path().join("notes.txt")).unwrap(),
        "keep me\n"
    );
}

#[test]
fn gen_usage_errors_exit_2() {
    let scratch = Scratch::new("usage");
    // A file where the folder should be.
    std::fs::create_dir_all(scratch.path()).unwrap();
    let file = scratch.path().join("file");
    std::fs::write(&file, "").unwrap();
    let output = gen(&file, "10", "1", &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("is not a folder"),
        "{}",
        stderr(&output)
    );
    // Missing and malformed options are clap's usage errors.
    let missing = grantline(&["gen", "--rules", "10", "--out", "x"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("--identities"),
        "{}",
        stderr(&missing)
    );
    let bad = grantline(&["gen", "--rules", "ten", "--identities", "1", "--out", "x"]);
    assert_eq!(bad.status.code(), Some(2));
}
