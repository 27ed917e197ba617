//! 设置密码: the page a welcome e-mail links to (`/password/set?token=…`). A valid link sets the
//! password once; an expired or used one says so and offers to send a new link to the address
//! the account has. No session is needed: the forms carry the login page's CSRF token.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use super::session::{LOGIN_CSRF_COOKIE, login_nonce_cookie};
use super::{Chrome, forbidden, page};
use crate::app::AppError;
use crate::app::password_links::{LinkState, check, renew, set_password};
use crate::auth::tokens::random_token;
use crate::notify::welcome::LINK_VALID_HOURS;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "password_set.html")]
struct SetPasswordPage {
    chrome: Option<Chrome>,
    csrf: String,
    token: String,
    link: LinkState,
    min_length: usize,
    valid_hours: i64,
    errors: Vec<(String, String)>,
    renewed: bool,
}

impl SetPasswordPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    fn offers_renewal(&self) -> bool {
        matches!(self.link, LinkState::Expired | LinkState::Used) && !self.renewed
    }
}

#[derive(Debug, Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
}

fn render(
    state: &AppState,
    token: String,
    link: LinkState,
    errors: Vec<(String, String)>,
    renewed: bool,
) -> HttpResponse {
    let nonce = random_token(24);
    let mut response = page(
        None,
        &SetPasswordPage {
            chrome: None,
            csrf: state.csrf.token(&format!("login:{nonce}")),
            token,
            link,
            min_length: state.settings.auth.password_min_length,
            valid_hours: LINK_VALID_HOURS,
            errors,
            renewed,
        },
    );
    let _ = response.add_cookie(&login_nonce_cookie(state, &nonce));
    response
}

/// A token of a link as typed: at most a few hundred characters (a real one has 43).
fn token_of(raw: Option<String>) -> String {
    raw.unwrap_or_default().trim().chars().take(200).collect()
}

#[get("/password/set")]
pub async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<TokenQuery>,
) -> HttpResponse {
    let request_id = crate::http::request_id(&req).unwrap_or_default();
    let token = token_of(query.into_inner().token);
    match check(&state, token.clone()).await {
        Ok(link) => render(&state, token, link, Vec::new(), false),
        Err(error) => super::server_error(&request_id, &error),
    }
}

#[derive(Debug, Deserialize)]
pub struct SetForm {
    #[serde(default)]
    csrf: String,
    token: Option<String>,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
}

fn genuine(state: &AppState, req: &HttpRequest, csrf: &str) -> bool {
    req.cookie(LOGIN_CSRF_COOKIE)
        .is_some_and(|n| state.csrf.verify(&format!("login:{}", n.value()), csrf))
}

#[post("/password/set")]
pub async fn submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<SetForm>,
) -> HttpResponse {
    let form = form.into_inner();
    if !genuine(&state, &req, &form.csrf) {
        return forbidden();
    }
    let token = token_of(form.token);
    let request_id = crate::http::request_id(&req).unwrap_or_default();
    let set = set_password(
        &state,
        token.clone(),
        form.new_password,
        form.confirm_password,
        Some(request_id.clone()),
    )
    .await;
    match set {
        Ok(()) => HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/login?password_set=1"))
            .finish(),
        Err(AppError::Validation(errors)) => {
            let errors = errors.into_iter().map(|e| (e.field, e.message)).collect();
            match check(&state, token.clone()).await {
                Ok(link) => render(&state, token, link, errors, false),
                Err(error) => super::server_error(&request_id, &error),
            }
        }
        Err(AppError::Conflict(_)) => match check(&state, token.clone()).await {
            Ok(link) => render(&state, token, link, Vec::new(), false),
            Err(error) => super::server_error(&request_id, &error),
        },
        Err(error) => super::server_error(&request_id, &error),
    }
}

#[derive(Debug, Deserialize)]
pub struct RenewForm {
    #[serde(default)]
    csrf: String,
    token: Option<String>,
}

#[post("/password/set/renew")]
pub async fn resend(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<RenewForm>,
) -> HttpResponse {
    let form = form.into_inner();
    if !genuine(&state, &req, &form.csrf) {
        return forbidden();
    }
    let token = token_of(form.token);
    let request_id = crate::http::request_id(&req).unwrap_or_default();
    if let Err(error) = renew(&state, token.clone()).await {
        return super::server_error(&request_id, &error);
    }
    match check(&state, token.clone()).await {
        Ok(link) => render(&state, token, link, Vec::new(), true),
        Err(error) => super::server_error(&request_id, &error),
    }
}
