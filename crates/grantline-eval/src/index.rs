//! The rule index: which rules can take effect for an identity, found
//! without looking at the others.
//!
//! The index never decides anything. It only narrows the rules the shared
//! decision pipeline examines, and it may only leave out rules that are
//! provably without effect for the identity:
//!
//! - a grant takes effect only when its condition is **true**;
//! - a deny (and `denies everything`) takes effect, or schedules itself, only
//!   when its condition is **not false** (true or unknown: fail closed).
//!
//! For every rule the index derives, from its condition, facts of the form
//! "if the condition is true (grants) / not false (denies), then the
//! identity's *state* for attribute `a` is one of these". The state of a
//! value-set or text attribute is its value (one of the texts the rules
//! compare it with), *other* (any other text) or *unknown* (missing, or a
//! value of the wrong kind); the state of a flag is *yes* (present and true),
//! *no* (absent or false) or *unknown* (a value of the wrong kind). A list
//! of text has several states at once: each of its items that some rule
//! looks for with `contains` (and *unknown* for a value of the wrong kind);
//! its facts read "one of the list's states is one of these". The facts
//! follow Kleene logic exactly (see [`Mode`]): `and`, `or` and `not` at any
//! depth; `is`/`in` on value-set and text attributes, flags, and `contains`
//! on lists. Every other test (comparisons, `contains` on text, `present`,
//! numbers, dates) gives no fact.
//!
//! A rule is posted under the key of its two most selective facts (every
//! combination of their states), or of one fact, or, when it has no usable
//! fact, in the always-examined list. At evaluation the identity's states of
//! every anchored attribute are looked up once, then every single key and
//! every pair key they make: the rules found (without repeats) and the
//! always-examined rules are the candidates. Every rule left out has,
//! for this identity, a grant condition that is not true or a deny condition
//! that is false, so it has no effect on the decision, on
//! `applying_rules` or on the verdict of an explanation.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use grantline_ir::AttributeKind;

use crate::compile::{CEffect, Compiled, Cond, Leaf, Test, Values};
use crate::identity::AttributeValue;
use crate::program::{self, Programs};

/// How many keys one rule may be posted under (an `in` expands to one key
/// per value, a pair to the product of both sides). A rule whose best pair
/// needs more falls back to one fact, then to the always-examined list.
pub const MAX_KEYS_PER_RULE: usize = 64;

/// Shapes of the index, for documentation and benchmarks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IndexStats {
    /// Rules of the policy set.
    pub rules: usize,
    /// Rules posted under a pair of facts (two attributes).
    pub by_pair: usize,
    /// Rules posted under one fact (one attribute).
    pub by_single: usize,
    /// Rules examined for every identity: no usable fact (such as `anyone`,
    /// only comparisons, or an `or` over different attributes).
    pub always: usize,
    /// How many of the always-examined rules are denies.
    pub always_denies: usize,
    /// Entries in all posting lists (a rule counts once per key).
    pub postings: usize,
    /// Distinct keys with at least one rule.
    pub keys: usize,
    /// Attributes whose state is looked up for every identity.
    pub anchored_attributes: usize,
    /// Pairs of those attributes that are looked up together.
    pub attribute_pairs: usize,
}

/// Which truth of a condition the facts are derived for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// The condition is true (a grant applies).
    True,
    /// The condition is true or unknown (a deny applies).
    NotFalse,
    /// The condition is false.
    False,
    /// The condition is false or unknown.
    NotTrue,
}

impl Mode {
    /// The mode of `x` when `not x` is in this mode.
    fn negate(self) -> Mode {
        match self {
            Mode::True => Mode::False,
            Mode::False => Mode::True,
            Mode::NotFalse => Mode::NotTrue,
            Mode::NotTrue => Mode::NotFalse,
        }
    }

    /// Whether the condition is in this mode for every item of an `and`
    /// (true, not false) rather than for at least one (false, not true).
    fn and_is_conjunction(self) -> bool {
        matches!(self, Mode::True | Mode::NotFalse)
    }
}

