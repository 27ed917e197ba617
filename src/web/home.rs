//! 我的待办: the evaluations the user's organization takes part in, what waits on whom and by
//! when (overdue in red), with filters by state, district and year. For a bureau or the
//! municipal bureau it is also the list of every evaluation they oversee.

use actix_web::{HttpResponse, get, web};
use askama::Template;
use serde::Deserialize;

use super::session::WebUser;
use super::{Chrome, page};
use crate::app::evaluations::{EvaluationView, list_for};
use crate::app::input::PageQuery;
use crate::domain::evaluation::Kind;
use crate::notify::catalog::{chinese_date, stage_name};
use crate::state::AppState;

/// One line of the list.
pub struct Row {
    pub id: i64,
    pub station: String,
    pub district: String,
    pub kind: &'static str,
    pub year: i32,
    pub state_code: String,
    pub state: &'static str,
    /// "自评 · 2025年5月6日 · 社工站" while a stage runs.
    pub waiting: Option<String>,
    pub overdue: bool,
    /// Does the next step wait on the user's own organization?
    pub mine: bool,
    pub result: Option<String>,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    chrome: Option<Chrome>,
    rows: Vec<Row>,
    states: Vec<(&'static str, &'static str)>,
    years: Vec<i32>,
    districts: Vec<String>,
    state: String,
    year: Option<i32>,
    district: String,
}

#[derive(Debug, Deserialize)]
pub struct Filters {
    state: Option<String>,
    year: Option<i32>,
    district: Option<String>,
}

fn party_name(view: &EvaluationView, code: &str) -> String {
    if code == crate::domain::evaluation::STATION_PARTY {
        return "社工站".into();
    }
    view.parties
        .iter()
        .find(|p| p.code == code)
        .map(|p| {
            p.organization
                .as_ref()
                .map_or_else(|| p.name.clone(), |o| o.name.clone())
        })
        .unwrap_or_else(|| code.to_owned())
}

pub fn row(view: &EvaluationView, organization_id: i64) -> Row {
    let owing_orgs: Vec<i64> = view
        .next_deadline
        .as_ref()
        .map(|next| {
            next.parties
                .iter()
                .filter_map(|p| {
                    if p.party == crate::domain::evaluation::STATION_PARTY {
                        view.station_operator.as_ref().map(|o| o.id)
                    } else {
                        view.parties
                            .iter()
                            .find(|party| party.code == p.party)
                            .and_then(|party| party.organization.as_ref().map(|o| o.id))
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    Row {
        id: view.id,
        station: view.station.name.clone(),
        district: view.station.district.clone(),
        kind: Kind::chinese_name(view.kind),
        year: chrono::Datelike::year(&view.assessment_start),
        state_code: view.state.code().to_owned(),
        state: view.state.chinese_name(),
        waiting: view.next_deadline.as_ref().map(|next| {
            let who: Vec<String> = next
                .parties
                .iter()
                .map(|p| party_name(view, &p.party))
                .collect();
            format!(
                "{} · {}截止 · {}",
                stage_name(next.stage),
                chinese_date(next.due_on),
                who.join("、")
            )
        }),
        overdue: view.next_deadline.as_ref().is_some_and(|n| n.overdue),
        mine: owing_orgs.contains(&organization_id),
        result: view
            .score
            .as_ref()
            .map(|s| format!("{} 分 {}", s.total, s.grade.name)),
    }
}

#[get("/")]
pub async fn home(
    state: web::Data<AppState>,
    me: WebUser,
    filters: web::Query<Filters>,
) -> HttpResponse {
    let page_query = PageQuery {
        page: Some(1),
        per_page: Some(100),
    };
    let views = match list_for(&state, &me, Default::default(), page_query.page()).await {
        Ok((views, _)) => views,
        Err(error) => return super::error_page(&me, error),
    };
    let mut rows: Vec<Row> = views.iter().map(|v| row(v, me.organization.id)).collect();
    let mut years: Vec<i32> = rows.iter().map(|r| r.year).collect();
    years.sort_unstable();
    years.dedup();
    years.reverse();
    let mut districts: Vec<String> = rows.iter().map(|r| r.district.clone()).collect();
    districts.sort_unstable();
    districts.dedup();
    let district = filters.district.clone().unwrap_or_default();
    rows.retain(|r| district.is_empty() || r.district == district);
    let wanted = filters.state.clone().unwrap_or_default();
    rows.retain(|r| wanted.is_empty() || r.state_code == wanted);
    rows.retain(|r| filters.year.is_none_or(|y| r.year == y));
    // What waits on the user's organization first, the overdue first among them, then by date.
    rows.sort_by_key(|r| {
        (
            !r.mine,
            !r.overdue,
            r.waiting.is_none(),
            std::cmp::Reverse(r.id),
        )
    });
    let states = crate::domain::workflow::State::ALL
        .iter()
        .map(|s| (s.code(), s.chinese_name()))
        .collect();
    page(
        Some(&me),
        &HomePage {
            chrome: Some(Chrome::of(&me)),
            rows,
            states,
            years,
            districts,
            state: wanted,
            year: filters.year,
            district,
        },
    )
}
