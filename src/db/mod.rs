//! The database: one connection type over PostgreSQL and SQLite, its pool, migrations, and one
//! module of queries per aggregate.

pub mod attachments;
pub mod audit;
pub mod backup;
pub mod clients;
pub mod components;
pub mod evaluations;
pub mod extensions;
pub mod feedback;
pub mod file_chunks;
pub mod login_attempts;
pub mod notifications;
pub mod onboarding;
pub mod organizations;
pub mod outbox;
pub mod panel;
pub mod password_links;
pub mod rectifications;
pub mod reports;
pub mod roster;
pub mod schema;
pub mod schemes;
pub mod self_assessments;
pub mod sessions;
pub mod stations;
pub mod targets;
pub mod users;

use std::time::Duration;

use anyhow::Context;
use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::settings::{Backend, backend_of, sqlite_path_of};

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

pub type DbPool = r2d2::Pool<DbConnectionManager>;
pub type PooledConnection = r2d2::PooledConnection<DbConnectionManager>;

const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// Opens connections of the backend its URL names; SQLite connections get their pragmas here.
/// Initializes OpenSSL before libpq does, without its exit-time cleanup. libpq's own
/// initialization registers an `atexit` handler that frees OpenSSL's locks while pool threads
/// may still be opening or closing TLS connections, which crashes the process as it exits
/// (diesel-rs/diesel#3441). Idempotent; call it before the first PostgreSQL connection.
pub fn prepare_tls() {
    openssl_sys::init();
}

#[derive(Debug)]
pub struct DbConnectionManager {
    backend: Backend,
    url: String,
}

impl DbConnectionManager {
    pub fn new(url: &str) -> anyhow::Result<Self> {
        let backend = backend_of(url)?;
        if backend == Backend::Postgres {
            prepare_tls();
        }
        let url = match backend {
            Backend::Postgres => url.to_owned(),
            Backend::Sqlite => {
                let path = sqlite_path_of(url).context("bad sqlite URL")?;
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir)
                        .with_context(|| format!("cannot create {}", dir.display()))?;
                }
                path.to_string_lossy().into_owned()
            }
        };
        Ok(Self { backend, url })
    }
}

impl ManageConnection for DbConnectionManager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        match self.backend {
            Backend::Postgres => PgConnection::establish(&self.url)
                .map(DbConnection::Postgres)
                .map_err(r2d2::Error::ConnectionError),
            Backend::Sqlite => {
                let mut conn =
                    SqliteConnection::establish(&self.url).map_err(r2d2::Error::ConnectionError)?;
                // WAL lets readers run beside the one writer; busy_timeout waits for the write lock.
                // WAL (set once in `connect`, kept by the file) lets readers run beside
                // the one writer; busy_timeout waits for the write lock.
                conn.batch_execute(
                    "PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL; \
                     PRAGMA foreign_keys = ON;",
                )
                .map_err(r2d2::Error::QueryError)?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        <DbConnection as Connection>::TransactionManager::is_broken_transaction_manager(conn)
    }
}

/// Builds the pool and applies the embedded migrations of its backend.
pub fn connect(url: &str, pool_size: u32) -> anyhow::Result<DbPool> {
    connect_waiting(url, pool_size, DEFAULT_WAIT)
}

/// How long a request waits for a connection before its 503: short, so that a database outage
/// answers at once instead of holding every request.
pub const DEFAULT_WAIT: Duration = Duration::from_millis(1500);

/// A pool whose requests wait at most `wait` for a connection (`database.wait_ms`).
pub fn connect_waiting(url: &str, pool_size: u32, wait: Duration) -> anyhow::Result<DbPool> {
    let manager = DbConnectionManager::new(url)?;
    if manager.backend == Backend::Sqlite {
        // Switching the journal mode needs the database to itself: do it on one connection
        // before the pool opens several.
        let mut conn = manager
            .connect()
            .context("cannot open the SQLite database")?;
        conn.batch_execute("PRAGMA journal_mode = WAL")
            .context("cannot switch SQLite to WAL")?;
    }
    let pool = r2d2::Pool::builder()
        .max_size(pool_size)
        // Open connections as load needs them, not all at start-up.
        .min_idle(Some(pool_size.min(2)))
        .connection_timeout(wait)
        .build(manager)
        .context("cannot connect to the database")?;
    Ok(pool)
}

/// Applies pending migrations; returns their names.
pub fn migrate(pool: &DbPool) -> anyhow::Result<Vec<String>> {
    let mut conn = pool.get().context("cannot connect to the database")?;
    let applied = match &mut *conn {
        DbConnection::Postgres(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS),
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS),
    }
    .map_err(|e| anyhow::anyhow!("migration failed: {e}"))?;
    Ok(applied.iter().map(ToString::to_string).collect())
}

