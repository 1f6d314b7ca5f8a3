//! ## What it catches
//!
//! An entitlement granted by more rules than `max-grantors` (10 unless
//! `lint.toml` says otherwise), counting rules that grant it through a role.
//!
//! ## Why it matters
//!
//! When many rules hand out the same entitlement, nobody can say from one
//! place who gets it: an access review has to read every rule, and removing
//! the access from a group means finding every rule that gives it. It is
//! usually a sign of per-team rules that repeat the same grants instead of
//! one role or one broader rule.
//!
//! ## Example
//!
//! ```grantline
//! rule sales-zoom:       active in Sales       grants zoom, slack
//! rule marketing-zoom:   active in Marketing   grants zoom, slack
//! rule finance-zoom:     active in Finance     grants zoom, slack
//! # ... and eight more departments
//! ```
//!
//! ## How to fix
//!
//! Bundle the entitlement with what it is granted alongside into a role
//! (`role collaboration: zoom, slack`) and grant the role, or replace the
//! per-group rules by one broader rule (`active in Sales, Marketing or
//! Finance grants zoom, slack`). If many grantors are intended, raise the
//! threshold:
//!
//! ```toml
//! [settings]
//! max-grantors = 20
//! ```

use std::collections::BTreeMap;

use grantline_ir::Effect;

use super::{count, name_list};
use crate::context::Context;
use crate::finding::Finding;
use crate::registry::{Group, Rule, RuleInfo};
use grantline_syntax::Severity;

pub(crate) static INFO: RuleInfo = RuleInfo {
    code: "GL106",
    name: "too-many-grantors",
    group: Group::RoleExplosion,
    severity: Severity::Warning,
    needs_population: false,
    source: include_str!("gl106_too_many_grantors.rs"),
};

pub(crate) struct TooManyGrantors;

/// Rules shown in the message and as related locations.
const SHOWN: usize = 4;

impl Rule for TooManyGrantors {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let max = cx.settings.max_grantors;
        for entitlement in &cx.policy.entitlements {
            let name = entitlement.name.as_str();
            let Some(grantors) = cx.grants_of.get(name) else {
                continue;
            };
            if grantors.len() <= max {
                continue;
            }
            let rules: Vec<_> = grantors.iter().filter_map(|&i| cx.rule(i)).collect();
            let names: Vec<&str> = rules.iter().map(|r| r.name.as_str()).collect();

            // How each rule grants it, and what the direct grantors grant
            // alongside it.
            let mut direct = 0;
            let mut via_roles: BTreeMap<&str, usize> = BTreeMap::new();
            let mut alongside: BTreeMap<&str, usize> = BTreeMap::new();
            for rule in &rules {
                let Effect::Grant { entitlements, .. } = &rule.effect else {
                    continue;
                };
                let Some(this) = entitlements.iter().find(|e| e.entitlement == name) else {
                    continue;
                };
                match this.via.first() {
                    Some(role) => *via_roles.entry(role.as_str()).or_default() += 1,
                    None => {
                        direct += 1;
                        for other in entitlements {
                            if other.entitlement != name {
                                *alongside.entry(other.entitlement.as_str()).or_default() += 1;
                            }
                        }
                    }
                }
            }

            let mut how = Vec::new();
            if direct > 0 {
                how.push(format!("{direct} by name"));
            }
            for (role, n) in &via_roles {
                how.push(format!("{n} through role `{role}`"));
            }
            let message = format!(
                "entitlement `{name}` is granted by {}, more than max-grantors ({max}): {} ({})",
                count(rules.len(), "rule", "rules"),
                name_list(&names, SHOWN),
                how.join(", "),
            );

            let together: Vec<&str> = alongside
                .iter()
                .filter(|(_, n)| direct >= 2 && **n * 2 >= direct)
                .map(|(e, _)| *e)
                .collect();
            let mut bundle: Vec<&str> = vec![name];
            bundle.extend(together.iter().copied());
            bundle.sort_unstable();
            let existing = cx.policy.roles.iter().find(|r| {
                r.entitlements
                    .iter()
                    .map(String::as_str)
                    .eq(bundle.iter().copied())
            });
            let mut help = if let (true, Some(role)) =
                (direct >= 2 && !together.is_empty(), existing)
            {
                format!(
                    "{direct} rules name `{name}` directly, most of them together with {}: grant the existing `role {}` ({}) instead, from as few rules as possible (one rule with `ATTRIBUTE in {{…}}` rather than one rule per group)",
                    name_list(&together, 4),
                    role.name,
                    name_list(&role.entitlements, 4),
                )
            } else if direct >= 2 && !together.is_empty() {
                let members = vec![name]
                    .into_iter()
                    .chain(together.iter().copied())
                    .collect::<Vec<_>>();
                format!(
                    "{direct} rules name `{name}` directly, most of them together with {}: bundle them in a role (`role NAME: {}`) and grant the role, or merge rules that differ only in one attribute into one rule with `ATTRIBUTE in {{…}}`",
                    name_list(&together, 4),
                    members.join(", "),
                )
            } else if direct >= 2 {
                format!(
                    "{direct} rules name `{name}` directly: put it in a role with what these rules grant alongside it, or merge rules that differ only in one attribute into one broader rule with `ATTRIBUTE in {{…}}`"
                )
            } else {
                format!(
                    "most rules give `{name}` through roles: grant those roles from fewer, broader rules (e.g. one rule with `ATTRIBUTE in {{…}}` instead of one rule per group)"
                )
            };
            help.push_str(&format!(
                "; if this many grantors is intended, raise `max-grantors` (now {max}) under [settings] in lint.toml"
            ));

            let mut finding = Finding::new(&INFO, message)
                .at(&entitlement.source)
                .help(help);
            for rule in rules.iter().take(SHOWN) {
                finding = finding.related(format!("granted by `{}`", rule.name), &rule.source);
            }
            out.push(finding);
        }
    }
}
