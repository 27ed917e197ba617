//! 用户: the users an admin (all) or a manager (their organization's) manages — create, disable
//! or enable, and reset a password (the user must change it at next login).

use actix_web::{HttpResponse, get, post, web};

use super::{
    AdminPage, Cell, Field, Form, Kind, Posted, Row, RowAction, back_to, body_of, echo_of, json_of,
    show,
};
use crate::app::error::AppError;
use crate::app::organizations::all_for;
use crate::app::users::{CreateUser, UpdateUser, create_for, manageable_for, update_for};
use crate::domain::user::Role;
use crate::state::AppState;
use crate::web::forms::{Echo, value};
use crate::web::or_error_page;
use crate::web::session::WebUser;

pub fn role_name(code: &str) -> &'static str {
    Role::from_code(code).map_or("", Role::chinese_name)
}

async fn fields(state: &AppState, me: &WebUser) -> Result<Vec<Field>, AppError> {
    let organizations: Vec<(String, String)> = if me.is_admin() {
        all_for(state)
            .await?
            .into_iter()
            .map(|o| (o.id.to_string(), o.name))
            .collect()
    } else {
        vec![(me.organization.id.to_string(), me.organization.name.clone())]
    };
    let roles = Role::ALL
        .iter()
        .filter(|r| me.is_admin() || r.assignable_by_manager())
        .filter(|r| **r != Role::Admin)
        .map(|r| (r.code().to_owned(), role_name(r.code()).to_owned()))
        .collect();
    Ok(vec![
        Field::new("username", "用户名", Kind::Text)
            .hint("3–32 位字母、数字、.、_ 或 -，登录时使用"),
        Field::new("display_name", "姓名", Kind::Text),
        Field::new("email", "邮箱", Kind::Optional).hint("接收评估通知"),
        Field::select("organization_id", "所属机构", organizations),
        Field::select("role", "角色", roles),
        Field {
            required: false,
            ..Field::new("password", "初始密码", Kind::Password)
                .hint("留空则向该用户的电子邮箱发送设置密码的链接；填写则首次登录后须修改")
        },
    ])
}

async fn render(state: &AppState, me: &WebUser, echo: Echo) -> HttpResponse {
    let mut page = AdminPage::new(me, "users", "用户");
    page.intro = if me.is_admin() {
        "所有机构的用户。停用或重置密码会立即结束该用户的所有登录。".into()
    } else {
        format!(
            "{}的用户。停用或重置密码会立即结束该用户的所有登录。",
            me.organization.name
        )
    };
    page.headers = vec!["用户名", "姓名", "机构", "角色", "邮箱", "状态", "操作"];
    let users = match manageable_for(state, me).await {
        Ok(users) => users,
        Err(error) => return crate::web::error_page(me, error),
    };
    page.rows = users
        .into_iter()
        .map(|u| {
            let action = format!("/admin/users/{}", u.id);
            let hidden = vec![("version", u.version.to_string())];
            let mut actions = vec![RowAction {
                action: action.clone(),
                label: if u.disabled { "启用" } else { "停用" },
                confirm: if u.disabled {
                    String::new()
                } else {
                    format!("确定停用 {} 吗？", u.display_name)
                },
                hidden: [
                    hidden.clone(),
                    vec![("disabled", (!u.disabled).to_string())],
                ]
                .concat(),
                field: None,
            }];
            actions.push(RowAction {
                action,
                label: "重置密码",
                confirm: String::new(),
                hidden,
                field: Some(Field::new("password", "新密码", Kind::Password)),
            });
            Row {
                cells: vec![
                    Cell::text(u.username),
                    Cell::text(u.display_name),
                    Cell::text(u.organization.name),
                    Cell::text(role_name(&u.role)),
                    Cell::text(u.email.unwrap_or_default()),
                    Cell::text(if u.disabled {
                        "已停用"
                    } else if u.must_change_password {
                        "待修改密码"
                    } else {
                        "正常"
                    }),
                ],
                actions,
            }
        })
        .collect();
    page.forms.push(Form {
        id: "new-user",
        title: "新增用户",
        action: "/admin/users".into(),
        button: "新增用户",
        fields: or_error_page!(me, fields(state, me).await),
    });
    page.echo = echo;
    show(me, &page)
}

#[get("/admin/users")]
pub async fn list_page(state: web::Data<AppState>, me: WebUser) -> HttpResponse {
    render(&state, &me, Echo::default()).await
}

#[post("/admin/users")]
pub async fn create_page(state: web::Data<AppState>, posted: Posted) -> HttpResponse {
    let Posted { me, form: values } = posted;
    let fields = or_error_page!(me, fields(&state, &me).await);
    let created = match body_of::<CreateUser>(&json_of(&values, &fields)) {
        Ok(body) => create_for(&state, &me, body, me.audit_request_id()).await,
        Err(error) => Err(error),
    };
    match created {
        Ok(_) => back_to("/admin/users".into()),
        Err(error) => render(&state, &me, echo_of("new-user", &values, error)).await,
    }
}

/// A row's button: disable or enable (`disabled`), or reset the password (`password`).
#[post("/admin/users/{id}")]
pub async fn change_page(
    state: web::Data<AppState>,
    posted: Posted,
    id: web::Path<i64>,
) -> HttpResponse {
    let Posted { me, form: values } = posted;
    let version = value(&values, "version").and_then(|v| v.parse().ok());
    let body = UpdateUser {
        display_name: None,
        email: None,
        role: None,
        disabled: value(&values, "disabled").map(|d| d == "true"),
        password: value(&values, "password").map(str::to_owned),
        version,
    };
    let request_id = me.audit_request_id();
    match update_for(&state, &me, id.into_inner(), body, version, request_id).await {
        Ok(_) => back_to("/admin/users".into()),
        Err(error) => render(&state, &me, echo_of("row", &values, error)).await,
    }
}
