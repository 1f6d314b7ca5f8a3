//! The audit trail: an append-only JSON Lines file with one record per run,
//! answering "who got what, when, under which rule and which version of the
//! policies".
//!
//! A record is one line, flushed to disk (`fsync`) before the run reports
//! success. A run that fails before it appends leaves nothing, one that
//! fails midway takes its part record back out, and one killed while
//! writing leaves at most an unterminated last line, which the next writer
//! removes and [`read`] reports apart from the records, so the log never
//! holds a partial record.
//!
//! Runs take turns: a writer holds an exclusive lock on the log
//! ([`File::lock`]) from opening it until its record is on disk or taken
//! back out, and a run that finds the log locked waits for it. Records of
//! concurrent runs, in one process or several, so follow one another whole.
//! The lock is advisory: it orders the writers of this module, not other
//! programs writing to the file.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};

use grantline_eval::{Decision, GrantStatus};

use crate::Action;

/// An input file of a run, by content.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditInput {
    pub file: String,
    /// `sha256:` and the hex digest of the file's bytes, as the run read
    /// them ([`HashingReader`]).
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

/// The fields of a streamed run's record known when it ends. The inputs'
/// hashes are here, not in the head: the head is written before the input
/// is read, and an input is hashed as it is read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunTail {
    pub inputs: Vec<AuditInput>,
}

/// Why a record could not be added to the log. The log then holds no part
/// of it (an unfinished [`AuditWriter`]'s once it is dropped).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    /// The log could not be locked for this run alone (some network file
    /// systems do not support locks). Nothing is written: unlocked, a
    /// concurrent run could interleave with the record or cut it.
    #[error("cannot lock {} for this run alone ({source}); the record is not written without the lock", path.display())]
    Lock { path: PathBuf, source: io::Error },
    #[error(transparent)]
    Io(#[from] io::Error),
    #[error("cannot write the record as JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// A head or tail that is not a JSON object.
    #[error("an audit record's {0} must be a JSON object")]
    NotAnObject(&'static str),
    /// An earlier write of this record failed, which may have left a gap
    /// in it: it can only be taken back (by dropping the writer).
    #[error("an earlier write of this record failed; it cannot be completed")]
    Broken,
}

/// `sha256:` and the hex digest of `bytes`.
pub fn sha256(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// `sha256:` and the hex digest of a file's content, read in blocks.
///
/// For a file the run does not read otherwise: a file it reads is hashed
/// while it reads it ([`HashingReader`]), since a second reading could find
/// other content than the one the run used.
pub fn sha256_file(path: &Path) -> io::Result<String> {
    HashingReader::new(File::open(path)?).finish()
}

/// A reader that hashes the bytes passing through it, so that an input is
/// named by exactly the content that was read from it, in the same pass
/// (no second reading of a file that could have changed in between).
///
/// Wrap the file, then buffer: `BufReader::new(HashingReader::new(file))`;
/// bytes are hashed when the buffer takes them from the file, and
/// [`finish`](Self::finish) on `into_inner()` gives the digest.
pub struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    bytes: u64,
}

impl<R: Read> HashingReader<R> {
    pub fn new(inner: R) -> Self {
        HashingReader {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
        }
    }

    /// Bytes read (and hashed) so far.
    pub fn bytes_read(&self) -> u64 {
        self.bytes
    }

    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// `sha256:` and the hex digest of the whole input: the bytes read so
    /// far, then the rest, read now. A reader that stopped early (a CSV
    /// export with a bad header) still names the input by its whole content,
    /// in the one pass.
    pub fn finish(mut self) -> io::Result<String> {
        io::copy(&mut self, &mut io::sink())?;
        Ok(hex(&self.hasher.finalize()))
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buf)?;
        let Some(bytes) = buf.get(..read) else {
            return Err(io::Error::other("a reader returned more bytes than asked"));
        };
        self.hasher.update(bytes);
        self.bytes += read as u64;
        Ok(read)
    }
}

impl<R> std::fmt::Debug for HashingReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HashingReader")
            .field("bytes", &self.bytes)
            .finish_non_exhaustive()
    }
}

fn hex(digest: &[u8]) -> String {
    let mut text = String::from("sha256:");
    for byte in digest {
        text.push_str(&format!("{byte:02x}"));
    }
    text
}

