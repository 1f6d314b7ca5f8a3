#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use chrono::{DateTime, Utc};
use common::*;
use grantline_eval::*;
use grantline_ir::{Approval, DurationUnit, Ordering, Target, Value};
use serde_json::json;

const AT: &str = "2026-06-15T12:00:00Z";

/// The three-valued truth of `condition` for an identity, observed through
/// decisions only: a grant applies on true, a deny on true or unknown.
fn truth(condition: grantline_ir::Condition, record: serde_json::Value) -> &'static str {
    let ev = P::standard()
        .ents(&["g", "d"])
        .rule(grant("g-if", condition.clone(), &["g"]))
        .rule(grant("d-always", anyone(), &["d"]))
        .rule(deny("d-unless", condition, &["d"]))
        .build();
    let decision = ev.evaluate(&identity(&ev, record), t(AT));
    let granted = granted_names(&decision).contains(&"g");
    let denied = denied_names(&decision).contains(&"d");
    match (granted, denied) {
        (true, true) => "true",
        (false, true) => "unknown",
        (false, false) => "false",
        (true, false) => panic!("a grant applied where the same condition as a deny did not"),
    }
}

#[test]
fn is_and_in_on_closed_sets_and_text() {
    assert_eq!(truth(is("department", "Finance"), alice()), "true");
    assert_eq!(truth(is("department", "Sales"), alice()), "false");
    assert_eq!(truth(is("department", "Sales"), json!({})), "unknown");
    assert_eq!(
        truth(is_in("department", &["Sales", "Finance"]), alice()),
        "true"
    );
    assert_eq!(
        truth(is_in("department", &["Sales", "Engineering"]), alice()),
        "false"
    );
    assert_eq!(
        truth(is_in("department", &["Sales", "Finance"]), json!({})),
        "unknown"
    );
    assert_eq!(truth(is("title", "Senior Accountant"), alice()), "true");
    assert_eq!(truth(is("title", "senior accountant"), alice()), "false");
    assert_eq!(truth(is("title", "x"), json!({})), "unknown");
}

#[test]
fn equality_on_numbers_and_dates() {
    assert_eq!(
        truth(is_value("level", Value::Number(5.0)), alice()),
        "true"
    );
    assert_eq!(
        truth(is_value("level", Value::Number(5.5)), alice()),
        "false"
    );
    assert_eq!(
        truth(
            is_value("start_date", Value::Date(d("2024-03-01"))),
            alice()
        ),
        "true"
    );
    assert_eq!(
        truth(
            is_value("start_date", Value::Date(d("2024-03-02"))),
            alice()
        ),
        "false"
    );
    let in_dates = grantline_ir::Condition::In {
        attribute: "start_date".into(),
        values: vec![Value::Date(d("2020-01-01")), Value::Date(d("2024-03-01"))],
    };
    assert_eq!(truth(in_dates, alice()), "true");
}

#[test]
fn flags_are_false_when_absent() {
    assert_eq!(truth(flag("manager"), json!({"manager": true})), "true");
    assert_eq!(truth(flag("manager"), json!({"manager": false})), "false");
    assert_eq!(truth(flag("manager"), json!({})), "false");
    assert_eq!(truth(flag("manager"), json!({"manager": null})), "false");
    assert_eq!(truth(not(flag("manager")), json!({})), "true");
}

#[test]
fn number_comparisons_at_their_boundaries() {
    let five = json!({"level": 5});
    assert_eq!(truth(level(Ordering::Greater, 5.0), five.clone()), "false");
    assert_eq!(truth(level(Ordering::Greater, 4.9), five.clone()), "true");
    assert_eq!(
        truth(level(Ordering::GreaterOrEqual, 5.0), five.clone()),
        "true"
    );
    assert_eq!(
        truth(level(Ordering::GreaterOrEqual, 5.1), five.clone()),
        "false"
    );
    assert_eq!(truth(level(Ordering::Less, 5.0), five.clone()), "false");
    assert_eq!(truth(level(Ordering::Less, 5.1), five.clone()), "true");
    assert_eq!(
        truth(level(Ordering::LessOrEqual, 5.0), five.clone()),
        "true"
    );
    assert_eq!(truth(level(Ordering::LessOrEqual, 4.0), five), "false");
    assert_eq!(truth(level(Ordering::Greater, 0.0), json!({})), "unknown");
    assert_eq!(
        truth(level(Ordering::Less, 2.5), json!({"level": -1.5})),
        "true"
    );
}

#[test]
fn date_comparisons() {
    let date = |op, s| cmp("start_date", op, Value::Date(d(s)));
    let record = json!({"start_date": "2026-01-01"});
    assert_eq!(
        truth(date(Ordering::Less, "2026-01-01"), record.clone()),
        "false"
    );
    assert_eq!(
        truth(date(Ordering::LessOrEqual, "2026-01-01"), record.clone()),
        "true"
    );
    assert_eq!(
        truth(date(Ordering::Greater, "2025-12-31"), record.clone()),
        "true"
    );
    assert_eq!(
        truth(date(Ordering::GreaterOrEqual, "2026-01-02"), record),
        "false"
    );
    assert_eq!(
        truth(date(Ordering::Less, "2026-01-01"), json!({})),
        "unknown"
    );
}

#[test]
fn contains_on_lists_and_text() {
    assert_eq!(truth(contains("groups", "vpn"), alice()), "true");
    assert_eq!(truth(contains("groups", "VPN"), alice()), "false");
    assert_eq!(truth(contains("groups", "admins"), alice()), "false");
    // An absent list is empty, never unknown.
    assert_eq!(truth(contains("groups", "vpn"), json!({})), "false");
    assert_eq!(truth(not(contains("groups", "vpn")), json!({})), "true");
    assert_eq!(
        truth(contains("groups", "vpn"), json!({"groups": []})),
        "false"
    );
    // On text, `contains` is a case-sensitive substring test.
    assert_eq!(truth(contains("title", "Accountant"), alice()), "true");
    assert_eq!(truth(contains("title", "accountant"), alice()), "false");
    assert_eq!(truth(contains("title", "Acc"), json!({})), "unknown");
}

