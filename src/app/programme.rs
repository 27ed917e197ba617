//! The programme level (DESIGN.md §8): the summary workbook (GET /evaluations.xlsx) and the
//! dashboards (GET /dashboard, /dashboard). Both read the evaluations the caller may see under
//! the list's filters from their stored standing, in a fixed number of queries, and show only
//! what the caller may see: a total before the draft is issued only to those who see submitted
//! components early, each party's component by the score view's rule.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::app::access::{Schemes, access_of};
use crate::app::error::AppError;
use crate::app::evaluations::{EvaluationListQuery, ListFilter, today};
use crate::app::standing::sees_totals_early;
use crate::app::views::Download;
use crate::auth::extractor::AuthenticatedUser;
use crate::auth::permissions::evaluation_scope;
use crate::db::evaluations::{self as store, STATION_PARTY, StandingRecord};
use crate::db::{self, DbConnection};
use crate::domain::components::may_see;
use crate::domain::evaluation::Kind;
use crate::domain::organization::OrgKind;
use crate::domain::points::Points;
use crate::domain::programme::{self, Figures, GradeRef, StandingRow};
use crate::domain::scheme::Scheme;
use crate::domain::workflow::State;
use crate::excel::summary::{Cell, Row, Sheet};
use crate::state::AppState;

/// The most evaluations one summary workbook holds; past it the caller is asked to narrow.
pub const WORKBOOK_LIMIT: i64 = 20_000;
/// The most evaluations one dashboard counts.
pub const DASHBOARD_LIMIT: i64 = 500_000;
/// How many weak indicators a dashboard names.
const WEAK_SHOWN: usize = 10;

/// The pinned schemes of the records, each parsed once.
fn schemes_of(
    conn: &mut DbConnection,
    records: &[StandingRecord],
) -> Result<HashMap<(String, i64), Scheme>, AppError> {
    let mut schemes = HashMap::new();
    for record in records {
        let key = (record.scheme_code.clone(), record.scheme_version);
        if schemes.contains_key(&key) {
            continue;
        }
        let row = db::schemes::find(conn, &key.0, Some(key.1))?
            .ok_or_else(|| anyhow::anyhow!("scheme {} version {} vanished", key.0, key.1))?;
        schemes.insert(key, row.scheme()?);
    }
    Ok(schemes)
}

fn grade_of(scheme: &Scheme, code: &str) -> Option<GradeRef> {
    scheme
        .bands
        .iter()
        .position(|b| b.code == code)
        .map(|rank| GradeRef {
            code: code.to_owned(),
            name: scheme.bands[rank].name.clone(),
            rank,
        })
}

/// One record as `early` (sees totals before the draft) may see it, today.
fn standing_row(
    record: &StandingRecord,
    schemes: &HashMap<(String, i64), Scheme>,
    early: bool,
    today: NaiveDate,
    agency: Option<(i64, String)>,
) -> Result<StandingRow, AppError> {
    let state = State::from_code(&record.state)
        .ok_or_else(|| anyhow::anyhow!("evaluation {} has state {}", record.id, record.state))?;
    let shown = early || state.draft_issued();
    let scheme = schemes.get(&(record.scheme_code.clone(), record.scheme_version));
    Ok(StandingRow {
        evaluation_id: record.id,
        station_id: record.station_id,
        station_name: record.station_name.clone(),
        district: record.district.clone(),
        state,
        assessment_start: record.assessment_start,
        total: record
            .total_hundredths
            .filter(|_| shown)
            .map(Points::from_hundredths),
        grade: record
            .grade_code
            .as_deref()
            .filter(|_| shown)
            .zip(scheme)
            .and_then(|(code, scheme)| grade_of(scheme, code)),
        overdue: record.due_on.is_some_and(|due| today > due),
        agency,
        weak: record
            .weak_indicators
            .split(',')
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect(),
    })
}

