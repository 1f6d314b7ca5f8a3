//! The indexed evaluation against the plain one: over generated policy sets
//! with many overlapping rules on a small schema, `evaluate`,
//! `applying_rules` and `explain` give exactly what their `_plain` reference
//! gives, field for field.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use chrono::{DateTime, NaiveDate, Utc};
use common::*;
use grantline_eval::*;
use grantline_ir::*;
use proptest::prelude::*;

// ---------------------------------------------------------------------------
// The schema: few attributes, few values, so that rules collide and overlap.

const EMPLOYMENT: &[&str] = &["full-time", "part-time", "contractor", "intern"];
const DEPARTMENT: &[&str] = &["Sales", "Engineering", "Finance", "Human Resources"];
const COUNTRY: &[&str] = &["US", "DE", "IN"];
const STATUS: &[&str] = &["active", "on-leave", "terminated"];
/// Titles rules test (some no identity has) and identities have (some no
/// rule tests).
const TITLES: &[&str] = &["Lead", "Senior Accountant", "x", "nobody"];
const IDENTITY_TITLES: &[&str] = &["Lead", "Senior Accountant", "x", "zzz", ""];
const GROUPS: &[&str] = &["vpn", "eng", "oncall"];
const ENTITLEMENTS: &[&str] = &["a", "b", "c", "d", "e", "capped"];
const VIAS: &[&[&str]] = &[&[], &["r1"], &["r2", "r1"]];
const DATES: &[&str] = &[
    "2025-06-01",
    "2025-12-31",
    "2026-01-01",
    "2026-06-30",
    "2026-07-01",
    "2027-01-01",
];

fn schema(optional_country: bool, tz: &str) -> P {
    P::standard()
        .timezone(tz)
        .attr(
            "country",
            AttributeKind::Values {
                values: COUNTRY.iter().map(|v| v.to_string()).collect(),
            },
            optional_country,
        )
        .values("status", STATUS)
        .attr("oncall", AttributeKind::Flag, false)
        .ents(&["a", "b", "c", "d", "e"])
        .ent_with("capped", true, Some(days(30)))
        .role(
            "r1",
            vec![
                Target::Entitlement("a".into()),
                Target::Entitlement("b".into()),
            ],
            &["a", "b"],
        )
        .role(
            "r2",
            vec![Target::Role("r1".into()), Target::Entitlement("c".into())],
            &["a", "b", "c"],
        )
}

fn text(values: &'static [&'static str]) -> impl Strategy<Value = Value> {
    prop::sample::select(values).prop_map(|v| Value::Text(v.to_string()))
}

fn texts(values: &'static [&'static str]) -> impl Strategy<Value = Vec<Value>> {
    prop::sample::subsequence(values, 0..=values.len())
        .prop_map(|vs| vs.into_iter().map(|v| Value::Text(v.to_string())).collect())
}

fn date() -> impl Strategy<Value = NaiveDate> {
    prop::sample::select(DATES).prop_map(d)
}

fn ordering() -> impl Strategy<Value = Ordering> {
    prop::sample::select(
        &[
            Ordering::Greater,
            Ordering::GreaterOrEqual,
            Ordering::Less,
            Ordering::LessOrEqual,
        ][..],
    )
}

