//! `test` blocks: an identity, an instant and the expected decision,
//! checked against the schema and the catalogue like the rules are.
//!
//! Tests are not part of the IR: they are about the policies, and a
//! provisioning system that loads compiled IR has no use for them.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime};
use grantline_ir::{AttributeKind, SourceLocation, Value};
use grantline_syntax::ast::{self, ExpectDetail, Expectation, GivenItem, Literal, Statement};
use grantline_syntax::{Diagnostic, Span};

use crate::conditions::{parse_date, ConditionCompiler};
use crate::declarations::{location, Declarations, Meaning};
use crate::{codes, Context};

/// One `test` block, compiled.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyTest {
    pub name: String,
    pub source: SourceLocation,
    /// The identity: attribute name to value.
    pub given: BTreeMap<String, TestValue>,
    pub at: TestInstant,
    pub expectations: Vec<TestExpectation>,
}

/// A value of the test identity, typed by its attribute.
#[derive(Debug, Clone, PartialEq)]
pub enum TestValue {
    Text(String),
    Number(f64),
    Date(NaiveDate),
    Flag(bool),
    List(Vec<String>),
}

/// When a test evaluates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestInstant {
    /// The first instant of the day in the policy time zone.
    Date(NaiveDate),
    /// A local date and time in the policy time zone.
    Local(NaiveDateTime),
    /// An instant with an offset.
    Instant(DateTime<FixedOffset>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct TestExpectation {
    pub entitlement: String,
    pub expect: Expect,
    /// The expectation as written, for reports.
    pub text: String,
    pub source: SourceLocation,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    /// `expect no X`: neither granted nor pending.
    Absent,
    /// `expect X …`
    Present {
        /// `pending approval` (`Some(None)`), `… by "g"` (`Some(Some(g))`);
        /// `None`: granted outright.
        pending: Option<Option<String>>,
        /// The first day covered.
        from: Option<NaiveDate>,
        /// The last day covered.
        until: Option<NaiveDate>,
    },
}

pub(crate) fn compile_tests(
    context: &mut Context<'_>,
    declarations: &Declarations,
    files: &[ast::PolicyFile],
) -> Vec<PolicyTest> {
    let mut first_seen: BTreeMap<&str, Span> = BTreeMap::new();
    let mut tests = Vec::new();
    for statement in files.iter().flat_map(|f| f.statements.iter()) {
        let Statement::Test(decl) = statement else {
            continue;
        };
        if let Some(first) = first_seen.get(decl.name.text.as_str()) {
            context.report(
                Diagnostic::error(
                    codes::DUPLICATE_NAME,
                    format!("test \"{}\" is declared twice", decl.name.text),
                )
                .at(context.sources, decl.name.span, "declared again here")
                .also(context.sources, *first, "first declared here")
                .with_help("test names identify tests in reports; give each test its own name"),
            );
        } else {
            first_seen.insert(&decl.name.text, decl.name.span);
        }
        if let Some(test) = compile_test(context, declarations, decl) {
            tests.push(test);
        }
    }
    tests
}

fn compile_test(
    context: &mut Context<'_>,
    declarations: &Declarations,
    decl: &ast::TestDecl,
) -> Option<PolicyTest> {
    let given = compile_given(context, declarations, &decl.given);
    let at = compile_at(context, &decl.at);
    let mut expectations = Vec::new();
    let mut ok = true;
    for expectation in &decl.expectations {
        match compile_expectation(context, declarations, expectation) {
            Some(compiled) => expectations.push(compiled),
            None => ok = false,
        }
    }
    let (given, at) = (given?, at?);
    ok.then(|| PolicyTest {
        name: decl.name.text.clone(),
        source: location(context.sources, decl.span),
        given,
        at,
        expectations,
    })
}

fn compile_given(
    context: &mut Context<'_>,
    declarations: &Declarations,
    items: &[GivenItem],
) -> Option<BTreeMap<String, TestValue>> {
    let mut given: BTreeMap<String, TestValue> = BTreeMap::new();
    let mut first_span: BTreeMap<String, Span> = BTreeMap::new();
    let mut ok = true;
    for item in items {
        let mut compiler = ConditionCompiler {
            context: &mut *context,
            declarations,
        };
        let assigned = match item {
            GivenItem::Word(word) => compiler.resolve_word(word).map(|meaning| match meaning {
                Meaning::Value(a) => (
                    compiler.attribute_name(a),
                    TestValue::Text(word.text.clone()),
                ),
                Meaning::Flag(a) => (compiler.attribute_name(a), TestValue::Flag(true)),
            }),
            GivenItem::Assignment {
                attribute,
                values,
                list,
                ..
            } => assignment(&mut compiler, attribute, values, *list),
        };
        let Some((attribute, value)) = assigned else {
            ok = false;
            continue;
        };
        if let Some(first) = first_span.get(&attribute) {
            context.report(
                Diagnostic::error(
                    codes::DUPLICATE_NAME,
                    format!("the test gives `{attribute}` twice"),
                )
                .at(context.sources, item.span(), "given again here")
                .also(context.sources, *first, "first given here")
                .with_help("an identity has one value per attribute; a list is written `{a, b}`"),
            );
            ok = false;
            continue;
        }
        first_span.insert(attribute.clone(), item.span());
        given.insert(attribute, value);
    }
    ok.then_some(given)
}

/// `level 6`, `start_date 2024-01-08`, `groups {a, b}`: typed by the attribute.
fn assignment(
    compiler: &mut ConditionCompiler<'_, '_>,
    name: &ast::Name,
    values: &[Literal],
    list: bool,
) -> Option<(String, TestValue)> {
    let Some((_, attribute)) = compiler.declarations.attribute(&name.text) else {
        compiler.context.report(
            Diagnostic::error(
                codes::UNKNOWN_ATTRIBUTE,
                format!("unknown attribute `{}`", name.text),
            )
            .at(compiler.context.sources, name.span, "no attribute of this name")
            .with_help("a test gives values as `ATTRIBUTE VALUE` or as value words (`full-time`, `manager`)"),
        );
        return None;
    };
    let attribute_name = attribute.name.clone();
    let kind = attribute.kind.clone();
    if kind == AttributeKind::ListOfText {
        let items = values.iter().map(|v| v.text().to_string()).collect();
        return Some((attribute_name, TestValue::List(items)));
    }
    let (Some(literal), false) = (values.first(), list) else {
        compiler.context.report(
            Diagnostic::error(
                codes::TYPE_MISMATCH,
                format!("`{attribute_name}` is a {}, not a list", kind.describe()),
            )
            .at(compiler.context.sources, name.span, "one value expected")
            .with_help(format!("give one value: `{attribute_name} …`")),
        );
        return None;
    };
    let value = compiler.literal_value(&attribute_name, &kind, literal)?;
    let value = match (value, &kind) {
        (Value::Text(text), AttributeKind::Flag) => TestValue::Flag(text == "true"),
        (Value::Text(text), _) => TestValue::Text(text),
        (Value::Number(number), _) => TestValue::Number(number),
        (Value::Date(date), _) => TestValue::Date(date),
    };
    Some((attribute_name, value))
}

fn compile_at(context: &mut Context<'_>, at: &ast::AtLiteral) -> Option<TestInstant> {
    if !at.has_time {
        return parse_date(context, &at.text, at.span).map(TestInstant::Date);
    }
    if let Ok(instant) = DateTime::parse_from_rfc3339(&at.text) {
        return Some(TestInstant::Instant(instant));
    }
    for format in ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"] {
        if let Ok(local) = NaiveDateTime::parse_from_str(&at.text, format) {
            return Some(TestInstant::Local(local));
        }
    }
    context.report(
        Diagnostic::error(codes::BAD_DATE, format!("`{}` is not an instant", at.text))
            .at(context.sources, at.span, "no such time")
            .with_help("write a real date (2026-12-01) or date and time (2026-12-01T09:00, 2026-12-01T09:00:00Z)"),
    );
    None
}

