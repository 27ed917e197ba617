//! The pages' session: an HttpOnly cookie holding an access token of a server-side session (the
//! API's token model: revoking the session ends it), renewed while the user is active and ending
//! after `auth.web_idle_minutes` without a request; CSRF tokens for every form.

use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};

use crate::auth::extractor::{AuthenticatedUser, authenticate};
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "pinggu_session";
pub const LOGIN_CSRF_COOKIE: &str = "pinggu_login_csrf";
/// A cookie older than this is renewed on the next page.
const RENEW_AFTER_SECONDS: i64 = 60;

fn secure(state: &AppState) -> bool {
    state.settings.server.public_url.starts_with("https://")
}

/// The session cookie for a session, living for the idle timeout.
pub fn session_cookie(
    state: &AppState,
    user_id: i64,
    session_id: &str,
) -> anyhow::Result<Cookie<'static>> {
    let idle = i64::try_from(state.settings.auth.web_idle_minutes.max(1)).unwrap_or(30) * 60;
    let token = state.jwt.issue_for(user_id, session_id, idle)?;
    Ok(Cookie::build(SESSION_COOKIE, token)
        .path("/")
        .http_only(true)
        .secure(secure(state))
        .same_site(SameSite::Lax)
        .max_age(CookieDuration::seconds(idle))
        .finish())
}

/// A cookie that removes `name`.
pub fn removal(state: &AppState, name: &'static str) -> Cookie<'static> {
    let mut cookie = Cookie::build(name, "")
        .path("/")
        .http_only(true)
        .secure(secure(state))
        .same_site(SameSite::Lax)
        .finish();
    cookie.make_removal();
    cookie
}

/// The login form's CSRF nonce, in its own short-lived cookie (double submit).
pub fn login_nonce_cookie(state: &AppState, nonce: &str) -> Cookie<'static> {
    Cookie::build(LOGIN_CSRF_COOKIE, nonce.to_owned())
        .path("/login")
        .http_only(true)
        .secure(secure(state))
        .same_site(SameSite::Strict)
        .max_age(CookieDuration::hours(2))
        .finish()
}

/// A logged-in user of the pages.
pub struct WebUser {
    pub user: AuthenticatedUser,
    /// The CSRF token every form of this session carries.
    pub csrf: String,
    /// A renewed session cookie to send back (the idle timeout slides).
    pub renewed: Option<Cookie<'static>>,
    /// The request's id (`x-request-id`): carried by the audit entries the page writes and
    /// shown on its error page.
    pub request_id: String,
}

impl std::ops::Deref for WebUser {
    type Target = AuthenticatedUser;
    fn deref(&self) -> &AuthenticatedUser {
        &self.user
    }
}

/// Not logged in (or the session ended): the login page, coming back here afterwards.
fn login_location(req: &HttpRequest) -> String {
    let query = serde_urlencoded::to_string([("next", here(req))]).unwrap_or_default();
    format!("/login?{query}")
}

/// The page asked for, to come back to after the login or the forced password change.
fn here(req: &HttpRequest) -> String {
    req.uri()
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "/".into())
}

/// `page` with `?next=` the page to come back to afterwards (none for the home page).
pub fn with_next(page: &str, next: &str) -> String {
    if next == "/" {
        return page.to_owned();
    }
    let query = serde_urlencoded::to_string([("next", next)]).unwrap_or_default();
    format!("{page}?{query}")
}

/// The way out of a page that needs a login: a redirect (303) to this location, never an error page.
#[derive(Debug)]
pub struct Redirect(String);

impl Redirect {
    pub fn to(location: &str) -> Redirect {
        Redirect(location.to_owned())
    }
}

impl std::fmt::Display for Redirect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "redirect to {}", self.0)
    }
}

impl actix_web::ResponseError for Redirect {
    fn status_code(&self) -> actix_web::http::StatusCode {
        actix_web::http::StatusCode::SEE_OTHER
    }
    fn error_response(&self) -> HttpResponse {
        HttpResponse::SeeOther()
            .insert_header((header::LOCATION, self.0.clone()))
            .finish()
    }
}

/// A logged-in user who may still have to change their password (the password page).
pub struct AnyWebUser(pub WebUser);

impl FromRequest for AnyWebUser {
    type Error = Redirect;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Redirect>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .cloned()
                .ok_or_else(|| Redirect(login_location(&req)))?;
            let token = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned());
            let Some(token) = token else {
                return Err(Redirect(login_location(&req)));
            };
            let claims = state.jwt.decode(&token);
            let user = authenticate(&state, Some(token))
                .await
                .map_err(|_| Redirect(login_location(&req)))?;
            let renewed = claims
                .filter(|c| chrono::Utc::now().timestamp() - c.iat > RENEW_AFTER_SECONDS)
                .and_then(|_| session_cookie(&state, user.id, &user.session_id).ok());
            Ok(AnyWebUser(WebUser {
                csrf: state.csrf.token(&user.session_id),
                user,
                renewed,
                request_id: crate::http::request_id(&req).unwrap_or_default(),
            }))
        })
    }
}

impl FromRequest for WebUser {
    type Error = Redirect;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Redirect>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let any = AnyWebUser::from_request(req, payload);
        // A page asked for (not a form posted) is shown after the forced password change.
        let next = if req.method() == actix_web::http::Method::GET {
            here(req)
        } else {
            "/".to_owned()
        };
        Box::pin(async move {
            let user = any.await?.0;
            if user.must_change_password {
                return Err(Redirect::to(&with_next("/password", &next)));
            }
            Ok(user)
        })
    }
}

impl WebUser {
    /// The id audit entries of this request carry.
    pub fn audit_request_id(&self) -> Option<String> {
        Some(self.request_id.clone()).filter(|id| !id.is_empty())
    }
}
