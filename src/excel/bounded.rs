//! Workbooks from users are hostile until read with bounds. Before calamine sees a byte, the
//! archive is checked: a bounded number of entries, and every entry inflated (into nothing) up to
//! a budget of unpacked bytes, so a zip bomb is refused after reading that budget, not after
//! filling memory. A sheet is then streamed cell by cell: its real extent, not the dimension it
//! declares, must fit the annex layout's bounds, and only then is the grid built. A deadline
//! bounds the whole read.

use std::io::{Cursor, Read};
use std::time::{Duration, Instant};

use calamine::{Cell, Data, Range, Reader, Xlsx};

use super::WorkbookError;

/// Entries of an .xlsx archive: an annex workbook has about a dozen.
pub const MAX_ENTRIES: usize = 500;
/// Unpacked bytes of all entries together: a 60-worker, 12-month roster unpacks to ~200 KiB.
pub const MAX_UNPACKED_BYTES: u64 = 16 * 1024 * 1024;
/// The whole read of one workbook, from the archive check to the last cell.
pub const MAX_READ_TIME: Duration = Duration::from_secs(10);

/// How far the cells of a sheet may reach (0-based row and column counts): what the annex
/// layout can hold, with room for a user's notes beside it.
#[derive(Debug, Clone, Copy)]
pub struct SheetBounds {
    pub rows: u32,
    pub cols: u32,
}

/// An .xlsx workbook whose archive passed the checks.
pub struct BoundedWorkbook<'a> {
    inner: Xlsx<Cursor<&'a [u8]>>,
    deadline: Instant,
}

impl<'a> BoundedWorkbook<'a> {
    pub fn open(bytes: &'a [u8]) -> Result<BoundedWorkbook<'a>, WorkbookError> {
        let deadline = Instant::now() + MAX_READ_TIME;
        check_archive(bytes, deadline)?;
        let inner: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).map_err(|e| {
            tracing::debug!(error = %e, "workbook refused by its reader");
            WorkbookError::Unreadable
        })?;
        Ok(BoundedWorkbook { inner, deadline })
    }

    /// The names of the workbook's sheets, in order.
    pub fn sheet_names(&self) -> Vec<String> {
        self.inner.sheet_names()
    }

    /// A problem for each sheet that is not one of the template's `expected` sheets: what is
    /// typed there would be ignored, so the upload is refused rather than read in part.
    pub fn unexpected_sheets(&self, expected: &[&str], template: &str) -> Vec<super::CellProblem> {
        self.sheet_names()
            .into_iter()
            .filter(|name| !expected.contains(&name.as_str()))
            .map(|name| super::CellProblem {
                sheet: super::WORKBOOK.to_owned(),
                cell: String::new(),
                reason: format!(
                    "工作表“{name}”不是{template}的工作表，其中的内容不会导入，请删去或改名"
                ),
            })
            .collect()
    }

    /// The non-empty cells of sheet `name`, refused when one lies outside `bounds`.
    pub fn sheet(&mut self, name: &str, bounds: SheetBounds) -> Result<Range<Data>, WorkbookError> {
        if !self.inner.sheet_names().iter().any(|n| n == name) {
            return Err(WorkbookError::MissingSheet(name.to_owned()));
        }
        let mut reader = self
            .inner
            .worksheet_cells_reader(name)
            .map_err(|_| WorkbookError::Unreadable)?;
        let most = bounds.rows as usize * bounds.cols as usize;
        let mut cells = Vec::new();
        while let Some(cell) = reader.next_cell().map_err(|_| WorkbookError::Unreadable)? {
            if Instant::now() > self.deadline {
                return Err(WorkbookError::TooSlow);
            }
            let value = Data::from(cell.get_value().clone());
            if value == Data::Empty {
                continue;
            }
            let (row, col) = cell.get_position();
            if row >= bounds.rows {
                return Err(WorkbookError::TooManyRows {
                    sheet: name.to_owned(),
                    row: row + 1,
                    limit: bounds.rows,
                });
            }
            if col >= bounds.cols {
                return Err(WorkbookError::TooManyColumns {
                    sheet: name.to_owned(),
                    column: super::column_name(col),
                    limit: bounds.cols,
                });
            }
            // Positions may repeat in a crafted sheet: the count is bounded too.
            if cells.len() >= most {
                return Err(WorkbookError::TooManyRows {
                    sheet: name.to_owned(),
                    row: row + 1,
                    limit: bounds.rows,
                });
            }
            cells.push(Cell::new((row, col), value));
        }
        Ok(Range::from_sparse(cells))
    }
}

