//! Explanations: one entitlement, rule by rule.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::compile::{CEffect, Cond, Truth, Values};
use crate::identity::{suggest, AttributeValue};
use crate::output::{
    Explanation, FailedCondition, GrantStatus, RuleEffect, RuleExplanation, RuleOutcome, Verdict,
};
use crate::{window_status, Evaluator, Identity, UnknownEntitlement, WindowEval, WindowStatus};

pub(crate) fn explain(
    evaluator: &Evaluator,
    identity: &Identity,
    name: &str,
    at: DateTime<Utc>,
    plain: bool,
) -> Result<Explanation, UnknownEntitlement> {
    let compiled = &evaluator.compiled;
    let Some(index) = compiled.entitlements.iter().position(|e| &*e.name == name) else {
        return Err(UnknownEntitlement {
            name: name.to_string(),
            suggestions: suggest(name, compiled.entitlements.iter().map(|e| &*e.name)),
        });
    };
    let cap = compiled
        .entitlements
        .get(index)
        .and_then(|e| e.max_duration);
    let tz = compiled.timezone;

    // The verdict comes from the decision itself, so the two always agree.
    let decision = if plain {
        evaluator.evaluate_plain(identity, at)
    } else {
        evaluator.evaluate(identity, at)
    };
    let granted = decision.entitlement(name).cloned();
    let verdict = match &granted {
        Some(g) if g.status == GrantStatus::Granted => Verdict::Granted,
        Some(_) => Verdict::PendingApproval,
        None if decision.denied.iter().any(|d| &*d.entitlement == name) => Verdict::Denied,
        None => Verdict::NotGranted,
    };

    let (values, _, _) = evaluator.adopt_checked(identity, at);
    let values: &Values = &values;
    let mut rules: Vec<(usize, RuleExplanation)> = Vec::new();
    for (rule_index, rule) in compiled.rules.iter().enumerate() {
        let (effect, targets) = match &rule.effect {
            CEffect::Grant(targets) => (RuleEffect::Grant, Some(targets)),
            CEffect::Deny(targets) => (RuleEffect::Deny, Some(targets)),
            CEffect::DenyEverything => (RuleEffect::Deny, None),
        };
        let via = match targets {
            None => Arc::default(),
            Some(targets) => match targets.iter().position(|t| t.entitlement == index) {
                Some(position) => rule.via(position),
                None => continue,
            },
        };
        let mut held = Vec::new();
        let mut failed = Vec::new();
        let truth = trace(evaluator, &rule.cond, values, &mut held, &mut failed);
        let (applies, outcome) = match effect {
            RuleEffect::Grant => match truth {
                Truth::False => (false, RuleOutcome::ConditionFailed),
                Truth::Unknown => (false, RuleOutcome::ConditionUnknown),
                Truth::True => match rule.window.eval(values, tz) {
                    WindowEval::Missing(attribute) => {
                        (false, RuleOutcome::WindowAttributeMissing { attribute })
                    }
                    WindowEval::Known { from, close, .. } => {
                        match window_status(from, close, cap, tz, at) {
                            WindowStatus::Open { .. } => (true, RuleOutcome::Applies),
                            WindowStatus::NotYetOpen(opens_at) => {
                                (false, RuleOutcome::NotYetOpen { opens_at })
                            }
                            WindowStatus::Expired(closed_at) => {
                                (false, RuleOutcome::Expired { closed_at })
                            }
                            WindowStatus::Empty { opens, closes } => (
                                false,
                                RuleOutcome::EmptyWindow {
                                    opens_at: opens,
                                    closes_at: closes,
                                },
                            ),
                        }
                    }
                },
            },
            RuleEffect::Deny => {
                let deny = evaluator.deny_eval(rule, truth, values, at);
                (deny.applies, deny.outcome)
            }
        };
        rules.push((
            rule_index,
            RuleExplanation {
                rule: Arc::clone(rule.name()),
                source: Arc::clone(rule.source()),
                effect,
                via,
                applies,
                outcome,
                held,
                failed,
            },
        ));
    }
    rules.sort_by_key(|(rule_index, r)| {
        let rank = match (r.applies, r.effect) {
            (true, _) => 0,
            (false, RuleEffect::Grant) => 1,
            (false, RuleEffect::Deny) => 2,
        };
        let distance = if rank == 1 { r.failed.len() } else { 0 };
        (rank, distance, *rule_index)
    });

    Ok(Explanation {
        entitlement: name.to_string(),
        at,
        verdict,
        granted,
        rules: rules.into_iter().map(|(_, r)| r).collect(),
        warnings: decision.warnings,
        checks: decision.checks,
    })
}

