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
    Decision, DeniedEntitlement, DenyReason, GrantedEntitlement, Reason, Reasons, RuleName,
    RuleOutcome, RuleRef, SeparationConflict, UpcomingGrant, Warning,
};
use crate::program::HotKind;
use crate::{earlier, granted_entitlement, window_status, Evaluator, WindowEval, WindowStatus};

/// One open grant of one entitlement by one rule target. Grants are found
/// in rule order, then target order; `Scratch::order` sorts them by
/// entitlement.
#[derive(Debug, Clone, Copy)]
struct GrantHit {
    rule: u32,
    /// The position of the target among the rule's targets.
    target: u32,
    /// Index into `Scratch::windows`, or [`NO_WINDOW`]: open with no bound.
    window: u32,
}

const NO_WINDOW: u32 = u32::MAX;

impl Scratch {
    /// Records an open grant of the entitlement at position `rank` in name
    /// order. Grants must come in rule order, then target order.
    fn grant(&mut self, rank: usize, rule: usize, target: usize, window: u32) {
        let (Ok(rank), Ok(rule), Ok(target), Ok(hit)) = (
            u32::try_from(rank),
            u32::try_from(rule),
            u32::try_from(target),
            u32::try_from(self.grants.len()),
        ) else {
            return;
        };
        self.order.push((u64::from(rank) << 32) | u64::from(hit));
        self.grants.push(GrantHit {
            rule,
            target,
            window,
        });
    }
}

/// The entitlement rank of an entry of `Scratch::order`.
fn rank_of_order(entry: u64) -> usize {
    (entry >> 32) as usize
}

/// The grant of an entry of `Scratch::order` (an index into
/// `Scratch::grants`).
fn grant_of_order(entry: u64) -> usize {
    (entry & u64::from(u32::MAX)) as usize
}

/// The bounds of an open grant: opening, closing (exclusive) and `lasts`.
type Bounds = (
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    Option<Duration>,
);

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
    /// The rules to examine, ascending.
    pub(crate) candidates: Vec<u32>,
    /// The identity's values as [`Programs`](crate::program::Programs) codes.
    pub(crate) codes: Vec<u32>,
    pub(crate) lookup: Lookup,
    /// What the reads made to warm the caches gave (see `Programs::warm`);
    /// kept so that the reads are made.
    warm: u64,
    grants: Vec<GrantHit>,
    /// One entry per grant: the entitlement's rank (high half) and the
    /// grant's index in `grants` (low half); sorted, the grants of each
    /// entitlement in rule order, then target order.
    order: Vec<u64>,
    /// The reasons of the entitlements that have more than one, while a
    /// decision is built.
    overflow: Vec<Reason>,
    /// Their entitlements (index into the decision's) and their reasons'
    /// range in `overflow`.
    shared: Vec<(usize, u32, u32)>,
    /// The bounds of the grants that have some.
    windows: Vec<Bounds>,
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
            codes: Vec::new(),
            lookup: Lookup::new(),
            warm: 0,
            grants: Vec::new(),
            order: Vec::new(),
            overflow: Vec::new(),
            shared: Vec::new(),
            windows: Vec::new(),
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
        self.order.clear();
        self.overflow.clear();
        self.shared.clear();
        self.windows.clear();
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

impl Evaluator {
    /// Encodes the identity's values into `s.codes` and finds the rules to
    /// examine (indexed and always-examined, ascending) into `s.candidates`.
    pub(crate) fn find_candidates(&self, values: &Values, s: &mut Scratch) {
        self.programs.encode(values, &mut s.codes);
        self.index
            .candidates(values, &s.codes, &mut s.lookup, &mut s.candidates);
        s.warm = u64::from(self.programs.warm(&s.candidates));
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
        let (truth, grants) = match codes.and_then(|c| Some((c, self.programs.rule(index)?))) {
            Some((codes, hot)) => (
                self.programs.eval(hot, values, codes),
                hot.kind != HotKind::Deny,
            ),
            None => {
                let rule = self.compiled.rules.get(index)?;
                (
                    rule.cond.eval(values),
                    matches!(rule.effect, CEffect::Grant(_)),
                )
            }
        };
        let effective = match truth {
            Truth::True => true,
            Truth::False => false,
            Truth::Unknown => !grants,
        };
        effective.then_some(truth)
    }

