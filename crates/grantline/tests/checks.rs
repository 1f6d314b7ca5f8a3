//! Custom checks through the library: modules read from their paths or
//! registered by name, the sandbox's limits as settings, and modules that
//! changed since compiling refused. Runs with the `wasm` feature (on in the
//! workspace, through the command line crate).
#![cfg(feature = "wasm")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use chrono::{TimeZone, Utc};
use grantline::{CheckOutcome, Engine, Error, SandboxLimits};
use serde_json::json;

const CHECKS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../policies/checks");

fn policy(module: &str) -> String {
    format!(
        r#"
        attribute employee_id: key text
        attribute department: Engineering | Sales
        entitlement github
        check id-valid from "{module}"
        rule valid-engineers:
            in Engineering passing id-valid grants github
        "#
    )
}

fn github(engine: &Engine, id: &str) -> bool {
    let who = engine
        .identity(&json!({"employee_id": id, "department": "Engineering"}))
        .unwrap();
    let at = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
    engine.evaluate(&who, at).entitlement("github").is_some()
}

#[test]
fn a_check_read_from_its_path_decides_the_rule() {
    let engine = Engine::from_source(
        "checks.grant",
        &policy(&format!("{CHECKS}/employee-id-check-digit.wat")),
    )
    .unwrap();
    assert!(github(&engine, "NW-01236"));
    assert!(!github(&engine, "NW-01234"));
}

#[test]
fn a_module_registered_by_name_replaces_the_file() {
    let bytes = std::fs::read(format!("{CHECKS}/employee-id-check-digit.wat")).unwrap();
    let engine = Engine::builder()
        .check_module("id-valid", bytes)
        .from_source("checks.grant", &policy("shipped/inside/the/binary.wasm"))
        .unwrap();
    assert!(github(&engine, "NW-01236"));
    assert!(!github(&engine, "NW-01234"));
}

#[test]
fn the_sandbox_limits_are_settings() {
    let engine = Engine::builder()
        .sandbox_limits(SandboxLimits {
            fuel: 100,
            ..SandboxLimits::default()
        })
        .from_source(
            "checks.grant",
            &policy(&format!("{CHECKS}/employee-id-check-digit.wat")),
        )
        .unwrap();
    let who = engine
        .identity(&json!({"employee_id": "NW-01236", "department": "Engineering"}))
        .unwrap();
    let decision = engine.evaluate(&who, Utc::now());
    assert!(decision.entitlement("github").is_none(), "fails closed");
    assert_eq!(decision.checks[0].outcome, CheckOutcome::Error);
    assert!(decision.errors[0].cause.contains("out of fuel after 100"));
}

#[test]
fn compiled_ir_refuses_a_module_that_changed() {
    let source = policy(&format!("{CHECKS}/always-pass.wat"));
    let ir = Engine::from_source("checks.grant", &source)
        .unwrap()
        .policy()
        .to_json();
    assert!(Engine::from_ir_json(&ir).is_ok());
    let other = std::fs::read(format!("{CHECKS}/security-training.wat")).unwrap();
    let error = Engine::builder()
        .check_module("id-valid", other)
        .from_ir_json(&ir)
        .unwrap_err();
    assert!(matches!(&error, Error::Check { check, .. } if check == "id-valid"));
    assert!(error
        .to_string()
        .contains("changed since the policies were compiled"));
}

#[test]
fn a_module_that_is_no_check_is_a_compile_error_on_its_line() {
    let error = Engine::builder()
        .check_module("id-valid", b"(module)".to_vec())
        .from_source("checks.grant", &policy("x.wasm"))
        .unwrap_err();
    let diagnostic = &error.diagnostics()[0];
    assert_eq!(diagnostic.code, "grantline::check-module");
    assert!(
        diagnostic.message.contains("does not export `memory`"),
        "{}",
        diagnostic.message
    );
    assert_eq!(diagnostic.location().unwrap().line, 5);
}

#[test]
fn the_time_limit_holds_for_an_engine_built_by_the_builder() {
    // The builder's sandbox is gone once the engine is built; its modules
    // keep the clock of the time limit running.
    let looping = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../grantline-sandbox/tests/hostile/bulk-memory-loop.wat"
    ))
    .unwrap();
    let engine = Engine::builder()
        .sandbox_limits(SandboxLimits {
            time: std::time::Duration::from_millis(50),
            ..SandboxLimits::default()
        })
        .check_module("id-valid", looping)
        .from_source("checks.grant", &policy("looping.wasm"))
        .unwrap();
    let started = std::time::Instant::now();
    assert!(!github(&engine, "NW-01236"), "fails closed");
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    let who = engine
        .identity(&json!({"employee_id": "NW-01236", "department": "Engineering"}))
        .unwrap();
    let decision = engine.evaluate(&who, Utc::now());
    assert!(decision.errors[0].cause.contains("time limit of 50 ms"));
}