#[test]
fn kleene_logic() {
    let unknown = || level(Ordering::Greater, 3.0); // level absent below
    let yes = || is("department", "Finance");
    let no = || is("department", "Sales");
    let record = json!({"department": "Finance"});
    assert_eq!(truth(unknown(), record.clone()), "unknown");
    assert_eq!(truth(not(unknown()), record.clone()), "unknown");
    assert_eq!(truth(and(vec![unknown(), no()]), record.clone()), "false");
    assert_eq!(truth(and(vec![no(), unknown()]), record.clone()), "false");
    assert_eq!(
        truth(and(vec![unknown(), yes()]), record.clone()),
        "unknown"
    );
    assert_eq!(truth(or(vec![unknown(), yes()]), record.clone()), "true");
    assert_eq!(truth(or(vec![yes(), unknown()]), record.clone()), "true");
    assert_eq!(truth(or(vec![unknown(), no()]), record.clone()), "unknown");
    assert_eq!(
        truth(not(and(vec![unknown(), no()])), record.clone()),
        "true"
    );
    assert_eq!(
        truth(not(or(vec![unknown(), yes()])), record.clone()),
        "false"
    );
    assert_eq!(truth(and(vec![]), record.clone()), "true");
    assert_eq!(truth(or(vec![]), record.clone()), "false");
    assert_eq!(truth(anyone(), json!({})), "true");
}

/// Asserts the entitlement `e` is granted exactly on `[opens, closes)`.
fn assert_window(
    ev: &Evaluator,
    who: &Identity,
    e: &str,
    opens: DateTime<Utc>,
    closes: DateTime<Utc>,
) {
    let has = |at: DateTime<Utc>| granted_names(&ev.evaluate(who, at)).contains(&e);
    assert!(
        !has(opens - secs(1)),
        "{e} granted 1s before it opens at {opens}"
    );
    assert!(has(opens), "{e} not granted when it opens at {opens}");
    assert!(
        has(closes - secs(1)),
        "{e} not granted 1s before it closes at {closes}"
    );
    assert!(!has(closes), "{e} still granted when it closes at {closes}");
    // Before it opens, it is upcoming from the exact instant.
    let before = ev.evaluate(who, opens - secs(1));
    let upcoming: Vec<_> = before
        .upcoming
        .iter()
        .filter(|u| &*u.entitlement == e)
        .collect();
    assert_eq!(upcoming.len(), 1);
    assert_eq!(upcoming[0].opens_at, opens);
    // While open, the entry carries the window.
    let open = ev.evaluate(who, opens);
    let entry = open.entitlement(e).unwrap();
    assert_eq!(entry.valid_from, Some(opens));
    assert_eq!(entry.valid_until, Some(closes));
}

#[test]
fn fixed_windows_in_utc() {
    let ev = P::standard()
        .ent("vpn")
        .rule(
            grant("w", anyone(), &["vpn"])
                .starting("2026-03-01")
                .until_date("2026-06-30"),
        )
        .build();
    let who = identity(&ev, alice());
    assert_window(
        &ev,
        &who,
        "vpn",
        t("2026-03-01T00:00:00Z"),
        t("2026-07-01T00:00:00Z"),
    );
}

#[test]
fn fixed_windows_in_berlin_across_dst() {
    // Opens in winter time (UTC+1), closes in summer time (UTC+2).
    let ev = P::standard()
        .timezone("Europe/Berlin")
        .ent("vpn")
        .rule(
            grant("w", anyone(), &["vpn"])
                .starting("2026-03-01")
                .until_date("2026-06-30"),
        )
        .build();
    let who = identity(&ev, alice());
    assert_window(
        &ev,
        &who,
        "vpn",
        t("2026-02-28T23:00:00Z"),
        t("2026-06-30T22:00:00Z"),
    );

    // A window whose last day is the day before the spring switch, and one
    // that starts on the autumn switch day.
    let ev = P::standard()
        .timezone("Europe/Berlin")
        .ents(&["a", "b"])
        .rule(
            grant("a", anyone(), &["a"])
                .starting("2026-03-28")
                .until_date("2026-03-28"),
        )
        .rule(
            grant("b", anyone(), &["b"])
                .starting("2026-10-25")
                .until_date("2026-10-25"),
        )
        .build();
    let who = identity(&ev, alice());
    assert_window(
        &ev,
        &who,
        "a",
        t("2026-03-27T23:00:00Z"),
        t("2026-03-28T23:00:00Z"),
    );
    // 2026-10-25 has 25 hours in Berlin.
    assert_window(
        &ev,
        &who,
        "b",
        t("2026-10-24T22:00:00Z"),
        t("2026-10-25T23:00:00Z"),
    );
}

#[test]
fn fixed_windows_in_new_york_across_dst() {
    let ev = P::standard()
        .timezone("America/New_York")
        .ents(&["spring", "fall"])
        // 2026-03-08: clocks go from 02:00 EST to 03:00 EDT (a 23-hour day).
        .rule(
            grant("spring", anyone(), &["spring"])
                .starting("2026-03-08")
                .until_date("2026-03-08"),
        )
        // 2026-11-01: clocks go back from 02:00 EDT to 01:00 EST (25 hours).
        .rule(
            grant("fall", anyone(), &["fall"])
                .starting("2026-11-01")
                .until_date("2026-11-01"),
        )
        .build();
    let who = identity(&ev, alice());
    assert_window(
        &ev,
        &who,
        "spring",
        t("2026-03-08T05:00:00Z"),
        t("2026-03-09T04:00:00Z"),
    );
    assert_window(
        &ev,
        &who,
        "fall",
        t("2026-11-01T04:00:00Z"),
        t("2026-11-02T05:00:00Z"),
    );
}

