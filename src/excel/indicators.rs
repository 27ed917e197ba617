//! 附件1 指标完成情况统计表: sheet "片区指标" has a row per zone and a 合计 row, with a column
//! group (协议量 / 完成量 / 百分比) per zone indicator; sheet "全站指标" has a row per
//! station-wide indicator.

use rust_xlsxwriter::{Workbook, XlsxError};

use super::bounded::{BoundedWorkbook, SheetBounds};
use super::{CellProblem, cell_format, header_format, number, percent_format, points, text};
use crate::domain::indicators::{self, Figure, IndicatorTable, Zone};
use crate::domain::points::Points;
use crate::domain::scheme::{IndicatorScope, Scheme};

pub const ZONE_SHEET: &str = "片区指标";
pub const STATION_SHEET: &str = "全站指标";
const TOTAL: &str = "合计";
/// Row of the indicator names, and the first zone row (0-based).
const NAME_ROW: u32 = 1;
const FIRST_ZONE_ROW: u32 = 3;
/// Hundreds of zones or indicators, and room for notes: far past any station's annex.
const BOUNDS: SheetBounds = SheetBounds {
    rows: 1_000,
    cols: 256,
};

pub fn write(
    title: &str,
    scheme: &Scheme,
    zones: &[Zone],
    table: &IndicatorTable,
) -> Result<Vec<u8>, XlsxError> {
    let (header, cell, percent) = (header_format(), cell_format(), percent_format());
    let find = |code: &str, zone: Option<i64>| {
        table
            .rows
            .iter()
            .find(|r| r.indicator == code && r.zone_id == zone)
    };
    let total_of = |code: &str| table.totals.iter().find(|t| t.indicator == code);
    let mut workbook = Workbook::new();

    let sheet = workbook.add_worksheet();
    sheet.set_name(ZONE_SHEET)?;
    let zone_defs: Vec<_> = scheme
        .indicators
        .iter()
        .filter(|i| i.scope == IndicatorScope::Zone)
        .collect();
    let last_col = 3 * zone_defs.len() as u16;
    sheet.merge_range(
        0,
        0,
        0,
        last_col.max(1),
        &format!("{title}指标完成情况统计表"),
        &header,
    )?;
    sheet.merge_range(NAME_ROW, 0, NAME_ROW + 1, 0, "片区", &header)?;
    sheet.set_column_width(0, 10)?;
    for (k, def) in zone_defs.iter().enumerate() {
        let col = 1 + 3 * k as u16;
        sheet.merge_range(NAME_ROW, col, NAME_ROW, col + 2, &def.name, &header)?;
        for (offset, label) in ["协议量", "完成量", "百分比"].into_iter().enumerate() {
            sheet.write_string_with_format(NAME_ROW + 1, col + offset as u16, label, &header)?;
        }
    }
    let values =
        |target: Option<Points>, completed: Option<Points>, percent_value: Option<Points>| {
            [target, completed, percent_value]
        };
    let mut places: Vec<(String, Option<i64>)> =
        zones.iter().map(|z| (z.name.clone(), Some(z.id))).collect();
    places.push((TOTAL.to_owned(), None));
    for (row, (name, zone)) in (FIRST_ZONE_ROW..).zip(places) {
        sheet.write_string_with_format(row, 0, &name, &cell)?;
        for (k, def) in zone_defs.iter().enumerate() {
            let col = 1 + 3 * k as u16;
            let figures = match zone {
                Some(zone) => {
                    find(&def.code, Some(zone)).map(|r| values(r.target, r.completed, r.percent))
                }
                None => total_of(&def.code).map(|t| values(t.target, t.completed, t.percent)),
            }
            .unwrap_or([None; 3]);
            for (offset, figure) in figures.into_iter().enumerate() {
                let format = if offset == 2 { &percent } else { &cell };
                let col = col + offset as u16;
                match figure {
                    Some(value) => {
                        sheet.write_number_with_format(row, col, number(value), format)?
                    }
                    None => sheet.write_blank(row, col, format)?,
                };
            }
        }
    }

    let sheet = workbook.add_worksheet();
    sheet.set_name(STATION_SHEET)?;
    sheet.merge_range(0, 0, 0, 3, &format!("{title}全站指标完成情况"), &header)?;
    for (col, label) in ["指标", "协议量", "完成量", "百分比"]
        .into_iter()
        .enumerate()
    {
        sheet.write_string_with_format(1, col as u16, label, &header)?;
    }
    sheet.set_column_width(0, 22)?;
    let station_defs = scheme
        .indicators
        .iter()
        .filter(|i| i.scope == IndicatorScope::Station);
    for (k, def) in station_defs.enumerate() {
        let row = 2 + k as u32;
        sheet.write_string_with_format(row, 0, &def.name, &cell)?;
        let figures = find(&def.code, None)
            .map(|r| values(r.target, r.completed, r.percent))
            .unwrap_or([None; 3]);
        for (offset, figure) in figures.into_iter().enumerate() {
            let format = if offset == 2 { &percent } else { &cell };
            let col = 1 + offset as u16;
            match figure {
                Some(value) => sheet.write_number_with_format(row, col, number(value), format)?,
                None => sheet.write_blank(row, col, format)?,
            };
        }
    }
    workbook.save_to_buffer()
}

