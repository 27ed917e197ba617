//! 附件2 社工到岗情况统计表: one row per worker, a column group (人员到位 / 社保购买 / 工资发放)
//! per month of the assessment period, and the 小计 rows below the workers.

use std::collections::BTreeMap;

use rust_xlsxwriter::{Workbook, XlsxError};

use super::bounded::{BoundedWorkbook, SheetBounds};
use super::{CellProblem, cell_format, date, date_format, header_format, number, points, text};
use crate::domain::indicators::Zone;
use crate::domain::points::Points;
use crate::domain::staffing::{
    self, Month, MonthEntry, MonthSubtotal, Qualification, RosterWorker,
};
use validator::Validate;

pub const SHEET: &str = "社工到岗情况";
const FIXED: [&str; 11] = [
    "序号",
    "姓名",
    "职位",
    "岗位资格证/资质",
    "从业2年以上",
    "从业起始日期",
    "片区",
    "入职日期",
    "离职日期",
    "备注",
    "合同期限",
];
/// 合同期限 came last among the fixed columns; a workbook exported before has none, and its
/// months begin one column earlier.
const CONTRACT_TERM_COL: u32 = 10;
const MONTH_ROW: u32 = 1;
const FIRST_WORKER_ROW: u32 = 3;
const FIRST_MONTH_COL: u32 = FIXED.len() as u32;
const TICK: &str = "√";
/// A thousand workers and 80 months of columns, with room for notes: far past any roster.
const BOUNDS: SheetBounds = SheetBounds {
    rows: 2_000,
    cols: 256,
};

pub fn write(
    title: &str,
    zones: &[Zone],
    period: &[Month],
    workers: &[RosterWorker],
    subtotals: &[MonthSubtotal],
) -> Result<Vec<u8>, XlsxError> {
    let (header, cell, dated) = (header_format(), cell_format(), date_format());
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name(SHEET)?;
    let months: Vec<Month> = {
        // The period's months, and any other month the roster has, in order.
        let mut all: Vec<Month> = period.to_vec();
        for worker in workers {
            for key in worker.months.keys() {
                if let Ok(month) = key.parse::<Month>()
                    && !all.contains(&month)
                {
                    all.push(month);
                }
            }
        }
        all.sort();
        all
    };
    let last_col = (FIRST_MONTH_COL + 3 * months.len() as u32).saturating_sub(1) as u16;
    sheet.merge_range(
        0,
        0,
        0,
        last_col,
        &format!("{title}社工到岗情况统计表"),
        &header,
    )?;
    for (col, label) in FIXED.iter().enumerate() {
        sheet.merge_range(
            MONTH_ROW,
            col as u16,
            MONTH_ROW + 1,
            col as u16,
            label,
            &header,
        )?;
    }
    sheet.set_column_width(2, 14)?;
    sheet.set_column_width(3, 14)?;
    sheet.set_column_width(CONTRACT_TERM_COL as u16, 20)?;
    for (k, month) in months.iter().enumerate() {
        let col = (FIRST_MONTH_COL + 3 * k as u32) as u16;
        sheet.merge_range(
            MONTH_ROW,
            col,
            MONTH_ROW,
            col + 2,
            &month.chinese(),
            &header,
        )?;
        for (offset, label) in ["人员到位", "社保购买", "工资发放"].into_iter().enumerate()
        {
            sheet.write_string_with_format(MONTH_ROW + 1, col + offset as u16, label, &header)?;
        }
    }
    let zone_name = |id: Option<i64>| {
        id.and_then(|id| zones.iter().find(|z| z.id == id))
            .map_or(String::new(), |z| z.name.clone())
    };
    let mut row = FIRST_WORKER_ROW;
    for (line, worker) in workers.iter().enumerate() {
        sheet.write_number_with_format(row, 0, (line + 1) as f64, &cell)?;
        let texts = [
            (1, worker.name.clone()),
            (2, worker.position.clone()),
            (3, worker.qualification.chinese_name().to_owned()),
            (
                4,
                if worker.over_two_years { "是" } else { "否" }.to_owned(),
            ),
            (6, zone_name(worker.zone_id)),
            (9, worker.note.clone().unwrap_or_default()),
            (
                CONTRACT_TERM_COL as u16,
                worker.contract_term.clone().unwrap_or_default(),
            ),
        ];
        for (col, value) in texts {
            sheet.write_string_with_format(row, col, &value, &cell)?;
        }
        for (col, value) in [
            (5, worker.practice_start),
            (7, worker.joined_on),
            (8, worker.left_on),
        ] {
            match value {
                Some(day) => sheet.write_datetime_with_format(row, col, day, &dated)?,
                None => sheet.write_blank(row, col, &cell)?,
            };
        }
        for (k, month) in months.iter().enumerate() {
            let col = (FIRST_MONTH_COL + 3 * k as u32) as u16;
            match worker.months.get(&month.to_string()) {
                Some(entry) => {
                    sheet.write_number_with_format(row, col, number(entry.on_post), &cell)?;
                    for (offset, flag) in [(1, entry.insurance), (2, entry.wage)] {
                        sheet.write_string_with_format(
                            row,
                            col + offset,
                            if flag { TICK } else { "" },
                            &cell,
                        )?;
                    }
                }
                None => {
                    for offset in 0..3 {
                        sheet.write_blank(row, col + offset, &cell)?;
                    }
                }
            }
        }
        row += 1;
    }
    // 小计 rows: no 序号, so an import stops before them.
    row += 1;
    type Pick = fn(&MonthSubtotal) -> (Option<i64>, Option<Points>);
    let lines: [(&str, Pick); 6] = [
        ("持证社工到岗人数", |s| {
            (Some(s.certified_heads), None)
        }),
        ("持证社工有效人次小计", |s| {
            (None, Some(s.certified_person_months))
        }),
        ("非持证社工到岗人数", |s| {
            (Some(s.uncertified_heads), None)
        }),
        ("非持证社工有效人次小计", |s| {
            (None, Some(s.uncertified_person_months))
        }),
        ("到岗人数总计", |s| (Some(s.total_heads), None)),
        ("有效人次总计", |s| {
            (None, Some(s.total_person_months))
        }),
    ];
    for (label, pick) in lines {
        sheet.write_string_with_format(row, 1, label, &header)?;
        for subtotal in subtotals {
            let Some(k) = months.iter().position(|m| m.to_string() == subtotal.month) else {
                continue;
            };
            let col = (FIRST_MONTH_COL + 3 * k as u32) as u16;
            match pick(subtotal) {
                (Some(heads), _) => {
                    sheet.write_number_with_format(row, col, heads as f64, &cell)?
                }
                (None, Some(person_months)) => {
                    sheet.write_number_with_format(row, col, number(person_months), &cell)?
                }
                (None, None) => sheet.write_blank(row, col, &cell)?,
            };
        }
        row += 1;
    }
    workbook.save_to_buffer()
}

