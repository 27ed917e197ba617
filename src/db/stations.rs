//! Stations with their zones and communities, and their agreements. A page of stations is a
//! fixed number of queries, whatever its size.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::DbConnection;
use super::organizations::OrganizationRow;
use super::schema::{
    agreements, communities, evaluation_parties, evaluations, organizations, stations, zones,
};
use crate::db::Page;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = stations)]
pub struct StationRow {
    pub id: i64,
    pub name: String,
    pub district: String,
    pub street: String,
    pub address: Option<String>,
    pub operator_org_id: i64,
    pub purchaser_org_id: i64,
    pub supervisor_org_id: i64,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Since when the operator runs the station.
    pub operating_since: Option<NaiveDate>,
}

#[derive(Debug, Clone)]
pub struct ZoneWithCommunities {
    pub id: i64,
    pub name: String,
    pub communities: Vec<String>,
}

/// A station with everything its view shows.
#[derive(Debug, Clone)]
pub struct StationDetail {
    pub station: StationRow,
    pub operator: OrganizationRow,
    pub purchaser: OrganizationRow,
    pub supervisor: OrganizationRow,
    pub zones: Vec<ZoneWithCommunities>,
}

pub struct NewStation<'a> {
    pub name: &'a str,
    pub district: &'a str,
    pub street: &'a str,
    pub address: Option<&'a str>,
    pub operator_org_id: i64,
    pub purchaser_org_id: i64,
    pub supervisor_org_id: i64,
    pub operating_since: Option<NaiveDate>,
    pub zones: &'a [(String, Vec<String>)],
}

pub fn insert(conn: &mut DbConnection, new: &NewStation, now: NaiveDateTime) -> QueryResult<i64> {
    let id: i64 = diesel::insert_into(stations::table)
        .values((
            stations::name.eq(new.name),
            stations::district.eq(new.district),
            stations::street.eq(new.street),
            stations::address.eq(new.address),
            stations::operator_org_id.eq(new.operator_org_id),
            stations::purchaser_org_id.eq(new.purchaser_org_id),
            stations::supervisor_org_id.eq(new.supervisor_org_id),
            stations::operating_since.eq(new.operating_since),
            stations::created_at.eq(now),
            stations::updated_at.eq(now),
        ))
        .returning(stations::id)
        .get_result(conn)?;
    for (position, (zone, names)) in new.zones.iter().enumerate() {
        let zone_id: i64 = diesel::insert_into(zones::table)
            .values((
                zones::station_id.eq(id),
                zones::name.eq(zone),
                zones::position.eq(position as i64),
            ))
            .returning(zones::id)
            .get_result(conn)?;
        // One row at a time: MultiConnection has no batch insert, and a station has few.
        for (position, name) in names.iter().enumerate() {
            diesel::insert_into(communities::table)
                .values((
                    communities::zone_id.eq(zone_id),
                    communities::name.eq(name.as_str()),
                    communities::position.eq(position as i64),
                ))
                .execute(conn)?;
        }
    }
    Ok(id)
}

pub fn name_taken(conn: &mut DbConnection, district: &str, name: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        stations::table
            .filter(stations::district.eq(district))
            .filter(stations::name.eq(name)),
    ))
    .get_result(conn)
}

/// Which stations a caller may see: all, or those where one of the organizations takes part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    /// Those a district bureau of the city (所在市) supervises.
    City(String),
    Organization(i64),
    Nothing,
}

pub fn find_row(conn: &mut DbConnection, id: i64) -> QueryResult<Option<StationRow>> {
    stations::table
        .find(id)
        .select(StationRow::as_select())
        .first(conn)
        .optional()
}