/// Appends `record` to the log at `path` (created if missing), after
/// removing an unterminated last line left by a killed run; waits while
/// another run writes to the log, and returns once the record is on disk.
pub fn append(path: &Path, record: &AuditRecord<'_>) -> Result<(), AuditError> {
    let mut line = serde_json::to_vec(record)?;
    line.push(b'\n');
    let mut log = open_log(path)?;
    let written = log.file.write_all(&line).and_then(|()| log.sync());
    if written.is_err() {
        // A run that reports failure leaves no record, not even a whole
        // one whose flush failed (best effort: the next writer removes an
        // unterminated line anyway).
        let _ = log.file.set_len(log.start);
    }
    written.map_err(AuditError::from)
}

/// The log opened, and locked, for one more record: positioned after its
/// last complete line, an unterminated line left by a killed run cut off.
/// Dropping it releases the lock.
struct OpenLog {
    file: File,
    /// Where this run's record starts.
    start: u64,
    /// The folder of a log this run created, whose entry must reach the disk.
    created_in: Option<PathBuf>,
}

fn open_log(path: &Path) -> Result<OpenLog, AuditError> {
    let created = !path.exists();
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)?;
    lock(&file).map_err(|source| AuditError::Lock {
        path: path.to_path_buf(),
        source,
    })?;
    let created_in = created.then(|| match path.parent() {
        Some(folder) if !folder.as_os_str().is_empty() => folder.to_path_buf(),
        _ => PathBuf::from("."),
    });
    let mut log = OpenLog {
        file,
        start: 0,
        created_in,
    };
    // Measured under the lock: the log may have grown while this run waited.
    log.start = complete_length(&mut log.file)?;
    if log.start < log.file.metadata()?.len() {
        log.file.set_len(log.start)?;
    }
    log.file.seek(SeekFrom::Start(log.start))?;
    Ok(log)
}

