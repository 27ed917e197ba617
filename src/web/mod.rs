//! The pages (zh-CN), server-rendered with askama over the application layer (`app`), the same
//! use cases and the same `EvaluationAccess` as the API: a page asks which forms to show, it
//! never decides. Forms arrive through `forms::Posted` (CSRF checked), failures leave through
//! `error_page` (404, or 500 with the request id). The stylesheet and the one script are embedded
//! in the binary, and no page holds an inline script or handler (the Content-Security-Policy).

pub mod admin;
pub mod dashboard;
pub mod evaluation;
pub mod feedback;
pub mod forms;
pub mod home;
pub mod login;
pub mod password_link;
pub mod rectifications;
pub mod saved;
pub mod scoring;
pub mod self_assessment;
pub mod session;
pub mod station;
pub mod survey;
pub mod tabs;
pub mod timeline;

use actix_web::http::header;
use actix_web::web::ServiceConfig;
use actix_web::{HttpResponse, get};
use askama::Template;

use session::WebUser;

const STYLE: &str = include_str!("assets/style.css");
/// The largest form a page posts (urlencoded): 4 MiB.
pub const FORM_LIMIT_BYTES: usize = 4 * 1024 * 1024;

/// The pages' script: the 自评 tab's live percentages, the expert's running total, questions
/// before a form is sent, refused forms brought into view.
const SCRIPT: &str = include_str!("assets/pinggu.js");

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(style)
        .service(script)
        .service(login::show_login)
        .service(login::do_login)
        .service(login::logout)
        .service(login::show_password)
        .service(login::change_password)
        .service(password_link::show)
        .service(password_link::submit)
        .service(password_link::resend)
        .service(home::home)
        .service(dashboard::show)
        .service(dashboard::workbook)
        .service(evaluation::page_of)
        .service(station::show)
        .service(evaluation::act)
        .service(evaluation::report_file)
        .service(feedback::give)
        .service(feedback::answer)
        .service(rectifications::answer)
        .service(rectifications::verification)
        .service(rectifications::due)
        .service(rectifications::evidence)
        .service(self_assessment::save_zone)
        .service(self_assessment::save_narrative)
        .service(self_assessment::save_roster)
        .service(self_assessment::upload_indicators)
        .service(self_assessment::upload_staff)
        .service(self_assessment::indicators_workbook)
        .service(self_assessment::staff_workbook)
        .service(self_assessment::upload_evidence)
        .service(self_assessment::evidence_file)
        .service(survey::clients_template)
        .service(survey::upload_clients)
        .service(survey::draw)
        .service(survey::record_call)
        .service(scoring::save_sheet)
        .service(scoring::assign_expert)
        .service(scoring::save_component)
        .service(evaluation::revise)
        .service(evaluation::extend)
        .service(admin::organizations::list_page)
        .service(admin::organizations::create_page)
        .service(admin::users::list_page)
        .service(admin::users::create_page)
        .service(admin::users::change_page)
        .service(admin::stations::list_page)
        .service(admin::stations::create_page)
        .service(admin::stations::create_agreement_page)
        .service(admin::evaluations::list_page)
        .service(admin::evaluations::create_page)
        .service(admin::evaluations::batch_page)
        .service(admin::schemes::list_page)
        .service(admin::schemes::one_page)
        .service(admin::schemes::create_page)
        .service(admin::outbox::list_page)
        .service(admin::outbox::requeue_page)
        .service(admin::imports::show)
        .service(admin::imports::template_file)
        .service(admin::imports::upload);
}

#[get("/assets/style.css")]
async fn style() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(STYLE)
}

#[get("/assets/pinggu.js")]
async fn script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(SCRIPT)
}

/// What every page's frame shows of the logged-in user.
pub struct Chrome {
    pub display_name: String,
    pub organization: String,
    pub csrf: String,
    pub admin: bool,
    /// Managers and admins see the administration pages.
    pub manages: bool,
    /// Bureaus, the municipal bureau, agencies and admins have a dashboard (统计).
    pub dashboard: bool,
}

impl Chrome {
    pub fn of(user: &WebUser) -> Chrome {
        Chrome {
            display_name: user.display_name.clone(),
            organization: user.organization.name.clone(),
            csrf: user.csrf.clone(),
            admin: user.is_admin(),
            manages: user.is_admin() || user.role == crate::domain::user::Role::Manager,
            dashboard: user.is_admin()
                || matches!(
                    user.organization.kind,
                    crate::domain::organization::OrgKind::CivilAffairsBureau
                        | crate::domain::organization::OrgKind::MunicipalBureau
                        | crate::domain::organization::OrgKind::EvaluationAgency
                ),
        }
    }
}

