#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! Plans on a small company: the joiner/mover/leaver cases, and the property
//! that applying a plan to what a person held gives what they hold after.

use chrono::{DateTime, Utc};
use grantline_eval::{Evaluator, Identity};
use grantline_provision::{apply, held, pending, plan_person, Action, ActionKind, State, Trigger};
use grantline_syntax::SourceMap;
use proptest::prelude::*;
use serde_json::json;

const POLICY: &str = r#"
timezone "UTC"
attribute employee_id: key text
attribute employment: full-time | contractor
attribute status: active | on-leave | terminated
attribute department: Sales | Engineering | Finance
attribute country: US | DE
attribute manager: flag
attribute start_date: date
attribute end_date: optional date

entitlement slack, crm, github, payroll
entitlement crm.admin: sensitive

rule everyone:
    active grants slack
    from start_date
    until end_date

rule sales:
    active in Sales grants crm
    from start_date
    until end_date

rule sales-managers:
    active in Sales with manager status grants crm.admin
    requires approval by "crm-team"

rule engineers:
    active in Engineering grants github
    from start_date
    until end_date

rule us-finance:
    active in Finance in US grants payroll

rule offboarding:
    terminated denies everything
"#;

fn evaluator() -> Evaluator {
    let mut sources = SourceMap::new();
    sources.add("policy.grant", POLICY);
    let compiled = grantline_compiler::compile(&sources);
    assert!(
        compiled.diagnostics.is_empty(),
        "{:?}",
        compiled.diagnostics
    );
    Evaluator::new(compiled.policy.unwrap()).unwrap()
}

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn person(evaluator: &Evaluator, value: serde_json::Value) -> Identity {
    evaluator.identity_from_json(&value).unwrap()
}

fn base() -> serde_json::Value {
    json!({
        "employee_id": "NW-1", "employment": "full-time", "status": "active",
        "department": "Sales", "country": "US", "start_date": "2024-01-10"
    })
}

fn with(mut value: serde_json::Value, changes: serde_json::Value) -> serde_json::Value {
    for (k, v) in changes.as_object().unwrap() {
        if v.is_null() {
            value.as_object_mut().unwrap().remove(k);
        } else {
            value[k] = v.clone();
        }
    }
    value
}

fn plan(
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
    now: &str,
) -> Vec<Action> {
    let evaluator = evaluator();
    let before = before.map(|v| person(&evaluator, v));
    let after = after.map(|v| person(&evaluator, v));
    plan_person(
        &evaluator,
        "NW-1",
        State {
            identity: before.as_ref(),
            at: at(now),
        },
        State {
            identity: after.as_ref(),
            at: at(now),
        },
    )
}

fn summary(actions: &[Action]) -> Vec<String> {
    actions
        .iter()
        .map(|a| {
            format!(
                "{} {} at {}",
                a.action.as_str(),
                a.entitlement,
                a.effective.format("%Y-%m-%d %H:%M")
            )
        })
        .collect()
}

#[test]
fn a_joiner_with_a_future_start_date_is_granted_on_that_date() {
    let actions = plan(
        None,
        Some(with(base(), json!({"start_date": "2026-12-07"}))),
        "2026-12-01T09:00:00Z",
    );
    assert_eq!(
        summary(&actions),
        [
            "grant crm at 2026-12-07 00:00",
            "grant slack at 2026-12-07 00:00"
        ]
    );
    assert_eq!(actions[0].trigger, Trigger::Joined);
    assert_eq!(actions[0].rules, ["sales"]);
}

#[test]
fn a_transfer_across_departments_and_countries_on_one_day() {
    let actions = plan(
        Some(base()),
        Some(with(
            base(),
            json!({"department": "Engineering", "country": "DE"}),
        )),
        "2026-12-01T09:00:00Z",
    );
    assert_eq!(
        summary(&actions),
        [
            "revoke crm at 2026-12-01 09:00",
            "grant github at 2026-12-01 09:00"
        ]
    );
    let Trigger::Changed { changes } = &actions[0].trigger else {
        panic!("{:?}", actions[0].trigger);
    };
    let names: Vec<&str> = changes.iter().map(|c| c.attribute.as_str()).collect();
    assert_eq!(names, ["country", "department"]);
    assert_eq!(
        actions[0].rules,
        ["sales"],
        "a revoke names the rule that granted"
    );
}

