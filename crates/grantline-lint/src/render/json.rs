//! Machine output: one JSON document with every finding and a summary.

use grantline_syntax::Severity;
use serde::Serialize;

use crate::finding::Finding;
use crate::LintReport;

#[derive(Serialize)]
struct Document<'a> {
    findings: &'a [Finding],
    summary: Summary<'a>,
}

#[derive(Serialize)]
struct Summary<'a> {
    errors: usize,
    warnings: usize,
    infos: usize,
    suppressed: usize,
    rules_run: &'a [&'static str],
}

/// The report as pretty-printed JSON.
pub fn render_json(report: &LintReport) -> String {
    let document = Document {
        findings: &report.findings,
        summary: Summary {
            errors: report.count(Severity::Error),
            warnings: report.count(Severity::Warning),
            infos: report.count(Severity::Info),
            suppressed: report.suppressed,
            rules_run: &report.rules_run,
        },
    };
    let mut out = serde_json::to_string_pretty(&document).unwrap_or_else(|e| {
        // Serializing plain data cannot fail; say so rather than panic.
        format!("{{\"error\": \"cannot serialize the report: {e}\"}}")
    });
    out.push('\n');
    out
}
