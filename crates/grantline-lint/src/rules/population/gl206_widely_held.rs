//! ## What it catches
//!
//! An entitlement held by nearly everyone without a baseline rule saying so,
//! or a sensitive entitlement held by a large share of the population. The
//! first: held by more than `wide-share` of the people (default 90%),
//! pieced together from several rules, none of which is an `anyone` rule or
//! grants it on its own to more than that share. The second: a sensitive
//! entitlement held by more than `sensitive-wide-share` (default 20%).
//!
//! ## Why it matters
//!
//! An entitlement that almost everyone ends up with through a dozen scoped
//! rules is a baseline in disguise: nobody decided that everyone should
//! have it, each new team adds one more rule for it, and the few people who
//! do not get it are missing it by accident rather than by design. Or it is
//! over-provisioning: the scoped rules were meant to keep it narrow and no
//! longer do. Admin rights and access to money or personal data held by a
//! fifth of the company are out of least privilege whatever the rules say.
//!
//! Only granted entitlements count; those pending approval are not held
//! yet.
//!
//! ## Example
//!
//! ```grantline
//! # Four rules together give jira to every department: nobody decided that
//! # everyone needs it.
//! rule engineering-jira:
//!     active in Engineering
//!     grants jira, github
//! rule product-jira:
//!     active in Product
//!     grants jira
//! rule sales-jira:
//!     active in Sales
//!     grants jira, salesforce
//! rule support-jira:
//!     active in "Customer Success"
//!     grants jira, zendesk
//! ```
//!
//! ## How to fix
//!
//! If everyone should have it, say so in one baseline rule
//! (`rule jira-for-everyone: active grants jira`) and remove it from the
//! scoped rules. If not, narrow the rules listed with the finding. For a
//! sensitive entitlement, narrow the granting rules to the people who
//! administer the system, or add `requires approval by "..."` so that each
//! grant is decided by its owner.

use std::collections::HashMap;

use crate::context::Context;
use crate::finding::Finding;
use crate::registry::{Group, Rule, RuleInfo};
use grantline_eval::GrantStatus;
use grantline_ir::Condition;
use grantline_syntax::Severity;

pub(crate) static INFO: RuleInfo = RuleInfo {
    code: "GL206",
    name: "widely-held",
    group: Group::OverProvisioning,
    severity: Severity::Warning,
    needs_population: true,
    source: include_str!("gl206_widely_held.rs"),
};

pub(crate) struct WidelyHeld;

/// At most this many granting rules are listed with a finding.
const MAX_RELATED: usize = 5;

/// Holders of one entitlement.
#[derive(Default)]
struct Holders {
    people: usize,
    /// People each rule grants it to, by rule index.
    by_rule: HashMap<usize, usize>,
}

impl Rule for WidelyHeld {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let Some(people) = cx.people.as_ref() else {
            return;
        };
        let total = people.len();
        if total == 0 {
            return;
        }
        let index_of: HashMap<&str, usize> = cx
            .policy
            .rules
            .iter()
            .enumerate()
            .map(|(i, r)| (r.name.as_str(), i))
            .collect();
        let mut holders: HashMap<&str, Holders> = HashMap::new();
        for person in people {
            for granted in &person.decision.entitlements {
                if granted.status != GrantStatus::Granted {
                    continue;
                }
                let entry = holders.entry(&granted.entitlement).or_default();
                entry.people += 1;
                let mut last = None;
                for reason in &granted.reasons {
                    let Some(&rule) = index_of.get(&*reason.rule) else {
                        continue;
                    };
                    // A rule may grant the entitlement directly and through
                    // a role: count the person once.
                    if last != Some(rule) {
                        *entry.by_rule.entry(rule).or_default() += 1;
                        last = Some(rule);
                    }
                }
            }
        }
        let share = |n: usize| n as f64 / total as f64;
        for entitlement in &cx.policy.entitlements {
            let Some(held) = holders.get(entitlement.name.as_str()) else {
                continue;
            };
            let mut rules: Vec<(usize, usize)> =
                held.by_rule.iter().map(|(&rule, &n)| (rule, n)).collect();
            rules.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            let name = &entitlement.name;
            let held_text = format!(
                "held by {} of {total} people ({})",
                held.people,
                percent(share(held.people))
            );
            let finding =
                if entitlement.sensitive && share(held.people) > cx.settings.sensitive_wide_share {
                    Finding::new(
                        &INFO,
                        format!(
                            "sensitive entitlement `{name}` is {held_text}, more than the {} \
                         allowed for sensitive access (sensitive-wide-share)",
                            percent(cx.settings.sensitive_wide_share)
                        ),
                    )
                    .help(format!(
                        "narrow the rules that grant `{name}` to the people who need it, or add \
                     `requires approval by \"...\"` so that its owner decides each grant"
                    ))
                } else if share(held.people) > cx.settings.wide_share {
                    let granted_by_anyone = cx.grants_of.get(name.as_str()).is_some_and(|list| {
                        list.iter().any(|&i| {
                            cx.rule(i)
                                .is_some_and(|r| matches!(r.condition, Condition::True))
                        })
                    });
                    let one_rule_is_baseline = rules
                        .first()
                        .is_some_and(|&(_, n)| share(n) > cx.settings.wide_share);
                    if granted_by_anyone || one_rule_is_baseline {
                        continue;
                    }
                    Finding::new(
                        &INFO,
                        format!(
                            "`{name}` is {held_text}, more than the {} of wide-share, through {} \
                         scoped {}; no baseline rule grants it",
                            percent(cx.settings.wide_share),
                            rules.len(),
                            if rules.len() == 1 { "rule" } else { "rules" }
                        ),
                    )
                    .help(format!(
                        "if everyone should have `{name}`, grant it in one baseline rule \
                     (`rule {name}-for-everyone: active grants {name}`) and remove it from the \
                     scoped rules; otherwise narrow the rules that grant it"
                    ))
                } else {
                    continue;
                };
            let mut finding = finding.at(&entitlement.source);
            for &(rule, n) in rules.iter().take(MAX_RELATED) {
                if let Some(rule) = cx.rule(rule) {
                    finding = finding.related(
                        format!(
                            "`{}` grants it to {}",
                            rule.name,
                            plural(n, "person", "people")
                        ),
                        &rule.source,
                    );
                }
            }
            if rules.len() > MAX_RELATED {
                let more = rules.len() - MAX_RELATED;
                let help = finding.help.take().unwrap_or_default();
                finding = finding.help(format!(
                    "{help} ({} more granting {} not shown)",
                    more,
                    if more == 1 { "rule" } else { "rules" }
                ));
            }
            out.push(finding);
        }
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `0.9` as `90%`, `0.225` as `22.5%`.
fn percent(share: f64) -> String {
    let tenths = (share * 1000.0).round() / 10.0;
    if tenths.fract() == 0.0 {
        format!("{tenths:.0}%")
    } else {
        format!("{tenths:.1}%")
    }
}
