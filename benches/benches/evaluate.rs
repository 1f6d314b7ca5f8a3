//! Evaluating the example policies with the reference evaluator: one
//! identity's full decision, every identity of `everyone.json`, an
//! explanation, and identity checking.
//!
//! The engine is built and the identity files are read once, outside the
//! timed loops. Every decision is made at 2026-12-01 09:00 UTC.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use grantline::{Identity, Verdict};
use grantline_benches::{at, everyone_records, example_engine, identity_records};

fn configure(group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>) {
    group.measurement_time(Duration::from_secs(3));
    group.warm_up_time(Duration::from_secs(1));
}

fn evaluate(c: &mut Criterion) {
    let engine = example_engine().expect("compile the example policies");
    let at = at().expect("the benchmark instant");
    let records = identity_records().expect("read the identities");
    let everyone: Vec<Identity> = everyone_records()
        .expect("read everyone.json")
        .iter()
        .map(|record| engine.identity(record).expect("a valid identity"))
        .collect();

    let mut group = c.benchmark_group("evaluate");
    configure(&mut group);
    for (name, record) in &records {
        let identity = engine.identity(record).expect("a valid identity");
        group.bench_with_input(
            BenchmarkId::new("identity", name),
            &identity,
            |b, identity| b.iter(|| engine.evaluate(black_box(identity), black_box(at))),
        );
    }
    group.throughput(Throughput::Elements(everyone.len() as u64));
    group.bench_function("everyone", |b| {
        b.iter(|| {
            black_box(&everyone)
                .iter()
                .map(|identity| engine.evaluate(identity, black_box(at)))
                .collect::<Vec<_>>()
        })
    });
    group.finish();

    let mut group = c.benchmark_group("explain");
    configure(&mut group);
    let alice = records
        .iter()
        .find(|(name, _)| name == "alice-sales-manager")
        .map(|(_, record)| engine.identity(record).expect("a valid identity"))
        .expect("alice-sales-manager.json");
    for (entitlement, verdict) in [
        ("salesforce.admin", Verdict::Granted),
        ("netsuite.approver", Verdict::NotGranted),
    ] {
        let explained = engine.explain(&alice, entitlement, at).expect("known");
        assert_eq!(explained.verdict, verdict, "{entitlement}");
        group.bench_with_input(
            BenchmarkId::new("alice-sales-manager", entitlement),
            entitlement,
            |b, entitlement| {
                b.iter(|| {
                    engine
                        .explain(black_box(&alice), black_box(entitlement), black_box(at))
                        .expect("known")
                })
            },
        );
    }
    group.finish();
}

fn identity(c: &mut Criterion) {
    let engine = example_engine().expect("compile the example policies");
    let records = identity_records().expect("read the identities");
    let everyone = everyone_records().expect("read everyone.json");

    let mut group = c.benchmark_group("identity");
    configure(&mut group);
    let alice = records
        .iter()
        .find(|(name, _)| name == "alice-sales-manager")
        .map(|(_, record)| record)
        .expect("alice-sales-manager.json");
    group.bench_function("check/alice-sales-manager", |b| {
        b.iter(|| engine.identity(black_box(alice)).expect("a valid identity"))
    });
    group.throughput(Throughput::Elements(everyone.len() as u64));
    group.bench_function("check/everyone", |b| {
        b.iter(|| {
            black_box(&everyone)
                .iter()
                .map(|record| engine.identity(record).expect("a valid identity"))
                .collect::<Vec<_>>()
        })
    });
    group.finish();
}

criterion_group!(benches, evaluate, identity);
criterion_main!(benches);
