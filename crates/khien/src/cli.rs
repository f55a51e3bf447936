//! Command-line interface.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use khien_domain::Role;
use khien_store::{Clock, Store};

use crate::config::{self, FileConfig};

#[derive(Parser)]
#[command(
    name = "khien",
    version,
    about = "Khiên: the province's information-security platform"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Clone)]
pub struct Global {
    /// Configuration file (TOML).
    #[arg(long, env = "KHIEN_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    /// `sqlite://path` or `postgres://user@host/db`; default: SQLite under the data dir.
    #[arg(long, env = "KHIEN_DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// Where the embedded database and uploads live.
    #[arg(long, env = "KHIEN_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Serve the web platform and the API (with an embedded job worker unless
    /// `--no-worker`).
    Serve(ServeArgs),
    /// Run background jobs (hunts, imports, reports) from the shared queue, no web.
    Worker(WorkerArgs),
    /// Apply pending database migrations and exit: once per deployment, before
    /// processes started with `--no-migrate`.
    Migrate,
    /// Manage user accounts.
    User {
        #[command(subcommand)]
        cmd: UserCmd,
    },
    /// API tokens for scripts and integrations.
    Token {
        #[command(subcommand)]
        cmd: TokenCmd,
    },
    /// Audit trail tools.
    Audit {
        #[command(subcommand)]
        cmd: AuditCmd,
    },
    /// Create the demo province in an empty database.
    Demo {
        /// `province` (one province, ~150 units and systems) or `national` (34
        /// provinces, 5,000 units, 50,000 systems; for benchmarks).
        #[arg(long, default_value = "province")]
        scale: String,
    },
    /// Write the database and every stored file to one archive, while the platform
    /// runs (a consistent snapshot).
    Backup {
        /// The archive to write (a tar file).
        file: PathBuf,
    },
    /// Restore an archive made by `backup` into an empty database and blob store.
    Restore {
        /// The archive to read.
        file: PathBuf,
    },
    /// Hunt for threats in logs with Sigma rules and IOC sets.
    Hunt(crate::hunt_report::HuntCommand),
    /// Import a scanner report into a system (the same job as an upload, run here) and
    /// print one JSON object: tool, findings read, new, unchanged, fixed, reopened.
    Import(ImportArgs),
    /// CISA's KEV catalogue: `khien kev load FILE` keeps a version and flags findings.
    Kev {
        #[command(subcommand)]
        cmd: KevCmd,
    },
    /// Security levels: classification under a regime.
    Level {
        #[command(subcommand)]
        cmd: khien_levels::LevelCommand,
    },
    /// Incidents: the legal reporting clocks of both regimes.
    Incident {
        #[command(subcommand)]
        cmd: khien_duties::IncidentCommand,
    },
    /// Periodic obligations (scans, hunts, drills, assessments, reports) of a unit.
    Obligations {
        #[command(subcommand)]
        cmd: khien_duties::ObligationsCommand,
    },
}

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "KHIEN_LISTEN")]
    pub listen: Option<String>,
    /// Create the demo province first if the database is empty.
    #[arg(long)]
    pub demo: bool,
    /// Mark cookies Secure and send HSTS (when served over TLS).
    #[arg(long, env = "KHIEN_SECURE_COOKIES")]
    pub secure_cookies: Option<bool>,
    /// Log format: `text` or `json`.
    #[arg(long, env = "KHIEN_LOG_FORMAT")]
    pub log_format: Option<String>,
    /// Serve the web only; background jobs run in `khien worker` processes (or
    /// another `serve`).
    #[arg(long)]
    pub no_worker: bool,
    /// Bearer token that `/metrics` requires; without one it is open.
    #[arg(long, env = "KHIEN_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// Do not apply migrations; refuse to start on a schema older than this binary
    /// (several processes on one database: run `khien migrate` once instead).
    #[arg(long, env = "KHIEN_NO_MIGRATE")]
    pub no_migrate: bool,
}

#[derive(Args)]
pub struct ImportArgs {
    /// The system's id.
    #[arg(long)]
    pub system: String,
    /// The report (its format is recognised from its content).
    pub file: PathBuf,
    /// The tool, when the content does not tell: nessus_xml, nessus_csv, openvas_xml,
    /// openvas_csv, nuclei, sarif, trivy, zap_xml, burp_xml, burp_dastardly, generic_csv.
    #[arg(long)]
    pub tool: Option<String>,
    /// The scan covered the whole system: findings it no longer reports become fixed.
    #[arg(long)]
    pub full_scope: bool,
}

