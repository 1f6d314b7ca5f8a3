//! `grantline`: check, compile, evaluate, explain and lint access policies.
//!
//! Exit codes: 0 success, 1 policy or input errors, 2 usage errors
//! (`lint`: 1 findings at level error, 2 policy or configuration errors).

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use grantline::{Diagnostic, Engine, Identity};

mod at;
mod batch;
mod fmt_command;
mod gen_command;
mod lint_command;
mod plan_command;
mod records;
mod repl;
mod test_command;

use at::When;
use records::Record;

#[derive(Parser)]
#[command(
    name = "grantline",
    version,
    about = "Policy-as-code for access provisioning",
    long_about = "Policy-as-code for access provisioning.\n\nPolicies are `.grant` files in a folder (`./policies` by default). Exit codes: 0 success, 1 policy or input errors, 2 usage errors; `lint`: 1 a finding at level error, 2 policy or configuration errors."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check the policies and report every error with its location and a hint.
    Check {
        /// Policy folder or file.
        #[arg(default_value = "policies")]
        policies: PathBuf,
        #[arg(long, value_enum, default_value_t = DiagnosticFormat::Human)]
        format: DiagnosticFormat,
    },
    /// Compile the policies to the versioned IR (JSON).
    Compile {
        /// Policy folder or file.
        #[arg(default_value = "policies")]
        policies: PathBuf,
        /// Where to write the IR; standard output if absent or `-`.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Evaluate identities: every entitlement with its reasons, window and approvals.
    ///
    /// With `--people`, everyone in an HR export, one JSON line each; exit
    /// status 1 when some records were rejected (reported on standard error;
    /// the others are evaluated).
    #[command(
        override_usage = "grantline eval [POLICIES | --ir FILE] --identity FILE [--at WHEN] [--format text|json]\n       grantline eval [POLICIES | --ir FILE] --people FILE [--mapping FILE] [--at WHEN] [--format jsonl] [--audit FILE]"
    )]
    Eval {
        #[command(flatten)]
        source: PolicySource,
        /// JSON file with one identity object or an array of them.
        #[arg(long, short = 'i', required_unless_present = "people")]
        identity: Option<PathBuf>,
        /// An HR export (CSV, JSON, JSON Lines or SCIM) of the people to evaluate.
        #[arg(long, value_name = "FILE", conflicts_with = "identity")]
        people: Option<PathBuf>,
        /// How the export's columns and spellings map to the schema (TOML).
        #[arg(long, value_name = "FILE", requires = "people")]
        mapping: Option<PathBuf>,
        /// With `--people`: append the run to this audit log (JSON Lines;
        /// created if missing): time, policy version, the export and its
        /// hash, what each person was given under which rules.
        #[arg(long, value_name = "FILE", requires = "people")]
        audit: Option<PathBuf>,
        /// The instant to evaluate at: `now`, a date (its first instant in the
        /// policy time zone), a local date-time `2026-12-01T09:00`, or RFC 3339.
        #[arg(long, default_value = "now", value_parser = at::parse)]
        at: When,
        /// `text` (the default) or `json` with `--identity`; `jsonl` (the
        /// default) with `--people`.
        #[arg(long, value_enum)]
        format: Option<EvalFormat>,
    },
    /// Run the `test` blocks of the policies.
    Test {
        /// Policy folder or file.
        #[arg(default_value = "policies")]
        policies: PathBuf,
        /// List the rules no test exercised, and the share covered.
        #[arg(long)]
        coverage: bool,
    },
    /// Format policy files in the one canonical layout.
    Fmt(FmtArgs),
    /// Generate a synthetic, seeded workload (policies and identities) for
    /// benchmarks and load tests.
    Gen(gen_command::GenArgs),
    /// An interactive shell to write and try rules; reads commands from
    /// standard input when it is not a terminal.
    Repl {
        /// Policy folder or file to load at start.
        policies: Option<PathBuf>,
    },
    /// Find role explosion, over-provisioning, and dead, shadowed or conflicting rules.
    ///
    /// Exit status: 0 no finding at level error, 1 at least one, 2 policy
    /// errors, a bad `lint.toml` or a usage error. The rules are described in
    /// docs/lint/README.md, and by `--list` and `--explain CODE`.
    #[command(
        override_usage = "grantline lint [POLICIES] [--people FILE] [--at WHEN] [--format text|json|sarif] [--select CODES] [--ignore CODES] [--config FILE]\n       grantline lint --list\n       grantline lint --explain CODE"
    )]
    Lint(lint_command::LintArgs),
    /// The grant, revoke and approval actions between two HR exports (or
    /// one export at two instants), each with its reason and effective time.
    ///
    /// Exit status: 0 success, 1 some records of the exports were rejected
    /// (reported on standard error; the plan covers the others), 2 policy
    /// or usage errors.
    #[command(
        override_usage = "grantline plan [POLICIES] --before FILE --after FILE [--at WHEN] [--mapping FILE] [--format text|jsonl] [--audit FILE]\n       grantline plan [POLICIES] --before FILE --from WHEN [--at WHEN] [--mapping FILE] [--format text|jsonl] [--audit FILE]"
    )]
    Plan(plan_command::PlanArgs),
    /// Explain why one entitlement is or is not granted to an identity.
    #[command(override_usage = "grantline explain [POLICIES] --identity <FILE> <ENTITLEMENT>")]
    Explain {
        /// `[POLICIES] ENTITLEMENT`: the policy folder or file (default
        /// `policies`) and the entitlement to explain, e.g. `salesforce.admin`.
        #[arg(num_args = 1..=2, required = true, value_names = ["POLICIES", "ENTITLEMENT"])]
        arguments: Vec<String>,
        /// Load compiled IR (from `grantline compile`) instead of policy files.
        #[arg(long)]
        ir: Option<PathBuf>,
        /// JSON file with one identity object.
        #[arg(long, short = 'i', value_name = "FILE")]
        identity: PathBuf,
        #[command(flatten)]
        options: EvalOptions,
    },
}

