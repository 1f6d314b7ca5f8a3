//! Turns pest's "expected one of these rules" into a diagnostic a person can
//! act on: the offending text, what would have been accepted, and a hint.

use pest::error::{Error, ErrorVariant, InputLocation};

use crate::diagnostic::Diagnostic;
use crate::parser::Rule;
use crate::source::{FileId, SourceMap, Span};

pub const SYNTAX_ERROR: &str = "grantline::syntax";

/// Words the grammar reserves; a bare one where a value is expected gets a
/// hint to quote it.
pub use grantline_ir::RESERVED_WORDS;

/// How many `(` and `not` one rule may contain. Nesting depth never exceeds
/// this count, and the parser, the compiler and the evaluator recurse on
/// nesting: a bound far above any real policy keeps a hostile file from
/// overflowing the stack, on any thread.
pub const MAX_NESTING: usize = 24;

/// Rejects a rule with more than [`MAX_NESTING`] parentheses and `not`s
/// before the recursive parser sees it.
pub(crate) fn check_nesting(
    sources: &SourceMap,
    file: FileId,
    text: &str,
) -> Result<(), Diagnostic> {
    let mut nesting = 0usize;
    let mut chars = text.char_indices().peekable();
    while let Some((offset, c)) = chars.next() {
        let nests = match c {
            '#' => {
                while chars.next_if(|(_, c)| *c != '\n').is_some() {}
                false
            }
            '"' => {
                while let Some((_, c)) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' | '\n' => break,
                        _ => {}
                    }
                }
                false
            }
            '(' => true,
            c if c.is_alphanumeric() || c == '_' => {
                let mut end = offset + c.len_utf8();
                while let Some((i, c)) = chars
                    .next_if(|(_, c)| c.is_alphanumeric() || *c == '_' || *c == '-' || *c == '.')
                {
                    end = i + c.len_utf8();
                }
                match text.get(offset..end) {
                    // `rule` is reserved: it always starts a new rule.
                    Some("rule") => {
                        nesting = 0;
                        false
                    }
                    Some("not") => true,
                    _ => false,
                }
            }
            _ => false,
        };
        if nests {
            nesting += 1;
            if nesting > MAX_NESTING {
                return Err(Diagnostic::error(
                    SYNTAX_ERROR,
                    format!("this rule has more than {MAX_NESTING} parentheses and `not`s"),
                )
                .at(sources, Span::new(file, offset, offset + 1), "one too many")
                .with_help("so deep a condition is unreadable; split it into several rules"));
            }
        }
    }
    Ok(())
}

pub(crate) fn convert(
    sources: &SourceMap,
    file: FileId,
    text: &str,
    error: &Error<Rule>,
) -> Diagnostic {
    let start = match error.location {
        InputLocation::Pos(pos) => pos,
        InputLocation::Span((start, _)) => start,
    };
    let start = start.min(text.len());
    let found = token_at(text, start);
    let span = Span::new(file, start, start + found.len());

    let expected: Vec<Rule> = match &error.variant {
        ErrorVariant::ParsingError { positives, .. } => positives.clone(),
        ErrorVariant::CustomError { .. } => Vec::new(),
    };
    let mut descriptions: Vec<&str> = expected.iter().map(|r| describe(*r)).collect();
    descriptions.sort_unstable();
    descriptions.dedup();

    let found_text = if found.is_empty() {
        "end of file".to_string()
    } else {
        format!("`{found}`")
    };
    let message = if descriptions.is_empty() {
        format!("unexpected {found_text}")
    } else {
        format!(
            "unexpected {found_text}; expected {}",
            join_alternatives(&descriptions)
        )
    };
    let label = if found.is_empty() {
        "the file ends here".to_string()
    } else {
        "not expected here".to_string()
    };
    let mut diagnostic = Diagnostic::error(SYNTAX_ERROR, message).at(sources, span, label);
    if let Some(help) = hint(text, start, found, &expected) {
        diagnostic = diagnostic.with_help(help);
    }
    diagnostic
}

/// The token that starts at `offset`: a word, a quoted string, or one character.
fn token_at(text: &str, offset: usize) -> &str {
    let rest = text.get(offset..).unwrap_or("");
    // A token starting with a digit keeps `/` so that `30/06/2026` is shown whole.
    let starts_with_digit = rest.starts_with(|c: char| c.is_ascii_digit());
    let is_word_char = |c: char| {
        c.is_alphanumeric() || c == '_' || c == '-' || c == '.' || (starts_with_digit && c == '/')
    };
    let end = match rest.chars().next() {
        None => 0,
        Some(c) if is_word_char(c) => rest
            .char_indices()
            .find(|(_, c)| !is_word_char(*c))
            .map(|(i, _)| i)
            .unwrap_or(rest.len()),
        Some('"') => rest
            .char_indices()
            .skip(1)
            .find(|(_, c)| *c == '"' || *c == '\n')
            .map(|(i, c)| if c == '"' { i + 1 } else { i })
            .unwrap_or(rest.len()),
        Some(c) => c.len_utf8(),
    };
    rest.get(..end).unwrap_or("").trim_end_matches('.')
}

