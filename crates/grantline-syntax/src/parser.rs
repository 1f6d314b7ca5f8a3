//! pest parser over `grammar/grantline.pest` and the conversion of its parse
//! tree into the [`ast`](crate::ast).

use pest::iterators::{Pair, Pairs};
use pest::Parser;
use pest_derive::Parser;

use crate::ast::*;
use crate::diagnostic::Diagnostic;
use crate::source::{FileId, SourceMap, Span};
use crate::syntax_error;

#[derive(Parser)]
#[grammar = "../../../grammar/grantline.pest"]
pub(crate) struct GrantlineParser;

/// Parses one file of a [`SourceMap`]. A syntax error stops the file at the
/// first error, which is reported with its position and a hint.
pub fn parse_file(
    sources: &SourceMap,
    file: FileId,
) -> std::result::Result<PolicyFile, Diagnostic> {
    let text = sources.get(file).map(|f| f.text()).unwrap_or("");
    syntax_error::check_nesting(sources, file, text)?;
    let mut pairs = GrantlineParser::parse(Rule::policy_file, text)
        .map_err(|error| syntax_error::convert(sources, file, text, &error))?;
    let builder = Builder { sources, file };
    let root = pairs
        .next()
        .ok_or_else(|| builder.internal(Span::new(file, 0, 0), "empty parse"))?;
    let mut statements = Vec::new();
    for pair in root.into_inner() {
        if pair.as_rule() == Rule::EOI {
            continue;
        }
        statements.push(builder.statement(pair)?);
    }
    Ok(PolicyFile { file, statements })
}

struct Builder<'a> {
    sources: &'a SourceMap,
    file: FileId,
}

type Result<T> = std::result::Result<T, Diagnostic>;

