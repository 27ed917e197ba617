//! POST, GET /organizations and GET /organizations/{id}.

use crate::api::error::Problem;
use crate::api::extract::{ValidJson, ValidQuery};
use crate::app::error::AppError;
use crate::app::input::Paged;
use crate::app::organizations::*;
use crate::app::views::OrganizationView;
use crate::auth::CurrentUser;
use crate::state::AppState;
use actix_web::{HttpResponse, get, post, web};
use tracing_actix_web::RequestId;

/// Creates an organization (admins only).
#[utoipa::path(
    tag = "organizations",
    security(("bearer" = [])),
    request_body = CreateOrganization,
    responses(
        (status = 201, body = OrganizationView),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem),
    )
)]
#[post("/organizations")]
pub async fn create(
    state: web::Data<AppState>,
    me: CurrentUser,
    request: RequestId,
    body: ValidJson<CreateOrganization>,
) -> Result<HttpResponse, AppError> {
    let created = create_for(&state, &me, body.0, Some(request.to_string())).await?;
    Ok(HttpResponse::Created().json(created))
}

/// Lists organizations (any logged-in user: parties need each other's names).
#[utoipa::path(
    tag = "organizations",
    security(("bearer" = [])),
    params(OrganizationQuery),
    responses((status = 200, body = Paged<OrganizationView>), (status = 401, body = Problem))
)]
#[get("/organizations")]
pub async fn list(
    state: web::Data<AppState>,
    _me: CurrentUser,
    query: ValidQuery<OrganizationQuery>,
) -> Result<web::Json<Paged<OrganizationView>>, AppError> {
    Ok(web::Json(list_for(&state, query.0).await?))
}

/// One organization.
#[utoipa::path(
    tag = "organizations",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "organization id")),
    responses((status = 200, body = OrganizationView), (status = 401, body = Problem), (status = 404, body = Problem))
)]
#[get("/organizations/{id}")]
pub async fn get_one(
    state: web::Data<AppState>,
    _me: CurrentUser,
    id: web::Path<i64>,
) -> Result<web::Json<OrganizationView>, AppError> {
    Ok(web::Json(one_for(&state, id.into_inner()).await?))
}
