//! The reference evaluator of compiled Grantline policies.
//!
//! An [`Evaluator`] is built once from a [`PolicySet`] (the IR): it validates
//! the IR, resolves attribute and entitlement names to indices and indexes
//! the rules. It then turns identity records into [`Identity`] values
//! ([`Evaluator::identity_from_json`]), decides what an identity is entitled
//! to at an instant ([`Evaluator::evaluate`]) and explains one entitlement
//! rule by rule ([`Evaluator::explain`]).
//!
//! `evaluate` examines only the rules the rule index cannot rule out for the
//! identity: grants posted under the attribute values (or pairs of values)
//! their condition needs, denies under those it needs to be true *or
//! unknown*, and the few rules with no such value, examined for everyone
//! ([`Evaluator::index_stats`]). Its cost grows with the rules that match,
//! not with the rules written. [`Evaluator::evaluate_plain`] examines every
//! rule; it is the reference the indexed evaluation is tested against, and
//! both give the same decision, field for field.
//!
//! Semantics, in short (see the language documentation for the details):
//! conditions use three-valued logic (a missing attribute is unknown, except
//! flags, which are false, and lists, which are empty); a grant applies when
//! its condition is true and its window is open; a deny applies when its
//! condition is true or unknown (fail closed); deny beats grant, and a deny
//! scheduled to begin after the instant ends the grant when it begins. Dates
//! are whole days in the policy time zone; windows open at the start of their
//! first day and close (exclusively) at the start of the day after their last.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use grantline_ir::{Duration, PolicySet};

mod checks;
mod compile;
mod decide;
mod explain;
mod heap;
mod identity;
mod index;
mod output;
mod program;
pub mod render;
mod schedule;
mod strict_json;
mod time;

pub use checks::{CheckError, CheckOutcome, CheckPass, CheckResult, CheckRunner};
use compile::{CPoint, CRule, CWindow, Compiled, Truth, Values};
pub use compile::{IrProblem, IrValidationError, MAX_CONDITION_DEPTH};
pub use identity::suggest;
pub use identity::{AttributeValue, FieldError, Identity, IdentityError};
use index::RuleIndex;
pub use index::{IndexStats, MAX_KEYS_PER_RULE};
pub use output::{
    Decision, DeniedEntitlement, DenyReason, Explanation, FailedCondition, GrantStatus,
    GrantedEntitlement, Reason, Reasons, RuleEffect, RuleExplanation, RuleName, RuleOutcome,
    RuleRef, SeparationConflict, UpcomingGrant, Verdict, Warning,
};
use program::Programs;
pub use strict_json::StrictJson;

/// Evaluates one compiled policy set.
#[derive(Clone)]
pub struct Evaluator {
    policy: PolicySet,
    compiled: Compiled,
    index: RuleIndex,
    /// The rules' conditions for the indexed evaluation.
    programs: Programs,
    /// Runs the policy set's custom checks; without one they fail closed.
    runner: Option<Arc<dyn CheckRunner>>,
}

impl fmt::Debug for Evaluator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Evaluator")
            .field("policy", &self.policy)
            .field("compiled", &self.compiled)
            .field("index", &self.index)
            .field("programs", &self.programs)
            .field("runner", &self.runner.as_ref().map(|_| "CheckRunner"))
            .finish()
    }
}

/// `explain` was asked about an entitlement the catalogue does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct UnknownEntitlement {
    pub name: String,
    /// The closest catalogue names, closest first.
    pub suggestions: Vec<String>,
}

