//! POST, GET /stations; GET /stations/{id}; POST /stations/{id}/agreements; GET /agreements/{id}.

use crate::app::error::{AppError, FieldError};
use crate::app::input::{PageQuery, Paged};
use crate::app::views::{OrganizationRef, utc};
use crate::auth::extractor::AuthenticatedUser;
use crate::auth::permissions::{can_view_station, ensure_can_set_up_station, station_scope};
use crate::db::stations::{self, AgreementRow, NewAgreement, NewStation, StationDetail};
use crate::db::{self, audit, organizations};
use crate::domain::organization::OrgKind;
use crate::domain::points::Points;
use crate::domain::text::{each_one_line, one_line};
use crate::state::AppState;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ZoneInput {
    #[validate(
        length(min = 1, max = 50, message = "片区名称须为 1 到 50 个字符"),
        custom(function = "one_line")
    )]
    pub name: String,
    /// Communities (社区 / 社工点) of the zone.
    #[serde(default)]
    #[validate(
        length(max = 100, message = "最多 100 个社区"),
        custom(function = "each_one_line")
    )]
    pub communities: Vec<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateStation {
    /// e.g. 西村街社工服务站
    #[validate(
        length(min = 1, max = 100, message = "社工站名称须为 1 到 100 个字符"),
        custom(function = "one_line")
    )]
    pub name: String,
    #[validate(
        length(min = 1, max = 50, message = "所属区须为 1 到 50 个字符"),
        custom(function = "one_line")
    )]
    pub district: String,
    #[validate(
        length(min = 1, max = 50, message = "所属街道须为 1 到 50 个字符"),
        custom(function = "one_line")
    )]
    pub street: String,
    #[validate(
        length(max = 200, message = "地址不能超过 200 个字符"),
        custom(function = "one_line")
    )]
    pub address: Option<String>,
    pub operator_org_id: i64,
    pub purchaser_org_id: i64,
    pub supervisor_org_id: i64,
    /// Since when the operator runs the station (运营起始日期); 基本情况 names its month.
    pub operating_since: Option<NaiveDate>,
    #[validate(length(min = 1, max = 50, message = "至少需要一个片区"), nested)]
    pub zones: Vec<ZoneInput>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ZoneView {
    pub id: i64,
    pub name: String,
    pub communities: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StationView {
    pub id: i64,
    pub name: String,
    pub district: String,
    pub street: String,
    pub address: Option<String>,
    pub operator_org_id: i64,
    pub purchaser_org_id: i64,
    pub supervisor_org_id: i64,
    pub operator: OrganizationRef,
    pub purchaser: OrganizationRef,
    pub supervisor: OrganizationRef,
    pub operating_since: Option<NaiveDate>,
    pub zones: Vec<ZoneView>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
}

impl From<StationDetail> for StationView {
    fn from(detail: StationDetail) -> Self {
        let s = detail.station;
        Self {
            id: s.id,
            name: s.name,
            district: s.district,
            street: s.street,
            address: s.address,
            operator_org_id: s.operator_org_id,
            purchaser_org_id: s.purchaser_org_id,
            supervisor_org_id: s.supervisor_org_id,
            operator: (&detail.operator).into(),
            purchaser: (&detail.purchaser).into(),
            supervisor: (&detail.supervisor).into(),
            operating_since: s.operating_since,
            zones: detail
                .zones
                .into_iter()
                .map(|z| ZoneView {
                    id: z.id,
                    name: z.name,
                    communities: z.communities,
                })
                .collect(),
            version: s.version,
            created_at: utc(s.created_at),
        }
    }
}

/// Registers a station as `me` (the API and the administration pages).
pub async fn create_for(
    state: &AppState,
    me: &AuthenticatedUser,
    body: CreateStation,
    request_id: Option<String>,
) -> Result<StationView, AppError> {
    ensure_can_set_up_station(me, body.supervisor_org_id)?;
    let mut problems = Vec::new();
    let mut zones: Vec<(String, Vec<String>)> = Vec::new();
    for (index, zone) in body.zones.iter().enumerate() {
        let name = zone.name.trim().to_owned();
        if zones.iter().any(|(z, _)| *z == name) {
            problems.push(FieldError::new(
                format!("zones[{index}].name"),
                format!("片区“{name}”重复"),
            ));
        }
        let mut communities: Vec<String> = Vec::new();
        for (c, community) in zone.communities.iter().enumerate() {
            let community = community.trim().to_owned();
            if community.is_empty() || community.chars().count() > 50 {
                problems.push(FieldError::new(
                    format!("zones[{index}].communities[{c}]"),
                    "社区名称须为 1 到 50 个字符",
                ));
            } else if communities.contains(&community) {
                problems.push(FieldError::new(
                    format!("zones[{index}].communities[{c}]"),
                    format!("社区“{community}”重复"),
                ));
            } else {
                communities.push(community);
            }
        }
        zones.push((name, communities));
    }
    let wanted = [
        ("operator_org_id", body.operator_org_id, OrgKind::Operator),
        (
            "purchaser_org_id",
            body.purchaser_org_id,
            OrgKind::StreetOffice,
        ),
        (
            "supervisor_org_id",
            body.supervisor_org_id,
            OrgKind::CivilAffairsBureau,
        ),
    ];
    let kinds = db::run(&state.pool, move |conn| {
        wanted
            .iter()
            .map(|(field, id, kind)| {
                Ok((
                    *field,
                    organizations::find(conn, *id)?.map(|o| o.kind),
                    *kind,
                ))
            })
            .collect::<Result<Vec<_>, AppError>>()
    })
    .await?;
    for (field, found, kind) in kinds {
        match found {
            None => problems.push(FieldError::new(field, "机构不存在")),
            Some(found) if found != kind.code() => problems.push(FieldError::new(
                field,
                format!("须为{}", kind.chinese_name()),
            )),
            Some(_) => {}
        }
    }
    if !problems.is_empty() {
        return Err(AppError::Validation(problems));
    }
    let actor = (me.id, me.organization.id);
    let created = db::run(&state.pool, move |conn| {
        db::write_transaction(conn, |conn| {
            let (name, district) = (body.name.trim(), body.district.trim());
            if stations::name_taken(conn, district, name)? {
                return Err(AppError::Conflict(vec![FieldError::new(
                    "name",
                    format!("{district}已有同名社工站"),
                )]));
            }
            let new = NewStation {
                name,
                district,
                street: body.street.trim(),
                address: body
                    .address
                    .as_deref()
                    .map(str::trim)
                    .filter(|a| !a.is_empty()),
                operator_org_id: body.operator_org_id,
                purchaser_org_id: body.purchaser_org_id,
                supervisor_org_id: body.supervisor_org_id,
                operating_since: body.operating_since,
                zones: &zones,
            };
            let now = db::now();
            let id = stations::insert(conn, &new, now)?;
            let summary = format!("登记社工站“{name}”（{district}）");
            audit::append_global(
                conn,
                &audit::global_entry(
                    Some(actor),
                    "create",
                    audit::STATION_ENTITY,
                    id,
                    summary,
                    now,
                    request_id,
                ),
            )?;
            stations::find(conn, id)?
                .ok_or_else(|| AppError::from(anyhow::anyhow!("station {id} vanished")))
        })
    })
    .await?;
    Ok(StationView::from(created))
}

/// A page of the stations `me` may see.
pub async fn list_for(
    state: &AppState,
    me: &AuthenticatedUser,
    query: PageQuery,
) -> Result<Paged<StationView>, AppError> {
    let page = query.page();
    let scope = station_scope(me);
    let (details, total) = db::run(&state.pool, move |conn| {
        stations::list(conn, &scope, page).map_err(AppError::from)
    })
    .await?;
    Ok(Paged::new(
        details.into_iter().map(StationView::from).collect(),
        total,
        page,
    ))
}

/// One station; not found when `me` may not see it, so that its existence is not told.
pub async fn one_for(
    state: &AppState,
    me: &AuthenticatedUser,
    id: i64,
) -> Result<StationView, AppError> {
    let me = me.clone();
    let detail = db::run(&state.pool, move |conn| {
        let Some(detail) = stations::find(conn, id)? else {
            return Ok::<_, AppError>(None);
        };
        Ok(can_view_station(conn, &me, &detail.station)?.then_some(detail))
    })
    .await?
    .ok_or(AppError::NotFound("社工站"))?;
    Ok(detail.into())
}

/// Every station `me` may see, with its agreements (the administration pages).
pub async fn all_for(
    state: &AppState,
    me: &AuthenticatedUser,
) -> Result<Vec<(StationView, Vec<AgreementView>)>, AppError> {
    let scope = station_scope(me);
    let page = crate::db::Page {
        page: 1,
        per_page: 10_000,
    };
    db::run(&state.pool, move |conn| {
        let (details, _) = stations::list(conn, &scope, page)?;
        let mut found = Vec::new();
        for detail in details {
            let agreements = stations::agreements_of(conn, detail.station.id)?;
            found.push((
                StationView::from(detail),
                agreements.into_iter().map(AgreementView::from).collect(),
            ));
        }
        Ok::<_, AppError>(found)
    })
    .await
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAgreement {
    /// First day of the service year, e.g. 2024-12-11.
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    /// Funding in yuan, two places: "1200000.00".
    pub funding_yuan: Points,
    #[validate(range(min = 0, max = 1000, message = "须为 0 到 1000 的整数"))]
    pub required_staff: i64,
    #[validate(range(min = 0, max = 1000, message = "须为 0 到 1000 的整数"))]
    pub required_certified_staff: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgreementView {
    pub id: i64,
    pub station_id: i64,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub funding_yuan: Points,
    pub required_staff: i64,
    pub required_certified_staff: i64,
    pub version: i64,
    pub created_at: DateTime<Utc>,
}

impl From<AgreementRow> for AgreementView {
    fn from(row: AgreementRow) -> Self {
        Self {
            id: row.id,
            station_id: row.station_id,
            period_start: row.period_start,
            period_end: row.period_end,
            funding_yuan: Points::from_hundredths(row.funding_fen),
            required_staff: row.required_staff,
            required_certified_staff: row.required_certified_staff,
            version: row.version,
            created_at: utc(row.created_at),
        }
    }
}

/// One agreement; not found when `me` may not see its station.
pub async fn agreement_for(
    state: &AppState,
    me: &AuthenticatedUser,
    id: i64,
) -> Result<AgreementView, AppError> {
    let actor = me.clone();
    let agreement = db::run(&state.pool, move |conn| {
        let Some(agreement) = stations::find_agreement(conn, id)? else {
            return Ok::<_, AppError>(None);
        };
        let visible = match stations::find_row(conn, agreement.station_id)? {
            Some(station) => can_view_station(conn, &actor, &station)?,
            None => false,
        };
        Ok(visible.then_some(agreement))
    })
    .await?
    .ok_or(AppError::NotFound("服务协议"))?;
    Ok(agreement.into())
}

/// Adds an agreement as `me` (the API and the administration pages).
pub async fn create_agreement_for(
    state: &AppState,
    me: &AuthenticatedUser,
    station_id: i64,
    body: CreateAgreement,
    request_id: Option<String>,
) -> Result<AgreementView, AppError> {
    let actor = me.clone();
    let created = db::run(&state.pool, move |conn| {
        db::write_transaction(conn, |conn| {
            let station =
                stations::find_row(conn, station_id)?.ok_or(AppError::NotFound("社工站"))?;
            if !can_view_station(conn, &actor, &station)? {
                return Err(AppError::NotFound("社工站"));
            }
            ensure_can_set_up_station(&actor, station.supervisor_org_id)?;
            let mut problems = Vec::new();
            if body.period_start > body.period_end {
                problems.push(FieldError::new(
                    "period_end",
                    "服务期结束日期不能早于开始日期",
                ));
            }
            if body.required_certified_staff > body.required_staff {
                problems.push(FieldError::new(
                    "required_certified_staff",
                    "持证社工人数不能多于社工总人数",
                ));
            }
            if !problems.is_empty() {
                return Err(AppError::Validation(problems));
            }
            if let Some(other) = stations::overlapping_agreement(
                conn,
                station_id,
                body.period_start,
                body.period_end,
            )? {
                return Err(AppError::Conflict(vec![FieldError::new(
                    "period_start",
                    format!(
                        "与已有服务协议（{} 至 {}）的服务期重叠",
                        other.period_start, other.period_end
                    ),
                )]));
            }
            let new = NewAgreement {
                station_id,
                period_start: body.period_start,
                period_end: body.period_end,
                funding_fen: body.funding_yuan.hundredths(),
                required_staff: body.required_staff,
                required_certified_staff: body.required_certified_staff,
            };
            let now = db::now();
            let id = stations::insert_agreement(conn, &new, now)?;
            let summary = format!(
                "社工站 {station_id} 的服务协议 {} 至 {}",
                new.period_start, new.period_end
            );
            let who = Some((actor.id, actor.organization.id));
            audit::append_global(
                conn,
                &audit::global_entry(who, "create", "agreement", id, summary, now, request_id),
            )?;
            stations::find_agreement(conn, id)?
                .ok_or_else(|| AppError::from(anyhow::anyhow!("agreement {id} vanished")))
        })
    })
    .await?;
    Ok(AgreementView::from(created))
}
