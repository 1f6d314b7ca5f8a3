//! ## What it catches
//!
//! A rule that grants a sensitive entitlement without `requires approval`:
//! whoever matches the condition gets it at once, with no person deciding.
//!
//! ## Why it matters
//!
//! Attributes say who *may* need an entitlement, not who does. For admin
//! rights, production access, money and customer or employee data, an
//! approval by the entitlement's owner is the check that the grant is still
//! wanted, and the record that someone took responsibility for it.
//!
//! ## Example
//!
//! ```grantline
//! entitlement okta.admin: sensitive, owner "security-team", at most 30 days
//!
//! rule security-okta-admins:
//!     full-time in Security where groups contains "iam"
//!     grants okta.admin
//!     for 30 days
//! ```
//!
//! ## How to fix
//!
//! Add `requires approval`, naming the approving group when there is one
//! (the entitlement's owner is a good default):
//!
//! ```grantline
//! rule security-okta-admins:
//!     full-time in Security where groups contains "iam"
//!     grants okta.admin
//!     requires approval by "security-team"
//!     for 30 days
//! ```
//!
//! If the grant really is automatic by design (say, read-only access that
//! the catalogue marks sensitive for reviews), silence the finding on the
//! rule with `# lint: allow GL203 -- reason`.

use super::common::{list, sensitive_granted};
use crate::context::Context;
use crate::finding::Finding;
use crate::registry::{Group, Rule, RuleInfo};
use grantline_syntax::Severity;

pub(crate) static INFO: RuleInfo = RuleInfo {
    code: "GL203",
    name: "sensitive-without-approval",
    group: Group::OverProvisioning,
    severity: Severity::Warning,
    needs_population: false,
    source: include_str!("gl203_sensitive_without_approval.rs"),
};

pub(crate) struct SensitiveWithoutApproval;

impl Rule for SensitiveWithoutApproval {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for rule in &cx.policy.rules {
            if rule.approval.is_some() {
                continue;
            }
            let sensitive = sensitive_granted(cx, rule);
            if sensitive.is_empty() {
                continue;
            }
            let mut owners: Vec<&str> = sensitive
                .iter()
                .filter_map(|e| cx.entitlements.get(e)?.owner.as_deref())
                .collect();
            owners.sort_unstable();
            owners.dedup();
            let clause = match owners.as_slice() {
                [owner] => format!("`requires approval by \"{owner}\"` (the owner)"),
                _ => {
                    "`requires approval` (with `by \"GROUP\"` for the approving group)".to_string()
                }
            };
            let what = if sensitive.len() == 1 {
                "sensitive entitlement"
            } else {
                "sensitive entitlements"
            };
            let mut finding = Finding::new(
                &INFO,
                format!(
                    "rule `{}` grants {what} {} without `requires approval`",
                    rule.name,
                    list(&sensitive)
                ),
            )
            .at(&rule.source)
            .help(format!("add {clause} to rule `{}`", rule.name));
            for name in &sensitive {
                if let Some(entitlement) = cx.entitlements.get(name) {
                    finding = finding.related(
                        format!("`{name}` is declared sensitive here"),
                        &entitlement.source,
                    );
                }
            }
            out.push(finding);
        }
    }
}
