//! The canonical layout, on fixtures that cover every construct and every
//! place a comment can be (snapshots), on a few precise cases, and on the
//! example policies of the repository, which must already be formatted.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};

use grantline_fmt::{format_source, format_text};
use grantline_syntax::SourceMap;

fn format(text: &str) -> String {
    format_text("test.grant", text).unwrap_or_else(|d| panic!("{d:?}"))
}

#[test]
fn fixtures() {
    insta::glob!("fixtures/*.grant", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let formatted = format(&text);
        assert_eq!(format(&formatted), formatted, "not idempotent");
        assert_eq!(
            formatted.matches('#').count(),
            text.matches('#').count(),
            "a comment was lost"
        );
        insta::assert_snapshot!(formatted);
    });
}

#[test]
fn a_rule_gets_its_canonical_layout() {
    assert_eq!(
        format("rule r: full-time in the US with manager status where level>=5 grants a,b until 2027-06-30 requires approval by \"g\""),
        "rule r:\n    full-time in the US with manager status where level >= 5\n    grants a, b\n    requires approval by \"g\"\n    until 2027-06-30\n"
    );
}

#[test]
fn the_words_of_the_author_are_kept() {
    let text = "rule r:\n    in the US or DE, GB without manager status with on-leave\n    grants role x and y\n    for 1 day\n";
    assert_eq!(format(text), text);
}

#[test]
fn redundant_parentheses_go_and_needed_ones_stay() {
    assert_eq!(
        format("rule r: where ((a and b)) or (c) grants x"),
        "rule r:\n    where a and b or c\n    grants x\n"
    );
    assert_eq!(
        format("rule r: where (a or b) and not (c and d) and (e and f) grants x"),
        "rule r:\n    where (a or b) and not (c and d) and (e and f)\n    grants x\n"
    );
}

#[test]
fn long_values_wrap_with_a_leading_bar() {
    let values: Vec<String> = (0..20).map(|i| format!("value-{i}")).collect();
    let formatted = format(&format!("attribute a: {}", values.join("|")));
    let lines: Vec<&str> = formatted.lines().collect();
    assert!(lines.len() > 1, "{formatted}");
    assert!(lines[0].starts_with("attribute a: value-0 | value-1"));
    for line in &lines[1..] {
        assert!(line.starts_with("    | "), "{formatted}");
    }
    assert!(
        lines.iter().all(|l| l.chars().count() <= 100),
        "{formatted}"
    );
}

#[test]
fn crlf_becomes_lf_and_the_file_ends_with_one_newline() {
    assert_eq!(
        format("# c\r\nentitlement a # t\r\n\r\n\r\n\r\nentitlement b\r\n\r\n\r\n"),
        "# c\nentitlement a  # t\n\nentitlement b\n"
    );
    assert_eq!(format("entitlement a"), "entitlement a\n");
    assert_eq!(format(""), "");
    assert_eq!(format("\n\n  \n"), "");
    assert_eq!(format("# only a comment"), "# only a comment\n");
}

#[test]
fn strings_are_re_escaped() {
    assert_eq!(
        format(r#"entitlement "a \"b\" \\ c": owner "x\\y""#),
        "entitlement \"a \\\"b\\\" \\\\ c\": owner \"x\\\\y\"\n"
    );
}

#[test]
fn a_rule_or_test_after_another_statement_gets_a_blank_line() {
    assert_eq!(
        format("entitlement a\n# why\nrule r: anyone grants a\ntest \"t\": given x at 2026-01-01 expect a"),
        "entitlement a\n\n# why\nrule r:\n    anyone\n    grants a\n\ntest \"t\":\n    given x\n    at 2026-01-01\n    expect a\n"
    );
}

#[test]
fn a_syntax_error_is_the_parse_diagnostic() {
    let mut sources = SourceMap::new();
    let file = sources.add("broken.grant", "rule r: active in in grants a");
    let error = format_source(&sources, file).unwrap_err();
    assert_eq!(error.code, grantline_syntax::SYNTAX_ERROR);
}

fn grant_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            grant_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "grant") {
            found.push(path);
        }
    }
}

/// Every policy file of the repository, in `policies/` and below, is in the
/// canonical layout (`grantline fmt policies`).
#[test]
fn the_example_policies_are_formatted() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies");
    let mut files = Vec::new();
    grant_files(&root, &mut files);
    files.sort();
    assert!(!files.is_empty());
    let unformatted: Vec<String> = files
        .iter()
        .filter(|file| {
            let text = std::fs::read_to_string(file).unwrap();
            format_text(&file.display().to_string(), &text).unwrap_or_default() != text
        })
        .map(|file| {
            let relative = file.strip_prefix(&root).unwrap_or(file);
            format!("policies/{}", relative.display())
        })
        .collect();
    assert!(
        unformatted.is_empty(),
        "not formatted (run `grantline fmt policies`): {unformatted:#?}"
    );
}
