//! `grantline lint`: role explosion, over-provisioning, and exact analysis
//! of dead, shadowed and conflicting rules. See `docs/lint/README.md`.
//!
//! Exit codes differ from the other commands, because 1 means findings: 0
//! no finding at level error, 1 at least one, 2 policy errors, a bad
//! configuration or a command written wrong.

use std::fs::File;
use std::io::{BufReader, IsTerminal};
use std::path::{Path, PathBuf};

use clap::ValueEnum;
use grantline_eval::{Evaluator, Identity};
use grantline_hr::Format;
use grantline_lint::render::{render_json, render_sarif, render_text, SarifRoot};
use grantline_lint::{lint, rule, rules, LintConfig, LintInput, LintReport, RuleInfo};
use grantline_syntax::{Severity, SourceMap};

use crate::at::{self, When};
use crate::repl::suggest::{closest, did_you_mean};
use crate::{write_out, Failure};

#[derive(clap::Args)]
pub struct LintArgs {
    /// Policy folder or file.
    #[arg(default_value = "policies")]
    policies: PathBuf,
    /// A population for the rules that need one: an HR export (CSV, JSON,
    /// JSON Lines or SCIM, as `plan` reads) such as `identities.json` of
    /// `grantline gen`; bad records are reported and skipped.
    #[arg(long, value_name = "FILE")]
    people: Option<PathBuf>,
    /// How the population's columns and spellings map to the schema (TOML).
    #[arg(long, value_name = "FILE", requires = "people")]
    mapping: Option<PathBuf>,
    /// The instant of time-dependent rules (expired windows, witnesses):
    /// `now`, a date, a local date-time or RFC 3339, as for `eval`.
    #[arg(long, value_name = "WHEN", default_value = "now", value_parser = at::parse)]
    at: When,
    #[arg(long, value_enum, default_value_t = LintFormat::Text)]
    format: LintFormat,
    /// Run only these rules: codes, prefixes (`GL2`) or names, separated by
    /// commas.
    #[arg(long, value_name = "CODES", value_delimiter = ',')]
    select: Vec<String>,
    /// Do not run these rules (codes, prefixes or names).
    #[arg(long, value_name = "CODES", value_delimiter = ',')]
    ignore: Vec<String>,
    /// The lint configuration; `lint.toml` in the policy folder by default.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// List every rule: code, name, group, level and what it catches.
    #[arg(long, conflicts_with = "explain")]
    list: bool,
    /// Print the documentation of one rule.
    #[arg(long, value_name = "CODE")]
    explain: Option<String>,
}

#[derive(Clone, Copy, ValueEnum)]
enum LintFormat {
    /// Each finding with its source line, help and witness; a summary.
    Text,
    /// One JSON document with the findings and a summary.
    Json,
    /// A SARIF 2.1.0 log, for code-scanning tools.
    Sarif,
}

pub fn run(args: &LintArgs) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    if args.list {
        return write_out(&mut out, &rules_table());
    }
    if let Some(code) = &args.explain {
        let info = rule(code.trim()).ok_or_else(|| Failure::Usage(unknown_rule(code)))?;
        return write_out(&mut out, &explain_text(info));
    }
    let select = resolve_codes(&args.select).map_err(Failure::Usage)?;
    let ignore = resolve_codes(&args.ignore).map_err(Failure::Usage)?;
    let mut config = read_config(args)?;
    config.select = select;
    config.ignore = ignore;

    let sources = grantline_compiler::load_path(&args.policies)
        .map_err(|error| Failure::Unusable(vec![error.to_diagnostic()]))?;
    let compiled = grantline::compile(&sources).map_err(crate::setup_failure)?;
    let Some(policy) = compiled.policy else {
        return Err(Failure::Unusable(compiled.diagnostics));
    };
    if !compiled.diagnostics.is_empty() {
        eprint!(
            "{}",
            grantline::render::diagnostics_human(&compiled.diagnostics, stderr_color())
        );
    }
    let evaluator = grantline::evaluator(policy.clone())
        .map_err(|error| Failure::Usage(format!("{}: {error}", args.policies.display())))?;
    let people = match &args.people {
        Some(file) => Some(read_people(&evaluator, file, args.mapping.as_deref())?),
        None => None,
    };
    let at = args.at.resolve_in(evaluator.timezone());
    let report = lint(&LintInput {
        policy: &policy,
        evaluator: &evaluator,
        sources: &sources,
        config: &config,
        at,
        people: people.as_deref(),
    });
    let text = match args.format {
        LintFormat::Text => {
            let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            render_text(&report, &sources, color)
        }
        LintFormat::Json => render_json(&report),
        LintFormat::Sarif => {
            let folder = policy_folder(&args.policies);
            let folder_text = folder.display().to_string();
            let uri = folder_uri(&folder);
            render_sarif(
                &report,
                &SarifRoot {
                    folder: &folder_text,
                    uri: uri.as_deref(),
                },
            )
        }
    };
    write_out(&mut out, &text)?;
    if report.has_errors() {
        return Err(Failure::Reported);
    }
    Ok(())
}

