//! 统计 (/dashboard): the dashboard of the evaluations the user may see — a bureau its district,
//! the municipal bureau the city by district, an agency its evaluations — as bar charts drawn on
//! the server (SVG, no script) with their figures as tables; and the summary workbook of
//! 我的待办's filters (/evaluations.xlsx).

use actix_web::{HttpResponse, get, web};
use askama::Template;
use serde::Deserialize;

use super::session::WebUser;
use super::{Chrome, page};
use crate::app::evaluations::ListFilter;
use crate::app::programme::{Dashboard, dashboard_for, summary_workbook_for};
use crate::db::evaluations::ListFilter as StoredFilter;
use crate::domain::evaluation::Kind;
use crate::domain::points::Points;
use crate::state::AppState;

/// Width of a full bar in the charts' coordinates (the SVG scales to the column).
const BAR_SPAN: i64 = 200;

/// One bar of a chart with the figures of its table row.
pub struct Bar {
    pub label: String,
    /// Where the label links (a station), if anywhere.
    pub link: Option<String>,
    /// The bar's length, 0..=BAR_SPAN.
    pub length: i64,
    /// The part drawn as alarming (overdue), 0..=length.
    pub alarm: i64,
    /// What the bar's end says.
    pub value: String,
    /// The cells of the table row after the label.
    pub cells: Vec<String>,
}

/// A chart and its table.
pub struct Chart {
    pub id: &'static str,
    pub title: &'static str,
    /// The table's column names after the label's.
    pub label_header: &'static str,
    pub headers: Vec<&'static str>,
    pub bars: Vec<Bar>,
    /// Said when there is nothing to draw.
    pub empty: &'static str,
}

impl Chart {
    /// The SVG's height for its bars (one row of 30 units each).
    fn height(&self) -> usize {
        self.bars.len() * 30 + 4
    }
}

/// `value` as a length of at most BAR_SPAN against `max` (integers only).
fn length(value: i64, max: i64) -> i64 {
    if max <= 0 {
        0
    } else {
        (value.clamp(0, max) * BAR_SPAN + max / 2) / max
    }
}

fn points_text(value: Option<Points>) -> String {
    value.map_or_else(|| "—".to_owned(), |p| p.to_string())
}

fn charts(dashboard: &Dashboard) -> Vec<Chart> {
    let most = |counts: &mut dyn Iterator<Item = i64>| counts.max().unwrap_or(0);
    let state_max = most(&mut dashboard.by_state.iter().map(|s| s.count));
    let grade_max = most(&mut dashboard.by_grade.iter().map(|g| g.count));
    let total_max = most(
        &mut dashboard
            .by_district
            .iter()
            .filter_map(|d| d.mean_total)
            .chain(dashboard.by_agency.iter().filter_map(|a| a.mean_total))
            .map(Points::hundredths),
    );
    let weak_max = most(&mut dashboard.weak_indicators.iter().map(|w| w.below_80));
    let mean_bar = |mean: Option<Points>| mean.map_or(0, |m| length(m.hundredths(), total_max));
    vec![
        Chart {
            id: "by-state",
            title: "各阶段评估数",
            label_header: "阶段",
            headers: vec!["评估数", "已逾期"],
            bars: dashboard
                .by_state
                .iter()
                .map(|s| Bar {
                    label: s.name.clone(),
                    link: None,
                    length: length(s.count, state_max),
                    alarm: length(s.overdue, state_max),
                    value: if s.overdue > 0 {
                        format!("{}（逾期 {}）", s.count, s.overdue)
                    } else {
                        s.count.to_string()
                    },
                    cells: vec![s.count.to_string(), s.overdue.to_string()],
                })
                .collect(),
            empty: "没有评估。",
        },
        Chart {
            id: "by-grade",
            title: "等级分布",
            label_header: "等级",
            headers: vec!["评估数"],
            bars: dashboard
                .by_grade
                .iter()
                .map(|g| Bar {
                    label: g.name.clone(),
                    link: None,
                    length: length(g.count, grade_max),
                    alarm: 0,
                    value: g.count.to_string(),
                    cells: vec![g.count.to_string()],
                })
                .collect(),
            empty: "尚无可查看的总分。",
        },
        Chart {
            id: "by-district",
            title: "各区平均分",
            label_header: "区",
            headers: vec!["评估数", "已出总分", "平均分", "中位数"],
            bars: dashboard
                .by_district
                .iter()
                .map(|d| Bar {
                    label: d.district.clone(),
                    link: None,
                    length: mean_bar(d.mean_total),
                    alarm: 0,
                    value: points_text(d.mean_total),
                    cells: vec![
                        d.evaluations.to_string(),
                        d.graded.to_string(),
                        points_text(d.mean_total),
                        points_text(d.median_total),
                    ],
                })
                .collect(),
            empty: "没有评估。",
        },
        Chart {
            id: "by-agency",
            title: "各评估机构平均分",
            label_header: "评估机构",
            headers: vec!["评估数", "已出总分", "平均分", "中位数"],
            bars: dashboard
                .by_agency
                .iter()
                .map(|a| Bar {
                    label: a.name.clone(),
                    link: None,
                    length: mean_bar(a.mean_total),
                    alarm: 0,
                    value: points_text(a.mean_total),
                    cells: vec![
                        a.evaluations.to_string(),
                        a.graded.to_string(),
                        points_text(a.mean_total),
                        points_text(a.median_total),
                    ],
                })
                .collect(),
            empty: "没有评估。",
        },
        Chart {
            id: "weak",
            title: "完成率低于 80% 最多的指标",
            label_header: "指标",
            headers: vec!["低于 80% 的评估数"],
            bars: dashboard
                .weak_indicators
                .iter()
                .map(|w| Bar {
                    label: w.name.clone(),
                    link: None,
                    length: length(w.below_80, weak_max),
                    alarm: length(w.below_80, weak_max),
                    value: w.below_80.to_string(),
                    cells: vec![w.below_80.to_string()],
                })
                .collect(),
            empty: "没有完成率低于 80% 的指标。",
        },
    ]
}

