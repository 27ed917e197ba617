//! Evidence files (佐证材料): POST, GET /evaluations/{id}/attachments and GET /attachments/{id}.
//! An upload is streamed to the file store in small parts while its SHA-256 is computed — never
//! the whole file in memory; its type is judged from its first bytes; past
//! `storage.max_upload_mb` it is abandoned with 413.

use crate::api::error::Problem;
use crate::app::attachments::*;
use crate::app::error::AppError;
use crate::auth::CurrentUser;
use crate::http::request_id;
use crate::state::AppState;
use actix_multipart::Multipart;
use actix_web::{HttpRequest, HttpResponse, get, post, web};

/// Uploads an evidence file (multipart field `file`) while the station may edit its
/// self-assessment: PDF, images or Office documents up to `storage.max_upload_mb`.
#[utoipa::path(
    tag = "self-assessment",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "evaluation id")),
    request_body(content_type = "multipart/form-data", description = "field `file`"),
    responses(
        (status = 201, body = AttachmentView),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem),
    )
)]
#[post("/evaluations/{id}/attachments")]
pub async fn upload(
    state: web::Data<AppState>,
    me: CurrentUser,
    req: HttpRequest,
    id: web::Path<i64>,
    payload: Multipart,
) -> Result<HttpResponse, AppError> {
    let saved = upload_for(
        &state,
        &me,
        (id.into_inner(), Purpose::SelfAssessment),
        payload,
        request_id(&req),
        |_| Ok(()),
    )
    .await?;
    Ok(HttpResponse::Created().json(saved))
}

/// The evaluation's evidence files (every party of it).
#[utoipa::path(
    tag = "self-assessment",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "evaluation id")),
    responses((status = 200, body = Attachments), (status = 401, body = Problem), (status = 404, body = Problem))
)]
#[get("/evaluations/{id}/attachments")]
pub async fn list(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
) -> Result<web::Json<Attachments>, AppError> {
    Ok(web::Json(
        attachments_for(&state, &me, id.into_inner()).await?,
    ))
}

/// Downloads an evidence file (parties of its evaluation only; others get 404).
#[utoipa::path(
    tag = "self-assessment",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "attachment id")),
    responses(
        (status = 200, description = "the file, with its stored type"),
        (status = 401, body = Problem), (status = 404, body = Problem),
    )
)]
#[get("/attachments/{id}")]
pub async fn download(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    download_for(&state, &me, id.into_inner())
        .await
        .map(crate::http::download)
}