#[test]
fn attribute_windows() {
    let ev = P::standard()
        .timezone("Europe/Berlin")
        .ent("building")
        .rule(
            grant("employees", anyone(), &["building"])
                .starting_attr("start_date")
                .until_attr("end_date"),
        )
        .build();
    let who = identity(
        &ev,
        json!({"start_date": "2026-01-05", "end_date": "2026-08-31"}),
    );
    assert_window(
        &ev,
        &who,
        "building",
        t("2026-01-04T23:00:00Z"),
        t("2026-08-31T22:00:00Z"),
    );
}

#[test]
fn missing_window_attributes_for_grants() {
    let ev = P::standard()
        .ents(&["from-missing", "until-optional", "until-required"])
        .rule(grant("a", anyone(), &["from-missing"]).starting_attr("start_date"))
        .rule(grant("b", anyone(), &["until-optional"]).until_attr("end_date"))
        .rule(grant("c", anyone(), &["until-required"]).until_attr("start_date"))
        .build();
    let decision = ev.evaluate(&identity(&ev, json!({})), t(AT));
    // A missing `from` attribute fails closed; a missing optional `until`
    // attribute means no end; a missing required one fails closed.
    assert_eq!(granted_names(&decision), vec!["until-optional"]);
    let entry = decision.entitlement("until-optional").unwrap();
    assert_eq!(entry.valid_until, None);
    assert_eq!(entry.valid_from, None);
}

#[test]
fn durations_with_from_close_after_calendar_arithmetic() {
    let ev = P::standard()
        .ents(&[
            "month",
            "weeks",
            "days",
            "capped-by-until",
            "capped-by-duration",
        ])
        .rule(
            grant("m", anyone(), &["month"])
                .starting("2026-01-31")
                .lasting(1, DurationUnit::Months),
        )
        .rule(
            grant("w", anyone(), &["weeks"])
                .starting("2026-01-31")
                .lasting(2, DurationUnit::Weeks),
        )
        .rule(
            grant("d", anyone(), &["days"])
                .starting("2026-01-31")
                .lasting(10, DurationUnit::Days),
        )
        .rule(
            grant("u", anyone(), &["capped-by-until"])
                .starting("2026-01-01")
                .until_date("2026-01-10")
                .lasting(1, DurationUnit::Months),
        )
        .rule(
            grant("v", anyone(), &["capped-by-duration"])
                .starting("2026-01-01")
                .until_date("2026-12-31")
                .lasting(1, DurationUnit::Months),
        )
        .build();
    let who = identity(&ev, alice());
    // Jan 31 + 1 month clamps to Feb 28: the window closes at its start.
    assert_window(
        &ev,
        &who,
        "month",
        t("2026-01-31T00:00:00Z"),
        t("2026-02-28T00:00:00Z"),
    );
    assert_window(
        &ev,
        &who,
        "weeks",
        t("2026-01-31T00:00:00Z"),
        t("2026-02-14T00:00:00Z"),
    );
    assert_window(
        &ev,
        &who,
        "days",
        t("2026-01-31T00:00:00Z"),
        t("2026-02-10T00:00:00Z"),
    );
    assert_window(
        &ev,
        &who,
        "capped-by-until",
        t("2026-01-01T00:00:00Z"),
        t("2026-01-11T00:00:00Z"),
    );
    assert_window(
        &ev,
        &who,
        "capped-by-duration",
        t("2026-01-01T00:00:00Z"),
        t("2026-02-01T00:00:00Z"),
    );
}

#[test]
fn months_clamp_in_leap_years_from_an_attribute() {
    let ev = P::standard()
        .ent("x")
        .rule(
            grant("m", anyone(), &["x"])
                .starting_attr("start_date")
                .lasting(1, DurationUnit::Months),
        )
        .build();
    let who = identity(&ev, json!({"start_date": "2028-01-31"}));
    assert_window(
        &ev,
        &who,
        "x",
        t("2028-01-31T00:00:00Z"),
        t("2028-02-29T00:00:00Z"),
    );
}

#[test]
fn durations_without_from_last_from_the_grant() {
    let ev = P::standard()
        .ents(&["a", "b"])
        .rule(grant("a", anyone(), &["a"]).lasting(30, DurationUnit::Days))
        .rule(
            grant("b", anyone(), &["b"])
                .until_date("2026-12-31")
                .lasting(2, DurationUnit::Weeks),
        )
        .build();
    let decision = ev.evaluate(&identity(&ev, alice()), t(AT));
    let a = decision.entitlement("a").unwrap();
    assert_eq!(a.reasons[0].lasts, Some(days(30)));
    assert_eq!((a.valid_from, a.valid_until), (None, None));
    let b = decision.entitlement("b").unwrap();
    assert_eq!(
        b.reasons[0].lasts,
        Some(grantline_ir::Duration {
            count: 2,
            unit: DurationUnit::Weeks
        })
    );
    assert_eq!(b.valid_until, Some(t("2027-01-01T00:00:00Z")));
}

#[test]
fn max_duration_caps_windows_with_a_start_and_is_reported_otherwise() {
    let ev = P::standard()
        .ent_with("admin", true, Some(days(30)))
        .ent_with("other", false, Some(days(30)))
        .rule(
            grant("fixed", anyone(), &["admin"])
                .starting("2026-01-01")
                .until_date("2026-12-31"),
        )
        .rule(grant("open", anyone(), &["other"]).until_date("2026-12-31"))
        .build();
    let who = identity(&ev, alice());
    assert_window(
        &ev,
        &who,
        "admin",
        t("2026-01-01T00:00:00Z"),
        t("2026-01-31T00:00:00Z"),
    );
    let decision = ev.evaluate(&who, t("2026-01-15T00:00:00Z"));
    let admin = decision.entitlement("admin").unwrap();
    assert!(admin.sensitive);
    assert_eq!(
        admin.max_duration, None,
        "the cap was applied to the window"
    );
    let other = decision.entitlement("other").unwrap();
    assert!(!other.sensitive);
    assert_eq!(other.max_duration, Some(days(30)));
    assert_eq!(other.valid_until, Some(t("2027-01-01T00:00:00Z")));
}

