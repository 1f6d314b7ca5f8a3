//! From the syntax tree to chunks: the canonical text of every construct.

use grantline_syntax::ast::*;
use grantline_syntax::Span;

use crate::layout::{Block, Chunk, Mode, OneLine, Sep};
use crate::lexer::Lexed;

/// Indentation of the lines of a statement's body.
const BODY: usize = 4;
/// Indentation of a line that continues a line of a body.
const CONTINUED: usize = 8;

pub(crate) struct Builder<'a> {
    pub lexed: &'a Lexed<'a>,
}

pub(crate) use grantline_ir::quoted as quote;

fn word(word: &Word) -> String {
    if word.quoted {
        quote(&word.text)
    } else {
        word.text.clone()
    }
}

fn item(item: &GrantItem) -> String {
    match item {
        GrantItem::Entitlement(w) => word(w),
        GrantItem::Role(name) => format!("role {}", name.text),
    }
}

fn literal(literal: &Literal) -> String {
    match literal {
        Literal::Date { text, .. } | Literal::Number { text, .. } => text.clone(),
        Literal::Word(w) => word(w),
    }
}

fn literal_list(values: &[Literal]) -> String {
    let items: Vec<String> = values.iter().map(literal).collect();
    format!("{{{}}}", items.join(", "))
}

fn time_point(point: &TimePoint) -> String {
    match point {
        TimePoint::Date { text, .. } => text.clone(),
        TimePoint::Attribute(name) => name.text.clone(),
    }
}

/// Where a clause goes in the canonical order.
pub(crate) fn clause_rank(clause: &RuleClause) -> u8 {
    match clause {
        RuleClause::Approval { .. } => 0,
        RuleClause::From { .. } => 1,
        RuleClause::Until { .. } => 2,
        RuleClause::For { .. } => 3,
    }
}

/// Binding strength of an expression: `or` < `and` < `not` < the rest.
fn strength(expr: &Expr) -> u8 {
    match expr {
        Expr::Or { .. } => 0,
        Expr::And { .. } => 1,
        Expr::Not { .. } => 2,
        Expr::Compare(_) | Expr::Word(_) | Expr::Term(_) => 3,
    }
}

fn block(chunks: Vec<Chunk>, spaced: bool, one_line: Vec<OneLine>) -> Block {
    Block {
        chunks,
        spaced,
        one_line,
        first_line: 0,
        last_line: 0,
        gap: Vec::new(),
        gap_last_line: None,
    }
}

