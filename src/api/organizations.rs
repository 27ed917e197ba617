//! POST, GET /organizations and GET /organizations/{id}.

use crate::api::error::Problem;
use crate::api::extract::{ValidJson, ValidQuery};
use crate::app::error::AppError;
use crate::app::input::{PageQuery, Paged};
use crate::app::organizations::*;
use crate::app::views::OrganizationView;
use crate::auth::CurrentUser;
use crate::db;
use crate::db::organizations::{self};
use crate::domain::organization::OrgKind;
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
    let page = PageQuery {
        page: query.0.page,
        per_page: query.0.per_page,
    }
    .page();
    let kind = query.0.kind;
    let (rows, total) = db::run(&state.pool, move |conn| {
        organizations::list(conn, kind.map(OrgKind::code), page).map_err(AppError::from)
    })
    .await?;
    let items = rows.iter().map(OrganizationView::from).collect();
    Ok(web::Json(Paged::new(items, total, page)))
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
    let id = id.into_inner();
    let row = db::run(&state.pool, move |conn| {
        organizations::find(conn, id).map_err(AppError::from)
    })
    .await?
    .ok_or(AppError::NotFound("机构"))?;
    Ok(web::Json(OrganizationView::from(&row)))
}
