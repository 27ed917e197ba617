//! POST /auth/login, /auth/refresh, /auth/logout.

use crate::app::error::AppError;
use crate::app::views::MeView;
use crate::auth::attempts;
use crate::auth::tokens::{random_token, sha256_hex};
use crate::db::login_attempts::Outcome;
use crate::db::organizations::OrganizationRow;
use crate::db::users::UserRow;
use crate::db::{self, sessions, users};
use crate::domain::user::Username;
use crate::state::AppState;
use chrono::TimeDelta;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[validate(length(min = 1, max = 64, message = "请输入 1 到 64 个字符的用户名"))]
    pub username: String,
    #[validate(length(min = 1, max = 128, message = "请输入 1 到 128 个字符的密码"))]
    pub password: String,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    #[validate(length(min = 1, max = 256, message = "须为登录时取得的刷新令牌"))]
    pub refresh_token: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    /// HS256 JWT for the Authorization header.
    pub access_token: String,
    /// Single use: each refresh answers with a new one.
    pub refresh_token: String,
    /// "Bearer"
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    pub user: MeView,
    pub must_change_password: bool,
}

const BAD_CREDENTIALS: &str = "用户名或密码错误";

const ACCOUNT_DISABLED: &str = "账号已停用，请联系管理员";

const REFRESH_INVALID: &str = "刷新令牌无效或已过期，请重新登录";

/// A new session of a user who gave the right password.
pub struct SignedIn {
    pub user: UserRow,
    pub organization: OrganizationRow,
    pub session_id: String,
    pub refresh_token: String,
}

pub(crate) fn refresh_ttl(state: &AppState) -> TimeDelta {
    TimeDelta::days(i64::try_from(state.settings.auth.refresh_ttl_days).unwrap_or(14))
}

pub fn token_response(
    state: &AppState,
    user: &UserRow,
    org: &OrganizationRow,
    session_id: &str,
    refresh_token: String,
) -> Result<TokenResponse, AppError> {
    Ok(TokenResponse {
        access_token: state.jwt.issue(user.id, session_id)?,
        refresh_token,
        token_type: "Bearer",
        expires_in: state.jwt.access_ttl_seconds,
        user: MeView::new(user, org),
        must_change_password: user.must_change_password,
    })
}

enum RefreshOutcome {
    Rotated(Box<(UserRow, OrganizationRow, String)>),
    Invalid,
    Reused,
}

/// Checks a username and password (throttled, recorded in the login attempts) and opens a
/// session: the one way in, for the API and the pages.
pub async fn sign_in(
    state: &AppState,
    ip: String,
    username: &str,
    password: String,
) -> Result<SignedIn, AppError> {
    let username = Username::normalize_attempt(username);
    let claimed = attempts::claim(state, username, ip.clone()).await?;

    let stored_hash = claimed
        .user
        .as_ref()
        .map(|(user, _)| user.password_hash.clone());
    let password_ok = state
        .hasher
        .verify(SecretString::from(password), stored_hash.clone())
        .await?;
    let refresh_token = random_token(32);
    let session_id = uuid::Uuid::new_v4().to_string();
    let refresh_ttl = refresh_ttl(state);
    let auth = state.settings.auth.clone();
    let session_end = move |started| auth.session_ends_at(started);
    let user_id = claimed.user.as_ref().map(|(user, _)| user.id);
    let (outcome, found) = db::run(&state.pool, {
        let (refresh_hash, session_id) = (sha256_hex(&refresh_token), session_id.clone());
        move |conn| {
            db::write_transaction(conn, |conn| {
                let now = db::now();
                // Read again: a password change or a disabling may have landed meanwhile.
                let current = match user_id {
                    Some(id) if password_ok => users::find(conn, id)?,
                    _ => None,
                };
                let outcome = match &current {
                    Some((user, _)) if Some(&user.password_hash) != stored_hash.as_ref() => {
                        Outcome::BadCredentials
                    }
                    Some((user, _)) if user.disabled => Outcome::Disabled,
                    Some(_) => Outcome::Success,
                    None => Outcome::BadCredentials,
                };
                attempts::settle(conn, &claimed, outcome)?;
                if let (Outcome::Success, Some((user, _))) = (outcome, &current) {
                    sessions::create(conn, &session_id, user.id, &ip, now)?;
                    sessions::add_refresh_token(
                        conn,
                        &refresh_hash,
                        &session_id,
                        now,
                        (now + refresh_ttl).min(session_end(now)),
                    )?;
                }
                Ok::<_, AppError>((outcome, current))
            })
        }
    })
    .await?;

    match (outcome, found) {
        (Outcome::Success, Some((user, organization))) => {
            tracing::info!(user_id = user.id, "login");
            Ok(SignedIn {
                user,
                organization,
                session_id,
                refresh_token,
            })
        }
        (Outcome::Disabled, _) => Err(AppError::Unauthorized(ACCOUNT_DISABLED)),
        _ => Err(AppError::Unauthorized(BAD_CREDENTIALS)),
    }
}

