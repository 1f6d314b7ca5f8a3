//! ## What it catches
//!
//! A separation of duties (`separate A from B`) that the rules do not
//! enforce: some identity is granted (or pending for) an entitlement of
//! each side at the lint instant. The finding names the two grant rules and
//! shows an identity, confirmed by the evaluator, that would hold both.
//!
//! ## Why it matters
//!
//! A separation is a control (SOX, SOC 2): nobody may, for example, both
//! enter and approve vendor payments. The engine reports a conflict for
//! every person who would hold both sides, but a policy that can produce
//! conflicts at all relies on someone noticing them; the rules themselves
//! should make the combination impossible.
//!
//! ## Example
//!
//! ```grantline
//! separate netsuite.payables from netsuite.approver
//!
//! rule ap-clerks:
//!     in Finance where groups contains "accounts-payable"
//!     grants netsuite.payables
//!
//! rule finance-leads:
//!     in Finance where level >= 7
//!     grants netsuite.approver
//! ```
//!
//! A level 7 accounts-payable clerk gets both.
//!
//! ## How to fix
//!
//! Make the grants exclusive (add `and not groups contains
//! "accounts-payable"` to the approver grant), or add a deny of one side
//! for the people of the other.

use grantline_eval::Decision;
use grantline_ir::Condition;

use crate::context::Context;
use crate::finding::{Finding, Witness};
use crate::registry::{Group, Rule, RuleInfo};
use crate::solver::Search;
use grantline_syntax::Severity;

use super::{covering_denies, trues_then_falses};

pub(crate) static INFO: RuleInfo = RuleInfo {
    code: "GL305",
    name: "separation-reachable",
    group: Group::Analysis,
    severity: Severity::Error,
    needs_population: false,
    source: include_str!("gl305_separation_reachable.rs"),
};

pub(crate) struct SeparationReachable;

/// Solver calls per separation; past it the separation gets no finding.
const MAX_CALLS: usize = 2_000;

/// What a witness found for one pair of grants shows.
struct Reached {
    left_rule: usize,
    right_rule: usize,
    left: String,
    right: String,
    witness: Witness,
}

impl Rule for SeparationReachable {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for separation in &cx.policy.separations {
            let Some(reached) = reach(cx, separation) else {
                continue;
            };
            let (Some(left_rule), Some(right_rule)) =
                (cx.rule(reached.left_rule), cx.rule(reached.right_rule))
            else {
                continue;
            };
            let side = |target: &grantline_ir::Target| match target {
                grantline_ir::Target::Entitlement(name) => format!("`{name}`"),
                grantline_ir::Target::Role(name) => format!("role `{name}`"),
            };
            let how = if reached.left_rule == reached.right_rule {
                format!(
                    "rule `{}` grants both `{}` and `{}`",
                    left_rule.name, reached.left, reached.right
                )
            } else {
                format!(
                    "rule `{}` grants `{}` and rule `{}` grants `{}` to the same identity",
                    left_rule.name, reached.left, right_rule.name, reached.right
                )
            };
            let mut finding = Finding::new(
                &INFO,
                format!(
                    "separation of {} from {} is not enforced: {how}",
                    side(&separation.left),
                    side(&separation.right)
                ),
            )
            .at(&separation.source)
            .related(format!("grants `{}`", reached.left), &left_rule.source);
            if reached.left_rule != reached.right_rule {
                finding =
                    finding.related(format!("grants `{}`", reached.right), &right_rule.source);
            }
            let help = if reached.left_rule == reached.right_rule {
                format!(
                    "split rule `{}` so that nobody gets both `{}` and `{}` from it, \
                     or add a rule that denies one of them to its people",
                    left_rule.name, reached.left, reached.right
                )
            } else {
                format!(
                    "make the grants exclusive (a condition on `{}` that excludes the people of `{}`), \
                     or add a rule that denies `{}` to them",
                    right_rule.name, left_rule.name, reached.right
                )
            };
            out.push(finding.help(help).witness(reached.witness));
        }
    }
}

/// The first pair of grants (in rule order) for which an identity holds an
/// entitlement of each side, with its confirmed witness.
fn reach(cx: &Context<'_>, separation: &grantline_ir::Separation) -> Option<Reached> {
    let mut calls = 0usize;
    for left in &separation.left_entitlements {
        let left_denies = covering_denies(cx, left);
        let Some(left_grants) = cx.grants_of.get(left.as_str()) else {
            continue;
        };
        for right in &separation.right_entitlements {
            let Some(right_grants) = cx.grants_of.get(right.as_str()) else {
                continue;
            };
            let mut denies: Vec<usize> = left_denies
                .iter()
                .copied()
                .chain(covering_denies(cx, right))
                .collect();
            denies.sort_unstable();
            denies.dedup();
            for &left_rule in left_grants {
                for &right_rule in right_grants {
                    calls += 1;
                    if calls > MAX_CALLS {
                        return None;
                    }
                    let conditions: Vec<&Condition> = [left_rule, right_rule]
                        .into_iter()
                        .chain(denies.iter().copied())
                        .map(|index| cx.active_condition(index))
                        .collect();
                    let holds = |decision: &Decision| {
                        let held = |e: &str| decision.entitlement(e).is_some();
                        decision
                            .conflicts
                            .iter()
                            .any(|c| *c.source == separation.source)
                            || (held(left) && held(right))
                    };
                    let allowed = trues_then_falses(2, conditions.len());
                    let witness = match cx.solver.find_each(&conditions, &allowed).0 {
                        Search::Found(identity) => cx.confirm(identity, holds),
                        Search::Impossible | Search::Undecided => None,
                    };
                    if let Some(witness) = witness {
                        return Some(Reached {
                            left_rule,
                            right_rule,
                            left: left.clone(),
                            right: right.clone(),
                            witness,
                        });
                    }
                }
            }
        }
    }
    None
}