/// "The state of `attribute` is one of `codes`" (sorted, unique, non-empty);
/// for a list, "one of its states is one of `codes`".
#[derive(Debug, Clone, PartialEq, Eq)]
struct Fact {
    attribute: usize,
    codes: Vec<u32>,
}

/// Facts that hold together, sorted by attribute (at most one per
/// attribute); `None`: the condition is never in the mode.
type Facts = Option<Vec<Fact>>;

/// Flag states.
const YES: u32 = 0;
const NO: u32 = 1;
const FLAG_UNKNOWN: u32 = 2;

/// The states of one attribute while the index is built.
#[derive(Debug)]
enum Universe<'c> {
    /// A value-set or text attribute: the texts the rules test it against
    /// (and, for a value set, every declared value), numbered in order of
    /// appearance; `other` is `texts.len()`, unknown `texts.len() + 1`.
    Text {
        codes: HashMap<&'c str, u32, FastState>,
        texts: Vec<&'c str>,
        /// The number of declared values of a value set; `None` for text.
        declared: Option<usize>,
        optional: bool,
    },
    Flag,
    /// A list of text: the texts rules look for with `contains`, numbered;
    /// unknown is `texts.len()`.
    List {
        codes: HashMap<&'c str, u32, FastState>,
        texts: Vec<&'c str>,
    },
    /// Never anchored.
    Other,
}

impl Universe<'_> {
    fn other(&self) -> u32 {
        match self {
            Universe::Text { texts, .. } => code(texts.len()),
            _ => u32::MAX,
        }
    }

    fn unknown(&self) -> u32 {
        match self {
            Universe::Text { texts, .. } => code(texts.len() + 1),
            Universe::Flag => FLAG_UNKNOWN,
            Universe::List { texts, .. } => code(texts.len()),
            Universe::Other => u32::MAX,
        }
    }

    /// Number of states.
    fn size(&self) -> usize {
        match self {
            Universe::Text { texts, .. } => texts.len() + 2,
            Universe::Flag => 3,
            Universe::List { texts, .. } => texts.len() + 1,
            Universe::Other => 0,
        }
    }

    /// Whether a fact allowing these states tells nothing: it allows every
    /// state. (A list may have none of its states, so a fact about it always
    /// tells something.)
    fn says_nothing(&self, codes: &[u32]) -> bool {
        match self {
            Universe::List { .. } => false,
            _ => codes.len() >= self.size(),
        }
    }

    /// A rough share of identities in one of `codes`, to rank facts.
    fn share(&self, codes: &[u32]) -> f64 {
        match self {
            Universe::Flag => codes
                .iter()
                .map(|&c| if c == FLAG_UNKNOWN { 0.01 } else { 0.5 })
                .sum(),
            // Memberships are sparse: most people are in a few groups.
            Universe::List { texts, .. } => codes
                .iter()
                .map(|&c| if c == code(texts.len()) { 0.01 } else { 0.05 })
                .sum::<f64>()
                .min(1.0),
            Universe::Text {
                texts,
                declared,
                optional,
                ..
            } => {
                let other = self.other();
                let unknown = self.unknown();
                // A value set spreads over its declared values; free text
                // over many more values than the rules name.
                let domain = declared.unwrap_or_else(|| texts.len().max(100)).max(1) as f64;
                let named = texts.len() as f64;
                codes
                    .iter()
                    .map(|&c| {
                        if c == unknown {
                            if *optional {
                                0.5
                            } else {
                                0.02
                            }
                        } else if c == other {
                            if declared.is_some() {
                                0.001
                            } else {
                                ((domain - named) / domain).max(0.01)
                            }
                        } else {
                            1.0 / domain
                        }
                    })
                    .sum::<f64>()
                    .min(1.0)
            }
            Universe::Other => 1.0,
        }
    }
}

fn code(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Derives facts from conditions.
struct Deriver<'c> {
    universes: Vec<Universe<'c>>,
}

