//! GET /schemes, GET /schemes/{code}, POST /schemes: evaluation schemes as data (DESIGN.md §2).

use crate::api::error::Problem;
use crate::api::extract::{JsonBody, ValidQuery};
use crate::app::error::AppError;
use crate::app::input::{PageQuery, Paged};
use crate::app::schemes::*;
use crate::auth::CurrentUser;
use crate::domain::scheme::Scheme;
use crate::state::AppState;
use actix_web::{HttpResponse, get, post, web};
use tracing_actix_web::RequestId;

/// Every version of every scheme (any logged-in user).
#[utoipa::path(
    tag = "schemes",
    security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, body = Paged<SchemeSummary>), (status = 401, body = Problem))
)]
#[get("/schemes")]
pub async fn list(
    state: web::Data<AppState>,
    _me: CurrentUser,
    query: ValidQuery<PageQuery>,
) -> Result<web::Json<Paged<SchemeSummary>>, AppError> {
    Ok(web::Json(list_for(&state, query.0).await?))
}

/// A scheme document, exactly as POST /schemes accepts it.
#[utoipa::path(
    tag = "schemes",
    security(("bearer" = [])),
    params(("code" = String, Path, description = "scheme code, e.g. guangzhou-2023"), VersionQuery),
    responses((status = 200, body = Scheme), (status = 401, body = Problem), (status = 404, body = Problem))
)]
#[get("/schemes/{code}")]
pub async fn get_one(
    state: web::Data<AppState>,
    _me: CurrentUser,
    code: web::Path<String>,
    query: ValidQuery<VersionQuery>,
) -> Result<web::Json<Scheme>, AppError> {
    Ok(web::Json(
        one_for(&state, code.into_inner(), query.0.version).await?,
    ))
}

/// Adds a scheme, or a new version of one (admins only). A stored version never changes.
#[utoipa::path(
    tag = "schemes",
    security(("bearer" = [])),
    request_body = Scheme,
    responses(
        (status = 201, body = Scheme),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, body = Problem, description = "this version exists"),
        (status = 422, body = Problem, description = "the scheme breaks a rule; `errors` names each"),
    )
)]
#[post("/schemes")]
pub async fn create(
    state: web::Data<AppState>,
    me: CurrentUser,
    request: RequestId,
    body: JsonBody<Scheme>,
) -> Result<HttpResponse, AppError> {
    let scheme = create_for(&state, &me, body.0, Some(request.to_string())).await?;
    Ok(HttpResponse::Created().json(scheme))
}