/// A value-set attribute and its values.
fn closed() -> impl Strategy<Value = (&'static str, &'static [&'static str])> {
    prop::sample::select(
        &[
            ("employment", EMPLOYMENT),
            ("department", DEPARTMENT),
            ("country", COUNTRY),
            ("status", STATUS),
            ("title", TITLES),
        ][..],
    )
}

fn leaf() -> impl Strategy<Value = Condition> {
    prop_oneof![
        1 => Just(Condition::True),
        6 => closed().prop_flat_map(|(attribute, values)| text(values)
            .prop_map(move |value| Condition::Is { attribute: attribute.to_string(), value })),
        3 => closed().prop_flat_map(|(attribute, values)| texts(values)
            .prop_map(move |values| Condition::In { attribute: attribute.to_string(), values })),
        2 => prop::sample::select(&["manager", "oncall"][..])
            .prop_map(|a| Condition::Flag { attribute: a.to_string() }),
        1 => prop::sample::select(
            &["employment", "country", "manager", "level", "title", "end_date", "groups"][..]
        )
            .prop_map(|a| Condition::Present { attribute: a.to_string() }),
        1 => (ordering(), 1i32..8).prop_map(|(cmp, n)| Condition::Compare {
            attribute: "level".into(), cmp, value: Value::Number(f64::from(n)),
        }),
        1 => (1i32..8).prop_map(|n| Condition::Is {
            attribute: "level".into(), value: Value::Number(f64::from(n)),
        }),
        1 => (prop::sample::select(&["start_date", "end_date"][..]), ordering(), date())
            .prop_map(|(a, cmp, date)| Condition::Compare {
                attribute: a.to_string(), cmp, value: Value::Date(date),
            }),
        1 => (prop::sample::select(&["start_date", "end_date"][..]), date())
            .prop_map(|(a, date)| Condition::Is { attribute: a.to_string(), value: Value::Date(date) }),
        1 => text(GROUPS).prop_map(|value| Condition::Contains { attribute: "groups".into(), value }),
        1 => prop::sample::select(&["Lead", "Senior", "e"][..]).prop_map(|v| Condition::Contains {
            attribute: "title".into(), value: Value::Text(v.to_string()),
        }),
        1 => prop::sample::select(CHECKS).prop_map(|c| Condition::Check { check: c.to_string() }),
    ]
}

/// Custom checks: one passes for managers, one for Sales, one never runs.
const CHECKS: &[&str] = &["managerial", "in-sales", "broken"];

struct MockChecks;

impl CheckRunner for MockChecks {
    fn run(&self, name: &str, input: &str) -> Result<CheckPass, String> {
        let passed = match name {
            "managerial" => input.contains(r#""manager":true"#),
            "in-sales" => input.contains(r#""department":"Sales""#),
            _ => return Err("trap: unreachable".to_string()),
        };
        Ok(CheckPass {
            passed,
            log: String::new(),
        })
    }
}

/// The evaluator of `policy`, its checks run by [`MockChecks`].
fn evaluator(policy: PolicySet) -> Evaluator {
    Evaluator::with_checks(policy, std::sync::Arc::new(MockChecks)).unwrap()
}

fn condition() -> impl Strategy<Value = Condition> {
    leaf().prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            4 => prop::collection::vec(inner.clone(), 0..4).prop_map(|all| Condition::And { all }),
            2 => prop::collection::vec(inner.clone(), 0..4).prop_map(|any| Condition::Or { any }),
            2 => inner.prop_map(|c| Condition::Not { not: Box::new(c) }),
        ]
    })
}

/// Conditions shaped like real rules: a conjunction of anchors (equalities,
/// memberships, flags, sometimes negated) and a few other tests.
fn conjunction() -> impl Strategy<Value = Condition> {
    prop::collection::vec(
        prop_oneof![
            4 => leaf(),
            1 => leaf().prop_map(|c| Condition::Not { not: Box::new(c) }),
            1 => condition(),
        ],
        1..5,
    )
    .prop_map(|all| Condition::And { all })
}

fn targets() -> impl Strategy<Value = Vec<ResolvedEntitlement>> {
    prop::collection::vec(
        (
            prop::sample::select(ENTITLEMENTS),
            prop::sample::select(VIAS),
        ),
        0..4,
    )
    .prop_map(|list| {
        let mut resolved: Vec<ResolvedEntitlement> = list
            .into_iter()
            .map(|(e, via)| ResolvedEntitlement {
                entitlement: e.to_string(),
                via: via.iter().map(|v| v.to_string()).collect(),
            })
            .collect();
        resolved.sort();
        resolved
    })
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Grant,
    Deny,
    DenyEverything,
}