#[test]
fn valid_from_and_until_combine_over_reasons() {
    let ev = P::standard()
        .ents(&["x", "y"])
        .rule(
            grant("a", anyone(), &["x", "y"])
                .starting("2026-01-01")
                .until_date("2026-07-31"),
        )
        .rule(
            grant("b", anyone(), &["x"])
                .starting("2026-02-01")
                .until_date("2026-09-30"),
        )
        .rule(grant("c", anyone(), &["y"]).starting("2026-05-01"))
        .build();
    let decision = ev.evaluate(&identity(&ev, alice()), t(AT));
    let x = decision.entitlement("x").unwrap();
    assert_eq!(x.valid_from, Some(t("2026-01-01T00:00:00Z")));
    assert_eq!(x.valid_until, Some(t("2026-10-01T00:00:00Z")));
    assert_eq!(
        x.reasons.iter().map(|r| &*r.rule).collect::<Vec<_>>(),
        vec!["a", "b"]
    );
    let y = decision.entitlement("y").unwrap();
    assert_eq!(y.valid_from, Some(t("2026-01-01T00:00:00Z")));
    assert_eq!(y.valid_until, None, "rule c has no end");
}

#[test]
fn deny_beats_grant() {
    let ev = P::standard()
        .ents(&["salesforce.admin", "slack"])
        .rule(grant("admins", anyone(), &["salesforce.admin", "slack"]))
        .rule(grant(
            "more-admins",
            is("department", "Finance"),
            &["salesforce.admin"],
        ))
        .rule(deny(
            "no-contractor-admin",
            is("employment", "contractor"),
            &["salesforce.admin"],
        ))
        .build();
    let contractor = identity(
        &ev,
        json!({"employment": "contractor", "department": "Finance"}),
    );
    let decision = ev.evaluate(&contractor, t(AT));
    assert_eq!(granted_names(&decision), vec!["slack"]);
    assert_eq!(decision.denied.len(), 1);
    let denied = &decision.denied[0];
    assert_eq!(&*denied.entitlement, "salesforce.admin");
    assert_eq!(denied.denied_by.len(), 1);
    assert_eq!(&*denied.denied_by[0].rule, "no-contractor-admin");
    assert_eq!(*denied.denied_by[0].source, loc(13));
    assert!(denied.denied_by[0].missing_attributes.is_empty());
    assert_eq!(
        denied.granted_by,
        vec![
            RuleRef {
                rule: "admins".into(),
                source: loc(11).into()
            },
            RuleRef {
                rule: "more-admins".into(),
                source: loc(12).into()
            },
        ]
    );

    let employee = identity(&ev, json!({"employment": "full-time"}));
    let decision = ev.evaluate(&employee, t(AT));
    assert_eq!(granted_names(&decision), vec!["salesforce.admin", "slack"]);
    assert!(decision.denied.is_empty());
}

#[test]
fn a_deny_of_something_not_granted_is_not_reported() {
    let ev = P::standard()
        .ents(&["a", "b"])
        .rule(grant("g", anyone(), &["a"]))
        .rule(deny("d", anyone(), &["b"]))
        .build();
    let decision = ev.evaluate(&identity(&ev, alice()), t(AT));
    assert_eq!(granted_names(&decision), vec!["a"]);
    assert!(decision.denied.is_empty());
}

#[test]
fn deny_everything_removes_every_grant() {
    let ev = P::standard()
        .ents(&["a", "b", "c"])
        .rule(grant("g", anyone(), &["a", "b"]))
        .rule(deny("deny-b", anyone(), &["b"]))
        .rule(deny_everything(
            "offboarded",
            cmp("end_date", Ordering::Less, Value::Date(d("2026-06-01"))),
        ))
        .build();
    let leaver = identity(&ev, json!({"end_date": "2026-05-31"}));
    let decision = ev.evaluate(&leaver, t(AT));
    assert!(decision.entitlements.is_empty());
    assert_eq!(denied_names(&decision), vec!["a", "b"]);
    let rules = |i: usize| {
        decision.denied[i]
            .denied_by
            .iter()
            .map(|r| &*r.rule)
            .collect::<Vec<_>>()
    };
    assert_eq!(rules(0), vec!["offboarded"]);
    assert_eq!(
        rules(1),
        vec!["deny-b", "offboarded"],
        "denies in rule order"
    );

    let stayer = identity(&ev, json!({"end_date": "2026-06-01"}));
    assert_eq!(granted_names(&ev.evaluate(&stayer, t(AT))), vec!["a"]);
}

#[test]
fn denies_fail_closed_on_missing_attributes() {
    let ev = P::standard()
        .ents(&["a", "b"])
        .rule(grant("g", anyone(), &["a", "b"]))
        .rule(deny(
            "only-employees",
            or(vec![
                is("employment", "contractor"),
                level(Ordering::Less, 3.0),
            ]),
            &["a"],
        ))
        .build();
    let decision = ev.evaluate(&identity(&ev, json!({})), t(AT));
    assert_eq!(granted_names(&decision), vec!["b"]);
    assert_eq!(
        decision.denied[0].denied_by[0].missing_attributes,
        vec!["employment".to_string(), "level".to_string()]
    );
    // Only the attributes that make the condition unknown are reported: the
    // `and` is false whatever `level` is.
    let ev2 = P::standard()
        .ents(&["a"])
        .rule(grant("g", anyone(), &["a"]))
        .rule(deny(
            "d",
            or(vec![
                and(vec![level(Ordering::Less, 3.0), is("department", "Sales")]),
                is("employment", "contractor"),
            ]),
            &["a"],
        ))
        .build();
    let decision = ev2.evaluate(&identity(&ev2, json!({"department": "Finance"})), t(AT));
    assert_eq!(
        decision.denied[0].denied_by[0].missing_attributes,
        vec!["employment"]
    );
    // With one alternative known to hold, the deny applies without missing attributes.
    let decision = ev.evaluate(&identity(&ev, json!({"employment": "contractor"})), t(AT));
    assert!(decision.denied[0].denied_by[0]
        .missing_attributes
        .is_empty());
    // Known to be false: no deny.
    let decision = ev.evaluate(
        &identity(&ev, json!({"employment": "full-time", "level": 3})),
        t(AT),
    );
    assert_eq!(granted_names(&decision), vec!["a", "b"]);
}

