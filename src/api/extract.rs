//! Request extractors that turn wire input into checked values once, at the edge: JSON bodies,
//! query strings and workbooks with a message per field, and the `version` a write was based on.
//! The decoding rules themselves are the application's (`app::input`), shared with the pages.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use utoipa::ToSchema;
use validator::Validate;

use crate::app::error::AppError;
use crate::app::input::{
    JSON_LIMIT_BYTES, WORKBOOK_LIMIT_BYTES, parse_json, parse_query, validate,
};

/// A JSON body, deserialized with the path of any bad field and then validated.
pub struct ValidJson<T>(pub T);

impl<T> FromRequest for ValidJson<T>
where
    T: DeserializeOwned + Validate + 'static,
{
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = JsonBody::<T>::from_request(req, payload);
        Box::pin(async move {
            let JsonBody(value) = body.await?;
            validate(&value)?;
            Ok(ValidJson(value))
        })
    }
}

/// A JSON body, deserialized with the path of any bad field; for types whose rules are checked
/// by the domain rather than by field attributes.
pub struct JsonBody<T>(pub T);

impl<T> FromRequest for JsonBody<T>
where
    T: DeserializeOwned + 'static,
{
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let content_type_ok = is_json(req);
        let mut payload = payload.take();
        Box::pin(async move {
            if !content_type_ok {
                return Err(AppError::UnsupportedMediaType(
                    "JSON（Content-Type: application/json）",
                ));
            }
            let mut body = web::BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk =
                    chunk.map_err(|e| AppError::Malformed(format!("读取请求体失败：{e}")))?;
                if body.len() + chunk.len() > JSON_LIMIT_BYTES {
                    return Err(AppError::PayloadTooLarge);
                }
                body.extend_from_slice(&chunk);
            }
            parse_json(&body).map(JsonBody)
        })
    }
}

/// An uploaded .xlsx workbook, the whole request body (workbooks are small; evidence files are
/// streamed elsewhere). In the document: a binary body.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct WorkbookBody(pub Vec<u8>);

impl FromRequest for WorkbookBody {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let mime = req.content_type().to_owned();
        let mut payload = payload.take();
        Box::pin(async move {
            if mime != crate::excel::XLSX && mime != "application/octet-stream" {
                return Err(AppError::UnsupportedMediaType(
                    "Excel 工作簿（Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet）",
                ));
            }
            let mut body = Vec::new();
            while let Some(chunk) = payload.next().await {
                let chunk =
                    chunk.map_err(|e| AppError::Malformed(format!("读取请求体失败：{e}")))?;
                if body.len() + chunk.len() > WORKBOOK_LIMIT_BYTES {
                    return Err(AppError::PayloadTooLarge);
                }
                body.extend_from_slice(&chunk);
            }
            Ok(WorkbookBody(body))
        })
    }
}

fn is_json(req: &HttpRequest) -> bool {
    let mime = req.content_type();
    mime == "application/json" || mime.ends_with("+json")
}

/// A query string, deserialized with the name of any bad parameter, then validated.
pub struct ValidQuery<T>(pub T);

impl<T> FromRequest for ValidQuery<T>
where
    T: DeserializeOwned + Validate + 'static,
{
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(parse_query(req.query_string()).map(ValidQuery))
    }
}

/// The version a write was based on: `version` in the body, else an `If-Match` header.
pub fn expected_version(
    req: &HttpRequest,
    body_version: Option<i64>,
) -> Result<Option<i64>, AppError> {
    if body_version.is_some() {
        return Ok(body_version);
    }
    let Some(header) = req.headers().get(actix_web::http::header::IF_MATCH) else {
        return Ok(None);
    };
    let text = header
        .to_str()
        .unwrap_or("")
        .trim()
        .trim_start_matches("W/")
        .trim_matches('"');
    text.parse::<i64>()
        .map(Some)
        .map_err(|_| AppError::field("If-Match", "版本号须为整数"))
}
