//! Service indicators (服务指标): which rows an evaluation may hold, and the table of targets,
//! completions and percentages per zone with totals over the zones (DESIGN.md §4).

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

use super::points::Points;
use super::scheme::{IndicatorDef, IndicatorScope, Scheme};

/// A zone of the station, in the station's order.
#[derive(Debug, Clone)]
pub struct Zone {
    pub id: i64,
    pub name: String,
}

/// Which of an indicator's two figures: the agreed target (协议量) or the completion (完成量).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Figure {
    Target,
    Completion,
}

impl Figure {
    pub fn code(self) -> &'static str {
        match self {
            Figure::Target => "target",
            Figure::Completion => "completion",
        }
    }

    pub fn from_code(code: &str) -> Option<Figure> {
        [Figure::Target, Figure::Completion]
            .into_iter()
            .find(|f| f.code() == code)
    }

    pub fn chinese_name(self) -> &'static str {
        match self {
            Figure::Target => "协议量",
            Figure::Completion => "完成量",
        }
    }
}

/// One value of one indicator: per zone, or station-wide (`zone_id` None).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    pub indicator: String,
    pub zone_id: Option<i64>,
    pub value: Points,
}

/// What is wrong with a row sent for an indicator, as (field, reason) pairs; empty when fine.
pub fn row_problems(
    scheme: &Scheme,
    zones: &[Zone],
    indicator: &str,
    zone_id: Option<i64>,
    value: Option<Points>,
    value_field: &'static str,
) -> Vec<(&'static str, String)> {
    let Some(def) = scheme.indicators.iter().find(|i| i.code == indicator) else {
        return vec![("indicator", format!("评估方案中没有指标“{indicator}”"))];
    };
    let mut problems = Vec::new();
    match (def.scope, zone_id) {
        (IndicatorScope::Zone, Some(zone)) if zones.iter().any(|z| z.id == zone) => {}
        (IndicatorScope::Zone, _) => problems.push(("zone_id", "须为本社工站的片区".to_owned())),
        (IndicatorScope::Station, None) => {}
        (IndicatorScope::Station, Some(_)) => problems.push((
            "zone_id",
            format!("“{}”为全站指标，片区须为 null", def.name),
        )),
    }
    if let Some(value) = value
        && !fits_decimals(def, value)
    {
        problems.push((
            value_field,
            format!("“{}”最多 {} 位小数", def.name, def.decimals),
        ));
    }
    problems
}

