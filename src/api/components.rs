//! The parties' components (分项评分): PUT, GET /evaluations/{id}/components/{party}, POST …/submit
//! and …/withdraw, and GET /evaluations/{id}/score. Saved as a draft by the party's members,
//! submitted (locked) by its manager, withdrawn (撤回) until the draft is issued, amended with a
//! reason during draft_feedback; every change in the audit log.

use crate::api::error::Problem;
use crate::api::extract::{ValidJson, expected_version};
use crate::app::components::*;
use crate::app::error::AppError;
use crate::auth::CurrentUser;
use crate::http::request_id;
use crate::state::AppState;
use actix_web::{HttpRequest, get, post, put, web};

/// Saves a party's component: a draft in self_assessment or onsite_scoring; an amendment of the
/// submitted component, with a reason, in draft_feedback.
#[utoipa::path(
    tag = "scoring",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "evaluation id"), ("party" = String, Path, description = "scheme party code")),
    request_body = PutComponent,
    responses(
        (status = 200, body = ComponentView),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem),
    )
)]
#[put("/evaluations/{id}/components/{party}")]
pub async fn put_component(
    state: web::Data<AppState>,
    me: CurrentUser,
    req: HttpRequest,
    path: web::Path<(i64, String)>,
    body: ValidJson<PutComponent>,
) -> Result<web::Json<ComponentView>, AppError> {
    let (id, party_code) = path.into_inner();
    let body = body.0;
    let expected = expected_version(&req, body.version)?;
    let saved = put_component_for(
        &state,
        &me,
        id,
        party_code,
        body,
        expected,
        request_id(&req),
    )
    .await?;
    Ok(web::Json(saved))
}

/// A party's component: its own party always; others as §3 allows (403 otherwise).
#[utoipa::path(
    tag = "scoring",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "evaluation id"), ("party" = String, Path, description = "scheme party code")),
    responses((status = 200, body = ComponentView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem))
)]
#[get("/evaluations/{id}/components/{party}")]
pub async fn get_component(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<(i64, String)>,
) -> Result<web::Json<ComponentView>, AppError> {
    let (id, party_code) = path.into_inner();
    Ok(web::Json(component_for(&state, &me, id, party_code).await?))
}

#[utoipa::path(
    tag = "scoring",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "evaluation id"), ("party" = String, Path, description = "scheme party code")),
    responses(
        (status = 200, body = ComponentView),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem),
    )
)]
#[post("/evaluations/{id}/components/{party}/submit")]
pub async fn submit(
    state: web::Data<AppState>,
    me: CurrentUser,
    req: HttpRequest,
    path: web::Path<(i64, String)>,
) -> Result<web::Json<ComponentView>, AppError> {
    let (id, party) = path.into_inner();
    let expected = expected_version(&req, None)?;
    let changed =
        submit_component_for(&state, &me, id, party, expected, true, request_id(&req)).await?;
    Ok(web::Json(changed))
}

#[utoipa::path(
    tag = "scoring",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "evaluation id"), ("party" = String, Path, description = "scheme party code")),
    responses(
        (status = 200, body = ComponentView),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem),
    )
)]
#[post("/evaluations/{id}/components/{party}/withdraw")]
pub async fn withdraw(
    state: web::Data<AppState>,
    me: CurrentUser,
    req: HttpRequest,
    path: web::Path<(i64, String)>,
) -> Result<web::Json<ComponentView>, AppError> {
    let (id, party) = path.into_inner();
    let expected = expected_version(&req, None)?;
    let changed =
        submit_component_for(&state, &me, id, party, expected, false, request_id(&req)).await?;
    Ok(web::Json(changed))
}
