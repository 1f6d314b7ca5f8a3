//! The decision pipeline shared by the plain and the indexed evaluation: it
//! examines the rules it is given, in ascending source order, and builds the
//! decision from those that take effect. The plain evaluation gives it every
//! rule; the indexed one the rules the index cannot rule out. Both give the
//! same decision because every rule left out has no effect (see `index.rs`).
//!
//! The work grows with the rules examined and the entitlements they touch,
//! not with the size of the catalogue: what applies is collected in flat
//! lists (reused between calls on the same thread) and sorted, and the output
//! shares the evaluator's names (reference counted) instead of copying them.

use std::cell::Cell;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use grantline_ir::Duration;

use crate::compile::{CEffect, Truth, Values};
use crate::index::Lookup;
use crate::output::{
    Decision, DeniedEntitlement, DenyReason, GrantedEntitlement, Reason, RuleOutcome, RuleRef,
    SeparationConflict, UpcomingGrant, Warning,
};
use crate::{earlier, granted_entitlement, window_status, Evaluator, WindowEval, WindowStatus};

/// One open grant of one entitlement by one rule target.
#[derive(Debug, Clone, Copy)]
struct GrantHit {
    /// The entitlement's position in name order.
    rank: usize,
    rule: usize,
    /// The index of the target in the rule's targets.
    target: usize,
    opens: Option<DateTime<Utc>>,
    closes: Option<DateTime<Utc>>,
    lasts: Option<Duration>,
}

/// An applying deny of one entitlement.
#[derive(Debug, Clone, Copy)]
struct DenyHit {
    rank: usize,
    rule: usize,
    /// Index into `Scratch::applied`.
    applied: usize,
}

#[derive(Debug, Clone, Copy)]
struct UpcomingHit {
    opens_at: DateTime<Utc>,
    rank: usize,
    rule: usize,
    target: usize,
}

/// Working space of one evaluation, kept per thread between calls so that
/// a decision allocates only its output.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    pub(crate) candidates: Vec<u32>,
    /// The examined rules that have an effect, with their condition's truth.
    effective: Vec<(usize, Truth)>,
    /// The identity's values as [`Programs`](crate::program::Programs) codes.
    pub(crate) codes: Vec<u32>,
    pub(crate) lookup: Lookup,
    grants: Vec<GrantHit>,
    denies: Vec<DenyHit>,
    /// Applying deny rules: the rule and the missing attributes it applied
    /// because of.
    applied: Vec<(usize, Vec<String>)>,
    /// Indices into `applied` of the applying `denies everything` rules.
    everything: Vec<usize>,
    /// Scheduled denies: (entitlement rank, opening).
    scheduled: Vec<(usize, DateTime<Utc>)>,
    upcoming: Vec<UpcomingHit>,
    held: Vec<usize>,
    separations: Vec<usize>,
    /// The denies of one entitlement: (rule, index into `applied`).
    by: Vec<(usize, usize)>,
}

impl Scratch {
    const fn new() -> Scratch {
        Scratch {
            candidates: Vec::new(),
            effective: Vec::new(),
            codes: Vec::new(),
            lookup: Lookup::new(),
            grants: Vec::new(),
            denies: Vec::new(),
            applied: Vec::new(),
            everything: Vec::new(),
            scheduled: Vec::new(),
            upcoming: Vec::new(),
            held: Vec::new(),
            separations: Vec::new(),
            by: Vec::new(),
        }
    }

    fn clear(&mut self) {
        self.grants.clear();
        self.denies.clear();
        self.applied.clear();
        self.everything.clear();
        self.scheduled.clear();
        self.upcoming.clear();
        self.held.clear();
        self.separations.clear();
        self.by.clear();
    }
}

thread_local! {
    static SCRATCH: Cell<Scratch> = const { Cell::new(Scratch::new()) };
}

