//! Human-readable renderings of decisions and explanations. The text is
//! stable: tools snapshot-test it.
//!
//! Instants that start a local day in the policy time zone print as dates:
//! a window start as its first day, a window end (exclusive) as its last day
//! (`until 2027-06-30`). Other instants print as RFC 3339 in the zone.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use grantline_ir::SourceLocation;

use crate::checks::{CheckError, CheckOutcome, CheckResult};
use crate::output::{
    Decision, DeniedEntitlement, Explanation, GrantStatus, GrantedEntitlement, Reason, RuleEffect,
    RuleExplanation, RuleOutcome, Verdict, Warning,
};
use crate::time::{format_boundary, Boundary};

/// A window start: its first day (`2027-01-01`) when it starts a local day,
/// else RFC 3339 in the zone.
pub fn format_start(instant: DateTime<Utc>, tz: Tz) -> String {
    format_boundary(instant, tz, Boundary::Start).0
}

/// A window end (exclusive): its last day (`2027-06-30` for an end at the
/// start of 2027-07-01) when it starts a local day, else RFC 3339 in the zone.
pub fn format_end(instant: DateTime<Utc>, tz: Tz) -> String {
    format_boundary(instant, tz, Boundary::End).0
}

use format_end as end;
use format_start as start;

fn via_text(via: &[String]) -> String {
    if via.is_empty() {
        String::new()
    } else {
        format!(", via role {}", via.join(" > "))
    }
}

fn rule_ref(rule: &str, source: &SourceLocation) -> String {
    format!("{rule} ({source})")
}

/// `from ... until ... for ... from grant at most ... from grant`, or empty.
/// Like the window itself, computed over the reasons that grant without
/// approval when the entitlement is granted.
fn validity(granted: &GrantedEntitlement, tz: Tz) -> String {
    let mut parts = Vec::new();
    if let Some(from) = granted.valid_from {
        parts.push(format!("from {}", start(from, tz)));
    }
    if let Some(until) = granted.valid_until {
        parts.push(format!("until {}", end(until, tz)));
    }
    let lasts: Option<Vec<_>> = granted.window_reasons().map(|r| r.lasts).collect();
    if let Some(mut lasts) = lasts.filter(|l| !l.is_empty()) {
        lasts.dedup();
        let mut distinct: Vec<String> = Vec::new();
        for duration in lasts {
            let text = duration.to_string();
            if !distinct.contains(&text) {
                distinct.push(text);
            }
        }
        parts.push(format!("for {} from grant", distinct.join(" or ")));
    }
    if let Some(cap) = granted.max_duration {
        parts.push(format!("at most {cap} from grant"));
    }
    parts.join(" ")
}

/// ` by a, b`, ` by a or any approver` when some rule names no group, or
/// empty when no rule names one.
fn approvers_text(granted: &GrantedEntitlement) -> String {
    if granted.approvers.is_empty() {
        return String::new();
    }
    let anyone = granted
        .reasons
        .iter()
        .any(|r| r.approval().is_some_and(|a| a.by.is_none()));
    let or_any = if anyone { " or any approver" } else { "" };
    format!(" by {}{or_any}", granted.approvers.join(", "))
}

fn granted_text(granted: &GrantedEntitlement, tz: Tz) -> String {
    let mut text = match granted.status {
        GrantStatus::Granted => {
            let reasons: Vec<String> = granted
                .reasons
                .iter()
                .filter(|r| r.approval().is_none())
                .map(|r| format!("{}{}", rule_ref(&r.rule, r.source()), via_text(r.via())))
                .collect();
            format!("granted by {}", reasons.join("; "))
        }
        GrantStatus::PendingApproval => {
            let reasons: Vec<String> = granted
                .reasons
                .iter()
                .map(|r| format!("{}, {}{}", r.rule, r.source(), via_text(r.via())))
                .collect();
            format!(
                "pending approval{} ({})",
                approvers_text(granted),
                reasons.join("; ")
            )
        }
    };
    let validity = validity(granted, tz);
    if !validity.is_empty() {
        text.push_str("  ");
        text.push_str(&validity);
    }
    text
}

