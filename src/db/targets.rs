//! Service-indicator values of an evaluation: the targets (协议量) set in setup and the station's
//! completions (完成量), per zone or station-wide (zone 0 in the table).

use diesel::prelude::*;

use super::DbConnection;
use super::schema::{completions, stated_totals, targets};
use crate::domain::indicators::Cell;
pub use crate::domain::indicators::Figure;
use crate::domain::points::Points;

/// Station-wide rows use this zone.
pub const STATION_WIDE: i64 = 0;

fn zone_key(zone_id: Option<i64>) -> i64 {
    zone_id.unwrap_or(STATION_WIDE)
}

fn to_cell((indicator, zone, value): (String, i64, i64)) -> Cell {
    Cell {
        indicator,
        zone_id: (zone != STATION_WIDE).then_some(zone),
        value: Points::from_hundredths(value),
    }
}

/// Writes many values at once (each (indicator, zone) at most once): rows with a value are
/// set, rows with None removed, others left as they are. One DELETE per indicator and one
/// INSERT for all.
pub fn put_many(
    conn: &mut DbConnection,
    figure: Figure,
    evaluation_id: i64,
    rows: &[(String, Option<i64>, Option<Points>)],
) -> QueryResult<()> {
    let mut zones_of: std::collections::BTreeMap<&str, Vec<i64>> = Default::default();
    for (indicator, zone, _) in rows {
        zones_of.entry(indicator).or_default().push(zone_key(*zone));
    }
    for (indicator, zones) in zones_of {
        match figure {
            Figure::Target => diesel::delete(
                targets::table
                    .filter(targets::evaluation_id.eq(evaluation_id))
                    .filter(targets::indicator.eq(indicator))
                    .filter(targets::zone_id.eq_any(zones)),
            )
            .execute(conn)?,
            Figure::Completion => diesel::delete(
                completions::table
                    .filter(completions::evaluation_id.eq(evaluation_id))
                    .filter(completions::indicator.eq(indicator))
                    .filter(completions::zone_id.eq_any(zones)),
            )
            .execute(conn)?,
        };
    }
    let kept: Vec<(&String, i64, i64)> = rows
        .iter()
        .filter_map(|(i, z, v)| v.map(|v| (i, zone_key(*z), v.hundredths())))
        .collect();
    if kept.is_empty() {
        return Ok(());
    }
    // MultiConnection has no batch insert; each backend has.
    macro_rules! insert_into {
        ($table:ident, $value:ident) => {{
            let values: Vec<_> = kept
                .iter()
                .map(|(indicator, zone, value)| {
                    (
                        $table::evaluation_id.eq(evaluation_id),
                        $table::indicator.eq(*indicator),
                        $table::zone_id.eq(*zone),
                        $table::$value.eq(*value),
                    )
                })
                .collect();
            let insert = diesel::insert_into($table::table).values(&values);
            match conn {
                DbConnection::Postgres(c) => insert.execute(c)?,
                DbConnection::Sqlite(c) => insert.execute(c)?,
            }
        }};
    }
    match figure {
        Figure::Target => insert_into!(targets, target_hundredths),
        Figure::Completion => insert_into!(completions, completed_hundredths),
    };
    Ok(())
}

/// Every value of one figure, in indicator and zone order.
pub fn list(conn: &mut DbConnection, figure: Figure, evaluation_id: i64) -> QueryResult<Vec<Cell>> {
    let rows: Vec<(String, i64, i64)> = match figure {
        Figure::Target => targets::table
            .filter(targets::evaluation_id.eq(evaluation_id))
            .order((targets::indicator, targets::zone_id))
            .select((
                targets::indicator,
                targets::zone_id,
                targets::target_hundredths,
            ))
            .load(conn)?,
        Figure::Completion => completions::table
            .filter(completions::evaluation_id.eq(evaluation_id))
            .order((completions::indicator, completions::zone_id))
            .select((
                completions::indicator,
                completions::zone_id,
                completions::completed_hundredths,
            ))
            .load(conn)?,
    };
    Ok(rows.into_iter().map(to_cell).collect())
}

pub fn count(conn: &mut DbConnection, evaluation_id: i64) -> QueryResult<i64> {
    targets::table
        .filter(targets::evaluation_id.eq(evaluation_id))
        .count()
        .get_result(conn)
}

/// Keeps the 合计 row of an imported workbook for one figure, replacing the previous import's.
pub fn replace_stated_totals(
    conn: &mut DbConnection,
    figure: Figure,
    evaluation_id: i64,
    totals: &[(String, Points)],
) -> QueryResult<()> {
    diesel::delete(
        stated_totals::table
            .filter(stated_totals::evaluation_id.eq(evaluation_id))
            .filter(stated_totals::figure.eq(figure.code())),
    )
    .execute(conn)?;
    for (indicator, total) in totals {
        diesel::insert_into(stated_totals::table)
            .values((
                stated_totals::evaluation_id.eq(evaluation_id),
                stated_totals::indicator.eq(indicator),
                stated_totals::figure.eq(figure.code()),
                stated_totals::total_hundredths.eq(total.hundredths()),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// (indicator, figure, stated total) of the last imports.
pub fn stated_totals(
    conn: &mut DbConnection,
    evaluation_id: i64,
) -> QueryResult<Vec<(String, Figure, Points)>> {
    let rows: Vec<(String, String, i64)> = stated_totals::table
        .filter(stated_totals::evaluation_id.eq(evaluation_id))
        .order((stated_totals::figure, stated_totals::indicator))
        .select((
            stated_totals::indicator,
            stated_totals::figure,
            stated_totals::total_hundredths,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(indicator, figure, total)| {
            Some((
                indicator,
                Figure::from_code(&figure)?,
                Points::from_hundredths(total),
            ))
        })
        .collect())
}
