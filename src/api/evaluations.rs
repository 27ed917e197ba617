//! POST, GET /evaluations; GET, PATCH /evaluations/{id}; GET /stations/{id}/evaluations;
//! POST /evaluation-batches.

use crate::api::error::Problem;
use crate::api::extract::{ValidJson, ValidQuery, expected_version};
use crate::app::batches::{BatchCreated, CreateBatch};
use crate::app::error::AppError;
use crate::app::evaluations::*;
use crate::app::input::Paged;
use crate::auth::CurrentUser;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};

/// Creates an evaluation of an agreement (admins, or the manager of the supervising bureau).
/// Past dates are allowed: last year's evaluations are entered too.
#[utoipa::path(
    tag = "evaluations",
    security(("bearer" = [])),
    request_body = CreateEvaluation,
    responses(
        (status = 201, body = EvaluationView),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem),
    )
)]
#[post("/evaluations")]
pub async fn create(
    state: web::Data<AppState>,
    me: CurrentUser,
    body: ValidJson<CreateEvaluation>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Created().json(create_for(&state, &me, body.0).await?))
}

/// The evaluations the caller may see.
#[utoipa::path(
    tag = "evaluations",
    security(("bearer" = [])),
    params(EvaluationListQuery),
    responses(
        (status = 200, body = Paged<EvaluationView>),
        (status = 401, body = Problem),
        (status = 422, body = Problem)
    )
)]
#[get("/evaluations")]
pub async fn list(
    state: web::Data<AppState>,
    me: CurrentUser,
    query: ValidQuery<EvaluationListQuery>,
) -> Result<web::Json<Paged<EvaluationView>>, AppError> {
    let page = query.0.page();
    let (items, total) = list_for(&state, &me, query.0.filter()?, page).await?;
    Ok(web::Json(Paged::new(items, total, page)))
}

/// A station's evaluations over the years, with totals and grades as the caller may see them
/// (404 when the caller may not see the station).
#[utoipa::path(
    tag = "evaluations",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "station id"), crate::app::input::PageQuery),
    responses(
        (status = 200, body = Paged<EvaluationView>),
        (status = 401, body = Problem),
        (status = 404, body = Problem)
    )
)]
#[get("/stations/{id}/evaluations")]
pub async fn of_station(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
    query: ValidQuery<crate::app::input::PageQuery>,
) -> Result<web::Json<Paged<EvaluationView>>, AppError> {
    let page = query.0.page();
    let (items, total) = station_evaluations_for(&state, &me, id.into_inner(), page).await?;
    Ok(web::Json(Paged::new(items, total, page)))
}

/// One evaluation (404 when the caller may not see it).
#[utoipa::path(
    tag = "evaluations",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "evaluation id")),
    responses((status = 200, body = EvaluationView), (status = 401, body = Problem), (status = 404, body = Problem))
)]
#[get("/evaluations/{id}")]
pub async fn get_one(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
) -> Result<web::Json<EvaluationView>, AppError> {
    find_for(&state, &me, id.into_inner()).await.map(web::Json)
}

/// Sets an evaluation's on-site date or the months counted (the organizers, until on-site
/// scoring ends).
#[utoipa::path(
    tag = "evaluations",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "evaluation id"), ("If-Match" = Option<String>, Header, description = "the version the change is based on")),
    request_body = ChangeEvaluation,
    responses(
        (status = 200, body = EvaluationView),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem),
    )
)]
#[patch("/evaluations/{id}")]
pub async fn change(
    state: web::Data<AppState>,
    me: CurrentUser,
    req: HttpRequest,
    id: web::Path<i64>,
    body: ValidJson<ChangeEvaluation>,
) -> Result<web::Json<EvaluationView>, AppError> {
    let expected = expected_version(&req, body.0.version)?;
    change_for(&state, &me, id.into_inner(), body.0, expected)
        .await
        .map(web::Json)
}

/// Creates a district's evaluations of one kind and period at once, all or nothing (admins, or
/// the district bureau's manager): by default every station whose agreement covers the period.
#[utoipa::path(
    tag = "evaluations",
    security(("bearer" = [])),
    request_body = CreateBatch,
    responses(
        (status = 201, body = BatchCreated),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, body = Problem, description = "names each station that already has an evaluation of that kind for the period"),
        (status = 422, body = Problem),
    )
)]
#[post("/evaluation-batches")]
pub async fn create_batch(
    state: web::Data<AppState>,
    me: CurrentUser,
    body: ValidJson<CreateBatch>,
) -> Result<HttpResponse, AppError> {
    let created = crate::app::batches::create_for(&state, &me, body.0).await?;
    Ok(HttpResponse::Created().json(created))
}
