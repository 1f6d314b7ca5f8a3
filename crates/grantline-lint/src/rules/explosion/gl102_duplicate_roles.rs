//! ## What it catches
//!
//! Two or more roles that bundle exactly the same entitlements, once
//! included roles are expanded. The finding is at the second role of each
//! such group and points at the first.
//!
//! ## Why it matters
//!
//! Two names for one bundle invite drift: someone adds an entitlement to one
//! and not the other, and people who do the same job end up with different
//! access depending on which rule granted them. Reviewers also have to check
//! both roles to learn that they are the same.
//!
//! ## Example
//!
//! ```grantline
//! role sales-rep: salesforce.user, gong
//! role account-executive: gong, salesforce.user
//! ```
//!
//! ## How to fix
//!
//! Keep one role, replace `role account-executive` by `role sales-rep` in
//! every rule, role and separation that names it, and delete it. If the two
//! are meant to diverge later, suppress the finding with a comment that says
//! so (`# lint: allow GL102 -- reason`).

use std::collections::HashMap;

use super::{count, name_list, role_uses};
use crate::context::Context;
use crate::finding::Finding;
use crate::registry::{Group, Rule, RuleInfo};
use grantline_syntax::Severity;

pub(crate) static INFO: RuleInfo = RuleInfo {
    code: "GL102",
    name: "duplicate-roles",
    group: Group::RoleExplosion,
    severity: Severity::Warning,
    needs_population: false,
    source: include_str!("gl102_duplicate_roles.rs"),
};

pub(crate) struct DuplicateRoles;

impl Rule for DuplicateRoles {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let roles = &cx.policy.roles;
        let mut groups: HashMap<&[String], Vec<usize>> = HashMap::new();
        for (index, role) in roles.iter().enumerate() {
            if !role.entitlements.is_empty() {
                groups
                    .entry(role.entitlements.as_slice())
                    .or_default()
                    .push(index);
            }
        }
        let mut groups: Vec<Vec<usize>> = groups.into_values().filter(|g| g.len() > 1).collect();
        if groups.is_empty() {
            return;
        }
        groups.sort();
        let uses = role_uses(cx.policy);
        for group in groups {
            let members: Vec<_> = group.iter().filter_map(|&i| roles.get(i)).collect();
            let [first, second, rest @ ..] = members.as_slice() else {
                continue;
            };
            let others: Vec<&str> = members.iter().skip(1).map(|r| r.name.as_str()).collect();
            let bundled = count(first.entitlements.len(), "entitlement", "entitlements");
            let message = format!(
                "{} {} {} the same {bundled} as role `{}`: {}",
                if others.len() == 1 { "role" } else { "roles" },
                name_list(&others, 6),
                if others.len() == 1 {
                    "bundles"
                } else {
                    "bundle"
                },
                first.name,
                name_list(&first.entitlements, 5),
            );
            let mut named = Vec::new();
            for role in members.iter().skip(1) {
                let n = uses.get(role.name.as_str()).map_or(0, |u| {
                    u.grants.len() + u.denies.len() + u.separations.len() + u.roles.len()
                });
                named.push(format!(
                    "`role {}` ({} in rules, roles and separations)",
                    role.name,
                    count(n, "use", "uses")
                ));
            }
            let help = format!(
                "keep `{}`: name `role {}` instead of {}, then delete {}; if they are meant to diverge, say why with `# lint: allow GL102 -- reason`",
                first.name,
                first.name,
                named.join(" and "),
                if others.len() == 1 { "the duplicate" } else { "the duplicates" },
            );
            let mut finding = Finding::new(&INFO, message)
                .at(&second.source)
                .help(help)
                .related(
                    format!("role `{}` declared here", first.name),
                    &first.source,
                );
            for role in rest {
                finding = finding.related(format!("also identical: `{}`", role.name), &role.source);
            }
            out.push(finding);
        }
    }
}
