//! The staff roster (社工到岗情况): PUT replaces it during the self-assessment, GET returns it with
//! the staffing figures of §4 and the per-month 小计 rows of the annex.

use crate::api::error::Problem;
use crate::api::extract::{ValidJson, expected_version};
use crate::app::error::AppError;
use crate::app::staff::*;
use crate::auth::CurrentUser;
use crate::http::request_id;
use crate::state::AppState;
use actix_web::{HttpRequest, get, put, web};

/// Replaces the roster during the self-assessment (the station's manager or member, or an admin).
#[utoipa::path(
    tag = "self-assessment",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "evaluation id")),
    request_body = PutStaff,
    responses(
        (status = 200, body = Staff),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem),
    )
)]
#[put("/evaluations/{id}/staff")]
pub async fn put_staff(
    state: web::Data<AppState>,
    me: CurrentUser,
    req: HttpRequest,
    id: web::Path<i64>,
    body: ValidJson<PutStaff>,
) -> Result<web::Json<Staff>, AppError> {
    let body = body.0;
    let expected = expected_version(&req, body.version)?;
    let written = put_staff_for(
        &state,
        &me,
        id.into_inner(),
        body.workers,
        expected,
        request_id(&req),
    )
    .await?;
    Ok(web::Json(written))
}

/// The roster with its staffing figures and monthly 小计.
#[utoipa::path(
    tag = "self-assessment",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "evaluation id")),
    responses((status = 200, body = Staff), (status = 401, body = Problem), (status = 404, body = Problem))
)]
#[get("/evaluations/{id}/staff")]
pub async fn get_staff(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
) -> Result<web::Json<Staff>, AppError> {
    Ok(web::Json(staff_for(&state, &me, id.into_inner()).await?))
}