/// A rendered page with the renewed session cookie, if any.
pub fn page(user: Option<&WebUser>, template: &impl Template) -> HttpResponse {
    let mut response = HttpResponse::Ok();
    response
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"));
    if let Some(cookie) = user.and_then(|u| u.renewed.clone()) {
        response.cookie(cookie);
    }
    match template.render() {
        Ok(html) => response.body(html),
        Err(error) => {
            tracing::error!(%error, "page did not render");
            HttpResponse::InternalServerError()
                .content_type("text/plain; charset=utf-8")
                .body("页面出错，请稍后再试")
        }
    }
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage<'a> {
    chrome: Option<Chrome>,
    title: &'a str,
    message: &'a str,
    /// What the user typed into a refused form, shown back so that it is not lost.
    typed: Vec<(&'a str, &'a str)>,
}

fn message(status: actix_web::http::StatusCode, title: &str, text: &str) -> HttpResponse {
    message_with(status, title, text, Vec::new())
}

fn message_with(
    status: actix_web::http::StatusCode,
    title: &str,
    text: &str,
    typed: Vec<(&str, &str)>,
) -> HttpResponse {
    let html = MessagePage {
        chrome: None,
        title,
        message: text,
        typed,
    }
    .render()
    .unwrap_or_else(|_| text.to_owned());
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(html)
}

/// 403: a form without its CSRF token, or an action the user may not take.
pub fn forbidden() -> HttpResponse {
    message(
        actix_web::http::StatusCode::FORBIDDEN,
        "操作被拒绝",
        "表单已过期或来源不明，请返回上一页刷新后重试。",
    )
}

/// 403 for a form without this session's CSRF token (a page left open past its session, or
/// a post from elsewhere): what was typed is shown, to copy into the form again.
pub fn refused_form(fields: &[(String, String)]) -> HttpResponse {
    let typed = fields
        .iter()
        .filter(|(name, value)| {
            !matches!(name.as_str(), "csrf" | "version") && !value.trim().is_empty()
        })
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    message_with(
        actix_web::http::StatusCode::FORBIDDEN,
        "表单已过期，未保存",
        "这个页面已过期（可能已重新登录或在别处退出），所填内容没有保存。请复制下面您填写的内容，回到原页面刷新后重新填写提交。",
        typed,
    )
}

/// 400 for a form the page did not send as it is (a field missing or of the wrong kind).
pub fn bad_form() -> HttpResponse {
    message(
        actix_web::http::StatusCode::BAD_REQUEST,
        "表单内容不完整",
        "提交的表单缺少内容或格式不对，请回到原页面刷新后重试。",
    )
}

/// 500 when the database or another part failed: the request's id, for the administrator to
/// find in the log. Never an empty tab that looks like missing data.
pub fn server_error(request_id: &str, error: &dyn std::fmt::Display) -> HttpResponse {
    tracing::error!(%error, request_id, "page failed");
    let text = format!(
        "系统暂时无法完成这个请求，您的数据没有丢失。请稍后刷新重试；如果一直出现，请把编号 {request_id} 告诉系统管理员。"
    );
    message(
        actix_web::http::StatusCode::INTERNAL_SERVER_ERROR,
        "系统出错",
        &text,
    )
}

/// The page for a refusal of the application layer: 404 for what the user may not see or that
/// does not exist (the same answer, as in the API), else the 500 page.
pub fn error_page(me: &session::WebUser, error: crate::app::error::AppError) -> HttpResponse {
    use crate::app::error::AppError;
    match error {
        AppError::NotFound(_) | AppError::Forbidden(_) => not_found(),
        other => server_error(&me.request_id, &other),
    }
}

/// The value of a page's read, or — when the database or another part failed — the 500 page
/// with the request's id, returned at once: never an empty list that looks like no data.
macro_rules! or_error_page {
    ($me:expr, $read:expr) => {
        match $read {
            Ok(value) => value,
            Err(error) => return $crate::web::server_error(&$me.request_id, &error),
        }
    };
}
pub(crate) use or_error_page;

/// 404: also what a user gets for an evaluation they may not see.
pub fn not_found() -> HttpResponse {
    message(
        actix_web::http::StatusCode::NOT_FOUND,
        "页面不存在",
        "您要找的页面不存在，或您没有查看权限。",
    )
}
