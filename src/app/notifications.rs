//! In-app notifications: GET /notifications (the caller's own, newest first) and
//! POST /notifications/{id}/read.

use crate::app::error::AppError;
use crate::app::views::utc;
use crate::auth::extractor::AuthenticatedUser;
use crate::db::{self, notifications as store};
use crate::settings::Settings;
use crate::state::AppState;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

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

/// The user's own notifications, newest first, with the number unread.
pub async fn notifications_for(
    state: &AppState,
    me: &AuthenticatedUser,
    query: NotificationQuery,
) -> Result<NotificationList, AppError> {
    let user_id = me.id;
    let unread_only = query.unread.unwrap_or(false);
    let limit = query.limit.unwrap_or(50);
    let (rows, unread) = db::run(&state.pool, move |conn| {
        let rows = store::for_user(conn, user_id, unread_only, limit)?;
        Ok::<_, AppError>((rows, store::unread_count(conn, user_id)?))
    })
    .await?;
    Ok(NotificationList {
        items: rows.into_iter().map(|r| view(r, &state.settings)).collect(),
        unread,
    })
}

/// Marks one of the user's own notifications read; another user's is not found.
pub async fn mark_read_for(
    state: &AppState,
    me: &AuthenticatedUser,
    id: i64,
) -> Result<NotificationView, AppError> {
    let user_id = me.id;
    let row = db::run(&state.pool, move |conn| {
        db::write_transaction(conn, |conn| {
            store::mark_read(conn, id, user_id, db::now())?.ok_or(AppError::NotFound("通知"))
        })
    })
    .await?;
    Ok(view(row, &state.settings))
}
