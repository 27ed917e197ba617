//! The third party's expert panel: an expert's affiliations (GET, PUT /me/affiliations), the
//! agency manager's assignments (POST, GET /evaluations/{id}/experts), and each expert's own
//! sheet (GET, PUT /evaluations/{id}/expert-scores/me, POST …/me/submit).

use crate::api::error::Problem;
use crate::api::extract::{ValidJson, expected_version};
use crate::app::error::AppError;
use crate::app::panel::*;
use crate::auth::CurrentUser;
use crate::http::request_id;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, get, post, put, web};

/// The organizations the logged-in expert has worked for or advised.
#[utoipa::path(
    tag = "scoring",
    security(("bearer" = [])),
    responses((status = 200, body = Affiliations), (status = 401, body = Problem), (status = 403, body = Problem))
)]
#[get("/me/affiliations")]
pub async fn get_affiliations(
    state: web::Data<AppState>,
    me: CurrentUser,
) -> Result<web::Json<Affiliations>, AppError> {
    Ok(web::Json(affiliations_for(&state, &me).await?))
}

/// Replaces the list; assignments to stations run by one of them are flagged (回避).
#[utoipa::path(
    tag = "scoring",
    security(("bearer" = [])),
    request_body = Affiliations,
    responses((status = 200, body = Affiliations), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem))
)]
#[put("/me/affiliations")]
pub async fn put_affiliations(
    state: web::Data<AppState>,
    me: CurrentUser,
    body: ValidJson<Affiliations>,
) -> Result<web::Json<Affiliations>, AppError> {
    Ok(web::Json(put_affiliations_for(&state, &me, body.0).await?))
}

/// Assigns an expert of the evaluation's agency (its manager, or an admin), before the draft.
/// An expert who lists the station's operator needs `override_reason`.
#[utoipa::path(
    tag = "scoring",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "evaluation id")),
    request_body = AssignExpert,
    responses(
        (status = 201, body = Panel),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem),
    )
)]
#[post("/evaluations/{id}/experts")]
pub async fn assign(
    state: web::Data<AppState>,
    me: CurrentUser,
    req: HttpRequest,
    id: web::Path<i64>,
    body: ValidJson<AssignExpert>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let body = body.0;
    let request_id = request_id(&req);
    let panel = assign_for(&state, &me, id, body, request_id).await?;
    Ok(HttpResponse::Created().json(panel))
}

/// The panel: who is on it, who has declared and submitted, and the agency's other experts.
#[utoipa::path(
    tag = "scoring",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "evaluation id")),
    responses((status = 200, body = Panel), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem))
)]
#[get("/evaluations/{id}/experts")]
pub async fn list(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
) -> Result<web::Json<Panel>, AppError> {
    let id = id.into_inner();
    let panel = panel_for(&state, &me, id).await?;
    Ok(web::Json(panel))
}

/// The expert's own sheet (404 for anyone not on the panel).
#[utoipa::path(
    tag = "scoring",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "evaluation id")),
    responses((status = 200, body = Sheet), (status = 401, body = Problem), (status = 404, body = Problem))
)]
#[get("/evaluations/{id}/expert-scores/me")]
pub async fn get_sheet(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
) -> Result<web::Json<Sheet>, AppError> {
    let id = id.into_inner();
    let sheet = sheet_for(&state, &me, id).await?;
    Ok(web::Json(sheet))
}

/// Saves the expert's declaration and scores (0…max, two places) during onsite_scoring.
#[utoipa::path(
    tag = "scoring",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "evaluation id")),
    request_body = PutSheet,
    responses(
        (status = 200, body = Sheet),
        (status = 401, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem),
    )
)]
#[put("/evaluations/{id}/expert-scores/me")]
pub async fn put_sheet(
    state: web::Data<AppState>,
    me: CurrentUser,
    req: HttpRequest,
    id: web::Path<i64>,
    body: ValidJson<PutSheet>,
) -> Result<web::Json<Sheet>, AppError> {
    let id = id.into_inner();
    let body = body.0;
    let expected = expected_version(&req, body.version)?;
    let request_id = request_id(&req);
    let sheet = put_sheet_for(&state, &me, id, body, expected, request_id).await?;
    Ok(web::Json(sheet))
}

/// Submits the expert's sheet: declared without conflict, every item scored.
#[utoipa::path(
    tag = "scoring",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "evaluation id")),
    responses(
        (status = 200, body = Sheet),
        (status = 401, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem),
    )
)]
#[post("/evaluations/{id}/expert-scores/me/submit")]
pub async fn submit_sheet(
    state: web::Data<AppState>,
    me: CurrentUser,
    req: HttpRequest,
    id: web::Path<i64>,
) -> Result<web::Json<Sheet>, AppError> {
    let id = id.into_inner();
    let expected = expected_version(&req, None)?;
    let request_id = request_id(&req);
    let sheet = submit_sheet_for(&state, &me, id, expected, request_id).await?;
    Ok(web::Json(sheet))
}