impl Deriver<'_> {
    fn facts(&self, cond: &Cond, mode: Mode) -> Facts {
        match cond {
            Cond::True => match mode {
                Mode::True | Mode::NotFalse => Some(Vec::new()),
                Mode::False | Mode::NotTrue => None,
            },
            Cond::Not(inner, _) => self.facts(inner, mode.negate()),
            Cond::And(items) if mode.and_is_conjunction() => self.all_of(items, mode),
            Cond::And(items) => self.any_of(items, mode),
            // `or` is true (not false) when one item is, false (not true)
            // when every item is.
            Cond::Or(items) if mode.and_is_conjunction() => self.any_of(items, mode),
            Cond::Or(items) => self.all_of(items, mode),
            Cond::Leaf(leaf) => self.leaf(leaf, mode),
        }
    }

    /// Every item is in the mode: all their facts hold.
    fn all_of(&self, items: &[Cond], mode: Mode) -> Facts {
        let mut facts: Vec<Fact> = Vec::new();
        for item in items {
            for fact in self.facts(item, mode)? {
                match facts.binary_search_by_key(&fact.attribute, |f| f.attribute) {
                    Ok(at) => {
                        let existing = facts.get_mut(at)?;
                        if let Some(Universe::List { .. }) = self.universes.get(fact.attribute) {
                            // Both hold, possibly through different items:
                            // keep one, the narrower.
                            if fact.codes.len() < existing.codes.len() {
                                *existing = fact;
                            }
                            continue;
                        }
                        existing
                            .codes
                            .retain(|c| fact.codes.binary_search(c).is_ok());
                        if existing.codes.is_empty() {
                            return None;
                        }
                    }
                    Err(at) => facts.insert(at, fact),
                }
            }
        }
        Some(facts)
    }

    /// Some item is in the mode: a fact holds for an attribute when every
    /// item that can be in the mode has a fact about it.
    fn any_of(&self, items: &[Cond], mode: Mode) -> Facts {
        let mut merged: Facts = None;
        for item in items {
            let Some(facts) = self.facts(item, mode) else {
                continue;
            };
            merged = Some(match merged {
                None => facts,
                Some(previous) => previous
                    .into_iter()
                    .filter_map(|mut fact| {
                        let other = facts.iter().find(|f| f.attribute == fact.attribute)?;
                        fact.codes.extend_from_slice(&other.codes);
                        fact.codes.sort_unstable();
                        fact.codes.dedup();
                        Some(fact)
                    })
                    .collect(),
            });
        }
        merged
    }

    fn leaf(&self, leaf: &Leaf, mode: Mode) -> Facts {
        let Some(universe) = self.universes.get(leaf.attribute) else {
            return Some(Vec::new());
        };
        let mut codes: Vec<u32> = match (&leaf.test, universe) {
            (Test::TextIn(wanted), Universe::Text { codes: known, .. }) => {
                let mut inside: Vec<u32> = wanted
                    .iter()
                    .filter_map(|w| known.get(w.as_str()).copied())
                    .collect();
                inside.sort_unstable();
                inside.dedup();
                match mode {
                    Mode::True | Mode::NotFalse => inside,
                    // A present text outside the set, named or not.
                    Mode::False | Mode::NotTrue => (0..universe.other())
                        .filter(|c| inside.binary_search(c).is_err())
                        .chain([universe.other()])
                        .collect(),
                }
            }
            (Test::Flag, Universe::Flag) => match mode {
                Mode::True | Mode::NotFalse => vec![YES],
                Mode::False | Mode::NotTrue => vec![NO],
            },
            (Test::ListContains(wanted), Universe::List { codes: known, .. }) => match mode {
                Mode::True | Mode::NotFalse => {
                    known.get(wanted.as_str()).copied().into_iter().collect()
                }
                // Not holding an item says nothing about the others.
                Mode::False | Mode::NotTrue => return Some(Vec::new()),
            }, // Comparisons, `contains`, `present`, numbers, dates: no fact.
            _ => return Some(Vec::new()),
        };
        if matches!(mode, Mode::NotFalse | Mode::NotTrue) {
            codes.push(universe.unknown());
        }
        codes.sort_unstable();
        codes.dedup();
        if codes.is_empty() {
            // `in {}`: never true.
            return None;
        }
        Some(vec![Fact {
            attribute: leaf.attribute,
            codes,
        }])
    }
}

