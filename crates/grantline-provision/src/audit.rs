//! The audit trail: an append-only JSON Lines file with one record per run,
//! answering "who got what, when, under which rule and which version of the
//! policies".
//!
//! A record is one line, written with a single write and flushed to disk
//! (`fsync`) before the run reports success. A run that fails before it
//! appends leaves nothing; a run killed while writing leaves at most an
//! unterminated last line, which [`append`] removes before it writes the
//! next record and [`read`] ignores, so the log never holds a partial
//! record.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::Action;

/// An input file of a run, by content.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditInput {
    pub file: String,
    /// `sha256:` and the hex digest of the file's bytes.
    pub sha256: String,
    /// Records read, accepted and rejected.
    pub read: usize,
    pub accepted: usize,
    pub rejected: usize,
}

/// One run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditRecord<'a> {
    /// When the run happened (the wall clock).
    pub run_at: DateTime<Utc>,
    /// The command, such as `plan`.
    pub command: &'a str,
    /// `sha256:` and the digest of the compiled policy set's IR JSON.
    pub policy_version: String,
    pub inputs: Vec<AuditInput>,
    /// The instant the states were evaluated at (the later one for a plan).
    pub at: DateTime<Utc>,
    pub actions: &'a [Action],
}

/// `sha256:` and the hex digest of `bytes`.
pub fn sha256(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// `sha256:` and the hex digest of a file's content, read in blocks.
pub fn sha256_file(path: &Path) -> io::Result<String> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let read = file.read(&mut buffer)?;
        let Some(block) = buffer.get(..read) else {
            break;
        };
        if block.is_empty() {
            break;
        }
        hasher.update(block);
    }
    Ok(hex(&hasher.finalize()))
}

fn hex(digest: &[u8]) -> String {
    let mut text = String::from("sha256:");
    for byte in digest {
        text.push_str(&format!("{byte:02x}"));
    }
    text
}

/// Appends `record` to the log at `path` (created if missing), after
/// removing an unterminated last line left by a killed run; returns once
/// the record is on disk.
pub fn append(path: &Path, record: &AuditRecord<'_>) -> io::Result<()> {
    let mut line = serde_json::to_string(record).map_err(io::Error::other)?;
    line.push('\n');
    let created = !path.exists();
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)?;
    let complete = complete_length(&mut file)?;
    if complete < file.metadata()?.len() {
        file.set_len(complete)?;
    }
    file.seek(SeekFrom::Start(complete))?;
    file.write_all(line.as_bytes())?;
    file.sync_all()?;
    if created {
        // The new file's directory entry must reach the disk too.
        if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            File::open(folder)?.sync_all()?;
        }
    }
    Ok(())
}

/// The length of the file up to and including its last newline.
fn complete_length(file: &mut File) -> io::Result<u64> {
    let length = file.metadata()?.len();
    let mut end = length;
    let mut block = vec![0u8; 4096];
    while end > 0 {
        let start = end.saturating_sub(block.len() as u64);
        let size = usize::try_from(end - start).unwrap_or(0);
        let Some(window) = block.get_mut(..size) else {
            break;
        };
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(window)?;
        if let Some(at) = window.iter().rposition(|&b| b == b'\n') {
            return Ok(start + at as u64 + 1);
        }
        end = start;
    }
    Ok(0)
}

/// The complete records of the log (an unterminated last line is left
/// out), each as JSON.
pub fn read(path: &Path) -> io::Result<Vec<serde_json::Value>> {
    let text = std::fs::read_to_string(path)?;
    let complete = text
        .rfind('\n')
        .map_or("", |end| text.get(..end).unwrap_or(""));
    complete
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).map_err(io::Error::other))
        .collect()
}
