//! The onboarding workbook (DESIGN.md §8): the template with its instruction sheet, dropdowns
//! and an example row per sheet, and the reader that checks every cell on its own — the rows it
//! returns are then compared with the records by `domain::onboarding::plan`.

use calamine::{Data, Range};
use rust_xlsxwriter::{DataValidation, Format, Workbook, Worksheet, XlsxError};

use super::bounded::{BoundedWorkbook, SheetBounds};
use super::{CellProblem, WORKBOOK, date, header_format, points, text};
use crate::domain::onboarding::{
    AgreementRow, IMPORTABLE_ROLES, OrganizationRow, Rows, Sheet, StationRow, UserRow, ZoneRow,
    importable_kinds, kind_named, role_named, split_communities,
};
use crate::domain::points::Points;
use crate::domain::text::is_one_line;
use crate::domain::user::Username;

/// The sheet that explains the others; the reader passes it by.
pub const INSTRUCTIONS: &str = "说明";
/// A row whose first cell begins so is the template's example, and is not imported.
pub const EXAMPLE_MARK: &str = "示例：";
/// Rows of one sheet, the header included: a city's users fit with room to spare.
pub const MAX_ROWS: u32 = 5_001;
/// Columns looked at: the longest sheet has seven; a few more are named when refused.
const BOUNDS: SheetBounds = SheetBounds {
    rows: MAX_ROWS,
    cols: 26,
};

/// The template a district fills in.
pub fn template() -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let header = header_format();
    let example = Format::new()
        .set_italic()
        .set_font_color(rust_xlsxwriter::Color::Gray);

    let notes = workbook.add_worksheet();
    notes.set_name(INSTRUCTIONS)?;
    notes.set_column_width(0, 100)?;
    let lines = [
        "社工服务站评估系统 — 批量导入模板".to_owned(),
        String::new(),
        "1. 按需填写“单位”“服务站”“片区”“协议”“用户”各表，不需要的表可以留空；请勿改动表头，不要增加列或工作表。".to_owned(),
        format!("2. 各表第 2 行是示例（第一格以“{EXAMPLE_MARK}”开头），导入时跳过；可以删去。"),
        "3. 单位按“名称”（简称）识别；服务站按“名称 + 所在区”；协议按“服务站 + 开始日期”；用户按“用户名”。已有的记录内容不同即更新，相同即不变。".to_owned(),
        "4. 承办机构、购买方、监督方和用户的单位可以填写机构的名称或全称。".to_owned(),
        "5. 片区的“社区”一格可填写多个社区，用顿号“、”分隔。新服务站至少需要一个片区。".to_owned(),
        "6. 日期写作 2025-01-26；经费以元为单位，最多两位小数。".to_owned(),
        "7. 新用户会收到一封电子邮件，内含设置密码的链接（72 小时内有效），因此须填写电子邮箱。".to_owned(),
        "8. 建议先“检查”（不写入），确认将要新增和更新的内容后再“导入”。有任何问题时不会写入任何内容。".to_owned(),
        format!(
            "类型可选：{}",
            importable_kinds()
                .map(|k| k.chinese_name())
                .collect::<Vec<_>>()
                .join("、")
        ),
        format!(
            "角色可选：{}",
            IMPORTABLE_ROLES
                .iter()
                .map(|r| r.chinese_name())
                .collect::<Vec<_>>()
                .join("、")
        ),
    ];
    for (row, line) in lines.iter().enumerate() {
        notes.write_string(row as u32, 0, line)?;
    }

    let examples: [(Sheet, &[&str]); 5] = [
        (
            Sheet::Organizations,
            &[
                "西村街道办事处",
                "广州市荔湾区西村街道办事处",
                "街道办事处",
                "荔湾区",
            ],
        ),
        (
            Sheet::Stations,
            &[
                "西村街社工服务站",
                "荔湾区",
                "西村街",
                "广州市荔湾区西村街某路 1 号",
                "逢源人家服务中心",
                "西村街道办事处",
                "荔湾区民政局",
            ],
        ),
        (
            Sheet::Zones,
            &[
                "西村街社工服务站",
                "荔湾区",
                "第一片区",
                "西湾东社区、西湾路社区",
            ],
        ),
        (
            Sheet::Agreements,
            &[
                "西村街社工服务站",
                "荔湾区",
                "2024-12-11",
                "2025-12-10",
                "1200000.00",
                "20",
                "14",
            ],
        ),
        (
            Sheet::Users,
            &[
                "xicun.zhang",
                "张三",
                "zhangsan@example.cn",
                "西村街道办事处",
                "负责人",
            ],
        ),
    ];
    for (sheet, cells) in examples {
        let worksheet = workbook.add_worksheet();
        worksheet.set_name(sheet.name())?;
        worksheet.set_freeze_panes(1, 0)?;
        for (col, title) in sheet.headers().iter().enumerate() {
            let col = col as u16;
            worksheet.write_string_with_format(0, col, *title, &header)?;
            let wide = matches!(*title, "全称" | "地址" | "社区" | "电子邮箱");
            worksheet.set_column_width(col, if wide { 32 } else { 18 })?;
        }
        for (col, cell) in cells.iter().enumerate() {
            let cell = if col == 0 {
                format!("{EXAMPLE_MARK}{cell}")
            } else {
                (*cell).to_owned()
            };
            worksheet.write_string_with_format(1, col as u16, &cell, &example)?;
        }
        dropdowns(worksheet, sheet)?;
    }
    workbook.save_to_buffer()
}

