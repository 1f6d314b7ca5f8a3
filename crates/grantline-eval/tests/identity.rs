#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use grantline_eval::*;
use serde_json::json;

fn errors(record: serde_json::Value) -> IdentityError {
    let ev = P::standard().build();
    ev.identity_from_json(&record).unwrap_err()
}

#[test]
fn a_valid_record_converts_every_kind() {
    let ev = P::standard().build();
    let who = ev.identity_from_json(&alice()).unwrap();
    assert_eq!(
        who.get("employment"),
        Some(&AttributeValue::Text("full-time".into()))
    );
    assert_eq!(who.get("manager"), Some(&AttributeValue::Flag(false)));
    assert_eq!(who.get("level"), Some(&AttributeValue::Number(5.0)));
    assert_eq!(
        who.get("start_date"),
        Some(&AttributeValue::Date(d("2024-03-01")))
    );
    assert_eq!(
        who.get("groups"),
        Some(&AttributeValue::List(vec!["vpn".into(), "eng".into()]))
    );
    assert_eq!(who.get("end_date"), None);
    assert_eq!(who.get("no-such-attribute"), None);
    assert!(who.unknown_fields().is_empty());
    let present: Vec<&str> = who.iter().map(|(name, _)| name).collect();
    assert_eq!(
        present,
        vec![
            "employment",
            "department",
            "manager",
            "level",
            "title",
            "start_date",
            "groups"
        ]
    );
}

#[test]
fn attribute_values_display() {
    assert_eq!(
        AttributeValue::Text("Human Resources".into()).to_string(),
        "Human Resources"
    );
    assert_eq!(AttributeValue::Flag(true).to_string(), "true");
    assert_eq!(AttributeValue::Number(5.0).to_string(), "5");
    assert_eq!(AttributeValue::Number(7.25).to_string(), "7.25");
    assert_eq!(
        AttributeValue::Date(d("2026-01-02")).to_string(),
        "2026-01-02"
    );
    assert_eq!(
        AttributeValue::List(vec!["vpn".into(), "eng".into()]).to_string(),
        "[vpn, eng]"
    );
    assert_eq!(AttributeValue::List(vec![]).to_string(), "[]");
}

#[test]
fn null_is_absent() {
    let ev = P::standard().build();
    let who = ev
        .identity_from_json(&json!({"level": null, "groups": null, "employment": null}))
        .unwrap();
    assert_eq!(who.get("level"), None);
    assert_eq!(who.get("groups"), None);
}

#[test]
fn not_an_object() {
    for (record, found) in [
        (json!([1, 2]), "an array"),
        (json!("alice"), "a string"),
        (json!(null), "null"),
        (json!(3), "a number"),
        (json!(true), "a boolean"),
    ] {
        let error = errors(record);
        assert_eq!(error.errors.len(), 1);
        assert_eq!(error.errors[0].field, "");
        assert_eq!(
            error.to_string(),
            format!("identity record: expected a JSON object, found {found}")
        );
    }
}

#[test]
fn every_field_error_is_collected() {
    let error = errors(json!({
        "department": "sales",
        "employment": 3,
        "manager": "yes",
        "level": "5",
        "title": 12,
        "start_date": "2026-02-30",
        "end_date": "2026-2-3",
        "groups": ["vpn", 1, null],
        "nickname": "unknown fields are not errors"
    }));
    let fields: Vec<&str> = error.errors.iter().map(|e| e.field.as_str()).collect();
    // serde_json objects iterate in key order.
    assert_eq!(
        fields,
        vec![
            "department",
            "employment",
            "end_date",
            "groups",
            "level",
            "manager",
            "start_date",
            "title"
        ]
    );
    let lines: Vec<String> = error.to_string().lines().map(str::to_string).collect();
    assert_eq!(
        lines,
        vec![
            "field `department`: unknown value `sales`; did you mean `Sales`?",
            "field `employment`: expected a value of the set, found number 3; allowed values: `full-time`, `part-time`, `contractor`, `intern`",
            "field `end_date`: text \"2026-2-3\" is not a valid date; write dates as YYYY-MM-DD, such as 2026-01-31",
            "field `groups`: expected a list of text, but item 2 is number 1, item 3 is null",
            "field `level`: expected a number, found text \"5\"",
            "field `manager`: expected true or false, found text \"yes\"",
            "field `start_date`: text \"2026-02-30\" is not a valid date; write dates as YYYY-MM-DD, such as 2026-01-31",
            "field `title`: expected text, found number 12",
        ]
    );
}

#[test]
fn closed_set_suggestions() {
    let hint = |value: &str| {
        let error = errors(json!({"department": value}));
        assert_eq!(error.errors.len(), 1);
        assert_eq!(error.errors[0].message, format!("unknown value `{value}`"));
        error.errors[0].hint.clone().unwrap()
    };
    assert_eq!(hint("sales"), "did you mean `Sales`?");
    assert_eq!(hint("HUMAN RESOURCES"), "did you mean `Human Resources`?");
    assert_eq!(hint("Engneering"), "did you mean `Engineering`?");
    assert_eq!(
        hint("Marketing"),
        "allowed values: `Sales`, `Engineering`, `Finance`, `Human Resources`"
    );
}

