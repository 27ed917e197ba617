//! The station's self-assessment narrative (自评报告): PUT during the self-assessment, GET for
//! every party of the evaluation.

use actix_web::{HttpRequest, get, put, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::access::{claim_version, request_id, station_write, visible};
use super::error::{ApiError, Problem};
use super::extract::{ValidJson, expected_version};
use super::views::utc;
use crate::auth::CurrentUser;
use crate::auth::extractor::AuthenticatedUser;
use crate::db::audit::{self, NewEntry};
use crate::db::{self, self_assessments};
use crate::state::AppState;

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

/// Writes the narrative during the self-assessment (the station's manager or member, or an admin).
#[utoipa::path(
    tag = "self-assessment",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "evaluation id")),
    request_body = PutSelfAssessment,
    responses(
        (status = 200, body = SelfAssessment),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem),
    )
)]
#[put("/evaluations/{id}/self-assessment")]
pub async fn put_self_assessment(
    state: web::Data<AppState>,
    me: CurrentUser,
    req: HttpRequest,
    id: web::Path<i64>,
    body: ValidJson<PutSelfAssessment>,
) -> Result<web::Json<SelfAssessment>, ApiError> {
    let body = body.0;
    let expected = expected_version(&req, body.version)?;
    let written = write_narrative_for(
        &state,
        &me,
        id.into_inner(),
        body.narrative,
        expected,
        request_id(&req),
    )
    .await?;
    Ok(web::Json(written))
}

/// Writes the narrative as `user` (the API and the 自评 tab).
pub async fn write_narrative_for(
    state: &AppState,
    user: &AuthenticatedUser,
    id: i64,
    narrative: String,
    expected: Option<i64>,
    request_id: Option<String>,
) -> Result<SelfAssessment, ApiError> {
    let user = user.clone();
    db::run(&state.pool, move |conn| {
        db::evaluation_transaction(conn, id, |conn| {
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
            Ok::<_, ApiError>(SelfAssessment {
                narrative,
                updated_by: Some(user.id),
                updated_at: Some(utc(now)),
            })
        })
    })
    .await
}

/// The narrative (empty until the station writes it).
#[utoipa::path(
    tag = "self-assessment",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "evaluation id")),
    responses((status = 200, body = SelfAssessment), (status = 401, body = Problem), (status = 404, body = Problem))
)]
#[get("/evaluations/{id}/self-assessment")]
pub async fn get_self_assessment(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
) -> Result<web::Json<SelfAssessment>, ApiError> {
    Ok(web::Json(
        narrative_for(&state, &me, id.into_inner()).await?,
    ))
}

/// The narrative for any party of the evaluation (empty until the station writes it).
pub async fn narrative_for(
    state: &AppState,
    user: &AuthenticatedUser,
    id: i64,
) -> Result<SelfAssessment, ApiError> {
    let user = user.clone();
    db::run(&state.pool, move |conn| {
        visible(conn, &user, id)?;
        let stored = self_assessments::find(conn, id)?;
        Ok::<_, ApiError>(match stored {
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
    })
    .await
}
