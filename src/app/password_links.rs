//! Links to set one's own password (DESIGN.md §8): a new user gets one by e-mail instead of a
//! password; a link is valid 72 hours and once; an expired or used link offers a new one, sent
//! to the user's address (never shown on the page).

use chrono::{Duration, NaiveDateTime};
use secrecy::SecretString;

use crate::app::error::AppError;
use crate::auth::tokens::{random_token, sha256_hex};
use crate::db::{
    self, DbConnection, audit, organizations, outbox, password_links, sessions, users,
};
use crate::domain::password_policy;
use crate::notify::welcome::{self, Invitee, LINK_VALID_HOURS};
use crate::settings::Settings;
use crate::state::AppState;

/// Stores a new link for the invitee (spending older ones) and queues its e-mail, in the
/// caller's transaction.
pub fn send_in(
    conn: &mut DbConnection,
    settings: &Settings,
    to: &Invitee,
    renewal: bool,
    now: NaiveDateTime,
) -> diesel::QueryResult<()> {
    let token = random_token(32);
    let expires_at = now + Duration::hours(LINK_VALID_HOURS);
    password_links::insert(conn, &sha256_hex(&token), to.user_id, now, expires_at)?;
    outbox::insert_all(
        conn,
        &[welcome::message(settings, to, &token, renewal)],
        now,
    )
}

/// What a link is, as its page tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkState {
    /// It sets the password of this user.
    Valid {
        username: String,
        display_name: String,
    },
    Expired,
    Used,
    /// No such link (mistyped or cut short).
    Unknown,
}

fn state_of(
    conn: &mut DbConnection,
    token: &str,
    now: NaiveDateTime,
) -> diesel::QueryResult<(LinkState, Option<i64>)> {
    let Some(link) = password_links::find(conn, &sha256_hex(token))? else {
        return Ok((LinkState::Unknown, None));
    };
    let Some((user, _)) = users::find(conn, link.user_id)? else {
        return Ok((LinkState::Unknown, None));
    };
    let state = if user.disabled {
        LinkState::Unknown
    } else if link.used_at.is_some() {
        LinkState::Used
    } else if link.expires_at <= now {
        LinkState::Expired
    } else {
        LinkState::Valid {
            username: user.username,
            display_name: user.display_name,
        }
    };
    Ok((state, Some(user.id)))
}

/// What the link of `token` is.
pub async fn check(state: &AppState, token: String) -> Result<LinkState, AppError> {
    db::run(&state.pool, move |conn| {
        Ok(state_of(conn, &token, db::now())?.0)
    })
    .await
}

/// Sets the password with a valid link and spends it; the user's sessions end, and no change
/// is required at the next login.
pub async fn set_password(
    state: &AppState,
    token: String,
    new_password: String,
    confirm_password: String,
    request_id: Option<String>,
) -> Result<(), AppError> {
    let mut problems = Vec::new();
    if let Err(message) =
        password_policy::check(&new_password, state.settings.auth.password_min_length)
    {
        problems.push(crate::app::error::FieldError::new("new_password", message));
    }
    if new_password != confirm_password {
        problems.push(crate::app::error::FieldError::new(
            "confirm_password",
            "两次输入的新密码不一致",
        ));
    }
    if !problems.is_empty() {
        return Err(AppError::Validation(problems));
    }
    let hash = state.hasher.hash(SecretString::from(new_password)).await?;
    db::run(&state.pool, move |conn| {
        db::write_transaction(conn, |conn| {
            let now = db::now();
            let (link, user_id) = state_of(conn, &token, now)?;
            let (LinkState::Valid { username, .. }, Some(user_id)) = (link, user_id) else {
                return Err(AppError::Conflict(vec![
                    crate::app::error::FieldError::new("token", "该链接已失效，请申请新的链接"),
                ]));
            };
            // Spent here, under the row's lock: of two submissions of one link, one sets.
            if password_links::spend(conn, &sha256_hex(&token), now)? == 0 {
                return Err(AppError::Conflict(vec![
                    crate::app::error::FieldError::new("token", "该链接已使用，请申请新的链接"),
                ]));
            }
            password_links::spend_all(conn, user_id, now)?;
            users::bump_version(conn, user_id, None, now)?;
            users::apply(
                conn,
                user_id,
                &users::UserChanges {
                    password_hash: Some(hash),
                    must_change_password: Some(false),
                    ..Default::default()
                },
            )?;
            sessions::revoke_all_for_user(conn, user_id, None, "password_changed", now)?;
            let organization_id = users::find(conn, user_id)?.map(|(u, _)| u.organization_id);
            audit::append_global(
                conn,
                &audit::global_entry(
                    organization_id.map(|org| (user_id, org)),
                    "set_password",
                    "user",
                    user_id,
                    format!("用户 {username} 通过邮件链接设置了密码"),
                    now,
                    request_id,
                ),
            )?;
            Ok(())
        })
    })
    .await
}

/// Sends a new link to the address of the user of an expired or used link; says nothing of
/// whether it did (the page reads the same either way).
pub async fn renew(state: &AppState, token: String) -> Result<(), AppError> {
    let settings = state.settings.clone();
    db::run(&state.pool, move |conn| {
        db::write_transaction(conn, |conn| {
            let now = db::now();
            let (link, user_id) = state_of(conn, &token, now)?;
            let (LinkState::Expired | LinkState::Used, Some(user_id)) = (link, user_id) else {
                return Ok(());
            };
            let Some((user, _)) = users::find(conn, user_id)? else {
                return Ok(());
            };
            let Some(email) = user.email.as_deref().filter(|e| !e.trim().is_empty()) else {
                return Ok(());
            };
            let organization = organizations::find(conn, user.organization_id)?
                .map(|o| o.full_name)
                .unwrap_or_default();
            let to = Invitee {
                user_id,
                username: &user.username,
                display_name: &user.display_name,
                organization: &organization,
                email,
            };
            send_in(conn, &settings, &to, true, now)?;
            Ok::<_, AppError>(())
        })
    })
    .await
}
