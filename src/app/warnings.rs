//! GET /evaluations/{id}/warnings: what does not add up in the self-assessment (§7), for every
//! party of the evaluation; never blocking.

use crate::app::access::{scheme_of, visible};
use crate::app::error::AppError;
use crate::auth::extractor::AuthenticatedUser;
use crate::db::{self, targets};
use crate::domain::staffing;
use crate::domain::warnings::{self, Warning};
use crate::state::AppState;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct Warnings {
    pub items: Vec<Warning>,
}

/// The warnings of an evaluation, for any party of it: the indicator table against itself and
/// against the totals the station stated, and the roster against the assessment period.
pub async fn warnings_for(
    state: &AppState,
    user: &AuthenticatedUser,
    id: i64,
) -> Result<Warnings, AppError> {
    let user = user.clone();
    db::run(&state.pool, move |conn| {
        let detail = visible(conn, &user, id)?;
        let table = crate::app::indicators::table_of(conn, &detail, &scheme_of(&detail)?)?;
        let roster = crate::app::staff::roster_of(conn, id)?;
        let period =
            staffing::period_months(detail.row.assessment_start, detail.row.assessment_end);
        let stated = targets::stated_totals(conn, id)?;
        let mut items = warnings::indicator_warnings(&table);
        items.extend(warnings::stated_total_warnings(&table, &stated));
        items.extend(warnings::roster_warnings(&roster, &period));
        Ok::<_, AppError>(Warnings { items })
    })
    .await
}
