//! Excel download and upload of the annex tables: GET, POST /evaluations/{id}/indicators.xlsx and
//! /staff.xlsx. An upload writes through the same path as the JSON PUT; a workbook with any
//! problem changes nothing and gets every problem back at once, by sheet and cell.

use crate::api::error::Problem;
use crate::api::extract::WorkbookBody;
use crate::app::error::AppError;
use crate::app::staff::Staff;
use crate::app::workbooks::*;
use crate::auth::CurrentUser;
use crate::domain::indicators::IndicatorTable;
use crate::http::request_id;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, get, post, web};

/// The indicator table as an Excel workbook in the annex layout.
#[utoipa::path(
    tag = "self-assessment",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "evaluation id")),
    responses(
        (status = 200, description = "附件1 指标完成情况统计表", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 401, body = Problem), (status = 404, body = Problem),
    )
)]
#[get("/evaluations/{id}/indicators.xlsx")]
pub async fn get_indicators_xlsx(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    indicators_workbook_for(&state, &me, id.into_inner())
        .await
        .map(crate::http::download)
}

/// Imports the indicator workbook: in setup the organizers' 协议量 columns set the targets; during
/// the self-assessment the station's 完成量 columns set the completions.
#[utoipa::path(
    tag = "self-assessment",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "evaluation id")),
    request_body(content = WorkbookBody, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    responses(
        (status = 200, body = IndicatorTable),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 413, body = Problem), (status = 415, body = Problem),
        (status = 422, body = Problem, description = "every problem of the workbook, field = sheet!cell"),
    )
)]
#[post("/evaluations/{id}/indicators.xlsx")]
pub async fn post_indicators_xlsx(
    state: web::Data<AppState>,
    me: CurrentUser,
    req: HttpRequest,
    id: web::Path<i64>,
    body: WorkbookBody,
) -> Result<web::Json<IndicatorTable>, AppError> {
    let table =
        import_indicators_for(&state, &me, id.into_inner(), body.0, request_id(&req)).await?;
    Ok(web::Json(table))
}

/// The roster as an Excel workbook in the annex layout, with its 小计 rows.
#[utoipa::path(
    tag = "self-assessment",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "evaluation id")),
    responses(
        (status = 200, description = "附件2 社工到岗情况统计表", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 401, body = Problem), (status = 404, body = Problem),
    )
)]
#[get("/evaluations/{id}/staff.xlsx")]
pub async fn get_staff_xlsx(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    staff_workbook_for(&state, &me, id.into_inner())
        .await
        .map(crate::http::download)
}

/// Imports the roster workbook during the self-assessment (the station), replacing the roster.
#[utoipa::path(
    tag = "self-assessment",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "evaluation id")),
    request_body(content = WorkbookBody, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    responses(
        (status = 200, body = Staff),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 413, body = Problem), (status = 415, body = Problem),
        (status = 422, body = Problem, description = "every problem of the workbook, field = sheet!cell"),
    )
)]
#[post("/evaluations/{id}/staff.xlsx")]
pub async fn post_staff_xlsx(
    state: web::Data<AppState>,
    me: CurrentUser,
    req: HttpRequest,
    id: web::Path<i64>,
    body: WorkbookBody,
) -> Result<web::Json<Staff>, AppError> {
    let written = import_staff_for(&state, &me, id.into_inner(), body.0, request_id(&req)).await?;
    Ok(web::Json(written))
}

/// The empty template of the survey's client list (no phone number ever leaves in a download).
#[utoipa::path(
    tag = "survey",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "evaluation id")),
    responses(
        (status = 200, description = "服务对象名单模板", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
    )
)]
#[get("/evaluations/{id}/clients.xlsx")]
pub async fn get_clients_xlsx(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    crate::app::clients::clients_template_for(&state, &me, id.into_inner())
        .await
        .map(crate::http::download)
}

/// Imports the survey's client list from its template during the self-assessment (the station),
/// replacing the list.
#[utoipa::path(
    tag = "survey",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "evaluation id")),
    request_body(content = WorkbookBody, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    responses(
        (status = 200, body = crate::app::clients::Clients),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 413, body = Problem), (status = 415, body = Problem),
        (status = 422, body = Problem, description = "every problem of the workbook, field = sheet!cell"),
    )
)]
#[post("/evaluations/{id}/clients.xlsx")]
pub async fn post_clients_xlsx(
    state: web::Data<AppState>,
    me: CurrentUser,
    req: HttpRequest,
    id: web::Path<i64>,
    body: WorkbookBody,
) -> Result<web::Json<crate::app::clients::Clients>, AppError> {
    let written = crate::app::clients::import_clients_for(
        &state,
        &me,
        id.into_inner(),
        body.0,
        request_id(&req),
    )
    .await?;
    Ok(web::Json(written))
}
