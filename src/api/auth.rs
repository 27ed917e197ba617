//! POST /auth/login, /auth/refresh, /auth/logout.

use crate::api::error::Problem;
use crate::api::extract::ValidJson;
use crate::app::auth::*;
use crate::app::error::AppError;
use crate::auth::attempts;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, post, web};

/// Logs in. Unknown usernames and wrong passwords get the same answer in about the same time.
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, body = TokenResponse),
        (status = 401, body = Problem, description = "wrong username or password, or a disabled account"),
        (status = 422, body = Problem),
        (status = 429, body = Problem, description = "too many failed logins; see Retry-After"),
        (status = 503, body = Problem, description = "overloaded"),
    )
)]
#[post("/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ValidJson<LoginRequest>,
) -> Result<web::Json<TokenResponse>, AppError> {
    let LoginRequest { username, password } = body.0;
    let signed = sign_in(
        &state,
        attempts::client_ip(&req, &state),
        &username,
        password,
    )
    .await?;
    token_response(
        &state,
        &signed.user,
        &signed.organization,
        &signed.session_id,
        signed.refresh_token,
    )
    .map(web::Json)
}

/// Exchanges a refresh token for new tokens. A refresh token works once: reusing one revokes
/// its whole family (the session), since one of its holders is not its owner.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses((status = 200, body = TokenResponse), (status = 401, body = Problem), (status = 422, body = Problem))
)]
#[post("/auth/refresh")]
pub async fn refresh(
    state: web::Data<AppState>,
    body: ValidJson<RefreshRequest>,
) -> Result<web::Json<TokenResponse>, AppError> {
    refresh_for(&state, &body.0.refresh_token)
        .await
        .map(web::Json)
}

/// Ends the session of a refresh token: it and the access tokens of its session stop working.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses((status = 204, description = "logged out (also when the token was already invalid)"), (status = 422, body = Problem))
)]
#[post("/auth/logout")]
pub async fn logout(
    state: web::Data<AppState>,
    body: ValidJson<RefreshRequest>,
) -> Result<HttpResponse, AppError> {
    logout_for(&state, &body.0.refresh_token).await?;
    Ok(HttpResponse::NoContent().finish())
}
