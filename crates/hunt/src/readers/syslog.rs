//! Syslog and Linux auth logs: RFC 3164 (`Jun 14 15:16:01 host prog[pid]:`),
//! RFC 5424 (`<34>1 2003-10-11T22:14:15.003Z host app procid msgid [sd] msg`)
//! and ISO-timestamped lines. sshd, sudo and su messages get extra fields
//! (`auth_event`, `user`, `src_ip`, `src_port`, `command`, ...).

use std::path::Path;
use std::sync::{Arc, LazyLock};
use std::time::SystemTime;

use regex::Regex;
use serde_json::{Map, Value};
use time::Timestamp;

use super::{ReadStats, for_each_line};
use crate::error::HuntError;
use crate::record::{Record, RecordKind};
use crate::timeparse;

fn re(p: &str) -> Option<Regex> {
    Regex::new(p).ok()
}

static RFC3164: LazyLock<Option<Regex>> = LazyLock::new(|| {
    re(
        r"^(?:<(\d{1,3})>)?([A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d) (\S+) ([^:\[\s]+(?:\([^)]*\))?)(?:\[(\d+)\])?(?: [\d.]+)?: ?(.*)$",
    )
});
static RFC5424: LazyLock<Option<Regex>> = LazyLock::new(|| {
    re(r"^<(\d{1,3})>\d{1,2} (\S+) (\S+) (\S+) (\S+) (\S+) (-|(?:\[.*?\])+) ?(.*)$")
});
static ISO: LazyLock<Option<Regex>> = LazyLock::new(|| {
    re(
        r"^(?:<(\d{1,3})>)?(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?) (\S+) ([^:\[\s]+(?:\([^)]*\))?)(?:\[(\d+)\])?: ?(.*)$",
    )
});

/// True when the line parses as one of the syslog forms.
pub fn looks_like_syslog(line: &str) -> bool {
    [&RFC3164, &RFC5424, &ISO]
        .iter()
        .any(|r| r.as_ref().is_some_and(|r| r.is_match(line)))
}

pub fn read(path: &Path, sink: &mut dyn FnMut(Record)) -> Result<ReadStats, HuntError> {
    let source: Arc<str> = Arc::from(path.display().to_string());
    let reference = file_time(path);
    let year = i16::try_from(reference.year()).unwrap_or(i16::MAX);
    // A year-less date later than the file itself is from the year before.
    let latest = timeparse::checked_add_secs(reference, 48 * 3600).unwrap_or(reference);
    let mut stats = ReadStats::default();
    for_each_line(path, |n, line| {
        if line.trim().is_empty() {
            return;
        }
        match parse_line(line, &source, n, year) {
            Some(mut r) => {
                let yearless = line
                    .trim_start_matches(|c: char| c == '<' || c == '>' || c.is_ascii_digit())
                    .starts_with(|c: char| c.is_ascii_uppercase());
                if yearless && r.timestamp.is_some_and(|t| t > latest) {
                    r.timestamp = r.timestamp.and_then(timeparse::year_earlier);
                }
                stats.events += 1;
                sink(r);
            }
            None => stats.skip(|| format!("{source}:{n}: not a syslog line")),
        }
    })?;
    Ok(stats)
}

/// RFC 3164 has no year: it is taken from the file's modification time
/// (else now); dates after that time belong to the year before.
#[allow(
    clippy::disallowed_methods,
    reason = "only when the file system gives no modification time; no legal date depends on it"
)]
fn file_time(path: &Path) -> Timestamp {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(timeparse::from_system_time)
        .or_else(|| timeparse::from_system_time(SystemTime::now()))
        .unwrap_or(Timestamp::UNIX_EPOCH)
}

struct Bsd<'a> {
    pri: Option<&'a str>,
    timestamp: Option<Timestamp>,
    host: &'a str,
    program: &'a str,
    pid: Option<&'a str>,
    msg: &'a str,
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn num(s: &str) -> Option<i8> {
    s.trim_start().parse().ok()
}

/// Hand-written RFC 3164 parser for the common case (the regexes handle
/// the rest).
fn fast_3164(line: &str, year: i16) -> Option<Bsd<'_>> {
    let (pri, rest) = match line.strip_prefix('<') {
        Some(r) => {
            let (p, r) = r.split_once('>')?;
            if p.is_empty() || p.len() > 3 || !p.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            (Some(p), r)
        }
        None => (None, line),
    };
    let b = rest.as_bytes();
    if b.len() < 17
        || b[3] != b' '
        || b[6] != b' '
        || b[9] != b':'
        || b[12] != b':'
        || b[15] != b' '
    {
        return None;
    }
    let month = MONTHS.iter().position(|m| rest.get(0..3) == Some(*m))?;
    let day = num(rest.get(4..6)?)?;
    let (h, mi, se) = (
        num(rest.get(7..9)?)?,
        num(rest.get(10..12)?)?,
        num(rest.get(13..15)?)?,
    );
    let month = u8::try_from(month + 1).ok()?;
    let field = |v: i8| u8::try_from(v).ok();
    let timestamp = match (field(day), field(h), field(mi), field(se)) {
        (Some(day), Some(h), Some(mi), Some(se)) => {
            timeparse::from_civil(i32::from(year), month, day, h, mi, se)
        }
        _ => None,
    };
    let rest = &rest[16..];
    let (host, rest) = rest.split_once(' ')?;
    if host.is_empty() {
        return None;
    }
    let end = rest.find([':', '[', ' ', '\t'])?;
    let program = &rest[..end];
    if program.is_empty() {
        return None;
    }
    let mut rest = &rest[end..];
    let mut pid = None;
    if let Some(r) = rest.strip_prefix('[') {
        let (p, r) = r.split_once(']')?;
        pid = Some(p);
        rest = r;
    }
    if let Some(r) = rest.strip_prefix(' ') {
        // `syslogd 1.4.1:` style version after the program name.
        let (v, r) = r.split_once(':')?;
        if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            return None;
        }
        rest = r;
    } else {
        rest = rest.strip_prefix(':')?;
    }
    let msg = rest.strip_prefix(' ').unwrap_or(rest);
    Some(Bsd {
        pri,
        timestamp,
        host,
        program,
        pid,
        msg,
    })
}