impl Builder<'_> {
    /// The chunks of one statement.
    pub fn statement(&self, statement: &Statement) -> Block {
        let mut block = self.chunks(statement);
        for chunk in &mut block.chunks {
            chunk.end = self.lexed.token_end(chunk.start, chunk.end);
        }
        block
    }

    fn chunks(&self, statement: &Statement) -> Block {
        match statement {
            Statement::Timezone(decl) => block(
                vec![Chunk::new(
                    format!("timezone {}", word(&decl.zone)),
                    Sep::None,
                    Mode::Glue,
                    0,
                )
                .at(decl.span.start, decl.span.end)],
                false,
                Vec::new(),
            ),
            Statement::Attribute(decl) => self.attribute(decl),
            Statement::Entitlement(decl) => self.entitlement(decl),
            Statement::Role(decl) => self.role(decl),
            Statement::Separate(decl) => {
                let right = self.item_start(&decl.right);
                let from = self
                    .lexed
                    .find(decl.left.span().end, right, "from")
                    .map(|t| t.start)
                    .unwrap_or(right);
                let chunks = vec![
                    Chunk::new(
                        format!("separate {}", item(&decl.left)),
                        Sep::None,
                        Mode::Glue,
                        0,
                    )
                    .at(decl.span.start, decl.left.span().end),
                    Chunk::new(
                        format!("from {}", item(&decl.right)),
                        Sep::Space,
                        Mode::Glue,
                        BODY,
                    )
                    .at(from, decl.right.span().end),
                ];
                block(chunks, false, Vec::new())
            }
            Statement::Check(decl) => block(
                vec![Chunk::new(
                    format!("check {} from {}", decl.name.text, word(&decl.module)),
                    Sep::None,
                    Mode::Glue,
                    0,
                )
                .at(decl.span.start, decl.span.end)],
                false,
                Vec::new(),
            ),
            Statement::Rule(decl) => self.rule(decl),
            Statement::Test(decl) => self.test(decl),
        }
    }

    /// Where an item starts: `role NAME` at `role`.
    fn item_start(&self, item: &GrantItem) -> usize {
        match item {
            GrantItem::Entitlement(w) => w.span.start,
            GrantItem::Role(name) => self.lexed.start_before(name.span.start, 1),
        }
    }

    fn attribute(&self, decl: &AttributeDecl) -> Block {
        let marker = if decl.key.is_some() {
            "key "
        } else if decl.optional {
            "optional "
        } else {
            ""
        };
        let head = format!("attribute {}: {marker}", decl.name.text);
        let kind = match &decl.kind {
            AttributeKind::Flag => "flag",
            AttributeKind::Number => "number",
            AttributeKind::Text => "text",
            AttributeKind::Date => "date",
            AttributeKind::ListOfText => "list of text",
            AttributeKind::Values(values) => {
                let mut chunks = Vec::new();
                for (i, value) in values.iter().enumerate() {
                    chunks.push(if i == 0 {
                        Chunk::new(format!("{head}{}", word(value)), Sep::None, Mode::Glue, 0)
                            .at(decl.span.start, value.span.end)
                    } else {
                        Chunk::new(word(value), Sep::Pipe, Mode::Fill, BODY)
                            .at(value.span.start, value.span.end)
                    });
                }
                return block(chunks, false, Vec::new());
            }
        };
        block(
            vec![
                Chunk::new(format!("{head}{kind}"), Sep::None, Mode::Glue, 0)
                    .at(decl.span.start, decl.span.end),
            ],
            false,
            Vec::new(),
        )
    }

    fn duration(&self, duration: &DurationLit) -> String {
        // The unit as written: `1 day` and `1 days` are both accepted.
        let unit = self
            .lexed
            .tokens_in(duration.span.start, duration.span.end)
            .last()
            .map(|(_, text)| text.to_string())
            .unwrap_or_else(|| {
                match duration.unit {
                    DurationUnit::Days => "days",
                    DurationUnit::Weeks => "weeks",
                    DurationUnit::Months => "months",
                }
                .to_string()
            });
        format!("{} {unit}", duration.count)
    }

    fn entitlement(&self, decl: &EntitlementDecl) -> Block {
        let mut chunks = Vec::new();
        for (i, name) in decl.names.iter().enumerate() {
            chunks.push(if i == 0 {
                Chunk::new(
                    format!("entitlement {}", word(name)),
                    Sep::None,
                    Mode::Glue,
                    0,
                )
                .at(decl.span.start, name.span.end)
            } else {
                Chunk::new(word(name), Sep::Comma, Mode::Fill, BODY)
                    .at(name.span.start, name.span.end)
            });
        }
        let mut one_line = Vec::new();
        for (i, property) in decl.properties.iter().enumerate() {
            let (text, start, end) = match property {
                EntitlementProperty::Sensitive(span) => {
                    ("sensitive".to_string(), span.start, span.end)
                }
                EntitlementProperty::Owner(w) => (
                    format!("owner {}", word(w)),
                    self.lexed.start_before(w.span.start, 1),
                    w.span.end,
                ),
                EntitlementProperty::Description(w) => (
                    format!("description {}", word(w)),
                    self.lexed.start_before(w.span.start, 1),
                    w.span.end,
                ),
                EntitlementProperty::MaxDuration(d) => (
                    format!("at most {}", self.duration(d)),
                    self.lexed.start_before(d.span.start, 2),
                    d.span.end,
                ),
            };
            if i == 0 {
                one_line.push(OneLine {
                    first: 0,
                    last: decl.names.len() + decl.properties.len() - 1,
                    indent: 0,
                    choice: chunks.len(),
                });
                chunks.push(Chunk::new(text, Sep::Colon, Mode::NewLine, BODY).at(start, end));
            } else {
                chunks.push(Chunk::new(text, Sep::Comma, Mode::Fill, BODY).at(start, end));
            }
        }
        block(chunks, false, one_line)
    }

    /// The chunks of a list of items, after a first chunk: `,` or `and` as
    /// written between them.
    fn items(&self, items: &[GrantItem], indent: usize, chunks: &mut Vec<Chunk>) {
        for pair in items.windows(2) {
            if let [before, this] = pair {
                let sep = self.separator(before.span().end, self.item_start(this), "and");
                chunks.push(
                    Chunk::new(item(this), sep, Mode::Fill, indent)
                        .at(self.item_start(this), this.span().end),
                );
            }
        }
    }

    /// `,` or the joining word between two spans, as written.
    fn separator(&self, after: usize, before: usize, joining: &'static str) -> Sep {
        if self.lexed.find(after, before, joining).is_some() {
            Sep::Word(joining)
        } else {
            Sep::Comma
        }
    }

    fn role(&self, decl: &RoleDecl) -> Block {
        let mut chunks =
            vec![
                Chunk::new(format!("role {}", decl.name.text), Sep::None, Mode::Glue, 0)
                    .at(decl.span.start, decl.name.span.end),
            ];
        let mut one_line = Vec::new();
        if let Some(first) = decl.items.first() {
            one_line.push(OneLine {
                first: 0,
                last: decl.items.len(),
                indent: 0,
                choice: 1,
            });
            chunks.push(
                Chunk::new(item(first), Sep::Colon, Mode::NewLine, BODY)
                    .at(self.item_start(first), first.span().end),
            );
        }
        self.items(&decl.items, BODY, &mut chunks);
        block(chunks, false, one_line)
    }

    fn term(&self, term: &ShortTerm) -> String {
        match term {
            ShortTerm::Anyone(_) => "anyone".to_string(),
            ShortTerm::Value(w) => word(w),
            ShortTerm::In { values, span } => {
                let first_start = values.first().map(|v| v.span.start).unwrap_or(span.end);
                let the = self.lexed.find(span.start, first_start, "the").is_some();
                let mut text = if the { "in the " } else { "in " }.to_string();
                for (i, value) in values.iter().enumerate() {
                    if i > 0 {
                        let before = values.get(i - 1).map(|v| v.span.end).unwrap_or(span.start);
                        let sep = self.separator(before, value.span.start, "or");
                        text.push_str(if sep == Sep::Comma { ", " } else { " or " });
                    }
                    text.push_str(&word(value));
                }
                text
            }
            ShortTerm::With { word: w, span } | ShortTerm::Without { word: w, span } => {
                let keyword = if matches!(term, ShortTerm::With { .. }) {
                    "with"
                } else {
                    "without"
                };
                let status = if self.lexed.find(w.span.end, span.end, "status").is_some() {
                    " status"
                } else {
                    ""
                };
                format!("{keyword} {}{status}", word(w))
            }
            ShortTerm::Not { term, .. } => format!("not {}", self.term(term)),
            ShortTerm::Passing { check, .. } => format!("passing {}", check.text),
        }
    }

    fn comparison(&self, comparison: &Comparison) -> String {
        let op = comparison.op.as_str();
        let first_start = comparison
            .values
            .first()
            .map(|v| v.span().start)
            .unwrap_or(comparison.span.end);
        let braces = comparison.values.len() != 1
            || self
                .lexed
                .find(comparison.op_span.end, first_start, "{")
                .is_some();
        let value = if braces {
            literal_list(&comparison.values)
        } else {
            comparison.values.first().map(literal).unwrap_or_default()
        };
        format!("{} {op} {value}", comparison.attribute.text)
    }

    fn atom(&self, expr: &Expr) -> String {
        match expr {
            Expr::Compare(comparison) => self.comparison(comparison),
            Expr::Word(w) => word(w),
            Expr::Term(term) => self.term(term),
            Expr::Or { .. } | Expr::And { .. } | Expr::Not { .. } => String::new(),
        }
    }

    fn rule(&self, decl: &RuleDecl) -> Block {
        let mut chunks = vec![Chunk::new(
            format!("rule {}:", decl.name.text),
            Sep::None,
            Mode::Glue,
            0,
        )
        .at(decl.span.start, decl.name.span.end)];
        let condition = &decl.condition;
        for (i, term) in condition.terms.iter().enumerate() {
            let mode = if i == 0 { Mode::NewLine } else { Mode::Fill };
            let indent = if i == 0 { BODY } else { CONTINUED };
            chunks.push(
                Chunk::new(self.term(term), Sep::Space, mode, indent)
                    .at(term.span().start, term.span().end),
            );
        }
        let mut one_line = Vec::new();
        if let Some(expr) = &condition.where_clause {
            let terms_end = condition
                .terms
                .last()
                .map(|t| t.span().end)
                .unwrap_or(condition.span.start);
            let where_start = self
                .lexed
                .find(terms_end, expr.span().start, "where")
                .map(|t| t.start)
                .unwrap_or(expr.span().start);
            let where_chunk = chunks.len();
            let mut walker = ExprChunks {
                builder: self,
                chunks: Vec::new(),
                depths: Vec::new(),
                pending: "where ".to_string(),
                next: Some((Sep::Space, Mode::NewLine, BODY, where_start)),
                depth: None,
            };
            walker.walk(expr, 0);
            walker.fill_long_operands();
            chunks.append(&mut walker.chunks);
            if !condition.terms.is_empty() {
                one_line.push(OneLine {
                    first: 1,
                    last: chunks.len() - 1,
                    indent: BODY,
                    choice: where_chunk,
                });
            }
        }
        match &decl.effect {
            Effect::Grants { items, span }
            | Effect::Denies {
                target: DenyTarget::Items(items),
                span,
            } => {
                let verb = if matches!(decl.effect, Effect::Grants { .. }) {
                    "grants"
                } else {
                    "denies"
                };
                if let Some(first) = items.first() {
                    chunks.push(
                        Chunk::new(
                            format!("{verb} {}", item(first)),
                            Sep::Space,
                            Mode::NewLine,
                            BODY,
                        )
                        .at(span.start, first.span().end),
                    );
                }
                self.items(items, CONTINUED, &mut chunks);
            }
            Effect::Denies { span, .. } => chunks.push(
                Chunk::new("denies everything", Sep::Space, Mode::NewLine, BODY)
                    .at(span.start, span.end),
            ),
        }
        let mut clauses: Vec<&RuleClause> = decl.clauses.iter().collect();
        clauses.sort_by_key(|c| clause_rank(c));
        for clause in clauses {
            let text = match clause {
                RuleClause::Approval { by: None, .. } => "requires approval".to_string(),
                RuleClause::Approval { by: Some(by), .. } => {
                    format!("requires approval by {}", word(by))
                }
                RuleClause::From { point, .. } => format!("from {}", time_point(point)),
                RuleClause::Until { point, .. } => format!("until {}", time_point(point)),
                RuleClause::For { duration, .. } => format!("for {}", self.duration(duration)),
            };
            let span = clause.span();
            chunks.push(Chunk::new(text, Sep::Space, Mode::NewLine, BODY).at(span.start, span.end));
        }
        block(chunks, true, one_line)
    }

    fn test(&self, decl: &TestDecl) -> Block {
        let mut chunks = vec![Chunk::new(
            format!("test {}:", word(&decl.name)),
            Sep::None,
            Mode::Glue,
            0,
        )
        .at(decl.span.start, decl.name.span.end)];
        for (i, given) in decl.given.iter().enumerate() {
            let text = match given {
                GivenItem::Word(w) => word(w),
                GivenItem::Assignment {
                    attribute,
                    values,
                    list,
                    ..
                } => {
                    if *list {
                        format!("{} {}", attribute.text, literal_list(values))
                    } else {
                        let value = values.first().map(literal).unwrap_or_default();
                        format!("{} {value}", attribute.text)
                    }
                }
            };
            let span = given.span();
            chunks.push(if i == 0 {
                let start = self.lexed.start_before(span.start, 1);
                Chunk::new(format!("given {text}"), Sep::Space, Mode::NewLine, BODY)
                    .at(start, span.end)
            } else {
                Chunk::new(text, Sep::Comma, Mode::Fill, CONTINUED).at(span.start, span.end)
            });
        }
        let at_start = self.lexed.start_before(decl.at.span.start, 1);
        chunks.push(
            Chunk::new(
                format!("at {}", decl.at.text),
                Sep::Space,
                Mode::NewLine,
                BODY,
            )
            .at(at_start, decl.at.span.end),
        );
        for expectation in &decl.expectations {
            let text = match expectation {
                Expectation::Absent { entitlement, .. } => {
                    format!("expect no {}", word(entitlement))
                }
                Expectation::Present {
                    entitlement,
                    details,
                    ..
                } => {
                    let mut text = format!("expect {}", word(entitlement));
                    for detail in details {
                        text.push(' ');
                        text.push_str(&match detail {
                            ExpectDetail::Pending { by: None, .. } => {
                                "pending approval".to_string()
                            }
                            ExpectDetail::Pending { by: Some(by), .. } => {
                                format!("pending approval by {}", word(by))
                            }
                            ExpectDetail::Until { date, .. } => format!("until {date}"),
                            ExpectDetail::From { date, .. } => format!("from {date}"),
                        });
                    }
                    text
                }
            };
            let span = expectation.span();
            chunks.push(Chunk::new(text, Sep::Space, Mode::NewLine, BODY).at(span.start, span.end));
        }
        block(chunks, true, Vec::new())
    }
}

