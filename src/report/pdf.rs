//! The final report as PDF, typeset in-process by typst (no external program, nothing fetched).
//! Typst's own fonts have no Chinese glyphs, so a CJK font must be installed on the machine:
//! Debian's fonts-wqy-microhei (5 MB) or fonts-noto-cjk. Without one, no PDF is made (the HTML and
//! DOCX still are) and the reason is logged.

use std::path::Path;
use std::sync::OnceLock;

use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::syntax::{FileId, Source};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_layout::PagedDocument;

use super::grid::grid;
use super::model::{Block, Cell, Report, Table};

/// Where Debian and most Linux systems keep fonts.
const FONT_DIRS: [&str; 2] = ["/usr/share/fonts", "/usr/local/share/fonts"];
/// File names of fonts with Chinese glyphs (WenQuanYi, Noto/Source Han CJK, Windows' SimSun…).
const CJK_HINTS: [&str; 6] = ["wqy", "cjk", "sourcehan", "simsun", "simhei", "msyh"];
/// Family names in order of preference; typst falls back along the list.
const FAMILIES: &str = r#"("Noto Serif CJK SC", "Source Han Serif SC", "SimSun", "WenQuanYi Micro Hei", "Noto Sans CJK SC")"#;

#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error(
        "no font with Chinese glyphs is installed (install fonts-wqy-microhei or fonts-noto-cjk)"
    )]
    NoCjkFont,
    #[error("typesetting the report failed: {0}")]
    Typeset(String),
}

struct Fonts {
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
}

fn collect(dir: &Path, found: &mut Vec<Font>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, found);
            continue;
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        let font_file = [".ttf", ".ttc", ".otf", ".otc"]
            .iter()
            .any(|ext| name.ends_with(ext));
        if font_file
            && CJK_HINTS.iter().any(|hint| name.contains(hint))
            && let Ok(data) = std::fs::read(&path)
        {
            found.extend(Font::iter(Bytes::new(data)));
        }
    }
}

/// The machine's CJK fonts, read once.
fn fonts() -> &'static Fonts {
    static FONTS: OnceLock<Fonts> = OnceLock::new();
    FONTS.get_or_init(|| {
        let mut fonts = Vec::new();
        for dir in FONT_DIRS {
            collect(Path::new(dir), &mut fonts);
        }
        Fonts {
            book: LazyHash::new(FontBook::from_fonts(&fonts)),
            fonts,
        }
    })
}

struct ReportWorld {
    library: LazyHash<Library>,
    source: Source,
    fonts: &'static Fonts,
}

impl World for ReportWorld {
    fn library(&self) -> &LazyHash<Library> {
        &self.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &self.fonts.book
    }

    fn main(&self) -> FileId {
        self.source.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.source.id() {
            Ok(self.source.clone())
        } else {
            Err(FileError::AccessDenied)
        }
    }

    fn file(&self, _id: FileId) -> FileResult<Bytes> {
        Err(FileError::AccessDenied)
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.fonts.fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        None
    }
}

