//! Custom checks: conditions the language cannot express, run by a
//! [`CheckRunner`] (the WebAssembly sandbox of `grantline-sandbox`, wired in
//! by the `grantline` facade) and used in rules as `passing NAME`.
//!
//! The evaluator stays independent of the runner: it gives each check the
//! identity and the instant as one JSON document and reads back pass, fail,
//! or a failure. Each check the policy set declares runs once per
//! evaluation, before the rules are examined; its result is a value of the
//! evaluation like an attribute's, so that the plain and the indexed
//! evaluation read the same result. A check that fails to run is
//! *unknown*: a grant that needs it does not apply, and a deny that needs
//! it applies (fail closed), exactly as for a missing attribute.

use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use grantline_ir::SourceLocation;
use serde::{Deserialize, Serialize};

use crate::compile::{Compiled, Values};
use crate::identity::AttributeValue;

/// Runs the custom checks of a policy set.
///
/// Implementations must be safe to call from several threads at once, must
/// not keep state from one call to the next that changes a result, and
/// must turn every failure into an `Err` (never a panic).
pub trait CheckRunner: Send + Sync {
    /// Runs check `name` on `input`, the JSON document described in
    /// `docs/custom-checks.md`:
    /// `{"check":NAME,"at":RFC3339,"identity":{attribute: value, …}}`.
    fn run(&self, name: &str, input: &str) -> Result<CheckPass, String>;
}

/// A check that ran to the end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckPass {
    pub passed: bool,
    /// What the check logged, if anything.
    pub log: String,
}

/// The result of one check for one identity, as a decision reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckResult {
    pub check: String,
    pub outcome: CheckOutcome,
    /// Why the check failed to run (`outcome` `error`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What the check logged.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub log: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckOutcome {
    Passed,
    Failed,
    /// The check did not run to the end (trap, limit, bad result, no
    /// runner): its conditions are unknown.
    Error,
}

/// A rule whose outcome a failed check decided: the grant did not apply, or
/// the deny applied, because the check could not say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckError {
    pub check: String,
    pub rule: Arc<str>,
    pub source: Arc<SourceLocation>,
    pub cause: String,
}

/// A declared check, resolved.
#[derive(Debug, Clone)]
pub(crate) struct CCheck {
    pub(crate) name: Arc<str>,
    /// The rules whose condition uses the check, ascending.
    pub(crate) rules: Vec<usize>,
}

/// The cause reported when an evaluator has no runner.
pub(crate) const NO_RUNNER: &str = "no check runner: this evaluator was built without custom \
     checks (use `grantline::Engine`, whose `wasm` feature runs them, or \
     `Evaluator::with_checks`)";

/// Runs every check of `compiled` on the identity's `values` at `at`:
/// `values` extended with one flag per check (`None` when it failed to run),
/// and the results.
pub(crate) fn run_all(
    compiled: &Compiled,
    runner: Option<&dyn CheckRunner>,
    values: &Values,
    at: DateTime<Utc>,
) -> (Vec<Option<AttributeValue>>, Vec<CheckResult>) {
    let mut extended: Vec<Option<AttributeValue>> =
        Vec::with_capacity(compiled.schema.attributes.len() + compiled.checks.len());
    extended.extend(
        values
            .iter()
            .take(compiled.schema.attributes.len())
            .cloned(),
    );
    extended.resize(compiled.schema.attributes.len(), None);
    let identity = identity_json(compiled, values);
    let at = at.to_rfc3339_opts(SecondsFormat::AutoSi, true);
    let mut results = Vec::with_capacity(compiled.checks.len());
    for check in &compiled.checks {
        let outcome = match runner {
            None => Err(NO_RUNNER.to_string()),
            Some(runner) => {
                let input = format!(
                    r#"{{"check":{},"at":"{at}","identity":{identity}}}"#,
                    serde_json::Value::String(check.name.to_string())
                );
                runner.run(&check.name, &input)
            }
        };
        let (value, result) = match outcome {
            Ok(pass) => (
                Some(AttributeValue::Flag(pass.passed)),
                CheckResult {
                    check: check.name.to_string(),
                    outcome: if pass.passed {
                        CheckOutcome::Passed
                    } else {
                        CheckOutcome::Failed
                    },
                    error: None,
                    log: pass.log,
                },
            ),
            Err(cause) => (
                None,
                CheckResult {
                    check: check.name.to_string(),
                    outcome: CheckOutcome::Error,
                    error: Some(cause),
                    log: String::new(),
                },
            ),
        };
        extended.push(value);
        results.push(result);
    }
    (extended, results)
}

/// The identity's present attributes as a compact JSON object, sorted by name.
fn identity_json(compiled: &Compiled, values: &Values) -> String {
    let mut object = serde_json::Map::new();
    for (attribute, value) in compiled.schema.attributes.iter().zip(values) {
        let Some(value) = value else {
            continue;
        };
        let json = match value {
            AttributeValue::Text(text) => serde_json::Value::from(text.as_str()),
            AttributeValue::Flag(flag) => serde_json::Value::from(*flag),
            AttributeValue::Number(number) => serde_json::Value::from(*number),
            AttributeValue::Date(date) => {
                serde_json::Value::from(date.format("%Y-%m-%d").to_string())
            }
            AttributeValue::List(items) => serde_json::Value::from(items.clone()),
        };
        object.insert(attribute.name.clone(), json);
    }
    serde_json::Value::Object(object).to_string()
}
