//! Feedback on draft reports and the objections in it, with the agency's answers.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{feedback, objections, reports};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = feedback)]
pub struct FeedbackRow {
    pub id: i64,
    pub evaluation_id: i64,
    pub report_id: i64,
    pub party_code: String,
    pub org_id: i64,
    pub no_objection: bool,
    pub remarks: Option<String>,
    pub deemed: bool,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = objections)]
pub struct ObjectionRow {
    pub id: i64,
    pub feedback_id: i64,
    pub evaluation_id: i64,
    pub section: Option<String>,
    pub text: String,
    pub decision: Option<String>,
    pub reply: Option<String>,
    pub answered_by: Option<i64>,
    pub answered_at: Option<NaiveDateTime>,
}

pub struct NewFeedback<'a> {
    pub evaluation_id: i64,
    pub report_id: i64,
    pub party_code: &'a str,
    pub org_id: i64,
    pub no_objection: bool,
    pub remarks: Option<&'a str>,
    pub deemed: bool,
    pub created_by: Option<i64>,
}

/// Records feedback with its objections (section, text); answers its id.
pub fn insert(
    conn: &mut DbConnection,
    new: &NewFeedback,
    raised: &[(Option<String>, String)],
    now: NaiveDateTime,
) -> QueryResult<i64> {
    diesel::insert_into(feedback::table)
        .values((
            feedback::evaluation_id.eq(new.evaluation_id),
            feedback::report_id.eq(new.report_id),
            feedback::party_code.eq(new.party_code),
            feedback::org_id.eq(new.org_id),
            feedback::no_objection.eq(new.no_objection),
            feedback::remarks.eq(new.remarks),
            feedback::deemed.eq(new.deemed),
            feedback::created_by.eq(new.created_by),
            feedback::created_at.eq(now),
        ))
        .execute(conn)?;
    let id: i64 = feedback::table
        .filter(feedback::report_id.eq(new.report_id))
        .filter(feedback::party_code.eq(new.party_code))
        .select(feedback::id)
        .first(conn)?;
    for (section, text) in raised {
        diesel::insert_into(objections::table)
            .values((
                objections::feedback_id.eq(id),
                objections::evaluation_id.eq(new.evaluation_id),
                objections::section.eq(section),
                objections::text.eq(text),
            ))
            .execute(conn)?;
    }
    Ok(id)
}

pub fn exists(conn: &mut DbConnection, report_id: i64, party: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        feedback::table
            .filter(feedback::report_id.eq(report_id))
            .filter(feedback::party_code.eq(party)),
    ))
    .get_result(conn)
}

/// The evaluation's feedback, oldest first, each with the version it answers and its objections.
pub fn list(
    conn: &mut DbConnection,
    evaluation_id: i64,
) -> QueryResult<Vec<(FeedbackRow, i64, Vec<ObjectionRow>)>> {
    let rows: Vec<(FeedbackRow, i64)> = feedback::table
        .inner_join(reports::table)
        .filter(feedback::evaluation_id.eq(evaluation_id))
        .order((reports::version, feedback::id))
        .select((FeedbackRow::as_select(), reports::version))
        .load(conn)?;
    let raised: Vec<ObjectionRow> = objections::table
        .filter(objections::evaluation_id.eq(evaluation_id))
        .order(objections::id)
        .select(ObjectionRow::as_select())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(row, version)| {
            let own = raised
                .iter()
                .filter(|o| o.feedback_id == row.id)
                .cloned()
                .collect();
            (row, version, own)
        })
        .collect())
}

pub fn objection(conn: &mut DbConnection, id: i64) -> QueryResult<Option<ObjectionRow>> {
    objections::table
        .find(id)
        .select(ObjectionRow::as_select())
        .first(conn)
        .optional()
}

/// Answers an objection not answered yet; 0 when someone answered first.
pub fn answer(
    conn: &mut DbConnection,
    id: i64,
    decision: &str,
    reply: &str,
    user_id: i64,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(objections::table.find(id))
        .filter(objections::decision.is_null())
        .set((
            objections::decision.eq(decision),
            objections::reply.eq(reply),
            objections::answered_by.eq(user_id),
            objections::answered_at.eq(now),
        ))
        .execute(conn)
}

/// The unanswered objections of each of these evaluations (absent: none).
pub fn unanswered_of(
    conn: &mut DbConnection,
    evaluation_ids: &[i64],
) -> QueryResult<std::collections::HashMap<i64, usize>> {
    let mut counts = std::collections::HashMap::new();
    for chunk in evaluation_ids.chunks(super::evaluations::ID_CHUNK) {
        let open: Vec<i64> = objections::table
            .filter(objections::evaluation_id.eq_any(chunk))
            .filter(objections::decision.is_null())
            .select(objections::evaluation_id)
            .load(conn)?;
        for id in open {
            *counts.entry(id).or_insert(0) += 1;
        }
    }
    Ok(counts)
}

/// The parties that gave feedback on the report.
pub fn parties_heard(conn: &mut DbConnection, report_id: i64) -> QueryResult<Vec<String>> {
    feedback::table
        .filter(feedback::report_id.eq(report_id))
        .select(feedback::party_code)
        .load(conn)
}
