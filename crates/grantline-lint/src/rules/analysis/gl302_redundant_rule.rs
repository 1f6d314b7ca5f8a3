//! ## What it catches
//!
//! A grant rule made redundant by another: the other rule grants every
//! entitlement this one grants, whenever this one's condition holds, with a
//! window at least as wide (no window, or the same one) and no approval or
//! the same approval. Deleting the redundant rule changes no decision.
//!
//! ## Why it matters
//!
//! Redundant rules make the policy longer without giving anything, and they
//! mislead: someone who deletes the narrow rule to revoke access finds that
//! nothing changed, because the wider rule still grants it. They are a
//! common result of copying a rule and widening the copy.
//!
//! ## Example
//!
//! ```grantline
//! rule sales-crm:
//!     in Sales
//!     grants crm
//!
//! rule us-sales-managers-crm:      # redundant: every US sales manager is in Sales
//!     in Sales in the US with manager status
//!     grants crm
//! ```
//!
//! ## How to fix
//!
//! Delete the redundant rule, or, if it was meant to grant something the
//! wider rule does not, change it to grant that.

use std::collections::{HashMap, HashSet};

use grantline_ir::{Condition, Effect};

use crate::context::Context;
use crate::finding::Finding;
use crate::registry::{Group, Rule, RuleInfo};
use crate::solver::{Search, Truth};
use grantline_syntax::Severity;

use super::{covering_denies, entitlements_of, listing, trues_then_falses};

pub(crate) static INFO: RuleInfo = RuleInfo {
    code: "GL302",
    name: "redundant-rule",
    group: Group::Analysis,
    severity: Severity::Warning,
    needs_population: false,
    source: include_str!("gl302_redundant_rule.rs"),
};

pub(crate) struct RedundantRule;

/// Solver calls per rule, beyond which the rule is left alone.
const MAX_CALLS_PER_RULE: usize = 200;

/// Whether no identity makes `a` true and `b` not true.
fn implies(cx: &Context<'_>, a: &Condition, b: &Condition) -> bool {
    cx.solver.find(
        &[a, b],
        |t| matches!(t, [Truth::True, other] if *other != Truth::True),
    ) == Search::Impossible
}

impl Rule for RedundantRule {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let rules = &cx.policy.rules;
        let sets: Vec<Vec<&str>> = rules.iter().map(entitlements_of).collect();
        let index_of: HashMap<&str, usize> = rules
            .iter()
            .enumerate()
            .map(|(i, r)| (r.name.as_str(), i))
            .collect();
        for (a, rule_a) in rules.iter().enumerate() {
            if !matches!(rule_a.effect, Effect::Grant { .. }) {
                continue;
            }
            let Some(set_a) = sets.get(a) else { continue };
            let Some(first) = set_a.first() else { continue };
            let Some(candidates) = cx.grants_of.get(first) else {
                continue;
            };
            // One identity for which A holds: a rule B that cannot be true
            // for it is not implied by A (exact, and much cheaper than a
            // search for A and not B).
            let (_, model) = cx
                .solver
                .find_model(&[&rule_a.condition], |t| t == [Truth::True]);
            let Some(model) = model else {
                // A never holds (GL301's business) or is undecided.
                continue;
            };
            // The rules that apply to that identity, by the evaluator's
            // index: an unbounded rule B that does not apply to it is not
            // implied by A (its condition is not true there). Without this,
            // every rule granting a popular entitlement would be a
            // candidate.
            let applying: HashSet<usize> = cx
                .evaluator
                .identity_from_json(&serde_json::Value::Object(cx.solver.identity_of(&model)))
                .map(|identity| {
                    cx.evaluator
                        .applying_rules(&identity, cx.at)
                        .into_iter()
                        .filter_map(|name| index_of.get(name).copied())
                        .collect()
                })
                .unwrap_or_default();
            let mut calls = 0usize;
            for &b in candidates {
                if b == a || calls >= MAX_CALLS_PER_RULE {
                    continue;
                }
                let unbounded = rules.get(b).is_some_and(|r| r.window.is_unbounded());
                if unbounded && !applying.contains(&b) {
                    continue;
                }
                let (Some(rule_b), Some(set_b)) = (rules.get(b), sets.get(b)) else {
                    continue;
                };
                if !matches!(rule_b.effect, Effect::Grant { .. }) {
                    continue;
                }
                let covers = set_b.len() >= set_a.len()
                    && set_a.iter().all(|e| set_b.binary_search(e).is_ok());
                let window_covers = rule_b.window.is_unbounded() || rule_b.window == rule_a.window;
                let approval_covers =
                    rule_b.approval.is_none() || rule_b.approval == rule_a.approval;
                if !(covers && window_covers && approval_covers) {
                    continue;
                }
                if !cx.solver.can_be(&rule_b.condition, &model, Truth::True) {
                    continue;
                }
                calls += 1;
                if !implies(cx, &rule_a.condition, &rule_b.condition) {
                    continue;
                }
                // Mutually redundant (same entitlements, window, approval
                // and condition): report only the later rule.
                let mutual = set_a.len() == set_b.len()
                    && rule_a.window == rule_b.window
                    && rule_a.approval == rule_b.approval;
                if mutual && b > a && implies(cx, &rule_b.condition, &rule_a.condition) {
                    continue;
                }
                out.push(finding(cx, a, b, set_a));
                break;
            }
        }
    }
}

fn finding(cx: &Context<'_>, a: usize, b: usize, set_a: &[&str]) -> Finding {
    let (Some(rule_a), Some(rule_b)) = (cx.rule(a), cx.rule(b)) else {
        return Finding::new(&INFO, "redundant rule");
    };
    let what = if set_a.len() == 1 {
        listing(set_a)
    } else {
        format!("every entitlement it grants ({})", listing(set_a))
    };
    let mut finding = Finding::new(
        &INFO,
        format!(
            "rule `{}` is redundant: whenever its condition holds, rule `{}` holds too and grants {what}",
            rule_a.name, rule_b.name
        ),
    )
    .at(&rule_a.source)
    .related(format!("rule `{}` covers it", rule_b.name), &rule_b.source)
    .help(format!(
        "delete rule `{}`, or change it to grant what `{}` does not",
        rule_a.name, rule_b.name
    ));
    let names = (rule_a.name.as_str(), rule_b.name.as_str());
    // Both rules hold and no deny takes the entitlements away.
    let mut denies: Vec<usize> = set_a.iter().flat_map(|e| covering_denies(cx, e)).collect();
    denies.sort_unstable();
    denies.dedup();
    let conditions: Vec<&Condition> = [a, b]
        .into_iter()
        .chain(denies)
        .map(|index| cx.active_condition(index))
        .collect();
    let allowed = trues_then_falses(2, conditions.len());
    let witness = match cx.solver.find_each(&conditions, &allowed).0 {
        Search::Found(identity) => cx.confirm(identity, |decision| {
            set_a.iter().all(|e| {
                decision.entitlement(e).is_some_and(|granted| {
                    let has = |name: &str| granted.reasons.iter().any(|r| &*r.rule == name);
                    has(names.0) && has(names.1)
                })
            })
        }),
        Search::Impossible | Search::Undecided => None,
    };
    if let Some(witness) = witness {
        finding = finding.witness(witness);
    }
    finding
}