#[test]
fn deny_windows() {
    let ev = P::standard()
        .ents(&["a", "b", "c", "d"])
        .rule(grant("g", anyone(), &["a", "b", "c", "d"]))
        .rule(
            deny("freeze", anyone(), &["a"])
                .starting("2026-06-01")
                .until_date("2026-06-30"),
        )
        .rule(deny("later", anyone(), &["b"]).starting("2026-07-01"))
        .rule(deny("after-leaving", anyone(), &["c"]).starting_attr("end_date"))
        .rule(deny("required-until", anyone(), &["d"]).until_attr("start_date"))
        .build();
    // end_date (optional) and start_date (required) missing: both denies fail closed.
    let decision = ev.evaluate(&identity(&ev, json!({})), t(AT));
    assert_eq!(denied_names(&decision), vec!["a", "c", "d"]);
    assert_eq!(
        decision.denied[1].denied_by[0].missing_attributes,
        vec!["end_date"]
    );
    assert_eq!(
        decision.denied[2].denied_by[0].missing_attributes,
        vec!["start_date"]
    );
    // With the dates known and in the future/past, the denies do not apply.
    let decision = ev.evaluate(
        &identity(
            &ev,
            json!({"end_date": "2026-12-31", "start_date": "2026-01-01"}),
        ),
        t(AT),
    );
    assert_eq!(denied_names(&decision), vec!["a"]);
    // The freeze ends exactly at the start of July.
    let decision = ev.evaluate(
        &identity(&ev, json!({"end_date": "2026-12-31"})),
        t("2026-07-01T00:00:00Z"),
    );
    assert!(!denied_names(&decision).contains(&"a"));
    assert!(denied_names(&decision).contains(&"b"));
}

#[test]
fn approvals() {
    let ev = P::standard()
        .ents(&["netsuite.approver", "vpn", "tool"])
        .rule(
            grant("leads", is("department", "Finance"), &["netsuite.approver"])
                .approval(Some("finance-controllers")),
        )
        .rule(
            grant("more-leads", flag("manager"), &["netsuite.approver"])
                .approval(Some("cfo-office")),
        )
        .rule(
            grant("dup", flag("manager"), &["netsuite.approver"])
                .approval(Some("finance-controllers")),
        )
        .rule(grant("vpn-ask", anyone(), &["vpn"]).approval(None))
        .rule(grant("tool-ask", anyone(), &["tool"]).approval(Some("it")))
        .rule(grant("tool-auto", flag("manager"), &["tool"]))
        .build();
    let manager = identity(&ev, json!({"department": "Finance", "manager": true}));
    let decision = ev.evaluate(&manager, t(AT));
    let approver = decision.entitlement("netsuite.approver").unwrap();
    assert_eq!(approver.status, GrantStatus::PendingApproval);
    assert_eq!(
        approver.approvers,
        vec!["cfo-office", "finance-controllers"]
    );
    assert_eq!(approver.reasons.len(), 3);
    assert_eq!(
        approver.reasons[0].approval(),
        Some(&Approval {
            by: Some("finance-controllers".into())
        })
    );
    let vpn = decision.entitlement("vpn").unwrap();
    assert_eq!(vpn.status, GrantStatus::PendingApproval);
    assert!(vpn.approvers.is_empty());
    // Another rule grants without approval: granted, no approvers.
    let tool = decision.entitlement("tool").unwrap();
    assert_eq!(tool.status, GrantStatus::Granted);
    assert!(tool.approvers.is_empty());
    assert_eq!(tool.reasons.len(), 2);
    // Without the manager flag, the tool waits for approval by it.
    let decision = ev.evaluate(&identity(&ev, json!({})), t(AT));
    let tool = decision.entitlement("tool").unwrap();
    assert_eq!(tool.status, GrantStatus::PendingApproval);
    assert_eq!(tool.approvers, vec!["it"]);
}

#[test]
fn pending_grants_can_be_denied() {
    let ev = P::standard()
        .ent("x")
        .rule(grant("ask", anyone(), &["x"]).approval(Some("g")))
        .rule(deny("no", anyone(), &["x"]))
        .build();
    let decision = ev.evaluate(&identity(&ev, alice()), t(AT));
    assert!(decision.entitlements.is_empty());
    assert_eq!(denied_names(&decision), vec!["x"]);
}

#[test]
fn roles_are_reported_as_via() {
    let ev = P::standard()
        .ents(&["slack", "google.workspace", "salesforce.user"])
        .role(
            "baseline",
            vec![
                Target::Entitlement("slack".into()),
                Target::Entitlement("google.workspace".into()),
            ],
            &["google.workspace", "slack"],
        )
        .role(
            "sales-rep",
            vec![
                Target::Role("baseline".into()),
                Target::Entitlement("salesforce.user".into()),
            ],
            &["google.workspace", "salesforce.user", "slack"],
        )
        .rule(grant_role(
            "everyone",
            anyone(),
            &["baseline"],
            &["slack", "google.workspace"],
        ))
        .rule(grant(
            "sales",
            is("department", "Sales"),
            &["salesforce.user"],
        ))
        .rule(grant_role(
            "reps",
            is("department", "Sales"),
            &["sales-rep", "baseline"],
            &["slack"],
        ))
        .build();
    let decision = ev.evaluate(&identity(&ev, json!({"department": "Sales"})), t(AT));
    assert_eq!(
        granted_names(&decision),
        vec!["google.workspace", "salesforce.user", "slack"]
    );
    let slack = decision.entitlement("slack").unwrap();
    assert_eq!(slack.reasons[0].via()[..], ["baseline"]);
    assert_eq!(&*slack.reasons[1].rule, "reps");
    assert_eq!(slack.reasons[1].via()[..], ["sales-rep", "baseline"]);
    assert!(decision.entitlement("salesforce.user").unwrap().reasons[0]
        .via()
        .is_empty());
}

