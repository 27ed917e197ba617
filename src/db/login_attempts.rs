//! Every login attempt: username, address, time and outcome. An attempt is recorded `pending`
//! before its password is checked, so that concurrent guesses count against the throttle.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::login_attempts;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Pending,
    Success,
    BadCredentials,
    Disabled,
    Throttled,
}

impl Outcome {
    pub fn code(self) -> &'static str {
        match self {
            Outcome::Pending => "pending",
            Outcome::Success => "success",
            Outcome::BadCredentials => "bad_credentials",
            Outcome::Disabled => "disabled",
            Outcome::Throttled => "throttled",
        }
    }
}

pub fn record(
    conn: &mut DbConnection,
    username: &str,
    user_id: Option<i64>,
    ip: &str,
    outcome: Outcome,
    at: NaiveDateTime,
) -> QueryResult<i64> {
    diesel::insert_into(login_attempts::table)
        .values((
            login_attempts::username.eq(username),
            login_attempts::user_id.eq(user_id),
            login_attempts::ip.eq(ip),
            login_attempts::attempted_at.eq(at),
            login_attempts::outcome.eq(outcome.code()),
        ))
        .returning(login_attempts::id)
        .get_result(conn)
}

/// Settles a pending attempt.
pub fn settle(conn: &mut DbConnection, id: i64, outcome: Outcome) -> QueryResult<usize> {
    diesel::update(login_attempts::table.find(id))
        .set(login_attempts::outcome.eq(outcome.code()))
        .execute(conn)
}

/// Makes concurrent attempts for one username or one address wait for each other, so each
/// sees the ones before it. SQLite's write transactions are serialized already.
pub fn serialize_attempts(conn: &mut DbConnection, username: &str, ip: &str) -> QueryResult<()> {
    if let DbConnection::Postgres(pg) = conn {
        use diesel::sql_types::Text;
        // Always the username's lock first, then the address's: no lock cycle.
        for (class, key) in [(1, username), (2, ip)] {
            diesel::sql_query("SELECT pg_advisory_xact_lock($1, hashtext($2))")
                .bind::<diesel::sql_types::Integer, _>(class)
                .bind::<Text, _>(key)
                .execute(pg)?;
        }
    }
    Ok(())
}

/// Which recent attempts to read: settled failures, or attempts still being checked.
#[derive(Debug, Clone, Copy)]
pub enum Unsuccessful {
    Failed,
    Pending,
}

impl Unsuccessful {
    fn outcome(self) -> &'static str {
        match self {
            Unsuccessful::Failed => Outcome::BadCredentials.code(),
            Unsuccessful::Pending => Outcome::Pending.code(),
        }
    }
}

/// The times of the newest failed (or pending) attempts for a username since `since` and since
/// its last successful login, newest first, at most `limit`.
pub fn recent_for_user(
    conn: &mut DbConnection,
    kind: Unsuccessful,
    username: &str,
    since: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<NaiveDateTime>> {
    let last_success: Option<NaiveDateTime> = login_attempts::table
        .filter(login_attempts::username.eq(username))
        .filter(login_attempts::outcome.eq(Outcome::Success.code()))
        .filter(login_attempts::attempted_at.ge(since))
        .select(diesel::dsl::max(login_attempts::attempted_at))
        .first(conn)?;
    let since = last_success.map_or(since, |s| s.max(since));
    login_attempts::table
        .filter(login_attempts::username.eq(username))
        .filter(login_attempts::outcome.eq(kind.outcome()))
        .filter(login_attempts::attempted_at.gt(since))
        .select(login_attempts::attempted_at)
        .order(login_attempts::attempted_at.desc())
        .limit(limit)
        .load(conn)
}

/// The times of the newest failed (or pending) attempts from one address since `since`,
/// newest first, at most `limit`.
pub fn recent_for_ip(
    conn: &mut DbConnection,
    kind: Unsuccessful,
    ip: &str,
    since: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<NaiveDateTime>> {
    login_attempts::table
        .filter(login_attempts::ip.eq(ip))
        .filter(login_attempts::outcome.eq(kind.outcome()))
        .filter(login_attempts::attempted_at.gt(since))
        .select(login_attempts::attempted_at)
        .order(login_attempts::attempted_at.desc())
        .limit(limit)
        .load(conn)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = login_attempts)]
pub struct LoginAttemptRow {
    pub id: i64,
    pub username: String,
    pub user_id: Option<i64>,
    pub ip: String,
    pub attempted_at: NaiveDateTime,
    pub outcome: String,
}

/// Attempts newest first, optionally for one username.
pub fn list(
    conn: &mut DbConnection,
    username: Option<&str>,
    page: crate::db::Page,
) -> QueryResult<(Vec<LoginAttemptRow>, i64)> {
    let mut count = login_attempts::table.into_boxed();
    let mut rows = login_attempts::table
        .select(LoginAttemptRow::as_select())
        .order(login_attempts::id.desc())
        .limit(page.per_page)
        .offset(page.offset())
        .into_boxed();
    if let Some(username) = username {
        count = count.filter(login_attempts::username.eq(username.to_owned()));
        rows = rows.filter(login_attempts::username.eq(username.to_owned()));
    }
    let total = count.count().get_result(conn)?;
    Ok((rows.load(conn)?, total))
}
