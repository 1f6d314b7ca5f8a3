//! Validation of the IR and its preparation for evaluation: attribute,
//! entitlement and role names resolved to indices, constants typed.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use grantline_ir::{
    AttributeKind, Condition, Duration, Effect, Ordering, PolicySet, SourceLocation, Target,
    TimePoint, Value, IR_FORMAT, IR_VERSION,
};

use crate::checks::CCheck;
use crate::identity::{AttributeValue, Schema, SchemaAttribute};
use crate::output::{RuleName, RuleRecord};
use crate::time;

/// The IR cannot be evaluated: every problem found, not just the first.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct IrValidationError {
    pub problems: Vec<IrProblem>,
}

impl fmt::Display for IrValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.problems.len();
        write!(
            f,
            "the compiled policy set is invalid ({count} problem{})",
            if count == 1 { "" } else { "s" }
        )?;
        for problem in &self.problems {
            write!(f, "\n  {problem}")?;
        }
        Ok(())
    }
}

/// One problem: what it concerns (`rule \`x\``, `attribute \`level\``,
/// `timezone`), where that was written, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IrProblem {
    pub subject: String,
    pub source: Option<SourceLocation>,
    pub message: String,
}

impl fmt::Display for IrProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.source {
            Some(source) => write!(f, "{} ({source}): {}", self.subject, self.message),
            None => write!(f, "{}: {}", self.subject, self.message),
        }
    }
}

/// How deeply `and`, `or` and `not` may nest in one rule's condition. The
/// evaluator recurses on nesting; the bound keeps an IR loaded from JSON or
/// built by a program from overflowing the stack, and is far above any
/// condition a person would write.
pub const MAX_CONDITION_DEPTH: usize = 64;

/// Whether `and`, `or` and `not` nest more than `limit` levels deep in
/// `condition` (a leaf is at level 0; each `and`, `or` or `not` around it
/// adds one). Iterative, so it cannot itself overflow the stack.
fn nests_deeper_than(condition: &Condition, limit: usize) -> bool {
    let mut stack = vec![(condition, 0usize)];
    while let Some((condition, depth)) = stack.pop() {
        let children: &[Condition] = match condition {
            Condition::And { all } => all,
            Condition::Or { any } => any,
            Condition::Not { not } => std::slice::from_ref(not.as_ref()),
            _ => continue,
        };
        let depth = depth + 1;
        if depth > limit {
            return true;
        }
        stack.extend(children.iter().map(|c| (c, depth)));
    }
    false
}

/// Three-valued truth (Kleene).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Truth {
    True,
    False,
    Unknown,
}

impl From<bool> for Truth {
    fn from(holds: bool) -> Truth {
        if holds {
            Truth::True
        } else {
            Truth::False
        }
    }
}

impl Truth {
    pub(crate) fn not(self) -> Truth {
        match self {
            Truth::True => Truth::False,
            Truth::False => Truth::True,
            Truth::Unknown => Truth::Unknown,
        }
    }
}

/// A condition with attributes resolved to indices.
#[derive(Debug, Clone)]
pub(crate) enum Cond {
    True,
    And(Vec<Cond>),
    Or(Vec<Cond>),
    /// The negated condition and the text of the whole `not ...`.
    Not(Box<Cond>, String),
    Leaf(Leaf),
}

#[derive(Debug, Clone)]
pub(crate) struct Leaf {
    pub(crate) attribute: usize,
    pub(crate) test: Test,
    /// The predicate in the explicit form, for explanations.
    pub(crate) text: String,
}

#[derive(Debug, Clone)]
pub(crate) enum Test {
    /// Equal to one of these texts (closed-set or text attributes).
    TextIn(Vec<String>),
    NumberIn(Vec<f64>),
    DateIn(Vec<NaiveDate>),
    Flag,
    /// Has a value; a list has at least one item.
    Present,
    CompareNumber(Ordering, f64),
    CompareDate(Ordering, NaiveDate),
    ListContains(String),
    TextContains(String),
    /// A custom check passed: the flag in the check's value slot, unknown
    /// when the check failed to run.
    Check,
}

pub(crate) type Values = [Option<AttributeValue>];

impl Leaf {
    pub(crate) fn eval(&self, values: &Values) -> Truth {
        self.test
            .eval(values.get(self.attribute).and_then(Option::as_ref))
    }
}