#[test]
fn a_manager_change_requests_approval_instead_of_granting() {
    let actions = plan(
        Some(base()),
        Some(with(base(), json!({"manager": true}))),
        "2026-12-01T09:00:00Z",
    );
    assert_eq!(actions.len(), 1);
    assert_eq!(actions[0].action, ActionKind::RequestApproval);
    assert_eq!(actions[0].entitlement, "crm.admin");
    assert_eq!(actions[0].approvers, ["crm-team"]);
}

#[test]
fn termination_effective_immediately_revokes_everything_now() {
    let actions = plan(
        Some(base()),
        Some(with(base(), json!({"status": "terminated"}))),
        "2026-12-01T09:00:00Z",
    );
    assert_eq!(
        summary(&actions),
        [
            "revoke crm at 2026-12-01 09:00",
            "revoke slack at 2026-12-01 09:00"
        ]
    );
}

#[test]
fn termination_at_end_of_day_revokes_at_that_instant() {
    let actions = plan(
        Some(base()),
        Some(with(base(), json!({"end_date": "2026-12-01"}))),
        "2026-12-01T09:00:00Z",
    );
    assert_eq!(
        summary(&actions),
        [
            "revoke crm at 2026-12-02 00:00",
            "revoke slack at 2026-12-02 00:00"
        ]
    );
}

#[test]
fn a_person_missing_from_the_later_data_loses_everything() {
    let actions = plan(Some(base()), None, "2026-12-01T09:00:00Z");
    assert_eq!(actions.len(), 2);
    assert!(actions
        .iter()
        .all(|a| a.action == ActionKind::Revoke && a.trigger == Trigger::Left));
}

#[test]
fn nothing_changes_nothing_happens() {
    assert!(plan(Some(base()), Some(base()), "2026-12-01T09:00:00Z").is_empty());
}

fn identity_strategy() -> impl Strategy<Value = Option<serde_json::Value>> {
    let value = (
        prop::sample::select(vec!["full-time", "contractor"]),
        prop::sample::select(vec!["active", "on-leave", "terminated"]),
        prop::sample::select(vec!["Sales", "Engineering", "Finance"]),
        prop::sample::select(vec!["US", "DE"]),
        any::<bool>(),
        prop::sample::select(vec!["2024-01-10", "2026-11-30", "2026-12-03"]),
        prop::option::of(prop::sample::select(vec![
            "2026-11-29",
            "2026-12-01",
            "2027-03-31",
        ])),
    )
        .prop_map(
            |(employment, status, department, country, manager, start, end)| {
                let mut value = json!({
                    "employee_id": "NW-1", "employment": employment, "status": status,
                    "department": department, "country": country, "manager": manager,
                    "start_date": start,
                });
                if let Some(end) = end {
                    value["end_date"] = json!(end);
                }
                value
            },
        );
    prop::option::weighted(0.9, value)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Applying the plan's actions that are due to what the person held
    /// before gives exactly what they hold after; and applying the later
    /// ones at their time gives what they hold then.
    #[test]
    fn applying_the_plan_gives_the_after_entitlements(
        before in identity_strategy(),
        after in identity_strategy(),
        hours in 0i64..72,
    ) {
        let evaluator = evaluator();
        let before = before.map(|v| person(&evaluator, v));
        let after = after.map(|v| person(&evaluator, v));
        let now = at("2026-12-01T09:00:00Z");
        let actions = plan_person(
            &evaluator,
            "NW-1",
            State { identity: before.as_ref(), at: now },
            State { identity: after.as_ref(), at: now },
        );
        let held_before = before
            .as_ref()
            .map(|i| held(&evaluator.evaluate(i, now)))
            .unwrap_or_default();
        let held_after = |at| {
            after
                .as_ref()
                .map(|i| held(&evaluator.evaluate(i, at)))
                .unwrap_or_default()
        };
        prop_assert_eq!(apply(&held_before, &actions, now), held_after(now));
        // Later: the scheduled grants and revokes, with the person unchanged.
        let later = now + chrono::Duration::hours(hours);
        prop_assert_eq!(apply(&held_before, &actions, later), held_after(later));
    }
}

