//! Joiner/mover/leaver plans: the exact grant, revoke and approval actions
//! that take one person from what the policies gave them in one HR state to
//! what they give in the next.
//!
//! A person's *state* is their identity (or their absence from the HR data)
//! at an instant. [`plan_person`] evaluates the earlier state, then the
//! later identity at the later instant and at every later instant where one
//! of its windows opens or closes, and compares each evaluation with the
//! one before:
//!
//! - an entitlement granted and not held at the previous step: `grant`,
//!   effective at that instant (the later instant, or a future start date,
//!   a window that opens, a deny that ends);
//! - one pending approval and not pending at the previous step:
//!   `request-approval` (after the revoke, if a grant without approval
//!   just ended);
//! - one held at the previous step and no longer granted (a change of
//!   attributes, a termination at end of day, a window that closes, a deny
//!   that begins, or a person missing from the later data, who loses
//!   everything): `revoke`.
//!
//! Each action carries the rules behind it and the trigger: the attribute
//! changes between the two states, the person joining or leaving the data,
//! or only the passing of time.

pub mod audit;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use grantline_eval::{Decision, Evaluator, GrantStatus, GrantedEntitlement, Identity};
use grantline_ir::{Duration, DurationUnit};
use serde::Serialize;

/// What to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActionKind {
    Grant,
    Revoke,
    RequestApproval,
}

impl ActionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::Grant => "grant",
            ActionKind::Revoke => "revoke",
            ActionKind::RequestApproval => "request-approval",
        }
    }
}

/// One attribute that differs between the two states.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttributeChange {
    pub attribute: String,
    /// The value before, as identity JSON; `None`: absent.
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// Why the person's access changes.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Trigger {
    /// The person is in the later data and not in the earlier.
    Joined,
    /// The person is missing from the later data: they lose everything.
    Left,
    /// These attributes changed.
    Changed { changes: Vec<AttributeChange> },
    /// Nothing about the person changed: a date passed (a window opened or
    /// closed, an end date went by).
    Time,
}

/// One action of a plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Action {
    /// The person's key (the value of the schema's `key` attribute).
    pub person: String,
    pub action: ActionKind,
    pub entitlement: String,
    /// When the action takes effect.
    pub effective: DateTime<Utc>,
    /// The rules behind it: for a grant or a request, the rules that grant
    /// it when it takes effect; for a revoke, the rules that granted it
    /// until then.
    pub rules: Vec<String>,
    /// For a request: the groups that approve.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub approvers: Vec<String>,
    /// For a grant or a request: how long the grant lasts from the moment
    /// it is given, when every rule that grants it says so (`for N` without
    /// `from`; the longest of them): the provisioning system revokes it
    /// then, as no date of the plan can.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lasts: Option<Duration>,
    /// For a grant or a request: the entitlement's `at most` cap when a rule
    /// that grants it has no start date to count it from: the provisioning
    /// system enforces it from the moment it gives the grant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_duration: Option<Duration>,
    pub trigger: Trigger,
}

/// The longest duration of every window reason of a grant, when each has
/// one. Months count as 31 days to compare them with days and weeks, so a
/// tie between `1 months` and `31 days` keeps the month.
fn lasts(granted: &GrantedEntitlement) -> Option<Duration> {
    let upper_days = |d: &Duration| {
        u64::from(d.count)
            * match d.unit {
                DurationUnit::Days => 1,
                DurationUnit::Weeks => 7,
                DurationUnit::Months => 31,
            }
    };
    let mut longest: Option<Duration> = None;
    for reason in granted.window_reasons() {
        let lasts = reason.lasts?;
        if longest.is_none_or(|l| upper_days(&lasts) > upper_days(&l)) {
            longest = Some(lasts);
        }
    }
    longest
}

/// One side of a comparison: a person's identity (or absence) at an instant.
#[derive(Debug, Clone, Copy)]
pub struct State<'a> {
    pub identity: Option<&'a Identity>,
    pub at: DateTime<Utc>,
}

/// The entitlements granted (not pending) in a decision.
pub fn held(decision: &Decision) -> BTreeSet<String> {
    with_status(decision, GrantStatus::Granted)
}

