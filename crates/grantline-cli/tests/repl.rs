//! `grantline repl` with a script on standard input, as a CI job would run
//! it: results on standard output, errors on standard error, no prompts,
//! and exit status 1 when any input failed.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// An empty folder of this test's own, for HOME and the data directory.
fn scratch(test: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("grantline-repl-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&path);
    std::fs::create_dir_all(&path).unwrap();
    path
}

fn command(test: &str, args: &[&str]) -> (Command, PathBuf) {
    let home = scratch(test);
    let mut command = Command::new(env!("CARGO_BIN_EXE_grantline"));
    command
        .arg("repl")
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .env("HOME", &home)
        .env("XDG_DATA_HOME", &home)
        .stdin(Stdio::piped());
    (command, home)
}

fn feed(child: &mut std::process::Child, script: &str) {
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(script.as_bytes()).unwrap();
    // Dropping `stdin` closes it: the end of the input.
}

struct Run {
    stdout: String,
    stderr: String,
    code: Option<i32>,
}

/// Runs a script; standard output and standard error apart.
fn run(test: &str, args: &[&str], script: &str) -> Run {
    let (mut command, home) = command(test, args);
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    feed(&mut child, script);
    let output = child.wait_with_output().unwrap();
    let _ = std::fs::remove_dir_all(home);
    Run {
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
        code: output.status.code(),
    }
}

/// Runs a script with standard output and standard error into one file, so
/// that the transcript shows each error where it happened; for snapshots.
fn transcript(test: &str, script: &str) -> String {
    let (mut command, home) = command(test, &["policies"]);
    let log = home.join("transcript.txt");
    let file = std::fs::File::create(&log).unwrap();
    let mut child = command
        .stdout(file.try_clone().unwrap())
        .stderr(file)
        .spawn()
        .unwrap();
    feed(&mut child, script);
    let status = child.wait().unwrap();
    let output = std::fs::read_to_string(&log).unwrap();
    // No history in scripts.
    assert!(!home.join("grantline").join("history.txt").exists());
    let _ = std::fs::remove_dir_all(home);
    format!(
        "$ grantline repl policies <<'EOF'\n{script}EOF\n{output}[exit status {}]\n",
        status.code().unwrap_or(-1)
    )
}

#[test]
fn a_scripted_session_builds_an_identity_and_tries_a_new_rule() {
    let script = "\
:set employment full-time
:set status active
:set department Sales
:set country US
:set manager true
:set level 6
:set groups sales-east, sales-leadership
:at 2026-12-01
:show
:eval
:explain netsuite.approver
rule sales-managers-approve:
    full-time in Sales with manager status
    grants netsuite.approver
:eval
rule sales-managers-approve:
    full-time in Sales with manager status where level >= 7
    grants netsuite.approver requires approval by \"finance-controllers\"
:explain netsuite.approver
rule typo: active in Sales grants netsuite.aprover
:set level seven
:set level 7
:explain netsuite.approver
";
    let output = transcript("scripted", script);
    assert!(output.ends_with("[exit status 1]\n"), "{output}");
    insta::assert_snapshot!(output);
}

#[test]
fn a_script_without_errors_exits_0_and_prints_no_prompt() {
    let script = "\
# A comment line, and an empty line, are nothing.

:at 2026-12-01
:identity policies/identities/alice-sales-manager.json
rule all-hands-zoom:
    anyone grants zoom
:explain zoom
:quit
:eval
";
    let run = run("success", &["policies"], script);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.stderr, "");
    let mut lines = run.stdout.lines();
    let summary = lines.next().unwrap();
    assert!(summary.starts_with("policies: "), "{summary}");
    assert!(summary.ends_with(" rules"), "{summary}");
    assert_eq!(lines.next(), Some("rule `all-hands-zoom` defined"));
    assert_eq!(lines.next(), Some("zoom granted:"));
    assert!(
        run.stdout.contains("all-hands-zoom (<session>:1)"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("grantline>"), "{}", run.stdout);
    // `:quit` ends the script: the `:eval` after it does not run.
    assert!(!run.stdout.contains("warnings:"), "{}", run.stdout);
}

#[test]
fn an_error_goes_to_standard_error_and_the_script_goes_on_and_exits_1() {
    let script = "\
:set department marketing
:set departement Sales
:eval
";
    let run = run("errors", &["policies"], script);
    assert_eq!(run.code, Some(1));
    assert_eq!(
        run.stderr,
        "error: `marketing` is not a value of `department`; did you mean `Marketing`?\n\
         error: unknown attribute `departement`; did you mean `department`?\n"
    );
    // The `:eval` after the errors ran.
    assert!(run.stdout.contains("warnings:"), "{}", run.stdout);
}

#[test]
fn a_statement_accumulates_until_complete_or_the_end_of_the_input() {
    let script = "\
attribute team: Platform | SRE
entitlement pagerduty
rule sre:
    in SRE
    grants
    pagerduty
:set team SRE
:eval
rule unfinished:
    anyone
";
    let run = run("accumulate", &[], script);
    assert_eq!(run.code, Some(1));
    assert_eq!(
        run.stdout,
        "no policy files: 0 attributes, 0 entitlements, 0 roles, 0 rules\n\
         attribute `team` defined\n\
         entitlement `pagerduty` defined\n\
         rule `sre` defined\n\
         pagerduty   granted by sre (<session>:3)\n"
    );
    assert!(
        run.stderr.contains("unexpected end of file"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .ends_with("error: 1 error; the session is unchanged\n"),
        "{}",
        run.stderr
    );
}

#[test]
fn policies_that_do_not_compile_leave_an_empty_session() {
    let run = run(
        "broken",
        &["crates/grantline-cli/tests/fixtures/broken"],
        ":rules\n",
    );
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr.contains("grantline::unknown-word"),
        "{}",
        run.stderr
    );
    assert_eq!(
        run.stdout,
        "no policy files: 0 attributes, 0 entitlements, 0 roles, 0 rules\nno rules yet\n"
    );
}

#[test]
fn rules_and_ir_show_what_a_rule_compiled_to() {
    let script = "\
:rules us-sales
:ir us-sales-managers
:ir us-sales-manager
:help
";
    let output = transcript("rules", script);
    assert!(output.ends_with("[exit status 1]\n"), "{output}");
    insta::assert_snapshot!(output);
}

#[test]
fn lint_reports_on_the_policies_in_effect_and_typed_rules() {
    let script = "\
:lint
rule everyone-everything:
    anyone grants aws.admin
:lint
:lint GL9
";
    let run = run(
        "lint",
        &["crates/grantline-cli/tests/lint-fixtures/policies"],
        script,
    );
    // Only `:lint GL9` failed: findings are output, not failures.
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let summaries: Vec<&str> = run
        .stdout
        .lines()
        .filter(|line| line.ends_with(" rules run)"))
        .collect();
    assert_eq!(summaries.len(), 2, "{}", run.stdout);
    // The typed rule is linted with the files: the findings point into the
    // session as well as into the loaded files.
    assert!(
        run.stdout
            .contains("crates/grantline-cli/tests/lint-fixtures/policies/rules.grant"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr.contains("error: no lint rule `GL9`"),
        "{}",
        run.stderr
    );
}
