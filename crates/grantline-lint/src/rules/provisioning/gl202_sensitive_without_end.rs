//! ## What it catches
//!
//! A rule that grants a sensitive entitlement for good: its window has no
//! `until` and no `for`, and the entitlement has no `at most` cap in the
//! catalogue. It also reports a written window longer than the
//! entitlement's `at most` cap (a `from`/`until` span between fixed dates,
//! or a `for` duration), which the evaluator shortens anyway.
//!
//! ## Why it matters
//!
//! Sensitive access should be re-decided from time to time: a grant that
//! never ends stays after the project, the incident or the job change that
//! justified it. And a window that says "until the end of next year" for an
//! entitlement capped at 90 days misleads its readers: the evaluator ends
//! the grant after 90 days, whatever the rule says.
//!
//! ## Example
//!
//! ```grantline
//! entitlement carta.admin: sensitive
//! entitlement okta.admin: sensitive, at most 30 days
//!
//! rule equity-admins:
//!     full-time in Legal
//!     grants carta.admin
//!
//! rule idp-admins:
//!     full-time in Security
//!     grants okta.admin
//!     for 90 days
//! ```
//!
//! ## How to fix
//!
//! Give the grant an end (`for 90 days`, `until 2027-06-30`, `until
//! end_date`) or give the entitlement a cap in the catalogue (`at most 90
//! days`), so that it is renewed and re-approved. Write windows no longer
//! than the cap (`for 30 days` above).

use chrono::{Days, Months, NaiveDate};
use grantline_ir::{Duration, DurationUnit, TimePoint};

use super::common::{list, sensitive_granted};
use crate::context::Context;
use crate::finding::Finding;
use crate::registry::{Group, Rule, RuleInfo};
use grantline_syntax::Severity;

pub(crate) static INFO: RuleInfo = RuleInfo {
    code: "GL202",
    name: "sensitive-without-end",
    group: Group::OverProvisioning,
    severity: Severity::Warning,
    needs_population: false,
    source: include_str!("gl202_sensitive_without_end.rs"),
};

pub(crate) struct SensitiveWithoutEnd;

impl Rule for SensitiveWithoutEnd {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for rule in &cx.policy.rules {
            let sensitive = sensitive_granted(cx, rule);
            if sensitive.is_empty() {
                continue;
            }
            let window = &rule.window;
            let endless = window.until.is_none() && window.duration.is_none();
            let uncapped: Vec<&str> = sensitive
                .iter()
                .copied()
                .filter(|e| {
                    cx.entitlements
                        .get(e)
                        .is_some_and(|e| e.max_duration.is_none())
                })
                .collect();
            if endless && !uncapped.is_empty() {
                let (what, it) = if uncapped.len() == 1 {
                    ("sensitive entitlement", "it has")
                } else {
                    ("sensitive entitlements", "they have")
                };
                let mut finding = Finding::new(
                    &INFO,
                    format!(
                        "rule `{}` grants {what} {} with no end: the window has no `until` or `for`, and {it} no `at most` cap",
                        rule.name,
                        list(&uncapped)
                    ),
                )
                .at(&rule.source)
                .help(format!(
                    "end the grant (`for 90 days`, `until end_date` or a fixed `until` date) so that it is renewed, or cap {} in the catalogue with `at most 90 days`",
                    list(&uncapped)
                ));
                for name in &uncapped {
                    if let Some(entitlement) = cx.entitlements.get(name) {
                        finding = finding.related(
                            format!("`{name}` is declared here without `at most`"),
                            &entitlement.source,
                        );
                    }
                }
                out.push(finding);
            }
            for name in &sensitive {
                let Some(entitlement) = cx.entitlements.get(name) else {
                    continue;
                };
                let Some(cap) = entitlement.max_duration else {
                    continue;
                };
                let Some(written) = longer_than(window, cap) else {
                    continue;
                };
                out.push(
                    Finding::new(
                        &INFO,
                        format!(
                            "rule `{}` grants `{name}` {written}, longer than its cap `at most {cap}`: the evaluator ends the grant after {cap}, so the written window is misleading",
                            rule.name
                        ),
                    )
                    .at(&rule.source)
                    .related(format!("`{name}` is capped at {cap} here"), &entitlement.source)
                    .help(format!(
                        "write the window the grant really has (e.g. `for {cap}`), or move `{name}` to a rule of its own with that window"
                    )),
                );
            }
        }
    }
}

/// How the window is written, if it is longer than `cap` whenever it
/// starts; `None` when it is not, or its length depends on the identity.
fn longer_than(window: &grantline_ir::Window, cap: Duration) -> Option<String> {
    match &window.from {
        Some(TimePoint::Date(from)) => {
            let until_close = match &window.until {
                Some(TimePoint::Date(until)) => Some(until.succ_opt()?),
                Some(TimePoint::Attribute(_)) => return None,
                None => None,
            };
            let duration_close = window.duration.and_then(|d| add(*from, d));
            let close = match (until_close, duration_close) {
                (Some(a), Some(b)) => a.min(b),
                (Some(a), None) | (None, Some(a)) => a,
                (None, None) => return None,
            };
            let capped = add(*from, cap)?;
            (close > capped).then(|| {
                let days = (close - *from).num_days();
                match (&window.until, window.duration) {
                    (Some(TimePoint::Date(until)), _) if Some(close) == until_close => {
                        format!("from {from} until {until} ({days} days)")
                    }
                    (_, Some(d)) => format!("from {from} for {d}"),
                    _ => format!("for {days} days"),
                }
            })
        }
        Some(TimePoint::Attribute(_)) | None => {
            let duration = window.duration?;
            always_longer(duration, cap).then(|| format!("for {duration}"))
        }
    }
}

/// Whether `duration` from any start date ends after `cap` from it.
fn always_longer(duration: Duration, cap: Duration) -> bool {
    let days = |d: Duration| match d.unit {
        DurationUnit::Days => Some(u64::from(d.count)),
        DurationUnit::Weeks => Some(u64::from(d.count) * 7),
        DurationUnit::Months => None,
    };
    match (days(duration), days(cap)) {
        (Some(a), Some(b)) => a > b,
        _ if duration.unit == DurationUnit::Months && cap.unit == DurationUnit::Months => {
            duration.count > cap.count
        }
        // Days against months: every start of a whole leap-year cycle.
        _ => {
            let Some(first) = NaiveDate::from_ymd_opt(2024, 1, 1) else {
                return false;
            };
            (0..1461u64).all(|offset| {
                let Some(start) = first.checked_add_days(Days::new(offset)) else {
                    return false;
                };
                match (add(start, duration), add(start, cap)) {
                    (Some(a), Some(b)) => a > b,
                    _ => false,
                }
            })
        }
    }
}

/// Calendar arithmetic as the evaluator does it: months clamp to the end of
/// a shorter month.
fn add(date: NaiveDate, duration: Duration) -> Option<NaiveDate> {
    let count = u64::from(duration.count);
    match duration.unit {
        DurationUnit::Days => date.checked_add_days(Days::new(count)),
        DurationUnit::Weeks => date.checked_add_days(Days::new(count.checked_mul(7)?)),
        DurationUnit::Months => date.checked_add_months(Months::new(duration.count)),
    }
}
