//! ## What it catches
//!
//! Access that survives termination. When no `denies everything` rule
//! applies to every terminated person (`status is terminated` by default),
//! it reports once, at the termination attribute; when such denies exist
//! but leave gaps, it reports every grant rule that a terminated person
//! still gets, with a terminated witness that holds the entitlement.
//!
//! ## Why it matters
//!
//! Offboarding is the one moment when every access must go, at once and
//! without exceptions. Grants end for many reasons (a department change, a
//! window), but only a deny of everything for terminated people makes sure
//! that nothing is left over: a new rule, a group membership nobody
//! cleaned up or an attribute that HR does not clear would otherwise keep
//! access alive.
//!
//! ## Example
//!
//! ```grantline
//! attribute status: active | on-leave | terminated
//!
//! rule everyone-chat:
//!     anyone
//!     grants slack
//! # ... and no rule denies everything to terminated people.
//! ```
//!
//! ## How to fix
//!
//! Add an offboarding rule, with no window and no other condition:
//!
//! ```grantline
//! rule offboarding:
//!     where status is terminated
//!     denies everything
//! ```
//!
//! The attribute and value are set in `lint.toml`:
//! `[settings] termination = { attribute = "status", value = "terminated" }`.

use grantline_ir::{AttributeKind, Condition, Value};

use super::common::{list, search_undenied, solver_with, surviving};
use crate::context::Context;
use crate::finding::Finding;
use crate::registry::{Group, Rule, RuleInfo};
use crate::solver::Search;
use grantline_syntax::Severity;

pub(crate) static INFO: RuleInfo = RuleInfo {
    code: "GL205",
    name: "termination-not-enforced",
    group: Group::OverProvisioning,
    severity: Severity::Error,
    needs_population: false,
    source: include_str!("gl205_termination_not_enforced.rs"),
};

pub(crate) struct TerminationNotEnforced;

impl Rule for TerminationNotEnforced {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let Some(termination) = &cx.settings.termination else {
            return;
        };
        let Some(attribute) = cx.attributes.get(termination.attribute.as_str()) else {
            return;
        };
        match &attribute.kind {
            AttributeKind::Values { values } if values.contains(&termination.value) => {}
            AttributeKind::Text => {}
            _ => return,
        }
        let name = termination.attribute.as_str();
        let terminated = Condition::Is {
            attribute: name.to_string(),
            value: Value::Text(termination.value.clone()),
        };
        let shown = format!("{name} is {}", Value::Text(termination.value.clone()));
        let solver = solver_with(cx, &[&terminated]);

        // Do the `denies everything` rules together cover every terminated
        // person (as of `at`)?
        let uncovered = search_undenied(cx, &solver, &[&terminated], &cx.deny_everything);
        match uncovered {
            Search::Impossible | Search::Undecided => return,
            Search::Found(_) => {}
        }
        // The `denies everything` rules that are about termination.
        let partial: Vec<usize> = cx
            .deny_everything
            .iter()
            .copied()
            .filter(|&d| cx.active_condition(d).attributes().contains(&name))
            .collect();
        if partial.is_empty() {
            out.push(
                Finding::new(
                    &INFO,
                    format!(
                        "no `denies everything` rule applies to every person with `{shown}`: terminated people keep whatever their other attributes grant"
                    ),
                )
                .at(&attribute.source)
                .help(format!(
                    "add an offboarding rule with no window:\n    rule offboarding:\n        where {shown}\n        denies everything"
                )),
            );
            return;
        }
        for (index, rule) in cx.policy.rules.iter().enumerate() {
            if rule.effect.is_deny() {
                continue;
            }
            // `terminated` first: the solver assigns its variable first.
            let required = [&terminated, cx.active_condition(index)];
            let Some((witness, kept)) = surviving(cx, &solver, &required, rule) else {
                continue;
            };
            let mut finding = Finding::new(
                &INFO,
                format!(
                    "rule `{}` still grants {} to people with `{shown}`: no deny applies to them",
                    rule.name,
                    list(&kept)
                ),
            )
            .at(&rule.source)
            .help(format!(
                "make the offboarding deny cover every terminated person (`where {shown}` with no window and no other condition), or exclude them from rule `{}`",
                rule.name
            ))
            .witness(witness);
            for &d in &partial {
                if let Some(deny) = cx.rule(d) {
                    finding = finding.related(
                        format!(
                            "`{}` does not deny everything to every terminated person",
                            deny.name
                        ),
                        &deny.source,
                    );
                }
            }
            out.push(finding);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

    use super::*;
    use crate::config::Settings;

    fn findings(text: &str) -> Vec<Finding> {
        let mut sources = grantline_syntax::SourceMap::new();
        sources.add("policy.grant", text);
        let policy = grantline_compiler::compile(&sources).policy.unwrap();
        let evaluator = grantline_eval::Evaluator::new(policy.clone()).unwrap();
        let settings = Settings::default();
        let cx = Context::new(
            &policy,
            &evaluator,
            &settings,
            "2026-12-01T09:00:00Z".parse().unwrap(),
            None,
        );
        let mut out = Vec::new();
        TerminationNotEnforced.check(&cx, &mut out);
        out
    }

    const SCHEMA: &str = "attribute status: active | terminated\n\
        attribute department: Sales | Finance\n\
        entitlement crm, ledger: owner \"it\"\n\
        rule sales-crm:\n    in Sales\n    grants crm\n";

    #[test]
    fn without_any_offboarding_deny_reports_once_at_the_attribute() {
        let out = findings(&format!(
            "{SCHEMA}rule finance-ledger:\n    in Finance\n    grants ledger\n"
        ));
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].location.as_ref().unwrap().line, 1);
        assert!(out[0].witness.is_none());
    }

    #[test]
    fn a_deny_that_only_starts_later_leaves_every_grant() {
        let out = findings(&format!(
            "{SCHEMA}rule offboarding:\n    terminated\n    denies everything\n    from 2027-01-01\n"
        ));
        assert_eq!(out.len(), 1);
        assert!(out[0].message.contains("sales-crm"));
        assert!(out[0].witness.is_some());
    }

    #[test]
    fn denies_that_together_cover_termination_are_enough() {
        let out = findings(&format!(
            "{SCHEMA}rule off-sales:\n    terminated in Sales\n    denies everything\n\
             rule off-rest:\n    terminated where not department is Sales\n    denies everything\n"
        ));
        assert!(out.is_empty(), "{out:?}");
    }
}
