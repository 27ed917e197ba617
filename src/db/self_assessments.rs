//! The station's self-assessment narrative (自评报告), one per evaluation.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::self_assessments;

pub fn put(
    conn: &mut DbConnection,
    evaluation_id: i64,
    narrative: &str,
    user_id: i64,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::delete(self_assessments::table.find(evaluation_id)).execute(conn)?;
    diesel::insert_into(self_assessments::table)
        .values((
            self_assessments::evaluation_id.eq(evaluation_id),
            self_assessments::narrative.eq(narrative),
            self_assessments::updated_by.eq(user_id),
            self_assessments::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// (narrative, who wrote it last, when).
pub fn find(
    conn: &mut DbConnection,
    evaluation_id: i64,
) -> QueryResult<Option<(String, i64, NaiveDateTime)>> {
    self_assessments::table
        .find(evaluation_id)
        .select((
            self_assessments::narrative,
            self_assessments::updated_by,
            self_assessments::updated_at,
        ))
        .first(conn)
        .optional()
}