/// 类型 and 角色 offer their choices.
fn dropdowns(worksheet: &mut Worksheet, sheet: Sheet) -> Result<(), XlsxError> {
    let (header, choices): (&str, Vec<&str>) = match sheet {
        Sheet::Organizations => (
            "类型",
            importable_kinds().map(|k| k.chinese_name()).collect(),
        ),
        Sheet::Users => (
            "角色",
            IMPORTABLE_ROLES.iter().map(|r| r.chinese_name()).collect(),
        ),
        _ => return Ok(()),
    };
    let col = sheet.column(header) as u16;
    let validation = DataValidation::new()
        .allow_list_strings(&choices)?
        .set_error_title("请从列表中选择")?
        .set_error_message(format!("可选：{}", choices.join("、")))?;
    worksheet.add_data_validation(1, col, MAX_ROWS - 1, col, &validation)?;
    Ok(())
}

/// Every row of every sheet, or every problem of every cell.
pub fn read(bytes: &[u8]) -> Result<Rows, Vec<CellProblem>> {
    let mut book = BoundedWorkbook::open(bytes).map_err(|e| vec![e.problem(WORKBOOK)])?;
    let names = book.sheet_names();
    let mut problems = Vec::new();
    for name in &names {
        if name != INSTRUCTIONS && !Sheet::ALL.iter().any(|s| s.name() == name) {
            problems.push(CellProblem {
                sheet: WORKBOOK.to_owned(),
                cell: String::new(),
                reason: format!(
                    "工作表“{name}”不是导入模板的工作表（{}），请删去或改名",
                    Sheet::ALL.map(Sheet::name).join("、")
                ),
            });
        }
    }
    if !Sheet::ALL
        .iter()
        .any(|s| names.iter().any(|n| n == s.name()))
    {
        problems.push(CellProblem {
            sheet: WORKBOOK.to_owned(),
            cell: String::new(),
            reason: "工作簿中没有“单位”“服务站”“片区”“协议”“用户”中的任何一张表，请使用导入模板"
                .to_owned(),
        });
    }
    let mut rows = Rows::default();
    for sheet in Sheet::ALL {
        if !names.iter().any(|n| n == sheet.name()) {
            continue;
        }
        let range = match book.sheet(sheet.name(), BOUNDS) {
            Ok(range) => range,
            Err(e) => {
                problems.push(e.problem(sheet.name()));
                continue;
            }
        };
        let mut cells = Cells {
            sheet,
            range: &range,
            problems: &mut problems,
        };
        if !cells.headers_match() {
            continue;
        }
        let end = range.end().map_or(0, |(row, _)| row);
        for row in 1..=end {
            if cells.blank(row) || text(&range, row, 0).starts_with(EXAMPLE_MARK) {
                continue;
            }
            match sheet {
                Sheet::Organizations => {
                    if let Some(r) = cells.organization(row) {
                        rows.organizations.push(r);
                    }
                }
                Sheet::Stations => {
                    if let Some(r) = cells.station(row) {
                        rows.stations.push(r);
                    }
                }
                Sheet::Zones => {
                    if let Some(r) = cells.zone(row) {
                        rows.zones.push(r);
                    }
                }
                Sheet::Agreements => {
                    if let Some(r) = cells.agreement(row) {
                        rows.agreements.push(r);
                    }
                }
                Sheet::Users => {
                    if let Some(r) = cells.user(row) {
                        rows.users.push(r);
                    }
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(rows)
    } else {
        Err(problems)
    }
}

/// The cells of one sheet, and the problems found so far.
struct Cells<'a> {
    sheet: Sheet,
    range: &'a Range<Data>,
    problems: &'a mut Vec<CellProblem>,
}

impl Cells<'_> {
    fn problem(&mut self, row: u32, header: &str, reason: impl Into<String>) {
        self.problems.push(CellProblem::new(
            self.sheet.name(),
            row,
            self.sheet.column(header),
            reason,
        ));
    }

    /// Row 1 holds exactly the headers; no cell lies right of them.
    fn headers_match(&mut self) -> bool {
        let headers = self.sheet.headers();
        let before = self.problems.len();
        for (col, expected) in headers.iter().enumerate() {
            let found = text(self.range, 0, col as u32);
            if found != *expected {
                self.problems.push(CellProblem::new(
                    self.sheet.name(),
                    0,
                    col as u32,
                    format!("表头须为“{expected}”（此处为“{found}”）"),
                ));
            }
        }
        let width = headers.len() as u32;
        let mut extra: Vec<u32> = self
            .range
            .used_cells()
            .map(|(_, col, _)| col as u32)
            .filter(|col| *col >= width)
            .collect();
        extra.sort_unstable();
        extra.dedup();
        for col in extra {
            let title = text(self.range, 0, col);
            let reason = if title.is_empty() {
                "表头之外的列，请删去".to_owned()
            } else {
                format!("多余的列“{title}”，请删去")
            };
            self.problems
                .push(CellProblem::new(self.sheet.name(), 0, col, reason));
        }
        self.problems.len() == before
    }

    fn blank(&self, row: u32) -> bool {
        (0..self.sheet.headers().len() as u32).all(|col| text(self.range, row, col).is_empty())
    }

    /// A one-line text of at most `max` characters; `None` (and a problem) when it is required
    /// and empty, too long or broken over lines.
    fn text(&mut self, row: u32, header: &str, max: usize, required: bool) -> Option<String> {
        let found = text(self.range, row, self.sheet.column(header));
        if found.is_empty() {
            if required {
                self.problem(row, header, format!("“{header}”不能为空"));
            }
            return None;
        }
        if found.chars().count() > max {
            self.problem(row, header, format!("不能超过 {max} 个字符"));
            return None;
        }
        if !is_one_line(&found) {
            self.problem(row, header, "须写在一行之内，不能含换行或制表符");
            return None;
        }
        Some(found)
    }

    fn whole_number(&mut self, row: u32, header: &str) -> Option<i64> {
        match self.number(row, header) {
            Ok(Some(n)) if n.hundredths() % 100 == 0 && n.hundredths() <= 100_000 => {
                Some(n.hundredths() / 100)
            }
            Ok(Some(_)) => {
                self.problem(row, header, "须为 0 到 1000 的整数");
                None
            }
            Ok(None) => {
                self.problem(row, header, format!("“{header}”不能为空"));
                None
            }
            Err(reason) => {
                self.problem(row, header, reason);
                None
            }
        }
    }

    /// A number as a number cell or as text ("1,200,000.00" too): exact, two places at most.
    fn number(&self, row: u32, header: &str) -> Result<Option<Points>, String> {
        let col = self.sheet.column(header);
        match self.range.get_value((row, col)) {
            Some(Data::String(typed)) => {
                let typed = typed.trim().replace([',', '，'], "");
                if typed.is_empty() {
                    return Ok(None);
                }
                if typed.starts_with('-') {
                    return Err(format!("{typed} 为负数，须不小于 0"));
                }
                typed
                    .parse::<Points>()
                    .map(Some)
                    .map_err(|_| format!("“{typed}”不是数字，或超过两位小数"))
            }
            _ => points(self.range, row, col),
        }
    }

    fn date(&mut self, row: u32, header: &str) -> Option<chrono::NaiveDate> {
        match date(self.range, row, self.sheet.column(header)) {
            Ok(Some(d)) => Some(d),
            Ok(None) => {
                self.problem(row, header, format!("“{header}”不能为空"));
                None
            }
            Err(reason) => {
                self.problem(row, header, reason);
                None
            }
        }
    }

    fn organization(&mut self, row: u32) -> Option<OrganizationRow> {
        let name = self.text(row, "名称", 100, true);
        let full_name = self.text(row, "全称", 100, false);
        let kind_text = self.text(row, "类型", 20, true);
        let kind = kind_text.and_then(|k| {
            let kind = kind_named(&k);
            if kind.is_none() {
                self.problem(
                    row,
                    "类型",
                    format!(
                        "“{k}”不是机构类型，可选：{}",
                        importable_kinds()
                            .map(|k| k.chinese_name())
                            .collect::<Vec<_>>()
                            .join("、")
                    ),
                );
            }
            kind
        });
        let district = self.text(row, "所在区", 50, false);
        let name = name?;
        Some(OrganizationRow {
            row,
            full_name: full_name.unwrap_or_else(|| name.clone()),
            name,
            kind: kind?,
            district,
        })
    }

    fn station(&mut self, row: u32) -> Option<StationRow> {
        let name = self.text(row, "名称", 100, true);
        let district = self.text(row, "所在区", 50, true);
        let street = self.text(row, "街道", 50, true);
        let address = self.text(row, "地址", 200, false);
        let operator = self.text(row, "承办机构", 100, true);
        let purchaser = self.text(row, "购买方", 100, true);
        let supervisor = self.text(row, "监督方", 100, true);
        Some(StationRow {
            row,
            name: name?,
            district: district?,
            street: street?,
            address,
            operator: operator?,
            purchaser: purchaser?,
            supervisor: supervisor?,
        })
    }

    fn zone(&mut self, row: u32) -> Option<ZoneRow> {
        let station = self.text(row, "服务站", 100, true);
        let district = self.text(row, "所在区", 50, true);
        let zone = self.text(row, "片区", 50, true);
        let communities = self
            .text(row, "社区", 5_000, false)
            .map(|c| split_communities(&c))
            .unwrap_or_default();
        if communities.len() > 100 {
            self.problem(row, "社区", "一个片区最多 100 个社区");
            return None;
        }
        let mut seen: Vec<&String> = Vec::new();
        for community in &communities {
            if community.chars().count() > 50 {
                self.problem(row, "社区", format!("社区名称“{community}”超过 50 个字符"));
                return None;
            }
            if seen.contains(&community) {
                self.problem(row, "社区", format!("社区“{community}”重复"));
                return None;
            }
            seen.push(community);
        }
        Some(ZoneRow {
            row,
            station: station?,
            district: district?,
            zone: zone?,
            communities,
        })
    }

    fn agreement(&mut self, row: u32) -> Option<AgreementRow> {
        let station = self.text(row, "服务站", 100, true);
        let district = self.text(row, "所在区", 50, true);
        let start = self.date(row, "开始日期");
        let end = self.date(row, "结束日期");
        let funding = match self.number(row, "经费（元）") {
            Ok(Some(yuan)) => Some(yuan.hundredths()),
            Ok(None) => {
                self.problem(row, "经费（元）", "“经费（元）”不能为空");
                None
            }
            Err(reason) => {
                self.problem(row, "经费（元）", reason);
                None
            }
        };
        let staff = self.whole_number(row, "应配社工");
        let certified = self.whole_number(row, "应配持证社工");
        Some(AgreementRow {
            row,
            station: station?,
            district: district?,
            start: start?,
            end: end?,
            funding_fen: funding?,
            required_staff: staff?,
            required_certified_staff: certified?,
        })
    }

    fn user(&mut self, row: u32) -> Option<UserRow> {
        let raw_username = text(self.range, row, self.sheet.column("用户名"));
        let username = match Username::parse(&raw_username) {
            Ok(u) => Some(u.as_str().to_owned()),
            Err(_) if raw_username.is_empty() => {
                self.problem(row, "用户名", "“用户名”不能为空");
                None
            }
            Err(reason) => {
                self.problem(row, "用户名", reason);
                None
            }
        };
        let display_name = self.text(row, "姓名", 50, true);
        let email = self.text(row, "电子邮箱", 254, false);
        let email_ok = match &email {
            Some(address) if !validator::ValidateEmail::validate_email(address) => {
                self.problem(row, "电子邮箱", format!("“{address}”不是有效的邮箱地址"));
                false
            }
            _ => true,
        };
        let organization = self.text(row, "单位", 100, true);
        let role_text = self.text(row, "角色", 20, true);
        let role = role_text.and_then(|r| {
            let role = role_named(&r);
            if role.is_none() {
                self.problem(
                    row,
                    "角色",
                    format!("“{r}”不是角色，可选：负责人、工作人员、评估专家"),
                );
            }
            role
        });
        if !email_ok {
            return None;
        }
        Some(UserRow {
            row,
            username: username?,
            display_name: display_name?,
            email,
            organization: organization?,
            role: role?,
        })
    }
}
