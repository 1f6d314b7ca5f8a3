//! `grantline gen`: write a seeded synthetic workload (policies and
//! identities) for benchmarks and load tests.

use std::path::{Path, PathBuf};

use grantline_gen::{GenConfig, Workload};

use crate::{plural, print_out, Failure};

#[derive(clap::Args)]
#[command(
    long_about = "Generate a synthetic, seeded workload (policies and identities) for benchmarks and load tests.\n\nWrites schema.grant, catalogue.grant, rules-001.grant, … (1,000 rules a file), identities.json (an array) and identities.jsonl (one identity a line) to DIR. The same options give byte-identical files on every platform.\n\nThen: `grantline check DIR` and `grantline eval DIR --identity DIR/identities.json --at 2026-12-01`."
)]
pub struct GenArgs {
    /// The number of rules; the catalogue grows with it.
    #[arg(long, value_name = "N")]
    rules: usize,
    /// The number of identities.
    #[arg(long, value_name = "M")]
    identities: usize,
    /// The seed: the same seed gives the same workload, byte for byte.
    #[arg(long, value_name = "S", default_value_t = grantline_gen::DEFAULT_SEED)]
    seed: u64,
    /// The folder to write to; created if missing.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Overwrite the `.grant` files of an existing workload in DIR (and remove
    /// its `rules-*.grant` files that the new workload does not have).
    #[arg(long)]
    force: bool,
}

pub fn run(args: &GenArgs) -> Result<(), Failure> {
    let dir = args.out.as_path();
    if dir.exists() && !dir.is_dir() {
        return Err(Failure::Usage(format!(
            "{} exists and is not a folder",
            dir.display()
        )));
    }
    let existing = grant_files(dir)?;
    if !existing.is_empty() && !args.force {
        return Err(Failure::Usage(format!(
            "{} already holds {} .grant file{} ({}); use --force to overwrite them",
            dir.display(),
            existing.len(),
            plural(existing.len()),
            names(&existing)
        )));
    }
    let workload = Workload::generate(&GenConfig {
        rules: args.rules,
        identities: args.identities,
        seed: args.seed,
    });
    let written = workload
        .write_to(dir)
        .map_err(|error| Failure::Input(format!("cannot write to {}: {error}", dir.display())))?;
    // Rules files of an earlier, larger workload would otherwise be
    // compiled together with the new one.
    for stale in existing
        .iter()
        .filter(|path| is_rules_file(path) && !written.contains(path))
    {
        std::fs::remove_file(stale).map_err(|error| {
            Failure::Input(format!("cannot remove {}: {error}", stale.display()))
        })?;
    }
    let rule_files = written.iter().filter(|path| is_rules_file(path)).count();
    print_out(&format!(
        "wrote {}: {} rule{} in {} file{}, {} entitlement{}, {} role{}, {} identit{} (seed {})",
        dir.display(),
        workload.rule_count(),
        plural(workload.rule_count()),
        rule_files,
        plural(rule_files),
        workload.entitlement_count(),
        plural(workload.entitlement_count()),
        workload.role_count(),
        plural(workload.role_count()),
        args.identities,
        if args.identities == 1 { "y" } else { "ies" },
        args.seed
    ))
}

/// The `.grant` files directly in `dir` (none if it does not exist), sorted.
fn grant_files(dir: &Path) -> Result<Vec<PathBuf>, Failure> {
    if !dir.exists() {
        return Ok(Vec::new());
    }
    let entries = std::fs::read_dir(dir)
        .map_err(|error| Failure::Input(format!("cannot read {}: {error}", dir.display())))?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|error| Failure::Input(format!("cannot read {}: {error}", dir.display())))?
            .path();
        if path.extension().is_some_and(|ext| ext == "grant") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

fn is_rules_file(path: &Path) -> bool {
    path.extension().is_some_and(|ext| ext == "grant")
        && path
            .file_name()
            .and_then(|name| name.to_str())
            .is_some_and(|name| name.starts_with("rules-"))
}

/// `a.grant, b.grant, c.grant and 4 more`.
fn names(paths: &[PathBuf]) -> String {
    let shown: Vec<String> = paths
        .iter()
        .take(3)
        .filter_map(|path| path.file_name())
        .map(|name| name.to_string_lossy().into_owned())
        .collect();
    let mut text = shown.join(", ");
    if paths.len() > shown.len() {
        text.push_str(&format!(" and {} more", paths.len() - shown.len()));
    }
    text
}
