#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use chrono_tz::Tz;
use common::*;
use grantline_eval::render::{decision_text, explanation_text, format_end, format_start};
use grantline_eval::*;
use grantline_ir::{DurationUnit, Ordering, Target};
use serde_json::json;

const AT: &str = "2026-06-15T12:00:00Z";

/// Lines: attributes 1-8, entitlements 9-13, role 14, rules 15-21.
fn example() -> Evaluator {
    P::standard()
        .timezone("Europe/Berlin")
        .ent_with("salesforce.admin", true, None)
        .ents(&["slack", "netsuite.approver", "aws.prod-readonly", "vpn"])
        .role(
            "baseline",
            vec![Target::Entitlement("slack".into())],
            &["slack"],
        )
        .rule(grant_role(
            "everyone-baseline",
            anyone(),
            &["baseline"],
            &["slack"],
        ))
        .rule(
            grant("us-sales-managers", flag("manager"), &["salesforce.admin"])
                .until_date("2027-06-30"),
        )
        .rule(
            grant(
                "finance-leads",
                and(vec![
                    is("department", "Finance"),
                    level(Ordering::GreaterOrEqual, 7.0),
                ]),
                &["netsuite.approver"],
            )
            .approval(Some("finance-controllers")),
        )
        .rule(
            grant(
                "prod-access",
                contains("groups", "eng"),
                &["aws.prod-readonly"],
            )
            .lasting(30, DurationUnit::Days),
        )
        .rule(deny(
            "no-contractor-admin",
            is("employment", "contractor"),
            &["salesforce.admin"],
        ))
        .rule(grant("vpn-next-year", anyone(), &["vpn"]).starting("2027-01-01"))
        .rule(grant(
            "vpn-eng",
            or(vec![
                is("department", "Engineering"),
                contains("groups", "vpn-users"),
            ]),
            &["vpn"],
        ))
        .build()
}

fn manager() -> serde_json::Value {
    json!({
        "employment": "full-time",
        "department": "Finance",
        "manager": true,
        "level": 8,
        "start_date": "2020-01-01",
        "groups": ["eng"]
    })
}

#[test]
fn decision_text_lists_grants_sections_and_warnings() {
    let ev = example();
    let decision = ev.evaluate(&identity(&ev, manager()), t(AT));
    assert_eq!(
        decision_text(&decision, ev.timezone()),
        "\
aws.prod-readonly   granted by prod-access (policies/test.grant:18)  for 30 days from grant
netsuite.approver   pending approval by finance-controllers (finance-leads, policies/test.grant:17)
salesforce.admin    granted by us-sales-managers (policies/test.grant:16)  until 2027-06-30
slack               granted by everyone-baseline (policies/test.grant:15), via role baseline
upcoming:
  vpn  from 2027-01-01 by vpn-next-year (policies/test.grant:20)
"
    );

    let contractor = identity(
        &ev,
        json!({"employment": "contractor", "department": "Finance", "manager": true, "badge": 7}),
    );
    let decision = ev.evaluate(&contractor, t(AT));
    assert_eq!(
        decision_text(&decision, ev.timezone()),
        "\
slack   granted by everyone-baseline (policies/test.grant:15), via role baseline
denied:
  salesforce.admin  denied by no-contractor-admin (policies/test.grant:19); granted by us-sales-managers (policies/test.grant:16)
upcoming:
  vpn  from 2027-01-01 by vpn-next-year (policies/test.grant:20)
warnings:
  attribute `level` is missing
  attribute `start_date` is missing
  field `badge` is not a declared attribute and was ignored
"
    );
}

#[test]
fn decision_text_for_nothing_fail_closed_and_conflicts() {
    let ev = P::standard()
        .ents(&["a", "b"])
        .rule(
            grant("g", anyone(), &["a", "b"])
                .starting("2026-01-01")
                .until_date("2026-12-31"),
        )
        .rule(deny(
            "d",
            or(vec![level(Ordering::Less, 3.0), is("employment", "intern")]),
            &["b"],
        ))
        .separate(
            Target::Entitlement("a".into()),
            Target::Entitlement("b".into()),
            &["a"],
            &["b"],
        )
        .build();
    let decision = ev.evaluate(&identity(&ev, alice()), t(AT));
    assert_eq!(
        decision_text(&decision, ev.timezone()),
        "\
a   granted by g (policies/test.grant:11)  from 2026-01-01 until 2026-12-31
b   granted by g (policies/test.grant:11)  from 2026-01-01 until 2026-12-31
conflicts:
  a and b are separated (policies/test.grant:13)
"
    );
    let decision = ev.evaluate(&identity(&ev, json!({"department": "Sales"})), t(AT));
    let text = decision_text(&decision, ev.timezone());
    assert!(
        text.contains("  b  denied by d (policies/test.grant:12) because `employment`, `level` are missing; granted by g (policies/test.grant:11)\n"),
        "{text}"
    );
    let decision = ev.evaluate(&identity(&ev, alice()), t("2025-01-01T00:00:00Z"));
    assert!(
        decision_text(&decision, ev.timezone()).starts_with("no entitlements granted\nupcoming:\n")
    );
}

