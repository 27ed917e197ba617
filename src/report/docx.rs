//! The report as a Word document (docx-rs): a cover page, headings by level (numbered as the
//! model numbers them), run-in labels, numbered items, tables with merged header cells, annexes on
//! new pages, page numbers in the footer. Opens in Word and LibreOffice.

use docx_rs::{
    AlignmentType, BreakType, Docx, Footer, LineSpacing, NumPages, PageMargin, PageNum,
    PageOrientationType, PageSize, Paragraph, Run, RunFonts, Section, Style, StyleType,
    Table as DocxTable, TableCell, TableCellMargins, TableLayoutType, TableRow, VMergeType,
    WidthType,
};

use super::grid::{CELL_MARGIN, Placed, grid, place};
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
    // Two characters of first-line indent and 1.5 lines, as Chinese reports set their body text.
    text(value)
        .indent(
            None,
            Some(docx_rs::SpecialIndentType::FirstLine(480)),
            None,
            None,
        )
        .line_spacing(LineSpacing::new().line(360))
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

fn rows(source: &[Vec<Cell>], header: bool) -> Vec<TableRow> {
    place(source)
        .into_iter()
        .map(|row| {
            let cells = row
                .into_iter()
                .map(|(_, placed)| match placed {
                    Placed::Cell(source) => cell(source, header),
                    Placed::Continued { span } => {
                        let continued = TableCell::new()
                            .add_paragraph(Paragraph::new())
                            .vertical_merge(VMergeType::Continue);
                        if span > 1 {
                            continued.grid_span(span as usize)
                        } else {
                            continued
                        }
                    }
                })
                .collect();
            // A row never breaks across pages (a lone "职" of a 备注 on a page of its own);
            // header rows carry the marker that `repeat_header_rows` makes Word's tblHeader.
            let row = TableRow::new(cells).cant_split();
            if header {
                row.row_height(HEADER_ROW_MARKER)
            } else {
                row
            }
        })
        .collect()
}

/// docx-rs cannot mark a table's header rows to repeat on each page (w:tblHeader); header rows
/// get a height of one twip "at least", which nothing else sets, and that is rewritten into the
/// mark once the document is packed.
const HEADER_ROW_MARKER: f32 = 1.0;
const HEADER_ROW_MARKER_XML: &str = r#"<w:trHeight w:val="1" w:hRule="atLeast" />"#;
const HEADER_ROW_XML: &str = "<w:tblHeader />";

#[derive(Debug, thiserror::Error)]
pub enum DocxError {
    /// docx-rs packs with a zip crate of its own version: its error as text.
    #[error("packing the Word document failed: {0}")]
    Pack(String),
    #[error("rewriting the Word document failed: {0}")]
    Zip(#[from] zip::result::ZipError),
    #[error("rewriting the Word document failed: {0}")]
    Io(#[from] std::io::Error),
}

/// The packed document with its header rows marked to repeat on every page.
fn repeat_header_rows(packed: Vec<u8>) -> Result<Vec<u8>, DocxError> {
    use std::io::{Cursor, Read, Write};
    let mut archive = zip::ZipArchive::new(Cursor::new(packed))?;
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index)?;
        let name = entry.name()?.into_owned();
        let mut content = Vec::new();
        entry.read_to_end(&mut content)?;
        if name == "word/document.xml" {
            content = String::from_utf8_lossy(&content)
                .replace(HEADER_ROW_MARKER_XML, HEADER_ROW_XML)
                .into_bytes();
        }
        out.start_file(name, options)?;
        out.write_all(&content)?;
    }
    Ok(out.finish()?.into_inner())
}

/// Twips: A4 is 11906 × 16838; the annexes are set landscape with these margins.
const A4_SHORT: u32 = 11906;
const A4_LONG: u32 = 16838;
const MARGIN: i32 = 1134;

fn table(source: &Table, width: usize) -> DocxTable {
    let mut all = rows(&source.head, true);
    all.extend(rows(&source.body, false));
    DocxTable::new(all)
        .set_grid(grid(source, width))
        .layout(TableLayoutType::Fixed)
        .margins(TableCellMargins::new().margin(0, CELL_MARGIN, 0, CELL_MARGIN))
        .width(width, WidthType::Dxa)
}

fn margins() -> PageMargin {
    PageMargin::new()
        .top(MARGIN)
        .bottom(MARGIN)
        .left(MARGIN)
        .right(MARGIN)
}

/// A paragraph or a table, before it is known whether it goes into the portrait body section or
/// the landscape annexes.
enum Content {
    Paragraph(Box<Paragraph>),
    Table(Box<DocxTable>),
}