#[test]
fn upcoming_grants_are_sorted_by_opening_then_name() {
    let ev = P::standard()
        .ents(&["b", "a", "c", "now"])
        .rule(grant("r1", anyone(), &["b", "a"]).starting("2026-09-01"))
        .rule(grant("r2", anyone(), &["c"]).starting("2026-07-01"))
        .rule(grant("r3", is("department", "Sales"), &["now"]).starting("2026-07-01"))
        .rule(grant("r4", anyone(), &["now"]))
        .build();
    let decision = ev.evaluate(&identity(&ev, alice()), t(AT));
    let upcoming: Vec<(&str, &str, DateTime<Utc>)> = decision
        .upcoming
        .iter()
        .map(|u| (&*u.entitlement, &*u.rule, u.opens_at))
        .collect();
    assert_eq!(
        upcoming,
        vec![
            ("c", "r2", t("2026-07-01T00:00:00Z")),
            ("a", "r1", t("2026-09-01T00:00:00Z")),
            ("b", "r1", t("2026-09-01T00:00:00Z")),
        ],
        "r3's condition does not hold, so it is not upcoming"
    );
    assert_eq!(granted_names(&decision), vec!["now"]);
}

#[test]
fn expired_and_empty_windows_are_not_upcoming() {
    let ev = P::standard()
        .ent_with("x", false, Some(days(0)))
        .ent("y")
        .rule(grant("zero-cap", anyone(), &["x"]).starting("2026-09-01"))
        .rule(grant("past", anyone(), &["y"]).until_date("2026-01-01"))
        .build();
    let decision = ev.evaluate(&identity(&ev, alice()), t(AT));
    assert!(decision.entitlements.is_empty());
    assert!(decision.upcoming.is_empty());
}

#[test]
fn separation_conflicts_after_denies() {
    let ev = P::standard()
        .ents(&["netsuite.payables", "netsuite.approver", "netsuite.vendor"])
        .role(
            "ap-clerk",
            vec![
                Target::Entitlement("netsuite.payables".into()),
                Target::Entitlement("netsuite.vendor".into()),
            ],
            &["netsuite.payables", "netsuite.vendor"],
        )
        .rule(grant("pay", anyone(), &["netsuite.payables"]))
        .rule(grant("approve", flag("manager"), &["netsuite.approver"]).approval(Some("cfo")))
        .rule(deny(
            "no-pay",
            is("department", "Sales"),
            &["netsuite.payables"],
        ))
        .separate(
            Target::Role("ap-clerk".into()),
            Target::Entitlement("netsuite.approver".into()),
            &["netsuite.payables", "netsuite.vendor"],
            &["netsuite.approver"],
        )
        .build();
    let decision = ev.evaluate(
        &identity(&ev, json!({"manager": true, "department": "Finance"})),
        t(AT),
    );
    assert_eq!(
        decision.conflicts,
        vec![SeparationConflict {
            left: "role ap-clerk".into(),
            right: "netsuite.approver".into(),
            source: loc(16).into(),
        }],
        "a pending entitlement counts as held"
    );
    let decision = ev.evaluate(
        &identity(&ev, json!({"manager": true, "department": "Sales"})),
        t(AT),
    );
    assert!(decision.conflicts.is_empty(), "the deny removed one side");
    let decision = ev.evaluate(&identity(&ev, json!({"department": "Finance"})), t(AT));
    assert!(decision.conflicts.is_empty());
}

#[test]
fn warnings_for_missing_required_attributes_and_unknown_fields() {
    let ev = P::standard().build();
    let decision = ev.evaluate(
        &identity(
            &ev,
            json!({"department": "Sales", "nickname": "al", "level": null, "Zeta": 1}),
        ),
        t(AT),
    );
    let missing = |a: &str| Warning::MissingAttribute {
        attribute: a.into(),
    };
    let unknown = |f: &str| Warning::UnknownField {
        field: f.into(),
        suggestion: None,
    };
    // Optional attributes (title, end_date), the flag and the list are not warned about.
    assert_eq!(
        decision.warnings,
        vec![
            missing("employment"),
            missing("level"),
            missing("start_date"),
            unknown("Zeta"),
            unknown("nickname"),
        ]
    );
    assert_eq!(
        decision.warnings[0].to_string(),
        "attribute `employment` is missing"
    );
    assert_eq!(
        decision.warnings[4].to_string(),
        "field `nickname` is not a declared attribute and was ignored"
    );
    assert!(ev
        .evaluate(&identity(&ev, alice()), t(AT))
        .warnings
        .is_empty());
}

#[test]
fn output_is_sorted_and_deterministic() {
    let ev = P::standard()
        .ents(&["zeta", "alpha", "mid.b", "mid.a"])
        .rule(grant("r2", anyone(), &["zeta", "mid.b"]))
        .rule(grant("r1", anyone(), &["alpha", "mid.a"]))
        .build();
    let who = identity(&ev, alice());
    let first = ev.evaluate(&who, t(AT));
    assert_eq!(
        granted_names(&first),
        vec!["alpha", "mid.a", "mid.b", "zeta"]
    );
    let second = ev.evaluate(&who, t(AT));
    assert_eq!(first, second);
    assert_eq!(
        serde_json::to_string(&first).unwrap(),
        serde_json::to_string(&second).unwrap()
    );
}

