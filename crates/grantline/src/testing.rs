//! Running the `test` blocks of a policy set, and rule coverage.
//!
//! ```
//! let engine = grantline::Engine::from_source("t.grant", r#"
//!     attribute status: active | terminated
//!     entitlement slack
//!     rule everyone: anyone active grants slack
//!     test "active people chat":
//!         given active
//!         at 2026-12-01
//!         expect slack
//! "#)?;
//! let report = engine.run_tests();
//! assert_eq!((report.passed(), report.failed()), (1, 0));
//! assert_eq!(report.covered_rules(), 1);
//! # Ok::<(), grantline::Error>(())
//! ```

use std::collections::BTreeSet;

use chrono::{DateTime, TimeZone, Utc};
use grantline_compiler::policy_tests::{Expect, PolicyTest, TestInstant, TestValue};
use grantline_eval::render::{format_end, format_start};
use serde::Serialize;

use crate::{Decision, Engine, GrantStatus, SourceLocation};

/// The outcome of every test, and which rules they exercised.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TestReport {
    /// In source order.
    pub results: Vec<TestResult>,
    /// Every rule of the policy set, in source order.
    pub coverage: Vec<RuleCoverage>,
}

impl TestReport {
    pub fn passed(&self) -> usize {
        self.results.iter().filter(|r| r.passed()).count()
    }

    pub fn failed(&self) -> usize {
        self.results.len() - self.passed()
    }

    /// How many rules took effect in at least one test.
    pub fn covered_rules(&self) -> usize {
        self.coverage.iter().filter(|r| r.exercised).count()
    }