impl Content {
    fn paragraph(p: Paragraph) -> Content {
        Content::Paragraph(Box::new(p))
    }
}

fn contents(report: &Report, annex: bool, width: usize) -> Vec<Content> {
    let mut out = Vec::new();
    let mut first = true;
    for section in report.sections.iter().filter(|s| s.annex == annex) {
        let style = match section.level {
            1 => "Heading1",
            2 => "Heading2",
            _ => "Heading3",
        };
        // The annexes' section starts on a new page; each later annex does too.
        out.push(Content::paragraph(
            text(&section.heading())
                .style(style)
                .page_break_before(annex && !first),
        ));
        first = false;
        for block in &section.blocks {
            match block {
                Block::Paragraph { text } => out.push(Content::paragraph(body(text))),
                Block::Label { text: label } => out.push(Content::paragraph(
                    Paragraph::new().add_run(Run::new().add_text(label).bold()),
                )),
                Block::Items { items } => {
                    out.extend(items.iter().map(|item| Content::paragraph(body(item))))
                }
                Block::Table(source) => {
                    out.push(Content::paragraph(
                        Paragraph::new()
                            .add_run(Run::new().add_text(&source.caption).bold())
                            .align(AlignmentType::Center),
                    ));
                    out.push(Content::Table(Box::new(table(source, width))));
                }
            }
        }
    }
    out
}

/// "穗社评〔2025〕第017号　第 3 页，共 12 页": the number on every page, as filed copies are
/// told apart once printed.
fn footer(number: Option<&str>) -> Footer {
    let lead = number.map(|n| format!("{n}　")).unwrap_or_default();
    Footer::new().add_paragraph(
        Paragraph::new()
            .add_run(Run::new().add_text(format!("{lead}第 ")))
            .add_page_num(PageNum::new())
            .add_run(Run::new().add_text(" 页，共 "))
            .add_num_pages(NumPages::new())
            .add_run(Run::new().add_text(" 页"))
            .align(AlignmentType::Center),
    )
}

/// The cover and the report's body in a portrait A4 section; the annexes, whose tables are wide,
/// in a landscape one (the document's last section).
pub fn render(report: &Report) -> Result<Vec<u8>, DocxError> {
    let portrait = (A4_SHORT - 2 * MARGIN as u32) as usize;
    let landscape = (A4_LONG - 2 * MARGIN as u32) as usize;
    let mut front = Section::new()
        .page_size(PageSize::new().size(A4_SHORT, A4_LONG))
        .page_margin(margins())
        .footer(footer(report.number.as_deref()));
    if let Some(number) = &report.number {
        front = front.add_paragraph(text(number).align(AlignmentType::Right));
    }
    front = front.add_paragraph(text(&report.title).style("Title"));
    if let Some(subtitle) = &report.subtitle {
        front = front.add_paragraph(text(subtitle).align(AlignmentType::Center));
    }
    for line in &report.cover {
        front = front.add_paragraph(
            text(&format!("{}：{}", line.label, line.value)).align(AlignmentType::Center),
        );
    }
    front = front.add_paragraph(Paragraph::new().add_run(Run::new().add_break(BreakType::Page)));
    for content in contents(report, false, portrait) {
        front = match content {
            Content::Paragraph(p) => front.add_paragraph(*p),
            Content::Table(t) => front.add_table(*t),
        };
    }
    let annexes = contents(report, true, landscape);
    let mut docx = styles(Docx::new())
        .default_fonts(RunFonts::new().east_asia("宋体").ascii("Times New Roman"))
        .default_size(BODY_SIZE)
        .footer(footer(report.number.as_deref()))
        .page_margin(margins());
    if annexes.is_empty() {
        // One portrait section: the body is the document's last (and only) section.
        docx = docx.page_size(A4_SHORT, A4_LONG);
        for child in front.children().clone() {
            docx = match child {
                docx_rs::SectionChild::Paragraph(p) => docx.add_paragraph(*p),
                docx_rs::SectionChild::Table(t) => docx.add_table(*t),
                _ => docx,
            };
        }
    } else {
        docx = docx
            .add_section(front)
            .page_size(A4_LONG, A4_SHORT)
            .page_orient(PageOrientationType::Landscape);
        for content in annexes {
            docx = match content {
                Content::Paragraph(p) => docx.add_paragraph(*p),
                Content::Table(t) => docx.add_table(*t),
            };
        }
    }
    let mut bytes = std::io::Cursor::new(Vec::new());
    docx.build()
        .pack(&mut bytes)
        .map_err(|e| DocxError::Pack(e.to_string()))?;
    repeat_header_rows(bytes.into_inner())
}
