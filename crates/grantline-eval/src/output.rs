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
    pub reasons: Reasons,
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
            .filter(move |r| pending || r.approval().is_none())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GrantStatus {
    Granted,
    PendingApproval,
}

/// One applying grant of an entitlement.
///
/// The granting rule, where it is written, the roles the entitlement came
/// through and the approval the rule requires are shared with the evaluator
/// (and every decision that reports the rule) through one reference-counted
/// record, [`Reason::rule`]: a decision holds one reference per reason. Read
/// them with [`Reason::source`], [`Reason::via`] and [`Reason::approval`].
/// In JSON a reason is one object, `{"rule", "source", "via", "valid_from",
/// "valid_until", "lasts", "approval"}`.
#[derive(Clone)]
pub struct Reason {
    /// The granting rule; it dereferences to (displays and serializes as)
    /// the rule's name.
    pub rule: RuleName,
    /// Which of the rule's targets granted the entitlement (its `via`).
    target: u32,
    pub valid_from: Option<DateTime<Utc>>,
    /// Exclusive. The grant ends when a scheduled deny begins: cut to the
    /// opening of a deny of the entitlement that will apply after `at` (its
    /// condition holds or is unknown), when that is earlier than the rule's
    /// own end.
    pub valid_until: Option<DateTime<Utc>>,
    /// `for N ...` without `from`: the grant lasts this long from the moment
    /// it is given.
    pub lasts: Option<Duration>,
}

impl Reason {
    #[inline(always)]
    pub(crate) fn new(
        rule: RuleName,
        target: u32,
        valid_from: Option<DateTime<Utc>>,
        valid_until: Option<DateTime<Utc>>,
        lasts: Option<Duration>,
    ) -> Reason {
        Reason {
            rule,
            target,
            valid_from,
            valid_until,
            lasts,
        }
    }

    /// The approval the granting rule requires, if any.
    pub fn approval(&self) -> Option<&Approval> {
        self.rule.0.approval.as_deref()
    }

    /// Where the granting rule is written.
    pub fn source(&self) -> &SourceLocation {
        self.rule.source()
    }

    /// The roles the entitlement came through, outermost first.
    pub fn via(&self) -> &[String] {
        self.rule.0.via(self.target)
    }
}

impl PartialEq for Reason {
    fn eq(&self, other: &Reason) -> bool {
        self.rule == other.rule
            && self.via() == other.via()
            && self.valid_from == other.valid_from
            && self.valid_until == other.valid_until
            && self.lasts == other.lasts
            && self.approval() == other.approval()
    }
}

impl Eq for Reason {}

impl fmt::Debug for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reason")
            .field("rule", &self.rule.name())
            .field("source", self.source())
            .field("via", &self.via())
            .field("valid_from", &self.valid_from)
            .field("valid_until", &self.valid_until)
            .field("lasts", &self.lasts)
            .field("approval", &self.approval())
            .finish()
    }
}

impl Serialize for Reason {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut reason = serializer.serialize_struct("Reason", 7)?;
        reason.serialize_field("rule", self.rule.name())?;
        reason.serialize_field("source", self.source())?;
        reason.serialize_field("via", self.via())?;
        reason.serialize_field("valid_from", &self.valid_from)?;
        reason.serialize_field("valid_until", &self.valid_until)?;
        reason.serialize_field("lasts", &self.lasts)?;
        reason.serialize_field("approval", &self.approval())?;
        reason.end()
    }
}

/// A [`Reason`] as written in JSON.
#[derive(Deserialize)]
#[serde(rename = "Reason")]
struct ReasonFields {
    rule: String,
    source: SourceLocation,
    via: Vec<String>,
    valid_from: Option<DateTime<Utc>>,
    valid_until: Option<DateTime<Utc>>,
    lasts: Option<Duration>,
    approval: Option<Arc<Approval>>,
}

