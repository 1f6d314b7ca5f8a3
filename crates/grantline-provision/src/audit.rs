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

use grantline_eval::{Decision, GrantStatus};

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

/// What one person was given by a batch evaluation: the audit entry of a
/// decision, by rule names (the IR, named by the run's policy version,
/// holds the rules' sources).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecisionEntry {
    /// The key attribute's value.
    pub person: String,
    /// Where the record starts in its export.
    pub line: usize,
    pub entitlements: Vec<GrantEntry>,
    /// Entitlements a rule granted and a deny took away.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub denied: Vec<DenyEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GrantEntry {
    pub entitlement: String,
    pub status: GrantStatus,
    pub rules: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DenyEntry {
    pub entitlement: String,
    pub denied_by: Vec<String>,
    pub granted_by: Vec<String>,
}

impl DecisionEntry {
    pub fn new(person: String, line: usize, decision: &Decision) -> Self {
        let names = |rules: &mut dyn Iterator<Item = &str>| -> Vec<String> {
            let mut names: Vec<String> = Vec::new();
            for rule in rules {
                if !names.iter().any(|name| name == rule) {
                    names.push(rule.to_string());
                }
            }
            names
        };
        DecisionEntry {
            person,
            line,
            entitlements: decision
                .entitlements
                .iter()
                .map(|granted| GrantEntry {
                    entitlement: granted.entitlement.to_string(),
                    status: granted.status,
                    rules: names(&mut granted.reasons.iter().map(|r| &*r.rule)),
                    valid_until: granted.valid_until,
                })
                .collect(),
            denied: decision
                .denied
                .iter()
                .map(|denied| DenyEntry {
                    entitlement: denied.entitlement.to_string(),
                    denied_by: names(&mut denied.denied_by.iter().map(|r| &*r.rule)),
                    granted_by: names(&mut denied.granted_by.iter().map(|r| &*r.rule)),
                })
                .collect(),
        }
    }
}

/// The fields of a streamed run's record known when it starts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunHead<'a> {
    pub run_at: DateTime<Utc>,
    pub command: &'a str,
    pub policy_version: String,
    pub at: DateTime<Utc>,
}

/// The fields of a streamed run's record known when it ends.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunTail {
    pub inputs: Vec<AuditInput>,
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
    let log = open_log(path)?;
    let mut file = &log.file;
    file.write_all(line.as_bytes())?;
    log.sync()
}

/// The log opened for one more record: positioned after its last complete
/// line, an unterminated line left by a killed run cut off.
struct OpenLog {
    file: File,
    /// Where this run's record starts.
    start: u64,
    /// The folder of a log this run created, whose entry must reach the disk.
    created_in: Option<std::path::PathBuf>,
}

fn open_log(path: &Path) -> io::Result<OpenLog> {
    let created = !path.exists();
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)?;
    let start = complete_length(&mut file)?;
    if start < file.metadata()?.len() {
        file.set_len(start)?;
    }
    file.seek(SeekFrom::Start(start))?;
    let created_in = created.then(|| match path.parent() {
        Some(folder) if !folder.as_os_str().is_empty() => folder.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    });
    Ok(OpenLog {
        file,
        start,
        created_in,
    })
}

impl OpenLog {
    /// Flushes the record, and a new log's directory entry, to disk.
    fn sync(&self) -> io::Result<()> {
        self.file.sync_all()?;
        if let Some(folder) = &self.created_in {
            File::open(folder)?.sync_all()?;
        }
        Ok(())
    }
}

/// One run's record written while the run produces it, for runs too large
/// to hold in memory (a batch evaluation of a whole export): the fields
/// known at the start, then the items of one list as they come, then the
/// fields known at the end, all on one line.
///
/// The record is complete only when [`finish`](Self::finish) has written
/// its newline and flushed it to disk. A writer dropped before that (the
/// run failed) cuts the log back to where the record began; a killed
/// process leaves an unterminated line, which the next [`append`] or
/// [`AuditWriter::begin`] removes and [`read`] skips.
pub struct AuditWriter {
    out: io::BufWriter<File>,
    log: Option<OpenLog>,
    items: usize,
}

impl AuditWriter {
    /// Starts a record with the fields of `head` (a struct or map) and opens
    /// its list `list`.
    pub fn begin(path: &Path, head: &impl Serialize, list: &str) -> io::Result<Self> {
        let head = serde_json::to_string(head).map_err(io::Error::other)?;
        let Some(fields) = head.strip_suffix('}') else {
            return Err(io::Error::other("an audit record's head must be an object"));
        };
        let log = open_log(path)?;
        let mut out = io::BufWriter::with_capacity(64 * 1024, log.file.try_clone()?);
        out.write_all(fields.as_bytes())?;
        if fields != "{" {
            out.write_all(b",")?;
        }
        serde_json::to_writer(&mut out, list).map_err(io::Error::other)?;
        out.write_all(b":[")?;
        Ok(AuditWriter {
            out,
            log: Some(log),
            items: 0,
        })
    }

    /// Adds one item to the list.
    pub fn push(&mut self, item: &impl Serialize) -> io::Result<()> {
        if self.items > 0 {
            self.out.write_all(b",")?;
        }
        serde_json::to_writer(&mut self.out, item).map_err(io::Error::other)?;
        self.items += 1;
        Ok(())
    }

    /// Closes the list, adds the fields of `tail` (a struct or map) and ends
    /// the record; returns once it is on disk.
    pub fn finish(mut self, tail: &impl Serialize) -> io::Result<()> {
        let tail = serde_json::to_string(tail).map_err(io::Error::other)?;
        let Some(fields) = tail.strip_prefix('{') else {
            return Err(io::Error::other("an audit record's tail must be an object"));
        };
        self.out.write_all(b"]")?;
        if fields != "}" {
            self.out.write_all(b",")?;
        }
        self.out.write_all(fields.as_bytes())?;
        self.out.write_all(b"\n")?;
        self.out.flush()?;
        match self.log.take() {
            Some(log) => log.sync(),
            None => Ok(()),
        }
    }
}

impl Drop for AuditWriter {
    fn drop(&mut self) {
        // Not finished: the run failed. Take its part record back out, so
        // the log ends with a complete record (best effort: should this
        // fail too, the next run removes the unterminated line).
        if let Some(log) = self.log.take() {
            let _ = self.out.flush();
            let _ = log.file.set_len(log.start);
        }
    }
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
