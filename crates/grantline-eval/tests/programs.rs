//! The compiled programs of the indexed evaluation on the cases their
//! encoding treats apart, against the plain evaluation: number constants
//! that are not whole, lists whose rules look for more texts than a code
//! can tell apart, conditions longer than a cache line of nodes, empty
//! `and`/`or`, and identities of another schema.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use grantline_eval::*;
use grantline_ir::*;
use serde_json::json;

const AT: &str = "2026-06-15T12:00:00Z";

fn same(ev: &Evaluator, people: &[serde_json::Value]) {
    for person in people {
        let who = identity(ev, person.clone());
        let indexed = ev.evaluate(&who, t(AT));
        let plain = ev.evaluate_plain(&who, t(AT));
        assert_eq!(indexed, plain, "{person}");
        assert_eq!(
            serde_json::to_string(&indexed).unwrap(),
            serde_json::to_string(&plain).unwrap()
        );
        assert_eq!(
            ev.applying_rules(&who, t(AT)),
            ev.applying_rules_plain(&who, t(AT))
        );
    }
}

fn people() -> Vec<serde_json::Value> {
    let mut people = Vec::new();
    for level in [
        json!(1),
        json!(2.5),
        json!(2.75),
        json!(7),
        json!(-0.0),
        json!(null),
    ] {
        for groups in [json!([]), json!(["g3", "g35"]), json!(["g0", "g39", "vpn"])] {
            let mut person = alice();
            person["level"] = level.clone();
            person["groups"] = groups;
            people.push(person);
        }
    }
    people
}

#[test]
fn numbers_that_are_not_whole_and_long_lists() {
    let mut p = P::standard().ents(&["a", "b", "c", "d"]);
    // More texts looked for in `groups` than a list's code holds.
    for i in 0..40 {
        p = p.rule(grant(
            &format!("g{i}"),
            contains("groups", &format!("g{i}")),
            &["a"],
        ));
    }
    let ev = p
        .rule(grant("half", level(Ordering::Greater, 2.5), &["b"]))
        .rule(grant("zero", level(Ordering::GreaterOrEqual, 0.0), &["c"]))
        .rule(grant("big", level(Ordering::Less, 3_000_000_000.0), &["d"]))
        .build();
    let decision = ev.evaluate(&identity(&ev, alice()), t(AT));
    assert_eq!(granted_names(&decision), vec!["b", "c", "d"]);
    same(&ev, &people());
}

#[test]
fn conditions_longer_than_a_line_and_empty_ones() {
    let leaves: Vec<Condition> = (1..=12)
        .map(|n| level(Ordering::GreaterOrEqual, f64::from(n % 4)))
        .chain([flag("manager"), contains("groups", "vpn")])
        .collect();
    let ev = P::standard()
        .ents(&["a", "b", "c", "d", "e"])
        .rule(grant("long-and", and(leaves.clone()), &["a"]))
        .rule(grant("long-or", or(leaves.clone()), &["b"]))
        .rule(grant(
            "nested",
            and(vec![
                or(vec![and(vec![]), not(flag("manager"))]),
                not(and(leaves.clone())),
                or(vec![]),
            ]),
            &["c"],
        ))
        .rule(grant("empty-and", and(vec![]), &["d"]))
        .rule(grant("not-empty-or", not(or(vec![])), &["e"]))
        .build();
    same(&ev, &people());
    let mut manager = alice();
    manager["manager"] = json!(true);
    manager["level"] = json!(9);
    same(&ev, &[manager]);
}

#[test]
fn identities_of_another_schema() {
    // An identity made for another schema, where the attributes have other
    // kinds: its values do not fit and count as missing (flags false,
    // lists empty, the rest unknown).
    let ev = P::standard()
        .ents(&["a", "b", "c"])
        .rule(grant("flag", flag("manager"), &["a"]))
        .rule(grant("list", contains("groups", "vpn"), &["b"]))
        .rule(deny("no-list", contains("groups", "eng"), &["a"]))
        .rule(grant("number", level(Ordering::Greater, 1.0), &["c"]))
        .build();
    let other = P::new()
        .attr("manager", AttributeKind::Text, false)
        .attr("groups", AttributeKind::Text, false)
        .attr("level", AttributeKind::Text, false)
        .build();
    let who = identity(
        &other,
        json!({"manager": "yes", "groups": "vpn", "level": "high"}),
    );
    assert_eq!(ev.evaluate(&who, t(AT)), ev.evaluate_plain(&who, t(AT)));
    same(&ev, &people());
}