impl fmt::Display for UnknownEntitlement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown entitlement `{}`", self.name)?;
        match self.suggestions.as_slice() {
            [] => Ok(()),
            [only] => write!(f, "; did you mean `{only}`?"),
            many => write!(
                f,
                "; did you mean one of {}?",
                many.iter()
                    .map(|s| format!("`{s}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// The first instant of a local date in a time zone; see
/// [`Evaluator::day_start`].
pub fn day_start(tz: Tz, date: NaiveDate) -> DateTime<Utc> {
    time::day_start(tz, date)
}

/// A rule's window, resolved for one identity (before the entitlement's cap).
pub(crate) enum WindowEval {
    /// A date attribute the window needs is missing.
    Missing(String),
    Known {
        /// The opening instant and the local date it starts.
        from: Option<(DateTime<Utc>, NaiveDate)>,
        /// Exclusive; `None` = never closes.
        close: Option<DateTime<Utc>>,
        /// `for N` without `from`.
        lasts: Option<Duration>,
    },
}

/// Where `at` falls in a window.
pub(crate) enum WindowStatus {
    Open {
        opens: Option<DateTime<Utc>>,
        closes: Option<DateTime<Utc>>,
    },
    NotYetOpen(DateTime<Utc>),
    Expired(DateTime<Utc>),
    /// It closes no later than it opens: it is never open.
    Empty {
        opens: DateTime<Utc>,
        closes: DateTime<Utc>,
    },
}

/// The earlier of two window ends, `None` meaning "never".
pub(crate) fn earlier(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, None) => a,
        (None, b) => b,
    }
}

fn date_value(values: &Values, index: usize) -> Option<NaiveDate> {
    match values.get(index).and_then(Option::as_ref) {
        Some(AttributeValue::Date(date)) => Some(*date),
        _ => None,
    }
}

impl CWindow {
    pub(crate) fn eval(&self, values: &Values, tz: Tz) -> WindowEval {
        let from = match &self.from {
            None => None,
            Some(CPoint::Date { date, start, .. }) => Some((*start, *date)),
            Some(CPoint::Attribute { index, name, .. }) => match date_value(values, *index) {
                Some(date) => Some((time::day_start(tz, date), date)),
                None => return WindowEval::Missing(name.clone()),
            },
        };
        let mut close = match &self.until {
            None => None,
            Some(CPoint::Date { end, .. }) => *end,
            Some(CPoint::Attribute {
                index,
                name,
                optional,
            }) => match date_value(values, *index) {
                Some(date) => time::day_end(tz, date),
                None if *optional => None,
                None => return WindowEval::Missing(name.clone()),
            },
        };
        let mut lasts = None;
        if let Some(duration) = self.duration {
            match from {
                Some((_, date)) => {
                    close = earlier(close, cap_end(tz, date, duration));
                }
                None => lasts = Some(duration),
            }
        }
        WindowEval::Known { from, close, lasts }
    }
}

/// The end of a window of `duration` starting on local date `date`; `None`
/// when it is beyond the representable range.
pub(crate) fn cap_end(tz: Tz, date: NaiveDate, duration: Duration) -> Option<DateTime<Utc>> {
    time::checked_day_start(tz, time::add_duration(date, duration)?)
}

/// Where `at` falls in a window, with an optional cap from the window's start.
pub(crate) fn window_status(
    from: Option<(DateTime<Utc>, NaiveDate)>,
    close: Option<DateTime<Utc>>,
    cap: Option<Duration>,
    tz: Tz,
    at: DateTime<Utc>,
) -> WindowStatus {
    let mut closes = close;
    if let (Some((_, date)), Some(cap)) = (from, cap) {
        closes = earlier(closes, cap_end(tz, date, cap));
    }
    let opens = from.map(|(instant, _)| instant);
    match (opens, closes) {
        (Some(opens), Some(closes)) if closes <= opens => WindowStatus::Empty { opens, closes },
        (_, Some(closes)) if closes <= at => WindowStatus::Expired(closes),
        (Some(opens), _) if opens > at => WindowStatus::NotYetOpen(opens),
        _ => WindowStatus::Open { opens, closes },
    }
}

/// Whether and how a deny rule applies.
pub(crate) struct DenyEval {
    pub(crate) applies: bool,
    pub(crate) outcome: RuleOutcome,
    /// The missing attributes it applied because of (fail closed).
    pub(crate) missing: Vec<String>,
}

impl Evaluator {
    /// Validates the IR (known time zone, every attribute, entitlement and
    /// role a rule names exists, predicate kinds fit attribute kinds, window
    /// attributes are dates, conditions nest at most
    /// [`MAX_CONDITION_DEPTH`] levels deep) and prepares it for evaluation:
    /// resolves names and builds the rule index. The IR is kept (see
    /// [`policy`](Self::policy)), with any spare capacity given back.
    pub fn new(mut policy: PolicySet) -> Result<Evaluator, IrValidationError> {
        let compiled = compile::compile(&policy)?;
        heap::shrink_policy(&mut policy);
        let programs = Programs::build(&compiled);
        let index = RuleIndex::build(&compiled, &programs);
        Ok(Evaluator {
            policy,
            compiled,
            index,
            programs,
            runner: None,
        })
    }

    /// [`new`](Self::new), with `runner` running the policy set's custom
    /// checks (`check NAME from "…"`). Without a runner, every check fails
    /// closed: its conditions are unknown and each decision says why.
    pub fn with_checks(
        policy: PolicySet,
        runner: Arc<dyn CheckRunner>,
    ) -> Result<Evaluator, IrValidationError> {
        let mut evaluator = Evaluator::new(policy)?;
        evaluator.runner = Some(runner);
        Ok(evaluator)
    }

    pub fn policy(&self) -> &PolicySet {
        &self.policy
    }

    pub fn timezone(&self) -> Tz {
        self.compiled.timezone
    }

    /// The first instant of local date `date` in the policy time zone. When
    /// local midnight does not exist (a DST gap), the first instant after it
    /// that does; when it exists twice, the earlier. Clamped to chrono's range.
    pub fn day_start(&self, date: NaiveDate) -> DateTime<Utc> {
        time::day_start(self.compiled.timezone, date)
    }

    /// Strict conversion of one identity record (a JSON object) against the
    /// schema; collects every field error. `null` means absent; fields the
    /// schema does not declare are kept as warnings.
    pub fn identity_from_json(&self, value: &serde_json::Value) -> Result<Identity, IdentityError> {
        let schema = &self.compiled.schema;
        let serde_json::Value::Object(map) = value else {
            let found = match value {
                serde_json::Value::Null => "null",
                serde_json::Value::Bool(_) => "a boolean",
                serde_json::Value::Number(_) => "a number",
                serde_json::Value::String(_) => "a string",
                serde_json::Value::Array(_) => "an array",
                serde_json::Value::Object(_) => "an object",
            };
            return Err(IdentityError {
                errors: vec![FieldError {
                    field: String::new(),
                    message: format!("expected a JSON object, found {found}"),
                    hint: None,
                }],
            });
        };
        let mut values: Vec<Option<AttributeValue>> = vec![None; schema.attributes.len()];
        let mut errors = Vec::new();
        let mut unknown_fields = Vec::new();
        for (field, json) in map {
            let Some(index) = schema.lookup(field) else {
                unknown_fields.push(field.clone());
                continue;
            };
            let (Some(attribute), Some(slot)) =
                (schema.attributes.get(index), values.get_mut(index))
            else {
                continue;
            };
            match identity::convert_json(field, &attribute.kind, json) {
                Ok(value) => *slot = value,
                Err(error) => errors.push(error),
            }
        }
        finish_identity(schema, values, errors, unknown_fields)
    }

    /// Builds an identity from typed values, checked like
    /// [`identity_from_json`](Self::identity_from_json). Names the schema
    /// does not declare are kept as warnings.
    pub fn identity_from_values<I, K>(&self, values: I) -> Result<Identity, IdentityError>
    where
        I: IntoIterator<Item = (K, AttributeValue)>,
        K: Into<String>,
    {
        let schema = &self.compiled.schema;
        let mut stored: Vec<Option<AttributeValue>> = vec![None; schema.attributes.len()];
        let mut errors = Vec::new();
        let mut unknown_fields = Vec::new();
        for (name, value) in values {
            let name: String = name.into();
            let Some(index) = schema.lookup(&name) else {
                unknown_fields.push(name);
                continue;
            };
            let (Some(attribute), Some(slot)) =
                (schema.attributes.get(index), stored.get_mut(index))
            else {
                continue;
            };
            match identity::check_value(&name, &attribute.kind, &value) {
                Ok(()) => *slot = Some(value),
                Err(error) => errors.push(error),
            }
        }
        finish_identity(schema, stored, errors, unknown_fields)
    }

    /// The identity's values laid out for this evaluator's schema, and its
    /// unknown fields. An identity made by another evaluator is matched by
    /// attribute name; values of the wrong kind count as missing.
    fn adopt<'a>(&self, identity: &'a Identity) -> (Cow<'a, Values>, Cow<'a, [String]>) {
        let schema = &self.compiled.schema;
        if Arc::ptr_eq(&identity.schema, schema) || *identity.schema == **schema {
            return (
                Cow::Borrowed(identity.values.as_slice()),
                Cow::Borrowed(identity.unknown_fields.as_slice()),
            );
        }
        let values = schema
            .attributes
            .iter()
            .map(|a| {
                identity
                    .get(&a.name)
                    .filter(|v| identity::fits(&a.kind, v))
                    .cloned()
            })
            .collect::<Vec<_>>();
        let mut unknown: Vec<String> = identity
            .unknown_fields
            .iter()
            .cloned()
            .chain(
                identity
                    .iter()
                    .filter(|(name, _)| schema.lookup(name).is_none())
                    .map(|(name, _)| name.to_string()),
            )
            .collect();
        unknown.sort();
        unknown.dedup();
        (Cow::Owned(values), Cow::Owned(unknown))
    }

    /// [`adopt`](Self::adopt), with the results of the policy set's custom
    /// checks for the identity at `at` appended to the values (one flag per
    /// check, `None` when it failed to run). Runs nothing when the policy
    /// set declares no check.
    fn adopt_checked<'a>(
        &self,
        identity: &'a Identity,
        at: DateTime<Utc>,
    ) -> (Cow<'a, Values>, Cow<'a, [String]>, Vec<CheckResult>) {
        let (values, unknown) = self.adopt(identity);
        if self.compiled.checks.is_empty() {
            return (values, unknown, Vec::new());
        }
        let (extended, results) =
            checks::run_all(&self.compiled, self.runner.as_deref(), &values, at);
        (Cow::Owned(extended), unknown, results)
    }

    /// The rules whose outcome a check that failed to run decided: their
    /// condition is unknown because of it. In rule order, then check order.
    fn check_errors(&self, values: &Values, results: &[CheckResult]) -> Vec<CheckError> {
        let base = self.compiled.schema.attributes.len();
        let mut errors: Vec<(usize, usize, CheckError)> = Vec::new();
        for (i, (check, result)) in self.compiled.checks.iter().zip(results).enumerate() {
            let Some(cause) = &result.error else {
                continue;
            };
            for &rule_index in &check.rules {
                let Some(rule) = self.compiled.rules.get(rule_index) else {
                    continue;
                };
                let mut unknown = Vec::new();
                rule.cond.unknown_attributes(values, &mut unknown);
                if unknown.contains(&(base + i)) {
                    errors.push((
                        rule_index,
                        i,
                        CheckError {
                            check: check.name.to_string(),
                            rule: Arc::clone(rule.name()),
                            source: Arc::clone(rule.source()),
                            cause: cause.clone(),
                        },
                    ));
                }
            }
        }
        errors.sort_by_key(|(rule, check, _)| (*rule, *check));
        errors.into_iter().map(|(_, _, error)| error).collect()
    }

    fn warnings(&self, values: &Values, unknown_fields: &[String]) -> Vec<Warning> {
        let mut warnings: Vec<Warning> = self
            .compiled
            .schema
            .attributes
            .iter()
            .zip(values)
            .filter(|(a, v)| {
                v.is_none()
                    && !a.optional
                    && !matches!(
                        a.kind,
                        grantline_ir::AttributeKind::Flag | grantline_ir::AttributeKind::ListOfText
                    )
            })
            .map(|(a, _)| Warning::MissingAttribute {
                attribute: a.name.clone(),
            })
            .chain(unknown_fields.iter().map(|f| {
                Warning::UnknownField {
                    field: f.clone(),
                    suggestion: identity::suggest(
                        f,
                        self.compiled
                            .schema
                            .attributes
                            .iter()
                            .map(|a| a.name.as_str()),
                    )
                    .into_iter()
                    .next(),
                }
            }))
            .collect();
        warnings.sort();
        warnings.dedup();
        warnings
    }

    /// The name of value `index`: an attribute's, or `passing NAME` for a
    /// custom check's result.
    fn attribute_name(&self, index: usize) -> String {
        let attributes = &self.compiled.schema.attributes;
        match attributes.get(index) {
            Some(attribute) => attribute.name.clone(),
            None => index
                .checked_sub(attributes.len())
                .and_then(|i| self.compiled.checks.get(i))
                .map(|check| format!("passing {}", check.name))
                .unwrap_or_default(),
        }
    }

    /// Whether a deny rule applies to the identity at `at`.
    pub(crate) fn deny_eval(
        &self,
        rule: &CRule,
        truth: Truth,
        values: &Values,
        at: DateTime<Utc>,
    ) -> DenyEval {
        let not_applied = |outcome| DenyEval {
            applies: false,
            outcome,
            missing: Vec::new(),
        };
        if truth == Truth::False {
            return not_applied(RuleOutcome::ConditionFailed);
        }
        let mut missing = Vec::new();
        if truth == Truth::Unknown {
            let mut indices = Vec::new();
            rule.cond.unknown_attributes(values, &mut indices);
            missing.extend(indices.into_iter().map(|i| self.attribute_name(i)));
        }
        let tz = self.compiled.timezone;
        let outcome = match rule.window.eval(values, tz) {
            WindowEval::Missing(attribute) => {
                missing.push(attribute.clone());
                RuleOutcome::WindowAttributeMissing { attribute }
            }
            WindowEval::Known { from, close, .. } => {
                match window_status(from, close, None, tz, at) {
                    WindowStatus::NotYetOpen(opens_at) => {
                        return not_applied(RuleOutcome::NotYetOpen { opens_at })
                    }
                    WindowStatus::Expired(closed_at) => {
                        return not_applied(RuleOutcome::Expired { closed_at })
                    }
                    WindowStatus::Empty { opens, closes } => {
                        return not_applied(RuleOutcome::EmptyWindow {
                            opens_at: opens,
                            closes_at: closes,
                        })
                    }
                    WindowStatus::Open { .. } if truth == Truth::True => RuleOutcome::Applies,
                    WindowStatus::Open { .. } => RuleOutcome::ConditionUnknown,
                }
            }
        };
        missing.sort();
        missing.dedup();
        DenyEval {
            applies: true,
            outcome,
            missing,
        }
    }

    /// What `identity` is entitled to at `at`.
    ///
    /// Examines only the rules the index cannot rule out for this identity
    /// (see [`Evaluator::index_stats`]); the decision is the same as
    /// [`evaluate_plain`](Self::evaluate_plain)'s, field for field.
    pub fn evaluate(&self, identity: &Identity, at: DateTime<Utc>) -> Decision {
        let (values, unknown_fields, checks) = self.adopt_checked(identity, at);
        let mut decision = decide::with_scratch(|s| {
            self.find_candidates(&values, s);
            let candidates = std::mem::take(&mut s.candidates);
            let codes = std::mem::take(&mut s.codes);
            let rules = candidates.iter().map(|&r| r as usize);
            let decision = self.decide(&values, Some(&codes), &unknown_fields, at, rules, s);
            s.candidates = candidates;
            s.codes = codes;
            decision
        });
        self.add_checks(&mut decision, &values, checks);
        decision
    }

    fn add_checks(&self, decision: &mut Decision, values: &Values, checks: Vec<CheckResult>) {
        if checks.iter().any(|c| c.outcome == CheckOutcome::Error) {
            decision.errors = self.check_errors(values, &checks);
        }
        decision.checks = checks;
    }

    /// The warnings a decision for `identity` carries: required attributes
    /// it lacks (flags and lists excepted) and fields the schema does not
    /// declare, with the closest attribute name.
    pub fn identity_warnings(&self, identity: &Identity) -> Vec<Warning> {
        let (values, unknown_fields) = self.adopt(identity);
        self.warnings(&values, &unknown_fields)
    }

    /// The reference evaluation: what `identity` is entitled to at `at`,
    /// examining every rule in source order. [`evaluate`](Self::evaluate)
    /// gives the same decision faster; this one is kept as the definition
    /// it is tested against.
    pub fn evaluate_plain(&self, identity: &Identity, at: DateTime<Utc>) -> Decision {
        let (values, unknown_fields, checks) = self.adopt_checked(identity, at);
        let mut decision = decide::with_scratch(|s| {
            self.decide(
                &values,
                None,
                &unknown_fields,
                at,
                0..self.compiled.rules.len(),
                s,
            )
        });
        self.add_checks(&mut decision, &values, checks);
        decision
    }

    /// The names of the rules that take effect for `identity` at `at`, in
    /// source order: grants whose condition holds and whose window is open
    /// for at least one of their entitlements, and denies that apply
    /// (including fail closed). This is what rule coverage counts. Uses the
    /// index, like [`evaluate`](Self::evaluate).
    pub fn applying_rules(&self, identity: &Identity, at: DateTime<Utc>) -> Vec<&str> {
        let (values, _, _) = self.adopt_checked(identity, at);
        decide::with_scratch(|s| {
            self.find_candidates(&values, s);
            self.applying(
                &values,
                Some(&s.codes),
                at,
                s.candidates.iter().map(|&r| r as usize),
            )
        })
    }

    /// [`applying_rules`](Self::applying_rules), examining every rule: the
    /// reference.
    pub fn applying_rules_plain(&self, identity: &Identity, at: DateTime<Utc>) -> Vec<&str> {
        let (values, _, _) = self.adopt_checked(identity, at);
        self.applying(&values, None, at, 0..self.compiled.rules.len())
    }

    /// How the rules are indexed: posted under a pair of attribute values,
    /// under one, or examined for every identity.
    pub fn index_stats(&self) -> IndexStats {
        self.index.stats()
    }

    /// An estimate of the bytes this evaluator holds on the heap: the IR it
    /// was built from, its resolved form and the index (allocated
    /// capacities; allocator overhead not included).
    pub fn heap_size_estimate(&self) -> usize {
        heap::policy(&self.policy)
            + heap::compiled(&self.compiled)
            + self.index.heap_size()
            + self.programs.heap_size()
    }

    /// The rules [`evaluate`](Self::evaluate) examines for `identity`, as
    /// indices into [`policy`](Self::policy)`().rules`, ascending: those the
    /// index finds for it and the always-examined ones. Every other rule is
    /// a grant whose condition is not true or a deny whose condition is
    /// false for this identity.
    pub fn examined_rules(&self, identity: &Identity) -> Vec<usize> {
        let (values, _) = self.adopt(identity);
        decide::with_scratch(|s| {
            self.find_candidates(&values, s);
            s.candidates.iter().map(|&r| r as usize).collect()
        })
    }

    /// The part of [`heap_size_estimate`](Self::heap_size_estimate) taken by
    /// the index.
    pub fn index_heap_size_estimate(&self) -> usize {
        self.index.heap_size()
    }

    /// Why `entitlement` is or is not granted to `identity` at `at`, rule by
    /// rule.
    pub fn explain(
        &self,
        identity: &Identity,
        entitlement: &str,
        at: DateTime<Utc>,
    ) -> Result<Explanation, UnknownEntitlement> {
        explain::explain(self, identity, entitlement, at, false)
    }

    /// [`explain`](Self::explain) with the verdict taken from
    /// [`evaluate_plain`](Self::evaluate_plain): the reference.
    pub fn explain_plain(
        &self,
        identity: &Identity,
        entitlement: &str,
        at: DateTime<Utc>,
    ) -> Result<Explanation, UnknownEntitlement> {
        explain::explain(self, identity, entitlement, at, true)
    }
}

