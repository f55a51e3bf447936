//! Users, sessions, API tokens and sign-in throttling. Secrets never reach this layer in
//! clear: it stores argon2id password hashes and sha256 hashes of session and API tokens.

use khien_domain::users::{
    FAILURE_WINDOW_SECS, FAILURES_PER_ACCOUNT, FAILURES_PER_ADDRESS, TokenScope, check_profile,
};
use khien_domain::{Principal, Role};
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::{Actor, RunInTx, WriteTx};
use crate::error::{Result, StoreError};
use crate::scope::ReadExt;
use crate::sql::Sql;
use crate::{Scoped, Store, new_id};

/// A user account.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct User {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub role: Role,
    pub unit_id: String,
    pub unit_name: String,
    pub active: bool,
    pub totp_enabled: bool,
    pub created_at: String,
}

/// A user's stored credentials, for sign-in only.
pub struct Credentials {
    pub user: User,
    pub password_hash: String,
    pub totp_secret: Option<String>,
    pub unit_path: String,
}

pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub password_hash: String,
    pub role: Role,
    pub unit_id: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SessionInfo {
    pub id_hash: String,
    pub created_at: String,
    pub last_seen_at: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// What a valid session cookie resolves to.
pub struct SessionState {
    pub principal: Principal,
    pub csrf_token: String,
    pub totp_pending: bool,
    pub expires_at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ApiToken {
    pub id: String,
    pub name: String,
    pub scope: TokenScope,
    pub created_at: String,
    pub expires_at: String,
    pub last_used_at: Option<String>,
}

impl ApiToken {
    /// Expired tokens stay listed (so their owner sees why a script stopped) until revoked.
    pub fn expired_at(&self, now: &str) -> bool {
        self.expires_at.as_str() <= now
    }
}

pub struct NewApiToken {
    pub name: String,
    /// sha256 of the token; the token itself is shown once and never stored.
    pub token_hash: String,
    pub scope: TokenScope,
    pub days: i64,
}

/// One sign-in attempt, already counted against its account and address (see
/// [`Store::begin_sign_in`]). Dropping it leaves it counted: that is a failure.
#[must_use]
pub struct Attempt {
    ids: Vec<String>,
}

/// A token's `last_used_at` is written at most this often.
pub const TOKEN_TOUCH_MINUTES: i64 = 5;

fn account_key(username: &str) -> String {
    format!("user:{username}")
}

fn api_token_from_row(r: &AnyRow) -> Result<ApiToken> {
    let scope: String = r.try_get("scope")?;
    Ok(ApiToken {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        scope: TokenScope::parse(&scope).ok_or(StoreError::Corrupt("token scope", scope))?,
        created_at: r.try_get("created_at")?,
        expires_at: r.try_get("expires_at")?,
        last_used_at: r.try_get("last_used_at")?,
    })
}

const USER_COLS: &str = "us.id, us.username, us.display_name, us.email, us.role, us.unit_id, us.active, us.totp_secret, us.created_at, us.password_hash, un.name AS unit_name, un.path AS unit_path";
const USER_FROM: &str = " FROM users us JOIN units un ON un.id = us.unit_id";

fn user_from_row(r: &AnyRow) -> Result<User> {
    let role: String = r.try_get("role")?;
    Ok(User {
        id: r.try_get("id")?,
        username: r.try_get("username")?,
        display_name: r.try_get("display_name")?,
        email: r.try_get("email")?,
        role: Role::parse(&role).ok_or_else(|| StoreError::Corrupt("role", role.clone()))?,
        unit_id: r.try_get("unit_id")?,
        unit_name: r.try_get("unit_name")?,
        active: r.try_get::<i16, _>("active")? != 0,
        totp_enabled: r.try_get::<Option<String>, _>("totp_secret")?.is_some(),
        created_at: r.try_get("created_at")?,
    })
}

fn principal(u: &User, unit_path: String) -> Principal {
    Principal {
        user_id: u.id.clone(),
        username: u.username.clone(),
        display_name: u.display_name.clone(),
        role: u.role,
        unit_id: u.unit_id.clone(),
        unit_path,
    }
}

/// How a person who acted is named in histories: their name and position (role and
/// unit), instead of the username the records keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub display_name: String,
    pub role: Role,
    pub unit_name: String,
}

impl Scoped<'_> {
    /// The people behind `usernames` (as histories record them), as they are now. Names
    /// and positions of whoever acted on what this principal sees are not confidential
    /// (an approver, an appraiser), so this is not restricted to the scope.
    pub async fn people(
        &self,
        usernames: &[&str],
    ) -> Result<std::collections::HashMap<String, Person>> {
        let mut out = std::collections::HashMap::new();
        let mut wanted: Vec<&str> = usernames.to_vec();
        wanted.sort_unstable();
        wanted.dedup();
        for chunk in wanted.chunks(200) {
            let mut sql = Sql::new(&format!("SELECT us.username, us.display_name, us.role, un.name AS unit_name{USER_FROM} WHERE us.username IN ("));
            for (i, u) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.text(*u);
            }
            sql.push(")");
            for r in sql.query().all(self).await? {
                let role: String = r.try_get("role")?;
                out.insert(
                    r.try_get("username")?,
                    Person {
                        display_name: r.try_get("display_name")?,
                        role: Role::parse(&role)
                            .ok_or_else(|| StoreError::Corrupt("user role", role.clone()))?,
                        unit_name: r.try_get("unit_name")?,
                    },
                );
            }
        }
        Ok(out)
    }

    pub async fn users(&self) -> Result<Vec<User>> {
        let mut sql = Sql::new(&format!("SELECT {USER_COLS}{USER_FROM} WHERE 1=1"));
        self.restrict(&mut sql, &["un.path"]);
        sql.push(" ORDER BY us.username");
        let rows = sql.query().all(self).await?;
        rows.iter().map(user_from_row).collect()
    }

    pub async fn user(&self, id: &str) -> Result<User> {
        let mut sql = Sql::new(&format!("SELECT {USER_COLS}{USER_FROM} WHERE us.id = "));
        sql.text(id);
        self.restrict(&mut sql, &["un.path"]);
        let row = sql.query().opt(self).await?.ok_or(StoreError::NotFound)?;
        user_from_row(&row)
    }

    pub async fn create_user(&self, new: NewUser) -> Result<User> {
        check_profile(&new.username, &new.display_name, new.email.as_deref())?;
        let mut tx = self.write().await?;
        let unit = self.within(&tx).unit(&new.unit_id).await?;
        // Lock the unit's row (and re-check it is active) so a concurrent deactivation,
        // which counts the unit's users under the same lock, cannot miss this user:
        // without it PostgreSQL's read-committed lets both land (write skew).
        let active = sqlx::query("UPDATE units SET updated_at = updated_at WHERE id = $1 AND active = 1")
            .bind(unit.id.clone())
            .run(&tx)
            .await?;
        if active != 1 {
            return Err(StoreError::Conflict("err.unit_scope"));
        }
        let id = new_id();
        let now = tx.at().to_string();
        sqlx::query(
            "INSERT INTO users (id, username, display_name, email, password_hash, role, unit_id, active, created_at, password_changed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $9)",
        )
        .bind(id.clone())
        .bind(new.username.clone())
        .bind(new.display_name.clone())
        .bind(new.email.clone())
        .bind(new.password_hash)
        .bind(new.role.as_str().to_string())
        .bind(unit.id.clone())
        .bind(now.clone())
        .bind(now.clone())
        .run(&tx)
        .await
        .map_err(|e| StoreError::unique(e, "err.username_taken"))?;
        let user = User {
            id: id.clone(),
            username: new.username,
            display_name: new.display_name,
            email: new.email,
            role: new.role,
            unit_id: unit.id.clone(),
            unit_name: unit.fields.name.clone(),
            active: true,
            totp_enabled: false,
            created_at: now,
        };
        tx.record(
            "create",
            "user",
            &id,
            (&unit.id, &unit.path),
            None::<&User>,
            Some(&user),
        )
        .await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Disabling a user also ends all their sessions and revokes their API tokens.
    pub async fn set_user_active(&self, id: &str, active: bool) -> Result<User> {
        let mut tx = self.write().await?;
        let r = self.within(&tx);
        let before = r.user(id).await?;
        let unit = r.unit(&before.unit_id).await?;
        let changed = sqlx::query("UPDATE users SET active = $1 WHERE id = $2 AND active = $3")
            .bind(i16::from(active))
            .bind(id.to_string())
            .bind(i16::from(!active))
            .run(&tx)
            .await?;
        crate::one_row(changed)?;
        if !active {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(id.to_string())
                .run(&tx)
                .await?;
            sqlx::query("UPDATE api_tokens SET revoked = 1 WHERE user_id = $1")
                .bind(id.to_string())
                .run(&tx)
                .await?;
        }
        let after = User {
            active,
            ..before.clone()
        };
        tx.record(
            if active { "enable" } else { "disable" },
            "user",
            id,
            (&unit.id, &unit.path),
            Some(&before),
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }
}

impl Scoped<'_> {
    /// Lifts a sign-in lock by forgetting the account's recent failures; returns how
    /// many there were. Audited, whoever asks (the CLI asks as the platform).
    pub async fn unlock_user(&self, id: &str) -> Result<u64> {
        let mut tx = self.write().await?;
        let r = self.within(&tx);
        let user = r.user(id).await?;
        let unit = r.unit(&user.unit_id).await?;
        let n = sqlx::query("DELETE FROM login_failures WHERE throttle_key = $1")
            .bind(account_key(&user.username))
            .run(&tx)
            .await?;
        tx.record(
            "unlock",
            "user",
            id,
            (&unit.id, &unit.path),
            None::<&()>,
            None::<&()>,
        )
        .await?;
        tx.commit().await?;
        Ok(n)
    }
}

