//! Answers for requests no route takes: 404 for an unknown path, 405 (with Allow) for a known
//! path and an unknown method; and problem+json for every error answer made outside handlers.

use actix_web::dev::ServiceResponse;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpRequest, HttpResponse};

use crate::api::error::{PROBLEM_JSON, problem_for_status, problem_response};

/// The documented routes: path templates split into segments, with their methods.
#[derive(Debug, Clone, Default)]
pub struct RouteTable {
    routes: Vec<(Vec<String>, Vec<Method>)>,
}

impl RouteTable {
    pub fn from_openapi(doc: &utoipa::openapi::OpenApi) -> RouteTable {
        let value = serde_json::to_value(doc).unwrap_or_default();
        let mut routes = Vec::new();
        if let Some(paths) = value.get("paths").and_then(|p| p.as_object()) {
            for (path, item) in paths {
                let methods = item
                    .as_object()
                    .map(|ops| {
                        ops.keys()
                            .filter_map(|m| {
                                Method::from_bytes(m.to_ascii_uppercase().as_bytes()).ok()
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                routes.push((segments(path), methods));
            }
        }
        RouteTable { routes }
    }

    /// The methods a path allows, or `None` when no route has this path.
    pub fn methods_for(&self, path: &str) -> Option<Vec<Method>> {
        let wanted = segments(path);
        let mut found: Option<Vec<Method>> = None;
        for (template, methods) in &self.routes {
            let matches = template.len() == wanted.len()
                && template.iter().zip(&wanted).all(|(t, w)| {
                    t == w || (t.starts_with('{') && t.ends_with('}') && !w.is_empty())
                });
            if matches {
                found
                    .get_or_insert_with(Vec::new)
                    .extend(methods.iter().cloned());
            }
        }
        found
    }
}

/// Segments after the leading slash; a trailing slash makes an empty last segment, as the
/// router does not strip it either.
fn segments(path: &str) -> Vec<String> {
    path.strip_prefix('/')
        .unwrap_or(path)
        .split('/')
        .map(str::to_owned)
        .collect()
}

/// The default service: 405 with Allow where the path exists, 404 otherwise.
pub async fn unmatched(req: HttpRequest, table: actix_web::web::Data<RouteTable>) -> HttpResponse {
    match table.methods_for(req.path()) {
        Some(methods) => {
            let mut response =
                problem_response(&problem_for_status(StatusCode::METHOD_NOT_ALLOWED));
            let allow = methods
                .iter()
                .map(Method::as_str)
                .collect::<Vec<_>>()
                .join(", ");
            if let Ok(value) = HeaderValue::from_str(&allow) {
                response.headers_mut().insert(header::ALLOW, value);
            }
            response
        }
        None => problem_response(&problem_for_status(StatusCode::NOT_FOUND)),
    }
}

/// Does the request come from a browser asking for a page?
pub fn wants_html(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}

/// Replaces any error answer that is not already problem+json (actix's own extractor and
/// routing errors) with one that is.
pub fn problem_for_error<B>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    // Problems stay as they are, and so do the pages' own error pages (HTML).
    let answered = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(PROBLEM_JSON) || v.starts_with("text/html"));
    if answered {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let (req, _) = res.into_parts();
    let response = ServiceResponse::new(req, problem_response(&problem_for_status(status)));
    Ok(ErrorHandlerResponse::Response(
        response.map_into_right_body(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match_ids_and_list_methods() {
        let table = RouteTable {
            routes: vec![
                (segments("/api/v1/users"), vec![Method::GET, Method::POST]),
                (
                    segments("/api/v1/users/{id}"),
                    vec![Method::GET, Method::PATCH],
                ),
            ],
        };
        assert_eq!(
            table.methods_for("/api/v1/users/7"),
            Some(vec![Method::GET, Method::PATCH])
        );
        assert_eq!(
            table.methods_for("/api/v1/users"),
            Some(vec![Method::GET, Method::POST])
        );
        assert_eq!(
            table.methods_for("/api/v1/users/"),
            None,
            "the router keeps the slash"
        );
        assert_eq!(table.methods_for("/api/v1/users/7/x"), None);
        assert_eq!(table.methods_for("/api/v1/nothing"), None);
    }
}