/// The plans of several people between two exports, by key.
fn plan_all(
    before: &[serde_json::Value],
    after: &[serde_json::Value],
    from: &str,
    to: &str,
) -> Vec<Action> {
    let evaluator = evaluator();
    let index = |people: &[serde_json::Value]| -> std::collections::BTreeMap<String, Identity> {
        people
            .iter()
            .map(|v| {
                (
                    v["employee_id"].as_str().unwrap().to_string(),
                    person(&evaluator, v.clone()),
                )
            })
            .collect()
    };
    let (before, after) = (index(before), index(after));
    let keys: std::collections::BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    keys.into_iter()
        .flat_map(|key| {
            plan_person(
                &evaluator,
                key,
                State {
                    identity: before.get(key),
                    at: at(from),
                },
                State {
                    identity: after.get(key),
                    at: at(to),
                },
            )
        })
        .collect()
}

#[test]
fn a_rehire_with_a_new_employee_id_is_a_leaver_and_a_joiner() {
    let old = with(
        base(),
        json!({"email": "sam@northwind.example", "status": "terminated"}),
    );
    let new = with(
        base(),
        json!({"employee_id": "NW-2", "email": "sam@northwind.example", "start_date": "2026-11-30"}),
    );
    // Before: the old record, terminated (holds nothing). After: only the
    // new one. Nothing carries over from the old id; the new one joins.
    let actions = plan_all(
        &[old],
        &[new],
        "2026-12-01T09:00:00Z",
        "2026-12-01T09:00:00Z",
    );
    assert!(actions.iter().all(|a| a.person == "NW-2"), "{actions:?}");
    assert!(actions
        .iter()
        .all(|a| a.action == ActionKind::Grant && a.trigger == Trigger::Joined));
    assert_eq!(actions.len(), 2, "slack and crm");
}

#[test]
fn a_name_change_changes_no_access() {
    let before = with(base(), json!({"email": "jo.smith@northwind.example"}));
    let after = with(base(), json!({"email": "jo.jones@northwind.example"}));
    assert!(plan(Some(before), Some(after), "2026-12-01T09:00:00Z").is_empty());
}

#[test]
fn several_changes_in_one_day_give_one_set_of_actions() {
    // Moves to Finance in DE and becomes a manager, all in one record.
    let after = with(
        base(),
        json!({"department": "Finance", "country": "DE", "manager": true}),
    );
    let actions = plan(Some(base()), Some(after), "2026-12-01T09:00:00Z");
    assert_eq!(summary(&actions), ["revoke crm at 2026-12-01 09:00"]);
    let Trigger::Changed { changes } = &actions[0].trigger else {
        panic!("{:?}", actions[0].trigger);
    };
    assert_eq!(changes.len(), 3);
}

#[test]
fn a_backdated_termination_revokes_now_not_in_the_past() {
    // HR records on 2026-12-01 that the last day was 2026-11-27.
    let after = with(base(), json!({"end_date": "2026-11-27"}));
    let actions = plan(Some(base()), Some(after), "2026-12-01T09:00:00Z");
    assert_eq!(
        summary(&actions),
        [
            "revoke crm at 2026-12-01 09:00",
            "revoke slack at 2026-12-01 09:00"
        ]
    );
}