fn stderr_color() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// `--config FILE`, or `lint.toml` in the policy folder if there is one.
fn read_config(args: &LintArgs) -> Result<LintConfig, Failure> {
    let result = match &args.config {
        Some(file) => {
            let text = std::fs::read_to_string(file).map_err(|error| {
                Failure::Usage(format!("cannot read {}: {error}", file.display()))
            })?;
            LintConfig::parse(&file.display().to_string(), &text)
        }
        None => LintConfig::load(&policy_folder(&args.policies)),
    };
    result.map_err(|error| Failure::Usage(error.to_string()))
}

/// Reads `--people` through `grantline-hr`; bad records are reported on
/// standard error and left out, the others are linted. Problems with the
/// file as a whole are usage errors (exit 2), as 1 means findings.
fn read_people(
    evaluator: &Evaluator,
    file: &Path,
    mapping: Option<&Path>,
) -> Result<Vec<Identity>, Failure> {
    let usage = |failure: Failure| match failure {
        Failure::Input(message) => Failure::Usage(message),
        other => other,
    };
    let mapping = crate::batch::read_mapping(mapping, evaluator).map_err(usage)?;
    let cannot_read =
        |error: std::io::Error| Failure::Usage(format!("cannot read {}: {error}", file.display()));
    let mut input = BufReader::new(File::open(file).map_err(cannot_read)?);
    let format = Format::detect(file, &mut input).map_err(cannot_read)?;
    let name = file.display().to_string();
    let key = evaluator
        .policy()
        .key_attribute()
        .map(|attribute| attribute.name.clone());
    let mut reader = grantline_hr::read(evaluator, input, &name, format, &mapping, key.as_deref())
        .map_err(|error| Failure::Usage(format!("{name}: {error}")))?;
    let mut people = Vec::new();
    for record in reader.by_ref() {
        match record {
            Ok(record) => people.push(record.identity),
            Err(rejected) => eprintln!("error: {rejected}"),
        }
    }
    let summary = reader.summary();
    // A population rule run on nobody would pass without a word.
    if people.is_empty() {
        return Err(Failure::Usage(format!(
            "no identity could be read from {name}{}",
            if summary.rejected == 0 {
                ": it holds no records"
            } else {
                " (see the errors above)"
            }
        )));
    }
    if summary.rejected > 0 {
        eprintln!(
            "error: {} of {} records of {name} rejected; linting with the {} identit{} read",
            summary.rejected,
            summary.read,
            people.len(),
            if people.len() == 1 { "y" } else { "ies" },
        );
    }
    Ok(people)
}

/// The folder the policy files are in: `policies` itself, or the folder of
/// a single file.
fn policy_folder(policies: &Path) -> PathBuf {
    if policies.is_dir() {
        policies.to_path_buf()
    } else {
        policies.parent().map(Path::to_path_buf).unwrap_or_default()
    }
}

/// `file:///abs/path/`, when the folder exists.
fn folder_uri(folder: &Path) -> Option<String> {
    let folder = if folder.as_os_str().is_empty() {
        Path::new(".")
    } else {
        folder
    };
    let absolute = std::fs::canonicalize(folder).ok()?;
    let path = absolute.to_str()?.replace('\\', "/");
    let mut uri = String::from("file://");
    if !path.starts_with('/') {
        uri.push('/');
    }
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&byte) {
            uri.push(char::from(byte));
        } else {
            uri.push_str(&format!("%{byte:02X}"));
        }
    }
    if !uri.ends_with('/') {
        uri.push('/');
    }
    Some(uri)
}

