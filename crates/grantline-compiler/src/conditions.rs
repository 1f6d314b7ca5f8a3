//! Conditions, short and explicit form, resolved against the schema and
//! normalized so that both forms of one sentence give the same IR.

use chrono::NaiveDate;
use grantline_ir::{AttributeKind, Condition, Ordering, Value};
use grantline_syntax::ast::{self, CompareOp, Comparison, Expr, Literal, ShortTerm, Word};
use grantline_syntax::{Diagnostic, Span};

use crate::declarations::{Declarations, Meaning};
use crate::suggest::{closest, did_you_mean};
use crate::{codes, Context};

pub struct ConditionCompiler<'c, 'a> {
    pub context: &'c mut Context<'a>,
    pub declarations: &'c Declarations,
}

impl ConditionCompiler<'_, '_> {
    /// The whole condition of a rule; `None` if any part had an error (every
    /// error is reported, not only the first).
    pub fn condition(&mut self, condition: &ast::Condition) -> Option<Condition> {
        let mut parts = Vec::new();
        let mut ok = true;
        for term in &condition.terms {
            match self.short_term(term) {
                Some(part) => parts.push(part),
                None => ok = false,
            }
        }
        if let Some(expr) = &condition.where_clause {
            match self.expr(expr) {
                Some(part) => parts.push(part),
                None => ok = false,
            }
        }
        ok.then(|| and(parts))
    }

    fn short_term(&mut self, term: &ShortTerm) -> Option<Condition> {
        match term {
            ShortTerm::Anyone(_) => Some(Condition::True),
            ShortTerm::Value(word) => self.word_condition(word),
            ShortTerm::With { word, .. } => self.with_condition(word),
            ShortTerm::Without { word, .. } => self.with_condition(word).map(not),
            ShortTerm::Not { term, .. } => self.short_term(term).map(not),
            ShortTerm::In { values, span } => self.in_values(values, *span),
            ShortTerm::Passing { check, .. } => self.passing(check),
        }
    }

    /// `passing NAME`: a declared custom check.
    fn passing(&mut self, check: &ast::Name) -> Option<Condition> {
        if self.declarations.has_check(&check.text) {
            return Some(Condition::Check {
                check: check.text.clone(),
            });
        }
        // A check whose declaration failed was reported there.
        if self.context.diagnostics.iter().any(|d| {
            d.code == codes::CHECK_MODULE
                && d.message.starts_with(&format!("check `{}`:", check.text))
        }) {
            return None;
        }
        let help = did_you_mean(&closest(&check.text, self.declarations.check_names()))
            .unwrap_or_else(|| {
                format!(
                    "declare it: `check {} from \"checks/{}.wasm\"` (see docs/custom-checks.md)",
                    check.text, check.text
                )
            });
        self.context.report(
            Diagnostic::error(
                codes::UNKNOWN_CHECK,
                format!("unknown check `{}`", check.text),
            )
            .at(self.context.sources, check.span, "no check of this name")
            .with_help(help),
        );
        None
    }

    /// `in X`, `in X or Y`: values of one attribute.
    fn in_values(&mut self, words: &[Word], span: Span) -> Option<Condition> {
        let mut resolved: Vec<(usize, &Word)> = Vec::new();
        let mut ok = true;
        for word in words {
            match self.resolve_word(word) {
                None => ok = false,
                Some(Meaning::Value(attribute)) => resolved.push((attribute, word)),
                Some(Meaning::Flag(attribute)) => {
                    let name = self.attribute_name(attribute);
                    self.context.report(
                        Diagnostic::error(
                            codes::TYPE_MISMATCH,
                            format!("`{}` is a flag, not a value to be in", word.text),
                        )
                        .at(self.context.sources, word.span, "a flag")
                        .with_help(format!("write `with {name} status`")),
                    );
                    ok = false;
                }
            }
        }
        let (first_attribute, _) = *resolved.first()?;
        if let Some((other_attribute, other_word)) =
            resolved.iter().find(|(a, _)| *a != first_attribute)
        {
            let first = self.attribute_name(first_attribute);
            let other = self.attribute_name(*other_attribute);
            self.context.report(
                Diagnostic::error(
                    codes::MIXED_ATTRIBUTES,
                    format!("`in … or …` mixes values of `{first}` and `{other}`"),
                )
                .at(self.context.sources, span, "one attribute's values expected")
                .also(
                    self.context.sources,
                    other_word.span,
                    format!("a value of `{other}`"),
                )
                .with_help(format!(
                    "`in X or Y` lists values of one attribute; to require both write two terms (`in X in Y`), for either one use `where {first} is … or {other} is …`"
                )),
            );
            return None;
        }
        if !ok {
            return None;
        }
        let attribute = self.attribute_name(first_attribute);
        let values = resolved
            .iter()
            .map(|(_, word)| Value::Text(word.text.clone()))
            .collect();
        Some(membership(attribute, values))
    }

