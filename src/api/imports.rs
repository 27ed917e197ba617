//! GET /imports/template.xlsx and POST /imports[?dry_run=true]: onboarding a district from one
//! workbook (DESIGN.md §8).

use crate::api::error::Problem;
use crate::api::extract::{ValidQuery, WorkbookBody};
use crate::app::error::AppError;
use crate::app::imports::{ImportReport, import_for, template};
use crate::auth::CurrentUser;
use crate::http::request_id;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;
use utoipa::IntoParams;
use validator::Validate;

/// The onboarding template: sheets 单位, 服务站, 片区, 协议, 用户 with their headers, dropdowns
/// for 类型 and 角色, an example row each, and an instruction sheet.
#[utoipa::path(
    tag = "imports",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "批量导入模板", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 401, body = Problem),
    )
)]
#[get("/imports/template.xlsx")]
pub async fn get_template(_me: CurrentUser) -> Result<HttpResponse, AppError> {
    template().map(crate::http::download)
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// Check the workbook and answer what it would change, writing nothing.
    pub dry_run: Option<bool>,
}

/// Imports (or, with `dry_run=true`, checks) an onboarding workbook: all or nothing, by the
/// natural keys (organization 名称; station 名称 + 所在区; zone station + 片区; agreement station +
/// 开始日期; username). Admins import anything; a district bureau's manager its district's.
#[utoipa::path(
    tag = "imports",
    security(("bearer" = [])),
    params(ImportQuery),
    request_body(content = WorkbookBody, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    responses(
        (status = 200, body = ImportReport),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem),
        (status = 413, body = Problem), (status = 415, body = Problem),
        (status = 422, body = Problem, description = "every problem of the workbook, field = sheet!cell"),
    )
)]
#[post("/imports")]
pub async fn import(
    state: web::Data<AppState>,
    me: CurrentUser,
    req: HttpRequest,
    query: ValidQuery<ImportQuery>,
    body: WorkbookBody,
) -> Result<web::Json<ImportReport>, AppError> {
    let dry_run = query.0.dry_run.unwrap_or(false);
    let report = import_for(&state, &me, body.0, dry_run, request_id(&req)).await?;
    Ok(web::Json(report))
}
