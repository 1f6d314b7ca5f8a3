//! The formatter's own check that formatting changed nothing but the layout.

use grantline_syntax::ast::{PolicyFile, Statement};
use grantline_syntax::{parse_file, Diagnostic, FileId, SourceMap, Span};

use crate::lexer;

const INTERNAL: &str = "grantline::internal";

/// The formatted text parses to the original syntax tree, spans aside, and
/// has as many comments.
pub(crate) fn same_meaning(
    sources: &SourceMap,
    file: FileId,
    original: &PolicyFile,
    formatted: &str,
    comments: usize,
) -> Result<(), Diagnostic> {
    let name = sources
        .get(file)
        .map(|f| f.name().to_string())
        .unwrap_or_default();
    let fail = |what: &str| {
        Diagnostic::error(
            INTERNAL,
            format!("internal error: formatting {name} would {what}; the file is left as it is"),
        )
        .at(sources, Span::new(file, 0, 0), "this file")
        .with_help("this is a bug in `grantline fmt`; please report it with this file")
    };
    let mut again = SourceMap::new();
    let id = again.add(name.clone(), formatted);
    let reparsed = parse_file(&again, id).map_err(|_| fail("not parse"))?;
    // The formatter puts the clauses of rules in their canonical order, which
    // does not change what a rule means.
    let mut expected = original.statements.clone();
    for statement in &mut expected {
        if let Statement::Rule(rule) = statement {
            rule.clauses.sort_by_key(crate::build::clause_rank);
        }
    }
    if without_spans(&format!("{:?}", reparsed.statements))
        != without_spans(&format!("{expected:?}"))
    {
        return Err(fail("change its meaning"));
    }
    if lexer::lex(formatted).comments.len() != comments {
        return Err(fail("lose a comment"));
    }
    Ok(())
}

/// A syntax tree's debug text without its spans and file ids.
pub(crate) fn without_spans(debug: &str) -> String {
    const SPAN: &str = "Span { file: FileId(";
    const FILE: &str = "FileId(";
    let mut out = String::with_capacity(debug.len());
    let mut rest = debug;
    loop {
        let span = rest.find(SPAN);
        let file = rest.find(FILE);
        let (at, pattern, close) = match (span, file) {
            (Some(s), Some(f)) if s <= f => (s, SPAN, '}'),
            (_, Some(f)) => (f, FILE, ')'),
            (Some(s), None) => (s, SPAN, '}'),
            (None, None) => break,
        };
        out.push_str(rest.get(..at).unwrap_or(""));
        out.push('_');
        let after = rest.get(at + pattern.len()..).unwrap_or("");
        rest = match after.find(close) {
            Some(end) => after.get(end + 1..).unwrap_or(""),
            None => "",
        };
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_and_file_ids_are_dropped() {
        assert_eq!(
            without_spans("Word { text: \"a\", span: Span { file: FileId(3), start: 1, end: 2 } }, file: FileId(3)"),
            "Word { text: \"a\", span: _ }, file: _"
        );
    }
}