/// Runs `f` with this thread's scratch space (a fresh one when it is in use,
/// as in a nested call, or when the thread is shutting down).
pub(crate) fn with_scratch<R>(f: impl FnOnce(&mut Scratch) -> R) -> R {
    let mut scratch = SCRATCH.try_with(Cell::take).unwrap_or_default();
    let result = f(&mut scratch);
    let _ = SCRATCH.try_with(|cell| cell.set(scratch));
    result
}

/// The rule indices of two ascending lists, merged (ascending).
pub(crate) fn merged<'a>(a: &'a [u32], b: &'a [u32]) -> impl Iterator<Item = usize> + 'a {
    let mut a = a.iter().peekable();
    let mut b = b.iter().peekable();
    std::iter::from_fn(move || {
        let next = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) if x <= y => a.next(),
            (Some(_), Some(_)) => b.next(),
            (Some(_), None) => a.next(),
            (None, _) => b.next(),
        };
        next.map(|&r| r as usize)
    })
}

impl Evaluator {
    /// Encodes the identity's values into `s.codes` and finds its indexed
    /// candidate rules into `s.candidates`.
    pub(crate) fn find_candidates(&self, values: &Values, s: &mut Scratch) {
        self.programs.encode(values, &mut s.codes);
        self.index
            .candidates(values, &s.codes, &mut s.lookup, &mut s.candidates);
    }

    /// The truth of a rule's condition: from its compiled program when
    /// `codes` (the identity's encoded values) are given, else from its
    /// tree. `None` when the rule has no effect with it (a grant whose
    /// condition is not true, a deny whose condition is false).
    pub(crate) fn effective_truth(
        &self,
        index: usize,
        values: &Values,
        codes: Option<&[u32]>,
    ) -> Option<Truth> {
        let truth = match codes.and_then(|codes| self.programs.eval(index, values, codes)) {
            Some(truth) => truth,
            None => self.compiled.rules.get(index)?.cond.eval(values),
        };
        (!self.programs.without_effect(index, truth)).then_some(truth)
    }

