//! Input readers. Each recognises its format by content and streams
//! [`Record`]s to a callback, so memory stays flat whatever the file size.

pub mod evtx;
pub mod jsonl;
pub mod syslog;
mod syslog_fields;
pub mod weblog;
pub mod windows;

use std::fs::File;
use std::io::Read;
use std::path::Path;

use crate::error::HuntError;
use crate::record::Record;

/// What a reader counted in one file.
#[derive(Debug, Default, Clone)]
pub struct ReadStats {
    pub events: u64,
    /// Records (or lines) that could not be parsed and were skipped.
    pub skipped: u64,
    /// Why records were skipped (the first few, with their location).
    pub problems: Vec<String>,
    /// Part of the file could not be read at all (its records are in no
    /// count); the reason is among `problems`.
    pub incomplete: bool,
}

impl ReadStats {
    pub(crate) const MAX_PROBLEMS: usize = 20;

    pub(crate) fn skip(&mut self, why: impl FnOnce() -> String) {
        self.skipped += 1;
        if self.problems.len() < Self::MAX_PROBLEMS {
            self.problems.push(why());
        }
    }
}

/// Input formats recognised by content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Evtx,
    Json,
    Syslog,
    WebClf,
    WebIis,
    Unknown,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Evtx => "evtx",
            Format::Json => "json",
            Format::Syslog => "syslog",
            Format::WebClf => "web-access",
            Format::WebIis => "iis-w3c",
            Format::Unknown => "unknown",
        }
    }
}

/// Looks at the first bytes of a file to tell its format.
pub fn detect(path: &Path) -> Result<Format, HuntError> {
    let mut f = File::open(path).map_err(|e| HuntError::io(path, e))?;
    let mut buf = vec![0u8; 8192];
    let mut n = 0;
    while n < buf.len() {
        let got = f.read(&mut buf[n..]).map_err(|e| HuntError::io(path, e))?;
        if got == 0 {
            break;
        }
        n += got;
    }
    buf.truncate(n);
    Ok(detect_bytes(&buf))
}

/// Format of a file from its first bytes.
pub fn detect_bytes(head: &[u8]) -> Format {
    if head.starts_with(b"ElfFile\0") {
        return Format::Evtx;
    }
    let text = String::from_utf8_lossy(head);
    let text = text.trim_start_matches('\u{feff}');
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') {
        return Format::Json;
    }
    if let Some(rest) = trimmed.strip_prefix('[') {
        // A JSON array, not a `[date]`-prefixed text log.
        if rest.trim_start().starts_with(['{', '[', ']', '"']) {
            return Format::Json;
        }
    }
    // Look at the first few non-empty lines (the last may be cut short).
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(10)
        .collect();
    if lines.iter().any(|l| {
        l.starts_with("#Software: Microsoft Internet Information Services")
            || l.starts_with("#Fields:")
    }) {
        return Format::WebIis;
    }
    let check: Vec<&str> = if lines.len() > 1 {
        lines[..lines.len() - 1].to_vec()
    } else {
        lines
    };
    if check.is_empty() {
        return Format::Unknown;
    }
    let web = check
        .iter()
        .filter(|l| weblog::parse_clf_line(l).is_some())
        .count();
    if web * 2 > check.len() {
        return Format::WebClf;
    }
    let sys = check
        .iter()
        .filter(|l| syslog::looks_like_syslog(l))
        .count();
    if sys * 2 > check.len() {
        return Format::Syslog;
    }
    Format::Unknown
}

/// Reads one file of a known format, calling `sink` per record.
pub fn read_file(
    path: &Path,
    format: Format,
    sink: &mut dyn FnMut(Record),
) -> Result<ReadStats, HuntError> {
    match format {
        Format::Evtx => evtx::read(path, sink),
        Format::Json => jsonl::read(path, sink),
        Format::Syslog => syslog::read(path, sink),
        Format::WebClf | Format::WebIis => weblog::read(path, sink),
        Format::Unknown => Err(HuntError::parse(path, "unrecognised log format")),
    }
}

/// Longest line handed to a parser (longer ones are cut, and skipped).
pub(crate) const MAX_LINE: usize = 16 << 20;

/// Lines of a text file, decoded lossily (a bad byte never stops a read).
pub(crate) fn for_each_line(path: &Path, mut f: impl FnMut(u64, &str)) -> Result<(), HuntError> {
    use std::io::BufRead;
    let file = File::open(path).map_err(|e| HuntError::io(path, e))?;
    let mut reader = std::io::BufReader::with_capacity(1 << 16, file);
    let mut buf = Vec::with_capacity(1024);
    let mut n = 0u64;
    loop {
        buf.clear();
        let got = std::io::Read::take(&mut reader, MAX_LINE as u64)
            .read_until(b'\n', &mut buf)
            .map_err(|e| HuntError::io(path, e))?;
        if got == 0 {
            break;
        }
        if buf.len() >= MAX_LINE && !buf.ends_with(b"\n") {
            // Over-long line: keep its start (it will fail to parse and be
            // counted as skipped) and drop the rest up to the next newline.
            loop {
                let chunk = reader.fill_buf().map_err(|e| HuntError::io(path, e))?;
                if chunk.is_empty() {
                    break;
                }
                match chunk.iter().position(|b| *b == b'\n') {
                    Some(i) => {
                        reader.consume(i + 1);
                        break;
                    }
                    None => {
                        let len = chunk.len();
                        reader.consume(len);
                    }
                }
            }
        }
        n += 1;
        let line = String::from_utf8_lossy(&buf);
        let line = line.trim_end_matches(['\n', '\r']);
        let line = if n == 1 {
            line.trim_start_matches('\u{feff}')
        } else {
            line
        };
        f(n, line);
    }
    Ok(())
}
