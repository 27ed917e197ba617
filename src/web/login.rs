//! Login, logout, and the forced password change.

use super::forms::PostedAny;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use super::session::{
    AnyWebUser, LOGIN_CSRF_COOKIE, login_nonce_cookie, removal, session_cookie, with_next,
};
use super::{Chrome, forbidden, page};
use crate::app::AppError;
use crate::auth::tokens::random_token;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Option<Chrome>,
    csrf: String,
    next: String,
    username: String,
    error: Option<String>,
    /// Arrived from setting a password with an e-mailed link.
    password_set: bool,
}

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
    password_set: Option<String>,
}

/// Only a path of this site: never an address elsewhere (open redirect).
fn safe_next(next: Option<&str>) -> String {
    next.filter(|n| same_site_path(n)).unwrap_or("/").to_owned()
}

/// A path of this site, as typed and with its path once more decoded: it begins with one `/`,
/// and has no control character or whitespace (a browser drops tabs and line breaks, so
/// `/\t/evil` is `//evil`), no backslash (read as `/`) and no second `/` right after the first.
/// Encoded spaces in the query (a search) are kept.
fn same_site_path(next: &str) -> bool {
    let plain = |path: &str| {
        let mut chars = path.chars();
        chars.next() == Some('/')
            && !matches!(chars.next(), Some('/') | Some('\\'))
            && !path
                .chars()
                .any(|c| c.is_control() || c.is_whitespace() || c == '\\')
    };
    let path = next.split(['?', '#']).next().unwrap_or_default();
    let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    plain(next) && plain(&decoded)
}

fn login_page(
    state: &AppState,
    next: String,
    username: String,
    error: Option<String>,
) -> HttpResponse {
    login_page_with(state, next, username, error, false)
}

fn login_page_with(
    state: &AppState,
    next: String,
    username: String,
    error: Option<String>,
    password_set: bool,
) -> HttpResponse {
    let nonce = random_token(24);
    let mut response = page(
        None,
        &LoginPage {
            chrome: None,
            csrf: state.csrf.token(&format!("login:{nonce}")),
            next,
            username,
            error,
            password_set,
        },
    );
    let _ = response.add_cookie(&login_nonce_cookie(state, &nonce));
    response
}

#[get("/login")]
pub async fn show_login(state: web::Data<AppState>, query: web::Query<NextQuery>) -> HttpResponse {
    login_page_with(
        &state,
        safe_next(query.next.as_deref()),
        String::new(),
        None,
        query.password_set.is_some(),
    )
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    csrf: String,
    next: Option<String>,
}

#[post("/login")]
pub async fn do_login(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<LoginForm>,
) -> HttpResponse {
    let form = form.into_inner();
    let nonce = req.cookie(LOGIN_CSRF_COOKIE).map(|c| c.value().to_owned());
    let genuine = nonce
        .as_deref()
        .is_some_and(|n| state.csrf.verify(&format!("login:{n}"), &form.csrf));
    if !genuine {
        return forbidden();
    }
    let next = safe_next(form.next.as_deref());
    let username = form.username.trim().to_owned();
    if username.is_empty() || form.password.is_empty() {
        return login_page(&state, next, username, Some("请输入用户名和密码".into()));
    }
    match crate::app::auth::sign_in(
        &state,
        crate::auth::attempts::client_ip(&req, &state),
        &username,
        form.password,
    )
    .await
    {
        Ok(signed) => {
            let Ok(cookie) = session_cookie(&state, signed.user.id, &signed.session_id) else {
                return login_page(&state, next, username, Some("登录失败，请重试".into()));
            };
            let target = if signed.user.must_change_password {
                with_next("/password", &next)
            } else {
                next
            };
            HttpResponse::SeeOther()
                .cookie(cookie)
                .cookie(removal(&state, LOGIN_CSRF_COOKIE))
                .insert_header((header::LOCATION, target))
                .finish()
        }
        Err(AppError::Unauthorized(reason)) => {
            login_page(&state, next, username, Some(reason.to_owned()))
        }
        Err(AppError::TooManyLogins { .. }) => login_page(
            &state,
            next,
            username,
            Some("登录失败次数过多，请稍后再试".into()),
        ),
        Err(error) => {
            tracing::error!(%error, "login page");
            login_page(&state, next, username, Some("登录失败，请稍后再试".into()))
        }
    }
}

