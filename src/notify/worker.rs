//! The outbox worker: claims due messages (several workers in several processes never claim one
//! message twice), sends them, and marks each sent, failed with its next attempt (exponential
//! backoff with jitter) or dead after notify.max_attempts. Inside `serve` (notify.worker) and as
//! `pinggu worker`; it also runs the reminder job every few minutes.

use std::sync::Arc;
use std::time::Duration;

use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
use futures_util::StreamExt;

use super::mailer::{Mailer, SendError};
use super::reminders;
use crate::db::{self, DbPool, outbox};
use crate::settings::Settings;

/// How long a claimed message stays with its worker before another may take it over.
const LEASE: TimeDelta = TimeDelta::minutes(5);
/// Messages claimed at once, and sent at once by one worker.
const BATCH: i64 = 50;
const CONCURRENT_SENDS: usize = 8;
/// How often the reminder job runs inside a long-running worker.
const REMINDER_EVERY: Duration = Duration::from_secs(600);

#[derive(Clone)]
pub struct Worker {
    pool: DbPool,
    settings: Arc<Settings>,
    mailer: Arc<Mailer>,
}

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Drained {
    pub sent: usize,
    pub failed: usize,
    pub dead: usize,
}

/// When a message that failed `attempts` times is tried again, if at all: base × 2^(n−1), with
/// ±25 % jitter so that many failures do not come back at once.
pub fn next_attempt(
    settings: &Settings,
    attempts: i64,
    now: NaiveDateTime,
    jitter_permille: i64,
) -> Option<NaiveDateTime> {
    if attempts >= i64::from(settings.notify.max_attempts) {
        return None;
    }
    let base_ms = i64::try_from(settings.notify.retry_base_seconds)
        .unwrap_or(i64::MAX / 4_000)
        .saturating_mul(1000);
    let doubled = base_ms.saturating_mul(1_i64 << (attempts.clamp(1, 20) - 1));
    let delay = doubled.min(86_400_000).saturating_mul(jitter_permille) / 1000;
    Some(now + TimeDelta::milliseconds(delay))
}

/// Marks each sent message sent, and each failed one failed (with its next attempt) or dead.
fn mark_all(
    conn: &mut crate::db::DbConnection,
    settings: &Settings,
    results: Vec<(i64, i64, Result<(), SendError>)>,
    now: NaiveDateTime,
) -> diesel::QueryResult<Drained> {
    let mut pass = Drained::default();
    for (id, attempts, result) in results {
        match result {
            Ok(()) => {
                outbox::mark_sent(conn, id, now)?;
                pass.sent += 1;
            }
            Err(error) => {
                let retry_at = match &error {
                    SendError::Transient(_) => {
                        let jitter = rand::random_range(750..=1250);
                        next_attempt(settings, attempts, now, jitter)
                    }
                    SendError::Permanent(_) => None,
                };
                tracing::warn!(outbox = id, attempts, %error, "e-mail not sent");
                outbox::mark_failed(conn, id, &error.to_string(), retry_at)?;
                if retry_at.is_some() {
                    pass.failed += 1;
                } else {
                    pass.dead += 1;
                }
            }
        }
    }
    Ok(pass)
}

impl Worker {
    pub fn new(pool: DbPool, settings: Arc<Settings>) -> anyhow::Result<Worker> {
        let mailer = Arc::new(Mailer::from_settings(&settings)?);
        Ok(Worker {
            pool,
            settings,
            mailer,
        })
    }

    /// Sends every message due now, batch after batch, until none is left.
    pub async fn drain(&self) -> anyhow::Result<Drained> {
        let mut total = Drained::default();
        loop {
            let pool = self.pool.clone();
            let now = db::now();
            let claimed = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
                let mut conn = pool.get()?;
                Ok(db::write_transaction(&mut conn, |conn| {
                    outbox::claim(conn, now, now + LEASE, BATCH)
                })?)
            })
            .await??;
            if claimed.is_empty() {
                return Ok(total);
            }
            let from = self.settings.mail.from.clone();
            let results: Vec<(i64, i64, Result<(), SendError>)> =
                futures_util::stream::iter(claimed)
                    .map(|row| {
                        let mailer = self.mailer.clone();
                        let from = from.clone();
                        async move {
                            let result = mailer.send(&from, &row).await;
                            (row.id, row.attempts, result)
                        }
                    })
                    .buffer_unordered(CONCURRENT_SENDS)
                    .collect()
                    .await;
            let pool = self.pool.clone();
            let settings = self.settings.clone();
            let pass = tokio::task::spawn_blocking(move || -> anyhow::Result<Drained> {
                let mut conn = pool.get()?;
                let now = db::now();
                // One transaction for the batch's marks: one commit, not one per message.
                Ok(db::write_transaction(&mut conn, |conn| {
                    mark_all(conn, &settings, results, now)
                })?)
            })
            .await??;
            total.sent += pass.sent;
            total.failed += pass.failed;
            total.dead += pass.dead;
        }
    }

    /// The reminder job for `today`.
    pub async fn remind(&self, today: NaiveDate) -> anyhow::Result<usize> {
        let pool = self.pool.clone();
        let settings = self.settings.clone();
        tokio::task::spawn_blocking(move || reminders::run(&pool, &settings, today, db::now()))
            .await?
    }

    /// Runs until the process ends: reminders every ten minutes, the outbox every
    /// notify.poll_interval_seconds. Errors are logged and the loop goes on.
    pub async fn run(self) {
        let poll = Duration::from_secs(self.settings.notify.poll_interval_seconds.max(1));
        let mut last_reminders: Option<tokio::time::Instant> = None;
        loop {
            if last_reminders.is_none_or(|at| at.elapsed() >= REMINDER_EVERY) {
                last_reminders = Some(tokio::time::Instant::now());
                if let Err(error) = self.remind(self.settings.today()).await {
                    tracing::error!(%error, "reminder job failed");
                }
            }
            match self.drain().await {
                Ok(done) if done != Drained::default() => {
                    tracing::info!(
                        sent = done.sent,
                        failed = done.failed,
                        dead = done.dead,
                        "outbox"
                    );
                }
                Ok(_) => {}
                Err(error) => tracing::error!(%error, "outbox worker pass failed"),
            }
            tokio::time::sleep(poll).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially_then_stop() {
        let mut settings = Settings::default();
        settings.notify.retry_base_seconds = 30;
        settings.notify.max_attempts = 4;
        let now = NaiveDateTime::default();
        let after = |attempts| {
            next_attempt(&settings, attempts, now, 1000).map(|at| (at - now).num_seconds())
        };
        assert_eq!(after(1), Some(30));
        assert_eq!(after(2), Some(60));
        assert_eq!(after(3), Some(120));
        assert_eq!(after(4), None, "the fourth failure is the last");
        let jittered = next_attempt(&settings, 2, now, 750).map(|at| (at - now).num_seconds());
        assert_eq!(jittered, Some(45));
    }
}
