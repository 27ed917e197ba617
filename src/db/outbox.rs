//! The e-mail outbox: one row per event and recipient, queued in the transaction of the event.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{outbox, users};

/// Queues one message per enabled user (not experts) of the organizations; returns how many.
pub fn queue_for_organizations(
    conn: &mut DbConnection,
    event: &str,
    evaluation_id: i64,
    audit_id: i64,
    organization_ids: &[i64],
    subject: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let recipients: Vec<(i64, Option<String>)> = users::table
        .filter(users::organization_id.eq_any(organization_ids))
        .filter(users::disabled.eq(false))
        .filter(users::role.ne("expert"))
        .order(users::id)
        .select((users::id, users::email))
        .load(conn)?;
    for (user_id, email) in &recipients {
        diesel::insert_into(outbox::table)
            .values((
                outbox::event.eq(event),
                outbox::evaluation_id.eq(evaluation_id),
                outbox::audit_id.eq(audit_id),
                outbox::recipient_user_id.eq(user_id),
                outbox::to_address.eq(email),
                outbox::subject.eq(subject),
                outbox::status.eq("queued"),
                outbox::created_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(recipients.len())
}

/// (event, recipient user id) of an evaluation's queued messages, oldest first.
pub fn for_evaluation(
    conn: &mut DbConnection,
    evaluation_id: i64,
) -> QueryResult<Vec<(String, i64)>> {
    outbox::table
        .filter(outbox::evaluation_id.eq(evaluation_id))
        .order(outbox::id)
        .select((outbox::event, outbox::recipient_user_id))
        .load(conn)
}
