//! `grantline plan`: the grant, revoke and approval actions that take every
//! person from one HR state to the next. See `grantline_provision`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use clap::ValueEnum;
use grantline_eval::{Evaluator, Identity};
use grantline_hr::{Format, Mapping, RejectReason};
use grantline_provision::audit::{self, AuditInput, AuditRecord};
use grantline_provision::{plan, Action, Person, Totals, Trigger};

use crate::at::{self, When};
use crate::{write_out, Failure};

#[derive(clap::Args)]
pub struct PlanArgs {
    /// Policy folder or file.
    #[arg(default_value = "policies")]
    policies: PathBuf,
    /// The earlier HR export (CSV, JSON, JSON Lines or SCIM).
    #[arg(long, value_name = "FILE")]
    before: PathBuf,
    /// The later HR export. Without it, `--before` is compared with itself
    /// at `--from` and at `--at` (dates passing: start and end dates,
    /// windows).
    #[arg(long, value_name = "FILE")]
    after: Option<PathBuf>,
    /// The instant of the later state (of both states with two files):
    /// `now`, a date, a local date-time or RFC 3339, as for `eval`.
    #[arg(long, value_name = "WHEN", default_value = "now", value_parser = at::parse)]
    at: When,
    /// With one file: the instant of the earlier state.
    #[arg(long, value_name = "WHEN", value_parser = at::parse)]
    from: Option<When>,
    /// How the exports' columns and spellings map to the schema (TOML).
    #[arg(long, value_name = "FILE")]
    mapping: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    format: PlanFormat,
    /// Append the run to this audit log (JSON Lines; created if missing):
    /// time, policy version, inputs and their hashes, every action.
    #[arg(long, value_name = "FILE")]
    audit: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum PlanFormat {
    /// A table of the actions and a summary line.
    Text,
    /// One JSON object per action.
    Jsonl,
}

/// The people of one export, by key, and the records it rejected.
struct Export {
    people: BTreeMap<String, Identity>,
    rejected: usize,
    /// The keys of the rejected records that name one.
    rejected_keys: BTreeSet<String>,
    /// Rejected records that name nobody (no readable key, or a part of the
    /// file that could not be read as a record).
    rejected_without_key: usize,
    /// For the audit log.
    input: AuditInput,
}

pub fn run(args: &PlanArgs) -> Result<(), Failure> {
    if args.after.is_none() && args.from.is_none() {
        return Err(Failure::Usage(
            "give the later export with --after FILE, or the earlier instant with --from WHEN"
                .to_string(),
        ));
    }
    let sources = grantline_compiler::load_path(&args.policies)
        .map_err(|error| Failure::Policy(vec![error.to_diagnostic()]))?;
    let compiled = grantline::compile(&sources).map_err(crate::setup_failure)?;
    let Some(policy) = compiled.policy else {
        return Err(Failure::Policy(compiled.diagnostics));
    };
    let evaluator = grantline::evaluator(policy)
        .map_err(|error| Failure::Input(format!("{}: {error}", args.policies.display())))?;
    let Some(key) = evaluator.policy().key_attribute().map(|a| a.name.clone()) else {
        return Err(Failure::Usage(format!(
            "the schema of {} has no key attribute: mark the attribute that identifies a person, e.g. `attribute employee_id: key text`",
            args.policies.display()
        )));
    };
    let mapping = crate::batch::read_mapping(args.mapping.as_deref(), &evaluator)?;

    let now = args.at.resolve_in(evaluator.timezone());
    let earlier = match args.from {
        Some(from) => from.resolve_in(evaluator.timezone()),
        None => now,
    };
    let before = read_export(&evaluator, &args.before, &mapping, &key)?;
    let after = match &args.after {
        Some(file) => Some(read_export(&evaluator, file, &mapping, &key)?),
        None => None,
    };
    let after_people = after.as_ref().map_or(&before.people, |a| &a.people);
    let rejected = before.rejected + after.as_ref().map_or(0, |a| a.rejected);

    // A person with a rejected record is left out: planning them from the
    // other export alone would revoke everything (or grant everything) on
    // a typing error in the HR data. Their access stays as it is until the
    // record is fixed.
    let mut held_back: BTreeSet<&String> = before.rejected_keys.iter().collect();
    held_back.extend(
        after
            .as_ref()
            .map_or(&before.rejected_keys, |a| &a.rejected_keys),
    );
    let before_unreadable = before.rejected_without_key;
    let after_unreadable = after
        .as_ref()
        .map_or(before_unreadable, |a| a.rejected_without_key);
    let keys: BTreeSet<&String> = before.people.keys().chain(after_people.keys()).collect();
    let mut people: Vec<Person<'_>> = Vec::with_capacity(keys.len());
    for key in keys {
        let person = Person {
            key,
            before: before.people.get(key),
            after: after_people.get(key),
        };
        // Missing from a later export with unreadable records: perhaps one
        // of them, so not a leaver. Missing from an earlier one: perhaps a
        // mover whose old access a joiner's plan would never revoke.
        let maybe_unreadable = (person.after.is_none() && after_unreadable > 0)
            || (person.before.is_none() && before_unreadable > 0);
        if held_back.contains(key) || maybe_unreadable {
            held_back.insert(key);
        } else {
            people.push(person);
        }
    }
    if !held_back.is_empty() {
        let names: Vec<&str> = held_back.iter().map(|k| k.as_str()).collect();
        eprintln!(
            "warning: {} left out of the plan, their access unchanged until their records are fixed: {}{}",
            plural(held_back.len(), "person", "people"),
            names.iter().take(20).copied().collect::<Vec<_>>().join(", "),
            if names.len() > 20 { ", …" } else { "" }
        );
        if before_unreadable > 0 && args.after.is_some() {
            eprintln!(
                "  (the earlier export has {} that name nobody for sure: the people missing from it are not treated as joiners)",
                plural(before_unreadable, "rejected record", "rejected records")
            );
        }
        if after_unreadable > 0 {
            eprintln!(
                "  (the later export has {} that name nobody for sure: the people missing from it are not treated as leavers)",
                plural(after_unreadable, "rejected record", "rejected records")
            );
        }
    }
    let actions = plan(&evaluator, &people, earlier, now);

    if let Some(log) = &args.audit {
        // Recorded before the plan is shown: a run whose record cannot be
        // written reports that, and shows nothing to act on.
        let mut inputs = vec![before.input.clone()];
        inputs.extend(after.as_ref().map(|a| a.input.clone()));
        let record = AuditRecord {
            run_at: Utc::now(),
            command: "plan",
            policy_version: audit::sha256(evaluator.policy().to_json().as_bytes()),
            inputs,
            at: now,
            actions: &actions,
        };
        audit::append(log, &record).map_err(|e| {
            Failure::Input(format!(
                "cannot append to the audit log {}: {e}",
                log.display()
            ))
        })?;
    }

    let mut out = std::io::stdout().lock();
    let text = match args.format {
        PlanFormat::Text => table(
            &actions,
            rejected,
            held_back.len(),
            now,
            evaluator.timezone(),
        ),
        PlanFormat::Jsonl => {
            let mut text = String::new();
            for action in &actions {
                let line = serde_json::to_string(action)
                    .map_err(|e| Failure::Input(format!("cannot write an action: {e}")))?;
                text.push_str(&line);
                text.push('\n');
            }
            text
        }
    };
    write_out(&mut out, &text)?;
    if rejected > 0 {
        // The plan covers the records that could be read; the others are
        // on standard error and need fixing in the HR data.
        return Err(Failure::Reported);
    }
    Ok(())
}

/// Reads one export, reporting every rejected record on standard error.
fn read_export(
    evaluator: &Evaluator,
    file: &Path,
    mapping: &Mapping,
    key: &str,
) -> Result<Export, Failure> {
    let opened = std::fs::File::open(file)
        .map_err(|e| Failure::Input(format!("cannot read {}: {e}", file.display())))?;
    // Hashed as it is read, for the audit record: the bytes planned from.
    let mut input = BufReader::new(audit::HashingReader::new(opened));
    let format = Format::detect(file, &mut input)
        .map_err(|e| Failure::Input(format!("cannot read {}: {e}", file.display())))?;
    let name = file.display().to_string();
    let mut reader = grantline_hr::read(evaluator, &mut input, &name, format, mapping, Some(key))
        .map_err(|e| Failure::Usage(format!("{name}: {e}")))?;
    let mut people = BTreeMap::new();
    let mut rejected = 0;
    let mut rejected_keys = BTreeSet::new();
    let mut rejected_without_key = 0;
    for record in reader.by_ref() {
        match record {
            Ok(record) => {
                let Some(person) = record.key.map(|k| k.value) else {
                    continue;
                };
                people.insert(person, record.identity);
            }
            Err(rejection) => {
                rejected += 1;
                eprintln!("error: {rejection}");
                // A key that could not be read as the key attribute's kind
                // (`42a` for a number) names nobody for sure: perhaps the
                // person of key `42`.
                let key_unreadable = matches!(
                    &rejection.reason,
                    RejectReason::Fields(errors) if errors.iter().any(|e| e.field == key)
                );
                match &rejection.key {
                    Some(written) if !key_unreadable => {
                        rejected_keys.insert(written.value.clone());
                    }
                    _ => rejected_without_key += 1,
                }
            }
        }
    }
    let summary = reader.summary();
    if summary.rejected > 0 {
        eprintln!(
            "{name}: {} records read, {} rejected",
            summary.read, summary.rejected
        );
    }
    let sha256 = input
        .into_inner()
        .finish()
        .map_err(|e| Failure::Input(format!("cannot read {}: {e}", file.display())))?;
    Ok(Export {
        people,
        rejected,
        rejected_keys,
        rejected_without_key,
        input: AuditInput {
            file: name,
            sha256,
            read: summary.read,
            accepted: summary.accepted,
            rejected: summary.rejected,
        },
    })
}

fn describe(trigger: &Trigger) -> String {
    match trigger {
        Trigger::Joined => "joined".to_string(),
        Trigger::Left => "left the HR data".to_string(),
        Trigger::Time => "a date passed".to_string(),
        Trigger::Changed { changes } => changes
            .iter()
            .map(|c| {
                let show = |v: &Option<serde_json::Value>| match v {
                    None => "(none)".to_string(),
                    Some(serde_json::Value::String(s)) => s.clone(),
                    Some(other) => other.to_string(),
                };
                format!("{} {} → {}", c.attribute, show(&c.before), show(&c.after))
            })
            .collect::<Vec<_>>()
            .join(", "),
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The plan as a table; future instants in the policy set's time zone, with
/// its abbreviation, as the policies' dates are.
fn table(
    actions: &[Action],
    rejected: usize,
    left_out: usize,
    now: DateTime<Utc>,
    timezone: chrono_tz::Tz,
) -> String {
    let mut text = String::new();
    let rows: Vec<[String; 5]> = actions
        .iter()
        .map(|a| {
            let when = if a.effective <= now {
                "now".to_string()
            } else {
                a.effective
                    .with_timezone(&timezone)
                    .format("%Y-%m-%d %H:%M %Z")
                    .to_string()
            };
            let mut reason = describe(&a.trigger);
            if !a.rules.is_empty() {
                let _ = write!(reason, "; rule {}", a.rules.join(", "));
            }
            if !a.approvers.is_empty() {
                let _ = write!(reason, "; approval by {}", a.approvers.join(", "));
            }
            if let Some(lasts) = a.lasts {
                let _ = write!(reason, "; for {lasts} from grant");
            }
            if let Some(cap) = a.max_duration {
                let _ = write!(reason, "; at most {cap} from grant");
            }
            [
                when,
                a.action.as_str().to_string(),
                a.person.clone(),
                a.entitlement.clone(),
                reason,
            ]
        })
        .collect();
    let header = ["WHEN", "ACTION", "PERSON", "ENTITLEMENT", "REASON"];
    let width = |column: usize| {
        rows.iter()
            .filter_map(|r| r.get(column).map(String::as_str))
            .chain(header.get(column).copied())
            .map(|s| s.chars().count())
            .max()
            .unwrap_or(0)
    };
    if !rows.is_empty() {
        let widths: Vec<usize> = (0..4).map(width).collect();
        let line = |cells: [&str; 5]| {
            let mut line = String::new();
            for (i, cell) in cells.iter().enumerate() {
                match widths.get(i) {
                    Some(w) => {
                        let _ = write!(line, "{cell:<w$}  ");
                    }
                    None => line.push_str(cell),
                }
            }
            line.trim_end().to_string() + "\n"
        };
        text.push_str(&line(header));
        for row in &rows {
            let [a, b, c, d, e] = row;
            text.push_str(&line([a, b, c, d, e]));
        }
        text.push('\n');
    }
    let totals = Totals::of(actions);
    let _ = write!(
        text,
        "{}, {}, {}, {}",
        plural(totals.grants, "grant", "grants"),
        plural(totals.revokes, "revoke", "revokes"),
        plural(
            totals.approvals,
            "approval to request",
            "approvals to request"
        ),
        plural(rejected, "record rejected", "records rejected"),
    );
    if left_out > 0 {
        let _ = write!(text, " ({} left out)", plural(left_out, "person", "people"));
    }
    text.push('\n');
    text
}
