//! The records an onboarding workbook is compared with, and the writes of its plan.

use std::collections::{BTreeSet, HashMap};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{agreements, communities, evaluations, organizations, stations, users, zones};
use crate::domain::onboarding::{
    Existing, ExistingAgreement, ExistingOrganization, ExistingStation, ExistingUser, ExistingZone,
    Rows,
};
use crate::domain::organization::OrgKind;
use crate::domain::user::Role;

/// Every organization (references go by name or full name), and the stations, their zones and
/// agreements, and the users the rows name.
pub fn existing_for(conn: &mut DbConnection, rows: &Rows) -> QueryResult<Existing> {
    let organizations: Vec<ExistingOrganization> = organizations::table
        .select((
            organizations::id,
            organizations::name,
            organizations::full_name,
            organizations::kind,
            organizations::district,
        ))
        .load::<(i64, String, String, String, Option<String>)>(conn)?
        .into_iter()
        .filter_map(|(id, name, full_name, kind, district)| {
            Some(ExistingOrganization {
                id,
                name,
                full_name,
                kind: OrgKind::from_code(&kind)?,
                district,
            })
        })
        .collect();

    let names: BTreeSet<&str> = rows
        .stations
        .iter()
        .map(|s| s.name.as_str())
        .chain(rows.zones.iter().map(|z| z.station.as_str()))
        .chain(rows.agreements.iter().map(|a| a.station.as_str()))
        .collect();
    let stations: Vec<ExistingStation> = stations::table
        .filter(stations::name.eq_any(names))
        .select((
            stations::id,
            stations::name,
            stations::district,
            stations::street,
            stations::address,
            stations::operator_org_id,
            stations::purchaser_org_id,
            stations::supervisor_org_id,
        ))
        .load::<(i64, String, String, String, Option<String>, i64, i64, i64)>(conn)?
        .into_iter()
        .map(
            |(id, name, district, street, address, operator, purchaser, supervisor)| {
                ExistingStation {
                    id,
                    name,
                    district,
                    street,
                    address,
                    operator_org_id: operator,
                    purchaser_org_id: purchaser,
                    supervisor_org_id: supervisor,
                }
            },
        )
        .collect();
    let station_ids: Vec<i64> = stations.iter().map(|s| s.id).collect();

    let zone_rows: Vec<(i64, i64, String)> = zones::table
        .filter(zones::station_id.eq_any(&station_ids))
        .order((zones::station_id, zones::position))
        .select((zones::id, zones::station_id, zones::name))
        .load(conn)?;
    let zone_ids: Vec<i64> = zone_rows.iter().map(|z| z.0).collect();
    let mut communities_of: HashMap<i64, Vec<String>> = HashMap::new();
    for (zone_id, name) in communities::table
        .filter(communities::zone_id.eq_any(&zone_ids))
        .order((communities::zone_id, communities::position))
        .select((communities::zone_id, communities::name))
        .load::<(i64, String)>(conn)?
    {
        communities_of.entry(zone_id).or_default().push(name);
    }
    let zones = zone_rows
        .into_iter()
        .map(|(id, station_id, name)| ExistingZone {
            id,
            station_id,
            name,
            communities: communities_of.remove(&id).unwrap_or_default(),
        })
        .collect();

    let evaluated: BTreeSet<i64> = evaluations::table
        .filter(evaluations::station_id.eq_any(&station_ids))
        .select(evaluations::agreement_id)
        .load::<i64>(conn)?
        .into_iter()
        .collect();
    let agreements = agreements::table
        .filter(agreements::station_id.eq_any(&station_ids))
        .select((
            agreements::id,
            agreements::station_id,
            agreements::period_start,
            agreements::period_end,
            agreements::funding_fen,
            agreements::required_staff,
            agreements::required_certified_staff,
        ))
        .load::<(i64, i64, NaiveDate, NaiveDate, i64, i64, i64)>(conn)?
        .into_iter()
        .map(
            |(id, station_id, start, end, funding_fen, staff, certified)| ExistingAgreement {
                id,
                station_id,
                start,
                end,
                funding_fen,
                required_staff: staff,
                required_certified_staff: certified,
                evaluated: evaluated.contains(&id),
            },
        )
        .collect();

    let usernames: Vec<&str> = rows.users.iter().map(|u| u.username.as_str()).collect();
    let users = users::table
        .filter(users::username.eq_any(usernames))
        .select((
            users::id,
            users::username,
            users::display_name,
            users::email,
            users::organization_id,
            users::role,
        ))
        .load::<(i64, String, String, Option<String>, i64, String)>(conn)?
        .into_iter()
        .filter_map(
            |(id, username, display_name, email, organization_id, role)| {
                Some(ExistingUser {
                    id,
                    username,
                    display_name,
                    email,
                    organization_id,
                    role: Role::from_code(&role)?,
                })
            },
        )
        .collect();

    Ok(Existing {
        organizations,
        stations,
        zones,
        agreements,
        users,
    })
}