/// Where one rule is posted.
enum Placement {
    Pair(Fact, Fact),
    Single(Fact),
    Always,
}

fn place(deriver: &Deriver<'_>, facts: Facts) -> Placement {
    let Some(facts) = facts else {
        // The rule can never take effect; examining it is harmless.
        return Placement::Always;
    };
    let scored: Vec<(f64, &Fact)> = facts
        .iter()
        .filter_map(|fact| {
            let universe = deriver.universes.get(fact.attribute)?;
            if universe.says_nothing(&fact.codes) || fact.codes.len() > MAX_KEYS_PER_RULE {
                return None;
            }
            Some((universe.share(&fact.codes), fact))
        })
        .collect();
    let mut best_pair: Option<(f64, usize, &Fact, &Fact)> = None;
    for (i, (share_a, a)) in scored.iter().enumerate() {
        for (share_b, b) in scored.iter().skip(i + 1) {
            let keys = a.codes.len() * b.codes.len();
            if keys > MAX_KEYS_PER_RULE {
                continue;
            }
            let share = share_a * share_b;
            let better = match best_pair {
                None => true,
                Some((best, best_keys, _, _)) => {
                    share < best || (share == best && keys < best_keys)
                }
            };
            if better {
                best_pair = Some((share, keys, a, b));
            }
        }
    }
    if let Some((_, _, a, b)) = best_pair {
        return Placement::Pair(a.clone(), b.clone());
    }
    let mut best_single: Option<(f64, &Fact)> = None;
    for (share, fact) in &scored {
        if best_single.is_none_or(|(best, _)| *share < best) {
            best_single = Some((*share, fact));
        }
    }
    match best_single {
        Some((_, fact)) => Placement::Single(fact.clone()),
        None => Placement::Always,
    }
}

/// An anchored attribute, as looked up at evaluation.
#[derive(Debug, Clone)]
struct Slot {
    attribute: usize,
    /// The global state id of this attribute's state 0.
    base: u32,
    kind: SlotKind,
}

#[derive(Debug, Clone)]
enum SlotKind {
    /// The local state of each [`Programs`] code of the attribute's text
    /// (the program numbers every text the universe has).
    Text {
        by_code: Vec<u32>,
        other: u32,
        unknown: u32,
    },
    Flag,
    List {
        codes: HashMap<Box<str>, u32, FastState>,
        unknown: u32,
    },
}

impl Slot {
    /// Appends the identity's states of this attribute, as global ids
    /// (ascending, unique).
    fn states(&self, values: &Values, codes: &[u32], out: &mut Vec<u32>) {
        let value = values.get(self.attribute).and_then(Option::as_ref);
        let local = match (&self.kind, value) {
            (SlotKind::List { codes, .. }, Some(AttributeValue::List(items))) => {
                let start = out.len();
                out.extend(
                    items
                        .iter()
                        .filter_map(|item| codes.get(item.as_str()))
                        .map(|c| self.base.saturating_add(*c)),
                );
                if let Some(added) = out.get_mut(start..) {
                    added.sort_unstable();
                }
                // Ids of different slots differ, so this only removes an
                // item listed twice.
                out.dedup();
                return;
            }
            (SlotKind::List { .. }, None) => return,
            (SlotKind::List { unknown, .. }, Some(_)) => *unknown,
            (SlotKind::Text { .. } | SlotKind::Flag, _) => {
                self.state(value, codes.get(self.attribute).copied())
            }
        };
        out.push(self.base.saturating_add(local));
    }

