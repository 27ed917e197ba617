//! The evaluation page, the target of every e-mail's link: the stage bar (步骤条), the next
//! deadline and who owes it, and tabs.

use actix_web::{HttpResponse, get, web};
use askama::Template;
use serde::Deserialize;

use super::home::{Row, row};
use super::session::WebUser;
use super::{Chrome, not_found, page};
use crate::api::error::ApiError;
use crate::api::evaluations::{EvaluationView, find_for};
use crate::api::workflow::{Timeline, timeline_for};
use crate::domain::workflow::State;
use crate::notify::catalog::{chinese_date, stage_name};
use crate::state::AppState;

/// The steps of the bar, in order.
const STEPS: [State; 6] = [
    State::Setup,
    State::SelfAssessment,
    State::OnsiteScoring,
    State::DraftFeedback,
    State::BureauReview,
    State::Final,
];

pub struct Step {
    pub name: &'static str,
    /// done, current or todo
    pub status: &'static str,
}

pub struct Fact {
    pub label: String,
    pub value: String,
}

#[derive(Template)]
#[template(path = "evaluation.html")]
struct EvaluationPage {
    chrome: Option<Chrome>,
    summary: Row,
    steps: Vec<Step>,
    cancelled: bool,
    tab: String,
    facts: Vec<Fact>,
    deadlines: Vec<Fact>,
    timeline: Option<Timeline>,
}

#[derive(Debug, Deserialize)]
pub struct TabQuery {
    tab: Option<String>,
}

fn steps(state: State) -> Vec<Step> {
    let at = STEPS.iter().position(|s| *s == state);
    STEPS
        .iter()
        .enumerate()
        .map(|(i, step)| Step {
            name: step.chinese_name(),
            status: match at {
                Some(current) if i < current => "done",
                Some(current) if i == current => "current",
                _ => "todo",
            },
        })
        .collect()
}

fn facts(view: &EvaluationView) -> Vec<Fact> {
    let mut facts = vec![
        Fact {
            label: "社工站".into(),
            value: view.station.name.clone(),
        },
        Fact {
            label: "评估类型".into(),
            value: crate::domain::evaluation::Kind::chinese_name(view.kind).into(),
        },
        Fact {
            label: "评估考核期".into(),
            value: format!(
                "{}至{}",
                chinese_date(view.assessment_start),
                chinese_date(view.assessment_end)
            ),
        },
        Fact {
            label: "现场评估日期".into(),
            value: chinese_date(view.onsite_date),
        },
        Fact {
            label: "评估方案".into(),
            value: format!("{}（第 {} 版）", view.scheme.code, view.scheme.version),
        },
    ];
    if let Some(operator) = &view.station_operator {
        facts.push(Fact {
            label: "项目承办方".into(),
            value: operator.name.clone(),
        });
    }
    for party in &view.parties {
        facts.push(Fact {
            label: format!("{}（{}%）", party.name, party.weight),
            value: party
                .organization
                .as_ref()
                .map_or_else(|| "尚未指定".to_owned(), |o| o.name.clone()),
        });
    }
    facts
}

#[get("/evaluations/{id}")]
pub async fn page_of(
    state: web::Data<AppState>,
    me: WebUser,
    id: web::Path<i64>,
    query: web::Query<TabQuery>,
) -> HttpResponse {
    let id = id.into_inner();
    let view = match find_for(&state, &me, id).await {
        Ok(view) => view,
        Err(ApiError::NotFound(_)) => return not_found(),
        Err(error) => {
            tracing::error!(%error, "evaluation page");
            return not_found();
        }
    };
    let tab = match query.tab.as_deref() {
        Some("timeline") => "timeline",
        _ => "info",
    };
    let timeline = if tab == "timeline" {
        timeline_for(&state, &me, id).await.ok()
    } else {
        None
    };
    let deadlines = crate::domain::evaluation::Stage::ALL
        .iter()
        .filter_map(|stage| {
            view.deadlines.get(stage.code()).map(|date| Fact {
                label: stage_name(*stage).to_owned(),
                value: chinese_date(*date),
            })
        })
        .collect();
    page(
        Some(&me),
        &EvaluationPage {
            chrome: Some(Chrome::of(&me)),
            summary: row(&view, me.organization.id),
            steps: steps(view.state),
            cancelled: view.state == State::Cancelled,
            tab: tab.to_owned(),
            facts: facts(&view),
            deadlines,
            timeline,
        },
    )
}
