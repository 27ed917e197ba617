use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::organizations::OrganizationRow;
use super::schema::{organizations, users};
use crate::db::Page;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: i64,
    pub organization_id: i64,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub role: String,
    pub password_hash: String,
    pub must_change_password: bool,
    pub disabled: bool,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub organization_id: i64,
    pub username: &'a str,
    pub display_name: &'a str,
    pub email: Option<&'a str>,
    pub role: &'a str,
    pub password_hash: &'a str,
    pub must_change_password: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// The fields a PATCH may change; `None` leaves a field as it is.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = users)]
pub struct UserChanges {
    pub display_name: Option<String>,
    pub email: Option<Option<String>>,
    pub role: Option<String>,
    pub disabled: Option<bool>,
    pub password_hash: Option<String>,
    pub must_change_password: Option<bool>,
}

pub type UserWithOrg = (UserRow, OrganizationRow);

pub fn insert(conn: &mut DbConnection, new: &NewUser) -> QueryResult<i64> {
    diesel::insert_into(users::table)
        .values(new)
        .returning(users::id)
        .get_result(conn)
}

pub fn username_taken(conn: &mut DbConnection, username: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        users::table.filter(users::username.eq(username)),
    ))
    .get_result(conn)
}

/// Those of `usernames` that users already have.
pub fn usernames_taken(conn: &mut DbConnection, usernames: &[String]) -> QueryResult<Vec<String>> {
    users::table
        .filter(users::username.eq_any(usernames))
        .select(users::username)
        .load(conn)
}

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<UserWithOrg>> {
    users::table
        .inner_join(organizations::table)
        .filter(users::id.eq(id))
        .select((UserRow::as_select(), OrganizationRow::as_select()))
        .first(conn)
        .optional()
}

pub fn find_by_username(
    conn: &mut DbConnection,
    username: &str,
) -> QueryResult<Option<UserWithOrg>> {
    users::table
        .inner_join(organizations::table)
        .filter(users::username.eq(username))
        .select((UserRow::as_select(), OrganizationRow::as_select()))
        .first(conn)
        .optional()
}

/// Users of one organization, or of all when `organization_id` is `None`.
pub fn list(
    conn: &mut DbConnection,
    organization_id: Option<i64>,
    page: Page,
) -> QueryResult<(Vec<UserWithOrg>, i64)> {
    let mut count = users::table.into_boxed();
    let mut rows = users::table
        .inner_join(organizations::table)
        .select((UserRow::as_select(), OrganizationRow::as_select()))
        .order(users::id)
        .limit(page.per_page)
        .offset(page.offset())
        .into_boxed();
    if let Some(org) = organization_id {
        count = count.filter(users::organization_id.eq(org));
        rows = rows.filter(users::organization_id.eq(org));
    }
    let total = count.count().get_result(conn)?;
    Ok((rows.load(conn)?, total))
}

/// Claims the row for a write: bumps its version, if it is still `expected_version` (when
/// given). Returns the number of rows changed (0: missing or stale).
pub fn bump_version(
    conn: &mut DbConnection,
    id: i64,
    expected_version: Option<i64>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let values = (
        users::version.eq(users::version + 1),
        users::updated_at.eq(now),
    );
    match expected_version {
        Some(version) => diesel::update(users::table)
            .filter(users::id.eq(id))
            .filter(users::version.eq(version))
            .set(values)
            .execute(conn),
        None => diesel::update(users::table)
            .filter(users::id.eq(id))
            .set(values)
            .execute(conn),
    }
}

pub fn apply(conn: &mut DbConnection, id: i64, changes: &UserChanges) -> QueryResult<usize> {
    if changes.display_name.is_none()
        && changes.email.is_none()
        && changes.role.is_none()
        && changes.disabled.is_none()
        && changes.password_hash.is_none()
        && changes.must_change_password.is_none()
    {
        return Ok(0);
    }
    diesel::update(users::table.find(id))
        .set(changes)
        .execute(conn)
}

/// (id, display name) of the enabled experts of an organization, by id.
pub fn experts_of(
    conn: &mut DbConnection,
    organization_id: i64,
) -> QueryResult<Vec<(i64, String)>> {
    users::table
        .filter(users::organization_id.eq(organization_id))
        .filter(users::role.eq("expert"))
        .filter(users::disabled.eq(false))
        .order(users::id)
        .select((users::id, users::display_name))
        .load(conn)
}

/// (user id, organization id, e-mail) of the enabled users of the organizations who take part in
/// the workflow (experts only score), in id order: the recipients of the organizations' notices.
pub fn notice_recipients(
    conn: &mut DbConnection,
    organization_ids: &[i64],
) -> QueryResult<Vec<(i64, i64, Option<String>)>> {
    users::table
        .filter(users::organization_id.eq_any(organization_ids))
        .filter(users::disabled.eq(false))
        .filter(users::role.ne("expert"))
        .order(users::id)
        .select((users::id, users::organization_id, users::email))
        .load(conn)
}
