//! The programme level (DESIGN.md §8): what one evaluation contributes to the summaries — its
//! figures, stored with its standing — and the pure aggregations of a district's or a city's
//! evaluations into the dashboard's and the summary workbook's tables. Exact arithmetic only:
//! means and medians are rounded half-up to two places.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::indicators::IndicatorTable;
use super::points::Points;
use super::staffing::Metrics;
use super::workflow::State;

/// An indicator is weak below this completion (percent).
pub const WEAK_BELOW: Points = Points::from_hundredths(8_000);

/// What one evaluation contributes to the summaries besides its total: each party's weighted
/// component, each indicator's completion of the station totals, the staffing figures, the
/// satisfaction survey's rate.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Figures {
    /// In the scheme's order.
    pub parties: Vec<PartyFigure>,
    /// In the scheme's order.
    pub indicators: Vec<IndicatorFigure>,
    pub staffing: Option<StaffingFigures>,
    /// 满意度 (percent, or the mean score where the scheme says so); None before anyone is
    /// reached or without a questionnaire. Absent from figures stored before the survey.
    #[serde(default)]
    pub satisfaction: Option<Points>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartyFigure {
    pub party: String,
    /// The weighted component; None until entered (a gate has none).
    pub score: Option<Points>,
    pub submitted: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndicatorFigure {
    pub indicator: String,
    /// Completion of the station total, percent; None without a target or a completion.
    pub percent: Option<Points>,
}

/// The staffing figures of the summary: 应到, 实到, 持证, 2年以上, 稳岗率, 人均培训.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffingFigures {
    /// 应到: the agreement's required staff.
    pub required_staff: i64,
    /// 实到: person-months on post per month of the period.
    pub on_post: Option<Points>,
    /// 持证: certified person-months per month.
    pub certified: Option<Points>,
    /// 2年以上: percent of person-months by workers with two or more years of practice.
    pub experienced_share: Option<Points>,
    /// 稳岗率, percent.
    pub stability_rate: Option<Points>,
    /// 人均培训: training hours per person-month.
    pub training_per_person_month: Option<Points>,
}

impl StaffingFigures {
    pub fn of(metrics: &Metrics) -> StaffingFigures {
        StaffingFigures {
            required_staff: metrics.required_staff,
            on_post: metrics.total_person_months.ratio(metrics.months),
            certified: metrics.certified_person_months.ratio(metrics.months),
            experienced_share: metrics.experienced_share,
            stability_rate: metrics.stability_rate,
            training_per_person_month: metrics.training_hours_per_person_month,
        }
    }
}

/// Each indicator's completion of the station totals, in the table's order.
pub fn indicator_figures(table: &IndicatorTable) -> Vec<IndicatorFigure> {
    table
        .totals
        .iter()
        .map(|t| IndicatorFigure {
            indicator: t.indicator.clone(),
            percent: t.percent,
        })
        .collect()
}

/// The indicators below `WEAK_BELOW`, in order.
pub fn weak_indicators(figures: &[IndicatorFigure]) -> Vec<String> {
    figures
        .iter()
        .filter(|f| f.percent.is_some_and(|p| p < WEAK_BELOW))
        .map(|f| f.indicator.clone())
        .collect()
}

/// The states whose completions are final enough to count (the self-assessment is submitted and
/// the evaluation goes on).
pub fn completions_count(state: State) -> bool {
    matches!(
        state,
        State::OnsiteScoring | State::DraftFeedback | State::BureauReview | State::Final
    )
}

/// Σ / n, half-up to two places; None for no values.
pub fn mean(values: &[Points]) -> Option<Points> {
    let sum: i128 = values.iter().map(|v| i128::from(v.hundredths())).sum();
    Points::rounded_ratio(sum, values.len() as i128)
}

/// The middle value, or the mean of the two middle values half-up; None for no values.
pub fn median(values: &[Points]) -> Option<Points> {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    if n % 2 == 1 {
        return Some(sorted[n / 2]);
    }
    let pair = i128::from(sorted[n / 2 - 1].hundredths()) + i128::from(sorted[n / 2].hundredths());
    Points::rounded_ratio(pair, 2)
}

/// A grade band as a summary names it; `rank` 0 is the best band of its scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GradeRef {
    pub code: String,
    pub name: String,
    pub rank: usize,
}