#[post("/logout")]
pub async fn logout(state: web::Data<AppState>, posted: PostedAny) -> HttpResponse {
    let me = posted.me;
    if let Err(error) = crate::app::auth::end_session_for(&state, &me.session_id).await {
        tracing::error!(%error, "logout");
    }
    HttpResponse::SeeOther()
        .cookie(removal(&state, super::session::SESSION_COOKIE))
        .insert_header((header::LOCATION, "/login"))
        .finish()
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    chrome: Option<Chrome>,
    forced: bool,
    min_length: usize,
    errors: Vec<(String, String)>,
    /// The page to show afterwards (a path of this site).
    next: String,
}

impl PasswordPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }
}

#[get("/password")]
pub async fn show_password(
    state: web::Data<AppState>,
    me: AnyWebUser,
    query: web::Query<NextQuery>,
) -> HttpResponse {
    let me = me.0;
    page(
        Some(&me),
        &PasswordPage {
            chrome: Some(Chrome::of(&me)),
            forced: me.must_change_password,
            min_length: state.settings.auth.password_min_length,
            errors: Vec::new(),
            next: safe_next(query.next.as_deref()),
        },
    )
}

#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    current_password: String,
    new_password: String,
    confirm_password: String,
    next: Option<String>,
}

#[post("/password")]
pub async fn change_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    posted: PostedAny<PasswordForm>,
) -> HttpResponse {
    let PostedAny { me, form } = posted;
    let next = safe_next(form.next.as_deref());
    let again = |errors: Vec<(String, String)>| {
        page(
            Some(&me),
            &PasswordPage {
                chrome: Some(Chrome::of(&me)),
                forced: me.must_change_password,
                min_length: state.settings.auth.password_min_length,
                errors,
                next: next.clone(),
            },
        )
    };
    // Every problem the form can show without the current password's check, at once.
    let mut problems: Vec<(String, String)> =
        crate::app::me::new_password_problems(&state, &form.current_password, &form.new_password)
            .into_iter()
            .map(|e| (e.field, e.message))
            .collect();
    if form.new_password != form.confirm_password {
        problems.push(("confirm_password".into(), "两次输入的新密码不一致".into()));
    }
    if !problems.is_empty() {
        return again(problems);
    }
    let request_id = me.request_id.clone();
    let changed = crate::app::me::change_own_password(
        &state,
        &me,
        crate::auth::attempts::client_ip(&req, &state),
        request_id,
        form.current_password,
        form.new_password,
        None,
    )
    .await;
    match changed {
        Ok(()) => HttpResponse::SeeOther()
            .insert_header((header::LOCATION, next.clone()))
            .finish(),
        Err(AppError::Validation(errors)) => again(
            errors
                .into_iter()
                .map(|e| (e.field.clone(), e.message.clone()))
                .collect(),
        ),
        Err(AppError::Unauthorized(reason)) => {
            again(vec![("current_password".into(), reason.into())])
        }
        Err(error) => {
            tracing::error!(%error, "password page");
            again(vec![("new_password".into(), "修改失败，请稍后再试".into())])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn after_login_only_paths_of_this_site_are_followed() {
        assert_eq!(
            safe_next(Some("/evaluations/7?tab=timeline")),
            "/evaluations/7?tab=timeline"
        );
        assert_eq!(safe_next(None), "/");
        assert_eq!(
            safe_next(Some("/?q=%E8%A5%BF%20%E6%9D%91")),
            "/?q=%E8%A5%BF%20%E6%9D%91"
        );
        for elsewhere in [
            "https://evil.example/",
            "//evil.example/x",
            "/\\evil.example",
            "evil",
            "/\t/evil.example",
            "/%09/evil.example",
            "/%2F/evil.example",
            "/%2f%2fevil.example",
            "/%5Cevil.example",
            "/\n/evil.example",
            "/%0d%0a/evil.example",
            " /evaluations/1",
            "/ /evil.example",
            "\\\\evil.example",
            "javascript:alert(1)",
        ] {
            assert_eq!(safe_next(Some(elsewhere)), "/", "{elsewhere}");
        }
    }
}
