//! POST, GET /users; GET, PATCH /users/{id}. Admins manage every user; a manager the members and
//! experts of their own organization.

use crate::api::error::Problem;
use crate::api::extract::{ValidJson, ValidQuery, expected_version};
use crate::app::error::AppError;
use crate::app::input::{PageQuery, Paged};
use crate::app::users::*;
use crate::app::views::UserView;
use crate::auth::CurrentUser;
use crate::auth::permissions::{can_view_user, ensure_can_list_users};
use crate::db::{self, users};
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
    ensure_can_list_users(&me)?;
    let query = query.0;
    let page = PageQuery {
        page: query.page,
        per_page: query.per_page,
    }
    .page();
    let organization_id = if me.is_admin() {
        query.organization_id
    } else {
        Some(me.organization.id)
    };
    let (rows, total) = db::run(&state.pool, move |conn| {
        users::list(conn, organization_id, page).map_err(AppError::from)
    })
    .await?;
    let items = rows.iter().map(|(u, o)| UserView::new(u, o)).collect();
    Ok(web::Json(Paged::new(items, total, page)))
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
    ensure_can_list_users(&me)?;
    let id = id.into_inner();
    let found = db::run(&state.pool, move |conn| {
        users::find(conn, id).map_err(AppError::from)
    })
    .await?;
    match found {
        Some((user, org)) if can_view_user(&me, org.id) => {
            Ok(web::Json(UserView::new(&user, &org)))
        }
        _ => Err(AppError::NotFound("用户")),
    }
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