#[test]
fn instants_that_are_not_day_starts_print_as_rfc3339() {
    let tz = Tz::Europe__Berlin;
    assert_eq!(format_end(t("2027-06-30T22:00:00Z"), tz), "2027-06-30");
    assert_eq!(format_start(t("2027-06-30T22:00:00Z"), tz), "2027-07-01");
    assert_eq!(
        format_end(t("2027-07-01T00:00:00Z"), tz),
        "2027-07-01T02:00:00+02:00"
    );
    assert_eq!(
        format_start(t("2027-01-01T09:30:00Z"), Tz::UTC),
        "2027-01-01T09:30:00Z"
    );
}

#[test]
fn explain_not_granted_with_failed_conditions() {
    let ev = example();
    let who = identity(&ev, json!({"department": "Finance", "level": 5}));
    let explanation = ev.explain(&who, "netsuite.approver", t(AT)).unwrap();
    assert_eq!(explanation.verdict, Verdict::NotGranted);
    assert_eq!(explanation.granted, None);
    assert_eq!(explanation.rules.len(), 1);
    let rule = &explanation.rules[0];
    assert_eq!(&*rule.rule, "finance-leads");
    assert_eq!(rule.effect, RuleEffect::Grant);
    assert!(!rule.applies);
    assert_eq!(rule.outcome, RuleOutcome::ConditionFailed);
    assert_eq!(rule.held, vec!["department is Finance"]);
    assert_eq!(
        rule.failed,
        vec![FailedCondition {
            condition: "level >= 7".into(),
            actual: "level is 5".into(),
            unknown: false,
        }]
    );
    let text = explanation_text(&explanation, ev.timezone());
    assert_eq!(
        text,
        "\
netsuite.approver not granted:
  finance-leads (policies/test.grant:17): level >= 7 failed (level is 5)
warnings:
  attribute `employment` is missing
  attribute `start_date` is missing
"
    );
}

#[test]
fn explain_unknown_conditions() {
    let ev = example();
    let who = identity(&ev, json!({"department": "Sales"}));
    let explanation = ev.explain(&who, "netsuite.approver", t(AT)).unwrap();
    let rule = &explanation.rules[0];
    assert_eq!(
        rule.outcome,
        RuleOutcome::ConditionFailed,
        "department is known to be wrong"
    );
    assert_eq!(rule.failed.len(), 2);
    assert_eq!(rule.failed[0].actual, "department is Sales");
    assert!(!rule.failed[0].unknown);
    assert_eq!(rule.failed[1].actual, "level is missing");
    assert!(rule.failed[1].unknown, "level >= 7 could not be decided");

    let who = identity(&ev, json!({"department": "Finance"}));
    let explanation = ev.explain(&who, "netsuite.approver", t(AT)).unwrap();
    assert_eq!(explanation.rules[0].outcome, RuleOutcome::ConditionUnknown);
    assert_eq!(
        explanation_text(&explanation, ev.timezone())
            .lines()
            .nth(1)
            .unwrap(),
        "  finance-leads (policies/test.grant:17): level >= 7 could not be decided (level is missing)"
    );
}

