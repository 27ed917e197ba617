//! POST, GET /users; GET, PATCH /users/{id}. Admins manage every user; a manager the members and
//! experts of their own organization.

use crate::api::error::Problem;
use crate::api::extract::{ValidJson, ValidQuery, expected_version};
use crate::app::error::AppError;
use crate::app::input::Paged;
use crate::app::users::*;
use crate::app::views::UserView;
use crate::auth::CurrentUser;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use tracing_actix_web::RequestId;

/// Creates a user.
#[utoipa::path(
    tag = "users",
    security(("bearer" = [])),
    request_body = CreateUser,
    responses(
        (status = 201, body = UserView),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem),
    )
)]
#[post("/users")]
pub async fn create(
    state: web::Data<AppState>,
    me: CurrentUser,
    request: RequestId,
    body: ValidJson<CreateUser>,
) -> Result<HttpResponse, AppError> {
    let created = create_for(&state, &me, body.0, Some(request.to_string())).await?;
    Ok(HttpResponse::Created().json(created))
}

/// Lists users: all for admins, the own organization's for a manager.
#[utoipa::path(
    tag = "users",
    security(("bearer" = [])),
    params(UserQuery),
    responses((status = 200, body = Paged<UserView>), (status = 401, body = Problem), (status = 403, body = Problem))
)]
#[get("/users")]
pub async fn list(
    state: web::Data<AppState>,
    me: CurrentUser,
    query: ValidQuery<UserQuery>,
) -> Result<web::Json<Paged<UserView>>, AppError> {
    Ok(web::Json(list_for(&state, &me, query.0).await?))
}

/// One user.
#[utoipa::path(
    tag = "users",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "user id")),
    responses((status = 200, body = UserView), (status = 401, body = Problem), (status = 404, body = Problem))
)]
#[get("/users/{id}")]
pub async fn get_one(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
) -> Result<web::Json<UserView>, AppError> {
    Ok(web::Json(one_for(&state, &me, id.into_inner()).await?))
}

/// Changes a user: name, e-mail, role, disabled, or a password reset. Disabling or resetting
/// ends all the user's sessions.
#[utoipa::path(
    tag = "users",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "user id")),
    request_body = UpdateUser,
    responses(
        (status = 200, body = UserView),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem),
    )
)]
#[patch("/users/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    me: CurrentUser,
    request: RequestId,
    req: HttpRequest,
    id: web::Path<i64>,
    body: ValidJson<UpdateUser>,
) -> Result<web::Json<UserView>, AppError> {
    let body = body.0;
    let expected = expected_version(&req, body.version)?;
    let updated = update_for(
        &state,
        &me,
        id.into_inner(),
        body,
        expected,
        Some(request.to_string()),
    )
    .await?;
    Ok(web::Json(updated))
}
