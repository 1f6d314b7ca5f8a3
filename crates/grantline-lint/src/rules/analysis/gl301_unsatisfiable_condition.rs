//! ## What it catches
//!
//! A rule whose condition no identity can satisfy: a grant that is never
//! true, or a deny that is false for everyone (a deny also applies when its
//! condition is unknown, so a deny is reported only when no identity, with
//! any attributes missing, makes it true or unknown). The solver proves it
//! over every possible identity.
//!
//! ## Why it matters
//!
//! Such a rule is dead code that looks alive: reviewers read it as giving
//! (or taking away) access, but it never does. It is almost always a typo
//! or a misunderstanding, such as `and` written for `or` between two values
//! of the same attribute, or two number bounds the wrong way round.
//!
//! ## Example
//!
//! ```grantline
//! rule finance-and-sales-crm:
//!     where department is Sales and department is Finance
//!     grants crm
//!
//! rule mid-level-reports:
//!     where level > 5 and level < 3
//!     grants reports
//! ```
//!
//! Nobody is in two departments at once, and no level is above 5 and below
//! 3.
//!
//! ## How to fix
//!
//! Write what was meant, usually `department in {Sales, Finance}` (either
//! value) or bounds that enclose a range (`level > 3 and level < 5`); or
//! delete the rule if it is not needed.

use crate::context::Context;
use crate::finding::Finding;
use crate::registry::{Group, Rule, RuleInfo};
use crate::solver::{Search, Truth};
use grantline_ir::Condition;
use grantline_syntax::Severity;

use super::listing;

pub(crate) static INFO: RuleInfo = RuleInfo {
    code: "GL301",
    name: "unsatisfiable-condition",
    group: Group::Analysis,
    severity: Severity::Error,
    needs_population: false,
    source: include_str!("gl301_unsatisfiable_condition.rs"),
};

pub(crate) struct UnsatisfiableCondition;

/// Conjuncts beyond this are not minimized (each try is a solver call).
const MAX_MINIMIZED: usize = 12;

/// Whether no identity gives `condition` a truth `want` accepts.
fn impossible(cx: &Context<'_>, condition: &Condition, deny: bool) -> bool {
    let search = if deny {
        cx.solver.find(&[condition], |t| t != [Truth::False])
    } else {
        cx.solver.find(&[condition], |t| t == [Truth::True])
    };
    search == Search::Impossible
}

/// The attributes of a smallest impossible part of a conjunction (each
/// conjunct kept only if the rest is possible without it).
fn conflicting_attributes<'c>(
    cx: &Context<'_>,
    condition: &'c Condition,
    deny: bool,
) -> Vec<&'c str> {
    let Condition::And { all } = condition else {
        return condition.attributes();
    };
    let mut kept: Vec<&Condition> = all.iter().collect();
    if kept.len() <= MAX_MINIMIZED {
        let mut position = 0;
        while position < kept.len() {
            let mut without = kept.clone();
            without.remove(position);
            let rest = Condition::And {
                all: without.iter().map(|c| (*c).clone()).collect(),
            };
            if !without.is_empty() && impossible(cx, &rest, deny) {
                kept = without;
            } else {
                position += 1;
            }
        }
    }
    let mut attributes: Vec<&str> = Vec::new();
    for attribute in kept.iter().flat_map(|part| part.attributes()) {
        if !attributes.contains(&attribute) {
            attributes.push(attribute);
        }
    }
    attributes
}

impl Rule for UnsatisfiableCondition {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for rule in &cx.policy.rules {
            let deny = rule.effect.is_deny();
            if !impossible(cx, &rule.condition, deny) {
                continue;
            }
            let attributes = conflicting_attributes(cx, &rule.condition, deny);
            let what = if deny {
                format!(
                    "the condition of deny rule `{}` is false for every identity (even with attributes missing): it never applies",
                    rule.name
                )
            } else {
                format!(
                    "no identity satisfies the condition of rule `{}`: it never grants anything",
                    rule.name
                )
            };
            let why = match attributes.as_slice() {
                [] => String::new(),
                [one] => format!(" (the tests of {} contradict each other)", listing(&[one])),
                many => format!(" (the tests of {} contradict each other)", listing(many)),
            };
            out.push(
                Finding::new(&INFO, format!("{what}{why}"))
                    .at(&rule.source)
                    .help(
                        "write the condition that was meant (for example `department in {Sales, Finance}` \
                         for either value, or bounds that enclose a range), or delete the rule",
                    ),
            );
        }
    }
}