    /// The local state of a single-valued attribute, given its value and
    /// the program code of its text.
    fn state(&self, value: Option<&AttributeValue>, code: Option<u32>) -> u32 {
        match (&self.kind, value) {
            (
                SlotKind::Text {
                    by_code,
                    other,
                    unknown,
                },
                _,
            ) => match code {
                None | Some(program::UNKNOWN) => *unknown,
                Some(program::OTHER) => *other,
                Some(code) => by_code.get(code as usize).copied().unwrap_or(*other),
            },
            (SlotKind::Flag, None | Some(AttributeValue::Flag(false))) => NO,
            (SlotKind::Flag, Some(AttributeValue::Flag(true))) => YES,
            (SlotKind::Flag, Some(_)) => FLAG_UNKNOWN,
            (SlotKind::List { unknown, .. }, _) => *unknown,
        }
    }
}

/// Scratch space of a lookup: the identity's states, for each slot the
/// range of `states` holding its states, and the candidate rules found, one
/// bit per rule (all clear between lookups).
#[derive(Debug, Default)]
pub(crate) struct Lookup {
    states: Vec<u32>,
    spans: Vec<(usize, usize)>,
    bits: Vec<u64>,
}

impl Lookup {
    pub(crate) const fn new() -> Lookup {
        Lookup {
            states: Vec::new(),
            spans: Vec::new(),
            bits: Vec::new(),
        }
    }
}

/// Marks `rules` in `bits`.
fn mark(bits: &mut [u64], rules: &[u32]) {
    for &rule in rules {
        if let Some(word) = bits.get_mut((rule / 64) as usize) {
            *word |= 1 << (rule % 64);
        }
    }
}

/// The index of one policy set's rules.
#[derive(Debug, Clone, Default)]
pub(crate) struct RuleIndex {
    slots: Vec<Slot>,
    /// Rules by single key: those of global state id `s` are
    /// `single_rules[single_start[s]..single_start[s + 1]]`, ascending.
    single_start: Vec<u32>,
    single_rules: Vec<u32>,
    /// Rules by pair key (see [`pair_key`]): a range of `pair_rules`.
    pairs: HashMap<u64, (u32, u32), FastState>,
    pair_rules: Vec<u32>,
    /// The pairs of slots (first < second) that have pair postings.
    probes: Vec<(u32, u32)>,
    /// Rules examined for every identity, ascending.
    always: Vec<u32>,
    stats: IndexStats,
}

fn pair_key(first: u32, second: u32) -> u64 {
    (u64::from(first) << 32) | u64::from(second)
}

fn range(start: u32, len: u32) -> std::ops::Range<usize> {
    let start = start as usize;
    start..start.saturating_add(len as usize)
}