fn compile_expectation(
    context: &mut Context<'_>,
    declarations: &Declarations,
    expectation: &Expectation,
) -> Option<TestExpectation> {
    let span = expectation.span();
    let text = context
        .sources
        .get(span.file)
        .map(|f| {
            f.snippet(span)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default();
    let source = location(context.sources, span);
    match expectation {
        Expectation::Absent { entitlement, .. } => {
            let item = ast::GrantItem::Entitlement(entitlement.clone());
            declarations.check_item(context, &item)?;
            Some(TestExpectation {
                entitlement: entitlement.text.clone(),
                expect: Expect::Absent,
                text,
                source,
            })
        }
        Expectation::Present {
            entitlement,
            details,
            ..
        } => {
            let item = ast::GrantItem::Entitlement(entitlement.clone());
            let known = declarations.check_item(context, &item).is_some();
            let mut pending = None;
            let mut from = None;
            let mut until = None;
            let mut ok = known;
            let mut seen: BTreeMap<&str, Span> = BTreeMap::new();
            for detail in details {
                let key = match detail {
                    ExpectDetail::Pending { .. } => "pending approval",
                    ExpectDetail::Until { .. } => "until",
                    ExpectDetail::From { .. } => "from",
                };
                if let Some(first) = seen.get(key) {
                    context.report(
                        Diagnostic::error(
                            codes::DUPLICATE_CLAUSE,
                            format!("the expectation has `{key}` twice"),
                        )
                        .at(context.sources, detail.span(), "given again here")
                        .also(context.sources, *first, "first given here")
                        .with_help("keep one"),
                    );
                    ok = false;
                    continue;
                }
                seen.insert(key, detail.span());
                match detail {
                    ExpectDetail::Pending { by, .. } => {
                        pending = Some(by.as_ref().map(|w| w.text.clone()));
                    }
                    ExpectDetail::Until { date, span } => {
                        until = parse_date(context, date, *span);
                        ok &= until.is_some();
                    }
                    ExpectDetail::From { date, span } => {
                        from = parse_date(context, date, *span);
                        ok &= from.is_some();
                    }
                }
            }
            ok.then(|| TestExpectation {
                entitlement: entitlement.text.clone(),
                expect: Expect::Present {
                    pending,
                    from,
                    until,
                },
                text,
                source,
            })
        }
    }
}
