#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use chrono::{DateTime, NaiveDate, Utc};
use common::*;
use grantline_eval::render::{decision_text, explanation_text};
use grantline_eval::*;
use grantline_ir::*;
use proptest::prelude::*;
use serde_json::Value as Json;

// ---------------------------------------------------------------------------
// Strategies for IR types.

fn name() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_.-]{0,8}"
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        name(),
        "\\PC{0,12}",
        Just("Human Resources".to_string()),
        Just("in".to_string())
    ]
}

fn any_date() -> impl Strategy<Value = NaiveDate> {
    let min = NaiveDate::MIN.num_days_from_ce();
    let max = NaiveDate::MAX.num_days_from_ce();
    let common = NaiveDate::from_ymd_opt(1900, 1, 1)
        .unwrap()
        .num_days_from_ce()
        ..NaiveDate::from_ymd_opt(2100, 1, 1)
            .unwrap()
            .num_days_from_ce();
    prop_oneof![
        3 => common,
        1 => min..=max,
        1 => min..min + 400,
        1 => max - 400..=max,
    ]
    .prop_map(|days| NaiveDate::from_num_days_from_ce_opt(days).unwrap())
}

use chrono::Datelike;

fn finite_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>().prop_filter("finite", |f| f.is_finite()),
        (-1000i32..1000).prop_map(f64::from),
        Just(0.0),
        Just(-0.0),
        Just(f64::MAX),
        Just(f64::MIN_POSITIVE),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        text().prop_map(Value::Text),
        finite_f64().prop_map(Value::Number),
        any_date().prop_map(Value::Date),
    ]
}

fn ordering() -> impl Strategy<Value = Ordering> {
    prop_oneof![
        Just(Ordering::Greater),
        Just(Ordering::GreaterOrEqual),
        Just(Ordering::Less),
        Just(Ordering::LessOrEqual),
    ]
}

fn condition() -> impl Strategy<Value = Condition> {
    let leaf = prop_oneof![
        Just(Condition::True),
        (name(), value()).prop_map(|(attribute, value)| Condition::Is { attribute, value }),
        (name(), prop::collection::vec(value(), 0..4))
            .prop_map(|(attribute, values)| Condition::In { attribute, values }),
        name().prop_map(|attribute| Condition::Flag { attribute }),
        name().prop_map(|attribute| Condition::Present { attribute }),
        (name(), ordering(), value()).prop_map(|(attribute, cmp, value)| Condition::Compare {
            attribute,
            cmp,
            value
        }),
        (name(), value()).prop_map(|(attribute, value)| Condition::Contains { attribute, value }),
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|all| Condition::And { all }),
            prop::collection::vec(inner.clone(), 0..4).prop_map(|any| Condition::Or { any }),
            inner.prop_map(|c| Condition::Not { not: Box::new(c) }),
        ]
    })
}

fn source() -> impl Strategy<Value = SourceLocation> {
    ("[a-z/]{1,12}\\.grant", any::<u32>(), any::<u32>())
        .prop_map(|(file, line, column)| SourceLocation { file, line, column })
}

fn target() -> impl Strategy<Value = Target> {
    prop_oneof![
        name().prop_map(Target::Entitlement),
        name().prop_map(Target::Role)
    ]
}

fn resolved() -> impl Strategy<Value = ResolvedEntitlement> {
    (name(), prop::collection::vec(name(), 0..3))
        .prop_map(|(entitlement, via)| ResolvedEntitlement { entitlement, via })
}

fn effect() -> impl Strategy<Value = Effect> {
    let lists = || {
        (
            prop::collection::vec(target(), 0..3),
            prop::collection::vec(resolved(), 0..3),
        )
    };
    prop_oneof![
        lists().prop_map(|(targets, entitlements)| Effect::Grant {
            targets,
            entitlements
        }),
        lists().prop_map(|(targets, entitlements)| Effect::Deny {
            targets,
            entitlements
        }),
        Just(Effect::DenyEverything),
    ]
}

fn duration() -> impl Strategy<Value = Duration> {
    (
        any::<u32>(),
        prop_oneof![
            Just(DurationUnit::Days),
            Just(DurationUnit::Weeks),
            Just(DurationUnit::Months)
        ],
    )
        .prop_map(|(count, unit)| Duration { count, unit })
}

