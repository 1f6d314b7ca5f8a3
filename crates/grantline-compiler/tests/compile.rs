#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use grantline_compiler::{compile, render_human};
use grantline_ir::{Condition, Effect, PolicySet, TimePoint, Value};
use grantline_syntax::SourceMap;

const SCHEMA: &str = r#"
attribute employment: full-time | part-time | contractor | intern
attribute department: Sales | Engineering | Finance | "Human Resources" | Legal
attribute country: US | DE | GB | IN
attribute manager: flag
attribute level: number
attribute status: active | on-leave | terminated
attribute start_date: date
attribute end_date: optional date
attribute groups: list of text
attribute title: text

entitlement slack, google.workspace, salesforce.user, salesforce.reports
entitlement salesforce.admin: sensitive, owner "crm-team", at most 180 days
entitlement netsuite.payables, netsuite.approver: sensitive
role baseline: slack, google.workspace
role sales: role baseline, salesforce.user
"#;

fn compile_ok(rules: &str) -> PolicySet {
    let mut sources = SourceMap::new();
    sources.add("schema.grant", SCHEMA);
    sources.add("rules.grant", rules);
    let compiled = compile(&sources);
    assert!(
        compiled.diagnostics.is_empty(),
        "{}",
        render_human(&compiled.diagnostics, false)
    );
    compiled.policy.unwrap()
}

fn condition_of(rule: &str) -> Condition {
    compile_ok(rule).rules[0].condition.clone()
}

#[test]
fn the_sentence_compiles_to_four_predicates() {
    let policy = compile_ok(
        "rule us-sales-managers:\n    full-time in Sales in the US with manager status\n    grants salesforce.admin, salesforce.reports\n    until 2027-06-30\n",
    );
    let rule = &policy.rules[0];
    assert_eq!(
        rule.condition.to_string(),
        "employment is full-time and department is Sales and country is US and manager"
    );
    assert_eq!(
        rule.window.until,
        Some(TimePoint::Date(
            chrono::NaiveDate::from_ymd_opt(2027, 6, 30).unwrap()
        ))
    );
    assert_eq!(rule.source.file, "rules.grant");
    assert_eq!(rule.source.line, 1);
}

#[test]
fn short_and_explicit_forms_compile_to_the_same_ir() {
    let pairs = [
        (
            "full-time in Sales",
            "where employment is full-time and department is Sales",
        ),
        ("in US or DE", "where country in {US, DE}"),
        ("in the US", "where country is US"),
        ("not in Sales", "where department is not Sales"),
        (
            "not in Sales or Legal",
            "where department not in {Sales, Legal}",
        ),
        ("with manager status", "where manager"),
        ("with manager", "where manager is true"),
        ("without manager status", "where not manager"),
        ("anyone active", "where status is active"),
        (
            "\"Human Resources\"",
            "where department is \"Human Resources\"",
        ),
        ("in IN", "where country in {IN}"),
        ("without end_date", "where not with end_date"),
        (
            "contractor with end_date",
            "where employment is contractor and with end_date",
        ),
    ];
    for (short, explicit) in pairs {
        let a = condition_of(&format!("rule r: {short} grants slack"));
        let b = condition_of(&format!("rule r: {explicit} grants slack"));
        assert_eq!(a, b, "{short} vs {explicit}");
    }
}

#[test]
fn explicit_operators_keep_precedence_and_types() {
    let condition = condition_of(
        "rule r: where (level > 3 or groups contains \"vpn\") and not department in {Legal, Finance} and start_date <= 2026-01-01 grants slack",
    );
    assert_eq!(
        condition.to_string(),
        "(level > 3 or groups contains vpn) and not department in {Legal, Finance} and start_date <= 2026-01-01"
    );
}

#[test]
fn roles_expand_with_their_path() {
    let policy = compile_ok("rule r: anyone grants role sales");
    let Effect::Grant { entitlements, .. } = &policy.rules[0].effect else {
        panic!()
    };
    let slack = entitlements
        .iter()
        .find(|e| e.entitlement == "slack")
        .unwrap();
    assert_eq!(slack.via, vec!["sales", "baseline"]);
    assert_eq!(
        policy.role("sales").unwrap().entitlements,
        vec!["google.workspace", "salesforce.user", "slack"]
    );
}

