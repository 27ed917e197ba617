//! 我的待办: the evaluations the user's organization takes part in, what waits on whom and by
//! when (overdue in red), filtered in the address (state, kind, district, year, station name)
//! and paged. For a bureau or the
//! municipal bureau it is also the list of every evaluation they oversee.

use actix_web::{HttpResponse, get, web};
use askama::Template;
use serde::Deserialize;

use super::session::WebUser;
use super::{Chrome, page};
use crate::app::evaluations::ListFilter;
use crate::app::evaluations::{EvaluationView, list_for};
use crate::db::evaluations::ListFilter as StoredFilter;
use crate::domain::evaluation::Kind;
use crate::domain::organization::OrgKind;
use crate::domain::workflow::State;
use crate::notify::catalog::chinese_date;
use crate::state::AppState;

/// One line of the list.
pub struct Row {
    pub id: i64,
    pub station_id: i64,
    pub station: String,
    pub district: String,
    pub kind: &'static str,
    pub year: i32,
    pub state_code: String,
    pub state: &'static str,
    /// What each party must do now (`domain::next_step`), the user's organization's first.
    pub steps: Vec<StepLine>,
    pub overdue: bool,
    /// Does a next step wait on the user's own organization?
    pub mine: bool,
    pub result: Option<String>,
}

/// One party's next step in words: who, what, by when.
pub struct StepLine {
    /// The organization (or the party's name while none is named; 社工站 for the station).
    pub who: String,
    /// "答复异议 2 条、提交民政局审定".
    pub what: String,
    /// "2025年5月6日截止"; none for steps without a deadline.
    pub due: Option<String>,
    pub overdue: bool,
    pub mine: bool,
}

impl StepLine {
    /// "提交自评 · 2025年5月6日截止".
    pub fn what_and_when(&self) -> String {
        match &self.due {
            Some(due) => format!("{} · {due}", self.what),
            None => self.what.clone(),
        }
    }
}

impl Row {
    /// The user's organization's own steps.
    pub fn own_steps(&self) -> impl Iterator<Item = &StepLine> {
        self.steps.iter().filter(|s| s.mine)
    }
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    chrome: Option<Chrome>,
    rows: Vec<Row>,
    states: Vec<(&'static str, &'static str)>,
    kinds: Vec<(&'static str, &'static str)>,
    /// The schemes' grade bands: (code, name).
    grades: Vec<(String, String)>,
    filters: Filters,
    /// Whether the user sees more than one district (the 区 field is shown).
    many_districts: bool,
    /// Problems with the filters as typed (ignored, and said so).
    notices: Vec<String>,
    /// The evaluations where the user's organization has a next step, the overdue first.
    waiting: Vec<Row>,
    /// Rectification items whose next step is the user's organization's.
    items: Vec<crate::app::rectifications::WaitingItem>,
    total: i64,
    page: i64,
    pages: i64,
}

impl HomePage {
    /// The address of another page of this list, with the same filters.
    fn page_link(&self, page: i64) -> String {
        let mut query = self.filter_pairs();
        query.push(("page", page.to_string()));
        format!(
            "/?{}",
            serde_urlencoded::to_string(&query).unwrap_or_default()
        )
    }

    /// The summary workbook of the list as filtered.
    fn workbook_link(&self) -> String {
        format!(
            "/evaluations.xlsx?{}",
            serde_urlencoded::to_string(self.filter_pairs()).unwrap_or_default()
        )
    }

    fn filter_pairs(&self) -> Vec<(&'static str, String)> {
        let mut query: Vec<(&'static str, String)> = Vec::new();
        for (name, value) in [
            ("state", &self.filters.state),
            ("kind", &self.filters.kind),
            ("district", &self.filters.district),
            ("year", &self.filters.year),
            ("q", &self.filters.q),
            ("grade", &self.filters.grade),
            ("overdue", &self.filters.overdue),
        ] {
            if let Some(value) = value.as_deref().filter(|v| !v.is_empty()) {
                query.push((name, value.to_owned()));
            }
        }
        query
    }

    fn shown<'a>(&self, value: &'a Option<String>) -> &'a str {
        value.as_deref().unwrap_or("")
    }
}

/// The filters of the list as the address carries them (so a filtered list can be bookmarked):
/// the API's filters of `GET /evaluations`, typed by people, so read leniently.
#[derive(Debug, Default, Deserialize)]
pub struct Filters {
    state: Option<String>,
    kind: Option<String>,
    district: Option<String>,
    year: Option<String>,
    /// Part of the station's name.
    q: Option<String>,
    /// A grade band's code.
    grade: Option<String>,
    /// "1": only the overdue.
    overdue: Option<String>,
    page: Option<String>,
}