fn time_point() -> impl Strategy<Value = TimePoint> {
    prop_oneof![
        any_date().prop_map(TimePoint::Date),
        name().prop_map(TimePoint::Attribute)
    ]
}

fn window() -> impl Strategy<Value = Window> {
    (
        prop::option::of(time_point()),
        prop::option::of(time_point()),
        prop::option::of(duration()),
    )
        .prop_map(|(from, until, duration)| Window {
            from,
            until,
            duration,
        })
}

fn attribute_kind() -> impl Strategy<Value = AttributeKind> {
    prop_oneof![
        prop::collection::vec(text(), 0..4).prop_map(|values| AttributeKind::Values { values }),
        Just(AttributeKind::Flag),
        Just(AttributeKind::Number),
        Just(AttributeKind::Text),
        Just(AttributeKind::Date),
        Just(AttributeKind::ListOfText),
    ]
}

fn policy_set() -> impl Strategy<Value = PolicySet> {
    let attribute = (
        name(),
        attribute_kind(),
        any::<bool>(),
        any::<bool>(),
        source(),
    )
        .prop_map(|(name, kind, optional, key, source)| Attribute {
            name,
            kind,
            optional,
            key,
            source,
        });
    let entitlement = (
        name(),
        any::<bool>(),
        prop::option::of(text()),
        prop::option::of(text()),
        prop::option::of(duration()),
        source(),
    )
        .prop_map(
            |(name, sensitive, owner, description, max_duration, source)| Entitlement {
                name,
                sensitive,
                owner,
                description,
                max_duration,
                source,
            },
        );
    let role = (
        name(),
        prop::collection::vec(target(), 0..3),
        prop::collection::vec(name(), 0..3),
        source(),
    )
        .prop_map(|(name, members, entitlements, source)| Role {
            name,
            members,
            entitlements,
            source,
        });
    let rule = (
        name(),
        source(),
        condition(),
        effect(),
        window(),
        prop::option::of(prop::option::of(text()).prop_map(|by| Approval { by })),
    )
        .prop_map(|(name, source, condition, effect, window, approval)| Rule {
            name,
            source,
            condition,
            effect,
            window,
            approval,
        });
    let separation = (
        target(),
        target(),
        prop::collection::vec(name(), 0..3),
        prop::collection::vec(name(), 0..3),
        source(),
    )
        .prop_map(
            |(left, right, left_entitlements, right_entitlements, source)| Separation {
                left,
                right,
                left_entitlements,
                right_entitlements,
                source,
            },
        );
    (
        prop_oneof![
            Just("UTC".to_string()),
            Just("Europe/Berlin".to_string()),
            text()
        ],
        prop::collection::vec(attribute, 0..4),
        prop::collection::vec(entitlement, 0..4),
        prop::collection::vec(role, 0..3),
        prop::collection::vec(rule, 0..5),
        prop::collection::vec(separation, 0..3),
        prop::collection::vec(("[a-z][a-z-]{0,8}", "[a-z/.]{1,12}"), 0..3),
    )
        .prop_map(
            |(timezone, attributes, entitlements, roles, rules, separations, checks)| PolicySet {
                format: IR_FORMAT.to_string(),
                version: IR_VERSION,
                timezone,
                attributes,
                entitlements,
                roles,
                rules,
                separations,
                checks: checks
                    .into_iter()
                    .map(|(name, module)| Check {
                        name,
                        module,
                        sha256: "sha256:00".to_string(),
                        source: SourceLocation {
                            file: "checks.grant".to_string(),
                            line: 1,
                            column: 1,
                        },
                    })
                    .collect(),
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn policy_sets_survive_a_json_round_trip(p in policy_set()) {
        let json = p.to_json();
        let back = PolicySet::from_json(&json).map_err(|e| TestCaseError::fail(format!("{e}\n{json}")))?;
        prop_assert_eq!(back, p);
    }

    /// Evaluator::new never panics on arbitrary (mostly invalid) IR.
    #[test]
    fn validation_never_panics(p in policy_set()) {
        let _ = Evaluator::new(p);
    }
}

// ---------------------------------------------------------------------------
// The evaluator on arbitrary identities and instants.

fn json_value() -> impl Strategy<Value = Json> {
    let leaf = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::Bool),
        any::<i64>().prop_map(Json::from),
        any::<u64>().prop_map(Json::from),
        finite_f64().prop_map(Json::from),
        text().prop_map(Json::String),
        prop_oneof![
            Just("Sales"),
            Just("sales"),
            Just("contractor"),
            Just("full-time"),
            Just("2026-02-28"),
            Just("2026-02-30"),
            Just("0000-01-01"),
            Just("9999-12-31"),
            Just("vpn"),
            Just("eng"),
        ]
        .prop_map(|s| Json::String(s.to_string())),
        any_date().prop_map(|d| Json::String(d.format("%Y-%m-%d").to_string())),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Json::Array),
            prop::collection::btree_map(text(), inner, 0..4)
                .prop_map(|m| Json::Object(m.into_iter().collect())),
        ]
    })
}

