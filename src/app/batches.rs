//! POST /evaluation-batches (DESIGN.md §8): a district's evaluations of one kind and period in
//! one call, all or nothing. By default every station of the district (that the caller sets up)
//! whose agreement covers the period; a station that already has an evaluation of that kind for
//! an overlapping period is named in a 409.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::app::error::{AppError, FieldError};
use crate::app::evaluations::{CreateEvaluation, insert_in};
use crate::auth::extractor::AuthenticatedUser;
use crate::db::{self, stations};
use crate::domain::evaluation::{Deadlines, Kind};
use crate::domain::organization::OrgKind;
use crate::domain::points::Points;
use crate::domain::text::one_line;
use crate::domain::user::Role;
use crate::state::AppState;

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBatch {
    /// The district whose stations are evaluated, e.g. 荔湾区.
    #[validate(
        length(min = 1, max = 50, message = "所属区须为 1 到 50 个字符"),
        custom(function = "one_line")
    )]
    pub district: String,
    #[validate(length(min = 1, max = 64, message = "请选择评估方案"))]
    pub scheme_code: String,
    pub kind: Kind,
    pub assessment_start: NaiveDate,
    pub assessment_end: NaiveDate,
    /// As for one evaluation: months to count; absent, the calendar months.
    pub assessment_months: Option<Points>,
    pub agency_org_id: i64,
    pub center_org_id: i64,
    /// Organizations of further scheme parties, by party code.
    #[serde(default)]
    pub party_orgs: BTreeMap<String, i64>,
    pub deadlines: Deadlines,
    /// On-site dates by station id; a station without one gets the on-site scoring deadline,
    /// to be changed later (`PATCH /evaluations/{id}`).
    #[serde(default)]
    pub onsite_dates: BTreeMap<i64, NaiveDate>,
    /// Only these stations of the district; absent, every one whose agreement covers the period.
    #[validate(length(min = 1, max = 5000, message = "须列出 1 到 5000 个社工站"))]
    pub station_ids: Option<Vec<i64>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BatchCreated {
    /// The new evaluations, in the order of their stations' names.
    pub evaluation_ids: Vec<i64>,
}

/// Admins, or the manager of the district's bureau.
fn ensure_may_batch(me: &AuthenticatedUser, district: &str) -> Result<(), AppError> {
    let bureau_of_district = me.role == Role::Manager
        && me.organization.kind == OrgKind::CivilAffairsBureau
        && me.organization.district.as_deref() == Some(district);
    if me.is_admin() || bureau_of_district {
        Ok(())
    } else {
        Err(AppError::forbidden(
            "只有系统管理员或本区民政局负责人可以批量创建本区的评估",
        ))
    }
}

/// What a batch creates (or, previewed, would create): the evaluations and their stations.
#[derive(Debug, Default)]
pub struct BatchOutcome {
    pub evaluation_ids: Vec<i64>,
    /// The stations, by name.
    pub stations: Vec<String>,
}

/// Creates the batch as `me` (the API).
pub async fn create_for(
    state: &AppState,
    me: &AuthenticatedUser,
    body: CreateBatch,
) -> Result<BatchCreated, AppError> {
    let outcome = run_for(state, me, body, false).await?;
    Ok(BatchCreated {
        evaluation_ids: outcome.evaluation_ids,
    })
}

