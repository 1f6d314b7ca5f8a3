#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! The mapping file: what it sets, and its mistakes with line and column.

use grantline_eval::Evaluator;
use grantline_hr::{Mapping, DEFAULT_DATE_FORMAT};
use grantline_syntax::SourceMap;

fn error(text: &str) -> String {
    Mapping::parse("hr.toml", text).unwrap_err().to_string()
}

#[test]
fn a_mapping_sets_columns_values_separators_and_flags() {
    let mapping = Mapping::parse(
        "hr.toml",
        r#"
list-separator = "|"
date-format = "%d/%m/%Y"
csv-delimiter = ";"

[columns]
"Employee ID" = "employee_id"
Notes = ""

[values.employment]
FT = "full-time"

[flags]
true = ["X", "ja"]
false = ["", "nein"]
"#,
    )
    .unwrap();
    assert_eq!(mapping.column("Employee ID"), Some("employee_id"));
    assert_eq!(mapping.column("Notes"), Some(""));
    assert_eq!(mapping.column("employee_id"), None);
    assert_eq!(mapping.value("employment", "FT"), Some("full-time"));
    assert_eq!(mapping.value("employment", "ft"), None);
    assert_eq!(mapping.list_separator(), "|");
    assert_eq!(mapping.date_format(), "%d/%m/%Y");
    assert_eq!(mapping.csv_delimiter(), b';');
    assert_eq!(mapping.flag(" x "), Some(true));
    assert_eq!(mapping.flag("JA"), Some(true));
    assert_eq!(mapping.flag(""), Some(false));
    assert_eq!(mapping.flag("yes"), None);

    let default = Mapping::default();
    assert_eq!(default.date_format(), DEFAULT_DATE_FORMAT);
    assert_eq!(default.list_separator(), ";");
    for (spelling, flag) in [
        ("true", true),
        ("Yes", true),
        ("1", true),
        ("y", true),
        ("FALSE", false),
        ("no", false),
        ("0", false),
        ("N", false),
    ] {
        assert_eq!(default.flag(spelling), Some(flag), "{spelling}");
    }
    assert_eq!(default.flag("maybe"), None);
}

#[test]
fn mistakes_have_a_line_and_column() {
    let errors = [
        error("[columns]\n\"Employee ID\" = employee_id\n"),
        error("list-seperator = \"|\"\n"),
        error("[columns]\nDept = 3\n"),
        error("[columns]\nDept = \"the department\"\n"),
        error("\nlist-separator = \"\"\n"),
        error("date-format = \"%Y-%m\"\n"),
        error("date-format = \"%Q\"\n"),
        error("csv-delimiter = \"ab\"\n"),
        error("[flags]\ntrue = [\"y\"]\nfalse = [\"n\", \"Y\"]\n"),
        error("[values.employment]\nFT = [\"full-time\"]\n"),
    ];
    insta::assert_snapshot!("mapping_errors", errors.join("\n"));
}

#[test]
fn scim_attribute_notation_is_checked() {
    let mapping = Mapping::parse(
        "hr.toml",
        "[columns]\n\"urn:ietf:params:scim:schemas:extension:acme:2.0:User:badge.site\" = \"site\"\n",
    )
    .unwrap();
    assert_eq!(
        mapping.column("urn:ietf:params:scim:schemas:extension:acme:2.0:User:badge.site"),
        Some("site")
    );
    let errors = [
        error("[columns]\n\"urn:ietf:params:scim:schemas:extension:acme:2.0:User:\" = \"site\"\n"),
        error("[columns]\nx = \"y\"\n\"urn:acme:User:badge.site.name\" = \"site\"\n"),
        error("[columns]\n\"URN:acme:User:2site\" = \"site\"\n"),
        error("[columns]\n\"urn:site\" = \"site\"\n"),
    ];
    insta::assert_snapshot!("scim_notation_errors", errors.join("\n"));
}

#[test]
fn check_finds_value_tables_that_do_not_fit_the_schema() {
    let mut sources = SourceMap::new();
    sources.add(
        "schema.grant",
        "attribute employment: full-time | part-time\nattribute title: optional text\n\
         entitlement slack\nrule everyone: anyone grants slack\n",
    );
    let evaluator = Evaluator::new(grantline_compiler::compile(&sources).policy.unwrap()).unwrap();
    let mapping = Mapping::parse(
        "hr.toml",
        r#"[values.employment]
FT = "full-time"
PT = "part-tme"

[values.employmnt]
FT = "full-time"

[values.title]
Eng = "Engineer"
"#,
    )
    .unwrap();
    let problems: Vec<String> = mapping
        .check(&evaluator)
        .iter()
        .map(ToString::to_string)
        .collect();
    insta::assert_snapshot!("mapping_check", problems.join("\n"));
}
