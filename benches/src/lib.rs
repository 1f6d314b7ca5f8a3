//! Shared setup of the Grantline benchmarks.
//!
//! The benchmarks run against the example policy set in `policies/` (the
//! Northwind Outfitters policies, 69 rules) and its identities in
//! `policies/identities/`, at one fixed instant, so that every run measures
//! the same work. See `docs/performance.md` for the figures.

use std::error::Error;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use grantline::Engine;
use serde_json::Value;

/// A setup failure: the benchmarks cannot run without their inputs.
pub type SetupError = Box<dyn Error + Send + Sync>;

/// The example policy folder of the workspace.
pub const POLICIES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../policies");

/// The file holding every example identity as one JSON array.
pub const EVERYONE: &str = "everyone.json";

/// The example policy folder, as a path.
pub fn policies_dir() -> PathBuf {
    PathBuf::from(POLICIES)
}

/// The folder of the example identities.
pub fn identities_dir() -> PathBuf {
    policies_dir().join("identities")
}

/// The instant every benchmark evaluates at: 2026-12-01 09:00 UTC, the date
/// the README's first command uses.
pub fn at() -> Result<DateTime<Utc>, SetupError> {
    NaiveDate::from_ymd_opt(2026, 12, 1)
        .and_then(|date| date.and_hms_opt(9, 0, 0))
        .map(|instant| instant.and_utc())
        .ok_or_else(|| "2026-12-01T09:00:00Z is not a valid instant".into())
}

/// The example policies, compiled.
pub fn example_engine() -> Result<Engine, SetupError> {
    Ok(Engine::from_path(policies_dir())?)
}

/// Reads and parses one JSON file.
pub fn read_json(path: &Path) -> Result<Value, SetupError> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
    Ok(serde_json::from_str(&text)
        .map_err(|error| format!("{} is not JSON: {error}", path.display()))?)
}

/// Every single-identity file of `policies/identities` (all but
/// `everyone.json`), sorted by file name, as `(name, record)` where `name` is
/// the file stem (`alice-sales-manager`).
pub fn identity_records() -> Result<Vec<(String, Value)>, SetupError> {
    let dir = identities_dir();
    let mut records = Vec::new();
    for entry in std::fs::read_dir(&dir)
        .map_err(|error| format!("cannot read {}: {error}", dir.display()))?
    {
        let path = entry?.path();
        let is_json = path.extension().is_some_and(|ext| ext == "json");
        let is_everyone = path.file_name().is_some_and(|name| name == EVERYONE);
        if !is_json || is_everyone {
            continue;
        }
        let name = path
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_default();
        records.push((name, read_json(&path)?));
    }
    records.sort_by(|a, b| a.0.cmp(&b.0));
    if records.is_empty() {
        return Err(format!("no identity files in {}", dir.display()).into());
    }
    Ok(records)
}

/// The records of `policies/identities/everyone.json`.
pub fn everyone_records() -> Result<Vec<Value>, SetupError> {
    let path = identities_dir().join(EVERYONE);
    match read_json(&path)? {
        Value::Array(records) => Ok(records),
        _ => Err(format!("{} is not a JSON array", path.display()).into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_inputs_load() {
        let engine = example_engine().unwrap();
        assert_eq!(engine.policy().rules.len(), 69);
        let records = identity_records().unwrap();
        assert!(records
            .iter()
            .any(|(name, _)| name == "alice-sales-manager"));
        assert!(records.iter().all(|(name, _)| name != "everyone"));
        for (name, record) in &records {
            assert!(engine.identity(record).is_ok(), "{name} does not check");
        }
        let everyone = everyone_records().unwrap();
        assert_eq!(everyone.len(), records.len());
        assert!(everyone
            .iter()
            .all(|record| engine.identity(record).is_ok()));
        assert_eq!(at().unwrap().to_rfc3339(), "2026-12-01T09:00:00+00:00");
    }
}