impl Test {
    /// The truth of the test on an attribute's value (`None`: absent).
    pub(crate) fn eval(&self, value: Option<&AttributeValue>) -> Truth {
        let holds = match (self, value) {
            // Absent flags are false, absent lists are empty.
            (Test::Flag, None) => false,
            (Test::Present, None) => false,
            (Test::Present, Some(AttributeValue::List(items))) => !items.is_empty(),
            (Test::Present, Some(_)) => true,
            (Test::ListContains(_), None) => false,
            (_, None) => return Truth::Unknown,
            (Test::TextIn(wanted), Some(AttributeValue::Text(text))) => {
                wanted.iter().any(|w| w == text)
            }
            (Test::NumberIn(wanted), Some(AttributeValue::Number(n))) => {
                wanted.iter().any(|w| w == n)
            }
            (Test::DateIn(wanted), Some(AttributeValue::Date(d))) => wanted.contains(d),
            (Test::Flag | Test::Check, Some(AttributeValue::Flag(flag))) => *flag,
            (Test::CompareNumber(cmp, constant), Some(AttributeValue::Number(n))) => {
                match n.partial_cmp(constant) {
                    Some(order) => cmp.holds(order),
                    None => return Truth::Unknown,
                }
            }
            (Test::CompareDate(cmp, constant), Some(AttributeValue::Date(d))) => {
                cmp.holds(d.cmp(constant))
            }
            (Test::ListContains(wanted), Some(AttributeValue::List(items))) => {
                items.iter().any(|item| item == wanted)
            }
            (Test::TextContains(wanted), Some(AttributeValue::Text(text))) => {
                text.contains(wanted.as_str())
            }
            // A value of the wrong kind cannot come from a checked identity;
            // treat it like a missing one.
            _ => return Truth::Unknown,
        };
        Truth::from(holds)
    }
}

impl Cond {
    pub(crate) fn eval(&self, values: &Values) -> Truth {
        match self {
            Cond::True => Truth::True,
            Cond::And(all) => {
                let mut result = Truth::True;
                for c in all {
                    match c.eval(values) {
                        Truth::False => return Truth::False,
                        Truth::Unknown => result = Truth::Unknown,
                        Truth::True => {}
                    }
                }
                result
            }
            Cond::Or(any) => {
                let mut result = Truth::False;
                for c in any {
                    match c.eval(values) {
                        Truth::True => return Truth::True,
                        Truth::Unknown => result = Truth::Unknown,
                        Truth::False => {}
                    }
                }
                result
            }
            Cond::Not(inner, _) => inner.eval(values).not(),
            Cond::Leaf(leaf) => leaf.eval(values),
        }
    }

    /// The attributes that make the condition unknown: those of unknown
    /// leaves, following only unknown subconditions (an unknown leaf under
    /// an `and` that is false anyway does not matter). In condition order,
    /// may repeat.
    pub(crate) fn unknown_attributes(&self, values: &Values, out: &mut Vec<usize>) {
        if self.eval(values) != Truth::Unknown {
            return;
        }
        match self {
            Cond::True => {}
            Cond::And(items) | Cond::Or(items) => {
                for c in items {
                    c.unknown_attributes(values, out);
                }
            }
            Cond::Not(inner, _) => inner.unknown_attributes(values, out),
            Cond::Leaf(leaf) => out.push(leaf.attribute),
        }
    }

    /// The attributes the condition reads, in order (may repeat).
    pub(crate) fn attributes(&self, out: &mut Vec<usize>) {
        match self {
            Cond::True => {}
            Cond::And(items) | Cond::Or(items) => {
                for c in items {
                    c.attributes(out);
                }
            }
            Cond::Not(inner, _) => inner.attributes(out),
            Cond::Leaf(leaf) => out.push(leaf.attribute),
        }
    }
}

/// An entitlement of the catalogue.
#[derive(Debug, Clone)]
pub(crate) struct CEntitlement {
    pub(crate) name: Arc<str>,
    pub(crate) sensitive: bool,
    pub(crate) max_duration: Option<Duration>,
}

/// One entitlement a rule grants or denies; the roles it came through are
/// the rule's record's (`RuleRecord::vias`, by the target's position).
#[derive(Debug, Clone)]
pub(crate) struct CTarget {
    pub(crate) entitlement: usize,
}

