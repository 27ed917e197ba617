//! Feedback on the draft report (DESIGN.md §5): the bureau, the street office and the station each
//! answer the latest draft — no objection, remarks, objections anchored to a section — and the
//! agency answers every objection. POST, GET /evaluations/{id}/feedback; POST
//! /objections/{id}/response.

use crate::api::error::Problem;
use crate::api::extract::ValidJson;
use crate::app::error::AppError;
use crate::app::feedback::*;
use crate::auth::CurrentUser;
use crate::http::request_id;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, get, post, web};

/// Gives the caller's party's feedback on the latest draft, once per draft.
#[utoipa::path(
    tag = "reports",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "evaluation id")),
    request_body = GiveFeedback,
    responses(
        (status = 201, body = FeedbackList),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem),
    )
)]
#[post("/evaluations/{id}/feedback")]
pub async fn give(
    state: web::Data<AppState>,
    me: CurrentUser,
    req: HttpRequest,
    id: web::Path<i64>,
    body: ValidJson<GiveFeedback>,
) -> Result<HttpResponse, AppError> {
    let given = give_for(&state, &me, id.into_inner(), body.0, request_id(&req)).await?;
    Ok(HttpResponse::Created().json(given))
}

/// All feedback on the evaluation's drafts, with the agency's answers.
#[utoipa::path(
    tag = "reports",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "evaluation id")),
    responses((status = 200, body = FeedbackList), (status = 401, body = Problem), (status = 404, body = Problem))
)]
#[get("/evaluations/{id}/feedback")]
pub async fn list(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
) -> Result<web::Json<FeedbackList>, AppError> {
    feedback_for(&state, &me, id.into_inner())
        .await
        .map(web::Json)
}

/// The agency's answer to an objection: its manager (or an admin), during draft_feedback, once.
#[utoipa::path(
    tag = "reports",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "objection id")),
    request_body = Answer,
    responses(
        (status = 200, body = ObjectionView),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem),
    )
)]
#[post("/objections/{id}/response")]
pub async fn answer(
    state: web::Data<AppState>,
    me: CurrentUser,
    req: HttpRequest,
    id: web::Path<i64>,
    body: ValidJson<Answer>,
) -> Result<web::Json<ObjectionView>, AppError> {
    answer_for(&state, &me, id.into_inner(), body.0, request_id(&req))
        .await
        .map(web::Json)
}