fn qualification(name: &str) -> Option<Qualification> {
    Qualification::ALL
        .into_iter()
        .find(|q| q.chinese_name() == name || q.code() == name)
}

fn flag(value: &str) -> Option<bool> {
    match value {
        "" | "否" | "×" | "false" => Some(false),
        "√" | "✓" | "是" | "true" => Some(true),
        _ => None,
    }
}

/// "2024年12月" (or "2024-12") → the month.
/// The rules the JSON roster follows for what is typed (lengths, one line, no control
/// characters — an Excel cell can hold them, escaped as `_x0000_`), on the cells of `row` that
/// have no problem yet.
fn typed_like_json(worker: &RosterWorker, row: u32, problems: &mut Vec<CellProblem>) {
    let Err(errors) = worker.validate() else {
        return;
    };
    let mut found: Vec<(u32, String)> = errors
        .field_errors()
        .into_iter()
        .filter_map(|(field, list)| {
            let col = match field.as_ref() {
                "name" => 1,
                "position" => 2,
                "note" => 9,
                "contract_term" => CONTRACT_TERM_COL,
                _ => return None,
            };
            let message = list.first()?.message.as_ref()?.to_string();
            Some((col, message))
        })
        .collect();
    found.sort();
    for (col, message) in found {
        let cell = super::cell_name(row, col);
        if !problems.iter().any(|p| p.sheet == SHEET && p.cell == cell) {
            problems.push(CellProblem::new(SHEET, row, col, message));
        }
    }
}

fn month_of(header: &str) -> Option<Month> {
    if let Ok(month) = header.parse::<Month>() {
        return Some(month);
    }
    let (year, rest) = header.split_once('年')?;
    let month = rest.strip_suffix('月')?;
    format!("{year}-{:0>2}", month.trim()).parse().ok()
}