fn quoted_names(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn denied_text(denied: &DeniedEntitlement) -> String {
    let denies: Vec<String> = denied
        .denied_by
        .iter()
        .map(|d| {
            let mut text = rule_ref(&d.rule, &d.source);
            match d.missing_attributes.len() {
                0 => {}
                1 => {
                    let _ = write!(
                        text,
                        " because {} is missing",
                        quoted_names(&d.missing_attributes)
                    );
                }
                _ => {
                    let _ = write!(
                        text,
                        " because {} are missing",
                        quoted_names(&d.missing_attributes)
                    );
                }
            }
            text
        })
        .collect();
    let grants: Vec<String> = denied
        .granted_by
        .iter()
        .map(|g| rule_ref(&g.rule, &g.source))
        .collect();
    format!(
        "denied by {}; granted by {}",
        denies.join(", "),
        grants.join(", ")
    )
}

fn warnings_section(out: &mut String, warnings: &[Warning]) {
    if warnings.is_empty() {
        return;
    }
    out.push_str("warnings:\n");
    for warning in warnings {
        let _ = writeln!(out, "  {warning}");
    }
}

fn width<'a>(names: impl Iterator<Item = &'a str>) -> usize {
    names.map(|n| n.chars().count()).max().unwrap_or(0)
}

/// A decision as text: one line per granted or pending entitlement, then the
/// `denied:`, `upcoming:`, `conflicts:` and `warnings:` sections that are not
/// empty.
pub fn decision_text(decision: &Decision, tz: Tz) -> String {
    let mut out = String::new();
    if decision.entitlements.is_empty() {
        out.push_str("no entitlements granted\n");
    }
    let w = width(decision.entitlements.iter().map(|e| &*e.entitlement));
    for granted in &decision.entitlements {
        let _ = writeln!(
            out,
            "{:<w$}   {}",
            granted.entitlement,
            granted_text(granted, tz)
        );
    }
    if !decision.denied.is_empty() {
        out.push_str("denied:\n");
        let w = width(decision.denied.iter().map(|e| &*e.entitlement));
        for denied in &decision.denied {
            let _ = writeln!(out, "  {:<w$}  {}", denied.entitlement, denied_text(denied));
        }
    }
    if !decision.upcoming.is_empty() {
        out.push_str("upcoming:\n");
        let w = width(decision.upcoming.iter().map(|e| &*e.entitlement));
        for upcoming in &decision.upcoming {
            let _ = writeln!(
                out,
                "  {:<w$}  from {} by {}",
                upcoming.entitlement,
                start(upcoming.opens_at, tz),
                rule_ref(&upcoming.rule, &upcoming.source)
            );
        }
    }
    if !decision.conflicts.is_empty() {
        out.push_str("conflicts:\n");
        for conflict in &decision.conflicts {
            let _ = writeln!(
                out,
                "  {} and {} are separated ({})",
                conflict.left, conflict.right, conflict.source
            );
        }
    }
    checks_section(&mut out, &decision.checks, &decision.errors);
    warnings_section(&mut out, &decision.warnings);
    out
}

/// The custom checks run and, for one that could not run, the cause and
/// the rules it decided (fail closed).
fn checks_section(out: &mut String, checks: &[CheckResult], errors: &[CheckError]) {
    if checks.is_empty() {
        return;
    }
    out.push_str("checks:\n");
    let w = width(checks.iter().map(|c| c.check.as_str()));
    for check in checks {
        let outcome = match (check.outcome, &check.error) {
            (CheckOutcome::Passed, _) => "passed".to_string(),
            (CheckOutcome::Failed, _) => "failed".to_string(),
            (CheckOutcome::Error, Some(cause)) => format!("could not run: {cause}"),
            (CheckOutcome::Error, None) => "could not run".to_string(),
        };
        let _ = writeln!(out, "  {:<w$}  {outcome}", check.check);
        let decided: Vec<String> = errors
            .iter()
            .filter(|e| e.check == check.check)
            .map(|e| rule_ref(&e.rule, &e.source))
            .collect();
        if !decided.is_empty() {
            let _ = writeln!(out, "  {:<w$}  failed closed in {}", "", decided.join(", "));
        }
        if !check.log.is_empty() {
            let _ = writeln!(out, "  {:<w$}  log: {}", "", check.log.trim_end());
        }
    }
}

