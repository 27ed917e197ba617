//! GET /evaluations/{id}/warnings: what does not add up in the self-assessment (§7), for every
//! party of the evaluation; never blocking.

use crate::api::error::Problem;
use crate::app::access::{scheme_of, visible};
use crate::app::error::AppError;
use crate::app::warnings::*;
use crate::auth::CurrentUser;
use crate::db;
use crate::domain::staffing;
use crate::domain::warnings::{self};
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
    let id = id.into_inner();
    let user = me.0.clone();
    let found = db::run(&state.pool, move |conn| {
        let detail = visible(conn, &user, id)?;
        let table = crate::app::indicators::table_of(conn, &detail, &scheme_of(&detail)?)?;
        let roster = crate::app::staff::roster_of(conn, id)?;
        let period =
            staffing::period_months(detail.row.assessment_start, detail.row.assessment_end);
        let stated = crate::db::targets::stated_totals(conn, id)?;
        let mut items = warnings::indicator_warnings(&table);
        items.extend(warnings::stated_total_warnings(&table, &stated));
        items.extend(warnings::roster_warnings(&roster, &period));
        Ok::<_, AppError>(Warnings { items })
    })
    .await?;
    Ok(web::Json(found))
}
