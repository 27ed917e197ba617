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
    pub name: String,
    pub kind: String,
    pub district: Option<String>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
}

impl From<&OrganizationRow> for OrganizationView {
    fn from(row: &OrganizationRow) -> Self {
        Self {
            id: row.id,
            name: row.name.clone(),
            kind: row.kind.clone(),
            district: row.district.clone(),
            version: row.version,
            created_at: utc(row.created_at),
        }
    }
}

/// Stored timestamps are UTC without a zone; the API speaks RFC 3339 UTC.
pub fn utc(at: NaiveDateTime) -> DateTime<Utc> {
    DateTime::from_naive_utc_and_offset(at, Utc)
}

/// `Content-Disposition` for a download: an ASCII fallback name and the real (Chinese) name
/// percent-encoded (RFC 6266, RFC 5987).
pub fn attachment_disposition(fallback: &str, filename: &str) -> String {
    let encoded: String = form_urlencoded::byte_serialize(filename.as_bytes()).collect();
    format!(
        "attachment; filename=\"{fallback}\"; filename*=UTF-8''{}",
        encoded.replace('+', "%20")
    )
}
