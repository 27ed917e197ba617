//! Rectification items (整改事项, DESIGN.md §7): on approve every concern of the final report
//! becomes an item for the station; the station answers them; the station's next evaluation shows
//! them. GET /stations/{id}/rectifications, PUT /rectifications/{id}.

use crate::api::error::Problem;
use crate::api::extract::{ValidJson, expected_version};
use crate::app::error::AppError;
use crate::app::rectifications::*;
use crate::auth::CurrentUser;
use crate::http::request_id;
use crate::state::AppState;
use actix_web::{HttpRequest, get, put, web};

/// The station's rectification items, newest evaluation first.
#[utoipa::path(
    tag = "reports",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "station id")),
    responses((status = 200, body = Rectifications), (status = 401, body = Problem), (status = 404, body = Problem))
)]
#[get("/stations/{id}/rectifications")]
pub async fn list(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
) -> Result<web::Json<Rectifications>, AppError> {
    station_items_for(&state, &me, id.into_inner())
        .await
        .map(|items| web::Json(Rectifications { items }))
}

/// The station's answer to an item: its manager or members (or an admin).
#[utoipa::path(
    tag = "reports",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "rectification id")),
    request_body = UpdateRectification,
    responses(
        (status = 200, body = RectificationView),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem),
    )
)]
#[put("/rectifications/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    me: CurrentUser,
    req: HttpRequest,
    id: web::Path<i64>,
    body: ValidJson<UpdateRectification>,
) -> Result<web::Json<RectificationView>, AppError> {
    let body = body.0;
    let expected = expected_version(&req, body.version)?;
    update_for(
        &state,
        &me,
        id.into_inner(),
        body,
        expected,
        request_id(&req),
    )
    .await
    .map(web::Json)
}
