//! Helpers shared by the over-provisioning rules.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};

use grantline_eval::Decision;
use grantline_ir::{Condition, Effect, Rule, Value};

use crate::context::Context;
use crate::finding::Witness;
use crate::solver::Search;

/// The entitlements a grant rule gives, deduplicated, in the IR's order
/// (sorted by name); empty for deny rules.
pub(super) fn granted(rule: &Rule) -> Vec<&str> {
    let Effect::Grant { entitlements, .. } = &rule.effect else {
        return Vec::new();
    };
    let mut names: Vec<&str> = entitlements
        .iter()
        .map(|e| e.entitlement.as_str())
        .collect();
    names.dedup();
    names
}

/// The sensitive entitlements a grant rule gives.
pub(super) fn sensitive_granted<'a>(cx: &Context<'_>, rule: &'a Rule) -> Vec<&'a str> {
    granted(rule)
        .into_iter()
        .filter(|e| cx.is_sensitive(e))
        .collect()
}

/// "`a`", "`a` and `b`", "`a`, `b` and `c`".
pub(super) fn list<S: AsRef<str>>(names: &[S]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{}`", n.as_ref())).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

/// The deny rules that can take `entitlement` away: its denies and the
/// `denies everything` rules, ascending.
pub(super) fn denies_for(cx: &Context<'_>, entitlement: &str) -> Vec<usize> {
    let mut denies: Vec<usize> = cx.denies_of.get(entitlement).cloned().unwrap_or_default();
    denies.extend(cx.deny_everything.iter().copied());
    denies.sort_unstable();
    denies.dedup();
    denies
}

/// The granted entitlements of rule `index` grouped by the set of deny rules
/// that can take them away, so that one search covers each group.
pub(super) fn by_deny_set<'a>(
    cx: &Context<'_>,
    rule: &'a Rule,
) -> BTreeMap<Vec<usize>, Vec<&'a str>> {
    let mut groups: BTreeMap<Vec<usize>, Vec<&'a str>> = BTreeMap::new();
    for entitlement in granted(rule) {
        groups
            .entry(denies_for(cx, entitlement))
            .or_default()
            .push(entitlement);
    }
    groups
}

/// A search for an identity that makes every condition of `required` true
/// and every deny of `denies` (active as of `at`) false, that is: the grant
/// holds and no deny applies (a deny applies when its condition is true or
/// unknown). `solver` is `cx.solver` or one with more constants.
///
/// One conjunction, `not` of each deny (true exactly when the deny is
/// false), so that the solver prunes on a single truth.
pub(super) fn search_undenied(
    cx: &Context<'_>,
    solver: &crate::solver::Solver,
    required: &[&Condition],
    denies: &[usize],
) -> Search {
    let mut all: Vec<Condition> = required.iter().map(|&c| c.clone()).collect();
    all.extend(denies.iter().map(|&d| Condition::Not {
        not: Box::new(cx.active_condition(d).clone()),
    }));
    solver.satisfiable(&Condition::And { all })
}

/// Whether the decision gives `entitlement` (granted or pending approval)
/// through rule `rule`.
pub(super) fn holds(decision: &Decision, entitlement: &str, rule: &str) -> bool {
    decision
        .entitlement(entitlement)
        .is_some_and(|e| e.reasons.iter().any(|r| &*r.rule == rule))
}

/// `attribute is value` for one value, `attribute in {values}` otherwise.
pub(super) fn is_one_of(attribute: &str, values: &[String]) -> Condition {
    let mut values: Vec<grantline_ir::Value> = values
        .iter()
        .map(|v| grantline_ir::Value::Text(v.clone()))
        .collect();
    match (values.pop(), values.is_empty()) {
        (Some(value), true) => Condition::Is {
            attribute: attribute.to_string(),
            value,
        },
        (Some(value), false) => {
            values.push(value);
            Condition::In {
                attribute: attribute.to_string(),
                values,
            }
        }
        (None, _) => Condition::Not {
            not: Box::new(Condition::True),
        },
    }
}

/// A solver whose regions also tell apart the constants of `extra`
/// (conditions the rule adds to its questions, such as a comparison with
/// the day of `at`).
pub(super) fn solver_with(cx: &Context<'_>, extra: &[&Condition]) -> crate::solver::Solver {
    let actives = (0..cx.policy.rules.len()).map(|i| cx.active_condition(i));
    crate::solver::Solver::new(cx.policy, actives.chain(extra.iter().copied()))
}

/// The entitlements of `wanted` that the evaluator gives `identity` at `at`
/// through rule `rule`, with the identity as a witness (confirmed by
/// [`Context::confirm`]); `None` if it holds none of them.
pub(super) fn held<'a>(
    cx: &Context<'_>,
    identity: serde_json::Map<String, serde_json::Value>,
    wanted: &[&'a str],
    rule: &str,
) -> Option<(Witness, Vec<&'a str>)> {
    let holding: RefCell<Vec<&'a str>> = RefCell::new(Vec::new());
    let witness = cx.confirm(identity, |decision| {
        let mut holding = holding.borrow_mut();
        holding.clear();
        holding.extend(wanted.iter().copied().filter(|e| holds(decision, e, rule)));
        holding.sort_unstable();
        !holding.is_empty()
    })?;
    Some((witness, holding.into_inner()))
}

/// For each value-set or text attribute that a top-level conjunct of
/// `condition` tests with `is` or `in`, the values it allows: when the
/// condition is true, the attribute is present with one of them.
fn required_values<'c>(condition: &'c Condition, out: &mut HashMap<&'c str, Vec<&'c str>>) {
    let mut narrow = |attribute: &'c str, values: Vec<&'c str>| {
        let entry = out.entry(attribute).or_insert_with(|| values.clone());
        entry.retain(|v| values.contains(v));
    };
    match condition {
        Condition::And { all } => {
            for item in all {
                required_values(item, out);
            }
        }
        Condition::Is {
            attribute,
            value: Value::Text(text),
        } => narrow(attribute, vec![text.as_str()]),
        Condition::In { attribute, values } => narrow(
            attribute,
            values
                .iter()
                .filter_map(|v| match v {
                    Value::Text(text) => Some(text.as_str()),
                    _ => None,
                })
                .collect(),
        ),
        _ => {}
    }
}

/// The denies of `denies` that may apply when every condition of `required`
/// is true: a deny with a top-level conjunct `A is v`/`A in {..}` that no
/// value allowed by `required` for `A` satisfies is false then (the
/// attribute is present, so the conjunct is false, not unknown), and is
/// left out. Only a shortcut for the solver: what is left out is proved
/// not to apply.
pub(super) fn relevant_denies(
    cx: &Context<'_>,
    required: &[&Condition],
    denies: &[usize],
) -> Vec<usize> {
    let mut allowed: HashMap<&str, Vec<&str>> = HashMap::new();
    for condition in required {
        required_values(condition, &mut allowed);
    }
    denies
        .iter()
        .copied()
        .filter(|&d| {
            let mut own: HashMap<&str, Vec<&str>> = HashMap::new();
            required_values(cx.active_condition(d), &mut own);
            !own.iter().any(|(attribute, values)| {
                allowed
                    .get(attribute)
                    .is_some_and(|ok| !ok.iter().any(|v| values.contains(v)))
            })
        })
        .collect()
}

/// An identity that makes every condition of `required` true and still
/// holds some entitlements of grant rule `rule` through it, as a witness
/// confirmed by the evaluator, with the entitlements it holds (sorted);
/// `None` when the solver finds none or the evaluator does not confirm it.
///
/// The first search avoids every deny that can take one of the rule's
/// entitlements away (so the witness usually holds all of them); if that is
/// impossible, one search per set of denies, until a witness is found.
pub(super) fn surviving<'a>(
    cx: &Context<'_>,
    solver: &crate::solver::Solver,
    required: &[&Condition],
    rule: &'a Rule,
) -> Option<(Witness, Vec<&'a str>)> {
    let granted = granted(rule);
    let groups = by_deny_set(cx, rule);
    let mut every: Vec<usize> = groups.keys().flatten().copied().collect();
    every.sort_unstable();
    every.dedup();
    let every = relevant_denies(cx, required, &every);
    match search_undenied(cx, solver, required, &every) {
        Search::Found(identity) => {
            if let Some(found) = held(cx, identity, &granted, &rule.name) {
                return Some(found);
            }
        }
        // Nobody at all: no deny can change that.
        Search::Impossible if every.is_empty() => return None,
        Search::Impossible | Search::Undecided => {}
    }
    for (denies, entitlements) in groups {
        let denies = relevant_denies(cx, required, &denies);
        if denies == every {
            continue;
        }
        let Search::Found(identity) = search_undenied(cx, solver, required, &denies) else {
            continue;
        };
        if let Some(found) = held(cx, identity, &entitlements, &rule.name) {
            return Some(found);
        }
    }
    None
}
