//! 评估: the evaluations the user may see, and the bureau's form to create one for an
//! agreement (its scheme, period, on-site day, agency, center and stage deadlines).

use actix_web::{HttpResponse, get, post, web};

use super::{
    AdminPage, Cell, Field, Form, Kind, Posted, Row, back_to, body_of, echo_of, json_of, show,
};
use crate::app::batches::{CreateBatch, run_for};
use crate::app::error::AppError;
use crate::app::evaluations::{CreateEvaluation, create_for, list_for};
use crate::app::organizations::all_for as organizations_for;
use crate::app::schemes::all_for as schemes_for;
use crate::app::stations::all_for as stations_for;
use crate::db::Page;
use crate::domain::evaluation::Kind as EvaluationKind;
use crate::domain::organization::OrgKind;
use crate::state::AppState;
use crate::web::forms::Echo;
use crate::web::or_error_page;
use crate::web::session::WebUser;

async fn fields(state: &AppState, me: &WebUser) -> Result<Vec<Field>, AppError> {
    let agreements: Vec<(String, String)> = stations_for(state, me)
        .await?
        .into_iter()
        .flat_map(|(station, agreements)| {
            agreements.into_iter().map(move |a| {
                (
                    a.id.to_string(),
                    format!("{}（{} 至 {}）", station.name, a.period_start, a.period_end),
                )
            })
        })
        .collect();
    let mut schemes: Vec<(String, String)> = Vec::new();
    for s in schemes_for(state).await? {
        if !schemes.iter().any(|(code, _)| *code == s.code) {
            schemes.push((s.code.clone(), format!("{}（{}）", s.name, s.code)));
        }
    }
    let organizations = organizations_for(state).await?;
    let of_kind = |kind: OrgKind| -> Vec<(String, String)> {
        organizations
            .iter()
            .filter(|o| o.kind == kind.code())
            .map(|o| (o.id.to_string(), o.name.clone()))
            .collect()
    };
    Ok(vec![
        Field::select("agreement_id", "服务协议", agreements),
        Field::select("scheme_code", "评估方案", schemes)
            .hint("以方案的最新版本评估，之后不再改变"),
        Field::select(
            "kind",
            "评估类型",
            [EvaluationKind::MidTerm, EvaluationKind::FinalTerm]
                .iter()
                .map(|k| (k.code().to_owned(), k.chinese_name().to_owned()))
                .collect(),
        ),
        Field::new("assessment_start", "评估考核期开始", Kind::Date),
        Field::new("assessment_end", "评估考核期结束", Kind::Date),
        Field::new("assessment_months", "考核月数", Kind::Optional)
            .hint("不填则按考核期所跨的自然月计算；首月按半月计时填如 6.50"),
        Field::new("onsite_date", "现场评估日期", Kind::Date),
        Field::select(
            "agency_org_id",
            "第三方评估机构",
            of_kind(OrgKind::EvaluationAgency),
        ),
        Field::select(
            "center_org_id",
            "督导中心",
            of_kind(OrgKind::SupervisionCenter),
        ),
        Field::new("deadlines.self_assessment", "自评截止日期", Kind::Date),
        Field::new(
            "deadlines.onsite_scoring",
            "现场评估评分截止日期",
            Kind::Date,
        ),
        Field::new("deadlines.draft_feedback", "初稿反馈截止日期", Kind::Date),
        Field::new("deadlines.bureau_review", "民政局审定截止日期", Kind::Date),
    ])
}

/// The batch form: the one-evaluation form's fields without the agreement and the on-site date
/// (each station's agreement is found; on-site dates are set per evaluation later).
async fn batch_fields(state: &AppState, me: &WebUser) -> Result<Vec<Field>, AppError> {
    let mut fields: Vec<Field> = fields(state, me)
        .await?
        .into_iter()
        .filter(|f| !matches!(f.name, "agreement_id" | "onsite_date"))
        .collect();
    let district = me.organization.district.clone().unwrap_or_default();
    fields.insert(
        0,
        Field::new("district", "所属区", Kind::Text)
            .value(district)
            .hint("为该区服务协议覆盖考核期的每个社工站各创建一项评估"),
    );
    Ok(fields)
}