impl<'de> Deserialize<'de> for Reason {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Reason, D::Error> {
        let fields = ReasonFields::deserialize(deserializer)?;
        let rule = RuleName(Arc::new(RuleRecord {
            name: Arc::from(fields.rule),
            source: Arc::new(fields.source),
            vias: Box::new([Arc::from(fields.via)]),
            approval: fields.approval,
        }));
        Ok(Reason {
            rule,
            target: 0,
            valid_from: fields.valid_from,
            valid_until: fields.valid_until,
            lasts: fields.lasts,
        })
    }
}

/// A rule as a [`Reason`] reports it: its name, which it dereferences to
/// (and displays and serializes as), and where it is written. One record
/// per rule, shared by the evaluator and every decision reporting the rule:
/// a clone is one reference count.
#[derive(Clone)]
pub struct RuleName(pub(crate) Arc<RuleRecord>);

/// What decisions share about one rule.
#[derive(Debug)]
pub(crate) struct RuleRecord {
    pub(crate) name: Arc<str>,
    pub(crate) source: Arc<SourceLocation>,
    /// By target position (see `CTarget`): the roles it came through.
    pub(crate) vias: Box<[Arc<[String]>]>,
    pub(crate) approval: Option<Arc<Approval>>,
}

impl RuleRecord {
    pub(crate) fn via(&self, target: u32) -> &[String] {
        self.vias.get(target as usize).map_or(&[], |via| via)
    }
}

impl RuleName {
    pub(crate) fn strong_count(&self) -> usize {
        Arc::strong_count(&self.0)
    }

    /// The rule's name.
    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// Where the rule is written.
    pub fn source(&self) -> &SourceLocation {
        &self.0.source
    }
}

impl std::ops::Deref for RuleName {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0.name
    }
}

impl AsRef<str> for RuleName {
    fn as_ref(&self) -> &str {
        &self.0.name
    }
}

/// The same name and source.
impl PartialEq for RuleName {
    fn eq(&self, other: &RuleName) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
            || (self.0.name == other.0.name && self.0.source == other.0.source)
    }
}

impl Eq for RuleName {}

impl PartialEq<str> for RuleName {
    fn eq(&self, other: &str) -> bool {
        *self.0.name == *other
    }
}

impl PartialEq<&str> for RuleName {
    fn eq(&self, other: &&str) -> bool {
        *self.0.name == **other
    }
}

impl fmt::Debug for RuleName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0.name, f)
    }
}

impl fmt::Display for RuleName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.name)
    }
}

impl Serialize for RuleName {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0.name)
    }
}

/// The reasons of one granted entitlement, in rule source order: a list
/// that holds the usual single reason in place (a decision allocates
/// nothing for it) and more in a vector. It dereferences to a slice
/// (`reasons.len()`, `reasons.iter()`, `reasons[0]`), and serializes as a
/// JSON array.
#[derive(Clone)]
pub struct Reasons(ReasonList);

#[derive(Clone)]
enum ReasonList {
    One(Reason),
    Many(Vec<Reason>),
    /// `all[start..start + len]`: a decision keeps the reasons of all its
    /// entitlements that have more than one in one shared list.
    Shared {
        all: Arc<[Reason]>,
        start: u32,
        len: u32,
    },
}

impl Reasons {
    /// No reason.
    pub fn new() -> Reasons {
        Reasons(ReasonList::Many(Vec::new()))
    }

    /// One reason.
    pub fn one(reason: Reason) -> Reasons {
        Reasons(ReasonList::One(reason))
    }

    /// The reasons as a slice.
    pub fn as_slice(&self) -> &[Reason] {
        match &self.0 {
            ReasonList::One(reason) => std::slice::from_ref(reason),
            ReasonList::Many(reasons) => reasons,
            ReasonList::Shared { all, start, len } => {
                let start = *start as usize;
                all.get(start..start.saturating_add(*len as usize))
                    .unwrap_or(&[])
            }
        }
    }

