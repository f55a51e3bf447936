//! Khiên's web face: HTML pages (Vietnamese by default), the JSON API under `/api/v1`,
//! role-typed extractors and the tenancy-scoped store behind them.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod api;
mod assets;
pub mod auth;
pub mod error;
pub mod i18n;
mod layers;
pub mod routes;

// One folder per capability: its routes (pages and API), views and handlers; its
// templates in `templates/<capability>/`, its strings in `i18n/<lang>/<capability>.txt`.
mod accounts;
mod audit;
mod dashboard;
mod dossiers;
mod findings;
mod hunts;
mod incidents;
mod levels;
pub mod notifications;
mod obligations;
mod plans;
mod public;
mod advisories;
mod assessments;
mod backups;
mod vendors;
mod training;
mod risks;
mod budget;
mod protection;
mod drills;
mod response_plans;
mod ranking;
mod reports;
mod submissions;
mod team;
mod rules;
mod systems;
mod units;
pub mod server;
pub mod support;
mod view;
mod work;
mod weaknesses;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use khien_store::Store;
use tower_http::limit::RequestBodyLimitLayer;

pub use routes::{RouteInfo, Tenancy};

#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Set cookies `Secure` (when served over TLS, directly or behind a proxy).
    pub secure_cookies: bool,
    pub session_idle: time::Duration,
    pub max_body_bytes: usize,
    /// Limit for the routes that take log files (hunt uploads and hunt reports).
    pub max_upload_bytes: usize,
    /// Shown in the header: the province's name.
    pub province_name: String,
    /// Working-day calendar (public holidays per year); the embedded one by default.
    pub calendar: Arc<khien_levels::Calendar>,
    /// Display names of the legal parties (ministries get renamed); embedded defaults.
    pub authority_names: Arc<khien_levels::RoleNames>,
    /// The obligation rules (`obligation_rules_dir`, else embedded) counted with the
    /// calendar above; `None` only if the embedded rules failed to load.
    pub obligation_rules: Option<Arc<khien_duties::Rules>>,
    /// Weights of the compliance index (`compliance_weights_file`).
    pub compliance_weights: Arc<khien_duties::compliance::Weights>,
    /// The periodic report templates (`report_templates_file`, else embedded).
    pub report_templates: Arc<khien_duties::periodic::Templates>,
    /// The outlines incident response plans follow (`response_plan_outlines_file`, else
    /// embedded); `None` only if the embedded file failed to load.
    pub response_plan_outlines: Option<Arc<khien_domain::response_plans::Outlines>>,
    /// The minimum security share of IT budgets (`budget_share_file`, else embedded);
    /// `None` only if the embedded file failed to load.
    pub budget_thresholds: Option<Arc<khien_domain::budget::Thresholds>>,
    /// The 4-layer model (`protection_layers_file`, else embedded); `None` only if the
    /// embedded file failed to load.
    pub protection_model: Option<Arc<khien_domain::protection::Model>>,
    /// The backup policy (`backups_file`, else embedded); `None` only if the embedded
    /// file failed to load.
    pub backup_policy: Option<Arc<khien_domain::backups::Policy>>,
    /// The third-party policy (`vendors_file`, else embedded); `None` only if the
    /// embedded one failed to parse (a build defect the tests catch).
    pub vendor_policy: Option<Arc<khien_domain::vendors::Policy>>,
    /// The province whose rules bind the units (`obligations_province`, `default`: the
    /// national rules only).
    pub obligations_province: String,
    /// The incident reporting clocks (`incident_clocks_file`, else embedded); `None`
    /// only if the embedded file failed to load.
    pub clock_rules: Option<Arc<khien_duties::ClockRules>>,
    /// Requests with large bodies (log uploads) in progress at once; the rest wait
    /// their turn for `upload_wait`, then get a 503. Six concurrent 60 MiB uploads
    /// must not starve sign-ins.
    pub upload_slots: Arc<tokio::sync::Semaphore>,
    pub upload_wait: std::time::Duration,
    /// Longest a request may take, body included (uploads on slow links need minutes).
    pub request_timeout: std::time::Duration,
    /// Reverse proxies whose `X-Forwarded-For` is believed (none by default).
    pub trusted_proxies: Vec<crate::support::client_addr::IpRange>,
    /// LibreOffice's `soffice`, which renders the PDF copies of documents; none when
    /// it is not installed (documents are then DOCX and XLSX only).
    pub pdf_converter: Option<std::path::PathBuf>,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            secure_cookies: false,
            session_idle: time::Duration::hours(8),
            max_body_bytes: 8 * 1024 * 1024,
            max_upload_bytes: 64 * 1024 * 1024,
            province_name: String::new(),
            calendar: Arc::new(
                khien_levels::Calendar::vietnam()
                    .cloned()
                    .unwrap_or_default(),
            ),
            authority_names: Arc::new(
                khien_levels::RoleNames::defaults()
                    .unwrap_or_else(|_| khien_levels::RoleNames::empty()),
            ),
            obligation_rules: khien_duties::Rules::embedded().ok().map(Arc::new),
            // The shipped file is tested; every obligation weighs 1 if it ever failed.
            compliance_weights: Arc::new(khien_duties::compliance::Weights::embedded().unwrap_or_else(|_| khien_duties::compliance::Weights::uniform())),
            // The shipped file is tested against the store's figures; none if it failed.
            report_templates: Arc::new(
                khien_duties::periodic::Templates::embedded(khien_store::period_figures::is_metric)
                    .unwrap_or(khien_duties::periodic::Templates { reports: Vec::new() }),
            ),
            response_plan_outlines: khien_domain::response_plans::Outlines::embedded().ok().map(Arc::new),
            budget_thresholds: khien_domain::budget::Thresholds::embedded().ok().map(Arc::new),
            protection_model: khien_domain::protection::Model::embedded().ok().map(Arc::new),
            backup_policy: khien_domain::backups::Policy::embedded().ok().map(Arc::new),
            vendor_policy: khien_domain::vendors::Policy::embedded().ok().map(Arc::new),
            obligations_province: khien_duties::rules::DEFAULT_PROVINCE.to_string(),
            clock_rules: khien_duties::ClockRules::embedded().ok().cloned().map(Arc::new),
            upload_slots: Arc::new(tokio::sync::Semaphore::new(2)),
            upload_wait: std::time::Duration::from_secs(30),
            request_timeout: std::time::Duration::from_secs(600),
            trusted_proxies: Vec::new(),
            pdf_converter: crate::support::pdf::find_converter(None),
        }
    }
}

