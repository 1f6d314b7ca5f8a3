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
        err.contains("parentheses nest more than 32 levels deep"),
        "{err}"
    );
    let nots = format!("rule r: {} active grants x", "not ".repeat(5000));
    let err = parse(&nots).unwrap_err();
    assert!(
        err.contains("`not`s nest more than 32 levels deep"),
        "{err}"
    );
    // Within the limit, nesting parses, and parentheses in comments and quotes do not count.
    let fine = format!(
        "# {}\nrule r: where {}level > 1{} and title is \"{}\" grants x",
        "(".repeat(500),
        "(".repeat(32),
        ")".repeat(32),
        "(".repeat(300)
    );
    parse(&fine).unwrap();
}
