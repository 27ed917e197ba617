//! What an evaluation's data read as — the indicator table (附件1), the roster with its
//! staffing figures (附件2) and the satisfaction survey's outcome — for the use cases, the reports and the stored standing alike. It
//! imports no use case, so every one of them may read through it.

use crate::app::error::AppError;
use crate::db::evaluations::EvaluationDetail;
use std::collections::BTreeMap;

use crate::db::clients;
use crate::db::roster;
use crate::db::targets::{self, Figure};
use crate::db::{DbConnection, stations};
use crate::domain::indicators::{self, IndicatorTable};
use crate::domain::points::Points;
use crate::domain::scheme::Scheme;
use crate::domain::staffing::{
    self, Metrics, MonthEntry, MonthSubtotal, Qualification, Requirement, RosterWorker,
    TRAINING_HOURS, Worker, WorkerMonth,
};
use crate::domain::survey::{Call, Outcome, figures};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa::openapi::{RefOr, Schema};

/// The indicator table of an evaluation: three queries.
pub fn table_of(
    conn: &mut DbConnection,
    detail: &EvaluationDetail,
    scheme: &Scheme,
) -> Result<IndicatorTable, AppError> {
    let zones = stations::zones_of(conn, detail.row.station_id)?;
    let targets = targets::list(conn, Figure::Target, detail.row.id)?;
    let completions = targets::list(conn, Figure::Completion, detail.row.id)?;
    Ok(indicators::table(scheme, &zones, &targets, &completions))
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
                contract_term: w.contract_term,
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
    let period = staffing::Period::of(row.assessment_start, row.assessment_end);
    let mut views = to_views(roster::list(conn, row.id)?);
    let workers: Vec<Worker> = views.iter().map(|v| to_worker(&v.worker)).collect();
    for (view, worker) in views.iter_mut().zip(&workers) {
        view.figures.zone_name = view
            .worker
            .zone_id
            .and_then(|id| zones.iter().find(|z| z.id == id))
            .map(|z| z.name.clone());
        view.figures.on_post_total = period.months.iter().map(|m| worker.on_post(*m)).sum();
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
        months: staffing::subtotals(&workers, &period.months),
        metrics: staffing::metrics(&workers, &period, months, requirement, training),
        workers: views,
    })
}

/// The draw being called, its clients and their calls with the answers read.
pub struct Called {
    pub draw: clients::DrawRow,
    pub draws: i64,
    pub ids: Vec<i64>,
    pub rows: Vec<clients::CallRow>,
    pub answers: Vec<BTreeMap<String, String>>,
}

impl Called {
    pub fn calls(&self) -> Vec<Call<'_>> {
        self.rows
            .iter()
            .zip(&self.answers)
            .map(|(row, answers)| Call {
                reached: row.reached,
                answers,
            })
            .collect()
    }
}

/// The latest draw and the calls of its clients; None before the first draw.
pub fn called(conn: &mut DbConnection, id: i64) -> Result<Option<Called>, AppError> {
    let mut draws = clients::draws(conn, id)?;
    let count = draws.len() as i64;
    let Some(draw) = draws.pop() else {
        return Ok(None);
    };
    let ids: Vec<i64> = serde_json::from_str(&draw.client_ids).map_err(anyhow::Error::from)?;
    let rows: Vec<clients::CallRow> = clients::calls(conn, id)?
        .into_iter()
        .filter(|c| ids.contains(&c.client_id))
        .collect();
    let answers = rows
        .iter()
        .map(|row| serde_json::from_str(&row.answers).unwrap_or_default())
        .collect();
    Ok(Some(Called {
        draw,
        draws: count,
        ids,
        rows,
        answers,
    }))
}

/// What the evaluation's survey came to: what the report and the summary workbook say. None
/// without a questionnaire or before the draw.
pub fn outcome_of(
    conn: &mut DbConnection,
    id: i64,
    scheme: &Scheme,
) -> Result<Option<Outcome>, AppError> {
    let (Some(survey), Some(called)) = (&scheme.survey, called(conn, id)?) else {
        return Ok(None);
    };
    Ok(Some(Outcome {
        sampled: called.ids.len() as i64,
        figures: figures(survey, &called.calls()),
        kind: survey.rate,
    }))
}
