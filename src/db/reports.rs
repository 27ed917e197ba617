//! Report versions and their frozen files.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{organizations, report_files, report_numbers, reports};

pub const DRAFT: &str = "draft";
pub const FINAL: &str = "final";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = reports)]
pub struct ReportRow {
    pub id: i64,
    pub evaluation_id: i64,
    pub version: i64,
    pub kind: String,
    pub model: String,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
    /// 报告编号; none on versions issued before numbers were given.
    pub number: Option<String>,
}

/// A rendered file without its content.
#[derive(Debug, Clone, Queryable)]
pub struct FileInfo {
    pub report_id: i64,
    pub format: String,
    pub sha256: String,
    pub bytes: i64,
}

pub struct NewFile<'a> {
    pub format: &'a str,
    pub sha256: String,
    pub content: Vec<u8>,
}

/// The next version number of the evaluation's reports (1 for the first).
pub fn next_version(conn: &mut DbConnection, evaluation_id: i64) -> QueryResult<i64> {
    let current: Option<i64> = reports::table
        .filter(reports::evaluation_id.eq(evaluation_id))
        .select(diesel::dsl::max(reports::version))
        .first(conn)?;
    Ok(current.unwrap_or(0) + 1)
}

pub struct NewReport<'a> {
    pub evaluation_id: i64,
    pub version: i64,
    pub kind: &'a str,
    pub model: &'a str,
    pub created_by: Option<i64>,
    pub number: Option<&'a str>,
}

/// Stores a version with its files; answers its id.
pub fn insert(
    conn: &mut DbConnection,
    new: &NewReport,
    files: &[NewFile],
    now: NaiveDateTime,
) -> QueryResult<i64> {
    let NewReport {
        evaluation_id,
        version,
        kind,
        model,
        created_by,
        number,
    } = *new;
    diesel::insert_into(reports::table)
        .values((
            reports::evaluation_id.eq(evaluation_id),
            reports::version.eq(version),
            reports::kind.eq(kind),
            reports::model.eq(model),
            reports::created_by.eq(created_by),
            reports::created_at.eq(now),
            reports::number.eq(number),
        ))
        .execute(conn)?;
    let id: i64 = reports::table
        .filter(reports::evaluation_id.eq(evaluation_id))
        .filter(reports::version.eq(version))
        .select(reports::id)
        .first(conn)?;
    add_files(conn, id, files)?;
    Ok(id)
}

/// Stores the rendered files of report `id`.
pub fn add_files(conn: &mut DbConnection, id: i64, files: &[NewFile]) -> QueryResult<()> {
    for file in files {
        let bytes = i64::try_from(file.content.len()).unwrap_or(i64::MAX);
        diesel::insert_into(report_files::table)
            .values((
                report_files::report_id.eq(id),
                report_files::format.eq(file.format),
                report_files::sha256.eq(&file.sha256),
                report_files::bytes.eq(bytes),
                report_files::content.eq(&file.content),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The evaluation's versions, oldest first, with their files.
pub fn list(
    conn: &mut DbConnection,
    evaluation_id: i64,
) -> QueryResult<Vec<(ReportRow, Vec<FileInfo>)>> {
    let rows: Vec<ReportRow> = reports::table
        .filter(reports::evaluation_id.eq(evaluation_id))
        .order(reports::version)
        .select(ReportRow::as_select())
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let files = files_of(conn, &ids)?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let own = files
                .iter()
                .filter(|f| f.report_id == row.id)
                .cloned()
                .collect();
            (row, own)
        })
        .collect())
}

fn files_of(conn: &mut DbConnection, report_ids: &[i64]) -> QueryResult<Vec<FileInfo>> {
    report_files::table
        .filter(report_files::report_id.eq_any(report_ids))
        .order((report_files::report_id, report_files::format))
        .select((
            report_files::report_id,
            report_files::format,
            report_files::sha256,
            report_files::bytes,
        ))
        .load(conn)
}

pub fn find(
    conn: &mut DbConnection,
    report_id: i64,
) -> QueryResult<Option<(ReportRow, Vec<FileInfo>)>> {
    let Some(row) = reports::table
        .find(report_id)
        .select(ReportRow::as_select())
        .first(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let files = files_of(conn, &[report_id])?;
    Ok(Some((row, files)))
}

/// A stored file's bytes.
pub fn content(
    conn: &mut DbConnection,
    report_id: i64,
    format: &str,
) -> QueryResult<Option<Vec<u8>>> {
    report_files::table
        .find((report_id, format))
        .select(report_files::content)
        .first(conn)
        .optional()
}

/// The newest version, if any.
pub fn latest(conn: &mut DbConnection, evaluation_id: i64) -> QueryResult<Option<ReportRow>> {
    reports::table
        .filter(reports::evaluation_id.eq(evaluation_id))
        .order(reports::version.desc())
        .select(ReportRow::as_select())
        .first(conn)
        .optional()
}

/// The next sequence of the agency's report numbers in `year` (1 for its first). The agency's
/// row is locked first on PostgreSQL, so that two evaluations' first versions never race to
/// create the year's counter; SQLite's immediate transaction holds the whole database. The lock
/// is FOR NO KEY UPDATE: the key-share locks that rows referring to the agency take (the
/// writers' audit entries) do not wait on it, nor it on them, so two issuers cannot deadlock.
pub fn next_number(conn: &mut DbConnection, agency_org_id: i64, year: i32) -> QueryResult<i64> {
    if let DbConnection::Postgres(pg) = conn {
        organizations::table
            .find(agency_org_id)
            .select(organizations::id)
            .for_no_key_update()
            .first::<i64>(pg)
            .optional()?;
    }
    let counter = report_numbers::table
        .filter(report_numbers::agency_org_id.eq(agency_org_id))
        .filter(report_numbers::year.eq(year));
    let taken: Option<i64> = diesel::update(counter)
        .set(report_numbers::last_sequence.eq(report_numbers::last_sequence + 1))
        .returning(report_numbers::last_sequence)
        .get_result(conn)
        .optional()?;
    if let Some(sequence) = taken {
        return Ok(sequence);
    }
    diesel::insert_into(report_numbers::table)
        .values((
            report_numbers::agency_org_id.eq(agency_org_id),
            report_numbers::year.eq(year),
            report_numbers::last_sequence.eq(1_i64),
        ))
        .execute(conn)?;
    Ok(1)
}
