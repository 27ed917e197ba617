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

/// Writes one value, or removes it when `value` is `None`.
pub fn put(
    conn: &mut DbConnection,
    figure: Figure,
    evaluation_id: i64,
    indicator: &str,
    zone_id: Option<i64>,
    value: Option<Points>,
) -> QueryResult<()> {
    let zone = zone_key(zone_id);
    match figure {
        Figure::Target => {
            diesel::delete(
                targets::table
                    .filter(targets::evaluation_id.eq(evaluation_id))
                    .filter(targets::indicator.eq(indicator))
                    .filter(targets::zone_id.eq(zone)),
            )
            .execute(conn)?;
            if let Some(value) = value {
                diesel::insert_into(targets::table)
                    .values((
                        targets::evaluation_id.eq(evaluation_id),
                        targets::indicator.eq(indicator),
                        targets::zone_id.eq(zone),
                        targets::target_hundredths.eq(value.hundredths()),
                    ))
                    .execute(conn)?;
            }
        }
        Figure::Completion => {
            diesel::delete(
                completions::table
                    .filter(completions::evaluation_id.eq(evaluation_id))
                    .filter(completions::indicator.eq(indicator))
                    .filter(completions::zone_id.eq(zone)),
            )
            .execute(conn)?;
            if let Some(value) = value {
                diesel::insert_into(completions::table)
                    .values((
                        completions::evaluation_id.eq(evaluation_id),
                        completions::indicator.eq(indicator),
                        completions::zone_id.eq(zone),
                        completions::completed_hundredths.eq(value.hundredths()),
                    ))
                    .execute(conn)?;
            }
        }
    }
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