/// The entitlements pending approval in a decision.
pub fn pending(decision: &Decision) -> BTreeSet<String> {
    with_status(decision, GrantStatus::PendingApproval)
}

fn with_status(decision: &Decision, status: GrantStatus) -> BTreeSet<String> {
    decision
        .entitlements
        .iter()
        .filter(|e| e.status == status)
        .map(|e| e.entitlement.to_string())
        .collect()
}

fn identity_json(identity: &Identity) -> BTreeMap<String, serde_json::Value> {
    identity
        .iter()
        .map(|(name, value)| {
            let json = match value {
                grantline_eval::AttributeValue::Text(text) => serde_json::json!(text),
                grantline_eval::AttributeValue::Flag(flag) => serde_json::json!(flag),
                grantline_eval::AttributeValue::Number(number) => serde_json::json!(number),
                grantline_eval::AttributeValue::Date(date) => {
                    serde_json::json!(date.format("%Y-%m-%d").to_string())
                }
                grantline_eval::AttributeValue::List(items) => serde_json::json!(items),
            };
            (name.to_string(), json)
        })
        .collect()
}

/// The trigger of a change between two states.
pub fn trigger(before: Option<&Identity>, after: Option<&Identity>) -> Trigger {
    match (before, after) {
        (None, _) => Trigger::Joined,
        (Some(_), None) => Trigger::Left,
        (Some(before), Some(after)) => {
            let before = identity_json(before);
            let after = identity_json(after);
            let names: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
            let changes: Vec<AttributeChange> = names
                .into_iter()
                .filter(|name| before.get(*name) != after.get(*name))
                .map(|name| AttributeChange {
                    attribute: name.clone(),
                    before: before.get(name).cloned(),
                    after: after.get(name).cloned(),
                })
                .collect();
            if changes.is_empty() {
                Trigger::Time
            } else {
                Trigger::Changed { changes }
            }
        }
    }
}

/// The rules that grant an entitlement, in source order.
fn rule_names(granted: &GrantedEntitlement) -> Vec<String> {
    granted.reasons.iter().map(|r| r.rule.to_string()).collect()
}

fn rules_of(decision: &Decision, entitlement: &str) -> Vec<String> {
    decision
        .entitlement(entitlement)
        .map(rule_names)
        .unwrap_or_default()
}

/// The actions that take `person` from `before` to `after`, sorted by
/// effective time, then entitlement, then action.
///
/// The later identity is evaluated at `after.at` and again at every later
/// instant where one of its windows opens or closes
/// ([`Evaluator::window_instants`]); each evaluation is compared with the
/// previous one. So a grant that opens later respects the denies and
/// approvals in force when it opens, a window that opens and closes gives a
/// grant and its revoke, and a gap between two windows gives a revoke and a
/// new grant.
pub fn plan_person(
    evaluator: &Evaluator,
    person: &str,
    before: State<'_>,
    after: State<'_>,
) -> Vec<Action> {
    let trigger = trigger(before.identity, after.identity);
    let action = |kind, entitlement: &str, effective, rules, approvers| Action {
        person: person.to_string(),
        action: kind,
        entitlement: entitlement.to_string(),
        effective,
        rules,
        approvers,
        lasts: None,
        max_duration: None,
        trigger: trigger.clone(),
    };
    let giving = |kind, granted: &GrantedEntitlement, effective, rules, approvers| Action {
        lasts: lasts(granted),
        max_duration: granted.max_duration,
        ..action(kind, &granted.entitlement, effective, rules, approvers)
    };
    let mut previous = before.identity.map(|i| evaluator.evaluate(i, before.at));
    let mut held_then = previous.as_ref().map(held).unwrap_or_default();
    let mut pending_then = previous.as_ref().map(pending).unwrap_or_default();
    let mut actions = Vec::new();

    let instants = match after.identity {
        Some(identity) => {
            let mut instants = vec![after.at];
            instants.extend(evaluator.window_instants(identity, after.at));
            instants
        }
        // Missing from the later data: one step, where everything goes.
        None => vec![after.at],
    };
    for at in instants {
        let decision = after.identity.map(|i| evaluator.evaluate(i, at));
        let held_now = decision.as_ref().map(held).unwrap_or_default();
        let pending_now = decision.as_ref().map(pending).unwrap_or_default();
        if let Some(decision) = &decision {
            for granted in &decision.entitlements {
                let name = &*granted.entitlement;
                let new_grant = granted.status == GrantStatus::Granted && !held_then.contains(name);
                // Pending again after a grant without approval ended too:
                // the revoke below takes it away, the request asks for it.
                let new_request =
                    granted.status == GrantStatus::PendingApproval && !pending_then.contains(name);
                if new_grant {
                    let rules = rule_names(granted);
                    actions.push(giving(ActionKind::Grant, granted, at, rules, Vec::new()));
                } else if new_request {
                    let rules = rule_names(granted);
                    let approvers = granted.approvers.clone();
                    actions.push(giving(
                        ActionKind::RequestApproval,
                        granted,
                        at,
                        rules,
                        approvers,
                    ));
                }
            }
        }
        for name in held_then.difference(&held_now) {
            let rules = previous
                .as_ref()
                .map(|d| rules_of(d, name))
                .unwrap_or_default();
            actions.push(action(ActionKind::Revoke, name, at, rules, Vec::new()));
        }
        held_then = held_now;
        pending_then = pending_now;
        previous = decision;
    }
    actions.sort_by(|a, b| {
        (a.effective, &a.entitlement, a.action).cmp(&(b.effective, &b.entitlement, b.action))
    });
    actions
}