    /// `all[start..start + len]`, shared.
    pub(crate) fn shared(all: &Arc<[Reason]>, start: u32, len: u32) -> Reasons {
        Reasons(ReasonList::Shared {
            all: Arc::clone(all),
            start,
            len,
        })
    }

    /// Appends a reason.
    pub fn push(&mut self, reason: Reason) {
        let list = std::mem::replace(&mut self.0, ReasonList::Many(Vec::new()));
        self.0 = match list {
            ReasonList::Many(reasons) if reasons.is_empty() && reasons.capacity() == 0 => {
                ReasonList::One(reason)
            }
            ReasonList::Many(mut reasons) => {
                reasons.push(reason);
                ReasonList::Many(reasons)
            }
            ReasonList::One(first) => ReasonList::Many(vec![first, reason]),
            shared @ ReasonList::Shared { .. } => {
                let mut reasons = Reasons(shared).as_slice().to_vec();
                reasons.push(reason);
                ReasonList::Many(reasons)
            }
        };
    }

    /// The reasons as a vector.
    pub fn into_vec(self) -> Vec<Reason> {
        match self.0 {
            ReasonList::One(reason) => vec![reason],
            ReasonList::Many(reasons) => reasons,
            ReasonList::Shared { .. } => self.as_slice().to_vec(),
        }
    }
}

impl Default for Reasons {
    fn default() -> Reasons {
        Reasons::new()
    }
}

impl std::ops::Deref for Reasons {
    type Target = [Reason];

    fn deref(&self) -> &[Reason] {
        self.as_slice()
    }
}

impl AsRef<[Reason]> for Reasons {
    fn as_ref(&self) -> &[Reason] {
        self.as_slice()
    }
}

impl<'a> IntoIterator for &'a Reasons {
    type Item = &'a Reason;
    type IntoIter = std::slice::Iter<'a, Reason>;

    fn into_iter(self) -> Self::IntoIter {
        self.as_slice().iter()
    }
}

impl IntoIterator for Reasons {
    type Item = Reason;
    type IntoIter = std::vec::IntoIter<Reason>;

    fn into_iter(self) -> Self::IntoIter {
        self.into_vec().into_iter()
    }
}

impl From<Vec<Reason>> for Reasons {
    fn from(mut reasons: Vec<Reason>) -> Reasons {
        if reasons.len() == 1 {
            if let Some(reason) = reasons.pop() {
                return Reasons(ReasonList::One(reason));
            }
        }
        Reasons(ReasonList::Many(reasons))
    }
}

impl From<Reasons> for Vec<Reason> {
    fn from(reasons: Reasons) -> Vec<Reason> {
        reasons.into_vec()
    }
}

impl FromIterator<Reason> for Reasons {
    fn from_iter<I: IntoIterator<Item = Reason>>(iter: I) -> Reasons {
        let mut iter = iter.into_iter();
        let Some(first) = iter.next() else {
            return Reasons::new();
        };
        let Some(second) = iter.next() else {
            return Reasons(ReasonList::One(first));
        };
        let mut reasons = Vec::with_capacity(iter.size_hint().0.saturating_add(2));
        reasons.extend([first, second]);
        reasons.extend(iter);
        Reasons(ReasonList::Many(reasons))
    }
}

impl PartialEq for Reasons {
    fn eq(&self, other: &Reasons) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for Reasons {}

impl PartialEq<Vec<Reason>> for Reasons {
    fn eq(&self, other: &Vec<Reason>) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl PartialEq<[Reason]> for Reasons {
    fn eq(&self, other: &[Reason]) -> bool {
        self.as_slice() == other
    }
}

impl fmt::Debug for Reasons {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.as_slice()).finish()
    }
}

impl Serialize for Reasons {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.as_slice().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Reasons {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Reasons, D::Error> {
        Vec::<Reason>::deserialize(deserializer).map(Reasons::from)
    }
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
