//! Estimates of heap bytes: allocated capacities of strings, vectors, boxes
//! and maps, without allocator overhead. For documentation and benchmarks
//! ("the compiled set of 10,000 rules takes N MB"), not for accounting.

use std::mem::size_of;
use std::sync::Arc;

use grantline_ir::{
    Approval, Attribute, AttributeKind, Condition, Effect, Entitlement, PolicySet,
    ResolvedEntitlement, Role, Rule, Separation, SourceLocation, Target, TimePoint, Value,
};

use crate::compile::{
    CEffect, CEntitlement, CPoint, CRule, CSeparation, CTarget, Compiled, Cond, Leaf, Ranked, Test,
};
use crate::identity::SchemaAttribute;
use crate::index::map_size;
use crate::output::RuleRecord;

fn string(s: &String) -> usize {
    s.capacity()
}

fn strings(list: &Vec<String>) -> usize {
    list.capacity() * size_of::<String>() + list.iter().map(string).sum::<usize>()
}

/// The heap bytes of a shared string: the reference counts and the text.
fn arc_str(s: &Arc<str>) -> usize {
    2 * size_of::<usize>() + s.len()
}

/// The heap bytes of a shared list of strings; an empty list is one list
/// shared by every target that comes through no role, so it is not counted.
fn arc_strings(list: &Arc<[String]>) -> usize {
    if list.is_empty() {
        return 0;
    }
    2 * size_of::<usize>()
        + list.len() * size_of::<String>()
        + list.iter().map(string).sum::<usize>()
}

/// The heap bytes of a shared source location.
fn arc_source(s: &Arc<SourceLocation>) -> usize {
    2 * size_of::<usize>() + size_of::<SourceLocation>() + source(s)
}

/// The heap bytes of a vector and of what its items own.
fn vec<T>(list: &Vec<T>, item: impl Fn(&T) -> usize) -> usize {
    list.capacity() * size_of::<T>() + list.iter().map(item).sum::<usize>()
}

fn source(s: &SourceLocation) -> usize {
    string(&s.file)
}

fn target(t: &Target) -> usize {
    match t {
        Target::Entitlement(name) | Target::Role(name) => string(name),
    }
}

fn value(v: &Value) -> usize {
    match v {
        Value::Text(text) => string(text),
        Value::Number(_) | Value::Date(_) => 0,
    }
}

fn condition(c: &Condition) -> usize {
    match c {
        Condition::True => 0,
        Condition::And { all: items } | Condition::Or { any: items } => vec(items, condition),
        Condition::Not { not } => size_of::<Condition>() + condition(not),
        Condition::Is {
            attribute,
            value: v,
        }
        | Condition::Compare {
            attribute,
            value: v,
            ..
        }
        | Condition::Contains {
            attribute,
            value: v,
        } => string(attribute) + value(v),
        Condition::In { attribute, values } => string(attribute) + vec(values, value),
        Condition::Flag { attribute } | Condition::Present { attribute } => string(attribute),
        Condition::Check { check } => string(check),
    }
}

fn resolved(r: &ResolvedEntitlement) -> usize {
    string(&r.entitlement) + strings(&r.via)
}

fn point(p: &Option<TimePoint>) -> usize {
    match p {
        Some(TimePoint::Attribute(name)) => string(name),
        _ => 0,
    }
}

fn rule(r: &Rule) -> usize {
    let effect = match &r.effect {
        Effect::Grant {
            targets,
            entitlements,
        }
        | Effect::Deny {
            targets,
            entitlements,
        } => vec(targets, target) + vec(entitlements, resolved),
        Effect::DenyEverything => 0,
    };
    let approval = r
        .approval
        .as_ref()
        .and_then(|a| a.by.as_ref())
        .map_or(0, string);
    string(&r.name)
        + source(&r.source)
        + condition(&r.condition)
        + effect
        + point(&r.window.from)
        + point(&r.window.until)
        + approval
}

fn attribute(a: &Attribute) -> usize {
    let kind = match &a.kind {
        AttributeKind::Values { values } => strings(values),
        _ => 0,
    };
    string(&a.name) + kind + source(&a.source)
}

