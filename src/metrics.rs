//! `GET /metrics`: Prometheus text, outside `/api/v1`, behind `server.metrics_token` when it is
//! set. Request counts and durations by route pattern (never by concrete path, so the label set
//! stays small), reports rendered by format, and, read when scraped, the outbox by status and the
//! pool's connections by state.

use std::sync::LazyLock;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, get, web};
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder,
};

use crate::db;
use crate::state::AppState;

struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    durations: HistogramVec,
    reports: IntCounterVec,
    outbox: IntGaugeVec,
    connections: IntGaugeVec,
}

/// A metric of the fixed definitions below: their names and labels are valid by construction.
fn fixed<T>(made: prometheus::Result<T>) -> T {
    made.unwrap_or_else(|e| unreachable!("fixed metric definition: {e}"))
}

static METRICS: LazyLock<Metrics> = LazyLock::new(|| {
    let registry = Registry::new();
    let requests = fixed(IntCounterVec::new(
        Opts::new(
            "http_requests_total",
            "HTTP requests answered, by route and status",
        ),
        &["route", "status"],
    ));
    let durations = fixed(HistogramVec::new(
        HistogramOpts::new(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by route",
        )
        .buckets(vec![
            0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
        ]),
        &["route"],
    ));
    let reports = fixed(IntCounterVec::new(
        Opts::new(
            "pinggu_reports_rendered_total",
            "Report files rendered, by format",
        ),
        &["format"],
    ));
    let outbox = fixed(IntGaugeVec::new(
        Opts::new(
            "pinggu_outbox_messages",
            "E-mail messages in the outbox, by status",
        ),
        &["status"],
    ));
    let connections = fixed(IntGaugeVec::new(
        Opts::new(
            "pinggu_db_connections",
            "Database connections of the pool, by state",
        ),
        &["state"],
    ));
    for collector in [
        Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
        Box::new(durations.clone()),
        Box::new(reports.clone()),
        Box::new(outbox.clone()),
        Box::new(connections.clone()),
    ] {
        let _ = registry.register(collector);
    }
    Metrics {
        registry,
        requests,
        durations,
        reports,
        outbox,
        connections,
    }
});

/// One report file rendered (`html`, `docx`, `pdf`).
pub fn report_rendered(format: &str) {
    METRICS.reports.with_label_values(&[format]).inc();
}

/// Counts and times every answer by its route pattern (`/api/v1/evaluations/{id}`).
pub async fn record(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let response = next.call(req).await?;
    let route = response
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let status = response.status().as_u16().to_string();
    METRICS
        .requests
        .with_label_values(&[route.as_str(), status.as_str()])
        .inc();
    METRICS
        .durations
        .with_label_values(&[route.as_str()])
        .observe(started.elapsed().as_secs_f64());
    Ok(response)
}

#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    if let Some(token) = state.settings.server.metrics_token.as_deref() {
        let given = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if given != Some(token) {
            return HttpResponse::Unauthorized()
                .insert_header((header::WWW_AUTHENTICATE, "Bearer"))
                .content_type("text/plain; charset=utf-8")
                .body("须提供 server.metrics_token");
        }
    }
    let pool = state.pool.state();
    let idle = i64::from(pool.idle_connections);
    let connections = &METRICS.connections;
    connections.with_label_values(&["idle"]).set(idle);
    connections
        .with_label_values(&["in_use"])
        .set(i64::from(pool.connections) - idle);
    // The outbox is read when scraped; an unreachable database leaves the last figures.
    let counted = db::run(&state.pool, |conn| {
        db::outbox::count_by_status(conn).map_err(crate::app::AppError::from)
    })
    .await;
    if let Ok(counts) = counted {
        for status in ["queued", "sending", "sent", "failed", "dead"] {
            let count = counts
                .iter()
                .find(|(s, _)| s == status)
                .map_or(0, |(_, n)| *n);
            METRICS.outbox.with_label_values(&[status]).set(count);
        }
    }
    let mut text = Vec::new();
    if let Err(error) = TextEncoder::new().encode(&METRICS.registry.gather(), &mut text) {
        tracing::error!(%error, "metrics did not encode");
        return HttpResponse::InternalServerError().finish();
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(text)
}