/// The chunks of a `where` expression: a chunk begins at every `and` and
/// `or`; only those of the outermost expression break for width.
struct ExprChunks<'a, 'b> {
    builder: &'a Builder<'b>,
    chunks: Vec<Chunk>,
    /// The nesting depth of the operator before each chunk (0: outermost).
    depths: Vec<Option<usize>>,
    /// Text that goes before the next atom: `where `, `not `, `(`.
    pending: String,
    /// How the next atom's chunk joins the previous one, and where it starts.
    next: Option<(Sep, Mode, usize, usize)>,
    /// The depth of that operator.
    depth: Option<usize>,
}

impl ExprChunks<'_, '_> {
    fn walk(&mut self, expr: &Expr, depth: usize) {
        match expr {
            Expr::Or { operands, .. } | Expr::And { operands, .. } => {
                let (keyword, own) = if matches!(expr, Expr::Or { .. }) {
                    ("or", 0)
                } else {
                    ("and", 1)
                };
                let mut previous_end: Option<usize> = None;
                for operand in operands {
                    if let Some(end) = previous_end {
                        let start = self
                            .builder
                            .lexed
                            .find(end, operand.span().start, keyword)
                            .map(|t| t.start)
                            .unwrap_or(operand.span().start);
                        let mode = if depth == 0 { Mode::Fill } else { Mode::Glue };
                        self.next = Some((Sep::Word(keyword), mode, CONTINUED, start));
                        self.depth = Some(depth);
                    }
                    // `a or (b or c)` and `a and (b and c)` keep their
                    // parentheses: the parser would flatten them otherwise.
                    self.operand(operand, strength(operand) <= own, depth + 1);
                    previous_end = Some(operand.span().end);
                }
            }
            Expr::Not { operand, .. } => {
                self.pending.push_str("not ");
                self.operand(operand, strength(operand) < 2, depth + 1);
            }
            atom => {
                let text = format!(
                    "{}{}",
                    std::mem::take(&mut self.pending),
                    self.builder.atom(atom)
                );
                let span: Span = atom.span();
                match self.next.take() {
                    Some((sep, mode, indent, start)) => {
                        self.chunks
                            .push(Chunk::new(text, sep, mode, indent).at(start, span.end));
                        self.depths.push(self.depth.take());
                    }
                    None => {
                        // Not reached: every atom but the first follows an
                        // operator. Keep the text regardless.
                        match self.chunks.last_mut() {
                            Some(last) => {
                                last.text.push(' ');
                                last.text.push_str(&text);
                                last.end = last.end.max(span.end);
                            }
                            None => {
                                self.chunks.push(
                                    Chunk::new(text, Sep::Space, Mode::Glue, CONTINUED)
                                        .at(span.start, span.end),
                                );
                                self.depths.push(None);
                            }
                        }
                    }
                }
            }
        }
    }

