//! `grantline eval --people FILE`: every person of an HR export evaluated,
//! one JSON line each, in input order.
//!
//! The export is read with `grantline_hr` a chunk of records at a time; each
//! chunk is evaluated on every core while the next one is read, then written
//! out. Memory holds two chunks (and the reader's set of keys seen), however
//! many people the export has.

use std::fs::File;
use std::io::{BufReader, IsTerminal};
use std::num::NonZeroUsize;
use std::path::Path;

use chrono::{DateTime, Utc};
use grantline_eval::{Decision, Evaluator};
use grantline_hr::{Format, Mapping, Record, Rejected};
use grantline_provision::audit::{
    self, AuditError, AuditInput, AuditWriter, DecisionEntry, HashingReader, RunHead, RunTail,
};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::at::When;
use crate::{load_sources, plural, write_out, Failure, PolicySource};

/// Records read, evaluated and written at a time.
const CHUNK: usize = 1024;

/// Read buffer for the export.
const READ_BUFFER: usize = 64 * 1024;

type Item = Result<Record, Rejected>;

/// Evaluates everyone in `people` (an HR export, read through `mapping`) at
/// `at`. Rejected records go to standard error; the exit status is then 1,
/// after the others have been evaluated and written.
pub(crate) fn run(
    source: &PolicySource,
    people: &Path,
    mapping: Option<&Path>,
    at: When,
    audit_log: Option<&Path>,
) -> Result<(), Failure> {
    let evaluator = load_evaluator(source)?;
    let mapping = read_mapping(mapping, &evaluator)?;
    let at = at.resolve_in(evaluator.timezone());
    let key = evaluator
        .policy()
        .key_attribute()
        .map(|attribute| attribute.name.clone());

    let cannot_read = |error: std::io::Error| {
        Failure::Input(format!("cannot read {}: {error}", people.display()))
    };
    let file = File::open(people).map_err(cannot_read)?;
    let size = file.metadata().map(|m| m.len()).ok();
    let bar = progress_bar(size);
    // Hashed as it is read, for the audit record: the bytes evaluated.
    let mut input = BufReader::with_capacity(READ_BUFFER, HashingReader::new(bar.wrap_read(file)));
    let format = Format::detect(people, &mut input).map_err(cannot_read)?;
    let name = people.display().to_string();
    let mut reader = grantline_hr::read(
        &evaluator,
        &mut input,
        &name,
        format,
        &mapping,
        key.as_deref(),
    )
    .map_err(|error| Failure::Input(format!("{name}: {error}")))?;

    let mut audit_run = match audit_log {
        Some(log) => Some(begin_audit(log, evaluator.policy(), at)?),
        None => None,
    };
    let threads = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
    let evaluator = &evaluator;
    let auditing = audit_run.is_some();
    let mut stdout = std::io::stdout().lock();
    let mut chunk = next_chunk(&mut reader);
    while !chunk.is_empty() {
        // Evaluate this chunk on every core while the next one is read.
        let (outputs, next) = std::thread::scope(|scope| {
            let part = chunk.len().div_ceil(threads).max(1);
            let workers: Vec<_> = chunk
                .chunks(part)
                .map(|records| scope.spawn(move || evaluate(evaluator, records, at, auditing)))
                .collect();
            let next = next_chunk(&mut reader);
            let outputs: Vec<_> = workers.into_iter().map(|w| w.join()).collect();
            (outputs, next)
        });
        for rejected in chunk.iter().filter_map(|item| item.as_ref().err()) {
            bar.suspend(|| eprintln!("error: {rejected}"));
        }
        for output in outputs {
            match output {
                Ok(Ok((text, entries))) => {
                    write_out(&mut stdout, &text)?;
                    if let Some(run) = &mut audit_run {
                        for entry in &entries {
                            run.push(entry).map_err(|e| audit_failure(audit_log, e))?;
                        }
                    }
                }
                Ok(Err(error)) => {
                    return Err(Failure::Input(format!("cannot write a decision: {error}")))
                }
                // The panic message is already on standard error.
                Err(payload) => std::panic::resume_unwind(payload),
            }
        }
        let read = reader.summary().read;
        bar.set_message(format!("{read} record{}", plural(read)));
        chunk = next;
    }
    bar.finish_and_clear();

    let summary = reader.summary();
    if let Some(run) = audit_run {
        let input = AuditInput {
            file: name.clone(),
            sha256: input.into_inner().finish().map_err(cannot_read)?,
            read: summary.read,
            accepted: summary.accepted,
            rejected: summary.rejected,
        };
        run.finish(&RunTail {
            inputs: vec![input],
        })
        .map_err(|e| audit_failure(audit_log, e))?;
    }
    eprintln!(
        "{} record{} read: {} evaluated, {} rejected",
        summary.read,
        plural(summary.read),
        summary.accepted,
        summary.rejected
    );
    if summary.rejected > 0 {
        return Err(Failure::Reported);
    }
    Ok(())
}

