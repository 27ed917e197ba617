//! 批量导入: the onboarding workbook's template, a dry run showing what would change, and the
//! import with its result — the same use case as POST /api/v1/imports.

use actix_multipart::Multipart;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;

use crate::app::AppError;
use crate::app::imports::{ImportCounts, ImportReport, import_for, template};
use crate::app::input::WORKBOOK_LIMIT_BYTES;
use crate::state::AppState;
use crate::web::forms::{csrf_verified, read_small_form, value};
use crate::web::session::WebUser;
use crate::web::{Chrome, page};

#[derive(Template)]
#[template(path = "admin_import.html")]
struct ImportPage {
    chrome: Option<Chrome>,
    section: &'static str,
    admin: bool,
    importer: bool,
    headline: String,
    problems: Vec<String>,
    report: Option<ImportReport>,
}

impl ImportPage {
    fn new(me: &WebUser) -> ImportPage {
        ImportPage {
            chrome: Some(Chrome::of(me)),
            section: "imports",
            admin: me.is_admin(),
            importer: true,
            headline: String::new(),
            problems: Vec::new(),
            report: None,
        }
    }

    fn count_rows(&self) -> Vec<(&'static str, ImportCounts)> {
        self.report.as_ref().map_or_else(Vec::new, |r| {
            vec![
                ("新增", r.created),
                ("更新", r.updated),
                ("不变", r.unchanged),
            ]
        })
    }
}

/// Only those who may import see the page.
fn may_import(me: &WebUser) -> Result<(), AppError> {
    crate::auth::permissions::onboarding_scope(me).map(|_| ())
}

#[get("/admin/imports")]
pub async fn show(me: WebUser) -> HttpResponse {
    if let Err(error) = may_import(&me) {
        return crate::web::error_page(&me, error);
    }
    page(Some(&me), &ImportPage::new(&me))
}

#[get("/admin/imports/template.xlsx")]
pub async fn template_file(me: WebUser) -> HttpResponse {
    if let Err(error) = may_import(&me) {
        return crate::web::error_page(&me, error);
    }
    template().map_or_else(
        |error| crate::web::error_page(&me, error),
        crate::http::download,
    )
}

#[post("/admin/imports")]
pub async fn upload(state: web::Data<AppState>, me: WebUser, payload: Multipart) -> HttpResponse {
    let mut shown = ImportPage::new(&me);
    let form = match read_small_form(payload, WORKBOOK_LIMIT_BYTES).await {
        Ok(form) => form,
        Err(AppError::PayloadTooLarge) => {
            shown.headline = format!(
                "文件过大（至多 {} MB），请删去与导入无关的内容后重试。",
                WORKBOOK_LIMIT_BYTES / (1024 * 1024)
            );
            return page(Some(&me), &shown);
        }
        Err(error) => return crate::web::error_page(&me, error),
    };
    if !csrf_verified(&state, &me, &form.fields) {
        return crate::web::refused_form(&form.fields);
    }
    let Some(bytes) = form.file else {
        shown.headline = "请选择要上传的 Excel 文件。".into();
        return page(Some(&me), &shown);
    };
    let dry_run = value(&form.fields, "mode") != Some("import");
    match import_for(&state, &me, bytes, dry_run, me.audit_request_id()).await {
        Ok(report) => shown.report = Some(report),
        Err(AppError::Validation(errors)) | Err(AppError::Conflict(errors)) => {
            shown.headline = format!(
                "工作簿有 {} 处问题，未写入任何内容。请修改后重新上传：",
                errors.len()
            );
            shown.problems = errors
                .into_iter()
                .map(|e| {
                    if e.field == crate::excel::WORKBOOK {
                        e.message
                    } else {
                        format!("{}：{}", e.field, e.message)
                    }
                })
                .collect();
        }
        Err(error) => return crate::web::error_page(&me, error),
    }
    page(Some(&me), &shown)
}
