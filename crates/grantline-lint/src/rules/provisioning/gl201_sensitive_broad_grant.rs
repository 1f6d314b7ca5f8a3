//! ## What it catches
//!
//! A rule that grants a sensitive entitlement to anyone, or with a condition
//! that does not restrict any scope attribute (`department`, `team` or
//! `role` by default). The check is exact: an attribute counts as restricted
//! only if some of its values (or its absence) make the condition
//! impossible, so `department is Sales or department is not Sales` does not
//! count.
//!
//! ## Why it matters
//!
//! Sensitive entitlements (admin rights, production, money, customer and
//! employee data) should go to the few people whose job needs them. A grant
//! that does not say *which part of the company* gets it (only seniority,
//! a flag or a group membership, say) reaches every department, and every
//! new hire who matches, without anyone deciding that they should.
//!
//! ## Example
//!
//! ```grantline
//! # Every senior person in the company, whatever their department.
//! rule senior-netsuite-admins:
//!     full-time where level >= 7
//!     grants netsuite.admin
//! ```
//!
//! ## How to fix
//!
//! Scope the rule to the department, team or role that needs the
//! entitlement:
//!
//! ```grantline
//! rule senior-netsuite-admins:
//!     full-time in Finance where level >= 7
//!     grants netsuite.admin
//! ```
//!
//! The scope attributes are set in `lint.toml`
//! (`[settings] scope-attributes = ["department", "team", "role"]`); only
//! those declared in the schema count; without any, only grants to
//! `anyone` are reported.

use grantline_ir::{AttributeKind, Condition, Value};

use super::common::{list, sensitive_granted};
use crate::context::Context;
use crate::finding::Finding;
use crate::registry::{Group, Rule, RuleInfo};
use crate::solver::Search;
use grantline_syntax::Severity;

pub(crate) static INFO: RuleInfo = RuleInfo {
    code: "GL201",
    name: "sensitive-broad-grant",
    group: Group::OverProvisioning,
    severity: Severity::Error,
    needs_population: false,
    source: include_str!("gl201_sensitive_broad_grant.rs"),
};

pub(crate) struct SensitiveBroadGrant;

impl Rule for SensitiveBroadGrant {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let scopes: Vec<&str> = cx
            .settings
            .scope_attributes
            .iter()
            .map(String::as_str)
            .filter(|a| cx.attributes.contains_key(a))
            .collect();
        for rule in &cx.policy.rules {
            let sensitive = sensitive_granted(cx, rule);
            if sensitive.is_empty() {
                continue;
            }
            let anyone = rule.condition == Condition::True;
            if !anyone {
                // An impossible condition grants nothing (GL3xx reports it).
                if !matches!(cx.solver.satisfiable(&rule.condition), Search::Found(_)) {
                    continue;
                }
                // Without a scope attribute in the schema, only `anyone`.
                if scopes.is_empty() || scopes.iter().any(|a| restricts(cx, &rule.condition, a)) {
                    continue;
                }
            }
            let what = if sensitive.len() == 1 {
                "sensitive entitlement"
            } else {
                "sensitive entitlements"
            };
            let message = if anyone {
                format!(
                    "rule `{}` grants {what} {} to anyone",
                    rule.name,
                    list(&sensitive)
                )
            } else {
                format!(
                    "rule `{}` grants {what} {} without restricting {}: its condition `{}` holds whatever the {} is",
                    rule.name,
                    list(&sensitive),
                    or_list(&scopes),
                    rule.condition,
                    scopes.join(" or ")
                )
            };
            let mut finding = Finding::new(&INFO, message)
                .at(&rule.source)
                .help(format!(
                    "restrict rule `{}` to the people whose job needs {}{}, or grant it with a narrower rule",
                    rule.name,
                    list(&sensitive),
                    scope_example(cx, &scopes)
                ));
            for name in &sensitive {
                if let Some(entitlement) = cx.entitlements.get(name) {
                    finding = finding.related(
                        format!("`{name}` is declared sensitive here"),
                        &entitlement.source,
                    );
                }
            }
            out.push(finding);
        }
    }
}