#[test]
fn decision_json_format() {
    let ev = P::standard()
        .ent_with("salesforce.admin", true, None)
        .ents(&["vpn", "x"])
        .rule(
            grant("admins", flag("manager"), &["salesforce.admin"])
                .until_date("2027-06-30")
                .approval(Some("crm")),
        )
        .rule(grant("vpn", anyone(), &["vpn"]).starting("2027-01-01"))
        .rule(grant("x", anyone(), &["x"]).lasting(30, DurationUnit::Days))
        .rule(deny("no-x", level(Ordering::Greater, 3.0), &["x"]))
        .separate(
            Target::Entitlement("salesforce.admin".into()),
            Target::Entitlement("x".into()),
            &["salesforce.admin"],
            &["x"],
        )
        .build();
    let decision = ev.evaluate(&identity(&ev, json!({"manager": true, "extra": 1})), t(AT));
    let value = serde_json::to_value(&decision).unwrap();
    let source = |line: u32| json!({"file": FILE, "line": line, "column": 1});
    assert_eq!(
        value,
        json!({
            "at": "2026-06-15T12:00:00Z",
            "entitlements": [{
                "entitlement": "salesforce.admin",
                "status": "pending-approval",
                "approvers": ["crm"],
                "valid_from": null,
                "valid_until": "2027-07-01T00:00:00Z",
                "sensitive": true,
                "max_duration": null,
                "reasons": [{
                    "rule": "admins",
                    "source": source(12),
                    "via": [],
                    "valid_from": null,
                    "valid_until": "2027-07-01T00:00:00Z",
                    "lasts": null,
                    "approval": {"by": "crm"}
                }]
            }],
            "denied": [{
                "entitlement": "x",
                "denied_by": [{"rule": "no-x", "source": source(15), "missing_attributes": ["level"]}],
                "granted_by": [{"rule": "x", "source": source(14)}]
            }],
            "upcoming": [{
                "entitlement": "vpn",
                "rule": "vpn",
                "source": source(13),
                "opens_at": "2027-01-01T00:00:00Z"
            }],
            "conflicts": [],
            "warnings": [
                {"kind": "missing-attribute", "attribute": "department"},
                {"kind": "missing-attribute", "attribute": "employment"},
                {"kind": "missing-attribute", "attribute": "level"},
                {"kind": "missing-attribute", "attribute": "start_date"},
                {"kind": "unknown-field", "field": "extra", "suggestion": null}
            ]
        })
    );
    let back: Decision = serde_json::from_value(value).unwrap();
    assert_eq!(back, decision);
    // `lasts` serializes as a duration.
    let decision = ev.evaluate(&identity(&ev, json!({"level": 1})), t(AT));
    let x = serde_json::to_value(decision.entitlement("x").unwrap()).unwrap();
    assert_eq!(
        x["reasons"][0]["lasts"],
        json!({"count": 30, "unit": "days"})
    );
}

#[test]
fn identities_from_another_evaluator_with_the_same_schema() {
    let one = P::standard()
        .ent("x")
        .rule(grant("r", is("department", "Finance"), &["x"]))
        .build();
    let other = P::standard().build();
    let who = identity(&other, alice());
    assert_eq!(granted_names(&one.evaluate(&who, t(AT))), vec!["x"]);
    // A different schema: matched by name, kinds checked.
    let narrow = P::new()
        .values("department", &["Finance", "Sales"])
        .attr("level", grantline_ir::AttributeKind::Text, false)
        .ent("x")
        .rule(grant("r", is("department", "Finance"), &["x"]))
        .build();
    let decision = narrow.evaluate(&who, t(AT));
    assert_eq!(granted_names(&decision), vec!["x"]);
    // `level` is a number in the identity's schema but text here: missing.
    assert!(decision.warnings.contains(&Warning::MissingAttribute {
        attribute: "level".into()
    }));
    assert!(decision.warnings.contains(&Warning::UnknownField {
        field: "groups".into(),
        suggestion: None,
    }));
}

#[test]
fn evaluators_and_identities_can_be_shared_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Evaluator>();
    assert_send_sync::<Identity>();
    assert_send_sync::<Decision>();
}

#[test]
fn day_start_and_timezone_accessors() {
    let ev = P::standard().timezone("America/New_York").build();
    assert_eq!(ev.timezone(), chrono_tz::Tz::America__New_York);
    assert_eq!(ev.day_start(d("2026-07-04")), t("2026-07-04T04:00:00Z"));
    assert_eq!(ev.day_start(d("2026-01-04")), t("2026-01-04T05:00:00Z"));
    assert_eq!(ev.policy().timezone, "America/New_York");
}

/// The worked examples of docs/language.md, "Time windows" and "The maximum
/// duration".
#[test]
fn worked_examples_of_the_language_documentation() {
    let ev = P::standard()
        .timezone("Europe/Berlin")
        .ent("badge.berlin")
        .rule(
            grant("berlin-summer-badge", anyone(), &["badge.berlin"])
                .starting("2026-03-30")
                .until_date("2026-10-25"),
        )
        .build();
    let who = identity(&ev, alice());
    assert_window(
        &ev,
        &who,
        "badge.berlin",
        t("2026-03-29T22:00:00Z"),
        t("2026-10-25T23:00:00Z"),
    );

    let ev = P::standard()
        .timezone("America/Santiago")
        .ents(&["from", "until"])
        .rule(grant("from", anyone(), &["from"]).starting("2026-09-06"))
        .rule(grant("until", anyone(), &["until"]).until_date("2026-09-05"))
        .build();
    assert_eq!(ev.day_start(d("2026-09-06")), t("2026-09-06T04:00:00Z"));
    let who = identity(&ev, alice());
    let before = ev.evaluate(&who, t("2026-09-06T03:59:59Z"));
    assert_eq!(granted_names(&before), vec!["until"]);
    let after = ev.evaluate(&who, t("2026-09-06T04:00:00Z"));
    assert_eq!(granted_names(&after), vec!["from"]);

    let ev = P::standard()
        .ent_with("salesforce.admin", true, Some(days(180)))
        .ent("salesforce.reports")
        .rule(
            grant(
                "crm-migration-admins",
                anyone(),
                &["salesforce.admin", "salesforce.reports"],
            )
            .starting("2026-01-01")
            .until_date("2027-06-30"),
        )
        .build();
    let decision = ev.evaluate(&identity(&ev, alice()), t("2026-03-01T00:00:00Z"));
    assert_eq!(
        decision
            .entitlement("salesforce.admin")
            .unwrap()
            .valid_until,
        Some(t("2026-06-30T00:00:00Z"))
    );
    assert_eq!(
        decision
            .entitlement("salesforce.reports")
            .unwrap()
            .valid_until,
        Some(t("2027-07-01T00:00:00Z"))
    );
}