#[test]
fn ir_survives_json_round_trip() {
    let policy = compile_ok("rule a: contractor grants salesforce.user from start_date until end_date\nrule b: terminated denies everything\nrule c: in Finance where level >= 7.5 grants netsuite.approver requires approval by \"fin\" for 3 months");
    let json = policy.to_json();
    assert_eq!(PolicySet::from_json(&json).unwrap(), policy);
    assert!(matches!(policy.rules[2].condition, Condition::And { .. }));
    let Condition::And { all } = &policy.rules[2].condition else {
        panic!()
    };
    assert!(matches!(&all[1], Condition::Compare { value: Value::Number(n), .. } if *n == 7.5));
}

#[test]
fn the_example_policies_compile_cleanly() {
    let policies = concat!(env!("CARGO_MANIFEST_DIR"), "/../../policies");
    let sources = grantline_compiler::load_path(std::path::Path::new(policies)).unwrap();
    let compiled = compile(&sources);
    assert!(
        compiled.diagnostics.is_empty(),
        "{}",
        render_human(&compiled.diagnostics, false)
    );
    let policy = compiled.policy.unwrap();
    assert!(
        (30..=80).contains(&policy.rules.len()),
        "{} rules",
        policy.rules.len()
    );
}

#[test]
fn with_an_attribute_tests_that_it_has_a_value() {
    let condition = condition_of("rule r: contractor without end_date denies everything");
    assert_eq!(
        condition.to_string(),
        "employment is contractor and without end_date"
    );
    assert!(matches!(
        &condition,
        Condition::And { all } if all[1] == Condition::Not { not: Box::new(Condition::Present { attribute: "end_date".into() }) }
    ));
}

#[cfg(unix)]
#[test]
fn linked_folders_are_read_and_link_loops_end() {
    let dir = std::env::temp_dir().join(format!("grantline-links-{}", std::process::id()));
    let shared = dir.join("shared");
    std::fs::create_dir_all(&shared).unwrap();
    std::fs::create_dir_all(dir.join("policies")).unwrap();
    std::fs::write(shared.join("schema.grant"), SCHEMA).unwrap();
    std::fs::write(
        dir.join("policies/rules.grant"),
        "rule r: anyone grants slack",
    )
    .unwrap();
    std::os::unix::fs::symlink(&shared, dir.join("policies/shared")).unwrap();
    std::os::unix::fs::symlink(dir.join("policies"), dir.join("policies/loop")).unwrap();
    let sources = grantline_compiler::load_path(&dir.join("policies")).unwrap();
    let compiled = compile(&sources);
    assert!(
        compiled.diagnostics.is_empty(),
        "{}",
        render_human(&compiled.diagnostics, false)
    );
    assert_eq!(compiled.policy.unwrap().rules.len(), 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn quoting_a_value_that_differs_only_in_case_says_exactly_which() {
    let mut sources = SourceMap::new();
    sources.add("schema.grant", SCHEMA);
    sources.add(
        "rules.grant",
        "attribute team: Data | Platform\nattribute unit: data | web\nrule r: in \"Data\" grants slack\nrule s: where unit is data grants slack",
    );
    let compiled = compile(&sources);
    assert!(
        compiled.diagnostics.is_empty(),
        "{}",
        render_human(&compiled.diagnostics, false)
    );
    let policy = compiled.policy.unwrap();
    assert_eq!(policy.rules[0].condition.to_string(), "team is Data");
}

#[test]
fn key_marks_one_attribute_and_stays_a_value_elsewhere() {
    let policy = compile_ok(
        "attribute employee_id: key text\nattribute lock: key | padlock\nattribute badge: optional number\n\nrule keyholders:\n    key grants slack\n",
    );
    let key = policy.key_attribute().map(|a| a.name.as_str());
    assert_eq!(key, Some("employee_id"));
    let lock = policy.attributes.iter().find(|a| a.name == "lock").unwrap();
    assert!(!lock.key);
    assert_eq!(
        lock.kind,
        grantline_ir::AttributeKind::Values {
            values: vec!["key".to_string(), "padlock".to_string()]
        }
    );
    // The key survives the IR round trip, and an IR without it reads as no key.
    let json = policy.to_json();
    assert!(json.contains("\"key\": true"), "{json}");
    let read = PolicySet::from_json(&json.replace("\"key\": true", "\"key\": false")).unwrap();
    assert!(read.key_attribute().is_none());
    assert!(compile_ok("").key_attribute().is_none());
}
