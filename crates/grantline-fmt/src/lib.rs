//! The canonical layout of Grantline policy files: what `grantline fmt`
//! writes.
//!
//! ```
//! use grantline_fmt::format_source;
//! use grantline_syntax::SourceMap;
//!
//! let mut sources = SourceMap::new();
//! let file = sources.add(
//!     "sales.grant",
//!     "rule   us-sales: full-time in Sales in the US  with manager status grants salesforce.admin ,salesforce.reports  until 2027-06-30 # until the CRM team takes over\n",
//! );
//! assert_eq!(
//!     format_source(&sources, file).unwrap(),
//!     "rule us-sales:
//!     full-time in Sales in the US with manager status
//!     grants salesforce.admin, salesforce.reports
//!     until 2027-06-30  # until the CRM team takes over
//! ",
//! );
//! ```
//!
//! Formatting never changes what a policy means: the formatted text parses
//! to the same syntax tree (spans aside) as the original, which
//! [`format_source`] checks before it returns. Nor does it change the
//! author's words: `in the US` keeps `the`, `with manager status` keeps
//! `status`, `a and b` keeps `and`, `1 day` stays singular, a bare value
//! stays bare and a quoted one quoted. It normalizes whitespace, line breaks,
//! commas, parentheses and the order of rule clauses.
//!
//! # The layout
//!
//! **Lines.** Indentation is spaces: a statement starts in column 1, the
//! lines of its body are indented 4 spaces, and a line of a rule or test body
//! that is continued goes on with 8. Lines are filled up to 100 columns
//! (counted in characters, comments not counted); a single piece longer than
//! that stays whole on its own line. Lines end in LF (CRLF input becomes
//! LF), no line has trailing spaces, and the output ends with exactly one
//! newline (an empty file stays empty).
//!
//! **Statements.** Single spaces between words, none before `,` and `:`,
//! one after them; `|` has a space on each side.
//!
//! - `timezone "Europe/Berlin"`
//! - `attribute NAME: [key |optional ]TYPE` on one line, where `TYPE` is `flag`,
//!   `number`, `text`, `date`, `list of text` or the values `a | b | "c d"`.
//!   When the values do not fit in 100 columns, the first line holds as many
//!   as fit and each continuation line is indented 4 and starts with `| `.
//! - `entitlement a, b: sensitive, owner "x", at most 180 days, description
//!   "y"`: properties in the order written. When it does not fit on one
//!   line, the names (continued at indent 4 if they must be) end with `:` and
//!   the properties follow on lines indented 4, as many to a line as fit,
//!   each line but the last ending with `,`.
//! - `role NAME: a, role b and c` (`,` or `and` as written), or, when it
//!   does not fit, `role NAME:` and the items on lines indented 4, filled.
//! - `separate a from role b`.
//! - A rule:
//!
//!   ```text
//!   rule NAME:
//!       CONDITION [where EXPRESSION]
//!       [where EXPRESSION]
//!       grants ITEMS | denies ITEMS | denies everything
//!       requires approval [by "GROUP"]
//!       from POINT
//!       until POINT
//!       for N UNIT
//!   ```
//!
//!   The short terms of the condition on one line indented 4 (continued at
//!   8 when they do not fit). `where …` follows on the same line when the
//!   whole condition fits in 100 columns, and otherwise starts its own line
//!   indented 4; a `where` line that does not fit breaks before the `or`s
//!   (or the `and`s) of its outermost expression, continued at 8, and an
//!   operand of that expression too long for a line of its own also breaks
//!   before the `and`s and `or`s inside it. Then the effect line (items
//!   filled, continued at 8), then each clause on its own line in the
//!   order: `requires approval`, `from`, `until`, `for`.
//! - Expressions have exactly the parentheses their meaning needs given
//!   `not` > `and` > `or`: `(a and b) or c` becomes `a and b or c`, while
//!   `(a or b) and c`, `not (a or b)` and a nested `a and (b and c)` keep
//!   theirs. Sets are written `{A, B}` (no trailing comma); a one-value set
//!   keeps or omits its braces as written.
//! - A test:
//!
//!   ```text
//!   test "NAME":
//!       given ITEM, ITEM, attribute VALUE, list {A, B}
//!       at DATE-OR-INSTANT
//!       expect ITEM [DETAILS]
//!       expect no ITEM
//!   ```
//!
//!   with the `given` items filled and continued at 8, one `expect` a line,
//!   and the details of an expectation in the order written.
//! - Quoted strings are re-escaped (`\"`, `\\`).
//!
//! **Blank lines.** Between two statements, and between the comments on
//! their own lines that come before a statement, there is one blank line
//! where the source had one or more and none where it had none, except that
//! a `rule` or `test` that follows another statement always has a blank line
//! before it (before its comments, if they were not already separated from
//! the statement before). There are no blank lines inside a statement, nor at
//! the start or end of the file.
//!
//! **Comments.** No comment is lost, and none moves to another statement.
//! The text of a comment is kept as written, from `#` to the end of its line
//! (trailing spaces removed).
//!
//! - A comment on its own line goes before the statement, line or part of a
//!   line that followed it in the source, on its own line and indented like
//!   that line. Before a part in the middle of a line (an item of a list, an
//!   `or` of an expression), the line breaks there. A comment inside a piece
//!   that is never broken (a comparison, an `in` list) goes before it.
//! - A comment after code stays at the end of the output line that holds
//!   the piece it followed, and the line breaks after that piece. When one
//!   piece had several such comments, all but the last go before it on
//!   their own lines.
//! - The comments at the ends of consecutive lines are aligned, two spaces
//!   after the longest of those lines.
//! - A comment in the middle of an entitlement, a role or a rule's
//!   condition keeps it from the one-line form: `role r:  # why` followed by
//!   the items on their own lines, `where` on its own line.
//!
//! A line breaks only between the pieces named above (list items, values,
//! properties, short terms, the operands of `and` and `or`), never inside a
//! comparison, an `in` list, a set, a clause or an expectation.

