//! ## What it catches
//!
//! A role that no rule grants or denies, no separation of duties names and
//! no other role includes.
//!
//! ## Why it matters
//!
//! An unused role gives nobody anything, yet it looks like part of the
//! access model: reviewers read it, owners maintain it, and someone may
//! assume people hold it. Unused roles are usually left over from a rule
//! that was deleted or rewritten, or are a typo'd copy of a role that is
//! used.
//!
//! ## Example
//!
//! ```grantline
//! role sales-rep: salesforce.user, gong
//! role sales-rep-legacy: salesforce.user, gong, zoominfo   # named nowhere
//!
//! rule sales-team:
//!     active in Sales
//!     grants role sales-rep
//! ```
//!
//! ## How to fix
//!
//! Delete the role, or use it: grant it in a rule (`grants role NAME`),
//! include it in another role, or name it in a deny or a separation. A role
//! that exists only so that denies can name a family of entitlements is
//! used as soon as a deny names it.

use super::{count, name_list, role_uses};
use crate::context::Context;
use crate::finding::Finding;
use crate::registry::{Group, Rule, RuleInfo};
use grantline_syntax::Severity;

pub(crate) static INFO: RuleInfo = RuleInfo {
    code: "GL104",
    name: "unused-role",
    group: Group::RoleExplosion,
    severity: Severity::Warning,
    needs_population: false,
    source: include_str!("gl104_unused_role.rs"),
};

pub(crate) struct UnusedRole;

impl Rule for UnusedRole {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let uses = role_uses(cx.policy);
        for role in &cx.policy.roles {
            if !uses.get(role.name.as_str()).is_none_or(|u| u.is_unused()) {
                continue;
            }
            let included: Vec<&str> = role
                .members
                .iter()
                .filter_map(|m| match m {
                    grantline_ir::Target::Role(name) => Some(name.as_str()),
                    grantline_ir::Target::Entitlement(_) => None,
                })
                // Included roles used nowhere else.
                .filter(|name| {
                    uses.get(name).is_some_and(|u| {
                        u.grants.is_empty()
                            && u.denies.is_empty()
                            && u.separations.is_empty()
                            && u.roles.len() == 1
                    })
                })
                .collect();
            let mut message = format!(
                "role `{}` is not granted or denied by any rule, named by any separation or included in another role: its {} ({}) reach nobody through it",
                role.name,
                count(role.entitlements.len(), "entitlement", "entitlements"),
                name_list(&role.entitlements, 4),
            );
            if !included.is_empty() {
                message.push_str(&format!(
                    "; {} only by it, and unused once it is gone",
                    if included.len() == 1 {
                        format!("role {} is included", name_list(&included, 4))
                    } else {
                        format!("roles {} are included", name_list(&included, 4))
                    }
                ));
            }
            let help = format!(
                "delete role `{}`, or grant it where it is meant to apply (`grants role {}`)",
                role.name, role.name
            );
            out.push(Finding::new(&INFO, message).at(&role.source).help(help));
        }
    }
}