const KEYS: &[&str] = &[
    "employment",
    "department",
    "manager",
    "level",
    "title",
    "start_date",
    "end_date",
    "groups",
    "extra",
];

fn record() -> impl Strategy<Value = Json> {
    prop_oneof![
        4 => prop::collection::btree_map(prop::sample::select(KEYS), json_value(), 0..9)
            .prop_map(|m| Json::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect())),
        1 => json_value(),
    ]
}

/// Typed identities, including dates anywhere in chrono's range (which JSON
/// records cannot express).
fn typed_values() -> impl Strategy<Value = Vec<(&'static str, AttributeValue)>> {
    (
        prop::option::of(prop::sample::select(
            &["full-time", "part-time", "contractor", "intern"][..],
        )),
        prop::option::of(prop::sample::select(
            &["Sales", "Engineering", "Finance", "Human Resources"][..],
        )),
        prop::option::of(any::<bool>()),
        prop::option::of(finite_f64()),
        prop::option::of(any_date()),
        prop::option::of(any_date()),
        prop::option::of(prop::collection::vec(
            prop::sample::select(&["vpn", "eng", "x"][..]),
            0..3,
        )),
    )
        .prop_map(
            |(employment, department, manager, level, start, end, groups)| {
                let mut values = Vec::new();
                if let Some(v) = employment {
                    values.push(("employment", AttributeValue::Text(v.to_string())));
                }
                if let Some(v) = department {
                    values.push(("department", AttributeValue::Text(v.to_string())));
                }
                if let Some(v) = manager {
                    values.push(("manager", AttributeValue::Flag(v)));
                }
                if let Some(v) = level {
                    values.push(("level", AttributeValue::Number(v)));
                }
                if let Some(v) = start {
                    values.push(("start_date", AttributeValue::Date(v)));
                }
                if let Some(v) = end {
                    values.push(("end_date", AttributeValue::Date(v)));
                }
                if let Some(v) = groups {
                    values.push((
                        "groups",
                        AttributeValue::List(v.into_iter().map(str::to_string).collect()),
                    ));
                }
                values
            },
        )
}

fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    let min = DateTime::<Utc>::MIN_UTC.timestamp();
    let max = DateTime::<Utc>::MAX_UTC.timestamp();
    prop_oneof![
        1 => min..=max,
        1 => min..min + 86_400 * 400,
        1 => max - 86_400 * 400..=max,
        2 => 1_700_000_000i64..1_900_000_000,
    ]
    .prop_map(|s| DateTime::from_timestamp(s, 0).unwrap())
}

/// Window parameters for the generated policy.
#[derive(Debug, Clone)]
struct Params {
    tz: &'static str,
    from: Option<NaiveDate>,
    until: Option<NaiveDate>,
    duration: Option<Duration>,
    cap: Option<Duration>,
}

fn params() -> impl Strategy<Value = Params> {
    (
        prop::sample::select(
            &[
                "UTC",
                "Europe/Berlin",
                "America/New_York",
                "Pacific/Kiritimati",
                "Pacific/Apia",
                "America/Santiago",
                "Asia/Kolkata",
                "Australia/Lord_Howe",
                "America/Havana",
            ][..],
        ),
        prop::option::of(any_date()),
        prop::option::of(any_date()),
        prop::option::of(duration()),
        prop::option::of(duration()),
    )
        .prop_map(|(tz, from, until, duration, cap)| Params {
            tz,
            from,
            until,
            duration,
            cap,
        })
}