/// Evaluates a condition, recording the leaf conditions that held and those
/// that failed or could not be decided (unknown). A `not` counts as one leaf.
/// Alternatives of an `or` that holds are not failures and are left out.
fn trace(
    evaluator: &Evaluator,
    cond: &Cond,
    values: &Values,
    held: &mut Vec<String>,
    failed: &mut Vec<FailedCondition>,
) -> Truth {
    match cond {
        Cond::True => {
            held.push("anyone".to_string());
            Truth::True
        }
        Cond::Leaf(leaf) => {
            let truth = leaf.eval(values);
            if truth == Truth::True {
                held.push(leaf.text.clone());
            } else {
                failed.push(FailedCondition {
                    condition: leaf.text.clone(),
                    actual: actual(evaluator, values, leaf.attribute),
                    unknown: truth == Truth::Unknown,
                });
            }
            truth
        }
        Cond::Not(_, text) => {
            let truth = cond.eval(values);
            if truth == Truth::True {
                held.push(text.clone());
            } else {
                let mut attributes = Vec::new();
                cond.attributes(&mut attributes);
                let mut seen = Vec::new();
                for attribute in attributes {
                    if !seen.contains(&attribute) {
                        seen.push(attribute);
                    }
                }
                failed.push(FailedCondition {
                    condition: text.clone(),
                    actual: seen
                        .into_iter()
                        .map(|a| actual(evaluator, values, a))
                        .collect::<Vec<_>>()
                        .join(", "),
                    unknown: truth == Truth::Unknown,
                });
            }
            truth
        }
        Cond::And(all) => {
            let mut result = Truth::True;
            for c in all {
                match trace(evaluator, c, values, held, failed) {
                    Truth::False => result = Truth::False,
                    Truth::Unknown if result == Truth::True => result = Truth::Unknown,
                    _ => {}
                }
            }
            result
        }
        Cond::Or(any) => {
            let truth = cond.eval(values);
            for c in any {
                if truth != Truth::True || c.eval(values) == Truth::True {
                    trace(evaluator, c, values, held, failed);
                }
            }
            truth
        }
    }
}

/// The identity's value of an attribute, as `level is 5` or `level is missing`.
fn actual(evaluator: &Evaluator, values: &Values, index: usize) -> String {
    let Some(attribute) = evaluator.compiled.schema.attributes.get(index) else {
        // A custom check's result.
        let name = evaluator.attribute_name(index);
        return match values.get(index).and_then(Option::as_ref) {
            Some(AttributeValue::Flag(true)) => format!("{name}: passed"),
            Some(_) => format!("{name}: failed"),
            None => format!("{name}: could not run"),
        };
    };
    let name = &attribute.name;
    match values.get(index).and_then(Option::as_ref) {
        Some(value) => format!("{name} is {value}"),
        None => match attribute.kind {
            grantline_ir::AttributeKind::Flag => {
                format!("{name} is {}", AttributeValue::Flag(false))
            }
            grantline_ir::AttributeKind::ListOfText => {
                format!("{name} is {}", AttributeValue::List(Vec::new()))
            }
            _ => format!("{name} is missing"),
        },
    }
}