fn point() -> impl Strategy<Value = TimePoint> {
    prop_oneof![
        2 => date().prop_map(TimePoint::Date),
        1 => prop::sample::select(&["start_date", "end_date"][..])
            .prop_map(|a| TimePoint::Attribute(a.to_string())),
    ]
}

fn window() -> impl Strategy<Value = Window> {
    prop_oneof![
        3 => Just(Window::default()),
        2 => (
            prop::option::of(point()),
            prop::option::of(point()),
            prop::option::of((1u32..400).prop_map(days)),
        )
            .prop_map(|(from, until, duration)| Window { from, until, duration }),
    ]
}

fn rule_parts() -> impl Strategy<Value = (Kind, Condition, Vec<ResolvedEntitlement>, Window, u8)> {
    (
        prop_oneof![
            6 => Just(Kind::Grant),
            2 => Just(Kind::Deny),
            1 => Just(Kind::DenyEverything),
        ],
        prop_oneof![3 => conjunction(), 1 => condition()],
        targets(),
        window(),
        0u8..6,
    )
}

fn build_rules(parts: Vec<(Kind, Condition, Vec<ResolvedEntitlement>, Window, u8)>) -> Vec<Rule> {
    parts
        .into_iter()
        .enumerate()
        .map(|(i, (kind, condition, entitlements, window, approval))| {
            let targets = entitlements
                .iter()
                .map(|e| match e.via.first() {
                    Some(role) => Target::Role(role.clone()),
                    None => Target::Entitlement(e.entitlement.clone()),
                })
                .collect();
            let effect = match kind {
                Kind::Grant => Effect::Grant {
                    targets,
                    entitlements,
                },
                Kind::Deny => Effect::Deny {
                    targets,
                    entitlements,
                },
                Kind::DenyEverything => Effect::DenyEverything,
            };
            let approval = match (kind, approval) {
                (Kind::Grant, 0) => Some(Approval { by: None }),
                (Kind::Grant, 1) => Some(Approval {
                    by: Some("it".to_string()),
                }),
                _ => None,
            };
            Rule {
                name: format!("r{i}"),
                source: loc(100 + i as u32),
                condition,
                effect,
                window,
                approval,
            }
        })
        .collect()
}

fn values_strategy() -> impl Strategy<Value = Vec<(&'static str, AttributeValue)>> {
    let t = |vs: &'static [&'static str]| {
        prop::option::of(prop::sample::select(vs).prop_map(|v| AttributeValue::Text(v.to_string())))
    };
    (
        (
            t(EMPLOYMENT),
            t(DEPARTMENT),
            t(COUNTRY),
            t(STATUS),
            t(IDENTITY_TITLES),
        ),
        (
            prop::option::of(any::<bool>().prop_map(AttributeValue::Flag)),
            prop::option::of(any::<bool>().prop_map(AttributeValue::Flag)),
            prop::option::of((1i32..8).prop_map(|n| AttributeValue::Number(f64::from(n)))),
            prop::option::of(date().prop_map(AttributeValue::Date)),
            prop::option::of(date().prop_map(AttributeValue::Date)),
            prop::option::of(
                prop::sample::subsequence(GROUPS, 0..=GROUPS.len())
                    .prop_map(|g| AttributeValue::List(g.iter().map(|s| s.to_string()).collect())),
            ),
            prop::option::of(Just(AttributeValue::Text("ignored".into()))),
        ),
    )
        .prop_map(
            |(
                (employment, department, country, status, title),
                (manager, oncall, level, start, end, groups, extra),
            )| {
                [
                    ("employment", employment),
                    ("department", department),
                    ("country", country),
                    ("status", status),
                    ("title", title),
                    ("manager", manager),
                    ("oncall", oncall),
                    ("level", level),
                    ("start_date", start),
                    ("end_date", end),
                    ("groups", groups),
                    ("extra", extra),
                ]
                .into_iter()
                .filter_map(|(name, value)| Some((name, value?)))
                .collect()
            },
        )
}

