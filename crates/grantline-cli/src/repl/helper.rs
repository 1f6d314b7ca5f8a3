//! The line editor's side of the REPL: tab completion, the parser-driven
//! check of whether a statement is finished, and the continuation prompt.

use std::borrow::Cow;

use grantline_ir::AttributeKind;
use rustyline::completion::{Completer, FilenameCompleter, Pair};
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Cmd, ConditionalEventHandler, Context, Event, EventContext, Helper, RepeatCount};

use super::input::{
    completeness, ends_with_empty_line, strip_continuation, Completeness, CONTINUATION,
};
use super::session::{Names, COMMANDS};
use super::show;
use super::values::written;

/// What to complete at the cursor.
#[derive(Debug, PartialEq, Eq)]
pub enum Completion {
    /// Replace the text from `start` to the cursor with one of these:
    /// `(shown, inserted)`.
    Words {
        start: usize,
        candidates: Vec<(String, String)>,
    },
    /// A file name (`:load`, `:identity`).
    Files,
}

fn words(start: usize, candidates: impl IntoIterator<Item = (String, String)>) -> Completion {
    let mut candidates: Vec<(String, String)> = candidates.into_iter().collect();
    candidates.sort();
    candidates.dedup();
    Completion::Words { start, candidates }
}

/// Names that begin with `partial`, inserted as they are plus `suffix`.
fn matching<'a>(
    partial: &'a str,
    names: impl IntoIterator<Item = &'a String> + 'a,
    suffix: &'a str,
) -> impl Iterator<Item = (String, String)> + 'a {
    names
        .into_iter()
        .filter(move |name| name.starts_with(partial))
        .map(move |name| (name.clone(), format!("{name}{suffix}")))
}

/// Policy words that begin with `partial`: `(raw, written)` pairs match on
/// either form and insert the written one.
fn matching_written(
    partial: &str,
    words: impl IntoIterator<Item = (String, String)>,
) -> Vec<(String, String)> {
    words
        .into_iter()
        .filter(|(raw, written)| written.starts_with(partial) || raw.starts_with(partial))
        .map(|(_, written)| (written.clone(), written))
        .collect()
}

fn attribute_names(names: &Names) -> Vec<(String, String)> {
    names
        .attributes
        .iter()
        .map(|(name, _)| (name.clone(), name.clone()))
        .collect()
}

fn value_words(names: &Names) -> Vec<(String, String)> {
    names
        .attributes
        .iter()
        .flat_map(|(_, kind)| match kind {
            AttributeKind::Values { values } => values.clone(),
            _ => Vec::new(),
        })
        .map(|value| {
            let shown = written(&value);
            (value, shown)
        })
        .collect()
}

fn entitlement_words(names: &Names) -> Vec<(String, String)> {
    names
        .entitlements
        .iter()
        .map(|name| (name.clone(), show::entitlement(name)))
        .collect()
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '-' || c == '.'
}

/// The candidates at `pos` of `line` (the whole buffer of the editor).
pub fn complete(names: &Names, line: &str, pos: usize) -> Completion {
    let before = line.get(..pos).unwrap_or(line);
    // At an empty prompt, Tab lists the commands.
    let command = before.trim_start().starts_with(':') && !before.contains('\n');
    if before.trim().is_empty() || command {
        complete_command(names, before)
    } else {
        complete_policy(names, before)
    }
}

fn complete_command(names: &Names, before: &str) -> Completion {
    let text = before.trim_start();
    let offset = before.len() - text.len();
    let Some((command, rest)) = text.split_once(char::is_whitespace) else {
        return words(
            offset,
            COMMANDS
                .iter()
                .filter(|c| c.name.starts_with(text))
                .map(|c| {
                    let space = if c.arguments.is_empty() { "" } else { " " };
                    (c.name.to_string(), format!("{}{space}", c.name))
                }),
        );
    };
    let argument = rest.trim_start();
    let start = before.len() - argument.len();
    let names_of = |list: &Vec<String>| words(start, matching(argument, list, ""));
    match command {
        ":set" | ":unset" => {
            let space = if command == ":set" { " " } else { "" };
            match argument.split_once(char::is_whitespace) {
                None => words(
                    start,
                    names
                        .attributes
                        .iter()
                        .filter(|(name, _)| name.starts_with(argument))
                        .map(|(name, _)| (name.clone(), format!("{name}{space}"))),
                ),
                Some((attribute, value)) if command == ":set" => {
                    let value = value.trim_start();
                    let start = before.len() - value.len();
                    let kind = names
                        .attributes
                        .iter()
                        .find(|(name, _)| name == attribute)
                        .map(|(_, kind)| kind);
                    let choices: Vec<String> = match kind {
                        Some(AttributeKind::Values { values }) => values.clone(),
                        Some(AttributeKind::Flag) => vec!["true".into(), "false".into()],
                        _ => Vec::new(),
                    };
                    let quoted = value.starts_with('"');
                    words(
                        start,
                        choices
                            .iter()
                            .map(|v| {
                                if quoted {
                                    format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))
                                } else {
                                    v.clone()
                                }
                            })
                            .filter(|v| v.starts_with(value))
                            .map(|v| (v.clone(), v)),
                    )
                }
                Some(_) => words(start, []),
            }
        }
        ":explain" => names_of(&names.entitlements),
        ":rules" | ":ir" => names_of(&names.rules),
        ":load" | ":identity" => Completion::Files,
        _ => words(start, []),
    }
}

