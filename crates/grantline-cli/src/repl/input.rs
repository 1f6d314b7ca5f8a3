//! What a piece of input is, and whether it is finished: the parser decides.
//!
//! Both front ends (the line editor and piped standard input) ask
//! [`completeness`] whether to run what was typed or to keep reading.

use grantline_syntax::{parse_file, SourceMap};

/// The prompt of the first line of an input.
pub const PROMPT: &str = "grantline> ";
/// The prompt of the following lines of an unfinished statement. In the line
/// editor it is part of the edited text; [`strip_continuation`] removes it.
pub const CONTINUATION: &str = "... ";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Completeness {
    /// Run it: a command, a statement that parses, an error in the middle of
    /// the text (shown when it runs), or nothing at all.
    Complete,
    /// The statement is unfinished: the parser stopped at the end of the text.
    Incomplete,
}

/// A command line: `:` and a letter, such as `:eval`.
pub fn is_command(text: &str) -> bool {
    let mut chars = text.trim_start().chars();
    chars.next() == Some(':') && chars.next().is_some_and(|c| c.is_ascii_alphabetic())
}

/// Parses `text` with the real parser. A syntax error at or after the last
/// non-whitespace character means the text ends too early: more is to come.
/// Any other error is in what was typed, and is shown when the text runs.
pub fn completeness(text: &str) -> Completeness {
    if is_command(text) {
        return Completeness::Complete;
    }
    let trimmed = text.trim_end();
    let Some((last, _)) = trimmed.char_indices().next_back() else {
        return Completeness::Complete;
    };
    let mut sources = SourceMap::new();
    let file = sources.add("<input>", text);
    match parse_file(&sources, file) {
        Ok(_) => Completeness::Complete,
        Err(diagnostic) => match diagnostic.primary {
            Some(label) if label.span.start >= last => Completeness::Incomplete,
            _ => Completeness::Complete,
        },
    }
}

/// Whether an unfinished buffer of the line editor should run anyway: its
/// last line is empty (Enter on an empty continuation line), so that its
/// syntax error is shown rather than waiting for more forever.
pub fn ends_with_empty_line(buffer: &str) -> bool {
    match buffer.rsplit_once('\n') {
        Some((_, last)) => last.trim().is_empty(),
        None => false,
    }
}

/// The text of an edited buffer without the continuation prompts that begin
/// its second and later lines.
pub fn strip_continuation(buffer: &str) -> String {
    buffer
        .split('\n')
        .enumerate()
        .map(
            |(i, line)| match line.strip_prefix(CONTINUATION.trim_end()) {
                Some(rest) if i > 0 => rest.strip_prefix(' ').unwrap_or(rest),
                _ => line,
            },
        )
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unfinished_statement_is_incomplete() {
        for text in [
            "rule r:",
            "rule r:\n",
            "rule r: anyone",
            "rule r:\n    full-time in Sales\n    grants",
            "rule r: anyone grants slack,",
            "rule r: where (level > 5",
            "rule r: anyone # a comment",
            "attribute team:",
            "entitlement slack:",
            "rule",
        ] {
            assert_eq!(completeness(text), Completeness::Incomplete, "{text:?}");
        }
    }

    #[test]
    fn a_finished_or_broken_statement_is_complete() {
        for text in [
            "",
            "   \n",
            "# only a comment",
            ":eval",
            "  :set level 5",
            "rule r: anyone grants slack",
            "rule r:\n    anyone\n    grants slack\n",
            // The error is in the middle: show it rather than wait for more.
            "rule r: active in in grants slack",
            "rule r: active in in",
            "grants slack to everyone",
        ] {
            assert_eq!(completeness(text), Completeness::Complete, "{text:?}");
        }
    }

    #[test]
    fn commands_are_a_colon_and_a_letter() {
        assert!(is_command(":eval"));
        assert!(is_command("  :rules sales"));
        assert!(!is_command(": anyone grants slack"));
        assert!(!is_command("rule r:"));
    }

    #[test]
    fn continuation_prompts_are_removed() {
        assert_eq!(
            strip_continuation("rule r:\n... anyone\n...     grants slack"),
            "rule r:\nanyone\n    grants slack"
        );
        assert_eq!(strip_continuation("rule r:\n..."), "rule r:\n");
        // Only on continuation lines.
        assert_eq!(strip_continuation("... x"), "... x");
    }

    #[test]
    fn an_empty_last_line_is_detected() {
        assert!(ends_with_empty_line("rule r:\n"));
        assert!(ends_with_empty_line("rule r:\n   "));
        assert!(ends_with_empty_line("rule r:\n  anyone\n"));
        assert!(!ends_with_empty_line("rule r:"));
        assert!(!ends_with_empty_line("   "));
        assert!(!ends_with_empty_line("rule r:\n  anyone"));
    }
}