#[test]
fn explain_or_lists_every_failed_alternative_and_not_its_values() {
    let ev = example();
    let who = identity(&ev, json!({"department": "Sales", "groups": ["a", "b"]}));
    let explanation = ev.explain(&who, "vpn", t(AT)).unwrap();
    let or_rule = explanation
        .rules
        .iter()
        .find(|r| &*r.rule == "vpn-eng")
        .unwrap();
    assert_eq!(
        or_rule.failed,
        vec![
            FailedCondition {
                condition: "department is Engineering".into(),
                actual: "department is Sales".into(),
                unknown: false,
            },
            FailedCondition {
                condition: "groups contains vpn-users".into(),
                actual: "groups is [a, b]".into(),
                unknown: false,
            },
        ]
    );
    // When the `or` holds, only the alternative that held is listed.
    let who = identity(&ev, json!({"department": "Engineering"}));
    let explanation = ev.explain(&who, "vpn", t(AT)).unwrap();
    let or_rule = explanation
        .rules
        .iter()
        .find(|r| &*r.rule == "vpn-eng")
        .unwrap();
    assert_eq!(or_rule.held, vec!["department is Engineering"]);
    assert!(or_rule.failed.is_empty());

    let ev = P::standard()
        .ent("x")
        .rule(grant(
            "not-managers",
            and(vec![not(flag("manager")), not(contains("groups", "eng"))]),
            &["x"],
        ))
        .build();
    let who = identity(&ev, json!({"manager": true}));
    let explanation = ev.explain(&who, "x", t(AT)).unwrap();
    assert_eq!(explanation.rules[0].held, vec!["not groups contains eng"]);
    assert_eq!(
        explanation.rules[0].failed,
        vec![FailedCondition {
            condition: "not manager".into(),
            actual: "manager is true".into(),
            unknown: false,
        }]
    );
    let explanation = ev
        .explain(&identity(&ev, json!({"groups": ["eng"]})), "x", t(AT))
        .unwrap();
    assert_eq!(explanation.rules[0].held, vec!["not manager"]);
    assert_eq!(explanation.rules[0].failed[0].actual, "groups is [eng]");
}

#[test]
fn explain_verdicts() {
    let ev = example();
    let who = identity(&ev, manager());
    let granted = ev.explain(&who, "salesforce.admin", t(AT)).unwrap();
    assert_eq!(granted.verdict, Verdict::Granted);
    assert_eq!(
        granted.granted.as_ref().unwrap().valid_until,
        Some(t("2027-06-30T22:00:00Z"))
    );
    assert_eq!(
        explanation_text(&granted, ev.timezone()),
        "\
salesforce.admin granted until 2027-06-30:
  us-sales-managers (policies/test.grant:16): grants until 2027-06-30
  no-contractor-admin (policies/test.grant:19): does not deny: employment is contractor failed (employment is full-time)
"
    );

    let pending = ev.explain(&who, "netsuite.approver", t(AT)).unwrap();
    assert_eq!(pending.verdict, Verdict::PendingApproval);
    assert_eq!(
        explanation_text(&pending, ev.timezone()),
        "\
netsuite.approver pending approval by finance-controllers:
  finance-leads (policies/test.grant:17): grants after approval by finance-controllers
"
    );

    let mut record = manager();
    record["employment"] = json!("contractor");
    let denied = ev
        .explain(&identity(&ev, record), "salesforce.admin", t(AT))
        .unwrap();
    assert_eq!(denied.verdict, Verdict::Denied);
    assert_eq!(denied.granted, None);
    assert!(denied.rules.iter().all(|r| r.applies));
    assert_eq!(
        explanation_text(&denied, ev.timezone()),
        "\
salesforce.admin denied:
  us-sales-managers (policies/test.grant:16): grants
  no-contractor-admin (policies/test.grant:19): denies
"
    );

    let slack = ev.explain(&who, "slack", t(AT)).unwrap();
    assert_eq!(slack.rules[0].via[..], ["baseline"]);
    assert_eq!(
        explanation_text(&slack, ev.timezone())
            .lines()
            .nth(1)
            .unwrap(),
        "  everyone-baseline (policies/test.grant:15), via role baseline: grants"
    );
}

