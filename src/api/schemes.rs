//! GET /schemes, GET /schemes/{code}, POST /schemes: evaluation schemes as data (DESIGN.md §2).

use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use tracing_actix_web::RequestId;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::error::{ApiError, FieldError, Problem};
use super::extract::{JsonBody, PageQuery, Paged, ValidQuery};
use crate::auth::CurrentUser;
use crate::auth::extractor::AuthenticatedUser;
use crate::auth::permissions::ensure_admin;
use crate::db::audit::{self, NewEntry};
use crate::db::{self, schemes};
use crate::domain::points::Points;
use crate::domain::scheme::Scheme;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct SchemeSummary {
    pub code: String,
    pub version: i64,
    pub name: String,
    pub total: Points,
}

/// Every version of every scheme (any logged-in user).
#[utoipa::path(
    tag = "schemes",
    security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, body = Paged<SchemeSummary>), (status = 401, body = Problem))
)]
#[get("/schemes")]
pub async fn list(
    state: web::Data<AppState>,
    _me: CurrentUser,
    query: ValidQuery<PageQuery>,
) -> Result<web::Json<Paged<SchemeSummary>>, ApiError> {
    let page = query.0.page();
    let (rows, total) = db::run(&state.pool, move |conn| {
        let (rows, total) = schemes::list(conn, page)?;
        let summaries = rows
            .iter()
            .map(|row| {
                let scheme = row.scheme()?;
                Ok(SchemeSummary {
                    code: scheme.code,
                    version: scheme.version,
                    name: scheme.name,
                    total: scheme.total,
                })
            })
            .collect::<Result<Vec<_>, anyhow::Error>>()?;
        Ok::<_, ApiError>((summaries, total))
    })
    .await?;
    Ok(web::Json(Paged::new(rows, total, page)))
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct VersionQuery {
    /// A version of the scheme; the newest when absent.
    pub version: Option<i64>,
}

/// A scheme document, exactly as POST /schemes accepts it.
#[utoipa::path(
    tag = "schemes",
    security(("bearer" = [])),
    params(("code" = String, Path, description = "scheme code, e.g. guangzhou-2023"), VersionQuery),
    responses((status = 200, body = Scheme), (status = 401, body = Problem), (status = 404, body = Problem))
)]
#[get("/schemes/{code}")]
pub async fn get_one(
    state: web::Data<AppState>,
    _me: CurrentUser,
    code: web::Path<String>,
    query: ValidQuery<VersionQuery>,
) -> Result<web::Json<Scheme>, ApiError> {
    let (code, version) = (code.into_inner(), query.0.version);
    let row = db::run(&state.pool, move |conn| {
        schemes::find(conn, &code, version).map_err(ApiError::from)
    })
    .await?
    .ok_or(ApiError::NotFound("评估方案"))?;
    Ok(web::Json(row.scheme()?))
}

/// Adds a scheme, or a new version of one (admins only). A stored version never changes.
#[utoipa::path(
    tag = "schemes",
    security(("bearer" = [])),
    request_body = Scheme,
    responses(
        (status = 201, body = Scheme),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, body = Problem, description = "this version exists"),
        (status = 422, body = Problem, description = "the scheme breaks a rule; `errors` names each"),
    )
)]
#[post("/schemes")]
pub async fn create(
    state: web::Data<AppState>,
    me: CurrentUser,
    request: RequestId,
    body: JsonBody<Scheme>,
) -> Result<HttpResponse, ApiError> {
    let scheme = create_for(&state, &me, body.0, Some(request.to_string())).await?;
    Ok(HttpResponse::Created().json(scheme))
}

/// Adds a scheme as an admin (the API and the administration pages).
pub async fn create_for(
    state: &AppState,
    me: &AuthenticatedUser,
    scheme: Scheme,
    request_id: Option<String>,
) -> Result<Scheme, ApiError> {
    ensure_admin(me)?;
    let problems = scheme.problems();
    if !problems.is_empty() {
        return Err(ApiError::Validation(
            problems
                .into_iter()
                .map(|p| FieldError::new(p.field, p.message))
                .collect(),
        ));
    }
    let stored = scheme.clone();
    let actor = (me.id, me.organization.id);
    db::run(&state.pool, move |conn| {
        db::write_transaction(conn, |conn| {
            let exists = |conn: &mut db::DbConnection| -> Result<ApiError, ApiError> {
                let next = schemes::newest_version(conn, &stored.code)?.unwrap_or(0) + 1;
                Ok(ApiError::Conflict(vec![FieldError::new(
                    "version",
                    format!(
                        "该方案的第 {} 版已存在且不能更改；修改请作为第 {next} 版提交",
                        stored.version
                    ),
                )]))
            };
            if schemes::find(conn, &stored.code, Some(stored.version))?.is_some() {
                return Err(exists(conn)?);
            }
            let now = db::now();
            match schemes::insert(conn, &stored, now) {
                Ok(()) => {
                    let summary = format!("新增评估方案 {} 第 {} 版", stored.code, stored.version);
                    let entry = audit::global_entry(
                        Some(actor),
                        "create",
                        "scheme",
                        stored.version,
                        summary,
                        now,
                        request_id,
                    );
                    audit::append_global(
                        conn,
                        &NewEntry {
                            entity_id: format!("{}:{}", stored.code, stored.version),
                            ..entry
                        },
                    )?;
                    Ok(())
                }
                Err(e) if e.downcast_ref().is_some_and(db::is_unique_violation) => {
                    Err(exists(conn)?)
                }
                Err(e) => Err(e.into()),
            }
        })
    })
    .await?;
    tracing::info!(actor = me.id, code = %scheme.code, version = scheme.version, "scheme added");
    Ok(scheme)
}

/// Every version of every scheme (the administration pages).
pub async fn all_for(state: &AppState) -> Result<Vec<SchemeSummary>, ApiError> {
    let page = crate::api::extract::Page {
        page: 1,
        per_page: 10_000,
    };
    db::run(&state.pool, move |conn| {
        let (rows, _) = schemes::list(conn, page)?;
        rows.iter()
            .map(|row| {
                let scheme = row.scheme()?;
                Ok(SchemeSummary {
                    code: scheme.code,
                    version: scheme.version,
                    name: scheme.name,
                    total: scheme.total,
                })
            })
            .collect::<Result<Vec<_>, anyhow::Error>>()
            .map_err(ApiError::from)
    })
    .await
}

/// One version of a scheme (the newest without `version`).
pub async fn one_for(
    state: &AppState,
    code: String,
    version: Option<i64>,
) -> Result<Scheme, ApiError> {
    let row = db::run(&state.pool, move |conn| {
        schemes::find(conn, &code, version).map_err(ApiError::from)
    })
    .await?
    .ok_or(ApiError::NotFound("评估方案"))?;
    Ok(row.scheme()?)
}
