//! In-app notifications: one row per event and user, written beside the outbox.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::notifications;

/// A notification to write; owned, so that an event's notifications go in one INSERT.
pub struct NewNotification {
    pub user_id: i64,
    pub evaluation_id: Option<i64>,
    pub event: String,
    pub title: String,
    pub body: String,
    pub dedupe_key: Option<String>,
}

/// Writes notifications, all in one statement.
pub fn insert_all(
    conn: &mut DbConnection,
    notices: &[NewNotification],
    now: NaiveDateTime,
) -> QueryResult<()> {
    if notices.is_empty() {
        return Ok(());
    }
    let rows: Vec<_> = notices
        .iter()
        .map(|new| {
            (
                notifications::user_id.eq(new.user_id),
                notifications::evaluation_id.eq(new.evaluation_id),
                notifications::event.eq(&new.event),
                notifications::title.eq(&new.title),
                notifications::body.eq(&new.body),
                notifications::dedupe_key.eq(&new.dedupe_key),
                notifications::created_at.eq(now),
            )
        })
        .collect();
    // MultiConnection has no batch insert; each backend has.
    let insert = diesel::insert_into(notifications::table).values(&rows);
    match conn {
        DbConnection::Postgres(c) => insert.execute(c)?,
        DbConnection::Sqlite(c) => insert.execute(c)?,
    };
    Ok(())
}

/// Which of `keys` are already notified.
pub fn existing_keys(conn: &mut DbConnection, keys: &[String]) -> QueryResult<Vec<String>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let found: Vec<Option<String>> = notifications::table
        .filter(notifications::dedupe_key.eq_any(keys))
        .select(notifications::dedupe_key)
        .load(conn)?;
    Ok(found.into_iter().flatten().collect())
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = notifications)]
pub struct NotificationRow {
    pub id: i64,
    pub user_id: i64,
    pub evaluation_id: Option<i64>,
    pub event: String,
    pub title: String,
    pub body: String,
    pub created_at: NaiveDateTime,
    pub read_at: Option<NaiveDateTime>,
}

/// A user's notifications, newest first, at most `limit`; unread only when asked.
pub fn for_user(
    conn: &mut DbConnection,
    user_id: i64,
    unread_only: bool,
    limit: i64,
) -> QueryResult<Vec<NotificationRow>> {
    let mut query = notifications::table
        .filter(notifications::user_id.eq(user_id))
        .into_boxed();
    if unread_only {
        query = query.filter(notifications::read_at.is_null());
    }
    query
        .order(notifications::id.desc())
        .limit(limit)
        .select(NotificationRow::as_select())
        .load(conn)
}

pub fn unread_count(conn: &mut DbConnection, user_id: i64) -> QueryResult<i64> {
    notifications::table
        .filter(notifications::user_id.eq(user_id))
        .filter(notifications::read_at.is_null())
        .count()
        .get_result(conn)
}

/// Marks the user's own notification read (once); None when it is not theirs.
pub fn mark_read(
    conn: &mut DbConnection,
    id: i64,
    user_id: i64,
    now: NaiveDateTime,
) -> QueryResult<Option<NotificationRow>> {
    diesel::update(
        notifications::table
            .find(id)
            .filter(notifications::user_id.eq(user_id))
            .filter(notifications::read_at.is_null()),
    )
    .set(notifications::read_at.eq(now))
    .execute(conn)?;
    notifications::table
        .find(id)
        .filter(notifications::user_id.eq(user_id))
        .select(NotificationRow::as_select())
        .first(conn)
        .optional()
}