impl RuleIndex {
    /// The index of `compiled`'s rules; `programs` numbers the texts of
    /// the identity that [`candidates`](Self::candidates) is given.
    pub(crate) fn build(compiled: &Compiled, programs: &Programs) -> RuleIndex {
        let Ok(rule_count) = u32::try_from(compiled.rules.len()) else {
            // Beyond any real policy set: examine every rule.
            return RuleIndex::everything(compiled.rules.len());
        };

        // The states of every attribute: every text a rule tests it against.
        let mut universes: Vec<Universe<'_>> = compiled
            .schema
            .attributes
            .iter()
            .map(|a| match &a.kind {
                AttributeKind::Values { values } => {
                    let mut universe = Universe::Text {
                        codes: HashMap::default(),
                        texts: Vec::new(),
                        declared: Some(values.len()),
                        optional: a.optional,
                    };
                    for value in values {
                        add_text(&mut universe, value);
                    }
                    universe
                }
                AttributeKind::Text => Universe::Text {
                    codes: HashMap::default(),
                    texts: Vec::new(),
                    declared: None,
                    optional: a.optional,
                },
                AttributeKind::Flag => Universe::Flag,
                AttributeKind::ListOfText => Universe::List {
                    codes: HashMap::default(),
                    texts: Vec::new(),
                },
                _ => Universe::Other,
            })
            .collect();
        for rule in &compiled.rules {
            collect_texts(&rule.cond, &mut universes);
        }
        let deriver = Deriver { universes };

        let placements: Vec<Placement> = compiled
            .rules
            .iter()
            .map(|rule| {
                let mode = match rule.effect {
                    CEffect::Grant(_) => Mode::True,
                    CEffect::Deny(_) | CEffect::DenyEverything => Mode::NotFalse,
                };
                place(&deriver, deriver.facts(&rule.cond, mode))
            })
            .collect();

        // Slots: the attributes some rule is posted under, in schema order.
        let mut anchored = vec![false; deriver.universes.len()];
        for placement in &placements {
            let attributes = match placement {
                Placement::Pair(a, b) => [Some(a.attribute), Some(b.attribute)],
                Placement::Single(a) => [Some(a.attribute), None],
                Placement::Always => [None, None],
            };
            for attribute in attributes.into_iter().flatten() {
                if let Some(flag) = anchored.get_mut(attribute) {
                    *flag = true;
                }
            }
        }
        let mut slots = Vec::new();
        let mut slot_of: Vec<Option<usize>> = vec![None; deriver.universes.len()];
        let mut next_base: u32 = 0;
        for (attribute, universe) in deriver.universes.iter().enumerate() {
            if !anchored.get(attribute).copied().unwrap_or(false) {
                continue;
            }
            let kind = match universe {
                Universe::Text { texts, .. } => {
                    let mut by_code = Vec::new();
                    for (local, text) in texts.iter().enumerate() {
                        let Some(program_code) = programs.text_code(attribute, text) else {
                            // Only when the programs ran out of codes.
                            return RuleIndex::everything(compiled.rules.len());
                        };
                        let at = program_code as usize;
                        if by_code.len() <= at {
                            by_code.resize(at + 1, universe.other());
                        }
                        if let Some(slot) = by_code.get_mut(at) {
                            *slot = code(local);
                        }
                    }
                    SlotKind::Text {
                        by_code,
                        other: universe.other(),
                        unknown: universe.unknown(),
                    }
                }
                Universe::Flag => SlotKind::Flag,
                Universe::List { texts, .. } => SlotKind::List {
                    codes: texts
                        .iter()
                        .enumerate()
                        .map(|(i, t)| (Box::from(*t), code(i)))
                        .collect(),
                    unknown: universe.unknown(),
                },
                Universe::Other => continue,
            };
            if let Some(slot) = slot_of.get_mut(attribute) {
                *slot = Some(slots.len());
            }
            slots.push(Slot {
                attribute,
                base: next_base,
                kind,
            });
            next_base = next_base.saturating_add(code(universe.size()));
        }
        let global = |fact: &Fact| -> Option<(usize, Vec<u32>)> {
            let slot = slot_of.get(fact.attribute).copied().flatten()?;
            let base = slots.get(slot)?.base;
            Some((
                slot,
                fact.codes.iter().map(|c| base.saturating_add(*c)).collect(),
            ))
        };

        let mut stats = IndexStats {
            rules: compiled.rules.len(),
            ..IndexStats::default()
        };
        let mut singles: Vec<Vec<u32>> = vec![Vec::new(); next_base as usize];
        let mut pairs: HashMap<u64, Vec<u32>, FastState> = HashMap::default();
        let mut probes: Vec<(u32, u32)> = Vec::new();
        let mut always = Vec::new();
        for (rule, (placement, compiled_rule)) in
            (0..rule_count).zip(placements.iter().zip(&compiled.rules))
        {
            let posted = match placement {
                Placement::Pair(a, b) => match (global(a), global(b)) {
                    (Some((slot_a, ids_a)), Some((slot_b, ids_b))) => {
                        // Facts are sorted by attribute, slots follow
                        // attribute order: slot_a < slot_b.
                        probes.push((code(slot_a), code(slot_b)));
                        for &first in &ids_a {
                            for &second in &ids_b {
                                pairs.entry(pair_key(first, second)).or_default().push(rule);
                                stats.postings += 1;
                            }
                        }
                        stats.by_pair += 1;
                        true
                    }
                    _ => false,
                },
                Placement::Single(a) => match global(a) {
                    Some((_, ids)) => {
                        for id in ids {
                            if let Some(list) = singles.get_mut(id as usize) {
                                list.push(rule);
                                stats.postings += 1;
                            }
                        }
                        stats.by_single += 1;
                        true
                    }
                    None => false,
                },
                Placement::Always => false,
            };
            if !posted {
                always.push(rule);
                stats.always += 1;
                if !matches!(compiled_rule.effect, CEffect::Grant(_)) {
                    stats.always_denies += 1;
                }
            }
        }
        probes.sort_unstable();
        probes.dedup();

        let mut single_start = Vec::with_capacity(singles.len() + 1);
        let mut single_rules = Vec::with_capacity(singles.iter().map(Vec::len).sum());
        for list in &singles {
            single_start.push(code(single_rules.len()));
            single_rules.extend_from_slice(list);
        }
        single_start.push(code(single_rules.len()));
        stats.keys = singles.iter().filter(|l| !l.is_empty()).count() + pairs.len();

        let mut keys: Vec<(u64, Vec<u32>)> = pairs.into_iter().collect();
        keys.sort_unstable_by_key(|(key, _)| *key);
        let mut pair_rules = Vec::with_capacity(keys.iter().map(|(_, l)| l.len()).sum());
        let mut pairs: HashMap<u64, (u32, u32), FastState> =
            HashMap::with_capacity_and_hasher(keys.len(), FastState::default());
        for (key, list) in keys {
            pairs.insert(key, (code(pair_rules.len()), code(list.len())));
            pair_rules.extend_from_slice(&list);
        }

        stats.anchored_attributes = slots.len();
        stats.attribute_pairs = probes.len();
        RuleIndex {
            slots,
            single_start,
            single_rules,
            pairs,
            pair_rules,
            probes,
            always,
            stats,
        }
    }

