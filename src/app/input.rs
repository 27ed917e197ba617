//! Decoding of what users send, shared by the API's extractors and the pages' forms: JSON with the
//! path of any bad field and a Chinese message, query strings, validation, pagination.

use std::borrow::Cow;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::{Validate, ValidationErrors, ValidationErrorsKind};

use super::error::{AppError, FieldError};
use crate::db::Page;
use crate::domain::text;

/// The largest JSON body accepted.
pub const JSON_LIMIT_BYTES: usize = 1024 * 1024;

/// 20 MiB: a 60-worker, 12-month roster is about 30 KiB.
pub const WORKBOOK_LIMIT_BYTES: usize = 20 * 1024 * 1024;

/// Fields a multipart form may have besides its file (the pages send one or two: the CSRF
/// token, a note).
pub const MAX_FORM_FIELDS: usize = 8;

/// The refusal of a multipart form with more fields than that.
pub fn too_many_form_fields() -> AppError {
    AppError::field(
        "multipart",
        format!("表单字段过多（至多 {MAX_FORM_FIELDS} 个）"),
    )
}

pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, AppError> {
    // The pages hand over JSON typed into a form (a scheme document): the same bound.
    if body.len() > JSON_LIMIT_BYTES {
        return Err(AppError::PayloadTooLarge);
    }
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
        AppError::Malformed(format!(
            "请求体不是有效的 JSON（第 {} 行第 {} 列）",
            e.line(),
            e.column()
        ))
    })?;
    let mut problems = Vec::new();
    find_control_characters(&value, "", &mut problems);
    if !problems.is_empty() {
        return Err(AppError::Validation(problems));
    }
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        AppError::Validation(vec![field_error_from_serde(
            &path,
            &error.into_inner().to_string(),
        )])
    })
}

/// Text may hold tabs and line breaks, never other control characters.
fn has_control_character(text: &str) -> bool {
    !text.chars().all(text::allowed_in_text)
}

fn find_control_characters(value: &serde_json::Value, path: &str, out: &mut Vec<FieldError>) {
    let message = text::CONTROL_CHARACTERS;
    match value {
        serde_json::Value::String(text) if has_control_character(text) => {
            out.push(FieldError::new(
                if path.is_empty() { "(body)" } else { path },
                message,
            ));
        }
        serde_json::Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                find_control_characters(item, &format!("{path}[{index}]"), out);
            }
        }
        serde_json::Value::Object(members) => {
            for (key, member) in members {
                let child = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                if has_control_character(key) {
                    out.push(FieldError::new(child.clone(), message));
                }
                find_control_characters(member, &child, out);
            }
        }
        _ => {}
    }
}

pub fn parse_query<T: DeserializeOwned + Validate>(query: &str) -> Result<T, AppError> {
    let problems: Vec<FieldError> = form_urlencoded::parse(query.as_bytes())
        .filter(|(key, value)| has_control_character(key) || has_control_character(value))
        .map(|(key, _)| FieldError::new(key.into_owned(), "不能包含控制字符"))
        .collect();
    if !problems.is_empty() {
        return Err(AppError::Validation(problems));
    }
    let deserializer =
        serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    let value: T = serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let path = error.path().to_string();
        AppError::Validation(vec![field_error_from_serde(
            &path,
            &error.into_inner().to_string(),
        )])
    })?;
    validate(&value)?;
    Ok(value)
}

/// Turns serde's English message into a field name and a Chinese message.
fn field_error_from_serde(path: &str, message: &str) -> FieldError {
    let message = message.split(" at line ").next().unwrap_or(message);
    let quoted = |prefix: &str| {
        message
            .strip_prefix(prefix)
            .and_then(|rest| rest.strip_prefix('`'))
            .and_then(|rest| rest.split('`').next())
            .map(str::to_owned)
    };
    let join = |name: &str| {
        if path.is_empty() || path == "." {
            name.to_owned()
        } else if path.ends_with(name) {
            path.to_owned()
        } else {
            format!("{path}.{name}")
        }
    };
    let field = if path.is_empty() || path == "." {
        "(body)".to_owned()
    } else {
        path.to_owned()
    };
    if let Some(name) = quoted("missing field ") {
        return FieldError::new(join(&name), "必填");
    }
    if let Some(name) = quoted("unknown field ") {
        return FieldError::new(join(&name), "不允许的字段");
    }
    if let Some(value) = quoted("unknown variant ") {
        let choices = message
            .split_once("expected ")
            .map(|(_, rest)| rest.replace("one of ", "").replace('`', ""))
            .unwrap_or_default();
        return FieldError::new(field, format!("取值“{value}”无效，可选：{choices}"));
    }
    if message.starts_with("invalid type") {
        let expected = message
            .split_once("expected ")
            .map(|(_, e)| e)
            .unwrap_or("");
        return FieldError::new(
            field,
            format!("类型错误（应为 {}）", describe_expected(expected)),
        );
    }
    if message.starts_with("invalid value") || message.starts_with("invalid digit") {
        return FieldError::new(field, "取值无效");
    }
    if !message.is_ascii() {
        // Our own deserializers (e.g. points) already explain in Chinese.
        return FieldError::new(field, message);
    }
    FieldError::new(field, format!("无法识别：{message}"))
}

fn describe_expected(expected: &str) -> Cow<'static, str> {
    if expected.contains("string") {
        "字符串".into()
    } else if expected.contains("integer")
        || expected.contains("i64")
        || expected.contains("u") && expected.contains("int")
    {
        "整数".into()
    } else if expected.contains("bool") {
        "true 或 false".into()
    } else if expected.contains("sequence") {
        "列表".into()
    } else if expected.contains("struct") || expected.contains("map") {
        "对象".into()
    } else {
        Cow::Owned(expected.to_owned())
    }
}

