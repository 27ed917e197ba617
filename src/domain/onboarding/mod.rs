//! Onboarding a district from one workbook (DESIGN.md §8): the sheets and their headers, the
//! rows as read, and the plan — which rows create, update or leave a record, by the natural keys,
//! and every problem by sheet, row and column. Pure: the records it compares with are handed in.

use chrono::NaiveDate;

use super::organization::OrgKind;
use super::user::Role;

/// The sheets of the onboarding workbook, in the order they are applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sheet {
    Organizations,
    Stations,
    Zones,
    Agreements,
    Users,
}

impl Sheet {
    pub const ALL: [Sheet; 5] = [
        Sheet::Organizations,
        Sheet::Stations,
        Sheet::Zones,
        Sheet::Agreements,
        Sheet::Users,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Sheet::Organizations => "单位",
            Sheet::Stations => "服务站",
            Sheet::Zones => "片区",
            Sheet::Agreements => "协议",
            Sheet::Users => "用户",
        }
    }

    /// Exactly the headers of DESIGN.md §8, in order.
    pub fn headers(self) -> &'static [&'static str] {
        match self {
            Sheet::Organizations => &["名称", "全称", "类型", "所在区"],
            Sheet::Stations => &[
                "名称",
                "所在区",
                "街道",
                "地址",
                "承办机构",
                "购买方",
                "监督方",
            ],
            Sheet::Zones => &["服务站", "所在区", "片区", "社区"],
            Sheet::Agreements => &[
                "服务站",
                "所在区",
                "开始日期",
                "结束日期",
                "经费（元）",
                "应配社工",
                "应配持证社工",
            ],
            Sheet::Users => &["用户名", "姓名", "电子邮箱", "单位", "角色"],
        }
    }

    /// The 0-based column of `header` in this sheet.
    pub fn column(self, header: &str) -> u32 {
        self.headers()
            .iter()
            .position(|h| *h == header)
            .map_or(0, |p| p as u32)
    }
}

/// An organization kind as the 类型 column names it: its Chinese name or its code.
pub fn kind_named(text: &str) -> Option<OrgKind> {
    let text = text.trim().replace('（', "(").replace('）', ")");
    OrgKind::ALL
        .into_iter()
        .filter(|k| *k != OrgKind::System)
        .find(|k| k.chinese_name() == text || k.code() == text)
}

/// The kinds the 类型 dropdown offers.
pub fn importable_kinds() -> impl Iterator<Item = OrgKind> {
    OrgKind::ALL.into_iter().filter(|k| *k != OrgKind::System)
}

/// The roles the 角色 column accepts: 负责人, 工作人员, 评估专家 (or their codes).
pub const IMPORTABLE_ROLES: [Role; 3] = [Role::Manager, Role::Member, Role::Expert];

pub fn role_named(text: &str) -> Option<Role> {
    let text = text.trim();
    IMPORTABLE_ROLES
        .into_iter()
        .find(|r| r.chinese_name() == text || r.code() == text)
}

/// Communities in one cell, separated by 、 (or a comma or semicolon).
pub fn split_communities(cell: &str) -> Vec<String> {
    cell.split(['、', '，', ',', '；', ';'])
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .collect()
}

