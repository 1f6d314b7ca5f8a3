//! Provisioning at company scale on the example policies: a batch
//! evaluation of 100,000 people on both cores, and a joiner/mover/leaver
//! plan between two states of those 100,000 people.
//!
//! The people are the twelve example identities repeated with their own
//! keys and varied departments, countries, levels and manager flags; the
//! later state moves one person in ten (department), promotes one in
//! twenty (manager), sets an end date today for one in fifty and drops one
//! in a hundred.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use grantline_benches::{at, everyone_records, example_engine};
use grantline_eval::{Evaluator, Identity};
use grantline_provision::{plan, Person};
use serde_json::{json, Value};

const PEOPLE: usize = 100_000;
const DEPARTMENTS: [&str; 6] = [
    "Engineering",
    "Sales",
    "Finance",
    "Marketing",
    "Customer Success",
    "Security",
];
const COUNTRIES: [&str; 4] = ["US", "DE", "GB", "IN"];

fn person(template: &Value, n: usize) -> Value {
    let mut value = template.clone();
    value["employee_id"] = json!(format!("NW-{n:06}"));
    value["email"] = json!(format!("p{n}@northwind.example"));
    if n.is_multiple_of(3) {
        value["department"] = json!(DEPARTMENTS[n % DEPARTMENTS.len()]);
    }
    if n.is_multiple_of(4) {
        value["country"] = json!(COUNTRIES[n % COUNTRIES.len()]);
    }
    value
}

fn later(value: &Value, n: usize) -> Option<Value> {
    if n % 100 == 7 {
        return None;
    }
    let mut value = value.clone();
    if n % 10 == 1 {
        value["department"] = json!(DEPARTMENTS[(n / 10) % DEPARTMENTS.len()]);
    }
    if n % 20 == 3 {
        value["manager"] = json!(true);
    }
    if n % 50 == 5 {
        value["end_date"] = json!("2026-12-01");
    }
    Some(value)
}

struct Population {
    evaluator: Evaluator,
    before: Vec<Identity>,
    after: Vec<Option<Identity>>,
    keys: Vec<String>,
}

fn population() -> Population {
    let engine = example_engine().unwrap();
    let evaluator = Evaluator::new(engine.policy().clone()).unwrap();
    let templates = everyone_records().unwrap();
    let mut before = Vec::with_capacity(PEOPLE);
    let mut after = Vec::with_capacity(PEOPLE);
    let mut keys = Vec::with_capacity(PEOPLE);
    for n in 0..PEOPLE {
        let value = person(&templates[n % templates.len()], n);
        keys.push(value["employee_id"].as_str().unwrap().to_string());
        // Records that the example schema rejects in a variant are kept as
        // their template: the benchmark measures evaluation, not checking.
        let checked = evaluator
            .identity_from_json(&value)
            .or_else(|_| evaluator.identity_from_json(&templates[n % templates.len()]))
            .unwrap();
        after.push(later(&value, n).and_then(|v| evaluator.identity_from_json(&v).ok()));
        before.push(checked);
    }
    Population {
        evaluator,
        before,
        after,
        keys,
    }
}

fn batch(c: &mut Criterion) {
    let population = population();
    let at = at().unwrap();
    let mut group = c.benchmark_group("provision");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(15));
    group.throughput(Throughput::Elements(PEOPLE as u64));
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    group.bench_function("batch-100000-people", |b| {
        b.iter(|| {
            let chunk = PEOPLE.div_ceil(workers);
            std::thread::scope(|scope| {
                let handles: Vec<_> = population
                    .before
                    .chunks(chunk)
                    .map(|part| {
                        let evaluator = &population.evaluator;
                        scope.spawn(move || {
                            part.iter()
                                .map(|identity| evaluator.evaluate(identity, at).entitlements.len())
                                .sum::<usize>()
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().unwrap())
                    .sum::<usize>()
            })
        })
    });
    let people: Vec<Person<'_>> = population
        .keys
        .iter()
        .enumerate()
        .map(|(n, key)| Person {
            key,
            before: population.before.get(n),
            after: population.after[n].as_ref(),
        })
        .collect();
    group.bench_function("plan-100000-people", |b| {
        b.iter(|| plan(&population.evaluator, &people, at, at).len())
    });
    group.finish();
}

criterion_group!(benches, batch);
criterion_main!(benches);