/// Records an event on a user's own account (sign-in, password, second factor). The
/// entry names the event, never the secret.
async fn user_event(tx: &mut WriteTx, action: &str, user: &User, unit_path: &str) -> Result<()> {
    tx.record(
        action,
        "user",
        &user.id,
        (&user.unit_id, unit_path),
        None::<&()>,
        None::<&()>,
    )
    .await
}

impl Store {
    /// A view with province scope acting as the platform itself (CLI, demo, sign-in).
    pub fn as_system(&self) -> Scoped<'_> {
        let p = Principal {
            user_id: "system".into(),
            username: "system".into(),
            display_name: "system".into(),
            role: Role::ProvinceAdmin,
            unit_id: String::new(),
            unit_path: "/".into(),
        };
        self.scoped(&p)
    }

    pub async fn credentials(&self, username: &str) -> Result<Option<Credentials>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLS}{USER_FROM} WHERE us.username = $1"
        )))
        .bind(username.to_string())
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else { return Ok(None) };
        Ok(Some(Credentials {
            user: user_from_row(&r)?,
            password_hash: r.try_get("password_hash")?,
            totp_secret: r.try_get("totp_secret")?,
            unit_path: r.try_get("unit_path")?,
        }))
    }

    async fn user_write(&self, user_id: &str) -> Result<(WriteTx, User, String)> {
        let creds = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLS}{USER_FROM} WHERE us.id = $1"
        )))
        .bind(user_id.to_string())
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        let user = user_from_row(&creds)?;
        let path: String = creds.try_get("unit_path")?;
        let actor = Actor {
            id: user.id.clone(),
            name: user.username.clone(),
            address: None,
        };
        Ok((WriteTx::begin(self, actor).await?, user, path))
    }

    /// Sets a new password hash, ends every other session of the user and revokes all
    /// their API tokens: whoever knew the old password may have made one.
    pub async fn set_password(
        &self,
        user_id: &str,
        hash: &str,
        keep_session: Option<&str>,
    ) -> Result<()> {
        let (mut tx, user, path) = self.user_write(user_id).await?;
        let at = tx.at().to_string();
        sqlx::query("UPDATE users SET password_hash = $1, password_changed_at = $2 WHERE id = $3")
            .bind(hash.to_string())
            .bind(at)
            .bind(user_id.to_string())
            .run(&tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2")
            .bind(user_id.to_string())
            .bind(keep_session.unwrap_or("").to_string())
            .run(&tx)
            .await?;
        sqlx::query("UPDATE api_tokens SET revoked = 1 WHERE user_id = $1 AND revoked = 0")
            .bind(user_id.to_string())
            .run(&tx)
            .await?;
        user_event(&mut tx, "password_change", &user, &path).await?;
        tx.commit().await
    }

    /// The secret proposed to this session for enrolment: the one already proposed, or
    /// `fresh` when there is none yet (so reloading the page shows the same QR code).
    pub async fn totp_enrolment(&self, id_hash: &str, fresh: &str) -> Result<String> {
        if let Some(shown) = self.pending_totp_secret(id_hash).await? {
            return Ok(shown);
        }
        // Conditional, so two tabs opened at once end up showing the same secret.
        sqlx::query(
            "UPDATE sessions SET totp_enrol_secret = $1 WHERE id_hash = $2 AND totp_enrol_secret IS NULL",
        )
        .bind(fresh.to_string())
        .bind(id_hash.to_string())
        .execute(&self.writer)
        .await?;
        self.pending_totp_secret(id_hash)
            .await?
            .ok_or(StoreError::NotFound)
    }

    /// The secret this session was shown at enrolment, if any.
    pub async fn pending_totp_secret(&self, id_hash: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT totp_enrol_secret FROM sessions WHERE id_hash = $1")
            .bind(id_hash.to_string())
            .fetch_optional(&self.writer)
            .await?;
        Ok(match row {
            Some(r) => r.try_get("totp_enrol_secret")?,
            None => None,
        })
    }

    /// Turns the second factor on with the secret the user's authenticator proved to
    /// hold; `step` is the time step of the confirming code, which cannot be used again.
    pub async fn enable_totp(&self, user_id: &str, secret: &str, step: i64) -> Result<()> {
        let (mut tx, user, path) = self.user_write(user_id).await?;
        let n = sqlx::query(
            "UPDATE users SET totp_secret = $1, totp_last_step = $2 WHERE id = $3 AND totp_secret IS NULL",
        )
        .bind(secret.to_string())
        .bind(step)
        .bind(user_id.to_string())
        .run(&tx)
        .await?;
        if n != 1 {
            return Err(StoreError::Conflict("err.concurrent"));
        }
        sqlx::query("UPDATE sessions SET totp_enrol_secret = NULL WHERE user_id = $1")
            .bind(user_id.to_string())
            .run(&tx)
            .await?;
        user_event(&mut tx, "totp_enable", &user, &path).await?;
        tx.commit().await
    }

    /// Turns the second factor off. The last used step stays: codes only move forward.
    pub async fn disable_totp(&self, user_id: &str) -> Result<()> {
        let (mut tx, user, path) = self.user_write(user_id).await?;
        let n = sqlx::query(
            "UPDATE users SET totp_secret = NULL WHERE id = $1 AND totp_secret IS NOT NULL",
        )
        .bind(user_id.to_string())
        .run(&tx)
        .await?;
        if n != 1 {
            return Ok(());
        }
        user_event(&mut tx, "totp_disable", &user, &path).await?;
        tx.commit().await
    }

    /// A new session. Signing in is audited here only when no second factor is owed;
    /// otherwise [`Store::complete_totp`] audits it.
    #[allow(clippy::too_many_arguments)]
    pub async fn create_session(
        &self,
        user_id: &str,
        id_hash: &str,
        csrf: &str,
        totp_pending: bool,
        expires_at: &str,
        ip: Option<&str>,
        user_agent: Option<&str>,
    ) -> Result<()> {
        let (mut tx, user, path) = self.user_write(user_id).await?;
        let now = tx.at().to_string();
        sqlx::query("INSERT INTO sessions (id_hash, user_id, csrf_token, totp_pending, created_at, last_seen_at, expires_at, ip, user_agent) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
            .bind(id_hash.to_string())
            .bind(user_id.to_string())
            .bind(csrf.to_string())
            .bind(i16::from(totp_pending))
            .bind(now.clone())
            .bind(now)
            .bind(expires_at.to_string())
            .bind(ip.map(String::from))
            .bind(user_agent.map(|s| s.chars().take(300).collect::<String>()))
            .run(&tx)
            .await?;
        if !totp_pending {
            user_event(&mut tx, "login", &user, &path).await?;
        }
        tx.commit().await
    }

    /// Resolves a session; expired sessions and disabled users resolve to nothing.
    pub async fn session(&self, id_hash: &str) -> Result<Option<SessionState>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLS}, se.csrf_token, se.totp_pending, se.expires_at FROM sessions se JOIN users us ON us.id = se.user_id JOIN units un ON un.id = us.unit_id WHERE se.id_hash = $1 AND us.active = 1"
        )))
        .bind(id_hash.to_string())
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else { return Ok(None) };
        let expires_at: String = r.try_get("expires_at")?;
        if expires_at <= self.now_text() {
            return Ok(None);
        }
        let user = user_from_row(&r)?;
        Ok(Some(SessionState {
            principal: principal(&user, r.try_get("unit_path")?),
            csrf_token: r.try_get("csrf_token")?,
            totp_pending: r.try_get::<i16, _>("totp_pending")? != 0,
            expires_at,
        }))
    }

    /// Slides the idle expiry forward. Not audited: it is bookkeeping, not a change.
    pub async fn touch_session(&self, id_hash: &str, expires_at: &str) -> Result<()> {
        sqlx::query("UPDATE sessions SET last_seen_at = $1, expires_at = $2 WHERE id_hash = $3")
            .bind(self.now_text())
            .bind(expires_at.to_string())
            .bind(id_hash.to_string())
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// Completes a sign-in with a code of time step `step`. The step must be later than
    /// the last one accepted for this account, checked and moved in the same statement,
    /// so a code (or an earlier one) cannot be replayed, even by two requests at once.
    /// `false` when the code was already used or the session is no longer pending.
    pub async fn complete_totp(
        &self,
        user_id: &str,
        id_hash: &str,
        step: i64,
        expires_at: &str,
    ) -> Result<bool> {
        let (mut tx, user, path) = self.user_write(user_id).await?;
        let fresh = sqlx::query(
            "UPDATE users SET totp_last_step = $1 WHERE id = $2 AND totp_last_step < $1 AND totp_secret IS NOT NULL",
        )
        .bind(step)
        .bind(user_id.to_string())
        .run(&tx)
        .await?;
        if fresh != 1 {
            return Ok(false);
        }
        let completed = sqlx::query(
            "UPDATE sessions SET totp_pending = 0, expires_at = $1 WHERE id_hash = $2 AND user_id = $3 AND totp_pending = 1",
        )
        .bind(expires_at.to_string())
        .bind(id_hash.to_string())
        .bind(user_id.to_string())
        .run(&tx)
        .await?;
        if completed != 1 {
            return Ok(false);
        }
        user_event(&mut tx, "login", &user, &path).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Drops a session that never finished signing in. Not audited: nobody signed in.
    pub async fn discard_pending_session(&self, id_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1 AND totp_pending = 1")
            .bind(id_hash.to_string())
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    pub async fn sessions_of(&self, user_id: &str) -> Result<Vec<SessionInfo>> {
        let rows = sqlx::query("SELECT id_hash, created_at, last_seen_at, ip, user_agent FROM sessions WHERE user_id = $1 AND expires_at > $2 ORDER BY last_seen_at DESC")
            .bind(user_id.to_string())
            .bind(self.now_text())
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(SessionInfo {
                    id_hash: r.try_get("id_hash")?,
                    created_at: r.try_get("created_at")?,
                    last_seen_at: r.try_get("last_seen_at")?,
                    ip: r.try_get("ip")?,
                    user_agent: r.try_get("user_agent")?,
                })
            })
            .collect()
    }

    /// Ends one of the user's own sessions (sign-out or revoke); audited.
    pub async fn end_session(&self, user_id: &str, id_hash: &str) -> Result<bool> {
        let (mut tx, user, path) = self.user_write(user_id).await?;
        let n = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash = $2")
            .bind(user_id.to_string())
            .bind(id_hash.to_string())
            .run(&tx)
            .await?;
        if n == 0 {
            return Ok(false);
        }
        user_event(&mut tx, "logout", &user, &path).await?;
        tx.commit().await?;
        Ok(true)
    }

    pub async fn create_api_token(&self, user_id: &str, new: &NewApiToken) -> Result<ApiToken> {
        let (mut tx, user, path) = self.user_write(user_id).await?;
        let id = new_id();
        let now = tx.at().to_string();
        let expires_at =
            khien_domain::time_fmt::to_rfc3339(self.now() + time::Duration::days(new.days));
        sqlx::query("INSERT INTO api_tokens (id, user_id, name, token_hash, created_at, revoked, expires_at, scope) VALUES ($1, $2, $3, $4, $5, 0, $6, $7)")
            .bind(id.clone())
            .bind(user_id.to_string())
            .bind(new.name.clone())
            .bind(new.token_hash.clone())
            .bind(now.clone())
            .bind(expires_at.clone())
            .bind(new.scope.as_str().to_string())
            .run(&tx)
            .await?;
        let token = ApiToken {
            id: id.clone(),
            name: new.name.clone(),
            scope: new.scope,
            created_at: now,
            expires_at,
            last_used_at: None,
        };
        tx.record(
            "create",
            "api_token",
            &id,
            (&user.unit_id, &path),
            None::<&ApiToken>,
            Some(&token),
        )
        .await?;
        tx.commit().await?;
        Ok(token)
    }

    pub async fn api_tokens_of(&self, user_id: &str) -> Result<Vec<ApiToken>> {
        let rows = sqlx::query("SELECT id, name, scope, created_at, expires_at, last_used_at FROM api_tokens WHERE user_id = $1 AND revoked = 0 ORDER BY created_at")
            .bind(user_id.to_string())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(api_token_from_row).collect()
    }

    pub async fn revoke_api_token(&self, user_id: &str, token_id: &str) -> Result<bool> {
        let (mut tx, user, path) = self.user_write(user_id).await?;
        let n = sqlx::query(
            "UPDATE api_tokens SET revoked = 1 WHERE user_id = $1 AND id = $2 AND revoked = 0",
        )
        .bind(user_id.to_string())
        .bind(token_id.to_string())
        .run(&tx)
        .await?;
        if n == 0 {
            return Ok(false);
        }
        tx.record(
            "revoke",
            "api_token",
            token_id,
            (&user.unit_id, &path),
            None::<&()>,
            None::<&()>,
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Resolves a bearer token (by its hash) to its active owner and the token's scope;
    /// revoked and expired tokens resolve to nothing.
    pub async fn api_token_principal(
        &self,
        token_hash: &str,
    ) -> Result<Option<(Principal, TokenScope)>> {
        let now = self.now_text();
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLS}, t.id AS token_id, t.scope, t.last_used_at FROM api_tokens t JOIN users us ON us.id = t.user_id JOIN units un ON un.id = us.unit_id WHERE t.token_hash = $1 AND t.revoked = 0 AND t.expires_at > $2 AND us.active = 1"
        )))
        .bind(token_hash.to_string())
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else { return Ok(None) };
        let user = user_from_row(&r)?;
        let scope: String = r.try_get("scope")?;
        let scope = TokenScope::parse(&scope).ok_or(StoreError::Corrupt("token scope", scope))?;
        let token_id: String = r.try_get("token_id")?;
        // "Last used" to the nearest few minutes: a write per API call would queue every
        // call of a busy script behind the one SQLite writer.
        let last: Option<String> = r.try_get("last_used_at")?;
        let now = self.now();
        let stale = last
            .as_deref()
            .and_then(khien_domain::time_fmt::parse_rfc3339)
            .is_none_or(|at| now - at >= time::Duration::minutes(TOKEN_TOUCH_MINUTES));
        if stale {
            sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                .bind(self.now_text())
                .bind(token_id)
                .execute(&self.writer)
                .await?;
        }
        Ok(Some((principal(&user, r.try_get("unit_path")?), scope)))
    }

    /// Counts a sign-in attempt (a password or a second-factor code) against the account
    /// and the address *before* it is judged, then checks the limits: concurrent guesses
    /// cannot all slip under them, because whichever counts last sees every attempt
    /// already recorded. `None` while either is locked: the attempt is refused and
    /// leaves no trace, so trying during a lock does not extend it.
    pub async fn begin_sign_in(&self, username: &str, ip: &str) -> Result<Option<Attempt>> {
        let now_ms = i64::try_from(self.now().unix_timestamp_nanos() / 1_000_000)
            .map_err(|_| StoreError::Corrupt("clock", String::new()))?;
        let limits = [
            (account_key(username), FAILURES_PER_ACCOUNT),
            (format!("ip:{ip}"), FAILURES_PER_ADDRESS),
        ];
        let mut attempt = Attempt { ids: Vec::new() };
        for (key, _) in &limits {
            let id = new_id();
            sqlx::query("INSERT INTO login_failures (id, throttle_key, at_ms) VALUES ($1, $2, $3)")
                .bind(id.clone())
                .bind(key.clone())
                .bind(now_ms)
                .execute(&self.writer)
                .await?;
            attempt.ids.push(id);
        }
        let since = now_ms - FAILURE_WINDOW_SECS * 1000;
        for (key, limit) in &limits {
            let n: i64 = sqlx::query(
                "SELECT COUNT(*) AS n FROM login_failures WHERE throttle_key = $1 AND at_ms >= $2",
            )
            .bind(key.clone())
            .bind(since)
            .fetch_one(&self.writer)
            .await?
            .try_get("n")?;
            // This attempt is one of the `n`: it may go ahead while it is within the limit.
            if n > *limit {
                self.attempt_passed(attempt).await?;
                return Ok(None);
            }
        }
        // Keep the table small: nothing older than a day matters.
        sqlx::query("DELETE FROM login_failures WHERE at_ms < $1")
            .bind(now_ms - 86_400_000)
            .execute(&self.writer)
            .await?;
        Ok(Some(attempt))
    }

    /// The attempt was right (or refused unjudged): it is not a failure.
    pub async fn attempt_passed(&self, attempt: Attempt) -> Result<()> {
        for id in attempt.ids {
            sqlx::query("DELETE FROM login_failures WHERE id = $1")
                .bind(id)
                .execute(&self.writer)
                .await?;
        }
        Ok(())
    }

    /// The account's failures within the window (tests and the command line report it).
    pub async fn sign_in_failures(&self, username: &str) -> Result<i64> {
        let since = (self.now().unix_timestamp() - FAILURE_WINDOW_SECS) * 1000;
        Ok(sqlx::query(
            "SELECT COUNT(*) AS n FROM login_failures WHERE throttle_key = $1 AND at_ms >= $2",
        )
        .bind(account_key(username))
        .bind(since)
        .fetch_one(&self.pool)
        .await?
        .try_get("n")?)
    }

    /// A complete sign-in forgets the account's earlier failures (not the address's).
    pub async fn clear_sign_in_failures(&self, username: &str) -> Result<()> {
        sqlx::query("DELETE FROM login_failures WHERE throttle_key = $1")
            .bind(account_key(username))
            .execute(&self.writer)
            .await?;
        Ok(())
    }
}
