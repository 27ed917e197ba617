//! The evaluation's workflow: POST /evaluations/{id}/transitions, GET …/timeline, and deadline
//! extensions (POST …/extensions).

use crate::api::error::Problem;
use crate::api::extract::{ValidJson, expected_version};
use crate::app::error::AppError;
use crate::app::evaluations::EvaluationView;
use crate::app::workflow::*;
use crate::auth::CurrentUser;
use crate::http::request_id;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, get, post, web};

/// Moves the evaluation on (DESIGN.md §3). Checks, in order: may the caller see it (404), may
/// their party and role fire the event (403), is the version current (409), is the event
/// possible from this state and does its guard hold (409, listing what is missing).
#[utoipa::path(
    tag = "evaluations",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "evaluation id")),
    request_body = TransitionRequest,
    responses(
        (status = 200, body = EvaluationView),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "stale version, wrong state, or a guard with `missing`"),
        (status = 422, body = Problem),
    )
)]
#[post("/evaluations/{id}/transitions")]
pub async fn transition(
    state: web::Data<AppState>,
    me: CurrentUser,
    req: HttpRequest,
    id: web::Path<i64>,
    body: ValidJson<TransitionRequest>,
) -> Result<web::Json<EvaluationView>, AppError> {
    let body = body.0;
    let expected = expected_version(&req, body.version)?;
    transition_for(
        &state,
        &me,
        id.into_inner(),
        body,
        expected,
        request_id(&req),
    )
    .await
    .map(web::Json)
}

/// What happened to the evaluation, oldest first (from its audit chain).
#[utoipa::path(
    tag = "evaluations",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "evaluation id")),
    responses((status = 200, body = Timeline), (status = 401, body = Problem), (status = 404, body = Problem))
)]
#[get("/evaluations/{id}/timeline")]
pub async fn timeline(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
) -> Result<web::Json<Timeline>, AppError> {
    timeline_for(&state, &me, id.into_inner())
        .await
        .map(web::Json)
}

/// Extends a stage deadline, for the whole stage or one party, as a record (the agency's or
/// bureau's manager, or an admin).
#[utoipa::path(
    tag = "evaluations",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "evaluation id")),
    request_body = CreateExtension,
    responses(
        (status = 201, body = ExtensionView),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem),
    )
)]
#[post("/evaluations/{id}/extensions")]
pub async fn extend(
    state: web::Data<AppState>,
    me: CurrentUser,
    req: HttpRequest,
    id: web::Path<i64>,
    body: ValidJson<CreateExtension>,
) -> Result<HttpResponse, AppError> {
    let body = body.0;
    let expected = expected_version(&req, body.version)?;
    let created = extend_for(
        &state,
        &me,
        id.into_inner(),
        body,
        expected,
        request_id(&req),
    )
    .await?;
    Ok(HttpResponse::Created().json(created))
}
