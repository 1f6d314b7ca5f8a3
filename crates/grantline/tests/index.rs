//! The indexed evaluation against the plain reference on the example
//! policies: every identity of `policies/identities`, a grid of instants,
//! every entitlement of the catalogue.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use grantline::Engine;
use grantline_eval::Evaluator;
use serde_json::Value;

fn policies() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies")
}

fn evaluator() -> Evaluator {
    let sources = grantline_compiler::load_path(&policies()).unwrap();
    let compiled = grantline_compiler::compile(&sources);
    let policy = compiled.policy.unwrap_or_else(|| {
        panic!(
            "the example policies do not compile: {:?}",
            compiled.diagnostics
        )
    });
    Evaluator::new(policy).unwrap()
}

/// Every record of every identity file (a file holds one record or an array).
fn records() -> Vec<(String, Value)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(policies().join("identities"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let mut records = Vec::new();
    for file in files {
        let name = file.file_stem().unwrap().to_string_lossy().to_string();
        let json: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        match json {
            Value::Array(items) => records.extend(
                items
                    .into_iter()
                    .enumerate()
                    .map(|(i, item)| (format!("{name}[{i}]"), item)),
            ),
            record => records.push((name, record)),
        }
    }
    records
}

fn instants() -> Vec<DateTime<Utc>> {
    [
        "2025-06-01T00:00:00Z",
        "2026-01-01T00:00:00Z",
        "2026-06-30T23:59:59Z",
        "2026-12-01T00:00:00Z",
        "2026-12-01T09:00:00Z",
        "2027-07-01T00:00:00Z",
    ]
    .into_iter()
    .map(|text| {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    })
    .collect()
}

#[test]
fn indexed_decisions_on_the_example_policies_are_the_plain_ones() {
    let ev = evaluator();
    let records = records();
    assert!(records.len() >= 13, "{} identity records", records.len());
    let entitlements: Vec<String> = ev
        .policy()
        .entitlements
        .iter()
        .map(|e| e.name.clone())
        .collect();
    let mut granted = 0;
    for (name, record) in &records {
        let who = ev.identity_from_json(record).unwrap();
        for at in instants() {
            let indexed = ev.evaluate(&who, at);
            let plain = ev.evaluate_plain(&who, at);
            assert_eq!(indexed, plain, "{name} at {at}");
            assert_eq!(
                ev.applying_rules(&who, at),
                ev.applying_rules_plain(&who, at),
                "{name} at {at}"
            );
            for entitlement in &entitlements {
                assert_eq!(
                    ev.explain(&who, entitlement, at).unwrap(),
                    ev.explain_plain(&who, entitlement, at).unwrap(),
                    "{name}, {entitlement} at {at}"
                );
            }
            granted += indexed.entitlements.len();
        }
    }
    assert!(granted > 0);
}

#[test]
fn the_example_policies_are_mostly_indexed() {
    let ev = evaluator();
    let stats = ev.index_stats();
    assert_eq!(stats.rules, ev.policy().rules.len());
    assert_eq!(stats.rules, stats.by_pair + stats.by_single + stats.always);
    // `anyone` rules, `contains` rules and a few others are examined for
    // everyone; most rules are found through their attributes.
    assert!(stats.always * 4 < stats.rules, "{stats:?}");
}

#[test]
fn the_facade_evaluates_with_the_index() {
    let engine = Engine::from_path(policies()).unwrap();
    assert_eq!(engine.index_stats(), evaluator().index_stats());
    assert!(engine.heap_size_estimate() > 0);
    let at = instants()[4];
    for (name, record) in records() {
        let who = engine.identity(&record).unwrap();
        assert_eq!(
            engine.evaluate(&who, at),
            engine.evaluate_plain(&who, at),
            "{name}"
        );
    }
}
