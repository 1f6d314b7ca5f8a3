use grantline_syntax::ast::*;
use grantline_syntax::{parse_file, render_human, SourceMap};

fn parse(text: &str) -> Result<PolicyFile, String> {
    let mut sources = SourceMap::new();
    let file = sources.add("test.grant", text);
    parse_file(&sources, file).map_err(|d| render_human(&[d], false))
}

const EXAMPLE: &str = r#"
# The attributes the HR system sends.
attribute employment: full-time | part-time | contractor | intern
attribute department: Sales | Engineering | Finance | "Human Resources" | Legal
attribute country: US | DE | GB | IN          # the set may be long
attribute manager: flag
attribute level: number
attribute status: active | on-leave | terminated
attribute start_date: date
attribute end_date: optional date
attribute groups: list of text
timezone "Europe/Berlin"

entitlement slack, google.workspace, salesforce.user, salesforce.reports
entitlement salesforce.admin: sensitive, owner "crm-team", at most 180 days
entitlement netsuite.payables, netsuite.approver: sensitive

role baseline: slack, google.workspace
role sales: role baseline, salesforce.user

rule everyone-baseline:
    anyone active grants role baseline

rule us-sales-managers:
    full-time in Sales in the US with manager status
    grants salesforce.admin, salesforce.reports
    until 2027-06-30

rule contractors:
    contractor grants salesforce.user from start_date until end_date

rule finance-leads:
    full-time in Finance where level >= 7
    grants netsuite.approver
    requires approval by "finance-controllers"

rule offboarding:
    terminated denies everything

rule no-contractor-admin:
    contractor denies salesforce.admin

rule india:
    in IN or DE, GB not in Sales without manager status
    where (level > 3 or groups contains "vpn") and not department in {Legal, "Human Resources"}
    grants slack for 30 days

separate netsuite.payables from netsuite.approver
"#;

#[test]
fn parses_the_language_direction_example() {
    let file = parse(EXAMPLE).unwrap();
    assert_eq!(file.statements.len(), 23);
    let rules: Vec<&RuleDecl> = file
        .statements
        .iter()
        .filter_map(|s| match s {
            Statement::Rule(r) => Some(r),
            _ => None,
        })
        .collect();
    assert_eq!(rules.len(), 7);
    let sales = rules[1];
    assert_eq!(sales.name.text, "us-sales-managers");
    assert_eq!(sales.condition.terms.len(), 4);
    assert!(
        matches!(&sales.clauses[0], RuleClause::Until { point: TimePoint::Date { text, .. }, .. } if text == "2027-06-30")
    );
    let india = rules[6];
    assert!(matches!(&india.condition.terms[0], ShortTerm::In { values, .. } if values.len() == 3));
    assert!(matches!(&india.condition.terms[1], ShortTerm::Not { .. }));
    assert!(matches!(
        &india.condition.terms[2],
        ShortTerm::Without { .. }
    ));
    assert!(matches!(
        india.condition.where_clause,
        Some(Expr::And { .. })
    ));
}

#[test]
fn reserved_word_in_a_value_list_is_kept_for_the_compiler() {
    let file = parse("attribute x: in | out").unwrap();
    let Statement::Attribute(decl) = &file.statements[0] else {
        panic!()
    };
    let AttributeKind::Values(values) = &decl.kind else {
        panic!()
    };
    assert!(values[0].reserved);
    assert!(!values[1].reserved);
}

#[test]
fn missing_effect_names_grants_and_denies() {
    let err = parse("rule r: anyone active").unwrap_err();
    assert!(err.contains("expected"), "{err}");
    assert!(err.contains("`grants`"), "{err}");
    assert!(err.contains("test.grant:1:"), "{err}");
}

#[test]
fn a_rule_without_effect_is_reported_where_the_next_statement_begins() {
    let err = parse("rule a:\n  anyone active\nrule b:\n  contractor grants x\n").unwrap_err();
    assert!(err.contains("unexpected `rule`"), "{err}");
    assert!(err.contains("test.grant:3:1"), "{err}");
    assert!(err.contains("every rule needs an effect"), "{err}");
}

#[test]
fn a_misspelled_verb_is_named_in_the_hint() {
    let err = parse("rule r: anyone grant slack").unwrap_err();
    assert!(
        err.contains("`grant` was read as a word of the condition"),
        "{err}"
    );
}

#[test]
fn role_is_usable_as_an_attribute_name() {
    let file = parse("attribute role: a | b\nrule r: where role is a grants x\nrole r: x").unwrap();
    assert_eq!(file.statements.len(), 3);
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let deep = format!(
        "rule r: where {}level > 1{} grants x",
        "(".repeat(5000),
        ")".repeat(5000)
    );
    let err = parse(&deep).unwrap_err();
    assert!(
        err.contains("this rule has more than 24 parentheses and `not`s"),
        "{err}"
    );
    let nots = format!("rule r: {} active grants x", "not ".repeat(5000));
    let err = parse(&nots).unwrap_err();
    assert!(
        err.contains("this rule has more than 24 parentheses and `not`s"),
        "{err}"
    );
    // Within the limit, nesting parses, and parentheses in comments and quotes do not count.
    let fine = format!(
        "# {}\nrule r: where {}level > 1{} and title is \"{}\" grants x",
        "(".repeat(500),
        "(".repeat(24),
        ")".repeat(24),
        "(".repeat(300)
    );
    parse(&fine).unwrap();
    // Parentheses and `not`s count together, so mixing them does not get around the limit.
    let mixed = format!(
        "rule r: where {}manager{} grants x",
        "manager or not not (".repeat(9),
        ")".repeat(9)
    );
    assert!(parse(&mixed).unwrap_err().contains("more than 24"));
    // The count is per rule.
    let many = "rule r: where (not manager) grants x\n".repeat(40);
    parse(&many).unwrap();
}

