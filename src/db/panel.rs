//! The third party's expert panel: affiliations, assignments with the conflict declaration, and
//! each expert's scoring sheet.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{expert_affiliations, expert_scores, panel, users};
use crate::domain::points::Points;

pub const OPEN: &str = "open";
pub const SUBMITTED: &str = "submitted";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = panel)]
pub struct PanelRow {
    pub evaluation_id: i64,
    pub expert_id: i64,
    pub assigned_by: i64,
    pub override_reason: Option<String>,
    pub assigned_at: NaiveDateTime,
    pub conflict_of_interest: Option<bool>,
    pub sheet_status: String,
    pub sheet_version: i64,
    pub submitted_at: Option<NaiveDateTime>,
}

/// The organizations an expert has worked for or advised, in name order.
pub fn affiliations(conn: &mut DbConnection, user_id: i64) -> QueryResult<Vec<String>> {
    expert_affiliations::table
        .filter(expert_affiliations::user_id.eq(user_id))
        .order(expert_affiliations::organization)
        .select(expert_affiliations::organization)
        .load(conn)
}

pub fn set_affiliations(
    conn: &mut DbConnection,
    user_id: i64,
    organizations: &[String],
) -> QueryResult<()> {
    diesel::delete(expert_affiliations::table.filter(expert_affiliations::user_id.eq(user_id)))
        .execute(conn)?;
    for organization in organizations {
        diesel::insert_into(expert_affiliations::table)
            .values((
                expert_affiliations::user_id.eq(user_id),
                expert_affiliations::organization.eq(organization),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn assign(
    conn: &mut DbConnection,
    evaluation_id: i64,
    expert_id: i64,
    assigned_by: i64,
    override_reason: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(panel::table)
        .values((
            panel::evaluation_id.eq(evaluation_id),
            panel::expert_id.eq(expert_id),
            panel::assigned_by.eq(assigned_by),
            panel::override_reason.eq(override_reason),
            panel::assigned_at.eq(now),
            panel::sheet_status.eq(OPEN),
            panel::sheet_version.eq(1),
        ))
        .execute(conn)
}

/// The panel with each expert's display name, in assignment order.
pub fn members(
    conn: &mut DbConnection,
    evaluation_id: i64,
) -> QueryResult<Vec<(PanelRow, String)>> {
    panel::table
        .inner_join(users::table.on(users::id.eq(panel::expert_id)))
        .filter(panel::evaluation_id.eq(evaluation_id))
        .order((panel::assigned_at, panel::expert_id))
        .select((PanelRow::as_select(), users::display_name))
        .load(conn)
}

pub fn member(
    conn: &mut DbConnection,
    evaluation_id: i64,
    expert_id: i64,
) -> QueryResult<Option<PanelRow>> {
    panel::table
        .find((evaluation_id, expert_id))
        .select(PanelRow::as_select())
        .first(conn)
        .optional()
}

/// Writes a sheet over `version`: the declaration and the item scores (hundredths); 0 when
/// another write came first.
pub fn save_sheet(
    conn: &mut DbConnection,
    evaluation_id: i64,
    expert_id: i64,
    version: i64,
    conflict_of_interest: Option<bool>,
    items: &[(String, i64)],
) -> QueryResult<usize> {
    let moved = diesel::update(panel::table.find((evaluation_id, expert_id)))
        .filter(panel::sheet_version.eq(version))
        .set((
            panel::conflict_of_interest.eq(conflict_of_interest),
            panel::sheet_version.eq(version + 1),
        ))
        .execute(conn)?;
    if moved == 0 {
        return Ok(0);
    }
    for (item, score) in items {
        let row = expert_scores::table.find((evaluation_id, expert_id, item));
        diesel::delete(row).execute(conn)?;
        diesel::insert_into(expert_scores::table)
            .values((
                expert_scores::evaluation_id.eq(evaluation_id),
                expert_scores::expert_id.eq(expert_id),
                expert_scores::item.eq(item),
                expert_scores::score_hundredths.eq(score),
            ))
            .execute(conn)?;
    }
    Ok(moved)
}

pub fn set_sheet_status(
    conn: &mut DbConnection,
    evaluation_id: i64,
    expert_id: i64,
    version: i64,
    status: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(panel::table.find((evaluation_id, expert_id)))
        .filter(panel::sheet_version.eq(version))
        .set((
            panel::sheet_status.eq(status),
            panel::sheet_version.eq(version + 1),
            panel::submitted_at.eq((status == SUBMITTED).then_some(now)),
        ))
        .execute(conn)
}

/// (expert, item, score in hundredths) of every sheet of the evaluation.
pub fn scores(conn: &mut DbConnection, evaluation_id: i64) -> QueryResult<Vec<(i64, String, i64)>> {
    expert_scores::table
        .filter(expert_scores::evaluation_id.eq(evaluation_id))
        .order((expert_scores::expert_id, expert_scores::item))
        .select((
            expert_scores::expert_id,
            expert_scores::item,
            expert_scores::score_hundredths,
        ))
        .load(conn)
}

/// (evaluation, expert, item score in hundredths) of every submitted sheet of an expert who did
/// not recuse themselves, for several evaluations at once.
pub fn counted_scores(
    conn: &mut DbConnection,
    evaluation_ids: &[i64],
) -> QueryResult<Vec<(i64, i64, i64)>> {
    // The counted sheets, then their scores, each by the evaluations' key: a join here let
    // PostgreSQL hash the whole panel table for a page of evaluations.
    let counted: std::collections::HashSet<(i64, i64)> = panel::table
        .filter(panel::evaluation_id.eq_any(evaluation_ids))
        .filter(panel::sheet_status.eq(SUBMITTED))
        .filter(panel::conflict_of_interest.eq(false))
        .select((panel::evaluation_id, panel::expert_id))
        .load::<(i64, i64)>(conn)?
        .into_iter()
        .collect();
    if counted.is_empty() {
        return Ok(Vec::new());
    }
    let scores: Vec<(i64, i64, i64)> = expert_scores::table
        .filter(expert_scores::evaluation_id.eq_any(evaluation_ids))
        .order((
            expert_scores::evaluation_id,
            expert_scores::expert_id,
            expert_scores::item,
        ))
        .select((
            expert_scores::evaluation_id,
            expert_scores::expert_id,
            expert_scores::score_hundredths,
        ))
        .load(conn)?;
    Ok(scores
        .into_iter()
        .filter(|(evaluation, expert, _)| counted.contains(&(*evaluation, *expert)))
        .collect())
}

/// The counted sheets of one evaluation (submitted, not recused), each as its item scores, from
/// rows of `counted_scores`.
pub fn sheets_in(scores: &[(i64, i64, i64)], evaluation_id: i64) -> Vec<Vec<Points>> {
    // `counted_scores` orders by evaluation: its rows are one run, found by bisection (a list
    // of 500 evaluations would otherwise scan every score 500 times).
    let start = scores.partition_point(|(e, _, _)| *e < evaluation_id);
    let end = scores.partition_point(|(e, _, _)| *e <= evaluation_id);
    let mut sheets: Vec<(i64, Vec<Points>)> = Vec::new();
    for (_, expert, score) in &scores[start..end.max(start)] {
        let score = Points::from_hundredths(*score);
        match sheets.last_mut() {
            Some((last, items)) if last == expert => items.push(score),
            _ => sheets.push((*expert, vec![score])),
        }
    }
    sheets.into_iter().map(|(_, items)| items).collect()
}

/// The counted sheets of one evaluation.
pub fn counted_sheets(
    conn: &mut DbConnection,
    evaluation_id: i64,
) -> QueryResult<Vec<Vec<Points>>> {
    let scores = counted_scores(conn, &[evaluation_id])?;
    Ok(sheets_in(&scores, evaluation_id))
}
