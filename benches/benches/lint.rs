//! How long the lint pass takes on seeded synthetic workloads of 1,000 and
//! 10,000 rules (`grantline gen`): every rule that runs without a
//! population, and every rule with a population of 1,000 identities. The
//! policy set is compiled once, outside the measurement.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use grantline_benches::at;
use grantline_eval::{Evaluator, Identity};
use grantline_gen::{GenConfig, Workload};
use grantline_ir::PolicySet;
use grantline_lint::{lint, LintConfig, LintInput};
use grantline_syntax::SourceMap;

const SIZES: [usize; 2] = [1_000, 10_000];
const IDENTITIES: usize = 1_000;
const SEED: u64 = 42;

/// A compiled workload: its files, policy set, evaluator and identities.
struct Setup {
    sources: SourceMap,
    policy: PolicySet,
    evaluator: Evaluator,
    people: Vec<Identity>,
}

fn setup(rules: usize) -> Setup {
    let workload = Workload::generate(&GenConfig {
        rules,
        identities: IDENTITIES,
        seed: SEED,
    });
    let mut sources = SourceMap::new();
    for (name, text) in workload.policy_files() {
        sources.add(name, text);
    }
    let compiled = grantline_compiler::compile(&sources);
    assert!(compiled.diagnostics.is_empty());
    let policy = compiled.policy.unwrap();
    let evaluator = Evaluator::new(policy.clone()).unwrap();
    let people = workload
        .identity_values()
        .iter()
        .map(|value| evaluator.identity_from_json(value).unwrap())
        .collect();
    Setup {
        sources,
        policy,
        evaluator,
        people,
    }
}

fn run(c: &mut Criterion) {
    let at = at().unwrap();
    let config = LintConfig::default();
    let mut group = c.benchmark_group("lint");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    for rules in SIZES {
        let setup = setup(rules);
        group.throughput(Throughput::Elements(rules as u64));
        for (name, people) in [
            ("policies", None),
            ("with-people", Some(setup.people.as_slice())),
        ] {
            group.bench_with_input(BenchmarkId::new(name, rules), &setup, |b, setup| {
                b.iter(|| {
                    lint(black_box(&LintInput {
                        policy: &setup.policy,
                        evaluator: &setup.evaluator,
                        sources: &setup.sources,
                        config: &config,
                        at,
                        people,
                    }))
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, run);
criterion_main!(benches);
