//! Administration: GET /admin/login-attempts, the record of every login attempt (等保).

use actix_web::{get, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::error::{ApiError, Problem};
use super::extract::{PageQuery, Paged, ValidQuery};
use super::views::utc;
use crate::auth::CurrentUser;
use crate::auth::permissions::ensure_admin;
use crate::db::{self, login_attempts as attempts};
use crate::domain::user::Username;
use crate::state::AppState;

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
) -> Result<web::Json<Paged<LoginAttemptView>>, ApiError> {
    ensure_admin(&me)?;
    let query = query.0;
    let page = PageQuery {
        page: query.page,
        per_page: query.per_page,
    }
    .page();
    let username = query.username.map(|u| Username::normalize_attempt(&u));
    let (rows, total) = db::run(&state.pool, move |conn| {
        attempts::list(conn, username.as_deref(), page).map_err(ApiError::from)
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
    Ok(web::Json(Paged::new(items, total, page)))
}