pub fn list(
    conn: &mut DbConnection,
    scope: &Scope,
    page: Page,
) -> QueryResult<(Vec<StationDetail>, i64)> {
    let mut count = stations::table.into_boxed();
    let mut rows = stations::table
        .select(StationRow::as_select())
        .order(stations::id)
        .limit(page.per_page)
        .offset(page.offset())
        .into_boxed();
    if let Scope::Organization(org) = scope {
        let org = *org;
        // The station's own organizations, and the parties of its evaluations.
        let takes_part = || {
            let evaluated = evaluations::table
                .inner_join(evaluation_parties::table)
                .filter(evaluation_parties::org_id.eq(org))
                .select(evaluations::station_id);
            stations::operator_org_id
                .eq(org)
                .or(stations::purchaser_org_id.eq(org))
                .or(stations::supervisor_org_id.eq(org))
                .or(stations::id.eq_any(evaluated))
        };
        count = count.filter(takes_part());
        rows = rows.filter(takes_part());
    }
    if let Scope::City(city) = scope {
        let bureaus = || {
            crate::db::organizations::city_bureaus(
                city,
                crate::domain::organization::OrgKind::CivilAffairsBureau.code(),
            )
        };
        count = count.filter(stations::supervisor_org_id.eq_any(bureaus()));
        rows = rows.filter(stations::supervisor_org_id.eq_any(bureaus()));
    }
    if let Scope::Nothing = scope {
        return Ok((Vec::new(), 0));
    }
    let total = count.count().get_result(conn)?;
    let rows = rows.load(conn)?;
    Ok((details(conn, rows)?, total))
}

/// Whether an organization takes part in a station: as its operator, purchaser or supervisor,
/// or as a party of one of its evaluations.
pub fn org_takes_part(
    conn: &mut DbConnection,
    station: &StationRow,
    org: i64,
) -> QueryResult<bool> {
    if [
        station.operator_org_id,
        station.purchaser_org_id,
        station.supervisor_org_id,
    ]
    .contains(&org)
    {
        return Ok(true);
    }
    diesel::select(diesel::dsl::exists(
        evaluations::table
            .inner_join(evaluation_parties::table)
            .filter(evaluations::station_id.eq(station.id))
            .filter(evaluation_parties::org_id.eq(org)),
    ))
    .get_result(conn)
}

/// The zones of a station in their order.
pub fn zones_of(
    conn: &mut DbConnection,
    station_id: i64,
) -> QueryResult<Vec<crate::domain::indicators::Zone>> {
    Ok(zones::table
        .filter(zones::station_id.eq(station_id))
        .order(zones::position)
        .select((zones::id, zones::name))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .map(|(id, name)| crate::domain::indicators::Zone { id, name })
        .collect())
}

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<StationDetail>> {
    let Some(row) = find_row(conn, id)? else {
        return Ok(None);
    };
    Ok(details(conn, vec![row])?.into_iter().next())
}

