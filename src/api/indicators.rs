//! Service indicators of an evaluation: targets (PUT, GET …/targets — set in setup by the
//! organizers) and completions with percentages and totals (PUT, GET …/indicators — by the station
//! during its self-assessment). A PUT writes the rows sent and leaves the others; a null value
//! removes its row (§5).

use actix_web::{HttpRequest, get, put, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::access::{
    Writing, claim_version, organizer_write, request_id, scheme_of, state_of, station_write,
    visible,
};
use super::error::{ApiError, FieldError, Problem};
use super::extract::{ValidJson, expected_version};
use crate::auth::CurrentUser;
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

fn target_views(conn: &mut DbConnection, id: i64, scheme: &Scheme) -> Result<Targets, ApiError> {
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

/// The indicator table of an evaluation: three queries.
pub fn table_of(
    conn: &mut DbConnection,
    detail: &EvaluationDetail,
    scheme: &Scheme,
) -> Result<IndicatorTable, ApiError> {
    let zones = stations::zones_of(conn, detail.row.station_id)?;
    let targets = targets::list(conn, Figure::Target, detail.row.id)?;
    let completions = targets::list(conn, Figure::Completion, detail.row.id)?;
    Ok(indicators::table(scheme, &zones, &targets, &completions))
}

/// Checks every row against the catalogue and the station's zones; all problems at once.
fn check_rows<'a>(
    scheme: &Scheme,
    zones: &[Zone],
    rows: impl Iterator<Item = (&'a str, Option<i64>, Option<Points>)>,
    value_field: &'static str,
) -> Result<(), ApiError> {
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
        Err(ApiError::Validation(problems))
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
) -> Result<(), ApiError> {
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

/// Sets targets in setup (the agency's or bureau's manager, or an admin).
#[utoipa::path(
    tag = "evaluations",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "evaluation id")),
    request_body = PutTargets,
    responses(
        (status = 200, body = Targets),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem),
    )
)]
#[put("/evaluations/{id}/targets")]
pub async fn put_targets(
    state: web::Data<AppState>,
    me: CurrentUser,
    req: HttpRequest,
    id: web::Path<i64>,
    body: ValidJson<PutTargets>,
) -> Result<web::Json<Targets>, ApiError> {
    let body = body.0;
    let expected = expected_version(&req, body.version)?;
    let written = put_targets_for(
        &state,
        &me,
        id.into_inner(),
        body.rows,
        expected,
        request_id(&req),
    )
    .await?;
    Ok(web::Json(written))
}

/// Sets targets as `user` in setup (the API and the 自评 tab).
pub async fn put_targets_for(
    state: &AppState,
    user: &AuthenticatedUser,
    id: i64,
    rows: Vec<TargetRow>,
    expected: Option<i64>,
    request_id: Option<String>,
) -> Result<Targets, ApiError> {
    let user = user.clone();
    db::run(&state.pool, move |conn| {
        db::evaluation_transaction(conn, id, |conn| {
            let detail = organizer_write(
                conn,
                &user,
                id,
                expected,
                "只有评估机构或区民政局的负责人可以设定协议量",
            )?;
            if state_of(&detail)? != State::Setup {
                return Err(ApiError::TransitionRefused {
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

/// The targets of an evaluation.
#[utoipa::path(
    tag = "evaluations",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "evaluation id")),
    responses((status = 200, body = Targets), (status = 401, body = Problem), (status = 404, body = Problem))
)]
#[get("/evaluations/{id}/targets")]
pub async fn get_targets(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
) -> Result<web::Json<Targets>, ApiError> {
    let id = id.into_inner();
    let user = me.0.clone();
    let found = db::run(&state.pool, move |conn| {
        let detail = visible(conn, &user, id)?;
        target_views(conn, id, &scheme_of(&detail)?)
    })
    .await?;
    Ok(web::Json(found))
}

/// Writes the station's completions during its self-assessment (its manager or member, or an
/// admin); answers the whole table.
#[utoipa::path(
    tag = "self-assessment",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "evaluation id")),
    request_body = PutIndicators,
    responses(
        (status = 200, body = IndicatorTable),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem),
    )
)]
#[put("/evaluations/{id}/indicators")]
pub async fn put_indicators(
    state: web::Data<AppState>,
    me: CurrentUser,
    req: HttpRequest,
    id: web::Path<i64>,
    body: ValidJson<PutIndicators>,
) -> Result<web::Json<IndicatorTable>, ApiError> {
    let body = body.0;
    let expected = expected_version(&req, body.version)?;
    let table = put_completions_for(
        &state,
        &me,
        id.into_inner(),
        body.rows,
        expected,
        request_id(&req),
    )
    .await?;
    Ok(web::Json(table))
}

/// Writes completions as `user` (the API and the 自评 tab); answers the whole table.
pub async fn put_completions_for(
    state: &AppState,
    user: &AuthenticatedUser,
    id: i64,
    rows: Vec<CompletionRow>,
    expected: Option<i64>,
    request_id: Option<String>,
) -> Result<IndicatorTable, ApiError> {
    let user = user.clone();
    db::run(&state.pool, move |conn| {
        db::evaluation_transaction(conn, id, |conn| {
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

/// Targets, completions and percentages per zone, with totals per indicator.
#[utoipa::path(
    tag = "self-assessment",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "evaluation id")),
    responses((status = 200, body = IndicatorTable), (status = 401, body = Problem), (status = 404, body = Problem))
)]
#[get("/evaluations/{id}/indicators")]
pub async fn get_indicators(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
) -> Result<web::Json<IndicatorTable>, ApiError> {
    Ok(web::Json(
        indicators_for(&state, &me, id.into_inner()).await?,
    ))
}

/// The indicator table for any party of the evaluation.
pub async fn indicators_for(
    state: &AppState,
    user: &AuthenticatedUser,
    id: i64,
) -> Result<IndicatorTable, ApiError> {
    let user = user.clone();
    db::run(&state.pool, move |conn| {
        let detail = visible(conn, &user, id)?;
        table_of(conn, &detail, &scheme_of(&detail)?)
    })
    .await
}
