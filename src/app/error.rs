//! The application's one error type: what a use case answers when it cannot do what was asked.
//! The API maps it to problem+json (`api::error`), the pages to a page (`web`); it knows neither.

use serde::Serialize;
use utoipa::ToSchema;

use crate::db::DbUnavailable;

/// One problem with one field of a request.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct FieldError {
    /// The field's path in the request, e.g. `role` or `months.2024-12.on_post`.
    pub field: String,
    /// What is wrong, in Chinese.
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("malformed request: {0}")]
    Malformed(String),
    /// The body's type is not the one the route reads: the expected `Content-Type`.
    #[error("unsupported media type; expected {0}")]
    UnsupportedMediaType(&'static str),
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("validation failed: {0:?}")]
    Validation(Vec<FieldError>),
    #[error("unauthenticated: {0}")]
    Unauthorized(&'static str),
    #[error("password change required")]
    PasswordChangeRequired,
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found: {0}")]
    NotFound(&'static str),
    #[error("conflict: {0:?}")]
    Conflict(Vec<FieldError>),
    #[error("stale version; current is {current}")]
    StaleVersion { current: i64 },
    #[error("transition refused: {detail}")]
    TransitionRefused {
        detail: String,
        missing: Vec<String>,
    },
    #[error("too many failed logins; retry after {retry_after_seconds} s")]
    TooManyLogins { retry_after_seconds: u64 },
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    pub fn field(field: &str, message: impl Into<String>) -> AppError {
        AppError::Validation(vec![FieldError::new(field, message)])
    }

    pub fn forbidden(reason: impl Into<String>) -> AppError {
        AppError::Forbidden(reason.into())
    }
}

impl From<DbUnavailable> for AppError {
    fn from(error: DbUnavailable) -> Self {
        AppError::Unavailable(error.0)
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(error: diesel::result::Error) -> Self {
        AppError::Internal(anyhow::Error::new(error).context("database query failed"))
    }
}

impl From<crate::domain::access::Denied> for AppError {
    fn from(denied: crate::domain::access::Denied) -> Self {
        AppError::Forbidden(denied.0)
    }
}
