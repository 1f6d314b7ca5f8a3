//! Custom checks: one call of a check on a warm sandbox (a fresh instance,
//! the input written, the check run), and the example policies evaluated
//! with and without a rule that uses a check.
//!
//! Target of the sandbox issue: under 5 µs per call of a trivial check.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use grantline::{Engine, SourceMap};
use grantline_benches::{at, identity_records};
use grantline_sandbox::{Limits, Sandbox};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

/// A realistic input: the compact JSON of one example identity.
const INPUT: &[u8] = br#"{"check":"id-valid","at":"2026-12-01T09:00:00Z","identity":{"cost_center":"CC-2100","country":"US","department":"Sales","email":"alice.moreno@northwind.example","employee_id":"NW-00412","employment":"full-time","groups":["sales-east","sales-leadership"],"level":6,"manager":true,"site":"New York","start_date":"2021-03-15","status":"active","title":"Regional Sales Manager, East"}}"#;

fn calls(c: &mut Criterion) {
    let sandbox = Sandbox::new(Limits::default()).unwrap();
    let checks = Path::new(ROOT).join("policies/checks");
    let mut group = c.benchmark_group("sandbox");
    group.measurement_time(Duration::from_secs(3));
    group.warm_up_time(Duration::from_secs(1));
    for name in ["always-pass", "employee-id-check-digit"] {
        let module = sandbox
            .load_file(&checks.join(format!("{name}.wat")))
            .unwrap();
        group.bench_function(format!("call/{name}"), |b| {
            b.iter(|| black_box(module.call(black_box(INPUT)).unwrap()))
        });
    }
    group.finish();
}

/// The example policies, and the same with one more rule that needs a
/// check (so every evaluation runs it once).
fn engines() -> (Engine, Engine) {
    let policies = grantline_compiler::load_path(&Path::new(ROOT).join("policies")).unwrap();
    let plain = Engine::from_sources(&policies).unwrap();
    let mut with_check = SourceMap::new();
    for (_, file) in policies.files() {
        with_check.add(file.name(), file.text());
    }
    let module = Path::new(ROOT).join("policies/checks/always-pass.wat");
    with_check.add(
        "checked.grant",
        format!(
            "check trivial from {:?}\nrule checked:\n    anyone passing trivial grants slack\n",
            module.display().to_string()
        ),
    );
    (plain, Engine::from_sources(&with_check).unwrap())
}

fn evaluation(c: &mut Criterion) {
    let (plain, checked) = engines();
    let at = at().unwrap();
    let records = identity_records().unwrap();
    let (_, alice) = &records[0];
    let mut group = c.benchmark_group("sandbox");
    group.measurement_time(Duration::from_secs(3));
    group.warm_up_time(Duration::from_secs(1));
    let identity = plain.identity(alice).unwrap();
    group.bench_function("evaluate/without-check", |b| {
        b.iter(|| black_box(plain.evaluate(black_box(&identity), at)))
    });
    let identity = checked.identity(alice).unwrap();
    assert_eq!(checked.evaluate(&identity, at).checks.len(), 1);
    group.bench_function("evaluate/with-check", |b| {
        b.iter(|| black_box(checked.evaluate(black_box(&identity), at)))
    });
    group.finish();
}

criterion_group!(benches, calls, evaluation);
criterion_main!(benches);
