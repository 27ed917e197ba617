//! argon2id hashing (OWASP: m = 19 MiB, t = 2, p = 1) off the async workers, on a few dedicated
//! threads (one less than the cores) at the lowest CPU priority, so that a burst of logins
//! neither blocks a worker nor delays the requests that wait for a core.

use std::sync::{Arc, Mutex};

use anyhow::Context;
use argon2::{Algorithm, Argon2, Params, PasswordHasher as _, PasswordVerifier as _, Version};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::{mpsc, oneshot};

use crate::app::AppError;

type Job = Box<dyn FnOnce() + Send>;

/// The stored hash of a user who has not set a password yet (onboarded, with a link to set
/// one): no password verifies against it, as it is no PHC string.
pub const UNUSABLE_PASSWORD_HASH: &str = "!unset";

/// A password check waits at most this long (queue and hash) before the request is answered 503.
const HASHING_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// The hashing threads did not get to a request in time: the server is overloaded (503).
#[derive(Debug, thiserror::Error)]
#[error("password hashing is overloaded")]
pub struct HashingBusy;

impl From<HashingBusy> for crate::app::AppError {
    fn from(busy: HashingBusy) -> Self {
        crate::app::AppError::Unavailable(busy.to_string())
    }
}

#[derive(Clone)]
pub struct PasswordHasher {
    jobs: mpsc::Sender<Job>,
    /// A real hash of a random password: unknown usernames are verified against it so that they
    /// take as long as known ones.
    decoy_hash: Arc<str>,
}

fn argon2() -> anyhow::Result<Argon2<'static>> {
    let params = Params::new(19 * 1024, 2, 1, None)
        .map_err(|e| anyhow::anyhow!("argon2 parameters: {e}"))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes synchronously; for the CLI and for building the hasher.
pub fn hash_blocking(password: &str) -> anyhow::Result<String> {
    let hash = argon2()?
        .hash_password(password.as_bytes())
        .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))?;
    Ok(hash.to_string())
}

fn verify_blocking(password: &str, hash: &str) -> bool {
    argon2()
        .map(|a| a.verify_password(password.as_bytes(), hash).is_ok())
        .unwrap_or(false)
}

impl PasswordHasher {
    /// Starts `cores - 1` (at least one) hashing threads; they end when the last clone is dropped.
    pub fn new() -> anyhow::Result<Self> {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let threads = cores.saturating_sub(1).max(1);
        let (jobs, queue) = mpsc::channel::<Job>(1024);
        let queue = Arc::new(Mutex::new(queue));
        for index in 0..threads {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("pinggu-hash-{index}"))
                .spawn(move || hashing_thread(&queue))
                .context("cannot start a hashing thread")?;
        }
        let decoy = crate::auth::tokens::random_token(24);
        Ok(Self {
            jobs,
            decoy_hash: hash_blocking(&decoy)
                .context("cannot build the decoy hash")?
                .into(),
        })
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = reply.send(work());
        });
        let queued_and_done = async {
            self.jobs
                .send(job)
                .await
                .map_err(|_| anyhow::anyhow!("the hashing threads have stopped"))?;
            answer.await.context("a hashing thread failed")
        };
        match tokio::time::timeout(HASHING_TIMEOUT, queued_and_done).await {
            Ok(done) => Ok(done?),
            Err(_) => Err(HashingBusy.into()),
        }
    }

    pub async fn hash(&self, password: SecretString) -> anyhow::Result<String> {
        self.run(move || hash_blocking(password.expose_secret()))
            .await?
    }

    /// Checks a password against a stored hash, or against the decoy when there is none (or
    /// none usable).
    pub async fn verify(
        &self,
        password: SecretString,
        hash: Option<String>,
    ) -> anyhow::Result<bool> {
        // A user who has not set a password yet takes as long as anyone: against the decoy.
        let hash = hash.filter(|h| h != UNUSABLE_PASSWORD_HASH);
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| self.decoy_hash.to_string());
        let matches = self
            .run(move || verify_blocking(password.expose_secret(), &hash))
            .await?;
        Ok(known && matches)
    }
}

fn hashing_thread(queue: &Mutex<mpsc::Receiver<Job>>) {
    lower_this_threads_priority();
    loop {
        let job = match queue.lock() {
            Ok(mut receiver) => receiver.blocking_recv(),
            Err(_) => None,
        };
        match job {
            Some(job) => job(),
            None => return,
        }
    }
}

/// Nice 19, not SCHED_IDLE: other threads come first, yet a machine kept busy by other
/// processes still gets its logins done. On Linux the nice value belongs to the thread.
fn lower_this_threads_priority() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: setpriority has no memory-safety preconditions; `who = 0` is the calling thread.
        let result = unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, 19) };
        if result != 0 {
            tracing::debug!("could not lower the hashing thread's priority");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_with_owasp_parameters_and_verify() {
        let hash = hash_blocking("correct horse 1").expect("hashes");
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(verify_blocking("correct horse 1", &hash));
        assert!(!verify_blocking("correct horse 2", &hash));
        assert!(!verify_blocking("correct horse 1", "not a hash"));
    }

    #[tokio::test]
    async fn the_pool_hashes_verifies_and_uses_the_decoy_for_unknown_users() {
        let hasher = PasswordHasher::new().expect("starts");
        let hash = hasher
            .hash(SecretString::from("Pool-pass-1"))
            .await
            .expect("hashes");
        let verify = |password: &str, hash: Option<String>| {
            hasher.verify(SecretString::from(password.to_owned()), hash)
        };
        assert!(
            verify("Pool-pass-1", Some(hash.clone()))
                .await
                .expect("runs")
        );
        assert!(!verify("Pool-pass-2", Some(hash)).await.expect("runs"));
        assert!(
            !verify("Pool-pass-1", None).await.expect("runs"),
            "no user, never a match"
        );
        let unset = Some(UNUSABLE_PASSWORD_HASH.to_owned());
        assert!(
            !verify(UNUSABLE_PASSWORD_HASH, unset).await.expect("runs"),
            "a password not yet set matches nothing"
        );
    }
}