/// A station whose grade fell, as the page lists it.
pub struct Fall {
    pub station_id: i64,
    pub name: String,
    pub district: String,
    pub evaluation_id: i64,
    pub previous: String,
    pub grade: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    chrome: Option<Chrome>,
    filters: Filters,
    kinds: Vec<(&'static str, &'static str)>,
    notices: Vec<String>,
    evaluations: i64,
    charts: Vec<Chart>,
    falls: Vec<Fall>,
    /// The rectification items of the evaluations counted.
    items: crate::domain::rectification::ItemCounts,
    /// The address of the summary workbook of the same filters.
    workbook: String,
}

impl DashboardPage {
    fn shown<'a>(&self, value: &'a Option<String>) -> &'a str {
        value.as_deref().unwrap_or("")
    }
}

/// The dashboard's filters as the address carries them, read leniently (a value that cannot be
/// one is ignored, and said so).
#[derive(Debug, Default, Deserialize)]
pub struct Filters {
    district: Option<String>,
    year: Option<String>,
    kind: Option<String>,
}

impl Filters {
    fn read(&self) -> (ListFilter, Vec<String>) {
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
        let filter = ListFilter {
            stored: StoredFilter {
                district: text(&self.district),
                year,
                kind: text(&self.kind).filter(|k| Kind::from_code(k).is_some()),
                ..StoredFilter::default()
            },
            ..ListFilter::default()
        };
        (filter, notices)
    }

    /// The same filters in an address's query.
    fn query(&self) -> String {
        let pairs: Vec<(&str, &str)> = [
            ("district", &self.district),
            ("year", &self.year),
            ("kind", &self.kind),
        ]
        .into_iter()
        .filter_map(|(name, value)| {
            value
                .as_deref()
                .filter(|v| !v.trim().is_empty())
                .map(|v| (name, v))
        })
        .collect();
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

#[get("/dashboard")]
pub async fn show(
    state: web::Data<AppState>,
    me: WebUser,
    filters: web::Query<Filters>,
) -> HttpResponse {
    let filters = filters.into_inner();
    let (filter, notices) = filters.read();
    let dashboard = match dashboard_for(&state, &me, filter).await {
        Ok(found) => found,
        Err(error) => return super::error_page(&me, error),
    };
    let falls = dashboard
        .falling
        .iter()
        .map(|f| Fall {
            station_id: f.station_id,
            name: f.name.clone(),
            district: f.district.clone(),
            evaluation_id: f.evaluation_id,
            previous: f.previous_grade.name.clone(),
            grade: f.grade.name.clone(),
        })
        .collect();
    let query = filters.query();
    page(
        Some(&me),
        &DashboardPage {
            chrome: Some(Chrome::of(&me)),
            kinds: [Kind::MidTerm, Kind::FinalTerm]
                .iter()
                .map(|k| (k.code(), k.chinese_name()))
                .collect(),
            notices,
            evaluations: dashboard.evaluations,
            charts: charts(&dashboard),
            items: dashboard.rectification,
            falls,
            workbook: format!("/evaluations.xlsx?{query}"),
            filters,
        },
    )
}

/// The summary workbook of 我的待办's filters, read as 我的待办 reads them.
#[get("/evaluations.xlsx")]
pub async fn workbook(
    state: web::Data<AppState>,
    me: WebUser,
    filters: web::Query<super::home::Filters>,
) -> HttpResponse {
    let (filter, _, _) = filters.read();
    summary_workbook_for(&state, &me, filter)
        .await
        .map_or_else(|error| super::error_page(&me, error), crate::http::download)
}
