//! Excel workbooks in the layout of the reference reports' annexes: the indicator table (附件1)
//! and the staff roster (附件2). Writing with rust_xlsxwriter, reading with calamine; an import
//! checks every cell and reports every problem at once, by sheet and cell ("C7").

pub mod bounded;
pub mod clients;
pub mod indicators;
pub mod onboarding;
pub mod staff;
pub mod summary;

use calamine::{Data, Range};
use chrono::NaiveDate;
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder};

use crate::domain::points::{Points, PointsError};

/// The content type of an .xlsx workbook.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// One thing wrong with an imported workbook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellProblem {
    pub sheet: String,
    /// A1-style, e.g. "C7"; empty when the problem is the sheet itself.
    pub cell: String,
    pub reason: String,
}

impl CellProblem {
    pub fn new(sheet: &str, row: u32, col: u32, reason: impl Into<String>) -> CellProblem {
        CellProblem {
            sheet: sheet.to_owned(),
            cell: cell_name(row, col),
            reason: reason.into(),
        }
    }

    /// "片区指标!C7" — the field of the problem+json error.
    pub fn field(&self) -> String {
        if self.cell.is_empty() {
            self.sheet.clone()
        } else {
            format!("{}!{}", self.sheet, self.cell)
        }
    }
}

/// "C7" for the 0-based (6, 2).
pub fn cell_name(row: u32, col: u32) -> String {
    format!("{}{}", column_name(col), u64::from(row) + 1)
}

/// "C" for the 0-based column 2 (any u32, even one a crafted sheet reaches).
pub fn column_name(col: u32) -> String {
    let mut letters = Vec::new();
    let mut n = u64::from(col) + 1;
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(char::from(b'A' + rem as u8));
        n = (n - 1) / 26;
    }
    letters.reverse();
    letters.into_iter().collect()
}

#[derive(Debug, thiserror::Error)]
pub enum WorkbookError {
    #[error("无法读取该 Excel 文件（须为 .xlsx 格式）")]
    Unreadable,
    #[error("工作簿中没有名为“{0}”的工作表")]
    MissingSheet(String),
    #[error("工作簿包含的部件过多（至多 {0} 个），请另存为普通的 .xlsx 文件")]
    TooManyEntries(usize),
    #[error("工作簿解压后过大（至多 {0} MB），请删去图片等与附表无关的内容")]
    TooLarge(u64),
    #[error("工作表“{sheet}”第 {row} 行超出附表范围（至多 {limit} 行），请删去多余的行")]
    TooManyRows { sheet: String, row: u32, limit: u32 },
    #[error("工作表“{sheet}”第 {column} 列超出附表范围（至多 {limit} 列），请删去多余的列")]
    TooManyColumns {
        sheet: String,
        column: String,
        limit: u32,
    },
    #[error("工作簿读取超时，请删去与附表无关的内容后重试")]
    TooSlow,
}

impl WorkbookError {
    /// The refusal as the one problem of sheet `sheet` (the workbook's when it is about the file).
    pub fn problem(&self, sheet: &str) -> CellProblem {
        let sheet = match self {
            WorkbookError::Unreadable
            | WorkbookError::TooManyEntries(_)
            | WorkbookError::TooLarge(_)
            | WorkbookError::TooSlow => WORKBOOK,
            WorkbookError::MissingSheet(_)
            | WorkbookError::TooManyRows { .. }
            | WorkbookError::TooManyColumns { .. } => sheet,
        };
        CellProblem {
            sheet: sheet.to_owned(),
            cell: String::new(),
            reason: self.to_string(),
        }
    }
}

/// The field of a problem with the file as a whole.
pub const WORKBOOK: &str = "workbook";

/// At most this many workbooks are read at once: each read's memory is bounded, and so is
/// their sum, and the other requests keep a core.
static READING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// Reads an uploaded workbook off the async workers, before any transaction is opened.
pub async fn read_off_workers<T, F>(bytes: Vec<u8>, read: F) -> anyhow::Result<T>
where
    F: FnOnce(&[u8]) -> T + Send + 'static,
    T: Send + 'static,
{
    let permit = READING.acquire().await?;
    // The permit goes with the read: a client that leaves does not end it early.
    Ok(tokio::task::spawn_blocking(move || {
        let _permit = permit;
        read(&bytes)
    })
    .await?)
}

pub fn value(range: &Range<Data>, row: u32, col: u32) -> &Data {
    range.get_value((row, col)).unwrap_or(&Data::Empty)
}

pub fn text(range: &Range<Data>, row: u32, col: u32) -> String {
    match value(range, row, col) {
        Data::String(s) => s.trim().to_owned(),
        Data::Float(f) => format!("{f}"),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTimeIso(s) => s.clone(),
        _ => String::new(),
    }
}

/// A number cell as exact points: empty → None; a text, a negative number or more than two
/// decimals → the reason. Excel keeps doubles: the shortest decimal that reads back as the same
/// double is what the user typed.
pub fn points(range: &Range<Data>, row: u32, col: u32) -> Result<Option<Points>, String> {
    let typed = match value(range, row, col) {
        Data::Empty => return Ok(None),
        Data::String(s) if s.trim().is_empty() || s.trim() == "/" => return Ok(None),
        Data::Float(f) => format!("{f}"),
        Data::Int(i) => i.to_string(),
        Data::String(s) => return Err(format!("“{}”不是数字", s.trim())),
        _ => return Err("须为数字".to_owned()),
    };
    if typed.starts_with('-') {
        return Err(format!("{typed} 为负数，须不小于 0"));
    }
    typed.parse::<Points>().map(Some).map_err(|e| match e {
        PointsError::TooManyDecimals => format!("{typed} 超过两位小数"),
        other => other.to_string(),
    })
}

/// A date cell (an Excel date or a text "2025-01-26"); empty → None.
pub fn date(range: &Range<Data>, row: u32, col: u32) -> Result<Option<NaiveDate>, String> {
    match value(range, row, col) {
        Data::Empty => Ok(None),
        Data::DateTime(d) => d
            .as_datetime()
            .map(|dt| Some(dt.date()))
            .ok_or_else(|| "不是有效日期".to_owned()),
        Data::String(s) if s.trim().is_empty() => Ok(None),
        Data::String(s) | Data::DateTimeIso(s) => s
            .trim()
            .get(..10)
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .map(Some)
            .ok_or_else(|| format!("“{}”不是日期，请写作 2025-01-26", s.trim())),
        _ => Err("须为日期，如 2025-01-26".to_owned()),
    }
}

/// Points as an Excel number (Excel holds doubles; two places survive the round trip).
pub fn number(points: Points) -> f64 {
    points.hundredths() as f64 / 100.0
}

pub fn header_format() -> Format {
    Format::new()
        .set_bold()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_text_wrap()
        .set_border(FormatBorder::Thin)
}

pub fn cell_format() -> Format {
    Format::new().set_border(FormatBorder::Thin)
}

pub fn percent_format() -> Format {
    Format::new()
        .set_num_format("0.00\"%\"")
        .set_border(FormatBorder::Thin)
}

pub fn date_format() -> Format {
    Format::new()
        .set_num_format("yyyy-mm-dd")
        .set_border(FormatBorder::Thin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_named_like_excel() {
        assert_eq!(cell_name(0, 0), "A1");
        assert_eq!(cell_name(6, 2), "C7");
        assert_eq!(cell_name(9, 25), "Z10");
        assert_eq!(cell_name(0, 26), "AA1");
        assert_eq!(cell_name(0, 701), "ZZ1");
        assert_eq!(cell_name(u32::MAX, u32::MAX), "MWLQKWV4294967296");
    }
}
