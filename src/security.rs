//! The security headers of every answer, in one place (added by one middleware in
//! `startup.rs`). A route that needs another policy sets its own header, which the middleware
//! leaves alone: the report HTML and evidence files, built from users' text and files, are
//! served sandboxed.

use actix_web::http::header::{self, HeaderName};
use actix_web::middleware::DefaultHeaders;

/// Pages and API answers: scripts, styles and images from this origin only — no inline script,
/// no inline handler — and never inside a frame.
pub const PAGE_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; \
    frame-ancestors 'none'";

/// Documents made of users' text or files (report HTML, evidence): no script at all, in a
/// sandbox of their own origin, so nothing in them can act as the logged-in user.
pub const SANDBOX_POLICY: &str = "sandbox; default-src 'none'; style-src 'unsafe-inline'; \
    img-src data:; frame-ancestors 'none'";

/// The headers every answer carries unless its route set its own. `Cache-Control: no-store`
/// keeps API answers and downloads of the parties' data out of shared and browser caches;
/// the embedded assets set their own public caching. HSTS only where the site is served over
/// https.
pub fn default_headers(public_url: &str) -> DefaultHeaders {
    let headers = DefaultHeaders::new()
        .add((header::CONTENT_SECURITY_POLICY, PAGE_POLICY))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::REFERRER_POLICY, "same-origin"))
        .add((header::CACHE_CONTROL, "no-store"))
        .add((
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ));
    if public_url.starts_with("https://") {
        headers.add((header::STRICT_TRANSPORT_SECURITY, "max-age=31536000"))
    } else {
        headers
    }
}