/// Whether a value has no more decimals than the catalogue allows for the indicator.
pub fn fits_decimals(def: &IndicatorDef, value: Points) -> bool {
    let unit = 10_i64.pow(2 - u32::from(def.decimals.min(2)));
    value.hundredths() % unit == 0
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct IndicatorRow {
    pub indicator: String,
    pub name: String,
    pub zone_id: Option<i64>,
    pub zone_name: Option<String>,
    pub target: Option<Points>,
    pub completed: Option<Points>,
    /// round2(completed × 100 / target); null without a target (or with target 0).
    pub percent: Option<Points>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct IndicatorTotal {
    pub indicator: String,
    pub name: String,
    pub target: Option<Points>,
    pub completed: Option<Points>,
    pub percent: Option<Points>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct IndicatorTable {
    pub rows: Vec<IndicatorRow>,
    pub totals: Vec<IndicatorTotal>,
}

fn percent(completed: Option<Points>, target: Option<Points>) -> Option<Points> {
    completed?.percent_of(target?)
}

/// Rows in catalogue order, zones in the station's order; a row exists where a target or a
/// completion does. Totals sum each indicator over its zones.
pub fn table(
    scheme: &Scheme,
    zones: &[Zone],
    targets: &[Cell],
    completions: &[Cell],
) -> IndicatorTable {
    let value = |cells: &[Cell], code: &str, zone: Option<i64>| {
        cells
            .iter()
            .find(|c| c.indicator == code && c.zone_id == zone)
            .map(|c| c.value)
    };
    let mut rows = Vec::new();
    let mut totals = Vec::new();
    for def in &scheme.indicators {
        let places: Vec<(Option<i64>, Option<String>)> = match def.scope {
            IndicatorScope::Zone => zones
                .iter()
                .map(|z| (Some(z.id), Some(z.name.clone())))
                .collect(),
            IndicatorScope::Station => vec![(None, None)],
        };
        let mut sums: (Option<Points>, Option<Points>) = (None, None);
        for (zone_id, zone_name) in places {
            let target = value(targets, &def.code, zone_id);
            let completed = value(completions, &def.code, zone_id);
            if target.is_none() && completed.is_none() {
                continue;
            }
            let add = |sum: Option<Points>, v: Option<Points>| match (sum, v) {
                (Some(a), Some(b)) => Some(a + b),
                (a, b) => a.or(b),
            };
            sums = (add(sums.0, target), add(sums.1, completed));
            rows.push(IndicatorRow {
                indicator: def.code.clone(),
                name: def.name.clone(),
                zone_id,
                zone_name,
                target,
                completed,
                percent: percent(completed, target),
            });
        }
        if sums.0.is_some() || sums.1.is_some() {
            totals.push(IndicatorTotal {
                indicator: def.code.clone(),
                name: def.name.clone(),
                target: sums.0,
                completed: sums.1,
                percent: percent(sums.1, sums.0),
            });
        }
    }
    IndicatorTable { rows, totals }
}

/// Indicators (with their zone) that have a target and no completion, named for a person.
pub fn missing_completions(table: &IndicatorTable) -> Vec<String> {
    table
        .rows
        .iter()
        .filter(|r| r.target.is_some() && r.completed.is_none())
        .map(|r| match &r.zone_name {
            Some(zone) => format!("{}（{zone}）", r.name),
            None => r.name.clone(),
        })
        .collect()
}

/// Totals of one indicator by code, for warnings and reports.
pub fn totals_by_code(table: &IndicatorTable) -> BTreeMap<&str, &IndicatorTotal> {
    table
        .totals
        .iter()
        .map(|t| (t.indicator.as_str(), t))
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn p(text: &str) -> Points {
        text.parse().expect("points")
    }

    pub fn guangzhou_2023() -> Scheme {
        serde_json::from_str(include_str!("../../config/schemes/guangzhou-2023.json"))
            .expect("shipped scheme")
    }

    pub fn zones() -> Vec<Zone> {
        ["一片区", "二片区", "三片区"]
            .iter()
            .enumerate()
            .map(|(i, name)| Zone {
                id: i as i64 + 1,
                name: (*name).to_owned(),
            })
            .collect()
    }

    fn cell(indicator: &str, zone_id: Option<i64>, value: &str) -> Cell {
        Cell {
            indicator: indicator.into(),
            zone_id,
            value: p(value),
        }
    }

    /// 入户探访 and 电访 of the 西村街 annex, and its training hours.
    fn xicun() -> (Vec<Cell>, Vec<Cell>) {
        let mut targets = Vec::new();
        let mut completions = Vec::new();
        for (zone, home, home_done, phone, phone_done) in [
            (1, "700", "538", "1724", "1855"),
            (2, "400", "298", "1724", "862"),
            (3, "300", "175", "862", "498"),
        ] {
            targets.push(cell("visits.home", Some(zone), home));
            completions.push(cell("visits.home", Some(zone), home_done));
            targets.push(cell("visits.phone", Some(zone), phone));
            completions.push(cell("visits.phone", Some(zone), phone_done));
        }
        targets.push(cell("training.hours", None, "1080"));
        completions.push(cell("training.hours", None, "783.5"));
        (targets, completions)
    }

    #[test]
    fn zone_rows_and_totals_match_the_annex() {
        let (targets, completions) = xicun();
        let table = table(&guangzhou_2023(), &zones(), &targets, &completions);
        let row = |code: &str, zone: Option<i64>| {
            table
                .rows
                .iter()
                .find(|r| r.indicator == code && r.zone_id == zone)
                .and_then(|r| r.percent)
        };
        assert_eq!(row("visits.phone", Some(1)), Some(p("107.60")));
        assert_eq!(row("visits.home", Some(3)), Some(p("58.33")));
        let totals = totals_by_code(&table);
        assert_eq!(totals["visits.home"].completed, Some(p("1011")));
        assert_eq!(totals["visits.home"].percent, Some(p("72.21")));
        assert_eq!(totals["visits.phone"].percent, Some(p("74.59")));
        assert_eq!(totals["training.hours"].percent, Some(p("72.55")));
        // Catalogue order: 入户探访 before 电访 before 培训时数; zones in order.
        let order: Vec<(&str, Option<i64>)> = table
            .rows
            .iter()
            .map(|r| (r.indicator.as_str(), r.zone_id))
            .collect();
        assert_eq!(
            order[..4],
            [
                ("visits.home", Some(1)),
                ("visits.home", Some(2)),
                ("visits.home", Some(3)),
                ("visits.phone", Some(1))
            ]
        );
    }

    #[test]
    fn without_a_target_the_percent_is_null_and_missing_completions_are_named() {
        let targets = vec![
            cell("groups.count", Some(3), "1"),
            cell("surveys", None, "4"),
        ];
        let completions = vec![
            cell("groups.count", Some(3), "0"),
            cell("walk_in", None, "858"),
        ];
        let table = table(&guangzhou_2023(), &zones(), &targets, &completions);
        let percent_of = |code: &str| {
            table
                .rows
                .iter()
                .find(|r| r.indicator == code)
                .map(|r| r.percent)
        };
        assert_eq!(percent_of("groups.count"), Some(Some(p("0.00"))));
        assert_eq!(percent_of("walk_in"), Some(None));
        assert_eq!(missing_completions(&table), ["社区调研"]);
        let zero_target = table_with_target_zero();
        assert_eq!(zero_target.rows[0].percent, None);
    }

    fn table_with_target_zero() -> IndicatorTable {
        table(
            &guangzhou_2023(),
            &zones(),
            &[cell("surveys", None, "0")],
            &[cell("surveys", None, "2")],
        )
    }

    #[test]
    fn rows_are_checked_against_the_catalogue_and_the_station() {
        let scheme = guangzhou_2023();
        let zones = zones();
        let check = |indicator: &str, zone: Option<i64>, value: &str| {
            row_problems(
                &scheme,
                &zones,
                indicator,
                zone,
                Some(p(value)),
                "completed",
            )
            .into_iter()
            .map(|(field, _)| field)
            .collect::<Vec<_>>()
        };
        assert!(check("visits.home", Some(2), "298").is_empty());
        assert!(check("training.hours", None, "783.5").is_empty());
        assert_eq!(check("nothing", None, "1"), ["indicator"]);
        assert_eq!(check("visits.home", Some(9), "1"), ["zone_id"]);
        assert_eq!(check("visits.home", None, "1"), ["zone_id"]);
        assert_eq!(check("training.hours", Some(1), "1"), ["zone_id"]);
        assert_eq!(check("visits.home", Some(1), "1.5"), ["completed"]);
    }
}