fn join_alternatives(items: &[&str]) -> String {
    const MOST: usize = 8;
    let shown: Vec<&str> = items.iter().take(MOST).copied().collect();
    let more = items.len().saturating_sub(MOST);
    let mut text = match shown.as_slice() {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    };
    if more > 0 {
        text.push_str(&format!(" (or {more} more)"));
    }
    text
}

/// A computed hint for the most common mistakes.
fn hint(text: &str, offset: usize, found: &str, expected: &[Rule]) -> Option<String> {
    let expects_effect = expected.contains(&Rule::kw_grants) || expected.contains(&Rule::kw_denies);
    let at_next_statement = found.is_empty()
        || matches!(
            found,
            "rule" | "role" | "attribute" | "entitlement" | "separate" | "timezone"
        );
    if expects_effect {
        if let Some(typo) = misspelled_verb(text, offset) {
            return Some(format!(
                "`{typo}` was read as a word of the condition; did you mean `grants` or `denies`?"
            ));
        }
        if at_next_statement {
            return Some(
                "every rule needs an effect after its condition: `grants …` or `denies …`"
                    .to_string(),
            );
        }
    }
    if unclosed_parentheses(text, offset) && matches!(found, "grants" | "denies" | "") {
        return Some("a `(` is not closed: add `)` before the effect".to_string());
    }
    let expects_value = expected.iter().any(|r| {
        matches!(
            r,
            Rule::word | Rule::quoted | Rule::value_term | Rule::literal_set
        )
    }) || expected.is_empty();
    let after_colon = text
        .get(..offset)
        .is_some_and(|before| before.trim_end().ends_with(':'));
    if matches!(found, "grants" | "denies") && after_colon {
        return Some(format!(
            "a rule needs a condition before `{found}`; write `anyone` to mean everyone"
        ));
    }
    if found.starts_with(|c: char| !c.is_ascii() && c.is_alphanumeric()) {
        // The word began before the character the parser stopped at.
        let before = text.get(..offset).unwrap_or("");
        let start = before
            .char_indices()
            .rev()
            .take_while(|(_, c)| c.is_alphanumeric() || *c == '_' || *c == '-')
            .last()
            .map(|(i, _)| i)
            .unwrap_or(offset);
        let word = format!("{}{found}", before.get(start..).unwrap_or(""));
        return Some(format!(
            "bare words are made of ASCII letters, digits, `_` and `-`; quote other values: \"{word}\""
        ));
    }
    if matches!(found, "grants" | "denies") && expects_value {
        return Some(format!("a value is missing before `{found}`"));
    }
    if RESERVED_WORDS.contains(&found) && expects_value {
        return Some(format!(
            "`{found}` is a reserved word of the language; to mean the value, quote it: \"{found}\""
        ));
    }
    if looks_like_loose_date(found) {
        return Some("dates are written YYYY-MM-DD, for example 2027-06-30".to_string());
    }
    if found.starts_with('"') && !found.ends_with('"') || found == "\"" {
        return Some("a quoted value must close with `\"` on the same line".to_string());
    }
    if expects_effect {
        return Some(
            "a condition is made of value words (`full-time`, `Sales`), `in X`, `with X status`, `not …` and an optional `where …`; it ends with `grants` or `denies`".to_string(),
        );
    }
    if found == ":" && expected.contains(&Rule::word) {
        return Some("a name must come before `:`".to_string());
    }
    if expected.contains(&Rule::kw_rule) && offset < text.len() {
        return Some(
            "a file holds statements that each begin with a keyword: `attribute`, `entitlement`, `role`, `rule`, `separate`, `test` or `timezone`".to_string(),
        );
    }
    if expected.contains(&Rule::duration_unit) {
        return Some("a duration is a whole number of `days`, `weeks` or `months`".to_string());
    }
    None
}

/// Whether the current rule opened more `(` than it closed before `offset`.
fn unclosed_parentheses(text: &str, offset: usize) -> bool {
    let Some(before) = text.get(..offset) else {
        return false;
    };
    let rule_start = before.rfind("rule ").unwrap_or(0);
    let rule_text = before.get(rule_start..).unwrap_or("");
    rule_text.matches('(').count() > rule_text.matches(')').count()
}