/// One evaluation as the dashboards count it, with what the caller may see of it.
#[derive(Debug, Clone)]
pub struct StandingRow {
    pub evaluation_id: i64,
    pub station_id: i64,
    pub station_name: String,
    pub district: String,
    pub state: State,
    pub assessment_start: NaiveDate,
    /// The total and grade, where the caller may see them.
    pub total: Option<Points>,
    pub grade: Option<GradeRef>,
    pub overdue: bool,
    /// The evaluation agency.
    pub agency: Option<(i64, String)>,
    /// Indicators below 80 % (counted once the completions are final).
    pub weak: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StateCount {
    pub state: State,
    pub count: i64,
    pub overdue: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GradeCount {
    pub code: String,
    pub name: String,
    pub count: i64,
}

/// A group of evaluations (a district, an agency) with its totals' mean and median.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupLine {
    pub evaluations: i64,
    /// Evaluations with a total the caller may see.
    pub graded: i64,
    pub mean_total: Option<Points>,
    pub median_total: Option<Points>,
    /// Grade code → count, for the grades of `grades`.
    pub grades: BTreeMap<String, i64>,
}

fn group_line<'a>(rows: impl Iterator<Item = &'a StandingRow>) -> GroupLine {
    let mut evaluations = 0;
    let mut totals = Vec::new();
    let mut grades = BTreeMap::new();
    for row in rows {
        evaluations += 1;
        if let Some(total) = row.total {
            totals.push(total);
        }
        if let Some(grade) = &row.grade {
            *grades.entry(grade.code.clone()).or_insert(0) += 1;
        }
    }
    GroupLine {
        evaluations,
        graded: totals.len() as i64,
        mean_total: mean(&totals),
        median_total: median(&totals),
        grades,
    }
}

/// Counts by state in the workflow's order, with how many have passed their deadline.
pub fn by_state(rows: &[StandingRow]) -> Vec<StateCount> {
    State::ALL
        .into_iter()
        .filter_map(|state| {
            let of_state: Vec<&StandingRow> = rows.iter().filter(|r| r.state == state).collect();
            (!of_state.is_empty()).then(|| StateCount {
                state,
                count: of_state.len() as i64,
                overdue: of_state.iter().filter(|r| r.overdue).count() as i64,
            })
        })
        .collect()
}

/// The grades that occur, best first, each with its count.
pub fn by_grade(rows: &[StandingRow]) -> Vec<GradeCount> {
    let mut found: Vec<(usize, String, String, i64)> = Vec::new();
    for grade in rows.iter().filter_map(|r| r.grade.as_ref()) {
        match found.iter_mut().find(|(_, code, _, _)| *code == grade.code) {
            Some(entry) => entry.3 += 1,
            None => found.push((grade.rank, grade.code.clone(), grade.name.clone(), 1)),
        }
    }
    found.sort_by_key(|(rank, ..)| *rank);
    found
        .into_iter()
        .map(|(_, code, name, count)| GradeCount { code, name, count })
        .collect()
}

/// Each district, by name.
pub fn by_district(rows: &[StandingRow]) -> Vec<(String, GroupLine)> {
    let mut districts: BTreeMap<&str, Vec<&StandingRow>> = BTreeMap::new();
    for row in rows {
        districts.entry(&row.district).or_default().push(row);
    }
    districts
        .into_iter()
        .map(|(district, rows)| (district.to_owned(), group_line(rows.into_iter())))
        .collect()
}

/// Each evaluation agency, by name.
pub fn by_agency(rows: &[StandingRow]) -> Vec<((i64, String), GroupLine)> {
    let mut agencies: BTreeMap<(&str, i64), Vec<&StandingRow>> = BTreeMap::new();
    for row in rows {
        if let Some((id, name)) = &row.agency {
            agencies.entry((name, *id)).or_default().push(row);
        }
    }
    agencies
        .into_iter()
        .map(|((name, id), rows)| ((id, name.to_owned()), group_line(rows.into_iter())))
        .collect()
}

