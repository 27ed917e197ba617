//! Rectification items (整改事项, DESIGN.md §7, §10): on approve every concern of the final
//! report becomes an item for the station, due later; the station answers, the agency verifies,
//! the bureau may move the due date; the station's next evaluation shows them.
//! GET /stations/{id}/rectifications, PUT|PATCH /rectifications/{id},
//! POST /rectifications/{id}/verification.

use crate::api::error::Problem;
use crate::api::extract::{ValidJson, expected_version};
use crate::app::error::AppError;
use crate::app::rectifications::*;
use crate::auth::CurrentUser;
use crate::http::request_id;
use crate::state::AppState;
use actix_web::{HttpRequest, get, patch, post, put, web};

/// The station's rectification items, newest evaluation first.
#[utoipa::path(
    tag = "reports",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "station id")),
    responses((status = 200, body = Rectifications), (status = 401, body = Problem), (status = 404, body = Problem))
)]
#[get("/stations/{id}/rectifications")]
pub async fn list(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
) -> Result<web::Json<Rectifications>, AppError> {
    station_items_for(&state, &me, id.into_inner())
        .await
        .map(|items| web::Json(Rectifications { items }))
}

/// The station's answer to an item: its manager or members (or an admin).
#[utoipa::path(
    tag = "reports",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "rectification id")),
    request_body = UpdateRectification,
    responses(
        (status = 200, body = RectificationView),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem),
    )
)]
#[put("/rectifications/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    me: CurrentUser,
    req: HttpRequest,
    id: web::Path<i64>,
    body: ValidJson<UpdateRectification>,
) -> Result<web::Json<RectificationView>, AppError> {
    let body = body.0;
    let expected = expected_version(&req, body.version)?;
    update_for(
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

/// The agency manager's verification of an answered item: `passed`, or not (with the `reason`,
/// back to the station). The station never verifies its own item.
#[utoipa::path(
    tag = "reports",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "rectification id")),
    request_body = Verification,
    responses(
        (status = 200, body = RectificationView),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem),
    )
)]
#[post("/rectifications/{id}/verification")]
pub async fn verify(
    state: web::Data<AppState>,
    me: CurrentUser,
    req: HttpRequest,
    id: web::Path<i64>,
    body: ValidJson<Verification>,
) -> Result<web::Json<RectificationView>, AppError> {
    let body = body.0;
    let expected = expected_version(&req, body.version)?;
    verify_for(&state, &me, *id, body, expected, request_id(&req))
        .await
        .map(web::Json)
}

/// The supervising bureau manager moves an item's due date (today or later).
#[utoipa::path(
    tag = "reports",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "rectification id")),
    request_body = ChangeDue,
    responses(
        (status = 200, body = RectificationView),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem),
    )
)]
#[patch("/rectifications/{id}")]
pub async fn change_due(
    state: web::Data<AppState>,
    me: CurrentUser,
    req: HttpRequest,
    id: web::Path<i64>,
    body: ValidJson<ChangeDue>,
) -> Result<web::Json<RectificationView>, AppError> {
    let body = body.0;
    let expected = expected_version(&req, body.version)?;
    change_due_for(&state, &me, *id, body, expected, request_id(&req))
        .await
        .map(web::Json)
}

/// An evidence file for the station's answer to an item (multipart field `file`), until the
/// item is verified.
#[utoipa::path(
    tag = "reports",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "rectification id")),
    request_body(content_type = "multipart/form-data", description = "the field `file`"),
    responses(
        (status = 201, body = crate::app::attachments::AttachmentView),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 413, body = Problem),
    )
)]
#[post("/rectifications/{id}/evidence")]
pub async fn upload_evidence(
    state: web::Data<AppState>,
    me: CurrentUser,
    req: HttpRequest,
    id: web::Path<i64>,
    payload: actix_multipart::Multipart,
) -> Result<actix_web::HttpResponse, AppError> {
    let saved = crate::app::attachments::upload_rectification_evidence_for(
        &state,
        &me,
        *id,
        payload,
        request_id(&req),
        |_| Ok(()),
    )
    .await?;
    Ok(actix_web::HttpResponse::Created().json(saved))
}
