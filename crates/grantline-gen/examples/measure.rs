//! Generates a workload, compiles it, and measures how many rules apply to
//! its identities at 2026-12-01:
//!
//! ```sh
//! cargo run --release -p grantline-gen --example measure -- RULES IDENTITIES [SEED] [OUT]
//! ```
//!
//! With `OUT`, also writes the workload there, as `grantline gen` does.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Instant;

use grantline_gen::{GenConfig, Workload};
use grantline_syntax::SourceMap;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |i: usize, default: u64| -> u64 {
        args.get(i)
            .map(|a| a.replace(['_', ','], "").parse().expect("a number"))
            .unwrap_or(default)
    };
    let config = GenConfig {
        rules: number(0, 10_000) as usize,
        identities: number(1, 1000) as usize,
        seed: number(2, grantline_gen::DEFAULT_SEED),
    };

    let started = Instant::now();
    let workload = Workload::generate(&config);
    let files = workload.policy_files();
    let identities = workload.identities_json();
    let generated = started.elapsed();
    let bytes: usize = files.iter().map(|(_, text)| text.len()).sum();
    if let Some(out) = args.get(3) {
        workload.write_to(out.as_ref()).expect("write the workload");
    }

    let started = Instant::now();
    let mut sources = SourceMap::new();
    for (name, text) in files {
        sources.add(name, text);
    }
    let compiled = grantline_compiler::compile(&sources);
    let compile_time = started.elapsed();
    assert!(compiled.diagnostics.is_empty(), "diagnostics");
    let policy = compiled.policy.expect("compiles");
    let started = Instant::now();
    let evaluator = grantline_eval::Evaluator::new(policy).expect("valid IR");
    let evaluator_time = started.elapsed();

    let at = evaluator.day_start(chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap());
    let mut applying: Vec<usize> = Vec::new();
    let mut reasons: Vec<usize> = Vec::new();
    let mut entitlements: Vec<usize> = Vec::new();
    let started = Instant::now();
    for record in workload.identity_values() {
        let identity = evaluator
            .identity_from_json(&record)
            .expect("identity checks");
        applying.push(evaluator.applying_rules(&identity, at).len());
        let decision = evaluator.evaluate(&identity, at);
        entitlements.push(decision.entitlements.len());
        let mut rules: Vec<&str> = decision
            .entitlements
            .iter()
            .flat_map(|e| e.reasons.iter().map(|r| &*r.rule))
            .collect();
        rules.sort_unstable();
        rules.dedup();
        reasons.push(rules.len());
    }
    let evaluate_time = started.elapsed();

    let stats = |values: &mut Vec<usize>| -> String {
        values.sort_unstable();
        let n = values.len().max(1);
        let mean = values.iter().sum::<usize>() as f64 / n as f64;
        let at = |q: f64| {
            values
                .get(((n - 1) as f64 * q) as usize)
                .copied()
                .unwrap_or(0)
        };
        format!(
            "mean {mean:.1}, median {}, p90 {}, p99 {}, max {}",
            at(0.5),
            at(0.9),
            at(0.99),
            at(1.0)
        )
    };
    println!(
        "{} rules, {} entitlements, {} roles, {} identities, seed {}",
        workload.rule_count(),
        workload.entitlement_count(),
        workload.role_count(),
        config.identities,
        config.seed
    );
    println!(
        "generate {:.1} ms ({:.1} MB of policy text, {:.1} MB of identities)",
        generated.as_secs_f64() * 1e3,
        bytes as f64 / 1e6,
        identities.len() as f64 / 1e6
    );
    println!(
        "compile {:.1} ms, evaluator {:.1} ms",
        compile_time.as_secs_f64() * 1e3,
        evaluator_time.as_secs_f64() * 1e3
    );
    println!(
        "evaluate + applying_rules: {:.1} µs per identity",
        evaluate_time.as_secs_f64() * 1e6 / config.identities.max(1) as f64
    );
    println!(
        "applying rules per identity:        {}",
        stats(&mut applying)
    );
    println!(
        "granting rules (decision reasons):  {}",
        stats(&mut reasons)
    );
    println!(
        "entitlements per identity:          {}",
        stats(&mut entitlements)
    );
}
