//! Parties' components of an evaluation, one row per party, with their own version.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::components;

pub const DRAFT: &str = "draft";
pub const SUBMITTED: &str = "submitted";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = components)]
pub struct ComponentRow {
    pub evaluation_id: i64,
    pub party_code: String,
    pub raw_hundredths: Option<i64>,
    pub gate_passed: Option<bool>,
    pub gate_reason: Option<String>,
    /// JSON array of comments.
    pub strengths: String,
    pub concerns: String,
    pub status: String,
    pub version: i64,
    pub updated_by: i64,
    pub updated_at: NaiveDateTime,
    pub submitted_at: Option<NaiveDateTime>,
    /// The third party's 结语.
    pub conclusion: Option<String>,
}

pub fn find(
    conn: &mut DbConnection,
    evaluation_id: i64,
    party: &str,
) -> QueryResult<Option<ComponentRow>> {
    components::table
        .find((evaluation_id, party))
        .select(ComponentRow::as_select())
        .first(conn)
        .optional()
}

pub fn list(conn: &mut DbConnection, evaluation_id: i64) -> QueryResult<Vec<ComponentRow>> {
    components::table
        .filter(components::evaluation_id.eq(evaluation_id))
        .order(components::party_code)
        .select(ComponentRow::as_select())
        .load(conn)
}

/// The components of several evaluations at once (a list's scores in one query).
pub fn list_for(conn: &mut DbConnection, evaluation_ids: &[i64]) -> QueryResult<Vec<ComponentRow>> {
    components::table
        .filter(components::evaluation_id.eq_any(evaluation_ids))
        .order((components::evaluation_id, components::party_code))
        .select(ComponentRow::as_select())
        .load(conn)
}

/// The content a party writes.
pub struct Content<'a> {
    pub raw_hundredths: Option<i64>,
    pub gate_passed: Option<bool>,
    pub gate_reason: Option<&'a str>,
    pub strengths: &'a str,
    pub concerns: &'a str,
    pub conclusion: Option<&'a str>,
}

/// Writes the content over version `version` (None: the component does not exist yet); 0 rows
/// when another write came first.
pub fn save(
    conn: &mut DbConnection,
    evaluation_id: i64,
    party: &str,
    version: Option<i64>,
    content: &Content,
    user_id: i64,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    match version {
        Some(version) => diesel::update(components::table.find((evaluation_id, party)))
            .filter(components::version.eq(version))
            .set((
                components::raw_hundredths.eq(content.raw_hundredths),
                components::gate_passed.eq(content.gate_passed),
                components::gate_reason.eq(content.gate_reason),
                components::strengths.eq(content.strengths),
                components::concerns.eq(content.concerns),
                components::conclusion.eq(content.conclusion),
                components::version.eq(version + 1),
                components::updated_by.eq(user_id),
                components::updated_at.eq(now),
            ))
            .execute(conn),
        None => diesel::insert_into(components::table)
            .values((
                components::evaluation_id.eq(evaluation_id),
                components::party_code.eq(party),
                components::raw_hundredths.eq(content.raw_hundredths),
                components::gate_passed.eq(content.gate_passed),
                components::gate_reason.eq(content.gate_reason),
                components::strengths.eq(content.strengths),
                components::concerns.eq(content.concerns),
                components::conclusion.eq(content.conclusion),
                components::status.eq(DRAFT),
                components::version.eq(1),
                components::updated_by.eq(user_id),
                components::updated_at.eq(now),
            ))
            .execute(conn),
    }
}

/// Moves the component to `status` if it is still at `version`.
pub fn set_status(
    conn: &mut DbConnection,
    evaluation_id: i64,
    party: &str,
    version: i64,
    status: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let submitted_at = (status == SUBMITTED).then_some(now);
    diesel::update(components::table.find((evaluation_id, party)))
        .filter(components::version.eq(version))
        .set((
            components::status.eq(status),
            components::version.eq(version + 1),
            components::updated_at.eq(now),
            components::submitted_at.eq(submitted_at),
        ))
        .execute(conn)
}