/// Up to [`CHUNK`] records (accepted or rejected), in input order; empty at
/// the end of the input.
fn next_chunk(reader: &mut impl Iterator<Item = Item>) -> Vec<Item> {
    reader.by_ref().take(CHUNK).collect()
}

/// One line of the output: a person's decision.
#[derive(serde::Serialize)]
struct DecisionLine<'a> {
    person: Person<'a>,
    line: usize,
    decision: &'a Decision,
}

/// The record's key, or its line when it has none.
#[derive(serde::Serialize)]
#[serde(untagged)]
enum Person<'a> {
    Key(&'a str),
    Line(usize),
}

/// One JSON line per accepted record of `records`: the person (the key's
/// value, or the line when the record has no key), the line and the decision
/// with the fields `grantline eval --format json` writes; and, when
/// `auditing`, each decision's audit entry.
fn evaluate(
    evaluator: &Evaluator,
    records: &[Item],
    at: DateTime<Utc>,
    auditing: bool,
) -> Result<(String, Vec<DecisionEntry>), serde_json::Error> {
    let mut text = String::new();
    let mut entries = Vec::new();
    for record in records.iter().filter_map(|item| item.as_ref().ok()) {
        let decision = evaluator.evaluate(&record.identity, at);
        let person = match &record.key {
            Some(key) => Person::Key(&key.value),
            None => Person::Line(record.line),
        };
        // Serialized straight from the decision: a third faster than going
        // through a `serde_json::Value`.
        text.push_str(&serde_json::to_string(&DecisionLine {
            person,
            line: record.line,
            decision: &decision,
        })?);
        text.push('\n');
        if auditing {
            let person = match &record.key {
                Some(key) => key.value.clone(),
                None => record.line.to_string(),
            };
            entries.push(DecisionEntry::new(person, record.line, &decision));
        }
    }
    Ok((text, entries))
}

/// Starts the run's audit record, before anything is evaluated: a log that
/// cannot be written stops the run before it shows a decision.
fn begin_audit(
    log: &Path,
    policy: &grantline_ir::PolicySet,
    at: DateTime<Utc>,
) -> Result<AuditWriter, Failure> {
    let head = RunHead {
        run_at: Utc::now(),
        command: "eval",
        policy_version: audit::sha256(policy.to_json().as_bytes()),
        at,
    };
    AuditWriter::begin(log, &head, "decisions").map_err(|e| audit_failure(Some(log), e))
}

fn audit_failure(log: Option<&Path>, error: AuditError) -> Failure {
    let log = log.map(|l| l.display().to_string()).unwrap_or_default();
    Failure::Input(format!("cannot append to the audit log {log}: {error}"))
}

/// The evaluator of the policy folder or of compiled IR.
fn load_evaluator(source: &PolicySource) -> Result<Evaluator, Failure> {
    let (name, policy) = match &source.ir {
        Some(ir) => {
            let text = std::fs::read_to_string(ir).map_err(|error| {
                Failure::Input(format!("cannot read {}: {error}", ir.display()))
            })?;
            let policy = grantline_ir::PolicySet::from_json(&text)
                .map_err(|error| Failure::Input(format!("{}: {error}", ir.display())))?;
            (ir, policy)
        }
        None => {
            let sources = load_sources(&source.policies)?;
            let compiled = grantline::compile(&sources).map_err(crate::setup_failure)?;
            let Some(policy) = compiled.policy else {
                return Err(Failure::Policy(compiled.diagnostics));
            };
            (&source.policies, policy)
        }
    };
    grantline::evaluator(policy)
        .map_err(|error| Failure::Input(format!("{}: {error}", name.display())))
}

/// The mapping in `file` (none: the default), checked against the schema.
pub(crate) fn read_mapping(file: Option<&Path>, evaluator: &Evaluator) -> Result<Mapping, Failure> {
    let Some(file) = file else {
        return Ok(Mapping::default());
    };
    let text = std::fs::read_to_string(file)
        .map_err(|error| Failure::Input(format!("cannot read {}: {error}", file.display())))?;
    let mapping = Mapping::parse(&file.display().to_string(), &text)
        .map_err(|error| Failure::Input(error.to_string()))?;
    let problems: Vec<String> = mapping
        .check(evaluator)
        .iter()
        .map(ToString::to_string)
        .collect();
    if !problems.is_empty() {
        return Err(Failure::Input(problems.join("\nerror: ")));
    }
    Ok(mapping)
}

/// Bytes of the export read, and records, on standard error when it is a
/// terminal; nothing otherwise.
fn progress_bar(size: Option<u64>) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(size, ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} {elapsed_precise} [{wide_bar}] {bytes}/{total_bytes} {msg}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}