fn entitlement(e: &Entitlement) -> usize {
    string(&e.name)
        + e.owner.as_ref().map_or(0, string)
        + e.description.as_ref().map_or(0, string)
        + source(&e.source)
}

fn role(r: &Role) -> usize {
    string(&r.name) + vec(&r.members, target) + strings(&r.entitlements) + source(&r.source)
}

fn separation(s: &Separation) -> usize {
    target(&s.left)
        + target(&s.right)
        + strings(&s.left_entitlements)
        + strings(&s.right_entitlements)
        + source(&s.source)
}

/// The IR.
pub(crate) fn policy(p: &PolicySet) -> usize {
    string(&p.format)
        + string(&p.timezone)
        + vec(&p.attributes, attribute)
        + vec(&p.entitlements, entitlement)
        + vec(&p.roles, role)
        + vec(&p.rules, rule)
        + vec(&p.separations, separation)
        + vec(&p.checks, |c| {
            string(&c.name) + string(&c.module) + string(&c.sha256) + string(&c.source.file)
        })
}

pub(crate) fn test(t: &Test) -> usize {
    match t {
        Test::TextIn(texts) => strings(texts),
        Test::NumberIn(numbers) => numbers.capacity() * size_of::<f64>(),
        Test::DateIn(dates) => dates.capacity() * size_of::<chrono::NaiveDate>(),
        Test::ListContains(text) | Test::TextContains(text) => string(text),
        Test::Flag
        | Test::Present
        | Test::CompareNumber(..)
        | Test::CompareDate(..)
        | Test::Check => 0,
    }
}

fn cond(c: &Cond) -> usize {
    match c {
        Cond::True => 0,
        Cond::And(items) | Cond::Or(items) => vec(items, cond),
        Cond::Not(inner, text) => size_of::<Cond>() + cond(inner) + string(text),
        Cond::Leaf(Leaf { test: t, text, .. }) => test(t) + string(text),
    }
}

/// The heap bytes of a rule's shared record (see [`RuleRecord`]); the
/// record is shared with the indexed evaluation's rule records, counted
/// once, here.
fn rule_record(r: &RuleRecord) -> usize {
    let approval = r.approval.as_ref().map_or(0, |a| {
        size_of::<usize>() * 2 + size_of::<Approval>() + a.by.as_ref().map_or(0, string)
    });
    size_of::<usize>() * 2
        + size_of::<RuleRecord>()
        + arc_str(&r.name)
        + arc_source(&r.source)
        + r.vias.len() * size_of::<Arc<[String]>>()
        + r.vias.iter().map(arc_strings).sum::<usize>()
        + approval
}

fn cpoint(p: &Option<CPoint>) -> usize {
    match p {
        Some(CPoint::Attribute { name, .. }) => string(name),
        _ => 0,
    }
}

fn crule(r: &CRule) -> usize {
    let effect = match &r.effect {
        CEffect::Grant(targets) | CEffect::Deny(targets) => {
            targets.capacity() * size_of::<CTarget>()
        }
        CEffect::DenyEverything => 0,
    };
    rule_record(&r.shared.0)
        + cond(&r.cond)
        + effect
        + cpoint(&r.window.from)
        + cpoint(&r.window.until)
}

fn schema_attribute(a: &SchemaAttribute) -> usize {
    let kind = match &a.kind {
        AttributeKind::Values { values } => strings(values),
        _ => 0,
    };
    string(&a.name) + kind
}

fn centitlement(e: &CEntitlement) -> usize {
    arc_str(&e.name)
}

fn cseparation(s: &CSeparation) -> usize {
    string(&s.left)
        + string(&s.right)
        + s.left_ranks.capacity() * size_of::<usize>()
        + s.right_ranks.capacity() * size_of::<usize>()
        + arc_source(&s.source)
}

