//! The staff roster of an evaluation: one row per worker and one per worker and month. A PUT
//! replaces the whole roster.

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{worker_months, workers};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = workers)]
pub struct WorkerRow {
    pub id: i64,
    pub evaluation_id: i64,
    pub line: i64,
    pub name: String,
    pub position: String,
    pub qualification: String,
    pub over_two_years: bool,
    pub practice_start: Option<NaiveDate>,
    pub zone_id: Option<i64>,
    pub joined_on: Option<NaiveDate>,
    pub left_on: Option<NaiveDate>,
    pub note: Option<String>,
    pub contract_term: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = worker_months)]
pub struct MonthRow {
    pub worker_id: i64,
    pub month: String,
    pub on_post_hundredths: i64,
    pub insurance: bool,
    pub wage: bool,
}

pub struct NewWorker<'a> {
    pub name: &'a str,
    pub position: &'a str,
    pub qualification: &'a str,
    pub over_two_years: bool,
    pub practice_start: Option<NaiveDate>,
    pub zone_id: Option<i64>,
    pub joined_on: Option<NaiveDate>,
    pub left_on: Option<NaiveDate>,
    pub note: Option<&'a str>,
    pub contract_term: Option<&'a str>,
    /// (month "2024-12", on_post in hundredths, insurance, wage)
    pub months: Vec<(String, i64, bool, bool)>,
}

/// Replaces the roster: the workers are numbered from 1 in the order given.
pub fn replace(
    conn: &mut DbConnection,
    evaluation_id: i64,
    roster: &[NewWorker],
) -> QueryResult<()> {
    let old = workers::table
        .filter(workers::evaluation_id.eq(evaluation_id))
        .select(workers::id);
    diesel::delete(worker_months::table.filter(worker_months::worker_id.eq_any(old)))
        .execute(conn)?;
    diesel::delete(workers::table.filter(workers::evaluation_id.eq(evaluation_id)))
        .execute(conn)?;
    for (index, worker) in roster.iter().enumerate() {
        let id: i64 = diesel::insert_into(workers::table)
            .values((
                workers::evaluation_id.eq(evaluation_id),
                workers::line.eq(index as i64 + 1),
                workers::name.eq(worker.name),
                workers::position.eq(worker.position),
                workers::qualification.eq(worker.qualification),
                workers::over_two_years.eq(worker.over_two_years),
                workers::practice_start.eq(worker.practice_start),
                workers::zone_id.eq(worker.zone_id),
                workers::joined_on.eq(worker.joined_on),
                workers::left_on.eq(worker.left_on),
                workers::note.eq(worker.note),
                workers::contract_term.eq(worker.contract_term),
            ))
            .returning(workers::id)
            .get_result(conn)?;
        if worker.months.is_empty() {
            continue;
        }
        let months: Vec<_> = worker
            .months
            .iter()
            .map(|(month, on_post, insurance, wage)| {
                (
                    worker_months::worker_id.eq(id),
                    worker_months::month.eq(month),
                    worker_months::on_post_hundredths.eq(on_post),
                    worker_months::insurance.eq(insurance),
                    worker_months::wage.eq(wage),
                )
            })
            .collect();
        // One statement per worker: MultiConnection has no batch insert, each backend has.
        let insert = diesel::insert_into(worker_months::table).values(&months);
        match conn {
            DbConnection::Postgres(c) => insert.execute(c)?,
            DbConnection::Sqlite(c) => insert.execute(c)?,
        };
    }
    Ok(())
}

/// The roster in line order, each worker with their months in order: two queries.
pub fn list(
    conn: &mut DbConnection,
    evaluation_id: i64,
) -> QueryResult<Vec<(WorkerRow, Vec<MonthRow>)>> {
    let rows: Vec<WorkerRow> = workers::table
        .filter(workers::evaluation_id.eq(evaluation_id))
        .order(workers::line)
        .select(WorkerRow::as_select())
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|w| w.id).collect();
    let mut months: HashMap<i64, Vec<MonthRow>> = HashMap::new();
    let month_rows: Vec<MonthRow> = worker_months::table
        .filter(worker_months::worker_id.eq_any(&ids))
        .order((worker_months::worker_id, worker_months::month))
        .select(MonthRow::as_select())
        .load(conn)?;
    for row in month_rows {
        months.entry(row.worker_id).or_default().push(row);
    }
    Ok(rows
        .into_iter()
        .map(|w| {
            let own = months.remove(&w.id).unwrap_or_default();
            (w, own)
        })
        .collect())
}
