//! ## What it catches
//!
//! A rule whose time window has a fixed end (`until D`, or `from D for N
//! days`) that is already past: the rule never applies again.
//!
//! ## Why it matters
//!
//! An expired rule is clutter that reviewers still have to read, and it
//! hides intent: either the access was temporary and the rule should go,
//! or it is still needed and people lost it silently when the date passed.
//! A date `until D` keeps the window open through the whole day `D` in the
//! policy time zone; the rule is reported from the day after.
//!
//! ## Example
//!
//! ```grantline
//! rule q3-audit-access:
//!     in Finance
//!     grants erp.audit-log
//!     until 2025-09-30
//! ```
//!
//! ## How to fix
//!
//! Delete the rule if the temporary access is over, or extend its date if
//! the access is still needed.

use chrono::{Days, Months, NaiveDate};
use grantline_ir::{Duration, DurationUnit};

use crate::context::Context;
use crate::finding::Finding;
use crate::registry::{Group, Rule, RuleInfo};
use grantline_syntax::Severity;

use super::fixed;

pub(crate) static INFO: RuleInfo = RuleInfo {
    code: "GL304",
    name: "expired-window",
    group: Group::Analysis,
    severity: Severity::Warning,
    needs_population: false,
    source: include_str!("gl304_expired_window.rs"),
};

pub(crate) struct ExpiredWindow;

/// Calendar arithmetic as the evaluator does it (months clamp to the end
/// of the month).
fn add(date: NaiveDate, duration: Duration) -> Option<NaiveDate> {
    let count = u64::from(duration.count);
    match duration.unit {
        DurationUnit::Days => date.checked_add_days(Days::new(count)),
        DurationUnit::Weeks => date.checked_add_days(Days::new(count.checked_mul(7)?)),
        DurationUnit::Months => date.checked_add_months(Months::new(duration.count)),
    }
}

fn unit(duration: Duration) -> &'static str {
    match (duration.unit, duration.count) {
        (DurationUnit::Days, 1) => "day",
        (DurationUnit::Days, _) => "days",
        (DurationUnit::Weeks, 1) => "week",
        (DurationUnit::Weeks, _) => "weeks",
        (DurationUnit::Months, 1) => "month",
        (DurationUnit::Months, _) => "months",
    }
}

impl Rule for ExpiredWindow {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for rule in &cx.policy.rules {
            let window = &rule.window;
            // The last day the window covers, and how it was written.
            let mut last: Option<(NaiveDate, String)> =
                fixed(window.until.as_ref()).map(|until| (until, format!("`until {until}`")));
            if let (Some(from), Some(duration)) = (fixed(window.from.as_ref()), window.duration) {
                // `from F for N` closes at the start of F + N.
                if let Some(last_day) = add(from, duration).and_then(|end| end.pred_opt()) {
                    if last.as_ref().is_none_or(|(day, _)| last_day < *day) {
                        last = Some((
                            last_day,
                            format!("`from {from} for {} {}`", duration.count, unit(duration)),
                        ));
                    }
                }
            }
            let Some((last_day, written)) = last else {
                continue;
            };
            if last_day >= cx.today {
                continue;
            }
            let what = if rule.effect.is_deny() {
                "it never denies anything again"
            } else {
                "it never grants anything again"
            };
            out.push(
                Finding::new(
                    &INFO,
                    format!(
                        "the window of rule `{}` ({written}) ended with {last_day}, before {}: {what}",
                        rule.name, cx.today
                    ),
                )
                .at(&rule.source)
                .help(format!(
                    "delete rule `{}` if the temporary access is over, or extend its date if it is still needed",
                    rule.name
                )),
            );
        }
    }
}