#[test]
fn an_error_far_along_a_long_line_is_rendered_without_an_excerpt() {
    let text = format!("rule r: anyone grants slack{}, %\n", " ".repeat(70_000));
    let err = parse(&text).unwrap_err();
    assert!(err.contains("(at test.grant:1:70030)"), "{err}");
}

#[test]
fn columns_count_characters_in_every_format() {
    let mut sources = SourceMap::new();
    let file = sources.add("test.grant", "rule r: \"日本\" grants x %");
    let diagnostic = parse_file(&sources, file).unwrap_err();
    assert_eq!(diagnostic.location().unwrap().column, 23);
    let human = render_human(&[diagnostic], false);
    assert!(human.contains("[test.grant:1:23]"), "{human}");
}

#[test]
fn reserved_words_are_not_entitlement_names() {
    let err = parse("entitlement slack, where").unwrap_err();
    assert!(err.contains("`where`"), "{err}");
}

#[test]
fn optional_is_a_value_where_a_value_list_begins() {
    let file = parse("attribute x: optional | y\nattribute z: optional date").unwrap();
    let Statement::Attribute(x) = &file.statements[0] else {
        panic!()
    };
    assert!(!x.optional);
    assert!(matches!(&x.kind, AttributeKind::Values(v) if v[0].text == "optional"));
    let Statement::Attribute(z) = &file.statements[1] else {
        panic!()
    };
    assert!(z.optional);
}

#[test]
fn a_byte_order_mark_is_ignored() {
    let file = parse("\u{feff}entitlement slack").unwrap();
    assert_eq!(file.statements.len(), 1);
}

#[test]
fn hints_for_a_missing_condition_and_non_ascii_words() {
    let err = parse("rule a: grants slack").unwrap_err();
    assert!(err.contains("write `anyone` to mean everyone"), "{err}");
    let err = parse("rule a: in Zürich grants slack").unwrap_err();
    assert!(err.contains("quote other values: \"Zürich\""), "{err}");
}

#[test]
fn the_grammar_reserves_exactly_the_listed_words() {
    for word in grantline_syntax::RESERVED_WORDS {
        let file = parse(&format!("attribute x: {word}")).unwrap();
        let Statement::Attribute(decl) = &file.statements[0] else {
            panic!()
        };
        let AttributeKind::Values(values) = &decl.kind else {
            panic!("{word}")
        };
        assert!(
            values[0].reserved,
            "{word} is listed but the grammar does not reserve it"
        );
    }
    for word in [
        "role",
        "status",
        "the",
        "from",
        "until",
        "for",
        "everything",
        "optional",
    ] {
        let file = parse(&format!("attribute x: a | {word}")).unwrap();
        let Statement::Attribute(decl) = &file.statements[0] else {
            panic!()
        };
        let AttributeKind::Values(values) = &decl.kind else {
            panic!("{word}")
        };
        assert!(
            !values[1].reserved,
            "{word} is reserved by the grammar but not listed"
        );
    }
}

#[test]
fn test_blocks_parse_with_every_kind_of_given_and_expectation() {
    let file = parse(
        r#"
test "a US sales manager gets admin until mid-2027":
    given full-time, Sales, US, manager, level 6, groups {sales-east, "crm"}, start_date 2021-03-15
    at 2026-12-01
    expect salesforce.admin until 2027-06-30
    expect netsuite.approver pending approval by "finance-controllers"
    expect notion from 2026-01-01
    expect no netsuite.payables
test "noon":
    given test
    at 2026-12-01T12:00:00Z
    expect no x
rule r: in test grants x
"#,
    )
    .unwrap();
    let Statement::Test(test) = &file.statements[0] else {
        panic!()
    };
    assert_eq!(
        test.name.text,
        "a US sales manager gets admin until mid-2027"
    );
    assert_eq!(test.given.len(), 7);
    assert!(
        matches!(&test.given[5], GivenItem::Assignment { list: true, values, .. } if values.len() == 2)
    );
    assert_eq!(test.at.text, "2026-12-01");
    assert_eq!(test.expectations.len(), 4);
    assert!(
        matches!(&test.expectations[1], Expectation::Present { details, .. } if matches!(&details[0], ExpectDetail::Pending { by: Some(_), .. }))
    );
    assert!(matches!(&test.expectations[3], Expectation::Absent { .. }));
    let Statement::Test(noon) = &file.statements[1] else {
        panic!()
    };
    assert!(noon.at.has_time);
    assert!(matches!(&file.statements[2], Statement::Rule(_)));
}

#[test]
fn a_statement_span_ends_at_its_last_token() {
    let text = "rule r: anyone grants slack  # why\n\n# next\nrule s: anyone grants zoom\n";
    let file = parse(text).unwrap();
    let Statement::Rule(rule) = &file.statements[0] else {
        panic!()
    };
    assert_eq!(
        &text[rule.span.start..rule.span.end],
        "rule r: anyone grants slack"
    );
}
