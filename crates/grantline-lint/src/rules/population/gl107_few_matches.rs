//! ## What it catches
//!
//! A grant rule that takes effect for fewer people of the population than
//! `min-matches` (by default: for no one at all). Deny rules are not
//! reported (a safeguard is expected to rarely apply), nor rules whose
//! window is closed by a fixed date at the time of the lint (the analysis
//! rules report expired windows).
//!
//! ## Why it matters
//!
//! Rules written for one person, one team that no longer exists or a
//! combination of attributes that nobody has are how a policy set grows to
//! thousands of rules: each is cheap to add and nobody dares to remove it.
//! A rule that matches no one today still grants access the day someone
//! happens to fit it, without anyone having thought about that person.
//!
//! ## Example
//!
//! ```grantline
//! # Nobody in Legal works in Bengaluru: the rule matches no one.
//! rule legal-bengaluru:
//!     active in Legal in Bengaluru
//!     grants contracts.archive
//! ```
//!
//! ## How to fix
//!
//! Remove the rule if it is left over, or merge it into the broader rule
//! that grants the same entitlements (`active in Legal grants
//! contracts.archive`). If the rule is meant for people who will come (a new
//! office), keep it and silence the finding with
//! `# lint: allow GL107 -- reason`. Raise `min-matches` in `lint.toml`
//! (`[settings]`) to also see rules that match only a handful of people.

use crate::context::Context;
use crate::finding::Finding;
use crate::registry::{Group, Rule, RuleInfo};
use grantline_ir::TimePoint;
use grantline_syntax::Severity;

pub(crate) static INFO: RuleInfo = RuleInfo {
    code: "GL107",
    name: "few-matches",
    group: Group::RoleExplosion,
    severity: Severity::Warning,
    needs_population: true,
    source: include_str!("gl107_few_matches.rs"),
};

pub(crate) struct FewMatches;

impl Rule for FewMatches {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let Some(people) = cx.people.as_ref() else {
            return;
        };
        if people.is_empty() {
            return;
        }
        let mut matches = vec![0usize; cx.policy.rules.len()];
        for person in people {
            for &index in &person.applying {
                if let Some(count) = matches.get_mut(index) {
                    *count += 1;
                }
            }
        }
        let minimum = cx.settings.min_matches;
        let total = people.len();
        for (rule, &count) in cx.policy.rules.iter().zip(&matches) {
            if count >= minimum || rule.effect.is_deny() {
                continue;
            }
            let closed_by_date = matches!(&rule.window.from, Some(TimePoint::Date(d)) if *d > cx.today)
                || matches!(&rule.window.until, Some(TimePoint::Date(d)) if *d < cx.today);
            if closed_by_date {
                continue;
            }
            let people_word = |n: usize| if n == 1 { "person" } else { "people" };
            let message = if count == 0 {
                format!(
                    "rule `{}` takes effect for no one in the population of {total} {}",
                    rule.name,
                    people_word(total)
                )
            } else {
                format!(
                    "rule `{}` takes effect for only {count} {} of {total} (fewer than min-matches = {minimum})",
                    rule.name,
                    people_word(count)
                )
            };
            out.push(Finding::new(&INFO, message).at(&rule.source).help(format!(
                "remove `{}` if nobody needs it any more, or merge it into a broader rule \
                         that grants the same entitlements; a rule for people who will come can be \
                         kept with `# lint: allow GL107 -- reason`",
                rule.name
            )));
        }
    }
}
