//! Administration: GET /admin/login-attempts, the record of every login attempt (等保); the
//! e-mail outbox (GET /admin/outbox, POST /admin/outbox/{id}/requeue).

use crate::api::error::Problem;
use crate::api::extract::ValidQuery;
use crate::app::admin::*;
use crate::app::error::AppError;
use crate::app::input::Paged;
use crate::auth::CurrentUser;
use crate::state::AppState;
use actix_web::{get, post, web};

/// Login attempts, newest first (admins only).
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(LoginAttemptQuery),
    responses((status = 200, body = Paged<LoginAttemptView>), (status = 401, body = Problem), (status = 403, body = Problem))
)]
#[get("/admin/login-attempts")]
pub async fn list_login_attempts(
    state: web::Data<AppState>,
    me: CurrentUser,
    query: ValidQuery<LoginAttemptQuery>,
) -> Result<web::Json<Paged<LoginAttemptView>>, AppError> {
    Ok(web::Json(login_attempts_for(&state, &me, query.0).await?))
}

/// The e-mail outbox, newest first, filtered (admins only).
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(OutboxQuery),
    responses((status = 200, body = OutboxList), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem))
)]
#[get("/admin/outbox")]
pub async fn list_outbox(
    state: web::Data<AppState>,
    me: CurrentUser,
    query: ValidQuery<OutboxQuery>,
) -> Result<web::Json<OutboxList>, AppError> {
    Ok(web::Json(outbox_for(&state, &me, query.0).await?))
}

/// Puts a dead (or failed) message back in the queue, due now (admins only).
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "outbox message id")),
    responses((status = 200, body = OutboxMessageView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem))
)]
#[post("/admin/outbox/{id}/requeue")]
pub async fn requeue_outbox(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
) -> Result<web::Json<OutboxMessageView>, AppError> {
    Ok(web::Json(requeue_for(&state, &me, id.into_inner()).await?))
}