#[test]
fn a_contractor_whose_end_date_passes_loses_access_with_no_change_in_the_data() {
    let contractor = with(
        base(),
        json!({"employment": "contractor", "end_date": "2026-12-03"}),
    );
    let actions = plan_all(
        std::slice::from_ref(&contractor),
        std::slice::from_ref(&contractor),
        "2026-12-01T09:00:00Z",
        "2026-12-05T09:00:00Z",
    );
    assert_eq!(
        summary(&actions),
        [
            "revoke crm at 2026-12-05 09:00",
            "revoke slack at 2026-12-05 09:00"
        ]
    );
    assert!(actions.iter().all(|a| a.trigger == Trigger::Time));
}

#[test]
fn a_person_on_leave_who_returns_gets_access_back() {
    let on_leave = with(base(), json!({"status": "on-leave"}));
    let actions = plan(Some(on_leave), Some(base()), "2026-12-01T09:00:00Z");
    assert_eq!(
        summary(&actions),
        [
            "grant crm at 2026-12-01 09:00",
            "grant slack at 2026-12-01 09:00"
        ]
    );
}

const DEPARTMENTS: [&str; 3] = ["Sales", "Engineering", "Finance"];

#[test]
fn the_plan_of_many_people_is_each_persons_plan_in_order() {
    let evaluator = evaluator();
    let values: Vec<serde_json::Value> = (0..50)
        .map(|n| {
            with(
                base(),
                json!({"employee_id": format!("NW-{n:03}"),
                       "department": DEPARTMENTS[n % 3]}),
            )
        })
        .collect();
    let before: Vec<Identity> = values
        .iter()
        .map(|v| person(&evaluator, v.clone()))
        .collect();
    let after: Vec<Identity> = values
        .iter()
        .enumerate()
        .map(|(n, v)| {
            let status = if n % 7 == 0 { "terminated" } else { "active" };
            person(
                &evaluator,
                with(v.clone(), json!({"manager": n % 2 == 0, "status": status})),
            )
        })
        .collect();
    let keys: Vec<String> = values
        .iter()
        .map(|v| v["employee_id"].as_str().unwrap().to_string())
        .collect();
    let people: Vec<grantline_provision::Person<'_>> = keys
        .iter()
        .enumerate()
        .map(|(n, key)| grantline_provision::Person {
            key,
            before: before.get(n),
            after: after.get(n),
        })
        .collect();
    let now = at("2026-12-01T09:00:00Z");
    let all = grantline_provision::plan(&evaluator, &people, now, now);
    let mut one_by_one: Vec<Action> = people
        .iter()
        .flat_map(|p| {
            plan_person(
                &evaluator,
                p.key,
                State {
                    identity: p.before,
                    at: now,
                },
                State {
                    identity: p.after,
                    at: now,
                },
            )
        })
        .collect();
    one_by_one.sort_by(|a, b| {
        (a.effective, &a.person, &a.entitlement, a.action).cmp(&(
            b.effective,
            &b.person,
            &b.entitlement,
            b.action,
        ))
    });
    assert!(!all.is_empty());
    assert_eq!(all, one_by_one);
}

/// Windows that open and close within the three days the property looks at,
/// a deny that begins and ends, a handover between two rules, a gap, and an
/// approval whose window opens later: each changes the holdings at an
/// instant after the plan's, where only time passes.
const WINDOWS_POLICY: &str = r#"
timezone "Europe/Berlin"
attribute employee_id: key text
attribute status: active | on-leave | terminated
attribute department: Sales | Engineering | Finance
attribute manager: flag
attribute start_date: date
attribute end_date: optional date

entitlement slack, crm, vpn, payroll, training
entitlement crm.admin: sensitive, at most 2 days

rule everyone:
    active grants slack
    from start_date
    until end_date

rule one-day-training:
    active grants training
    from 2026-12-02
    until 2026-12-02

rule vpn-until-monday:
    active grants vpn
    until 2026-11-30

rule vpn-from-tuesday:
    active grants vpn
    from 2026-12-01
    until 2026-12-02