    /// The shared record of rule `index`: from the indexed evaluation's
    /// rule records when `indexed`, else from the rule's resolved form.
    fn shared(&self, index: usize, indexed: bool) -> Option<&RuleName> {
        if indexed {
            self.programs.shared(index)
        } else {
            self.compiled.rules.get(index).map(|rule| &rule.shared)
        }
    }

    /// The decision, examining the rules of `candidates` (ascending). With
    /// `codes` (the indexed evaluation), a rule's condition is evaluated
    /// from its program, and a grant without a window is decided from its
    /// program's block alone (its header and the targets that follow the
    /// program); every other rule, and every rule without `codes` (the
    /// plain evaluation, the reference), from its resolved form: its tree
    /// (as [`effective_truth`](Self::effective_truth) says), its effect
    /// and its window.
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
        let indexed = codes.is_some();
        let tz = compiled.timezone;
        let rank_of = |entitlement: usize| compiled.rank.get(entitlement).copied();
        let mut scheduled_everything: Option<DateTime<Utc>> = None;

        for rule_index in candidates {
            // With codes, from the rule's program when it has one.
            let program = codes.and_then(|codes| Some((codes, self.programs.rule(rule_index)?)));
            let truth = match program {
                Some((codes, hot)) => {
                    let truth = self.programs.eval(hot, values, codes);
                    match (hot.kind, truth) {
                        // A grant without a window whose condition holds:
                        // open, unbounded, for every target.
                        (HotKind::SimpleGrant, Truth::True) => {
                            for (target, rank) in self.programs.targets(hot) {
                                s.grant(rank as usize, rule_index, target as usize, NO_WINDOW);
                            }
                            continue;
                        }
                        // Without effect.
                        (HotKind::SimpleGrant | HotKind::Grant, Truth::False | Truth::Unknown)
                        | (HotKind::Deny, Truth::False) => continue,
                        // From the resolved form.
                        (HotKind::Grant, Truth::True) | (HotKind::Deny, _) => truth,
                    }
                }
                None => match compiled.rules.get(rule_index) {
                    Some(rule) => rule.cond.eval(values),
                    None => continue,
                },
            };
            let Some(rule) = compiled.rules.get(rule_index) else {
                continue;
            };
            // The rules with an effect only (see `effective_truth`).
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
                            WindowStatus::Open { opens, closes } => {
                                let window = match (opens, closes, lasts) {
                                    (None, None, None) => NO_WINDOW,
                                    bounds => {
                                        let Ok(window) = u32::try_from(s.windows.len()) else {
                                            continue;
                                        };
                                        s.windows.push(bounds);
                                        window
                                    }
                                };
                                s.grant(rank, rule_index, target_index, window);
                            }
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

        // The shared records of the rules that grant and the entitlements
        // they grant are read below, after sorting; at scale most are out
        // of cache, and reading them means changing their reference counts
        // (an instruction that waits for every earlier read). Read them
        // first, one after the other with nothing depending on them, so that
        // their cache misses overlap.
        let mut warm = 0;
        for &entry in &s.order {
            if let Some(entitlement) = compiled.ranked.get(rank_of_order(entry)) {
                warm += Arc::strong_count(&entitlement.name);
            }
            let rule = s.grants.get(grant_of_order(entry)).map(|g| g.rule as usize);
            if let Some(shared) = rule.and_then(|rule| self.shared(rule, indexed)) {
                warm += shared.strong_count();
            }
        }
        s.warm = s.warm.wrapping_add(warm as u64);

        // Reasons in rule order (then target order) within each entitlement:
        // the order they were found in.
        s.order.sort_unstable();
        // A rule may reach an entitlement through two roles: once is enough.
        s.denies.sort_unstable_by_key(|d| (d.rank, d.rule));
        s.denies.dedup_by_key(|d| (d.rank, d.rule));
        s.scheduled.sort_unstable();

        let deny_reason = |applied: usize| -> Option<DenyReason> {
            let (rule_index, missing) = s.applied.get(applied)?;
            let rule = compiled.rules.get(*rule_index)?;
            Some(DenyReason {
                rule: Arc::clone(rule.name()),
                source: Arc::clone(rule.source()),
                missing_attributes: missing.clone(),
            })
        };

        // One entry per entitlement granted: sized once, as the entries are
        // large.
        let by_rank = |a: &u64, b: &u64| rank_of_order(*a) == rank_of_order(*b);
        let granted_count = s.order.chunk_by(by_rank).count();
        let mut entitlements: Vec<GrantedEntitlement> = Vec::with_capacity(granted_count);
        let mut denied: Vec<DeniedEntitlement> = Vec::new();
        // The ranks of the entitlements held, ascending.
        let mut held: Vec<usize> = std::mem::take(&mut s.held);
        let mut denies = s.denies.chunk_by(|a, b| a.rank == b.rank).peekable();
        let mut scheduled = s.scheduled.iter().peekable();
        for group in s.order.chunk_by(by_rank) {
            let Some(rank) = group.first().map(|&entry| rank_of_order(entry)) else {
                continue;
            };
            let Some(entitlement) = compiled.ranked.get(rank) else {
                continue;
            };
            let hits = group
                .iter()
                .filter_map(|&entry| s.grants.get(grant_of_order(entry)));
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
                held.push(rank);
                // The grant ends when a scheduled deny begins.
                let cut = earlier(scheduled_here, scheduled_everything);
                let reason = |hit: &GrantHit| -> Option<Reason> {
                    let shared = self.shared(hit.rule as usize, indexed)?;
                    let (opens, closes, lasts) = match hit.window {
                        NO_WINDOW => (None, None, None),
                        window => *s.windows.get(window as usize)?,
                    };
                    Some(Reason::new(
                        shared.clone(),
                        hit.target,
                        opens,
                        earlier(closes, cut),
                        lasts,
                    ))
                };
                if let [_] = group {
                    // Usually one reason, held in place.
                    let Some(reason) = hits.filter_map(reason).next() else {
                        continue;
                    };
                    entitlements.push(granted_entitlement(
                        &entitlement.name,
                        entitlement.sensitive,
                        entitlement.max_duration,
                        Reasons::one(reason),
                        None,
                    ));
                } else {
                    // More: in the decision's shared list (below).
                    let start = s.overflow.len();
                    s.overflow.extend(hits.filter_map(reason));
                    let (Ok(at), Ok(len)) = (
                        u32::try_from(start),
                        u32::try_from(s.overflow.len() - start),
                    ) else {
                        continue;
                    };
                    s.shared.push((entitlements.len(), at, len));
                    entitlements.push(granted_entitlement(
                        &entitlement.name,
                        entitlement.sensitive,
                        entitlement.max_duration,
                        Reasons::new(),
                        Some(s.overflow.get(start..).unwrap_or(&[])),
                    ));
                }
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
                for hit in hits {
                    if last_rule == Some(hit.rule) {
                        continue;
                    }
                    last_rule = Some(hit.rule);
                    if let Some(rule) = compiled.rules.get(hit.rule as usize) {
                        granted_by.push(RuleRef {
                            rule: Arc::clone(rule.name()),
                            source: Arc::clone(rule.source()),
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

        // The entitlements with more than one reason share one list.
        if !s.shared.is_empty() {
            let all: Arc<[Reason]> = s.overflow.drain(..).collect();
            for &(at, start, len) in &s.shared {
                if let Some(granted) = entitlements.get_mut(at) {
                    granted.reasons = Reasons::shared(&all, start, len);
                }
            }
        }

        s.upcoming
            .sort_unstable_by_key(|u| (u.opens_at, u.rank, u.rule, u.target));
        s.upcoming.dedup_by_key(|u| (u.opens_at, u.rank, u.rule));
        let mut upcoming: Vec<UpcomingGrant> = Vec::with_capacity(s.upcoming.len());
        upcoming.extend(s.upcoming.iter().filter_map(|u| {
            let rule = compiled.rules.get(u.rule)?;
            let entitlement = compiled.ranked.get(u.rank)?;
            Some(UpcomingGrant {
                entitlement: Arc::clone(&entitlement.name),
                rule: Arc::clone(rule.name()),
                source: Arc::clone(rule.source()),
                opens_at: u.opens_at,
            })
        }));

        // Separations: only those naming a held entitlement can conflict.
        let holds = |rank: &usize| held.binary_search(rank).is_ok();
        s.separations.clear();
        for &rank in &held {
            if let Some(list) = compiled.separations_of.get(rank) {
                s.separations.extend_from_slice(list);
            }
        }
        if s.separations.len() > 1 {
            s.separations.sort_unstable();
            s.separations.dedup();
        }
        let conflicts: Vec<SeparationConflict> = s
            .separations
            .iter()
            .filter_map(|&i| compiled.separations.get(i))
            .filter(|sep| sep.left_ranks.iter().any(holds) && sep.right_ranks.iter().any(holds))
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
                applying.push(&**rule.name());
            }
        }
        applying
    }
}