/// A word of the current rule's condition that looks like a misspelled verb.
fn misspelled_verb(text: &str, offset: usize) -> Option<&str> {
    let before = text.get(..offset)?;
    let rule_start = before.rfind("rule ").unwrap_or(0);
    before.get(rule_start..)?.split_whitespace().find(|token| {
        ["grants", "denies"]
            .iter()
            .any(|verb| token != verb && strsim::levenshtein(token, verb) <= 2 && token.len() >= 4)
            || matches!(*token, "grant" | "deny" | "gives" | "give")
    })
}

fn looks_like_loose_date(found: &str) -> bool {
    let parts: Vec<&str> = found.split(['-', '/']).collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

/// The words a person would use for a grammar rule.
fn describe(rule: Rule) -> &'static str {
    match rule {
        Rule::EOI => "the end of the file",
        Rule::kw_timezone => "`timezone`",
        Rule::kw_attribute => "`attribute`",
        Rule::kw_entitlement => "`entitlement`",
        Rule::kw_role | Rule::role_ref => "`role`",
        Rule::kw_rule => "`rule`",
        Rule::kw_separate => "`separate`",
        Rule::kw_optional | Rule::optional_marker => "`optional`",
        Rule::kw_key | Rule::key_marker => "`key`",
        Rule::kw_flag | Rule::flag_type => "`flag`",
        Rule::kw_number | Rule::number_type => "`number`",
        Rule::kw_text | Rule::text_type => "`text`",
        Rule::kw_date | Rule::date_type => "`date`",
        Rule::kw_list | Rule::list_type => "`list of text`",
        Rule::kw_of => "`of`",
        Rule::kw_sensitive | Rule::sensitive_property => "`sensitive`",
        Rule::kw_owner | Rule::owner_property => "`owner \"…\"`",
        Rule::kw_description | Rule::description_property => "`description \"…\"`",
        Rule::max_duration_property => "`at most …`",
        Rule::kw_at => "`at`",
        Rule::kw_most => "`most`",
        Rule::kw_grants | Rule::grants_effect => "`grants`",
        Rule::kw_denies | Rule::denies_effect => "`denies`",
        Rule::kw_everything | Rule::everything => "`everything`",
        Rule::kw_where | Rule::where_clause => "`where`",
        Rule::kw_and => "`and`",
        Rule::kw_or => "`or`",
        Rule::kw_not | Rule::not_term | Rule::negation => "`not`",
        Rule::kw_in | Rule::in_term | Rule::in_op => "`in`",
        Rule::kw_is | Rule::is_op => "`is`",
        Rule::is_not_op => "`is not`",
        Rule::not_in_op => "`not in`",
        Rule::kw_the => "`the`",
        Rule::kw_with | Rule::with_term => "`with`",
        Rule::kw_without | Rule::without_term => "`without`",
        Rule::kw_status => "`status`",
        Rule::kw_anyone | Rule::anyone_term => "`anyone`",
        Rule::kw_contains | Rule::contains_op => "`contains`",
        Rule::kw_requires | Rule::approval_clause => "`requires approval`",
        Rule::kw_approval => "`approval`",
        Rule::kw_by => "`by`",
        Rule::kw_from | Rule::from_clause => "`from`",
        Rule::kw_until | Rule::until_clause => "`until`",
        Rule::kw_for | Rule::for_clause => "`for`",
        Rule::kw_test | Rule::test_decl => "`test`",
        Rule::kw_given | Rule::given_clause => "`given`",
        Rule::kw_expect | Rule::expectation => "`expect`",
        Rule::kw_no | Rule::expect_absent => "`no`",
        Rule::kw_pending | Rule::expect_pending => "`pending approval`",
        Rule::kw_check | Rule::check_decl => "`check`",
        Rule::kw_passing | Rule::passing_term => "`passing`",
        Rule::at_clause => "`at`",
        Rule::datetime => "a date and time (2026-12-01T09:00)",
        Rule::given_list => "`{…}`",
        Rule::order_op => "a comparison (`>`, `>=`, `<`, `<=`)",
        Rule::word | Rule::value_term => "a word",
        Rule::reserved_word | Rule::reserved => "a reserved word",
        Rule::entitlement_name => "an entitlement name",
        Rule::quoted | Rule::quoted_inner => "a quoted value",
        Rule::date => "a date (YYYY-MM-DD)",
        Rule::number => "a number",
        Rule::integer => "a whole number",
        Rule::duration => "a duration",
        Rule::duration_unit => "`days`, `weeks` or `months`",
        Rule::literal_set => "a value or `{…}`",
        Rule::comparison => "a comparison",
        Rule::value_set => "a list of values `a | b`",
        Rule::grant_list => "an entitlement or `role …`",
        Rule::condition => "a condition",
        Rule::expr | Rule::and_expr | Rule::not_expr => "a condition",
        _ => "a statement",
    }
}