#[derive(Debug, Clone)]
pub(crate) enum CEffect {
    Grant(Vec<CTarget>),
    Deny(Vec<CTarget>),
    DenyEverything,
}

#[derive(Debug, Clone)]
pub(crate) enum CPoint {
    /// A fixed local date, with the instants it starts and (exclusively)
    /// ends at, computed once.
    Date {
        date: NaiveDate,
        start: DateTime<Utc>,
        end: Option<DateTime<Utc>>,
    },
    Attribute {
        index: usize,
        name: String,
        optional: bool,
    },
}

#[derive(Debug, Clone)]
pub(crate) struct CWindow {
    pub(crate) from: Option<CPoint>,
    pub(crate) until: Option<CPoint>,
    pub(crate) duration: Option<Duration>,
}

#[derive(Debug, Clone)]
pub(crate) struct CRule {
    /// Name, source, approval and the roles of each target, shared with the
    /// decisions and explanations that report the rule.
    pub(crate) shared: RuleName,
    pub(crate) cond: Cond,
    pub(crate) effect: CEffect,
    pub(crate) window: CWindow,
}

impl CRule {
    pub(crate) fn name(&self) -> &Arc<str> {
        &self.shared.0.name
    }

    pub(crate) fn source(&self) -> &Arc<SourceLocation> {
        &self.shared.0.source
    }

    /// The roles target `position` came through.
    pub(crate) fn via(&self, position: usize) -> Arc<[String]> {
        self.shared
            .0
            .vias
            .get(position)
            .cloned()
            .unwrap_or_else(|| Arc::from(Vec::new()))
    }

    /// Whether the rule has a window (`from`, `until` or `for`).
    pub(crate) fn has_window(&self) -> bool {
        self.window.from.is_some() || self.window.until.is_some() || self.window.duration.is_some()
    }
}

#[derive(Debug, Clone)]
pub(crate) struct CSeparation {
    pub(crate) left: String,
    pub(crate) right: String,
    /// The entitlements of each side, by their position in name order
    /// (`Compiled::rank`), ascending.
    pub(crate) left_ranks: Vec<usize>,
    pub(crate) right_ranks: Vec<usize>,
    pub(crate) source: Arc<SourceLocation>,
}

/// An entitlement by its position in name order, with what a decision
/// reports about it.
#[derive(Debug, Clone)]
pub(crate) struct Ranked {
    pub(crate) name: Arc<str>,
    pub(crate) sensitive: bool,
    pub(crate) max_duration: Option<Duration>,
}

/// Everything the evaluator needs, resolved.
#[derive(Debug, Clone)]
pub(crate) struct Compiled {
    pub(crate) timezone: Tz,
    pub(crate) schema: Arc<Schema>,
    pub(crate) entitlements: Vec<CEntitlement>,
    /// Entitlement indices sorted by name.
    pub(crate) by_name: Vec<usize>,
    /// The entitlements in name order (`by_name`, resolved).
    pub(crate) ranked: Vec<Ranked>,
    /// The position of each entitlement in `by_name`.
    pub(crate) rank: Vec<usize>,
    pub(crate) rules: Vec<CRule>,
    pub(crate) separations: Vec<CSeparation>,
    /// By entitlement position in name order: the separations naming it on
    /// either side, ascending.
    pub(crate) separations_of: Vec<Vec<usize>>,
    /// Custom checks, in declaration order. Check `i`'s result is value
    /// `schema.attributes.len() + i` of an evaluation.
    pub(crate) checks: Vec<CCheck>,
}

struct Checker<'p> {
    policy: &'p PolicySet,
    problems: Vec<IrProblem>,
    /// Check name to its value slot (after the attributes).
    checks: HashMap<&'p str, usize>,
    attributes: HashMap<&'p str, usize>,
    entitlements: HashMap<&'p str, usize>,
    roles: HashSet<&'p str>,
}

impl<'p> Checker<'p> {
    fn problem(&mut self, subject: String, source: Option<&SourceLocation>, message: String) {
        self.problems.push(IrProblem {
            subject,
            source: source.cloned(),
            message,
        });
    }

