//! Rectification items (整改事项, DESIGN.md §7): on approve every concern of the final report
//! becomes an item for the station; the station answers them; the station's next evaluation shows
//! them. GET /stations/{id}/rectifications, PUT /rectifications/{id}.

use crate::app::access::{Record, Writing, audit_on_evaluation};
use crate::app::error::AppError;
use crate::app::views::utc;
use crate::auth::extractor::AuthenticatedUser;
use crate::auth::permissions::can_view_station;
use crate::db::evaluations::EvaluationDetail;
use crate::db::rectifications::{self as store, NewItem, RectificationRow};
use crate::db::{self, DbConnection, components, stations};
use crate::domain::components::Concern;
use crate::domain::user::Role;
use crate::report::build::RectificationFacts;
use crate::state::AppState;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

/// Turns every concern of the approved evaluation into an open item; an evaluation approved again
/// after reopen keeps its items and the station's answers.
pub fn create_from_concerns(
    conn: &mut DbConnection,
    detail: &EvaluationDetail,
    now: chrono::NaiveDateTime,
) -> Result<usize, AppError> {
    let mut items = Vec::new();
    for component in components::list(conn, detail.row.id)? {
        let concerns: Vec<Concern> = serde_json::from_str(&component.concerns).unwrap_or_default();
        for concern in concerns {
            let zone_id = concern.zones().first().copied();
            let text = match concern
                .suggestion
                .as_deref()
                .filter(|s| !s.trim().is_empty())
            {
                Some(suggestion) => format!("{}建议：{suggestion}", concern.text),
                None => concern.text,
            };
            items.push(NewItem {
                party_code: component.party_code.clone(),
                section: concern.section,
                zone_id,
                text,
            });
        }
    }
    store::sync(conn, detail.row.station_id, detail.row.id, &items, now)?;
    Ok(items.len())
}

/// The items of the station's previous evaluation (the latest one before this), which this
/// evaluation follows up.
pub fn previous_items(
    conn: &mut DbConnection,
    detail: &EvaluationDetail,
) -> Result<Vec<RectificationRow>, AppError> {
    let rows = store::of_station(conn, detail.row.station_id)?;
    let previous = rows
        .iter()
        .map(|r| r.evaluation_id)
        .filter(|e| *e < detail.row.id)
        .max();
    Ok(rows
        .into_iter()
        .filter(|r| Some(r.evaluation_id) == previous)
        .collect())
}

/// The previous evaluation's items, for this evaluation's report (整改情况).
pub fn carried_into(
    conn: &mut DbConnection,
    detail: &EvaluationDetail,
) -> Result<Vec<RectificationFacts>, AppError> {
    Ok(previous_items(conn, detail)?
        .into_iter()
        .map(|r| RectificationFacts {
            text: r.text,
            status: r.status,
            action_taken: r.action_taken,
        })
        .collect())
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RectificationView {
    pub id: i64,
    pub evaluation_id: i64,
    /// The party whose concern it was.
    pub party: String,
    pub section: Option<String>,
    pub zone_id: Option<i64>,
    pub text: String,
    /// open, in_progress or done
    pub status: String,
    pub action_taken: Option<String>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl From<RectificationRow> for RectificationView {
    fn from(row: RectificationRow) -> Self {
        RectificationView {
            id: row.id,
            evaluation_id: row.evaluation_id,
            party: row.party_code,
            section: row.section,
            zone_id: row.zone_id,
            text: row.text,
            status: row.status,
            action_taken: row.action_taken,
            updated_at: utc(row.updated_at),
            version: row.version,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Rectifications {
    pub items: Vec<RectificationView>,
}

/// The station's rectification items as `me` may see them (404 otherwise): API and pages.
pub async fn station_items_for(
    state: &AppState,
    me: &AuthenticatedUser,
    id: i64,
) -> Result<Vec<RectificationView>, AppError> {
    let user = me.clone();
    db::run(&state.pool, move |conn| station_items_on(conn, &user, id)).await
}

/// A station's items as `user` may see them (404 for a station they may not see).
pub fn station_items_on(
    conn: &mut DbConnection,
    user: &AuthenticatedUser,
    station_id: i64,
) -> Result<Vec<RectificationView>, AppError> {
    let station = stations::find_row(conn, station_id)?.ok_or(AppError::NotFound("社工站"))?;
    if !can_view_station(conn, user, &station)? {
        return Err(AppError::NotFound("社工站"));
    }
    Ok(store::of_station(conn, station_id)?
        .into_iter()
        .map(RectificationView::from)
        .collect())
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Open,
    InProgress,
    Done,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateRectification {
    pub status: Status,
    #[validate(length(max = 5000, message = "最多 5000 字"))]
    pub action_taken: Option<String>,
    /// The version the caller saw (or send If-Match).
    pub version: Option<i64>,
}

/// The station's answer to an item, as `me`: for the API and the pages.
pub async fn update_for(
    state: &AppState,
    me: &AuthenticatedUser,
    id: i64,
    body: UpdateRectification,
    expected: Option<i64>,
    request_id: Option<String>,
) -> Result<RectificationView, AppError> {
    let user = me.clone();
    db::run(&state.pool, move |conn| {
        db::write_transaction(conn, |conn| {
            let now = db::now();
            let found = store::find(conn, id)?.ok_or(AppError::NotFound("整改事项"))?;
            // Serialized on its evaluation, then read again as it now is.
            db::evaluations::lock(conn, found.evaluation_id)?;
            let item = store::find(conn, id)?.ok_or(AppError::NotFound("整改事项"))?;
            let station =
                stations::find_row(conn, item.station_id)?.ok_or(AppError::NotFound("整改事项"))?;
            if !can_view_station(conn, &user, &station)? {
                return Err(AppError::NotFound("整改事项"));
            }
            let operator = user.organization.id == station.operator_org_id
                && matches!(user.role, Role::Manager | Role::Member);
            if !(operator || user.role == Role::Admin) {
                return Err(AppError::forbidden("整改情况由社工站填写"));
            }
            let version = expected.unwrap_or(item.version);
            if version != item.version {
                return Err(AppError::StaleVersion {
                    current: item.version,
                });
            }
            let status = match body.status {
                Status::Open => "open",
                Status::InProgress => "in_progress",
                Status::Done => "done",
            };
            let action = body
                .action_taken
                .as_deref()
                .map(str::trim)
                .filter(|a| !a.is_empty());
            crate::db::evaluations::touch(conn, item.evaluation_id, now)?;
            if store::update(conn, id, version, status, action, user.id, now)? == 0 {
                let current = store::find(conn, id)?.map_or(0, |r| r.version);
                return Err(AppError::StaleVersion { current });
            }
            let writing = Writing {
                user: &user,
                request_id,
                action: "update_rectification",
            };
            let record = Record {
                entity: "rectification",
                entity_id: id.to_string(),
                summary: format!("更新整改情况：{}（{status}）", item.text),
                reason: action.map(str::to_owned),
            };
            audit_on_evaluation(conn, item.evaluation_id, writing, record, now)?;
            let row = store::find(conn, id)?.ok_or(AppError::NotFound("整改事项"))?;
            Ok::<_, AppError>(RectificationView::from(row))
        })
    })
    .await
}