/// A typst string literal: the text is never read as markup.
fn literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A row never splits across pages (`breakable: false` is the tables' default); a cell spanning
/// rows (附件2's 类型 over twenty workers) lets its rows go onto several pages.
fn cell(source: &Cell, header: bool) -> String {
    let body = if header {
        format!("strong({})", literal(&source.text))
    } else {
        literal(&source.text)
    };
    let breakable = if source.rowspan > 1 && !header {
        ", breakable: true"
    } else {
        ""
    };
    format!(
        "table.cell(colspan: {}, rowspan: {}{breakable}, {body})",
        source.colspan.max(1),
        source.rowspan.max(1)
    )
}

fn table(source: &Table) -> String {
    // The Word renderer's widths as fractions of the line: 备注 gets room, nothing a character.
    let columns: Vec<String> = grid(source, 10_000)
        .iter()
        .map(|w| format!("{}fr", w.max(&1)))
        .collect();
    let head: Vec<String> = source
        .head
        .iter()
        .flat_map(|row| row.iter().map(|c| cell(c, true)))
        .collect();
    let body: Vec<String> = source
        .body
        .iter()
        .flat_map(|row| row.iter().map(|c| cell(c, false)))
        .collect();
    format!(
        "#align(center, strong({}))\n#table(columns: ({},), align: center + horizon, inset: 3pt, table.header({}), {})\n",
        literal(&source.caption),
        columns.join(", "),
        head.join(", "),
        body.join(", ")
    )
}

/// The report in typst markup, every text as a string literal.
fn markup(report: &Report) -> String {
    // The number on every page's footer, before the page: filed copies are told apart.
    let lead = report
        .number
        .as_deref()
        .map(|n| format!("{}　", n))
        .unwrap_or_default();
    let mut out = format!(
        "#set document(title: {})\n#set page(paper: \"a4\", margin: (x: 2cm, y: 2.5cm), footer: context align(center, text(size: 9pt)[#{} 第 #counter(page).display() 页]))\n#set text(font: {FAMILIES}, size: 12pt, lang: \"zh\", region: \"cn\")\n#set par(first-line-indent: (amount: 2em, all: true), justify: true, leading: 0.9em)\n#show heading: set text(size: 14pt)\n#set table(stroke: 0.5pt)\n#set table.cell(breakable: false)\n#show table: set text(size: 8pt)\n#show table: set par(justify: false, first-line-indent: 0pt)\n",
        literal(&report.title),
        literal(&lead)
    );
    if let Some(number) = &report.number {
        out.push_str(&format!(
            "#align(right, text(size: 12pt, {}))\n",
            literal(number)
        ));
    }
    out.push_str(&format!(
        "#align(center)[#v(3cm)#text(size: 22pt, weight: \"bold\", {})]\n",
        literal(&report.title)
    ));
    if let Some(subtitle) = &report.subtitle {
        out.push_str(&format!(
            "#align(center, text(size: 14pt, {}))\n",
            literal(subtitle)
        ));
    }
    out.push_str("#v(2cm)\n");
    for line in &report.cover {
        out.push_str(&format!(
            "#align(center, text(size: 14pt, {}))\n",
            literal(&format!("{}：{}", line.label, line.value))
        ));
    }
    out.push_str("#pagebreak()\n");
    let mut annex_open = false;
    for section in &report.sections {
        if section.annex && !annex_open {
            out.push_str("#set page(flipped: true)\n#set text(size: 9pt)\n");
            annex_open = true;
        } else if section.annex {
            out.push_str("#pagebreak()\n");
        }
        out.push_str(&format!(
            "#heading(level: {}, {})\n",
            section.level,
            literal(&section.heading())
        ));
        for block in &section.blocks {
            match block {
                Block::Paragraph { text } => {
                    out.push_str(&format!("#par({})\n\n", literal(text)));
                }
                Block::Label { text } => {
                    out.push_str(&format!("#strong({})\n\n", literal(text)));
                }
                Block::Items { items } => {
                    for item in items {
                        out.push_str(&format!("#par({})\n\n", literal(item)));
                    }
                }
                Block::Table(source) => out.push_str(&table(source)),
            }
        }
    }
    out
}

pub fn render(report: &Report) -> Result<Vec<u8>, PdfError> {
    let fonts = fonts();
    if fonts.fonts.is_empty() {
        return Err(PdfError::NoCjkFont);
    }
    let world = ReportWorld {
        library: LazyHash::new(Library::default()),
        source: Source::detached(markup(report)),
        fonts,
    };
    let describe = |errors: &[typst::diag::SourceDiagnostic]| {
        errors
            .iter()
            .map(|e| e.message.to_string())
            .collect::<Vec<_>>()
            .join("; ")
    };
    let typeset = || {
        let document: PagedDocument = typst::compile(&world)
            .output
            .map_err(|errors| PdfError::Typeset(describe(&errors)))?;
        typst_pdf::pdf(&document, &typst_pdf::PdfOptions::default())
            .map_err(|errors| PdfError::Typeset(describe(&errors)))
    };
    let printed = typeset();
    // typst memoizes every compile in a process-wide cache that nothing else empties: without
    // this each final report kept about 19 MB for good. Another render running meanwhile only
    // computes again what it had memoized.
    comemo::evict(0);
    printed
}