    pub(crate) fn attribute_name(&self, index: usize) -> String {
        self.declarations
            .attribute_at(index)
            .map(|a| a.name.clone())
            .unwrap_or_default()
    }

    /// `with X`: a flag or a value as anywhere else, or else an attribute
    /// that must have a value (`with end_date`).
    fn with_condition(&mut self, word: &Word) -> Option<Condition> {
        // A flag's name means the flag, resolved like any word.
        let Some((_, attribute)) = self
            .declarations
            .attribute(&word.text)
            .filter(|(_, a)| a.kind != AttributeKind::Flag)
        else {
            return self.word_condition(word);
        };
        let meanings = self.declarations.meanings(&word.text);
        if meanings.is_empty() {
            return Some(Condition::Present {
                attribute: attribute.name.clone(),
            });
        }
        // A value of another attribute spelled like this attribute.
        let values: Vec<String> = meanings.iter().map(|m| self.describe_meaning(*m)).collect();
        let explicit_values: Vec<String> = meanings
            .iter()
            .filter_map(|m| match m {
                Meaning::Value(a) => Some(format!(
                    "`where {} is {}`",
                    self.attribute_name(*a),
                    grantline_ir::written_value(&word.text)
                )),
                Meaning::Flag(_) => None,
            })
            .collect();
        self.context.report(
            Diagnostic::error(
                codes::AMBIGUOUS_WORD,
                format!(
                    "`{}` is ambiguous: it is the attribute `{}` and {}",
                    word.text,
                    attribute.name,
                    join_and(&values)
                ),
            )
            .at(self.context.sources, word.span, "which one?")
            .with_help(format!(
                "for the value write {}; `with {}` cannot also test that the attribute has a value while a value has its name",
                join_or(&explicit_values),
                word.text
            )),
        );
        None
    }

    /// A bare value or flag word, in either form.
    fn word_condition(&mut self, word: &Word) -> Option<Condition> {
        match self.resolve_word(word)? {
            Meaning::Value(attribute) => Some(Condition::Is {
                attribute: self.attribute_name(attribute),
                value: Value::Text(word.text.clone()),
            }),
            Meaning::Flag(attribute) => Some(Condition::Flag {
                attribute: self.attribute_name(attribute),
            }),
        }
    }

