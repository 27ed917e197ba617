//! 邮件发送: the outbox for admins — each message's recipient, status, attempts and the mail
//! server's last answer, filtered by status; a failed or dead message can be sent again.

use actix_web::{HttpResponse, get, post, web};

use super::{AdminPage, Cell, Posted, Row, RowAction, back_to, echo_of, show};
use crate::app::admin::{OutboxQuery, outbox_for, requeue_for};
use crate::state::AppState;
use crate::web::forms::Echo;
use crate::web::session::WebUser;

#[derive(Debug, serde::Deserialize)]
pub struct StatusQuery {
    status: Option<String>,
}

fn status_name(status: &str) -> &'static str {
    match status {
        "sent" => "已发送",
        "dead" => "发送失败（已停止重试）",
        "failed" => "待重试",
        "sending" => "发送中",
        _ => "排队中",
    }
}

async fn render(
    state: &AppState,
    me: &WebUser,
    status: Option<String>,
    echo: Echo,
) -> HttpResponse {
    let mut page = AdminPage::new(me, "outbox", "邮件发送");
    page.intro = "最近的通知邮件（最多 200 封），可按状态查看：?status=dead 只看发送失败的。发送失败的邮件修复邮件服务器设置后可重新发送。".into();
    page.headers = vec![
        "创建时间",
        "收件人",
        "主题",
        "状态",
        "尝试次数",
        "邮件服务器的回复",
        "操作",
    ];
    let query = OutboxQuery {
        status: status.filter(|s| !s.is_empty()),
        event: None,
        evaluation_id: None,
        to: None,
        limit: Some(200),
    };
    let list = match outbox_for(state, me, query).await {
        Ok(list) => list,
        Err(error) => return crate::web::error_page(me, error),
    };
    page.rows = list
        .items
        .into_iter()
        .map(|m| {
            let actions = if matches!(m.status.as_str(), "dead" | "failed") {
                vec![RowAction {
                    action: format!("/admin/outbox/{}/requeue", m.id),
                    label: "重新发送",
                    confirm: String::new(),
                    hidden: Vec::new(),
                    field: None,
                }]
            } else {
                Vec::new()
            };
            Row {
                cells: vec![
                    Cell::text(
                        state
                            .settings
                            .local_time(m.created_at)
                            .format("%Y-%m-%d %H:%M")
                            .to_string(),
                    ),
                    Cell::text(m.to.unwrap_or_default()),
                    match m.evaluation_id {
                        Some(id) => {
                            Cell::link(m.subject, format!("/evaluations/{id}?tab=timeline"))
                        }
                        None => Cell::text(m.subject),
                    },
                    Cell::text(status_name(&m.status)),
                    Cell::text(m.attempts.to_string()),
                    Cell::text(m.last_error.unwrap_or_default()),
                ],
                actions,
            }
        })
        .collect();
    page.echo = echo;
    show(me, &page)
}

#[get("/admin/outbox")]
pub async fn list_page(
    state: web::Data<AppState>,
    me: WebUser,
    query: web::Query<StatusQuery>,
) -> HttpResponse {
    render(&state, &me, query.into_inner().status, Echo::default()).await
}

#[post("/admin/outbox/{id}/requeue")]
pub async fn requeue_page(
    state: web::Data<AppState>,
    posted: Posted,
    id: web::Path<i64>,
) -> HttpResponse {
    let Posted { me, form: values } = posted;
    match requeue_for(&state, &me, id.into_inner()).await {
        Ok(_) => back_to("/admin/outbox".into()),
        Err(error) => render(&state, &me, None, echo_of("row", &values, error)).await,
    }
}
