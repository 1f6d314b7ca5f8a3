//! GL3xx: exact analysis of conditions, windows and denies, with the
//! solver (proofs) and the evaluator (witnesses).

mod gl301_unsatisfiable_condition;
mod gl302_redundant_rule;
mod gl303_always_denied;
mod gl304_expired_window;
mod gl305_separation_reachable;

use grantline_ir::{Effect, Rule, TimePoint};

use crate::context::Context;
use crate::registry::Rule as LintRule;

pub(crate) fn rules() -> Vec<&'static dyn LintRule> {
    vec![
        &gl301_unsatisfiable_condition::UnsatisfiableCondition,
        &gl302_redundant_rule::RedundantRule,
        &gl303_always_denied::AlwaysDenied,
        &gl304_expired_window::ExpiredWindow,
        &gl305_separation_reachable::SeparationReachable,
    ]
}

/// The entitlements a grant or deny rule names, sorted and deduplicated
/// (empty for `denies everything`).
fn entitlements_of(rule: &Rule) -> Vec<&str> {
    let mut names: Vec<&str> = match &rule.effect {
        Effect::Grant { entitlements, .. } | Effect::Deny { entitlements, .. } => entitlements
            .iter()
            .map(|e| e.entitlement.as_str())
            .collect(),
        Effect::DenyEverything => Vec::new(),
    };
    names.sort_unstable();
    names.dedup();
    names
}

/// The deny rules that can cancel a grant of `entitlement` (its denies and
/// the `denies everything` rules), ascending, and whose active condition
/// says exactly when they apply at `at`. A deny whose window runs `for` a
/// duration after its start is left out: its active condition does not
/// see the end of the window, and leaving a deny out only weakens the
/// claims made with these lists.
fn covering_denies(cx: &Context<'_>, entitlement: &str) -> Vec<usize> {
    let mut denies: Vec<usize> = cx
        .denies_of
        .get(entitlement)
        .into_iter()
        .flatten()
        .chain(cx.deny_everything.iter())
        .copied()
        .filter(|&index| {
            cx.rule(index)
                .is_some_and(|rule| !(rule.window.from.is_some() && rule.window.duration.is_some()))
        })
        .collect();
    denies.sort_unstable();
    denies.dedup();
    denies
}

/// `a`, `a` and `b`, `a`, `b` and `c`: names in backquotes.
fn listing<S: AsRef<str>>(names: &[S]) -> String {
    let quoted: Vec<String> = names
        .iter()
        .map(|name| format!("`{}`", name.as_ref()))
        .collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

/// A fixed date of a window, if it is one.
fn fixed(point: Option<&TimePoint>) -> Option<chrono::NaiveDate> {
    match point {
        Some(TimePoint::Date(date)) => Some(*date),
        _ => None,
    }
}

/// The truths a search allows: the first `trues` conditions true, the rest
/// false.
fn trues_then_falses(trues: usize, total: usize) -> Vec<&'static [crate::solver::Truth]> {
    use crate::solver::Truth;
    (0..total)
        .map(|i| -> &'static [Truth] {
            if i < trues {
                &[Truth::True]
            } else {
                &[Truth::False]
            }
        })
        .collect()
}
