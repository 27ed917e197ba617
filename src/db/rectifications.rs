//! Rectification items (整改事项): the concerns of a final report, answered by the station and
//! verified by the agency, with the history of every change.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{rectification_events, rectifications};
use crate::domain::rectification::{ItemCounts, ItemStatus};

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
    pub due_on: NaiveDate,
    pub due_set_on: NaiveDate,
    pub verified_by: Option<i64>,
    pub verified_at: Option<NaiveDateTime>,
    pub verified_on: Option<NaiveDate>,
}

pub struct NewItem {
    pub party_code: String,
    pub section: Option<String>,
    pub zone_id: Option<i64>,
    pub text: String,
}

/// Makes the evaluation's items those of `items`, new ones due on `due_on` (set on `today`): a
/// reopened evaluation approved again keeps the items it already had (and the station's answers
/// to them), adds the new concerns, and drops only untouched items whose concern is gone.
pub fn sync(
    conn: &mut DbConnection,
    station_id: i64,
    evaluation_id: i64,
    items: &[NewItem],
    (due_on, today): (NaiveDate, NaiveDate),
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
            diesel::delete(
                rectification_events::table
                    .filter(rectification_events::rectification_id.eq(row.id)),
            )
            .execute(conn)?;
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
                rectifications::due_on.eq(due_on),
                rectifications::due_set_on.eq(today),
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

/// Writes the station's answer over `version` (status `answered`, or `open` for notes kept
/// without answering); 0 when another write came first.
pub fn answer(
    conn: &mut DbConnection,
    id: i64,
    version: i64,
    status: ItemStatus,
    action_taken: Option<&str>,
    user_id: i64,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(rectifications::table.find(id))
        .filter(rectifications::version.eq(version))
        .set((
            rectifications::status.eq(status.code()),
            rectifications::action_taken.eq(action_taken),
            rectifications::updated_by.eq(user_id),
            rectifications::updated_at.eq(now),
            rectifications::version.eq(version + 1),
        ))
        .execute(conn)
}

/// Writes the agency's verification over `version`: verified (by `user_id`, now) or returned.
pub fn verify(
    conn: &mut DbConnection,
    id: i64,
    version: i64,
    status: ItemStatus,
    user_id: i64,
    (today, now): (NaiveDate, NaiveDateTime),
) -> QueryResult<usize> {
    let verified = status == ItemStatus::Verified;
    diesel::update(rectifications::table.find(id))
        .filter(rectifications::version.eq(version))
        .set((
            rectifications::status.eq(status.code()),
            rectifications::verified_by.eq(verified.then_some(user_id)),
            rectifications::verified_at.eq(verified.then_some(now)),
            rectifications::verified_on.eq(verified.then_some(today)),
            rectifications::updated_by.eq(user_id),
            rectifications::updated_at.eq(now),
            rectifications::version.eq(version + 1),
        ))
        .execute(conn)
}

/// Moves the due date over `version` (set on `today`).
pub fn set_due(
    conn: &mut DbConnection,
    id: i64,
    version: i64,
    due_on: NaiveDate,
    today: NaiveDate,
    user_id: i64,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(rectifications::table.find(id))
        .filter(rectifications::version.eq(version))
        .set((
            rectifications::due_on.eq(due_on),
            rectifications::due_set_on.eq(today),
            rectifications::updated_by.eq(user_id),
            rectifications::updated_at.eq(now),
            rectifications::version.eq(version + 1),
        ))
        .execute(conn)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = rectification_events)]
pub struct EventRow {
    pub rectification_id: i64,
    pub action: String,
    pub status: String,
    pub note: Option<String>,
    pub actor_id: Option<i64>,
    pub at: NaiveDateTime,
}

pub fn add_event(conn: &mut DbConnection, event: &EventRow) -> QueryResult<()> {
    diesel::insert_into(rectification_events::table)
        .values((
            rectification_events::rectification_id.eq(event.rectification_id),
            rectification_events::action.eq(&event.action),
            rectification_events::status.eq(&event.status),
            rectification_events::note.eq(&event.note),
            rectification_events::actor_id.eq(event.actor_id),
            rectification_events::at.eq(event.at),
        ))
        .execute(conn)?;
    Ok(())
}

/// The history of the items `ids`, oldest first.
pub fn events_of(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<Vec<EventRow>> {
    let mut events = Vec::new();
    for chunk in ids.chunks(super::evaluations::ID_CHUNK) {
        events.extend(
            rectification_events::table
                .filter(rectification_events::rectification_id.eq_any(chunk))
                .order(rectification_events::id)
                .select(EventRow::as_select())
                .load(conn)?,
        );
    }
    Ok(events)
}

/// Items the station still owes (open or returned) in evaluations `ids`' stations, for the
/// reminder job: every one, with its due date.
pub fn owed(conn: &mut DbConnection) -> QueryResult<Vec<RectificationRow>> {
    rectifications::table
        .filter(
            rectifications::status.eq_any([ItemStatus::Open.code(), ItemStatus::Returned.code()]),
        )
        .order((rectifications::evaluation_id, rectifications::id))
        .select(RectificationRow::as_select())
        .load(conn)
}

/// Per evaluation, its items counted on `today`: open, overdue, answered, verified.
pub fn counts_of(
    conn: &mut DbConnection,
    evaluation_ids: &[i64],
    today: NaiveDate,
) -> QueryResult<std::collections::HashMap<i64, ItemCounts>> {
    let mut counts: std::collections::HashMap<i64, ItemCounts> = std::collections::HashMap::new();
    for chunk in evaluation_ids.chunks(super::evaluations::ID_CHUNK) {
        let rows: Vec<(i64, String, NaiveDate)> = rectifications::table
            .filter(rectifications::evaluation_id.eq_any(chunk))
            .select((
                rectifications::evaluation_id,
                rectifications::status,
                rectifications::due_on,
            ))
            .load(conn)?;
        for (evaluation, status, due_on) in rows {
            counts.entry(evaluation).or_default().add(
                ItemStatus::from_code(&status),
                due_on,
                today,
            );
        }
    }
    Ok(counts)
}

/// The items that may wait on `organization_id`: those the station owes (open or returned) of
/// evaluations where it stands for the station, and the answers waiting for verification of
/// evaluations where it stands for another party — the candidates for its 我的待办, which the
/// access rules then narrow.
pub fn waiting_on(
    conn: &mut DbConnection,
    organization_id: i64,
) -> QueryResult<Vec<RectificationRow>> {
    use super::schema::evaluation_parties;
    use crate::domain::scheme::STATION_PARTY;
    let as_station = evaluation_parties::table
        .filter(evaluation_parties::org_id.eq(organization_id))
        .filter(evaluation_parties::party_code.eq(STATION_PARTY))
        .select(evaluation_parties::evaluation_id);
    let as_other = evaluation_parties::table
        .filter(evaluation_parties::org_id.eq(organization_id))
        .filter(evaluation_parties::party_code.ne(STATION_PARTY))
        .select(evaluation_parties::evaluation_id);
    let owed = [ItemStatus::Open.code(), ItemStatus::Returned.code()];
    rectifications::table
        .filter(
            rectifications::evaluation_id
                .eq_any(as_station)
                .and(rectifications::status.eq_any(owed))
                .or(rectifications::evaluation_id
                    .eq_any(as_other)
                    .and(rectifications::status.eq(ItemStatus::Answered.code()))),
        )
        .order((rectifications::due_on, rectifications::id))
        .select(RectificationRow::as_select())
        .load(conn)
}
