//! GET /me and POST /me/password: reachable even while a password change is required.

use crate::api::error::Problem;
use crate::api::extract::{ValidJson, expected_version};
use crate::app::error::AppError;
use crate::app::me::*;
use crate::app::views::MeView;
use crate::auth::CurrentUserAnyPassword;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use tracing_actix_web::RequestId;

/// The logged-in user.
#[utoipa::path(
    tag = "me",
    security(("bearer" = [])),
    responses((status = 200, body = MeView), (status = 401, body = Problem))
)]
#[get("/me")]
pub async fn get_me(me: CurrentUserAnyPassword) -> web::Json<MeView> {
    // The extractor has just read the user, organization and session: no second query.
    web::Json(MeView::from(&me.0))
}

/// Changes one's own password; the user's other sessions end, this one stays.
#[utoipa::path(
    tag = "me",
    security(("bearer" = [])),
    request_body = ChangePasswordRequest,
    responses(
        (status = 204, description = "changed"),
        (status = 401, body = Problem),
        (status = 409, body = Problem, description = "the user changed meanwhile"),
        (status = 422, body = Problem),
        (status = 429, body = Problem, description = "too many wrong passwords; see Retry-After"),
    )
)]
#[post("/me/password")]
pub async fn change_password(
    state: web::Data<AppState>,
    me: CurrentUserAnyPassword,
    request: RequestId,
    req: HttpRequest,
    body: ValidJson<ChangePasswordRequest>,
) -> Result<HttpResponse, AppError> {
    let ChangePasswordRequest {
        current_password,
        new_password,
        version,
    } = body.0;
    let expected = expected_version(&req, version)?;
    change_own_password(
        &state,
        &me,
        crate::auth::attempts::client_ip(&req, &state),
        request.to_string(),
        current_password,
        new_password,
        expected,
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
