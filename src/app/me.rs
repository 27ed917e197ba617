//! GET /me and POST /me/password: reachable even while a password change is required.

use crate::app::error::AppError;
use crate::auth::attempts;
use crate::db::login_attempts::Outcome;
use crate::db::{self, audit, sessions, users};
use crate::domain::password_policy;
use crate::state::AppState;
use secrecy::SecretString;
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    #[validate(length(min = 1, max = 128, message = "请输入当前密码"))]
    pub current_password: String,
    #[validate(length(min = 1, max = 128, message = "请输入 1 到 128 个字符的新密码"))]
    pub new_password: String,
    /// The version of the user this change is based on (or send If-Match).
    pub version: Option<i64>,
}

/// What is wrong with a new password, found before the current one is checked (the page adds
/// its confirmation's mismatch and shows them all at once).
pub fn new_password_problems(
    state: &AppState,
    current_password: &str,
    new_password: &str,
) -> Vec<crate::app::error::FieldError> {
    use crate::app::error::FieldError;
    match password_policy::check(new_password, state.settings.auth.password_min_length) {
        Err(message) => vec![FieldError::new("new_password", message)],
        Ok(()) if new_password == current_password => {
            vec![FieldError::new("new_password", "新密码不能与当前密码相同")]
        }
        Ok(()) => Vec::new(),
    }
}

/// Changes the caller's own password after checking the current one (a throttled, recorded
/// password guess); ends the user's other sessions. For the API and the pages.
pub async fn change_own_password(
    state: &AppState,
    me: &crate::auth::extractor::AuthenticatedUser,
    ip: String,
    request_id: String,
    current_password: String,
    new_password: String,
    expected: Option<i64>,
) -> Result<(), AppError> {
    let problems = new_password_problems(state, &current_password, &new_password);
    if !problems.is_empty() {
        return Err(AppError::Validation(problems));
    }
    // The current password is a password guess like a login's: throttled and recorded.
    let claimed = attempts::claim(state, me.username.clone(), ip).await?;
    let (user, _) = claimed
        .user
        .clone()
        .ok_or(AppError::Unauthorized("登录已失效，请重新登录"))?;
    let matches = state
        .hasher
        .verify(
            SecretString::from(current_password),
            Some(user.password_hash.clone()),
        )
        .await?;
    let outcome = if matches {
        Outcome::Success
    } else {
        Outcome::BadCredentials
    };
    db::run(&state.pool, move |conn| {
        db::write_transaction(conn, |conn| attempts::settle(conn, &claimed, outcome))
    })
    .await?;
    if !matches {
        return Err(AppError::field("current_password", "当前密码不正确"));
    }

    let new_hash = state.hasher.hash(SecretString::from(new_password)).await?;
    let (id, session_id) = (me.id, me.session_id.clone());
    let (organization_id, username) = (me.organization.id, me.username.clone());
    let based_on = expected.unwrap_or(user.version);
    db::run(&state.pool, move |conn| {
        db::write_transaction(conn, |conn| {
            let now = db::now();
            // Compare and swap on the version read with the password just checked: a reset or
            // a disabling that landed meanwhile wins.
            if users::bump_version(conn, id, Some(based_on), now)? == 0 {
                let current = users::find(conn, id)?.map_or(based_on, |(u, _)| u.version);
                return Err(AppError::StaleVersion { current });
            }
            match sessions::find_authenticated(conn, id, &session_id)? {
                Some((user, _, session)) if session.revoked_at.is_none() && !user.disabled => {}
                _ => return Err(AppError::Unauthorized("登录已失效，请重新登录")),
            }
            users::apply(
                conn,
                id,
                &users::UserChanges {
                    password_hash: Some(new_hash),
                    must_change_password: Some(false),
                    ..Default::default()
                },
            )?;
            sessions::revoke_all_for_user(conn, id, Some(&session_id), "password_changed", now)?;
            audit::append_global(
                conn,
                &audit::global_entry(
                    Some((id, organization_id)),
                    "change_password",
                    "user",
                    id,
                    format!("用户 {username} 修改了自己的密码"),
                    now,
                    Some(request_id),
                ),
            )?;
            Ok::<_, AppError>(())
        })
    })
    .await?;
    tracing::info!(user_id = id, "password changed");
    Ok(())
}
