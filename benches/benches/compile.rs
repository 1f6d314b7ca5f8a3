//! Loading the example policies: parsing, compiling to IR, building an
//! `Engine`, and loading an `Engine` from compiled IR JSON.
//!
//! The policy files are read from disk once, outside the timed loops.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use grantline::{Engine, PolicySet};
use grantline_benches::POLICIES;

fn compile(c: &mut Criterion) {
    let sources = grantline_compiler::load_path(POLICIES.as_ref()).expect("load the policies");
    let ir = Engine::from_sources(&sources)
        .expect("compile the policies")
        .policy()
        .to_json();

    let mut group = c.benchmark_group("compile");
    group.measurement_time(Duration::from_secs(3));
    group.warm_up_time(Duration::from_secs(1));

    group.bench_function("parse", |b| {
        b.iter(|| {
            for (id, _) in black_box(&sources).files() {
                black_box(grantline_syntax::parse_file(&sources, id).expect("parses"));
            }
        })
    });
    group.bench_function("compile", |b| {
        b.iter(|| {
            let compiled = grantline_compiler::compile(black_box(&sources));
            assert!(compiled.policy.is_some());
            compiled
        })
    });
    group.bench_function("engine_from_sources", |b| {
        b.iter(|| Engine::from_sources(black_box(&sources)).expect("compiles"))
    });
    group.bench_function("ir_to_json", |b| {
        let engine = Engine::from_ir_json(&ir).expect("loads the IR");
        b.iter(|| black_box(engine.policy()).to_json())
    });
    group.bench_function("ir_from_json", |b| {
        b.iter(|| PolicySet::from_json(black_box(&ir)).expect("reads the IR"))
    });
    group.bench_function("engine_from_ir_json", |b| {
        b.iter(|| Engine::from_ir_json(black_box(&ir)).expect("loads the IR"))
    });
    group.finish();
}

criterion_group!(benches, compile);
criterion_main!(benches);
