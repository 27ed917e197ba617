//! Service indicators of an evaluation: targets (PUT, GET …/targets — set in setup by the
//! organizers) and completions with percentages and totals (PUT, GET …/indicators — by the station
//! during its self-assessment). A PUT writes the rows sent and leaves the others; a null value
//! removes its row (§5).

use crate::api::error::Problem;
use crate::api::extract::{ValidJson, expected_version};
use crate::app::error::AppError;
use crate::app::indicators::*;
use crate::auth::CurrentUser;
use crate::domain::indicators::IndicatorTable;
use crate::http::request_id;
use crate::state::AppState;
use actix_web::{HttpRequest, get, put, web};

/// Sets targets in setup (the agency's or bureau's manager, or an admin).
#[utoipa::path(
    tag = "evaluations",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "evaluation id")),
    request_body = PutTargets,
    responses(
        (status = 200, body = Targets),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem),
    )
)]
#[put("/evaluations/{id}/targets")]
pub async fn put_targets(
    state: web::Data<AppState>,
    me: CurrentUser,
    req: HttpRequest,
    id: web::Path<i64>,
    body: ValidJson<PutTargets>,
) -> Result<web::Json<Targets>, AppError> {
    let body = body.0;
    let expected = expected_version(&req, body.version)?;
    let written = put_targets_for(
        &state,
        &me,
        id.into_inner(),
        body.rows,
        expected,
        request_id(&req),
    )
    .await?;
    Ok(web::Json(written))
}

/// The targets of an evaluation.
#[utoipa::path(
    tag = "evaluations",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "evaluation id")),
    responses((status = 200, body = Targets), (status = 401, body = Problem), (status = 404, body = Problem))
)]
#[get("/evaluations/{id}/targets")]
pub async fn get_targets(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
) -> Result<web::Json<Targets>, AppError> {
    Ok(web::Json(targets_for(&state, &me, id.into_inner()).await?))
}

/// Writes the station's completions during its self-assessment (its manager or member, or an
/// admin); answers the whole table.
#[utoipa::path(
    tag = "self-assessment",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "evaluation id")),
    request_body = PutIndicators,
    responses(
        (status = 200, body = IndicatorTable),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem),
    )
)]
#[put("/evaluations/{id}/indicators")]
pub async fn put_indicators(
    state: web::Data<AppState>,
    me: CurrentUser,
    req: HttpRequest,
    id: web::Path<i64>,
    body: ValidJson<PutIndicators>,
) -> Result<web::Json<IndicatorTable>, AppError> {
    let body = body.0;
    let expected = expected_version(&req, body.version)?;
    let table = put_completions_for(
        &state,
        &me,
        id.into_inner(),
        body.rows,
        expected,
        request_id(&req),
    )
    .await?;
    Ok(web::Json(table))
}

/// Targets, completions and percentages per zone, with totals per indicator.
#[utoipa::path(
    tag = "self-assessment",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "evaluation id")),
    responses((status = 200, body = IndicatorTable), (status = 401, body = Problem), (status = 404, body = Problem))
)]
#[get("/evaluations/{id}/indicators")]
pub async fn get_indicators(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
) -> Result<web::Json<IndicatorTable>, AppError> {
    Ok(web::Json(
        indicators_for(&state, &me, id.into_inner()).await?,
    ))
}