    /// Finds the one attribute a word belongs to, or reports why it cannot.
    pub(crate) fn resolve_word(&mut self, word: &Word) -> Option<Meaning> {
        let meanings = self.declarations.meanings(&word.text);
        match meanings {
            [one] if !word.quoted => {
                // `data` when the schema also knows `Data`: a bare word is
                // too easy to mistype for the other; quoting says "exactly".
                // A reserved word is always written quoted, so a bare word
                // is never a mistyped spelling of it.
                let mut variants: Vec<&str> = self
                    .declarations
                    .case_variants(&word.text)
                    .filter(|v| !grantline_syntax::RESERVED_WORDS.contains(v))
                    .collect();
                if variants.is_empty() {
                    return Some(*one);
                }
                variants.sort_unstable();
                let described: Vec<String> = variants
                    .iter()
                    .filter_map(|v| {
                        let meaning = self.declarations.meanings(v).first()?;
                        Some(format!("`{v}` ({})", self.describe_meaning(*meaning)))
                    })
                    .collect();
                self.context.report(
                    Diagnostic::error(
                        codes::AMBIGUOUS_WORD,
                        format!(
                            "`{}` ({}) differs only in case from {}",
                            word.text,
                            self.describe_meaning(*one),
                            join_and(&described)
                        ),
                    )
                    .at(self.context.sources, word.span, "which spelling?")
                    .with_help(format!(
                        "quote the value to mean exactly this spelling: \"{}\"",
                        word.text
                    )),
                );
                return None;
            }
            [one] => return Some(*one),
            [] => {}
            several => {
                let names: Vec<String> =
                    several.iter().map(|m| self.describe_meaning(*m)).collect();
                let explicit: Vec<String> = several
                    .iter()
                    .map(|m| match m {
                        Meaning::Value(a) => format!(
                            "`where {} is {}`",
                            self.attribute_name(*a),
                            grantline_ir::written_value(&word.text)
                        ),
                        Meaning::Flag(a) => format!("`where {}`", self.attribute_name(*a)),
                    })
                    .collect();
                self.context.report(
                    Diagnostic::error(
                        codes::AMBIGUOUS_WORD,
                        format!("`{}` is ambiguous: it is {}", word.text, join_and(&names)),
                    )
                    .at(self.context.sources, word.span, "which attribute?")
                    .with_help(format!(
                        "say which in the explicit form: {}",
                        join_or(&explicit)
                    )),
                );
                return None;
            }
        }
        // Not a value or flag: explain what it is, or what it is close to.
        let diagnostic = if let Some((_, attribute)) = self.declarations.attribute(&word.text) {
            let help = match &attribute.kind {
                AttributeKind::Values { values } => format!(
                    "name one of its values instead, such as `{}`, or compare it: `where {} is …`",
                    values.first().map(String::as_str).unwrap_or("…"),
                    attribute.name
                ),
                AttributeKind::Number => {
                    format!("compare it with a number: `where {} >= 5`", attribute.name)
                }
                AttributeKind::Date => format!(
                    "compare it (`where {0} < 2026-01-01`) or use it in a window (`from {0}`)",
                    attribute.name
                ),
                AttributeKind::Text => {
                    format!("compare it: `where {} is \"…\"`", attribute.name)
                }
                AttributeKind::ListOfText => {
                    format!("test membership: `where {} contains \"…\"`", attribute.name)
                }
                AttributeKind::Flag => String::new(),
            };
            Diagnostic::error(
                codes::TYPE_MISMATCH,
                format!(
                    "`{}` is a {} attribute, not a value or a flag",
                    word.text,
                    attribute.kind.describe()
                ),
            )
            .at(self.context.sources, word.span, "an attribute name")
            .with_help(format!(
                "{help}; to require that it has a value, write `with {}`",
                attribute.name
            ))
        } else {
            let attributes = self.declarations.attribute_names();
            let suggestions = closest(
                &word.text,
                self.declarations.known_words().chain(attributes),
            );
            let described: Vec<String> = suggestions
                .iter()
                .map(|s| {
                    let meaning = self.declarations.meanings(s).first().copied();
                    match meaning {
                        Some(m) => format!("`{s}` ({})", self.describe_meaning(m)),
                        None => format!("`with {s}` (the attribute `{s}` has a value)"),
                    }
                })
                .collect();
            let clause =
                matches!(word.text.as_str(), "from" | "until" | "for" | "requires").then(|| {
                    format!(
                        "`{}` starts a clause that comes after the effect: `… grants slack {} …`",
                        word.text, word.text
                    )
                });
            let help = if let Some(clause) = clause {
                clause
            } else if described.is_empty() {
                "every word of a condition must be a value of a declared attribute (`attribute department: Sales | …`) or a flag (`attribute manager: flag`)".to_string()
            } else {
                format!("did you mean {}?", join_or(&described))
            };
            Diagnostic::error(
                codes::UNKNOWN_WORD,
                format!("unknown word `{}`: no attribute has this value", word.text),
            )
            .at(self.context.sources, word.span, "not in the schema")
            .with_help(help)
        };
        self.context.report(diagnostic);
        None
    }

