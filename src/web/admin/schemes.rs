//! 评估方案: the stored schemes (a version never changes), one scheme's parties, bands and
//! outline, and the admin's import of a new scheme or version as its JSON document.

use actix_web::{HttpResponse, get, post, web};

use super::{AdminPage, Cell, Field, Form, Kind, Posted, Row, back_to, echo_of, show};
use crate::app::AppError;
use crate::app::input::parse_json;
use crate::app::schemes::{all_for, create_for, one_for};
use crate::domain::scheme::Scheme;
use crate::state::AppState;
use crate::web::forms::{Echo, value};
use crate::web::or_error_page;
use crate::web::session::WebUser;

async fn render(state: &AppState, me: &WebUser, echo: Echo) -> HttpResponse {
    let mut page = AdminPage::new(me, "schemes", "评估方案");
    page.intro =
        "已保存的方案版本不会再改变；修改方案请以新版本导入，已创建的评估仍按原版本评估。".into();
    page.headers = vec!["方案", "代码", "版本", "满分"];
    page.rows = or_error_page!(me, all_for(state).await)
        .into_iter()
        .map(|s| Row {
            cells: vec![
                Cell::link(
                    s.name,
                    format!("/admin/schemes/{}?version={}", s.code, s.version),
                ),
                Cell::text(s.code),
                Cell::text(format!("第 {} 版", s.version)),
                Cell::text(s.total.to_string()),
            ],
            actions: Vec::new(),
        })
        .collect();
    if me.is_admin() {
        page.forms.push(Form {
            id: "new-scheme",
            title: "导入评估方案",
            action: "/admin/schemes".into(),
            button: "导入",
            fields: vec![
                Field::new("document", "方案文件内容（JSON）", Kind::Textarea)
                    .hint("格式与 config/schemes/ 下的方案文件相同；可先打开已有方案，复制后修改版本号和内容。"),
            ],
        });
    }
    page.echo = echo;
    show(me, &page)
}

#[get("/admin/schemes")]
pub async fn list_page(state: web::Data<AppState>, me: WebUser) -> HttpResponse {
    render(&state, &me, Echo::default()).await
}

#[derive(Debug, serde::Deserialize)]
pub struct VersionQuery {
    version: Option<i64>,
}

/// One version: its parties and weights, grade bands and report outline, and the document.
#[get("/admin/schemes/{code}")]
pub async fn one_page(
    state: web::Data<AppState>,
    me: WebUser,
    code: web::Path<String>,
    query: web::Query<VersionQuery>,
) -> HttpResponse {
    let Ok(scheme) = one_for(&state, code.into_inner(), query.version).await else {
        return crate::web::not_found();
    };
    let mut page = AdminPage::new(
        &me,
        "schemes",
        format!("{}（第 {} 版）", scheme.name, scheme.version),
    );
    page.intro = format!(
        "满分 {}；等级：{}。",
        scheme.total,
        scheme
            .bands
            .iter()
            .map(|g| format!("{} {} 分以上", g.name, g.min))
            .collect::<Vec<_>>()
            .join("，")
    );
    page.headers = vec!["评估方", "权重", "本方满分", "门槛项"];
    page.rows = scheme
        .parties
        .iter()
        .map(|p| Row {
            cells: vec![
                Cell::text(p.name.clone()),
                Cell::text(format!("{}%", p.weight)),
                Cell::text(p.native_max.to_string()),
                Cell::text(if p.gate { "是" } else { "否" }),
            ],
            actions: Vec::new(),
        })
        .chain(scheme.outline.iter().map(|o| Row {
            cells: vec![
                Cell::text(format!("报告章节：{}", o.title)),
                Cell::text(o.code.clone()),
                Cell::text(""),
                Cell::text(""),
            ],
            actions: Vec::new(),
        }))
        .collect();
    let document = serde_json::to_string_pretty(&scheme).unwrap_or_default();
    page.forms.push(Form {
        id: "document",
        title: "方案文件（JSON）",
        action: "/admin/schemes".into(),
        button: "作为新版本导入",
        fields: vec![Field::new("document", "方案文件内容", Kind::Textarea).value(document)],
    });
    show(&me, &page)
}

#[post("/admin/schemes")]
pub async fn create_page(state: web::Data<AppState>, posted: Posted) -> HttpResponse {
    let Posted { me, form: values } = posted;
    let document = value(&values, "document").unwrap_or("");
    let created = match parse_json::<Scheme>(document.as_bytes()) {
        Ok(scheme) => create_for(&state, &me, scheme, me.audit_request_id()).await,
        Err(error) => Err(error),
    };
    match created {
        Ok(scheme) => back_to(format!(
            "/admin/schemes/{}?version={}",
            scheme.code, scheme.version
        )),
        // A scheme's problems name paths inside the document: all listed above the form.
        Err(AppError::Validation(errors) | AppError::Conflict(errors)) => {
            let mut echo = Echo::new("new-scheme", &values);
            echo.headline = "方案未导入，请修改以下问题：".into();
            echo.general = errors
                .into_iter()
                .map(|e| format!("{}：{}", e.field, e.message))
                .collect();
            render(&state, &me, echo).await
        }
        Err(error) => render(&state, &me, echo_of("new-scheme", &values, error)).await,
    }
}
