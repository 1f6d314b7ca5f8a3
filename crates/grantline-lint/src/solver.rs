//! Exact reasoning about conditions: is there an identity for which these
//! conditions have these truths? If so, which one?
//!
//! Every attribute's values fall into finitely many *regions* that no
//! condition of the policy set can tell apart: a value set's declared
//! values; a text's constants and "any other text"; a number's or a date's
//! constants and the open ranges between them; a flag's true, false and
//! absent; and every attribute's *absent*. A list of text is one yes/no
//! variable per item some rule looks for, plus one for "other items"; a
//! text that rules test with `contains` gets one yes/no variable per
//! substring, used when its value is "other". The truth of every condition
//! (with the evaluator's Kleene logic: a missing value makes a test unknown)
//! is the same for every identity of a region, so a search over regions is
//! exact: when it finds none, no identity exists; when it finds one, the
//! region's representative is a concrete identity (a *witness*), which the
//! rules confirm with the evaluator before reporting it.
//!
//! The search assigns one variable at a time and evaluates every condition
//! over the *set* of truths still possible (Kleene logic is monotone, so a
//! definite truth under a partial assignment stays); a branch whose sets
//! cannot give the wanted truths is cut. A budget bounds the work on
//! pathological conditions: past it the answer is "undecided" and no finding
//! is made.

use std::collections::HashMap;

use chrono::NaiveDate;
use grantline_ir::{AttributeKind, Condition, Ordering, PolicySet, Value};

/// Kleene truth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Truth {
    True,
    False,
    Unknown,
}

/// A set of truths, as bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Truths(u8);

const T: u8 = 1;
const F: u8 = 2;
const U: u8 = 4;

impl Truths {
    const ALL: Truths = Truths(T | F | U);

    fn one(truth: Truth) -> Truths {
        Truths(match truth {
            Truth::True => T,
            Truth::False => F,
            Truth::Unknown => U,
        })
    }

    fn of_bool(holds: bool) -> Truths {
        Truths(if holds { T } else { F })
    }

    fn contains(self, truth: Truth) -> bool {
        self.0 & Truths::one(truth).0 != 0
    }

    fn iter(self) -> impl Iterator<Item = Truth> {
        [Truth::True, Truth::False, Truth::Unknown]
            .into_iter()
            .filter(move |&t| self.contains(t))
    }

    fn not(self) -> Truths {
        let mut out = self.0 & U;
        if self.0 & T != 0 {
            out |= F;
        }
        if self.0 & F != 0 {
            out |= T;
        }
        Truths(out)
    }

    fn and(self, other: Truths) -> Truths {
        let mut out = 0;
        for a in self.iter() {
            for b in other.iter() {
                out |= Truths::one(and(a, b)).0;
            }
        }
        Truths(out)
    }

    fn or(self, other: Truths) -> Truths {
        self.not().and(other.not()).not()
    }
}

fn and(a: Truth, b: Truth) -> Truth {
    match (a, b) {
        (Truth::False, _) | (_, Truth::False) => Truth::False,
        (Truth::True, Truth::True) => Truth::True,
        _ => Truth::Unknown,
    }
}

/// One region of a single-valued attribute.
#[derive(Debug, Clone, PartialEq)]
enum Region {
    Absent,
    /// A declared value or a text constant.
    Text(String),
    /// Any text other than the constants.
    OtherText,
    Flag(bool),
    /// A number: the value itself when `exact`, else any value strictly
    /// between the neighbouring constants, `value` being one of them.
    Number {
        value: f64,
        exact: bool,
    },
    Date {
        value: NaiveDate,
        exact: bool,
    },
}

#[derive(Debug, Clone)]
enum VarKind {
    /// The attribute's region: an index into `regions`.
    Single { regions: Vec<Region> },
    /// Yes (1) or no (0): whether a list attribute holds an item, or
    /// whether an "other" text contains a substring (see `Solver::parts`).
    Bool,
}