/// One person of a plan: their key and their identity in the earlier and
/// the later state (`None`: not in that state's data).
#[derive(Debug, Clone, Copy)]
pub struct Person<'a> {
    pub key: &'a str,
    pub before: Option<&'a Identity>,
    pub after: Option<&'a Identity>,
}

/// The actions of every person, evaluated on every core: the earlier
/// states at `from`, the later ones at `to`. Sorted by effective time,
/// person, entitlement and action.
pub fn plan(
    evaluator: &Evaluator,
    people: &[Person<'_>],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<Action> {
    let one = |person: &Person<'_>| {
        plan_person(
            evaluator,
            person.key,
            State {
                identity: person.before,
                at: from,
            },
            State {
                identity: person.after,
                at: to,
            },
        )
    };
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = people.len().div_ceil(workers).max(1);
    let mut actions: Vec<Action> = std::thread::scope(|scope| {
        let handles: Vec<_> = people
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().flat_map(one).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|handle| match handle.join() {
                Ok(part) => part,
                // Evaluation does not panic; if it did, say so.
                Err(payload) => std::panic::resume_unwind(payload),
            })
            .collect()
    });
    actions.sort_by(|a, b| {
        (a.effective, &a.person, &a.entitlement, a.action).cmp(&(
            b.effective,
            &b.person,
            &b.entitlement,
            b.action,
        ))
    });
    actions
}

/// The counts of a plan, for its summary line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub grants: usize,
    pub revokes: usize,
    pub approvals: usize,
}

impl Totals {
    pub fn of(actions: &[Action]) -> Totals {
        let mut totals = Totals::default();
        for action in actions {
            match action.action {
                ActionKind::Grant => totals.grants += 1,
                ActionKind::Revoke => totals.revokes += 1,
                ActionKind::RequestApproval => totals.approvals += 1,
            }
        }
        totals
    }
}

/// Applies the actions effective at or before `at` to a set of held
/// entitlements (grants add, revokes remove; requests change nothing until
/// approved).
pub fn apply(held: &BTreeSet<String>, actions: &[Action], at: DateTime<Utc>) -> BTreeSet<String> {
    let mut result = held.clone();
    for action in actions.iter().filter(|a| a.effective <= at) {
        match action.action {
            ActionKind::Grant => {
                result.insert(action.entitlement.clone());
            }
            ActionKind::Revoke => {
                result.remove(&action.entitlement);
            }
            ActionKind::RequestApproval => {}
        }
    }
    result
}
