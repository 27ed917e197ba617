//! In-app notifications: GET /notifications (the caller's own, newest first) and
//! POST /notifications/{id}/read.

use crate::api::error::Problem;
use crate::api::extract::ValidQuery;
use crate::app::error::AppError;
use crate::app::notifications::*;
use crate::auth::CurrentUser;
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
    Ok(web::Json(notifications_for(&state, &me, query.0).await?))
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
    Ok(web::Json(
        mark_read_for(&state, &me, id.into_inner()).await?,
    ))
}
