//! Accounts: what makes a username, a profile and a password acceptable, and what an API
//! token may do. The web forms, the command line and the store all ask these functions,
//! so a rule changes in one place. Errors are catalogue keys, never the password itself.

use std::collections::HashSet;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use crate::error::{Invalid, optional_email};
use crate::roles::Role;

pub const PASSWORD_MIN_CHARS: usize = 12;
/// Long enough for any passphrase; bounded so a megabyte "password" is not hashed.
pub const PASSWORD_MAX_CHARS: usize = 256;
const DISPLAY_NAME_MAX: usize = 120;

/// What an administrator (or `khien user add`) types to create an account.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct UserInput {
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub role: String,
    pub password: String,
}

/// A validated account, without its password (which only the caller hashes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserFields {
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub role: Role,
}

impl UserInput {
    /// Every problem at once, the password policy included.
    pub fn validate(&self) -> Result<UserFields, Invalid> {
        let mut e = Invalid::default();
        let username = username(&mut e, &self.username);
        let display_name = display_name(&mut e, &self.display_name);
        let email = optional_email(&mut e, "email", &self.email);
        let role = Role::parse(self.role.trim());
        if role.is_none() {
            e.push("role", "err.choice", self.role.clone());
        }
        if let Some(key) = password_problem(&self.password, &username) {
            e.push("password", key, "");
        }
        e.into_result(UserFields {
            username,
            display_name,
            email,
            role: role.unwrap_or(Role::Viewer),
        })
    }
}

/// The profile rules alone, for a store that receives an already hashed password.
pub fn check_profile(
    username_raw: &str,
    display_name_raw: &str,
    email: Option<&str>,
) -> Result<(), Invalid> {
    let mut e = Invalid::default();
    let u = username(&mut e, username_raw);
    if u != username_raw {
        // The store keeps names exactly as validated: lowercase, no padding.
        e.push("username", "users.bad_username", username_raw);
    }
    display_name(&mut e, display_name_raw);
    optional_email(&mut e, "email", email.unwrap_or(""));
    e.into_result(())
}

/// Usernames are compared and stored in lowercase.
pub fn normalise_username(raw: &str) -> String {
    raw.trim().to_lowercase()
}

/// 3–40 characters of a–z, 0–9, `.`, `_`, `-`: safe in URLs, logs and audit entries.
pub fn valid_username(u: &str) -> bool {
    (3..=40).contains(&u.len())
        && u.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
}

fn username(e: &mut Invalid, raw: &str) -> String {
    let u = normalise_username(raw);
    if !valid_username(&u) {
        e.push("username", "users.bad_username", u.clone());
    }
    u
}

fn display_name(e: &mut Invalid, raw: &str) -> String {
    let v = raw.trim();
    if v.is_empty() || v.chars().count() > DISPLAY_NAME_MAX {
        e.push("display_name", "users.bad_name", "");
    }
    v.to_string()
}

static COMMON: LazyLock<HashSet<String>> = LazyLock::new(|| {
    include_str!("../data/common-passwords.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(crate::text::fold)
        .collect()
});

/// Why a new password is refused, as a catalogue key; `None` when it is acceptable.
/// Checked where the password is still in clear: a form, the command line.
pub fn password_problem(password: &str, username: &str) -> Option<&'static str> {
    let chars = password.chars().count();
    if password.chars().all(char::is_whitespace) {
        return Some("password.blank");
    }
    if chars < PASSWORD_MIN_CHARS {
        return Some("password.too_short");
    }
    if chars > PASSWORD_MAX_CHARS {
        return Some("password.too_long");
    }
    // Folded (lowercase, no diacritics) and without spaces, so "Mật Khẩu 123" is
    // recognised as "matkhau123" and "NguyenVanA 2026" as containing "nguyenvana".
    let folded = crate::text::fold(password);
    let squeezed: String = folded.chars().filter(|c| !c.is_whitespace()).collect();
    let user = normalise_username(username);
    if !user.is_empty() && (squeezed.contains(&user) || folded.contains(&user)) {
        return Some("password.has_username");
    }
    if COMMON.contains(&folded) || COMMON.contains(&squeezed) {
        return Some("password.common");
    }
    None
}

/// What an API token may change. Every scope may read; writes need the scope that names
/// them. Enforced once, where a token is turned into a principal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenScope {
    /// Reads only: dashboards, SIEM exports, inventory checks.
    Read,
    /// Reads, and reports threat hunts (`khien hunt --report-to`).
    Hunts,
    /// Reads, and writes the inventory: units, systems, scanner imports.
    Imports,
    /// Reads, and sends alerts from a SOC/SIEM or monitoring provider.
    Alerts,
}

impl TokenScope {
    pub const ALL: [TokenScope; 4] = [
        TokenScope::Read,
        TokenScope::Hunts,
        TokenScope::Imports,
        TokenScope::Alerts,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TokenScope::Read => "read",
            TokenScope::Hunts => "hunts",
            TokenScope::Imports => "imports",
            TokenScope::Alerts => "alerts",
        }
    }

    pub fn parse(s: &str) -> Option<TokenScope> {
        TokenScope::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The API paths (and everything below them) this scope may write.
    fn writes(self) -> &'static [&'static str] {
        match self {
            TokenScope::Read => &[],
            TokenScope::Hunts => &["/api/v1/hunts"],
            TokenScope::Imports => &["/api/v1/units", "/api/v1/systems", "/api/v1/imports"],
            TokenScope::Alerts => &["/api/v1/alerts"],
        }
    }

    /// May a request with this method and path go ahead under this scope?
    pub fn permits(self, method: &str, path: &str) -> bool {
        if matches!(method, "GET" | "HEAD" | "OPTIONS") {
            return true;
        }
        self.writes().iter().any(|prefix| {
            path.strip_prefix(prefix)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        })
    }
}

