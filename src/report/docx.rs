//! The report as a Word document (docx-rs): a cover page, headings by level (numbered as the
//! model numbers them), run-in labels, numbered items, tables with merged header cells, annexes on
//! new pages, page numbers in the footer. Opens in Word and LibreOffice.

use docx_rs::{
    AlignmentType, BreakType, Docx, Footer, LineSpacing, NumPages, PageMargin, PageNum,
    PageOrientationType, PageSize, Paragraph, Run, RunFonts, Section, Style, StyleType,
    Table as DocxTable, TableCell, TableCellMargins, TableLayoutType, TableRow, VMergeType,
    WidthType,
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

/// A cell of a model row placed on the table's grid, or the continuation of a cell above that
/// spans rows (Word merges rows by continuing a cell below; the model says rowspan instead).
enum Placed<'a> {
    Cell(&'a Cell),
    Continued { span: u32 },
}

/// Each row's cells with their grid column.
fn place(source: &[Vec<Cell>]) -> Vec<Vec<(usize, Placed<'_>)>> {
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
                cells.push((column, Placed::Continued { span }));
                pending[column].0 -= 1;
                column += span as usize;
                continue;
            }
            let Some(next) = given.next() else { break };
            if pending.len() < column + 1 {
                pending.resize(column + 1, (0, 1));
            }
            pending[column] = (next.rowspan.saturating_sub(1), next.colspan.max(1));
            cells.push((column, Placed::Cell(next)));
            column += next.colspan.max(1) as usize;
        }
        out.push(cells);
    }
    out
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
            TableRow::new(cells)
        })
        .collect()
}

/// Twips a table character takes at TABLE_SIZE (8 pt): a CJK character is an em, a digit or a
/// Latin letter about half; each cell adds its side margins and borders.
const CJK_TWIPS: usize = 160;
const LATIN_TWIPS: usize = 85;
const CELL_MARGIN: usize = 45;
const CELL_PADDING: usize = 2 * CELL_MARGIN + 30;
/// Body texts longer than this many CJK characters wrap (备注); headers wrap after two.
const BODY_CHARS: usize = 8;
const HEADER_CHARS: usize = 2;

fn text_twips(text: &str, cap_chars: usize) -> usize {
    let width: usize = text
        .chars()
        .map(|c| if c.is_ascii() { LATIN_TWIPS } else { CJK_TWIPS })
        .sum();
    width.min(cap_chars * CJK_TWIPS) + CELL_PADDING
}

/// Column widths in twips that add up to `total`: each column as wide as its longest body text
/// wants (long texts and headers wrap), the rest of the line shared in proportion, so that no
/// column is squeezed to a character a line.
fn grid(source: &Table, total: usize) -> Vec<usize> {
    let mut wants: Vec<usize> = Vec::new();
    for (rows, cap) in [(&source.head, HEADER_CHARS), (&source.body, BODY_CHARS)] {
        for row in place(rows) {
            for (column, placed) in row {
                let Placed::Cell(cell) = placed else { continue };
                let span = cell.colspan.max(1) as usize;
                if wants.len() < column + span {
                    wants.resize(column + span, CELL_PADDING + CJK_TWIPS);
                }
                if span == 1 {
                    wants[column] = wants[column].max(text_twips(&cell.text, cap));
                }
            }
        }
    }
    let sum: usize = wants.iter().sum::<usize>().max(1);
    wants.iter().map(|w| total * w / sum).collect()
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

fn footer() -> Footer {
    Footer::new().add_paragraph(
        Paragraph::new()
            .add_run(Run::new().add_text("第 "))
            .add_page_num(PageNum::new())
            .add_run(Run::new().add_text(" 页，共 "))
            .add_num_pages(NumPages::new())
            .add_run(Run::new().add_text(" 页"))
            .align(AlignmentType::Center),
    )
}

/// The cover and the report's body in a portrait A4 section; the annexes, whose tables are wide,
/// in a landscape one (the document's last section).
pub fn render(report: &Report) -> Result<Vec<u8>, docx_rs::DocxError> {
    let portrait = (A4_SHORT - 2 * MARGIN as u32) as usize;
    let landscape = (A4_LONG - 2 * MARGIN as u32) as usize;
    let mut front = Section::new()
        .page_size(PageSize::new().size(A4_SHORT, A4_LONG))
        .page_margin(margins())
        .footer(footer())
        .add_paragraph(text(&report.title).style("Title"));
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
        .footer(footer())
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
    docx.build().pack(&mut bytes)?;
    Ok(bytes.into_inner())
}