    fn entitlement_index(
        &mut self,
        name: &str,
        subject: &str,
        source: &SourceLocation,
    ) -> Option<usize> {
        let found = self.entitlements.get(name).copied();
        if found.is_none() {
            self.problem(
                subject.to_string(),
                Some(source),
                format!("entitlement `{name}` is not in the catalogue"),
            );
        }
        found
    }

    fn check_target(&mut self, target: &Target, subject: &str, source: &SourceLocation) {
        match target {
            Target::Entitlement(name) => {
                self.entitlement_index(name, subject, source);
            }
            Target::Role(name) => {
                if !self.roles.contains(name.as_str()) {
                    self.problem(
                        subject.to_string(),
                        Some(source),
                        format!("role `{name}` is not declared"),
                    );
                }
            }
        }
    }

    fn check_roles_exist(&mut self, via: &[String], subject: &str, source: &SourceLocation) {
        for role in via {
            if !self.roles.contains(role.as_str()) {
                self.problem(
                    subject.to_string(),
                    Some(source),
                    format!("role `{role}` is not declared"),
                );
            }
        }
    }

    fn condition(
        &mut self,
        condition: &Condition,
        subject: &str,
        source: &SourceLocation,
    ) -> Option<Cond> {
        let compiled = match condition {
            Condition::True => Cond::True,
            Condition::And { all } => Cond::And(self.conditions(all, subject, source)?),
            Condition::Or { any } => Cond::Or(self.conditions(any, subject, source)?),
            Condition::Not { not } => Cond::Not(
                Box::new(self.condition(not, subject, source)?),
                condition.to_string(),
            ),
            Condition::Is { attribute, value } => {
                self.leaf(condition, attribute, subject, source, |kind| {
                    equality_test(kind, std::slice::from_ref(value))
                })?
            }
            Condition::In { attribute, values } => {
                self.leaf(condition, attribute, subject, source, |kind| {
                    equality_test(kind, values)
                })?
            }
            Condition::Flag { attribute } => {
                self.leaf(condition, attribute, subject, source, |kind| match kind {
                    AttributeKind::Flag => Ok(Test::Flag),
                    _ => Err("only a flag attribute can stand alone as a condition".to_string()),
                })?
            }
            Condition::Present { attribute } => {
                self.leaf(condition, attribute, subject, source, |_| Ok(Test::Present))?
            }
            Condition::Compare {
                attribute,
                cmp,
                value,
            } => self.leaf(condition, attribute, subject, source, |kind| {
                match (kind, value) {
                    (AttributeKind::Number, Value::Number(n)) if n.is_finite() => {
                        Ok(Test::CompareNumber(*cmp, *n))
                    }
                    (AttributeKind::Date, Value::Date(d)) => Ok(Test::CompareDate(*cmp, *d)),
                    (AttributeKind::Number | AttributeKind::Date, _) => {
                        Err(format!("`{value}` is not a {} constant", kind.describe()))
                    }
                    _ => Err("only numbers and dates can be compared".to_string()),
                }
            })?,
            Condition::Check { check } => {
                let Some(slot) = self.checks.get(check.as_str()).copied() else {
                    self.problem(
                        subject.to_string(),
                        Some(source),
                        format!("condition `{condition}` names undeclared check `{check}`"),
                    );
                    return None;
                };
                Cond::Leaf(Leaf {
                    attribute: slot,
                    test: Test::Check,
                    text: condition.to_string(),
                })
            }
            Condition::Contains { attribute, value } => {
                self.leaf(condition, attribute, subject, source, |kind| {
                    match (kind, value) {
                        (AttributeKind::ListOfText, Value::Text(t)) => {
                            Ok(Test::ListContains(t.clone()))
                        }
                        (AttributeKind::Text, Value::Text(t)) => Ok(Test::TextContains(t.clone())),
                        (AttributeKind::ListOfText | AttributeKind::Text, _) => {
                            Err(format!("`{value}` is not a text constant"))
                        }
                        _ => Err("`contains` needs a list of text or a text attribute".to_string()),
                    }
                })?
            }
        };
        Some(compiled)
    }

    fn conditions(
        &mut self,
        items: &[Condition],
        subject: &str,
        source: &SourceLocation,
    ) -> Option<Vec<Cond>> {
        // Check every item (to report every problem), then fail if any failed.
        let compiled: Vec<Option<Cond>> = items
            .iter()
            .map(|c| self.condition(c, subject, source))
            .collect();
        compiled.into_iter().collect()
    }