#[test]
fn wrong_json_types_for_each_kind() {
    let message = |field: &str, value: serde_json::Value| {
        let error = errors(json!({ field: value }));
        assert_eq!(error.errors.len(), 1, "{error}");
        error.errors[0].message.clone()
    };
    assert_eq!(
        message("manager", json!(1)),
        "expected true or false, found number 1"
    );
    assert_eq!(
        message("level", json!(true)),
        "expected a number, found true"
    );
    assert_eq!(
        message("level", json!([5])),
        "expected a number, found an array"
    );
    assert_eq!(
        message("title", json!({"a": 1})),
        "expected text, found an object"
    );
    assert_eq!(
        message("start_date", json!(20260101)),
        "expected a date (YYYY-MM-DD), found number 20260101"
    );
    assert_eq!(
        message("start_date", json!("20260101")),
        "text \"20260101\" is not a valid date"
    );
    assert_eq!(
        message("start_date", json!("2026-01-01T00:00:00Z")),
        "text \"2026-01-01T00:00:00Z\" is not a valid date"
    );
    assert_eq!(
        message("groups", json!("vpn")),
        "expected a list of text, found text \"vpn\""
    );
}

#[test]
fn numbers_and_dates_that_are_accepted() {
    let ev = P::standard().build();
    let who = ev
        .identity_from_json(&json!({"level": -2.5, "start_date": "2024-02-29", "groups": []}))
        .unwrap();
    assert_eq!(who.get("level"), Some(&AttributeValue::Number(-2.5)));
    assert_eq!(
        who.get("start_date"),
        Some(&AttributeValue::Date(d("2024-02-29")))
    );
    assert_eq!(who.get("groups"), Some(&AttributeValue::List(vec![])));
    assert!(ev
        .identity_from_json(&json!({"start_date": "2023-02-29"}))
        .is_err());
    assert!(ev.identity_from_json(&json!({"level": u64::MAX})).is_ok());
}

#[test]
fn unknown_fields_are_kept_as_warnings() {
    let ev = P::standard().build();
    let who = ev
        .identity_from_json(&json!({"nickname": "al", "Department": "Sales"}))
        .unwrap();
    assert_eq!(
        who.unknown_fields(),
        ["Department".to_string(), "nickname".to_string()]
    );
    assert_eq!(who.get("department"), None);
}

#[test]
fn identities_from_values() {
    let ev = P::standard().build();
    let who = ev
        .identity_from_values([
            ("department", AttributeValue::Text("Sales".into())),
            ("level", AttributeValue::Number(3.0)),
            ("extra", AttributeValue::Flag(true)),
        ])
        .unwrap();
    assert_eq!(who.get("level"), Some(&AttributeValue::Number(3.0)));
    assert_eq!(who.unknown_fields(), ["extra".to_string()]);
    let error = ev
        .identity_from_values([
            ("department", AttributeValue::Text("sales".into())),
            ("level", AttributeValue::Number(f64::NAN)),
            ("manager", AttributeValue::Text("yes".into())),
        ])
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "field `department`: unknown value `sales`; did you mean `Sales`?\n\
         field `level`: number NaN is not finite\n\
         field `manager`: expected a flag value, found yes"
    );
}

#[test]
fn suggestions_use_the_thresholds_of_the_compiler() {
    let hint = |value: &str| errors(json!({"department": value})).errors[0].hint.clone();
    // Distance 2 on a five-letter word: within max(2, len / 3).
    assert_eq!(hint("Slaes").unwrap(), "did you mean `Sales`?");
    // A prefix of at least three characters.
    assert_eq!(hint("Eng").unwrap(), "did you mean `Engineering`?");
    assert_eq!(hint("Hum").unwrap(), "did you mean `Human Resources`?");
    // Two characters are too short to be a prefix worth suggesting.
    assert_eq!(
        hint("Hu").unwrap(),
        "allowed values: `Sales`, `Engineering`, `Finance`, `Human Resources`"
    );
    // Entitlement names in `explain` use the same rule.
    let ev = P::standard().ents(&["salesforce.admin", "slack"]).build();
    let error = ev
        .explain(
            &identity(&ev, json!({})),
            "salesforce",
            t("2026-01-01T00:00:00Z"),
        )
        .unwrap_err();
    assert_eq!(error.suggestions, vec!["salesforce.admin"]);
}

#[test]
fn unknown_fields_suggest_the_declared_attribute() {
    let ev = P::standard().build();
    let who = ev
        .identity_from_json(&json!({"Department": "Sales", "nickname": "al", "levl": 3}))
        .unwrap();
    let decision = ev.evaluate(&who, t("2026-01-01T00:00:00Z"));
    let unknown: Vec<&Warning> = decision
        .warnings
        .iter()
        .filter(|w| matches!(w, Warning::UnknownField { .. }))
        .collect();
    assert_eq!(
        unknown,
        vec![
            &Warning::UnknownField {
                field: "Department".into(),
                suggestion: Some("department".into()),
            },
            &Warning::UnknownField {
                field: "levl".into(),
                suggestion: Some("level".into()),
            },
            &Warning::UnknownField {
                field: "nickname".into(),
                suggestion: None,
            },
        ]
    );
    assert_eq!(
        unknown[0].to_string(),
        "field `Department` is not a declared attribute and was ignored; did you mean `department`?"
    );
    assert_eq!(
        unknown[2].to_string(),
        "field `nickname` is not a declared attribute and was ignored"
    );
    assert_eq!(
        serde_json::to_value(unknown[0]).unwrap(),
        json!({"kind": "unknown-field", "field": "Department", "suggestion": "department"})
    );
    assert_eq!(
        serde_json::to_value(unknown[2]).unwrap(),
        json!({"kind": "unknown-field", "field": "nickname", "suggestion": null})
    );
}
