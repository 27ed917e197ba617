use std::sync::Arc;

use crate::auth::jwt::JwtKeys;
use crate::auth::password::PasswordHasher;
use crate::db::DbPool;
use crate::settings::Settings;

/// What every handler may need; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub pool: DbPool,
    pub settings: Arc<Settings>,
    pub jwt: JwtKeys,
    pub hasher: PasswordHasher,
    /// Evidence files.
    pub files: crate::storage::FileStore,
    /// The pages' CSRF tokens.
    pub csrf: crate::auth::csrf::CsrfKey,
}
