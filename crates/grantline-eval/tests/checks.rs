//! Custom checks in decisions: `passing NAME` holds when the check passes,
//! fails when it fails, and is unknown when the check cannot run, so that a
//! broken check never grants and never lifts a deny; the decision lists each
//! check's result and names the rules a broken check decided.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};
use std::sync::{Arc, Mutex};

use common::*;
use grantline_eval::*;
use grantline_ir::{Check, Condition, PolicySet, SourceLocation};

const AT: &str = "2026-06-15T12:00:00Z";

/// Passes `senior` for level 5 and above, fails `never`, cannot run
/// `broken`; records every input it is given.
#[derive(Default)]
struct Runner {
    inputs: Mutex<Vec<String>>,
    calls: AtomicUsize,
}

impl CheckRunner for Runner {
    fn run(&self, name: &str, input: &str) -> Result<CheckPass, String> {
        self.calls.fetch_add(1, AtomicOrdering::SeqCst);
        self.inputs.lock().unwrap().push(input.to_string());
        let identity: serde_json::Value = serde_json::from_str(input).unwrap();
        match name {
            "senior" => Ok(CheckPass {
                passed: identity["identity"]["level"].as_f64().unwrap_or(0.0) >= 5.0,
                log: "level read".to_string(),
            }),
            "never" => Ok(CheckPass {
                passed: false,
                log: String::new(),
            }),
            _ => Err("out of fuel after 1000000 instructions".to_string()),
        }
    }
}

fn passing(check: &str) -> Condition {
    Condition::Check {
        check: check.to_string(),
    }
}

fn with_checks(mut p: P) -> PolicySet {
    p.set.checks = ["senior", "never", "broken"]
        .iter()
        .enumerate()
        .map(|(line, name)| Check {
            name: name.to_string(),
            module: format!("checks/{name}.wat"),
            sha256: String::new(),
            source: SourceLocation {
                file: "checks.grant".into(),
                line: line as u32 + 1,
                column: 1,
            },
        })
        .collect();
    p.set
}

fn policy() -> PolicySet {
    with_checks(
        P::standard()
            .ents(&["vpn", "wiki", "prod", "payroll", "badge"])
            .rule(grant("seniors", passing("senior"), &["vpn"]))
            .rule(grant(
                "finance-seniors",
                and(vec![is("department", "Finance"), passing("senior")]),
                &["payroll"],
            ))
            .rule(grant("nobody", passing("never"), &["wiki"]))
            .rule(grant("needs-broken", passing("broken"), &["prod"]))
            .rule(grant("unless-broken", not(passing("broken")), &["prod"]))
            .rule(grant("everyone", anyone(), &["badge"]))
            .rule(deny(
                "badge-unless-cleared",
                not(passing("broken")),
                &["badge"],
            )),
    )
}

fn evaluate(policy: PolicySet, runner: Option<Arc<Runner>>) -> Decision {
    let ev = match runner {
        Some(runner) => Evaluator::with_checks(policy, runner).unwrap(),
        None => Evaluator::new(policy).unwrap(),
    };
    let who = identity(&ev, alice());
    let decision = ev.evaluate(&who, t(AT));
    assert_eq!(decision, ev.evaluate_plain(&who, t(AT)));
    decision
}

