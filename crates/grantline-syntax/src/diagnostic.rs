//! One diagnostic type for every stage (syntax, compiler, lint), with a
//! renderer per output format.
//!
//! A [`Diagnostic`] owns the file it points into, so it can be rendered or
//! returned from a library call without the rest of the policy set.

use std::fmt;
use std::sync::Arc;

use miette::{LabeledSpan, MietteSpanContents, SourceCode, SpanContents};
use serde::Serialize;

use crate::source::{SourceFile, SourceMap, Span};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        })
    }
}

/// An underlined span with an optional message beneath it.
#[derive(Debug, Clone)]
pub struct Label {
    pub span: Span,
    pub message: Option<String>,
}

/// A problem found in a policy set: what, where, and how to fix it.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    /// Stable, documented identifier such as `grantline::unknown-word`.
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    pub file: Option<Arc<SourceFile>>,
    pub primary: Option<Label>,
    /// Further labels in the same file as the primary one.
    pub secondary: Vec<Label>,
    /// Pointers into other files ("first declared at base.grant:3:11").
    pub notes: Vec<String>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic::new(Severity::Error, code, message)
    }

    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic::new(Severity::Warning, code, message)
    }

    pub fn new(severity: Severity, code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity,
            message: message.into(),
            file: None,
            primary: None,
            secondary: Vec::new(),
            notes: Vec::new(),
            help: None,
        }
    }

    /// Points the diagnostic at `span`, with `label` under it.
    pub fn at(mut self, sources: &SourceMap, span: Span, label: impl Into<String>) -> Self {
        self.file = sources.get(span.file).cloned();
        let label = label.into();
        self.primary = Some(Label {
            span,
            message: (!label.is_empty()).then_some(label),
        });
        self
    }

    /// Adds a second place; one in another file becomes a note with its position.
    pub fn also(mut self, sources: &SourceMap, span: Span, label: impl Into<String>) -> Self {
        let label = label.into();
        match &self.primary {
            Some(primary) if primary.span.file == span.file => self.secondary.push(Label {
                span,
                message: Some(label),
            }),
            _ => self
                .notes
                .push(format!("{label}: {}", sources.describe(span))),
        }
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// File, line and column of the primary span, if the diagnostic has one.
    pub fn location(&self) -> Option<Location> {
        let file = self.file.as_ref()?;
        let span = self.primary.as_ref()?.span;
        let start = file.line_column(span.start);
        let end = file.line_column(span.end);
        Some(Location {
            file: file.name().to_string(),
            line: start.line,
            column: start.column,
            end_line: end.line,
            end_column: end.column,
        })
    }

    /// The source text under the primary span.
    pub fn snippet(&self) -> Option<&str> {
        let file = self.file.as_ref()?;
        Some(file.snippet(self.primary.as_ref()?.span))
    }

    fn help_text(&self) -> Option<String> {
        let mut parts: Vec<String> = self.notes.clone();
        if let Some(help) = &self.help {
            parts.push(help.clone());
        }
        (!parts.is_empty()).then(|| parts.join("\n"))
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Diagnostic {}

/// Lets miette read a [`SourceFile`] and name it in the report header.
struct NamedFile<'a>(&'a SourceFile);

impl SourceCode for NamedFile<'_> {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, miette::MietteError> {
        // miette scans a `str` from its start to the span: hand it only the
        // lines around the span, so that rendering many diagnostics of a
        // long file stays linear.
        let file = self.0;
        let text = file.text();
        let first_line = file.line_column(span.offset()).line;
        let last_line = file
            .line_column(span.offset().saturating_add(span.len()))
            .line;
        // A margin beyond the context lines: miette decides the context
        // itself, and must find in the window every line it would read.
        const MARGIN: usize = 2;
        let window_line = first_line
            .saturating_sub(context_lines_before + MARGIN)
            .max(1);
        let window_start = file.line_start(window_line).unwrap_or(0);
        let window_end = file
            .line_start(last_line + context_lines_after + MARGIN + 1)
            .unwrap_or(text.len());
        let (window, window_start, lines_before_window) = match text.get(window_start..window_end) {
            Some(window) => (window, window_start, window_line - 1),
            None => (text, 0, 0),
        };
        let local = miette::SourceSpan::new(
            span.offset().saturating_sub(window_start).into(),
            span.len(),
        );
        let windowed = window.read_span(&local, context_lines_before, context_lines_after)?;
        let inner_span = miette::SourceSpan::new(
            (windowed.span().offset() + window_start).into(),
            windowed.span().len(),
        );
        let inner_line = windowed.line() + lines_before_window;
        // miette counts columns in bytes; count characters, as `location()` does.
        let start = inner_span.offset();
        let line_start = text
            .get(..start)
            .and_then(|before| before.rfind('\n').map(|i| i + 1))
            .unwrap_or(0);
        let column = text
            .get(line_start..start)
            .map(|prefix| prefix.chars().count())
            .unwrap_or_else(|| windowed.column());
        Ok(Box::new(MietteSpanContents::new_named(
            file.name().to_string(),
            windowed.data(),
            inner_span,
            inner_line,
            column,
            // The lines of the excerpt itself. (miette's own count runs from
            // the start of what it reads, so that on a whole file its
            // handler merged the excerpts of labels however far apart and
            // printed every line between them.)
            windowed.data().iter().filter(|&&b| b == b'\n').count(),
        )))
    }
}

