//! The sandbox against hostile modules (`tests/hostile/`) and on the normal
//! path (the example checks in `policies/checks/`). Every hostile module
//! ends in its documented failure, never in a pass, and the same sandbox
//! runs a normal check correctly right after.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::Path;
use std::time::{Duration, Instant};

use grantline_sandbox::{CheckFailure, CheckModule, Limits, LoadError, Sandbox};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

fn input(employee_id: &str) -> Vec<u8> {
    format!(
        r#"{{"check":"id-valid","at":"2026-12-01T09:00:00Z","identity":{{"department":"Engineering","employee_id":"{employee_id}","groups":["eng-all","security-training"],"level":6,"manager":false}}}}"#
    )
    .into_bytes()
}

fn example(sandbox: &Sandbox, name: &str) -> CheckModule {
    sandbox
        .load_file(&Path::new(ROOT).join("policies/checks").join(name))
        .unwrap()
}

fn hostile(sandbox: &Sandbox, name: &str) -> Result<CheckModule, LoadError> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/hostile")
        .join(name);
    sandbox.load(&std::fs::read(path).unwrap())
}

/// The sandbox still answers a normal check correctly.
fn still_works(sandbox: &Sandbox) {
    let check = example(sandbox, "employee-id-check-digit.wat");
    assert!(check.call(&input("NW-01236")).unwrap().passed);
    assert!(!check.call(&input("NW-01234")).unwrap().passed);
}

/// Calls a hostile module: it must fail, and say how.
fn failure(sandbox: &Sandbox, name: &str) -> CheckFailure {
    let module = hostile(sandbox, name).unwrap();
    let failure = module.call(&input("NW-01236")).unwrap_err();
    still_works(sandbox);
    failure
}

