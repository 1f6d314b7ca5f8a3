//! Inline suppressions: a comment that names the codes it silences, on the
//! first line of a rule (or role, entitlement, separation) or in the comment
//! block directly above it:
//!
//! ```text
//! # lint: allow GL203 -- the break-glass account is reviewed daily
//! rule break-glass:
//! ```

use std::collections::HashMap;

use grantline_ir::SourceLocation;
use grantline_syntax::SourceMap;

const MARKER: &str = "lint: allow";

/// The suppression comments of a policy set, read once per lint run.
pub(crate) struct Suppressions<'s> {
    /// By file name: each line's text (only files with a marker).
    files: HashMap<&'s str, Vec<&'s str>>,
}

impl<'s> Suppressions<'s> {
    pub(crate) fn new(sources: &'s SourceMap) -> Suppressions<'s> {
        Suppressions {
            files: sources
                .files()
                .map(|(_, file)| file)
                .filter(|file| file.text().contains(MARKER))
                .map(|file| (file.name(), file.text().lines().collect()))
                .collect(),
        }
    }

    /// Whether a suppression comment at `location` names `code`.
    pub(crate) fn covers(&self, location: &SourceLocation, code: &str) -> bool {
        let Some(lines) = self.files.get(location.file.as_str()) else {
            return false;
        };
        let Some(first) = (location.line as usize).checked_sub(1) else {
            return false;
        };
        if lines.get(first).is_some_and(|line| names(line, code)) {
            return true;
        }
        // The comment block right above, nearest line first.
        for line in lines.get(..first).unwrap_or(&[]).iter().rev() {
            let trimmed = line.trim_start();
            if !trimmed.starts_with('#') {
                break;
            }
            if names(trimmed, code) {
                return true;
            }
        }
        false
    }
}

/// Whether `line` has a suppression comment naming `code`.
fn names(line: &str, code: &str) -> bool {
    let Some(hash) = line.find('#') else {
        return false;
    };
    let comment = line.get(hash + 1..).unwrap_or("");
    let Some(at) = comment.find(MARKER) else {
        return false;
    };
    let rest = comment.get(at + MARKER.len()..).unwrap_or("");
    // Codes come before an optional `--` and reason.
    let codes = rest.split("--").next().unwrap_or("");
    codes
        .split(|c: char| c == ',' || c.is_whitespace())
        .any(|word| word.eq_ignore_ascii_case(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn location(line: u32) -> SourceLocation {
        SourceLocation {
            file: "a.grant".to_string(),
            line,
            column: 1,
        }
    }

    fn sources(text: &str) -> SourceMap {
        let mut sources = SourceMap::new();
        sources.add("a.grant", text);
        sources
    }

    #[test]
    fn comment_above_and_on_the_line() {
        let sources = sources(
            "# lint: allow GL203, GL204 -- reviewed daily\n# more words\nrule a:\n    anyone grants x\nrule b: # lint: allow GL101\n",
        );
        let suppressions = Suppressions::new(&sources);
        assert!(suppressions.covers(&location(3), "GL203"));
        assert!(suppressions.covers(&location(3), "gl204"));
        assert!(!suppressions.covers(&location(3), "GL101"));
        assert!(suppressions.covers(&location(5), "GL101"));
        // The block above rule b ends at a code line.
        assert!(!suppressions.covers(&location(5), "GL203"));
    }

    #[test]
    fn reason_words_are_not_codes() {
        let sources = sources("# lint: allow GL203 -- not GL101\nrule a:\n");
        assert!(!Suppressions::new(&sources).covers(&location(2), "GL101"));
    }
}