use grantline_syntax::ast::Statement;
use grantline_syntax::{parse_file, Diagnostic, FileId, SourceMap, Span};

mod build;
mod layout;
mod lexer;
mod verify;

pub use layout::MAX_WIDTH;

/// The canonical text of one file of `sources`.
///
/// A file that does not parse gives its syntax error; the formatter never
/// guesses. If the formatted text would not parse back to the same syntax
/// tree (a bug in the formatter), the result is an internal error rather
/// than a changed policy.
pub fn format_source(sources: &SourceMap, file: FileId) -> Result<String, Diagnostic> {
    let parsed = parse_file(sources, file)?;
    let Some(source) = sources.get(file) else {
        return Err(Diagnostic::error(
            "grantline::internal",
            "internal error: the file to format is not in the source map",
        ));
    };
    let lexed = lexer::lex(source.text());
    let builder = build::Builder { lexed: &lexed };
    let mut blocks: Vec<layout::Block> = parsed
        .statements
        .iter()
        .map(|statement| {
            let span = statement_span(statement);
            let mut block = builder.statement(statement);
            block.first_line = source.line_column(span.start).line;
            block.last_line = source
                .line_column(lexed.token_end(span.start, span.end))
                .line;
            block
        })
        .collect();
    let end_comments = layout::attach(&mut blocks, &lexed.comments, |offset| {
        source.line_column(offset).line
    });
    let formatted = layout::render(&mut blocks, &end_comments);
    verify::same_meaning(sources, file, &parsed, &formatted, lexed.comments.len())?;
    Ok(formatted)
}

/// Formats a text on its own, named `name` in diagnostics.
pub fn format_text(name: &str, text: &str) -> Result<String, Diagnostic> {
    let mut sources = SourceMap::new();
    let file = sources.add(name, text);
    format_source(&sources, file)
}

fn statement_span(statement: &Statement) -> Span {
    match statement {
        Statement::Timezone(d) => d.span,
        Statement::Attribute(d) => d.span,
        Statement::Entitlement(d) => d.span,
        Statement::Role(d) => d.span,
        Statement::Rule(d) => d.span,
        Statement::Separate(d) => d.span,
        Statement::Check(d) => d.span,
        Statement::Test(d) => d.span,
    }
}
