//! Consistency warnings on the self-assessment (DESIGN.md §7): computed from the data, shown to
//! the parties, never blocking.

use chrono::{Months, NaiveDate};
use serde::Serialize;
use utoipa::ToSchema;

use super::indicators::{Figure, IndicatorTable};
use super::points::Points;
use super::staffing::{Month, Worker};

/// Counts smaller than this coincide by chance (2 / 1 teams and 2 / 1 evaluations are normal);
/// identical larger figures are most likely a row copied over another.
const IDENTICAL_FROM: Points = Points::from_hundredths(1_000);

/// A completion above this percentage of its target is probably mistyped.
const FAR_ABOVE_PERCENT: Points = Points::from_hundredths(30_000);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Warning {
    pub code: String,
    /// In Chinese, naming the indicators or workers.
    pub message: String,
    /// Indicator codes or worker names the warning is about.
    pub refs: Vec<String>,
}

fn warning(code: &str, message: String, refs: Vec<String>) -> Warning {
    Warning {
        code: code.to_owned(),
        message,
        refs,
    }
}

pub fn indicator_warnings(table: &IndicatorTable) -> Vec<Warning> {
    let mut found = Vec::new();
    for (i, a) in table.totals.iter().enumerate() {
        for b in &table.totals[i + 1..] {
            let (Some(target), Some(completed)) = (a.target, a.completed) else {
                continue;
            };
            if target >= IDENTICAL_FROM
                && b.target == Some(target)
                && b.completed == Some(completed)
            {
                found.push(warning(
                    "identical_figures",
                    format!(
                        "“{}”与“{}”的协议量和完成量完全相同（{} / {}），请核对是否误填",
                        a.name, b.name, target, completed
                    ),
                    vec![a.indicator.clone(), b.indicator.clone()],
                ));
            }
        }
    }
    for row in &table.rows {
        if let Some(percent) = row.percent.filter(|p| *p > FAR_ABOVE_PERCENT) {
            let place = row
                .zone_name
                .as_ref()
                .map_or(String::new(), |z| format!("（{z}）"));
            found.push(warning(
                "far_above_target",
                format!("“{}”{place}完成量为协议量的 {percent}%，请核对", row.name),
                vec![row.indicator.clone()],
            ));
        }
    }
    found
}

/// An imported 合计 row that disagrees with the sum of the zones.
pub fn stated_total_warnings(
    table: &IndicatorTable,
    stated: &[(String, Figure, Points)],
) -> Vec<Warning> {
    stated
        .iter()
        .filter_map(|(indicator, figure, total)| {
            let computed = table.totals.iter().find(|t| &t.indicator == indicator)?;
            let sum = match figure {
                Figure::Target => computed.target,
                Figure::Completion => computed.completed,
            }
            .unwrap_or(Points::ZERO);
            (sum != *total).then(|| {
                warning(
                    "total_row_mismatch",
                    format!(
                        "导入表格中“{}”的合计{}为 {total}，但各片区相加为 {sum}",
                        computed.name,
                        figure.chinese_name()
                    ),
                    vec![indicator.clone()],
                )
            })
        })
        .collect()
}

fn months_text(months: &[Month]) -> String {
    months
        .iter()
        .map(|m| m.chinese())
        .collect::<Vec<_>>()
        .join("、")
}

/// The last day of a month.
fn last_day(month: Month) -> Option<NaiveDate> {
    month.next().first_day()?.pred_opt()
}

