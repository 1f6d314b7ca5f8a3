//! The compiler never panics, whatever the text, and every diagnostic it
//! gives points into the source.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use grantline_compiler::compile;
use grantline_ir::PolicySet;
use grantline_syntax::SourceMap;
use proptest::prelude::*;

const SCHEMA: &str = r#"
attribute employment: full-time | contractor
attribute department: Sales | "Human Resources"
attribute manager: flag
attribute level: number
attribute start_date: date
attribute end_date: optional date
attribute groups: list of text
entitlement slack, github
role base: slack
"#;

const TOKENS: &[&str] = &[
    "rule",
    "r1:",
    "r2:",
    "attribute",
    "entitlement",
    "role",
    "separate",
    "timezone",
    ":",
    ",",
    "|",
    "(",
    ")",
    "{",
    "}",
    "grants",
    "denies",
    "everything",
    "where",
    "and",
    "or",
    "not",
    "in",
    "is",
    "with",
    "without",
    "status",
    "the",
    "anyone",
    "contains",
    "requires",
    "approval",
    "by",
    "from",
    "until",
    "for",
    "at",
    "most",
    "days",
    "months",
    ">",
    ">=",
    "<",
    "<=",
    "full-time",
    "contractor",
    "Sales",
    "\"Human Resources\"",
    "manager",
    "level",
    "start_date",
    "end_date",
    "groups",
    "slack",
    "github",
    "role base",
    "7",
    "-3.5",
    "2026-02-29",
    "2027-06-30",
    "\"UTC\"",
    "\"x",
    "#",
    "\n",
    "flag",
    "number",
    "text",
    "date",
    "optional",
    "list of text",
    "sensitive",
    "owner",
    "\u{e9}",
    "\t",
    "\r\n",
];

fn token_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(TOKENS), 0..40).prop_map(|tokens| tokens.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn compiling_arbitrary_token_soup_never_panics(rules in token_soup()) {
        let mut sources = SourceMap::new();
        sources.add("schema.grant", SCHEMA);
        sources.add("rules.grant", rules);
        let compiled = compile(&sources);
        for diagnostic in &compiled.diagnostics {
            prop_assert!(diagnostic.location().is_some(), "{diagnostic:?}");
        }
        if let Some(policy) = compiled.policy {
            prop_assert_eq!(PolicySet::from_json(&policy.to_json()).unwrap(), policy);
        }
    }

    #[test]
    fn compiling_arbitrary_text_never_panics(text in "\\PC{0,200}") {
        let mut sources = SourceMap::new();
        sources.add("any.grant", text);
        let _ = compile(&sources);
    }
}