#[derive(Args)]
pub struct WorkerArgs {
    /// Do not apply migrations (see `serve --no-migrate`).
    #[arg(long, env = "KHIEN_NO_MIGRATE")]
    pub no_migrate: bool,
    /// Schedule the day's reminder sweep if it is not yet, run every job that is
    /// ready, print how many ran, and exit (for cron, and to time a sweep).
    #[arg(long)]
    pub once: bool,
    /// Log format: `text` or `json`.
    #[arg(long, env = "KHIEN_LOG_FORMAT")]
    pub log_format: Option<String>,
}

#[derive(Subcommand)]
pub enum UserCmd {
    /// Add a user. The password is read from KHIEN_PASSWORD or standard input.
    Add {
        username: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        role: String,
        /// Code of the user's unit.
        #[arg(long)]
        unit: String,
        #[arg(long)]
        email: Option<String>,
    },
    /// Set a user's password (read from KHIEN_PASSWORD or standard input).
    Passwd { username: String },
    /// Disable a user: sessions end, API tokens are revoked.
    Disable { username: String },
    /// Lift a sign-in lock: forget the user's recent failed attempts (audited).
    Unlock { username: String },
    /// List users.
    List,
}

#[derive(Subcommand)]
pub enum TokenCmd {
    /// Create an API token for a user and print it; only its hash is stored, so this
    /// is the one time it is shown.
    Create {
        /// The user the token acts as.
        #[arg(long)]
        user: String,
        /// A label shown on the user's account page.
        #[arg(long)]
        name: String,
        /// `read`, `hunts`, `imports` or `alerts`.
        #[arg(long, default_value = "read")]
        scope: String,
        /// Days until it expires (at most 365).
        #[arg(long, default_value = "90")]
        days: String,
    },
}

#[derive(Subcommand)]
pub enum KevCmd {
    /// Load a version (CISA's known_exploited_vulnerabilities.json) and print one JSON
    /// object: version, entries, added, flagged.
    Load { file: PathBuf },
}

#[derive(Subcommand)]
pub enum AuditCmd {
    /// Walk the hash chain and report the first broken link (exit code 1 if any);
    /// with `--anchors`, also check every signed head exported earlier.
    Verify {
        #[arg(long)]
        anchors: Option<PathBuf>,
    },
    /// Append the signed chain head (HMAC with the configured audit key) to a file kept
    /// outside the database.
    Anchor {
        #[arg(long)]
        out: PathBuf,
    },
}

/// The platform's one clock: everything else asks the store (`now`, `today_vn`).
#[allow(clippy::disallowed_methods)]
pub fn wall_clock() -> Clock {
    Arc::new(time::OffsetDateTime::now_utc)
}

pub struct Env {
    pub file: FileConfig,
    pub database_url: String,
    pub data_dir: PathBuf,
}

impl Env {
    /// Connects to the configured database (applying pending migrations) and blob
    /// store (by default uploads under `<data dir>/blobs`).
    pub async fn store(&self) -> anyhow::Result<Store> {
        self.store_migrating(true).await
    }

    /// Connects; with `migrate` off, refuses a schema older than this binary.
    pub async fn store_migrating(&self, migrate: bool) -> anyhow::Result<Store> {
        crate::config::private_dir(&self.data_dir)?;
        let blobs = config::blobs(&self.file, &self.data_dir, &|k| std::env::var(k).ok())?;
        let options = khien_store::DbOptions {
            migrate,
            ..self.file.db_options()
        };
        let mut store = Store::connect_with(&self.database_url, wall_clock(), &options)
            .await?
            .with_blobs(blobs);
        if let Some(path) = &self.file.remediation_file {
            let text = std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("remediation_file {}: {e}", path.display()))?;
            let policy = khien_domain::findings::RemediationPolicy::from_toml(&text)
                .map_err(|e| anyhow::anyhow!("remediation_file {}: {e}", path.display()))?;
            store = store.with_remediation(policy);
        }
        Ok(store)
    }
}

fn env(global: &Global) -> anyhow::Result<Env> {
    let file = config::load_file(global.config.as_deref())?;
    let data_dir = global
        .data_dir
        .clone()
        .or_else(|| file.data_dir.clone())
        .unwrap_or_else(|| PathBuf::from("khien-data"));
    let database_url = config::database_url(global.database_url.as_deref(), &file, &data_dir)?;
    Ok(Env {
        file,
        database_url,
        data_dir,
    })
}

