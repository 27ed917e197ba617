use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::app::error::AppError;
use crate::app::health::ready_for;
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// "ok"
    pub status: &'static str,
}

/// Liveness: the process answers.
#[utoipa::path(tag = "health", responses((status = 200, body = Health)))]
#[get("/healthz")]
pub async fn healthz() -> web::Json<Health> {
    web::Json(Health { status: "ok" })
}

/// Readiness: the database answers.
#[utoipa::path(tag = "health", responses((status = 200, body = Health), (status = 503, body = super::error::Problem)))]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<web::Json<Health>, AppError> {
    ready_for(&state).await?;
    Ok(web::Json(Health { status: "ok" }))
}

/// The OpenAPI 3.1 document of every route, generated from the handlers.
#[utoipa::path(tag = "health", responses((status = 200, description = "OpenAPI 3.1 document", content_type = "application/json")))]
#[get("/openapi.json")]
pub async fn openapi_json(doc: web::Data<super::OpenApiJson>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(doc.0.clone())
}
