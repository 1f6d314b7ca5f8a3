//! The compiled form of a Grantline policy set.
//!
//! The compiler writes it, the evaluator reads it, and nothing here needs the
//! parser: a provisioning system can ship a compiled IR file and load it with
//! [`PolicySet::from_json`]. Every rule keeps its normalized condition, its
//! effect with roles already expanded, its time window and its source
//! location, so that decisions can explain themselves from the IR alone.
//!
//! The JSON form is versioned by [`IR_VERSION`]; a reader refuses a version it
//! does not know instead of guessing.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

mod display;

pub use display::{quoted, written_value};

/// The words of the language that can never be a bare value: a value spelled
/// like one is written quoted. The grammar's `reserved` rule lists the same
/// words (a test in `grantline-syntax` checks that they agree).
pub const RESERVED_WORDS: &[&str] = &[
    "grants",
    "denies",
    "where",
    "and",
    "or",
    "not",
    "in",
    "is",
    "with",
    "without",
    "anyone",
    "contains",
    "passing",
    "rule",
    "attribute",
    "entitlement",
    "separate",
    "timezone",
];

/// The value of the `format` field of every IR document.
pub const IR_FORMAT: &str = "grantline-ir";

/// Bumped on every change to the meaning or shape of the IR.
pub const IR_VERSION: u32 = 1;

/// A compiled policy set: schema, catalogue, roles, rules and separations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicySet {
    /// Always [`IR_FORMAT`].
    pub format: String,
    /// Always [`IR_VERSION`] for documents this library writes.
    pub version: u32,
    /// IANA time zone in which policy dates are whole days, such as `UTC` or
    /// `Europe/Berlin`.
    pub timezone: String,
    pub attributes: Vec<Attribute>,
    pub entitlements: Vec<Entitlement>,
    pub roles: Vec<Role>,
    /// In source order: files sorted by path, rules in file order.
    pub rules: Vec<Rule>,
    pub separations: Vec<Separation>,
    /// Custom checks (WebAssembly modules) the rules use, by name. Omitted
    /// when empty, so a policy set without checks reads the same as before
    /// checks existed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<Check>,
}

/// `check NAME from "module.wasm"`: a custom check the language cannot
/// express, run in the WebAssembly sandbox (`grantline-sandbox`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    pub name: String,
    /// The module's path, resolved at compile time against the folder of
    /// the policy file that declares it.
    pub module: String,
    /// `sha256:` and the digest of the module's bytes when it was compiled:
    /// an evaluator refuses a module that changed since.
    pub sha256: String,
    pub source: SourceLocation,
}

impl PolicySet {
    /// An empty policy set in UTC.
    pub fn empty() -> Self {
        PolicySet {
            format: IR_FORMAT.to_string(),
            version: IR_VERSION,
            timezone: "UTC".to_string(),
            attributes: Vec::new(),
            entitlements: Vec::new(),
            roles: Vec::new(),
            rules: Vec::new(),
            separations: Vec::new(),
            checks: Vec::new(),
        }
    }

    /// Reads an IR document, checking its format and version first so that a
    /// newer document gets a clear error rather than a field-level one.
    pub fn from_json(text: &str) -> Result<PolicySet, IrError> {
        #[derive(Deserialize)]
        struct Header {
            format: Option<String>,
            version: Option<u32>,
        }
        let header: Header = serde_json::from_str(text).map_err(IrError::Json)?;
        match header.format.as_deref() {
            Some(IR_FORMAT) => {}
            other => return Err(IrError::NotIr(other.map(str::to_string))),
        }
        match header.version {
            Some(IR_VERSION) => {}
            Some(found) => {
                return Err(IrError::UnsupportedVersion {
                    found,
                    supported: IR_VERSION,
                })
            }
            None => return Err(IrError::NotIr(Some(IR_FORMAT.to_string()))),
        }
        serde_json::from_str(text).map_err(IrError::Json)
    }

    /// The IR as pretty-printed JSON, stable for diffs.
    pub fn to_json(&self) -> String {
        // Serializing these plain data types cannot fail: no maps with
        // non-string keys, no non-finite floats from the compiler.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    pub fn entitlement(&self, name: &str) -> Option<&Entitlement> {
        self.entitlements.iter().find(|e| e.name == name)
    }

    pub fn role(&self, name: &str) -> Option<&Role> {
        self.roles.iter().find(|r| r.name == name)
    }

