#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! The SARIF output: a real lint run checked against the structure SARIF
//! 2.1.0 requires (the properties the schema marks required, at every
//! level, and the references between results and rules), and a snapshot of
//! the document for a report with every kind of detail.

use grantline_lint::render::{render_sarif, SarifRoot};
use grantline_lint::{lint, rules, Finding, LintConfig, LintInput, LintReport, Related, Witness};
use grantline_syntax::{Severity, SourceMap};
use serde_json::Value;

const AT: &str = "2026-12-01T09:00:00Z";

const SCHEMA: &str = r#"timezone "UTC"
attribute department: Sales | Finance | Engineering
attribute employment: full-time | contractor | intern
attribute status: active | terminated
attribute country: US | DE
attribute manager: flag
attribute level: number
attribute end_date: optional date
entitlement crm: sensitive
entitlement wiki, chat, ledger
entitlement crm.reports
"#;

/// Rules that give linters something to say: access for everyone to a
/// sensitive entitlement, a rule no one can match, a rule covered by
/// another, an expired window and near-duplicate rules.
const RULES: &str = r#"rule everyone-crm:
    anyone grants crm

rule sales-wiki-us:
    in Sales in US grants wiki

rule sales-wiki-de:
    in Sales in DE grants wiki

rule impossible:
    in Sales in Finance grants ledger

rule everyone-chat:
    anyone grants chat

rule sales-chat:
    in Sales grants chat

rule old-reports:
    in Finance grants crm.reports
    until 2020-01-01
"#;

fn sources() -> SourceMap {
    let mut sources = SourceMap::new();
    sources.add("policies/schema.grant", SCHEMA);
    sources.add("policies/team/rules.grant", RULES);
    sources
}

fn lint_sources(sources: &SourceMap) -> LintReport {
    let compiled = grantline_compiler::compile(sources);
    assert!(
        compiled.diagnostics.iter().all(|d| !d.is_error()),
        "{}",
        grantline_syntax::render_human(&compiled.diagnostics, false)
    );
    let policy = compiled.policy.unwrap();
    let evaluator = grantline_eval::Evaluator::new(policy.clone()).unwrap();
    lint(&LintInput {
        policy: &policy,
        evaluator: &evaluator,
        sources,
        config: &LintConfig::default(),
        at: AT.parse().unwrap(),
        people: None,
    })
}

const LEVELS: [&str; 4] = ["none", "note", "warning", "error"];

fn text_of<'a>(value: &'a Value, what: &str) -> &'a str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("{what} is not a string: {value}"))
}

fn check_message(message: &Value, what: &str) {
    let text = text_of(&message["text"], &format!("{what}.message.text"));
    assert!(!text.trim().is_empty(), "{what}.message.text is empty");
}

fn check_physical_location(location: &Value, what: &str, bases: &Value) {
    let artifact = &location["artifactLocation"];
    let uri = text_of(&artifact["uri"], &format!("{what}.artifactLocation.uri"));
    assert!(
        !uri.starts_with('/') && !uri.contains(':') && !uri.contains(' '),
        "{what}: `{uri}` is not a relative URI reference"
    );
    let base = text_of(&artifact["uriBaseId"], &format!("{what}.uriBaseId"));
    assert!(
        bases.get(base).is_some(),
        "{what}: base `{base}` is not in originalUriBaseIds"
    );
    let region = &location["region"];
    let line = region["startLine"]
        .as_u64()
        .unwrap_or_else(|| panic!("{what}: no region.startLine"));
    assert!(line >= 1, "{what}: startLine {line}");
    if let Some(column) = region.get("startColumn") {
        assert!(
            column.as_u64().unwrap() >= 1,
            "{what}: startColumn {column}"
        );
    }
}

