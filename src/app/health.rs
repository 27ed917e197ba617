//! GET /readyz: whether the database answers.

use crate::app::error::AppError;
use crate::db;
use crate::state::AppState;
use diesel::connection::SimpleConnection;

/// Ready when a connection of the pool runs a query; otherwise unavailable (503), so that a load
/// balancer sends no requests this instance cannot serve.
pub async fn ready_for(state: &AppState) -> Result<(), AppError> {
    db::run(&state.pool, |conn| {
        conn.batch_execute("SELECT 1")
            .map_err(|e| AppError::Unavailable(e.to_string()))
    })
    .await
}