    /// An index that examines every rule.
    fn everything(rules: usize) -> RuleIndex {
        let always: Vec<u32> = (0..rules).filter_map(|r| u32::try_from(r).ok()).collect();
        RuleIndex {
            stats: IndexStats {
                rules,
                always: always.len(),
                ..IndexStats::default()
            },
            always,
            ..RuleIndex::default()
        }
    }

    pub(crate) fn stats(&self) -> IndexStats {
        self.stats
    }

    /// Writes the rules to examine for the identity to `out`, ascending and
    /// unique: those the index finds for it and the always-examined ones.
    pub(crate) fn candidates(
        &self,
        values: &Values,
        codes: &[u32],
        lookup: &mut Lookup,
        out: &mut Vec<u32>,
    ) {
        out.clear();
        let Lookup {
            states,
            spans,
            bits,
        } = lookup;
        states.clear();
        spans.clear();
        let words = self.stats.rules.div_ceil(64);
        if bits.len() != words {
            bits.clear();
            bits.resize(words, 0);
        }
        for slot in &self.slots {
            let start = states.len();
            slot.states(values, codes, states);
            spans.push((start, states.len()));
        }
        // A rule can be met under several keys (a list's items, or a
        // posting list and the always-examined list): one bit per rule
        // removes repeats and gives the rules in order.
        mark(bits, &self.always);
        for &state in states.iter() {
            let start = self.single_start.get(state as usize).copied();
            let end = self
                .single_start
                .get((state as usize).saturating_add(1))
                .copied();
            if let (Some(start), Some(end)) = (start, end) {
                if let Some(rules) = self.single_rules.get(start as usize..end as usize) {
                    mark(bits, rules);
                }
            }
        }
        let of_slot = |slot: u32| -> &[u32] {
            spans
                .get(slot as usize)
                .and_then(|&(start, end)| states.get(start..end))
                .unwrap_or(&[])
        };
        for &(first, second) in &self.probes {
            for &a in of_slot(first) {
                for &b in of_slot(second) {
                    if let Some(&(start, len)) = self.pairs.get(&pair_key(a, b)) {
                        if let Some(rules) = self.pair_rules.get(range(start, len)) {
                            mark(bits, rules);
                        }
                    }
                }
            }
        }
        for (base, word) in (0u32..).step_by(64).zip(bits.iter_mut()) {
            let mut set = std::mem::take(word);
            while set != 0 {
                out.push(base + set.trailing_zeros());
                set &= set - 1;
            }
        }
    }

