#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! Property tests of the analysis rules (GL3xx): on small random policy
//! sets, every unsatisfiability claim survives random identities, and
//! every witness, evaluated, shows what its finding says.

use chrono::{DateTime, Utc};
use grantline_eval::{Decision, Evaluator};
use grantline_lint::{lint, Finding, LintConfig, LintInput};
use grantline_syntax::SourceMap;
use proptest::prelude::*;

const AT: &str = "2026-12-01T09:00:00Z";

const SCHEMA: &str = "\
timezone \"UTC\"
attribute dept: A | B | C
attribute boss: flag
attribute level: number
attribute title: optional text
attribute groups: list of text
entitlement e1, e2, e3
role r12: e1, e2
separate e1 from e2
separate e3 from role r12
";

/// A random condition in the explicit form.
fn condition() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        prop::sample::select(vec!["A", "B", "C"]).prop_map(|v| format!("dept is {v}")),
        Just("dept in {A, B}".to_string()),
        Just("boss".to_string()),
        Just("with title".to_string()),
        Just("with level".to_string()),
        (prop::sample::select(vec![">", ">=", "<", "<="]), 1u8..6)
            .prop_map(|(op, n)| format!("level {op} {n}")),
        prop::sample::select(vec!["\"x\"", "\"y\""]).prop_map(|t| format!("title is {t}")),
        Just("title contains \"x\"".to_string()),
        prop::sample::select(vec!["\"g\"", "\"h\""]).prop_map(|g| format!("groups contains {g}")),
        Just("with groups".to_string()),
    ];
    leaf.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} and {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} or {b})")),
            inner.prop_map(|a| format!("not ({a})")),
        ]
    })
}

/// A random rule (grant or deny) named `name`.
fn rule(name: usize) -> impl Strategy<Value = String> {
    (
        condition(),
        0u8..8,
        prop::sample::select(vec!["e1", "e2", "e3", "role r12", "e1, e3"]),
        0u8..6,
    )
        .prop_map(move |(cond, effect, target, window)| {
            let effect = match effect {
                0 | 1 => format!("denies {target}"),
                2 => "denies everything".to_string(),
                _ => format!("grants {target}"),
            };
            let window = match window {
                0 => "\n    until 2026-06-30",
                1 if !effect.starts_with("denies everything") => "\n    until 2027-06-30",
                2 if effect.starts_with("grants") => "\n    requires approval",
                _ => "",
            };
            format!("rule r{name}:\n    where {cond}\n    {effect}{window}\n")
        })
}

fn policy_text() -> impl Strategy<Value = String> {
    (1usize..7).prop_flat_map(|count| {
        (0..count)
            .map(rule)
            .collect::<Vec<_>>()
            .prop_map(|rules| format!("{SCHEMA}{}", rules.concat()))
    })
}

/// A random identity, attributes possibly missing.
fn identity() -> impl Strategy<Value = serde_json::Value> {
    (
        prop::option::of(prop::sample::select(vec!["A", "B", "C"])),
        prop::option::of(any::<bool>()),
        prop::option::of(prop::sample::select(vec![
            -1.0, 0.5, 1.0, 1.5, 2.0, 3.0, 3.5, 4.0, 5.0, 5.5, 6.0, 9.0,
        ])),
        prop::option::of(prop::sample::select(vec!["x", "y", "axb", "z", ""])),
        prop::collection::vec(prop::sample::select(vec!["g", "h", "k"]), 0..3),
    )
        .prop_map(|(dept, boss, level, title, groups)| {
            let mut map = serde_json::Map::new();
            if let Some(d) = dept {
                map.insert("dept".into(), d.into());
            }
            if let Some(b) = boss {
                map.insert("boss".into(), b.into());
            }
            if let Some(l) = level {
                map.insert("level".into(), l.into());
            }
            if let Some(t) = title {
                map.insert("title".into(), t.into());
            }
            if !groups.is_empty() {
                map.insert("groups".into(), groups.into());
            }
            serde_json::Value::Object(map)
        })
}

fn run(text: &str) -> Option<(Evaluator, Vec<Finding>)> {
    let mut sources = SourceMap::new();
    sources.add("p.grant", text.to_string());
    let compiled = grantline_compiler::compile(&sources);
    if compiled.diagnostics.iter().any(|d| d.is_error()) {
        panic!(
            "does not compile:\n{text}\n{}",
            grantline_syntax::render_human(&compiled.diagnostics, false)
        );
    }
    let policy = compiled.policy?;
    let evaluator = Evaluator::new(policy.clone()).unwrap();
    let config = LintConfig {
        select: ["GL301", "GL302", "GL303", "GL304", "GL305"]
            .map(String::from)
            .to_vec(),
        ..LintConfig::default()
    };
    let report = lint(&LintInput {
        policy: &policy,
        evaluator: &evaluator,
        sources: &sources,
        config: &config,
        at: AT.parse().unwrap(),
        people: None,
    });
    Some((evaluator, report.findings))
}