#[test]
fn checks_pass_and_fail_on_identities() {
    let sandbox = Sandbox::new(Limits::default()).unwrap();
    let check = example(&sandbox, "employee-id-check-digit.wat");
    let passed = check.call(&input("NW-01236")).unwrap();
    assert!(passed.passed);
    assert!(passed.fuel_used > 0);
    assert_eq!(passed.log, "");
    let failed = check.call(&input("NW-01234")).unwrap();
    assert!(!failed.passed);
    assert_eq!(failed.log, "no valid check digit");
    let none = check
        .call(br#"{"check":"id-valid","at":"2026-12-01T09:00:00Z","identity":{}}"#)
        .unwrap();
    assert!(!none.passed);
    assert_eq!(none.log, "no employee_id");

    let training = example(&sandbox, "security-training.wat");
    assert!(training.call(&input("NW-01236")).unwrap().passed);
    let untrained =
        br#"{"check":"t","at":"2026-12-01T09:00:00Z","identity":{"groups":["eng-all"]}}"#;
    assert!(!training.call(untrained).unwrap().passed);

    let always = example(&sandbox, "always-pass.wat");
    assert!(always.call(&input("x")).unwrap().passed);
}

#[test]
fn a_large_input_is_written_where_the_module_allocates() {
    let sandbox = Sandbox::new(Limits::default()).unwrap();
    let check = example(&sandbox, "security-training.wat");
    // 200 KB of groups: the module grows its memory for the input.
    let groups: Vec<String> = (0..20_000).map(|i| format!("\"group-{i}\"")).collect();
    let text = format!(
        r#"{{"check":"t","at":"2026-12-01T09:00:00Z","identity":{{"groups":[{},"security-training"]}}}}"#,
        groups.join(",")
    );
    assert!(check.call(text.as_bytes()).unwrap().passed);
}

#[test]
fn modules_are_compiled_once_per_sandbox() {
    let sandbox = Sandbox::new(Limits::default()).unwrap();
    let first = example(&sandbox, "always-pass.wat");
    let second = example(&sandbox, "always-pass.wat");
    assert!(first.same_module(&second));
    assert!(first.sha256().starts_with("sha256:"));
    let other = example(&sandbox, "security-training.wat");
    assert!(!first.same_module(&other));
}

#[test]
fn an_infinite_loop_runs_out_of_fuel_quickly() {
    let sandbox = Sandbox::new(Limits::default()).unwrap();
    let module = hostile(&sandbox, "infinite-loop.wat").unwrap();
    let started = Instant::now();
    let failure = module.call(&input("NW-01236")).unwrap_err();
    let took = started.elapsed();
    assert_eq!(failure, CheckFailure::OutOfFuel { limit: 10_000_000 });
    eprintln!("infinite loop stopped after {took:?}");
    assert!(took < Duration::from_secs(5), "took {took:?}");
    still_works(&sandbox);
}

#[test]
fn unbounded_memory_growth_hits_the_memory_limit() {
    let sandbox = Sandbox::new(Limits::default()).unwrap();
    assert_eq!(
        failure(&sandbox, "memory-grow.wat"),
        CheckFailure::MemoryLimit { limit: 16 << 20 }
    );
}

#[test]
fn a_module_whose_initial_memory_is_over_the_limit_is_rejected_at_load() {
    let sandbox = Sandbox::new(Limits::default()).unwrap();
    let LoadError::Invalid { message } = hostile(&sandbox, "huge-initial-memory.wat").unwrap_err()
    else {
        panic!("not refused as invalid");
    };
    assert!(
        message.contains("minimum byte size of 33554432 which exceeds the limit of 0x1000000"),
        "{message}"
    );
    still_works(&sandbox);
}

#[test]
fn deep_recursion_overflows_the_stack() {
    let sandbox = Sandbox::new(Limits::default()).unwrap();
    assert_eq!(
        failure(&sandbox, "deep-recursion.wat"),
        CheckFailure::StackOverflow { limit: 256 << 10 }
    );
}

#[test]
fn a_trap_is_a_failure() {
    let sandbox = Sandbox::new(Limits::default()).unwrap();
    let CheckFailure::Trap { message } = failure(&sandbox, "traps.wat") else {
        panic!("not a trap");
    };
    assert!(message.contains("unreachable"), "{message}");
}

#[test]
fn a_result_other_than_0_or_1_is_malformed() {
    let sandbox = Sandbox::new(Limits::default()).unwrap();
    assert_eq!(
        failure(&sandbox, "result-out-of-range.wat"),
        CheckFailure::MalformedResult { value: 7 }
    );
}

#[test]
fn an_allocation_outside_memory_fails() {
    let sandbox = Sandbox::new(Limits::default()).unwrap();
    let len = input("NW-01236").len();
    assert_eq!(
        failure(&sandbox, "bad-alloc.wat"),
        CheckFailure::AllocationFailed { ptr: 65530, len }
    );
}

#[test]
fn no_state_survives_from_one_call_to_the_next() {
    let sandbox = Sandbox::new(Limits::default()).unwrap();
    let module = hostile(&sandbox, "keeps-state.wat").unwrap();
    for _ in 0..5 {
        assert!(module.call(&input("NW-01236")).unwrap().passed);
    }
}

#[test]
fn a_log_is_cut_at_its_limit_and_a_logging_loop_is_stopped() {
    let sandbox = Sandbox::new(Limits::default()).unwrap();
    // A host call costs the module little fuel and the host some time:
    // whichever limit comes first stops the loop (fuel in an optimized
    // build, often the clock in a debug one).
    let stopped = failure(&sandbox, "log-spam.wat");
    assert!(
        matches!(
            stopped,
            CheckFailure::OutOfFuel { .. } | CheckFailure::TimeLimit { .. }
        ),
        "{stopped:?}"
    );
    let CheckFailure::Trap { message } = failure(&sandbox, "log-out-of-bounds.wat") else {
        panic!("not a trap");
    };
    assert!(message.contains("outside the module's memory"), "{message}");
}

#[test]
fn imports_other_than_the_log_are_rejected_at_load() {
    let sandbox = Sandbox::new(Limits::default()).unwrap();
    assert_eq!(
        hostile(&sandbox, "imports-wasi.wat").unwrap_err(),
        LoadError::UnknownImport {
            module: "wasi_snapshot_preview1".into(),
            name: "fd_write".into()
        }
    );
    assert_eq!(
        hostile(&sandbox, "imports-wrong-log.wat").unwrap_err(),
        LoadError::UnknownImport {
            module: "grantline".into(),
            name: "log".into()
        }
    );
    still_works(&sandbox);
}

#[test]
fn the_interface_is_checked_at_load() {
    let sandbox = Sandbox::new(Limits::default()).unwrap();
    assert!(matches!(
        hostile(&sandbox, "missing-check.wat").unwrap_err(),
        LoadError::MissingExport { name, .. } if name == "grantline_check"
    ));
    assert!(matches!(
        hostile(&sandbox, "missing-memory.wat").unwrap_err(),
        LoadError::MissingExport { name, .. } if name == "memory"
    ));
    let error = hostile(&sandbox, "wrong-signature.wat").unwrap_err();
    assert_eq!(
        error.to_string(),
        "the module's `grantline_check` is a function (i32) -> (i32), expected a function (i32, i32) -> (i32)"
    );
    assert_eq!(
        hostile(&sandbox, "abi-version-2.wat").unwrap_err(),
        LoadError::AbiVersion { found: "2".into() }
    );
    assert!(matches!(
        sandbox.load(b"not a module").unwrap_err(),
        LoadError::Invalid { .. }
    ));
    still_works(&sandbox);
}

#[test]
fn a_very_large_module_is_rejected_before_it_is_compiled() {
    let limits = Limits {
        module_bytes: 1 << 20,
        ..Limits::default()
    };
    let sandbox = Sandbox::new(limits).unwrap();
    // A data segment of 2 MiB, as text.
    let data = "\\00".repeat(2 << 20);
    let module = format!(
        r#"(module (memory (export "memory") 64) (data (i32.const 0) "{data}")
            (func (export "grantline_alloc") (param i32) (result i32) i32.const 1024)
            (func (export "grantline_check") (param i32 i32) (result i32) i32.const 1))"#
    );
    let started = Instant::now();
    assert!(matches!(
        sandbox.load(module.as_bytes()).unwrap_err(),
        LoadError::TooLarge { limit, .. } if limit == 1 << 20
    ));
    assert!(started.elapsed() < Duration::from_secs(1));
    still_works(&sandbox);
}

