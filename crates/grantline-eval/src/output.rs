//! The decision and explanation formats. Field names are a stable, documented
//! JSON format (snake_case fields, kebab-case enum values, RFC 3339 instants,
//! absent optional values as `null`).

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use grantline_ir::{Approval, Duration, SourceLocation};
use serde::{Deserialize, Serialize};

use crate::checks::{CheckError, CheckResult};

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
    /// The custom checks run for this identity, in declaration order;
    /// empty (and left out of JSON) when the policy set has none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<CheckResult>,
    /// The rules whose outcome a check that failed to run decided (a grant
    /// withheld, a deny applied): the check, the rule and the cause.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<CheckError>,
}

impl Decision {
    /// The entry for one entitlement, if it is granted or pending.
    pub fn entitlement(&self, name: &str) -> Option<&GrantedEntitlement> {
        self.entitlements
            .binary_search_by(|e| (*e.entitlement).cmp(name))
            .ok()
            .and_then(|i| self.entitlements.get(i))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantedEntitlement {
    pub entitlement: Arc<str>,
    pub status: GrantStatus,
    /// Sorted unique approval groups named by the applying rules when
    /// pending; empty when granted. Only named groups are listed: when
    /// pending, an empty list means that no applying rule names a group, and
    /// a list that does not cover every reason means that some rule names
    /// none (any approver will do for it); see each reason's `approval`.
    pub approvers: Vec<String>,
    /// The earliest start over the [window reasons](Self::window_reasons);
    /// `None` if any of them has no start.
    pub valid_from: Option<DateTime<Utc>>,
    /// Exclusive; the latest end over the
    /// [window reasons](Self::window_reasons); `None` if any of them has no
    /// end. The grant ends when a scheduled deny begins: a deny of this
    /// entitlement whose condition holds (or is unknown: fail closed) and
    /// whose window opens after `at` cuts this end, and each reason's, to
    /// the instant the deny opens, when that is earlier.
    pub valid_until: Option<DateTime<Utc>>,
    pub sensitive: bool,
    /// The catalogue's `at most` cap, when some of the
    /// [window reasons](Self::window_reasons) has no fixed start so the cap
    /// could not be applied to its window: the provisioning system must
    /// enforce it from the moment the grant is given.
    pub max_duration: Option<Duration>,
    /// Every applying grant, in rule source order (when granted, including
    /// those that would need an approval).
    pub reasons: Vec<Reason>,
}

impl GrantedEntitlement {
    /// The reasons `valid_from`, `valid_until` and `max_duration` are
    /// computed over: when granted, those that grant without approval (a
    /// grant that still needs an approval does not make a granted
    /// entitlement last longer); when pending, all of them.
    pub fn window_reasons(&self) -> impl Iterator<Item = &Reason> {
        let pending = self.status == GrantStatus::PendingApproval;
        self.reasons
            .iter()
            .filter(move |r| pending || r.approval.is_none())
    }
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
    pub rule: Arc<str>,
    pub source: Arc<SourceLocation>,
    /// The roles the entitlement came through, outermost first.
    pub via: Arc<[String]>,
    pub valid_from: Option<DateTime<Utc>>,
    /// Exclusive. The grant ends when a scheduled deny begins: cut to the
    /// opening of a deny of the entitlement that will apply after `at` (its
    /// condition holds or is unknown), when that is earlier than the rule's
    /// own end.
    pub valid_until: Option<DateTime<Utc>>,
    /// `for N ...` without `from`: the grant lasts this long from the moment
    /// it is given.
    pub lasts: Option<Duration>,
    pub approval: Option<Arc<Approval>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeniedEntitlement {
    pub entitlement: Arc<str>,
    /// In rule source order.
    pub denied_by: Vec<DenyReason>,
    /// The applying grant rules, in source order.
    pub granted_by: Vec<RuleRef>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DenyReason {
    pub rule: Arc<str>,
    pub source: Arc<SourceLocation>,
    /// Sorted; non-empty when the deny applied only because these attributes
    /// are missing (fail closed).
    pub missing_attributes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleRef {
    pub rule: Arc<str>,
    pub source: Arc<SourceLocation>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpcomingGrant {
    pub entitlement: Arc<str>,
    pub rule: Arc<str>,
    pub source: Arc<SourceLocation>,
    pub opens_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeparationConflict {
    /// The left side as written (`netsuite.payables` or `role ap-clerk`).
    pub left: String,
    /// The right side as written.
    pub right: String,
    pub source: Arc<SourceLocation>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Warning {
    /// A required attribute (not a flag or list) is absent from the identity.
    MissingAttribute { attribute: String },
    /// The identity has a field the schema does not declare; it was ignored.
    UnknownField {
        field: String,
        /// The closest declared attribute name, if one is close enough to be
        /// a plausible typo (`department` for `Department`).
        suggestion: Option<String>,
    },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::MissingAttribute { attribute } => {
                write!(f, "attribute `{attribute}` is missing")
            }
            Warning::UnknownField { field, suggestion } => {
                write!(
                    f,
                    "field `{field}` is not a declared attribute and was ignored"
                )?;
                match suggestion {
                    Some(suggestion) => write!(f, "; did you mean `{suggestion}`?"),
                    None => Ok(()),
                }
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
    /// The custom checks run for the identity, as in [`Decision::checks`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<CheckResult>,
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
    pub rule: Arc<str>,
    pub source: Arc<SourceLocation>,
    pub effect: RuleEffect,
    /// The roles the entitlement came through, outermost first.
    pub via: Arc<[String]>,
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
    /// The window, resolved for this identity, closes no later than it
    /// opens (such as `from start_date until end_date` with an end date
    /// before the start date), so the rule never applies.
    EmptyWindow {
        opens_at: DateTime<Utc>,
        /// Exclusive.
        closes_at: DateTime<Utc>,
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
    /// The condition could not be decided (it is unknown because an
    /// attribute is missing) rather than known to be false.
    #[serde(default)]
    pub unknown: bool,
}
