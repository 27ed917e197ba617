//! GET /evaluations/{id}/score: each party's component weighted, the total and the grade, as
//! far as the caller may see them (DESIGN.md §3, §4). The evaluation view carries the total and
//! grade from the same computation.

use crate::app::access::{Schemes, access_of, scheme_of, state_of, visible};
use crate::app::error::AppError;
use crate::auth::extractor::AuthenticatedUser;
use crate::db::components::{self as store, ComponentRow, SUBMITTED};
use crate::db::evaluations::EvaluationDetail;
use crate::db::panel;
use crate::db::{self, DbConnection};
use crate::domain::components::{self, Viewer};
use crate::domain::points::Points;
use crate::domain::scheme::Scheme;
use crate::domain::scoring::{self, Raw};
use crate::state::AppState;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct ScoreLine {
    pub party: String,
    pub name: String,
    pub weight: Points,
    pub native_max: Points,
    pub gate: bool,
    /// missing, draft or submitted
    pub status: String,
    /// On the party's native scale; the third party's is Σ of the experts' item means, shown
    /// rounded. Null when hidden from the caller or not entered.
    pub raw_score: Option<Points>,
    /// The weighted component, from the exact raw score.
    pub score: Option<Points>,
    /// A gate's result.
    pub passed: Option<bool>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Grade {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Score {
    pub components: Vec<ScoreLine>,
    /// Σ of the weighted components, once every one is submitted and visible to the caller.
    pub total: Option<Points>,
    pub grade: Option<Grade>,
    /// A gate failed: the grade is the lowest band whatever the total.
    pub gate_failed: bool,
}

/// The total and grade, for the evaluation view.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScoreSummary {
    pub total: Points,
    pub grade: Grade,
    pub gate_failed: bool,
}

impl Score {
    pub fn summary(&self) -> Option<ScoreSummary> {
        Some(ScoreSummary {
            total: self.total?,
            grade: self.grade.clone()?,
            gate_failed: self.gate_failed,
        })
    }
}

/// The score of an evaluation as `user`, a party of it, may see it.
pub async fn score_for(
    state: &AppState,
    user: &AuthenticatedUser,
    id: i64,
) -> Result<Score, AppError> {
    let user = user.clone();
    db::run(&state.pool, move |conn| {
        let detail = visible(conn, &user, id)?;
        let scheme = scheme_of(&detail)?;
        score_of(conn, &user, &detail, &scheme)
    })
    .await
}

/// The score as `user` may see it.
pub fn score_of(
    conn: &mut DbConnection,
    user: &AuthenticatedUser,
    detail: &EvaluationDetail,
    scheme: &Scheme,
) -> Result<Score, AppError> {
    let id = detail.row.id;
    let rows = store::list(conn, id)?;
    let sheets = panel::counted_sheets(conn, id)?;
    let issued = state_of(detail)?.draft_issued();
    score_from(
        &access_of(user, detail, scheme).viewer(),
        issued,
        scheme,
        &rows,
        &sheets,
    )
}

/// The whole score, every component shown: what a report prints.
pub fn report_score(
    conn: &mut DbConnection,
    detail: &EvaluationDetail,
    scheme: &Scheme,
) -> Result<Score, AppError> {
    let id = detail.row.id;
    let rows = store::list(conn, id)?;
    let sheets = panel::counted_sheets(conn, id)?;
    let everyone = Viewer {
        parties: scheme.parties.iter().map(|p| p.code.as_str()).collect(),
        sees_submitted_early: true,
    };
    score_from(&everyone, true, scheme, &rows, &sheets)
}

/// The totals and grades of several evaluations as `user` may see them, in two queries.
pub fn summaries(
    conn: &mut DbConnection,
    user: &AuthenticatedUser,
    details: &[EvaluationDetail],
    schemes: &Schemes,
) -> Result<Vec<Option<ScoreSummary>>, AppError> {
    let ids: Vec<i64> = details.iter().map(|d| d.row.id).collect();
    let mut rows: std::collections::HashMap<i64, Vec<ComponentRow>> =
        std::collections::HashMap::new();
    for row in store::list_for(conn, &ids)? {
        rows.entry(row.evaluation_id).or_default().push(row);
    }
    let scores = panel::counted_scores(conn, &ids)?;
    details
        .iter()
        .map(|detail| {
            let id = detail.row.id;
            let own = rows.get(&id).map(Vec::as_slice).unwrap_or_default();
            let sheets = panel::sheets_in(&scores, id);
            let scheme = schemes.of(detail)?;
            let issued = state_of(detail)?.draft_issued();
            let access = access_of(user, detail, scheme);
            Ok(score_from(&access.viewer(), issued, scheme, own, &sheets)?.summary())
        })
        .collect()
}

/// The score from the evaluation's component rows and counted expert sheets.
fn score_from(
    who: &Viewer,
    issued: bool,
    scheme: &Scheme,
    rows: &[ComponentRow],
    sheets: &[Vec<Points>],
) -> Result<Score, AppError> {
    let third_party = scheme.third_party().map(|p| p.code.as_str());
    let mut lines = Vec::new();
    let (mut weighted, mut gates, mut complete) = (Vec::new(), Vec::new(), true);
    for party in &scheme.parties {
        let row = rows.iter().find(|r| r.party_code == party.code);
        let submitted = row.is_some_and(|r| r.status == SUBMITTED);
        let shown = components::may_see(who, &party.code, submitted, issued);
        let raw = if !shown {
            None
        } else if third_party == Some(party.code.as_str()) {
            scoring::third_party_raw(sheets.iter().map(Vec::as_slice))
        } else {
            row.and_then(|r| r.raw_hundredths)
                .map(|h| Raw::points(Points::from_hundredths(h)))
        };
        let score = raw.map(|raw| scoring::weighted(raw, party.weight, party.native_max));
        let passed = row.and_then(|r| r.gate_passed).filter(|_| shown);
        if party.gate {
            match passed {
                Some(passed) if submitted => gates.push(passed),
                _ => complete = false,
            }
        } else {
            match score {
                Some(score) if submitted => weighted.push(score),
                _ => complete = false,
            }
        }
        lines.push(ScoreLine {
            party: party.code.clone(),
            name: party.name.clone(),
            weight: party.weight,
            native_max: party.native_max,
            gate: party.gate,
            status: row.map_or("missing", |r| r.status.as_str()).to_owned(),
            raw_score: raw.map(Raw::rounded),
            score,
            passed,
        });
    }
    let outcome = complete
        .then(|| scoring::outcome(scheme, &weighted, &gates))
        .flatten();
    Ok(Score {
        components: lines,
        total: outcome.as_ref().map(|o| o.total),
        gate_failed: outcome.as_ref().is_some_and(|o| o.gate_failed),
        grade: outcome.map(|o| Grade {
            code: o.band.code.clone(),
            name: o.band.name.clone(),
        }),
    })
}
