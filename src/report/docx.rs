//! The report as a Word document (docx-rs): a cover page, headings by level (numbered as the
//! model numbers them), run-in labels, numbered items, tables with merged header cells, annexes on
//! new pages, page numbers in the footer. Opens in Word and LibreOffice.

use docx_rs::{
    AlignmentType, BreakType, Docx, Footer, NumPages, PageNum, Paragraph, Run, RunFonts, Style,
    StyleType, Table as DocxTable, TableCell, TableRow, VMergeType, WidthType,
};

use super::model::{Block, Cell, Report, Table};

/// Half-points, as Word counts font sizes.
const BODY_SIZE: usize = 24;
const TABLE_SIZE: usize = 16;

fn styles(docx: Docx) -> Docx {
    let heading = |id: &str, name: &str, size: usize, level: usize| {
        Style::new(id, StyleType::Paragraph)
            .name(name)
            .size(size)
            .bold()
            .outline_lvl(level)
            .fonts(RunFonts::new().east_asia("黑体").ascii("Arial"))
    };
    docx.add_style(heading("Title", "Title", 44, 0).align(AlignmentType::Center))
        .add_style(heading("Heading1", "heading 1", 30, 0))
        .add_style(heading("Heading2", "heading 2", 26, 1))
        .add_style(heading("Heading3", "heading 3", 24, 2))
}

fn text(value: &str) -> Paragraph {
    Paragraph::new().add_run(Run::new().add_text(value))
}

fn body(value: &str) -> Paragraph {
    // Two characters of first-line indent, as Chinese reports set their paragraphs.
    text(value).indent(
        None,
        Some(docx_rs::SpecialIndentType::FirstLine(480)),
        None,
        None,
    )
}

fn cell(source: &Cell, header: bool) -> TableCell {
    let run = Run::new().add_text(&source.text).size(TABLE_SIZE);
    let run = if header { run.bold() } else { run };
    let mut cell =
        TableCell::new().add_paragraph(Paragraph::new().add_run(run).align(AlignmentType::Center));
    if source.colspan > 1 {
        cell = cell.grid_span(source.colspan as usize);
    }
    if source.rowspan > 1 {
        cell = cell.vertical_merge(VMergeType::Restart);
    }
    cell
}

/// Word merges rows by continuing a cell in the rows below; the model says rowspan instead.
fn rows(source: &[Vec<Cell>], header: bool) -> Vec<TableRow> {
    // For each grid column, how many more rows a vertical merge still covers, and its width.
    let mut pending: Vec<(u32, u32)> = Vec::new();
    let mut out = Vec::new();
    for row in source {
        let mut cells = Vec::new();
        let mut column = 0_usize;
        let mut given = row.iter();
        loop {
            if let Some(&(left, span)) = pending.get(column)
                && left > 0
            {
                let mut continued = TableCell::new()
                    .add_paragraph(Paragraph::new())
                    .vertical_merge(VMergeType::Continue);
                if span > 1 {
                    continued = continued.grid_span(span as usize);
                }
                cells.push(continued);
                pending[column].0 -= 1;
                column += span as usize;
                continue;
            }
            let Some(next) = given.next() else { break };
            if pending.len() < column + 1 {
                pending.resize(column + 1, (0, 1));
            }
            pending[column] = (next.rowspan.saturating_sub(1), next.colspan.max(1));
            cells.push(cell(next, header));
            column += next.colspan.max(1) as usize;
        }
        out.push(TableRow::new(cells));
    }
    out
}

fn table(source: &Table) -> DocxTable {
    let mut all = rows(&source.head, true);
    all.extend(rows(&source.body, false));
    DocxTable::new(all).width(5000, WidthType::Pct)
}

pub fn render(report: &Report) -> Result<Vec<u8>, docx_rs::DocxError> {
    let footer = Footer::new().add_paragraph(
        Paragraph::new()
            .add_run(Run::new().add_text("第 "))
            .add_page_num(PageNum::new())
            .add_run(Run::new().add_text(" 页，共 "))
            .add_num_pages(NumPages::new())
            .add_run(Run::new().add_text(" 页"))
            .align(AlignmentType::Center),
    );
    let mut docx = styles(Docx::new())
        .default_fonts(RunFonts::new().east_asia("宋体").ascii("Times New Roman"))
        .default_size(BODY_SIZE)
        .footer(footer);
    docx = docx.add_paragraph(text(&report.title).style("Title"));
    if let Some(subtitle) = &report.subtitle {
        docx = docx.add_paragraph(text(subtitle).align(AlignmentType::Center));
    }
    for line in &report.cover {
        docx = docx.add_paragraph(
            text(&format!("{}：{}", line.label, line.value)).align(AlignmentType::Center),
        );
    }
    docx = docx.add_paragraph(Paragraph::new().add_run(Run::new().add_break(BreakType::Page)));
    for section in &report.sections {
        let style = match section.level {
            1 => "Heading1",
            2 => "Heading2",
            _ => "Heading3",
        };
        docx = docx.add_paragraph(
            text(&section.heading())
                .style(style)
                .page_break_before(section.annex),
        );
        for block in &section.blocks {
            docx = match block {
                Block::Paragraph { text } => docx.add_paragraph(body(text)),
                Block::Label { text: label } => {
                    docx.add_paragraph(Paragraph::new().add_run(Run::new().add_text(label).bold()))
                }
                Block::Items { items } => items
                    .iter()
                    .fold(docx, |docx, item| docx.add_paragraph(body(item))),
                Block::Table(source) => docx
                    .add_paragraph(
                        Paragraph::new()
                            .add_run(Run::new().add_text(&source.caption).bold())
                            .align(AlignmentType::Center),
                    )
                    .add_table(table(source)),
            };
        }
    }
    let mut bytes = std::io::Cursor::new(Vec::new());
    docx.build().pack(&mut bytes)?;
    Ok(bytes.into_inner())
}
