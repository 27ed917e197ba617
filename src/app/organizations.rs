//! POST, GET /organizations and GET /organizations/{id}.

use crate::app::error::{AppError, FieldError};
use crate::app::input::{PageQuery, Paged};
use crate::app::views::OrganizationView;
use crate::auth::extractor::AuthenticatedUser;
use crate::auth::permissions::ensure_admin;
use crate::db;
use crate::db::audit;
use crate::db::organizations::{self, NewOrganization};
use crate::domain::organization::OrgKind;
use crate::domain::text::one_line;
use crate::state::AppState;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrganization {
    /// The short name (简称), e.g. 荔湾区民政局: unique, how lists and pages name it.
    #[validate(
        length(min = 1, max = 100, message = "机构名称须为 1 到 100 个字符"),
        custom(function = "one_line")
    )]
    pub name: String,
    /// The full name (全称), e.g. 广州市荔湾区民政局: how reports name it; the short name
    /// when absent.
    #[validate(
        length(max = 100, message = "机构全称不能超过 100 个字符"),
        custom(function = "one_line")
    )]
    pub full_name: Option<String>,
    pub kind: OrgKind,
    /// e.g. 荔湾区
    #[validate(
        length(min = 1, max = 50, message = "所属区须为 1 到 50 个字符"),
        custom(function = "one_line")
    )]
    pub district: Option<String>,
    /// 所在市, e.g. 广州市. A municipal bureau with a city oversees the evaluations and stations
    /// of its city's district bureaus (those with the same city); one without a city oversees
    /// all (a single-city deployment).
    #[validate(
        length(min = 1, max = 50, message = "所在市须为 1 到 50 个字符"),
        custom(function = "one_line")
    )]
    pub city: Option<String>,
    /// An evaluation agency's 报告编号 prefix, e.g. 穗社评 (穗社评〔2025〕第017号); its
    /// short name when absent.
    #[validate(
        length(min = 1, max = 20, message = "报告编号前缀须为 1 到 20 个字符"),
        custom(function = "one_line")
    )]
    pub report_prefix: Option<String>,
}

/// Creates an organization as `me` (admins; the API and the administration pages).
pub async fn create_for(
    state: &AppState,
    me: &AuthenticatedUser,
    body: CreateOrganization,
    request_id: Option<String>,
) -> Result<OrganizationView, AppError> {
    ensure_admin(me)?;
    if body.kind == OrgKind::System {
        return Err(AppError::field("kind", "系统管理机构只有一个，不能再创建"));
    }
    let name = body.name.trim().to_owned();
    if name.is_empty() {
        return Err(AppError::field("name", "机构名称不能为空"));
    }
    let district = body
        .district
        .map(|d| d.trim().to_owned())
        .filter(|d| !d.is_empty());
    let city = body
        .city
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty());
    let report_prefix = body
        .report_prefix
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty());
    if report_prefix.is_some() && body.kind != OrgKind::EvaluationAgency {
        return Err(AppError::field(
            "report_prefix",
            "只有评估机构有报告编号前缀",
        ));
    }
    let full_name = body
        .full_name
        .map(|f| f.trim().to_owned())
        .filter(|f| !f.is_empty())
        .unwrap_or_else(|| name.clone());
    let actor = (me.id, me.organization.id);
    let created = db::run(&state.pool, move |conn| {
        db::write_transaction(conn, |conn| {
            let now = db::now();
            let new = NewOrganization {
                name: &name,
                full_name: &full_name,
                kind: body.kind.code(),
                district: district.as_deref(),
                city: city.as_deref(),
                report_prefix: report_prefix.as_deref(),
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
                .ok_or_else(|| AppError::from(anyhow::anyhow!("organization {id} vanished")))
        })
    })
    .await?;
    Ok(OrganizationView::from(&created))
}

/// Organizations by name, a page of them, of one kind or all (any logged-in user: parties need
/// each other's names).
pub async fn list_for(
    state: &AppState,
    query: OrganizationQuery,
) -> Result<Paged<OrganizationView>, AppError> {
    let page = PageQuery {
        page: query.page,
        per_page: query.per_page,
    }
    .page();
    let (items, total) = listed(state, query.kind, page).await?;
    Ok(Paged::new(items, total, page))
}

/// Every organization, by name (the administration pages' lists and choices).
pub async fn all_for(state: &AppState) -> Result<Vec<OrganizationView>, AppError> {
    let page = crate::db::Page {
        page: 1,
        per_page: 10_000,
    };
    let (items, _) = listed(state, None, page).await?;
    Ok(items)
}

/// One page of organizations and how many there are in all.
async fn listed(
    state: &AppState,
    kind: Option<OrgKind>,
    page: crate::db::Page,
) -> Result<(Vec<OrganizationView>, i64), AppError> {
    let (rows, total) = db::run(&state.pool, move |conn| {
        organizations::list(conn, kind.map(OrgKind::code), page).map_err(AppError::from)
    })
    .await?;
    Ok((rows.iter().map(OrganizationView::from).collect(), total))
}

/// One organization (any logged-in user).
pub async fn one_for(state: &AppState, id: i64) -> Result<OrganizationView, AppError> {
    let row = db::run(&state.pool, move |conn| {
        organizations::find(conn, id).map_err(AppError::from)
    })
    .await?
    .ok_or(AppError::NotFound("机构"))?;
    Ok(OrganizationView::from(&row))
}

fn name_conflict() -> AppError {
    AppError::Conflict(vec![FieldError::new(
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
