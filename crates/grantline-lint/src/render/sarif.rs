//! SARIF 2.1.0, the format code-scanning tools read (GitHub code scanning,
//! Azure DevOps, IDE viewers).
//!
//! One run: the tool's driver lists every rule (whether it ran or not) with
//! its documentation; each finding is a result pointing at a policy file
//! relative to the `POLICYROOT` base (the policy folder), with its related
//! places and, for findings that have one, the witness identity in
//! `properties.witness`.

use grantline_ir::SourceLocation;
use grantline_syntax::Severity;
use serde_json::{json, Map, Value};

use crate::finding::Finding;
use crate::registry::{self, RuleInfo};
use crate::LintReport;

/// The JSON schema of SARIF 2.1.0.
pub const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// The SARIF version written.
pub const SARIF_VERSION: &str = "2.1.0";
/// The base every artifact URI is relative to: the policy folder.
pub const POLICY_ROOT: &str = "POLICYROOT";

const REPOSITORY: &str = env!("CARGO_PKG_REPOSITORY");

/// Where the policy files are, for the artifact URIs of a SARIF log.
#[derive(Debug, Clone, Copy, Default)]
pub struct SarifRoot<'a> {
    /// The policy folder as the file names of the findings start with
    /// (`policies` for `policies/sales.grant`); stripped from them so that
    /// URIs are relative to the folder. Empty: file names are already
    /// relative.
    pub folder: &'a str,
    /// The absolute URI of the folder (`file:///home/me/policies/`), if
    /// known: then consumers can resolve the files.
    pub uri: Option<&'a str>,
}

/// The SARIF level of a severity.
fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// Where a rule's documentation is published.
fn help_uri(info: &RuleInfo) -> String {
    format!("{REPOSITORY}/blob/main/docs/lint/{}.md", info.code)
}

fn driver_rule(info: &RuleInfo) -> Value {
    let doc = info.doc();
    json!({
        "id": info.code,
        "name": info.name,
        "shortDescription": { "text": info.summary() },
        "fullDescription": { "text": what_it_catches(&doc) },
        "help": { "text": doc, "markdown": doc },
        "helpUri": help_uri(info),
        "defaultConfiguration": { "level": level(info.severity) },
        "properties": {
            "tags": [serde_json::to_value(info.group).unwrap_or(Value::Null)],
            "needsPopulation": info.needs_population,
        },
    })
}