/// What an import writes: one figure (targets or completions) for every cell the workbook has.
#[derive(Debug, Clone, Default)]
pub struct Imported {
    /// (indicator, zone, value); a None value removes the row.
    pub cells: Vec<(String, Option<i64>, Option<Points>)>,
    /// The 合计 row as the workbook states it: (indicator, total).
    pub stated_totals: Vec<(String, Points)>,
}

pub fn read(
    bytes: &[u8],
    scheme: &Scheme,
    zones: &[Zone],
    figure: Figure,
) -> Result<Imported, Vec<CellProblem>> {
    let offset = match figure {
        Figure::Target => 0,
        Figure::Completion => 1,
    };
    let mut workbook = BoundedWorkbook::open(bytes).map_err(|e| vec![e.problem(ZONE_SHEET)])?;
    let extra = workbook.unexpected_sheets(&[ZONE_SHEET, STATION_SHEET], "服务指标附表");
    if !extra.is_empty() {
        return Err(extra);
    }
    let mut open = |name: &str| {
        workbook
            .sheet(name, BOUNDS)
            .map_err(|e| vec![e.problem(name)])
    };
    let zone_sheet = open(ZONE_SHEET)?;
    let station_sheet = open(STATION_SHEET)?;
    let mut problems = Vec::new();
    let mut imported = Imported::default();
    let mut check = |sheet_name: &str,
                     row: u32,
                     col: u32,
                     code: &str,
                     value: Result<Option<Points>, String>| {
        match value {
            Err(reason) => {
                problems.push(CellProblem::new(sheet_name, row, col, reason));
                None
            }
            Ok(Some(v)) => {
                let def = scheme.indicators.iter().find(|i| i.code == code)?;
                if indicators::fits_decimals(def, v) {
                    Some(Some(v))
                } else {
                    let reason = format!("“{}”最多 {} 位小数", def.name, def.decimals);
                    problems.push(CellProblem::new(sheet_name, row, col, reason));
                    None
                }
            }
            Ok(None) => Some(None),
        }
    };

    // Column groups: the indicator names on the name row.
    let mut groups: Vec<(u32, String)> = Vec::new();
    let mut col = 1;
    let mut unknown = Vec::new();
    loop {
        let name = text(&zone_sheet, NAME_ROW, col);
        if name.is_empty() {
            break;
        }
        match scheme
            .indicators
            .iter()
            .find(|i| i.name == name && i.scope == IndicatorScope::Zone)
        {
            Some(def) => groups.push((col, def.code.clone())),
            None => unknown.push(CellProblem::new(
                ZONE_SHEET,
                NAME_ROW,
                col,
                format!("评估方案中没有片区指标“{name}”"),
            )),
        }
        col += 3;
    }
    let mut row = FIRST_ZONE_ROW;
    loop {
        let name = text(&zone_sheet, row, 0);
        if name.is_empty() {
            break;
        }
        let zone = if name == TOTAL {
            None
        } else {
            match zones.iter().find(|z| z.name == name) {
                Some(zone) => Some(zone.id),
                None => {
                    unknown.push(CellProblem::new(
                        ZONE_SHEET,
                        row,
                        0,
                        format!("本社工站没有片区“{name}”"),
                    ));
                    row += 1;
                    continue;
                }
            }
        };
        for (col, code) in &groups {
            let at = col + offset;
            let read = points(&zone_sheet, row, at);
            if let Some(value) = check(ZONE_SHEET, row, at, code, read) {
                match zone {
                    Some(zone) => imported.cells.push((code.clone(), Some(zone), value)),
                    None => {
                        if let Some(total) = value {
                            imported.stated_totals.push((code.clone(), total));
                        }
                    }
                }
            }
        }
        row += 1;
    }

    let mut row = 2;
    loop {
        let name = text(&station_sheet, row, 0);
        if name.is_empty() {
            break;
        }
        match scheme
            .indicators
            .iter()
            .find(|i| i.name == name && i.scope == IndicatorScope::Station)
        {
            Some(def) => {
                let at = 1 + offset;
                let read = points(&station_sheet, row, at);
                if let Some(value) = check(STATION_SHEET, row, at, &def.code, read) {
                    imported.cells.push((def.code.clone(), None, value));
                }
            }
            None => unknown.push(CellProblem::new(
                STATION_SHEET,
                row,
                0,
                format!("评估方案中没有全站指标“{name}”"),
            )),
        }
        row += 1;
    }
    // Names first (they explain the rest), then the cells in reading order.
    unknown.extend(problems);
    if unknown.is_empty() {
        Ok(imported)
    } else {
        Err(unknown)
    }
}