pub fn backend(conn: &DbConnection) -> Backend {
    match conn {
        DbConnection::Postgres(_) => Backend::Postgres,
        DbConnection::Sqlite(_) => Backend::Sqlite,
    }
}

/// A read-only transaction that sees one snapshot of the database: a page's reads agree with
/// each other. PostgreSQL runs it REPEATABLE READ; SQLite's deferred transaction reads one
/// snapshot from its first read on.
pub fn read_transaction<T, E, F>(conn: &mut DbConnection, work: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    conn.transaction(|conn| {
        if let DbConnection::Postgres(pg) = conn {
            diesel::sql_query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(pg)?;
        }
        work(conn)
    })
}

/// A transaction that holds the write lock from its start. SQLite upgrades a read transaction
/// to a write one only by failing (SQLITE_BUSY_SNAPSHOT, not retried by busy_timeout), so
/// SQLite begins IMMEDIATE; PostgreSQL's row locks need no such care.
pub fn write_transaction<T, E, F>(conn: &mut DbConnection, work: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    type Manager = <DbConnection as Connection>::TransactionManager;
    match conn {
        DbConnection::Sqlite(inner) => {
            AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")?
        }
        DbConnection::Postgres(_) => Manager::begin_transaction(conn)?,
    }
    match work(conn) {
        Ok(value) => {
            Manager::commit_transaction(conn)?;
            Ok(value)
        }
        Err(error) => {
            // The original error matters more than a failed rollback, which breaks the
            // connection and makes the pool discard it.
            let _ = Manager::rollback_transaction(conn);
            Err(error)
        }
    }
}

/// A write transaction on one evaluation: it holds the evaluation's lock before it reads
/// anything, so every check inside sees the evaluation as no other writer can change it until
/// commit — a write never lands in a stage that has ended, and a write that sent no version
/// waits for the one ahead of it instead of failing on its version. SQLite's immediate
/// transaction already excludes every other writer; PostgreSQL takes the row lock.
pub fn evaluation_transaction<T, E, F>(conn: &mut DbConnection, id: i64, work: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    write_transaction(conn, |conn| {
        evaluations::lock(conn, id)?;
        work(conn)
    })
}

/// Runs blocking database work on the blocking thread pool, never on an async worker.
pub async fn run<T, E, F>(pool: &DbPool, work: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<DbUnavailable> + Send + 'static,
{
    let pool = pool.clone();
    actix_web::web::block(move || {
        let mut conn = pool.get().map_err(|e| DbUnavailable(e.to_string()))?;
        work(&mut conn)
    })
    .await
    .map_err(|e| DbUnavailable(e.to_string()))?
}

/// The pool could not hand out a connection, or the blocking pool failed.
#[derive(Debug, thiserror::Error)]
#[error("database unavailable: {0}")]
pub struct DbUnavailable(pub String);

/// UTC now at the precision both backends store (microseconds).
pub fn now() -> chrono::NaiveDateTime {
    let now = chrono::Utc::now().naive_utc();
    chrono::DurationRound::duration_trunc(now, chrono::TimeDelta::microseconds(1)).unwrap_or(now)
}

pub fn is_unique_violation(error: &diesel::result::Error) -> bool {
    matches!(
        error,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout() {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}/sub/dir/p.db", dir.path().display());
        let pool = connect(&url, 2).expect("pool");
        assert!(!migrate(&pool).expect("migrates").is_empty());
        assert!(migrate(&pool).expect("again").is_empty());
        let mut conn = pool.get().expect("connection");
        #[derive(diesel::QueryableByName)]
        struct Pragma {
            #[diesel(sql_type = diesel::sql_types::Text)]
            value: String,
        }
        let mut pragma = |name: &str, column: &str| {
            diesel::sql_query(format!(
                "SELECT CAST({column} AS TEXT) AS value FROM pragma_{name}"
            ))
            .get_result::<Pragma>(&mut *conn)
            .expect("pragma")
            .value
        };
        assert_eq!(pragma("journal_mode", "journal_mode"), "wal");
        assert_eq!(pragma("foreign_keys", "foreign_keys"), "1");
        assert_eq!(pragma("busy_timeout", "timeout"), "10000");
    }
}

/// A page of a list query: which page (from 1) and how many per page.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub page: i64,
    pub per_page: i64,
}

impl Page {
    pub fn offset(&self) -> i64 {
        (self.page - 1) * self.per_page
    }
}
