//! ## What it catches
//!
//! Two or more rules that grant the same entitlements, with the same time
//! window and approval, and whose conditions are the same except for the
//! value of one attribute. The value may stand alone (`department is Sales`
//! against `department is Marketing`) or sit anywhere inside `and` and `or`
//! (but not under `not`); a value list (`country in {US, CA}`) counts as a
//! value too.
//!
//! ## Why it matters
//!
//! One rule per department, country or team is how policies explode: every
//! new department means another copy, a change to what they get must be
//! made in every copy, and sooner or later one copy is forgotten. A single
//! rule with `ATTRIBUTE in {…}` says the same thing once, and a review sees
//! at a glance who gets the access.
//!
//! ## Example
//!
//! ```grantline
//! rule sales-hubspot:
//!     active in Sales
//!     grants hubspot
//!
//! rule marketing-hubspot:
//!     active in Marketing
//!     grants hubspot
//! ```
//!
//! ## How to fix
//!
//! Merge the rules into one whose condition lists the values, keep the
//! grants, window and approval, and delete the copies:
//!
//! ```grantline
//! rule go-to-market-hubspot:
//!     active in Sales or Marketing
//!     grants hubspot
//! ```
//!
//! The merged rule grants exactly what the copies granted together: the
//! differing value is only ever combined with `and` and `or`, so listing the
//! values in one `in {…}` matches the same people.

use std::collections::{HashMap, HashSet};

use grantline_ir::{AttributeKind, Condition, Effect, Value};

use super::{count, name_list};
use crate::context::Context;
use crate::finding::Finding;
use crate::registry::{Group, Rule, RuleInfo};
use grantline_syntax::Severity;

pub(crate) static INFO: RuleInfo = RuleInfo {
    code: "GL101",
    name: "similar-grants",
    group: Group::RoleExplosion,
    severity: Severity::Warning,
    needs_population: false,
    source: include_str!("gl101_similar_grants.rs"),
};

pub(crate) struct SimilarGrants;

/// One rule of a group: its index and the path (child indices through
/// `and`/`or`) to the leaf whose value differs.
struct Member {
    rule: usize,
    path: Vec<usize>,
}

impl Rule for SimilarGrants {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        // Group every (grant rule, value leaf) by the rule's normalized form
        // with that leaf's value blanked out.
        let mut groups: HashMap<String, Vec<Member>> = HashMap::new();
        let mut order: Vec<String> = Vec::new();
        for (index, rule) in cx.policy.rules.iter().enumerate() {
            let Effect::Grant { entitlements, .. } = &rule.effect else {
                continue;
            };
            let names: Vec<&str> = entitlements
                .iter()
                .map(|e| e.entitlement.as_str())
                .collect();
            let prefix = format!("{names:?}|{:?}|{:?}|", rule.window, rule.approval);
            let mut paths = Vec::new();
            value_leaves(&rule.condition, &mut Vec::new(), &mut paths);
            for path in paths {
                let mut key = prefix.clone();
                canonical(&rule.condition, Some(&path), &mut key);
                let members = groups.entry(key).or_insert_with_key(|key| {
                    order.push(key.clone());
                    Vec::new()
                });
                if members.last().map(|m| m.rule) != Some(index) {
                    members.push(Member { rule: index, path });
                }
            }
        }

        // Keep the groups whose members differ in value, dropping exact
        // copies (another rule's business), largest groups first.
        let mut candidates: Vec<(usize, Vec<Member>)> = Vec::new();
        for (position, key) in order.iter().enumerate() {
            let Some(members) = groups.remove(key) else {
                continue;
            };
            if members.len() < 2 {
                continue;
            }
            let mut seen = HashSet::new();
            let distinct: Vec<Member> = members
                .into_iter()
                .filter(|m| seen.insert(leaf_key(cx, m)))
                .collect();
            if distinct.len() >= 2 {
                candidates.push((position, distinct));
            }
        }
        candidates.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));

        // Each rule is reported once, in the largest group it belongs to.
        let mut claimed: HashSet<usize> = HashSet::new();
        for (_, members) in candidates {
            let members: Vec<Member> = members
                .into_iter()
                .filter(|m| !claimed.contains(&m.rule))
                .collect();
            if members.len() < 2 {
                continue;
            }
            if let Some(finding) = report(cx, &members) {
                claimed.extend(members.iter().map(|m| m.rule));
                out.push(finding);
            }
        }
    }
}

