//! Report versions: generated at issue_draft (draft v1), by the agency during draft_feedback
//! (revised drafts) and at approve (final). Each version is frozen — its model and rendered files
//! stored once, served byte-identical later. GET /evaluations/{id}/reports, POST (revised draft),
//! GET /reports/{id}, /reports/{id}.html (and .docx, .pdf where rendered).

use crate::api::error::Problem;
use crate::app::error::AppError;
use crate::app::reports::*;
use crate::auth::CurrentUser;
use crate::http::request_id;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, get, post, web};

/// The evaluation's report versions, oldest first (the draft exists from issue_draft on).
#[utoipa::path(
    tag = "reports",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "evaluation id")),
    responses((status = 200, body = ReportVersions), (status = 401, body = Problem), (status = 404, body = Problem))
)]
#[get("/evaluations/{id}/reports")]
pub async fn list(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
) -> Result<web::Json<ReportVersions>, AppError> {
    versions_for(&state, &me, id.into_inner())
        .await
        .map(|items| web::Json(ReportVersions { items }))
}

/// Issues a revised draft (v2, …) from the data as it stands: the agency's manager (or an admin)
/// during draft_feedback. The parties are notified.
#[utoipa::path(
    tag = "reports",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "evaluation id")),
    responses(
        (status = 201, body = ReportVersion),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem),
    )
)]
#[post("/evaluations/{id}/reports")]
pub async fn revise(
    state: web::Data<AppState>,
    me: CurrentUser,
    req: HttpRequest,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let issued = revise_for(&state, &me, id.into_inner(), request_id(&req)).await?;
    Ok(HttpResponse::Created().json(issued))
}

/// One version with its files.
#[utoipa::path(
    tag = "reports",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "report id")),
    responses((status = 200, body = ReportVersion), (status = 401, body = Problem), (status = 404, body = Problem))
)]
#[get("/reports/{id}")]
pub async fn get_one(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
) -> Result<web::Json<ReportVersion>, AppError> {
    Ok(web::Json(version_for(&state, &me, id.into_inner()).await?))
}

/// The version's HTML, exactly as stored; `?copy=public` the publication copy.
#[utoipa::path(
    tag = "reports",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "report id"), CopyQuery),
    responses((status = 200, content_type = "text/html"), (status = 401, body = Problem), (status = 404, body = Problem))
)]
#[get("/reports/{id}.html")]
pub async fn get_html(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
    query: web::Query<CopyQuery>,
) -> Result<HttpResponse, AppError> {
    download_for(
        &state,
        &me,
        id.into_inner(),
        "html",
        query.copy.unwrap_or_default(),
    )
    .await
    .map(crate::http::download)
}

/// The version's Word document, exactly as stored; `?copy=public` the publication copy.
#[utoipa::path(
    tag = "reports",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "report id"), CopyQuery),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"), (status = 401, body = Problem), (status = 404, body = Problem))
)]
#[get("/reports/{id}.docx")]
pub async fn get_docx(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
    query: web::Query<CopyQuery>,
) -> Result<HttpResponse, AppError> {
    download_for(
        &state,
        &me,
        id.into_inner(),
        "docx",
        query.copy.unwrap_or_default(),
    )
    .await
    .map(crate::http::download)
}

/// The final report's PDF, exactly as stored; `?copy=public` the publication copy.
#[utoipa::path(
    tag = "reports",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "report id"), CopyQuery),
    responses((status = 200, content_type = "application/pdf"), (status = 401, body = Problem), (status = 404, body = Problem))
)]
#[get("/reports/{id}.pdf")]
pub async fn get_pdf(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
    query: web::Query<CopyQuery>,
) -> Result<HttpResponse, AppError> {
    download_for(
        &state,
        &me,
        id.into_inner(),
        "pdf",
        query.copy.unwrap_or_default(),
    )
    .await
    .map(crate::http::download)
}

/// What changed between two versions of one evaluation's report, section by section.
#[utoipa::path(
    tag = "reports",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "report id"), ("other" = i64, Path, description = "report id to compare with")),
    responses((status = 200, body = Comparison), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem))
)]
#[get("/reports/{id}/compare/{other}")]
pub async fn compare_versions(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<(i64, i64)>,
) -> Result<web::Json<Comparison>, AppError> {
    let (id, other) = path.into_inner();
    Ok(web::Json(compare_for(&state, &me, id, other).await?))
}

/// The version's document model as JSON (what every rendering draws).
#[utoipa::path(
    tag = "reports",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "report id")),
    responses((status = 200, content_type = "application/json"), (status = 401, body = Problem), (status = 404, body = Problem))
)]
#[get("/reports/{id}.json")]
pub async fn get_model(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let model = model_for(&state, &me, id.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(model))
}
