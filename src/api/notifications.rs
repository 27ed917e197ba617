//! In-app notifications: GET /notifications (the caller's own, newest first) and
//! POST /notifications/{id}/read.

use crate::api::error::Problem;
use crate::api::extract::ValidQuery;
use crate::app::error::AppError;
use crate::app::notifications::*;
use crate::auth::CurrentUser;
use crate::db::{self, notifications as store};
use crate::state::AppState;
use actix_web::{get, post, web};

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
) -> Result<web::Json<NotificationList>, AppError> {
    let user_id = me.id;
    let unread_only = query.0.unread.unwrap_or(false);
    let limit = query.0.limit.unwrap_or(50);
    let (rows, unread) = db::run(&state.pool, move |conn| {
        let rows = store::for_user(conn, user_id, unread_only, limit)?;
        Ok::<_, AppError>((rows, store::unread_count(conn, user_id)?))
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
) -> Result<web::Json<NotificationView>, AppError> {
    let id = id.into_inner();
    let user_id = me.id;
    let row = db::run(&state.pool, move |conn| {
        db::write_transaction(conn, |conn| {
            store::mark_read(conn, id, user_id, db::now())?.ok_or(AppError::NotFound("通知"))
        })
    })
    .await?;
    Ok(web::Json(view(row, &state.settings)))
}
