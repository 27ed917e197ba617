//! Password checks that count against the throttle: logins, and the current password of a
//! password change. Each is recorded `pending` before the password is hashed, in one serialized
//! step with the throttle's count, so that concurrent guesses cannot slip past the limit.

use actix_web::HttpRequest;
use chrono::TimeDelta;

use crate::app::AppError;
use crate::db::login_attempts::Unsuccessful::{Failed, Pending};
use crate::db::login_attempts::{self, Outcome};
use crate::db::users::{self, UserWithOrg};
use crate::db::{self, DbConnection};
use crate::domain::throttle;
use crate::state::AppState;

/// A pending attempt, with the user of that name if there is one.
pub struct Claimed {
    pub attempt_id: i64,
    pub user: Option<UserWithOrg>,
    username: String,
    ip: String,
}

/// Records a pending attempt for `username` from `ip`, or refuses it with 429 when too many
/// recent attempts failed (the refusal is recorded too).
pub async fn claim(state: &AppState, username: String, ip: String) -> Result<Claimed, AppError> {
    let limits = state.settings.auth.throttle;
    let window = TimeDelta::seconds(i64::try_from(limits.window_seconds).unwrap_or(900));
    let claimed = db::run(&state.pool, move |conn| {
        db::write_transaction(conn, |conn| {
            login_attempts::serialize_attempts(conn, &username, &ip)?;
            let now = db::now();
            let since = now - window;
            let (per_user, per_ip) = (i64::from(limits.per_user), i64::from(limits.per_ip));
            let failed_user =
                login_attempts::recent_for_user(conn, Failed, &username, since, per_user)?;
            let pending_user =
                login_attempts::recent_for_user(conn, Pending, &username, since, per_user)?;
            let failed_ip = login_attempts::recent_for_ip(conn, Failed, &ip, since, per_ip)?;
            let pending_ip = login_attempts::recent_for_ip(conn, Pending, &ip, since, per_ip)?;
            let wait = [
                throttle::wait_for(
                    now,
                    window,
                    limits.per_user,
                    &failed_user,
                    pending_user.len() as i64,
                ),
                throttle::wait_for(
                    now,
                    window,
                    limits.per_ip,
                    &failed_ip,
                    pending_ip.len() as i64,
                ),
            ]
            .into_iter()
            .flatten()
            .max();
            if let Some(wait) = wait {
                login_attempts::record(conn, &username, None, &ip, Outcome::Throttled, now)?;
                tracing::warn!(%username, %ip, "password attempt throttled");
                return Ok::<_, AppError>(Err(wait));
            }
            let user = users::find_by_username(conn, &username)?;
            let user_id = user.as_ref().map(|(u, _)| u.id);
            let attempt_id =
                login_attempts::record(conn, &username, user_id, &ip, Outcome::Pending, now)?;
            Ok(Ok(Claimed {
                attempt_id,
                user,
                username,
                ip,
            }))
        })
    })
    .await?;
    claimed.map_err(|wait| AppError::TooManyLogins {
        retry_after_seconds: throttle::retry_after_seconds(wait),
    })
}

/// Settles a pending attempt; call inside a write transaction. It takes the same locks as
/// `claim`, so a claim never sees an attempt neither pending nor settled between its reads.
pub fn settle(
    conn: &mut DbConnection,
    claimed: &Claimed,
    outcome: Outcome,
) -> Result<(), AppError> {
    login_attempts::serialize_attempts(conn, &claimed.username, &claimed.ip)?;
    login_attempts::settle(conn, claimed.attempt_id, outcome)?;
    Ok(())
}

/// The client's address: the connection's peer; behind a trusted proxy
/// (`server.trust_forwarded_for`), the last address in `X-Forwarded-For` — the one the proxy
/// itself saw, which the client cannot choose.
pub fn client_ip(req: &HttpRequest, state: &AppState) -> String {
    let forwarded = state
        .settings
        .server
        .trust_forwarded_for
        .then(|| req.headers().get("x-forwarded-for"))
        .flatten()
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .map(str::trim)
        .filter(|v| v.parse::<std::net::IpAddr>().is_ok())
        .map(str::to_owned);
    forwarded.unwrap_or_else(|| {
        req.peer_addr()
            .map_or_else(|| "unknown".to_owned(), |a| a.ip().to_string())
    })
}
