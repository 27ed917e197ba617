//! Builds the application from settings and binds its listener (port 0 in tests), so tests run
//! the very code that production runs.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::{Server, Service, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::ErrorHandlers;
use actix_web::{App, HttpMessage, HttpServer, web};
use anyhow::Context;
use tracing_actix_web::{RequestId, TracingLogger};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;

use crate::api::routing::{RouteTable, problem_for_error, unmatched};
use crate::api::{self, ApiDoc, OpenApiJson};
use crate::app::AppError;
use crate::auth::jwt::JwtKeys;
use crate::auth::password::PasswordHasher;
use crate::db;
use crate::settings::{Backend, FilesIn, Settings, resolve_jwt_secret};
use crate::state::AppState;

pub struct Application {
    port: u16,
    server: Server,
    /// The outbox worker that runs beside the server (notify.worker).
    worker: Option<crate::notify::worker::Worker>,
}

impl Application {
    /// Connects, migrates and binds; the server starts when `run_until_stopped` is awaited.
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let state = prepare_state(settings).await?;
        let listener = TcpListener::bind(&state.settings.server.bind)
            .with_context(|| format!("cannot listen on {}", state.settings.server.bind))?;
        let port = listener.local_addr()?.port();
        let worker = if state.settings.notify.worker {
            Some(crate::notify::worker::Worker::new(
                state.pool.clone(),
                state.settings.clone(),
            )?)
        } else {
            None
        };
        let server = serve(listener, state)?;
        Ok(Application {
            port,
            server,
            worker,
        })
    }

    /// Stops the server (tests restart on the same database with it).
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves (and runs the outbox worker) until the server stops.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let worker = self.worker.map(|w| tokio::spawn(w.run()));
        let served = self.server.await;
        if let Some(worker) = worker {
            worker.abort();
        }
        served
    }
}

/// Everything that blocks (connecting, migrating, the hasher's decoy hash) runs off the
/// async runtime.
pub async fn prepare_state(settings: Settings) -> anyhow::Result<AppState> {
    let secret = resolve_jwt_secret(&settings)?;
    let settings = Arc::new(settings);
    let blocking_settings = settings.clone();
    let (pool, hasher) = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        let url = secrecy::ExposeSecret::expose_secret(&blocking_settings.database.url).to_owned();
        let wait = std::time::Duration::from_millis(blocking_settings.database.wait_ms);
        let pool = db::connect_waiting(&url, blocking_settings.database.pool_size, wait)?;
        let applied = db::migrate(&pool)?;
        if !applied.is_empty() {
            tracing::info!(?applied, "migrations applied");
        }
        let shipped = crate::schemes::shipped(&std::env::current_dir()?)?;
        let mut conn = pool.get().context("cannot connect to the database")?;
        let installed =
            db::write_transaction(&mut conn, |conn| db::schemes::install(conn, &shipped))?;
        if !installed.is_empty() {
            tracing::info!(?installed, "schemes installed");
        }
        let refreshed = crate::app::standing::refresh_stale(&mut conn)
            .map_err(|e| anyhow::anyhow!("cannot refresh the stored standings: {e}"))?;
        if refreshed > 0 {
            tracing::info!(refreshed, "stored standings refreshed");
        }
        drop(conn);
        Ok((pool, PasswordHasher::new()?))
    })
    .await
    .context("start-up thread failed")??;
    let in_database = match settings.storage.files {
        FilesIn::Database => true,
        FilesIn::Directory => false,
        FilesIn::Auto => pool_backend(&settings)? == Backend::Postgres,
    };
    Ok(AppState {
        files: crate::storage::open(&settings.storage.dir, in_database.then(|| pool.clone()))?,
        csrf: crate::auth::csrf::CsrfKey::derive(secrecy::ExposeSecret::expose_secret(&secret)),
        jwt: JwtKeys::new(&secret, settings.auth.access_ttl_seconds),
        pool,
        settings,
        hasher,
    })
}

fn pool_backend(settings: &Settings) -> anyhow::Result<Backend> {
    crate::settings::backend_of(secrecy::ExposeSecret::expose_secret(&settings.database.url))
}

fn serve(listener: TcpListener, state: AppState) -> anyhow::Result<Server> {
    let state = web::Data::new(state);
    let server = HttpServer::new(move || {
        let (app, mut doc) = App::new()
            .into_utoipa_app()
            .openapi(ApiDoc::openapi())
            .configure(api::routes)
            .split_for_parts();
        // The operations exist only once the routes are configured.
        api::doc::StandardAnswers.modify(&mut doc);
        let app = app
            .configure(crate::web::routes)
            .service(crate::metrics::metrics);
        let doc_json = doc.to_json().unwrap_or_else(|_| "{}".into());
        app.app_data(state.clone())
            .app_data(web::Data::new(OpenApiJson(doc_json)))
            .app_data(web::Data::new(RouteTable::from_openapi(&doc)))
            .app_data(
                web::PathConfig::default().error_handler(|_, _| AppError::NotFound("资源").into()),
            )
            .app_data(
                web::QueryConfig::default()
                    .error_handler(|e, _| AppError::Malformed(e.to_string()).into()),
            )
            // The pages' forms: a 60-worker, 12-month roster or a scheme document is far past
            // actix's 16 KiB default.
            .app_data(web::FormConfig::default().limit(crate::web::FORM_LIMIT_BYTES))
            .default_service(web::to(no_route))
            .wrap(ErrorHandlers::new().default_handler(problem_for_error))
            .wrap_fn(|req, srv| {
                let request_id = req.extensions().get::<RequestId>().copied();
                let response = srv.call(req);
                async move {
                    let mut response = ordinary_redirect(response.await?);
                    if let Some(id) = request_id
                        && let Ok(value) = HeaderValue::from_str(&id.to_string())
                    {
                        response
                            .headers_mut()
                            .insert(HeaderName::from_static("x-request-id"), value);
                    }
                    Ok(response)
                }
            })
            .wrap(crate::security::default_headers(
                &state.settings.server.public_url,
            ))
            .wrap(actix_web::middleware::from_fn(crate::metrics::record))
            .wrap(TracingLogger::default())
    })
    .listen(listener)?
    .run();
    Ok(server)
}

/// A page's redirect to the login or the password change travels as an extractor's error; it
/// is the ordinary way there, not a failure: drop the error, so the request log does not report
/// every visit without a session at ERROR level.
fn ordinary_redirect<B>(response: ServiceResponse<B>) -> ServiceResponse<B> {
    if !response.status().is_redirection() || response.response().error().is_none() {
        return response;
    }
    let (request, answer) = response.into_parts();
    let plain = actix_web::HttpResponse::from(actix_web::dev::Response::from(answer));
    ServiceResponse::new(request, plain)
}

/// No route matched: a browser asking for a page gets the pages' own 404, anything else the
/// API's answer (405 with Allow where the path exists, else 404).
async fn no_route(
    req: actix_web::HttpRequest,
    table: web::Data<RouteTable>,
) -> actix_web::HttpResponse {
    if !req.path().starts_with("/api/") && crate::api::routing::wants_html(&req) {
        return crate::web::not_found();
    }
    unmatched(req, table).await
}
