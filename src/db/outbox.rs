//! The e-mail outbox: one row per event and recipient, queued in the transaction of the event,
//! claimed by workers under a lease, and marked sent, failed (to retry) or dead.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::outbox;

/// A message to queue; owned, so that an event's messages go in one INSERT.
pub struct NewMessage {
    pub event: String,
    pub evaluation_id: Option<i64>,
    pub audit_id: Option<i64>,
    pub recipient_user_id: i64,
    pub to_address: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub reply_to: Option<String>,
    pub message_id: String,
    pub dedupe_key: Option<String>,
}

/// Queues messages, all in one statement (a transition's notices cost one round trip).
pub fn insert_all(
    conn: &mut DbConnection,
    messages: &[NewMessage],
    now: NaiveDateTime,
) -> QueryResult<()> {
    if messages.is_empty() {
        return Ok(());
    }
    let rows: Vec<_> = messages
        .iter()
        .map(|new| {
            (
                outbox::event.eq(&new.event),
                outbox::evaluation_id.eq(new.evaluation_id),
                outbox::audit_id.eq(new.audit_id),
                outbox::recipient_user_id.eq(new.recipient_user_id),
                outbox::to_address.eq(&new.to_address),
                outbox::subject.eq(&new.subject),
                outbox::body_text.eq(&new.body_text),
                outbox::body_html.eq(&new.body_html),
                outbox::reply_to.eq(&new.reply_to),
                outbox::message_id.eq(&new.message_id),
                outbox::dedupe_key.eq(&new.dedupe_key),
                outbox::status.eq("queued"),
                outbox::next_attempt_at.eq(now),
                outbox::created_at.eq(now),
            )
        })
        .collect();
    // MultiConnection has no batch insert; each backend has.
    let insert = diesel::insert_into(outbox::table).values(&rows);
    match conn {
        DbConnection::Postgres(c) => insert.execute(c)?,
        DbConnection::Sqlite(c) => insert.execute(c)?,
    };
    Ok(())
}

/// Which of `keys` are already in the outbox.
pub fn existing_keys(conn: &mut DbConnection, keys: &[String]) -> QueryResult<Vec<String>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let found: Vec<Option<String>> = outbox::table
        .filter(outbox::dedupe_key.eq_any(keys))
        .select(outbox::dedupe_key)
        .load(conn)?;
    Ok(found.into_iter().flatten().collect())
}

#[derive(Debug, Clone, Queryable, Selectable, QueryableByName)]
#[diesel(table_name = outbox)]
pub struct MessageRow {
    pub id: i64,
    pub event: String,
    pub evaluation_id: Option<i64>,
    pub audit_id: Option<i64>,
    pub recipient_user_id: i64,
    pub to_address: Option<String>,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub reply_to: Option<String>,
    pub message_id: String,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: NaiveDateTime,
    pub lease_until: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
}

const CLAIM_COLUMNS: &str = "id, event, evaluation_id, audit_id, recipient_user_id, to_address, \
     subject, body_text, body_html, reply_to, message_id, status, attempts, next_attempt_at, \
     lease_until, last_error, created_at, sent_at";