/// Exchanges a refresh token for new tokens; reuse of a rotated one revokes its session.
pub async fn refresh_for(state: &AppState, refresh_token: &str) -> Result<TokenResponse, AppError> {
    let presented_hash = sha256_hex(refresh_token);
    let new_token = random_token(32);
    let refresh_ttl = refresh_ttl(state);
    let auth = state.settings.auth.clone();
    let outcome = db::run(&state.pool, {
        let new_hash = sha256_hex(&new_token);
        move |conn| {
            db::write_transaction(conn, |conn| {
                let now = db::now();
                let claimed = sessions::use_refresh_token(conn, &presented_hash, now)?;
                let Some((token, session, user)) =
                    sessions::find_refresh_token(conn, &presented_hash)?
                else {
                    return Ok::<_, AppError>(RefreshOutcome::Invalid);
                };
                if claimed == 0 {
                    if token.used_at.is_some() && session.revoked_at.is_none() {
                        sessions::revoke(conn, &session.id, "refresh_token_reuse", now)?;
                        return Ok(RefreshOutcome::Reused);
                    }
                    return Ok(RefreshOutcome::Invalid);
                }
                let ends = auth.session_ends_at(session.created_at);
                if session.revoked_at.is_some() || user.disabled || now >= ends {
                    return Ok(RefreshOutcome::Invalid);
                }
                let expires = (now + refresh_ttl).min(ends);
                sessions::add_refresh_token(conn, &new_hash, &session.id, now, expires)?;
                let Some((user, org)) = users::find(conn, user.id)? else {
                    return Ok(RefreshOutcome::Invalid);
                };
                Ok(RefreshOutcome::Rotated(Box::new((user, org, session.id))))
            })
        }
    })
    .await?;
    match outcome {
        RefreshOutcome::Rotated(rotated) => {
            let (user, org, session_id) = *rotated;
            token_response(state, &user, &org, &session_id, new_token)
        }
        RefreshOutcome::Reused => {
            tracing::warn!("a rotated refresh token was reused; its session is revoked");
            Err(AppError::Unauthorized(REFRESH_INVALID))
        }
        RefreshOutcome::Invalid => Err(AppError::Unauthorized(REFRESH_INVALID)),
    }
}

/// Ends the session of a refresh token (also when it is already invalid).
pub async fn logout_for(state: &AppState, refresh_token: &str) -> Result<(), AppError> {
    let presented_hash = sha256_hex(refresh_token);
    db::run(&state.pool, move |conn| {
        db::write_transaction(conn, |conn| {
            let now = db::now();
            if let Some((_, session, _)) = sessions::find_refresh_token(conn, &presented_hash)? {
                sessions::revoke(conn, &session.id, "logout", now)?;
            }
            Ok::<_, AppError>(())
        })
    })
    .await?;
    Ok(())
}

/// Ends a session by its id: the pages' logout, whose cookie names the session.
pub async fn end_session_for(state: &AppState, session_id: &str) -> Result<(), AppError> {
    let session_id = session_id.to_owned();
    db::run(&state.pool, move |conn| {
        db::write_transaction(conn, |conn| {
            sessions::revoke(conn, &session_id, "logout", db::now())
        })
        .map_err(AppError::from)
    })
    .await?;
    Ok(())
}
