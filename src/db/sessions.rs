//! Login sessions (refresh-token families) and their refresh tokens.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::organizations::OrganizationRow;
use super::schema::{organizations, refresh_tokens, sessions, users};
use super::users::UserRow;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sessions)]
pub struct SessionRow {
    pub id: String,
    pub user_id: i64,
    pub created_at: NaiveDateTime,
    pub ip: String,
    pub revoked_at: Option<NaiveDateTime>,
    pub revoked_reason: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = refresh_tokens)]
pub struct RefreshTokenRow {
    pub token_hash: String,
    pub session_id: String,
    pub issued_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
}

pub fn create(
    conn: &mut DbConnection,
    session_id: &str,
    user_id: i64,
    ip: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(sessions::table)
        .values((
            sessions::id.eq(session_id),
            sessions::user_id.eq(user_id),
            sessions::created_at.eq(now),
            sessions::ip.eq(ip),
        ))
        .execute(conn)
}

pub fn add_refresh_token(
    conn: &mut DbConnection,
    token_hash: &str,
    session_id: &str,
    issued_at: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::token_hash.eq(token_hash),
            refresh_tokens::session_id.eq(session_id),
            refresh_tokens::issued_at.eq(issued_at),
            refresh_tokens::expires_at.eq(expires_at),
        ))
        .execute(conn)
}

/// Marks an unused, unexpired token used; 0 when it was already used, expired or unknown. The
/// guard makes two concurrent uses of one token see exactly one success.
pub fn use_refresh_token(
    conn: &mut DbConnection,
    token_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(refresh_tokens::table)
        .filter(refresh_tokens::token_hash.eq(token_hash))
        .filter(refresh_tokens::used_at.is_null())
        .filter(refresh_tokens::expires_at.gt(now))
        .set(refresh_tokens::used_at.eq(now))
        .execute(conn)
}

pub fn find_refresh_token(
    conn: &mut DbConnection,
    token_hash: &str,
) -> QueryResult<Option<(RefreshTokenRow, SessionRow, UserRow)>> {
    refresh_tokens::table
        .inner_join(sessions::table.inner_join(users::table))
        .filter(refresh_tokens::token_hash.eq(token_hash))
        .select((
            RefreshTokenRow::as_select(),
            SessionRow::as_select(),
            UserRow::as_select(),
        ))
        .first(conn)
        .optional()
}

pub fn revoke(
    conn: &mut DbConnection,
    session_id: &str,
    reason: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(sessions::table)
        .filter(sessions::id.eq(session_id))
        .filter(sessions::revoked_at.is_null())
        .set((
            sessions::revoked_at.eq(now),
            sessions::revoked_reason.eq(reason),
        ))
        .execute(conn)
}

/// Revokes every open session of a user, but `keep` when given.
pub fn revoke_all_for_user(
    conn: &mut DbConnection,
    user_id: i64,
    keep: Option<&str>,
    reason: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let target = sessions::table
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::revoked_at.is_null())
        .filter(sessions::id.ne(keep.unwrap_or("")));
    diesel::update(target)
        .set((
            sessions::revoked_at.eq(now),
            sessions::revoked_reason.eq(reason),
        ))
        .execute(conn)
}

/// The user behind an access token: their row, organization and session, in one query.
pub fn find_authenticated(
    conn: &mut DbConnection,
    user_id: i64,
    session_id: &str,
) -> QueryResult<Option<(UserRow, OrganizationRow, SessionRow)>> {
    sessions::table
        .inner_join(users::table.inner_join(organizations::table))
        .filter(sessions::id.eq(session_id))
        .filter(sessions::user_id.eq(user_id))
        .select((
            UserRow::as_select(),
            OrganizationRow::as_select(),
            SessionRow::as_select(),
        ))
        .first(conn)
        .optional()
}