/// Checks the codes of `--select` and `--ignore` (and `:lint`): a code, a
/// prefix of codes (`GL2`) or a rule name. Names become codes.
pub(crate) fn resolve_codes(items: &[String]) -> Result<Vec<String>, String> {
    let registered = rules();
    let mut codes = Vec::new();
    for item in items.iter().map(|item| item.trim()) {
        if item.is_empty() {
            continue;
        }
        if let Some(info) = rule(item) {
            codes.push(info.code.to_string());
            continue;
        }
        let upper = item.to_ascii_uppercase();
        if upper.starts_with("GL") && registered.iter().any(|info| info.code.starts_with(&upper)) {
            codes.push(upper);
            continue;
        }
        return Err(unknown_rule(item));
    }
    Ok(codes)
}

fn unknown_rule(word: &str) -> String {
    let registered = rules();
    let names = registered
        .iter()
        .flat_map(|info| [info.code, info.name])
        .collect::<Vec<_>>();
    let hint = match did_you_mean(&closest(word, names)) {
        hint if hint.is_empty() => "; `grantline lint --list` shows every rule".to_string(),
        hint => hint,
    };
    format!("no lint rule `{word}`{hint}")
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "info",
    }
}

/// `--list`: one line a rule, in columns.
pub(crate) fn rules_table() -> String {
    let registered = rules();
    let rows: Vec<[String; 6]> = registered
        .iter()
        .map(|info| {
            [
                info.code.to_string(),
                info.name.to_string(),
                info.group.title().to_string(),
                level(info.severity).to_string(),
                if info.needs_population {
                    "--people".to_string()
                } else {
                    String::new()
                },
                info.summary(),
            ]
        })
        .collect();
    let header = ["code", "name", "group", "level", "needs", "what it catches"].map(String::from);
    let mut widths = [0usize; 5];
    for row in std::iter::once(&header).chain(&rows) {
        for (width, cell) in widths.iter_mut().zip(row.iter()) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut text = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        let mut line = String::new();
        for (width, cell) in widths.iter().zip(row.iter()) {
            line.push_str(&format!("{cell:<width$}  "));
        }
        line.push_str(row.get(5).map_or("", String::as_str));
        text.push_str(line.trim_end());
        text.push('\n');
    }
    if registered.is_empty() {
        text.push_str("no lint rules\n");
    }
    text
}

/// `--explain CODE`: the rule's facts and documentation.
pub(crate) fn explain_text(info: &RuleInfo) -> String {
    format!(
        "# {} {}\n\ngroup: {}\ndefault level: {}\nneeds --people: {}\n\n{}",
        info.code,
        info.name,
        info.group.title(),
        level(info.severity),
        if info.needs_population { "yes" } else { "no" },
        info.doc()
    )
}

/// Lints a compiled policy set at `at`, without a population (the REPL's
/// `:lint`).
pub(crate) fn lint_policy(
    sources: &SourceMap,
    policy: &grantline::PolicySet,
    config: &LintConfig,
    at: When,
) -> Result<LintReport, String> {
    let evaluator = grantline::evaluator(policy.clone()).map_err(|error| error.to_string())?;
    Ok(lint(&LintInput {
        policy,
        evaluator: &evaluator,
        sources,
        config,
        at: at.resolve_in(evaluator.timezone()),
        people: None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_checked_and_names_become_codes() {
        let Some(first) = rules().into_iter().next() else {
            return;
        };
        assert_eq!(
            resolve_codes(&[first.name.to_string()]),
            Ok(vec![first.code.to_string()])
        );
        assert_eq!(
            resolve_codes(&[first.code.to_ascii_lowercase()]),
            Ok(vec![first.code.to_string()])
        );
        assert_eq!(
            resolve_codes(&["gl".to_string()]),
            Ok(vec!["GL".to_string()])
        );
        assert!(resolve_codes(&["GL999".to_string()]).is_err());
    }
}
