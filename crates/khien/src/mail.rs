//! E-mail: a small SMTP client (RFC 5321: EHLO, optional STARTTLS, MAIL, RCPT, DATA)
//! and the sender that empties the reminders' outbox (`khien_store::reminders`).
//!
//! Written here rather than taken from a mail crate: Khiên sends one plain-text UTF-8
//! message to one address at a time, and the TLS it needs (rustls with the webpki
//! roots) is already in the build for PostgreSQL; see docs/decisions.md. The client is
//! blocking (std sockets with timeouts) and runs on tokio's blocking threads.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use khien_store::Store;
use khien_store::reminders::OutgoingMail;
use time::OffsetDateTime;

/// The SMTP relay (settings `smtp_host`, `smtp_port`, `smtp_from`, `smtp_starttls`).
#[derive(Debug, Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    /// The sender address (`khien@so-khcn.example.gov.vn`).
    pub from: String,
    /// Upgrade the connection with STARTTLS (and refuse a server that does not offer it).
    pub starttls: bool,
    /// For each connect, read and write.
    pub timeout: Duration,
}

/// Why a message did not go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// Worth trying again later (a 4xx reply, the server unreachable).
    Transient(String),
    /// Will not go as it is (a 5xx reply, an address that cannot be written).
    Permanent(String),
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SendError::Transient(m) => write!(f, "temporary: {m}"),
            SendError::Permanent(m) => write!(f, "permanent: {m}"),
        }
    }
}

trait Stream: Read + Write + Send {}
impl<S: Read + Write + Send> Stream for S {}

/// Longest reply line read, and most lines in one reply: a server cannot make the
/// client read without end.
const MAX_LINE: usize = 4096;
const MAX_LINES: usize = 100;

struct Session {
    io: BufReader<Box<dyn Stream>>,
}

fn io_err(what: &str, e: impl std::fmt::Display) -> SendError {
    SendError::Transient(format!("{what}: {e}"))
}

impl Session {
    fn send_line(&mut self, line: &str) -> Result<(), SendError> {
        let w = self.io.get_mut();
        w.write_all(line.as_bytes()).and_then(|()| w.write_all(b"\r\n")).and_then(|()| w.flush()).map_err(|e| io_err("write", e))
    }

    /// One reply: its code and text (every line of a multi-line reply).
    fn reply(&mut self) -> Result<(u16, String), SendError> {
        let mut text = String::new();
        for _ in 0..MAX_LINES {
            let mut line = Vec::new();
            let n = (&mut self.io).take(MAX_LINE as u64).read_until(b'\n', &mut line).map_err(|e| io_err("read", e))?;
            if n == 0 {
                return Err(SendError::Transient("the server closed the connection".into()));
            }
            let line = String::from_utf8_lossy(&line);
            let line = line.trim_end();
            let code: u16 = line.get(..3).and_then(|c| c.parse().ok()).ok_or_else(|| SendError::Transient(format!("not an SMTP reply: {line:?}")))?;
            text.push_str(line.get(4..).unwrap_or(""));
            text.push('\n');
            if line.as_bytes().get(3) != Some(&b'-') {
                return Ok((code, text));
            }
        }
        Err(SendError::Transient("reply too long".into()))
    }

    /// Sends `command` (none: just read the greeting) and expects one of `ok`.
    fn expect(&mut self, command: Option<&str>, ok: &[u16]) -> Result<String, SendError> {
        if let Some(c) = command {
            self.send_line(c)?;
        }
        let (code, text) = self.reply()?;
        if ok.contains(&code) {
            Ok(text)
        } else {
            let what = command.map_or("greeting", |c| c.split(':').next().unwrap_or(c));
            let msg = format!("{what}: {code} {}", text.trim());
            Err(if (500..600).contains(&code) { SendError::Permanent(msg) } else { SendError::Transient(msg) })
        }
    }
}

/// An address that can go in a header and an SMTP path as it is.
fn plain_address(a: &str) -> Result<&str, SendError> {
    let a = a.trim();
    let ok = a.len() <= 254
        && a.split_once('@').is_some_and(|(l, d)| !l.is_empty() && !d.is_empty())
        && a.chars().all(|c| c.is_ascii_graphic() && !matches!(c, '<' | '>' | '"' | ',' | ';' | '(' | ')' | '\\'));
    if ok { Ok(a) } else { Err(SendError::Permanent(format!("not an address Khiên sends to: {a:?}"))) }
}

/// A header value in RFC 2047 encoded words (UTF-8, base64), folded.
fn encoded_header(value: &str) -> String {
    let clean: String = value.chars().filter(|c| !c.is_control()).collect();
    if clean.is_ascii() && clean.len() < 900 {
        return clean;
    }
    // Whole characters, at most 45 bytes a word (60 in base64).
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in clean.chars() {
        if chunk.len() + c.len_utf8() > 45 {
            words.push(std::mem::take(&mut chunk));
        }
        chunk.push(c);
    }
    if !chunk.is_empty() {
        words.push(chunk);
    }
    words
        .iter()
        .map(|w| format!("=?UTF-8?B?{}?=", base64::engine::general_purpose::STANDARD.encode(w)))
        .collect::<Vec<_>>()
        .join("\r\n ")
}

