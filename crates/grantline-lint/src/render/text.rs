//! Human output: each finding as a diagnostic with the source line, its
//! help, related places and witness, then a summary line.

use grantline_ir::SourceLocation;
use grantline_syntax::{render_human, Diagnostic, Severity, SourceMap, Span};

use crate::finding::Finding;
use crate::LintReport;

/// The span of the rest of the line at `location`: what the finding is
/// about starts there (`rule name:`, `entitlement name`, ...).
fn line_span(sources: &SourceMap, location: &SourceLocation) -> Option<Span> {
    let (id, file) = sources
        .files()
        .find(|(_, file)| file.name() == location.file)?;
    let text = file.text();
    let line_start = file.line_start(location.line as usize)?;
    let line = text.get(line_start..)?.lines().next().unwrap_or("");
    let column_offset = line
        .char_indices()
        .nth(location.column.saturating_sub(1) as usize)
        .map_or(line.len(), |(at, _)| at);
    let start = line_start + column_offset;
    let end = line_start + line.trim_end().len().max(column_offset);
    Some(Span::new(id, start, end))
}

/// The finding as the one diagnostic type of every stage.
pub fn to_diagnostic(finding: &Finding, sources: &SourceMap) -> Diagnostic {
    let mut diagnostic = Diagnostic::new(finding.severity, finding.code, finding.message.clone());
    let mut notes = Vec::new();
    if let Some(location) = finding.location.as_ref() {
        match line_span(sources, location) {
            Some(span) => diagnostic = diagnostic.at(sources, span, finding.name),
            None => notes.push(format!("at {location}")),
        }
    }
    for related in &finding.related {
        match line_span(sources, &related.location) {
            Some(span) if diagnostic.primary.is_some() => {
                diagnostic = diagnostic.also(sources, span, related.label.clone());
            }
            _ => notes.push(format!("{}: {}", related.label, related.location)),
        }
    }
    if let Some(witness) = &finding.witness {
        notes.push(format!(
            "witness: {} (at {})",
            witness.describe(),
            witness.at.format("%Y-%m-%dT%H:%M:%SZ")
        ));
    }
    diagnostic.notes.extend(notes);
    diagnostic.help = finding.help.clone();
    diagnostic
}

/// The findings, rustc-like, and a summary line.
pub fn render_text(report: &LintReport, sources: &SourceMap, color: bool) -> String {
    let diagnostics: Vec<Diagnostic> = report
        .findings
        .iter()
        .map(|f| to_diagnostic(f, sources))
        .collect();
    let mut out = render_human(&diagnostics, color);
    let count = |severity| report.count(severity);
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let mut summary = format!(
        "{}, {}, {}",
        plural(count(Severity::Error), "error"),
        plural(count(Severity::Warning), "warning"),
        plural(count(Severity::Info), "info"),
    );
    if report.suppressed > 0 {
        summary.push_str(&format!(", {} suppressed", report.suppressed));
    }
    summary.push_str(&format!(
        " ({} run)\n",
        plural(report.rules_run.len(), "rule")
    ));
    out.push_str(&summary);
    out
}