/// Ticked: create; not ticked: list the stations first.
const CONFIRM: &str = "confirm";

async fn render(state: &AppState, me: &WebUser, echo: Echo) -> HttpResponse {
    let mut page = AdminPage::new(me, "evaluations", "评估");
    page.intro =
        "评估由负责监督的区民政局按服务协议创建；创建后评估机构设定协议量并启动自评。".into();
    page.headers = vec!["评估", "考核期", "阶段", "结果"];
    let all = Page {
        page: 1,
        per_page: 10_000,
    };
    let (evaluations, _) = or_error_page!(me, list_for(state, me, Default::default(), all).await);
    page.rows = evaluations
        .into_iter()
        .map(|e| Row {
            cells: vec![
                Cell::link(
                    format!(
                        "{} {}",
                        e.station.name,
                        EvaluationKind::chinese_name(e.kind)
                    ),
                    format!("/evaluations/{}", e.id),
                ),
                Cell::text(format!("{} 至 {}", e.assessment_start, e.assessment_end)),
                Cell::text(e.state.chinese_name()),
                Cell::text(
                    e.score
                        .as_ref()
                        .map(|s| format!("{} 分 {}", s.total, s.grade.name))
                        .unwrap_or_default(),
                ),
            ],
            actions: Vec::new(),
        })
        .collect();
    page.forms.push(Form {
        id: "new-evaluation",
        title: "创建评估",
        action: "/admin/evaluations".into(),
        button: "创建评估",
        fields: or_error_page!(me, fields(state, me).await),
    });
    let mut batch = or_error_page!(me, batch_fields(state, me).await);
    batch.push(Field::new(
        CONFIRM,
        "确认创建（不勾选时先列出将要创建评估的社工站）",
        Kind::Checkbox,
    ));
    page.forms.push(Form {
        id: "new-batch",
        title: "批量创建本区评估",
        action: "/admin/evaluation-batches".into(),
        button: "列出或创建",
        fields: batch,
    });
    page.echo = echo;
    show(me, &page)
}

#[get("/admin/evaluations")]
pub async fn list_page(state: web::Data<AppState>, me: WebUser) -> HttpResponse {
    render(&state, &me, Echo::default()).await
}

#[post("/admin/evaluations")]
pub async fn create_page(state: web::Data<AppState>, posted: Posted) -> HttpResponse {
    let Posted { me, form: values } = posted;
    let fields = or_error_page!(me, fields(&state, &me).await);
    let created = match body_of::<CreateEvaluation>(&json_of(&values, &fields)) {
        Ok(body) => create_for(&state, &me, body).await,
        Err(error) => Err(error),
    };
    match created {
        Ok(view) => back_to(format!("/evaluations/{}", view.id)),
        Err(error) => render(&state, &me, echo_of("new-evaluation", &values, error)).await,
    }
}

#[post("/admin/evaluation-batches")]
pub async fn batch_page(state: web::Data<AppState>, posted: Posted) -> HttpResponse {
    let Posted { me, form: values } = posted;
    let fields = or_error_page!(me, batch_fields(&state, &me).await);
    let confirmed = crate::web::forms::value(&values, CONFIRM).is_some_and(|v| !v.is_empty());
    let outcome = match body_of::<CreateBatch>(&json_of(&values, &fields)) {
        Ok(body) => run_for(&state, &me, body, !confirmed).await,
        Err(error) => Err(error),
    };
    match outcome {
        Ok(_) if confirmed => {
            let year = crate::web::forms::value(&values, "assessment_start")
                .and_then(|d| d.get(..4))
                .unwrap_or_default()
                .to_owned();
            // Both were read as a kind and a date by the batch's own parser.
            let kind = crate::web::forms::value(&values, "kind").unwrap_or_default();
            back_to(format!("/?state=setup&kind={kind}&year={year}"))
        }
        Ok(outcome) => {
            let mut echo = Echo::new("new-batch", &values);
            echo.headline = format!(
                "将为以下 {} 个社工站各创建一项评估（尚未创建）；确认无误请勾选“确认创建”后再提交：",
                outcome.stations.len()
            );
            echo.general = outcome.stations;
            render(&state, &me, echo).await
        }
        Err(error) => render(&state, &me, echo_of("new-batch", &values, error)).await,
    }
}
