//! The summary workbook (GET /evaluations.xlsx, DESIGN.md §8): plain tables, one per sheet —
//! numbers as numbers with two places, the header row frozen, each column as wide as its
//! widest cell.

use chrono::NaiveDate;
use rust_xlsxwriter::{Format, Workbook, XlsxError};

use super::{cell_format, date_format, header_format, number};
use crate::domain::points::Points;

/// One cell of a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Text(String),
    /// Shown with two places.
    Points(Points),
    Count(i64),
    Date(NaiveDate),
    Empty,
}

impl Cell {
    pub fn text(value: impl Into<String>) -> Cell {
        Cell::Text(value.into())
    }

    pub fn points(value: Option<Points>) -> Cell {
        value.map_or(Cell::Empty, Cell::Points)
    }

    /// The width the cell needs, in Excel's character units (a Chinese character takes two).
    fn width(&self) -> usize {
        match self {
            Cell::Text(text) => text.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum(),
            Cell::Points(p) => p.to_string().len(),
            Cell::Count(n) => n.to_string().len(),
            Cell::Date(_) => 10,
            Cell::Empty => 0,
        }
    }
}

/// A row of a sheet; a header row is bold (the first row of a sheet always is, and stays on
/// screen while scrolling).
#[derive(Debug, Clone)]
pub struct Row {
    pub header: bool,
    pub cells: Vec<Cell>,
}

impl Row {
    pub fn header(names: impl IntoIterator<Item = String>) -> Row {
        Row {
            header: true,
            cells: names.into_iter().map(Cell::Text).collect(),
        }
    }

    pub fn data(cells: Vec<Cell>) -> Row {
        Row {
            header: false,
            cells,
        }
    }

    pub fn blank() -> Row {
        Row::data(Vec::new())
    }
}

pub struct Sheet {
    pub name: String,
    pub rows: Vec<Row>,
}

/// Widest column allowed, in characters: long names wrap beyond it.
const MAX_WIDTH: usize = 40;

pub fn write(sheets: &[Sheet]) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let header = header_format();
    let text = cell_format();
    let points = Format::new()
        .set_num_format("0.00")
        .set_border(rust_xlsxwriter::FormatBorder::Thin);
    let count = Format::new()
        .set_num_format("0")
        .set_border(rust_xlsxwriter::FormatBorder::Thin);
    let date = date_format();
    for sheet in sheets {
        let worksheet = workbook.add_worksheet();
        worksheet.set_name(&sheet.name)?;
        worksheet.set_freeze_panes(1, 0)?;
        let mut widths: Vec<usize> = Vec::new();
        for (r, row) in sheet.rows.iter().enumerate() {
            let r = u32::try_from(r).unwrap_or(u32::MAX);
            for (c, cell) in row.cells.iter().enumerate() {
                let c = u16::try_from(c).unwrap_or(u16::MAX);
                if widths.len() <= usize::from(c) {
                    widths.resize(usize::from(c) + 1, 0);
                }
                widths[usize::from(c)] = widths[usize::from(c)].max(cell.width());
                match cell {
                    Cell::Text(value) => {
                        let format = if row.header { &header } else { &text };
                        worksheet.write_string_with_format(r, c, value, format)?;
                    }
                    Cell::Points(value) => {
                        worksheet.write_number_with_format(r, c, number(*value), &points)?;
                    }
                    Cell::Count(value) => {
                        worksheet.write_number_with_format(r, c, *value as f64, &count)?;
                    }
                    Cell::Date(value) => {
                        worksheet.write_date_with_format(r, c, *value, &date)?;
                    }
                    Cell::Empty => {
                        worksheet.write_blank(r, c, &text)?;
                    }
                }
            }
        }
        for (c, width) in widths.iter().enumerate() {
            let c = u16::try_from(c).unwrap_or(u16::MAX);
            // Room for the filter arrow and the border.
            worksheet.set_column_width(c, (width + 2).clamp(6, MAX_WIDTH) as f64)?;
        }
    }
    workbook.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_count_chinese_characters_twice() {
        assert_eq!(Cell::text("西村街").width(), 6);
        assert_eq!(Cell::text("A1").width(), 2);
        assert_eq!(Cell::Points(Points::from_hundredths(8908)).width(), 5);
    }

    #[test]
    fn a_workbook_is_written() {
        let sheets = [Sheet {
            name: "评估结果".into(),
            rows: vec![
                Row::header(["服务站".to_owned(), "总分".to_owned()]),
                Row::data(vec![
                    Cell::text("西村街"),
                    Cell::Points(Points::from_hundredths(8908)),
                ]),
            ],
        }];
        let bytes = write(&sheets).expect("written");
        assert!(bytes.starts_with(b"PK"));
    }
}
