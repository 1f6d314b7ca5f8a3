//! GL1xx: rules and roles multiplying instead of generalizing.

mod gl101_similar_grants;
mod gl102_duplicate_roles;
mod gl103_near_duplicate_roles;
mod gl104_unused_role;
mod gl105_unused_entitlement;
mod gl106_too_many_grantors;

use std::collections::HashMap;

use grantline_ir::{Effect, PolicySet, Target};

use crate::registry::Rule;

pub(crate) fn rules() -> Vec<&'static dyn Rule> {
    vec![
        &gl101_similar_grants::SimilarGrants,
        &gl102_duplicate_roles::DuplicateRoles,
        &gl103_near_duplicate_roles::NearDuplicateRoles,
        &gl104_unused_role::UnusedRole,
        &gl105_unused_entitlement::UnusedEntitlement,
        &gl106_too_many_grantors::TooManyGrantors,
    ]
}

/// Where a role is named: by rules (grant or deny), separations and other
/// roles, as indices into the policy set's lists, ascending.
#[derive(Debug, Default)]
pub(super) struct RoleUses {
    pub(super) grants: Vec<usize>,
    pub(super) denies: Vec<usize>,
    pub(super) separations: Vec<usize>,
    pub(super) roles: Vec<usize>,
}

impl RoleUses {
    pub(super) fn is_unused(&self) -> bool {
        self.grants.is_empty()
            && self.denies.is_empty()
            && self.separations.is_empty()
            && self.roles.is_empty()
    }
}

/// The places that name each role directly (not through another role).
pub(super) fn role_uses(policy: &PolicySet) -> HashMap<&str, RoleUses> {
    let mut uses: HashMap<&str, RoleUses> = HashMap::new();
    for (index, rule) in policy.rules.iter().enumerate() {
        let (targets, deny) = match &rule.effect {
            Effect::Grant { targets, .. } => (targets, false),
            Effect::Deny { targets, .. } => (targets, true),
            Effect::DenyEverything => continue,
        };
        for target in targets {
            if let Target::Role(name) = target {
                let entry = uses.entry(name.as_str()).or_default();
                let list = if deny {
                    &mut entry.denies
                } else {
                    &mut entry.grants
                };
                if list.last() != Some(&index) {
                    list.push(index);
                }
            }
        }
    }
    for (index, separation) in policy.separations.iter().enumerate() {
        for target in [&separation.left, &separation.right] {
            if let Target::Role(name) = target {
                let list = &mut uses.entry(name.as_str()).or_default().separations;
                if list.last() != Some(&index) {
                    list.push(index);
                }
            }
        }
    }
    for (index, role) in policy.roles.iter().enumerate() {
        for member in &role.members {
            if let Target::Role(name) = member {
                let list = &mut uses.entry(name.as_str()).or_default().roles;
                if list.last() != Some(&index) {
                    list.push(index);
                }
            }
        }
    }
    uses
}

/// `` `a` ``, `` `a` and `b` ``, `` `a`, `b` and `c` ``; at most `limit`
/// names, then "and N more".
pub(super) fn name_list<S: AsRef<str>>(names: &[S], limit: usize) -> String {
    let quoted: Vec<String> = names
        .iter()
        .take(limit)
        .map(|n| format!("`{}`", n.as_ref()))
        .collect();
    let rest = names.len().saturating_sub(limit);
    if rest > 0 {
        return format!("{} and {rest} more", quoted.join(", "));
    }
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, init)) => format!("{} and {last}", init.join(", ")),
    }
}

/// "1 rule", "3 rules".
pub(super) fn count(n: usize, singular: &str, plural: &str) -> String {
    if n == 1 {
        format!("{n} {singular}")
    } else {
        format!("{n} {plural}")
    }
}