impl Builder<'_> {
    /// The span of a node, ending at its last token: pest's own span of a
    /// rule that ends in an optional repetition also covers the whitespace
    /// and comments it skipped looking for one more.
    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let span = pair.as_span();
        let last_token_end = pair
            .clone()
            .into_inner()
            .flatten()
            // Tokens only: a composite node's own span runs long too.
            .filter(|inner| inner.clone().into_inner().next().is_none())
            .map(|inner| inner.as_span().end())
            .max()
            .unwrap_or(span.end());
        // After the last token come only closing punctuation (`"`, `)`,
        // `}`), whitespace and comments: keep the punctuation.
        let gap = span
            .get_input()
            .get(last_token_end..span.end())
            .unwrap_or("");
        let mut end = last_token_end;
        let mut in_comment = false;
        for (offset, c) in gap.char_indices() {
            match c {
                '\n' => in_comment = false,
                '#' => in_comment = true,
                c if !in_comment && !c.is_whitespace() => {
                    end = last_token_end + offset + c.len_utf8();
                }
                _ => {}
            }
        }
        Span::new(self.file, span.start(), end)
    }

    /// The grammar and this builder disagree: a bug in Grantline, reported as
    /// a diagnostic rather than a panic.
    fn internal(&self, span: Span, what: &str) -> Diagnostic {
        Diagnostic::error(
            "grantline::internal",
            format!("internal error while reading the parse tree: {what}"),
        )
        .at(self.sources, span, "here")
        .with_help("this is a bug in Grantline; please report it with this file")
    }

    fn next<'i>(&self, pairs: &mut Pairs<'i, Rule>, parent: Span) -> Result<Pair<'i, Rule>> {
        pairs
            .next()
            .ok_or_else(|| self.internal(parent, "a part of this construct is missing"))
    }

    /// Skips keyword tokens, which carry no information beyond their rule.
    fn significant<'i>(&self, pair: Pair<'i, Rule>) -> impl Iterator<Item = Pair<'i, Rule>> {
        pair.into_inner().filter(|p| !is_keyword(p.as_rule()))
    }

    fn statement(&self, pair: Pair<'_, Rule>) -> Result<Statement> {
        let span = self.span(&pair);
        match pair.as_rule() {
            Rule::timezone_decl => {
                let mut inner = self.significant(pair);
                let zone = self.word(inner.next().ok_or_else(|| self.internal(span, "zone"))?)?;
                Ok(Statement::Timezone(TimezoneDecl { zone, span }))
            }
            Rule::attribute_decl => self.attribute(pair).map(Statement::Attribute),
            Rule::entitlement_decl => self.entitlement(pair).map(Statement::Entitlement),
            Rule::role_decl => {
                let mut inner = self.significant(pair);
                let name = self.name(inner.next().ok_or_else(|| self.internal(span, "name"))?);
                let list = inner
                    .next()
                    .ok_or_else(|| self.internal(span, "entitlements"))?;
                let items = self.grant_list(list)?;
                Ok(Statement::Role(RoleDecl { name, items, span }))
            }
            Rule::separate_decl => {
                let mut inner = self.significant(pair);
                let left =
                    self.grant_item(inner.next().ok_or_else(|| self.internal(span, "left"))?)?;
                let right =
                    self.grant_item(inner.next().ok_or_else(|| self.internal(span, "right"))?)?;
                Ok(Statement::Separate(SeparateDecl { left, right, span }))
            }
            Rule::check_decl => {
                let mut inner = self.significant(pair);
                let name = self.name(inner.next().ok_or_else(|| self.internal(span, "name"))?);
                let module =
                    self.word(inner.next().ok_or_else(|| self.internal(span, "module"))?)?;
                Ok(Statement::Check(CheckDecl { name, module, span }))
            }
            Rule::rule_decl => self.rule(pair).map(Statement::Rule),
            Rule::test_decl => self.test(pair).map(Statement::Test),
            _ => Err(self.internal(span, "unexpected statement")),
        }
    }

    fn name(&self, pair: Pair<'_, Rule>) -> Name {
        Name {
            text: pair.as_str().to_string(),
            span: self.span(&pair),
        }
    }

    /// A word, quoted string or reserved word in a value position.
    fn word(&self, pair: Pair<'_, Rule>) -> Result<Word> {
        let span = self.span(&pair);
        match pair.as_rule() {
            Rule::quoted => {
                let raw = pair
                    .into_inner()
                    .next()
                    .map(|inner| inner.as_str())
                    .unwrap_or("");
                Ok(Word {
                    text: unescape(raw),
                    quoted: true,
                    reserved: false,
                    span,
                })
            }
            Rule::word | Rule::entitlement_name => Ok(Word {
                text: pair.as_str().to_string(),
                quoted: false,
                reserved: false,
                span,
            }),
            Rule::reserved_word => Ok(Word {
                text: pair.as_str().to_string(),
                quoted: false,
                reserved: true,
                span,
            }),
            _ => Err(self.internal(span, "expected a word")),
        }
    }

    fn attribute(&self, pair: Pair<'_, Rule>) -> Result<AttributeDecl> {
        let span = self.span(&pair);
        let mut inner = self.significant(pair);
        let name = self.name(inner.next().ok_or_else(|| self.internal(span, "name"))?);
        let mut optional = false;
        let mut key = None;
        let mut kind = None;
        for part in inner {
            kind = Some(match part.as_rule() {
                Rule::optional_marker => {
                    optional = true;
                    continue;
                }
                Rule::key_marker => {
                    key = Some(self.span(&part));
                    continue;
                }
                Rule::flag_type => AttributeKind::Flag,
                Rule::number_type => AttributeKind::Number,
                Rule::text_type => AttributeKind::Text,
                Rule::date_type => AttributeKind::Date,
                Rule::list_type => AttributeKind::ListOfText,
                Rule::value_set => AttributeKind::Values(
                    part.into_inner()
                        .map(|value| self.word(value))
                        .collect::<Result<_>>()?,
                ),
                _ => return Err(self.internal(span, "attribute type")),
            });
        }
        let kind = kind.ok_or_else(|| self.internal(span, "attribute type"))?;
        Ok(AttributeDecl {
            name,
            optional,
            key,
            kind,
            span,
        })
    }

    fn entitlement(&self, pair: Pair<'_, Rule>) -> Result<EntitlementDecl> {
        let span = self.span(&pair);
        let mut names = Vec::new();
        let mut properties = Vec::new();
        for part in self.significant(pair) {
            let part_span = self.span(&part);
            match part.as_rule() {
                Rule::quoted | Rule::entitlement_name => names.push(self.word(part)?),
                Rule::sensitive_property => {
                    properties.push(EntitlementProperty::Sensitive(part_span))
                }
                Rule::owner_property | Rule::description_property => {
                    let is_owner = part.as_rule() == Rule::owner_property;
                    let value = self
                        .significant(part)
                        .next()
                        .ok_or_else(|| self.internal(part_span, "property value"))?;
                    let word = self.word(value)?;
                    properties.push(if is_owner {
                        EntitlementProperty::Owner(word)
                    } else {
                        EntitlementProperty::Description(word)
                    });
                }
                Rule::max_duration_property => {
                    let duration = self
                        .significant(part)
                        .next()
                        .ok_or_else(|| self.internal(part_span, "duration"))?;
                    properties.push(EntitlementProperty::MaxDuration(self.duration(duration)?));
                }
                _ => return Err(self.internal(part_span, "entitlement declaration")),
            }
        }
        Ok(EntitlementDecl {
            names,
            properties,
            span,
        })
    }

    fn duration(&self, pair: Pair<'_, Rule>) -> Result<DurationLit> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let count = self.next(&mut inner, span)?.as_str().to_string();
        let unit_text = self.next(&mut inner, span)?.as_str();
        let unit = if unit_text.starts_with("day") {
            DurationUnit::Days
        } else if unit_text.starts_with("week") {
            DurationUnit::Weeks
        } else {
            DurationUnit::Months
        };
        Ok(DurationLit { count, unit, span })
    }

    fn grant_list(&self, pair: Pair<'_, Rule>) -> Result<Vec<GrantItem>> {
        self.significant(pair)
            .map(|item| self.grant_item(item))
            .collect()
    }

    fn grant_item(&self, pair: Pair<'_, Rule>) -> Result<GrantItem> {
        let span = self.span(&pair);
        match pair.as_rule() {
            Rule::role_ref => {
                let name = self
                    .significant(pair)
                    .next()
                    .ok_or_else(|| self.internal(span, "role name"))?;
                Ok(GrantItem::Role(self.name(name)))
            }
            _ => Ok(GrantItem::Entitlement(self.word(pair)?)),
        }
    }

    fn rule(&self, pair: Pair<'_, Rule>) -> Result<RuleDecl> {
        let span = self.span(&pair);
        let mut inner = self.significant(pair);
        let name = self.name(self.next_of(&mut inner, span)?);
        let condition = self.condition(self.next_of(&mut inner, span)?)?;
        let effect_pair = self.next_of(&mut inner, span)?;
        let effect_span = self.span(&effect_pair);
        let effect = match effect_pair.as_rule() {
            Rule::grants_effect => {
                let list = self
                    .significant(effect_pair)
                    .next()
                    .ok_or_else(|| self.internal(effect_span, "grants"))?;
                Effect::Grants {
                    items: self.grant_list(list)?,
                    span: effect_span,
                }
            }
            Rule::denies_effect => {
                let target = self
                    .significant(effect_pair)
                    .next()
                    .ok_or_else(|| self.internal(effect_span, "denies"))?;
                let target = if target.as_rule() == Rule::everything {
                    DenyTarget::Everything(self.span(&target))
                } else {
                    DenyTarget::Items(self.grant_list(target)?)
                };
                Effect::Denies {
                    target,
                    span: effect_span,
                }
            }
            _ => return Err(self.internal(effect_span, "effect")),
        };
        let clauses = inner
            .map(|clause| self.clause(clause))
            .collect::<Result<_>>()?;
        Ok(RuleDecl {
            name,
            condition,
            effect,
            clauses,
            span,
        })
    }

    fn next_of<'i>(
        &self,
        iter: &mut impl Iterator<Item = Pair<'i, Rule>>,
        parent: Span,
    ) -> Result<Pair<'i, Rule>> {
        iter.next()
            .ok_or_else(|| self.internal(parent, "a part of this rule is missing"))
    }

    fn clause(&self, pair: Pair<'_, Rule>) -> Result<RuleClause> {
        let span = self.span(&pair);
        let rule = pair.as_rule();
        let mut inner = self.significant(pair);
        match rule {
            Rule::approval_clause => {
                let by = inner.next().map(|p| self.word(p)).transpose()?;
                Ok(RuleClause::Approval { by, span })
            }
            Rule::from_clause | Rule::until_clause => {
                let point = self.time_point(self.next_of(&mut inner, span)?);
                Ok(if rule == Rule::from_clause {
                    RuleClause::From { point, span }
                } else {
                    RuleClause::Until { point, span }
                })
            }
            Rule::for_clause => {
                let duration = self.duration(self.next_of(&mut inner, span)?)?;
                Ok(RuleClause::For { duration, span })
            }
            _ => Err(self.internal(span, "rule clause")),
        }
    }

    fn time_point(&self, pair: Pair<'_, Rule>) -> TimePoint {
        let span = self.span(&pair);
        if pair.as_rule() == Rule::date {
            TimePoint::Date {
                text: pair.as_str().to_string(),
                span,
            }
        } else {
            TimePoint::Attribute(self.name(pair))
        }
    }

    fn condition(&self, pair: Pair<'_, Rule>) -> Result<Condition> {
        let span = self.span(&pair);
        let mut terms = Vec::new();
        let mut where_clause = None;
        for part in pair.into_inner() {
            if part.as_rule() == Rule::where_clause {
                let part_span = self.span(&part);
                let expr = self
                    .significant(part)
                    .next()
                    .ok_or_else(|| self.internal(part_span, "where"))?;
                where_clause = Some(self.expr(expr)?);
            } else {
                terms.push(self.short_term(part)?);
            }
        }
        Ok(Condition {
            terms,
            where_clause,
            span,
        })
    }

    fn short_term(&self, pair: Pair<'_, Rule>) -> Result<ShortTerm> {
        let span = self.span(&pair);
        let rule = pair.as_rule();
        match rule {
            Rule::anyone_term => Ok(ShortTerm::Anyone(span)),
            Rule::value_term => {
                let word = pair
                    .into_inner()
                    .next()
                    .ok_or_else(|| self.internal(span, "value"))?;
                Ok(ShortTerm::Value(self.word(word)?))
            }
            Rule::in_term => {
                let values = self
                    .significant(pair)
                    .map(|value| self.word(value))
                    .collect::<Result<_>>()?;
                Ok(ShortTerm::In { values, span })
            }
            Rule::with_term | Rule::without_term => {
                let word = self.word(self.next_of(&mut self.significant(pair), span)?)?;
                Ok(if rule == Rule::with_term {
                    ShortTerm::With { word, span }
                } else {
                    ShortTerm::Without { word, span }
                })
            }
            Rule::passing_term => {
                let check = self.name(self.next_of(&mut self.significant(pair), span)?);
                Ok(ShortTerm::Passing { check, span })
            }
            Rule::not_term => {
                let term = self.short_term(self.next_of(&mut self.significant(pair), span)?)?;
                Ok(ShortTerm::Not {
                    term: Box::new(term),
                    span,
                })
            }
            _ => Err(self.internal(span, "condition term")),
        }
    }

    fn expr(&self, pair: Pair<'_, Rule>) -> Result<Expr> {
        let span = self.span(&pair);
        match pair.as_rule() {
            Rule::expr | Rule::and_expr => {
                let is_or = pair.as_rule() == Rule::expr;
                let mut operands: Vec<Expr> = self
                    .significant(pair)
                    .map(|operand| self.expr(operand))
                    .collect::<Result<_>>()?;
                if operands.len() == 1 {
                    return operands.pop().ok_or_else(|| self.internal(span, "operand"));
                }
                Ok(if is_or {
                    Expr::Or { operands, span }
                } else {
                    Expr::And { operands, span }
                })
            }
            Rule::not_expr => self.expr(self.next_of(&mut pair.into_inner(), span)?),
            Rule::negation => {
                let operand = self.expr(self.next_of(&mut self.significant(pair), span)?)?;
                Ok(Expr::Not {
                    operand: Box::new(operand),
                    span,
                })
            }
            Rule::value_term => {
                let word = self.next_of(&mut pair.into_inner(), span)?;
                Ok(Expr::Word(self.word(word)?))
            }
            Rule::comparison => self.comparison(pair).map(Expr::Compare),
            Rule::with_term | Rule::without_term | Rule::passing_term => {
                self.short_term(pair).map(Expr::Term)
            }
            _ => Err(self.internal(span, "expression")),
        }
    }

    fn comparison(&self, pair: Pair<'_, Rule>) -> Result<Comparison> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let attribute = self.name(self.next(&mut inner, span)?);
        let op_pair = self.next(&mut inner, span)?;
        let op_span = self.span(&op_pair);
        let op = match op_pair.as_rule() {
            Rule::is_op => CompareOp::Is,
            Rule::is_not_op => CompareOp::IsNot,
            Rule::in_op => CompareOp::In,
            Rule::not_in_op => CompareOp::NotIn,
            Rule::contains_op => CompareOp::Contains,
            Rule::order_op => match op_pair.as_str() {
                ">=" => CompareOp::GreaterOrEqual,
                "<=" => CompareOp::LessOrEqual,
                ">" => CompareOp::Greater,
                _ => CompareOp::Less,
            },
            _ => return Err(self.internal(op_span, "operator")),
        };
        let value_pair = self.next(&mut inner, span)?;
        let values = if value_pair.as_rule() == Rule::literal_set {
            value_pair
                .into_inner()
                .map(|literal| self.literal(literal))
                .collect::<Result<_>>()?
        } else {
            vec![self.literal(value_pair)?]
        };
        Ok(Comparison {
            attribute,
            op,
            op_span,
            values,
            span,
        })
    }

    fn literal(&self, pair: Pair<'_, Rule>) -> Result<Literal> {
        let span = self.span(&pair);
        match pair.as_rule() {
            Rule::date => Ok(Literal::Date {
                text: pair.as_str().to_string(),
                span,
            }),
            Rule::number => Ok(Literal::Number {
                text: pair.as_str().to_string(),
                span,
            }),
            _ => self.word(pair).map(Literal::Word),
        }
    }
}

