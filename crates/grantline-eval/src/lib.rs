//! The reference evaluator of compiled Grantline policies.
//!
//! An [`Evaluator`] is built once from a [`PolicySet`] (the IR): it validates
//! the IR and resolves attribute and entitlement names to indices. It then
//! turns identity records into [`Identity`] values
//! ([`Evaluator::identity_from_json`]), decides what an identity is entitled
//! to at an instant ([`Evaluator::evaluate`]) and explains one entitlement
//! rule by rule ([`Evaluator::explain`]).
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

mod compile;
mod explain;
mod identity;
mod output;
pub mod render;
mod time;

use compile::{CEffect, CPoint, CRule, CWindow, Compiled, Truth, Values};
pub use compile::{IrProblem, IrValidationError, MAX_CONDITION_DEPTH};
pub use identity::{AttributeValue, FieldError, Identity, IdentityError};
pub use output::{
    Decision, DeniedEntitlement, DenyReason, Explanation, FailedCondition, GrantStatus,
    GrantedEntitlement, Reason, RuleEffect, RuleExplanation, RuleOutcome, RuleRef,
    SeparationConflict, UpcomingGrant, Verdict, Warning,
};

/// Evaluates one compiled policy set.
#[derive(Debug, Clone)]
pub struct Evaluator {
    policy: PolicySet,
    compiled: Compiled,
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
fn earlier(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
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
fn cap_end(tz: Tz, date: NaiveDate, duration: Duration) -> Option<DateTime<Utc>> {
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
    /// [`MAX_CONDITION_DEPTH`] levels deep) and prepares it for evaluation.
    pub fn new(policy: PolicySet) -> Result<Evaluator, IrValidationError> {
        let compiled = compile::compile(&policy)?;
        Ok(Evaluator { policy, compiled })
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

    fn attribute_name(&self, index: usize) -> String {
        self.compiled
            .schema
            .attributes
            .get(index)
            .map(|a| a.name.clone())
            .unwrap_or_default()
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
    pub fn evaluate(&self, identity: &Identity, at: DateTime<Utc>) -> Decision {
        let (values, unknown_fields) = self.adopt(identity);
        let values: &Values = &values;
        let compiled = &self.compiled;
        let tz = compiled.timezone;
        let count = compiled.entitlements.len();

        // Applying grant reasons and applying denies, by entitlement index.
        let mut reasons: Vec<Vec<Reason>> = vec![Vec::new(); count];
        let mut denies: Vec<Vec<(usize, DenyReason)>> = vec![Vec::new(); count];
        let mut deny_everything: Vec<(usize, DenyReason)> = Vec::new();
        // The earliest opening of a deny that will apply after `at`, by
        // entitlement index, and that of a scheduled `denies everything`.
        let mut scheduled: Vec<Option<DateTime<Utc>>> = vec![None; count];
        let mut scheduled_everything: Option<DateTime<Utc>> = None;
        let mut upcoming = Vec::new();

        for (rule_index, rule) in compiled.rules.iter().enumerate() {
            let truth = rule.cond.eval(values);
            match &rule.effect {
                CEffect::Grant(targets) => {
                    if truth != Truth::True {
                        continue;
                    }
                    let WindowEval::Known { from, close, lasts } = rule.window.eval(values, tz)
                    else {
                        continue;
                    };
                    for target in targets {
                        let Some(entitlement) = compiled.entitlements.get(target.entitlement)
                        else {
                            continue;
                        };
                        match window_status(from, close, entitlement.max_duration, tz, at) {
                            WindowStatus::Open { opens, closes } => {
                                if let Some(list) = reasons.get_mut(target.entitlement) {
                                    list.push(Reason {
                                        rule: rule.name.clone(),
                                        source: rule.source.clone(),
                                        via: target.via.clone(),
                                        valid_from: opens,
                                        valid_until: closes,
                                        lasts,
                                        approval: rule.approval.clone(),
                                    });
                                }
                            }
                            WindowStatus::NotYetOpen(opens_at) => {
                                upcoming.push((
                                    opens_at,
                                    entitlement.name.as_str(),
                                    rule_index,
                                    UpcomingGrant {
                                        entitlement: entitlement.name.clone(),
                                        rule: rule.name.clone(),
                                        source: rule.source.clone(),
                                        opens_at,
                                    },
                                ));
                            }
                            WindowStatus::Expired(_) | WindowStatus::Empty { .. } => {}
                        }
                    }
                }
                CEffect::Deny(targets) => {
                    if truth == Truth::False {
                        continue;
                    }
                    let deny = self.deny_eval(rule, truth, values, at);
                    if !deny.applies {
                        if let RuleOutcome::NotYetOpen { opens_at } = deny.outcome {
                            for target in targets {
                                if let Some(slot) = scheduled.get_mut(target.entitlement) {
                                    *slot = earlier(*slot, Some(opens_at));
                                }
                            }
                        }
                        continue;
                    }
                    let reason = DenyReason {
                        rule: rule.name.clone(),
                        source: rule.source.clone(),
                        missing_attributes: deny.missing,
                    };
                    for target in targets {
                        if let Some(list) = denies.get_mut(target.entitlement) {
                            // A rule may reach an entitlement through two roles.
                            if list.last().map(|(r, _)| *r) != Some(rule_index) {
                                list.push((rule_index, reason.clone()));
                            }
                        }
                    }
                }
                CEffect::DenyEverything => {
                    if truth == Truth::False {
                        continue;
                    }
                    let deny = self.deny_eval(rule, truth, values, at);
                    if let RuleOutcome::NotYetOpen { opens_at } = deny.outcome {
                        scheduled_everything = earlier(scheduled_everything, Some(opens_at));
                    } else if deny.applies {
                        deny_everything.push((
                            rule_index,
                            DenyReason {
                                rule: rule.name.clone(),
                                source: rule.source.clone(),
                                missing_attributes: deny.missing,
                            },
                        ));
                    }
                }
            }
        }

        let mut entitlements = Vec::new();
        let mut denied = Vec::new();
        let mut held = vec![false; count];
        for &index in &compiled.by_name {
            let (Some(entitlement), Some(list), Some(deny_list)) = (
                compiled.entitlements.get(index),
                reasons.get_mut(index),
                denies.get_mut(index),
            ) else {
                continue;
            };
            if list.is_empty() {
                continue;
            }
            let mut list = std::mem::take(list);
            if deny_list.is_empty() && deny_everything.is_empty() {
                if let Some(flag) = held.get_mut(index) {
                    *flag = true;
                }
                // The grant ends when a scheduled deny begins.
                let cut = earlier(
                    scheduled.get(index).copied().flatten(),
                    scheduled_everything,
                );
                if cut.is_some() {
                    for reason in &mut list {
                        reason.valid_until = earlier(reason.valid_until, cut);
                    }
                }
                entitlements.push(granted_entitlement(
                    &entitlement.name,
                    entitlement.sensitive,
                    entitlement.max_duration,
                    list,
                ));
            } else {
                let mut by: Vec<(usize, DenyReason)> = std::mem::take(deny_list);
                by.extend(deny_everything.iter().cloned());
                by.sort_by_key(|(rule_index, _)| *rule_index);
                let mut granted_by: Vec<RuleRef> = Vec::new();
                for reason in list {
                    if granted_by.last().map(|r| &r.rule) != Some(&reason.rule) {
                        granted_by.push(RuleRef {
                            rule: reason.rule,
                            source: reason.source,
                        });
                    }
                }
                denied.push(DeniedEntitlement {
                    entitlement: entitlement.name.clone(),
                    denied_by: by.into_iter().map(|(_, reason)| reason).collect(),
                    granted_by,
                });
            }
        }

        upcoming.sort_by(|a, b| (a.0, a.1, a.2).cmp(&(b.0, b.1, b.2)));
        upcoming.dedup_by(|a, b| a.1 == b.1 && a.2 == b.2 && a.0 == b.0);
        let upcoming = upcoming.into_iter().map(|(_, _, _, u)| u).collect();

        let holds = |i: &usize| held.get(*i).copied().unwrap_or(false);
        let conflicts = compiled
            .separations
            .iter()
            .filter(|s| {
                s.left_entitlements.iter().any(holds) && s.right_entitlements.iter().any(holds)
            })
            .map(|s| SeparationConflict {
                left: s.left.clone(),
                right: s.right.clone(),
                source: s.source.clone(),
            })
            .collect();

        Decision {
            at,
            entitlements,
            denied,
            upcoming,
            conflicts,
            warnings: self.warnings(values, &unknown_fields),
        }
    }

    /// The names of the rules that take effect for `identity` at `at`, in
    /// source order: grants whose condition holds and whose window is open
    /// for at least one of their entitlements, and denies that apply
    /// (including fail closed). This is what rule coverage counts.
    pub fn applying_rules(&self, identity: &Identity, at: DateTime<Utc>) -> Vec<&str> {
        let (values, _) = self.adopt(identity);
        let values: &Values = &values;
        let compiled = &self.compiled;
        let tz = compiled.timezone;
        let mut applying = Vec::new();
        for rule in &compiled.rules {
            let truth = rule.cond.eval(values);
            let applies = match &rule.effect {
                CEffect::Grant(targets) => {
                    truth == Truth::True
                        && match rule.window.eval(values, tz) {
                            WindowEval::Known { from, close, .. } => targets.iter().any(|target| {
                                let cap = compiled
                                    .entitlements
                                    .get(target.entitlement)
                                    .and_then(|e| e.max_duration);
                                matches!(
                                    window_status(from, close, cap, tz, at),
                                    WindowStatus::Open { .. }
                                )
                            }),
                            WindowEval::Missing(_) => false,
                        }
                }
                _ => truth != Truth::False && self.deny_eval(rule, truth, values, at).applies,
            };
            if applies {
                applying.push(rule.name.as_str());
            }
        }
        applying
    }

    /// Why `entitlement` is or is not granted to `identity` at `at`, rule by
    /// rule.
    pub fn explain(
        &self,
        identity: &Identity,
        entitlement: &str,
        at: DateTime<Utc>,
    ) -> Result<Explanation, UnknownEntitlement> {
        explain::explain(self, identity, entitlement, at)
    }
}

/// The decision entry of a granted (or pending) entitlement. Its window is
/// computed over [`GrantedEntitlement::window_reasons`]: when granted, only
/// the reasons that grant without approval; `cap` is reported when one of
/// those has no start.
fn granted_entitlement(
    name: &str,
    sensitive: bool,
    cap: Option<Duration>,
    reasons: Vec<Reason>,
) -> GrantedEntitlement {
    let pending = reasons.iter().all(|r| r.approval.is_some());
    let mut approvers: Vec<String> = if pending {
        reasons
            .iter()
            .filter_map(|r| r.approval.as_ref()?.by.clone())
            .collect()
    } else {
        Vec::new()
    };
    approvers.sort();
    approvers.dedup();
    let mut granted = GrantedEntitlement {
        entitlement: name.to_string(),
        status: if pending {
            GrantStatus::PendingApproval
        } else {
            GrantStatus::Granted
        },
        approvers,
        valid_from: None,
        valid_until: None,
        sensitive,
        max_duration: None,
        reasons,
    };
    granted.valid_from = granted
        .window_reasons()
        .map(|r| r.valid_from)
        .collect::<Option<Vec<_>>>()
        .and_then(|starts| starts.into_iter().min());
    granted.valid_until = granted
        .window_reasons()
        .map(|r| r.valid_until)
        .collect::<Option<Vec<_>>>()
        .and_then(|ends| ends.into_iter().max());
    if granted.window_reasons().any(|r| r.valid_from.is_none()) {
        granted.max_duration = cap;
    }
    granted
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