rule vpn-again-from-friday:
    active grants vpn
    from 2026-12-04

rule sales:
    active in Sales grants crm, payroll
    from start_date

rule sales-managers:
    active in Sales with manager status grants crm.admin
    requires approval by "crm-team"
    from 2026-12-02

rule sales-managers-now:
    active in Sales with manager status grants crm.admin
    from 2026-12-01
    until 2026-12-01

rule payroll-freeze:
    in Sales denies payroll
    from 2026-12-02
    until 2026-12-03

rule leavers:
    terminated denies everything
    from end_date
"#;

fn windows_identity() -> impl Strategy<Value = Option<serde_json::Value>> {
    let value = (
        prop::sample::select(vec!["active", "on-leave", "terminated"]),
        prop::sample::select(vec!["Sales", "Engineering", "Finance"]),
        any::<bool>(),
        prop::sample::select(vec!["2024-01-10", "2026-12-01", "2026-12-02", "2026-12-03"]),
        prop::option::of(prop::sample::select(vec![
            "2026-11-29",
            "2026-12-01",
            "2026-12-02",
            "2027-03-31",
        ])),
    )
        .prop_map(|(status, department, manager, start, end)| {
            let mut value = json!({
                "employee_id": "NW-1", "status": status, "department": department,
                "manager": manager, "start_date": start,
            });
            if let Some(end) = end {
                value["end_date"] = json!(end);
            }
            value
        });
    prop::option::weighted(0.9, value)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// The property above, hour by hour over four days, on a policy whose
    /// holdings change with time alone: the plan's actions due by each hour,
    /// applied to what the person held before, give what they hold then.
    #[test]
    fn applying_the_plan_gives_the_holdings_at_every_later_hour(
        before in windows_identity(),
        after in windows_identity(),
        start_hour in 0i64..24,
    ) {
        let mut sources = SourceMap::new();
        sources.add("windows.grant", WINDOWS_POLICY);
        let compiled = grantline_compiler::compile(&sources);
        prop_assert!(compiled.diagnostics.is_empty(), "{:?}", compiled.diagnostics);
        let evaluator = Evaluator::new(compiled.policy.unwrap()).unwrap();
        let before = before.map(|v| person(&evaluator, v));
        let after = after.map(|v| person(&evaluator, v));
        let now = at("2026-11-30T00:00:00Z") + chrono::Duration::hours(start_hour);
        let actions = plan_person(
            &evaluator,
            "NW-1",
            State { identity: before.as_ref(), at: now },
            State { identity: after.as_ref(), at: now },
        );
        let held_before = before
            .as_ref()
            .map(|i| held(&evaluator.evaluate(i, now)))
            .unwrap_or_default();
        let mut pending_then = before
            .as_ref()
            .map(|i| pending(&evaluator.evaluate(i, now)))
            .unwrap_or_default();
        for hour in 0..(24 * 5) {
            let later = now + chrono::Duration::hours(hour);
            let decision = after.as_ref().map(|i| evaluator.evaluate(i, later));
            let held_later = decision.as_ref().map(held).unwrap_or_default();
            // What became pending since the previous hour was requested in
            // that hour.
            let pending_later = decision.as_ref().map(pending).unwrap_or_default();
            for entitlement in pending_later.difference(&pending_then) {
                prop_assert!(
                    actions.iter().any(|a| a.action == ActionKind::RequestApproval
                        && &a.entitlement == entitlement
                        && a.effective <= later
                        && (hour == 0 || a.effective > later - chrono::Duration::hours(1))),
                    "no request for {} by {} in {:#?}",
                    entitlement,
                    later,
                    actions
                );
            }
            pending_then = pending_later;
            prop_assert_eq!(
                apply(&held_before, &actions, later),
                held_later,
                "at {} with actions {:#?}",
                later,
                actions
            );
        }
        // Each approval is requested once, when it first becomes pending.
        let mut requests: Vec<&str> = actions
            .iter()
            .filter(|a| a.action == ActionKind::RequestApproval)
            .map(|a| a.entitlement.as_str())
            .collect();
        let count = requests.len();
        requests.dedup();
        prop_assert_eq!(requests.len(), count);
    }
}