#[test]
fn explain_windows_and_fail_closed_denies() {
    let ev = P::standard()
        .ents(&["x"])
        .rule(grant("later", anyone(), &["x"]).starting("2026-07-01"))
        .rule(grant("earlier", anyone(), &["x"]).until_date("2026-05-31"))
        .rule(grant("by-start", anyone(), &["x"]).starting_attr("start_date"))
        .rule(deny("leavers", anyone(), &["x"]).until_attr("start_date"))
        .rule(deny("juniors", level(Ordering::Less, 2.0), &["x"]))
        .rule(deny_everything("lockdown", is("department", "Sales")))
        .build();
    let explanation = ev.explain(&identity(&ev, json!({})), "x", t(AT)).unwrap();
    assert_eq!(explanation.verdict, Verdict::NotGranted);
    let outcomes: Vec<(&str, bool, RuleOutcome)> = explanation
        .rules
        .iter()
        .map(|r| (&*r.rule, r.applies, r.outcome.clone()))
        .collect();
    assert_eq!(
        outcomes,
        vec![
            (
                "leavers",
                true,
                RuleOutcome::WindowAttributeMissing {
                    attribute: "start_date".into()
                }
            ),
            ("juniors", true, RuleOutcome::ConditionUnknown),
            ("lockdown", true, RuleOutcome::ConditionUnknown),
            (
                "later",
                false,
                RuleOutcome::NotYetOpen {
                    opens_at: t("2026-07-01T00:00:00Z")
                }
            ),
            (
                "earlier",
                false,
                RuleOutcome::Expired {
                    closed_at: t("2026-06-01T00:00:00Z")
                }
            ),
            (
                "by-start",
                false,
                RuleOutcome::WindowAttributeMissing {
                    attribute: "start_date".into()
                }
            ),
        ]
    );
    assert_eq!(
        explanation_text(&explanation, ev.timezone()),
        "\
x not granted:
  leavers (policies/test.grant:13): denies, fail closed: window attribute `start_date` is missing
  juniors (policies/test.grant:14): denies, fail closed: level < 2 could not be decided (level is missing)
  lockdown (policies/test.grant:15): denies, fail closed: department is Sales could not be decided (department is missing)
  later (policies/test.grant:10): not open yet, opens 2026-07-01
  earlier (policies/test.grant:11): expired, last day was 2026-05-31
  by-start (policies/test.grant:12): window attribute `start_date` is missing
warnings:
  attribute `department` is missing
  attribute `employment` is missing
  attribute `level` is missing
  attribute `start_date` is missing
"
    );
}

#[test]
fn explain_orders_applying_then_closest_then_source() {
    let ev = P::standard()
        .ents(&["x"])
        .rule(grant(
            "far",
            and(vec![
                flag("manager"),
                is("department", "Sales"),
                level(Ordering::Greater, 9.0),
            ]),
            &["x"],
        ))
        .rule(deny("no", is("department", "Sales"), &["x"]))
        .rule(grant(
            "close",
            and(vec![flag("manager"), is("department", "Finance")]),
            &["x"],
        ))
        .rule(grant("closer-later", flag("manager"), &["x"]))
        .rule(grant("applies", is("department", "Finance"), &["x"]))
        .build();
    let explanation = ev.explain(&identity(&ev, alice()), "x", t(AT)).unwrap();
    let order: Vec<&str> = explanation.rules.iter().map(|r| &*r.rule).collect();
    assert_eq!(order, vec!["applies", "close", "closer-later", "far", "no"]);
    let failed: Vec<usize> = explanation.rules.iter().map(|r| r.failed.len()).collect();
    assert_eq!(failed, vec![0, 1, 1, 3, 1]);
}

#[test]
fn explain_unknown_entitlement_suggests_names() {
    let ev = example();
    let who = identity(&ev, alice());
    let error = ev.explain(&who, "salesforce.admn", t(AT)).unwrap_err();
    assert_eq!(error.suggestions, vec!["salesforce.admin"]);
    assert_eq!(
        error.to_string(),
        "unknown entitlement `salesforce.admn`; did you mean `salesforce.admin`?"
    );
    let error = ev.explain(&who, "zzz", t(AT)).unwrap_err();
    assert!(error.suggestions.is_empty());
    assert_eq!(error.to_string(), "unknown entitlement `zzz`");
}

#[test]
fn explanation_json_format() {
    let ev = P::standard()
        .ents(&["x"])
        .rule(grant("later", flag("manager"), &["x"]).starting("2026-07-01"))
        .build();
    let explanation = ev
        .explain(&identity(&ev, json!({"manager": true})), "x", t(AT))
        .unwrap();
    let value = serde_json::to_value(&explanation).unwrap();
    assert_eq!(
        value["rules"][0],
        json!({
            "rule": "later",
            "source": {"file": FILE, "line": 10, "column": 1},
            "effect": "grant",
            "via": [],
            "applies": false,
            "outcome": {"kind": "not-yet-open", "opens_at": "2026-07-01T00:00:00Z"},
            "held": ["manager"],
            "failed": []
        })
    );
    assert_eq!(value["verdict"], json!("not-granted"));
    assert_eq!(value["granted"], json!(null));
    assert_eq!(value["entitlement"], json!("x"));
    let back: Explanation = serde_json::from_value(value).unwrap();
    assert_eq!(back, explanation);
}

