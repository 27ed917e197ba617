//! Excel download and upload of the annex tables: GET, POST /evaluations/{id}/indicators.xlsx and
//! /staff.xlsx. An upload writes through the same path as the JSON PUT; a workbook with any
//! problem changes nothing and gets every problem back at once, by sheet and cell.

use crate::app::access::{
    Writing, ensure_organizer, ensure_station_editing, scheme_of, state_of, station_write, visible,
};
use crate::app::error::{AppError, FieldError};
use crate::app::indicators::{self, table_of};
use crate::app::staff::{self, Staff, staff_of};
use crate::app::views::Download;
use crate::auth::extractor::AuthenticatedUser;
use crate::db::evaluations::EvaluationDetail;
use crate::db::targets;
use crate::db::{self, stations};
use crate::domain::indicators::{Figure, IndicatorTable};
use crate::domain::staffing;
use crate::domain::workflow::State;
use crate::excel::{self, CellProblem};
use crate::state::AppState;

pub(crate) fn problems(found: Vec<CellProblem>) -> AppError {
    AppError::Validation(
        found
            .into_iter()
            .map(|p| FieldError::new(p.field(), p.reason))
            .collect(),
    )
}

pub(crate) fn xlsx_error(e: rust_xlsxwriter::XlsxError) -> AppError {
    anyhow::anyhow!("writing the workbook failed: {e}").into()
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
) -> Result<IndicatorTable, AppError> {
    let reader = user.clone();
    let (figure, scheme, zones) = db::run(&state.pool, move |conn| {
        let detail = visible(conn, &reader, id)?;
        let figure = indicator_figure(&reader, &detail)?;
        let scheme = scheme_of(&detail)?;
        let zones = stations::zones_of(conn, detail.row.station_id)?;
        Ok::<_, AppError>((figure, scheme, zones))
    })
    .await?;
    let imported = excel::read_off_workers(workbook, move |bytes| {
        excel::indicators::read(bytes, &scheme, &zones, figure)
    })
    .await?
    .map_err(problems)?;
    let user = user.clone();
    db::run(&state.pool, move |conn| {
        crate::app::standing::evaluation_write(conn, id, |conn| {
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
) -> Result<Figure, AppError> {
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
fn changed_while_reading() -> AppError {
    AppError::Conflict(vec![FieldError::new(
        "workbook",
        "读取工作簿期间评估阶段已变化，未写入任何内容，请刷新后重新上传",
    )])
}

/// Imports a roster workbook as `user` (the API and the 自评 tab), replacing the roster. The
/// workbook is read with bounds before the write transaction begins, as for the indicators.
pub async fn import_staff_for(
    state: &AppState,
    user: &AuthenticatedUser,
    id: i64,
    workbook: Vec<u8>,
    request_id: Option<String>,
) -> Result<Staff, AppError> {
    let reader = user.clone();
    let (zones, period) = db::run(&state.pool, move |conn| {
        let detail = visible(conn, &reader, id)?;
        ensure_station_editing(&reader, &detail, None)?;
        let zones = stations::zones_of(conn, detail.row.station_id)?;
        let period =
            staffing::period_months(detail.row.assessment_start, detail.row.assessment_end);
        Ok::<_, AppError>((zones, period))
    })
    .await?;
    let workers = excel::read_off_workers(workbook, move |bytes| {
        excel::staff::read(bytes, &zones, &period)
    })
    .await?
    .map_err(problems)?;
    let user = user.clone();
    db::run(&state.pool, move |conn| {
        crate::app::standing::evaluation_write(conn, id, |conn| {
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

/// The indicator workbook as a download, for any party of the evaluation.
pub async fn indicators_workbook_for(
    state: &AppState,
    user: &AuthenticatedUser,
    id: i64,
) -> Result<Download, AppError> {
    let user = user.clone();
    let (bytes, station) = db::run(&state.pool, move |conn| {
        let detail = visible(conn, &user, id)?;
        let scheme = scheme_of(&detail)?;
        let table = table_of(conn, &detail, &scheme)?;
        let zones = stations::zones_of(conn, detail.row.station_id)?;
        let title = format!("{}购买服务项目", detail.station_name);
        let bytes =
            excel::indicators::write(&title, &scheme, &zones, &table).map_err(xlsx_error)?;
        Ok::<_, AppError>((bytes, detail.station_name))
    })
    .await?;
    Ok(Download::workbook(
        bytes,
        format!("{station}指标完成情况.xlsx"),
    ))
}

/// The roster workbook as a download, for any party of the evaluation.
pub async fn staff_workbook_for(
    state: &AppState,
    user: &AuthenticatedUser,
    id: i64,
) -> Result<Download, AppError> {
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
        Ok::<_, AppError>((bytes, detail.station_name))
    })
    .await?;
    Ok(Download::workbook(
        bytes,
        format!("{station}社工到岗情况.xlsx"),
    ))
}
