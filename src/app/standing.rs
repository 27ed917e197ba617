//! The stored standing of an evaluation (DESIGN.md §8): its total and grade once every component
//! is in, and the date of its current next deadline. The lists, the summary workbook and the
//! dashboards filter and aggregate on these columns in SQL instead of recomputing every
//! evaluation; every write to an evaluation refreshes them in its own transaction
//! (`evaluation_write`), so they are never older than the data they summarize.

use chrono::NaiveDate;

use crate::app::access::{next_deadline, scheme_of, state_of};
use crate::app::error::AppError;
use crate::app::readings::{staff_of, table_of};
use crate::app::score::report_score;
use crate::auth::extractor::AuthenticatedUser;
use crate::db::evaluations::{self as store, EvaluationDetail, Standing};
use crate::db::{self, DbConnection};
use crate::domain::access::sees_submitted_early;
use crate::domain::programme::{self, Figures, PartyFigure, StaffingFigures};

/// The rules that computed a stored standing; evaluations stored under older rules (or none) are
/// refreshed at start-up.
pub const STANDING_VERSION: i32 = 2;

/// A write transaction on one evaluation (`db::evaluation_transaction`) that refreshes the
/// evaluation's stored standing before it commits.
pub fn evaluation_write<T, F>(conn: &mut DbConnection, id: i64, work: F) -> Result<T, AppError>
where
    F: FnOnce(&mut DbConnection) -> Result<T, AppError>,
{
    db::evaluation_transaction(conn, id, |conn| {
        let done = work(conn)?;
        refresh(conn, id)?;
        Ok(done)
    })
}

/// Computes and stores the standing of one evaluation, in the caller's transaction.
pub fn refresh(conn: &mut DbConnection, id: i64) -> Result<(), AppError> {
    if let Some(detail) = store::find(conn, id)? {
        let standing = standing_of(conn, &detail)?;
        store::set_standing(conn, id, &standing, STANDING_VERSION)?;
    }
    Ok(())
}

/// The standing as the evaluation's data give it: the total every party will see (the report's),
/// and the next deadline's date.
pub fn standing_of(
    conn: &mut DbConnection,
    detail: &EvaluationDetail,
) -> Result<Standing, AppError> {
    let scheme = scheme_of(detail)?;
    let score = report_score(conn, detail, &scheme)?;
    let table = table_of(conn, detail, &scheme)?;
    let staff = staff_of(conn, detail)?;
    let indicators = programme::indicator_figures(&table);
    let figures = Figures {
        parties: score
            .components
            .iter()
            .map(|line| PartyFigure {
                party: line.party.clone(),
                score: line.score,
                submitted: line.status == crate::db::components::SUBMITTED,
            })
            .collect(),
        indicators,
        staffing: Some(StaffingFigures::of(&staff.metrics)),
        satisfaction: crate::app::readings::outcome_of(conn, detail.row.id, &scheme)?
            .and_then(|o| o.figures.rate),
    };
    let state = state_of(detail)?;
    let done = store::parties_done(conn, std::slice::from_ref(detail))?
        .remove(&detail.row.id)
        .unwrap_or_default();
    // The date does not depend on today; only whether it has passed does.
    let due_on = next_deadline(detail, &scheme, state, &done, NaiveDate::MIN).map(|n| n.due_on);
    Ok(Standing {
        total_hundredths: score.total.map(|t| t.hundredths()),
        grade_code: score.grade.map(|g| g.code),
        due_on,
        weak_indicators: programme::weak_indicators(&figures.indicators).join(","),
        figures: serde_json::to_string(&figures)
            .map_err(|e| anyhow::anyhow!("figures do not serialize: {e}"))?,
    })
}

/// Refreshes every evaluation stored under older rules (after an upgrade), a batch at a time;
/// answers how many.
pub fn refresh_stale(conn: &mut DbConnection) -> Result<usize, AppError> {
    let mut refreshed = 0;
    loop {
        let ids = store::stale_standings(conn, STANDING_VERSION, 200)?;
        if ids.is_empty() {
            return Ok(refreshed);
        }
        for id in &ids {
            db::write_transaction(conn, |conn| refresh(conn, *id))?;
        }
        refreshed += ids.len();
    }
}

/// Whether `user` sees an evaluation's total before the draft is issued, wherever it takes part:
/// the same rule as the score view's (`EvaluationAccess::viewer`).
pub fn sees_totals_early(user: &AuthenticatedUser) -> bool {
    sees_submitted_early(crate::app::access::general_actor(user))
}