#[derive(clap::Args)]
struct FmtArgs {
    /// Policy folders or files to format.
    #[arg(default_value = "policies")]
    paths: Vec<PathBuf>,
    /// Change nothing; list the files that are not formatted and exit 1 if any.
    #[arg(long)]
    check: bool,
}

#[derive(clap::Args)]
struct PolicySource {
    /// Policy folder or file.
    #[arg(default_value = "policies")]
    policies: PathBuf,
    /// Load compiled IR (from `grantline compile`) instead of policy files.
    #[arg(long, conflicts_with = "policies")]
    ir: Option<PathBuf>,
}

#[derive(clap::Args)]
struct EvalOptions {
    /// The instant to evaluate at: `now`, a date (its first instant in the
    /// policy time zone), a local date-time `2026-12-01T09:00`, or RFC 3339.
    #[arg(long, default_value = "now", value_parser = at::parse)]
    at: When,
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    format: OutputFormat,
}

#[derive(Clone, Copy, ValueEnum)]
enum DiagnosticFormat {
    Human,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum EvalFormat {
    Text,
    Json,
    /// One JSON object per line (with `--people`).
    Jsonl,
}

#[derive(Clone, Copy, ValueEnum)]
enum OutputFormat {
    Text,
    Json,
}

/// Why a command failed, and so its exit code.
pub(crate) enum Failure {
    /// Policy errors; already rendered as diagnostics.
    Policy(Vec<Diagnostic>),
    /// Policy errors of a command whose exit status 1 means something else
    /// (`lint`: a finding): exit 2.
    Unusable(Vec<Diagnostic>),
    /// Bad input data or files (exit 1).
    Input(String),
    /// The command was written wrong (exit 2).
    Usage(String),
    /// Some records failed; their errors were printed, the rest was output.
    Reported,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let result = match cli.command {
        Command::Check { policies, format } => check(&policies, format, color),
        Command::Compile { policies, output } => compile(&policies, output.as_deref()),
        Command::Eval {
            source,
            identity,
            people,
            mapping,
            audit,
            at,
            format,
        } => match (identity, people, format) {
            (_, Some(people), None | Some(EvalFormat::Jsonl)) => {
                batch::run(&source, &people, mapping.as_deref(), at, audit.as_deref())
            }
            (_, Some(_), Some(_)) => Err(Failure::Usage(
                "with --people the output is JSON Lines: --format jsonl".to_string(),
            )),
            (Some(_), None, Some(EvalFormat::Jsonl)) => Err(Failure::Usage(
                "--format jsonl goes with --people; with --identity use text or json".to_string(),
            )),
            (Some(identity), None, format) => {
                let format = match format {
                    Some(EvalFormat::Json) => OutputFormat::Json,
                    _ => OutputFormat::Text,
                };
                eval(&source, &identity, &EvalOptions { at, format })
            }
            (None, None, _) => Err(Failure::Usage(
                "give --identity FILE or --people FILE".to_string(),
            )),
        },
        Command::Test { policies, coverage } => test_command::run(&policies, coverage, color),
        Command::Fmt(args) => fmt_command::run(&args.paths, args.check),
        Command::Repl { policies } => repl::run(policies.as_deref()),
        Command::Gen(args) => gen_command::run(&args),
        Command::Lint(args) => lint_command::run(&args),
        Command::Plan(args) => plan_command::run(&args),
        Command::Explain {
            arguments,
            ir,
            identity,
            options,
        } => match arguments.as_slice() {
            [entitlement] => {
                let source = PolicySource {
                    policies: PathBuf::from("policies"),
                    ir,
                };
                explain(&source, &identity, entitlement, &options)
            }
            [_, _] if ir.is_some() => Err(Failure::Usage(
                "give either a policy folder or --ir, not both".to_string(),
            )),
            [policies, entitlement] => {
                let source = PolicySource {
                    policies: PathBuf::from(policies),
                    ir,
                };
                explain(&source, &identity, entitlement, &options)
            }
            _ => Err(Failure::Usage(
                "explain takes [POLICIES] ENTITLEMENT".to_string(),
            )),
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Policy(diagnostics)) => {
            eprint!(
                "{}",
                grantline::render::diagnostics_human(&diagnostics, color)
            );
            eprintln!("{}", error_summary(&diagnostics));
            ExitCode::from(1)
        }
        Err(Failure::Unusable(diagnostics)) => {
            eprint!(
                "{}",
                grantline::render::diagnostics_human(&diagnostics, color)
            );
            eprintln!("{}", error_summary(&diagnostics));
            ExitCode::from(2)
        }
        Err(Failure::Input(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(1)
        }
        Err(Failure::Usage(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
        Err(Failure::Reported) => ExitCode::from(1),
    }
}

fn error_summary(diagnostics: &[Diagnostic]) -> String {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    let mut summary = format!("error: {errors} error{}", plural(errors));
    if warnings > 0 {
        summary.push_str(&format!(", {warnings} warning{}", plural(warnings)));
    }
    summary
}

fn plural(count: usize) -> &'static str {
    if count == 1 {
        ""
    } else {
        "s"
    }
}

/// A failure to set up what compiling needs (the check sandbox).
pub(crate) fn setup_failure(error: grantline::Error) -> Failure {
    Failure::Input(error.to_string())
}

fn load_sources(path: &Path) -> Result<grantline::SourceMap, Failure> {
    grantline_compiler::load_path(path)
        .map_err(|error| Failure::Policy(vec![error.to_diagnostic()]))
}

fn check(path: &Path, format: DiagnosticFormat, color: bool) -> Result<(), Failure> {
    let sources = load_sources(path)?;
    let compiled = grantline::compile(&sources).map_err(setup_failure)?;
    if let DiagnosticFormat::Json = format {
        print_out(&grantline::render::diagnostics_json(&compiled.diagnostics))?;
        return if compiled.has_errors() {
            Err(Failure::Reported)
        } else {
            Ok(())
        };
    }
    match compiled.policy {
        None => Err(Failure::Policy(compiled.diagnostics)),
        Some(policy) => {
            if !compiled.diagnostics.is_empty() {
                eprint!(
                    "{}",
                    grantline::render::diagnostics_human(&compiled.diagnostics, color)
                );
            }
            print_out(&format!(
                "{}: {} file{}, {} attribute{}, {} entitlement{}, {} role{}, {} rule{}; no errors",
                path.display(),
                sources.len(),
                plural(sources.len()),
                policy.attributes.len(),
                plural(policy.attributes.len()),
                policy.entitlements.len(),
                plural(policy.entitlements.len()),
                policy.roles.len(),
                plural(policy.roles.len()),
                policy.rules.len(),
                plural(policy.rules.len()),
            ))
        }
    }
}

fn compile(path: &Path, output: Option<&Path>) -> Result<(), Failure> {
    let sources = load_sources(path)?;
    let compiled = grantline::compile(&sources).map_err(setup_failure)?;
    let Some(policy) = compiled.policy else {
        return Err(Failure::Policy(compiled.diagnostics));
    };
    let json = policy.to_json();
    match output {
        None => print_out(&json)?,
        Some(file) if file == Path::new("-") => print_out(&json)?,
        Some(file) => {
            std::fs::write(file, json + "\n").map_err(|error| {
                Failure::Input(format!("cannot write {}: {error}", file.display()))
            })?;
            eprintln!(
                "wrote {} ({} rules, IR version {})",
                file.display(),
                policy.rules.len(),
                grantline::IR_VERSION
            );
        }
    }
    Ok(())
}

fn load_engine(source: &PolicySource) -> Result<Engine, Failure> {
    match &source.ir {
        Some(ir) => {
            let text = std::fs::read_to_string(ir).map_err(|error| {
                Failure::Input(format!("cannot read {}: {error}", ir.display()))
            })?;
            Engine::from_ir_json(&text)
                .map_err(|error| Failure::Input(format!("{}: {error}", ir.display())))
        }
        None => {
            let sources = load_sources(&source.policies)?;
            Engine::from_sources(&sources).map_err(|error| match error {
                grantline::Error::Compile(diagnostics) => Failure::Policy(diagnostics),
                other => Failure::Input(other.to_string()),
            })
        }
    }
}

/// Checks each record against the schema; bad records are reported on
/// standard error by record and field, and kept so that every record read is
/// accounted for in the output.
fn check_records(
    engine: &Engine,
    records: &[Record],
) -> Vec<Result<Identity, grantline::IdentityError>> {
    records
        .iter()
        .map(|record| {
            engine.identity(&record.value).inspect_err(|error| {
                eprintln!("error: {}", record_error(record, error));
            })
        })
        .collect()
}

/// "FILE: record 2 (employee_id E-2):" and one indented line per bad field.
fn record_error(record: &Record, error: &grantline::IdentityError) -> String {
    let mut message = format!("{}:", record.label);
    for field in &error.errors {
        message.push_str(&format!("\n  {field}"));
    }
    message
}

fn eval(source: &PolicySource, identity: &Path, options: &EvalOptions) -> Result<(), Failure> {
    let engine = load_engine(source)?;
    let (records, single) = records::read(identity).map_err(Failure::Input)?;
    let at = options.at.resolve(&engine);
    let identities = check_records(&engine, &records);
    let failed = identities.iter().filter(|i| i.is_err()).count();
    let mut stdout = std::io::stdout().lock();
    match options.format {
        OutputFormat::Json => {
            let value = if single {
                match identities.first() {
                    Some(Ok(identity)) => json_value(&engine.evaluate(identity, at)),
                    _ => serde_json::Value::Null,
                }
            } else {
                serde_json::Value::Array(
                    records
                        .iter()
                        .zip(&identities)
                        .map(|(record, identity)| match identity {
                            Ok(identity) => serde_json::json!({
                                "record": record.index,
                                "decision": json_value(&engine.evaluate(identity, at)),
                            }),
                            Err(error) => serde_json::json!({
                                "record": record.index,
                                "errors": json_value(&error.errors),
                            }),
                        })
                        .collect(),
                )
            };
            if !value.is_null() {
                write_out(&mut stdout, &format!("{value:#}\n"))?;
            }
        }
        OutputFormat::Text => {
            for (record, identity) in records.iter().zip(&identities) {
                if !single {
                    write_out(&mut stdout, &format!("== {} ==\n", record.label))?;
                }
                match identity {
                    Ok(identity) => {
                        let decision = engine.evaluate(identity, at);
                        let text = grantline::render::decision_text(&decision, engine.timezone());
                        write_out(&mut stdout, &text)?;
                    }
                    // Already on standard error; in a listing of several
                    // records, also say in place that this one was skipped.
                    Err(_) if single => {}
                    Err(error) => write_out(
                        &mut stdout,
                        &format!("not evaluated: {}\n", record_error(record, error)),
                    )?,
                }
                if !single {
                    write_out(&mut stdout, "\n")?;
                }
            }
        }
    }
    if failed > 0 {
        eprintln!(
            "error: {failed} of {} record{} could not be evaluated",
            records.len(),
            plural(records.len())
        );
        return Err(Failure::Reported);
    }
    Ok(())
}

fn explain(
    source: &PolicySource,
    identity: &Path,
    entitlement: &str,
    options: &EvalOptions,
) -> Result<(), Failure> {
    let engine = load_engine(source)?;
    let (records, _) = records::read(identity).map_err(Failure::Input)?;
    let [record] = records.as_slice() else {
        return Err(Failure::Usage(format!(
            "explain takes one identity, but {} holds {} records",
            identity.display(),
            records.len()
        )));
    };
    let identity = engine
        .identity(&record.value)
        .map_err(|error| Failure::Input(record_error(record, &error)))?;
    let at = options.at.resolve(&engine);
    let explanation = engine
        .explain(&identity, entitlement, at)
        .map_err(|error| Failure::Input(error.to_string()))?;
    let text = match options.format {
        OutputFormat::Json => format!("{:#}\n", json_value(&explanation)),
        OutputFormat::Text => grantline::render::explanation_text(&explanation, engine.timezone()),
    };
    write_out(&mut std::io::stdout().lock(), &text)
}

fn json_value(value: &impl serde::Serialize) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}

/// Writes to standard output. A closed pipe (`grantline … | head`) ends the
/// command quietly instead of failing loudly.
pub(crate) fn write_out(out: &mut impl Write, text: &str) -> Result<(), Failure> {
    out.write_all(text.as_bytes()).map_err(|error| {
        if error.kind() == std::io::ErrorKind::BrokenPipe {
            Failure::Reported
        } else {
            Failure::Input(format!("cannot write output: {error}"))
        }
    })
}

pub(crate) fn print_out(text: &str) -> Result<(), Failure> {
    write_out(&mut std::io::stdout().lock(), &format!("{text}\n"))
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