    /// The decision, examining the rules of `candidates` (ascending), their
    /// conditions evaluated as [`effective_truth`](Self::effective_truth)
    /// says.
    pub(crate) fn decide(
        &self,
        values: &Values,
        codes: Option<&[u32]>,
        unknown_fields: &[String],
        at: DateTime<Utc>,
        candidates: impl Iterator<Item = usize>,
        s: &mut Scratch,
    ) -> Decision {
        s.clear();
        let compiled = &self.compiled;
        let tz = compiled.timezone;
        let rank_of = |entitlement: usize| compiled.rank.get(entitlement).copied();
        let mut scheduled_everything: Option<DateTime<Utc>> = None;

        // First the conditions alone, then the rules with an effect: the
        // records of those rules are read in a second, short loop (at scale
        // they are mostly out of cache, and independent reads overlap).
        let mut effective = std::mem::take(&mut s.effective);
        effective.clear();
        effective.extend(candidates.filter_map(|rule_index| {
            Some((rule_index, self.effective_truth(rule_index, values, codes)?))
        }));
        for &(rule_index, truth) in &effective {
            let Some(rule) = compiled.rules.get(rule_index) else {
                continue;
            };
            match &rule.effect {
                CEffect::Grant(targets) => {
                    if truth != Truth::True {
                        continue;
                    }
                    let WindowEval::Known { from, close, lasts } = rule.window.eval(values, tz)
                    else {
                        continue;
                    };
                    for (target_index, target) in targets.iter().enumerate() {
                        let (Some(entitlement), Some(rank)) = (
                            compiled.entitlements.get(target.entitlement),
                            rank_of(target.entitlement),
                        ) else {
                            continue;
                        };
                        match window_status(from, close, entitlement.max_duration, tz, at) {
                            WindowStatus::Open { opens, closes } => s.grants.push(GrantHit {
                                rank,
                                rule: rule_index,
                                target: target_index,
                                opens,
                                closes,
                                lasts,
                            }),
                            WindowStatus::NotYetOpen(opens_at) => s.upcoming.push(UpcomingHit {
                                opens_at,
                                rank,
                                rule: rule_index,
                                target: target_index,
                            }),
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
                                if let Some(rank) = rank_of(target.entitlement) {
                                    s.scheduled.push((rank, opens_at));
                                }
                            }
                        }
                        continue;
                    }
                    let applied = s.applied.len();
                    s.applied.push((rule_index, deny.missing));
                    for target in targets {
                        if let Some(rank) = rank_of(target.entitlement) {
                            s.denies.push(DenyHit {
                                rank,
                                rule: rule_index,
                                applied,
                            });
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
                        s.everything.push(s.applied.len());
                        s.applied.push((rule_index, deny.missing));
                    }
                }
            }
        }

        // Reasons in rule order (then target order) within each entitlement.
        s.grants
            .sort_unstable_by_key(|g| (g.rank, g.rule, g.target));
        // A rule may reach an entitlement through two roles: once is enough.
        s.denies.sort_unstable_by_key(|d| (d.rank, d.rule));
        s.denies.dedup_by_key(|d| (d.rank, d.rule));
        s.scheduled.sort_unstable();

        let deny_reason = |applied: usize| -> Option<DenyReason> {
            let (rule_index, missing) = s.applied.get(applied)?;
            let rule = compiled.rules.get(*rule_index)?;
            Some(DenyReason {
                rule: Arc::clone(&rule.name),
                source: Arc::clone(&rule.source),
                missing_attributes: missing.clone(),
            })
        };

        // One entry per entitlement granted: sized once, as the entries are
        // large.
        let granted_count = s.grants.chunk_by(|a, b| a.rank == b.rank).count();
        let mut entitlements: Vec<GrantedEntitlement> = Vec::with_capacity(granted_count);
        let mut denied: Vec<DeniedEntitlement> = Vec::new();
        let mut held: Vec<usize> = std::mem::take(&mut s.held);
        let mut denies = s.denies.chunk_by(|a, b| a.rank == b.rank).peekable();
        let mut scheduled = s.scheduled.iter().peekable();
        for group in s.grants.chunk_by(|a, b| a.rank == b.rank) {
            let Some(rank) = group.first().map(|g| g.rank) else {
                continue;
            };
            let Some((index, entitlement)) = compiled
                .by_name
                .get(rank)
                .and_then(|&i| Some((i, compiled.entitlements.get(i)?)))
            else {
                continue;
            };
            while denies
                .peek()
                .and_then(|d| d.first())
                .is_some_and(|d| d.rank < rank)
            {
                denies.next();
            }
            let deny_group: &[DenyHit] = match denies.peek() {
                Some(d) if d.first().is_some_and(|d| d.rank == rank) => d,
                _ => &[],
            };
            while scheduled.peek().is_some_and(|(r, _)| *r < rank) {
                scheduled.next();
            }
            // Sorted by (rank, opening): the first of the rank is the earliest.
            let scheduled_here = scheduled
                .peek()
                .filter(|(r, _)| *r == rank)
                .map(|(_, opens_at)| *opens_at);

            if deny_group.is_empty() && s.everything.is_empty() {
                held.push(index);
                // The grant ends when a scheduled deny begins.
                let cut = earlier(scheduled_here, scheduled_everything);
                let mut reasons: Vec<Reason> = Vec::with_capacity(group.len());
                reasons.extend(group.iter().filter_map(|hit| {
                    let rule = compiled.rules.get(hit.rule)?;
                    let CEffect::Grant(targets) = &rule.effect else {
                        return None;
                    };
                    let target = targets.get(hit.target)?;
                    Some(Reason {
                        rule: Arc::clone(&rule.name),
                        source: Arc::clone(&rule.source),
                        via: Arc::clone(&target.via),
                        valid_from: hit.opens,
                        valid_until: earlier(hit.closes, cut),
                        lasts: hit.lasts,
                        approval: rule.approval.clone(),
                    })
                }));
                entitlements.push(granted_entitlement(
                    &entitlement.name,
                    entitlement.sensitive,
                    entitlement.max_duration,
                    reasons,
                ));
            } else {
                // Denies of this entitlement and `denies everything`, in
                // rule order.
                s.by.clear();
                s.by.extend(deny_group.iter().map(|d| (d.rule, d.applied)));
                s.by.extend(s.everything.iter().filter_map(|&applied| {
                    s.applied.get(applied).map(|(rule, _)| (*rule, applied))
                }));
                s.by.sort_unstable();
                let mut granted_by: Vec<RuleRef> = Vec::new();
                let mut last_rule = None;
                for hit in group {
                    if last_rule == Some(hit.rule) {
                        continue;
                    }
                    last_rule = Some(hit.rule);
                    if let Some(rule) = compiled.rules.get(hit.rule) {
                        granted_by.push(RuleRef {
                            rule: Arc::clone(&rule.name),
                            source: Arc::clone(&rule.source),
                        });
                    }
                }
                denied.push(DeniedEntitlement {
                    entitlement: Arc::clone(&entitlement.name),
                    denied_by: s
                        .by
                        .iter()
                        .filter_map(|&(_, applied)| deny_reason(applied))
                        .collect(),
                    granted_by,
                });
            }
        }

        s.effective = effective;
        s.upcoming
            .sort_unstable_by_key(|u| (u.opens_at, u.rank, u.rule, u.target));
        s.upcoming.dedup_by_key(|u| (u.opens_at, u.rank, u.rule));
        let mut upcoming: Vec<UpcomingGrant> = Vec::with_capacity(s.upcoming.len());
        upcoming.extend(s.upcoming.iter().filter_map(|u| {
            let rule = compiled.rules.get(u.rule)?;
            let entitlement = compiled
                .by_name
                .get(u.rank)
                .and_then(|&i| compiled.entitlements.get(i))?;
            Some(UpcomingGrant {
                entitlement: Arc::clone(&entitlement.name),
                rule: Arc::clone(&rule.name),
                source: Arc::clone(&rule.source),
                opens_at: u.opens_at,
            })
        }));

        // Separations: only those naming a held entitlement can conflict.
        held.sort_unstable();
        let holds = |i: &usize| held.binary_search(i).is_ok();
        s.separations.clear();
        for &index in &held {
            if let Some(list) = compiled.separations_of.get(index) {
                s.separations.extend_from_slice(list);
            }
        }
        s.separations.sort_unstable();
        s.separations.dedup();
        let conflicts: Vec<SeparationConflict> = s
            .separations
            .iter()
            .filter_map(|&i| compiled.separations.get(i))
            .filter(|sep| {
                sep.left_entitlements.iter().any(holds) && sep.right_entitlements.iter().any(holds)
            })
            .map(|sep| SeparationConflict {
                left: sep.left.clone(),
                right: sep.right.clone(),
                source: Arc::clone(&sep.source),
            })
            .collect();
        held.clear();
        s.held = held;

        let warnings: Vec<Warning> = self.warnings(values, unknown_fields);
        Decision {
            at,
            entitlements,
            denied,
            upcoming,
            conflicts,
            warnings,
            checks: Vec::new(),
            errors: Vec::new(),
        }
    }

    /// The names of the rules of `candidates` (ascending) that take effect.
    pub(crate) fn applying<'a>(
        &'a self,
        values: &Values,
        codes: Option<&[u32]>,
        at: DateTime<Utc>,
        candidates: impl Iterator<Item = usize>,
    ) -> Vec<&'a str> {
        let compiled = &self.compiled;
        let tz = compiled.timezone;
        let mut applying = Vec::new();
        for rule_index in candidates {
            let Some(truth) = self.effective_truth(rule_index, values, codes) else {
                continue;
            };
            let Some(rule) = compiled.rules.get(rule_index) else {
                continue;
            };
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
                applying.push(&*rule.name);
            }
        }
        applying
    }
}