    fn describe_meaning(&self, meaning: Meaning) -> String {
        match meaning {
            Meaning::Value(a) => format!("a value of `{}`", self.attribute_name(a)),
            Meaning::Flag(a) => format!("the flag `{}`", self.attribute_name(a)),
        }
    }

    fn expr(&mut self, expr: &Expr) -> Option<Condition> {
        match expr {
            Expr::Or { operands, .. } | Expr::And { operands, .. } => {
                let mut parts = Vec::new();
                let mut ok = true;
                for operand in operands {
                    match self.expr(operand) {
                        Some(part) => parts.push(part),
                        None => ok = false,
                    }
                }
                if !ok {
                    return None;
                }
                Some(if matches!(expr, Expr::Or { .. }) {
                    or(parts)
                } else {
                    and(parts)
                })
            }
            Expr::Not { operand, .. } => self.expr(operand).map(not),
            Expr::Word(word) => self.word_condition(word),
            Expr::Term(term) => self.short_term(term),
            Expr::Compare(comparison) => self.comparison(comparison),
        }
    }

    fn comparison(&mut self, comparison: &Comparison) -> Option<Condition> {
        let name = &comparison.attribute;
        let Some((_, attribute)) = self.declarations.attribute(&name.text) else {
            let mut help = did_you_mean(&closest(&name.text, self.declarations.attribute_names()));
            if help.is_none() {
                if let Some(meaning) = self.declarations.meanings(&name.text).first() {
                    help = Some(format!(
                        "`{}` is {}; name the attribute on the left",
                        name.text,
                        self.describe_meaning(*meaning)
                    ));
                }
            }
            self.context.report(
                Diagnostic::error(
                    codes::UNKNOWN_ATTRIBUTE,
                    format!("unknown attribute `{}`", name.text),
                )
                .at(self.context.sources, name.span, "no attribute of this name")
                .with_help(
                    help.unwrap_or_else(|| {
                        format!("declare it: `attribute {}: <type>`", name.text)
                    }),
                ),
            );
            return None;
        };
        let attribute_name = attribute.name.clone();
        let kind = attribute.kind.clone();
        let op = comparison.op;
        if !operator_fits(&kind, op) {
            self.context.report(
                Diagnostic::error(
                    codes::TYPE_MISMATCH,
                    format!(
                        "`{}` cannot be used with `{attribute_name}`, a {}",
                        op.as_str(),
                        kind.describe()
                    ),
                )
                .at(
                    self.context.sources,
                    comparison.op_span,
                    "not for this type",
                )
                .with_help(operators_help(&attribute_name, &kind)),
            );
            return None;
        }
        let mut values = Vec::new();
        for literal in &comparison.values {
            values.push(self.literal_value(&attribute_name, &kind, literal));
        }
        let values: Vec<Value> = values.into_iter().collect::<Option<_>>()?;
        let attribute = attribute_name;
        if kind == AttributeKind::Flag {
            // `manager is true` reads as the flag itself.
            let truth = values
                .first()
                .is_some_and(|v| *v == Value::Text("true".into()));
            let flag = Condition::Flag { attribute };
            return Some(match (op, truth) {
                (CompareOp::Is, true) | (CompareOp::IsNot, false) => flag,
                _ => not(flag),
            });
        }
        let first = || values.first().cloned().unwrap_or(Value::Number(0.0));
        Some(match op {
            CompareOp::Is => Condition::Is {
                attribute,
                value: first(),
            },
            CompareOp::IsNot => not(Condition::Is {
                attribute,
                value: first(),
            }),
            CompareOp::In => membership(attribute, values),
            CompareOp::NotIn => not(membership(attribute, values)),
            CompareOp::Contains => Condition::Contains {
                attribute,
                value: first(),
            },
            CompareOp::Greater => compare(attribute, Ordering::Greater, first()),
            CompareOp::GreaterOrEqual => compare(attribute, Ordering::GreaterOrEqual, first()),
            CompareOp::Less => compare(attribute, Ordering::Less, first()),
            CompareOp::LessOrEqual => compare(attribute, Ordering::LessOrEqual, first()),
        })
    }