fn failed_text(rule: &RuleExplanation) -> String {
    rule.failed
        .iter()
        .map(|f| {
            let status = if f.unknown {
                "could not be decided"
            } else {
                "failed"
            };
            format!("{} {status} ({})", f.condition, f.actual)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn outcome_text(rule: &RuleExplanation, reason: Option<&Reason>, tz: Tz) -> String {
    match (&rule.outcome, rule.effect) {
        (RuleOutcome::Applies, RuleEffect::Grant) => {
            let mut text = "grants".to_string();
            if let Some(reason) = reason {
                if let Some(approval) = reason.approval() {
                    match &approval.by {
                        Some(group) => {
                            let _ = write!(text, " after approval by {group}");
                        }
                        None => text.push_str(" after approval"),
                    }
                }
                if let Some(from) = reason.valid_from {
                    let _ = write!(text, " from {}", start(from, tz));
                }
                if let Some(until) = reason.valid_until {
                    let _ = write!(text, " until {}", end(until, tz));
                }
                if let Some(lasts) = reason.lasts {
                    let _ = write!(text, " for {lasts} from grant");
                }
            }
            text
        }
        (RuleOutcome::Applies, RuleEffect::Deny) => "denies".to_string(),
        (RuleOutcome::ConditionUnknown, RuleEffect::Deny) if rule.applies => {
            format!("denies, fail closed: {}", failed_text(rule))
        }
        (RuleOutcome::WindowAttributeMissing { attribute }, RuleEffect::Deny) if rule.applies => {
            format!("denies, fail closed: window attribute `{attribute}` is missing")
        }
        (outcome, effect) => {
            let text = match outcome {
                RuleOutcome::NotYetOpen { opens_at } => {
                    format!("not open yet, opens {}", start(*opens_at, tz))
                }
                RuleOutcome::Expired { closed_at } => {
                    match format_boundary(*closed_at, tz, Boundary::End) {
                        (day, true) => format!("expired, last day was {day}"),
                        (instant, false) => format!("expired at {instant}"),
                    }
                }
                RuleOutcome::EmptyWindow {
                    opens_at,
                    closes_at,
                } => format!(
                    "its window is empty: it would open on {} but closes on {}",
                    start(*opens_at, tz),
                    end(*closes_at, tz)
                ),
                RuleOutcome::WindowAttributeMissing { attribute } => {
                    format!("window attribute `{attribute}` is missing")
                }
                RuleOutcome::Applies
                | RuleOutcome::ConditionFailed
                | RuleOutcome::ConditionUnknown => failed_text(rule),
            };
            match effect {
                RuleEffect::Grant => text,
                RuleEffect::Deny => format!("does not deny: {text}"),
            }
        }
    }
}

/// An explanation as text: a header with the verdict, then one line per rule.
pub fn explanation_text(explanation: &Explanation, tz: Tz) -> String {
    let mut out = String::new();
    let name = &explanation.entitlement;
    let verdict = match (explanation.verdict, &explanation.granted) {
        (Verdict::PendingApproval, Some(granted)) => {
            format!("pending approval{}", approvers_text(granted))
        }
        (Verdict::PendingApproval, None) => "pending approval".to_string(),
        (Verdict::Granted, _) => "granted".to_string(),
        (Verdict::Denied, _) => "denied".to_string(),
        (Verdict::NotGranted, _) => "not granted".to_string(),
    };
    let validity = explanation
        .granted
        .as_ref()
        .map(|g| validity(g, tz))
        .filter(|v| !v.is_empty())
        .map(|v| format!(" {v}"))
        .unwrap_or_default();
    let _ = writeln!(out, "{name} {verdict}{validity}:");
    if explanation.rules.is_empty() {
        let _ = writeln!(out, "  no rule grants or denies {name}");
    }
    for rule in &explanation.rules {
        let reason = explanation
            .granted
            .as_ref()
            .and_then(|g| g.reasons.iter().find(|r| *r.rule == *rule.rule));
        let _ = writeln!(
            out,
            "  {}{}: {}",
            rule_ref(&rule.rule, &rule.source),
            via_text(&rule.via),
            outcome_text(rule, reason, tz)
        );
    }
    checks_section(&mut out, &explanation.checks, &[]);
    warnings_section(&mut out, &explanation.warnings);
    out
}
