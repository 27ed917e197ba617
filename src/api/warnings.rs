//! GET /evaluations/{id}/warnings: what does not add up in the self-assessment (§7), for every
//! party of the evaluation; never blocking.

use crate::api::error::Problem;
use crate::app::error::AppError;
use crate::app::warnings::*;
use crate::auth::CurrentUser;
use crate::state::AppState;
use actix_web::{get, web};

/// Consistency warnings: identical figures, completions far above target, roster months outside
/// employment or the period, experience counted too early.
#[utoipa::path(
    tag = "self-assessment",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "evaluation id")),
    responses((status = 200, body = Warnings), (status = 401, body = Problem), (status = 404, body = Problem))
)]
#[get("/evaluations/{id}/warnings")]
pub async fn get_warnings(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
) -> Result<web::Json<Warnings>, AppError> {
    Ok(web::Json(warnings_for(&state, &me, id.into_inner()).await?))
}
