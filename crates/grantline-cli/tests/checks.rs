//! Custom checks through the `grantline` command: results and failures in
//! `eval` and `explain`, module problems in `check`, and a module changed
//! after compiling refused.
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

const CHECKS: &str = "crates/grantline-cli/tests/fixtures/checks";
const PEOPLE: &str = "crates/grantline-cli/tests/fixtures/checks/people.json";
const BOB: &str = "crates/grantline-cli/tests/fixtures/checks/bob.json";

#[test]
fn eval_shows_each_check_and_what_a_failed_one_decided() {
    let output = grantline(&["eval", CHECKS, "-i", PEOPLE, "--at", "2026-12-01"]);
    assert_eq!(output.status.code(), Some(0));
    insta::assert_snapshot!(String::from_utf8(output.stdout).unwrap());
}

#[test]
fn eval_json_carries_check_results_and_errors() {
    let output = grantline(&[
        "eval",
        CHECKS,
        "-i",
        PEOPLE,
        "--at",
        "2026-12-01",
        "--format",
        "json",
    ]);
    let decisions: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let first = &decisions[0]["decision"];
    assert_eq!(first["checks"][0]["outcome"], "passed");
    assert_eq!(first["checks"][2]["outcome"], "error");
    assert_eq!(first["errors"][0]["check"], "looping");
    assert_eq!(first["errors"][0]["rule"], "never-decided");
    assert!(first["errors"][0]["cause"]
        .as_str()
        .unwrap()
        .contains("out of fuel"));
    let second = &decisions[1]["decision"];
    assert_eq!(second["checks"][0]["log"], "no valid check digit");
    assert_eq!(second["denied"][0]["entitlement"], "badge");
}

#[test]
fn explain_shows_the_check_behind_a_rule() {
    let mut text = String::new();
    for entitlement in ["badge", "aws.prod"] {
        let output = grantline(&[
            "explain",
            CHECKS,
            "-i",
            BOB,
            entitlement,
            "--at",
            "2026-12-01",
        ]);
        assert_eq!(output.status.code(), Some(0));
        text.push_str(&String::from_utf8(output.stdout).unwrap());
    }
    insta::assert_snapshot!(text);
}

#[test]
fn modules_that_are_no_check_are_errors_on_their_check_lines() {
    let output = grantline(&["check", "crates/grantline-cli/tests/fixtures/bad-checks"]);
    assert_eq!(output.status.code(), Some(1));
    insta::assert_snapshot!(String::from_utf8(output.stderr).unwrap());
}

#[test]
fn a_module_changed_after_compiling_is_refused() {
    let folder = std::env::temp_dir().join(format!("grantline-checks-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&folder);
    std::fs::create_dir_all(&folder).unwrap();
    let module = folder.join("check.wat");
    std::fs::copy(root().join("policies/checks/always-pass.wat"), &module).unwrap();
    std::fs::write(
        folder.join("policy.grant"),
        "attribute level: number\nentitlement vpn\ncheck ok from \"check.wat\"\nrule r: passing ok grants vpn\n",
    )
    .unwrap();
    let ir = folder.join("policy.json");
    let compiled = grantline(&[
        "compile",
        folder.to_str().unwrap(),
        "-o",
        ir.to_str().unwrap(),
    ]);
    assert_eq!(compiled.status.code(), Some(0));
    let identity = folder.join("who.json");
    std::fs::write(&identity, r#"{"level": 1}"#).unwrap();
    let eval = |ir: &Path| {
        grantline(&[
            "eval",
            "--ir",
            ir.to_str().unwrap(),
            "-i",
            identity.to_str().unwrap(),
        ])
    };
    let before = eval(&ir);
    assert!(String::from_utf8_lossy(&before.stdout).contains("vpn"));
    std::fs::write(&module, "(module)").unwrap();
    let after = eval(&ir);
    assert_ne!(after.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&after.stderr)
        .contains("the module changed since the policies were compiled"));
    let _ = std::fs::remove_dir_all(folder);
}
