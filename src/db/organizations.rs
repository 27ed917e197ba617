use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::organizations;
use crate::db::Page;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = organizations)]
pub struct OrganizationRow {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub district: Option<String>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// 全称 (the short `name` is 简称).
    pub full_name: String,
    /// 所在市, e.g. 广州市.
    pub city: Option<String>,
    /// An agency's 报告编号 prefix, e.g. 穗社评.
    pub report_prefix: Option<String>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = organizations)]
pub struct NewOrganization<'a> {
    pub name: &'a str,
    pub full_name: &'a str,
    pub kind: &'a str,
    pub district: Option<&'a str>,
    pub city: Option<&'a str>,
    pub report_prefix: Option<&'a str>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConnection, new: &NewOrganization) -> QueryResult<i64> {
    diesel::insert_into(organizations::table)
        .values(new)
        .returning(organizations::id)
        .get_result(conn)
}

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<OrganizationRow>> {
    organizations::table
        .find(id)
        .select(OrganizationRow::as_select())
        .first(conn)
        .optional()
}

pub fn name_taken(conn: &mut DbConnection, name: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        organizations::table.filter(organizations::name.eq(name)),
    ))
    .get_result(conn)
}

/// Those of `names` that organizations already have.
pub fn names_taken(conn: &mut DbConnection, names: &[String]) -> QueryResult<Vec<String>> {
    organizations::table
        .filter(organizations::name.eq_any(names))
        .select(organizations::name)
        .load(conn)
}

/// The deployment's own organization, created by the first migration.
pub fn system_id(conn: &mut DbConnection) -> QueryResult<i64> {
    organizations::table
        .filter(organizations::kind.eq("system"))
        .select(organizations::id)
        .order(organizations::id)
        .first(conn)
}

pub fn list(
    conn: &mut DbConnection,
    kind: Option<&str>,
    page: Page,
) -> QueryResult<(Vec<OrganizationRow>, i64)> {
    let mut count = organizations::table.into_boxed();
    let mut rows = organizations::table
        .select(OrganizationRow::as_select())
        .order(organizations::id)
        .limit(page.per_page)
        .offset(page.offset())
        .into_boxed();
    if let Some(kind) = kind {
        count = count.filter(organizations::kind.eq(kind.to_owned()));
        rows = rows.filter(organizations::kind.eq(kind.to_owned()));
    }
    let total = count.count().get_result(conn)?;
    Ok((rows.load(conn)?, total))
}

/// The ids of a city's district bureaus, as a subquery: what a municipal bureau with a city
/// oversees is what these take part in (`auth::permissions::evaluation_scope`).
#[diesel::dsl::auto_type(no_type_alias)]
pub fn city_bureaus<'a>(city: &'a str, bureau_kind: &'a str) -> _ {
    organizations::table
        .filter(organizations::kind.eq(bureau_kind))
        .filter(organizations::city.eq(city))
        .select(organizations::id)
}
