//! The station's self-assessment narrative (自评报告): PUT during the self-assessment, GET for
//! every party of the evaluation.

use crate::api::error::Problem;
use crate::api::extract::{ValidJson, expected_version};
use crate::app::error::AppError;
use crate::app::self_assessment::*;
use crate::auth::CurrentUser;
use crate::http::request_id;
use crate::state::AppState;
use actix_web::{HttpRequest, get, put, web};

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
) -> Result<web::Json<SelfAssessment>, AppError> {
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
) -> Result<web::Json<SelfAssessment>, AppError> {
    Ok(web::Json(
        narrative_for(&state, &me, id.into_inner()).await?,
    ))
}
