//! 机构: every organization, and the admin's form to add one.

use actix_web::{HttpResponse, get, post, web};

use super::{
    AdminPage, Cell, Field, Form, Kind, Posted, Row, back_to, body_of, echo_of, json_of, show,
};
use crate::app::organizations::{CreateOrganization, all_for, create_for};
use crate::domain::organization::OrgKind;
use crate::state::AppState;
use crate::web::forms::Echo;
use crate::web::or_error_page;
use crate::web::session::WebUser;

fn kind_name(code: &str) -> &'static str {
    OrgKind::from_code(code).map_or("", OrgKind::chinese_name)
}

fn fields() -> Vec<Field> {
    vec![
        Field::new("name", "机构简称", Kind::Text).hint("如：荔湾区民政局；列表和页面中使用"),
        Field::new("full_name", "机构全称", Kind::Optional)
            .hint("如：广州市荔湾区民政局；报告中使用，不填则同简称"),
        Field::select(
            "kind",
            "机构类型",
            OrgKind::ALL
                .iter()
                .filter(|k| **k != OrgKind::System)
                .map(|k| (k.code().to_owned(), k.chinese_name().to_owned()))
                .collect(),
        ),
        Field::new("district", "所属区", Kind::Optional).hint("如：荔湾区"),
        Field::new("city", "所在市", Kind::Optional)
            .hint("如：广州市；填了所在市的市民政局只看本市各区的评估"),
        Field::new("report_prefix", "报告编号前缀", Kind::Optional)
            .hint("仅评估机构：如 穗社评，报告编号为 穗社评〔2025〕第017号；不填则用机构简称"),
    ]
}

async fn render(state: &AppState, me: &WebUser, echo: Echo) -> HttpResponse {
    let mut page = AdminPage::new(me, "organizations", "机构");
    page.intro =
        "参与评估的各方机构：区民政局、街道办事处、社工服务中心（承办方）、评估机构、督导中心等。"
            .into();
    page.headers = vec![
        "机构简称",
        "全称",
        "类型",
        "所属区",
        "所在市",
        "报告编号前缀",
    ];
    page.rows = or_error_page!(me, all_for(state).await)
        .into_iter()
        .map(|o| Row {
            cells: vec![
                Cell::text(o.name),
                Cell::text(o.full_name),
                Cell::text(kind_name(&o.kind)),
                Cell::text(o.district.unwrap_or_default()),
                Cell::text(o.city.unwrap_or_default()),
                Cell::text(o.report_prefix.unwrap_or_default()),
            ],
            actions: Vec::new(),
        })
        .collect();
    if me.is_admin() {
        page.forms.push(Form {
            id: "new-organization",
            title: "新增机构",
            action: "/admin/organizations".into(),
            button: "新增机构",
            fields: fields(),
        });
    }
    page.echo = echo;
    show(me, &page)
}

#[get("/admin/organizations")]
pub async fn list_page(state: web::Data<AppState>, me: WebUser) -> HttpResponse {
    render(&state, &me, Echo::default()).await
}

#[post("/admin/organizations")]
pub async fn create_page(state: web::Data<AppState>, posted: Posted) -> HttpResponse {
    let Posted { me, form: values } = posted;
    let created = match body_of::<CreateOrganization>(&json_of(&values, &fields())) {
        Ok(body) => create_for(&state, &me, body, me.audit_request_id()).await,
        Err(error) => Err(error),
    };
    match created {
        Ok(_) => back_to("/admin/organizations".into()),
        Err(error) => render(&state, &me, echo_of("new-organization", &values, error)).await,
    }
}