    /// The share of rules exercised, from 0 to 1 (1 for a set without rules).
    pub fn coverage_ratio(&self) -> f64 {
        if self.coverage.is_empty() {
            return 1.0;
        }
        self.covered_rules() as f64 / self.coverage.len() as f64
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TestResult {
    pub name: String,
    pub source: SourceLocation,
    pub at: DateTime<Utc>,
    /// The test identity did not fit the schema (it cannot be run).
    pub error: Option<String>,
    /// The expectations that did not hold.
    pub failures: Vec<ExpectationFailure>,
}

impl TestResult {
    pub fn passed(&self) -> bool {
        self.error.is_none() && self.failures.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExpectationFailure {
    /// The expectation as written: `expect salesforce.admin until 2027-06-30`.
    pub expectation: String,
    pub source: SourceLocation,
    pub expected: String,
    pub actual: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleCoverage {
    pub rule: String,
    pub source: SourceLocation,
    /// The rule took effect (granted, was pending, or denied) in some test.
    pub exercised: bool,
}

impl Engine {
    /// The `test` blocks of the policies (none when loaded from IR).
    pub fn tests(&self) -> &[PolicyTest] {
        &self.tests
    }

    /// Runs every `test` block and records which rules each exercised.
    pub fn run_tests(&self) -> TestReport {
        let mut exercised: BTreeSet<String> = BTreeSet::new();
        let results = self
            .tests
            .iter()
            .map(|test| self.run_test(test, &mut exercised))
            .collect();
        let coverage = self
            .policy()
            .rules
            .iter()
            .map(|rule| RuleCoverage {
                rule: rule.name.clone(),
                source: rule.source.clone(),
                exercised: exercised.contains(&rule.name),
            })
            .collect();
        TestReport { results, coverage }
    }

    fn run_test(&self, test: &PolicyTest, exercised: &mut BTreeSet<String>) -> TestResult {
        let at = self.test_instant(test.at);
        let mut result = TestResult {
            name: test.name.clone(),
            source: test.source.clone(),
            at,
            error: None,
            failures: Vec::new(),
        };
        let record: serde_json::Map<String, serde_json::Value> = test
            .given
            .iter()
            .map(|(attribute, value)| (attribute.clone(), json_value(value)))
            .collect();
        let identity = match self.identity(&serde_json::Value::Object(record)) {
            Ok(identity) => identity,
            Err(error) => {
                result.error = Some(error.to_string());
                return result;
            }
        };
        exercised.extend(
            self.evaluator
                .applying_rules(&identity, at)
                .into_iter()
                .map(str::to_string),
        );
        let decision = self.evaluate(&identity, at);
        for expectation in &test.expectations {
            let expected = self.describe_expected(&expectation.expect);
            let actual = self.describe_actual(&decision, &expectation.entitlement);
            if !self.holds(&decision, &expectation.entitlement, &expectation.expect) {
                result.failures.push(ExpectationFailure {
                    expectation: expectation.text.clone(),
                    source: expectation.source.clone(),
                    expected,
                    actual,
                });
            }
        }
        result
    }

    fn test_instant(&self, at: TestInstant) -> DateTime<Utc> {
        match at {
            TestInstant::Date(date) => self.day_start(date),
            TestInstant::Instant(instant) => instant.with_timezone(&Utc),
            TestInstant::Local(local) => self
                .timezone()
                .from_local_datetime(&local)
                .earliest()
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_else(|| Utc.from_utc_datetime(&local)),
        }
    }

    fn holds(&self, decision: &Decision, entitlement: &str, expect: &Expect) -> bool {
        let entry = decision.entitlement(entitlement);
        match (expect, entry) {
            (Expect::Absent, entry) => entry.is_none(),
            (Expect::Present { .. }, None) => false,
            (
                Expect::Present {
                    pending,
                    from,
                    until,
                },
                Some(entry),
            ) => {
                let status_holds = match pending {
                    None => entry.status == GrantStatus::Granted,
                    Some(by) => {
                        entry.status == GrantStatus::PendingApproval
                            && by.as_ref().is_none_or(|g| entry.approvers.contains(g))
                    }
                };
                let from_holds = from.is_none_or(|d| entry.valid_from == Some(self.day_start(d)));
                let until_holds = until.is_none_or(|d| {
                    d.succ_opt()
                        .is_some_and(|next| entry.valid_until == Some(self.day_start(next)))
                });
                status_holds && from_holds && until_holds
            }
        }
    }

    fn describe_expected(&self, expect: &Expect) -> String {
        match expect {
            Expect::Absent => "not granted".to_string(),
            Expect::Present {
                pending,
                from,
                until,
            } => {
                let mut text = match pending {
                    None => "granted".to_string(),
                    Some(None) => "pending approval".to_string(),
                    Some(Some(group)) => format!("pending approval by {group}"),
                };
                if let Some(from) = from {
                    text.push_str(&format!(" from {from}"));
                }
                if let Some(until) = until {
                    text.push_str(&format!(" until {until}"));
                }
                text
            }
        }
    }

    fn describe_actual(&self, decision: &Decision, entitlement: &str) -> String {
        let tz = self.timezone();
        let Some(entry) = decision.entitlement(entitlement) else {
            if let Some(denied) = decision
                .denied
                .iter()
                .find(|d| &*d.entitlement == entitlement)
            {
                let rules: Vec<&str> = denied.denied_by.iter().map(|d| &*d.rule).collect();
                return format!("denied by {}", rules.join(", "));
            }
            return "not granted".to_string();
        };
        let rules: Vec<&str> = entry.reasons.iter().map(|r| &*r.rule).collect();
        let mut text = match entry.status {
            GrantStatus::Granted => "granted".to_string(),
            GrantStatus::PendingApproval if entry.approvers.is_empty() => {
                "pending approval".to_string()
            }
            GrantStatus::PendingApproval => {
                format!("pending approval by {}", entry.approvers.join(", "))
            }
        };
        if let Some(from) = entry.valid_from {
            text.push_str(&format!(" from {}", format_start(from, tz)));
        }
        match entry.valid_until {
            Some(until) => text.push_str(&format!(" until {}", format_end(until, tz))),
            None => text.push_str(" with no end"),
        }
        text.push_str(&format!(" (by {})", rules.join(", ")));
        text
    }
}

fn json_value(value: &TestValue) -> serde_json::Value {
    match value {
        TestValue::Text(text) => text.clone().into(),
        TestValue::Number(number) => serde_json::Number::from_f64(*number)
            .map(serde_json::Value::Number)
            .unwrap_or(serde_json::Value::Null),
        TestValue::Date(date) => date.format("%Y-%m-%d").to_string().into(),
        TestValue::Flag(flag) => (*flag).into(),
        TestValue::List(items) => items.clone().into(),
    }
}
