//! GET /evaluations/{id}/score: each party's component weighted, the total and the grade, as
//! far as the caller may see them (DESIGN.md §3, §4). The evaluation view carries the total and
//! grade from the same computation.

use crate::api::error::Problem;
use crate::app::error::AppError;
use crate::app::score::*;
use crate::auth::CurrentUser;
use crate::state::AppState;
use actix_web::{get, web};

/// Each party's component, weighted, with the total and grade, as far as the caller may see.
#[utoipa::path(
    tag = "scoring",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "evaluation id")),
    responses((status = 200, body = Score), (status = 401, body = Problem), (status = 404, body = Problem))
)]
#[get("/evaluations/{id}/score")]
pub async fn get_score(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
) -> Result<web::Json<Score>, AppError> {
    Ok(web::Json(score_for(&state, &me, id.into_inner()).await?))
}
