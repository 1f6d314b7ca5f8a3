//! ## What it catches
//!
//! A population in which some people hold an access bundle (the exact set
//! of entitlements granted to them) that nobody else holds. The finding
//! summarizes the role-explosion metric of the population: the number of
//! people, the rules taking effect per person (minimum, median and maximum),
//! the number of distinct bundles and how many of them are held by one
//! person only.
//!
//! ## Why it matters
//!
//! Roles exist so that people who do the same job get the same access. When
//! the number of distinct bundles approaches the number of people, every
//! person's access is a one-off: it cannot be reviewed as "what Sales reps
//! get", a mover keeps access from old jobs, and every new hire needs a
//! new rule. Bundles held by a single person are the first sign of it,
//! and the count is worth watching from one release to the next.
//!
//! ## Example
//!
//! ```grantline
//! # Each Sales rep gets a slightly different tool set: three people, three
//! # bundles.
//! rule sales-us:
//!     active in Sales in the US
//!     grants salesforce, gong
//! rule sales-de:
//!     active in Sales in DE
//!     grants salesforce, zoominfo
//! rule sales-gb:
//!     active in Sales in GB
//!     grants salesforce, gong, zoominfo
//! ```
//!
//! ## How to fix
//!
//! Look at what sets the one-person bundles apart (GL101 finds rules that
//! differ in one attribute only) and grant a common role to everyone doing
//! the same job (`active in Sales grants role sales-rep`), keeping only true
//! exceptions as separate rules. The finding is informational: silence it
//! with `GL108 = "off"` in `lint.toml` if the metric is tracked elsewhere.

use std::collections::HashMap;

use crate::context::Context;
use crate::finding::Finding;
use crate::registry::{Group, Rule, RuleInfo};
use grantline_eval::GrantStatus;
use grantline_syntax::Severity;

pub(crate) static INFO: RuleInfo = RuleInfo {
    code: "GL108",
    name: "access-bundles",
    group: Group::RoleExplosion,
    severity: Severity::Info,
    needs_population: true,
    source: include_str!("gl108_access_bundles.rs"),
};

pub(crate) struct AccessBundles;

impl Rule for AccessBundles {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let Some(people) = cx.people.as_ref() else {
            return;
        };
        let total = people.len();
        if total < 2 {
            return;
        }
        let mut bundles: HashMap<Vec<&str>, usize> = HashMap::new();
        let mut rules_per_person: Vec<usize> = Vec::with_capacity(total);
        for person in people {
            let bundle: Vec<&str> = person
                .decision
                .entitlements
                .iter()
                .filter(|e| e.status == GrantStatus::Granted)
                .map(|e| &*e.entitlement)
                .collect();
            *bundles.entry(bundle).or_default() += 1;
            rules_per_person.push(person.applying.len());
        }
        let single = bundles.values().filter(|&&n| n == 1).count();
        if single == 0 {
            return;
        }
        rules_per_person.sort_unstable();
        let min = rules_per_person.first().copied().unwrap_or(0);
        let max = rules_per_person.last().copied().unwrap_or(0);
        let median = median(&rules_per_person);
        let distinct = bundles.len();
        let plural =
            |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        let message = format!(
            "{total} people hold {} (distinct sets of granted entitlements), {single} of them \
             by one person only; rules taking effect per person: min {min}, median {median}, \
             max {max}",
            plural(distinct, "access bundle", "access bundles"),
        );
        out.push(Finding::new(&INFO, message).help(
            "give people who do the same job one shared role instead of per-person \
             combinations of rules; GL101 lists rules that differ only in one attribute",
        ));
    }
}

/// The median of sorted counts, as text (`6` or `6.5`).
fn median(sorted: &[usize]) -> String {
    let middle = sorted.len() / 2;
    match (sorted.get(middle.wrapping_sub(1)), sorted.get(middle)) {
        (Some(&low), Some(&high)) if sorted.len().is_multiple_of(2) => {
            if (low + high).is_multiple_of(2) {
                format!("{}", (low + high) / 2)
            } else {
                format!("{}.5", (low + high) / 2)
            }
        }
        (_, Some(&value)) => value.to_string(),
        _ => "0".to_string(),
    }
}