fn rich(params: &Params) -> Evaluator {
    let mut fixed = grant("fixed", anyone(), &["a", "capped"]);
    fixed.window.from = params.from.map(TimePoint::Date);
    fixed.window.until = params.until.map(TimePoint::Date);
    fixed.window.duration = params.duration;
    let mut frozen = deny("frozen", is("department", "Sales"), &["b"]);
    frozen.window.from = params.until.map(TimePoint::Date);
    frozen.window.until = params.from.map(TimePoint::Date);
    P::standard()
        .timezone(params.tz)
        .ents(&["a", "b", "c", "d"])
        .ent_with("capped", true, params.cap)
        .role(
            "both",
            vec![
                Target::Entitlement("a".into()),
                Target::Entitlement("b".into()),
            ],
            &["a", "b"],
        )
        .rule(fixed)
        .rule(grant_role(
            "role",
            or(vec![flag("manager"), contains("groups", "eng")]),
            &["both"],
            &["a", "b"],
        ))
        .rule({
            let mut r = grant(
                "by-dates",
                level(Ordering::GreaterOrEqual, 3.0),
                &["c", "capped"],
            )
            .starting_attr("start_date")
            .until_attr("end_date");
            r.window.duration = params.duration;
            r
        })
        .rule(
            grant("ask", not(is("employment", "contractor")), &["d"])
                .approval(Some("it"))
                .until_attr("start_date"),
        )
        .rule(frozen)
        .rule(
            deny(
                "leavers",
                cmp("end_date", Ordering::Less, Value::Date(d("2026-01-01"))),
                &["c"],
            )
            .starting_attr("end_date"),
        )
        .rule(deny_everything(
            "interns",
            and(vec![
                is("employment", "intern"),
                cmp(
                    "start_date",
                    Ordering::Greater,
                    Value::Date(d("2026-01-01")),
                ),
            ]),
        ))
        .separate(
            Target::Role("both".into()),
            Target::Entitlement("d".into()),
            &["a", "b"],
            &["d"],
        )
        .build()
}

fn check_decision(ev: &Evaluator, who: &Identity, at: DateTime<Utc>) -> Result<(), TestCaseError> {
    let decision = ev.evaluate(who, at);
    let names: Vec<&str> = decision
        .entitlements
        .iter()
        .map(|e| &*e.entitlement)
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    sorted.dedup();
    prop_assert_eq!(&names, &sorted);
    for granted in &decision.entitlements {
        prop_assert!(!granted.reasons.is_empty());
        prop_assert!(!decision
            .denied
            .iter()
            .any(|d| d.entitlement == granted.entitlement));
        for reason in &granted.reasons {
            prop_assert!(reason.valid_from.is_none_or(|from| from <= at));
            prop_assert!(reason.valid_until.is_none_or(|until| at < until));
        }
    }
    for upcoming in &decision.upcoming {
        prop_assert!(upcoming.opens_at > at);
    }
    let mut warnings = decision.warnings.clone();
    warnings.sort();
    warnings.dedup();
    prop_assert_eq!(&warnings, &decision.warnings);
    let _ = decision_text(&decision, ev.timezone());
    let _ = serde_json::to_string(&decision).unwrap();
    for entitlement in ["a", "b", "c", "d", "capped"] {
        let explanation = ev.explain(who, entitlement, at).unwrap();
        let held = decision.entitlement(entitlement).is_some();
        prop_assert_eq!(
            held,
            matches!(
                explanation.verdict,
                Verdict::Granted | Verdict::PendingApproval
            )
        );
        let _ = explanation_text(&explanation, ev.timezone());
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_json_records_never_panic(params in params(), record in record(), at in instant()) {
        let ev = rich(&params);
        match ev.identity_from_json(&record) {
            Ok(who) => check_decision(&ev, &who, at)?,
            Err(error) => {
                prop_assert!(!error.errors.is_empty());
                prop_assert_eq!(error.to_string().lines().count(), error.errors.len());
            }
        }
    }

    #[test]
    fn typed_identities_at_extreme_dates_never_panic(params in params(), values in typed_values(), at in instant()) {
        let ev = rich(&params);
        let who = ev.identity_from_values(values).unwrap();
        check_decision(&ev, &who, at)?;
    }

    #[test]
    fn day_start_never_panics_and_is_monotone(params in params(), date in any_date()) {
        let ev = rich(&params);
        let start = ev.day_start(date);
        if let Some(next) = date.succ_opt() {
            prop_assert!(start <= ev.day_start(next));
        }
    }
}