/// The rule names of backquoted words of a message, in order.
fn quoted(message: &str) -> Vec<&str> {
    message.split('`').skip(1).step_by(2).collect()
}

fn decide(evaluator: &Evaluator, finding: &Finding) -> Decision {
    let witness = finding.witness.as_ref().unwrap();
    let identity = evaluator
        .identity_from_json(&serde_json::Value::Object(witness.identity.clone()))
        .unwrap();
    evaluator.evaluate(&identity, witness.at)
}

fn applying(evaluator: &Evaluator, finding: &Finding) -> Vec<String> {
    let witness = finding.witness.as_ref().unwrap();
    let identity = evaluator
        .identity_from_json(&serde_json::Value::Object(witness.identity.clone()))
        .unwrap();
    evaluator
        .applying_rules(&identity, witness.at)
        .into_iter()
        .map(String::from)
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn unsatisfiable_rules_never_apply(
        text in policy_text(),
        identities in prop::collection::vec(identity(), 40),
    ) {
        let Some((evaluator, findings)) = run(&text) else { return Ok(()) };
        let at: DateTime<Utc> = AT.parse().unwrap();
        let dead: Vec<String> = findings
            .iter()
            .filter(|f| f.code == "GL301")
            .map(|f| quoted(&f.message)[0].to_string())
            .collect();
        for identity in &identities {
            let identity = evaluator.identity_from_json(identity).unwrap();
            // Whatever the window, the condition alone never lets the
            // rule apply: at an instant when every window is open too.
            for instant in [at, "2026-01-01T00:00:00Z".parse().unwrap()] {
                let applying = evaluator.applying_rules(&identity, instant);
                for name in &dead {
                    prop_assert!(
                        !applying.contains(&name.as_str()),
                        "{name} applies to {identity:?}\n{text}"
                    );
                }
            }
            // The proofs of the other rules, at the lint instant.
            let applying = evaluator.applying_rules(&identity, at);
            let decision = evaluator.evaluate(&identity, at);
            for finding in &findings {
                let names = quoted(&finding.message);
                match finding.code {
                    // Whenever A applies, B applies too.
                    "GL302" if applying.contains(&names[0]) => prop_assert!(
                        applying.contains(&names[1]),
                        "{finding:?} for {identity:?}\n{text}"
                    ),
                    // Whenever the grant applies, its entitlements are denied.
                    "GL303" if applying.contains(&names[0]) => {
                        let rule = evaluator.policy().rule(names[0]).unwrap();
                        if let grantline_ir::Effect::Grant { entitlements, .. } = &rule.effect {
                            for e in entitlements {
                                prop_assert!(
                                    decision.entitlement(&e.entitlement).is_none(),
                                    "{finding:?} for {identity:?}\n{text}"
                                );
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
    }

    #[test]
    fn witnesses_confirm_their_findings(text in policy_text()) {
        let Some((evaluator, findings)) = run(&text) else { return Ok(()) };
        for finding in findings.iter().filter(|f| f.witness.is_some()) {
            let names = quoted(&finding.message);
            let decision = decide(&evaluator, finding);
            let applying = applying(&evaluator, finding);
            match finding.code {
                "GL302" => {
                    let (a, b) = (names[0], names[1]);
                    prop_assert!(applying.iter().any(|r| r == a), "{a}: {finding:?}\n{text}");
                    prop_assert!(applying.iter().any(|r| r == b), "{b}: {finding:?}\n{text}");
                    let rule_a = evaluator.policy().rule(a).unwrap();
                    if let grantline_ir::Effect::Grant { entitlements, .. } = &rule_a.effect {
                        for e in entitlements {
                            prop_assert!(
                                decision.entitlement(&e.entitlement).is_some(),
                                "{}: {finding:?}\n{text}", e.entitlement
                            );
                        }
                    }
                }
                "GL303" => {
                    let grant = names[0];
                    prop_assert!(applying.iter().any(|r| r == grant), "{finding:?}\n{text}");
                    let rule = evaluator.policy().rule(grant).unwrap();
                    if let grantline_ir::Effect::Grant { entitlements, .. } = &rule.effect {
                        for e in entitlements {
                            prop_assert!(
                                decision.denied.iter().any(|d| *d.entitlement == *e.entitlement),
                                "{}: {finding:?}\n{text}", e.entitlement
                            );
                            prop_assert!(decision.entitlement(&e.entitlement).is_none());
                        }
                    }
                }
                "GL305" => {
                    prop_assert!(
                        !decision.conflicts.is_empty(),
                        "{finding:?}\n{decision:?}\n{text}"
                    );
                }
                other => prop_assert!(false, "{other} has a witness: {finding:?}"),
            }
        }
    }
}
