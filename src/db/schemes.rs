//! Stored schemes. Rows are only ever inserted: a version, once stored, never changes.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::schemes;
use crate::db::Page;
use crate::domain::scheme::Scheme;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = schemes)]
pub struct SchemeRow {
    pub code: String,
    pub version: i64,
    pub name: String,
    pub document: String,
    pub created_at: NaiveDateTime,
}

impl SchemeRow {
    pub fn scheme(&self) -> anyhow::Result<Scheme> {
        serde_json::from_str(&self.document).map_err(|e| {
            anyhow::anyhow!(
                "stored scheme {} v{} does not parse: {e}",
                self.code,
                self.version
            )
        })
    }
}

/// Stores a new version; fails with a unique violation when (code, version) exists.
pub fn insert(conn: &mut DbConnection, scheme: &Scheme, now: NaiveDateTime) -> anyhow::Result<()> {
    let document = serde_json::to_string(scheme)?;
    diesel::insert_into(schemes::table)
        .values((
            schemes::code.eq(&scheme.code),
            schemes::version.eq(scheme.version),
            schemes::name.eq(&scheme.name),
            schemes::document.eq(document),
            schemes::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// One version, or the newest when `version` is `None`.
pub fn find(
    conn: &mut DbConnection,
    code: &str,
    version: Option<i64>,
) -> QueryResult<Option<SchemeRow>> {
    let mut query = schemes::table
        .filter(schemes::code.eq(code.to_owned()))
        .select(SchemeRow::as_select())
        .order(schemes::version.desc())
        .into_boxed();
    if let Some(version) = version {
        query = query.filter(schemes::version.eq(version));
    }
    query.first(conn).optional()
}

pub fn newest_version(conn: &mut DbConnection, code: &str) -> QueryResult<Option<i64>> {
    schemes::table
        .filter(schemes::code.eq(code))
        .select(diesel::dsl::max(schemes::version))
        .first(conn)
}

/// Every version of every scheme, by code, newest version first.
pub fn list(conn: &mut DbConnection, page: Page) -> QueryResult<(Vec<SchemeRow>, i64)> {
    let total = schemes::table.count().get_result(conn)?;
    let rows = schemes::table
        .select(SchemeRow::as_select())
        .order((schemes::code, schemes::version.desc()))
        .limit(page.per_page)
        .offset(page.offset())
        .load(conn)?;
    Ok((rows, total))
}

/// Stores the shipped schemes that are not stored yet. A shipped version that differs from the
/// stored one is refused: changing a version in use would change evaluations pinned to it.
pub fn install(conn: &mut DbConnection, shipped: &[Scheme]) -> anyhow::Result<Vec<String>> {
    let mut installed = Vec::new();
    for scheme in shipped {
        match find(conn, &scheme.code, Some(scheme.version))? {
            Some(stored) if stored.scheme()? == *scheme => {}
            Some(_) => anyhow::bail!(
                "scheme {} version {} differs from the stored one; a changed scheme needs a new version",
                scheme.code,
                scheme.version
            ),
            None => {
                insert(conn, scheme, super::now())?;
                installed.push(format!("{} v{}", scheme.code, scheme.version));
            }
        }
    }
    Ok(installed)
}
