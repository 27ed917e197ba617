//! The staff roster (社工到岗情况) and its figures (DESIGN.md §4): months of the period, person-
//! months by qualification, over-staffing, the experienced share, stability and training load.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::points::Points;

/// The catalogue code of the training hours that the training load divides.
pub const TRAINING_HOURS: &str = "training.hours";

/// A calendar month, written "2024-12".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    pub year: i32,
    pub month: u32,
}

impl Month {
    pub fn of(date: NaiveDate) -> Month {
        Month {
            year: date.year(),
            month: date.month(),
        }
    }

    pub fn next(self) -> Month {
        if self.month == 12 {
            Month {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Month {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    /// The first day of the month.
    pub fn first_day(self) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(self.year, self.month, 1)
    }

    /// "2024年12月", for messages.
    pub fn chinese(self) -> String {
        format!("{}年{}月", self.year, self.month)
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl FromStr for Month {
    type Err = &'static str;

    fn from_str(text: &str) -> Result<Month, Self::Err> {
        const WRONG: &str = "月份须写作 YYYY-MM，如 2024-12";
        let (year, month) = text.split_once('-').ok_or(WRONG)?;
        if year.len() != 4 || month.len() != 2 {
            return Err(WRONG);
        }
        let year: i32 = year.parse().map_err(|_| WRONG)?;
        let month: u32 = month.parse().map_err(|_| WRONG)?;
        if !(1..=12).contains(&month) || !(1900..=2999).contains(&year) {
            return Err(WRONG);
        }
        Ok(Month { year, month })
    }
}

/// The calendar months an assessment period touches, in order (2024-12-11 … 2025-04-30 → 5).
pub fn period_months(start: NaiveDate, end: NaiveDate) -> Vec<Month> {
    let (mut month, last) = (Month::of(start), Month::of(end));
    let mut months = Vec::new();
    while month <= last {
        months.push(month);
        month = month.next();
    }
    months
}

/// The assessment period as the roster counts it: its calendar months, and those it covers only
/// in part (a period from the 11th covers its first month in part).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    pub months: Vec<Month>,
    pub partial: Vec<Month>,
}

impl Period {
    pub fn of(start: NaiveDate, end: NaiveDate) -> Period {
        let mut partial = Vec::new();
        if start.day() > 1 {
            partial.push(Month::of(start));
        }
        let ends_early = end
            .succ_opt()
            .is_some_and(|next| next.month() == end.month());
        if ends_early && !partial.contains(&Month::of(end)) {
            partial.push(Month::of(end));
        }
        Period {
            months: period_months(start, end),
            partial,
        }
    }

    /// Whether a worker stayed: on post (1) in every month; in a month the period covers only in
    /// part, 0.5 or more counts as the whole month.
    pub fn stayed(&self, worker: &Worker) -> bool {
        !self.months.is_empty()
            && self.months.iter().all(|m| {
                let on_post = worker.on_post(*m).hundredths();
                on_post == 100 || (on_post >= 50 && self.partial.contains(m))
            })
    }
}

/// The months an evaluation counts: its `assessment_months` when set, else the calendar months.
pub fn months_counted(
    assessment_months: Option<Points>,
    start: NaiveDate,
    end: NaiveDate,
) -> Points {
    assessment_months
        .unwrap_or_else(|| Points::from_hundredths(100 * period_months(start, end).len() as i64))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Qualification {
    /// 社会工作师
    Intermediate,
    /// 助理社会工作师
    Assistant,
    /// 非持证 (trained as the rules require)
    Uncertified,
}

impl Qualification {
    pub const ALL: [Qualification; 3] = [
        Qualification::Intermediate,
        Qualification::Assistant,
        Qualification::Uncertified,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Qualification::Intermediate => "intermediate",
            Qualification::Assistant => "assistant",
            Qualification::Uncertified => "uncertified",
        }
    }

    pub fn from_code(code: &str) -> Option<Qualification> {
        Qualification::ALL.into_iter().find(|q| q.code() == code)
    }

    pub fn chinese_name(self) -> &'static str {
        match self {
            Qualification::Intermediate => "社会工作师",
            Qualification::Assistant => "助理社会工作师",
            Qualification::Uncertified => "非持证",
        }
    }

    pub fn certified(self) -> bool {
        self != Qualification::Uncertified
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MonthEntry {
    /// 人员到位: "1", "0.5" or "0".
    pub on_post: Points,
    /// 社保购买
    pub insurance: bool,
    /// 工资发放
    pub wage: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
/// A worker as the roster records them (the PUT body and the Excel row).
pub struct RosterWorker {
    #[validate(
        length(min = 1, max = 50, message = "请填写姓名（最多 50 字）"),
        custom(function = "super::text::one_line")
    )]
    pub name: String,
    /// 职位, e.g. 一片区社工.
    #[validate(
        length(min = 1, max = 100, message = "请填写职位（最多 100 字）"),
        custom(function = "super::text::one_line")
    )]
    pub position: String,
    pub qualification: Qualification,
    /// 符合从业 2 年以上.
    pub over_two_years: bool,
    /// 从业起始日期 (practice start, not the day they joined this station).
    pub practice_start: Option<NaiveDate>,
    pub zone_id: Option<i64>,
    pub joined_on: Option<NaiveDate>,
    pub left_on: Option<NaiveDate>,
    #[validate(
        length(max = 500, message = "备注最多 500 字"),
        custom(function = "super::text::no_control_characters")
    )]
    pub note: Option<String>,
    /// 合同期限 as written: "2010.01.01-无固定期", "2024.04.09-2025.12.10".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(
        length(max = 50, message = "合同期限最多 50 字"),
        custom(function = "super::text::one_line")
    )]
    pub contract_term: Option<String>,
    /// "2024-12" → that month's entry.
    #[serde(default)]
    pub months: BTreeMap<String, MonthEntry>,
}