impl Builder<'_> {
    fn test(&self, pair: Pair<'_, Rule>) -> Result<TestDecl> {
        let span = self.span(&pair);
        let mut inner = self.significant(pair);
        let name = self.word(self.next_of(&mut inner, span)?)?;
        let given_pair = self.next_of(&mut inner, span)?;
        let given = self
            .significant(given_pair)
            .map(|item| self.given_item(item))
            .collect::<Result<_>>()?;
        let at_pair = self.next_of(&mut inner, span)?;
        let at_span = self.span(&at_pair);
        let at_value = self
            .significant(at_pair)
            .next()
            .ok_or_else(|| self.internal(at_span, "instant"))?;
        let at = AtLiteral {
            text: at_value.as_str().to_string(),
            has_time: at_value.as_rule() == Rule::datetime,
            span: self.span(&at_value),
        };
        let expectations = inner
            .map(|expectation| self.expectation(expectation))
            .collect::<Result<_>>()?;
        Ok(TestDecl {
            name,
            given,
            at,
            expectations,
            span,
        })
    }

    fn given_item(&self, pair: Pair<'_, Rule>) -> Result<GivenItem> {
        let span = self.span(&pair);
        match pair.as_rule() {
            Rule::given_word => {
                let word = self.next_of(&mut pair.into_inner(), span)?;
                Ok(GivenItem::Word(self.word(word)?))
            }
            Rule::given_assignment => {
                let mut inner = pair.into_inner();
                let attribute = self.name(self.next(&mut inner, span)?);
                let value = self.next(&mut inner, span)?;
                let list = value.as_rule() == Rule::given_list;
                let values = if list {
                    value
                        .into_inner()
                        .map(|literal| self.literal(literal))
                        .collect::<Result<_>>()?
                } else {
                    vec![self.literal(value)?]
                };
                Ok(GivenItem::Assignment {
                    attribute,
                    values,
                    list,
                    span,
                })
            }
            _ => Err(self.internal(span, "given item")),
        }
    }

    fn expectation(&self, pair: Pair<'_, Rule>) -> Result<Expectation> {
        let span = self.span(&pair);
        let body = self.next_of(&mut self.significant(pair), span)?;
        let body_rule = body.as_rule();
        let mut inner = self.significant(body);
        let entitlement = self.word(self.next_of(&mut inner, span)?)?;
        if body_rule == Rule::expect_absent {
            return Ok(Expectation::Absent { entitlement, span });
        }
        let details = inner
            .map(|detail| {
                let detail_span = self.span(&detail);
                let rule = detail.as_rule();
                let value = self.significant(detail).next();
                match rule {
                    Rule::expect_pending => Ok(ExpectDetail::Pending {
                        by: value.map(|v| self.word(v)).transpose()?,
                        span: detail_span,
                    }),
                    Rule::expect_until | Rule::expect_from => {
                        let date = value
                            .ok_or_else(|| self.internal(detail_span, "date"))?
                            .as_str()
                            .to_string();
                        Ok(if rule == Rule::expect_until {
                            ExpectDetail::Until {
                                date,
                                span: detail_span,
                            }
                        } else {
                            ExpectDetail::From {
                                date,
                                span: detail_span,
                            }
                        })
                    }
                    _ => Err(self.internal(detail_span, "expectation")),
                }
            })
            .collect::<Result<_>>()?;
        Ok(Expectation::Present {
            entitlement,
            details,
            span,
        })
    }
}

fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(escaped) = chars.next() {
                out.push(escaped);
            }
        } else {
            out.push(c);
        }
    }
    out
}

pub(crate) fn is_keyword(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::kw_timezone
            | Rule::kw_attribute
            | Rule::kw_entitlement
            | Rule::kw_role
            | Rule::kw_rule
            | Rule::kw_separate
            | Rule::kw_check
            | Rule::kw_passing
            | Rule::kw_optional
            | Rule::kw_key
            | Rule::kw_flag
            | Rule::kw_number
            | Rule::kw_text
            | Rule::kw_date
            | Rule::kw_list
            | Rule::kw_of
            | Rule::kw_sensitive
            | Rule::kw_owner
            | Rule::kw_description
            | Rule::kw_at
            | Rule::kw_most
            | Rule::kw_grants
            | Rule::kw_denies
            | Rule::kw_everything
            | Rule::kw_where
            | Rule::kw_and
            | Rule::kw_or
            | Rule::kw_not
            | Rule::kw_in
            | Rule::kw_is
            | Rule::kw_the
            | Rule::kw_with
            | Rule::kw_without
            | Rule::kw_status
            | Rule::kw_anyone
            | Rule::kw_contains
            | Rule::kw_requires
            | Rule::kw_approval
            | Rule::kw_by
            | Rule::kw_from
            | Rule::kw_until
            | Rule::kw_for
            | Rule::kw_test
            | Rule::kw_given
            | Rule::kw_expect
            | Rule::kw_no
            | Rule::kw_pending
    )
}