/// Request counters for `/metrics` (Prometheus text format).
#[derive(Debug, Default)]
pub struct Metrics {
    pub requests: AtomicU64,
    pub responses_4xx: AtomicU64,
    pub responses_5xx: AtomicU64,
    pub login_failures: AtomicU64,
}

impl Metrics {
    pub fn inc(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<WebConfig>,
    pub metrics: Arc<Metrics>,
}

/// The body limit of a request: large for the routes that take logs, small elsewhere.
pub fn body_limit(config: &WebConfig, method: &axum::http::Method, path: &str) -> usize {
    if method == axum::http::Method::POST
        && (matches!(path, "/hunts" | "/api/v1/hunts" | "/rules/import") || findings::is_report_upload(path))
    {
        config.max_upload_bytes
    } else {
        config.max_body_bytes
    }
}

/// Every route of the application with its declared access.
pub fn routes() -> routes::Routes {
    [
        public::page_routes(),
        accounts::page_routes(),
        dashboard::page_routes(),
        units::page_routes(),
        systems::page_routes(),
        levels::page_routes(),
        obligations::page_routes(),
        plans::page_routes(),
        dossiers::page_routes(),
        reports::page_routes(),
        hunts::page_routes(),
        incidents::page_routes(),
        findings::page_routes(),
        ranking::page_routes(),
        advisories::page_routes(),
        assessments::page_routes(),
        budget::page_routes(),
        protection::page_routes(),
        backups::page_routes(),
        vendors::page_routes(),
        training::page_routes(),
        risks::page_routes(),
        drills::page_routes(),
        response_plans::page_routes(),
        submissions::page_routes(),
        team::page_routes(),
        rules::page_routes(),
        audit::page_routes(),
        work::page_routes(),
        notifications::page_routes(),
        api::routes(),
    ]
    .into_iter()
    .fold(routes::Routes::default(), routes::Routes::merge)
}

/// The whole application: routes plus the layers every request passes through.
pub fn app(state: AppState) -> Router {
    let (router, _) = routes().into_parts();
    let limit = state
        .config
        .max_upload_bytes
        .max(state.config.max_body_bytes);
    let timeout = state.config.request_timeout;
    layers::wrap(router, state.clone())
        .layer(DefaultBodyLimit::max(limit))
        .layer(RequestBodyLimitLayer::new(limit))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
}

pub fn route_table() -> Vec<RouteInfo> {
    routes().into_parts().1
}