/// ", e.g. `where department is Engineering`", from the first scope
/// attribute with declared values.
fn scope_example(cx: &Context<'_>, scopes: &[&str]) -> String {
    scopes
        .iter()
        .find_map(|name| match &cx.attributes.get(name)?.kind {
            AttributeKind::Values { values } => values
                .first()
                .map(|value| format!(", e.g. `where {name} is {}`", Value::Text(value.clone()))),
            _ => None,
        })
        .unwrap_or_default()
}

/// "`a`", "`a` or `b`", "`a`, `b` or `c`".
fn or_list(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

/// Whether `condition` restricts `attribute`: some region of its values
/// (each declared value, other texts, a flag's true or false) makes the
/// condition impossible.
/// Undecided searches count as restricting (no finding without a proof).
fn restricts(cx: &Context<'_>, condition: &Condition, attribute: &str) -> bool {
    if !condition.attributes().contains(&attribute) {
        // The condition does not read the attribute, and it is satisfiable.
        return false;
    }
    let Some(declared) = cx.attributes.get(attribute) else {
        return true;
    };
    // Only values count: a condition that merely needs the attribute to be
    // there (`with department`) lets every department in.
    let mut regions: Vec<Condition> = Vec::new();
    match &declared.kind {
        AttributeKind::Values { values } => {
            regions.extend(values.iter().map(|v| Condition::Is {
                attribute: attribute.to_string(),
                value: Value::Text(v.clone()),
            }));
        }
        AttributeKind::Text => {
            let mut constants = Vec::new();
            texts(condition, attribute, &mut constants);
            constants.dedup();
            for value in &constants {
                regions.push(Condition::Is {
                    attribute: attribute.to_string(),
                    value: value.clone(),
                });
            }
            let present = Condition::Present {
                attribute: attribute.to_string(),
            };
            regions.push(if constants.len() >= 2 {
                Condition::And {
                    all: vec![
                        present,
                        Condition::Not {
                            not: Box::new(Condition::In {
                                attribute: attribute.to_string(),
                                values: constants,
                            }),
                        },
                    ],
                }
            } else if let Some(value) = constants.pop() {
                Condition::And {
                    all: vec![
                        present,
                        Condition::Not {
                            not: Box::new(Condition::Is {
                                attribute: attribute.to_string(),
                                value,
                            }),
                        },
                    ],
                }
            } else {
                present
            });
        }
        AttributeKind::Flag => {
            let flag = Condition::Flag {
                attribute: attribute.to_string(),
            };
            regions.push(flag.clone());
            regions.push(Condition::And {
                all: vec![
                    Condition::Present {
                        attribute: attribute.to_string(),
                    },
                    Condition::Not {
                        not: Box::new(flag),
                    },
                ],
            });
        }
        // Numbers, dates and lists as scopes: a condition that reads them
        // counts as restricting (no finding).
        AttributeKind::Number | AttributeKind::Date | AttributeKind::ListOfText => return true,
    }
    regions.into_iter().any(|region| {
        let both = Condition::And {
            all: vec![condition.clone(), region],
        };
        !matches!(cx.solver.satisfiable(&both), Search::Found(_))
    })
}

/// The text constants `condition` compares `attribute` with (`is`, `in`).
fn texts(condition: &Condition, attribute: &str, out: &mut Vec<Value>) {
    match condition {
        Condition::And { all: items } | Condition::Or { any: items } => {
            for item in items {
                texts(item, attribute, out);
            }
        }
        Condition::Not { not } => texts(not, attribute, out),
        Condition::Is {
            attribute: a,
            value,
        } if a == attribute && !out.contains(value) => out.push(value.clone()),
        Condition::In {
            attribute: a,
            values,
        } if a == attribute => {
            for value in values {
                if !out.contains(value) {
                    out.push(value.clone());
                }
            }
        }
        _ => {}
    }
}
