//! The staff roster (社工到岗情况): PUT replaces it during the self-assessment, GET returns it with
//! the staffing figures of §4 and the per-month 小计 rows of the annex.

use crate::app::access::{Writing, claim_version, station_write, visible};
use crate::app::error::{AppError, FieldError};
use crate::auth::extractor::AuthenticatedUser;
use crate::db::audit::{self, NewEntry};
use crate::db::evaluations::EvaluationDetail;
use crate::db::roster::{self, NewWorker};
use crate::db::targets::{self, Figure};
use crate::db::{self, DbConnection, stations};
use crate::domain::points::Points;
use crate::domain::staffing::{
    self, Metrics, Month, MonthEntry, MonthSubtotal, Qualification, Requirement, RosterWorker,
    TRAINING_HOURS, Worker, WorkerMonth,
};
use crate::state::AppState;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa::openapi::{RefOr, Schema};
use validator::Validate;

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutStaff {
    #[validate(length(max = 500, message = "最多 500 名社工"), nested)]
    pub workers: Vec<RosterWorker>,
    pub version: Option<i64>,
}

/// A worker of the roster as GET shows it: the fields PUT takes and the figures of the annex row,
/// in one object.
#[derive(Debug, Serialize)]
pub struct WorkerView {
    #[serde(flatten)]
    pub worker: RosterWorker,
    #[serde(flatten)]
    pub figures: WorkerFigures,
}

/// What the annex row adds to a worker as typed.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkerFigures {
    /// 序号, from 1.
    pub line: i64,
    pub zone_name: Option<String>,
    /// 人员到岗小计 over the period.
    pub on_post_total: Points,
}

/// One object of both: `RosterWorker`'s schema refuses other fields (as a PUT must), so a
/// flattened `allOf` of the two would forbid the figures it adds.
impl utoipa::PartialSchema for WorkerView {
    fn schema() -> RefOr<Schema> {
        match (RosterWorker::schema(), WorkerFigures::schema()) {
            (RefOr::T(Schema::Object(mut worker)), RefOr::T(Schema::Object(figures))) => {
                worker.additional_properties = None;
                worker.description = Some(
                    "A worker of the roster: the fields PUT takes, with 序号, the zone's name and \
                     人员到岗小计."
                        .into(),
                );
                worker.properties.extend(figures.properties);
                worker.required.extend(figures.required);
                RefOr::T(Schema::Object(worker))
            }
            (worker, _) => worker,
        }
    }
}

impl ToSchema for WorkerView {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        RosterWorker::schemas(schemas);
        WorkerFigures::schemas(schemas);
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Staff {
    pub workers: Vec<WorkerView>,
    /// The months of the assessment period with their 小计 rows.
    pub months: Vec<MonthSubtotal>,
    pub metrics: Metrics,
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

/// The roster as the domain counts it.
pub fn roster_of(conn: &mut DbConnection, evaluation_id: i64) -> Result<Vec<Worker>, AppError> {
    Ok(to_views(roster::list(conn, evaluation_id)?)
        .iter()
        .map(|v| to_worker(&v.worker))
        .collect())
}

fn to_worker(input: &RosterWorker) -> Worker {
    Worker {
        name: input.name.clone(),
        qualification: input.qualification,
        over_two_years: input.over_two_years,
        practice_start: input.practice_start,
        joined_on: input.joined_on,
        left_on: input.left_on,
        months: input
            .months
            .iter()
            .filter_map(|(month, entry)| {
                Some(WorkerMonth {
                    month: month.parse().ok()?,
                    on_post: entry.on_post,
                    insurance: entry.insurance,
                    wage: entry.wage,
                })
            })
            .collect(),
    }
}

fn to_views(rows: Vec<(roster::WorkerRow, Vec<roster::MonthRow>)>) -> Vec<WorkerView> {
    rows.into_iter()
        .map(|(w, months)| WorkerView {
            figures: WorkerFigures {
                line: w.line,
                zone_name: None,
                on_post_total: Points::ZERO,
            },
            worker: RosterWorker {
                name: w.name,
                position: w.position,
                qualification: Qualification::from_code(&w.qualification)
                    .unwrap_or(Qualification::Uncertified),
                over_two_years: w.over_two_years,
                practice_start: w.practice_start,
                zone_id: w.zone_id,
                joined_on: w.joined_on,
                left_on: w.left_on,
                note: w.note,
                months: months
                    .into_iter()
                    .map(|m| {
                        let entry = MonthEntry {
                            on_post: Points::from_hundredths(m.on_post_hundredths),
                            insurance: m.insurance,
                            wage: m.wage,
                        };
                        (m.month, entry)
                    })
                    .collect(),
            },
        })
        .collect()
}

/// The roster with its figures: four queries after the evaluation.
pub fn staff_of(conn: &mut DbConnection, detail: &EvaluationDetail) -> Result<Staff, AppError> {
    let row = &detail.row;
    let zones = stations::zones_of(conn, row.station_id)?;
    let agreement = stations::find_agreement(conn, row.agreement_id)?.ok_or_else(|| {
        anyhow::anyhow!(
            "agreement {} of evaluation {} vanished",
            row.agreement_id,
            row.id
        )
    })?;
    let training = targets::list(conn, Figure::Completion, row.id)?
        .into_iter()
        .find(|c| c.indicator == TRAINING_HOURS && c.zone_id.is_none())
        .map(|c| c.value);
    let period = staffing::period_months(row.assessment_start, row.assessment_end);
    let mut views = to_views(roster::list(conn, row.id)?);
    let workers: Vec<Worker> = views.iter().map(|v| to_worker(&v.worker)).collect();
    for (view, worker) in views.iter_mut().zip(&workers) {
        view.figures.zone_name = view
            .worker
            .zone_id
            .and_then(|id| zones.iter().find(|z| z.id == id))
            .map(|z| z.name.clone());
        view.figures.on_post_total = period.iter().map(|m| worker.on_post(*m)).sum();
    }
    let months = staffing::months_counted(
        row.assessment_months_hundredths
            .map(Points::from_hundredths),
        row.assessment_start,
        row.assessment_end,
    );
    let requirement = Requirement {
        required_staff: agreement.required_staff,
        required_certified_staff: agreement.required_certified_staff,
    };
    Ok(Staff {
        months: staffing::subtotals(&workers, &period),
        metrics: staffing::metrics(&workers, &period, months, requirement, training),
        workers: views,
    })
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
        db::evaluation_transaction(conn, id, |conn| {
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