#[test]
fn passing_and_failing_checks_decide_their_rules() {
    let runner = Arc::new(Runner::default());
    let decision = evaluate(policy(), Some(Arc::clone(&runner)));
    let granted = granted_names(&decision);
    assert!(granted.contains(&"vpn"), "the check passed: {granted:?}");
    assert!(
        granted.contains(&"payroll"),
        "short and explicit forms alike"
    );
    assert!(!granted.contains(&"wiki"), "the check failed");

    let outcomes: Vec<(&str, CheckOutcome)> = decision
        .checks
        .iter()
        .map(|c| (c.check.as_str(), c.outcome))
        .collect();
    assert_eq!(
        outcomes,
        [
            ("senior", CheckOutcome::Passed),
            ("never", CheckOutcome::Failed),
            ("broken", CheckOutcome::Error),
        ]
    );
    assert_eq!(decision.checks[0].log, "level read");
    // Each check ran once per evaluation (two evaluations: indexed, plain).
    assert_eq!(runner.calls.load(AtomicOrdering::SeqCst), 6);
    // The input: the check's name, the instant and the identity.
    let input: serde_json::Value = serde_json::from_str(&runner.inputs.lock().unwrap()[0]).unwrap();
    assert_eq!(input["check"], "senior");
    assert_eq!(input["at"], "2026-06-15T12:00:00Z");
    assert_eq!(input["identity"]["department"], "Finance");
    assert_eq!(input["identity"]["start_date"], "2024-03-01");
}

#[test]
fn a_check_that_cannot_run_fails_closed() {
    let decision = evaluate(policy(), Some(Arc::new(Runner::default())));
    let granted = granted_names(&decision);
    // Neither `passing broken` nor `not passing broken` grants.
    assert!(!granted.contains(&"prod"), "{granted:?}");
    // The deny that only a passing check would lift applies.
    assert!(!granted.contains(&"badge"));
    let denied = &decision.denied[0];
    assert_eq!(&*denied.entitlement, "badge");
    assert_eq!(denied.denied_by[0].missing_attributes, ["passing broken"]);
    // Every rule the broken check decided is named, with the cause.
    let errors: Vec<(&str, &str)> = decision
        .errors
        .iter()
        .map(|e| (e.check.as_str(), &*e.rule))
        .collect();
    assert_eq!(
        errors,
        [
            ("broken", "needs-broken"),
            ("broken", "unless-broken"),
            ("broken", "badge-unless-cleared"),
        ]
    );
    assert!(decision.errors[0].cause.contains("out of fuel"));
    assert_eq!(
        decision.checks[2].error.as_deref(),
        Some("out of fuel after 1000000 instructions")
    );
}

#[test]
fn without_a_runner_every_check_fails_closed() {
    let decision = evaluate(policy(), None);
    let granted = granted_names(&decision);
    for withheld in ["vpn", "payroll", "wiki", "prod", "badge"] {
        assert!(!granted.contains(&withheld), "{withheld}: {granted:?}");
    }
    assert!(decision
        .checks
        .iter()
        .all(|c| c.outcome == CheckOutcome::Error));
    assert!(decision.errors[0].cause.contains("no check runner"));
}

#[test]
fn a_policy_without_checks_runs_none_and_reports_none() {
    let runner = Arc::new(Runner::default());
    let plain = P::standard()
        .ents(&["badge"])
        .rule(grant("everyone", anyone(), &["badge"]));
    let decision = evaluate(plain.set, Some(Arc::clone(&runner)));
    assert_eq!(runner.calls.load(AtomicOrdering::SeqCst), 0);
    assert!(decision.checks.is_empty() && decision.errors.is_empty());
    let json = serde_json::to_value(&decision).unwrap();
    assert!(json.get("checks").is_none() && json.get("errors").is_none());
}

#[test]
fn an_undeclared_check_is_an_invalid_policy() {
    let mut set = P::standard()
        .ents(&["vpn"])
        .rule(grant("seniors", passing("senior"), &["vpn"]))
        .set;
    set.checks.clear();
    let error = Evaluator::new(set).unwrap_err();
    assert!(
        error.to_string().contains("undeclared check `senior`"),
        "{error}"
    );
}

#[test]
fn explanations_show_the_check() {
    let ev = Evaluator::with_checks(policy(), Arc::new(Runner::default())).unwrap();
    let who = identity(&ev, alice());
    let explanation = ev.explain(&who, "prod", t(AT)).unwrap();
    let text = serde_json::to_string(&explanation).unwrap();
    assert!(text.contains("passing broken"), "{text}");
    assert!(text.contains("could not run"), "{text}");
}
