//! End to end through the facade: policy text in, decisions out. The
//! evaluator's own tests cover the IR semantics in depth; these check that
//! the language means what the reference says.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use chrono::{DateTime, TimeZone, Utc};
use grantline::{Engine, GrantStatus, Verdict};
use serde_json::json;

const SCHEMA: &str = r#"
attribute employment: full-time | part-time | contractor | intern
attribute department: Sales | Engineering | Finance
attribute country: US | DE | IN
attribute manager: flag
attribute level: number
attribute status: active | on-leave | terminated
attribute start_date: date
attribute end_date: optional date
attribute groups: list of text
entitlement slack, github, vpn, salesforce.user
entitlement aws.admin: sensitive, at most 90 days
role baseline: slack, vpn
"#;

fn engine(rules: &str) -> Engine {
    Engine::from_source("test.grant", &format!("{SCHEMA}\n{rules}")).unwrap()
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

fn granted(engine: &Engine, identity: serde_json::Value, when: &str) -> Vec<String> {
    let identity = engine.identity(&identity).unwrap();
    engine
        .evaluate(&identity, at(when))
        .entitlements
        .iter()
        .map(|e| e.entitlement.to_string())
        .collect()
}

fn person() -> serde_json::Value {
    json!({
        "employment": "full-time", "department": "Engineering", "country": "IN",
        "level": 5, "status": "active", "start_date": "2025-02-03"
    })
}

#[test]
fn a_uppercase_country_code_is_a_value_not_a_keyword() {
    let engine = engine("rule india: in IN grants github");
    assert_eq!(
        granted(&engine, person(), "2026-01-01T00:00:00Z"),
        ["github"]
    );
}

#[test]
fn deny_beats_grant_in_any_order() {
    let engine =
        engine("rule off: terminated denies everything\nrule base: anyone grants role baseline");
    let mut gone = person();
    gone["status"] = json!("terminated");
    assert!(granted(&engine, gone, "2026-01-01T00:00:00Z").is_empty());
    assert_eq!(
        granted(&engine, person(), "2026-01-01T00:00:00Z"),
        ["slack", "vpn"]
    );
}

#[test]
fn until_covers_the_whole_last_day() {
    let engine = engine("rule r: in Engineering grants github until 2026-06-30");
    assert_eq!(
        granted(&engine, person(), "2026-06-30T23:59:59Z"),
        ["github"]
    );
    assert!(granted(&engine, person(), "2026-07-01T00:00:00Z").is_empty());
}

#[test]
fn dates_are_whole_days_in_the_policy_time_zone() {
    let engine = Engine::from_source(
        "tz.grant",
        &format!("{SCHEMA}\ntimezone \"Europe/Berlin\"\nrule r: in Engineering grants github from 2026-07-01"),
    )
    .unwrap();
    // Berlin is UTC+2 in July: the day starts at 22:00 UTC the day before.
    assert!(granted(&engine, person(), "2026-06-30T21:59:59Z").is_empty());
    assert_eq!(
        granted(&engine, person(), "2026-06-30T22:00:00Z"),
        ["github"]
    );
    assert_eq!(
        engine.day_start(chrono::NaiveDate::from_ymd_opt(2026, 7, 1).unwrap()),
        Utc.with_ymd_and_hms(2026, 6, 30, 22, 0, 0).unwrap()
    );
}

#[test]
fn contractors_without_an_end_date_can_be_denied() {
    let engine = engine(
        "rule c: contractor grants github from start_date until end_date\nrule no-end: contractor without end_date denies everything",
    );
    let mut contractor = person();
    contractor["employment"] = json!("contractor");
    assert!(granted(&engine, contractor.clone(), "2026-01-01T00:00:00Z").is_empty());
    contractor["end_date"] = json!("2026-03-31");
    assert_eq!(
        granted(&engine, contractor.clone(), "2026-03-31T12:00:00Z"),
        ["github"]
    );
    assert!(granted(&engine, contractor, "2026-04-01T00:00:00Z").is_empty());
}

#[test]
fn approvals_are_pending_unless_another_rule_grants_outright() {
    let pending = engine(
        "rule admins: in Engineering where level >= 5 grants aws.admin requires approval by \"cloud\"",
    );
    let identity = pending.identity(&person()).unwrap();
    let decision = pending.evaluate(&identity, at("2026-01-01T00:00:00Z"));
    let admin = decision.entitlement("aws.admin").unwrap();
    assert_eq!(admin.status, GrantStatus::PendingApproval);
    assert_eq!(admin.approvers, ["cloud"]);

    let both = engine(
        "rule admins: in Engineering where level >= 5 grants aws.admin requires approval by \"cloud\"\nrule oncall: where groups contains \"oncall\" grants aws.admin",
    );
    let mut oncall = person();
    oncall["groups"] = json!(["oncall"]);
    let identity = both.identity(&oncall).unwrap();
    let decision = both.evaluate(&identity, at("2026-01-01T00:00:00Z"));
    assert_eq!(
        decision.entitlement("aws.admin").unwrap().status,
        GrantStatus::Granted
    );
}

#[test]
fn a_missing_attribute_fails_closed_and_is_explained() {
    let engine = engine(
        "rule seniors: where level >= 5 grants github\nrule covered: where country not in {US, DE, IN} denies everything\nrule base: anyone grants slack",
    );
    let mut unknown = person();
    unknown.as_object_mut().unwrap().remove("level");
    unknown.as_object_mut().unwrap().remove("country");
    let identity = engine.identity(&unknown).unwrap();
    let decision = engine.evaluate(&identity, at("2026-01-01T00:00:00Z"));
    assert!(
        decision.entitlements.is_empty(),
        "{:?}",
        decision.entitlements
    );
    assert_eq!(
        decision.denied[0].denied_by[0].missing_attributes,
        ["country"]
    );
    let why = engine
        .explain(&identity, "github", at("2026-01-01T00:00:00Z"))
        .unwrap();
    assert_eq!(why.verdict, Verdict::NotGranted);
    let seniors = why.rules.iter().find(|r| &*r.rule == "seniors").unwrap();
    assert_eq!(seniors.failed[0].actual, "level is missing");
}

#[test]
fn the_maximum_duration_caps_a_window_with_a_start() {
    let engine = engine("rule r: in Engineering grants aws.admin from 2026-01-01");
    let identity = engine.identity(&person()).unwrap();
    let decision = engine.evaluate(&identity, at("2026-02-01T00:00:00Z"));
    let admin = decision.entitlement("aws.admin").unwrap();
    assert_eq!(admin.valid_until, Some(at("2026-04-01T00:00:00Z")));
    assert!(granted(&engine, person(), "2026-04-01T00:00:00Z").is_empty());
}

#[test]
fn compiled_ir_evaluates_like_the_source() {
    let source = engine("rule r: in Engineering with manager status grants github\nrule s: anyone grants role baseline");
    let from_ir = Engine::from_ir_json(&source.policy().to_json()).unwrap();
    let mut manager = person();
    manager["manager"] = json!(true);
    let when = at("2026-01-01T00:00:00Z");
    let a = source.evaluate(&source.identity(&manager).unwrap(), when);
    let b = from_ir.evaluate(&from_ir.identity(&manager).unwrap(), when);
    assert_eq!(a, b);
    assert_eq!(a.entitlements.len(), 3);
}

#[test]
fn compile_errors_are_all_reported() {
    let error = Engine::from_source(
        "bad.grant",
        &format!("{SCHEMA}\nrule a: in Slaes grants github\nrule b: anyone grants zoom"),
    )
    .unwrap_err();
    assert_eq!(error.diagnostics().len(), 2);
    assert!(
        error
            .to_string()
            .starts_with("the policies have 2 errors: bad.grant:"),
        "{error}"
    );
}

#[test]
fn the_deepest_rule_the_parser_accepts_survives_compiled_ir() {
    // Each level puts an `or` and an `and` around the next parenthesis: the
    // worst case for the depth of the IR and of its JSON.
    let depth = grantline_syntax::MAX_NESTING;
    let condition = format!(
        "{}manager{}",
        "level > 1 or manager and (".repeat(depth),
        ")".repeat(depth)
    );
    let engine = engine(&format!("rule deep: where {condition} grants github"));
    let reloaded = Engine::from_ir_json(&engine.policy().to_json()).unwrap();
    let mut manager = person();
    manager["manager"] = json!(true);
    let when = at("2026-01-01T00:00:00Z");
    let decision = reloaded.evaluate(&reloaded.identity(&manager).unwrap(), when);
    assert_eq!(decision.entitlements.len(), 1);
}

#[test]
fn window_instants_are_where_the_decision_can_change_with_time() {
    let engine = engine(
        r#"
rule joiners:
    full-time grants role baseline
    from start_date
    until end_date
rule admins:
    full-time in Engineering grants aws.admin
    from 2026-12-10
rule not-for-sales:
    in Finance grants github
    from 2026-12-20
rule freeze:
    in Engineering denies vpn
    from 2026-12-15
    until 2026-12-16
rule old:
    full-time grants salesforce.user
    until 2026-11-01
"#,
    );
    let identity = engine
        .identity(&json!({
            "employment": "full-time", "department": "Engineering", "country": "US",
            "manager": false, "level": 3, "status": "active", "groups": [],
            "start_date": "2026-12-07", "end_date": "2027-01-31"
        }))
        .unwrap();
    let instants: Vec<String> = engine
        .window_instants(&identity, at("2026-12-01T00:00:00Z"))
        .iter()
        .map(|i| i.to_rfc3339())
        .collect();
    // The start date, the admin window and its 90-day cap, the freeze and
    // its end, the end date (exclusive: the day after). Not the Finance
    // rule (its condition is false) nor the window that closed already.
    assert_eq!(
        instants,
        [
            "2026-12-07T00:00:00+00:00",
            "2026-12-10T00:00:00+00:00",
            "2026-12-15T00:00:00+00:00",
            "2026-12-17T00:00:00+00:00",
            "2027-02-01T00:00:00+00:00",
            "2027-03-10T00:00:00+00:00",
        ]
    );
    // Between two of them, nothing changes.
    let decision = |when: &str| {
        serde_json::to_value(engine.evaluate(&identity, at(when)).entitlements).unwrap()
    };
    assert_eq!(
        decision("2026-12-10T00:00:00Z"),
        decision("2026-12-14T23:59:59Z")
    );
    assert_ne!(
        decision("2026-12-14T23:59:59Z"),
        decision("2026-12-15T00:00:00Z")
    );
}