/// The decision entry of a granted (or pending) entitlement. Its window is
/// computed over [`GrantedEntitlement::window_reasons`]: when granted, only
/// the reasons that grant without approval; `cap` is reported when one of
/// those has no start.
///
/// The entry keeps `stored`, and is computed from those reasons or, when
/// given, from `shared` (the caller then stores them as a share of the
/// decision's list, see `Reasons::shared`).
#[inline(always)]
pub(crate) fn granted_entitlement(
    name: &Arc<str>,
    sensitive: bool,
    cap: Option<Duration>,
    stored: Reasons,
    shared: Option<&[Reason]>,
) -> GrantedEntitlement {
    let reasons = shared.unwrap_or(stored.as_slice());
    if let [reason] = reasons {
        // The usual entry: its one reason's window.
        let approvers = match reason.approval().map(|a| &a.by) {
            Some(Some(by)) => vec![by.clone()],
            _ => Vec::new(),
        };
        return GrantedEntitlement {
            entitlement: Arc::clone(name),
            status: if reason.approval().is_some() {
                GrantStatus::PendingApproval
            } else {
                GrantStatus::Granted
            },
            approvers,
            valid_from: reason.valid_from,
            valid_until: reason.valid_until,
            sensitive,
            max_duration: if reason.valid_from.is_none() {
                cap
            } else {
                None
            },
            reasons: stored,
        };
    }
    let pending = reasons.iter().all(|r| r.approval().is_some());
    let mut approvers: Vec<String> = Vec::new();
    if pending {
        approvers.extend(reasons.iter().filter_map(|r| r.approval()?.by.clone()));
        approvers.sort();
        approvers.dedup();
    }
    // The bounds over the window reasons (`None`: unbounded), in one pass.
    let mut valid_from: Option<Option<DateTime<Utc>>> = None;
    let mut valid_until: Option<Option<DateTime<Utc>>> = None;
    let mut open_start = false;
    for reason in reasons.iter().filter(|r| pending || r.approval().is_none()) {
        open_start |= reason.valid_from.is_none();
        valid_from = Some(match (valid_from, reason.valid_from) {
            (None, from) => from,
            (Some(Some(a)), Some(b)) => Some(a.min(b)),
            (Some(_), _) => None,
        });
        valid_until = Some(match (valid_until, reason.valid_until) {
            (None, until) => until,
            (Some(Some(a)), Some(b)) => Some(a.max(b)),
            (Some(_), _) => None,
        });
    }
    GrantedEntitlement {
        entitlement: Arc::clone(name),
        status: if pending {
            GrantStatus::PendingApproval
        } else {
            GrantStatus::Granted
        },
        approvers,
        valid_from: valid_from.flatten(),
        valid_until: valid_until.flatten(),
        sensitive,
        max_duration: if open_start { cap } else { None },
        reasons: stored,
    }
}

/// The identity, or every error found while checking its fields.
fn finish_identity(
    schema: &Arc<identity::Schema>,
    values: Vec<Option<AttributeValue>>,
    errors: Vec<FieldError>,
    mut unknown_fields: Vec<String>,
) -> Result<Identity, IdentityError> {
    if !errors.is_empty() {
        return Err(IdentityError { errors });
    }
    unknown_fields.sort();
    unknown_fields.dedup();
    Ok(Identity {
        schema: Arc::clone(schema),
        values,
        unknown_fields,
    })
}