/// Claims up to `limit` due messages for one worker: queued or failed ones whose next attempt
/// has come, and sending ones whose lease ran out (a worker died between sending and marking:
/// the message goes again, with the same Message-ID). Each is marked sending until `lease_until`.
/// PostgreSQL skips rows another worker holds; SQLite has one writer at a time.
pub fn claim(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<MessageRow>> {
    use diesel::sql_types::{BigInt, Timestamp};
    let lock = match conn {
        DbConnection::Postgres(_) => "FOR UPDATE SKIP LOCKED",
        DbConnection::Sqlite(_) => "",
    };
    let sql = format!(
        "UPDATE outbox SET status = 'sending', attempts = attempts + 1, lease_until = $1 \
         WHERE id IN (SELECT id FROM outbox \
           WHERE (status IN ('queued', 'failed') AND next_attempt_at <= $2) \
              OR (status = 'sending' AND lease_until < $2) \
           ORDER BY next_attempt_at, id LIMIT $3 {lock}) \
         RETURNING {CLAIM_COLUMNS}"
    );
    let mut claimed: Vec<MessageRow> = match conn {
        DbConnection::Postgres(pg) => diesel::sql_query(sql)
            .bind::<Timestamp, _>(lease_until)
            .bind::<Timestamp, _>(now)
            .bind::<BigInt, _>(limit)
            .load(pg)?,
        DbConnection::Sqlite(lite) => diesel::sql_query(sql.replace('$', "?"))
            .bind::<Timestamp, _>(lease_until)
            .bind::<Timestamp, _>(now)
            .bind::<BigInt, _>(limit)
            .load(lite)?,
    };
    claimed.sort_by_key(|m| m.id);
    Ok(claimed)
}

/// The server accepted the message.
pub fn mark_sent(conn: &mut DbConnection, id: i64, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(outbox::table.find(id))
        .set((
            outbox::status.eq("sent"),
            outbox::sent_at.eq(now),
            outbox::lease_until.eq(None::<NaiveDateTime>),
            outbox::last_error.eq(None::<String>),
        ))
        .execute(conn)?;
    Ok(())
}

/// The attempt failed: retry at `retry_at`, or give up (`dead`) when there is none.
pub fn mark_failed(
    conn: &mut DbConnection,
    id: i64,
    answer: &str,
    retry_at: Option<NaiveDateTime>,
) -> QueryResult<()> {
    let status = if retry_at.is_some() { "failed" } else { "dead" };
    diesel::update(outbox::table.find(id))
        .set((
            outbox::status.eq(status),
            outbox::last_error.eq(answer),
            outbox::lease_until.eq(None::<NaiveDateTime>),
            outbox::next_attempt_at.eq(retry_at.unwrap_or(NaiveDateTime::MAX)),
        ))
        .execute(conn)?;
    Ok(())
}

#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub status: Option<String>,
    pub event: Option<String>,
    pub evaluation_id: Option<i64>,
    pub to: Option<String>,
}

/// The newest messages first, filtered, at most `limit`.
pub fn list(conn: &mut DbConnection, filter: &Filter, limit: i64) -> QueryResult<Vec<MessageRow>> {
    let mut query = outbox::table.into_boxed();
    if let Some(status) = &filter.status {
        query = query.filter(outbox::status.eq(status.clone()));
    }
    if let Some(event) = &filter.event {
        query = query.filter(outbox::event.eq(event.clone()));
    }
    if let Some(id) = filter.evaluation_id {
        query = query.filter(outbox::evaluation_id.eq(id));
    }
    if let Some(to) = &filter.to {
        query = query.filter(outbox::to_address.eq(to.clone()));
    }
    query
        .order(outbox::id.desc())
        .limit(limit)
        .select(MessageRow::as_select())
        .load(conn)
}

/// An evaluation's messages, oldest first.
pub fn for_evaluation(conn: &mut DbConnection, evaluation_id: i64) -> QueryResult<Vec<MessageRow>> {
    outbox::table
        .filter(outbox::evaluation_id.eq(evaluation_id))
        .order(outbox::id)
        .select(MessageRow::as_select())
        .load(conn)
}

/// Puts a dead or failed message back in the queue, due now, with its attempts reset; answers
/// whether it did.
pub fn requeue(conn: &mut DbConnection, id: i64, now: NaiveDateTime) -> QueryResult<bool> {
    let changed = diesel::update(
        outbox::table
            .find(id)
            .filter(outbox::status.eq_any(["dead", "failed"])),
    )
    .set((
        outbox::status.eq("queued"),
        outbox::attempts.eq(0),
        outbox::next_attempt_at.eq(now),
        outbox::last_error.eq(None::<String>),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<MessageRow>> {
    outbox::table
        .find(id)
        .select(MessageRow::as_select())
        .first(conn)
        .optional()
}

/// How many messages are in each status (queued, sending, sent, failed, dead).
pub fn count_by_status(conn: &mut DbConnection) -> QueryResult<Vec<(String, i64)>> {
    outbox::table
        .group_by(outbox::status)
        .select((outbox::status, diesel::dsl::count_star()))
        .load(conn)
}