    /// A literal on the right of a comparison, converted to the attribute's type.
    pub(crate) fn literal_value(
        &mut self,
        attribute: &str,
        kind: &AttributeKind,
        literal: &Literal,
    ) -> Option<Value> {
        let span = literal.span();
        let text = literal.text();
        match kind {
            AttributeKind::Values { values } => {
                if values.iter().any(|v| v == text) {
                    return Some(Value::Text(text.to_string()));
                }
                let help = did_you_mean(&closest(text, values.iter().map(String::as_str)))
                    .unwrap_or_else(|| format!("its values are {}", list_values(values)));
                self.context.report(
                    Diagnostic::error(
                        codes::UNKNOWN_VALUE,
                        format!("`{text}` is not a value of `{attribute}`"),
                    )
                    .at(self.context.sources, span, "unknown value")
                    .with_help(help),
                );
                None
            }
            AttributeKind::Number => match literal {
                Literal::Number { text, .. } => match text.parse::<f64>() {
                    Ok(number) if number.is_finite() => Some(Value::Number(number)),
                    _ => {
                        self.context.report(
                            Diagnostic::error(
                                codes::BAD_NUMBER,
                                format!("`{text}` is not a usable number"),
                            )
                            .at(self.context.sources, span, "out of range")
                            .with_help("write a finite decimal number such as 7 or 2.5"),
                        );
                        None
                    }
                },
                _ => self.type_mismatch(attribute, kind, literal, "a number such as 7"),
            },
            AttributeKind::Date => match literal {
                Literal::Date { text, span } => {
                    parse_date(self.context, text, *span).map(Value::Date)
                }
                _ => self.type_mismatch(attribute, kind, literal, "a date such as 2026-01-31"),
            },
            AttributeKind::Flag => match text {
                "true" | "false" if matches!(literal, Literal::Word(_)) => {
                    Some(Value::Text(text.to_string()))
                }
                _ => self.type_mismatch(attribute, kind, literal, "`true` or `false`"),
            },
            AttributeKind::Text | AttributeKind::ListOfText => Some(Value::Text(text.to_string())),
        }
    }

    fn type_mismatch(
        &mut self,
        attribute: &str,
        kind: &AttributeKind,
        literal: &Literal,
        expected: &str,
    ) -> Option<Value> {
        let found = match literal {
            Literal::Date { .. } => "a date",
            Literal::Number { .. } => "a number",
            Literal::Word(word) if word.quoted => "a quoted value",
            Literal::Word(_) => "a word",
        };
        self.context.report(
            Diagnostic::error(
                codes::TYPE_MISMATCH,
                format!(
                    "`{attribute}` is a {} but `{}` is {found}",
                    kind.describe(),
                    literal.text()
                ),
            )
            .at(self.context.sources, literal.span(), "wrong type")
            .with_help(format!("compare `{attribute}` with {expected}")),
        );
        None
    }
}

fn operator_fits(kind: &AttributeKind, op: CompareOp) -> bool {
    use CompareOp::*;
    match kind {
        AttributeKind::Values { .. } => matches!(op, Is | IsNot | In | NotIn),
        AttributeKind::Number | AttributeKind::Date => {
            matches!(
                op,
                Is | IsNot | In | NotIn | Greater | GreaterOrEqual | Less | LessOrEqual
            )
        }
        AttributeKind::Text => matches!(op, Is | IsNot | In | NotIn | Contains),
        AttributeKind::Flag => matches!(op, Is | IsNot),
        AttributeKind::ListOfText => matches!(op, Contains),
    }
}