/// Parses one syslog line into a record.
pub fn parse_line(line: &str, source: &Arc<str>, n: u64, year: i16) -> Option<Record> {
    let mut rec = Record::new(source.clone(), n, RecordKind::Syslog);
    let mut f = Map::new();
    let (pri, host, program, pid, msg);
    if let Some(p) = fast_3164(line, year) {
        pri = p.pri;
        rec.timestamp = p.timestamp;
        host = p.host;
        program = p.program;
        pid = p.pid;
        msg = p.msg;
    } else if let Some(c) = RFC5424.as_ref().and_then(|r| r.captures(line)) {
        pri = c.get(1).map(|m| m.as_str());
        rec.timestamp = timeparse::parse_any(c.get(2)?.as_str());
        host = c.get(3)?.as_str();
        program = c.get(4)?.as_str();
        pid = c.get(5).map(|m| m.as_str()).filter(|p| *p != "-");
        if let Some(m) = c.get(6).filter(|m| m.as_str() != "-") {
            f.insert("msgid".into(), Value::String(m.as_str().into()));
        }
        if let Some(sd) = c.get(7).filter(|m| m.as_str() != "-") {
            f.insert("structured_data".into(), Value::String(sd.as_str().into()));
        }
        msg = c.get(8).map_or("", |m| m.as_str());
    } else if let Some(c) = RFC3164.as_ref().and_then(|r| r.captures(line)) {
        pri = c.get(1).map(|m| m.as_str());
        rec.timestamp = timeparse::parse_bsd(c.get(2)?.as_str(), year);
        host = c.get(3)?.as_str();
        program = c.get(4)?.as_str();
        pid = c.get(5).map(|m| m.as_str());
        msg = c.get(6).map_or("", |m| m.as_str());
    } else if let Some(c) = ISO.as_ref().and_then(|r| r.captures(line)) {
        pri = c.get(1).map(|m| m.as_str());
        rec.timestamp = timeparse::parse_any(c.get(2)?.as_str());
        host = c.get(3)?.as_str();
        program = c.get(4)?.as_str();
        pid = c.get(5).map(|m| m.as_str());
        msg = c.get(6).map_or("", |m| m.as_str());
    } else {
        return None;
    }
    if let Some(p) = pri.and_then(|p| p.parse::<u16>().ok()) {
        f.insert("facility".into(), Value::from(p / 8));
        f.insert("severity".into(), Value::from(p % 8));
    }
    // `sshd(pam_unix)` -> program `sshd`, component kept whole.
    let base = program.split('(').next().unwrap_or(program);
    f.insert("host".into(), Value::String(host.into()));
    f.insert("program".into(), Value::String(base.into()));
    f.insert("component".into(), Value::String(program.into()));
    if let Some(p) = pid {
        f.insert("pid".into(), Value::String(p.into()));
    }
    f.insert("message".into(), Value::String(msg.into()));
    super::syslog_fields::extract(base, msg, &mut f);
    rec.computer = host.to_string();
    rec.channel = base.to_string();
    rec.fields = f;
    Some(rec)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn parses_forms() {
        let s: Arc<str> = Arc::from("t");
        let r = parse_line(
            "Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186",
            &s,
            1,
            2017,
        )
        .unwrap();
        assert_eq!(r.channel, "sshd");
        assert_eq!(r.fields["auth_event"], "invalid_user");
        assert_eq!(r.fields["user"], "webmaster");
        assert_eq!(r.fields["src_ip"], "173.234.31.186");
        let r = parse_line("Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=218.188.2.4 ", &s, 1, 2005).unwrap();
        assert_eq!(r.fields["auth_event"], "auth_failure");
        assert_eq!(r.fields["src_ip"], "218.188.2.4");
        let r = parse_line("<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - 'su root' failed for lonvick on /dev/pts/8", &s, 1, 2003).unwrap();
        assert_eq!(r.channel, "su");
        assert_eq!(r.computer, "mymachine.example.com");
        let r = parse_line("2024-03-01T10:00:00+00:00 web1 sudo[123]:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/cat /etc/shadow", &s, 1, 2024).unwrap();
        assert_eq!(r.fields["command"], "/bin/cat /etc/shadow");
        assert_eq!(r.fields["user"], "alice");
        assert_eq!(r.fields["target_user"], "root");
    }
}
