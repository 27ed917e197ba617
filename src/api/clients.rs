//! The service users of the satisfaction survey (满意度调查): PUT replaces the list during the
//! self-assessment, GET returns it as the caller may see it.

use crate::api::error::Problem;
use crate::api::extract::{ValidJson, expected_version};
use crate::app::clients::*;
use crate::app::error::AppError;
use crate::app::survey::*;
use crate::auth::CurrentUser;
use crate::http::request_id;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, get, post, put, web};

/// Replaces the list during the self-assessment (the station's manager or member, or an admin).
#[utoipa::path(
    tag = "survey",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "evaluation id")),
    request_body = PutClients,
    responses(
        (status = 200, body = Clients),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem),
    )
)]
#[put("/evaluations/{id}/clients")]
pub async fn put_clients(
    state: web::Data<AppState>,
    me: CurrentUser,
    req: HttpRequest,
    id: web::Path<i64>,
    body: ValidJson<PutClients>,
) -> Result<web::Json<Clients>, AppError> {
    let body = body.0;
    let expected = expected_version(&req, body.version)?;
    let written = put_clients_for(
        &state,
        &me,
        id.into_inner(),
        body.clients,
        expected,
        request_id(&req),
    )
    .await?;
    Ok(web::Json(written))
}

/// The list: the station, the agency and the bureau; phone numbers only for the agency's
/// callers while the survey is open (on-site scoring).
#[utoipa::path(
    tag = "survey",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "evaluation id")),
    responses(
        (status = 200, body = Clients),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
    )
)]
#[get("/evaluations/{id}/clients")]
pub async fn get_clients(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
) -> Result<web::Json<Clients>, AppError> {
    Ok(web::Json(clients_for(&state, &me, id.into_inner()).await?))
}

/// Draws the clients to call (the agency's manager, during on-site scoring): `min(size, clients)`
/// distinct clients, ranked by SHA-256 of the seed and each client's key. A later draw needs a
/// `reason`; the earlier ones stay on record.
#[utoipa::path(
    tag = "survey",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "evaluation id")),
    request_body = DrawSample,
    responses(
        (status = 201, body = Sample),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem),
    )
)]
#[post("/evaluations/{id}/survey/sample")]
pub async fn draw_sample(
    state: web::Data<AppState>,
    me: CurrentUser,
    req: HttpRequest,
    id: web::Path<i64>,
    body: ValidJson<DrawSample>,
) -> Result<HttpResponse, AppError> {
    let drawn = draw_sample_for(&state, &me, id.into_inner(), body.0, request_id(&req)).await?;
    Ok(HttpResponse::Created().json(drawn))
}

/// Records one sampled client's call (the agency's manager or members, during on-site scoring):
/// reached with the answers, or not with the reason. Answers the survey as it stands.
#[utoipa::path(
    tag = "survey",
    security(("bearer" = [])),
    params(
        ("id" = i64, Path, description = "evaluation id"),
        ("client_id" = i64, Path, description = "a client of the sample"),
    ),
    request_body = PutCall,
    responses(
        (status = 200, body = Survey),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem),
    )
)]
#[put("/evaluations/{id}/survey/responses/{client_id}")]
pub async fn put_response(
    state: web::Data<AppState>,
    me: CurrentUser,
    req: HttpRequest,
    path: web::Path<(i64, i64)>,
    body: ValidJson<PutCall>,
) -> Result<web::Json<Survey>, AppError> {
    let (id, client_id) = path.into_inner();
    let survey = put_call_for(&state, &me, id, client_id, body.0, request_id(&req)).await?;
    Ok(web::Json(survey))
}

/// The survey: the sample being called, sampled, reached, satisfied, the rate over the reached
/// (two places, half-up) and each question's distribution; the calls one by one only for the
/// agency's callers.
#[utoipa::path(
    tag = "survey",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "evaluation id")),
    responses(
        (status = 200, body = Survey),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
    )
)]
#[get("/evaluations/{id}/survey")]
pub async fn get_survey(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
) -> Result<web::Json<Survey>, AppError> {
    Ok(web::Json(survey_for(&state, &me, id.into_inner()).await?))
}