/// The miette view of a diagnostic; kept separate so that `Diagnostic` stays
/// a plain, cloneable value.
struct MietteView<'a> {
    diagnostic: &'a Diagnostic,
    source: Option<NamedFile<'a>>,
    /// The message with its location, used when no excerpt is shown.
    located_message: Option<String>,
}

impl fmt::Debug for MietteView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.diagnostic, f)
    }
}

impl fmt::Display for MietteView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            self.located_message
                .as_deref()
                .unwrap_or(&self.diagnostic.message),
        )
    }
}

/// Lines longer than this are not excerpted: the underline would be
/// unreadable, and miette cannot render columns past 65,535.
const LONGEST_EXCERPTED_LINE: usize = 1_000;

fn points_into_long_line(diagnostic: &Diagnostic) -> bool {
    let (Some(file), Some(primary)) = (&diagnostic.file, &diagnostic.primary) else {
        return false;
    };
    let text = file.text();
    let start = primary.span.start.min(text.len());
    let line_start = text
        .get(..start)
        .and_then(|before| before.rfind('\n').map(|i| i + 1))
        .unwrap_or(0);
    let line_end = text
        .get(start..)
        .and_then(|after| after.find('\n').map(|i| start + i))
        .unwrap_or(text.len());
    line_end.saturating_sub(line_start) > LONGEST_EXCERPTED_LINE
        || primary.span.len() > LONGEST_EXCERPTED_LINE
}

impl std::error::Error for MietteView<'_> {}

fn miette_label(label: &Label, primary: bool) -> LabeledSpan {
    let span = miette::SourceSpan::from((label.span.start, label.span.len()));
    if primary {
        LabeledSpan::new_primary_with_span(label.message.clone(), span)
    } else {
        LabeledSpan::new_with_span(label.message.clone(), span)
    }
}

impl miette::Diagnostic for MietteView<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.diagnostic.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Info => miette::Severity::Advice,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.diagnostic
            .help_text()
            .map(|text| Box::new(text) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.source.as_ref()?;
        let primary = self.diagnostic.primary.as_ref()?;
        let labels = std::iter::once(miette_label(primary, true)).chain(
            self.diagnostic
                .secondary
                .iter()
                .map(|label| miette_label(label, false)),
        );
        Some(Box::new(labels))
    }
}

/// Where a diagnostic points, 1-based.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

/// Output formats for diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Source excerpt with the span underlined, as in a compiler.
    Human { color: bool },
    /// One JSON object per diagnostic in an array; see `docs/cli.md`.
    Json,
}

/// Renders diagnostics in the human format: header, source excerpt with the
/// span underlined, and help.
pub fn render_human(diagnostics: &[Diagnostic], color: bool) -> String {
    let theme = if color {
        miette::GraphicalTheme::unicode()
    } else {
        miette::GraphicalTheme::unicode_nocolor()
    };
    let handler = miette::GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_links(false);
    let mut out = String::new();
    for diagnostic in diagnostics {
        let excerpt = !points_into_long_line(diagnostic);
        let view = MietteView {
            diagnostic,
            source: diagnostic
                .file
                .as_deref()
                .filter(|_| excerpt)
                .map(NamedFile),
            located_message: (!excerpt)
                .then(|| diagnostic.location())
                .flatten()
                .map(|at| {
                    format!(
                        "{} (at {}:{}:{})",
                        diagnostic.message, at.file, at.line, at.column
                    )
                }),
        };
        if handler.render_report(&mut out, &view).is_err() {
            // Rendering into a String cannot fail on I/O; fall back to the
            // plain message so that no diagnostic is ever lost.
            out.push_str(&format!(
                "{}[{}]: {}\n",
                diagnostic.severity, diagnostic.code, diagnostic.message
            ));
        }
        out.push('\n');
    }
    out
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    severity: Severity,
    code: &'a str,
    message: &'a str,
    #[serde(flatten)]
    location: Option<Location>,
    snippet: Option<&'a str>,
    label: Option<&'a str>,
    notes: &'a [String],
    help: Option<&'a str>,
}

/// One JSON object per diagnostic, as an array. The field set is stable.
pub fn render_json(diagnostics: &[Diagnostic]) -> String {
    let items: Vec<JsonDiagnostic<'_>> = diagnostics
        .iter()
        .map(|d| JsonDiagnostic {
            severity: d.severity,
            code: d.code,
            message: &d.message,
            location: d.location(),
            snippet: d.snippet(),
            label: d.primary.as_ref().and_then(|p| p.message.as_deref()),
            notes: &d.notes,
            help: d.help.as_deref(),
        })
        .collect();
    serde_json::to_string_pretty(&items).unwrap_or_else(|_| "[]".to_string())
}

pub fn render(diagnostics: &[Diagnostic], format: Format) -> String {
    match format {
        Format::Human { color } => render_human(diagnostics, color),
        Format::Json => render_json(diagnostics),
    }
}
