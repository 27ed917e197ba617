//! POST, GET /stations; GET /stations/{id}; POST /stations/{id}/agreements; GET /agreements/{id}.

use crate::api::error::Problem;
use crate::api::extract::{ValidJson, ValidQuery};
use crate::app::error::AppError;
use crate::app::input::{PageQuery, Paged};
use crate::app::stations::*;
use crate::auth::CurrentUser;
use crate::state::AppState;
use actix_web::{HttpResponse, get, post, web};
use tracing_actix_web::RequestId;

/// Registers a station with its zones (admins, or the manager of the supervising bureau).
#[utoipa::path(
    tag = "stations",
    security(("bearer" = [])),
    request_body = CreateStation,
    responses(
        (status = 201, body = StationView),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem),
    )
)]
#[post("/stations")]
pub async fn create(
    state: web::Data<AppState>,
    me: CurrentUser,
    request: RequestId,
    body: ValidJson<CreateStation>,
) -> Result<HttpResponse, AppError> {
    let created = create_for(&state, &me, body.0, Some(request.to_string())).await?;
    Ok(HttpResponse::Created().json(created))
}

/// The stations the caller may see.
#[utoipa::path(
    tag = "stations",
    security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, body = Paged<StationView>), (status = 401, body = Problem))
)]
#[get("/stations")]
pub async fn list(
    state: web::Data<AppState>,
    me: CurrentUser,
    query: ValidQuery<PageQuery>,
) -> Result<web::Json<Paged<StationView>>, AppError> {
    Ok(web::Json(list_for(&state, &me, query.0).await?))
}

/// One station (404 when the caller may not see it).
#[utoipa::path(
    tag = "stations",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "station id")),
    responses((status = 200, body = StationView), (status = 401, body = Problem), (status = 404, body = Problem))
)]
#[get("/stations/{id}")]
pub async fn get_one(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
) -> Result<web::Json<StationView>, AppError> {
    Ok(web::Json(one_for(&state, &me, id.into_inner()).await?))
}

/// Adds a service agreement (服务协议) to a station.
#[utoipa::path(
    tag = "stations",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "station id")),
    request_body = CreateAgreement,
    responses(
        (status = 201, body = AgreementView),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem),
    )
)]
#[post("/stations/{id}/agreements")]
pub async fn create_agreement(
    state: web::Data<AppState>,
    me: CurrentUser,
    request: RequestId,
    id: web::Path<i64>,
    body: ValidJson<CreateAgreement>,
) -> Result<HttpResponse, AppError> {
    let created = create_agreement_for(
        &state,
        &me,
        id.into_inner(),
        body.0,
        Some(request.to_string()),
    )
    .await?;
    Ok(HttpResponse::Created().json(created))
}

/// One agreement (404 when the caller may not see its station).
#[utoipa::path(
    tag = "stations",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "agreement id")),
    responses((status = 200, body = AgreementView), (status = 401, body = Problem), (status = 404, body = Problem))
)]
#[get("/agreements/{id}")]
pub async fn get_agreement(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
) -> Result<web::Json<AgreementView>, AppError> {
    Ok(web::Json(
        agreement_for(&state, &me, id.into_inner()).await?,
    ))
}