    fn leaf(
        &mut self,
        condition: &Condition,
        attribute: &str,
        subject: &str,
        source: &SourceLocation,
        test: impl FnOnce(&AttributeKind) -> Result<Test, String>,
    ) -> Option<Cond> {
        let Some(index) = self.attributes.get(attribute).copied() else {
            self.problem(
                subject.to_string(),
                Some(source),
                format!("condition `{condition}` names undeclared attribute `{attribute}`"),
            );
            return None;
        };
        let kind = &self.policy.attributes.get(index)?.kind;
        match test(kind) {
            Ok(test) => Some(Cond::Leaf(Leaf {
                attribute: index,
                test,
                text: condition.to_string(),
            })),
            Err(message) => {
                self.problem(
                    subject.to_string(),
                    Some(source),
                    format!(
                        "condition `{condition}` does not fit {} attribute `{attribute}`: {message}",
                        kind.describe()
                    ),
                );
                None
            }
        }
    }

    fn point(
        &mut self,
        point: &TimePoint,
        timezone: Tz,
        subject: &str,
        source: &SourceLocation,
    ) -> Option<CPoint> {
        match point {
            TimePoint::Date(date) => Some(CPoint::Date {
                date: *date,
                start: time::day_start(timezone, *date),
                end: time::day_end(timezone, *date),
            }),
            TimePoint::Attribute(name) => {
                let Some(index) = self.attributes.get(name.as_str()).copied() else {
                    self.problem(
                        subject.to_string(),
                        Some(source),
                        format!("window names undeclared attribute `{name}`"),
                    );
                    return None;
                };
                let attribute = self.policy.attributes.get(index)?;
                if attribute.kind != AttributeKind::Date {
                    self.problem(
                        subject.to_string(),
                        Some(source),
                        format!(
                            "window attribute `{name}` is a {}, not a date",
                            attribute.kind.describe()
                        ),
                    );
                    return None;
                }
                Some(CPoint::Attribute {
                    index,
                    name: name.clone(),
                    optional: attribute.optional,
                })
            }
        }
    }
}

fn equality_test(kind: &AttributeKind, values: &[Value]) -> Result<Test, String> {
    match kind {
        AttributeKind::Values { values: allowed } => {
            let mut texts = Vec::with_capacity(values.len());
            for value in values {
                match value {
                    Value::Text(t) if allowed.contains(t) => texts.push(t.clone()),
                    Value::Text(t) => return Err(format!("`{t}` is not one of its values")),
                    other => return Err(format!("`{other}` is not one of its values")),
                }
            }
            Ok(Test::TextIn(texts))
        }
        AttributeKind::Text => values
            .iter()
            .map(|v| match v {
                Value::Text(t) => Ok(t.clone()),
                other => Err(format!("`{other}` is not a text constant")),
            })
            .collect::<Result<_, _>>()
            .map(Test::TextIn),
        AttributeKind::Number => values
            .iter()
            .map(|v| match v {
                Value::Number(n) if n.is_finite() => Ok(*n),
                other => Err(format!("`{other}` is not a finite number")),
            })
            .collect::<Result<_, _>>()
            .map(Test::NumberIn),
        AttributeKind::Date => values
            .iter()
            .map(|v| match v {
                Value::Date(d) => Ok(*d),
                other => Err(format!("`{other}` is not a date")),
            })
            .collect::<Result<_, _>>()
            .map(Test::DateIn),
        AttributeKind::Flag => Err("a flag is tested by naming it".to_string()),
        AttributeKind::ListOfText => Err("a list is tested with `contains`".to_string()),
    }
}

