//! Administration: GET /admin/login-attempts, the record of every login attempt (等保); the
//! e-mail outbox (GET /admin/outbox, POST /admin/outbox/{id}/requeue).

use crate::app::error::AppError;
use crate::app::input::{PageQuery, Paged};
use crate::app::views::utc;
use crate::auth::extractor::AuthenticatedUser;
use crate::auth::permissions::ensure_admin;
use crate::db::{self, login_attempts as attempts};
use crate::domain::user::Username;
use crate::state::AppState;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginAttemptView {
    pub id: i64,
    pub username: String,
    pub user_id: Option<i64>,
    pub ip: String,
    pub at: DateTime<Utc>,
    /// success, bad_credentials, disabled or throttled.
    pub outcome: String,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LoginAttemptQuery {
    /// Only attempts for this username.
    pub username: Option<String>,
    pub page: Option<u64>,
    pub per_page: Option<u64>,
}

/// Login attempts, newest first, for an admin; a username is matched as a login would read it.
pub async fn login_attempts_for(
    state: &AppState,
    me: &AuthenticatedUser,
    query: LoginAttemptQuery,
) -> Result<Paged<LoginAttemptView>, AppError> {
    ensure_admin(me)?;
    let page = PageQuery {
        page: query.page,
        per_page: query.per_page,
    }
    .page();
    let username = query.username.map(|u| Username::normalize_attempt(&u));
    let (rows, total) = db::run(&state.pool, move |conn| {
        attempts::list(conn, username.as_deref(), page).map_err(AppError::from)
    })
    .await?;
    let items = rows
        .into_iter()
        .map(|row| LoginAttemptView {
            id: row.id,
            username: row.username,
            user_id: row.user_id,
            ip: row.ip,
            at: utc(row.attempted_at),
            outcome: row.outcome,
        })
        .collect();
    Ok(Paged::new(items, total, page))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OutboxMessageView {
    pub id: i64,
    pub event: String,
    pub evaluation_id: Option<i64>,
    pub to: Option<String>,
    pub subject: String,
    /// queued, sending, sent, failed (to be retried) or dead.
    pub status: String,
    pub attempts: i64,
    /// The mail server's last answer.
    pub last_error: Option<String>,
    pub message_id: String,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

impl From<db::outbox::MessageRow> for OutboxMessageView {
    fn from(row: db::outbox::MessageRow) -> Self {
        let waiting = matches!(row.status.as_str(), "queued" | "failed");
        OutboxMessageView {
            id: row.id,
            event: row.event,
            evaluation_id: row.evaluation_id,
            to: row.to_address,
            subject: row.subject,
            status: row.status,
            attempts: row.attempts,
            last_error: row.last_error,
            message_id: row.message_id,
            next_attempt_at: waiting.then(|| utc(row.next_attempt_at)),
            created_at: utc(row.created_at),
            sent_at: row.sent_at.map(utc),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OutboxList {
    pub items: Vec<OutboxMessageView>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OutboxQuery {
    /// queued, sending, sent, failed or dead.
    pub status: Option<String>,
    /// The event code (open, issue_draft, reminder-3, …).
    pub event: Option<String>,
    pub evaluation_id: Option<i64>,
    /// The recipient's address.
    pub to: Option<String>,
    /// At most this many, newest first (default 100, at most 1000).
    #[validate(range(min = 1, max = 1000, message = "须在 1 到 1000 之间"))]
    pub limit: Option<i64>,
}

/// The outbox for an admin (the API and the administration pages).
pub async fn outbox_for(
    state: &AppState,
    me: &AuthenticatedUser,
    query: OutboxQuery,
) -> Result<OutboxList, AppError> {
    ensure_admin(me)?;
    const STATUSES: [&str; 5] = ["queued", "sending", "sent", "failed", "dead"];
    if let Some(status) = &query.status
        && !STATUSES.contains(&status.as_str())
    {
        return Err(AppError::field(
            "status",
            "须为 queued、sending、sent、failed 或 dead",
        ));
    }
    let filter = db::outbox::Filter {
        status: query.status,
        event: query.event,
        evaluation_id: query.evaluation_id,
        to: query.to,
    };
    let limit = query.limit.unwrap_or(100);
    let rows = db::run(&state.pool, move |conn| {
        db::outbox::list(conn, &filter, limit).map_err(AppError::from)
    })
    .await?;
    Ok(OutboxList {
        items: rows.into_iter().map(OutboxMessageView::from).collect(),
    })
}

/// Re-queues a failed message as an admin (the API and the administration pages).
pub async fn requeue_for(
    state: &AppState,
    me: &AuthenticatedUser,
    id: i64,
) -> Result<OutboxMessageView, AppError> {
    ensure_admin(me)?;
    let row = db::run(&state.pool, move |conn| {
        db::write_transaction(conn, |conn| {
            if !db::outbox::requeue(conn, id, db::now())? {
                return match db::outbox::find(conn, id)? {
                    None => Err(AppError::NotFound("邮件")),
                    Some(row) => Err(AppError::TransitionRefused {
                        detail: format!(
                            "只有发送失败的邮件可以重新排队（当前状态：{}）",
                            row.status
                        ),
                        missing: vec![],
                    }),
                };
            }
            db::outbox::find(conn, id)?.ok_or(AppError::NotFound("邮件"))
        })
    })
    .await?;
    Ok(row.into())
}