#[test]
fn explain_agrees_with_evaluate() {
    let ev = example();
    for record in [
        manager(),
        alice(),
        json!({}),
        json!({"employment": "contractor", "manager": true}),
    ] {
        let who = identity(&ev, record);
        let decision = ev.evaluate(&who, t(AT));
        for entitlement in [
            "salesforce.admin",
            "slack",
            "netsuite.approver",
            "aws.prod-readonly",
            "vpn",
        ] {
            let explanation = ev.explain(&who, entitlement, t(AT)).unwrap();
            let expected = match decision.entitlement(entitlement) {
                Some(g) if g.status == GrantStatus::Granted => Verdict::Granted,
                Some(_) => Verdict::PendingApproval,
                None if decision
                    .denied
                    .iter()
                    .any(|d| &*d.entitlement == entitlement) =>
                {
                    Verdict::Denied
                }
                None => Verdict::NotGranted,
            };
            assert_eq!(explanation.verdict, expected, "{entitlement}");
            let grant_applies = explanation
                .rules
                .iter()
                .any(|r| r.applies && r.effect == RuleEffect::Grant);
            let deny_applies = explanation
                .rules
                .iter()
                .any(|r| r.applies && r.effect == RuleEffect::Deny);
            assert_eq!(
                grant_applies && !deny_applies,
                decision.entitlement(entitlement).is_some()
            );
            assert_eq!(explanation.warnings, decision.warnings);
        }
    }
}

#[test]
fn text_of_a_granted_window_ignores_approval_only_rules() {
    let ev = P::standard()
        .ents(&["slack", "pager"])
        .rule(grant("a", anyone(), &["slack"]).until_date("2026-03-31"))
        .rule(grant("b", anyone(), &["slack"]).approval(Some("it")))
        .rule(grant("short", anyone(), &["pager"]).lasting(7, DurationUnit::Days))
        .rule(
            grant("long", anyone(), &["pager"])
                .lasting(90, DurationUnit::Days)
                .approval(Some("ops")),
        )
        .build();
    let who = identity(&ev, alice());
    let at = t("2026-01-01T00:00:00Z");
    assert_eq!(
        decision_text(&ev.evaluate(&who, at), ev.timezone()),
        "\
pager   granted by short (policies/test.grant:13)  for 7 days from grant
slack   granted by a (policies/test.grant:11)  until 2026-03-31
"
    );
    assert_eq!(
        explanation_text(&ev.explain(&who, "slack", at).unwrap(), ev.timezone()),
        "\
slack granted until 2026-03-31:
  a (policies/test.grant:11): grants until 2026-03-31
  b (policies/test.grant:12): grants after approval by it
"
    );
}

#[test]
fn text_of_a_grant_cut_by_a_scheduled_deny() {
    let ev = P::standard()
        .ent("slack")
        .rule(grant("a", anyone(), &["slack"]).until_date("2027-01-01"))
        .rule(deny_everything("b", anyone()).starting_attr("end_date"))
        .build();
    let who = identity(&ev, json!({"end_date": "2026-06-30"}));
    let at = t("2026-01-01T00:00:00Z");
    assert_eq!(
        explanation_text(&ev.explain(&who, "slack", at).unwrap(), ev.timezone()),
        "\
slack granted until 2026-06-29:
  a (policies/test.grant:10): grants until 2026-06-29
  b (policies/test.grant:11): does not deny: not open yet, opens 2026-06-30
warnings:
  attribute `department` is missing
  attribute `employment` is missing
  attribute `level` is missing
  attribute `start_date` is missing
"
    );
}