/// Reads the roster; every month of `period` must have its column group.
pub fn read(
    bytes: &[u8],
    zones: &[Zone],
    period: &[Month],
) -> Result<Vec<RosterWorker>, Vec<CellProblem>> {
    let mut workbook = BoundedWorkbook::open(bytes).map_err(|e| vec![e.problem(SHEET)])?;
    let extra = workbook.unexpected_sheets(&[SHEET], "社工到岗情况附表");
    if !extra.is_empty() {
        return Err(extra);
    }
    let range = workbook
        .sheet(SHEET, BOUNDS)
        .map_err(|e| vec![e.problem(SHEET)])?;
    let mut problems = Vec::new();
    let has_contract_term = text(&range, MONTH_ROW, CONTRACT_TERM_COL) == "合同期限";
    let first_month_col = if has_contract_term {
        FIRST_MONTH_COL
    } else {
        CONTRACT_TERM_COL
    };
    let mut months: Vec<(u32, Month)> = Vec::new();
    let mut col = first_month_col;
    loop {
        let header = text(&range, MONTH_ROW, col);
        if header.is_empty() {
            break;
        }
        match month_of(&header) {
            Some(month) => months.push((col, month)),
            None => problems.push(CellProblem::new(
                SHEET,
                MONTH_ROW,
                col,
                format!("“{header}”不是月份，请写作 2024年12月"),
            )),
        }
        col += 3;
    }
    for month in period {
        if !months.iter().any(|(_, m)| m == month) {
            problems.push(CellProblem::new(
                SHEET,
                MONTH_ROW,
                col,
                format!("缺少评估期内 {} 的到岗列", month.chinese()),
            ));
        }
    }
    let mut workers = Vec::new();
    let mut row = FIRST_WORKER_ROW;
    while !text(&range, row, 0).is_empty() {
        let mut bad =
            |col: u32, reason: String| problems.push(CellProblem::new(SHEET, row, col, reason));
        let name = text(&range, row, 1);
        if name.is_empty() {
            bad(1, "请填写姓名".into());
        }
        let position = text(&range, row, 2);
        if position.is_empty() {
            bad(2, "请填写职位".into());
        }
        let qualification = match qualification(&text(&range, row, 3)) {
            Some(q) => q,
            None => {
                bad(3, "资质须为 社会工作师、助理社会工作师 或 非持证".into());
                Qualification::Uncertified
            }
        };
        let over_two_years = flag(&text(&range, row, 4)).unwrap_or_else(|| {
            bad(4, "从业2年以上须填 是 或 否".into());
            false
        });
        let mut date_at = |col: u32| {
            date(&range, row, col).unwrap_or_else(|reason| {
                bad(col, reason);
                None
            })
        };
        let (practice_start, joined_on, left_on) = (date_at(5), date_at(7), date_at(8));
        let zone_text = text(&range, row, 6);
        let zone_id = if zone_text.is_empty() {
            None
        } else {
            let found = zones.iter().find(|z| z.name == zone_text).map(|z| z.id);
            if found.is_none() {
                problems.push(CellProblem::new(
                    SHEET,
                    row,
                    6,
                    format!("本社工站没有片区“{zone_text}”"),
                ));
            }
            found
        };
        let note = Some(text(&range, row, 9)).filter(|n| !n.is_empty());
        let contract_term = Some(text(&range, row, CONTRACT_TERM_COL))
            .filter(|t| has_contract_term && !t.is_empty());
        let mut entries = BTreeMap::new();
        for (col, month) in &months {
            let on_post = points(&range, row, *col);
            let insurance = text(&range, row, col + 1);
            let wage = text(&range, row, col + 2);
            let on_post = match on_post {
                Ok(value) => value,
                Err(reason) => {
                    problems.push(CellProblem::new(SHEET, row, *col, reason));
                    continue;
                }
            };
            if on_post.is_none() && insurance.is_empty() && wage.is_empty() {
                continue;
            }
            let on_post = on_post.unwrap_or(Points::ZERO);
            if !staffing::on_post_allowed(on_post) {
                problems.push(CellProblem::new(
                    SHEET,
                    row,
                    *col,
                    "人员到位须为 1、0.5 或 0",
                ));
            }
            let mut flag_at = |offset: u32, value: &str| {
                flag(value).unwrap_or_else(|| {
                    problems.push(CellProblem::new(SHEET, row, col + offset, "须填 √ 或留空"));
                    false
                })
            };
            let entry = MonthEntry {
                on_post,
                insurance: flag_at(1, &insurance),
                wage: flag_at(2, &wage),
            };
            entries.insert(month.to_string(), entry);
        }
        let worker = RosterWorker {
            name,
            position,
            qualification,
            over_two_years,
            practice_start,
            zone_id,
            joined_on,
            left_on,
            note,
            contract_term,
            months: entries,
        };
        typed_like_json(&worker, row, &mut problems);
        workers.push(worker);
        row += 1;
    }
    if problems.is_empty() {
        Ok(workers)
    } else {
        Err(problems)
    }
}
