//! Excel download and upload of the annex tables: GET, POST /evaluations/{id}/indicators.xlsx and
//! /staff.xlsx. An upload writes through the same path as the JSON PUT; a workbook with any
//! problem changes nothing and gets every problem back at once, by sheet and cell.

use actix_web::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use actix_web::{HttpRequest, HttpResponse, get, post, web};

use super::access::{
    Writing, ensure_organizer, ensure_station_editing, request_id, scheme_of, state_of,
    station_write, visible,
};
use super::error::{ApiError, FieldError, Problem};
use super::extract::WorkbookBody;
use super::indicators::{self, table_of};
use super::staff::{self, Staff, staff_of};
use super::views::attachment_disposition;
use crate::auth::CurrentUser;
use crate::auth::extractor::AuthenticatedUser;
use crate::db::evaluations::EvaluationDetail;
use crate::db::targets;
use crate::db::{self, stations};
use crate::domain::indicators::{Figure, IndicatorTable};
use crate::domain::staffing;
use crate::domain::workflow::State;
use crate::excel::{self, CellProblem};
use crate::state::AppState;

fn problems(found: Vec<CellProblem>) -> ApiError {
    ApiError::Validation(
        found
            .into_iter()
            .map(|p| FieldError::new(p.field(), p.reason))
            .collect(),
    )
}

fn download(bytes: Vec<u8>, filename: &str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, excel::XLSX))
        .insert_header((
            CONTENT_DISPOSITION,
            attachment_disposition("pinggu.xlsx", filename),
        ))
        .body(bytes)
}

fn xlsx_error(e: rust_xlsxwriter::XlsxError) -> ApiError {
    anyhow::anyhow!("writing the workbook failed: {e}").into()
}

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
) -> Result<HttpResponse, ApiError> {
    indicators_workbook_for(&state, &me, id.into_inner()).await
}

/// The indicator workbook as a download, for any party of the evaluation.
pub async fn indicators_workbook_for(
    state: &AppState,
    user: &AuthenticatedUser,
    id: i64,
) -> Result<HttpResponse, ApiError> {
    let user = user.clone();
    let (bytes, station) = db::run(&state.pool, move |conn| {
        let detail = visible(conn, &user, id)?;
        let scheme = scheme_of(&detail)?;
        let table = table_of(conn, &detail, &scheme)?;
        let zones = stations::zones_of(conn, detail.row.station_id)?;
        let title = format!("{}购买服务项目", detail.station_name);
        let bytes =
            excel::indicators::write(&title, &scheme, &zones, &table).map_err(xlsx_error)?;
        Ok::<_, ApiError>((bytes, detail.station_name))
    })
    .await?;
    Ok(download(bytes, &format!("{station}指标完成情况.xlsx")))
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
) -> Result<web::Json<IndicatorTable>, ApiError> {
    let table =
        import_indicators_for(&state, &me, id.into_inner(), body.0, request_id(&req)).await?;
    Ok(web::Json(table))
}

/// Imports an indicator workbook as `user` (the API and the 自评 tab). Who may import, and
/// whether the workbook sets targets or completions, is settled first; the workbook is read
/// with bounds off the async workers; only then does the write transaction begin, checking again.
pub async fn import_indicators_for(
    state: &AppState,
    user: &AuthenticatedUser,
    id: i64,
    workbook: Vec<u8>,
    request_id: Option<String>,
) -> Result<IndicatorTable, ApiError> {
    let reader = user.clone();
    let (figure, scheme, zones) = db::run(&state.pool, move |conn| {
        let detail = visible(conn, &reader, id)?;
        let figure = indicator_figure(&reader, &detail)?;
        let scheme = scheme_of(&detail)?;
        let zones = stations::zones_of(conn, detail.row.station_id)?;
        Ok::<_, ApiError>((figure, scheme, zones))
    })
    .await?;
    let imported = excel::read_off_workers(workbook, move |bytes| {
        excel::indicators::read(bytes, &scheme, &zones, figure)
    })
    .await?
    .map_err(problems)?;
    let user = user.clone();
    db::run(&state.pool, move |conn| {
        db::evaluation_transaction(conn, id, |conn| {
            let detail = visible(conn, &user, id)?;
            if indicator_figure(&user, &detail)? != figure {
                return Err(changed_while_reading());
            }
            let scheme = scheme_of(&detail)?;
            let action = match figure {
                Figure::Target => "import_targets",
                Figure::Completion => "import_completions",
            };
            let writing = Writing {
                user: &user,
                request_id,
                action,
            };
            indicators::store(conn, &detail, &scheme, figure, &imported.cells, writing)?;
            targets::replace_stated_totals(conn, figure, id, &imported.stated_totals)?;
            table_of(conn, &detail, &scheme)
        })
    })
    .await
}

