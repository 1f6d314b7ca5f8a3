#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! A line far longer than a record may be is skipped without being held:
//! the reader's memory does not grow with it. (One test in its own binary,
//! so that no other test moves the process's peak memory.) Linux only: the
//! peak is read from `/proc/self/status`.
#![cfg(target_os = "linux")]

use std::io::{BufReader, Read};

use grantline_eval::Evaluator;
use grantline_hr::{read, Format, Mapping};
use grantline_syntax::SourceMap;

/// `head`, then `fill` bytes of `x`, then `tail`, made as they are read.
struct Generated {
    head: Vec<u8>,
    fill: usize,
    tail: Vec<u8>,
    at: usize,
}

impl Read for Generated {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let (head, fill) = (self.head.len(), self.fill);
        let mut n = 0;
        while n < buf.len() {
            let at = self.at;
            let byte = if at < head {
                self.head[at]
            } else if at < head + fill {
                b'x'
            } else if let Some(byte) = self.tail.get(at - head - fill) {
                *byte
            } else {
                break;
            };
            buf[n] = byte;
            n += 1;
            self.at += 1;
        }
        Ok(n)
    }
}

/// The peak resident memory of the process, in bytes.
fn peak() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kb: usize = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kb * 1024
}

#[test]
fn a_line_of_128_mib_is_skipped_without_being_held() {
    let mut sources = SourceMap::new();
    sources.add(
        "schema.grant",
        "attribute employee_id: text\nattribute note: optional text\nentitlement slack\nrule everyone: anyone grants slack\n",
    );
    let evaluator = Evaluator::new(grantline_compiler::compile(&sources).policy.unwrap()).unwrap();
    let mapping = Mapping::default();
    let huge = 128 << 20;
    let before = peak();
    let cases = [
        (
            Format::JsonLines,
            "{\"employee_id\": \"NW-1\"}\n{\"employee_id\": \"NW-2\", \"note\": \"",
            "\"}\n{\"employee_id\": \"NW-3\"}\n",
        ),
        (Format::Csv, "employee_id,note\nNW-1,a\nNW-2,", "\nNW-3,c\n"),
    ];
    for (format, head, tail) in cases {
        let input = Generated {
            head: head.as_bytes().to_vec(),
            fill: huge,
            tail: tail.as_bytes().to_vec(),
            at: 0,
        };
        let input = BufReader::with_capacity(64 << 10, input);
        let mut reader = read(
            &evaluator,
            input,
            "big",
            format,
            &mapping,
            Some("employee_id"),
        )
        .unwrap();
        let items: Vec<_> = reader.by_ref().collect();
        let keys: Vec<String> = items
            .iter()
            .filter_map(|item| Some(item.as_ref().ok()?.key.as_ref()?.value.clone()))
            .collect();
        assert_eq!(keys, ["NW-1", "NW-3"], "{format}");
        let rejected: Vec<String> = items
            .iter()
            .filter_map(|item| Some(item.as_ref().err()?.to_string()))
            .collect();
        let line = if format == Format::Csv { 3 } else { 2 };
        assert_eq!(
            rejected,
            [format!(
                "big:{line}: record longer than 1 MiB, the most read as one record; it is skipped"
            )]
        );
    }
    let grown = peak().saturating_sub(before);
    assert!(
        grown < 32 << 20,
        "the peak memory grew by {} MiB",
        grown >> 20
    );
}
