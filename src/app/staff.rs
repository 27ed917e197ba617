//! The staff roster (社工到岗情况): PUT replaces it during the self-assessment, GET returns it with
//! the staffing figures of §4 and the per-month 小计 rows of the annex.

use crate::app::access::{Writing, claim_version, station_write, visible};
use crate::app::error::{AppError, FieldError};
pub use crate::app::readings::{Staff, WorkerFigures, WorkerView, roster_of, staff_of};
use crate::auth::extractor::AuthenticatedUser;
use crate::db::audit::{self, NewEntry};
use crate::db::evaluations::EvaluationDetail;
use crate::db::roster::{self, NewWorker};
use crate::db::{self, DbConnection, stations};
use crate::domain::staffing::{self, Month, RosterWorker};
use crate::state::AppState;
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutStaff {
    #[validate(length(max = 500, message = "最多 500 名社工"), nested)]
    pub workers: Vec<RosterWorker>,
    pub version: Option<i64>,
}

fn input_problems(
    workers: &[RosterWorker],
    zones: &[crate::domain::indicators::Zone],
) -> Vec<FieldError> {
    let mut problems = Vec::new();
    for (index, worker) in workers.iter().enumerate() {
        let field = |name: &str| format!("workers[{index}].{name}");
        if let Some(zone) = worker.zone_id
            && !zones.iter().any(|z| z.id == zone)
        {
            problems.push(FieldError::new(field("zone_id"), "须为本社工站的片区"));
        }
        if let (Some(joined), Some(left)) = (worker.joined_on, worker.left_on)
            && left < joined
        {
            problems.push(FieldError::new(
                field("left_on"),
                "离职日期不能早于入职日期",
            ));
        }
        if worker.months.len() > 60 {
            problems.push(FieldError::new(field("months"), "最多 60 个月"));
        }
        for (month, entry) in &worker.months {
            if let Err(reason) = month.parse::<Month>() {
                problems.push(FieldError::new(field(&format!("months.{month}")), reason));
            } else if !staffing::on_post_allowed(entry.on_post) {
                problems.push(FieldError::new(
                    field(&format!("months.{month}.on_post")),
                    "人员到位须为 1、0.5 或 0",
                ));
            }
        }
    }
    problems
}

/// Checks the roster, takes the next version, replaces the roster and writes the audit entry:
/// the one path of PUT and of an Excel import.
pub fn store(
    conn: &mut DbConnection,
    detail: &EvaluationDetail,
    workers: &[RosterWorker],
    writing: Writing,
) -> Result<(), AppError> {
    let zones = stations::zones_of(conn, detail.row.station_id)?;
    let problems = input_problems(workers, &zones);
    if !problems.is_empty() {
        return Err(AppError::Validation(problems));
    }
    let now = db::now();
    claim_version(conn, detail, now)?;
    let rows: Vec<NewWorker> = workers
        .iter()
        .map(|w| NewWorker {
            name: w.name.trim(),
            position: w.position.trim(),
            qualification: w.qualification.code(),
            over_two_years: w.over_two_years,
            practice_start: w.practice_start,
            zone_id: w.zone_id,
            joined_on: w.joined_on,
            left_on: w.left_on,
            note: w.note.as_deref().map(str::trim).filter(|n| !n.is_empty()),
            contract_term: w
                .contract_term
                .as_deref()
                .map(str::trim)
                .filter(|t| !t.is_empty()),
            months: w
                .months
                .iter()
                .map(|(m, e)| (m.clone(), e.on_post.hundredths(), e.insurance, e.wage))
                .collect(),
        })
        .collect();
    let id = detail.row.id;
    roster::replace(conn, id, &rows)?;
    let user = writing.user;
    audit::append(
        conn,
        &NewEntry {
            entity: "staff".into(),
            // The whole roster as typed: edits are versioned in the audit log.
            summary: serde_json::to_string(workers).unwrap_or_default(),
            request_id: writing.request_id,
            ..NewEntry::on_evaluation(id, (user.id, user.organization.id), writing.action, now)
        },
    )?;
    Ok(())
}

/// Replaces the roster as `user` (the API and the 自评 tab's roster editor).
pub async fn put_staff_for(
    state: &AppState,
    user: &AuthenticatedUser,
    id: i64,
    workers: Vec<RosterWorker>,
    expected: Option<i64>,
    request_id: Option<String>,
) -> Result<Staff, AppError> {
    let user = user.clone();
    db::run(&state.pool, move |conn| {
        crate::app::standing::evaluation_write(conn, id, |conn| {
            let detail = station_write(conn, &user, id, expected)?;
            let writing = Writing {
                user: &user,
                request_id,
                action: "set_staff",
            };
            store(conn, &detail, &workers, writing)?;
            staff_of(conn, &detail)
        })
    })
    .await
}

/// The roster and its figures for any party of the evaluation.
pub async fn staff_for(
    state: &AppState,
    user: &AuthenticatedUser,
    id: i64,
) -> Result<Staff, AppError> {
    let user = user.clone();
    db::run(&state.pool, move |conn| {
        let detail = visible(conn, &user, id)?;
        staff_of(conn, &detail)
    })
    .await
}
