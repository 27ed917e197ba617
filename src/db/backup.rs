//! `pinggu backup`: a consistent copy of the embedded SQLite database while the server runs.
//! `VACUUM INTO` reads one snapshot of the database (WAL included) and writes a compact copy;
//! writers go on meanwhile. PostgreSQL has its own tools (pg_dump), named in the refusal.

use std::path::Path;

use anyhow::{Context, bail};
use diesel::RunQueryDsl;
use diesel::sql_types::Text;

use super::DbConnection;

/// Writes the copy to `to` (which must not exist) and answers its size in bytes.
pub fn sqlite_copy(conn: &mut DbConnection, to: &Path) -> anyhow::Result<u64> {
    let DbConnection::Sqlite(sqlite) = conn else {
        bail!(
            "pinggu backup copies the embedded SQLite database; back up PostgreSQL with \
             pg_dump --format=custom (see the README, Operations)"
        );
    };
    if to.exists() {
        bail!("{} already exists: choose a new file", to.display());
    }
    let target = to
        .to_str()
        .with_context(|| format!("{} is not a UTF-8 path", to.display()))?;
    diesel::sql_query("VACUUM INTO ?")
        .bind::<Text, _>(target)
        .execute(sqlite)
        .with_context(|| format!("cannot write the copy to {}", to.display()))?;
    Ok(std::fs::metadata(to)?.len())
}
