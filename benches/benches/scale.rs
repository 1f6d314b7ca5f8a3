//! How Grantline scales with the number of rules written: compile time,
//! one identity's full decision (indexed and plain), a batch of 100,000
//! identities, explain, and the memory of a compiled policy set, on seeded
//! synthetic workloads of 100, 1,000 and 10,000 rules (`grantline gen`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use grantline_benches::at;
use grantline_eval::{Evaluator, Identity};
use grantline_gen::{GenConfig, Workload};
use grantline_syntax::SourceMap;

const SIZES: [usize; 3] = [100, 1_000, 10_000];
const IDENTITIES: usize = 1_000;
const SEED: u64 = 42;

fn workload(rules: usize, identities: usize) -> Workload {
    Workload::generate(&GenConfig {
        rules,
        identities,
        seed: SEED,
    })
}

fn sources(workload: &Workload) -> SourceMap {
    let mut sources = SourceMap::new();
    for (name, text) in workload.policy_files() {
        sources.add(name, text);
    }
    sources
}

fn evaluator(workload: &Workload) -> Evaluator {
    let compiled = grantline_compiler::compile(&sources(workload));
    assert!(compiled.diagnostics.is_empty());
    Evaluator::new(compiled.policy.unwrap()).unwrap()
}

fn identities(evaluator: &Evaluator, workload: &Workload) -> Vec<Identity> {
    workload
        .identity_values()
        .iter()
        .map(|value| evaluator.identity_from_json(value).unwrap())
        .collect()
}

fn compile(c: &mut Criterion) {
    let mut group = c.benchmark_group("scale/compile");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(5));
    for rules in SIZES {
        let workload = workload(rules, 0);
        let sources = sources(&workload);
        group.throughput(Throughput::Elements(rules as u64));
        group.bench_with_input(
            BenchmarkId::from_parameter(rules),
            &sources,
            |b, sources| {
                b.iter(|| {
                    let compiled = grantline_compiler::compile(black_box(sources));
                    Evaluator::new(compiled.policy.unwrap()).unwrap()
                })
            },
        );
    }
    group.finish();
}

fn decision(c: &mut Criterion) {
    let at = at().unwrap();
    let mut group = c.benchmark_group("scale/decision");
    group.measurement_time(Duration::from_secs(3));
    for rules in SIZES {
        let workload = workload(rules, IDENTITIES);
        let evaluator = evaluator(&workload);
        let identities = identities(&evaluator, &workload);
        // One identity per iteration, cycling through 1,000 different people
        // so that the figure is an average over the population.
        for (name, plain) in [("indexed", false), ("plain", true)] {
            let mut next = 0;
            group.bench_function(BenchmarkId::new(name, rules), |b| {
                b.iter(|| {
                    let identity = &identities[next % identities.len()];
                    next += 1;
                    if plain {
                        evaluator.evaluate_plain(black_box(identity), at)
                    } else {
                        evaluator.evaluate(black_box(identity), at)
                    }
                })
            });
        }
    }
    group.finish();
}

fn batch(c: &mut Criterion) {
    const BATCH: usize = 100_000;
    let at = at().unwrap();
    let workload = workload(1_000, BATCH);
    let evaluator = evaluator(&workload);
    let identities = identities(&evaluator, &workload);
    let mut group = c.benchmark_group("scale/batch");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function("100000-identities-1000-rules", |b| {
        b.iter_batched(
            || (),
            |()| {
                let mut entitlements = 0;
                for identity in &identities {
                    entitlements += evaluator.evaluate(identity, at).entitlements.len();
                }
                entitlements
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

fn explain(c: &mut Criterion) {
    let at = at().unwrap();
    let mut group = c.benchmark_group("scale/explain");
    group.measurement_time(Duration::from_secs(3));
    for rules in SIZES {
        let workload = workload(rules, 100);
        let evaluator = evaluator(&workload);
        let identities = identities(&evaluator, &workload);
        // The entitlement the first identity holds with the most reasons, or
        // the first in the catalogue: a realistic "why" question.
        let identity = &identities[0];
        let decision = evaluator.evaluate(identity, at);
        let entitlement = decision
            .entitlements
            .iter()
            .max_by_key(|e| e.reasons.len())
            .map(|e| e.entitlement.to_string())
            .unwrap_or_else(|| evaluator.policy().entitlements[0].name.clone());
        group.bench_function(BenchmarkId::from_parameter(rules), |b| {
            b.iter(|| {
                evaluator
                    .explain(black_box(identity), &entitlement, at)
                    .unwrap()
            })
        });
    }
    group.finish();
}

/// Not a timing: prints the estimated heap size of each compiled set and its
/// index once, for `docs/performance.md`.
fn memory(_: &mut Criterion) {
    for rules in SIZES {
        let workload = workload(rules, 0);
        let evaluator = evaluator(&workload);
        let stats = evaluator.index_stats();
        println!(
            "scale/memory/{rules}: evaluator heap ≈ {:.2} MB (index ≈ {:.2} MB); {stats:?}",
            evaluator.heap_size_estimate() as f64 / 1e6,
            evaluator.index_heap_size_estimate() as f64 / 1e6,
        );
    }
}

criterion_group!(benches, memory, compile, decision, explain, batch);
criterion_main!(benches);
