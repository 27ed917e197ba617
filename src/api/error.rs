//! The one mapping from errors to HTTP: `application/problem+json` (RFC 9457) with Chinese titles.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

pub use crate::app::error::{AppError, FieldError};

pub const PROBLEM_JSON: &str = "application/problem+json";

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

/// The problem+json body of an application error.
trait AsProblem {
    fn problem(&self) -> Problem;
}

impl AsProblem for AppError {
    fn problem(&self) -> Problem {
        let mut missing = Vec::new();
        let (problem_type, title, detail, errors, current_version) = match self {
            AppError::TransitionRefused {
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
            AppError::Malformed(detail) => (
                "malformed-request",
                "请求格式错误",
                detail.clone(),
                vec![],
                None,
            ),
            AppError::UnsupportedMediaType(expected) => (
                "unsupported-media-type",
                "不支持的请求类型",
                format!("请求体的类型须为 {expected}"),
                vec![],
                None,
            ),
            AppError::PayloadTooLarge => (
                "payload-too-large",
                "请求内容过大",
                "请求体超过允许的大小".into(),
                vec![],
                None,
            ),
            AppError::Validation(errors) => (
                "validation-failed",
                "提交的内容有误",
                summarize(errors),
                errors.clone(),
                None,
            ),
            AppError::Unauthorized(detail) => (
                "unauthorized",
                "未登录或登录已失效",
                (*detail).into(),
                vec![],
                None,
            ),
            AppError::PasswordChangeRequired => (
                "password-change-required",
                "请先修改密码",
                "您的密码由他人设置或已被重置，修改密码后才能继续使用".into(),
                vec![],
                None,
            ),
            AppError::Forbidden(reason) => ("forbidden", "没有权限", reason.clone(), vec![], None),
            AppError::NotFound(what) => (
                "not-found",
                "找不到该资源",
                format!("{what}不存在或您无权查看"),
                vec![],
                None,
            ),
            AppError::Conflict(errors) => (
                "conflict",
                "与现有数据冲突",
                summarize(errors),
                errors.clone(),
                None,
            ),
            AppError::StaleVersion { current } => (
                "version-conflict",
                "数据已被他人修改",
                format!("您提交的版本已过期，当前版本为 {current}，请刷新后重试"),
                vec![],
                Some(*current),
            ),
            AppError::TooManyLogins {
                retry_after_seconds,
            } => (
                "too-many-login-attempts",
                "登录失败次数过多",
                format!("请在 {} 分钟后再试", retry_after_seconds.div_ceil(60)),
                vec![],
                None,
            ),
            AppError::Unavailable(_) => (
                "service-unavailable",
                "服务暂时不可用",
                "服务繁忙或数据库暂时无法访问，请稍后再试".into(),
                vec![],
                None,
            ),
            AppError::Internal(_) => (
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

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::Malformed(_) => StatusCode::BAD_REQUEST,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::PasswordChangeRequired | AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Conflict(_)
            | AppError::StaleVersion { .. }
            | AppError::TransitionRefused { .. } => StatusCode::CONFLICT,
            AppError::TooManyLogins { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            AppError::Internal(cause) => tracing::error!(error = ?cause, "request failed"),
            AppError::Unavailable(cause) => tracing::error!(error = %cause, "service unavailable"),
            _ => {}
        }
        let mut response = problem_response(&self.problem());
        if let AppError::TooManyLogins {
            retry_after_seconds,
        } = self
            && let Ok(value) = HeaderValue::from_str(&retry_after_seconds.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        if let AppError::Unauthorized(_) = self {
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