/// The resolved form (the schema is shared with identities; counted once).
pub(crate) fn compiled(c: &Compiled) -> usize {
    let schema = &c.schema;
    size_of::<crate::identity::Schema>()
        + vec(&schema.attributes, schema_attribute)
        + map_size::<String, usize>(schema.index.capacity())
        + schema.index.keys().map(string).sum::<usize>()
        + vec(&c.entitlements, centitlement)
        + c.by_name.capacity() * size_of::<usize>()
        + c.ranked.capacity() * size_of::<Ranked>()
        + c.rank.capacity() * size_of::<usize>()
        + vec(&c.rules, crule)
        + vec(&c.separations, cseparation)
        + vec(&c.separations_of, |l| l.capacity() * size_of::<usize>())
}

/// Gives back the spare capacity of every string and vector of the IR (a
/// compiler builds them by growing them): the evaluator keeps the IR for as
/// long as it lives. The content is unchanged.
pub(crate) fn shrink_policy(p: &mut PolicySet) {
    fn s(text: &mut String) {
        text.shrink_to_fit();
    }
    fn list(items: &mut Vec<String>) {
        items.shrink_to_fit();
        items.iter_mut().for_each(s);
    }
    fn loc(source: &mut SourceLocation) {
        s(&mut source.file);
    }
    fn tgt(target: &mut Target) {
        match target {
            Target::Entitlement(name) | Target::Role(name) => s(name),
        }
    }
    fn val(value: &mut Value) {
        if let Value::Text(text) = value {
            s(text);
        }
    }
    // Iterative: conditions may nest deeply in an IR that fails validation.
    fn cond(c: &mut Condition) {
        let mut stack = vec![c];
        while let Some(c) = stack.pop() {
            match c {
                Condition::True => {}
                Condition::And { all: items } | Condition::Or { any: items } => {
                    items.shrink_to_fit();
                    stack.extend(items.iter_mut());
                }
                Condition::Not { not } => stack.push(not),
                Condition::Is { attribute, value }
                | Condition::Compare {
                    attribute, value, ..
                }
                | Condition::Contains { attribute, value } => {
                    s(attribute);
                    val(value);
                }
                Condition::In { attribute, values } => {
                    s(attribute);
                    values.shrink_to_fit();
                    values.iter_mut().for_each(val);
                }
                Condition::Flag { attribute } | Condition::Present { attribute } => s(attribute),
                Condition::Check { check } => s(check),
            }
        }
    }
    fn point(p: &mut Option<TimePoint>) {
        if let Some(TimePoint::Attribute(name)) = p {
            s(name);
        }
    }

    s(&mut p.format);
    s(&mut p.timezone);
    p.attributes.shrink_to_fit();
    for a in &mut p.attributes {
        s(&mut a.name);
        if let AttributeKind::Values { values } = &mut a.kind {
            list(values);
        }
        loc(&mut a.source);
    }
    p.entitlements.shrink_to_fit();
    for e in &mut p.entitlements {
        s(&mut e.name);
        e.owner.iter_mut().for_each(s);
        e.description.iter_mut().for_each(s);
        loc(&mut e.source);
    }
    p.roles.shrink_to_fit();
    for r in &mut p.roles {
        s(&mut r.name);
        r.members.shrink_to_fit();
        r.members.iter_mut().for_each(tgt);
        list(&mut r.entitlements);
        loc(&mut r.source);
    }
    p.rules.shrink_to_fit();
    for r in &mut p.rules {
        s(&mut r.name);
        loc(&mut r.source);
        cond(&mut r.condition);
        if let Effect::Grant {
            targets,
            entitlements,
        }
        | Effect::Deny {
            targets,
            entitlements,
        } = &mut r.effect
        {
            targets.shrink_to_fit();
            targets.iter_mut().for_each(tgt);
            entitlements.shrink_to_fit();
            for e in entitlements {
                s(&mut e.entitlement);
                list(&mut e.via);
            }
        }
        point(&mut r.window.from);
        point(&mut r.window.until);
        if let Some(by) = r.approval.as_mut().and_then(|a| a.by.as_mut()) {
            s(by);
        }
    }
    p.separations.shrink_to_fit();
    for sep in &mut p.separations {
        tgt(&mut sep.left);
        tgt(&mut sep.right);
        list(&mut sep.left_entitlements);
        list(&mut sep.right_entitlements);
        loc(&mut sep.source);
    }
}
