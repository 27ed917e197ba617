//! GET /schemes, GET /schemes/{code}, POST /schemes: evaluation schemes as data (DESIGN.md §2).

use crate::app::error::{AppError, FieldError};
use crate::app::input::{PageQuery, Paged};
use crate::auth::extractor::AuthenticatedUser;
use crate::auth::permissions::ensure_admin;
use crate::db::audit::{self, NewEntry};
use crate::db::{self, schemes};
use crate::domain::points::Points;
use crate::domain::scheme::Scheme;
use crate::state::AppState;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

#[derive(Debug, Serialize, ToSchema)]
pub struct SchemeSummary {
    pub code: String,
    pub version: i64,
    pub name: String,
    pub total: Points,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct VersionQuery {
    /// A version of the scheme; the newest when absent.
    pub version: Option<i64>,
}

/// Adds a scheme as an admin (the API and the administration pages).
pub async fn create_for(
    state: &AppState,
    me: &AuthenticatedUser,
    scheme: Scheme,
    request_id: Option<String>,
) -> Result<Scheme, AppError> {
    ensure_admin(me)?;
    let problems = scheme.problems();
    if !problems.is_empty() {
        return Err(AppError::Validation(
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
            let exists = |conn: &mut db::DbConnection| -> Result<AppError, AppError> {
                let next = schemes::newest_version(conn, &stored.code)?.unwrap_or(0) + 1;
                Ok(AppError::Conflict(vec![FieldError::new(
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

/// A page of every version of every scheme (any logged-in user).
pub async fn list_for(
    state: &AppState,
    query: PageQuery,
) -> Result<Paged<SchemeSummary>, AppError> {
    let page = query.page();
    let (items, total) = summaries(state, page).await?;
    Ok(Paged::new(items, total, page))
}

/// Every version of every scheme (the administration pages).
pub async fn all_for(state: &AppState) -> Result<Vec<SchemeSummary>, AppError> {
    let page = crate::db::Page {
        page: 1,
        per_page: 10_000,
    };
    let (items, _) = summaries(state, page).await?;
    Ok(items)
}

/// One page of scheme versions and how many there are in all.
async fn summaries(
    state: &AppState,
    page: crate::db::Page,
) -> Result<(Vec<SchemeSummary>, i64), AppError> {
    db::run(&state.pool, move |conn| {
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
        Ok::<_, AppError>((summaries, total))
    })
    .await
}

/// One version of a scheme (the newest without `version`).
pub async fn one_for(
    state: &AppState,
    code: String,
    version: Option<i64>,
) -> Result<Scheme, AppError> {
    let row = db::run(&state.pool, move |conn| {
        schemes::find(conn, &code, version).map_err(AppError::from)
    })
    .await?
    .ok_or(AppError::NotFound("评估方案"))?;
    Ok(row.scheme()?)
}

/// The grade bands of every scheme, each code once, highest first as the schemes list them
/// (the list's 等级 filter).
pub async fn grade_bands_for(state: &AppState) -> Result<Vec<(String, String)>, AppError> {
    db::run(&state.pool, move |conn| {
        let all = crate::db::Page {
            page: 1,
            per_page: 10_000,
        };
        let (rows, _) = schemes::list(conn, all)?;
        let mut bands: Vec<(String, String)> = Vec::new();
        for row in &rows {
            for band in row.scheme()?.bands {
                if !bands.iter().any(|(code, _)| *code == band.code) {
                    bands.push((band.code, band.name));
                }
            }
        }
        Ok::<_, AppError>(bands)
    })
    .await
}