/// Rows per page of the list.
const PER_PAGE: i64 = 50;

impl Filters {
    /// The filter for the list, and a notice for each value that cannot be one.
    pub(crate) fn read(&self) -> (ListFilter, i64, Vec<String>) {
        let text = |value: &Option<String>| {
            value
                .as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(|v| v.chars().take(50).collect::<String>())
        };
        let mut notices = Vec::new();
        let year = text(&self.year).and_then(|y| match y.parse::<i32>() {
            Ok(year) if (2000..=2100).contains(&year) => Some(year),
            _ => {
                notices.push(format!(
                    "年度“{y}”不是 2000 到 2100 之间的年份，未按年度筛选"
                ));
                None
            }
        });
        let state = text(&self.state).filter(|s| State::from_code(s).is_some());
        let kind = text(&self.kind).filter(|k| Kind::from_code(k).is_some());
        let page = text(&self.page)
            .and_then(|p| p.parse::<i64>().ok())
            .unwrap_or(1)
            .clamp(1, 1_000_000);
        let filter = ListFilter {
            stored: StoredFilter {
                district: text(&self.district),
                year,
                kind,
                state,
                q: text(&self.q),
                ..StoredFilter::default()
            },
            grade: text(&self.grade),
            overdue: text(&self.overdue).map(|_| true),
        };
        (filter, page, notices)
    }
}

fn party_name(view: &EvaluationView, code: &str) -> String {
    if code == crate::domain::evaluation::STATION_PARTY {
        return "社工站".into();
    }
    view.parties
        .iter()
        .find(|p| p.code == code)
        .map(|p| p.name.clone())
        .unwrap_or_else(|| code.to_owned())
}

pub fn row(view: &EvaluationView, organization_id: i64) -> Row {
    let mut steps: Vec<StepLine> = view
        .next_steps
        .iter()
        .map(|step| StepLine {
            who: step
                .organization
                .as_ref()
                .filter(|_| step.party != crate::domain::evaluation::STATION_PARTY)
                .map_or_else(|| party_name(view, &step.party), |o| o.name.clone()),
            what: step.what.clone(),
            due: step.due_on.map(|d| format!("{}截止", chinese_date(d))),
            overdue: step.overdue,
            mine: step
                .organization
                .as_ref()
                .is_some_and(|o| o.id == organization_id),
        })
        .collect();
    steps.sort_by_key(|s| !s.mine);
    Row {
        id: view.id,
        station_id: view.station.id,
        station: view.station.name.clone(),
        district: view.station.district.clone(),
        kind: Kind::chinese_name(view.kind),
        year: chrono::Datelike::year(&view.assessment_start),
        state_code: view.state.code().to_owned(),
        state: view.state.chinese_name(),
        overdue: steps.iter().any(|s| s.overdue),
        mine: steps.iter().any(|s| s.mine),
        steps,
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
    let filters = filters.into_inner();
    let (filter, at_page, notices) = filters.read();
    let at = crate::db::Page {
        page: at_page,
        per_page: PER_PAGE,
    };
    let (views, total) = match list_for(&state, &me, filter, at).await {
        Ok(found) => found,
        Err(error) => return super::error_page(&me, error),
    };
    let waiting = match crate::app::evaluations::waiting_on_for(&state, &me).await {
        Ok(views) => views.iter().map(|v| row(v, me.organization.id)).collect(),
        Err(error) => return super::error_page(&me, error),
    };
    let items = match crate::app::rectifications::waiting_for(&state, &me).await {
        Ok(items) => items,
        Err(error) => return super::error_page(&me, error),
    };
    let grades = match crate::app::schemes::grade_bands_for(&state).await {
        Ok(grades) => grades,
        Err(error) => return super::error_page(&me, error),
    };
    let rows: Vec<Row> = views.iter().map(|v| row(v, me.organization.id)).collect();
    let states = State::ALL
        .iter()
        .map(|s| (s.code(), s.chinese_name()))
        .collect();
    let kinds = [Kind::MidTerm, Kind::FinalTerm]
        .iter()
        .map(|k| (k.code(), k.chinese_name()))
        .collect();
    let many_districts = me.is_admin()
        || matches!(
            me.organization.kind,
            OrgKind::MunicipalBureau | OrgKind::EvaluationAgency | OrgKind::SupervisionCenter
        );
    page(
        Some(&me),
        &HomePage {
            chrome: Some(Chrome::of(&me)),
            rows,
            states,
            kinds,
            grades,
            filters,
            many_districts,
            notices,
            waiting,
            items,
            total,
            page: at_page,
            pages: (total + PER_PAGE - 1) / PER_PAGE,
        },
    )
}
