//! GET /evaluations/{id}/score: each party's component weighted, the total and the grade, as
//! far as the caller may see them (DESIGN.md §3, §4). The evaluation view carries the total and
//! grade from the same computation.

use crate::api::error::Problem;
use crate::app::access::{scheme_of, visible};
use crate::app::error::AppError;
use crate::app::score::*;
use crate::auth::CurrentUser;
use crate::db::{self};
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
    let id = id.into_inner();
    let user = me.0.clone();
    let score = db::run(&state.pool, move |conn| {
        let detail = visible(conn, &user, id)?;
        let scheme = scheme_of(&detail)?;
        score_of(conn, &user, &detail, &scheme)
    })
    .await?;
    Ok(web::Json(score))
}
