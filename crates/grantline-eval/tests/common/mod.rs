//! Builders for IR in tests (the compiler is a separate crate).
#![allow(dead_code)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use grantline_eval::{Decision, Evaluator, Identity};
use grantline_ir::*;
use serde_json::Value as Json;

pub const FILE: &str = "policies/test.grant";

pub fn loc(line: u32) -> SourceLocation {
    SourceLocation {
        file: FILE.to_string(),
        line,
        column: 1,
    }
}

pub fn d(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

pub fn t(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

pub fn secs(n: i64) -> TimeDelta {
    TimeDelta::seconds(n)
}

/// A policy set under construction. Declarations get increasing line numbers.
pub struct P {
    pub set: PolicySet,
    line: u32,
}

impl Default for P {
    fn default() -> Self {
        Self::new()
    }
}

impl P {
    pub fn new() -> P {
        P {
            set: PolicySet::empty(),
            line: 0,
        }
    }

    fn next_line(&mut self) -> u32 {
        self.line += 1;
        self.line
    }

    /// The schema most tests use.
    pub fn standard() -> P {
        P::new()
            .values(
                "employment",
                &["full-time", "part-time", "contractor", "intern"],
            )
            .values(
                "department",
                &["Sales", "Engineering", "Finance", "Human Resources"],
            )
            .attr("manager", AttributeKind::Flag, false)
            .attr("level", AttributeKind::Number, false)
            .attr("title", AttributeKind::Text, true)
            .attr("start_date", AttributeKind::Date, false)
            .attr("end_date", AttributeKind::Date, true)
            .attr("groups", AttributeKind::ListOfText, false)
    }

    pub fn timezone(mut self, tz: &str) -> P {
        self.set.timezone = tz.to_string();
        self
    }

    pub fn attr(mut self, name: &str, kind: AttributeKind, optional: bool) -> P {
        let line = self.next_line();
        self.set.attributes.push(Attribute {
            name: name.to_string(),
            kind,
            optional,
            key: false,
            source: loc(line),
        });
        self
    }

    pub fn values(self, name: &str, values: &[&str]) -> P {
        self.attr(
            name,
            AttributeKind::Values {
                values: values.iter().map(|v| v.to_string()).collect(),
            },
            false,
        )
    }

    pub fn ent(self, name: &str) -> P {
        self.ent_with(name, false, None)
    }

    pub fn ent_with(mut self, name: &str, sensitive: bool, max: Option<Duration>) -> P {
        let line = self.next_line();
        self.set.entitlements.push(Entitlement {
            name: name.to_string(),
            sensitive,
            owner: None,
            description: None,
            max_duration: max,
            source: loc(line),
        });
        self
    }

    pub fn ents(mut self, names: &[&str]) -> P {
        for name in names {
            self = self.ent(name);
        }
        self
    }

    pub fn role(mut self, name: &str, members: Vec<Target>, entitlements: &[&str]) -> P {
        let line = self.next_line();
        self.set.roles.push(Role {
            name: name.to_string(),
            members,
            entitlements: entitlements.iter().map(|e| e.to_string()).collect(),
            source: loc(line),
        });
        self
    }

    /// Adds a rule; its source line is assigned here.
    pub fn rule(mut self, mut rule: Rule) -> P {
        rule.source = loc(self.next_line());
        self.set.rules.push(rule);
        self
    }

    pub fn separate(mut self, left: Target, right: Target, l: &[&str], r: &[&str]) -> P {
        let line = self.next_line();
        self.set.separations.push(Separation {
            left,
            right,
            left_entitlements: l.iter().map(|e| e.to_string()).collect(),
            right_entitlements: r.iter().map(|e| e.to_string()).collect(),
            source: loc(line),
        });
        self
    }

    pub fn build(self) -> Evaluator {
        Evaluator::new(self.set).unwrap()
    }
}

fn resolved(entitlements: &[&str], via: &[&str]) -> Vec<ResolvedEntitlement> {
    let mut list: Vec<ResolvedEntitlement> = entitlements
        .iter()
        .map(|e| ResolvedEntitlement {
            entitlement: e.to_string(),
            via: via.iter().map(|v| v.to_string()).collect(),
        })
        .collect();
    list.sort();
    list
}

fn rule(name: &str, condition: Condition, effect: Effect) -> Rule {
    Rule {
        name: name.to_string(),
        source: loc(0),
        condition,
        effect,
        window: Window::default(),
        approval: None,
    }
}

pub fn grant(name: &str, condition: Condition, entitlements: &[&str]) -> Rule {
    rule(
        name,
        condition,
        Effect::Grant {
            targets: entitlements
                .iter()
                .map(|e| Target::Entitlement(e.to_string()))
                .collect(),
            entitlements: resolved(entitlements, &[]),
        },
    )
}

/// Grants a role; `path` is the chain of roles (outermost first) the
/// entitlements come through.
pub fn grant_role(name: &str, condition: Condition, path: &[&str], entitlements: &[&str]) -> Rule {
    rule(
        name,
        condition,
        Effect::Grant {
            targets: vec![Target::Role(path[0].to_string())],
            entitlements: resolved(entitlements, path),
        },
    )
}

pub fn deny(name: &str, condition: Condition, entitlements: &[&str]) -> Rule {
    rule(
        name,
        condition,
        Effect::Deny {
            targets: entitlements
                .iter()
                .map(|e| Target::Entitlement(e.to_string()))
                .collect(),
            entitlements: resolved(entitlements, &[]),
        },
    )
}

pub fn deny_everything(name: &str, condition: Condition) -> Rule {
    rule(name, condition, Effect::DenyEverything)
}

pub trait RuleExt {
    fn starting(self, date: &str) -> Rule;
    fn starting_attr(self, attribute: &str) -> Rule;
    fn until_date(self, date: &str) -> Rule;
    fn until_attr(self, attribute: &str) -> Rule;
    fn lasting(self, count: u32, unit: DurationUnit) -> Rule;
    fn approval(self, by: Option<&str>) -> Rule;
}

impl RuleExt for Rule {
    fn starting(mut self, date: &str) -> Rule {
        self.window.from = Some(TimePoint::Date(d(date)));
        self
    }
    fn starting_attr(mut self, attribute: &str) -> Rule {
        self.window.from = Some(TimePoint::Attribute(attribute.to_string()));
        self
    }
    fn until_date(mut self, date: &str) -> Rule {
        self.window.until = Some(TimePoint::Date(d(date)));
        self
    }
    fn until_attr(mut self, attribute: &str) -> Rule {
        self.window.until = Some(TimePoint::Attribute(attribute.to_string()));
        self
    }
    fn lasting(mut self, count: u32, unit: DurationUnit) -> Rule {
        self.window.duration = Some(Duration { count, unit });
        self
    }
    fn approval(mut self, by: Option<&str>) -> Rule {
        self.approval = Some(Approval {
            by: by.map(str::to_string),
        });
        self
    }
}

pub fn days(count: u32) -> Duration {
    Duration {
        count,
        unit: DurationUnit::Days,
    }
}

// Conditions.

pub fn anyone() -> Condition {
    Condition::True
}

pub fn is(attribute: &str, value: &str) -> Condition {
    Condition::Is {
        attribute: attribute.to_string(),
        value: Value::Text(value.to_string()),
    }
}

pub fn is_value(attribute: &str, value: Value) -> Condition {
    Condition::Is {
        attribute: attribute.to_string(),
        value,
    }
}

pub fn is_in(attribute: &str, values: &[&str]) -> Condition {
    Condition::In {
        attribute: attribute.to_string(),
        values: values.iter().map(|v| Value::Text(v.to_string())).collect(),
    }
}

pub fn flag(attribute: &str) -> Condition {
    Condition::Flag {
        attribute: attribute.to_string(),
    }
}

pub fn cmp(attribute: &str, op: Ordering, value: Value) -> Condition {
    Condition::Compare {
        attribute: attribute.to_string(),
        cmp: op,
        value,
    }
}

pub fn level(op: Ordering, n: f64) -> Condition {
    cmp("level", op, Value::Number(n))
}

pub fn contains(attribute: &str, value: &str) -> Condition {
    Condition::Contains {
        attribute: attribute.to_string(),
        value: Value::Text(value.to_string()),
    }
}

pub fn and(all: Vec<Condition>) -> Condition {
    Condition::And { all }
}

pub fn or(any: Vec<Condition>) -> Condition {
    Condition::Or { any }
}

pub fn not(c: Condition) -> Condition {
    Condition::Not { not: Box::new(c) }
}

pub fn identity(ev: &Evaluator, json: Json) -> Identity {
    ev.identity_from_json(&json).unwrap()
}

pub fn granted_names(decision: &Decision) -> Vec<&str> {
    decision
        .entitlements
        .iter()
        .map(|e| &*e.entitlement)
        .collect()
}

pub fn denied_names(decision: &Decision) -> Vec<&str> {
    decision.denied.iter().map(|e| &*e.entitlement).collect()
}

/// A full identity for the standard schema.
pub fn alice() -> Json {
    serde_json::json!({
        "employment": "full-time",
        "department": "Finance",
        "manager": false,
        "level": 5,
        "title": "Senior Accountant",
        "start_date": "2024-03-01",
        "groups": ["vpn", "eng"]
    })
}
