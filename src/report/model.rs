//! The report as a document: a cover, then numbered sections of blocks. Every renderer (HTML,
//! DOCX, PDF) draws this one model; it is stored with each version, so versions can be compared
//! section by section without rendering again.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// "<station> <kind>评估报告"
    pub title: String,
    /// "征求意见稿（第 2 稿）" for drafts, none for the final report.
    pub subtitle: Option<String>,
    /// 报告编号, e.g. 穗社评〔2025〕第017号: on the cover and in every page's footer. None on
    /// versions issued before numbers were given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    /// 项目监督方, 项目购买方, 项目承办方, 项目评估方, 评估日期 (and 审定 once approved).
    pub cover: Vec<CoverLine>,
    pub sections: Vec<Section>,
    /// The roster's workers: the names a publication copy masks (`report::public`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub people: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoverLine {
    pub label: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section {
    /// The outline code of the scheme.
    pub code: String,
    /// 1 for 一、, 2 for （一）, 3 for 1.
    pub level: u8,
    /// "一、", "（二）", "1." — empty for the annexes.
    pub number: String,
    pub title: String,
    /// An annex starts on a new page.
    pub annex: bool,
    pub blocks: Vec<Block>,
}

impl Section {
    pub fn heading(&self) -> String {
        format!("{}{}", self.number, self.title)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    Paragraph {
        text: String,
    },
    /// A run-in heading inside a section: "（一）值得肯定的地方：".
    Label {
        text: String,
    },
    /// Numbered items: "1." … in the text already.
    Items {
        items: Vec<String>,
    },
    Table(Table),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    pub caption: String,
    /// Header rows, with merged cells.
    pub head: Vec<Vec<Cell>>,
    pub body: Vec<Vec<Cell>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cell {
    pub text: String,
    pub colspan: u32,
    pub rowspan: u32,
}

impl Cell {
    pub fn new(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            colspan: 1,
            rowspan: 1,
        }
    }

    pub fn spanning(text: impl Into<String>, colspan: u32, rowspan: u32) -> Cell {
        Cell {
            text: text.into(),
            colspan,
            rowspan,
        }
    }
}

/// 报告编号 as agencies write it: 穗社评〔2025〕第017号 (at least three digits).
pub fn report_number(prefix: &str, year: i32, sequence: i64) -> String {
    format!("{prefix}〔{year}〕第{sequence:03}号")
}

/// 1 → 一, 10 → 十, 12 → 十二, 20 → 二十 (sections never reach 100).
pub fn chinese_number(n: usize) -> String {
    const DIGITS: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        0..=9 => DIGITS[n].to_owned(),
        10 => "十".to_owned(),
        11..=19 => format!("十{}", DIGITS[n % 10]),
        _ if n.is_multiple_of(10) => format!("{}十", DIGITS[(n / 10) % 10]),
        _ => format!("{}十{}", DIGITS[(n / 10) % 10], DIGITS[n % 10]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_numbers_read_as_filed() {
        assert_eq!(report_number("穗社评", 2025, 17), "穗社评〔2025〕第017号");
        assert_eq!(
            report_number("穗社评", 2026, 1234),
            "穗社评〔2026〕第1234号"
        );
    }

    #[test]
    fn section_numbers_are_chinese() {
        let numbers: Vec<String> = [1, 7, 10, 11, 20, 23].map(chinese_number).to_vec();
        assert_eq!(numbers, ["一", "七", "十", "十一", "二十", "二十三"]);
    }
}
