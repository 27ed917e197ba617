//! The client list workbook (满意度调查): one sheet, 服务对象名单, a row per service user. The
//! template is empty — phone numbers never leave the server in a download — and the reader
//! checks every cell with the rules of the JSON list (`domain::survey::ClientInput`).

use calamine::{Data, Range};
use rust_xlsxwriter::{Format, Workbook, XlsxError};
use validator::Validate;

use super::bounded::{BoundedWorkbook, SheetBounds};
use super::{CellProblem, WORKBOOK, date, header_format, text};
use crate::domain::survey::ClientInput;

pub const SHEET: &str = "服务对象名单";
/// The columns, in order, and the field of `ClientInput` each fills.
const COLUMNS: [(&str, &str); 6] = [
    ("编号", "key"),
    ("姓名", "name"),
    ("电话", "phone"),
    ("所在社区", "community"),
    ("服务类别", "service"),
    ("首次服务日期", "first_served"),
];
/// The header and 5000 clients, the JSON list's limit.
const BOUNDS: SheetBounds = SheetBounds {
    rows: 5_001,
    cols: 26,
};

/// The empty template: the headers, phone numbers kept as text, widths for Chinese names.
pub fn template() -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name(SHEET)?;
    let header = header_format();
    let as_text = Format::new().set_num_format("@");
    for (col, (title, _)) in COLUMNS.iter().enumerate() {
        let col = col as u16;
        sheet.write_with_format(0, col, *title, &header)?;
        sheet.set_column_width(
            col,
            if *title == "首次服务日期" {
                16
            } else {
                14
            },
        )?;
    }
    // A phone typed into a number cell loses its leading zero (020-…, 0755…).
    sheet.set_column_format(2, &as_text)?;
    sheet.set_freeze_panes(1, 0)?;
    workbook.save_to_buffer()
}

/// The clients of the workbook in its order, each with its 0-based row, or every problem of
/// every cell.
pub fn read(bytes: &[u8]) -> Result<Vec<(u32, ClientInput)>, Vec<CellProblem>> {
    let mut book = BoundedWorkbook::open(bytes).map_err(|e| vec![e.problem(WORKBOOK)])?;
    let mut problems = book.unexpected_sheets(&[SHEET], "服务对象名单模板");
    let range = book
        .sheet(SHEET, BOUNDS)
        .map_err(|e| vec![e.problem(SHEET)])?;
    headers(&range, &mut problems);
    if !problems.is_empty() {
        return Err(problems);
    }
    let end = range.end().map_or(0, |(row, _)| row);
    let mut clients = Vec::new();
    for row in 1..=end {
        let cell = |col: u32| text(&range, row, col);
        if (0..COLUMNS.len() as u32).all(|col| cell(col).is_empty()) {
            continue;
        }
        let first_served = date(&range, row, 5).unwrap_or_else(|reason| {
            problems.push(CellProblem::new(SHEET, row, 5, reason));
            None
        });
        let client = ClientInput {
            key: Some(cell(0)).filter(|k| !k.is_empty()),
            name: cell(1),
            phone: cell(2),
            community: cell(3),
            service: cell(4),
            first_served,
        };
        if let Err(errors) = client.validate() {
            for (field, found) in errors.field_errors() {
                let col = COLUMNS.iter().position(|(_, f)| *f == field).unwrap_or(0);
                let reason = found
                    .first()
                    .and_then(|e| e.message.as_ref())
                    .map_or_else(|| "格式不正确".to_owned(), ToString::to_string);
                problems.push(CellProblem::new(SHEET, row, col as u32, reason));
            }
        }
        clients.push((row, client));
    }
    if problems.is_empty() {
        Ok(clients)
    } else {
        Err(problems)
    }
}