pub fn validate<T: Validate>(value: &T) -> Result<(), AppError> {
    value.validate().map_err(|errors| {
        let mut out = Vec::new();
        flatten_validation_errors("", &errors, &mut out);
        out.sort_by(|a, b| a.field.cmp(&b.field));
        AppError::Validation(out)
    })
}

fn flatten_validation_errors(prefix: &str, errors: &ValidationErrors, out: &mut Vec<FieldError>) {
    for (field, kind) in errors.errors() {
        let path = if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}.{field}")
        };
        match kind {
            ValidationErrorsKind::Field(list) => {
                for error in list {
                    let message = error
                        .message
                        .as_ref()
                        .map(|m| m.to_string())
                        .unwrap_or_else(|| format!("不符合要求（{}）", error.code));
                    out.push(FieldError::new(path.clone(), message));
                }
            }
            ValidationErrorsKind::Struct(inner) => flatten_validation_errors(&path, inner, out),
            ValidationErrorsKind::List(items) => {
                for (index, inner) in items {
                    flatten_validation_errors(&format!("{path}[{index}]"), inner, out);
                }
            }
        }
    }
}

/// `page` and `per_page` of list endpoints (DESIGN.md §5): page from 1, per_page clamped to 1…100.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page number, from 1 (default 1).
    pub page: Option<u64>,
    /// Items per page (default 20, at most 100).
    pub per_page: Option<u64>,
}

impl PageQuery {
    pub fn page(&self) -> Page {
        let page = self.page.unwrap_or(1).clamp(1, 1_000_000) as i64;
        let per_page = self.per_page.unwrap_or(20).clamp(1, 100) as i64;
        Page { page, per_page }
    }
}

/// A page of a list: `{items, total, page, per_page}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Paged<T: ToSchema> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

impl<T: ToSchema> Paged<T> {
    pub fn new(items: Vec<T>, total: i64, page: Page) -> Self {
        Self {
            items,
            total,
            page: page.page,
            per_page: page.per_page,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize, Validate)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        #[validate(length(min = 1, message = "不能为空"))]
        name: String,
        count: i64,
        role: crate::domain::user::Role,
    }

    fn fields(error: AppError) -> Vec<FieldError> {
        match error {
            AppError::Validation(errors) => errors,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn names_the_missing_field() {
        let error = parse_json::<Body>(br#"{"name":"a","role":"admin"}"#).expect_err("missing");
        assert_eq!(fields(error), vec![FieldError::new("count", "必填")]);
    }

    #[test]
    fn names_the_unknown_field() {
        let error = parse_json::<Body>(br#"{"name":"a","count":1,"role":"admin","colour":1}"#)
            .expect_err("unknown");
        assert_eq!(fields(error)[0].field, "colour");
    }

    #[test]
    fn names_the_wrongly_typed_field() {
        let error =
            parse_json::<Body>(br#"{"name":"a","count":"x","role":"admin"}"#).expect_err("type");
        let errors = fields(error);
        assert_eq!(errors[0].field, "count");
        assert!(errors[0].message.contains("整数"), "{:?}", errors[0]);
    }

    #[test]
    fn names_the_unknown_enum_value() {
        let error =
            parse_json::<Body>(br#"{"name":"a","count":1,"role":"boss"}"#).expect_err("variant");
        let errors = fields(error);
        assert_eq!(errors[0].field, "role");
        assert!(errors[0].message.contains("boss") && errors[0].message.contains("manager"));
    }

    #[test]
    fn syntax_errors_are_malformed() {
        assert!(matches!(
            parse_json::<Body>(b"{\"name\":"),
            Err(AppError::Malformed(_))
        ));
        assert!(matches!(
            parse_json::<Body>(br#"{"name":"a","count":1,"role":"admin"} x"#),
            Err(AppError::Malformed(_))
        ));
    }

    #[test]
    fn validation_messages_are_kept() {
        let body = parse_json::<Body>(br#"{"name":"","count":1,"role":"admin"}"#).expect("parses");
        let errors = fields(validate(&body).expect_err("empty name"));
        assert_eq!(errors, vec![FieldError::new("name", "不能为空")]);
    }

    #[test]
    fn control_characters_are_refused_by_field() {
        let error = parse_json::<Body>(br#"{"name":"a\u0000b","count":1,"role":"admin"}"#)
            .expect_err("NUL refused");
        assert_eq!(
            fields(error),
            vec![FieldError::new("name", "不能包含控制字符")]
        );
        let body = parse_json::<Body>(br#"{"name":"line\nbreak\ttab","count":1,"role":"admin"}"#);
        assert!(body.is_ok(), "tabs and line breaks are text");
        let error = parse_query::<PageQuery>("page=%00").expect_err("NUL refused");
        assert_eq!(fields(error)[0].field, "page");
    }

    #[test]
    fn pages_are_clamped() {
        let page = PageQuery {
            page: Some(0),
            per_page: Some(1000),
        }
        .page();
        assert_eq!((page.page, page.per_page, page.offset()), (1, 100, 0));
        let page = PageQuery {
            page: Some(3),
            per_page: None,
        }
        .page();
        assert_eq!((page.page, page.per_page, page.offset()), (3, 20, 40));
    }

    #[test]
    fn query_errors_name_the_parameter() {
        let error = parse_query::<PageQuery>("page=abc").expect_err("not a number");
        assert_eq!(fields(error)[0].field, "page");
    }
}