fn instants() -> Vec<DateTime<Utc>> {
    [
        "2025-06-01T00:00:00Z",
        "2026-01-01T00:00:00Z",
        "2026-06-30T23:59:59Z",
        "2026-07-01T12:00:00Z",
        "2027-07-01T00:00:00Z",
    ]
    .into_iter()
    .map(t)
    .collect()
}

/// Everything the indexed evaluation answers equals the plain answer.
fn check_same(ev: &Evaluator, who: &Identity, at: DateTime<Utc>) -> Result<(), TestCaseError> {
    let indexed = ev.evaluate(who, at);
    let plain = ev.evaluate_plain(who, at);
    prop_assert_eq!(&indexed.at, &plain.at);
    prop_assert_eq!(&indexed.entitlements, &plain.entitlements);
    prop_assert_eq!(&indexed.denied, &plain.denied);
    prop_assert_eq!(&indexed.upcoming, &plain.upcoming);
    prop_assert_eq!(&indexed.conflicts, &plain.conflicts);
    prop_assert_eq!(&indexed.warnings, &plain.warnings);
    prop_assert_eq!(&indexed, &plain);
    prop_assert_eq!(ev.applying_rules(who, at), ev.applying_rules_plain(who, at));
    Ok(())
}

fn check_explanations(
    ev: &Evaluator,
    who: &Identity,
    at: DateTime<Utc>,
) -> Result<(), TestCaseError> {
    for entitlement in ENTITLEMENTS {
        prop_assert_eq!(
            ev.explain(who, entitlement, at).unwrap(),
            ev.explain_plain(who, entitlement, at).unwrap()
        );
    }
    Ok(())
}