#[derive(Debug, Clone)]
struct Var {
    kind: VarKind,
}

impl Var {
    fn size(&self) -> usize {
        match &self.kind {
            VarKind::Single { regions, .. } => regions.len(),
            VarKind::Bool => 2,
        }
    }
}

/// The outcome of a search.
#[derive(Debug, Clone, PartialEq)]
pub enum Search {
    /// An identity: attribute values as identity JSON (absent attributes
    /// left out).
    Found(serde_json::Map<String, serde_json::Value>),
    /// Proved: no identity gives the wanted truths.
    Impossible,
    /// The budget ran out.
    Undecided,
}

/// The regions of a policy set's attributes.
#[derive(Debug, Clone)]
pub struct Solver {
    names: Vec<String>,
    kinds: Vec<AttributeKind>,
    by_name: HashMap<String, usize>,
    vars: Vec<Var>,
    /// By attribute: its single-valued variable.
    single: Vec<Option<usize>>,
    /// By attribute: list item variables by item (`None`: other items), or
    /// text part variables by substring.
    parts: Vec<Vec<(Option<String>, usize)>>,
    budget: usize,
}

/// Default number of search steps per question.
pub const DEFAULT_BUDGET: usize = 20_000;

#[derive(Default)]
struct Constants {
    texts: Vec<String>,
    numbers: Vec<f64>,
    dates: Vec<NaiveDate>,
    parts: Vec<String>,
}

fn collect(condition: &Condition, by_name: &HashMap<String, usize>, out: &mut [Constants]) {
    let mut add = |attribute: &str, value: &Value, part: bool| {
        let Some(constants) = by_name.get(attribute).and_then(|&i| out.get_mut(i)) else {
            return;
        };
        match value {
            Value::Text(text) if part => constants.parts.push(text.clone()),
            Value::Text(text) => constants.texts.push(text.clone()),
            Value::Number(number) => constants.numbers.push(*number),
            Value::Date(date) => constants.dates.push(*date),
        }
    };
    match condition {
        Condition::True | Condition::Flag { .. } | Condition::Present { .. } => {}
        Condition::And { all: items } | Condition::Or { any: items } => {
            for item in items {
                collect(item, by_name, out);
            }
        }
        Condition::Not { not } => collect(not, by_name, out),
        Condition::Is { attribute, value }
        | Condition::Compare {
            attribute, value, ..
        } => add(attribute, value, false),
        Condition::In { attribute, values } => {
            for value in values {
                add(attribute, value, false);
            }
        }
        Condition::Contains { attribute, value } => add(attribute, value, true),
    }
}

