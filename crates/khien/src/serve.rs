//! `khien serve`: logging, the store, the demo on request, and graceful shutdown.

use std::sync::Arc;

use khien_web::{AppState, Metrics, WebConfig};

use crate::cli::{Env, ServeArgs, WorkerArgs};

fn init_logging(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("KHIEN_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if format == "json" {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

pub async fn serve(env: Env, args: ServeArgs) -> anyhow::Result<()> {
    let file = &env.file;
    init_logging(
        args.log_format
            .as_deref()
            .or(file.log_format.as_deref())
            .unwrap_or("text"),
    );
    let listen = args
        .listen
        .clone()
        .or_else(|| file.listen.clone())
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    let store = env.store_migrating(!args.no_migrate).await?;
    if args.demo {
        let report = crate::demo::create(&store).await?;
        println!("{report}");
    }
    let province_name = match &file.province_name {
        Some(n) => n.clone(),
        None => store
            .root_unit()
            .await?
            .map(|u| u.fields.name)
            .unwrap_or_default(),
    };
    // The demo province's department in charge of information security.
    const DEMO_DEPARTMENT: &str = "Sở Khoa học và Công nghệ";
    let (calendar, mut authority_names) = crate::config::regulation_data(file)?;
    // A province names its own parties: the Sở appraises as the specialised unit and the
    // province's People's Committee is the owner (chủ quản). A names file still wins.
    let department = file
        .department_name
        .clone()
        .or_else(|| args.demo.then(|| DEMO_DEPARTMENT.to_string()));
    if file.authority_names_file.is_none() {
        authority_names.name_provincial_parties(department.as_deref(), &province_name);
    }
    let (obligation_rules, obligations_province) = crate::config::obligation_rules(file, &calendar)?;
    let config = WebConfig {
        obligation_rules: Some(Arc::new(obligation_rules)),
        obligations_province,
        compliance_weights: Arc::new(crate::config::compliance_weights(file)?),
        report_templates: Arc::new(crate::config::report_templates(file)?),
        response_plan_outlines: Some(Arc::new(crate::config::response_plan_outlines(file)?)),
        budget_thresholds: Some(Arc::new(crate::config::budget_thresholds(file)?)),
        protection_model: Some(Arc::new(crate::config::protection_model(file)?)),
        backup_policy: Some(Arc::new(crate::config::backup_policy(file)?)),
        vendor_policy: Some(Arc::new(crate::config::vendor_policy(file)?)),
        clock_rules: Some(Arc::new(crate::config::clock_rules(file)?)),
        calendar: Arc::new(calendar),
        authority_names: Arc::new(authority_names),
        secure_cookies: args.secure_cookies.or(file.secure_cookies).unwrap_or(false),
        session_idle: time::Duration::minutes(file.session_idle_minutes.unwrap_or(8 * 60)),
        province_name,
        max_upload_bytes: file.max_upload_mb.map_or(64, |mb| mb.max(1)) * 1024 * 1024,
        trusted_proxies: file
            .trusted_proxies
            .iter()
            .flatten()
            .map(|p| p.parse().map_err(|e: String| anyhow::anyhow!("trusted_proxies: {e}")))
            .collect::<anyhow::Result<_>>()?,
        pdf_converter: khien_web::support::pdf::find_converter(file.pdf_converter.as_deref()),
        ..WebConfig::default()
    };
    let worker_config = crate::config::worker(file, &config)?;
    let state = AppState {
        store: store.clone(),
        config: Arc::new(config),
        metrics: Arc::new(Metrics::default()),
    };
    let metrics = khien_web::auth::MetricsAccess::new(
        args.metrics_token.clone().or_else(|| file.metrics_token.clone()),
    );
    let app = khien_web::app(state).layer(axum::Extension(metrics));
    // Background jobs (hunts uploaded in the UI) run beside the web server and stop with it.
    let (stop_jobs, jobs_stopped) = tokio::sync::watch::channel(false);
    let worker = (!args.no_worker).then(|| tokio::spawn(khien::jobs::worker(store.clone(), worker_config, jobs_stopped)));
    let anchors = match &file.audit_anchor_file {
        Some(path) => {
            let key = crate::audit_anchor::key(file.audit_key.as_deref())?;
            let every = std::time::Duration::from_secs(60 * file.audit_anchor_minutes.unwrap_or(60).max(1));
            Some(tokio::spawn(crate::audit_anchor::schedule(
                store.clone(),
                key,
                path.clone(),
                every,
                stop_jobs.subscribe(),
            )))
        }
        None => None,
    };
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {listen}: {e}"))?;
    tracing::info!(address = %listen, backend = ?store.backend, "Khiên is serving");
    println!("Khiên: http://{listen}/");
    let limits = khien_web::server::ConnectionLimits {
        max_connections: file.max_connections.unwrap_or(4096),
        per_address: file.max_connections_per_address.unwrap_or(128),
        ..Default::default()
    };
    khien_web::server::serve(listener, app, limits, shutdown_signal()).await?;
    tracing::info!("shutting down");
    let _ = stop_jobs.send(true);
    if let Some(worker) = worker {
        let _ = worker.await;
    }
    if let Some(anchors) = anchors {
        let _ = anchors.await;
    }
    store.close().await;
    Ok(())
}

/// `khien worker`: the job worker alone, until SIGTERM or Ctrl-C; a job it holds then
/// goes back to the queue for another worker.
pub async fn worker(env: Env, args: WorkerArgs) -> anyhow::Result<()> {
    init_logging(
        args.log_format
            .as_deref()
            .or(env.file.log_format.as_deref())
            .unwrap_or("text"),
    );
    let store = env.store_migrating(!args.no_migrate).await?;
    let file = &env.file;
    let (calendar, _) = crate::config::regulation_data(file)?;
    let (obligation_rules, obligations_province) = crate::config::obligation_rules(file, &calendar)?;
    let web = WebConfig {
        obligation_rules: Some(Arc::new(obligation_rules)),
        obligations_province,
        compliance_weights: Arc::new(crate::config::compliance_weights(file)?),
        report_templates: Arc::new(crate::config::report_templates(file)?),
        clock_rules: Some(Arc::new(crate::config::clock_rules(file)?)),
        calendar: Arc::new(calendar),
        ..WebConfig::default()
    };
    let config = crate::config::worker(file, &web)?;
    if args.once {
        if config.schedule {
            khien::jobs::schedule_sweep(&store).await?;
        }
        let ran = khien::jobs::run_pending(&store, &config).await?;
        println!("{ran} jobs run");
        store.close().await;
        return Ok(());
    }
    println!("Khiên worker {}", config.id);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(khien::jobs::worker(store.clone(), config, stopped));
    shutdown_signal().await;
    let _ = stop.send(true);
    let _ = task.await;
    store.close().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
}