    pub fn rule(&self, name: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.name == name)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IrError {
    #[error("not a Grantline IR document (format is {}, expected \"{IR_FORMAT}\")", .0.as_deref().map(|f| format!("\"{f}\"")).unwrap_or_else(|| "missing".to_string()))]
    NotIr(Option<String>),
    #[error("IR version {found} is not supported by this library, which reads version {supported}; compile the policies again with this version of grantline")]
    UnsupportedVersion { found: u32, supported: u32 },
    #[error("malformed IR: {0}")]
    Json(#[source] serde_json::Error),
}

/// Where a declaration or rule was written.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SourceLocation {
    pub file: String,
    pub line: u32,
    pub column: u32,
}

impl fmt::Display for SourceLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

// No `deny_unknown_fields` here: serde does not support it with `flatten`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attribute {
    pub name: String,
    #[serde(flatten)]
    pub kind: AttributeKind,
    /// An optional attribute may be absent from an identity without a warning.
    pub optional: bool,
    /// The attribute that identifies a person in HR data (`key`): at most
    /// one per policy set, text or number, never optional.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub key: bool,
    pub source: SourceLocation,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum AttributeKind {
    /// A closed set of values, in declaration order.
    Values {
        values: Vec<String>,
    },
    /// True or false; absent means false.
    Flag,
    Number,
    Text,
    /// A calendar date, `YYYY-MM-DD`.
    Date,
    /// A list of text values, such as group memberships; absent means empty.
    ListOfText,
}

impl AttributeKind {
    /// How the type is written in a policy.
    pub fn describe(&self) -> &'static str {
        match self {
            AttributeKind::Values { .. } => "value set",
            AttributeKind::Flag => "flag",
            AttributeKind::Number => "number",
            AttributeKind::Text => "text",
            AttributeKind::Date => "date",
            AttributeKind::ListOfText => "list of text",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entitlement {
    pub name: String,
    pub sensitive: bool,
    pub owner: Option<String>,
    pub description: Option<String>,
    /// No grant of this entitlement lasts longer than this.
    pub max_duration: Option<Duration>,
    pub source: SourceLocation,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Role {
    pub name: String,
    /// The items as written: entitlements and other roles.
    pub members: Vec<Target>,
    /// Every entitlement the role bundles, included roles expanded, sorted.
    pub entitlements: Vec<String>,
    pub source: SourceLocation,
}

/// An entitlement or a role, as written in a grant, deny or separation.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    Entitlement(String),
    Role(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub name: String,
    pub source: SourceLocation,
    pub condition: Condition,
    pub effect: Effect,
    pub window: Window,
    /// Grants of this rule wait for approval; `None` for deny rules.
    pub approval: Option<Approval>,
}

/// A normalized condition. The short and the explicit form of the same
/// sentence compile to the same tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum Condition {
    /// Holds for everyone (`anyone`).
    True,
    And {
        all: Vec<Condition>,
    },
    Or {
        any: Vec<Condition>,
    },
    Not {
        not: Box<Condition>,
    },
    /// The attribute has this value.
    Is {
        attribute: String,
        value: Value,
    },
    /// The attribute has one of these values (two or more).
    In {
        attribute: String,
        values: Vec<Value>,
    },
    /// The flag attribute is true.
    Flag {
        attribute: String,
    },
    /// The attribute has a value (a list: at least one). Never unknown:
    /// this is how a policy tests for a missing attribute.
    Present {
        attribute: String,
    },
    /// A number or date attribute compared with a constant.
    Compare {
        attribute: String,
        cmp: Ordering,
        value: Value,
    },
    /// A list attribute holds the value, or a text attribute contains it.
    Contains {
        attribute: String,
        value: Value,
    },
    /// The custom check of this name (in [`PolicySet::checks`]) passes.
    /// Unknown when the check fails to run: a rule never applies, nor is a
    /// deny lifted, because a check broke.
    Check {
        check: String,
    },
}

impl PolicySet {
    /// The attribute marked `key`, which identifies a person in HR data.
    pub fn key_attribute(&self) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.key)
    }
}

impl Condition {
    /// The attribute a test reads; `None` for `anyone`, `and`, `or`, `not`
    /// and a custom check (which reads the whole identity).
    pub fn attribute(&self) -> Option<&str> {
        match self {
            Condition::True
            | Condition::And { .. }
            | Condition::Or { .. }
            | Condition::Not { .. }
            | Condition::Check { .. } => None,
            Condition::Is { attribute, .. }
            | Condition::In { attribute, .. }
            | Condition::Flag { attribute }
            | Condition::Present { attribute }
            | Condition::Compare { attribute, .. }
            | Condition::Contains { attribute, .. } => Some(attribute),
        }
    }

