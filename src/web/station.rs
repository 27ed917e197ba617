//! A station's page (`/stations/{id}`): who runs, buys and supervises it, and its evaluations
//! over the years with their totals and grades, as the user may see them.

use actix_web::{HttpResponse, get, web};
use askama::Template;

use super::session::WebUser;
use super::{Chrome, page};
use crate::app::evaluations::station_evaluations_for;
use crate::app::stations::{StationView, one_for};
use crate::state::AppState;

/// One evaluation of the station.
struct HistoryRow {
    id: i64,
    year: i32,
    kind: &'static str,
    period: String,
    state: &'static str,
    /// "—" until a total is visible to the user.
    total: String,
    grade: String,
}

#[derive(Template)]
#[template(path = "station.html")]
struct StationPage {
    chrome: Option<Chrome>,
    station: StationView,
    rows: Vec<HistoryRow>,
}

#[get("/stations/{id}")]
pub async fn show(state: web::Data<AppState>, me: WebUser, id: web::Path<i64>) -> HttpResponse {
    let id = id.into_inner();
    let station = match one_for(&state, &me, id).await {
        Ok(station) => station,
        Err(error) => return super::error_page(&me, error),
    };
    let all = crate::db::Page {
        page: 1,
        per_page: 100,
    };
    let views = match station_evaluations_for(&state, &me, id, all).await {
        Ok((views, _)) => views,
        Err(error) => return super::error_page(&me, error),
    };
    let rows = views
        .iter()
        .map(|v| HistoryRow {
            id: v.id,
            year: chrono::Datelike::year(&v.assessment_start),
            kind: v.kind.chinese_name(),
            period: format!("{} 至 {}", v.assessment_start, v.assessment_end),
            state: v.state.chinese_name(),
            total: v
                .score
                .as_ref()
                .map_or_else(|| "—".to_owned(), |s| s.total.to_string()),
            grade: v
                .score
                .as_ref()
                .map_or_else(|| "—".to_owned(), |s| s.grade.name.clone()),
        })
        .collect();
    page(
        Some(&me),
        &StationPage {
            chrome: Some(Chrome::of(&me)),
            station,
            rows,
        },
    )
}
