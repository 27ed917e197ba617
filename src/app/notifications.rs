//! In-app notifications: GET /notifications (the caller's own, newest first) and
//! POST /notifications/{id}/read.

use crate::app::views::utc;
use crate::db::notifications as store;
use crate::settings::Settings;
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

pub(crate) fn view(row: store::NotificationRow, settings: &Settings) -> NotificationView {
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
