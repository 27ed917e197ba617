//! Response bodies shared by several resources.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::extractor::AuthenticatedUser;
use crate::db::organizations::OrganizationRow;
use crate::db::users::UserRow;

/// An organization as embedded in other resources.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrganizationRef {
    pub id: i64,
    pub name: String,
    /// One of the organization kinds of DESIGN.md §1.
    pub kind: String,
    pub district: Option<String>,
}

impl From<&OrganizationRow> for OrganizationRef {
    fn from(row: &OrganizationRow) -> Self {
        Self {
            id: row.id,
            name: row.name.clone(),
            kind: row.kind.clone(),
            district: row.district.clone(),
        }
    }
}

/// The logged-in user (GET /me, and the `user` of a login answer).
#[derive(Debug, Serialize, ToSchema)]
pub struct MeView {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    /// admin, manager, member or expert.
    pub role: String,
    pub organization: OrganizationRef,
    pub must_change_password: bool,
}

impl MeView {
    pub fn new(user: &UserRow, org: &OrganizationRow) -> Self {
        Self {
            id: user.id,
            username: user.username.clone(),
            display_name: user.display_name.clone(),
            email: user.email.clone(),
            role: user.role.clone(),
            organization: org.into(),
            must_change_password: user.must_change_password,
        }
    }
}

impl From<&AuthenticatedUser> for MeView {
    fn from(user: &AuthenticatedUser) -> Self {
        let org = &user.organization;
        Self {
            id: user.id,
            username: user.username.clone(),
            display_name: user.display_name.clone(),
            email: user.email.clone(),
            role: user.role.code().to_owned(),
            organization: OrganizationRef {
                id: org.id,
                name: org.name.clone(),
                kind: org.kind.code().to_owned(),
                district: org.district.clone(),
            },
            must_change_password: user.must_change_password,
        }
    }
}

/// A user as administrators and managers see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub role: String,
    pub organization: OrganizationRef,
    pub must_change_password: bool,
    pub disabled: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl UserView {
    pub fn new(user: &UserRow, org: &OrganizationRow) -> Self {
        Self {
            id: user.id,
            username: user.username.clone(),
            display_name: user.display_name.clone(),
            email: user.email.clone(),
            role: user.role.clone(),
            organization: org.into(),
            must_change_password: user.must_change_password,
            disabled: user.disabled,
            version: user.version,
            created_at: utc(user.created_at),
            updated_at: utc(user.updated_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrganizationView {
    pub id: i64,
    /// 简称, e.g. 荔湾区民政局: how lists and pages name it.
    pub name: String,
    /// 全称, e.g. 广州市荔湾区民政局: how reports name it.
    pub full_name: String,
    pub kind: String,
    pub district: Option<String>,
    /// 所在市, e.g. 广州市: a municipal bureau with a city oversees only the evaluations its
    /// city's district bureaus take part in; without one, all.
    pub city: Option<String>,
    /// An agency's 报告编号 prefix, e.g. 穗社评.
    pub report_prefix: Option<String>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
}

impl From<&OrganizationRow> for OrganizationView {
    fn from(row: &OrganizationRow) -> Self {
        Self {
            id: row.id,
            name: row.name.clone(),
            full_name: row.full_name.clone(),
            kind: row.kind.clone(),
            district: row.district.clone(),
            city: row.city.clone(),
            report_prefix: row.report_prefix.clone(),
            version: row.version,
            created_at: utc(row.created_at),
        }
    }
}

/// Stored timestamps are UTC without a zone; the API speaks RFC 3339 UTC.
pub fn utc(at: NaiveDateTime) -> DateTime<Utc> {
    DateTime::from_naive_utc_and_offset(at, Utc)
}

/// A file for the user to take away, as the API and the pages both send it.
pub struct Download {
    pub content_type: String,
    /// The name the user sees (Chinese), and a plain ASCII one for clients that lack RFC 5987.
    pub filename: String,
    pub fallback_name: String,
    /// Shown in the browser (a report's HTML) rather than saved.
    pub inline: bool,
    /// Files from users and reports are shown sandboxed (`security::SANDBOX_POLICY`).
    pub sandboxed: bool,
    /// Sent as `x-content-sha256` when known.
    pub sha256: Option<String>,
    pub body: DownloadBody,
}

pub enum DownloadBody {
    Bytes(Vec<u8>),
    /// Streamed from the file store, never held whole.
    Stream(futures_util::stream::BoxStream<'static, anyhow::Result<actix_web::web::Bytes>>),
}

impl Download {
    /// An Excel workbook of the annexes.
    pub fn workbook(bytes: Vec<u8>, filename: String) -> Download {
        Download {
            content_type: crate::excel::XLSX.to_owned(),
            filename,
            fallback_name: "pinggu.xlsx".to_owned(),
            inline: false,
            sandboxed: false,
            sha256: None,
            body: DownloadBody::Bytes(bytes),
        }
    }
}
