//! The syntax tree of one policy file. Every node keeps its [`Span`] so that
//! the compiler can point at it; words are kept as written, unresolved.

use crate::source::{FileId, Span};

#[derive(Debug, Clone, PartialEq)]
pub struct PolicyFile {
    pub file: FileId,
    pub statements: Vec<Statement>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    Timezone(TimezoneDecl),
    Attribute(AttributeDecl),
    Entitlement(EntitlementDecl),
    Role(RoleDecl),
    Rule(RuleDecl),
    Separate(SeparateDecl),
    Check(CheckDecl),
    Test(TestDecl),
}

/// A name as written, with its span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name {
    pub text: String,
    pub span: Span,
}

/// A value as written: a bare word or a quoted string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub text: String,
    pub quoted: bool,
    /// A reserved word written bare in a declaration; the compiler rejects it
    /// with a hint to quote it.
    pub reserved: bool,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TimezoneDecl {
    pub zone: Word,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AttributeDecl {
    pub name: Name,
    pub optional: bool,
    /// `key`: the attribute that identifies a person in HR data.
    pub key: Option<Span>,
    pub kind: AttributeKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum AttributeKind {
    Flag,
    Number,
    Text,
    Date,
    ListOfText,
    Values(Vec<Word>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct EntitlementDecl {
    pub names: Vec<Word>,
    pub properties: Vec<EntitlementProperty>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum EntitlementProperty {
    Sensitive(Span),
    Owner(Word),
    Description(Word),
    MaxDuration(DurationLit),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DurationUnit {
    Days,
    Weeks,
    Months,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DurationLit {
    /// The count as written; the compiler checks its range.
    pub count: String,
    pub unit: DurationUnit,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum GrantItem {
    Entitlement(Word),
    Role(Name),
}

impl GrantItem {
    pub fn span(&self) -> Span {
        match self {
            GrantItem::Entitlement(word) => word.span,
            GrantItem::Role(name) => name.span,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct RoleDecl {
    pub name: Name,
    pub items: Vec<GrantItem>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SeparateDecl {
    pub left: GrantItem,
    pub right: GrantItem,
    pub span: Span,
}

/// `check risk-cleared from "checks/risk-cleared.wasm"`
#[derive(Debug, Clone, PartialEq)]
pub struct CheckDecl {
    pub name: Name,
    /// The module's path as written, relative to the policy file.
    pub module: Word,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RuleDecl {
    pub name: Name,
    pub condition: Condition,
    pub effect: Effect,
    pub clauses: Vec<RuleClause>,
    pub span: Span,
}

/// Short-form terms (all must hold) followed by an optional `where` clause.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub terms: Vec<ShortTerm>,
    pub where_clause: Option<Expr>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ShortTerm {
    /// `anyone`
    Anyone(Span),
    /// `full-time`, `Sales`, `"Human Resources"`, `manager`
    Value(Word),
    /// `in Sales`, `in the US`, `in US, DE or GB`
    In { values: Vec<Word>, span: Span },
    /// `with manager status`, `with manager`, `with end_date` (has a value)
    With { word: Word, span: Span },
    /// `without manager status`, `without end_date` (has no value)
    Without { word: Word, span: Span },
    /// `not in Sales`, `not contractor`
    Not { term: Box<ShortTerm>, span: Span },
    /// `passing risk-cleared`: a custom check holds.
    Passing { check: Name, span: Span },
}

impl ShortTerm {
    pub fn span(&self) -> Span {
        match self {
            ShortTerm::Anyone(span) => *span,
            ShortTerm::Value(word) => word.span,
            ShortTerm::In { span, .. }
            | ShortTerm::With { span, .. }
            | ShortTerm::Without { span, .. }
            | ShortTerm::Not { span, .. }
            | ShortTerm::Passing { span, .. } => *span,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Or {
        operands: Vec<Expr>,
        span: Span,
    },
    And {
        operands: Vec<Expr>,
        span: Span,
    },
    Not {
        operand: Box<Expr>,
        span: Span,
    },
    Compare(Comparison),
    /// A bare word: a value (`active`) or a flag attribute (`manager`).
    Word(Word),
    /// `with X [status]` / `without X [status]`, as in the short form.
    Term(ShortTerm),
}

impl Expr {
    pub fn span(&self) -> Span {
        match self {
            Expr::Or { span, .. } | Expr::And { span, .. } | Expr::Not { span, .. } => *span,
            Expr::Compare(comparison) => comparison.span,
            Expr::Word(word) => word.span,
            Expr::Term(term) => term.span(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Is,
    IsNot,
    In,
    NotIn,
    Contains,
    Greater,
    GreaterOrEqual,
    Less,
    LessOrEqual,
}

impl CompareOp {
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Is => "is",
            CompareOp::IsNot => "is not",
            CompareOp::In => "in",
            CompareOp::NotIn => "not in",
            CompareOp::Contains => "contains",
            CompareOp::Greater => ">",
            CompareOp::GreaterOrEqual => ">=",
            CompareOp::Less => "<",
            CompareOp::LessOrEqual => "<=",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub attribute: Name,
    pub op: CompareOp,
    pub op_span: Span,
    /// One literal, or several for `in {…}` / `not in {…}`.
    pub values: Vec<Literal>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Date { text: String, span: Span },
    Number { text: String, span: Span },
    Word(Word),
}

impl Literal {
    pub fn span(&self) -> Span {
        match self {
            Literal::Date { span, .. } | Literal::Number { span, .. } => *span,
            Literal::Word(word) => word.span,
        }
    }

    pub fn text(&self) -> &str {
        match self {
            Literal::Date { text, .. } | Literal::Number { text, .. } => text,
            Literal::Word(word) => &word.text,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Grants { items: Vec<GrantItem>, span: Span },
    Denies { target: DenyTarget, span: Span },
}

impl Effect {
    pub fn span(&self) -> Span {
        match self {
            Effect::Grants { span, .. } | Effect::Denies { span, .. } => *span,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum DenyTarget {
    Everything(Span),
    Items(Vec<GrantItem>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum RuleClause {
    Approval { by: Option<Word>, span: Span },
    From { point: TimePoint, span: Span },
    Until { point: TimePoint, span: Span },
    For { duration: DurationLit, span: Span },
}

impl RuleClause {
    pub fn span(&self) -> Span {
        match self {
            RuleClause::Approval { span, .. }
            | RuleClause::From { span, .. }
            | RuleClause::Until { span, .. }
            | RuleClause::For { span, .. } => *span,
        }
    }
}

/// Where a window opens or closes: a fixed date or a date attribute.
#[derive(Debug, Clone, PartialEq)]
pub enum TimePoint {
    Date { text: String, span: Span },
    Attribute(Name),
}

/// `test "name": given … at … expect …`: an identity, an instant and what
/// the policies must decide for it.
#[derive(Debug, Clone, PartialEq)]
pub struct TestDecl {
    pub name: Word,
    pub given: Vec<GivenItem>,
    pub at: AtLiteral,
    pub expectations: Vec<Expectation>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum GivenItem {
    /// A value or flag word: `full-time`, `Sales`, `manager`.
    Word(Word),
    /// `level 6`, `start_date 2024-01-08`, `groups {oncall, vpn}`.
    Assignment {
        attribute: Name,
        values: Vec<Literal>,
        /// Written as `{…}` (a list), even with one or no element.
        list: bool,
        span: Span,
    },
}

impl GivenItem {
    pub fn span(&self) -> Span {
        match self {
            GivenItem::Word(word) => word.span,
            GivenItem::Assignment { span, .. } => *span,
        }
    }
}

/// `at 2026-12-01` or `at 2026-12-01T09:00[:00][Z|+01:00]`.
#[derive(Debug, Clone, PartialEq)]
pub struct AtLiteral {
    pub text: String,
    /// A date and time rather than a date.
    pub has_time: bool,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expectation {
    /// `expect no ENTITLEMENT`: neither granted nor pending.
    Absent { entitlement: Word, span: Span },
    /// `expect ENTITLEMENT [pending approval [by "g"]] [from D] [until D]`.
    Present {
        entitlement: Word,
        details: Vec<ExpectDetail>,
        span: Span,
    },
}

impl Expectation {
    pub fn span(&self) -> Span {
        match self {
            Expectation::Absent { span, .. } | Expectation::Present { span, .. } => *span,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExpectDetail {
    Pending { by: Option<Word>, span: Span },
    Until { date: String, span: Span },
    From { date: String, span: Span },
}

impl ExpectDetail {
    pub fn span(&self) -> Span {
        match self {
            ExpectDetail::Pending { span, .. }
            | ExpectDetail::Until { span, .. }
            | ExpectDetail::From { span, .. } => *span,
        }
    }
}