/// Sign-in throttling: this many failures (wrong passwords and wrong second-factor codes
/// alike) within the window lock an account, or an address, until the window has moved
/// past them. Attempts made during a lock are refused and not counted, so nobody can keep
/// an account locked for ever by trying every few minutes.
pub const FAILURES_PER_ACCOUNT: i64 = 5;
pub const FAILURES_PER_ADDRESS: i64 = 30;
pub const FAILURE_WINDOW_SECS: i64 = 15 * 60;

pub const TOKEN_DAYS_DEFAULT: i64 = 90;
pub const TOKEN_DAYS_MAX: i64 = 365;

/// A token's lifetime in days as chosen at creation: 90 when left empty, at most a year.
pub fn token_days(raw: &str) -> Result<i64, &'static str> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(TOKEN_DAYS_DEFAULT);
    }
    match raw.parse::<i64>() {
        Ok(d) if (1..=TOKEN_DAYS_MAX).contains(&d) => Ok(d),
        _ => Err("account.token_days"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(password: &str) -> UserInput {
        UserInput {
            username: " Nguyen.VanA ".into(),
            display_name: "Nguyễn Văn A".into(),
            email: "a@example.gov.vn".into(),
            role: "unit_staff".into(),
            password: password.into(),
        }
    }

    #[test]
    fn password_policy() {
        let cases = [
            ("          ", Some("password.blank")),
            ("              ", Some("password.blank")),
            ("ngắn quá", Some("password.too_short")),
            ("Abc-12345!x", Some("password.too_short")),
            ("matkhau12345", Some("password.common")),
            ("Mật Khẩu 12345", Some("password.common")),
            ("PASSWORD1234", Some("password.common")),
            ("qwertyuiop123", Some("password.common")),
            ("anh yeu em nhieu", Some("password.common")),
            ("toi la nguyen.vana day", Some("password.has_username")),
            ("NGUYEN.VANA-2026!", Some("password.has_username")),
            ("đồng hồ cát chảy 7 giờ", None),
            ("Khien-Thu-Nghiem-2026", None),
        ];
        for (p, want) in cases {
            assert_eq!(password_problem(p, "nguyen.vana"), want, "{p:?}");
        }
        assert_eq!(
            password_problem(&"x".repeat(PASSWORD_MAX_CHARS + 1), "u"),
            Some("password.too_long")
        );
        assert!(COMMON.len() >= 200, "{} common passwords", COMMON.len());
    }

    #[test]
    fn user_input_reports_every_problem() {
        let ok = input("đồng hồ cát chảy 7 giờ").validate().unwrap();
        assert_eq!(ok.username, "nguyen.vana");
        assert_eq!(ok.role, Role::UnitStaff);
        let bad = UserInput {
            username: "a b".into(),
            display_name: "  ".into(),
            email: "not-an-email".into(),
            role: "god".into(),
            password: "matkhau123".into(),
        }
        .validate()
        .unwrap_err();
        let keys: Vec<_> = bad.errors.iter().map(|e| (e.field, e.key)).collect();
        assert_eq!(
            keys,
            [
                ("username", "users.bad_username"),
                ("display_name", "users.bad_name"),
                ("email", "err.email"),
                ("role", "err.choice"),
                ("password", "password.too_short"),
            ]
        );
        assert!(
            bad.errors.iter().all(|e| !e.detail.contains("matkhau")),
            "the password is never echoed"
        );
        assert!(check_profile("nguyen.vana", "Nguyễn Văn A", None).is_ok());
        assert!(check_profile("Nguyen.VanA", "Nguyễn Văn A", None).is_err());
        assert!(check_profile("nguyen.vana", "", Some("x@y.vn")).is_err());
    }

    #[test]
    fn token_scopes_and_lifetimes() {
        use TokenScope::*;
        for s in TokenScope::ALL {
            assert!(s.permits("GET", "/api/v1/systems"));
            assert_eq!(TokenScope::parse(s.as_str()), Some(s));
        }
        assert!(!Read.permits("POST", "/api/v1/hunts"));
        assert!(!Read.permits("PUT", "/api/v1/systems/x"));
        assert!(Hunts.permits("POST", "/api/v1/hunts"));
        assert!(!Hunts.permits("POST", "/api/v1/huntsx"));
        assert!(!Hunts.permits("POST", "/api/v1/systems"));
        assert!(Imports.permits("PUT", "/api/v1/systems/x"));
        assert!(Imports.permits("POST", "/api/v1/units"));
        assert!(!Imports.permits("POST", "/api/v1/hunts"));
        assert!(Alerts.permits("POST", "/api/v1/alerts/abc/promote"));
        assert!(!Alerts.permits("POST", "/api/v1/incidents"));
        assert!(!Imports.permits("POST", "/api/v1/alerts"));
        assert_eq!(token_days(""), Ok(90));
        assert_eq!(token_days("365"), Ok(365));
        assert!(token_days("366").is_err() && token_days("0").is_err() && token_days("x").is_err());
    }
}