    /// Every attribute the condition reads, in order of first appearance.
    ///
    /// ```
    /// use grantline_ir::{Condition, Value};
    /// let is = |attribute: &str, value: &str| Condition::Is {
    ///     attribute: attribute.to_string(),
    ///     value: Value::Text(value.to_string()),
    /// };
    /// let condition = Condition::And {
    ///     all: vec![
    ///         is("department", "Sales"),
    ///         Condition::Not { not: Box::new(is("country", "US")) },
    ///         is("department", "Finance"),
    ///     ],
    /// };
    /// assert_eq!(condition.attributes(), ["department", "country"]);
    /// assert_eq!(Condition::True.attributes(), Vec::<&str>::new());
    /// ```
    pub fn attributes(&self) -> Vec<&str> {
        fn walk<'c>(condition: &'c Condition, out: &mut Vec<&'c str>) {
            match condition {
                Condition::And { all: items } | Condition::Or { any: items } => {
                    for item in items {
                        walk(item, out);
                    }
                }
                Condition::Not { not } => walk(not, out),
                leaf => {
                    if let Some(attribute) = leaf.attribute() {
                        if !out.contains(&attribute) {
                            out.push(attribute);
                        }
                    }
                }
            }
        }
        let mut out = Vec::new();
        walk(self, &mut out);
        out
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Ordering {
    #[serde(rename = ">")]
    Greater,
    #[serde(rename = ">=")]
    GreaterOrEqual,
    #[serde(rename = "<")]
    Less,
    #[serde(rename = "<=")]
    LessOrEqual,
}

impl Ordering {
    pub fn as_str(self) -> &'static str {
        match self {
            Ordering::Greater => ">",
            Ordering::GreaterOrEqual => ">=",
            Ordering::Less => "<",
            Ordering::LessOrEqual => "<=",
        }
    }

    /// Whether `left <op> right` holds, given how `left` compares to `right`.
    pub fn holds(self, order: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::*;
        match self {
            Ordering::Greater => order == Greater,
            Ordering::GreaterOrEqual => order != Less,
            Ordering::Less => order == Less,
            Ordering::LessOrEqual => order != Greater,
        }
    }
}

/// A constant in a condition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Value {
    /// A value of a closed set, or text.
    Text(String),
    Number(f64),
    Date(NaiveDate),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Effect {
    Grant {
        targets: Vec<Target>,
        /// The targets with roles expanded, sorted by entitlement.
        entitlements: Vec<ResolvedEntitlement>,
    },
    Deny {
        targets: Vec<Target>,
        entitlements: Vec<ResolvedEntitlement>,
    },
    /// `denies everything`.
    DenyEverything,
}

impl Effect {
    pub fn is_deny(&self) -> bool {
        !matches!(self, Effect::Grant { .. })
    }
}

/// One entitlement a rule grants or denies, and the roles it came through
/// (outermost first; empty when named directly).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ResolvedEntitlement {
    pub entitlement: String,
    pub via: Vec<String>,
}

/// When a rule's effect applies. All parts are optional; see
/// `docs/language.md`, "Time windows", for the exact instants.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    pub from: Option<TimePoint>,
    pub until: Option<TimePoint>,
    /// With `from`: the window closes this long after it opens. Without
    /// `from`: each grant lasts this long from the moment it is given.
    pub duration: Option<Duration>,
}

impl Window {
    pub fn is_unbounded(&self) -> bool {
        self.from.is_none() && self.until.is_none() && self.duration.is_none()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TimePoint {
    /// A whole day in the policy set's time zone.
    Date(NaiveDate),
    /// A date attribute of the identity.
    Attribute(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Duration {
    pub count: u32,
    pub unit: DurationUnit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DurationUnit {
    Days,
    Weeks,
    Months,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Approval {
    /// The approving group, if the rule names one.
    pub by: Option<String>,
}

/// `separate A from B`: nobody should hold an entitlement of both sides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Separation {
    pub left: Target,
    pub right: Target,
    pub left_entitlements: Vec<String>,
    pub right_entitlements: Vec<String>,
    pub source: SourceLocation,
}