#[test]
fn a_window_that_opens_and_closes_later_gives_a_grant_and_its_revoke() {
    let mut sources = SourceMap::new();
    sources.add("windows.grant", WINDOWS_POLICY);
    let evaluator = Evaluator::new(grantline_compiler::compile(&sources).policy.unwrap()).unwrap();
    let sales_manager = person(
        &evaluator,
        json!({"employee_id": "NW-1", "status": "active", "department": "Sales",
               "manager": true, "start_date": "2024-01-10"}),
    );
    let now = at("2026-11-30T09:00:00Z");
    let actions = plan_person(
        &evaluator,
        "NW-1",
        State {
            identity: None,
            at: now,
        },
        State {
            identity: Some(&sales_manager),
            at: now,
        },
    );
    // Berlin is UTC+1 in December: local midnight is 23:00 UTC the day before.
    assert_eq!(
        summary(&actions),
        [
            "grant crm at 2026-11-30 09:00",
            "grant payroll at 2026-11-30 09:00",
            "grant slack at 2026-11-30 09:00",
            "grant vpn at 2026-11-30 09:00",
            // The first vpn window hands over to the second: no change.
            "grant crm.admin at 2026-11-30 23:00",
            // The grant without approval ends as the one with approval opens.
            "revoke crm.admin at 2026-12-01 23:00",
            "request-approval crm.admin at 2026-12-01 23:00",
            // The freeze begins; the one-day training opens.
            "revoke payroll at 2026-12-01 23:00",
            "grant training at 2026-12-01 23:00",
            "revoke training at 2026-12-02 23:00",
            "revoke vpn at 2026-12-02 23:00",
            // The freeze ends; the vpn comes back after a one-day gap.
            "grant payroll at 2026-12-03 23:00",
            "grant vpn at 2026-12-03 23:00",
        ]
    );
}

#[test]
fn a_grant_that_lasts_from_the_moment_it_is_given_says_how_long() {
    // No date of the plan can revoke these: the actions carry the durations
    // the provisioning system enforces from the moment it gives the grant.
    let mut sources = SourceMap::new();
    sources.add(
        "durations.grant",
        r#"
timezone "UTC"
attribute employee_id: key text
attribute department: Sales | Engineering
entitlement breakglass
entitlement crm: at most 30 days
rule breakglass-short:
    in Engineering grants breakglass
    for 7 days
rule breakglass-long:
    in Engineering grants breakglass
    for 2 weeks
rule sales:
    in Sales grants crm
"#,
    );
    let evaluator = Evaluator::new(grantline_compiler::compile(&sources).policy.unwrap()).unwrap();
    let plan_for = |department: &str| {
        let identity = person(
            &evaluator,
            json!({"employee_id": "NW-1", "department": department}),
        );
        let now = at("2026-12-01T09:00:00Z");
        plan_person(
            &evaluator,
            "NW-1",
            State {
                identity: None,
                at: now,
            },
            State {
                identity: Some(&identity),
                at: now,
            },
        )
    };
    let engineer = plan_for("Engineering");
    assert_eq!(engineer.len(), 1);
    let lasts = serde_json::to_value(engineer[0].lasts).unwrap();
    assert_eq!(lasts, json!({"count": 2, "unit": "weeks"}));
    assert_eq!(engineer[0].max_duration, None);
    let seller = plan_for("Sales");
    assert_eq!(seller[0].lasts, None);
    let cap = serde_json::to_value(seller[0].max_duration).unwrap();
    assert_eq!(cap, json!({"count": 30, "unit": "days"}));
    let line = serde_json::to_value(&seller[0]).unwrap();
    assert!(line.get("lasts").is_none() && line.get("max_duration").is_some());
}