/// The *What it catches* section of a rule's documentation, as one
/// paragraph; the whole documentation when it has no such section.
fn what_it_catches(doc: &str) -> String {
    let mut lines = doc
        .lines()
        .skip_while(|l| !l.starts_with("## What it catches"));
    if lines.next().is_none() {
        return doc.trim().to_string();
    }
    let section: Vec<&str> = lines
        .take_while(|l| !l.starts_with("## "))
        .map(str::trim)
        .collect();
    section
        .split(|l| l.is_empty())
        .filter(|paragraph| !paragraph.is_empty())
        .map(|paragraph| paragraph.join(" "))
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// `file` relative to the policy folder, as a URI reference.
fn relative_uri(file: &str, root: &SarifRoot<'_>) -> String {
    let file = file.replace('\\', "/");
    let folder = root.folder.replace('\\', "/");
    let folder = folder.trim_end_matches('/');
    let relative = if folder.is_empty() || folder == "." {
        file.strip_prefix("./").unwrap_or(&file)
    } else {
        file.strip_prefix(folder)
            .and_then(|rest| rest.strip_prefix('/'))
            .unwrap_or(&file)
    };
    percent_encode(relative)
}

/// Escapes what may not appear in a URI path (keeping `/`).
fn percent_encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        let keep = byte.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&byte);
        if keep {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn physical_location(location: &SourceLocation, root: &SarifRoot<'_>) -> Value {
    let mut region = Map::new();
    region.insert("startLine".to_string(), json!(location.line.max(1)));
    if location.column >= 1 {
        region.insert("startColumn".to_string(), json!(location.column));
    }
    json!({
        "artifactLocation": {
            "uri": relative_uri(&location.file, root),
            "uriBaseId": POLICY_ROOT,
        },
        "region": region,
    })
}

fn result(finding: &Finding, rule_index: Option<usize>, root: &SarifRoot<'_>) -> Value {
    let mut text = finding.message.clone();
    if let Some(help) = &finding.help {
        text.push_str("\nhelp: ");
        text.push_str(help);
    }
    let mut object = Map::new();
    object.insert("ruleId".to_string(), json!(finding.code));
    if let Some(index) = rule_index {
        object.insert("ruleIndex".to_string(), json!(index));
    }
    object.insert("level".to_string(), json!(level(finding.severity)));
    object.insert("message".to_string(), json!({ "text": text }));
    // A finding about the whole policy set (a population summary) has no
    // place in a file: it is given a logical location, which SARIF allows
    // and viewers list under the policy set.
    let locations: Vec<Value> = match &finding.location {
        Some(location) => vec![json!({ "physicalLocation": physical_location(location, root) })],
        None => vec![json!({
            "logicalLocations": [{ "name": "policy set", "kind": "module" }]
        })],
    };
    object.insert("locations".to_string(), Value::Array(locations));
    if !finding.related.is_empty() {
        let related: Vec<Value> = finding
            .related
            .iter()
            .enumerate()
            .map(|(id, related)| {
                json!({
                    "id": id + 1,
                    "physicalLocation": physical_location(&related.location, root),
                    "message": { "text": related.label },
                })
            })
            .collect();
        object.insert("relatedLocations".to_string(), Value::Array(related));
    }
    if let Some(witness) = &finding.witness {
        object.insert(
            "properties".to_string(),
            json!({
                "witness": {
                    "identity": witness.identity,
                    "at": witness.at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                }
            }),
        );
    }
    Value::Object(object)
}

/// The report as a SARIF 2.1.0 log, pretty-printed. Artifact URIs are
/// relative to `root` (the policy folder), under the base id `POLICYROOT`.
pub fn render_sarif(report: &LintReport, root: &SarifRoot<'_>) -> String {
    let rules = registry::rules();
    let driver_rules: Vec<Value> = rules.iter().map(|info| driver_rule(info)).collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|finding| {
            let index = rules.iter().position(|info| info.code == finding.code);
            result(finding, index, root)
        })
        .collect();
    let mut base = Map::new();
    if let Some(uri) = root.uri {
        let mut uri = uri.to_string();
        if !uri.ends_with('/') {
            uri.push('/');
        }
        base.insert("uri".to_string(), json!(uri));
    }
    base.insert(
        "description".to_string(),
        json!({ "text": "The policy folder linted." }),
    );
    let version = env!("CARGO_PKG_VERSION");
    let log = json!({
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [{
            "tool": {
                "driver": {
                    "name": "grantline",
                    "informationUri": REPOSITORY,
                    "version": version,
                    "semanticVersion": version,
                    "rules": driver_rules,
                }
            },
            "originalUriBaseIds": { POLICY_ROOT: base },
            "columnKind": "unicodeCodePoints",
            "results": results,
            "properties": {
                "suppressed": report.suppressed,
                "rulesRun": report.rules_run,
            },
        }],
    });
    let mut out = serde_json::to_string_pretty(&log).unwrap_or_else(|e| {
        // Serializing plain JSON values cannot fail; say so rather than panic.
        format!("{{\"error\": \"cannot serialize the SARIF log: {e}\"}}")
    });
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_relative_to_the_policy_folder() {
        let root = SarifRoot {
            folder: "policies",
            uri: None,
        };
        assert_eq!(relative_uri("policies/sales.grant", &root), "sales.grant");
        assert_eq!(relative_uri("policies/a b/x.grant", &root), "a%20b/x.grant");
        assert_eq!(relative_uri("other/x.grant", &root), "other/x.grant");
        let root = SarifRoot {
            folder: "",
            uri: None,
        };
        assert_eq!(relative_uri("./x.grant", &root), "x.grant");
        assert_eq!(relative_uri("é.grant", &root), "%C3%A9.grant");
    }

    #[test]
    fn what_it_catches_is_the_first_section() {
        let doc = "## What it catches\n\nOne. Two\nthree.\n\nMore.\n\n## Why it matters\n\nX\n";
        assert_eq!(what_it_catches(doc), "One. Two three.\n\nMore.");
    }
}
