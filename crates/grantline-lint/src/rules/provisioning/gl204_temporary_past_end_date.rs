//! ## What it catches
//!
//! A grant that a temporary worker (a contractor or an intern, by default)
//! keeps after their end date: the rule's condition can hold for them, its
//! window does not end with `until end_date`, and no deny takes the
//! entitlement away from them. The finding's witness is a temporary worker
//! whose end date has passed and who still holds the entitlement.
//!
//! ## Why it matters
//!
//! Contractors and interns leave on a known date. The HR system's
//! "terminated" status often arrives days or weeks later, and until then a
//! grant without `until end_date` keeps working for someone who no longer
//! works for the company.
//!
//! ## Example
//!
//! ```grantline
//! attribute employment: full-time | contractor | intern
//! attribute end_date: optional date
//!
//! # Contractors are not excluded and the grant does not end with them.
//! rule engineering-tools:
//!     in Engineering
//!     grants github
//! ```
//!
//! ## How to fix
//!
//! End the window at the end date (`until end_date`: an employee without an
//! end date keeps the grant, since a missing optional end date means no
//! end), restrict the rule to employees (`not contractor not intern`), or
//! deny the entitlement to temporary workers. The attribute, its values and
//! the end-date attribute are set in `lint.toml`:
//!
//! ```toml
//! [settings]
//! temporary-workers = { attribute = "employment", values = ["contractor", "intern"] }
//! end-date = "end_date"
//! ```

use chrono::Days;
use grantline_ir::{AttributeKind, Condition, Ordering, TimePoint, Value};

use super::common::{is_one_of, list, solver_with, surviving};
use crate::context::Context;
use crate::finding::Finding;
use crate::registry::{Group, Rule, RuleInfo};
use grantline_syntax::Severity;

pub(crate) static INFO: RuleInfo = RuleInfo {
    code: "GL204",
    name: "temporary-past-end-date",
    group: Group::OverProvisioning,
    severity: Severity::Error,
    needs_population: false,
    source: include_str!("gl204_temporary_past_end_date.rs"),
};

pub(crate) struct TemporaryPastEndDate;

impl Rule for TemporaryPastEndDate {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let Some(temporary) = &cx.settings.temporary_workers else {
            return;
        };
        let Some(attribute) = cx.attributes.get(temporary.attribute.as_str()) else {
            return;
        };
        let values: Vec<String> = match &attribute.kind {
            AttributeKind::Values { values } => temporary
                .values
                .iter()
                .filter(|v| values.contains(v))
                .cloned()
                .collect(),
            AttributeKind::Text => temporary.values.clone(),
            _ => return,
        };
        if values.is_empty() {
            return;
        }
        let end_date = cx.settings.end_date.as_str();
        if !cx
            .attributes
            .get(end_date)
            .is_some_and(|a| a.kind == AttributeKind::Date)
        {
            return;
        }
        let is_temporary = is_one_of(&temporary.attribute, &values);
        // The end date has passed: it is before the day of `at`.
        let Some(yesterday) = cx.today.checked_sub_days(Days::new(1)) else {
            return;
        };
        let ended = Condition::Compare {
            attribute: end_date.to_string(),
            cmp: Ordering::LessOrEqual,
            value: Value::Date(yesterday),
        };
        let solver = solver_with(cx, &[&is_temporary, &ended]);
        let who = values
            .iter()
            .map(|v| format!("{}", Value::Text(v.clone())))
            .collect::<Vec<_>>()
            .join(" or ");
        for (index, rule) in cx.policy.rules.iter().enumerate() {
            if rule.effect.is_deny()
                || rule.window.until == Some(TimePoint::Attribute(end_date.to_string()))
            {
                continue;
            }
            // The fixed conditions first: the solver assigns variables in order
            // of appearance, and a conflict with them is then found at once.
            let required = [&is_temporary, &ended, cx.active_condition(index)];
            let Some((witness, kept)) = surviving(cx, &solver, &required, rule) else {
                continue;
            };
            let mut finding = Finding::new(
                &INFO,
                format!(
                    "rule `{}` grants {} to temporary workers (`{}` {who}) past their `{end_date}`: the window does not end `until {end_date}` and no deny takes {} away",
                    rule.name,
                    list(&kept),
                    temporary.attribute,
                    if kept.len() == 1 { "it" } else { "them" },
                ),
            )
            .at(&rule.source)
            .help(format!(
                "add `until {end_date}` to rule `{}` (a missing optional `{end_date}` means no end, so employees keep the grant), or restrict the rule to people who are not {who}, or deny {} to them",
                rule.name,
                list(&kept)
            ))
            .related(
                format!("`{}` is declared here", temporary.attribute),
                &attribute.source,
            )
            .witness(witness);
            if let Some(end) = cx.attributes.get(end_date) {
                finding = finding.related(format!("`{end_date}` is declared here"), &end.source);
            }
            out.push(finding);
        }
    }
}