/// Organizations, zones and communities of some stations: three queries for any number.
fn details(conn: &mut DbConnection, rows: Vec<StationRow>) -> QueryResult<Vec<StationDetail>> {
    let org_ids: Vec<i64> = rows
        .iter()
        .flat_map(|s| [s.operator_org_id, s.purchaser_org_id, s.supervisor_org_id])
        .collect();
    let orgs: HashMap<i64, OrganizationRow> = organizations::table
        .filter(organizations::id.eq_any(&org_ids))
        .select(OrganizationRow::as_select())
        .load(conn)?
        .into_iter()
        .map(|o| (o.id, o))
        .collect();
    let station_ids: Vec<i64> = rows.iter().map(|s| s.id).collect();
    let zone_rows: Vec<(i64, i64, String)> = zones::table
        .filter(zones::station_id.eq_any(&station_ids))
        .order((zones::station_id, zones::position))
        .select((zones::id, zones::station_id, zones::name))
        .load(conn)?;
    let zone_ids: Vec<i64> = zone_rows.iter().map(|z| z.0).collect();
    let mut names: HashMap<i64, Vec<String>> = HashMap::new();
    let community_rows: Vec<(i64, String)> = communities::table
        .filter(communities::zone_id.eq_any(&zone_ids))
        .order((communities::zone_id, communities::position))
        .select((communities::zone_id, communities::name))
        .load(conn)?;
    for (zone_id, name) in community_rows {
        names.entry(zone_id).or_default().push(name);
    }
    let mut zones_of: HashMap<i64, Vec<ZoneWithCommunities>> = HashMap::new();
    for (id, station_id, name) in zone_rows {
        zones_of
            .entry(station_id)
            .or_default()
            .push(ZoneWithCommunities {
                id,
                name,
                communities: names.remove(&id).unwrap_or_default(),
            });
    }
    let org = |id: i64| {
        orgs.get(&id)
            .cloned()
            .ok_or(diesel::result::Error::NotFound)
    };
    rows.into_iter()
        .map(|station| {
            Ok(StationDetail {
                operator: org(station.operator_org_id)?,
                purchaser: org(station.purchaser_org_id)?,
                supervisor: org(station.supervisor_org_id)?,
                zones: zones_of.remove(&station.id).unwrap_or_default(),
                station,
            })
        })
        .collect()
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = agreements)]
pub struct AgreementRow {
    pub id: i64,
    pub station_id: i64,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub funding_fen: i64,
    pub required_staff: i64,
    pub required_certified_staff: i64,
    pub version: i64,
    pub created_at: NaiveDateTime,
}

pub struct NewAgreement {
    pub station_id: i64,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub funding_fen: i64,
    pub required_staff: i64,
    pub required_certified_staff: i64,
}

pub fn insert_agreement(
    conn: &mut DbConnection,
    new: &NewAgreement,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    diesel::insert_into(agreements::table)
        .values((
            agreements::station_id.eq(new.station_id),
            agreements::period_start.eq(new.period_start),
            agreements::period_end.eq(new.period_end),
            agreements::funding_fen.eq(new.funding_fen),
            agreements::required_staff.eq(new.required_staff),
            agreements::required_certified_staff.eq(new.required_certified_staff),
            agreements::created_at.eq(now),
        ))
        .returning(agreements::id)
        .get_result(conn)
}

/// An agreement of the station whose period overlaps [start, end], if any.
pub fn overlapping_agreement(
    conn: &mut DbConnection,
    station_id: i64,
    start: NaiveDate,
    end: NaiveDate,
) -> QueryResult<Option<AgreementRow>> {
    agreements::table
        .filter(agreements::station_id.eq(station_id))
        .filter(agreements::period_start.le(end))
        .filter(agreements::period_end.ge(start))
        .select(AgreementRow::as_select())
        .first(conn)
        .optional()
}

pub fn find_agreement(conn: &mut DbConnection, id: i64) -> QueryResult<Option<AgreementRow>> {
    agreements::table
        .find(id)
        .select(AgreementRow::as_select())
        .first(conn)
        .optional()
}

/// The station's agreements, latest period first.
pub fn agreements_of(conn: &mut DbConnection, station_id: i64) -> QueryResult<Vec<AgreementRow>> {
    agreements::table
        .filter(agreements::station_id.eq(station_id))
        .order(agreements::period_start.desc())
        .select(AgreementRow::as_select())
        .load(conn)
}

/// The stations of a district, by name.
pub fn of_district(conn: &mut DbConnection, district: &str) -> QueryResult<Vec<StationRow>> {
    stations::table
        .filter(stations::district.eq(district))
        .order(stations::name)
        .select(StationRow::as_select())
        .load(conn)
}

/// Serializes writers of a district's evaluations on PostgreSQL until the transaction ends
/// (SQLite's write transaction already holds the database).
pub fn lock_district(conn: &mut DbConnection, district: &str) -> QueryResult<()> {
    if let DbConnection::Postgres(pg) = conn {
        diesel::sql_query("SELECT pg_advisory_xact_lock(7140219, hashtext($1))")
            .bind::<diesel::sql_types::Text, _>(district)
            .execute(pg)?;
    }
    Ok(())
}