    /// Bytes held on the heap by the index (capacities, not lengths).
    pub(crate) fn heap_size(&self) -> usize {
        use std::mem::size_of;
        let slots: usize = self.slots.capacity() * size_of::<Slot>()
            + self
                .slots
                .iter()
                .map(|slot| match &slot.kind {
                    SlotKind::Text { by_code, .. } => by_code.capacity() * size_of::<u32>(),
                    SlotKind::List { codes, .. } => {
                        map_size::<Box<str>, u32>(codes.capacity())
                            + codes.keys().map(|k| k.len()).sum::<usize>()
                    }
                    SlotKind::Flag => 0,
                })
                .sum::<usize>();
        slots
            + self.single_start.capacity() * size_of::<u32>()
            + self.single_rules.capacity() * size_of::<u32>()
            + map_size::<u64, (u32, u32)>(self.pairs.capacity())
            + self.pair_rules.capacity() * size_of::<u32>()
            + self.probes.capacity() * size_of::<(u32, u32)>()
            + self.always.capacity() * size_of::<u32>()
    }
}

/// The heap bytes of a `HashMap` of this capacity: buckets (a power of two
/// at least 8/7 of the capacity) of entries and one control byte each.
pub(crate) fn map_size<K, V>(capacity: usize) -> usize {
    if capacity == 0 {
        return 0;
    }
    let buckets = (capacity.saturating_mul(8) / 7).max(4).next_power_of_two();
    buckets * (std::mem::size_of::<(K, V)>() + 1) + 16
}

fn add_text<'c>(universe: &mut Universe<'c>, text: &'c str) {
    if let Universe::Text { codes, texts, .. } | Universe::List { codes, texts } = universe {
        let next = code(texts.len());
        codes.entry(text).or_insert_with(|| {
            texts.push(text);
            next
        });
    }
}

fn collect_texts<'c>(cond: &'c Cond, universes: &mut [Universe<'c>]) {
    match cond {
        Cond::True => {}
        Cond::And(items) | Cond::Or(items) => {
            for item in items {
                collect_texts(item, universes);
            }
        }
        Cond::Not(inner, _) => collect_texts(inner, universes),
        Cond::Leaf(Leaf {
            attribute,
            test: Test::TextIn(wanted),
            ..
        }) => {
            if let Some(universe @ Universe::Text { .. }) = universes.get_mut(*attribute) {
                for text in wanted {
                    add_text(universe, text);
                }
            }
        }
        Cond::Leaf(Leaf {
            attribute,
            test: Test::ListContains(wanted),
            ..
        }) => {
            if let Some(universe @ Universe::List { .. }) = universes.get_mut(*attribute) {
                add_text(universe, wanted);
            }
        }
        Cond::Leaf(_) => {}
    }
}

/// A fast, non-cryptographic hash (FxHash's mixing with a final avalanche)
/// for the index's keys, which come from the policy set.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct FastHasher {
    hash: u64,
}

pub(crate) type FastState = BuildHasherDefault<FastHasher>;

impl FastHasher {
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            if let Ok(word) = <[u8; 8]>::try_from(chunk) {
                self.add(u64::from_le_bytes(word));
            }
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            for (to, from) in word.iter_mut().zip(rest) {
                *to = *from;
            }
            self.add(u64::from_le_bytes(word) ^ ((rest.len() as u64) << 59));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        // splitmix64's finalizer: every input bit reaches the low bits
        // (bucket) and the high bits (control byte).
        let mut x = self.hash;
        x ^= x >> 30;
        x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
        x ^= x >> 27;
        x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
        x ^ (x >> 31)
    }
}