/// The cell (`服务对象名单!C7`) of a field of the JSON list (`clients[5].phone`), given the
/// 0-based rows the list was read from.
pub fn cell_of_field(field: &str, rows: &[u32]) -> String {
    let parsed = field
        .strip_prefix("clients[")
        .and_then(|rest| rest.split_once("]."))
        .and_then(|(index, name)| Some((*rows.get(index.parse::<usize>().ok()?)?, name)));
    match parsed {
        Some((row, name)) => {
            let col = COLUMNS.iter().position(|(_, f)| *f == name).unwrap_or(0);
            format!("{SHEET}!{}", super::cell_name(row, col as u32))
        }
        None => field.to_owned(),
    }
}

/// Row 1 holds exactly the headers and nothing lies right of them.
fn headers(range: &Range<Data>, problems: &mut Vec<CellProblem>) {
    for (col, (expected, _)) in COLUMNS.iter().enumerate() {
        let found = text(range, 0, col as u32);
        if found != *expected {
            problems.push(CellProblem::new(
                SHEET,
                0,
                col as u32,
                format!("表头须为“{expected}”（此处为“{found}”）"),
            ));
        }
    }
    let width = COLUMNS.len() as u32;
    if let Some(col) = range
        .used_cells()
        .map(|(_, col, _)| col as u32)
        .filter(|col| *col >= width)
        .min()
    {
        problems.push(CellProblem::new(SHEET, 0, col, "表头之外的列，请删去"));
    }
}

#[cfg(test)]
mod tests {
    use rust_xlsxwriter::Workbook;

    use super::*;

    fn workbook(rows: &[[&str; 6]], extra_sheet: bool) -> Vec<u8> {
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        sheet.set_name(SHEET).expect("name");
        for (col, (title, _)) in COLUMNS.iter().enumerate() {
            sheet.write(0, col as u16, *title).expect("header");
        }
        for (r, row) in rows.iter().enumerate() {
            for (col, value) in row.iter().enumerate() {
                if !value.is_empty() {
                    sheet.write(r as u32 + 1, col as u16, *value).expect("cell");
                }
            }
        }
        if extra_sheet {
            book.add_worksheet().set_name("Sheet2").expect("name");
        }
        book.save_to_buffer().expect("xlsx")
    }

    #[test]
    fn the_template_reads_back_empty() {
        let template = template().expect("template");
        assert_eq!(read(&template).map(|c| c.len()).ok(), Some(0));
    }

    #[test]
    fn rows_become_clients_and_bad_cells_are_named() {
        let good = workbook(
            &[
                [
                    "A-1",
                    "张*诺",
                    "020-8888 0001",
                    "宝岗社区",
                    "困难群众",
                    "2024-07-01",
                ],
                ["", "", "", "", "", ""],
                ["", "李*华", "13800000002", "宝岗社区", "个案", ""],
            ],
            false,
        );
        let clients = read(&good).expect("clients");
        assert_eq!(clients.len(), 2);
        assert_eq!(clients[0].1.key.as_deref(), Some("A-1"));
        assert_eq!((clients[1].0, clients[1].1.key.as_deref()), (3, None));
        assert_eq!(
            clients[0].1.first_served.map(|d| d.to_string()).as_deref(),
            Some("2024-07-01")
        );
        assert_eq!(
            cell_of_field("clients[1].phone", &[1, 3]),
            "服务对象名单!C4"
        );
        assert_eq!(cell_of_field("clients", &[1, 3]), "clients");

        let refused_cells = |extra_sheet| -> Vec<String> {
            let bad = workbook(&[["", "王*明", "12", "", "小组", "去年"]], extra_sheet);
            let mut cells: Vec<String> = read(&bad)
                .expect_err("refused")
                .iter()
                .map(CellProblem::field)
                .collect();
            cells.sort();
            cells
        };
        assert_eq!(refused_cells(true), ["workbook"], "the extra sheet first");
        let cells = refused_cells(false);
        assert_eq!(
            cells,
            ["服务对象名单!C2", "服务对象名单!D2", "服务对象名单!F2"]
        );
    }
}