/// What an indicator workbook sets now, if `user` may import it: in setup the organizers'
/// targets, during the self-assessment the station's completions.
fn indicator_figure(
    user: &AuthenticatedUser,
    detail: &EvaluationDetail,
) -> Result<Figure, ApiError> {
    if state_of(detail)? == State::Setup {
        let denial = "只有评估机构或区民政局的负责人可以设定协议量";
        ensure_organizer(user, detail, None, denial)?;
        Ok(Figure::Target)
    } else {
        ensure_station_editing(user, detail, None)?;
        Ok(Figure::Completion)
    }
}

/// The evaluation moved on while its workbook was being read: nothing was written.
fn changed_while_reading() -> ApiError {
    ApiError::Conflict(vec![FieldError::new(
        "workbook",
        "读取工作簿期间评估阶段已变化，未写入任何内容，请刷新后重新上传",
    )])
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
) -> Result<HttpResponse, ApiError> {
    staff_workbook_for(&state, &me, id.into_inner()).await
}

/// The roster workbook as a download, for any party of the evaluation.
pub async fn staff_workbook_for(
    state: &AppState,
    user: &AuthenticatedUser,
    id: i64,
) -> Result<HttpResponse, ApiError> {
    let user = user.clone();
    let (bytes, station) = db::run(&state.pool, move |conn| {
        let detail = visible(conn, &user, id)?;
        let staff = staff_of(conn, &detail)?;
        let zones = stations::zones_of(conn, detail.row.station_id)?;
        let period =
            staffing::period_months(detail.row.assessment_start, detail.row.assessment_end);
        let workers: Vec<_> = staff.workers.into_iter().map(|w| w.worker).collect();
        let title = format!("{}购买服务项目", detail.station_name);
        let bytes = excel::staff::write(&title, &zones, &period, &workers, &staff.months)
            .map_err(xlsx_error)?;
        Ok::<_, ApiError>((bytes, detail.station_name))
    })
    .await?;
    Ok(download(bytes, &format!("{station}社工到岗情况.xlsx")))
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
) -> Result<web::Json<Staff>, ApiError> {
    let written = import_staff_for(&state, &me, id.into_inner(), body.0, request_id(&req)).await?;
    Ok(web::Json(written))
}

/// Imports a roster workbook as `user` (the API and the 自评 tab), replacing the roster. The
/// workbook is read with bounds before the write transaction begins, as for the indicators.
pub async fn import_staff_for(
    state: &AppState,
    user: &AuthenticatedUser,
    id: i64,
    workbook: Vec<u8>,
    request_id: Option<String>,
) -> Result<Staff, ApiError> {
    let reader = user.clone();
    let (zones, period) = db::run(&state.pool, move |conn| {
        let detail = visible(conn, &reader, id)?;
        ensure_station_editing(&reader, &detail, None)?;
        let zones = stations::zones_of(conn, detail.row.station_id)?;
        let period =
            staffing::period_months(detail.row.assessment_start, detail.row.assessment_end);
        Ok::<_, ApiError>((zones, period))
    })
    .await?;
    let workers = excel::read_off_workers(workbook, move |bytes| {
        excel::staff::read(bytes, &zones, &period)
    })
    .await?
    .map_err(problems)?;
    let user = user.clone();
    db::run(&state.pool, move |conn| {
        db::evaluation_transaction(conn, id, |conn| {
            let detail = station_write(conn, &user, id, None)?;
            let writing = Writing {
                user: &user,
                request_id,
                action: "import_staff",
            };
            staff::store(conn, &detail, &workers, writing)?;
            staff_of(conn, &detail)
        })
    })
    .await
}