fn policy(
    parts: Vec<(Kind, Condition, Vec<ResolvedEntitlement>, Window, u8)>,
    optional_country: bool,
    tz: &str,
) -> PolicySet {
    let mut p = schema(optional_country, tz).separate(
        Target::Role("r1".into()),
        Target::Entitlement("d".into()),
        &["a", "b"],
        &["d"],
    );
    p = p.separate(
        Target::Entitlement("c".into()),
        Target::Entitlement("capped".into()),
        &["c"],
        &["capped"],
    );
    p.set.rules = build_rules(parts);
    p.set.checks = CHECKS
        .iter()
        .map(|name| Check {
            name: name.to_string(),
            module: format!("checks/{name}.wasm"),
            sha256: String::new(),
            source: SourceLocation {
                file: "checks.grant".into(),
                line: 1,
                column: 1,
            },
        })
        .collect();
    p.set
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Many rules over a small schema: the indexed decision, applying rules
    /// and explanations are the plain ones for every identity and instant.
    #[test]
    fn indexed_evaluation_is_the_plain_evaluation(
        parts in prop::collection::vec(rule_parts(), 0..200),
        identities in prop::collection::vec(values_strategy(), 1..8),
        optional_country in any::<bool>(),
        tz in prop::sample::select(&["UTC", "Europe/Berlin", "Pacific/Apia"][..]),
    ) {
        let ev = evaluator(policy(parts, optional_country, tz));
        let stats = ev.index_stats();
        prop_assert_eq!(stats.rules, stats.by_pair + stats.by_single + stats.always);
        for values in identities {
            let who = ev.identity_from_values(values).unwrap();
            for at in instants() {
                check_same(&ev, &who, at)?;
            }
            check_explanations(&ev, &who, t("2026-06-30T23:59:59Z"))?;
        }
    }

    /// Arbitrary nesting of `and`, `or` and `not` (not only conjunctions).
    #[test]
    fn indexed_evaluation_is_exact_for_nested_conditions(
        conditions in prop::collection::vec(
            (condition(), prop_oneof![2 => Just(Kind::Grant), 1 => Just(Kind::Deny), 1 => Just(Kind::DenyEverything)]),
            1..40,
        ),
        identities in prop::collection::vec(values_strategy(), 1..12),
    ) {
        let parts = conditions
            .into_iter()
            .map(|(c, kind)| {
                let targets = vec![ResolvedEntitlement { entitlement: "a".into(), via: vec![] }];
                (kind, c, targets, Window::default(), 5)
            })
            .collect();
        let ev = evaluator(policy(parts, true, "UTC"));
        for values in identities {
            let who = ev.identity_from_values(values).unwrap();
            check_same(&ev, &who, t("2026-06-30T23:59:59Z"))?;
        }
    }

    /// Identities made by an evaluator of another schema (values adopted by
    /// name, those of the wrong kind dropped) give the same answers too.
    #[test]
    fn identities_of_another_schema_are_evaluated_alike(
        parts in prop::collection::vec(rule_parts(), 0..100),
        identities in prop::collection::vec(values_strategy(), 1..6),
    ) {
        let ev = evaluator(policy(parts, false, "UTC"));
        // `title` is a value set there, `manager` text, `oncall` missing.
        let other = P::new()
            .values("employment", EMPLOYMENT)
            .values("department", DEPARTMENT)
            .values("country", COUNTRY)
            .values("status", STATUS)
            .values("title", IDENTITY_TITLES)
            .attr("manager", AttributeKind::Text, true)
            .attr("level", AttributeKind::Number, true)
            .attr("groups", AttributeKind::ListOfText, true)
            .build();
        for values in identities {
            let values: Vec<(&str, AttributeValue)> = values
                .into_iter()
                .filter(|(name, _)| other.policy().attribute(name).is_some() && *name != "manager")
                .chain([("manager", AttributeValue::Text("yes".into()))])
                .collect();
            let who = other.identity_from_values(values).unwrap();
            for at in instants() {
                check_same(&ev, &who, at)?;
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Where rules are posted.

fn stats_of(rules: Vec<Rule>) -> IndexStats {
    let mut p = schema(false, "UTC");
    for rule in rules {
        p = p.rule(rule);
    }
    p.build().index_stats()
}

#[test]
fn two_equalities_post_a_rule_under_a_pair() {
    let stats = stats_of(vec![grant(
        "g",
        and(vec![
            is("department", "Sales"),
            is("country", "US"),
            level(Ordering::GreaterOrEqual, 3.0),
        ]),
        &["a"],
    )]);
    assert_eq!((stats.by_pair, stats.by_single, stats.always), (1, 0, 0));
    assert_eq!(stats.postings, 1);
    assert_eq!(stats.attribute_pairs, 1);
}

#[test]
fn memberships_expand_to_one_key_per_value() {
    let stats = stats_of(vec![grant(
        "g",
        and(vec![
            is_in("department", &["Sales", "Finance"]),
            is_in("country", &["US", "DE"]),
        ]),
        &["a"],
    )]);
    assert_eq!(stats.by_pair, 1);
    assert_eq!(stats.postings, 4);
}

#[test]
fn rules_without_an_anchor_are_always_examined() {
    let stats = stats_of(vec![
        grant("anyone", anyone(), &["a"]),
        grant("levels", level(Ordering::Greater, 3.0), &["a"]),
        grant(
            "either",
            or(vec![is("department", "Sales"), is("country", "US")]),
            &["a"],
        ),
        deny("titles", contains("title", "Lead"), &["a"]),
        grant("not-in-group", not(contains("groups", "x")), &["a"]),
    ]);
    assert_eq!((stats.by_pair, stats.by_single, stats.always), (0, 0, 5));
    assert_eq!(stats.always_denies, 1);
}

#[test]
fn list_memberships_are_anchors() {
    let ev = schema(false, "UTC")
        .rule(grant(
            "eng-oncall",
            and(vec![
                is("department", "Engineering"),
                contains("groups", "oncall"),
                contains("groups", "eng"),
            ]),
            &["a"],
        ))
        .rule(grant(
            "either",
            or(vec![contains("groups", "vpn"), contains("groups", "eng")]),
            &["b"],
        ))
        .rule(deny("no-vpn", contains("groups", "vpn"), &["c"]))
        .build();
    let stats = ev.index_stats();
    assert_eq!((stats.by_pair, stats.by_single, stats.always), (1, 2, 0));
    // `either` under two items, the deny under its item and unknown.
    assert_eq!(stats.postings, 1 + 2 + 2);
    let who = ev
        .identity_from_values([
            ("department", AttributeValue::Text("Engineering".into())),
            (
                "groups",
                AttributeValue::List(vec![
                    "eng".into(),
                    "vpn".into(),
                    "oncall".into(),
                    "eng".into(),
                ]),
            ),
        ])
        .unwrap();
    assert_eq!(ev.examined_rules(&who), [0, 1, 2]);
    let at = t("2026-01-01T00:00:00Z");
    assert_eq!(ev.evaluate(&who, at), ev.evaluate_plain(&who, at));
    assert_eq!(granted_names(&ev.evaluate(&who, at)), ["a", "b"]);
    let nobody = ev.identity_from_values([("level", AttributeValue::Number(1.0))]);
    assert!(ev.examined_rules(&nobody.unwrap()).is_empty());
}

#[test]
fn alternatives_on_one_attribute_and_negations_are_anchors() {
    let stats = stats_of(vec![
        grant(
            "either",
            or(vec![is("department", "Sales"), is("department", "Finance")]),
            &["a"],
        ),
        grant(
            "employees",
            not(is_in("employment", &["contractor", "intern"])),
            &["a"],
        ),
        grant("managers", flag("manager"), &["a"]),
    ]);
    assert_eq!((stats.by_pair, stats.by_single, stats.always), (0, 3, 0));
}

#[test]
fn denies_are_indexed_with_their_unknown_state() {
    // Applies to terminated people and to people whose status is missing.
    let ev = schema(false, "UTC")
        .rule(deny_everything("off", is("status", "terminated")))
        .rule(grant("all", anyone(), &["a"]))
        .build();
    let stats = ev.index_stats();
    assert_eq!((stats.by_single, stats.always), (1, 1));
    assert_eq!(stats.postings, 2);
    let missing = ev.identity_from_values([("level", AttributeValue::Number(3.0))]);
    let decision = ev.evaluate(&missing.unwrap(), t("2026-01-01T00:00:00Z"));
    assert_eq!(denied_names(&decision), ["a"]);
    assert_eq!(
        decision.denied[0].denied_by[0].missing_attributes,
        ["status"]
    );
}

#[test]
fn a_condition_that_can_never_hold_is_always_examined() {
    let stats = stats_of(vec![grant(
        "never",
        and(vec![is("department", "Sales"), is("department", "Finance")]),
        &["a"],
    )]);
    assert_eq!(stats.always, 1);
}

#[test]
fn the_heap_estimate_grows_with_the_rules() {
    let small = schema(false, "UTC")
        .rule(grant("g", is("department", "Sales"), &["a"]))
        .build();
    let mut p = schema(false, "UTC");
    for i in 0..100 {
        p = p.rule(grant(
            &format!("g{i}"),
            and(vec![
                is("department", DEPARTMENT[i % 4]),
                is("country", COUNTRY[i % 3]),
            ]),
            &["a"],
        ));
    }
    let large = p.build();
    assert!(large.heap_size_estimate() > small.heap_size_estimate());
    assert!(large.index_heap_size_estimate() > 0);
    assert!(large.index_heap_size_estimate() < large.heap_size_estimate());
    assert_eq!(large.index_stats().by_pair, 100);
}

#[test]
fn the_evaluator_stays_shareable_across_threads() {
    fn shareable<T: Send + Sync>() {}
    shareable::<Evaluator>();
    let ev = schema(false, "UTC")
        .rule(grant(
            "g",
            and(vec![is("department", "Sales"), flag("manager")]),
            &["a"],
        ))
        .build();
    let who = ev
        .identity_from_values([
            ("department", AttributeValue::Text("Sales".into())),
            ("manager", AttributeValue::Flag(true)),
        ])
        .unwrap();
    let at = t("2026-01-01T00:00:00Z");
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                for _ in 0..100 {
                    assert_eq!(granted_names(&ev.evaluate(&who, at)), ["a"]);
                }
            });
        }
    });
}