impl Solver {
    /// The regions of `policy`'s attributes, from every constant its rules
    /// use and the `extra` conditions (such as the window tests of
    /// [`crate::context::Context::active_condition`]).
    pub fn new<'c>(policy: &PolicySet, extra: impl IntoIterator<Item = &'c Condition>) -> Solver {
        let names: Vec<String> = policy.attributes.iter().map(|a| a.name.clone()).collect();
        let by_name: HashMap<String, usize> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), i))
            .collect();
        let mut constants: Vec<Constants> = policy
            .attributes
            .iter()
            .map(|_| Constants::default())
            .collect();
        for rule in &policy.rules {
            collect(&rule.condition, &by_name, &mut constants);
        }
        for condition in extra {
            collect(condition, &by_name, &mut constants);
        }
        let mut solver = Solver {
            names,
            kinds: policy.attributes.iter().map(|a| a.kind.clone()).collect(),
            by_name,
            vars: Vec::new(),
            single: vec![None; policy.attributes.len()],
            parts: vec![Vec::new(); policy.attributes.len()],
            budget: DEFAULT_BUDGET,
        };
        for (attribute, (kind, mut constants)) in policy
            .attributes
            .iter()
            .map(|a| &a.kind)
            .zip(constants)
            .enumerate()
        {
            let regions = match kind {
                AttributeKind::Values { values } => std::iter::once(Region::Absent)
                    .chain(values.iter().cloned().map(Region::Text))
                    .collect(),
                AttributeKind::Text => {
                    constants.texts.sort();
                    constants.texts.dedup();
                    std::iter::once(Region::Absent)
                        .chain(constants.texts.drain(..).map(Region::Text))
                        .chain(std::iter::once(Region::OtherText))
                        .collect()
                }
                AttributeKind::Flag => {
                    vec![Region::Absent, Region::Flag(false), Region::Flag(true)]
                }
                AttributeKind::Number => number_regions(&mut constants.numbers),
                AttributeKind::Date => date_regions(&mut constants.dates),
                AttributeKind::ListOfText => {
                    constants.parts.sort();
                    constants.parts.dedup();
                    let items = constants.parts.drain(..).map(Some).chain([None]);
                    for item in items {
                        if let Some(parts) = solver.parts.get_mut(attribute) {
                            parts.push((item, solver.vars.len()));
                        }
                        solver.vars.push(Var {
                            kind: VarKind::Bool,
                        });
                    }
                    continue;
                }
            };
            if let Some(slot) = solver.single.get_mut(attribute) {
                *slot = Some(solver.vars.len());
            }
            solver.vars.push(Var {
                kind: VarKind::Single { regions },
            });
            if matches!(kind, AttributeKind::Text) {
                constants.parts.sort();
                constants.parts.dedup();
                for part in constants.parts.drain(..) {
                    if let Some(parts) = solver.parts.get_mut(attribute) {
                        parts.push((Some(part), solver.vars.len()));
                    }
                    solver.vars.push(Var {
                        kind: VarKind::Bool,
                    });
                }
            }
        }
        solver
    }

    /// The number of search steps each question may take.
    pub fn with_budget(mut self, budget: usize) -> Solver {
        self.budget = budget;
        self
    }

    /// An identity for which `want` accepts the truths of `conditions`
    /// (in order), or the proof that there is none.
    pub fn find(&self, conditions: &[&Condition], want: impl Fn(&[Truth]) -> bool) -> Search {
        // Only the variables the conditions read, in order of appearance.
        let mut order: Vec<usize> = Vec::new();
        for condition in conditions {
            self.variables(condition, &mut order);
        }
        let mut assignment: Vec<Option<usize>> = vec![None; self.vars.len()];
        let mut steps = 0usize;
        match self.search(conditions, &want, &order, 0, &mut assignment, &mut steps) {
            Some(true) => Search::Found(self.identity(&assignment)),
            Some(false) => Search::Impossible,
            None => Search::Undecided,
        }
    }

    /// Whether some identity makes `condition` true.
    pub fn satisfiable(&self, condition: &Condition) -> Search {
        self.find(&[condition], |t| t == [Truth::True])
    }

    fn variables(&self, condition: &Condition, out: &mut Vec<usize>) {
        let mut push = |var: usize| {
            if !out.contains(&var) {
                out.push(var);
            }
        };
        match condition {
            Condition::True => {}
            Condition::And { all: items } | Condition::Or { any: items } => {
                for item in items {
                    self.variables(item, out);
                }
            }
            Condition::Not { not } => self.variables(not, out),
            Condition::Is { attribute, .. }
            | Condition::In { attribute, .. }
            | Condition::Flag { attribute }
            | Condition::Present { attribute }
            | Condition::Compare { attribute, .. }
            | Condition::Contains { attribute, .. } => {
                let Some(&index) = self.by_name.get(attribute) else {
                    return;
                };
                if let Some(Some(var)) = self.single.get(index) {
                    push(*var);
                }
                let reads_parts = matches!(
                    condition,
                    Condition::Contains { .. } | Condition::Present { .. }
                );
                if reads_parts {
                    for (_, var) in self.parts.get(index).into_iter().flatten() {
                        push(*var);
                    }
                }
            }
        }
    }

    /// `Some(true)`: found (left in `assignment`); `Some(false)`: none;
    /// `None`: out of budget.
    fn search(
        &self,
        conditions: &[&Condition],
        want: &impl Fn(&[Truth]) -> bool,
        order: &[usize],
        depth: usize,
        assignment: &mut Vec<Option<usize>>,
        steps: &mut usize,
    ) -> Option<bool> {
        *steps += 1;
        if *steps > self.budget {
            return None;
        }
        let sets: Vec<Truths> = conditions
            .iter()
            .map(|c| self.truths(c, assignment))
            .collect();
        if !possible(&sets, want) {
            return Some(false);
        }
        let Some(&var) = order.get(depth) else {
            // Every variable read is assigned: the sets are single truths.
            return Some(true);
        };
        let size = self.vars.get(var).map_or(0, Var::size);
        let mut undecided = false;
        for value in 0..size {
            if let Some(slot) = assignment.get_mut(var) {
                *slot = Some(value);
            }
            match self.search(conditions, want, order, depth + 1, assignment, steps) {
                Some(true) => return Some(true),
                Some(false) => {}
                None => {
                    undecided = true;
                    break;
                }
            }
        }
        if let Some(slot) = assignment.get_mut(var) {
            *slot = None;
        }
        if undecided {
            None
        } else {
            Some(false)
        }
    }

    /// The truths `condition` can still have under a partial assignment.
    fn truths(&self, condition: &Condition, assignment: &[Option<usize>]) -> Truths {
        match condition {
            Condition::True => Truths::one(Truth::True),
            Condition::And { all } => all.iter().fold(Truths::one(Truth::True), |acc, c| {
                acc.and(self.truths(c, assignment))
            }),
            Condition::Or { any } => any.iter().fold(Truths::one(Truth::False), |acc, c| {
                acc.or(self.truths(c, assignment))
            }),
            Condition::Not { not } => self.truths(not, assignment).not(),
            leaf => self.leaf(leaf, assignment),
        }
    }

    fn leaf(&self, leaf: &Condition, assignment: &[Option<usize>]) -> Truths {
        let attribute = match leaf {
            Condition::Is { attribute, .. }
            | Condition::In { attribute, .. }
            | Condition::Flag { attribute }
            | Condition::Present { attribute }
            | Condition::Compare { attribute, .. }
            | Condition::Contains { attribute, .. } => attribute,
            _ => return Truths::ALL,
        };
        let Some(&index) = self.by_name.get(attribute) else {
            // Not in the schema (validated IR never has this).
            return Truths::ALL;
        };
        let value_of = |var: usize| assignment.get(var).copied().flatten();
        let part = |wanted: Option<&str>| -> Option<Option<bool>> {
            let (_, var) = self
                .parts
                .get(index)?
                .iter()
                .find(|(p, _)| p.as_deref() == wanted)?;
            Some(value_of(*var).map(|v| v == 1))
        };

        // List attributes: item variables only.
        if matches!(self.kinds.get(index), Some(AttributeKind::ListOfText)) {
            return match leaf {
                Condition::Contains {
                    value: Value::Text(item),
                    ..
                } => match part(Some(item)) {
                    Some(Some(holds)) => Truths::of_bool(holds),
                    Some(None) => Truths(T | F),
                    None => Truths::one(Truth::False),
                },
                Condition::Present { .. } => {
                    let vars: Vec<Option<usize>> = self
                        .parts
                        .get(index)
                        .into_iter()
                        .flatten()
                        .map(|(_, var)| value_of(*var))
                        .collect();
                    if vars.contains(&Some(1)) {
                        Truths::one(Truth::True)
                    } else if vars.iter().all(Option::is_some) {
                        Truths::one(Truth::False)
                    } else {
                        Truths(T | F)
                    }
                }
                // A list compared otherwise has a value of the wrong kind.
                _ => Truths::one(Truth::Unknown),
            };
        }

        let Some(Some(var)) = self.single.get(index).copied() else {
            return Truths::ALL;
        };
        let Some(VarKind::Single { regions, .. }) = self.vars.get(var).map(|v| &v.kind) else {
            return Truths::ALL;
        };
        let region_truth = |region: &Region| -> Truths {
            match (leaf, region) {
                (
                    Condition::Contains {
                        value: Value::Text(wanted),
                        ..
                    },
                    Region::OtherText,
                ) => match part(Some(wanted)) {
                    Some(Some(holds)) => Truths::of_bool(holds),
                    Some(None) => Truths(T | F),
                    None => Truths(T | F),
                },
                _ => Truths::one(region_leaf(leaf, region)),
            }
        };
        match value_of(var) {
            Some(value) => regions.get(value).map_or(Truths::ALL, region_truth),
            None => regions.iter().fold(Truths(0), |acc, region| {
                Truths(acc.0 | region_truth(region).0)
            }),
        }
    }

    /// The identity JSON of an assignment: each assigned region's
    /// representative; unassigned and absent attributes left out.
    fn identity(&self, assignment: &[Option<usize>]) -> serde_json::Map<String, serde_json::Value> {
        use serde_json::Value as Json;
        let mut identity = serde_json::Map::new();
        for (index, name) in self.names.iter().enumerate() {
            let kind = self.kinds.get(index);
            if matches!(kind, Some(AttributeKind::ListOfText)) {
                let items: Vec<Json> = self
                    .parts
                    .get(index)
                    .into_iter()
                    .flatten()
                    .filter(|(_, var)| assignment.get(*var).copied().flatten() == Some(1))
                    .map(|(item, _)| {
                        Json::String(item.clone().unwrap_or_else(|| format!("other-{name}")))
                    })
                    .collect();
                if !items.is_empty() {
                    identity.insert(name.clone(), Json::Array(items));
                }
                continue;
            }
            let Some(Some(var)) = self.single.get(index).copied() else {
                continue;
            };
            let Some(VarKind::Single { regions, .. }) = self.vars.get(var).map(|v| &v.kind) else {
                continue;
            };
            let Some(region) = assignment
                .get(var)
                .copied()
                .flatten()
                .and_then(|value| regions.get(value))
            else {
                continue;
            };
            let value = match region {
                Region::Absent => continue,
                Region::Text(text) => Json::String(text.clone()),
                Region::OtherText => {
                    let parts: Vec<&str> = self
                        .parts
                        .get(index)
                        .into_iter()
                        .flatten()
                        .filter(|(_, var)| assignment.get(*var).copied().flatten() == Some(1))
                        .filter_map(|(part, _)| part.as_deref())
                        .collect();
                    Json::String(format!("~{}~", parts.join("~")))
                }
                Region::Flag(flag) => Json::Bool(*flag),
                Region::Number { value, .. } => {
                    serde_json::Number::from_f64(*value).map_or(Json::Null, Json::Number)
                }
                Region::Date { value, .. } => Json::String(value.format("%Y-%m-%d").to_string()),
            };
            identity.insert(name.clone(), value);
        }
        identity
    }
}

