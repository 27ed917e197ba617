//! Service-indicator targets (协议量) of an evaluation, per zone or station-wide (zone 0).

use diesel::prelude::*;

use super::DbConnection;
use super::schema::targets;

/// Station-wide rows use this zone.
pub const STATION_WIDE: i64 = 0;

/// Writes one row: sets its target, or removes it when `target` is `None`.
pub fn put(
    conn: &mut DbConnection,
    evaluation_id: i64,
    indicator: &str,
    zone_id: i64,
    target: Option<i64>,
) -> QueryResult<()> {
    let row = targets::table
        .filter(targets::evaluation_id.eq(evaluation_id))
        .filter(targets::indicator.eq(indicator))
        .filter(targets::zone_id.eq(zone_id));
    diesel::delete(row).execute(conn)?;
    if let Some(target) = target {
        diesel::insert_into(targets::table)
            .values((
                targets::evaluation_id.eq(evaluation_id),
                targets::indicator.eq(indicator),
                targets::zone_id.eq(zone_id),
                targets::target_hundredths.eq(target),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// (indicator, zone id, target in hundredths), in indicator and zone order.
pub fn list(conn: &mut DbConnection, evaluation_id: i64) -> QueryResult<Vec<(String, i64, i64)>> {
    targets::table
        .filter(targets::evaluation_id.eq(evaluation_id))
        .order((targets::indicator, targets::zone_id))
        .select((
            targets::indicator,
            targets::zone_id,
            targets::target_hundredths,
        ))
        .load(conn)
}

pub fn count(conn: &mut DbConnection, evaluation_id: i64) -> QueryResult<i64> {
    targets::table
        .filter(targets::evaluation_id.eq(evaluation_id))
        .count()
        .get_result(conn)
}
