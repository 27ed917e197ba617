//! POST, GET /organizations and GET /organizations/{id}.

use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;
use tracing_actix_web::RequestId;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::error::{ApiError, FieldError, Problem};
use super::extract::{PageQuery, Paged, ValidJson, ValidQuery};
use super::views::OrganizationView;
use crate::auth::CurrentUser;
use crate::auth::extractor::AuthenticatedUser;
use crate::auth::permissions::ensure_admin;
use crate::db;
use crate::db::audit;
use crate::db::organizations::{self, NewOrganization};
use crate::domain::organization::OrgKind;
use crate::domain::text::one_line;
use crate::state::AppState;

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrganization {
    /// Full Chinese name, e.g. 荔湾区民政局.
    #[validate(
        length(min = 1, max = 100, message = "机构名称须为 1 到 100 个字符"),
        custom(function = "one_line")
    )]
    pub name: String,
    pub kind: OrgKind,
    /// e.g. 荔湾区
    #[validate(
        length(min = 1, max = 50, message = "所属区须为 1 到 50 个字符"),
        custom(function = "one_line")
    )]
    pub district: Option<String>,
}

/// Creates an organization (admins only).
#[utoipa::path(
    tag = "organizations",
    security(("bearer" = [])),
    request_body = CreateOrganization,
    responses(
        (status = 201, body = OrganizationView),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem),
    )
)]
#[post("/organizations")]
pub async fn create(
    state: web::Data<AppState>,
    me: CurrentUser,
    request: RequestId,
    body: ValidJson<CreateOrganization>,
) -> Result<HttpResponse, ApiError> {
    let created = create_for(&state, &me, body.0, Some(request.to_string())).await?;
    Ok(HttpResponse::Created().json(created))
}

/// Creates an organization as `me` (admins; the API and the administration pages).
pub async fn create_for(
    state: &AppState,
    me: &AuthenticatedUser,
    body: CreateOrganization,
    request_id: Option<String>,
) -> Result<OrganizationView, ApiError> {
    ensure_admin(me)?;
    if body.kind == OrgKind::System {
        return Err(ApiError::field("kind", "系统管理机构只有一个，不能再创建"));
    }
    let name = body.name.trim().to_owned();
    if name.is_empty() {
        return Err(ApiError::field("name", "机构名称不能为空"));
    }
    let district = body
        .district
        .map(|d| d.trim().to_owned())
        .filter(|d| !d.is_empty());
    let actor = (me.id, me.organization.id);
    let created = db::run(&state.pool, move |conn| {
        db::write_transaction(conn, |conn| {
            let now = db::now();
            let new = NewOrganization {
                name: &name,
                kind: body.kind.code(),
                district: district.as_deref(),
                created_at: now,
                updated_at: now,
            };
            let id = organizations::insert(conn, &new).map_err(|e| {
                if db::is_unique_violation(&e) {
                    name_conflict()
                } else {
                    e.into()
                }
            })?;
            let summary = format!("创建机构“{name}”（{}）", body.kind.chinese_name());
            audit::append_global(
                conn,
                &audit::global_entry(
                    Some(actor),
                    "create",
                    "organization",
                    id,
                    summary,
                    now,
                    request_id,
                ),
            )?;
            organizations::find(conn, id)?
                .ok_or_else(|| ApiError::from(anyhow::anyhow!("organization {id} vanished")))
        })
    })
    .await?;
    Ok(OrganizationView::from(&created))
}

/// Every organization, by name (the administration pages' lists and choices).
pub async fn all_for(state: &AppState) -> Result<Vec<OrganizationView>, ApiError> {
    let page = crate::api::extract::Page {
        page: 1,
        per_page: 10_000,
    };
    let (rows, _) = db::run(&state.pool, move |conn| {
        organizations::list(conn, None, page).map_err(ApiError::from)
    })
    .await?;
    Ok(rows.iter().map(OrganizationView::from).collect())
}

fn name_conflict() -> ApiError {
    ApiError::Conflict(vec![FieldError::new(
        "name",
        "已有同名机构；如确为不同机构，请在名称中注明所属区或街道",
    )])
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OrganizationQuery {
    /// Only organizations of this kind.
    pub kind: Option<OrgKind>,
    pub page: Option<u64>,
    pub per_page: Option<u64>,
}

/// Lists organizations (any logged-in user: parties need each other's names).
#[utoipa::path(
    tag = "organizations",
    security(("bearer" = [])),
    params(OrganizationQuery),
    responses((status = 200, body = Paged<OrganizationView>), (status = 401, body = Problem))
)]
#[get("/organizations")]
pub async fn list(
    state: web::Data<AppState>,
    _me: CurrentUser,
    query: ValidQuery<OrganizationQuery>,
) -> Result<web::Json<Paged<OrganizationView>>, ApiError> {
    let page = PageQuery {
        page: query.0.page,
        per_page: query.0.per_page,
    }
    .page();
    let kind = query.0.kind;
    let (rows, total) = db::run(&state.pool, move |conn| {
        organizations::list(conn, kind.map(OrgKind::code), page).map_err(ApiError::from)
    })
    .await?;
    let items = rows.iter().map(OrganizationView::from).collect();
    Ok(web::Json(Paged::new(items, total, page)))
}

/// One organization.
#[utoipa::path(
    tag = "organizations",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "organization id")),
    responses((status = 200, body = OrganizationView), (status = 401, body = Problem), (status = 404, body = Problem))
)]
#[get("/organizations/{id}")]
pub async fn get_one(
    state: web::Data<AppState>,
    _me: CurrentUser,
    id: web::Path<i64>,
) -> Result<web::Json<OrganizationView>, ApiError> {
    let id = id.into_inner();
    let row = db::run(&state.pool, move |conn| {
        organizations::find(conn, id).map_err(ApiError::from)
    })
    .await?
    .ok_or(ApiError::NotFound("机构"))?;
    Ok(web::Json(OrganizationView::from(&row)))
}
