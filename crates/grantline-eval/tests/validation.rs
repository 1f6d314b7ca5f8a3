#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use grantline_eval::*;
use grantline_ir::{
    Condition, Effect, Ordering, PolicySet, ResolvedEntitlement, Target, TimePoint, Value,
};

fn problems(set: PolicySet) -> Vec<String> {
    Evaluator::new(set)
        .unwrap_err()
        .problems
        .iter()
        .map(|p| p.to_string())
        .collect()
}

#[test]
fn a_valid_policy_set_is_accepted() {
    let p = P::standard()
        .timezone("Asia/Kolkata")
        .ents(&["a", "b"])
        .role("r", vec![Target::Entitlement("a".into())], &["a"])
        .rule(
            grant_role("g", anyone(), &["r"], &["a"])
                .starting_attr("start_date")
                .until_attr("end_date"),
        )
        .rule(deny_everything("d", flag("manager")))
        .separate(
            Target::Role("r".into()),
            Target::Entitlement("b".into()),
            &["a"],
            &["b"],
        );
    let ev = Evaluator::new(p.set.clone()).unwrap();
    assert_eq!(ev.policy(), &p.set);
    assert_eq!(ev.timezone(), chrono_tz::Tz::Asia__Kolkata);
}

#[test]
fn unknown_timezone() {
    let set = P::standard().timezone("Mars/Olympus").set;
    assert_eq!(
        problems(set),
        vec!["timezone: unknown time zone \"Mars/Olympus\""]
    );
}

#[test]
fn every_problem_is_reported_with_its_location() {
    let set = P::standard()
        .ents(&["a"])
        .rule(grant("undeclared", is("country", "US"), &["a"]))
        .rule(grant("flag-on-number", flag("level"), &["a"]))
        .rule(grant(
            "compare-text",
            cmp("title", Ordering::Less, Value::Text("x".into())),
            &["a"],
        ))
        .rule(grant(
            "wrong-constant",
            cmp("level", Ordering::Less, Value::Date(d("2026-01-01"))),
            &["a"],
        ))
        .rule(grant("not-in-set", is("department", "Marketing"), &["a"]))
        .rule(grant("contains-number", contains("level", "x"), &["a"]))
        .rule(grant("window-not-date", anyone(), &["a"]).starting_attr("title"))
        .rule(grant("missing-entitlement", anyone(), &["nope"]))
        .rule(grant_role("missing-role", anyone(), &["ghost"], &["a"]))
        .rule(deny("deny-with-approval", anyone(), &["a"]).approval(None))
        .rule(grant(
            "nan",
            is_value("level", Value::Number(f64::NAN)),
            &["a"],
        ))
        .rule(grant("is-on-list", is("groups", "vpn"), &["a"]))
        .set;
    let f = FILE;
    assert_eq!(
        problems(set),
        vec![
            format!("rule `undeclared` ({f}:10): condition `country is US` names undeclared attribute `country`"),
            format!("rule `flag-on-number` ({f}:11): condition `level` does not fit number attribute `level`: only a flag attribute can stand alone as a condition"),
            format!("rule `compare-text` ({f}:12): condition `title < x` does not fit text attribute `title`: only numbers and dates can be compared"),
            format!("rule `wrong-constant` ({f}:13): condition `level < 2026-01-01` does not fit number attribute `level`: `2026-01-01` is not a number constant"),
            format!("rule `not-in-set` ({f}:14): condition `department is Marketing` does not fit value set attribute `department`: `Marketing` is not one of its values"),
            format!("rule `contains-number` ({f}:15): condition `level contains x` does not fit number attribute `level`: `contains` needs a list of text or a text attribute"),
            format!("rule `window-not-date` ({f}:16): window attribute `title` is a text, not a date"),
            format!("rule `missing-entitlement` ({f}:17): entitlement `nope` is not in the catalogue"),
            format!("rule `missing-role` ({f}:18): role `ghost` is not declared"),
            format!("rule `deny-with-approval` ({f}:19): a deny rule cannot require approval"),
            format!("rule `nan` ({f}:20): condition `level is NaN` does not fit number attribute `level`: `NaN` is not a finite number"),
            format!("rule `is-on-list` ({f}:21): condition `groups is vpn` does not fit list of text attribute `groups`: a list is tested with `contains`"),
        ]
    );
}