fn operators_help(attribute: &str, kind: &AttributeKind) -> String {
    match kind {
        AttributeKind::Values { .. } => format!(
            "a value set is compared with `is`, `is not`, `in {{…}}` or `not in {{…}}`: `where {attribute} is …`"
        ),
        AttributeKind::Number => format!("compare numbers with `is`, `in {{…}}`, `>`, `>=`, `<`, `<=`: `where {attribute} >= 5`"),
        AttributeKind::Date => format!("compare dates with `is`, `>`, `>=`, `<`, `<=`: `where {attribute} < 2026-01-01`"),
        AttributeKind::Text => format!("compare text with `is`, `in {{…}}` or `contains`: `where {attribute} contains \"…\"`"),
        AttributeKind::Flag => format!("a flag is used by name (`with {attribute} status`, `where {attribute}`, `where not {attribute}`)"),
        AttributeKind::ListOfText => format!("a list is tested with `contains`: `where {attribute} contains \"…\"`"),
    }
}

/// Checks that a `YYYY-MM-DD` literal is a real calendar date.
pub fn parse_date(context: &mut Context<'_>, text: &str, span: Span) -> Option<NaiveDate> {
    match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        Ok(date) => Some(date),
        Err(_) => {
            context.report(
                Diagnostic::error(codes::BAD_DATE, format!("`{text}` is not a calendar date"))
                    .at(context.sources, span, "no such day")
                    .with_help("write a real date as YYYY-MM-DD; months run 01-12 and days to the month's end"),
            );
            None
        }
    }
}

fn list_values(values: &[String]) -> String {
    let shown: Vec<String> = values
        .iter()
        .take(8)
        .map(|v| grantline_ir::written_value(v))
        .collect();
    let mut text = shown.join(", ");
    if values.len() > 8 {
        text.push_str(&format!(" and {} more", values.len() - 8));
    }
    text
}

fn join_and(items: &[String]) -> String {
    join(items, "and")
}

fn join_or(items: &[String]) -> String {
    join(items, "or")
}

fn join(items: &[String], word: &str) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} {word} {last}", init.join(", ")),
    }
}

fn membership(attribute: String, mut values: Vec<Value>) -> Condition {
    let mut unique: Vec<Value> = Vec::with_capacity(values.len());
    for value in values.drain(..) {
        if !unique.contains(&value) {
            unique.push(value);
        }
    }
    if unique.len() == 1 {
        if let Some(value) = unique.pop() {
            return Condition::Is { attribute, value };
        }
    }
    Condition::In {
        attribute,
        values: unique,
    }
}

fn compare(attribute: String, cmp: Ordering, value: Value) -> Condition {
    Condition::Compare {
        attribute,
        cmp,
        value,
    }
}

fn not(condition: Condition) -> Condition {
    match condition {
        Condition::Not { not } => *not,
        other => Condition::Not {
            not: Box::new(other),
        },
    }
}

/// Conjunction, flattened, with `anyone` dropped where something else holds.
fn and(parts: Vec<Condition>) -> Condition {
    let mut all = Vec::new();
    for part in parts {
        match part {
            Condition::And { all: inner } => all.extend(inner),
            Condition::True => {}
            other => all.push(other),
        }
    }
    match all.len() {
        0 => Condition::True,
        1 => all.pop().unwrap_or(Condition::True),
        _ => Condition::And { all },
    }
}

fn or(parts: Vec<Condition>) -> Condition {
    let mut any = Vec::new();
    for part in parts {
        match part {
            Condition::Or { any: inner } => any.extend(inner),
            other => any.push(other),
        }
    }
    if any.contains(&Condition::True) {
        return Condition::True;
    }
    match any.len() {
        1 => any.pop().unwrap_or(Condition::True),
        _ => Condition::Or { any },
    }
}
