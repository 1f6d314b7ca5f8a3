//! ## What it catches
//!
//! A grant rule all of whose entitlements are taken away by deny rules
//! whenever its condition holds: for every identity it applies to, some
//! deny of each entitlement (or a `denies everything`) applies too. The
//! solver proves it; the finding shows an identity for which the grant
//! holds and the evaluator lists the entitlements as denied.
//!
//! ## Why it matters
//!
//! Deny beats grant, so the rule never gives anything. Either the grant is
//! dead and should go, or the deny is wider than meant and takes away
//! access that the grant was written to give. Remember that a deny also
//! applies when its condition is unknown (a missing attribute), which
//! makes a deny on `not ...` wider than it reads.
//!
//! ## Example
//!
//! ```grantline
//! rule contractor-github:
//!     contractor in Engineering
//!     grants github
//!
//! rule no-contractor-code-access:
//!     contractor
//!     denies github
//! ```
//!
//! ## How to fix
//!
//! Delete the grant if the deny is right; otherwise narrow the deny (add
//! the condition that should exempt the grant's people) or make its
//! condition explicit about missing attributes.

use grantline_ir::{Condition, Effect};

use crate::context::Context;
use crate::finding::Finding;
use crate::registry::{Group, Rule, RuleInfo};
use crate::solver::{Search, Truth};
use grantline_syntax::Severity;

use super::{covering_denies, entitlements_of, listing, trues_then_falses};

pub(crate) static INFO: RuleInfo = RuleInfo {
    code: "GL303",
    name: "always-denied",
    group: Group::Analysis,
    severity: Severity::Warning,
    needs_population: false,
    source: include_str!("gl303_always_denied.rs"),
};

pub(crate) struct AlwaysDenied;

/// Denies per entitlement beyond this are all named, not minimized.
const MAX_MINIMIZED: usize = 12;

/// Whether the grant's condition (first) can be true with every deny
/// (the rest) false; `None` when undecided.
fn escapes(cx: &Context<'_>, grant: usize, denies: &[usize]) -> Option<bool> {
    // Greedily first: an identity for the grant, completed deny by deny.
    let (search, model) = cx
        .solver
        .find_model(&[cx.active_condition(grant)], |t| t == [Truth::True]);
    let Some(mut model) = model else {
        return (search == Search::Impossible).then_some(false);
    };
    let mut greedy = true;
    for &deny in denies {
        match cx
            .solver
            .extend(&model, cx.active_condition(deny), Truth::False)
        {
            Some(extended) => model = extended,
            None => {
                greedy = false;
                break;
            }
        }
    }
    if greedy {
        return Some(true);
    }
    let conditions: Vec<&Condition> = std::iter::once(grant)
        .chain(denies.iter().copied())
        .map(|index| cx.active_condition(index))
        .collect();
    let allowed = trues_then_falses(1, conditions.len());
    match cx.solver.find_each(&conditions, &allowed).0 {
        Search::Found(_) => Some(true),
        Search::Impossible => Some(false),
        Search::Undecided => None,
    }
}

impl Rule for AlwaysDenied {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for (index, rule) in cx.policy.rules.iter().enumerate() {
            if !matches!(rule.effect, Effect::Grant { .. }) {
                continue;
            }
            let entitlements = entitlements_of(rule);
            let per_entitlement: Vec<Vec<usize>> = entitlements
                .iter()
                .map(|e| covering_denies(cx, e))
                .collect();
            if entitlements.is_empty() || per_entitlement.iter().any(Vec::is_empty) {
                continue;
            }
            // One search first: an identity with the grant true and every
            // deny false shows that no entitlement is always denied.
            let mut union: Vec<usize> = per_entitlement.iter().flatten().copied().collect();
            union.sort_unstable();
            union.dedup();
            if escapes(cx, index, &union) != Some(false) {
                continue;
            }
            if per_entitlement.len() > 1
                && !per_entitlement
                    .iter()
                    .all(|denies| escapes(cx, index, denies) == Some(false))
            {
                continue;
            }
            // A witness: the grant holds and every entitlement is denied.
            let witness = cx.witness(
                &[cx.active_condition(index)],
                |t| t == [Truth::True],
                |decision| {
                    entitlements.iter().all(|e| {
                        decision.denied.iter().any(|d| &*d.entitlement == *e)
                            && decision.entitlement(e).is_none()
                    })
                },
            );
            let Some(witness) = witness else {
                continue;
            };
            // The denies that matter: per entitlement, drop those without
            // which it is still always denied (bounded).
            let mut denies: Vec<usize> = Vec::new();
            for mut needed in per_entitlement {
                if needed.len() <= MAX_MINIMIZED {
                    let mut position = 0;
                    while position < needed.len() {
                        let mut without = needed.clone();
                        without.remove(position);
                        if !without.is_empty() && escapes(cx, index, &without) == Some(false) {
                            needed = without;
                        } else {
                            position += 1;
                        }
                    }
                }
                denies.extend(needed);
            }
            denies.sort_unstable();
            denies.dedup();
            let deny_names: Vec<&str> = denies
                .iter()
                .filter_map(|&d| cx.rule(d).map(|r| r.name.as_str()))
                .collect();
            let what = if entitlements.len() == 1 {
                listing(&entitlements)
            } else {
                format!("every entitlement it grants ({})", listing(&entitlements))
            };
            let by = if deny_names.len() == 1 {
                format!("rule {} denies", listing(&deny_names))
            } else {
                format!("rules {} deny", listing(&deny_names))
            };
            let mut finding = Finding::new(
                &INFO,
                format!(
                    "rule `{}` never grants anything: whenever its condition holds, {by} {what}",
                    rule.name
                ),
            )
            .at(&rule.source);
            for &d in &denies {
                if let Some(deny) = cx.rule(d) {
                    finding = finding.related(format!("denied by `{}`", deny.name), &deny.source);
                }
            }
            out.push(
                finding
                    .help(format!(
                        "delete rule `{}` if the deny is right; otherwise narrow the deny so that it exempts the people of this grant",
                        rule.name
                    ))
                    .witness(witness),
            );
        }
    }
}
