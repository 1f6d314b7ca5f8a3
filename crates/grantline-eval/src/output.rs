//! The decision and explanation formats. Field names are a stable, documented
//! JSON format (snake_case fields, kebab-case enum values, RFC 3339 instants,
//! absent optional values as `null`).

use std::fmt;

use chrono::{DateTime, Utc};
use grantline_ir::{Approval, Duration, SourceLocation};
use serde::{Deserialize, Serialize};

/// Everything an identity is entitled to at one instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub at: DateTime<Utc>,
    /// Sorted by entitlement name; includes entitlements pending approval.
    pub entitlements: Vec<GrantedEntitlement>,
    /// Entitlements some applying rule granted but a deny removed; sorted by name.
    pub denied: Vec<DeniedEntitlement>,
    /// Grants whose condition holds but whose window opens after `at`;
    /// sorted by `(opens_at, entitlement)`, then rule order.
    pub upcoming: Vec<UpcomingGrant>,
    /// Separations where the identity holds (or is pending for) an
    /// entitlement of both sides, after denies; in declaration order.
    pub conflicts: Vec<SeparationConflict>,
    /// Sorted and deduplicated.
    pub warnings: Vec<Warning>,
}

impl Decision {
    /// The entry for one entitlement, if it is granted or pending.
    pub fn entitlement(&self, name: &str) -> Option<&GrantedEntitlement> {
        self.entitlements
            .binary_search_by(|e| e.entitlement.as_str().cmp(name))
            .ok()
            .and_then(|i| self.entitlements.get(i))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantedEntitlement {
    pub entitlement: String,
    pub status: GrantStatus,
    /// Sorted unique approval groups when pending (empty when granted, or
    /// when no applying rule names a group).
    pub approvers: Vec<String>,
    /// The earliest start over the applying reasons; `None` if any reason
    /// has no start.
    pub valid_from: Option<DateTime<Utc>>,
    /// Exclusive; the latest end over the applying reasons; `None` if any
    /// reason has no end.
    pub valid_until: Option<DateTime<Utc>>,
    pub sensitive: bool,
    /// The catalogue's `at most` cap, when some applying reason has no fixed
    /// start so the cap could not be applied to its window: the provisioning
    /// system must enforce it from the moment the grant is given.
    pub max_duration: Option<Duration>,
    /// In rule source order.
    pub reasons: Vec<Reason>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GrantStatus {
    Granted,
    PendingApproval,
}

/// One applying grant of an entitlement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    pub rule: String,
    pub source: SourceLocation,
    /// The roles the entitlement came through, outermost first.
    pub via: Vec<String>,
    pub valid_from: Option<DateTime<Utc>>,
    /// Exclusive.
    pub valid_until: Option<DateTime<Utc>>,
    /// `for N ...` without `from`: the grant lasts this long from the moment
    /// it is given.
    pub lasts: Option<Duration>,
    pub approval: Option<Approval>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeniedEntitlement {
    pub entitlement: String,
    /// In rule source order.
    pub denied_by: Vec<DenyReason>,
    /// The applying grant rules, in source order.
    pub granted_by: Vec<RuleRef>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DenyReason {
    pub rule: String,
    pub source: SourceLocation,
    /// Sorted; non-empty when the deny applied only because these attributes
    /// are missing (fail closed).
    pub missing_attributes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleRef {
    pub rule: String,
    pub source: SourceLocation,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpcomingGrant {
    pub entitlement: String,
    pub rule: String,
    pub source: SourceLocation,
    pub opens_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeparationConflict {
    /// The left side as written (`netsuite.payables` or `role ap-clerk`).
    pub left: String,
    /// The right side as written.
    pub right: String,
    pub source: SourceLocation,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Warning {
    /// A required attribute (not a flag or list) is absent from the identity.
    MissingAttribute { attribute: String },
    /// The identity has a field the schema does not declare; it was ignored.
    UnknownField { field: String },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::MissingAttribute { attribute } => {
                write!(f, "attribute `{attribute}` is missing")
            }
            Warning::UnknownField { field } => {
                write!(
                    f,
                    "field `{field}` is not a declared attribute and was ignored"
                )
            }
        }
    }
}

/// Why one entitlement is or is not granted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Explanation {
    pub entitlement: String,
    pub at: DateTime<Utc>,
    pub verdict: Verdict,
    /// The decision's entry when the verdict is granted or pending approval.
    pub granted: Option<GrantedEntitlement>,
    /// Every rule that grants or denies the entitlement: applying rules
    /// first, then the grant rules that came closest (fewest failed
    /// conditions), then the others; ties in source order.
    pub rules: Vec<RuleExplanation>,
    pub warnings: Vec<Warning>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Granted,
    PendingApproval,
    Denied,
    NotGranted,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleExplanation {
    pub rule: String,
    pub source: SourceLocation,
    pub effect: RuleEffect,
    /// The roles the entitlement came through, outermost first.
    pub via: Vec<String>,
    /// Whether the rule takes effect at `at`. A deny can apply with outcome
    /// `condition-unknown` or `window-attribute-missing` (fail closed).
    pub applies: bool,
    pub outcome: RuleOutcome,
    /// Leaf conditions that held.
    pub held: Vec<String>,
    /// Leaf conditions that failed or were unknown.
    pub failed: Vec<FailedCondition>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RuleEffect {
    Grant,
    Deny,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum RuleOutcome {
    Applies,
    ConditionFailed,
    /// The condition is unknown because an attribute is missing. A grant
    /// does not apply; a deny does (fail closed).
    ConditionUnknown,
    NotYetOpen {
        opens_at: DateTime<Utc>,
    },
    Expired {
        closed_at: DateTime<Utc>,
    },
    /// A date attribute the window needs is missing. A grant does not apply;
    /// a deny does (fail closed).
    WindowAttributeMissing {
        attribute: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedCondition {
    /// The condition as written in the explicit form, e.g. `level >= 7`.
    pub condition: String,
    /// The identity's value, e.g. `level is 5` or `level is missing`.
    pub actual: String,
}