/// Takes the exclusive lock of `file`, waiting for the run that holds it.
/// Waiting is what a provisioning run wants (its record after the other
/// one's); an error (no lock support) is returned, never ignored.
fn lock(file: &File) -> io::Result<()> {
    loop {
        match file.lock() {
            // A signal ends the wait, not the need for the lock.
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            result => return result,
        }
    }
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

impl Drop for OpenLog {
    fn drop(&mut self) {
        // Closing the file releases the lock too; unlocking here states the
        // order: after the record's sync or its truncation, never before.
        let _ = self.file.unlock();
    }
}

/// Bytes of a streamed record gathered before they are written.
const WRITE_BUFFER: usize = 64 * 1024;

/// One run's record written while the run produces it, for runs too large
/// to hold in memory (a batch evaluation of a whole export): the fields
/// known at the start, then the items of one list as they come, then the
/// fields known at the end, all on one line.
///
/// The writer holds the log's lock from [`begin`](Self::begin) until it is
/// finished or dropped: other runs wait meanwhile.
///
/// The record is complete only when [`finish`](Self::finish) has written
/// its newline and flushed it to disk. A writer dropped before that (the
/// run failed) cuts the log back to where the record began; a killed
/// process leaves an unterminated line, which the next [`append`] or
/// [`AuditWriter::begin`] removes and [`read`] sets apart.
pub struct AuditWriter {
    log: OpenLog,
    /// The record's bytes not written to the log yet. A buffer of its own
    /// rather than a `BufWriter`, which would write what it holds when
    /// dropped: after the truncation, past the lock.
    buffer: Vec<u8>,
    items: usize,
    /// A write failed: the record may have a gap, and cannot be finished.
    broken: bool,
    /// On disk: dropping the writer leaves the record.
    finished: bool,
}

impl AuditWriter {
    /// Starts a record with the fields of `head` (a struct or map) and opens
    /// its list `list`; waits while another run writes to the log.
    pub fn begin(path: &Path, head: &impl Serialize, list: &str) -> Result<Self, AuditError> {
        let head = serde_json::to_string(head)?;
        let Some(fields) = head.strip_suffix('}') else {
            return Err(AuditError::NotAnObject("head"));
        };
        let mut buffer = Vec::with_capacity(WRITE_BUFFER + WRITE_BUFFER / 4);
        buffer.extend_from_slice(fields.as_bytes());
        if fields != "{" {
            buffer.push(b',');
        }
        serde_json::to_writer(&mut buffer, list)?;
        buffer.extend_from_slice(b":[");
        Ok(AuditWriter {
            log: open_log(path)?,
            buffer,
            items: 0,
            broken: false,
            finished: false,
        })
    }

    /// Adds one item to the list.
    pub fn push(&mut self, item: &impl Serialize) -> Result<(), AuditError> {
        if self.broken {
            return Err(AuditError::Broken);
        }
        let mark = self.buffer.len();
        if self.items > 0 {
            self.buffer.push(b',');
        }
        if let Err(error) = serde_json::to_writer(&mut self.buffer, item) {
            // Nothing of an item that failed: the record stays valid JSON.
            self.buffer.truncate(mark);
            return Err(error.into());
        }
        self.items += 1;
        if self.buffer.len() >= WRITE_BUFFER {
            self.write_buffer()?;
        }
        Ok(())
    }

    /// Closes the list, adds the fields of `tail` (a struct or map) and ends
    /// the record; returns once it is on disk.
    pub fn finish(mut self, tail: &impl Serialize) -> Result<(), AuditError> {
        if self.broken {
            return Err(AuditError::Broken);
        }
        let tail = serde_json::to_string(tail)?;
        let Some(fields) = tail.strip_prefix('{') else {
            return Err(AuditError::NotAnObject("tail"));
        };
        self.buffer.push(b']');
        if fields != "}" {
            self.buffer.push(b',');
        }
        self.buffer.extend_from_slice(fields.as_bytes());
        self.buffer.push(b'\n');
        self.write_buffer()?;
        self.log.sync()?;
        self.finished = true;
        Ok(())
    }

    fn write_buffer(&mut self) -> Result<(), AuditError> {
        if let Err(error) = self.log.file.write_all(&self.buffer) {
            self.broken = true;
            return Err(error.into());
        }
        self.buffer.clear();
        Ok(())
    }
}

impl Drop for AuditWriter {
    fn drop(&mut self) {
        // Not finished: the run failed. Take its part record back out, still
        // under the lock, so the log ends with a complete record (best
        // effort: should this fail too, the next run removes the
        // unterminated line). The lock goes with `self.log`, after this.
        if !self.finished {
            let _ = self.log.file.set_len(self.log.start);
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

/// What an audit log holds, line by line: its records, the lines that are
/// not records, and an unterminated last line.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditLog {
    /// The records, in log order.
    pub records: Vec<LoggedRecord>,
    /// The complete lines that are not records, in log order. A log written
    /// only by this module has none: each is damage or an edit by hand.
    pub bad_lines: Vec<BadLine>,
    /// The line number of an unterminated last line: the record of a run
    /// still writing, or of one killed while writing (the next run removes
    /// it). Not a record, and not damage.
    pub unterminated: Option<usize>,
}

impl AuditLog {
    /// Every complete line is a record.
    pub fn is_intact(&self) -> bool {
        self.bad_lines.is_empty()
    }
}

/// One record and where it is.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedRecord {
    /// Its line, from 1.
    pub line: usize,
    /// The record, a JSON object.
    pub record: serde_json::Value,
}

/// A complete line that is not a record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {problem}")]
pub struct BadLine {
    /// From 1.
    pub line: usize,
    pub problem: LineProblem,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LineProblem {
    #[error("a blank line")]
    Blank,
    #[error("not valid JSON (column {column}: {message})")]
    Json { column: usize, message: String },
    #[error("JSON that is not an object")]
    NotAnObject,
}

/// Reads the log at `path`, a line at a time: every record, with its line
/// number, and every line that is not one, so that one damaged line does
/// not hide the others. Fails only when the file cannot be read.
///
/// Takes no lock: a reader never waits for a run, and sees the records
/// complete when it reads (a run's record in progress is the unterminated
/// last line).
pub fn read(path: &Path) -> io::Result<AuditLog> {
    let mut input = BufReader::new(File::open(path)?);
    let mut log = AuditLog::default();
    let mut line = Vec::new();
    let mut number = 0;
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        number += 1;
        let Some(text) = line.strip_suffix(b"\n") else {
            log.unterminated = Some(number);
            break;
        };
        match parse_line(text) {
            Ok(record) => log.records.push(LoggedRecord {
                line: number,
                record,
            }),
            Err(problem) => log.bad_lines.push(BadLine {
                line: number,
                problem,
            }),
        }
    }
    Ok(log)
}

fn parse_line(text: &[u8]) -> Result<serde_json::Value, LineProblem> {
    if text.iter().all(u8::is_ascii_whitespace) {
        return Err(LineProblem::Blank);
    }
    match serde_json::from_slice::<serde_json::Value>(text) {
        Ok(record) if record.is_object() => Ok(record),
        Ok(_) => Err(LineProblem::NotAnObject),
        Err(error) => {
            // The error's own position says "line 1": the log's line is
            // the one that counts, so keep only the column.
            let message = error.to_string();
            let position = format!(" at line {} column {}", error.line(), error.column());
            let message = match message.strip_suffix(&position) {
                Some(bare) => bare.to_string(),
                None => message,
            };
            Err(LineProblem::Json {
                column: error.column(),
                message,
            })
        }
    }
}