/// Words of policy text before the cursor, without comments and quoted
/// text: enough to see where in a statement the cursor is.
fn tokens(text: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    for line in strip_continuation(text).lines() {
        let mut current = String::new();
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            if is_word_char(c) {
                current.push(c);
                continue;
            }
            if !current.is_empty() {
                tokens.push(std::mem::take(&mut current));
            }
            match c {
                '#' => break,
                '"' => {
                    // A quoted value is one token.
                    let mut quoted = String::from('"');
                    for q in chars.by_ref() {
                        quoted.push(q);
                        if q == '"' {
                            break;
                        }
                    }
                    tokens.push(quoted);
                }
                _ => {}
            }
        }
        if !current.is_empty() {
            tokens.push(current);
        }
    }
    tokens
}

/// Keywords that start a part of a statement: what follows them decides
/// what completion offers.
const PARTS: &[&str] = &[
    "grants", "denies", "where", "from", "until", "for", "requires", "given", "expect", "at",
];

fn complete_policy(names: &Names, before: &str) -> Completion {
    let start = before
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_word_char(*c))
        .last()
        .map(|(i, _)| i)
        .unwrap_or(before.len());
    // Include an opening quote: `"Human` completes to `"Human Resources"`.
    let start = match before.get(..start) {
        Some(head) if head.ends_with('"') => start - 1,
        _ => start,
    };
    let partial = before.get(start..).unwrap_or("");
    let line_start = before.rfind('\n').map(|i| i + 1);
    if let Some(line_start) = line_start {
        let line = before.get(line_start..).unwrap_or("");
        let line = line.strip_prefix(CONTINUATION).unwrap_or(line);
        if line.trim().is_empty() {
            // Tab at the start of a continuation line indents it.
            return words(before.len(), [("    ".to_string(), "    ".to_string())]);
        }
    }
    let tokens = tokens(before.get(..start).unwrap_or(""));
    let statement = tokens.first().map(String::as_str).unwrap_or("");
    let previous = tokens.last().map(String::as_str).unwrap_or("");
    let part = tokens
        .iter()
        .rev()
        .map(String::as_str)
        .find(|t| PARTS.contains(t))
        .unwrap_or("");
    let entitlements = || words(start, matching_written(partial, entitlement_words(names)));
    match (previous, statement, part) {
        ("rule", _, _) => words(start, matching(partial, &names.rules, "")),
        ("role", _, _) => words(start, matching(partial, &names.roles, "")),
        ("attribute", _, _) => words(start, matching_written(partial, attribute_names(names))),
        (_, "timezone" | "attribute", _) => words(start, []),
        (_, "entitlement" | "role" | "separate", _) => entitlements(),
        (_, _, "grants" | "denies" | "expect") => entitlements(),
        (_, _, "from" | "until") => words(
            start,
            names
                .attributes
                .iter()
                .filter(|(name, kind)| *kind == AttributeKind::Date && name.starts_with(partial))
                .map(|(name, _)| (name.clone(), name.clone())),
        ),
        (_, _, "for" | "requires" | "at") => words(start, []),
        _ => {
            let mut candidates = matching_written(partial, attribute_names(names));
            candidates.extend(matching_written(partial, value_words(names)));
            words(start, candidates)
        }
    }
}

/// The rustyline helper: completion and validation over the session's names.
pub struct ReplHelper {
    pub names: Names,
    files: FilenameCompleter,
}

impl ReplHelper {
    pub fn new(names: Names) -> ReplHelper {
        ReplHelper {
            names,
            files: FilenameCompleter::new(),
        }
    }
}

impl Completer for ReplHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        match complete(&self.names, line, pos) {
            Completion::Files => self.files.complete(line, pos, ctx),
            Completion::Words { start, candidates } => Ok((
                start,
                candidates
                    .into_iter()
                    .map(|(display, replacement)| Pair {
                        display,
                        replacement,
                    })
                    .collect(),
            )),
        }
    }
}

impl Hinter for ReplHelper {
    type Hint = String;
}

impl Highlighter for ReplHelper {
    fn highlight<'l>(&self, line: &'l str, _pos: usize) -> Cow<'l, str> {
        Cow::Borrowed(line)
    }
}