/// Whether some choice of one truth per set satisfies `want`.
fn possible(sets: &[Truths], want: &impl Fn(&[Truth]) -> bool) -> bool {
    fn go(sets: &[Truths], chosen: &mut Vec<Truth>, want: &impl Fn(&[Truth]) -> bool) -> bool {
        let Some((first, rest)) = sets.split_first() else {
            return want(chosen);
        };
        for truth in first.iter() {
            chosen.push(truth);
            let ok = go(rest, chosen, want);
            chosen.pop();
            if ok {
                return true;
            }
        }
        false
    }
    go(sets, &mut Vec::with_capacity(sets.len()), want)
}

/// The truth of a single-attribute test on a region, as the evaluator
/// computes it on any value of the region.
fn region_leaf(leaf: &Condition, region: &Region) -> Truth {
    let bool_truth = |holds: bool| if holds { Truth::True } else { Truth::False };
    match (leaf, region) {
        (Condition::Present { .. }, Region::Absent) => Truth::False,
        (Condition::Present { .. }, _) => Truth::True,
        (Condition::Flag { .. }, Region::Absent) => Truth::False,
        (Condition::Flag { .. }, Region::Flag(flag)) => bool_truth(*flag),
        (_, Region::Absent) => Truth::Unknown,
        (Condition::Is { value, .. }, region) => bool_truth(region_is(region, value)),
        (Condition::In { values, .. }, region) => {
            bool_truth(values.iter().any(|value| region_is(region, value)))
        }
        (Condition::Compare { cmp, value, .. }, Region::Number { value: number, .. }) => {
            match value {
                Value::Number(constant) => compare(*cmp, number.partial_cmp(constant)),
                _ => Truth::Unknown,
            }
        }
        (Condition::Compare { cmp, value, .. }, Region::Date { value: date, .. }) => match value {
            Value::Date(constant) => compare(*cmp, Some(date.cmp(constant))),
            _ => Truth::Unknown,
        },
        (
            Condition::Contains {
                value: Value::Text(wanted),
                ..
            },
            Region::Text(text),
        ) => bool_truth(text.contains(wanted.as_str())),
        // A value of the wrong kind for the test.
        _ => Truth::Unknown,
    }
}