pub fn run(cli: Cli) -> ExitCode {
    let code = match cli.command {
        Command::Hunt(cmd) => return crate::hunt_report::run(cmd),
        Command::Level { cmd } => return khien_levels::run(cmd),
        // The duty commands need the configuration (calendar, rule overrides), not the
        // database.
        Command::Incident { cmd } => {
            return duties(&cli.global, |o| khien_duties::run_incident(cmd, o));
        }
        Command::Obligations { cmd } => {
            return duties(&cli.global, |o| khien_duties::run_obligations(cmd, o));
        }
        other => runtime().and_then(|rt| rt.block_on(run_async(cli.global, other))),
    };
    match code {
        Ok(c) => c,
        Err(e) => {
            eprintln!("khien: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn duties(global: &Global, run: impl FnOnce(&khien_duties::Overrides) -> ExitCode) -> ExitCode {
    match config::load_file(global.config.as_deref()).and_then(|f| config::duty_overrides(&f)) {
        Ok(o) => run(&o),
        Err(e) => {
            eprintln!("khien: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

async fn run_async(global: Global, command: Command) -> anyhow::Result<ExitCode> {
    let env = env(&global)?;
    match command {
        Command::Serve(args) => {
            return crate::serve::serve(env, args)
                .await
                .map(|()| ExitCode::SUCCESS);
        }
        Command::Worker(args) => {
            return crate::serve::worker(env, args)
                .await
                .map(|()| ExitCode::SUCCESS);
        }
        _ => {}
    }
    let store = env.store().await?;
    let result = match command {
        Command::Migrate => {
            let status = store.schema_status().await?;
            println!("migrations applied: the schema is at {}", status.applied);
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo { scale } => {
            let report = match scale.as_str() {
                "national" => crate::demo::national::create(&store).await?,
                "province" => crate::demo::create(&store).await?,
                other => anyhow::bail!("unknown demo scale {other:?}: province or national"),
            };
            println!("{report}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Backup { file } => crate::backup::backup(&store, &file).await,
        Command::Restore { file } => crate::backup::restore(&store, &file).await,
        Command::User { cmd } => user(&store, cmd).await,
        Command::Token { cmd } => token(&store, cmd).await,
        Command::Kev { cmd: KevCmd::Load { file } } => {
            let bytes = std::fs::read(&file).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let c = khien_scan::kev::parse_kev(&bytes).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let stored = store.blobs.put(&file.display().to_string(), &bytes).await?;
            let l = store.as_system().load_kev(&c, &stored.sha256, &file.display().to_string()).await?;
            println!(
                "{}",
                serde_json::json!({ "version": c.catalog_version, "entries": l.entries, "added": l.added, "flagged": l.flagged })
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Import(args) => {
            // Progress and timings go to stderr when KHIEN_LOG asks (`KHIEN_LOG=info`).
            if let Ok(filter) = tracing_subscriber::EnvFilter::try_from_env("KHIEN_LOG") {
                let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
            }
            let (tool, c) = khien::scan_import::import_now(
                &store,
                &args.system,
                &args.file,
                args.tool.as_deref(),
                args.full_scope,
            )
            .await?;
            println!(
                "{}",
                serde_json::json!({ "tool": tool, "findings": c.findings, "new": c.new, "unchanged": c.unchanged, "fixed": c.fixed, "reopened": c.reopened })
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit {
            cmd: AuditCmd::Verify { anchors },
        } => {
            let r = store.verify_audit().await?;
            if let Some((seq, why)) = r.first_broken {
                println!("audit chain BROKEN at entry {seq}: {why}");
                return Ok(ExitCode::from(1));
            }
            println!("audit chain intact: {} entries", r.entries);
            let Some(path) = anchors else {
                return Ok(ExitCode::SUCCESS);
            };
            let key = crate::audit_anchor::key(env.file.audit_key.as_deref())?;
            let (n, problems) = crate::audit_anchor::check(&store, &key, &path).await?;
            if problems.is_empty() {
                println!("{n} anchors hold");
                Ok(ExitCode::SUCCESS)
            } else {
                for p in &problems {
                    println!("audit anchor BROKEN: {p}");
                }
                Ok(ExitCode::from(1))
            }
        }
        Command::Audit {
            cmd: AuditCmd::Anchor { out },
        } => {
            let key = crate::audit_anchor::key(env.file.audit_key.as_deref())?;
            let a = crate::audit_anchor::export(&store, &key, &out).await?;
            println!("anchored entry {} ({})", a.seq, a.hash);
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve(_)
        | Command::Worker(_)
        | Command::Hunt(_)
        | Command::Level { .. }
        | Command::Incident { .. }
        | Command::Obligations { .. } => {
            Ok(ExitCode::SUCCESS)
        }
    };
    store.close().await;
    result
}

async fn token(store: &Store, cmd: TokenCmd) -> anyhow::Result<ExitCode> {
    let TokenCmd::Create {
        user,
        name,
        scope,
        days,
    } = cmd;
    let creds = store
        .credentials(&user.to_lowercase())
        .await?
        .ok_or_else(|| anyhow::anyhow!("no user {user}"))?;
    let scope = khien_domain::users::TokenScope::parse(scope.trim())
        .ok_or_else(|| anyhow::anyhow!("unknown scope {scope}; one of: read, hunts, imports, alerts"))?;
    let days = khien_domain::users::token_days(&days)
        .map_err(|_| anyhow::anyhow!("days: 1 to {}", khien_domain::users::TOKEN_DAYS_MAX))?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        anyhow::bail!("the name must be 1 to 100 characters");
    }
    let secret = format!(
        "khien_{}",
        khien_web::auth::crypto::random_token().map_err(anyhow::Error::msg)?
    );
    store
        .create_api_token(
            &creds.user.id,
            &khien_store::accounts::NewApiToken {
                name: name.to_string(),
                token_hash: khien_web::auth::crypto::sha256_hex(&secret),
                scope,
                days,
            },
        )
        .await?;
    println!("{secret}");
    Ok(ExitCode::SUCCESS)
}

fn read_password() -> anyhow::Result<String> {
    if let Ok(p) = std::env::var("KHIEN_PASSWORD") {
        return Ok(p);
    }
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\n', '\r']).to_string())
}

async fn user(store: &Store, cmd: UserCmd) -> anyhow::Result<ExitCode> {
    use khien_web::auth::crypto::hash_password;
    // The same password policy as the web forms, with its English message.
    let check = |password: &str, username: &str| match khien_domain::users::password_problem(
        password, username,
    ) {
        Some(key) => Err(anyhow::anyhow!(
            "password refused: {}",
            khien_web::i18n::T {
                lang: khien_web::i18n::Lang::En
            }
            .s(key)
        )),
        None => Ok(()),
    };
    let system = store.as_system();
    match cmd {
        UserCmd::Add {
            username,
            name,
            role,
            unit,
            email,
        } => {
            let role = Role::parse(&role).ok_or_else(|| anyhow::anyhow!("unknown role {role}; one of: province_admin, inspector, responder, unit_manager, unit_staff, viewer"))?;
            let unit = store
                .unit_by_code(&unit)
                .await?
                .ok_or_else(|| anyhow::anyhow!("no unit with code {unit}"))?;
            let password = read_password()?;
            check(&password, &username)?;
            let password_hash = hash_password(&password).map_err(anyhow::Error::msg)?;
            let u = system
                .create_user(khien_store::accounts::NewUser {
                    username: username.to_lowercase(),
                    display_name: name,
                    email,
                    password_hash,
                    role,
                    unit_id: unit.id,
                })
                .await?;
            println!("user {} created ({})", u.username, u.role.as_str());
        }
        UserCmd::Passwd { username } => {
            let creds = store
                .credentials(&username)
                .await?
                .ok_or_else(|| anyhow::anyhow!("no user {username}"))?;
            let password = read_password()?;
            check(&password, &username)?;
            store
                .set_password(
                    &creds.user.id,
                    &hash_password(&password).map_err(anyhow::Error::msg)?,
                    None,
                )
                .await?;
            println!("password set for {username}");
        }
        UserCmd::Disable { username } => {
            let creds = store
                .credentials(&username)
                .await?
                .ok_or_else(|| anyhow::anyhow!("no user {username}"))?;
            system.set_user_active(&creds.user.id, false).await?;
            println!("user {username} disabled");
        }
        UserCmd::Unlock { username } => {
            let creds = store
                .credentials(&username.to_lowercase())
                .await?
                .ok_or_else(|| anyhow::anyhow!("no user {username}"))?;
            let n = system.unlock_user(&creds.user.id).await?;
            println!(
                "user {} unlocked ({n} failed attempts forgotten)",
                creds.user.username
            );
        }
        UserCmd::List => {
            for u in system.users().await? {
                println!(
                    "{:<20} {:<15} {:<8} {}",
                    u.username,
                    u.role.as_str(),
                    if u.active { "active" } else { "disabled" },
                    u.unit_name
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