fn report(cx: &Context<'_>, members: &[Member]) -> Option<Finding> {
    let first = members.first()?;
    let rule = cx.rule(first.rule)?;
    let (attribute, _) = leaf(leaf_at(&rule.condition, &first.path)?)?;
    let Effect::Grant { targets, .. } = &rule.effect else {
        return None;
    };

    // The union of the values, in declaration order for a value set.
    let mut values: Vec<Value> = Vec::new();
    for member in members {
        let condition = &cx.rule(member.rule)?.condition;
        let (_, leaf_values) = leaf(leaf_at(condition, &member.path)?)?;
        for value in leaf_values {
            if !values.contains(value) {
                values.push(value.clone());
            }
        }
    }
    let declared = cx.attributes.get(attribute).and_then(|a| match &a.kind {
        AttributeKind::Values { values } => Some(values),
        _ => None,
    });
    if let Some(declared) = declared {
        values.sort_by_key(|v| match v {
            Value::Text(text) => declared.iter().position(|d| d == text),
            _ => None,
        });
    }
    let merged_leaf = Condition::In {
        attribute: attribute.to_string(),
        values: values.clone(),
    };
    let merged = replace_at(&rule.condition, &first.path, &merged_leaf);

    let names: Vec<&str> = members
        .iter()
        .filter_map(|m| cx.rule(m.rule).map(|r| r.name.as_str()))
        .collect();
    let granted: Vec<String> = targets.iter().map(ToString::to_string).collect();
    let shown: Vec<String> = values.iter().map(ToString::to_string).collect();
    let mut message = format!(
        "rules {} grant {} alike (same window and approval) and differ only in the value of `{attribute}` ({})",
        name_list(&names, 6),
        name_list(&granted, 4),
        shown.join(", "),
    );
    if let Some(declared) = declared {
        if values.len() == declared.len() {
            message.push_str(&format!(
                "; together they cover every value of `{attribute}`"
            ));
        }
    }
    let mut help = format!(
        "merge the {} into one rule with the same grants, window and approval and the condition `where {merged}`, then delete the others",
        count(names.len(), "rule", "rules"),
    );
    if declared.is_some_and(|d| values.len() == d.len()) {
        help.push_str(&format!(
            "; as the values cover all of `{attribute}`, the test on it can go altogether if every identity has a `{attribute}`"
        ));
    }
    let mut finding = Finding::new(&INFO, message).at(&rule.source).help(help);
    for member in members.iter().skip(1) {
        let Some(other) = cx.rule(member.rule) else {
            continue;
        };
        let label = match leaf_at(&other.condition, &member.path) {
            Some(leaf) => format!("similar rule `{}`: {leaf}", other.name),
            None => format!("similar rule `{}`", other.name),
        };
        finding = finding.related(label, &other.source);
    }
    Some(finding)
}

/// The paths of the value leaves (`is`, `in`) reachable through `and` and
/// `or` only: replacing such a leaf by the union of values is exact.
fn value_leaves(condition: &Condition, path: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
    match condition {
        Condition::And { all: items } | Condition::Or { any: items } => {
            for (i, item) in items.iter().enumerate() {
                path.push(i);
                value_leaves(item, path, out);
                path.pop();
            }
        }
        Condition::Is { .. } | Condition::In { .. } => out.push(path.clone()),
        _ => {}
    }
}

fn leaf_at<'c>(condition: &'c Condition, path: &[usize]) -> Option<&'c Condition> {
    match path.split_first() {
        None => Some(condition),
        Some((i, rest)) => match condition {
            Condition::And { all: items } | Condition::Or { any: items } => {
                leaf_at(items.get(*i)?, rest)
            }
            _ => None,
        },
    }
}

