//! In-app notifications: GET /notifications (the caller's own, newest first) and
//! POST /notifications/{id}/read.

use actix_web::{get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::error::{ApiError, Problem};
use super::extract::ValidQuery;
use super::views::utc;
use crate::auth::CurrentUser;
use crate::db::{self, notifications as store};
use crate::settings::Settings;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationView {
    pub id: i64,
    pub evaluation_id: Option<i64>,
    /// The event: open, issue_draft, reminder-3, overdue, …
    pub event: String,
    pub title: String,
    pub body: String,
    /// The page of the evaluation, as in the e-mail.
    pub link: Option<String>,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationList {
    pub items: Vec<NotificationView>,
    pub unread: i64,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NotificationQuery {
    /// Only the unread ones.
    pub unread: Option<bool>,
    /// At most this many (default 50, at most 200).
    #[validate(range(min = 1, max = 200, message = "须在 1 到 200 之间"))]
    pub limit: Option<i64>,
}

fn view(row: store::NotificationRow, settings: &Settings) -> NotificationView {
    NotificationView {
        id: row.id,
        link: row
            .evaluation_id
            .map(|id| crate::notify::evaluation_link(settings, id)),
        evaluation_id: row.evaluation_id,
        event: row.event,
        title: row.title,
        body: row.body,
        created_at: utc(row.created_at),
        read_at: row.read_at.map(utc),
    }
}

/// The caller's notifications, newest first, with the number unread.
#[utoipa::path(
    tag = "notifications",
    security(("bearer" = [])),
    params(NotificationQuery),
    responses((status = 200, body = NotificationList), (status = 401, body = Problem), (status = 422, body = Problem))
)]
#[get("/notifications")]
pub async fn list(
    state: web::Data<AppState>,
    me: CurrentUser,
    query: ValidQuery<NotificationQuery>,
) -> Result<web::Json<NotificationList>, ApiError> {
    let user_id = me.id;
    let unread_only = query.0.unread.unwrap_or(false);
    let limit = query.0.limit.unwrap_or(50);
    let (rows, unread) = db::run(&state.pool, move |conn| {
        let rows = store::for_user(conn, user_id, unread_only, limit)?;
        Ok::<_, ApiError>((rows, store::unread_count(conn, user_id)?))
    })
    .await?;
    Ok(web::Json(NotificationList {
        items: rows.into_iter().map(|r| view(r, &state.settings)).collect(),
        unread,
    }))
}

/// Marks one of the caller's notifications read (another user's answers 404).
#[utoipa::path(
    tag = "notifications",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "notification id")),
    responses((status = 200, body = NotificationView), (status = 401, body = Problem), (status = 404, body = Problem))
)]
#[post("/notifications/{id}/read")]
pub async fn mark_read(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
) -> Result<web::Json<NotificationView>, ApiError> {
    let id = id.into_inner();
    let user_id = me.id;
    let row = db::run(&state.pool, move |conn| {
        db::write_transaction(conn, |conn| {
            store::mark_read(conn, id, user_id, db::now())?.ok_or(ApiError::NotFound("通知"))
        })
    })
    .await?;
    Ok(web::Json(view(row, &state.settings)))
}