#[test]
fn an_approval_only_rule_does_not_stretch_a_granted_window() {
    // rule a: anyone grants slack until 2026-03-31
    // rule b: anyone grants slack requires approval by "it"
    let ev = P::standard()
        .ent("slack")
        .ent_with("aws.prod-admin", true, Some(days(7)))
        .ent("pager")
        .rule(grant("a", anyone(), &["slack"]).until_date("2026-03-31"))
        .rule(grant("b", anyone(), &["slack"]).approval(Some("it")))
        .rule(grant("fixed", anyone(), &["aws.prod-admin"]).starting("2025-12-28"))
        .rule(grant("ask", anyone(), &["aws.prod-admin"]).approval(None))
        .rule(grant("short", anyone(), &["pager"]).lasting(7, DurationUnit::Days))
        .rule(
            grant("long", anyone(), &["pager"])
                .lasting(90, DurationUnit::Days)
                .approval(Some("ops")),
        )
        .build();
    let decision = ev.evaluate(&identity(&ev, alice()), t("2026-01-01T00:00:00Z"));
    let slack = decision.entitlement("slack").unwrap();
    assert_eq!(slack.status, GrantStatus::Granted);
    assert_eq!(slack.valid_from, None);
    assert_eq!(slack.valid_until, Some(t("2026-04-01T00:00:00Z")));
    assert_eq!(slack.reasons.len(), 2, "every applying grant is a reason");
    assert_eq!(
        slack.window_reasons().map(|r| &*r.rule).collect::<Vec<_>>(),
        vec!["a"]
    );
    // The cap is not reported for a start only an approval-only rule lacks.
    let admin = decision.entitlement("aws.prod-admin").unwrap();
    assert_eq!(admin.status, GrantStatus::Granted);
    assert_eq!(admin.valid_from, Some(t("2025-12-28T00:00:00Z")));
    assert_eq!(admin.valid_until, Some(t("2026-01-04T00:00:00Z")));
    assert_eq!(admin.max_duration, None);

    // When every reason needs an approval, the window is over all of them.
    let ev = P::standard()
        .ent("slack")
        .rule(
            grant("a", anyone(), &["slack"])
                .until_date("2026-03-31")
                .approval(Some("it")),
        )
        .rule(grant("b", anyone(), &["slack"]).approval(Some("it")))
        .build();
    let decision = ev.evaluate(&identity(&ev, alice()), t("2026-01-01T00:00:00Z"));
    let slack = decision.entitlement("slack").unwrap();
    assert_eq!(slack.status, GrantStatus::PendingApproval);
    assert_eq!(slack.valid_until, None);
    assert_eq!(slack.window_reasons().count(), 2);
}

#[test]
fn a_scheduled_deny_ends_the_grant_when_it_begins() {
    // rule a: anyone grants slack until 2027-01-01
    // rule b: anyone denies everything from end_date
    let ev = P::standard()
        .ents(&["slack", "vpn", "wiki", "tool"])
        .rule(grant("a", anyone(), &["slack", "vpn", "wiki"]).until_date("2027-01-01"))
        .rule(grant("forever", anyone(), &["slack", "tool"]))
        .rule(deny_everything("b", anyone()).starting_attr("end_date"))
        .build();
    let who = identity(&ev, json!({"end_date": "2026-06-30"}));
    let decision = ev.evaluate(&who, t("2026-01-01T00:00:00Z"));
    let cut = Some(t("2026-06-30T00:00:00Z"));
    let slack = decision.entitlement("slack").unwrap();
    assert_eq!(slack.status, GrantStatus::Granted);
    assert_eq!(slack.valid_until, cut);
    assert_eq!(slack.reasons[0].valid_until, cut);
    assert_eq!(slack.reasons[1].valid_until, cut, "an open end is cut too");
    assert_eq!(decision.entitlement("tool").unwrap().valid_until, cut);
    assert!(decision.denied.is_empty(), "the deny does not apply yet");

    // A deny of one entitlement, fail closed on an unknown condition, cuts
    // only that entitlement; one that opens after the grant ends changes
    // nothing; a deny whose condition is false, or whose window is empty,
    // never applies and cuts nothing.
    let ev = P::standard()
        .ents(&["slack", "vpn", "wiki", "tool"])
        .rule(grant("a", anyone(), &["slack", "vpn", "wiki", "tool"]).until_date("2027-01-01"))
        .rule(deny("unknown", is("department", "Sales"), &["slack"]).starting("2026-03-01"))
        .rule(deny("later", anyone(), &["vpn"]).starting("2027-06-01"))
        .rule(deny("false", flag("manager"), &["wiki"]).starting("2026-03-01"))
        .rule(
            deny("empty", anyone(), &["tool"])
                .starting("2026-05-01")
                .until_date("2026-04-01"),
        )
        .build();
    let decision = ev.evaluate(&identity(&ev, json!({})), t("2026-01-01T00:00:00Z"));
    let until = |e: &str| decision.entitlement(e).unwrap().valid_until;
    assert_eq!(until("slack"), Some(t("2026-03-01T00:00:00Z")));
    assert_eq!(until("vpn"), Some(t("2027-01-02T00:00:00Z")));
    assert_eq!(until("wiki"), Some(t("2027-01-02T00:00:00Z")));
    assert_eq!(until("tool"), Some(t("2027-01-02T00:00:00Z")));
    // Once the deny has begun, it denies.
    let decision = ev.evaluate(&identity(&ev, json!({})), t("2026-03-01T00:00:00Z"));
    assert_eq!(denied_names(&decision), vec!["slack"]);
}