    /// An operand of the outermost expression that does not fit on a line
    /// of its own may also break before the `and`s and `or`s inside it.
    fn fill_long_operands(&mut self) {
        let mut segment_start = 0;
        for end in 1..=self.chunks.len() {
            let boundary = end == self.chunks.len() || self.depths.get(end) == Some(&Some(0));
            if !boundary {
                continue;
            }
            let segment = self.chunks.get(segment_start..end).unwrap_or(&[]);
            let indent = if segment_start == 0 { BODY } else { CONTINUED };
            let width: usize = indent
                + segment
                    .iter()
                    .enumerate()
                    .map(|(i, chunk)| {
                        let sep = if i == 0 {
                            chunk.sep.prefix()
                        } else {
                            chunk.sep.inline()
                        };
                        sep.chars().count() + chunk.text.chars().count()
                    })
                    .sum::<usize>();
            if width > crate::layout::MAX_WIDTH {
                for chunk in self
                    .chunks
                    .get_mut(segment_start + 1..end)
                    .unwrap_or(&mut [])
                {
                    if chunk.mode == Mode::Glue {
                        chunk.mode = Mode::Fill;
                    }
                }
            }
            segment_start = end;
        }
    }

    fn operand(&mut self, operand: &Expr, parenthesize: bool, depth: usize) {
        if parenthesize {
            self.pending.push('(');
            self.walk(operand, depth);
            if let Some(last) = self.chunks.last_mut() {
                last.text.push(')');
            }
        } else {
            self.walk(operand, depth);
        }
    }
}