#[test]
fn explain_empty_windows() {
    let ev = P::standard()
        .ents(&["x"])
        .rule(
            grant("by-dates", anyone(), &["x"])
                .starting_attr("start_date")
                .until_attr("end_date"),
        )
        .rule(
            deny("freeze", anyone(), &["x"])
                .starting("2026-06-01")
                .until_date("2026-05-01"),
        )
        .build();
    let who = identity(
        &ev,
        json!({"start_date": "2026-06-01", "end_date": "2026-05-01"}),
    );
    let empty = RuleOutcome::EmptyWindow {
        opens_at: t("2026-06-01T00:00:00Z"),
        closes_at: t("2026-05-02T00:00:00Z"),
    };
    // Before, between and after both ends: always empty, never expired.
    for at in [
        "2026-01-01T00:00:00Z",
        "2026-05-15T00:00:00Z",
        "2026-07-01T00:00:00Z",
    ] {
        let explanation = ev.explain(&who, "x", t(at)).unwrap();
        assert_eq!(explanation.verdict, Verdict::NotGranted);
        for rule in &explanation.rules {
            assert!(!rule.applies);
            assert_eq!(rule.outcome, empty, "{} at {at}", rule.rule);
        }
        assert!(ev.evaluate(&who, t(at)).upcoming.is_empty());
    }
    let explanation = ev.explain(&who, "x", t("2026-01-01T00:00:00Z")).unwrap();
    assert_eq!(
        explanation_text(&explanation, ev.timezone()),
        "\
x not granted:
  by-dates (policies/test.grant:10): its window is empty: it would open on 2026-06-01 but closes on 2026-05-01
  freeze (policies/test.grant:11): does not deny: its window is empty: it would open on 2026-06-01 but closes on 2026-05-01
warnings:
  attribute `department` is missing
  attribute `employment` is missing
  attribute `level` is missing
"
    );
    let value = serde_json::to_value(&explanation).unwrap();
    assert_eq!(
        value["rules"][0]["outcome"],
        json!({
            "kind": "empty-window",
            "opens_at": "2026-06-01T00:00:00Z",
            "closes_at": "2026-05-02T00:00:00Z"
        })
    );
    let back: Explanation = serde_json::from_value(value).unwrap();
    assert_eq!(back, explanation);
}

#[test]
fn conditions_that_could_not_be_decided_are_not_called_failed() {
    let ev = P::standard()
        .ent("x")
        .rule(grant("not-sales", not(is("department", "Sales")), &["x"]))
        .build();
    let explanation = ev.explain(&identity(&ev, json!({})), "x", t(AT)).unwrap();
    assert_eq!(explanation.rules[0].outcome, RuleOutcome::ConditionUnknown);
    assert_eq!(
        explanation.rules[0].failed,
        vec![FailedCondition {
            condition: "not department is Sales".into(),
            actual: "department is missing".into(),
            unknown: true,
        }]
    );
    assert_eq!(
        explanation_text(&explanation, ev.timezone())
            .lines()
            .nth(1)
            .unwrap(),
        "  not-sales (policies/test.grant:10): not department is Sales could not be decided (department is missing)"
    );
    let value = serde_json::to_value(&explanation).unwrap();
    assert_eq!(
        value["rules"][0]["failed"][0],
        json!({
            "condition": "not department is Sales",
            "actual": "department is missing",
            "unknown": true
        })
    );
    // Known to be false: failed.
    let explanation = ev
        .explain(&identity(&ev, json!({"department": "Sales"})), "x", t(AT))
        .unwrap();
    assert!(!explanation.rules[0].failed[0].unknown);
    assert!(explanation_text(&explanation, ev.timezone())
        .contains("not department is Sales failed (department is Sales)"));
}

#[test]
fn pending_approval_by_a_group_or_any_approver() {
    let ev = P::standard()
        .ents(&["x", "y", "z"])
        .rule(grant("named", anyone(), &["x", "y"]).approval(Some("y")))
        .rule(grant("unnamed", anyone(), &["x", "z"]).approval(None))
        .build();
    let who = identity(&ev, alice());
    let decision = ev.evaluate(&who, t(AT));
    let x = decision.entitlement("x").unwrap();
    assert_eq!(x.status, GrantStatus::PendingApproval);
    assert_eq!(x.approvers, vec!["y"], "JSON lists the named groups only");
    assert_eq!(
        decision_text(&decision, ev.timezone()),
        "\
x   pending approval by y or any approver (named, policies/test.grant:12; unnamed, policies/test.grant:13)
y   pending approval by y (named, policies/test.grant:12)
z   pending approval (unnamed, policies/test.grant:13)
"
    );
    let text = explanation_text(&ev.explain(&who, "x", t(AT)).unwrap(), ev.timezone());
    assert_eq!(
        text,
        "\
x pending approval by y or any approver:
  named (policies/test.grant:12): grants after approval by y
  unnamed (policies/test.grant:13): grants after approval
"
    );
}