#[test]
fn declarations_roles_and_separations_are_checked() {
    let mut p = P::standard()
        .ents(&["a", "a"])
        .role("r", vec![Target::Role("missing".into())], &["b"])
        .separate(
            Target::Entitlement("x".into()),
            Target::Entitlement("a".into()),
            &["x"],
            &["a"],
        );
    p.set.attributes.push(p.set.attributes[0].clone());
    p.set.version = 99;
    let all = problems(p.set).join("\n");
    for expected in [
        "document: format \"grantline-ir\" version 99 is not \"grantline-ir\" version 1",
        "attribute `employment` (policies/test.grant:1): declared more than once",
        "entitlement `a` (policies/test.grant:10): declared more than once",
        "role `r` (policies/test.grant:11): role `missing` is not declared",
        "role `r` (policies/test.grant:11): entitlement `b` is not in the catalogue",
        "separation of x from a (policies/test.grant:12): entitlement `x` is not in the catalogue",
    ] {
        assert!(all.contains(expected), "missing {expected:?} in\n{all}");
    }
}

#[test]
fn nested_problems_and_the_error_display() {
    let mut set = P::standard().ents(&["a"]).set;
    set.rules.push(grantline_ir::Rule {
        name: "nested".into(),
        source: loc(40),
        condition: Condition::Or {
            any: vec![
                Condition::Not {
                    not: Box::new(flag("nope")),
                },
                and(vec![anyone(), flag("also-nope")]),
            ],
        },
        effect: Effect::Grant {
            targets: vec![Target::Entitlement("a".into())],
            entitlements: vec![ResolvedEntitlement {
                entitlement: "a".into(),
                via: vec![],
            }],
        },
        window: grantline_ir::Window {
            from: Some(TimePoint::Attribute("ghost".into())),
            until: None,
            duration: None,
        },
        approval: None,
    });
    set.rules.push(set.rules[0].clone());
    let error = Evaluator::new(set).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "the compiled policy set is invalid (4 problems)\n  \
             rule `nested` ({FILE}:40): condition `nope` names undeclared attribute `nope`\n  \
             rule `nested` ({FILE}:40): condition `also-nope` names undeclared attribute `also-nope`\n  \
             rule `nested` ({FILE}:40): window names undeclared attribute `ghost`\n  \
             rule `nested` ({FILE}:40): a rule with this name already exists"
        )
    );
    assert_eq!(error.problems[0].subject, "rule `nested`");
    assert_eq!(error.problems[0].source, Some(loc(40)));
}

/// `manager` inside `levels` alternating `not` and `and`, outermost last; an
/// even number of `not`s (64 levels) keeps its meaning.
fn nested(levels: usize) -> Condition {
    let mut condition = flag("manager");
    for i in 0..levels {
        condition = if i % 2 == 0 {
            Condition::Not {
                not: Box::new(condition),
            }
        } else {
            Condition::And {
                all: vec![anyone(), condition],
            }
        };
    }
    condition
}

#[test]
fn conditions_nest_at_most_64_levels() {
    assert_eq!(MAX_CONDITION_DEPTH, 64);
    let ev = P::standard()
        .ent("x")
        .rule(grant("deep", nested(64), &["x"]))
        .build();
    let who = identity(&ev, serde_json::json!({"manager": true}));
    assert_eq!(
        granted_names(&ev.evaluate(&who, t("2026-01-01T00:00:00Z"))),
        vec!["x"]
    );

    let set = P::standard()
        .ent("x")
        .rule(grant("too-deep", nested(65), &["x"]))
        .set;
    assert_eq!(
        problems(set),
        vec!["rule `too-deep` (policies/test.grant:10): condition nests deeper than 64 levels"]
    );
    // Far deeper: still one problem, found without recursing.
    let set = P::standard()
        .ent("x")
        .rule(grant("far-too-deep", nested(3000), &["x"]))
        .set;
    assert_eq!(
        problems(set),
        vec!["rule `far-too-deep` (policies/test.grant:10): condition nests deeper than 64 levels"]
    );
}