/// Whether the buffer should stay open for more lines.
fn wants_more(buffer: &str) -> bool {
    let text = strip_continuation(buffer);
    completeness(&text) == Completeness::Incomplete && !ends_with_empty_line(&text)
}

impl Validator for ReplHelper {
    fn validate(&self, ctx: &mut ValidationContext) -> rustyline::Result<ValidationResult> {
        Ok(if wants_more(ctx.input()) {
            ValidationResult::Incomplete
        } else {
            ValidationResult::Valid(None)
        })
    }
}

impl Helper for ReplHelper {}

/// Enter on an unfinished statement starts a new line with the continuation
/// prompt; otherwise Enter does what it always does (and the validator
/// accepts the input).
pub struct ContinuationPrompt;

impl ConditionalEventHandler for ContinuationPrompt {
    fn handle(
        &self,
        _event: &Event,
        _count: RepeatCount,
        _positive: bool,
        ctx: &EventContext,
    ) -> Option<Cmd> {
        let at_end = ctx
            .line()
            .get(ctx.pos()..)
            .is_some_and(|rest| rest.trim().is_empty());
        (at_end && wants_more(ctx.line())).then(|| Cmd::Insert(1, format!("\n{CONTINUATION}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Names {
        Names {
            attributes: vec![
                (
                    "department".into(),
                    AttributeKind::Values {
                        values: vec!["Sales".into(), "Human Resources".into()],
                    },
                ),
                (
                    "employment".into(),
                    AttributeKind::Values {
                        values: vec!["full-time".into(), "contractor".into()],
                    },
                ),
                ("manager".into(), AttributeKind::Flag),
                ("end_date".into(), AttributeKind::Date),
            ],
            entitlements: vec![
                "salesforce.admin".into(),
                "salesforce.reports".into(),
                "slack".into(),
                "1password".into(),
            ],
            roles: vec!["sales-rep".into()],
            rules: vec!["us-sales-managers".into(), "sales-team".into()],
        }
    }

    fn shown(line: &str) -> Vec<String> {
        match complete(&names(), line, line.len()) {
            Completion::Words { candidates, .. } => candidates
                .into_iter()
                .map(|(_, inserted)| inserted)
                .collect(),
            Completion::Files => vec!["<files>".into()],
        }
    }

    #[test]
    fn commands_and_their_arguments() {
        assert_eq!(shown(":exp"), vec![":explain "]);
        assert_eq!(shown("").len(), COMMANDS.len());
        assert_eq!(shown(":").len(), COMMANDS.len());
        assert_eq!(shown(":e"), vec![":eval", ":explain "]);
        assert_eq!(shown(":set dep"), vec!["department "]);
        assert_eq!(shown(":unset man"), vec!["manager"]);
        assert_eq!(shown(":set department "), vec!["Human Resources", "Sales"]);
        assert_eq!(shown(":set department \"H"), vec!["\"Human Resources\""]);
        assert_eq!(shown(":set manager t"), vec!["true"]);
        assert_eq!(
            shown(":explain salesforce."),
            vec!["salesforce.admin", "salesforce.reports"]
        );
        assert_eq!(shown(":rules us"), vec!["us-sales-managers"]);
        assert_eq!(shown(":ir sa"), vec!["sales-team"]);
        assert_eq!(shown(":load pol"), vec!["<files>"]);
    }

    #[test]
    fn words_of_policy_text() {
        assert_eq!(shown("rule r: full-time in Sa"), vec!["Sales"]);
        assert_eq!(
            shown("rule r: full-time in Hu"),
            vec!["\"Human Resources\""]
        );
        assert_eq!(shown("rule r: with man"), vec!["manager"]);
        assert_eq!(shown("rule r: where dep"), vec!["department"]);
        assert_eq!(shown("rule r: anyone grants sl"), vec!["slack"]);
        assert_eq!(
            shown("rule r:\n... anyone\n... grants slack, sales"),
            vec!["salesforce.admin", "salesforce.reports"]
        );
        assert_eq!(shown("rule r: anyone grants \"1"), vec!["\"1password\""]);
        assert_eq!(shown("rule r: anyone grants role sa"), vec!["sales-rep"]);
        assert_eq!(
            shown("rule r: anyone grants slack until end"),
            vec!["end_date"]
        );
        assert_eq!(shown("rule us"), vec!["us-sales-managers"]);
        assert_eq!(shown("separate sl"), vec!["slack"]);
        // The start of a continuation line: Tab indents.
        assert_eq!(shown("rule r:\n... "), vec!["    "]);
    }

    #[test]
    fn the_prompt_stays_open_while_a_statement_is_unfinished() {
        assert!(wants_more("rule r:"));
        assert!(wants_more("rule r:\n... anyone"));
        assert!(!wants_more("rule r:\n... anyone grants slack"));
        // Enter on an empty continuation line runs it, to show the error.
        assert!(!wants_more("rule r:\n... "));
        assert!(!wants_more(":eval"));
    }
}
