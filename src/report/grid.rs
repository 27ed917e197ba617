//! Where a table's cells fall on its grid and how wide its columns are, shared by the Word and
//! the PDF renderers so that both give 备注 room to read and no column a character a line.

use super::model::{Cell, Table};

/// A cell of a model row placed on the table's grid, or the continuation of a cell above that
/// spans rows (Word merges rows by continuing a cell below; the model says rowspan instead).
pub enum Placed<'a> {
    Cell(&'a Cell),
    Continued { span: u32 },
}

/// Each row's cells with their grid column.
pub fn place(source: &[Vec<Cell>]) -> Vec<Vec<(usize, Placed<'_>)>> {
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

/// Twips a table character takes at 8 pt (the annexes' size in Word and PDF): a CJK character is
/// an em, a digit or a Latin letter about half; each cell adds its side margins, its borders and a
/// point to spare (a name of three characters must not wrap for a rounding).
const CJK_TWIPS: usize = 160;
const LATIN_TWIPS: usize = 85;
pub const CELL_MARGIN: usize = 45;
const CELL_PADDING: usize = 2 * CELL_MARGIN + 50;
/// Body texts longer than this many CJK characters wrap (备注); headers, and a cell spanning rows
/// (附件2's 类型), wrap after two.
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
pub fn grid(source: &Table, total: usize) -> Vec<usize> {
    let mut wants: Vec<usize> = Vec::new();
    for (rows, cap) in [(&source.head, HEADER_CHARS), (&source.body, BODY_CHARS)] {
        for row in place(rows) {
            for (column, placed) in row {
                let Placed::Cell(cell) = placed else { continue };
                let span = cell.colspan.max(1) as usize;
                if wants.len() < column + span {
                    wants.resize(column + span, CELL_PADDING + CJK_TWIPS);
                }
                let cap = if cell.rowspan > 1 { HEADER_CHARS } else { cap };
                if span == 1 {
                    wants[column] = wants[column].max(text_twips(&cell.text, cap));
                }
            }
        }
    }
    let sum: usize = wants.iter().sum::<usize>().max(1);
    wants.iter().map(|w| total * w / sum).collect()
}