/// A range's representative compares with every constant as any value of
/// the range does: the constants are its bounds, never inside it.
fn compare(cmp: Ordering, order: Option<std::cmp::Ordering>) -> Truth {
    match order {
        Some(order) if cmp.holds(order) => Truth::True,
        Some(_) => Truth::False,
        None => Truth::Unknown,
    }
}

fn region_is(region: &Region, value: &Value) -> bool {
    match (region, value) {
        (Region::Text(text), Value::Text(wanted)) => text == wanted,
        (Region::Number { value, exact: true }, Value::Number(wanted)) => value == wanted,
        (Region::Date { value, exact: true }, Value::Date(wanted)) => value == wanted,
        _ => false,
    }
}

fn number_regions(constants: &mut Vec<f64>) -> Vec<Region> {
    constants.retain(|n| n.is_finite());
    constants.sort_by(|a, b| a.total_cmp(b));
    constants.dedup();
    let mut regions = vec![Region::Absent];
    let mut previous: Option<f64> = None;
    for &constant in constants.iter() {
        let below = match previous {
            None => constant - 1.0,
            Some(p) => p + (constant - p) / 2.0,
        };
        if below < constant && previous.is_none_or(|p| below > p) {
            regions.push(Region::Number {
                value: below,
                exact: false,
            });
        }
        regions.push(Region::Number {
            value: constant,
            exact: true,
        });
        previous = Some(constant);
    }
    let above = previous.map_or(0.0, |p| p + 1.0);
    if previous.is_none_or(|p| above > p) {
        regions.push(Region::Number {
            value: above,
            exact: false,
        });
    }
    regions
}

fn date_regions(constants: &mut Vec<NaiveDate>) -> Vec<Region> {
    constants.sort();
    constants.dedup();
    let mut regions = vec![Region::Absent];
    let mut previous: Option<NaiveDate> = None;
    for &constant in constants.iter() {
        let below = match previous {
            None => constant.pred_opt(),
            Some(p) => p.succ_opt().filter(|d| *d < constant),
        };
        if let Some(below) = below {
            regions.push(Region::Date {
                value: below,
                exact: false,
            });
        }
        regions.push(Region::Date {
            value: constant,
            exact: true,
        });
        previous = Some(constant);
    }
    let above = match previous {
        None => NaiveDate::from_ymd_opt(2026, 1, 1),
        Some(p) => p.succ_opt(),
    };
    if let Some(above) = above {
        regions.push(Region::Date {
            value: above,
            exact: false,
        });
    }
    regions
}