pub fn update_organization(
    conn: &mut DbConnection,
    id: i64,
    full_name: &str,
    district: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(organizations::table.find(id))
        .set((
            organizations::full_name.eq(full_name),
            organizations::district.eq(district),
            organizations::version.eq(organizations::version + 1),
            organizations::updated_at.eq(now),
        ))
        .execute(conn)
}

pub struct StationChanges<'a> {
    pub street: &'a str,
    pub address: Option<&'a str>,
    pub operator_org_id: i64,
    pub purchaser_org_id: i64,
    pub supervisor_org_id: i64,
}

pub fn update_station(
    conn: &mut DbConnection,
    id: i64,
    changes: &StationChanges,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(stations::table.find(id))
        .set((
            stations::street.eq(changes.street),
            stations::address.eq(changes.address),
            stations::operator_org_id.eq(changes.operator_org_id),
            stations::purchaser_org_id.eq(changes.purchaser_org_id),
            stations::supervisor_org_id.eq(changes.supervisor_org_id),
            stations::version.eq(stations::version + 1),
            stations::updated_at.eq(now),
        ))
        .execute(conn)
}

/// Adds a zone after the station's others.
pub fn insert_zone(
    conn: &mut DbConnection,
    station_id: i64,
    name: &str,
    names: &[String],
) -> QueryResult<i64> {
    let last: Option<i64> = zones::table
        .filter(zones::station_id.eq(station_id))
        .select(diesel::dsl::max(zones::position))
        .first(conn)?;
    let id = diesel::insert_into(zones::table)
        .values((
            zones::station_id.eq(station_id),
            zones::name.eq(name),
            zones::position.eq(last.map_or(0, |p| p + 1)),
        ))
        .returning(zones::id)
        .get_result(conn)?;
    insert_communities(conn, id, names)?;
    Ok(id)
}

/// Replaces a zone's communities.
pub fn set_communities(conn: &mut DbConnection, zone_id: i64, names: &[String]) -> QueryResult<()> {
    diesel::delete(communities::table.filter(communities::zone_id.eq(zone_id))).execute(conn)?;
    insert_communities(conn, zone_id, names)
}

fn insert_communities(conn: &mut DbConnection, zone_id: i64, names: &[String]) -> QueryResult<()> {
    let rows: Vec<_> = names
        .iter()
        .enumerate()
        .map(|(position, name)| {
            (
                communities::zone_id.eq(zone_id),
                communities::name.eq(name.as_str()),
                communities::position.eq(position as i64),
            )
        })
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    // MultiConnection has no batch insert; each backend has.
    let insert = diesel::insert_into(communities::table).values(&rows);
    match conn {
        DbConnection::Postgres(c) => insert.execute(c)?,
        DbConnection::Sqlite(c) => insert.execute(c)?,
    };
    Ok(())
}

pub struct AgreementTerms {
    pub end: NaiveDate,
    pub funding_fen: i64,
    pub required_staff: i64,
    pub required_certified_staff: i64,
}

pub fn update_agreement(
    conn: &mut DbConnection,
    id: i64,
    terms: &AgreementTerms,
) -> QueryResult<usize> {
    diesel::update(agreements::table.find(id))
        .set((
            agreements::period_end.eq(terms.end),
            agreements::funding_fen.eq(terms.funding_fen),
            agreements::required_staff.eq(terms.required_staff),
            agreements::required_certified_staff.eq(terms.required_certified_staff),
            agreements::version.eq(agreements::version + 1),
        ))
        .execute(conn)
}

pub struct UserChanges<'a> {
    pub display_name: &'a str,
    pub email: Option<&'a str>,
    pub organization_id: i64,
    pub role: &'a str,
}

/// Updates what a row says; an empty e-mail cell keeps the address.
pub fn update_user(
    conn: &mut DbConnection,
    id: i64,
    changes: &UserChanges,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let target = users::table.find(id);
    if let Some(email) = changes.email {
        diesel::update(target)
            .set(users::email.eq(email))
            .execute(conn)?;
    }
    diesel::update(target)
        .set((
            users::display_name.eq(changes.display_name),
            users::organization_id.eq(changes.organization_id),
            users::role.eq(changes.role),
            users::version.eq(users::version + 1),
            users::updated_at.eq(now),
        ))
        .execute(conn)
}

/// Serializes imports on PostgreSQL (SQLite's write transaction already does): the second of
/// two uploads of one file compares with what the first wrote.
pub fn lock_imports(conn: &mut DbConnection) -> QueryResult<()> {
    if let DbConnection::Postgres(c) = conn {
        // An arbitrary key owned by onboarding imports.
        diesel::sql_query("SELECT pg_advisory_xact_lock(7140218)").execute(c)?;
    }
    Ok(())
}