pub fn roster_warnings(workers: &[Worker], period: &[Month]) -> Vec<Warning> {
    let mut found = Vec::new();
    for worker in workers {
        let on_post: Vec<Month> = worker
            .months
            .iter()
            .filter(|m| m.on_post > Points::ZERO)
            .map(|m| m.month)
            .collect();
        let outside_employment: Vec<Month> = on_post
            .iter()
            .copied()
            .filter(|m| {
                worker.left_on.is_some_and(|left| *m > Month::of(left))
                    || worker
                        .joined_on
                        .is_some_and(|joined| *m < Month::of(joined))
            })
            .collect();
        if !outside_employment.is_empty() {
            found.push(warning(
                "on_post_outside_employment",
                format!(
                    "{} 在入职前或离职后的月份（{}）记为到岗",
                    worker.name,
                    months_text(&outside_employment)
                ),
                vec![worker.name.clone()],
            ));
        }
        let outside_period: Vec<Month> = worker
            .months
            .iter()
            .map(|m| m.month)
            .filter(|m| !period.contains(m))
            .collect();
        if !outside_period.is_empty() {
            found.push(warning(
                "month_outside_period",
                format!(
                    "{} 的到岗记录有评估期以外的月份（{}）",
                    worker.name,
                    months_text(&outside_period)
                ),
                vec![worker.name.clone()],
            ));
        }
        if let Some(start) = worker.practice_start.filter(|_| worker.over_two_years) {
            let too_early: Vec<Month> = on_post
                .iter()
                .copied()
                .filter(|m| {
                    last_day(*m)
                        .and_then(|end| end.checked_sub_months(Months::new(24)))
                        .is_some_and(|two_years_before| start > two_years_before)
                })
                .collect();
            if !too_early.is_empty() {
                found.push(warning(
                    "experience_too_short",
                    format!(
                        "{} 计为从业 2 年以上，但从业起始日期为 {start}，{} 尚不满 2 年",
                        worker.name,
                        months_text(&too_early)
                    ),
                    vec![worker.name.clone()],
                ));
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::indicators::tests::{guangzhou_2023, p, zones};
    use crate::domain::indicators::{Cell, table};
    use crate::domain::staffing::tests::xicun_roster;
    use crate::domain::staffing::{WorkerMonth, period_months};

    fn cell(indicator: &str, zone_id: Option<i64>, value: &str) -> Cell {
        Cell {
            indicator: indicator.into(),
            zone_id,
            value: p(value),
        }
    }

    fn date(text: &str) -> NaiveDate {
        text.parse().expect("date")
    }

    #[test]
    fn the_annex_pair_with_identical_figures_is_caught_and_small_coincidences_are_not() {
        let targets = [
            cell("walk_in", None, "1715"),
            cell("brand_building", None, "1715"),
            cell("volunteers.elderly_teams", None, "2"),
            cell("evaluation_work", None, "2"),
            cell("visits.phone", Some(1), "100"),
        ];
        let completions = [
            cell("walk_in", None, "858"),
            cell("brand_building", None, "858"),
            cell("volunteers.elderly_teams", None, "1"),
            cell("evaluation_work", None, "1"),
            cell("visits.phone", Some(1), "300.01"),
        ];
        let found = indicator_warnings(&table(&guangzhou_2023(), &zones(), &targets, &completions));
        let codes: Vec<(&str, &[String])> = found
            .iter()
            .map(|w| (w.code.as_str(), w.refs.as_slice()))
            .collect();
        assert_eq!(
            codes,
            [
                (
                    "identical_figures",
                    &["walk_in".to_owned(), "brand_building".to_owned()][..]
                ),
                ("far_above_target", &["visits.phone".to_owned()][..]),
            ]
        );
        assert!(
            found[0].message.contains("咨询、偶到服务")
                && found[0].message.contains("品牌创建工作")
        );
        assert!(found[1].message.contains("一片区"));
    }

    #[test]
    fn roster_months_after_leaving_outside_the_period_or_before_two_years_are_named() {
        let period = period_months(date("2024-12-11"), date("2025-04-30"));
        assert!(
            roster_warnings(&xicun_roster(), &period).is_empty(),
            "the annex is consistent"
        );

        let mut roster = xicun_roster();
        // 陈淡丰 left on 2025-03-12 but is marked on post in April; 李洁华 has a month of 2025-06.
        roster[14].left_on = Some(date("2025-03-12"));
        roster[14].months[4].on_post = p("1");
        roster[0].months.push(WorkerMonth {
            month: "2025-06".parse().expect("month"),
            on_post: p("1"),
            insurance: true,
            wage: true,
        });
        // 李旭雯's practice started 2023-02-10: two years only from the end of February 2025.
        roster[6].practice_start = Some(date("2023-02-10"));
        let found = roster_warnings(&roster, &period);
        let messages: Vec<(&str, &str)> = found
            .iter()
            .map(|w| (w.code.as_str(), w.message.as_str()))
            .collect();
        assert_eq!(messages.len(), 3, "{messages:?}");
        assert_eq!(messages[0].0, "month_outside_period");
        assert!(messages[0].1.contains("2025年6月"));
        assert_eq!(messages[1].0, "experience_too_short");
        assert!(
            messages[1].1.contains("2024年12月、2025年1月"),
            "{}",
            messages[1].1
        );
        assert!(!messages[1].1.contains("2025年2月"), "{}", messages[1].1);
        assert_eq!(messages[2].0, "on_post_outside_employment");
        assert!(messages[2].1.contains("陈淡丰") && messages[2].1.contains("2025年4月"));
    }
}
