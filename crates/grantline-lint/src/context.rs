//! What every rule sees: the policy set, indexes over it, the solver, the
//! evaluator that confirms witnesses, and the population when there is one.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use grantline_eval::{Decision, Evaluator, Identity};
use grantline_ir::{
    Attribute, Condition, Effect, Entitlement, Ordering, PolicySet, Role, Rule, TimePoint, Value,
};

use crate::config::Settings;
use crate::finding::Witness;
use crate::solver::{Search, Solver};

/// What the population tells about each person, computed once.
#[derive(Debug)]
pub(crate) struct PersonFacts {
    /// Indices of the rules that take effect for the person.
    pub(crate) applying: Vec<usize>,
    pub(crate) decision: Decision,
}

pub(crate) struct Context<'a> {
    pub(crate) policy: &'a PolicySet,
    pub(crate) evaluator: &'a Evaluator,
    pub(crate) settings: &'a crate::config::Settings,
    pub(crate) at: DateTime<Utc>,
    /// The local date of `at` in the policy time zone.
    pub(crate) today: NaiveDate,
    pub(crate) solver: Solver,
    /// The people of `--people`, evaluated at `at`.
    pub(crate) people: Option<Vec<PersonFacts>>,
    /// Rules that grant each entitlement (through roles too), ascending.
    pub(crate) grants_of: BTreeMap<&'a str, Vec<usize>>,
    /// Rules that deny each entitlement (not `denies everything`).
    pub(crate) denies_of: BTreeMap<&'a str, Vec<usize>>,
    /// The `denies everything` rules.
    pub(crate) deny_everything: Vec<usize>,
    pub(crate) attributes: HashMap<&'a str, &'a Attribute>,
    pub(crate) entitlements: HashMap<&'a str, &'a Entitlement>,
    pub(crate) roles: HashMap<&'a str, &'a Role>,
    /// Each rule's condition with its window as of `at` (see
    /// [`active_condition`](Self::active_condition)).
    active: Vec<Condition>,
}

impl<'a> Context<'a> {
    pub(crate) fn new(
        policy: &'a PolicySet,
        evaluator: &'a Evaluator,
        settings: &'a Settings,
        at: DateTime<Utc>,
        population: Option<&[Identity]>,
    ) -> Context<'a> {
        let today = at.with_timezone(&evaluator.timezone()).date_naive();
        let mut grants_of: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        let mut denies_of: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        let mut deny_everything = Vec::new();
        for (index, rule) in policy.rules.iter().enumerate() {
            match &rule.effect {
                Effect::Grant { entitlements, .. } | Effect::Deny { entitlements, .. } => {
                    let map = if rule.effect.is_deny() {
                        &mut denies_of
                    } else {
                        &mut grants_of
                    };
                    for resolved in entitlements {
                        let list = map.entry(resolved.entitlement.as_str()).or_default();
                        if list.last() != Some(&index) {
                            list.push(index);
                        }
                    }
                }
                Effect::DenyEverything => deny_everything.push(index),
            }
        }
        let active: Vec<Condition> = policy
            .rules
            .iter()
            .map(|rule| active_condition(rule, &policy.attributes, today))
            .collect();
        let solver = Solver::new(policy, active.iter());
        let people = population.map(|identities| people_facts(policy, evaluator, identities, at));
        Context {
            policy,
            evaluator,
            settings,
            at,
            today,
            solver,
            people,
            grants_of,
            denies_of,
            deny_everything,
            attributes: policy
                .attributes
                .iter()
                .map(|a| (a.name.as_str(), a))
                .collect(),
            entitlements: policy
                .entitlements
                .iter()
                .map(|e| (e.name.as_str(), e))
                .collect(),
            roles: policy.roles.iter().map(|r| (r.name.as_str(), r)).collect(),
            active,
        }
    }

    /// Rule `index`'s condition and, for its window, what must hold for the
    /// window to be open at `at`: dates of the identity compared with the
    /// day of `at`, fixed dates decided. A condition of the solver's
    /// vocabulary, so that searches cover windows too. (A duration after a
    /// start date is left out: witnesses are confirmed by the evaluator.)
    pub(crate) fn active_condition(&self, index: usize) -> &Condition {
        self.active.get(index).unwrap_or(&Condition::True)
    }

    /// `identity` as a witness, if the evaluator confirms `holds` of its
    /// decision at `at`.
    pub(crate) fn confirm(
        &self,
        identity: serde_json::Map<String, serde_json::Value>,
        holds: impl Fn(&Decision) -> bool,
    ) -> Option<Witness> {
        let checked = self
            .evaluator
            .identity_from_json(&serde_json::Value::Object(identity.clone()))
            .ok()?;
        let at = self.at;
        holds(&self.evaluator.evaluate(&checked, at)).then_some(Witness { identity, at })
    }

    /// A witness found by the solver for `conditions` and `want`, confirmed
    /// by `holds`; `None` when there is none, or it is not confirmed. For a
    /// few conditions: `want` is tried on every combination of truths
    /// (see [`Solver::find_each`] for many).
    pub(crate) fn witness(
        &self,
        conditions: &[&Condition],
        want: impl Fn(&[crate::solver::Truth]) -> bool,
        holds: impl Fn(&Decision) -> bool,
    ) -> Option<Witness> {
        match self.solver.find(conditions, want) {
            Search::Found(identity) => self.confirm(identity, holds),
            Search::Impossible | Search::Undecided => None,
        }
    }

    /// The rule with this index.
    pub(crate) fn rule(&self, index: usize) -> Option<&'a Rule> {
        self.policy.rules.get(index)
    }

    /// Whether the entitlement is marked sensitive in the catalogue.
    pub(crate) fn is_sensitive(&self, entitlement: &str) -> bool {
        self.entitlements
            .get(entitlement)
            .is_some_and(|e| e.sensitive)
    }
}

