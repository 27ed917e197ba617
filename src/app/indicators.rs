//! Service indicators of an evaluation: targets (PUT, GET …/targets — set in setup by the
//! organizers) and completions with percentages and totals (PUT, GET …/indicators — by the station
//! during its self-assessment). A PUT writes the rows sent and leaves the others; a null value
//! removes its row (§5).

use crate::app::access::{
    Writing, claim_version, organizer_write, scheme_of, state_of, station_write, visible,
};
use crate::app::error::{AppError, FieldError};
pub use crate::app::readings::table_of;
use crate::auth::extractor::AuthenticatedUser;
use crate::db::audit::{self, NewEntry};
use crate::db::evaluations::EvaluationDetail;
use crate::db::targets::{self, Figure};
use crate::db::{self, DbConnection, stations};
use crate::domain::indicators::{self, IndicatorTable, Zone};
use crate::domain::points::Points;
use crate::domain::scheme::Scheme;
use crate::domain::workflow::State;
use crate::state::AppState;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetRow {
    /// An indicator code of the pinned scheme.
    pub indicator: String,
    /// A zone of the station; null for station-wide indicators.
    pub zone_id: Option<i64>,
    /// The agreed quantity (协议量); null removes the row.
    pub target: Option<Points>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutTargets {
    #[validate(length(max = 2000, message = "一次最多 2000 行"))]
    pub rows: Vec<TargetRow>,
    pub version: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TargetView {
    pub indicator: String,
    pub name: String,
    pub zone_id: Option<i64>,
    pub target: Points,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Targets {
    pub rows: Vec<TargetView>,
}

#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompletionRow {
    pub indicator: String,
    /// A zone of the station; null for station-wide indicators.
    pub zone_id: Option<i64>,
    /// What the station did (完成量), with up to the catalogue's decimals; null removes the row.
    pub completed: Option<Points>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutIndicators {
    #[validate(length(max = 2000, message = "一次最多 2000 行"))]
    pub rows: Vec<CompletionRow>,
    pub version: Option<i64>,
}

fn target_views(conn: &mut DbConnection, id: i64, scheme: &Scheme) -> Result<Targets, AppError> {
    let rows = targets::list(conn, Figure::Target, id)?
        .into_iter()
        .map(|cell| TargetView {
            name: scheme
                .indicators
                .iter()
                .find(|i| i.code == cell.indicator)
                .map(|i| i.name.clone())
                .unwrap_or_default(),
            indicator: cell.indicator,
            zone_id: cell.zone_id,
            target: cell.value,
        })
        .collect();
    Ok(Targets { rows })
}

/// The targets of an evaluation, for any party of it.
pub async fn targets_for(
    state: &AppState,
    user: &AuthenticatedUser,
    id: i64,
) -> Result<Targets, AppError> {
    let user = user.clone();
    db::run(&state.pool, move |conn| {
        let detail = visible(conn, &user, id)?;
        target_views(conn, id, &scheme_of(&detail)?)
    })
    .await
}

/// Checks every row against the catalogue and the station's zones; all problems at once.
fn check_rows<'a>(
    scheme: &Scheme,
    zones: &[Zone],
    rows: impl Iterator<Item = (&'a str, Option<i64>, Option<Points>)>,
    value_field: &'static str,
) -> Result<(), AppError> {
    let mut problems = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (index, (indicator, zone_id, value)) in rows.enumerate() {
        if !seen.insert((indicator, zone_id)) {
            problems.push(FieldError::new(
                format!("rows[{index}]"),
                "同一指标和片区重复出现",
            ));
        }
        for (field, reason) in
            indicators::row_problems(scheme, zones, indicator, zone_id, value, value_field)
        {
            problems.push(FieldError::new(format!("rows[{index}].{field}"), reason));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(problems))
    }
}

/// Checks every row, takes the next version, writes the rows and the audit entry: the one path
/// of PUT and of an Excel import.
pub fn store(
    conn: &mut DbConnection,
    detail: &EvaluationDetail,
    scheme: &Scheme,
    figure: Figure,
    rows: &[(String, Option<i64>, Option<Points>)],
    writing: Writing,
) -> Result<(), AppError> {
    let zones = stations::zones_of(conn, detail.row.station_id)?;
    let field = match figure {
        Figure::Target => "target",
        Figure::Completion => "completed",
    };
    let listed = rows.iter().map(|(i, z, v)| (i.as_str(), *z, *v));
    check_rows(scheme, &zones, listed, field)?;
    let now = db::now();
    claim_version(conn, detail, now)?;
    let id = detail.row.id;
    targets::put_many(conn, figure, id, rows)?;
    let summary: Vec<serde_json::Value> = rows
        .iter()
        .map(|(i, z, v)| serde_json::json!({"indicator": i, "zone_id": z, field: v}))
        .collect();
    let user = writing.user;
    audit::append(
        conn,
        &NewEntry {
            entity: "indicators".into(),
            summary: serde_json::Value::Array(summary).to_string(),
            request_id: writing.request_id,
            ..NewEntry::on_evaluation(id, (user.id, user.organization.id), writing.action, now)
        },
    )?;
    Ok(())
}

/// Sets targets as `user` in setup (the API and the 自评 tab).
pub async fn put_targets_for(
    state: &AppState,
    user: &AuthenticatedUser,
    id: i64,
    rows: Vec<TargetRow>,
    expected: Option<i64>,
    request_id: Option<String>,
) -> Result<Targets, AppError> {
    let user = user.clone();
    db::run(&state.pool, move |conn| {
        crate::app::standing::evaluation_write(conn, id, |conn| {
            let detail = organizer_write(
                conn,
                &user,
                id,
                expected,
                "只有评估机构或区民政局的负责人可以设定协议量",
            )?;
            if state_of(&detail)? != State::Setup {
                return Err(AppError::TransitionRefused {
                    detail: "协议量只能在评估准备阶段设定".into(),
                    missing: vec![],
                });
            }
            let scheme = scheme_of(&detail)?;
            let rows: Vec<_> = rows
                .iter()
                .map(|r| (r.indicator.clone(), r.zone_id, r.target))
                .collect();
            let writing = Writing {
                user: &user,
                request_id,
                action: "set_targets",
            };
            store(conn, &detail, &scheme, Figure::Target, &rows, writing)?;
            target_views(conn, id, &scheme)
        })
    })
    .await
}

/// Writes completions as `user` (the API and the 自评 tab); answers the whole table.
pub async fn put_completions_for(
    state: &AppState,
    user: &AuthenticatedUser,
    id: i64,
    rows: Vec<CompletionRow>,
    expected: Option<i64>,
    request_id: Option<String>,
) -> Result<IndicatorTable, AppError> {
    let user = user.clone();
    db::run(&state.pool, move |conn| {
        crate::app::standing::evaluation_write(conn, id, |conn| {
            let detail = station_write(conn, &user, id, expected)?;
            let scheme = scheme_of(&detail)?;
            let rows: Vec<_> = rows
                .iter()
                .map(|r| (r.indicator.clone(), r.zone_id, r.completed))
                .collect();
            let writing = Writing {
                user: &user,
                request_id,
                action: "set_completions",
            };
            store(conn, &detail, &scheme, Figure::Completion, &rows, writing)?;
            table_of(conn, &detail, &scheme)
        })
    })
    .await
}

/// The indicator table for any party of the evaluation.
pub async fn indicators_for(
    state: &AppState,
    user: &AuthenticatedUser,
    id: i64,
) -> Result<IndicatorTable, AppError> {
    let user = user.clone();
    db::run(&state.pool, move |conn| {
        let detail = visible(conn, &user, id)?;
        table_of(conn, &detail, &scheme_of(&detail)?)
    })
    .await
}
