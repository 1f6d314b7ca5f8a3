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

/// What a search looks for: any truths a function accepts, or a set of
/// allowed truths per condition (checked in linear time, where a function
/// needs every combination of the possible truths).
enum Want<'w> {
    Fn(&'w dyn Fn(&[Truth]) -> bool),
    Each(&'w [Truths]),
}

impl Want<'_> {
    fn possible(&self, sets: &[Truths]) -> bool {
        match self {
            Want::Fn(want) => possible(sets, want),
            Want::Each(allowed) => sets
                .iter()
                .zip(allowed.iter())
                .all(|(set, allowed)| set.0 & allowed.0 != 0),
        }
    }
}

/// The regions chosen for an identity found by [`Solver::find_model`].
#[derive(Debug, Clone, PartialEq)]
pub struct Model(Vec<Option<usize>>);

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
        // A custom check is opaque: any truth, no constant.
        Condition::True
        | Condition::Flag { .. }
        | Condition::Present { .. }
        | Condition::Check { .. } => {}
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
        self.find_model(conditions, want).0
    }

    /// [`find`](Self::find), and the region assignment of the identity
    /// found, for [`can_be`](Self::can_be).
    pub fn find_model(
        &self,
        conditions: &[&Condition],
        want: impl Fn(&[Truth]) -> bool,
    ) -> (Search, Option<Model>) {
        self.run(conditions, &Want::Fn(&want))
    }

    /// An identity for which each condition has one of its `allowed`
    /// truths (one slice per condition), and its model. Unlike
    /// [`find_model`](Self::find_model), fast with many conditions.
    pub fn find_each(
        &self,
        conditions: &[&Condition],
        allowed: &[&[Truth]],
    ) -> (Search, Option<Model>) {
        let allowed: Vec<Truths> = conditions
            .iter()
            .enumerate()
            .map(|(i, _)| {
                Truths(
                    allowed
                        .get(i)
                        .into_iter()
                        .flat_map(|truths| truths.iter())
                        .fold(0, |acc, t| acc | Truths::one(*t).0),
                )
            })
            .collect();
        self.run(conditions, &Want::Each(&allowed))
    }

    fn run(&self, conditions: &[&Condition], want: &Want<'_>) -> (Search, Option<Model>) {
        // Only the variables the conditions read, in order of appearance.
        let mut order: Vec<usize> = Vec::new();
        for condition in conditions {
            self.variables(condition, &mut order);
        }
        let mut assignment: Vec<Option<usize>> = vec![None; self.vars.len()];
        let mut steps = 0usize;
        match self.search(conditions, want, &order, 0, &mut assignment, &mut steps) {
            Some(true) => (
                Search::Found(self.identity(&assignment)),
                Some(Model(assignment)),
            ),
            Some(false) => (Search::Impossible, None),
            None => (Search::Undecided, None),
        }
    }

    /// Whether `condition` can have `truth` for some identity of the
    /// model's regions (the attributes the model leaves open chosen
    /// freely). Exact: `false` means no such identity; `true` means one
    /// exists whose attributes read by the model's conditions are those of
    /// the model.
    pub fn can_be(&self, condition: &Condition, model: &Model, truth: Truth) -> bool {
        let now = self.truths(condition, &model.0);
        if !now.contains(truth) {
            return false;
        }
        if now == Truths::one(truth) {
            return true;
        }
        self.extend(model, condition, truth).is_some()
    }

    /// The model with more attributes chosen so that `condition` has
    /// `truth` (the truths of the conditions the model was found for stay
    /// as they were); `None` when there is no such choice, or the budget
    /// ran out.
    pub fn extend(&self, model: &Model, condition: &Condition, truth: Truth) -> Option<Model> {
        let now = self.truths(condition, &model.0);
        if !now.contains(truth) {
            return None;
        }
        let mut order: Vec<usize> = Vec::new();
        self.variables(condition, &mut order);
        let mut assignment = model.0.clone();
        order.retain(|&var| assignment.get(var).copied().flatten().is_none());
        let mut steps = 0usize;
        let allowed = [Truths::one(truth)];
        let want = Want::Each(&allowed);
        match self.search(&[condition], &want, &order, 0, &mut assignment, &mut steps) {
            Some(true) => Some(Model(assignment)),
            _ => None,
        }
    }

    /// The identity JSON of a model.
    pub fn identity_of(&self, model: &Model) -> serde_json::Map<String, serde_json::Value> {
        self.identity(&model.0)
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
            // A custom check is no variable: its leaf can take any truth.
            Condition::True | Condition::Check { .. } => {}
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
        want: &Want<'_>,
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
        if !want.possible(&sets) {
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
            // Unassigned: every region is still possible. The absent region
            // makes any other test unknown, and every test has regions on
            // both sides (its constants are regions, with "other" values or
            // ranges around them), so this is what folding the regions would
            // give, without the work (the search only needs a superset).
            None => match leaf {
                Condition::Present { .. } | Condition::Flag { .. } => Truths(T | F),
                _ => Truths::ALL,
            },
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
fn possible(sets: &[Truths], want: &dyn Fn(&[Truth]) -> bool) -> bool {
    fn go(sets: &[Truths], chosen: &mut Vec<Truth>, want: &dyn Fn(&[Truth]) -> bool) -> bool {
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
        (
            Condition::Compare {
                cmp,
                value: Value::Number(constant),
                ..
            },
            Region::Number { value: number, .. },
        ) => compare(*cmp, number.partial_cmp(constant)),
        (
            Condition::Compare {
                cmp,
                value: Value::Date(constant),
                ..
            },
            Region::Date { value: date, .. },
        ) => compare(*cmp, Some(date.cmp(constant))),
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
            // Far enough below that the difference is representable.
            None => constant - constant.abs().max(1.0),
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
    let above = previous.map_or(0.0, |p| p + p.abs().max(1.0));
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

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )]

    use super::*;
    use grantline_syntax::SourceMap;

    const SCHEMA: &str = "\
attribute department: Sales | Finance | Legal
attribute manager: flag
attribute level: number
attribute title: optional text
attribute groups: list of text
attribute start_date: date
entitlement crm, erp
";

    /// The policy of `SCHEMA` plus `rules`, and its solver.
    fn setup(rules: &str) -> (PolicySet, Solver) {
        let mut sources = SourceMap::new();
        sources.add("test.grant", format!("{SCHEMA}{rules}"));
        let compiled = grantline_compiler::compile(&sources);
        let policy = compiled.policy.unwrap_or_else(|| {
            panic!(
                "{}",
                grantline_syntax::render_human(&compiled.diagnostics, false)
            )
        });
        let solver = Solver::new(&policy, std::iter::empty());
        (policy, solver)
    }

    fn condition<'p>(policy: &'p PolicySet, name: &str) -> &'p Condition {
        &policy.rule(name).unwrap().condition
    }

    /// Evaluates the rule's condition on a found identity with the evaluator.
    fn check_found(policy: &PolicySet, name: &str, search: &Search, truth: &str) {
        let Search::Found(identity) = search else {
            panic!("{name}: expected an identity, got {search:?}");
        };
        let evaluator = grantline_eval::Evaluator::new(policy.clone()).unwrap();
        let checked = evaluator
            .identity_from_json(&serde_json::Value::Object(identity.clone()))
            .unwrap();
        let at = "2026-12-01T09:00:00Z".parse().unwrap();
        let applies = evaluator.applying_rules(&checked, at).contains(&name);
        assert_eq!(applies, truth == "applies", "{name}: {identity:?}");
    }

    #[test]
    fn conflicting_values_are_impossible() {
        let (policy, solver) =
            setup("rule r: where department is Sales and department is Finance grants crm\n");
        assert_eq!(
            solver.satisfiable(condition(&policy, "r")),
            Search::Impossible
        );
    }

    #[test]
    fn not_present_is_never_unknown() {
        let (policy, solver) = setup(
            "rule r: where not (with title) grants crm\n\
             rule s: where title is \"x\" and without title grants crm\n",
        );
        let r = condition(&policy, "r");
        assert_eq!(
            solver.find(&[r], |t| t == [Truth::Unknown]),
            Search::Impossible
        );
        let search = solver.satisfiable(r);
        check_found(&policy, "r", &search, "applies");
        let Search::Found(identity) = search else {
            unreachable!()
        };
        assert!(!identity.contains_key("title"));
        assert_eq!(
            solver.satisfiable(condition(&policy, "s")),
            Search::Impossible
        );
    }

    #[test]
    fn number_ranges() {
        let (policy, solver) = setup(
            "rule empty: where level > 5 and level < 3 grants crm\n\
             rule between: where level > 5 and level < 6 grants crm\n\
             rule point: where level >= 5 and level <= 5 grants crm\n\
             rule open: where level > 5 and level <= 5 grants crm\n\
             rule huge: where level < 100000000000000000000 and level > -100000000000000000000 grants crm\n",
        );
        assert_eq!(
            solver.satisfiable(condition(&policy, "empty")),
            Search::Impossible
        );
        assert_eq!(
            solver.satisfiable(condition(&policy, "open")),
            Search::Impossible
        );
        for name in ["between", "point", "huge"] {
            let search = solver.satisfiable(condition(&policy, name));
            check_found(&policy, name, &search, "applies");
        }
    }

    #[test]
    fn extreme_number_constants_keep_their_outer_ranges() {
        let (policy, solver) = setup(
            "rule low: where level < -100000000000000000000 grants crm\n\
             rule high: where level > 100000000000000000000 grants crm\n",
        );
        for name in ["low", "high"] {
            let search = solver.satisfiable(condition(&policy, name));
            check_found(&policy, name, &search, "applies");
        }
    }

    #[test]
    fn lists() {
        let (policy, solver) = setup(
            "rule both: where groups contains \"a\" and groups contains \"b\" grants crm\n\
             rule none: where groups contains \"a\" and not (with groups) grants crm\n\
             rule other: where with groups and not groups contains \"a\" grants crm\n\
             rule empty: where not (with groups) grants crm\n",
        );
        for name in ["both", "other", "empty"] {
            let search = solver.satisfiable(condition(&policy, name));
            check_found(&policy, name, &search, "applies");
        }
        assert_eq!(
            solver.satisfiable(condition(&policy, "none")),
            Search::Impossible
        );
        // A list test is never unknown.
        assert_eq!(
            solver.find(&[condition(&policy, "both")], |t| t == [Truth::Unknown]),
            Search::Impossible
        );
    }

    #[test]
    fn kleene_unknowns() {
        let (policy, solver) = setup(
            "rule neg: where not (level > 5) grants crm\n\
             rule either: where level > 5 or not (level > 5) grants crm\n\
             rule deny-unknown: where department is Sales denies crm\n",
        );
        // `level > 5 or not level > 5` is unknown without a level.
        let either = condition(&policy, "either");
        let search = solver.find(&[either], |t| t == [Truth::Unknown]);
        let Search::Found(identity) = search else {
            panic!("{search:?}")
        };
        assert!(!identity.contains_key("level"));
        assert_eq!(
            solver.find(&[either], |t| t == [Truth::False]),
            Search::Impossible
        );
        // `not level > 5` is never true without a level.
        let neg = condition(&policy, "neg");
        let search = solver.find(&[neg], |t| t == [Truth::True]);
        check_found(&policy, "neg", &search, "applies");
        // A deny applies on unknown: a missing department.
        let deny = condition(&policy, "deny-unknown");
        let search = solver.find(&[deny], |t| t == [Truth::Unknown]);
        check_found(&policy, "deny-unknown", &search, "applies");
    }

    #[test]
    fn flags_and_text() {
        let (policy, solver) = setup(
            "rule flag: where not manager grants crm\n\
             rule text: where title contains \"Lead\" and title contains \"Sales\" \
               and title is not \"Lead\" grants crm\n\
             rule text-clash: where title is \"Lead\" and title contains \"Sales\" grants crm\n",
        );
        // An absent flag is false, never unknown.
        let flag = condition(&policy, "flag");
        assert_eq!(
            solver.find(&[flag], |t| t == [Truth::Unknown]),
            Search::Impossible
        );
        check_found(&policy, "flag", &solver.satisfiable(flag), "applies");
        let text = condition(&policy, "text");
        check_found(&policy, "text", &solver.satisfiable(text), "applies");
        assert_eq!(
            solver.satisfiable(condition(&policy, "text-clash")),
            Search::Impossible
        );
    }

    #[test]
    fn dates() {
        let (policy, solver) = setup(
            "rule window: where start_date > 2026-01-01 and start_date < 2026-01-03 grants crm\n\
             rule none: where start_date > 2026-01-01 and start_date < 2026-01-02 grants crm\n",
        );
        check_found(
            &policy,
            "window",
            &solver.satisfiable(condition(&policy, "window")),
            "applies",
        );
        assert_eq!(
            solver.satisfiable(condition(&policy, "none")),
            Search::Impossible
        );
    }
}