/// The required properties and constraints of SARIF 2.1.0 that a log of
/// this tool can break, and the links between its parts.
fn check_sarif(log: &Value) {
    assert_eq!(log["version"], "2.1.0");
    assert_eq!(
        log["$schema"],
        "https://json.schemastore.org/sarif-2.1.0.json"
    );
    let runs = log["runs"].as_array().expect("runs is an array");
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "grantline");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    assert!(text_of(&driver["informationUri"], "informationUri").starts_with("https://"));

    // Every rule of the registry, in order, each fully described.
    let driver_rules = driver["rules"].as_array().expect("driver.rules");
    let registered = rules();
    assert_eq!(driver_rules.len(), registered.len());
    for (rule, info) in driver_rules.iter().zip(&registered) {
        let what = format!("rule {}", info.code);
        assert_eq!(rule["id"], info.code, "{what}");
        assert_eq!(rule["name"], info.name, "{what}");
        assert_eq!(rule["shortDescription"]["text"], info.summary(), "{what}");
        assert!(!text_of(&rule["fullDescription"]["text"], &what).is_empty());
        assert_eq!(rule["help"]["markdown"], info.doc(), "{what}");
        assert!(!text_of(&rule["help"]["text"], &what).is_empty());
        assert!(text_of(&rule["helpUri"], &what).ends_with(&format!("docs/lint/{}.md", info.code)));
        let level = text_of(&rule["defaultConfiguration"]["level"], &what);
        assert!(LEVELS.contains(&level), "{what}: level {level}");
        let tags = rule["properties"]["tags"].as_array().unwrap();
        assert_eq!(tags.len(), 1, "{what}");
    }

    let bases = &run["originalUriBaseIds"];
    assert!(bases["POLICYROOT"].is_object());
    if let Some(uri) = bases["POLICYROOT"].get("uri") {
        let uri = text_of(uri, "POLICYROOT.uri");
        assert!(uri.starts_with("file://") && uri.ends_with('/'), "{uri}");
    }

    for (n, result) in run["results"]
        .as_array()
        .expect("results")
        .iter()
        .enumerate()
    {
        let what = format!("result {n}");
        check_message(&result["message"], &what);
        let id = text_of(&result["ruleId"], &what);
        let index = result["ruleIndex"]
            .as_u64()
            .unwrap_or_else(|| panic!("{what}: no ruleIndex")) as usize;
        assert_eq!(driver_rules[index]["id"], id, "{what}: ruleIndex");
        let level = text_of(&result["level"], &what);
        assert!(LEVELS.contains(&level), "{what}: level {level}");
        let locations = result["locations"].as_array().expect("locations");
        assert!(!locations.is_empty(), "{what}: no location");
        for location in locations {
            if location.get("physicalLocation").is_some() {
                check_physical_location(&location["physicalLocation"], &what, bases);
            } else {
                let logical = location["logicalLocations"].as_array().expect("a location");
                assert!(logical.iter().all(|l| l["name"].is_string()), "{what}");
            }
        }
        let mut ids = Vec::new();
        for related in result
            .get("relatedLocations")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let related_id = related["id"].as_u64().expect("relatedLocations[].id");
            assert!(
                !ids.contains(&related_id),
                "{what}: duplicate id {related_id}"
            );
            ids.push(related_id);
            check_message(&related["message"], &what);
            check_physical_location(&related["physicalLocation"], &what, bases);
        }
        if let Some(witness) = result.get("properties").and_then(|p| p.get("witness")) {
            assert!(witness["identity"].is_object(), "{what}: witness identity");
            let at = text_of(&witness["at"], &what);
            assert!(
                chrono::DateTime::parse_from_rfc3339(at).is_ok(),
                "{what}: witness at {at}"
            );
        }
    }
}

#[test]
fn a_lint_run_gives_a_valid_sarif_log() {
    let sources = sources();
    let report = lint_sources(&sources);
    let root = SarifRoot {
        folder: "policies",
        uri: Some("file:///srv/policies"),
    };
    let log: Value = serde_json::from_str(&render_sarif(&report, &root)).unwrap();
    check_sarif(&log);
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), report.findings.len());
    assert!(
        !results.is_empty() || rules().is_empty(),
        "the policies give no finding to check"
    );
    // The URIs are relative to the policy folder.
    for result in results {
        for location in result["locations"].as_array().unwrap() {
            if let Some(uri) = location["physicalLocation"]["artifactLocation"]["uri"].as_str() {
                assert!(uri == "schema.grant" || uri == "team/rules.grant", "{uri}");
            }
        }
    }
    assert_eq!(
        log["runs"][0]["originalUriBaseIds"]["POLICYROOT"]["uri"],
        "file:///srv/policies/"
    );
}

#[test]
fn an_empty_report_is_a_valid_log() {
    let report = LintReport {
        findings: Vec::new(),
        suppressed: 0,
        rules_run: Vec::new(),
    };
    let log: Value = serde_json::from_str(&render_sarif(&report, &SarifRoot::default())).unwrap();
    check_sarif(&log);
    assert_eq!(log["runs"][0]["results"], serde_json::json!([]));
}

/// A report with every detail a finding can have, written by hand so that
/// the snapshot does not change as rules are added.
fn sample_report() -> LintReport {
    let info = rules()
        .into_iter()
        .next()
        .expect("at least one rule is registered");
    let location = |line| grantline_ir::SourceLocation {
        file: "policies/team/rules.grant".to_string(),
        line,
        column: 1,
    };
    let mut identity = serde_json::Map::new();
    identity.insert("department".into(), "Sales".into());
    identity.insert("manager".into(), true.into());
    let detailed = Finding {
        code: info.code,
        name: info.name,
        severity: Severity::Error,
        message:
            "rules `sales-wiki-us` and `sales-wiki-de` grant `wiki` and differ only in `country`"
                .to_string(),
        location: Some(location(4)),
        related: vec![Related {
            label: "the other rule".to_string(),
            location: location(7),
        }],
        help: Some("merge them: `in Sales in US or DE grants wiki`".to_string()),
        witness: Some(Witness {
            identity,
            at: AT.parse().unwrap(),
        }),
    };
    let bare = Finding {
        severity: Severity::Info,
        message: "a finding about the whole policy set".to_string(),
        location: None,
        related: Vec::new(),
        help: None,
        witness: None,
        ..detailed.clone()
    };
    LintReport {
        findings: vec![detailed, bare],
        suppressed: 1,
        rules_run: vec![info.code],
    }
}

#[test]
fn the_sarif_document_has_every_detail_of_a_finding() {
    let report = sample_report();
    let root = SarifRoot {
        folder: "policies",
        uri: Some("file:///srv/policies/"),
    };
    let mut log: Value = serde_json::from_str(&render_sarif(&report, &root)).unwrap();
    check_sarif(&log);
    // The rule descriptions are checked above against the registry; they
    // change as rules are written, so the snapshot leaves them out.
    let driver = &mut log["runs"][0]["tool"]["driver"];
    driver["rules"] = Value::String("<every rule of grantline_lint::rules()>".to_string());
    driver["version"] = Value::String("<version>".to_string());
    driver["semanticVersion"] = Value::String("<version>".to_string());
    insta::assert_json_snapshot!(log);
}