/// The whole message: headers and a base64 body in lines of 76, ending in CRLF.
pub fn message(from: &str, to: &str, subject: &str, body: &str, message_id: &str, date: OffsetDateTime) -> String {
    let date = date.format(&time::format_description::well_known::Rfc2822).unwrap_or_default();
    let host = from.rsplit_once('@').map_or("khien", |(_, d)| d);
    let b64 = base64::engine::general_purpose::STANDARD.encode(body.replace("\r\n", "\n").replace('\n', "\r\n"));
    let mut out = format!(
        "From: {from}\r\nTo: {to}\r\nSubject: {}\r\nDate: {date}\r\nMessage-ID: <{message_id}@{host}>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\nAuto-Submitted: auto-generated\r\n\r\n",
        encoded_header(subject)
    );
    for line in b64.as_bytes().chunks(76) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push_str("\r\n");
    }
    out
}

fn tls(host: &str, tcp: TcpStream) -> Result<Box<dyn Stream>, SendError> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| SendError::Permanent(format!("TLS: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from(host.to_string()).map_err(|e| SendError::Permanent(format!("TLS name {host}: {e}")))?;
    let conn = rustls::ClientConnection::new(Arc::new(config), name).map_err(|e| SendError::Permanent(format!("TLS: {e}")))?;
    Ok(Box::new(rustls::StreamOwned::new(conn, tcp)))
}

/// Sends one message to `to` through the relay. Blocking.
pub fn send(cfg: &SmtpConfig, to: &str, subject: &str, body: &str, message_id: &str, date: OffsetDateTime) -> Result<(), SendError> {
    let to = plain_address(to)?;
    let from = plain_address(&cfg.from)?;
    let addr = (cfg.host.as_str(), cfg.port)
        .to_socket_addrs()
        .map_err(|e| io_err("resolve", e))?
        .next()
        .ok_or_else(|| SendError::Transient(format!("{} has no address", cfg.host)))?;
    let tcp = TcpStream::connect_timeout(&addr, cfg.timeout).map_err(|e| io_err("connect", e))?;
    tcp.set_read_timeout(Some(cfg.timeout)).and_then(|()| tcp.set_write_timeout(Some(cfg.timeout))).map_err(|e| io_err("socket", e))?;
    let helo = format!("EHLO {}", from.rsplit_once('@').map_or("khien", |(_, d)| d));
    let mut s = Session { io: BufReader::new(Box::new(tcp.try_clone().map_err(|e| io_err("socket", e))?)) };
    s.expect(None, &[220])?;
    let caps = s.expect(Some(&helo), &[250])?;
    if cfg.starttls {
        if !caps.lines().any(|l| l.trim().eq_ignore_ascii_case("STARTTLS")) {
            return Err(SendError::Permanent("the server does not offer STARTTLS (smtp_starttls = true)".into()));
        }
        s.expect(Some("STARTTLS"), &[220])?;
        // The plain stream is done with: the TLS session runs over the same socket.
        drop(s);
        s = Session { io: BufReader::new(tls(&cfg.host, tcp)?) };
        s.expect(Some(&helo), &[250])?;
    }
    s.expect(Some(&format!("MAIL FROM:<{from}>")), &[250])?;
    s.expect(Some(&format!("RCPT TO:<{to}>")), &[250, 251])?;
    s.expect(Some("DATA"), &[354])?;
    let msg = message(from, to, subject, body, message_id, date);
    let mut data = String::with_capacity(msg.len() + 64);
    for line in msg.split_inclusive("\r\n") {
        // Dot-stuffing (RFC 5321 §4.5.2).
        if line.starts_with('.') {
            data.push('.');
        }
        data.push_str(line);
    }
    data.push_str(".\r\n");
    let w = s.io.get_mut();
    w.write_all(data.as_bytes()).and_then(|()| w.flush()).map_err(|e| io_err("write", e))?;
    s.expect(None, &[250])?;
    // The message is accepted; a failed QUIT changes nothing.
    let _ = s.expect(Some("QUIT"), &[221]);
    Ok(())
}

/// E-mails a sender claims at once.
const CLAIM: i64 = 50;
/// A claim this old belongs to a sender that died: another takes it over.
pub const STALE_CLAIM: Duration = Duration::from_secs(15 * 60);

/// What one pass over the outbox did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Delivery {
    pub sent: usize,
    pub failed: usize,
}

/// Sends what waits in the outbox, until it is empty or a pass sends nothing.
pub async fn drain_outbox(store: &Store, cfg: &SmtpConfig) -> anyhow::Result<Delivery> {
    let mut total = Delivery::default();
    loop {
        let batch = store.claim_mail(STALE_CLAIM, CLAIM).await?;
        if batch.is_empty() {
            return Ok(total);
        }
        let mut sent_now = 0;
        for m in batch {
            match deliver(cfg, &m, store.now()).await {
                Ok(()) => {
                    if store.mail_sent(&m).await? {
                        sent_now += 1;
                    }
                }
                Err(e) => {
                    tracing::warn!(mail = %m.id, error = %e, "e-mail not sent");
                    store.mail_failed(&m, &e.to_string(), matches!(e, SendError::Permanent(_))).await?;
                    total.failed += 1;
                }
            }
        }
        total.sent += sent_now;
        if sent_now == 0 {
            return Ok(total);
        }
    }
}

async fn deliver(cfg: &SmtpConfig, m: &OutgoingMail, now: OffsetDateTime) -> Result<(), SendError> {
    let (cfg, m) = (cfg.clone(), m.clone());
    tokio::task::spawn_blocking(move || send(&cfg, &m.to, &m.subject, &m.body, &m.id, now))
        .await
        .map_err(|e| SendError::Transient(format!("sender thread: {e}")))?
}
