//! Single-use links to set one's own password, stored as SHA-256 hashes of their tokens.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::password_links;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = password_links)]
pub struct PasswordLinkRow {
    pub token_hash: String,
    pub user_id: i64,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
}

/// Stores a new link for the user and spends the user's earlier ones.
pub fn insert(
    conn: &mut DbConnection,
    token_hash: &str,
    user_id: i64,
    now: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> QueryResult<()> {
    spend_all(conn, user_id, now)?;
    diesel::insert_into(password_links::table)
        .values((
            password_links::token_hash.eq(token_hash),
            password_links::user_id.eq(user_id),
            password_links::created_at.eq(now),
            password_links::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConnection, token_hash: &str) -> QueryResult<Option<PasswordLinkRow>> {
    password_links::table
        .find(token_hash)
        .select(PasswordLinkRow::as_select())
        .first(conn)
        .optional()
}

/// Spends the link if it is still unspent; 1 when this call spent it.
pub fn spend(conn: &mut DbConnection, token_hash: &str, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(password_links::table.find(token_hash))
        .filter(password_links::used_at.is_null())
        .set(password_links::used_at.eq(now))
        .execute(conn)
}

/// Spends every unspent link of the user (a new link, or a password set another way).
pub fn spend_all(conn: &mut DbConnection, user_id: i64, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(password_links::table)
        .filter(password_links::user_id.eq(user_id))
        .filter(password_links::used_at.is_null())
        .set(password_links::used_at.eq(now))
        .execute(conn)
}
