//! HTTP plumbing shared by the API and the pages, which never import each other: the request id
//! that audit entries carry, the answer of a download.

use actix_web::http::header::{CONTENT_DISPOSITION, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use actix_web::{HttpMessage, HttpRequest, HttpResponse};
use futures_util::StreamExt;

use crate::app::views::{Download, DownloadBody};
use crate::security::SANDBOX_POLICY;

/// The request id of tracing-actix-web, for the audit entry.
pub fn request_id(req: &HttpRequest) -> Option<String> {
    req.extensions()
        .get::<tracing_actix_web::RequestId>()
        .map(ToString::to_string)
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

/// The answer that hands a download to the browser.
pub fn download(file: Download) -> HttpResponse {
    let mut response = HttpResponse::Ok();
    response.insert_header((CONTENT_TYPE, file.content_type));
    if file.sandboxed {
        response.insert_header((CONTENT_SECURITY_POLICY, SANDBOX_POLICY));
    }
    if !file.inline {
        response.insert_header((
            CONTENT_DISPOSITION,
            attachment_disposition(&file.fallback_name, &file.filename),
        ));
    }
    if let Some(sha256) = file.sha256 {
        response.insert_header(("x-content-sha256", sha256));
    }
    match file.body {
        DownloadBody::Bytes(bytes) => response.body(bytes),
        DownloadBody::Stream(chunks) => response.streaming(chunks.map(|chunk| {
            chunk.map_err(|e| actix_web::error::ErrorInternalServerError(e.to_string()))
        })),
    }
}
