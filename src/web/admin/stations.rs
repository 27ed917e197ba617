//! 社工站与协议: the stations the user may see with their zones and agreements; a bureau's
//! manager (or an admin) registers a station with its zones, and adds service agreements.

use actix_web::{HttpResponse, get, post, web};
use serde_json::{Value, json};

use super::{
    AdminPage, Cell, Field, Form, Kind, Posted, Row, back_to, body_of, echo_of, json_of, show,
};
use crate::app::error::AppError;
use crate::app::organizations::all_for as organizations_for;
use crate::app::stations::{
    CreateAgreement, CreateStation, all_for, create_agreement_for, create_for,
};
use crate::domain::organization::OrgKind;
use crate::state::AppState;
use crate::web::forms::{Echo, value};
use crate::web::or_error_page;
use crate::web::session::WebUser;

async fn station_fields(state: &AppState) -> Result<Vec<Field>, AppError> {
    let organizations = organizations_for(state).await?;
    let of_kind = |kind: OrgKind| -> Vec<(String, String)> {
        organizations
            .iter()
            .filter(|o| o.kind == kind.code())
            .map(|o| (o.id.to_string(), o.name.clone()))
            .collect()
    };
    Ok(vec![
        Field::new("name", "社工站名称", Kind::Text).hint("如：西村街社工服务站"),
        Field::new("district", "所属区", Kind::Text).hint("如：荔湾区"),
        Field::new("street", "所属街道", Kind::Text).hint("如：西村街"),
        Field::new("address", "地址", Kind::Optional),
        Field::new("operating_since", "运营起始日期", Kind::Date)
            .optional()
            .hint("承办方开始运营本社工站的日期，报告写作“自2016年6月起”"),
        Field::select("operator_org_id", "项目承办方（社工服务中心）", of_kind(OrgKind::Operator)),
        Field::select("purchaser_org_id", "项目购买方（街道办事处）", of_kind(OrgKind::StreetOffice)),
        Field::select("supervisor_org_id", "项目监督方（区民政局）", of_kind(OrgKind::CivilAffairsBureau)),
        Field::new("zones", "片区及社区", Kind::Textarea)
            .hint("每行一个片区，片区名后加冒号和所含社区，社区之间用顿号分隔，如：一片区：西湾路社区、南岸社区"),
    ])
}

fn agreement_fields(stations: Vec<(String, String)>) -> Vec<Field> {
    vec![
        Field::select("station_id", "社工站", stations),
        Field::new("period_start", "服务期开始", Kind::Date),
        Field::new("period_end", "服务期结束", Kind::Date),
        Field::new("funding_yuan", "项目经费（元）", Kind::Text).hint("两位小数，如 1200000.00"),
        Field::new("required_staff", "应配备社工人数", Kind::Number),
        Field::new("required_certified_staff", "其中持证社工人数", Kind::Number),
    ]
}

/// "一片区：甲社区、乙社区" per line → the API's zones.
fn zones_of(text: &str) -> Value {
    let zones: Vec<Value> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(|line| {
            let (name, communities) = line.split_once(['：', ':']).unwrap_or((line, ""));
            let communities: Vec<&str> = communities
                .split(['、', '，', ','])
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .collect();
            json!({"name": name.trim(), "communities": communities})
        })
        .collect();
    Value::Array(zones)
}

async fn render(state: &AppState, me: &WebUser, echo: Echo) -> HttpResponse {
    let mut page = AdminPage::new(me, "stations", "社工站与服务协议");
    page.intro =
        "社工站由负责监督的区民政局登记；每个服务年度一份服务协议，评估按协议开展。".into();
    page.headers = vec!["社工站", "所属", "承办方", "片区及社区", "服务协议"];
    let stations = or_error_page!(me, all_for(state, me).await);
    let choices: Vec<(String, String)> = stations
        .iter()
        .map(|(s, _)| (s.id.to_string(), s.name.clone()))
        .collect();
    page.rows = stations
        .into_iter()
        .map(|(s, agreements)| Row {
            cells: vec![
                Cell::text(s.name),
                Cell::text(format!("{}{}", s.district, s.street)),
                Cell::text(s.operator.name),
                Cell::text(
                    s.zones
                        .iter()
                        .map(|z| format!("{}（{}）", z.name, z.communities.join("、")))
                        .collect::<Vec<_>>()
                        .join("；"),
                ),
                Cell::text(
                    agreements
                        .iter()
                        .map(|a| {
                            format!(
                                "{} 至 {}，社工 {} 人（持证 {} 人），经费 {} 元",
                                a.period_start,
                                a.period_end,
                                a.required_staff,
                                a.required_certified_staff,
                                a.funding_yuan
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("；"),
                ),
            ],
            actions: Vec::new(),
        })
        .collect();
    page.forms.push(Form {
        id: "new-station",
        title: "登记社工站",
        action: "/admin/stations".into(),
        button: "登记社工站",
        fields: or_error_page!(me, station_fields(state).await),
    });
    if !choices.is_empty() {
        page.forms.push(Form {
            id: "new-agreement",
            title: "新增服务协议",
            action: "/admin/agreements".into(),
            button: "新增服务协议",
            fields: agreement_fields(choices),
        });
    }
    page.echo = echo;
    show(me, &page)
}

#[get("/admin/stations")]
pub async fn list_page(state: web::Data<AppState>, me: WebUser) -> HttpResponse {
    render(&state, &me, Echo::default()).await
}

#[post("/admin/stations")]
pub async fn create_page(state: web::Data<AppState>, posted: Posted) -> HttpResponse {
    let Posted { me, form: values } = posted;
    let fields = or_error_page!(me, station_fields(&state).await);
    let mut json = json_of(&values, &fields);
    json["zones"] = zones_of(value(&values, "zones").unwrap_or(""));
    let created = match body_of::<CreateStation>(&json) {
        Ok(body) => create_for(&state, &me, body, me.audit_request_id()).await,
        Err(error) => Err(error),
    };
    match created {
        Ok(_) => back_to("/admin/stations".into()),
        Err(error) => render(&state, &me, echo_of("new-station", &values, error)).await,
    }
}

#[post("/admin/agreements")]
pub async fn create_agreement_page(state: web::Data<AppState>, posted: Posted) -> HttpResponse {
    let Posted { me, form: values } = posted;
    let station_id = value(&values, "station_id").and_then(|v| v.parse::<i64>().ok());
    let mut json = json_of(&values, &agreement_fields(Vec::new()));
    if let Value::Object(body) = &mut json {
        body.remove("station_id");
    }
    let created = match (station_id, body_of::<CreateAgreement>(&json)) {
        (Some(station_id), Ok(body)) => {
            let request_id = me.audit_request_id();
            create_agreement_for(&state, &me, station_id, body, request_id).await
        }
        (None, _) => Err(crate::app::AppError::field("station_id", "请选择社工站")),
        (_, Err(error)) => Err(error),
    };
    match created {
        Ok(_) => back_to("/admin/stations".into()),
        Err(error) => render(&state, &me, echo_of("new-agreement", &values, error)).await,
    }
}
