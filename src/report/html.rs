//! The report as one self-contained HTML page: A4 print styles, a Chinese font stack, annexes on
//! landscape pages, tables with the annexes' merged header cells. Escaped by askama.

use askama::Template;

use super::model::{Block, Report};

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage<'a> {
    report: &'a Report,
}

pub fn render(report: &Report) -> Result<String, askama::Error> {
    ReportPage { report }.render()
}
