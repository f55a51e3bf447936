//! Fields extracted from sshd, sudo and su messages.

use std::sync::LazyLock;

use regex::Regex;
use serde_json::{Map, Value};

struct Pat {
    event: &'static str,
    /// A literal the message must contain (cheap check before the regex).
    needle: &'static str,
    re: Option<Regex>,
}

fn pat(event: &'static str, p: &str) -> Pat {
    let needle = match event {
        "failed_password" => "Failed ",
        "accepted" => "Accepted ",
        "invalid_user" => "Invalid user ",
        "break_in_attempt" => "BREAK-IN",
        "too_many_failures" | "auth_failure" => "authentication failure",
        "session_opened" => "session opened",
        "session_closed" => "session closed",
        "disconnect" => "Received disconnect",
        "connection_closed" => "Connection closed",
        "no_identification" => "Did not receive",
        "su" => "(to ",
        _ => "",
    };
    Pat {
        event,
        needle,
        re: Regex::new(p).ok(),
    }
}

/// sshd / PAM patterns, first match wins. Named groups become fields.
static SSHD: LazyLock<Vec<Pat>> = LazyLock::new(|| {
    vec![
        pat(
            "failed_password",
            r"^(?:message repeated \d+ times: \[ )?Failed (?:password|publickey|none|keyboard-interactive/pam) for (?P<invalid>invalid user )?(?P<user>.*?) from (?P<src_ip>\S+) port (?P<src_port>\d+)",
        ),
        pat(
            "accepted",
            r"^Accepted (?P<method>\S+) for (?P<user>\S+) from (?P<src_ip>\S+) port (?P<src_port>\d+)",
        ),
        pat(
            "invalid_user",
            r"^Invalid user (?P<user>.*?) from (?P<src_ip>\S+)(?: port (?P<src_port>\d+))?\s*$",
        ),
        pat("break_in_attempt", r"POSSIBLE BREAK-IN ATTEMPT"),
        pat(
            "too_many_failures",
            r"(?:Too many authentication failures for (?P<user>\S+)|more authentication failures?;.*?rhost=(?P<src_ip>\S*))",
        ),
        pat(
            "auth_failure",
            r"authentication failure;.*?rhost=(?P<src_ip>\S*)(?:\s+user=(?P<user>\S+))?",
        ),
        pat("session_opened", r"session opened for user (?P<user>\S+)"),
        pat("session_closed", r"session closed for user (?P<user>\S+)"),
        pat(
            "disconnect",
            r"Received disconnect from (?P<src_ip>\S+?)(?::| port)",
        ),
        pat(
            "connection_closed",
            r"Connection closed by (?:authenticating user \S+ )?(?P<src_ip>\S+)",
        ),
        pat(
            "no_identification",
            r"Did not receive identification string from (?P<src_ip>\S+)",
        ),
    ]
});

static BREAKIN_IP: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"\[(?P<src_ip>[0-9a-fA-F:.]+)\]").ok());
static SUDO: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"^\s*(?P<user>\S+) : (?:(?P<reason>[^;]*?) ; )?TTY=(?P<tty>[^;]*) ; PWD=(?P<pwd>[^;]*) ; USER=(?P<target_user>[^;]*) ;(?: .*?;)* COMMAND=(?P<command>.*)$").ok()
});
static SU: LazyLock<Vec<Pat>> = LazyLock::new(|| {
    vec![
        pat(
            "su_failed",
            r"(?:FAILED su for (?P<target_user>\S+) by (?P<user>\S+)|'su (?P<target_user2>\S+)' failed for (?P<user2>\S+))",
        ),
        pat("su", r"\(to (?P<target_user>\S+)\) (?P<user>\S+) on"),
        pat(
            "session_opened",
            r"session opened for user (?P<target_user>\S+) by (?P<user>\S*)",
        ),
        pat(
            "auth_failure",
            r"authentication failure;.*?ruser=(?P<user>\S*)",
        ),
    ]
});

fn apply(pats: &[Pat], msg: &str, f: &mut Map<String, Value>) -> bool {
    for p in pats {
        if !msg.contains(p.needle) {
            continue;
        }
        let Some(re) = &p.re else { continue };
        let Some(c) = re.captures(msg) else { continue };
        f.insert("auth_event".into(), Value::String(p.event.into()));
        for name in re.capture_names().flatten() {
            if let Some(m) = c.name(name) {
                let key = name.trim_end_matches('2');
                if name == "invalid" {
                    f.insert("invalid_user".into(), Value::String("true".into()));
                } else if !m.as_str().is_empty() {
                    f.insert(key.into(), Value::String(m.as_str().into()));
                }
            }
        }
        return true;
    }
    false
}

fn apply_named(pats: &[Pat], event: &str, msg: &str, f: &mut Map<String, Value>) -> bool {
    pats.iter()
        .position(|p| p.event == event)
        .is_some_and(|i| apply(&pats[i..=i], msg, f))
}

/// Adds program-specific fields to `f`.
pub fn extract(program: &str, msg: &str, f: &mut Map<String, Value>) {
    let msg = msg.trim_start();
    let msg = msg
        .strip_prefix("pam_unix(")
        .and_then(|m| m.split_once("): "))
        .map_or(msg, |(_, rest)| rest);
    match program {
        "sshd" => {
            if apply(&SSHD, msg, f)
                && f.get("auth_event").and_then(Value::as_str) == Some("break_in_attempt")
                && let Some(c) = BREAKIN_IP.as_ref().and_then(|r| r.captures(msg))
                && let Some(m) = c.name("src_ip")
            {
                f.insert("src_ip".into(), Value::String(m.as_str().into()));
            }
        }
        "sudo" => {
            if let Some(c) = SUDO.as_ref().and_then(|r| r.captures(msg)) {
                f.insert("auth_event".into(), Value::String("sudo".into()));
                for name in ["user", "reason", "tty", "pwd", "target_user", "command"] {
                    if let Some(m) = c.name(name) {
                        f.insert(name.into(), Value::String(m.as_str().trim().into()));
                    }
                }
            } else {
                apply_named(&SSHD, "auth_failure", msg, f);
            }
        }
        "su" => {
            apply(&SU, msg, f);
        }
        _ => {
            // Other PAM users (login, ftpd, ...) still report auth failures.
            apply_named(&SSHD, "auth_failure", msg, f);
        }
    }
}