/// The indicators most often below 80 %, most frequent first (ties by code), at most `limit`.
pub fn weak_indicator_counts(rows: &[StandingRow], limit: usize) -> Vec<(String, i64)> {
    let mut counts: HashMap<&str, i64> = HashMap::new();
    for row in rows.iter().filter(|r| completions_count(r.state)) {
        for code in &row.weak {
            *counts.entry(code).or_insert(0) += 1;
        }
    }
    let mut counts: Vec<(String, i64)> = counts
        .into_iter()
        .map(|(code, n)| (code.to_owned(), n))
        .collect();
    counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    counts.truncate(limit);
    counts
}

/// A station whose latest graded evaluation has a worse grade than the one before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fall {
    pub station_id: i64,
    pub station_name: String,
    pub district: String,
    pub evaluation_id: i64,
    pub previous_evaluation_id: i64,
    pub previous_grade: GradeRef,
    pub grade: GradeRef,
}

/// Stations whose grade fell: for each station with a graded evaluation in `rows`, its latest
/// one there against the graded evaluation just before it in `history` (the station's graded
/// evaluations the caller may see, in any year).
pub fn falling(rows: &[StandingRow], history: &[StandingRow]) -> Vec<Fall> {
    let mut latest: BTreeMap<i64, &StandingRow> = BTreeMap::new();
    for row in rows.iter().filter(|r| r.grade.is_some()) {
        let entry = latest.entry(row.station_id).or_insert(row);
        if (row.assessment_start, row.evaluation_id) > (entry.assessment_start, entry.evaluation_id)
        {
            *entry = row;
        }
    }
    // Each station's graded history once, not the whole history for every station.
    let mut earlier: HashMap<i64, Vec<&StandingRow>> = HashMap::new();
    for row in history.iter().filter(|h| h.grade.is_some()) {
        earlier.entry(row.station_id).or_default().push(row);
    }
    let mut falls = Vec::new();
    for (station, current) in latest {
        let before = earlier
            .get(&station)
            .into_iter()
            .flatten()
            .filter(|h| {
                (h.assessment_start, h.evaluation_id)
                    < (current.assessment_start, current.evaluation_id)
            })
            .max_by_key(|h| (h.assessment_start, h.evaluation_id));
        if let (Some(before), Some(grade)) = (before, &current.grade)
            && let Some(previous) = &before.grade
            && grade.rank > previous.rank
        {
            falls.push(Fall {
                station_id: station,
                station_name: current.station_name.clone(),
                district: current.district.clone(),
                evaluation_id: current.evaluation_id,
                previous_evaluation_id: before.evaluation_id,
                previous_grade: previous.clone(),
                grade: grade.clone(),
            });
        }
    }
    falls.sort_by(|a, b| (&a.district, &a.station_name).cmp(&(&b.district, &b.station_name)));
    falls
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Points {
        text.parse().expect("points")
    }

    fn grade(code: &str, rank: usize) -> GradeRef {
        GradeRef {
            code: code.into(),
            name: code.to_uppercase(),
            rank,
        }
    }

    fn row(
        id: i64,
        station: i64,
        year: i32,
        total: Option<&str>,
        rank: Option<usize>,
    ) -> StandingRow {
        StandingRow {
            evaluation_id: id,
            station_id: station,
            station_name: format!("站{station}"),
            district: if station % 2 == 0 { "甲区" } else { "乙区" }.into(),
            state: State::Final,
            assessment_start: NaiveDate::from_ymd_opt(year, 1, 1).expect("date"),
            total: total.map(p),
            grade: rank.map(|r| grade(["excellent", "good", "pass", "fail"][r], r)),
            overdue: false,
            agency: Some((7, "协会".into())),
            weak: Vec::new(),
        }
    }

    #[test]
    fn means_and_medians_are_exact_and_half_up() {
        assert_eq!(mean(&[]), None);
        assert_eq!(mean(&[p("89.08"), p("87.13")]), Some(p("88.11")));
        // 0.005 rounds up.
        assert_eq!(mean(&[p("0.01"), p("0.00")]), Some(p("0.01")));
        assert_eq!(mean(&[p("1.00"), p("1.00"), p("2.00")]), Some(p("1.33")));
        assert_eq!(median(&[]), None);
        assert_eq!(
            median(&[p("70.00"), p("90.00"), p("80.00")]),
            Some(p("80.00"))
        );
        assert_eq!(median(&[p("89.08"), p("87.13")]), Some(p("88.11")));
        assert_eq!(median(&[p("0.01"), p("0.02")]), Some(p("0.02")));
    }

    #[test]
    fn groups_count_grades_and_totals_they_may_see() {
        let rows = vec![
            row(1, 2, 2025, Some("89.08"), Some(1)),
            row(2, 4, 2025, Some("91.00"), Some(0)),
            row(3, 6, 2025, None, None),
            row(4, 1, 2025, Some("59.50"), Some(3)),
        ];
        let districts = by_district(&rows);
        assert_eq!(districts.len(), 2);
        let (_, jia) = districts
            .iter()
            .find(|(name, _)| name == "甲区")
            .expect("甲区");
        assert_eq!((jia.evaluations, jia.graded), (3, 2));
        assert_eq!(jia.mean_total, Some(p("90.04")));
        assert_eq!(jia.median_total, Some(p("90.04")));
        assert_eq!(jia.grades.get("good"), Some(&1));
        let grades = by_grade(&rows);
        let codes: Vec<&str> = grades.iter().map(|g| g.code.as_str()).collect();
        assert_eq!(codes, ["excellent", "good", "fail"]);
        let agencies = by_agency(&rows);
        assert_eq!(agencies[0].1.evaluations, 4);
        assert_eq!(agencies[0].1.mean_total, Some(p("79.86")));
    }

    #[test]
    fn states_count_the_overdue() {
        let mut rows = vec![row(1, 1, 2025, None, None), row(2, 2, 2025, None, None)];
        rows[0].state = State::SelfAssessment;
        rows[0].overdue = true;
        let counts = by_state(&rows);
        assert_eq!(
            counts,
            [
                StateCount {
                    state: State::SelfAssessment,
                    count: 1,
                    overdue: 1
                },
                StateCount {
                    state: State::Final,
                    count: 1,
                    overdue: 0
                }
            ]
        );
    }

    #[test]
    fn weak_indicators_count_only_submitted_completions() {
        let mut rows = vec![
            row(1, 1, 2025, None, None),
            row(2, 2, 2025, None, None),
            row(3, 3, 2025, None, None),
        ];
        rows[0].weak = vec!["visits.home".into(), "groups.count".into()];
        rows[1].weak = vec!["groups.count".into()];
        rows[2].weak = vec!["visits.home".into(), "groups.count".into()];
        rows[2].state = State::SelfAssessment;
        assert_eq!(
            weak_indicator_counts(&rows, 10),
            [
                ("groups.count".to_owned(), 2),
                ("visits.home".to_owned(), 1)
            ]
        );
        assert_eq!(weak_indicator_counts(&rows, 1).len(), 1);
        let figures = [
            IndicatorFigure {
                indicator: "a".into(),
                percent: Some(p("79.99")),
            },
            IndicatorFigure {
                indicator: "b".into(),
                percent: Some(p("80.00")),
            },
            IndicatorFigure {
                indicator: "c".into(),
                percent: None,
            },
        ];
        assert_eq!(weak_indicators(&figures), ["a"]);
    }

    #[test]
    fn a_grade_falls_against_the_previous_graded_evaluation_in_any_year() {
        let history = vec![
            row(1, 1, 2023, Some("91.00"), Some(0)),
            row(2, 1, 2024, Some("85.00"), Some(1)),
            row(3, 2, 2024, Some("70.00"), Some(2)),
            row(4, 2, 2025, Some("85.00"), Some(1)),
            row(5, 3, 2025, Some("85.00"), Some(1)),
        ];
        let this_year: Vec<StandingRow> = history
            .iter()
            .filter(|r| r.assessment_start.format("%Y").to_string() == "2024")
            .cloned()
            .collect();
        let falls = falling(&this_year, &history);
        assert_eq!(falls.len(), 1);
        assert_eq!(falls[0].station_id, 1);
        assert_eq!(falls[0].previous_grade.code, "excellent");
        assert_eq!(falls[0].grade.code, "good");
        let next_year: Vec<StandingRow> = history
            .iter()
            .filter(|r| r.assessment_start.format("%Y").to_string() == "2025")
            .cloned()
            .collect();
        assert!(falling(&next_year, &history).is_empty(), "station 2 rose");
    }
}