/// See [`Context::active_condition`].
fn active_condition(rule: &Rule, attributes: &[Attribute], today: NaiveDate) -> Condition {
    let never = || Condition::Not {
        not: Box::new(Condition::True),
    };
    let mut all = vec![rule.condition.clone()];
    match &rule.window.from {
        None => {}
        Some(TimePoint::Date(date)) if *date > today => all.push(never()),
        Some(TimePoint::Date(_)) => {}
        Some(TimePoint::Attribute(attribute)) => all.push(Condition::Compare {
            attribute: attribute.clone(),
            cmp: Ordering::LessOrEqual,
            value: Value::Date(today),
        }),
    }
    match &rule.window.until {
        None => {}
        Some(TimePoint::Date(date)) if *date < today => all.push(never()),
        Some(TimePoint::Date(_)) => {}
        Some(TimePoint::Attribute(attribute)) => {
            let not_ended = Condition::Compare {
                attribute: attribute.clone(),
                cmp: Ordering::GreaterOrEqual,
                value: Value::Date(today),
            };
            let present = Condition::Present {
                attribute: attribute.clone(),
            };
            // A missing optional end date means no end; a missing required
            // one closes a grant's window and applies a deny (fail closed):
            // the evaluator's rules.
            let optional = attributes
                .iter()
                .any(|a| a.name == *attribute && a.optional);
            all.push(if optional || rule.effect.is_deny() {
                Condition::Or {
                    any: vec![
                        Condition::Not {
                            not: Box::new(present),
                        },
                        not_ended,
                    ],
                }
            } else {
                Condition::And {
                    all: vec![present, not_ended],
                }
            });
        }
    }
    Condition::And { all }
}

/// Every person's applying rules and decision, on every core.
fn people_facts(
    policy: &PolicySet,
    evaluator: &Evaluator,
    identities: &[Identity],
    at: DateTime<Utc>,
) -> Vec<PersonFacts> {
    let index_of: HashMap<&str, usize> = policy
        .rules
        .iter()
        .enumerate()
        .map(|(i, r)| (r.name.as_str(), i))
        .collect();
    let facts = |identity: &Identity| PersonFacts {
        applying: evaluator
            .applying_rules(identity, at)
            .into_iter()
            .filter_map(|name| index_of.get(name).copied())
            .collect(),
        decision: evaluator.evaluate(identity, at),
    };
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = identities.len().div_ceil(workers).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = identities
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(facts).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|handle| match handle.join() {
                Ok(part) => part,
                // The evaluator does not panic; if it did, say so.
                Err(payload) => std::panic::resume_unwind(payload),
            })
            .collect()
    })
}