#[test]
fn an_input_over_the_limit_is_refused() {
    let limits = Limits {
        input_bytes: 100,
        ..Limits::default()
    };
    let sandbox = Sandbox::new(limits).unwrap();
    let check = example(&sandbox, "always-pass.wat");
    assert!(matches!(
        check.call(&input("NW-01236")).unwrap_err(),
        CheckFailure::InputTooLarge { limit: 100, .. }
    ));
}

#[test]
fn checks_run_concurrently() {
    let sandbox = Sandbox::new(Limits::default()).unwrap();
    let check = example(&sandbox, "employee-id-check-digit.wat");
    let looping = hostile(&sandbox, "infinite-loop.wat").unwrap();
    std::thread::scope(|scope| {
        for thread in 0..4 {
            let check = check.clone();
            let looping = looping.clone();
            scope.spawn(move || {
                for i in 0..50 {
                    if (i + thread) % 10 == 0 {
                        assert!(looping.call(&input("NW-01236")).is_err());
                    }
                    assert!(check.call(&input("NW-01236")).unwrap().passed);
                }
            });
        }
    });
}

#[test]
fn a_loop_of_bulk_memory_instructions_hits_the_time_limit() {
    // Each iteration writes 24 MiB for a few units of fuel: on its 10M
    // fuel alone it would run for minutes.
    let sandbox = Sandbox::new(Limits::default()).unwrap();
    let module = hostile(&sandbox, "bulk-memory-loop.wat").unwrap();
    let started = Instant::now();
    let failure = module.call(&input("NW-01236")).unwrap_err();
    let took = started.elapsed();
    eprintln!("bulk memory loop stopped after {took:?}");
    assert_eq!(
        failure,
        CheckFailure::TimeLimit {
            limit: Duration::from_millis(200)
        }
    );
    assert!(took < Duration::from_secs(2), "took {took:?}");
    still_works(&sandbox);
}

#[test]
fn the_time_limit_holds_for_a_module_that_outlives_its_sandbox() {
    let limits = Limits {
        time: Duration::from_millis(50),
        ..Limits::default()
    };
    let sandbox = Sandbox::new(limits).unwrap();
    let module = hostile(&sandbox, "bulk-memory-loop.wat").unwrap();
    drop(sandbox);
    let started = Instant::now();
    let failure = module.call(&input("NW-01236")).unwrap_err();
    assert_eq!(
        failure,
        CheckFailure::TimeLimit {
            limit: Duration::from_millis(50)
        }
    );
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[test]
fn a_time_limit_of_duration_max_means_no_time_limit() {
    let limits = Limits {
        time: Duration::MAX,
        ..Limits::default()
    };
    let sandbox = Sandbox::new(limits).unwrap();
    let check = example(&sandbox, "employee-id-check-digit.wat");
    // Calls before and after the clock has ticked.
    assert!(check.call(&input("NW-01236")).unwrap().passed);
    std::thread::sleep(Duration::from_millis(30));
    assert!(check.call(&input("NW-01236")).unwrap().passed);
    assert_eq!(
        failure(&sandbox, "infinite-loop.wat"),
        CheckFailure::OutOfFuel { limit: 10_000_000 }
    );
}