/// Refuses what is not a zip archive, an archive of too many entries, and one whose entries
/// unpack to more than the budget (each is inflated into nothing, at most one byte past it).
fn check_archive(bytes: &[u8], deadline: Instant) -> Result<(), WorkbookError> {
    let mut archive =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| WorkbookError::Unreadable)?;
    if archive.len() > MAX_ENTRIES {
        return Err(WorkbookError::TooManyEntries(MAX_ENTRIES));
    }
    let mut budget = MAX_UNPACKED_BYTES;
    for index in 0..archive.len() {
        if Instant::now() > deadline {
            return Err(WorkbookError::TooSlow);
        }
        let entry = archive
            .by_index(index)
            .map_err(|_| WorkbookError::Unreadable)?;
        let read = std::io::copy(&mut entry.take(budget + 1), &mut std::io::sink())
            .map_err(|_| WorkbookError::Unreadable)?;
        if read > budget {
            return Err(WorkbookError::TooLarge(MAX_UNPACKED_BYTES / (1024 * 1024)));
        }
        budget -= read;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    const BOUNDS: SheetBounds = SheetBounds { rows: 50, cols: 20 };

    fn workbook(cells: &[(u32, u16, &str)]) -> Vec<u8> {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.set_name("表").unwrap();
        for (row, col, text) in cells {
            sheet.write_string(*row, *col, *text).unwrap();
        }
        book.save_to_buffer().unwrap()
    }

    #[test]
    fn a_sheet_within_bounds_reads_its_cells() {
        let bytes = workbook(&[(0, 0, "片区"), (49, 19, "角")]);
        let mut book = BoundedWorkbook::open(&bytes).unwrap();
        let range = book.sheet("表", BOUNDS).unwrap();
        assert_eq!(range.get_value((0, 0)), Some(&Data::String("片区".into())));
        assert_eq!(range.get_value((49, 19)), Some(&Data::String("角".into())));
    }

    #[test]
    fn a_cell_at_the_far_corner_is_refused_without_building_the_grid() {
        let bytes = workbook(&[(0, 0, "片区"), (1_048_575, 16_383, "x")]);
        let mut book = BoundedWorkbook::open(&bytes).unwrap();
        let refused = book.sheet("表", BOUNDS).unwrap_err();
        assert!(
            matches!(refused, WorkbookError::TooManyRows { row: 1_048_576, .. }),
            "{refused:?}"
        );
        assert!(refused.to_string().contains("第 1048576 行"), "{refused}");
        let wide = workbook(&[(3, 200, "x")]);
        let refused = BoundedWorkbook::open(&wide)
            .unwrap()
            .sheet("表", BOUNDS)
            .unwrap_err();
        assert!(refused.to_string().contains("GS 列"), "{refused}");
    }

    #[test]
    fn a_zip_bomb_is_refused_by_its_unpacked_size() {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("xl/worksheets/sheet1.xml", options).unwrap();
        let zeros = vec![0u8; 1024 * 1024];
        for _ in 0..40 {
            zip.write_all(&zeros).unwrap();
        }
        let bytes = zip.finish().unwrap().into_inner();
        assert!(bytes.len() < 100 * 1024, "{} bytes", bytes.len());
        let refused = BoundedWorkbook::open(&bytes).err().unwrap();
        assert!(
            matches!(refused, WorkbookError::TooLarge(16)),
            "{refused:?}"
        );
    }

    #[test]
    fn what_is_not_a_workbook_is_unreadable() {
        for bytes in [&b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"[..], b"", b"PK\x05\x06"] {
            assert!(matches!(
                BoundedWorkbook::open(bytes).err(),
                Some(WorkbookError::Unreadable)
            ));
        }
    }
}
