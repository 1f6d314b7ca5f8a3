//! ## What it catches
//!
//! Two roles whose entitlements (included roles expanded) differ by exactly
//! one: one role has one entitlement more than the other, or each has one
//! that the other lacks. Roles that share fewer than two entitlements, and a
//! role that includes the other (`role b: role a, x`), are not reported.
//!
//! ## Why it matters
//!
//! A copy of a role with one entitlement added or swapped is usually a
//! variant made for one team instead of a composition of roles. The copies
//! drift apart when the shared part changes in one and not the other, and
//! every reviewer has to diff them by hand to see what really differs.
//!
//! ## Example
//!
//! ```grantline
//! role sales-rep: salesforce.user, gong, docusign.sender
//! role emea-sales-rep: salesforce.user, gong, docusign.sender, zoominfo
//! ```
//!
//! ## How to fix
//!
//! Say what the variant adds by including the base role:
//!
//! ```grantline
//! role emea-sales-rep: role sales-rep, zoominfo
//! ```
//!
//! When each role has one entitlement the other lacks, put the shared
//! entitlements in a base role that both include. If the difference is an
//! accident, merge the two roles.

use std::collections::{HashMap, HashSet};

use grantline_ir::{Role, Target};

use super::{count, name_list};
use crate::context::Context;
use crate::finding::Finding;
use crate::registry::{Group, Rule, RuleInfo};
use grantline_syntax::Severity;

pub(crate) static INFO: RuleInfo = RuleInfo {
    code: "GL103",
    name: "near-duplicate-roles",
    group: Group::RoleExplosion,
    severity: Severity::Info,
    needs_population: false,
    source: include_str!("gl103_near_duplicate_roles.rs"),
};

pub(crate) struct NearDuplicateRoles;

/// Roles reported against one later role, at most.
const PER_ROLE: usize = 3;
/// The least number of shared entitlements for two roles to be compared.
const MIN_SHARED: usize = 2;

/// How a later role differs from an earlier one.
enum Difference<'a> {
    /// The later role has this entitlement more.
    Adds(&'a str),
    /// The later role lacks this entitlement of the earlier one.
    Lacks(&'a str),
    /// The later role has the first instead of the second.
    Swaps(&'a str, &'a str),
}

fn without(set: &[String], skip: usize) -> Vec<&str> {
    set.iter()
        .enumerate()
        .filter(|(i, _)| *i != skip)
        .map(|(_, e)| e.as_str())
        .collect()
}

impl Rule for NearDuplicateRoles {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let roles = &cx.policy.roles;
        // Each set, and each set minus one entitlement, to the roles.
        let mut whole: HashMap<Vec<&str>, Vec<usize>> = HashMap::new();
        let mut minus_one: HashMap<Vec<&str>, Vec<(usize, &str)>> = HashMap::new();
        for (index, role) in roles.iter().enumerate() {
            let set = &role.entitlements;
            if set.len() < MIN_SHARED {
                continue;
            }
            whole
                .entry(set.iter().map(String::as_str).collect())
                .or_default()
                .push(index);
            if set.len() > MIN_SHARED {
                for (i, removed) in set.iter().enumerate() {
                    minus_one
                        .entry(without(set, i))
                        .or_default()
                        .push((index, removed.as_str()));
                }
            }
        }

        for (later, role) in roles.iter().enumerate() {
            let set = &role.entitlements;
            if set.len() < MIN_SHARED {
                continue;
            }
            let mut found: Vec<(usize, Difference<'_>)> = Vec::new();
            let mut seen: HashSet<usize> = HashSet::new();
            let mut add = |earlier: usize, difference| {
                if earlier < later && found.len() < PER_ROLE && seen.insert(earlier) {
                    found.push((earlier, difference));
                }
            };
            // The earlier role has one entitlement less.
            if set.len() > MIN_SHARED {
                for (i, extra) in set.iter().enumerate() {
                    for &earlier in whole.get(&without(set, i)).into_iter().flatten() {
                        add(earlier, Difference::Adds(extra));
                    }
                }
            }
            // The earlier role has one entitlement more.
            let full: Vec<&str> = set.iter().map(String::as_str).collect();
            for &(earlier, missing) in minus_one.get(&full).into_iter().flatten() {
                add(earlier, Difference::Lacks(missing));
            }
            // Each has one the other lacks.
            if set.len() > MIN_SHARED {
                for (i, mine) in set.iter().enumerate() {
                    for &(earlier, theirs) in minus_one.get(&without(set, i)).into_iter().flatten()
                    {
                        if theirs != mine {
                            add(earlier, Difference::Swaps(mine, theirs));
                        }
                    }
                }
            }
            for (earlier, difference) in found {
                let Some(other) = roles.get(earlier) else {
                    continue;
                };
                let composed = match difference {
                    Difference::Adds(_) => includes(&cx.roles, role, &other.name),
                    Difference::Lacks(_) => includes(&cx.roles, other, &role.name),
                    Difference::Swaps(..) => false,
                };
                if !composed {
                    out.push(finding(role, other, &difference));
                }
            }
        }
    }
}

fn finding(role: &Role, other: &Role, difference: &Difference<'_>) -> Finding {
    let (name, base) = (&role.name, &other.name);
    let (message, help) = match difference {
        Difference::Adds(extra) => (
            format!(
                "role `{name}` is role `{base}` plus `{extra}`: it repeats all {} of `{base}`",
                count(other.entitlements.len(), "entitlement", "entitlements"),
            ),
            format!(
                "if `{name}` extends `{base}`, declare it as `role {name}: role {base}, {extra}` so that it follows changes to `{base}`; if the difference is an accident, merge the two roles"
            ),
        ),
        Difference::Lacks(missing) => (
            format!(
                "role `{name}` is role `{base}` without `{missing}`: `{base}` repeats all {} of `{name}`",
                count(role.entitlements.len(), "entitlement", "entitlements"),
            ),
            format!(
                "if `{base}` extends `{name}`, declare it as `role {base}: role {name}, {missing}` so that it follows changes to `{name}`; if the difference is an accident, merge the two roles"
            ),
        ),
        Difference::Swaps(mine, theirs) => {
            let shared: Vec<&String> = role
                .entitlements
                .iter()
                .filter(|e| e.as_str() != *mine)
                .collect();
            (
                format!(
                    "role `{name}` is role `{base}` with `{mine}` instead of `{theirs}`: their other {} are the same",
                    count(shared.len(), "entitlement", "entitlements"),
                ),
                format!(
                    "put the shared entitlements ({}) in a base role, then declare `role {base}: role BASE, {theirs}` and `role {name}: role BASE, {mine}`; if the difference is an accident, merge the two roles",
                    name_list(&shared, 4),
                ),
            )
        }
    };
    Finding::new(&INFO, message)
        .at(&role.source)
        .related(format!("role `{base}` declared here"), &other.source)
        .help(help)
}

/// Whether `role` includes the role `name`, directly or through others.
fn includes(roles: &HashMap<&str, &Role>, role: &Role, name: &str) -> bool {
    let mut stack: Vec<&Role> = vec![role];
    let mut visited: HashSet<&str> = HashSet::new();
    while let Some(current) = stack.pop() {
        for member in &current.members {
            let Target::Role(included) = member else {
                continue;
            };
            if included == name {
                return true;
            }
            if visited.insert(included.as_str()) {
                if let Some(next) = roles.get(included.as_str()) {
                    stack.push(next);
                }
            }
        }
    }
    false
}
