//! The one mapping from errors to HTTP: `application/problem+json` (RFC 9457) with Chinese titles.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::DbUnavailable;

pub const PROBLEM_JSON: &str = "application/problem+json";

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

/// The body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A stable code for the kind of problem, e.g. `validation-failed`.
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<i64>,
    /// What a refused transition still lacks, in Chinese.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
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

impl ApiError {
    pub fn field(field: &str, message: impl Into<String>) -> ApiError {
        ApiError::Validation(vec![FieldError::new(field, message)])
    }

    pub fn forbidden(reason: impl Into<String>) -> ApiError {
        ApiError::Forbidden(reason.into())
    }

    fn problem(&self) -> Problem {
        let mut missing = Vec::new();
        let (problem_type, title, detail, errors, current_version) = match self {
            ApiError::TransitionRefused {
                detail,
                missing: lacking,
            } => {
                missing = lacking.clone();
                (
                    "transition-refused",
                    "当前不能进行此操作",
                    detail.clone(),
                    vec![],
                    None,
                )
            }
            ApiError::Malformed(detail) => (
                "malformed-request",
                "请求格式错误",
                detail.clone(),
                vec![],
                None,
            ),
            ApiError::UnsupportedMediaType(expected) => (
                "unsupported-media-type",
                "不支持的请求类型",
                format!("请求体的类型须为 {expected}"),
                vec![],
                None,
            ),
            ApiError::PayloadTooLarge => (
                "payload-too-large",
                "请求内容过大",
                "请求体超过允许的大小".into(),
                vec![],
                None,
            ),
            ApiError::Validation(errors) => (
                "validation-failed",
                "提交的内容有误",
                summarize(errors),
                errors.clone(),
                None,
            ),
            ApiError::Unauthorized(detail) => (
                "unauthorized",
                "未登录或登录已失效",
                (*detail).into(),
                vec![],
                None,
            ),
            ApiError::PasswordChangeRequired => (
                "password-change-required",
                "请先修改密码",
                "您的密码由他人设置或已被重置，修改密码后才能继续使用".into(),
                vec![],
                None,
            ),
            ApiError::Forbidden(reason) => ("forbidden", "没有权限", reason.clone(), vec![], None),
            ApiError::NotFound(what) => (
                "not-found",
                "找不到该资源",
                format!("{what}不存在或您无权查看"),
                vec![],
                None,
            ),
            ApiError::Conflict(errors) => (
                "conflict",
                "与现有数据冲突",
                summarize(errors),
                errors.clone(),
                None,
            ),
            ApiError::StaleVersion { current } => (
                "version-conflict",
                "数据已被他人修改",
                format!("您提交的版本已过期，当前版本为 {current}，请刷新后重试"),
                vec![],
                Some(*current),
            ),
            ApiError::TooManyLogins {
                retry_after_seconds,
            } => (
                "too-many-login-attempts",
                "登录失败次数过多",
                format!("请在 {} 分钟后再试", retry_after_seconds.div_ceil(60)),
                vec![],
                None,
            ),
            ApiError::Unavailable(_) => (
                "service-unavailable",
                "服务暂时不可用",
                "服务繁忙或数据库暂时无法访问，请稍后再试".into(),
                vec![],
                None,
            ),
            ApiError::Internal(_) => (
                "internal-error",
                "服务器内部错误",
                "处理请求时出错，请稍后再试；如仍出错，请联系系统管理员".into(),
                vec![],
                None,
            ),
        };
        Problem {
            problem_type: problem_type.into(),
            title: title.into(),
            status: self.status_code().as_u16(),
            detail,
            errors,
            current_version,
            missing,
        }
    }
}

fn summarize(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| format!("{}：{}", e.field, e.message))
        .collect::<Vec<_>>()
        .join("；")
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Malformed(_) => StatusCode::BAD_REQUEST,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::PasswordChangeRequired | ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_)
            | ApiError::StaleVersion { .. }
            | ApiError::TransitionRefused { .. } => StatusCode::CONFLICT,
            ApiError::TooManyLogins { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            ApiError::Internal(cause) => tracing::error!(error = ?cause, "request failed"),
            ApiError::Unavailable(cause) => tracing::error!(error = %cause, "service unavailable"),
            _ => {}
        }
        let mut response = problem_response(&self.problem());
        if let ApiError::TooManyLogins {
            retry_after_seconds,
        } = self
            && let Ok(value) = HeaderValue::from_str(&retry_after_seconds.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        if let ApiError::Unauthorized(_) = self {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"pinggu\""),
            );
        }
        response
    }
}

pub fn problem_response(problem: &Problem) -> HttpResponse {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    HttpResponse::build(status)
        .content_type(PROBLEM_JSON)
        .json(problem)
}

impl From<DbUnavailable> for ApiError {
    fn from(error: DbUnavailable) -> Self {
        ApiError::Unavailable(error.0)
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(error: diesel::result::Error) -> Self {
        ApiError::Internal(anyhow::Error::new(error).context("database query failed"))
    }
}

/// A problem for an error answer that did not come from a handler (unknown route, wrong method,
/// actix's own extractor errors): keeps the status, explains it in Chinese.
pub fn problem_for_status(status: StatusCode) -> Problem {
    let (problem_type, title, detail) = match status.as_u16() {
        404 => ("route-not-found", "找不到该地址", "请求的地址不存在"),
        405 => (
            "method-not-allowed",
            "不支持的请求方法",
            "该地址不支持此请求方法",
        ),
        413 => ("payload-too-large", "请求内容过大", "请求体超过允许的大小"),
        415 => (
            "unsupported-media-type",
            "不支持的请求类型",
            "请求体的类型不受支持",
        ),
        400..=499 => ("bad-request", "请求有误", "请求无法处理"),
        _ => (
            "internal-error",
            "服务器内部错误",
            "处理请求时出错，请稍后再试",
        ),
    };
    Problem {
        problem_type: problem_type.into(),
        title: title.into(),
        status: status.as_u16(),
        detail: detail.into(),
        errors: vec![],
        current_version: None,
        missing: vec![],
    }
}