// ---- The rows as read (each cell already checked on its own) ----

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationRow {
    /// 0-based row of the sheet.
    pub row: u32,
    pub name: String,
    /// The short name when the cell is empty.
    pub full_name: String,
    pub kind: OrgKind,
    pub district: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StationRow {
    pub row: u32,
    pub name: String,
    pub district: String,
    pub street: String,
    pub address: Option<String>,
    /// Organizations by 名称 or 全称.
    pub operator: String,
    pub purchaser: String,
    pub supervisor: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneRow {
    pub row: u32,
    pub station: String,
    pub district: String,
    pub zone: String,
    pub communities: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgreementRow {
    pub row: u32,
    pub station: String,
    pub district: String,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub funding_fen: i64,
    pub required_staff: i64,
    pub required_certified_staff: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    pub row: u32,
    /// Lower case, checked.
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    /// The organization by 名称 or 全称.
    pub organization: String,
    pub role: Role,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rows {
    pub organizations: Vec<OrganizationRow>,
    pub stations: Vec<StationRow>,
    pub zones: Vec<ZoneRow>,
    pub agreements: Vec<AgreementRow>,
    pub users: Vec<UserRow>,
}

// ---- The records the rows are compared with ----

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExistingOrganization {
    pub id: i64,
    pub name: String,
    pub full_name: String,
    pub kind: OrgKind,
    pub district: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExistingStation {
    pub id: i64,
    pub name: String,
    pub district: String,
    pub street: String,
    pub address: Option<String>,
    pub operator_org_id: i64,
    pub purchaser_org_id: i64,
    pub supervisor_org_id: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExistingZone {
    pub id: i64,
    pub station_id: i64,
    pub name: String,
    pub communities: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExistingAgreement {
    pub id: i64,
    pub station_id: i64,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub funding_fen: i64,
    pub required_staff: i64,
    pub required_certified_staff: i64,
    /// An evaluation rests on it: its terms no longer change.
    pub evaluated: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExistingUser {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub organization_id: i64,
    pub role: Role,
}

/// Every organization, and the stations, zones, agreements and users the workbook names.
#[derive(Debug, Clone, Default)]
pub struct Existing {
    pub organizations: Vec<ExistingOrganization>,
    pub stations: Vec<ExistingStation>,
    pub zones: Vec<ExistingZone>,
    pub agreements: Vec<ExistingAgreement>,
    pub users: Vec<ExistingUser>,
}

/// What the importer may touch: everything (admins), or one district's street offices,
/// operators, residents' committees, the stations its bureau supervises, and their users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Everything,
    District { district: String, bureau_id: i64 },
}

/// The kinds a district bureau's manager imports.
const DISTRICT_KINDS: [OrgKind; 3] = [
    OrgKind::StreetOffice,
    OrgKind::Operator,
    OrgKind::ResidentsCommittee,
];

// ---- The plan ----

/// What a row does to its record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Create,
    Update(i64),
    Unchanged(i64),
}

/// An organization or a station: one already stored, or one a row of this workbook creates
/// (its index in the plan's list).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ref {
    Existing(i64),
    New(usize),
}

#[derive(Debug, Clone)]
pub struct Planned<T, R = ()> {
    pub row: T,
    pub action: Action,
    /// The records the row refers to, resolved.
    pub refs: R,
    /// The columns whose value changes (for an update).
    pub changed: Vec<&'static str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StationRefs {
    pub operator: Ref,
    pub purchaser: Ref,
    pub supervisor: Ref,
}

#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub organizations: Vec<Planned<OrganizationRow>>,
    pub stations: Vec<Planned<StationRow, StationRefs>>,
    pub zones: Vec<Planned<ZoneRow, Ref>>,
    pub agreements: Vec<Planned<AgreementRow, Ref>>,
    pub users: Vec<Planned<UserRow, Ref>>,
}

/// One thing wrong, at a cell (0-based row and column) of a sheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub sheet: Sheet,
    pub row: u32,
    pub col: u32,
    pub reason: String,
}

impl Problem {
    pub fn at(sheet: Sheet, row: u32, header: &str, reason: impl Into<String>) -> Problem {
        Problem {
            sheet,
            row,
            col: sheet.column(header),
            reason: reason.into(),
        }
    }
}

mod plan;

pub use plan::plan;

pub(super) fn org_in_district(kind: OrgKind, district: Option<&str>, mine: &str) -> bool {
    DISTRICT_KINDS.contains(&kind) && district == Some(mine)
}

pub(super) fn update_or_not(id: i64, changed: &[&str]) -> Action {
    if changed.is_empty() {
        Action::Unchanged(id)
    } else {
        Action::Update(id)
    }
}

pub(super) fn duplicate(sheet: Sheet, row: u32, header: &str, first: u32) -> Problem {
    Problem::at(
        sheet,
        row,
        header,
        format!("与第 {} 行重复", u64::from(first) + 1),
    )
}

/// How many rows of each sheet an action counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub organizations: u32,
    pub stations: u32,
    pub zones: u32,
    pub agreements: u32,
    pub users: u32,
}

impl Plan {
    /// Rows creating, updating and leaving their records.
    pub fn counts(&self) -> [Counts; 3] {
        fn tally<T, R>(planned: &[Planned<T, R>]) -> [u32; 3] {
            let mut n = [0; 3];
            for p in planned {
                n[match p.action {
                    Action::Create => 0,
                    Action::Update(_) => 1,
                    Action::Unchanged(_) => 2,
                }] += 1;
            }
            n
        }
        let mut counts = [Counts::default(); 3];
        let each = [
            tally(&self.organizations),
            tally(&self.stations),
            tally(&self.zones),
            tally(&self.agreements),
            tally(&self.users),
        ];
        for (action, counts) in counts.iter_mut().enumerate() {
            counts.organizations = each[0][action];
            counts.stations = each[1][action];
            counts.zones = each[2][action];
            counts.agreements = each[3][action];
            counts.users = each[4][action];
        }
        counts
    }

    /// Whether applying it would change nothing.
    pub fn changes_nothing(&self) -> bool {
        let [created, updated, _] = self.counts();
        created == Counts::default() && updated == Counts::default()
    }
}

#[cfg(test)]
mod tests;