/// GET /dashboard: the filters of a dashboard.
#[derive(Debug, Default, Deserialize, Validate, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DashboardQuery {
    /// The station's district, e.g. 荔湾区.
    #[validate(length(max = 50, message = "所属区不能超过 50 个字符"))]
    pub district: Option<String>,
    /// The year the assessment period starts in.
    #[validate(range(min = 2000, max = 2100, message = "年份须在 2000 到 2100 之间"))]
    pub year: Option<i32>,
    /// mid_term or final_term.
    pub kind: Option<String>,
}

impl DashboardQuery {
    pub fn filter(&self) -> Result<ListFilter, AppError> {
        EvaluationListQuery {
            district: self.district.clone(),
            year: self.year,
            kind: self.kind.clone(),
            ..EvaluationListQuery::default()
        }
        .filter()
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StateLine {
    pub state: State,
    /// 阶段's Chinese name.
    pub name: String,
    pub count: i64,
    /// Of them, past the current deadline.
    pub overdue: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GradeLine {
    pub code: String,
    pub name: String,
    pub count: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DistrictLine {
    pub district: String,
    pub evaluations: i64,
    /// Evaluations with a total the caller may see.
    pub graded: i64,
    pub mean_total: Option<Points>,
    pub median_total: Option<Points>,
    pub grades: Vec<GradeLine>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgencyLine {
    pub organization_id: i64,
    pub name: String,
    pub evaluations: i64,
    pub graded: i64,
    pub mean_total: Option<Points>,
    pub median_total: Option<Points>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WeakIndicator {
    pub indicator: String,
    pub name: String,
    /// Evaluations whose completion of this indicator is below 80 %.
    pub below_80: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GradeName {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FallLine {
    pub station_id: i64,
    pub name: String,
    pub district: String,
    pub evaluation_id: i64,
    pub previous_evaluation_id: i64,
    pub previous_grade: GradeName,
    pub grade: GradeName,
}

/// GET /dashboard (DESIGN.md §8).
#[derive(Debug, Serialize, ToSchema)]
pub struct Dashboard {
    /// How many evaluations are counted.
    pub evaluations: i64,
    pub by_state: Vec<StateLine>,
    pub by_grade: Vec<GradeLine>,
    pub by_district: Vec<DistrictLine>,
    pub by_agency: Vec<AgencyLine>,
    /// The indicators most often below 80 % completion (self-assessments submitted).
    pub weak_indicators: Vec<WeakIndicator>,
    /// Stations whose grade fell since their previous evaluation.
    pub falling: Vec<FallLine>,
    /// The rectification items of the evaluations counted: open, overdue, waiting for the
    /// agency's verification, verified.
    pub rectification: crate::domain::rectification::ItemCounts,
}

fn grade_lines(counts: Vec<programme::GradeCount>) -> Vec<GradeLine> {
    counts
        .into_iter()
        .map(|g| GradeLine {
            code: g.code,
            name: g.name,
            count: g.count,
        })
        .collect()
}

/// The dashboard of the evaluations `me` may see under the filter.
pub async fn dashboard_for(
    state: &AppState,
    me: &AuthenticatedUser,
    filter: ListFilter,
) -> Result<Dashboard, AppError> {
    let today = today(state);
    let early = sees_totals_early(me);
    let scope = evaluation_scope(me);
    let filter = filter.for_caller(me, today);
    db::run(&state.pool, move |conn| {
        let records = store::standings(conn, &scope, &filter, DASHBOARD_LIMIT + 1)?;
        if records.len() as i64 > DASHBOARD_LIMIT {
            return Err(AppError::field(
                "year",
                format!("符合条件的评估超过 {DASHBOARD_LIMIT} 项，请先按区、年度缩小范围"),
            ));
        }
        let ids: Vec<i64> = records.iter().map(|r| r.id).collect();
        let mut agencies = store::party_orgs_of_kind(conn, &ids, OrgKind::EvaluationAgency.code())?;
        let schemes = schemes_of(conn, &records)?;
        let rows = records
            .iter()
            .map(|r| standing_row(r, &schemes, early, today, agencies.remove(&r.id)))
            .collect::<Result<Vec<_>, _>>()?;
        let graded: Vec<i64> = rows
            .iter()
            .filter(|r| r.grade.is_some())
            .map(|r| r.station_id)
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let history_records = store::graded_of_stations(conn, &scope, &graded)?;
        let history_schemes = schemes_of(conn, &history_records)?;
        let history = history_records
            .iter()
            .map(|r| standing_row(r, &history_schemes, early, today, None))
            .collect::<Result<Vec<_>, _>>()?;
        let indicator_names: HashMap<&str, &str> = schemes
            .values()
            .flat_map(|s| s.indicators.iter())
            .map(|i| (i.code.as_str(), i.name.as_str()))
            .collect();
        let grades = grade_lines(programme::by_grade(&rows));
        let rectification = db::rectifications::counts_of(conn, &ids, today)?
            .into_values()
            .fold(
                Default::default(),
                crate::domain::rectification::ItemCounts::plus,
            );
        Ok(Dashboard {
            rectification,
            evaluations: rows.len() as i64,
            by_state: programme::by_state(&rows)
                .into_iter()
                .map(|s| StateLine {
                    state: s.state,
                    name: s.state.chinese_name().to_owned(),
                    count: s.count,
                    overdue: s.overdue,
                })
                .collect(),
            by_grade: grades.clone(),
            by_district: programme::by_district(&rows)
                .into_iter()
                .map(|(district, line)| DistrictLine {
                    // The district's counts of the grades that occur, in their order.
                    grades: grades
                        .iter()
                        .filter_map(|g| {
                            line.grades
                                .get(&g.code)
                                .map(|&count| GradeLine { count, ..g.clone() })
                        })
                        .collect(),
                    district,
                    evaluations: line.evaluations,
                    graded: line.graded,
                    mean_total: line.mean_total,
                    median_total: line.median_total,
                })
                .collect(),
            by_agency: programme::by_agency(&rows)
                .into_iter()
                .map(|((id, name), line)| AgencyLine {
                    organization_id: id,
                    name,
                    evaluations: line.evaluations,
                    graded: line.graded,
                    mean_total: line.mean_total,
                    median_total: line.median_total,
                })
                .collect(),
            weak_indicators: programme::weak_indicator_counts(&rows, WEAK_SHOWN)
                .into_iter()
                .map(|(code, count)| WeakIndicator {
                    name: indicator_names
                        .get(code.as_str())
                        .map_or_else(|| code.clone(), |n| (*n).to_owned()),
                    indicator: code,
                    below_80: count,
                })
                .collect(),
            falling: programme::falling(&rows, &history)
                .into_iter()
                .map(|f| FallLine {
                    station_id: f.station_id,
                    name: f.station_name,
                    district: f.district,
                    evaluation_id: f.evaluation_id,
                    previous_evaluation_id: f.previous_evaluation_id,
                    previous_grade: GradeName {
                        code: f.previous_grade.code,
                        name: f.previous_grade.name,
                    },
                    grade: GradeName {
                        code: f.grade.code,
                        name: f.grade.name,
                    },
                })
                .collect(),
        })
    })
    .await
}

/// One evaluation's row of the sheet 评估结果, as the caller may see it.
struct ResultRow {
    district: String,
    street: String,
    station: String,
    operator: String,
    agency: String,
    kind: String,
    start: NaiveDate,
    end: NaiveDate,
    state: String,
    /// Party name → weighted component, where visible.
    parties: Vec<(String, Option<Points>)>,
    total: Option<Points>,
    grade: String,
    /// Indicator name → completion percent.
    indicators: Vec<(String, Option<Points>)>,
    staffing: Option<programme::StaffingFigures>,
    satisfaction: Option<Points>,
    /// Rectification items: open, overdue, waiting for verification, verified.
    items: crate::domain::rectification::ItemCounts,
}

/// GET /evaluations.xlsx: the summary workbook of the evaluations `me` may see under the list's
/// filters (sheets 评估结果 and 汇总).
pub async fn summary_workbook_for(
    state: &AppState,
    me: &AuthenticatedUser,
    filter: ListFilter,
) -> Result<Download, AppError> {
    let today = today(state);
    let early = sees_totals_early(me);
    let scope = evaluation_scope(me);
    let filter = filter.for_caller(me, today);
    let user = me.clone();
    let sheets = db::run(&state.pool, move |conn| {
        let records = store::standings(conn, &scope, &filter, WORKBOOK_LIMIT + 1)?;
        if records.len() as i64 > WORKBOOK_LIMIT {
            return Err(AppError::field(
                "year",
                format!("符合条件的评估超过 {WORKBOOK_LIMIT} 项，请先按区、年度缩小范围"),
            ));
        }
        let ids: Vec<i64> = records.iter().map(|r| r.id).collect();
        let details = store::details_of(conn, &ids)?;
        let mut figures = store::figures_of(conn, &ids)?;
        let items = db::rectifications::counts_of(conn, &ids, today)?;
        let schemes = schemes_of(conn, &records)?;
        let pinned = Schemes::of_all(&details)?;
        let mut standing = Vec::with_capacity(records.len());
        let mut results = Vec::with_capacity(records.len());
        for (record, detail) in records.iter().zip(&details) {
            let scheme = pinned.of(detail)?;
            let agency = scheme.third_party().and_then(|p| {
                detail
                    .parties
                    .iter()
                    .find(|(c, _)| *c == p.code)
                    .map(|(_, o)| (o.id, o.name.clone()))
            });
            let row = standing_row(record, &schemes, early, today, agency)?;
            let viewer_access = access_of(&user, detail, scheme);
            let viewer = viewer_access.viewer();
            let issued = row.state.draft_issued();
            let stored: Figures = figures
                .remove(&record.id)
                .and_then(|json| serde_json::from_str(&json).ok())
                .unwrap_or_default();
            let org_of = |code: &str| {
                detail
                    .parties
                    .iter()
                    .find(|(c, _)| c == code)
                    .map_or_else(String::new, |(_, o)| o.name.clone())
            };
            let item_counts = items.get(&record.id).copied().unwrap_or_default();
            results.push(ResultRow {
                district: record.district.clone(),
                street: record.street.clone(),
                station: record.station_name.clone(),
                operator: org_of(STATION_PARTY),
                agency: row
                    .agency
                    .as_ref()
                    .map_or_else(String::new, |(_, name)| name.clone()),
                kind: Kind::from_code(&record.kind)
                    .map_or_else(|| record.kind.clone(), |k| k.chinese_name().to_owned()),
                start: record.assessment_start,
                end: record.assessment_end,
                state: row.state.chinese_name().to_owned(),
                parties: scheme
                    .parties
                    .iter()
                    .filter(|p| !p.gate)
                    .map(|p| {
                        let figure = stored.parties.iter().find(|f| f.party == p.code);
                        let score = figure
                            .filter(|f| may_see(&viewer, &p.code, f.submitted, issued))
                            .and_then(|f| f.score);
                        (p.name.clone(), score)
                    })
                    .collect(),
                total: row.total,
                grade: row
                    .grade
                    .as_ref()
                    .map_or_else(String::new, |g| g.name.clone()),
                indicators: scheme
                    .indicators
                    .iter()
                    .map(|i| {
                        let percent = stored
                            .indicators
                            .iter()
                            .find(|f| f.indicator == i.code)
                            .and_then(|f| f.percent);
                        (i.name.clone(), percent)
                    })
                    .collect(),
                staffing: stored.staffing,
                satisfaction: stored.satisfaction,
                items: item_counts,
            });
            standing.push(row);
        }
        Ok::<_, AppError>(vec![results_sheet(&results), totals_sheet(&standing)])
    })
    .await?;
    let bytes = crate::excel::summary::write(&sheets)
        .map_err(|e| anyhow::anyhow!("summary workbook: {e}"))?;
    Ok(Download::workbook(bytes, "评估结果汇总.xlsx".to_owned()))
}

/// The column names of `rows`' named values in the order they first occur (schemes may differ).
fn columns_of<'a>(rows: impl Iterator<Item = &'a [(String, Option<Points>)]>) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for values in rows {
        for (name, _) in values {
            if !names.contains(name) {
                names.push(name.clone());
            }
        }
    }
    names
}

fn named(values: &[(String, Option<Points>)], name: &str) -> Cell {
    Cell::points(values.iter().find(|(n, _)| n == name).and_then(|(_, v)| *v))
}

fn results_sheet(results: &[ResultRow]) -> Sheet {
    let parties = columns_of(results.iter().map(|r| r.parties.as_slice()));
    let indicators = columns_of(results.iter().map(|r| r.indicators.as_slice()));
    let mut header: Vec<String> = [
        "所属区",
        "街道",
        "服务站",
        "承办机构",
        "评估机构",
        "评估类型",
        "考核期开始",
        "考核期结束",
        "阶段",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    header.extend(parties.iter().map(|p| format!("{p}得分")));
    header.extend(["总分".to_owned(), "等级".to_owned()]);
    header.extend(indicators.iter().map(|i| format!("{i}完成率(%)")));
    header.extend(
        [
            "应到社工(人)",
            "实到社工(人·月均)",
            "持证社工(人·月均)",
            "2年以上占比(%)",
            "稳岗率(%)",
            "人均培训(小时/人·月)",
            "服务对象满意度",
            "整改未完成",
            "整改逾期",
            "整改待核验",
            "整改已核验",
        ]
        .iter()
        .map(|s| (*s).to_owned()),
    );
    let mut rows = vec![Row::header(header)];
    for r in results {
        let mut cells = vec![
            Cell::text(&r.district),
            Cell::text(&r.street),
            Cell::text(&r.station),
            Cell::text(&r.operator),
            Cell::text(&r.agency),
            Cell::text(&r.kind),
            Cell::Date(r.start),
            Cell::Date(r.end),
            Cell::text(&r.state),
        ];
        cells.extend(parties.iter().map(|p| named(&r.parties, p)));
        cells.push(Cell::points(r.total));
        cells.push(Cell::text(&r.grade));
        cells.extend(indicators.iter().map(|i| named(&r.indicators, i)));
        match &r.staffing {
            Some(s) => cells.extend([
                Cell::Count(s.required_staff),
                Cell::points(s.on_post),
                Cell::points(s.certified),
                Cell::points(s.experienced_share),
                Cell::points(s.stability_rate),
                Cell::points(s.training_per_person_month),
            ]),
            None => cells.extend(std::iter::repeat_n(Cell::Empty, 6)),
        }
        cells.push(Cell::points(r.satisfaction));
        cells.extend([
            Cell::Count(r.items.open),
            Cell::Count(r.items.overdue),
            Cell::Count(r.items.answered),
            Cell::Count(r.items.verified),
        ]);
        rows.push(Row::data(cells));
    }
    Sheet {
        name: "评估结果".into(),
        rows,
    }
}

fn totals_sheet(rows: &[StandingRow]) -> Sheet {
    let grades = programme::by_grade(rows);
    let mut header: Vec<String> = vec!["所属区".into(), "评估数".into(), "已出总分".into()];
    header.extend(grades.iter().map(|g| g.name.clone()));
    header.extend(["平均分".to_owned(), "中位数".to_owned()]);
    let mut out = vec![Row::header(header)];
    for (district, line) in programme::by_district(rows) {
        let mut cells = vec![
            Cell::Text(district),
            Cell::Count(line.evaluations),
            Cell::Count(line.graded),
        ];
        cells.extend(
            grades
                .iter()
                .map(|g| Cell::Count(line.grades.get(&g.code).copied().unwrap_or(0))),
        );
        cells.extend([
            Cell::points(line.mean_total),
            Cell::points(line.median_total),
        ]);
        out.push(Row::data(cells));
    }
    out.push(Row::blank());
    out.push(Row::header(
        ["评估机构", "评估数", "已出总分", "平均分", "中位数"]
            .iter()
            .map(|s| (*s).to_owned()),
    ));
    for ((_, name), line) in programme::by_agency(rows) {
        out.push(Row::data(vec![
            Cell::Text(name),
            Cell::Count(line.evaluations),
            Cell::Count(line.graded),
            Cell::points(line.mean_total),
            Cell::points(line.median_total),
        ]));
    }
    Sheet {
        name: "汇总".into(),
        rows: out,
    }
}