/// The attribute and values of an `is` or `in` leaf.
fn leaf(condition: &Condition) -> Option<(&str, &[Value])> {
    match condition {
        Condition::Is { attribute, value } => Some((attribute, std::slice::from_ref(value))),
        Condition::In { attribute, values } => Some((attribute, values)),
        _ => None,
    }
}

/// The values of a member's leaf, normalized, to tell copies apart.
fn leaf_key(cx: &Context<'_>, member: &Member) -> String {
    let mut key = String::new();
    if let Some(condition) = cx
        .rule(member.rule)
        .and_then(|r| leaf_at(&r.condition, &member.path))
    {
        canonical(condition, None, &mut key);
    }
    key
}

fn replace_at(condition: &Condition, path: &[usize], with: &Condition) -> Condition {
    let Some((i, rest)) = path.split_first() else {
        return with.clone();
    };
    let replace = |items: &[Condition]| -> Vec<Condition> {
        items
            .iter()
            .enumerate()
            .map(|(j, item)| {
                if j == *i {
                    replace_at(item, rest, with)
                } else {
                    item.clone()
                }
            })
            .collect()
    };
    match condition {
        Condition::And { all } => Condition::And { all: replace(all) },
        Condition::Or { any } => Condition::Or { any: replace(any) },
        other => other.clone(),
    }
}

/// A normal form of `condition` (operands of `and` and `or` sorted), with
/// the value of the leaf at `blank` left out.
fn canonical(condition: &Condition, blank: Option<&[usize]>, out: &mut String) {
    let here = blank.is_some_and(|p| p.is_empty());
    match condition {
        Condition::True => out.push('T'),
        Condition::And { all: items } | Condition::Or { any: items } => {
            let mut parts: Vec<String> = items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let inner = blank
                        .and_then(|p| p.split_first())
                        .filter(|(first, _)| **first == i)
                        .map(|(_, rest)| rest);
                    let mut part = String::new();
                    canonical(item, inner, &mut part);
                    part
                })
                .collect();
            parts.sort_unstable();
            out.push(if matches!(condition, Condition::And { .. }) {
                '&'
            } else {
                '|'
            });
            out.push('(');
            out.push_str(&parts.join(","));
            out.push(')');
        }
        Condition::Not { not } => {
            out.push_str("!(");
            canonical(not, None, out);
            out.push(')');
        }
        Condition::Is { attribute, .. } | Condition::In { attribute, .. } if here => {
            out.push_str(&format!("?{attribute:?}"));
        }
        Condition::Is { attribute, value } => {
            out.push_str(&format!("is{attribute:?}={}", value_key(value)));
        }
        Condition::In { attribute, values } => {
            let mut keys: Vec<String> = values.iter().map(value_key).collect();
            keys.sort_unstable();
            keys.dedup();
            if let [single] = keys.as_slice() {
                out.push_str(&format!("is{attribute:?}={single}"));
            } else {
                out.push_str(&format!("is{attribute:?}={{{}}}", keys.join(",")));
            }
        }
        Condition::Flag { attribute } => out.push_str(&format!("flag{attribute:?}")),
        Condition::Check { check } => out.push_str(&format!("check{check:?}")),
        Condition::Present { attribute } => out.push_str(&format!("with{attribute:?}")),
        Condition::Compare {
            attribute,
            cmp,
            value,
        } => out.push_str(&format!(
            "cmp{attribute:?}{}{}",
            cmp.as_str(),
            value_key(value)
        )),
        Condition::Contains { attribute, value } => {
            out.push_str(&format!("has{attribute:?}={}", value_key(value)));
        }
    }
}

fn value_key(value: &Value) -> String {
    match value {
        Value::Text(text) => format!("{text:?}"),
        Value::Number(n) => format!("#{n:?}"),
        Value::Date(d) => format!("@{d}"),
    }
}