/// Validates the policy set and resolves it.
pub(crate) fn compile(policy: &PolicySet) -> Result<Compiled, IrValidationError> {
    let mut checker = Checker {
        policy,
        problems: Vec::new(),
        attributes: HashMap::new(),
        entitlements: HashMap::new(),
        roles: HashSet::new(),
        checks: HashMap::new(),
    };

    if policy.format != IR_FORMAT || policy.version != IR_VERSION {
        checker.problem(
            "document".to_string(),
            None,
            format!(
                "format \"{}\" version {} is not \"{IR_FORMAT}\" version {IR_VERSION}",
                policy.format, policy.version
            ),
        );
    }
    let timezone = match policy.timezone.parse::<Tz>() {
        Ok(tz) => tz,
        Err(_) => {
            checker.problem(
                "timezone".to_string(),
                None,
                format!("unknown time zone \"{}\"", policy.timezone),
            );
            Tz::UTC
        }
    };

    for (i, attribute) in policy.attributes.iter().enumerate() {
        if checker.attributes.insert(&attribute.name, i).is_some() {
            checker.problem(
                format!("attribute `{}`", attribute.name),
                Some(&attribute.source),
                "declared more than once".to_string(),
            );
        }
    }
    for (i, check) in policy.checks.iter().enumerate() {
        let slot = policy.attributes.len() + i;
        if checker.checks.insert(&check.name, slot).is_some() {
            checker.problem(
                format!("check `{}`", check.name),
                Some(&check.source),
                "declared more than once".to_string(),
            );
        }
    }
    for (i, entitlement) in policy.entitlements.iter().enumerate() {
        if checker.entitlements.insert(&entitlement.name, i).is_some() {
            checker.problem(
                format!("entitlement `{}`", entitlement.name),
                Some(&entitlement.source),
                "declared more than once".to_string(),
            );
        }
    }
    for role in &policy.roles {
        if !checker.roles.insert(&role.name) {
            checker.problem(
                format!("role `{}`", role.name),
                Some(&role.source),
                "declared more than once".to_string(),
            );
        }
    }
    for role in &policy.roles {
        let subject = format!("role `{}`", role.name);
        for member in &role.members {
            checker.check_target(member, &subject, &role.source);
        }
        for entitlement in &role.entitlements {
            checker.entitlement_index(entitlement, &subject, &role.source);
        }
    }

    let mut rule_names = HashSet::new();
    let mut rules = Vec::with_capacity(policy.rules.len());
    // Most targets come through no role: they share one empty list.
    let no_roles: Arc<[String]> = Arc::from(Vec::new());
    for rule in &policy.rules {
        let subject = format!("rule `{}`", rule.name);
        if !rule_names.insert(rule.name.as_str()) {
            checker.problem(
                subject.clone(),
                Some(&rule.source),
                "a rule with this name already exists".to_string(),
            );
        }
        let cond = if nests_deeper_than(&rule.condition, MAX_CONDITION_DEPTH) {
            checker.problem(
                subject.clone(),
                Some(&rule.source),
                format!("condition nests deeper than {MAX_CONDITION_DEPTH} levels"),
            );
            None
        } else {
            checker.condition(&rule.condition, &subject, &rule.source)
        };
        let mut vias: Vec<Arc<[String]>> = Vec::new();
        let effect = match &rule.effect {
            Effect::Grant {
                targets,
                entitlements,
            }
            | Effect::Deny {
                targets,
                entitlements,
            } => {
                for target in targets {
                    checker.check_target(target, &subject, &rule.source);
                }
                let mut resolved = Vec::with_capacity(entitlements.len());
                for e in entitlements {
                    checker.check_roles_exist(&e.via, &subject, &rule.source);
                    if let Some(index) =
                        checker.entitlement_index(&e.entitlement, &subject, &rule.source)
                    {
                        resolved.push(CTarget { entitlement: index });
                        vias.push(if e.via.is_empty() {
                            Arc::clone(&no_roles)
                        } else {
                            Arc::from(e.via.as_slice())
                        });
                    }
                }
                if matches!(rule.effect, Effect::Grant { .. }) {
                    CEffect::Grant(resolved)
                } else {
                    CEffect::Deny(resolved)
                }
            }
            Effect::DenyEverything => CEffect::DenyEverything,
        };
        if rule.effect.is_deny() && rule.approval.is_some() {
            checker.problem(
                subject.clone(),
                Some(&rule.source),
                "a deny rule cannot require approval".to_string(),
            );
        }
        let mut point = |p: &Option<TimePoint>| match p {
            None => Ok(None),
            Some(p) => checker
                .point(p, timezone, &subject, &rule.source)
                .map(Some)
                .ok_or(()),
        };
        let from = point(&rule.window.from);
        let until = point(&rule.window.until);
        if let (Some(cond), Ok(from), Ok(until)) = (cond, from, until) {
            rules.push(CRule {
                shared: RuleName(Arc::new(RuleRecord {
                    name: Arc::from(rule.name.as_str()),
                    source: Arc::new(rule.source.clone()),
                    vias: vias.into_boxed_slice(),
                    approval: rule.approval.clone().map(Arc::new),
                })),
                cond,
                effect,
                window: CWindow {
                    from,
                    until,
                    duration: rule.window.duration,
                },
            });
        }
    }

    let mut separations = Vec::with_capacity(policy.separations.len());
    for separation in &policy.separations {
        let subject = format!(
            "separation of {} from {}",
            separation.left, separation.right
        );
        checker.check_target(&separation.left, &subject, &separation.source);
        checker.check_target(&separation.right, &subject, &separation.source);
        let mut side = |names: &[String]| -> Vec<usize> {
            let mut indices: Vec<usize> = names
                .iter()
                .filter_map(|n| checker.entitlement_index(n, &subject, &separation.source))
                .collect();
            indices.sort_unstable();
            indices.dedup();
            indices
        };
        let left_entitlements = side(&separation.left_entitlements);
        let right_entitlements = side(&separation.right_entitlements);
        separations.push(CSeparation {
            left: separation.left.to_string(),
            right: separation.right.to_string(),
            // Entitlement indices for now; positions in name order below.
            left_ranks: left_entitlements,
            right_ranks: right_entitlements,
            source: Arc::new(separation.source.clone()),
        });
    }

    if !checker.problems.is_empty() {
        // A name can be reported twice (as written and as resolved).
        let mut problems: Vec<IrProblem> = Vec::with_capacity(checker.problems.len());
        for problem in checker.problems {
            if !problems.contains(&problem) {
                problems.push(problem);
            }
        }
        return Err(IrValidationError { problems });
    }

    let schema = Arc::new(Schema::new(
        policy
            .attributes
            .iter()
            .map(|a| SchemaAttribute {
                name: a.name.clone(),
                kind: a.kind.clone(),
                optional: a.optional,
            })
            .collect(),
    ));
    let entitlements: Vec<CEntitlement> = policy
        .entitlements
        .iter()
        .map(|e| CEntitlement {
            name: Arc::from(e.name.as_str()),
            sensitive: e.sensitive,
            max_duration: e.max_duration,
        })
        .collect();
    let mut by_name: Vec<usize> = (0..entitlements.len()).collect();
    by_name.sort_by(|a, b| {
        let name = |i: &usize| entitlements.get(*i).map(|e| &*e.name);
        name(a).cmp(&name(b))
    });
    let ranked: Vec<Ranked> = by_name
        .iter()
        .filter_map(|&index| {
            let e = entitlements.get(index)?;
            Some(Ranked {
                name: Arc::clone(&e.name),
                sensitive: e.sensitive,
                max_duration: e.max_duration,
            })
        })
        .collect();
    let mut rank = vec![0; entitlements.len()];
    for (position, &index) in by_name.iter().enumerate() {
        if let Some(slot) = rank.get_mut(index) {
            *slot = position;
        }
    }
    for separation in &mut separations {
        for side in [&mut separation.left_ranks, &mut separation.right_ranks] {
            for entitlement in side.iter_mut() {
                *entitlement = rank.get(*entitlement).copied().unwrap_or(usize::MAX);
            }
            side.sort_unstable();
        }
    }
    let mut separations_of: Vec<Vec<usize>> = vec![Vec::new(); entitlements.len()];
    for (i, separation) in separations.iter().enumerate() {
        for &position in separation.left_ranks.iter().chain(&separation.right_ranks) {
            if let Some(list) = separations_of.get_mut(position) {
                if list.last() != Some(&i) {
                    list.push(i);
                }
            }
        }
    }
    let checks = policy
        .checks
        .iter()
        .enumerate()
        .map(|(i, check)| {
            let slot = policy.attributes.len() + i;
            CCheck {
                name: Arc::from(check.name.as_str()),
                rules: rules
                    .iter()
                    .enumerate()
                    .filter(|(_, rule)| {
                        let mut read = Vec::new();
                        rule.cond.attributes(&mut read);
                        read.contains(&slot)
                    })
                    .map(|(index, _)| index)
                    .collect(),
            }
        })
        .collect();
    Ok(Compiled {
        timezone,
        schema,
        entitlements,
        by_name,
        ranked,
        rank,
        rules,
        separations,
        separations_of,
        checks,
    })
}
