//! Deadline extensions: records, never changed; a whole-stage extension also moves the stage's
//! deadline.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{deadline_extensions, evaluation_deadlines};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = deadline_extensions)]
pub struct ExtensionRow {
    pub id: i64,
    pub evaluation_id: i64,
    pub stage: String,
    pub party_code: Option<String>,
    pub old_date: NaiveDate,
    pub new_date: NaiveDate,
    pub reason: String,
    pub granted_by: i64,
    pub created_at: NaiveDateTime,
}

pub struct NewExtension<'a> {
    pub evaluation_id: i64,
    pub stage: &'a str,
    pub party_code: Option<&'a str>,
    pub old_date: NaiveDate,
    pub new_date: NaiveDate,
    pub reason: &'a str,
    pub granted_by: i64,
}

pub fn insert(
    conn: &mut DbConnection,
    new: &NewExtension,
    now: NaiveDateTime,
) -> QueryResult<ExtensionRow> {
    let id: i64 = diesel::insert_into(deadline_extensions::table)
        .values((
            deadline_extensions::evaluation_id.eq(new.evaluation_id),
            deadline_extensions::stage.eq(new.stage),
            deadline_extensions::party_code.eq(new.party_code),
            deadline_extensions::old_date.eq(new.old_date),
            deadline_extensions::new_date.eq(new.new_date),
            deadline_extensions::reason.eq(new.reason),
            deadline_extensions::granted_by.eq(new.granted_by),
            deadline_extensions::created_at.eq(now),
        ))
        .returning(deadline_extensions::id)
        .get_result(conn)?;
    if new.party_code.is_none() {
        diesel::update(evaluation_deadlines::table)
            .filter(evaluation_deadlines::evaluation_id.eq(new.evaluation_id))
            .filter(evaluation_deadlines::stage.eq(new.stage))
            .set(evaluation_deadlines::due_on.eq(new.new_date))
            .execute(conn)?;
    }
    deadline_extensions::table
        .find(id)
        .select(ExtensionRow::as_select())
        .first(conn)
}

/// An evaluation's extensions, oldest first.
pub fn for_evaluation(
    conn: &mut DbConnection,
    evaluation_id: i64,
) -> QueryResult<Vec<ExtensionRow>> {
    deadline_extensions::table
        .filter(deadline_extensions::evaluation_id.eq(evaluation_id))
        .order(deadline_extensions::id)
        .select(ExtensionRow::as_select())
        .load(conn)
}