/// Creates the batch as `me`, or with `preview` only names the stations it would create
/// evaluations for, writing nothing (the page's first step).
pub async fn run_for(
    state: &AppState,
    me: &AuthenticatedUser,
    body: CreateBatch,
    preview: bool,
) -> Result<BatchOutcome, AppError> {
    let district = body.district.trim().to_owned();
    ensure_may_batch(me, &district)?;
    let actor = me.clone();
    db::run(&state.pool, move |conn| {
        db::write_transaction(conn, |conn| {
            // Two batches for one district wait for each other: the second sees the first's.
            stations::lock_district(conn, &district)?;
            let mut in_district = stations::of_district(conn, &district)?;
            if !actor.is_admin() {
                in_district.retain(|s| s.supervisor_org_id == actor.organization.id);
            }
            let explicit = body.station_ids.is_some();
            let chosen: Vec<(String, stations::StationRow)> = match &body.station_ids {
                Some(ids) => {
                    let mut chosen = Vec::new();
                    let mut problems = Vec::new();
                    for (index, id) in ids.iter().enumerate() {
                        let field = format!("station_ids[{index}]");
                        match in_district.iter().find(|s| s.id == *id) {
                            Some(s)
                                if !chosen
                                    .iter()
                                    .any(|(_, c): &(String, stations::StationRow)| c.id == *id) =>
                            {
                                chosen.push((field, s.clone()))
                            }
                            Some(_) => problems.push(FieldError::new(field, "社工站重复")),
                            None => problems.push(FieldError::new(
                                field,
                                format!("不是{district}由您设置的社工站"),
                            )),
                        }
                    }
                    if !problems.is_empty() {
                        return Err(AppError::Validation(problems));
                    }
                    chosen
                }
                None => in_district
                    .into_iter()
                    .map(|s| (format!("stations.{}", s.id), s))
                    .collect(),
            };
            let for_onsite = |id: i64| {
                body.onsite_dates
                    .get(&id)
                    .copied()
                    .unwrap_or(body.deadlines.onsite_scoring)
            };
            for id in body.onsite_dates.keys() {
                if !chosen.iter().any(|(_, s)| s.id == *id) {
                    return Err(AppError::field(
                        &format!("onsite_dates.{id}"),
                        "该社工站不在本批评估之内",
                    ));
                }
            }
            let mut creating = Vec::new();
            let mut uncovered = Vec::new();
            let mut conflicts = Vec::new();
            for (field, station) in chosen {
                let covering = stations::agreements_of(conn, station.id)?
                    .into_iter()
                    .find(|a| {
                        a.period_start <= body.assessment_start
                            && a.period_end >= body.assessment_end
                    });
                let Some(agreement) = covering else {
                    if explicit {
                        uncovered.push(FieldError::new(
                            field,
                            format!("{}没有覆盖考核期的服务协议", station.name),
                        ));
                    }
                    continue;
                };
                if let Some(existing) = crate::db::evaluations::of_kind_overlapping(
                    conn,
                    station.id,
                    body.kind.code(),
                    body.assessment_start,
                    body.assessment_end,
                )? {
                    conflicts.push(FieldError::new(
                        field,
                        format!(
                            "{}已有该考核期的{}（评估编号 {existing}）",
                            station.name,
                            body.kind.chinese_name()
                        ),
                    ));
                    continue;
                }
                creating.push((station, agreement));
            }
            if !uncovered.is_empty() {
                return Err(AppError::Validation(uncovered));
            }
            if !conflicts.is_empty() {
                return Err(AppError::Conflict(conflicts));
            }
            if creating.is_empty() {
                return Err(AppError::field(
                    "district",
                    format!("{district}没有服务协议覆盖该考核期、且尚未创建该评估的社工站"),
                ));
            }
            creating.sort_by(|a, b| a.0.name.cmp(&b.0.name));
            let stations: Vec<String> = creating.iter().map(|(s, _)| s.name.clone()).collect();
            if preview {
                return Ok(BatchOutcome {
                    evaluation_ids: Vec::new(),
                    stations,
                });
            }
            let mut ids = Vec::with_capacity(creating.len());
            for (station, agreement) in creating {
                let one = CreateEvaluation {
                    agreement_id: agreement.id,
                    scheme_code: body.scheme_code.clone(),
                    kind: body.kind,
                    assessment_start: body.assessment_start,
                    assessment_end: body.assessment_end,
                    assessment_months: body.assessment_months,
                    onsite_date: for_onsite(station.id),
                    agency_org_id: body.agency_org_id,
                    center_org_id: body.center_org_id,
                    party_orgs: body.party_orgs.clone(),
                    deadlines: body.deadlines,
                };
                let id = insert_in(conn, &actor, &one).map_err(|error| match error {
                    // A field of the one evaluation is the batch's, except its on-site date.
                    AppError::Validation(problems) => AppError::Validation(
                        problems
                            .into_iter()
                            .map(|p| match p.field.as_str() {
                                "onsite_date" => FieldError::new(
                                    format!("onsite_dates.{}", station.id),
                                    format!("{}：{}", station.name, p.message),
                                ),
                                _ => p,
                            })
                            .collect(),
                    ),
                    other => other,
                })?;
                ids.push(id);
            }
            Ok(BatchOutcome {
                evaluation_ids: ids,
                stations,
            })
        })
    })
    .await
}
