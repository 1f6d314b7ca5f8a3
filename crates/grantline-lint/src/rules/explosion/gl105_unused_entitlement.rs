//! ## What it catches
//!
//! An entitlement of the catalogue that no rule grants, neither by name nor
//! through a role. An entitlement that is only denied, or only named in a
//! separation of duties, is unused too: a deny or a separation protects an
//! access that nobody is given.
//!
//! ## Why it matters
//!
//! The catalogue is the list of what the policy set manages. An entitlement
//! that nothing grants is either an application that is gone (and should
//! leave the catalogue, its owner and its reviews) or a grant that was
//! forgotten, in which case people get the access by hand, outside the
//! policy, where no review sees it.
//!
//! ## Example
//!
//! ```grantline
//! entitlement hubspot, canva: owner "marketing-ops"
//!
//! rule marketing-team:
//!     active in Marketing
//!     grants hubspot          # canva is granted nowhere
//! ```
//!
//! ## How to fix
//!
//! Grant the entitlement in the rule (or role) that should give it, or
//! delete it from the catalogue together with the denies and separations
//! that name it.

use super::name_list;
use crate::context::Context;
use crate::finding::Finding;
use crate::registry::{Group, Rule, RuleInfo};
use grantline_syntax::Severity;

pub(crate) static INFO: RuleInfo = RuleInfo {
    code: "GL105",
    name: "unused-entitlement",
    group: Group::RoleExplosion,
    severity: Severity::Warning,
    needs_population: false,
    source: include_str!("gl105_unused_entitlement.rs"),
};

pub(crate) struct UnusedEntitlement;

impl Rule for UnusedEntitlement {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for entitlement in &cx.policy.entitlements {
            let name = entitlement.name.as_str();
            if cx.grants_of.contains_key(name) {
                continue;
            }
            let mut notes = Vec::new();

            let deniers: Vec<&str> = cx
                .denies_of
                .get(name)
                .into_iter()
                .flatten()
                .filter_map(|&i| cx.rule(i).map(|r| r.name.as_str()))
                .collect();
            if !deniers.is_empty() {
                notes.push(format!("it is only denied (by {})", name_list(&deniers, 3)));
            }
            let separated = cx
                .policy
                .separations
                .iter()
                .filter(|s| {
                    s.left_entitlements.iter().any(|e| e == name)
                        || s.right_entitlements.iter().any(|e| e == name)
                })
                .count();
            if separated > 0 {
                notes.push(if separated == 1 {
                    "it is named in a separation of duties, which guards nothing while nobody holds it".to_string()
                } else {
                    format!("it is named in {separated} separations of duties, which guard nothing while nobody holds it")
                });
            }
            let in_roles: Vec<&str> = cx
                .policy
                .roles
                .iter()
                .filter(|r| r.entitlements.iter().any(|e| e == name))
                .map(|r| r.name.as_str())
                .collect();
            // Had a rule granted one of these roles, a rule would grant the
            // entitlement: none of them is granted.
            let ungranted_roles = in_roles;
            if !ungranted_roles.is_empty() {
                notes.push(format!(
                    "it is in {} {}, which no rule grants",
                    if ungranted_roles.len() == 1 {
                        "role"
                    } else {
                        "roles"
                    },
                    name_list(&ungranted_roles, 3)
                ));
            }

            let mut message = format!(
                "entitlement `{name}` is in the catalogue but no rule grants it, directly or through a role"
            );
            if !notes.is_empty() {
                message.push_str(": ");
                message.push_str(&notes.join("; "));
            }
            let mut help = format!(
                "grant `{name}` in the rule or role that should give it, or delete it from the catalogue"
            );
            if !deniers.is_empty() || separated > 0 {
                help.push_str(" together with the denies and separations that name it");
            }
            if let Some(owner) = &entitlement.owner {
                help.push_str(&format!(" (ask its owner, \"{owner}\", which is right)"));
            }
            let mut finding = Finding::new(&INFO, message)
                .at(&entitlement.source)
                .help(help);
            for &i in cx.denies_of.get(name).into_iter().flatten().take(3) {
                if let Some(rule) = cx.rule(i) {
                    finding = finding.related(format!("denied by `{}`", rule.name), &rule.source);
                }
            }
            out.push(finding);
        }
    }
}
