//! GET /evaluations.xlsx (the summary workbook) and GET /dashboard (DESIGN.md §8).

use crate::api::error::Problem;
use crate::api::extract::ValidQuery;
use crate::app::error::AppError;
use crate::app::evaluations::EvaluationListQuery;
use crate::app::programme::*;
use crate::auth::CurrentUser;
use crate::state::AppState;
use actix_web::{HttpResponse, get, web};

/// The summary workbook of the evaluations the caller may see under the list's filters: sheet
/// 评估结果 (one row per evaluation, each party's weighted component as the caller may see it,
/// the total and grade, each indicator's completion, the staffing figures, rectification items)
/// and sheet 汇总 (grades per district; mean and median total per district and per agency).
#[utoipa::path(
    tag = "evaluations",
    security(("bearer" = [])),
    params(EvaluationListQuery),
    responses(
        (status = 200, description = "评估结果汇总.xlsx", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 401, body = Problem), (status = 422, body = Problem),
    )
)]
#[get("/evaluations.xlsx")]
pub async fn summary_workbook(
    state: web::Data<AppState>,
    me: CurrentUser,
    query: ValidQuery<EvaluationListQuery>,
) -> Result<HttpResponse, AppError> {
    summary_workbook_for(&state, &me, query.0.filter()?)
        .await
        .map(crate::http::download)
}

/// The dashboard of the evaluations the caller may see: by stage with the overdue, by grade,
/// mean and median total by district and by agency, the indicators most often below 80 %, and
/// the stations whose grade fell since their previous evaluation.
#[utoipa::path(
    tag = "evaluations",
    security(("bearer" = [])),
    params(DashboardQuery),
    responses(
        (status = 200, body = Dashboard),
        (status = 401, body = Problem), (status = 422, body = Problem),
    )
)]
#[get("/dashboard")]
pub async fn dashboard(
    state: web::Data<AppState>,
    me: CurrentUser,
    query: ValidQuery<DashboardQuery>,
) -> Result<web::Json<Dashboard>, AppError> {
    Ok(web::Json(
        dashboard_for(&state, &me, query.0.filter()?).await?,
    ))
}
