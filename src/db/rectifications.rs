//! Rectification items (整改事项): the concerns of a final report, answered by the station.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::rectifications;

pub const OPEN: &str = "open";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = rectifications)]
pub struct RectificationRow {
    pub id: i64,
    pub station_id: i64,
    pub evaluation_id: i64,
    pub party_code: String,
    pub section: Option<String>,
    pub zone_id: Option<i64>,
    pub text: String,
    pub status: String,
    pub action_taken: Option<String>,
    pub updated_by: Option<i64>,
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

pub struct NewItem {
    pub party_code: String,
    pub section: Option<String>,
    pub zone_id: Option<i64>,
    pub text: String,
}

/// Makes the evaluation's items those of `items`: a reopened evaluation approved again keeps
/// the items it already had (and the station's answers to them), adds the new concerns, and drops
/// only untouched items whose concern is gone.
pub fn sync(
    conn: &mut DbConnection,
    station_id: i64,
    evaluation_id: i64,
    items: &[NewItem],
    now: NaiveDateTime,
) -> QueryResult<()> {
    let existing: Vec<RectificationRow> = rectifications::table
        .filter(rectifications::evaluation_id.eq(evaluation_id))
        .select(RectificationRow::as_select())
        .load(conn)?;
    let same = |row: &RectificationRow, item: &NewItem| {
        row.party_code == item.party_code && row.text == item.text
    };
    for row in &existing {
        let untouched = row.status == OPEN && row.action_taken.is_none();
        if untouched && !items.iter().any(|item| same(row, item)) {
            diesel::delete(rectifications::table.find(row.id)).execute(conn)?;
        }
    }
    for item in items
        .iter()
        .filter(|item| !existing.iter().any(|row| same(row, item)))
    {
        diesel::insert_into(rectifications::table)
            .values((
                rectifications::station_id.eq(station_id),
                rectifications::evaluation_id.eq(evaluation_id),
                rectifications::party_code.eq(&item.party_code),
                rectifications::section.eq(&item.section),
                rectifications::zone_id.eq(item.zone_id),
                rectifications::text.eq(&item.text),
                rectifications::status.eq(OPEN),
                rectifications::updated_at.eq(now),
                rectifications::version.eq(1),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The station's items, newest evaluation first.
pub fn of_station(conn: &mut DbConnection, station_id: i64) -> QueryResult<Vec<RectificationRow>> {
    rectifications::table
        .filter(rectifications::station_id.eq(station_id))
        .order((rectifications::evaluation_id.desc(), rectifications::id))
        .select(RectificationRow::as_select())
        .load(conn)
}

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<RectificationRow>> {
    rectifications::table
        .find(id)
        .select(RectificationRow::as_select())
        .first(conn)
        .optional()
}

/// Writes the station's answer over `version`; 0 when another write came first.
pub fn update(
    conn: &mut DbConnection,
    id: i64,
    version: i64,
    status: &str,
    action_taken: Option<&str>,
    user_id: i64,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(rectifications::table.find(id))
        .filter(rectifications::version.eq(version))
        .set((
            rectifications::status.eq(status),
            rectifications::action_taken.eq(action_taken),
            rectifications::updated_by.eq(user_id),
            rectifications::updated_at.eq(now),
            rectifications::version.eq(version + 1),
        ))
        .execute(conn)
}

/// The status of an item the station has dealt with.
pub const DONE: &str = "done";

/// Per evaluation, how many of its items are still open and how many are done.
pub fn counts_of(
    conn: &mut DbConnection,
    evaluation_ids: &[i64],
) -> QueryResult<std::collections::HashMap<i64, (i64, i64)>> {
    let mut counts: std::collections::HashMap<i64, (i64, i64)> = std::collections::HashMap::new();
    for chunk in evaluation_ids.chunks(super::evaluations::ID_CHUNK) {
        let rows: Vec<(i64, String)> = rectifications::table
            .filter(rectifications::evaluation_id.eq_any(chunk))
            .select((rectifications::evaluation_id, rectifications::status))
            .load(conn)?;
        for (evaluation, status) in rows {
            let entry = counts.entry(evaluation).or_default();
            if status == DONE {
                entry.1 += 1;
            } else {
                entry.0 += 1;
            }
        }
    }
    Ok(counts)
}