/// Whether a worker was on post in a month: 1, 0.5 or 0.
pub fn on_post_allowed(value: Points) -> bool {
    matches!(value.hundredths(), 0 | 50 | 100)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerMonth {
    pub month: Month,
    pub on_post: Points,
    pub insurance: bool,
    pub wage: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Worker {
    pub name: String,
    pub qualification: Qualification,
    pub over_two_years: bool,
    pub practice_start: Option<NaiveDate>,
    pub joined_on: Option<NaiveDate>,
    pub left_on: Option<NaiveDate>,
    pub months: Vec<WorkerMonth>,
}

impl Worker {
    pub fn on_post(&self, month: Month) -> Points {
        self.months
            .iter()
            .find(|m| m.month == month)
            .map_or(Points::ZERO, |m| m.on_post)
    }
}

/// One month's 小计: heads on post (on_post > 0) and person-months, by qualification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct MonthSubtotal {
    pub month: String,
    pub certified_heads: i64,
    pub certified_person_months: Points,
    pub uncertified_heads: i64,
    pub uncertified_person_months: Points,
    pub total_heads: i64,
    pub total_person_months: Points,
    pub experienced_person_months: Points,
    pub insured: i64,
    pub paid: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Metrics {
    pub months: Points,
    pub required_certified_person_months: Points,
    pub certified_person_months: Points,
    pub uncertified_person_months: Points,
    pub total_person_months: Points,
    /// certified − required; negative when short.
    pub over_staffing: Points,
    pub experienced_person_months: Points,
    /// Percent of all person-months worked by workers with two or more years of practice.
    pub experienced_share: Option<Points>,
    pub stable_workers: i64,
    pub required_staff: i64,
    /// Percent: min(stable workers, required staff) / required staff.
    pub stability_rate: Option<Points>,
    pub training_hours_per_person_month: Option<Points>,
}

/// What the agreement asks of the station.
#[derive(Debug, Clone, Copy)]
pub struct Requirement {
    pub required_staff: i64,
    pub required_certified_staff: i64,
}

pub fn metrics(
    workers: &[Worker],
    period: &Period,
    months: Points,
    requirement: Requirement,
    training_hours: Option<Points>,
) -> Metrics {
    let sum = |keep: &dyn Fn(&Worker) -> bool| -> Points {
        workers
            .iter()
            .filter(|w| keep(w))
            .flat_map(|w| period.months.iter().map(|m| w.on_post(*m)))
            .sum()
    };
    let certified = sum(&|w| w.qualification.certified());
    let uncertified = sum(&|w| !w.qualification.certified());
    let total = certified + uncertified;
    let experienced = sum(&|w| w.over_two_years);
    let required_certified = months.times(requirement.required_certified_staff);
    let stable_workers = workers.iter().filter(|w| period.stayed(w)).count() as i64;
    // Workers beyond the agreement's number do not make the rate pass 100 %.
    let counted = stable_workers.min(requirement.required_staff);
    let staff = Points::from_hundredths(requirement.required_staff * 100);
    Metrics {
        months,
        required_certified_person_months: required_certified,
        certified_person_months: certified,
        uncertified_person_months: uncertified,
        total_person_months: total,
        over_staffing: certified - required_certified,
        experienced_person_months: experienced,
        experienced_share: experienced.percent_of(total),
        stable_workers,
        required_staff: requirement.required_staff,
        stability_rate: Points::from_hundredths(counted * 100).percent_of(staff),
        training_hours_per_person_month: training_hours.and_then(|h| h.ratio(total)),
    }
}

pub fn subtotals(workers: &[Worker], period: &[Month]) -> Vec<MonthSubtotal> {
    period
        .iter()
        .map(|&month| {
            let on = |w: &&Worker| w.on_post(month) > Points::ZERO;
            let heads = |certified: bool| {
                workers
                    .iter()
                    .filter(|w| w.qualification.certified() == certified)
                    .filter(on)
                    .count() as i64
            };
            let person_months = |keep: &dyn Fn(&Worker) -> bool| -> Points {
                workers
                    .iter()
                    .filter(|w| keep(w))
                    .map(|w| w.on_post(month))
                    .sum()
            };
            let flagged = |flag: fn(&WorkerMonth) -> bool| {
                workers
                    .iter()
                    .filter(|w| w.months.iter().any(|m| m.month == month && flag(m)))
                    .count() as i64
            };
            let certified = person_months(&|w| w.qualification.certified());
            let uncertified = person_months(&|w| !w.qualification.certified());
            MonthSubtotal {
                month: month.to_string(),
                certified_heads: heads(true),
                certified_person_months: certified,
                uncertified_heads: heads(false),
                uncertified_person_months: uncertified,
                total_heads: heads(true) + heads(false),
                total_person_months: certified + uncertified,
                experienced_person_months: person_months(&|w| w.over_two_years),
                insured: flagged(|m| m.insurance),
                paid: flagged(|m| m.wage),
            }
        })
        .collect()
}

/// Months of the period for which nobody's month is filled in.
pub fn unfilled_months(workers: &[Worker], period: &[Month]) -> Vec<Month> {
    period
        .iter()
        .copied()
        .filter(|m| {
            !workers
                .iter()
                .any(|w| w.months.iter().any(|wm| wm.month == *m))
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        text.parse().expect("date")
    }

    fn p(text: &str) -> Points {
        text.parse().expect("points")
    }

    /// The 24 workers of the 西村街 annex 2 (Dec 2024 … Apr 2025): qualification, two years or
    /// more of practice, and on_post per month.
    pub fn xicun_roster() -> Vec<Worker> {
        use Qualification::*;
        let rows: [(&str, Qualification, bool, [&str; 5]); 24] = [
            ("李洁华", Intermediate, true, ["1", "1", "1", "1", "1"]),
            ("陈燕静", Intermediate, true, ["0", "0", "1", "1", "1"]),
            ("吴椅兰", Intermediate, true, ["1", "1", "1", "1", "1"]),
            ("易泳思", Intermediate, true, ["1", "1", "1", "1", "1"]),
            ("黄丽琼", Intermediate, true, ["1", "1", "1", "1", "1"]),
            ("翁敏慧", Intermediate, true, ["1", "1", "1", "1", "1"]),
            ("李旭雯", Intermediate, true, ["1", "1", "1", "1", "1"]),
            ("曾焕玉", Intermediate, true, ["0", "0", "1", "0", "0"]),
            ("江顺仪", Assistant, true, ["1", "1", "1", "1", "1"]),
            ("殷韵聪", Assistant, true, ["1", "1", "1", "1", "1"]),
            ("蔡仲环", Assistant, true, ["1", "1", "1", "1", "1"]),
            ("刘卓雯", Assistant, true, ["1", "1", "1", "1", "1"]),
            ("李肇斐", Assistant, false, ["1", "1", "1", "1", "1"]),
            ("刘菲菲", Assistant, false, ["1", "1", "1", "1", "1"]),
            ("陈淡丰", Assistant, false, ["1", "1", "1", "0.5", "0"]),
            ("郑舒恩", Assistant, false, ["1", "1", "1", "0", "0"]),
            ("颜健聪", Assistant, true, ["0", "1", "1", "0", "0"]),
            ("麦嘉颖", Assistant, true, ["0", "1", "0", "0", "0"]),
            ("张玉莉", Assistant, true, ["1", "1", "0", "0", "0"]),
            ("郭嘉琦", Assistant, true, ["1", "1", "0", "0", "0"]),
            ("邵楚婷", Uncertified, true, ["1", "1", "1", "1", "1"]),
            ("梁小红", Uncertified, true, ["1", "1", "1", "1", "1"]),
            ("简凯施", Uncertified, false, ["1", "1", "1", "0", "0"]),
            ("钟敏希", Uncertified, false, ["1", "1", "0", "0", "0"]),
        ];
        let period = period_months(date("2024-12-11"), date("2025-04-30"));
        rows.into_iter()
            .map(|(name, qualification, over_two_years, on_post)| Worker {
                name: name.into(),
                qualification,
                over_two_years,
                practice_start: None,
                joined_on: None,
                left_on: None,
                months: period
                    .iter()
                    .zip(on_post)
                    .map(|(month, on)| WorkerMonth {
                        month: *month,
                        on_post: p(on),
                        insurance: on != "0",
                        wage: on != "0",
                    })
                    .collect(),
            })
            .collect()
    }

    #[test]
    fn months_of_a_period_and_the_counted_rule() {
        let (start, end) = (date("2024-12-11"), date("2025-04-30"));
        let months: Vec<String> = period_months(start, end)
            .iter()
            .map(Month::to_string)
            .collect();
        assert_eq!(
            months,
            ["2024-12", "2025-01", "2025-02", "2025-03", "2025-04"]
        );
        assert_eq!(months_counted(None, start, end), p("5"));
        assert_eq!(months_counted(Some(p("6.5")), start, end), p("6.50"));
        assert_eq!(
            "2025-02".parse::<Month>(),
            Ok(Month {
                year: 2025,
                month: 2
            })
        );
        assert!("2025-2".parse::<Month>().is_err());
        assert!("2025-13".parse::<Month>().is_err());
    }

    #[test]
    fn the_xicun_roster_gives_the_figures_of_the_worked_example() {
        let period = Period::of(date("2024-12-11"), date("2025-04-30"));
        let requirement = Requirement {
            required_staff: 20,
            required_certified_staff: 13,
        };
        let m = metrics(
            &xicun_roster(),
            &period,
            p("5"),
            requirement,
            Some(p("783.5")),
        );
        assert_eq!(m.required_certified_person_months, p("65"));
        assert_eq!(m.certified_person_months, p("77.5"));
        assert_eq!(m.uncertified_person_months, p("15"));
        assert_eq!(m.total_person_months, p("92.5"));
        assert_eq!(m.over_staffing, p("12.5"));
        assert_eq!(m.experienced_person_months, p("71"));
        assert_eq!(m.experienced_share, Some(p("76.76")));
        assert_eq!(m.stable_workers, 14);
        assert_eq!(m.stability_rate, Some(p("70.00")));
        assert_eq!(m.training_hours_per_person_month, Some(p("8.47")));

        let subtotals = subtotals(&xicun_roster(), &period.months);
        let heads: Vec<i64> = subtotals.iter().map(|s| s.certified_heads).collect();
        assert_eq!(heads, [16, 18, 17, 14, 13]);
        assert_eq!(subtotals[3].certified_person_months, p("13.5"));
        let uncertified: Vec<i64> = subtotals.iter().map(|s| s.uncertified_heads).collect();
        assert_eq!(uncertified, [4, 4, 3, 2, 2]);
        assert_eq!(subtotals[3].total_person_months, p("15.5"));
    }

    #[test]
    fn a_short_station_has_negative_over_staffing_and_unfilled_months_are_named() {
        let period = Period::of(date("2025-01-01"), date("2025-03-31"));
        let mut roster = xicun_roster();
        roster.truncate(1);
        roster[0].months.retain(|m| m.month.month == 1);
        let requirement = Requirement {
            required_staff: 2,
            required_certified_staff: 2,
        };
        let m = metrics(&roster, &period, p("3"), requirement, None);
        assert_eq!(m.over_staffing, Points::ZERO - p("5"));
        assert_eq!(m.stable_workers, 0);
        assert_eq!(m.training_hours_per_person_month, None);
        let unfilled: Vec<String> = unfilled_months(&roster, &period.months)
            .iter()
            .map(Month::to_string)
            .collect();
        assert_eq!(unfilled, ["2025-02", "2025-03"]);
    }

    #[test]
    fn a_period_covers_its_first_and_last_months_in_part_unless_they_are_whole() {
        let partial = |start, end| -> Vec<String> {
            Period::of(date(start), date(end))
                .partial
                .iter()
                .map(Month::to_string)
                .collect()
        };
        assert_eq!(partial("2024-12-11", "2025-04-30"), ["2024-12"]);
        assert_eq!(partial("2025-01-01", "2025-03-15"), ["2025-03"]);
        assert_eq!(partial("2024-06-15", "2025-06-14"), ["2024-06", "2025-06"]);
        assert_eq!(partial("2025-02-10", "2025-02-20"), ["2025-02"]);
        assert!(partial("2025-01-01", "2025-03-31").is_empty());
        assert!(partial("2024-02-01", "2024-02-29").is_empty());
    }

    /// The demo's 瑞宝街 roster (reference 001): its period starts on 15 June, when everyone
    /// was on post for half the month.
    fn ruibao_roster() -> Vec<Worker> {
        let demo: serde_json::Value =
            serde_json::from_str(include_str!("../../demo/ruibao.json")).expect("demo json");
        let months: Vec<Month> = demo["months"]
            .as_array()
            .expect("months")
            .iter()
            .map(|m| m.as_str().expect("month").parse().expect("a month"))
            .collect();
        demo["roster"]
            .as_array()
            .expect("roster")
            .iter()
            .map(|w| Worker {
                name: w["name"].as_str().expect("name").into(),
                qualification: serde_json::from_value(w["qualification"].clone())
                    .expect("qualification"),
                over_two_years: w["over_two_years"].as_bool().expect("over two years"),
                practice_start: None,
                joined_on: None,
                left_on: None,
                months: months
                    .iter()
                    .zip(w["on_post"].as_array().expect("on post"))
                    .map(|(month, on)| WorkerMonth {
                        month: *month,
                        on_post: p(on.as_str().expect("on post")),
                        insurance: true,
                        wage: true,
                    })
                    .collect(),
            })
            .collect()
    }

    #[test]
    fn half_of_a_month_the_period_covers_in_part_counts_as_staying() {
        let period = Period::of(date("2024-06-15"), date("2024-12-31"));
        let requirement = Requirement {
            required_staff: 20,
            required_certified_staff: 10,
        };
        let m = metrics(&ruibao_roster(), &period, p("6.5"), requirement, None);
        assert_eq!(m.certified_person_months, p("128"));
        assert_eq!(m.uncertified_person_months, p("34.5"));
        assert_eq!(m.experienced_person_months.ratio(p("6.5")), Some(p("15")));
        // 0.5 in June counts (the period starts on the 15th); 0.5 in a whole month does not.
        assert_eq!(m.stable_workers, 20);
        assert_eq!(m.stability_rate, Some(p("100.00")));

        // More stable workers than the agreement asks for still make 100 %, never more.
        let fewer = Requirement {
            required_staff: 16,
            ..requirement
        };
        let m = metrics(&ruibao_roster(), &period, p("6.5"), fewer, None);
        assert_eq!(m.stable_workers, 20);
        assert_eq!(m.stability_rate, Some(p("100.00")));

        // Were the period the whole of June, half a month there would break the stay.
        let whole = Period::of(date("2024-06-01"), date("2024-12-31"));
        let m = metrics(&ruibao_roster(), &whole, p("7"), requirement, None);
        assert_eq!(m.stable_workers, 0);
        assert_eq!(m.stability_rate, Some(p("0.00")));
    }
}
