//! The station's self-assessment narrative (自评报告): PUT during the self-assessment, GET for
//! every party of the evaluation.

use crate::app::access::{claim_version, station_write, visible};
use crate::app::error::AppError;
use crate::app::views::utc;
use crate::auth::extractor::AuthenticatedUser;
use crate::db::audit::{self, NewEntry};
use crate::db::{self, self_assessments};
use crate::state::AppState;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutSelfAssessment {
    #[validate(length(max = 100000, message = "自评报告最多 100000 字"))]
    pub narrative: String,
    pub version: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SelfAssessment {
    pub narrative: String,
    pub updated_by: Option<i64>,
    pub updated_at: Option<DateTime<Utc>>,
}

/// Writes the narrative as `user` (the API and the 自评 tab).
pub async fn write_narrative_for(
    state: &AppState,
    user: &AuthenticatedUser,
    id: i64,
    narrative: String,
    expected: Option<i64>,
    request_id: Option<String>,
) -> Result<SelfAssessment, AppError> {
    let user = user.clone();
    db::run(&state.pool, move |conn| {
        crate::app::standing::evaluation_write(conn, id, |conn| {
            let detail = station_write(conn, &user, id, expected)?;
            let now = db::now();
            claim_version(conn, &detail, now)?;
            self_assessments::put(conn, id, &narrative, user.id, now)?;
            audit::append(
                conn,
                &NewEntry {
                    entity: "self_assessment".into(),
                    summary: narrative.clone(),
                    request_id,
                    ..NewEntry::on_evaluation(
                        id,
                        (user.id, user.organization.id),
                        "write_self_assessment",
                        now,
                    )
                },
            )?;
            Ok::<_, AppError>(SelfAssessment {
                narrative,
                updated_by: Some(user.id),
                updated_at: Some(utc(now)),
            })
        })
    })
    .await
}

/// The narrative for any party of the evaluation (empty until the station writes it).
/// The stored narrative of a visible evaluation.
pub fn narrative_of(
    conn: &mut crate::db::DbConnection,
    id: i64,
) -> Result<SelfAssessment, AppError> {
    Ok(match self_assessments::find(conn, id)? {
        Some((narrative, by, at)) => SelfAssessment {
            narrative,
            updated_by: Some(by),
            updated_at: Some(utc(at)),
        },
        None => SelfAssessment {
            narrative: String::new(),
            updated_by: None,
            updated_at: None,
        },
    })
}

pub async fn narrative_for(
    state: &AppState,
    user: &AuthenticatedUser,
    id: i64,
) -> Result<SelfAssessment, AppError> {
    let user = user.clone();
    db::run(&state.pool, move |conn| {
        visible(conn, &user, id)?;
        narrative_of(conn, id)
    })
    .await
}
