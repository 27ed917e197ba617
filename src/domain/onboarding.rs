//! Onboarding a district from one workbook (DESIGN.md §8): the sheets and their headers, the
//! rows as read, and the plan — which rows create, update or leave a record, by the natural keys,
//! and every problem by sheet, row and column. Pure: the records it compares with are handed in.

use std::collections::HashMap;

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

/// How the plan sees an organization, whether stored or created by a row.
#[derive(Debug, Clone, Copy)]
struct OrgFacts<'a> {
    reference: Ref,
    kind: OrgKind,
    district: Option<&'a str>,
}

/// How the plan sees a station, whether stored or created by a row.
#[derive(Debug, Clone, Copy)]
struct StationFacts {
    reference: Ref,
    supervisor: Ref,
}

/// Compares the rows with the records: every row's action, or every problem.
pub fn plan(rows: &Rows, existing: &Existing, scope: &Scope) -> Result<Plan, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut plan = Plan::default();

    // Organizations, by 名称.
    let stored_orgs: HashMap<&str, &ExistingOrganization> = existing
        .organizations
        .iter()
        .map(|o| (o.name.as_str(), o))
        .collect();
    let mut seen_orgs: HashMap<&str, u32> = HashMap::new();
    for row in &rows.organizations {
        let sheet = Sheet::Organizations;
        if let Some(first) = seen_orgs.insert(&row.name, row.row) {
            problems.push(duplicate(sheet, row.row, "名称", first));
            continue;
        }
        let stored = stored_orgs.get(row.name.as_str()).copied();
        if let Scope::District { district, .. } = scope {
            if !DISTRICT_KINDS.contains(&row.kind) {
                problems.push(Problem::at(
                    sheet,
                    row.row,
                    "类型",
                    "区民政局负责人只能导入本区的街道办事处、承办机构和村(居)委会",
                ));
            } else if row.district.as_deref() != Some(district) {
                problems.push(Problem::at(
                    sheet,
                    row.row,
                    "所在区",
                    format!("不属于{district}，不能导入"),
                ));
            } else if stored
                .is_some_and(|s| !org_in_district(s.kind, s.district.as_deref(), district))
            {
                problems.push(Problem::at(
                    sheet,
                    row.row,
                    "名称",
                    format!("已有同名机构，不属于{district}，不能修改"),
                ));
            }
        }
        let (action, changed) = match stored {
            None => (Action::Create, Vec::new()),
            Some(s) => {
                if s.kind != row.kind {
                    problems.push(Problem::at(
                        sheet,
                        row.row,
                        "类型",
                        format!(
                            "已有同名机构，类型为{}，不能通过导入更改",
                            s.kind.chinese_name()
                        ),
                    ));
                }
                let mut changed = Vec::new();
                if s.full_name != row.full_name {
                    changed.push("全称");
                }
                if s.district != row.district {
                    changed.push("所在区");
                }
                (update_or_not(s.id, &changed), changed)
            }
        };
        plan.organizations.push(Planned {
            row: row.clone(),
            action,
            refs: (),
            changed,
        });
    }

    // What a reference by 名称 or 全称 finds: the workbook's rows first, then the records.
    let mut orgs_by_name: HashMap<&str, Vec<OrgFacts>> = HashMap::new();
    for (index, planned) in plan.organizations.iter().enumerate() {
        let facts = OrgFacts {
            reference: match planned.action {
                Action::Create => Ref::New(index),
                Action::Update(id) | Action::Unchanged(id) => Ref::Existing(id),
            },
            kind: planned.row.kind,
            district: planned.row.district.as_deref(),
        };
        orgs_by_name
            .entry(&planned.row.name)
            .or_default()
            .push(facts);
        if planned.row.full_name != planned.row.name {
            orgs_by_name
                .entry(&planned.row.full_name)
                .or_default()
                .push(facts);
        }
    }
    for stored in &existing.organizations {
        if seen_orgs.contains_key(stored.name.as_str()) {
            continue;
        }
        let facts = OrgFacts {
            reference: Ref::Existing(stored.id),
            kind: stored.kind,
            district: stored.district.as_deref(),
        };
        for name in [&stored.name, &stored.full_name] {
            let found = orgs_by_name.entry(name).or_default();
            if !found.iter().any(|f| f.reference == facts.reference) {
                found.push(facts);
            }
        }
    }
    let find_org = |sheet: Sheet,
                    row: u32,
                    header: &str,
                    name: &str,
                    kind: Option<OrgKind>,
                    problems: &mut Vec<Problem>|
     -> Option<OrgFacts> {
        match orgs_by_name.get(name).map(Vec::as_slice) {
            None | Some([]) => {
                problems.push(Problem::at(
                    sheet,
                    row,
                    header,
                    format!("没有名称或全称为“{name}”的机构（可在“单位”表中添加）"),
                ));
                None
            }
            Some([one]) => match kind {
                Some(kind) if one.kind != kind => {
                    problems.push(Problem::at(
                        sheet,
                        row,
                        header,
                        format!("“{name}”须为{}", kind.chinese_name()),
                    ));
                    None
                }
                _ => Some(*one),
            },
            Some(_) => {
                problems.push(Problem::at(
                    sheet,
                    row,
                    header,
                    format!("全称“{name}”对应多个机构，请填写简称"),
                ));
                None
            }
        }
    };

    // Stations, by 名称 + 所在区.
    let stored_stations: HashMap<(&str, &str), &ExistingStation> = existing
        .stations
        .iter()
        .map(|s| ((s.name.as_str(), s.district.as_str()), s))
        .collect();
    let mut seen_stations: HashMap<(&str, &str), u32> = HashMap::new();
    for row in &rows.stations {
        let sheet = Sheet::Stations;
        if let Some(first) = seen_stations.insert((&row.name, &row.district), row.row) {
            problems.push(duplicate(sheet, row.row, "名称", first));
            continue;
        }
        let operator = find_org(
            sheet,
            row.row,
            "承办机构",
            &row.operator,
            Some(OrgKind::Operator),
            &mut problems,
        );
        let purchaser = find_org(
            sheet,
            row.row,
            "购买方",
            &row.purchaser,
            Some(OrgKind::StreetOffice),
            &mut problems,
        );
        let supervisor = find_org(
            sheet,
            row.row,
            "监督方",
            &row.supervisor,
            Some(OrgKind::CivilAffairsBureau),
            &mut problems,
        );
        let stored = stored_stations
            .get(&(row.name.as_str(), row.district.as_str()))
            .copied();
        if stored.is_none()
            && !rows
                .zones
                .iter()
                .any(|z| z.station == row.name && z.district == row.district)
        {
            problems.push(Problem::at(
                sheet,
                row.row,
                "名称",
                "新社工站至少需要一个片区，请在“片区”表中填写",
            ));
        }
        if let Scope::District {
            district,
            bureau_id,
        } = scope
        {
            if row.district != *district {
                problems.push(Problem::at(
                    sheet,
                    row.row,
                    "所在区",
                    format!("不属于{district}，不能导入"),
                ));
            } else if supervisor.is_some_and(|s| s.reference != Ref::Existing(*bureau_id))
                || stored.is_some_and(|s| s.supervisor_org_id != *bureau_id)
            {
                problems.push(Problem::at(
                    sheet,
                    row.row,
                    "监督方",
                    "只能导入由本局监督的社工站",
                ));
            }
        }
        let (Some(operator), Some(purchaser), Some(supervisor)) = (operator, purchaser, supervisor)
        else {
            continue;
        };
        let refs = StationRefs {
            operator: operator.reference,
            purchaser: purchaser.reference,
            supervisor: supervisor.reference,
        };
        let (action, changed) = match stored {
            None => (Action::Create, Vec::new()),
            Some(s) => {
                let mut changed = Vec::new();
                if s.street != row.street {
                    changed.push("街道");
                }
                if s.address != row.address {
                    changed.push("地址");
                }
                if refs.operator != Ref::Existing(s.operator_org_id) {
                    changed.push("承办机构");
                }
                if refs.purchaser != Ref::Existing(s.purchaser_org_id) {
                    changed.push("购买方");
                }
                if refs.supervisor != Ref::Existing(s.supervisor_org_id) {
                    changed.push("监督方");
                }
                (update_or_not(s.id, &changed), changed)
            }
        };
        plan.stations.push(Planned {
            row: row.clone(),
            action,
            refs,
            changed,
        });
    }
    let mut stations_by_key: HashMap<(&str, &str), StationFacts> = HashMap::new();
    for stored in &existing.stations {
        stations_by_key.insert(
            (&stored.name, &stored.district),
            StationFacts {
                reference: Ref::Existing(stored.id),
                supervisor: Ref::Existing(stored.supervisor_org_id),
            },
        );
    }
    for (index, planned) in plan.stations.iter().enumerate() {
        let reference = match planned.action {
            Action::Create => Ref::New(index),
            Action::Update(id) | Action::Unchanged(id) => Ref::Existing(id),
        };
        stations_by_key.insert(
            (&planned.row.name, &planned.row.district),
            StationFacts {
                reference,
                supervisor: planned.refs.supervisor,
            },
        );
    }
    let find_station = |sheet: Sheet,
                        row: u32,
                        name: &str,
                        district: &str,
                        problems: &mut Vec<Problem>|
     -> Option<StationFacts> {
        if let Scope::District {
            district: mine,
            bureau_id,
        } = scope
        {
            if district != mine {
                problems.push(Problem::at(
                    sheet,
                    row,
                    "所在区",
                    format!("不属于{mine}，不能导入"),
                ));
                return None;
            }
            let found = stations_by_key.get(&(name, district));
            if found.is_some_and(|s| s.supervisor != Ref::Existing(*bureau_id)) {
                problems.push(Problem::at(
                    sheet,
                    row,
                    "服务站",
                    "只能导入由本局监督的社工站",
                ));
                return None;
            }
        }
        let found = stations_by_key.get(&(name, district)).copied();
        if found.is_none() {
            problems.push(Problem::at(
                sheet,
                row,
                "服务站",
                format!("{district}没有名为“{name}”的社工站（可在“服务站”表中添加）"),
            ));
        }
        found
    };

    // Zones, by station + 片区.
    let mut seen_zones: HashMap<(&str, &str, &str), u32> = HashMap::new();
    for row in &rows.zones {
        let sheet = Sheet::Zones;
        if let Some(first) = seen_zones.insert((&row.station, &row.district, &row.zone), row.row) {
            problems.push(duplicate(sheet, row.row, "片区", first));
            continue;
        }
        let Some(station) =
            find_station(sheet, row.row, &row.station, &row.district, &mut problems)
        else {
            continue;
        };
        let stored = match station.reference {
            Ref::Existing(id) => existing
                .zones
                .iter()
                .find(|z| z.station_id == id && z.name == row.zone),
            Ref::New(_) => None,
        };
        let (action, changed) = match stored {
            None => (Action::Create, Vec::new()),
            Some(z) if z.communities != row.communities => (Action::Update(z.id), vec!["社区"]),
            Some(z) => (Action::Unchanged(z.id), Vec::new()),
        };
        plan.zones.push(Planned {
            row: row.clone(),
            action,
            refs: station.reference,
            changed,
        });
    }
    // Agreements, by station + 开始日期.
    let mut seen_agreements: HashMap<(&str, &str, NaiveDate), u32> = HashMap::new();
    for row in &rows.agreements {
        let sheet = Sheet::Agreements;
        if let Some(first) =
            seen_agreements.insert((&row.station, &row.district, row.start), row.row)
        {
            problems.push(duplicate(sheet, row.row, "开始日期", first));
            continue;
        }
        if row.start > row.end {
            problems.push(Problem::at(
                sheet,
                row.row,
                "结束日期",
                "结束日期不能早于开始日期",
            ));
        }
        if row.required_certified_staff > row.required_staff {
            problems.push(Problem::at(
                sheet,
                row.row,
                "应配持证社工",
                "持证社工人数不能多于社工总人数",
            ));
        }
        let Some(station) =
            find_station(sheet, row.row, &row.station, &row.district, &mut problems)
        else {
            continue;
        };
        let of_station: Vec<&ExistingAgreement> = match station.reference {
            Ref::Existing(id) => existing
                .agreements
                .iter()
                .filter(|a| a.station_id == id)
                .collect(),
            Ref::New(_) => Vec::new(),
        };
        let stored = of_station.iter().find(|a| a.start == row.start).copied();
        let overlapping = of_station
            .iter()
            .filter(|a| a.start != row.start)
            .map(|a| (a.start, a.end))
            .chain(
                rows.agreements
                    .iter()
                    .filter(|o| {
                        o.row != row.row
                            && o.start != row.start
                            && o.station == row.station
                            && o.district == row.district
                    })
                    .map(|o| (o.start, o.end)),
            )
            .find(|(start, end)| *start <= row.end && *end >= row.start);
        if let Some((start, end)) = overlapping {
            problems.push(Problem::at(
                sheet,
                row.row,
                "开始日期",
                format!("与服务协议（{start} 至 {end}）的服务期重叠"),
            ));
        }
        let (action, changed) = match stored {
            None => (Action::Create, Vec::new()),
            Some(a) => {
                let mut changed = Vec::new();
                if a.end != row.end {
                    changed.push("结束日期");
                }
                if a.funding_fen != row.funding_fen {
                    changed.push("经费（元）");
                }
                if a.required_staff != row.required_staff {
                    changed.push("应配社工");
                }
                if a.required_certified_staff != row.required_certified_staff {
                    changed.push("应配持证社工");
                }
                if a.evaluated && !changed.is_empty() {
                    problems.push(Problem::at(
                        sheet,
                        row.row,
                        changed[0],
                        "该服务协议已有评估，条款不能再修改",
                    ));
                }
                (update_or_not(a.id, &changed), changed)
            }
        };
        plan.agreements.push(Planned {
            row: row.clone(),
            action,
            refs: station.reference,
            changed,
        });
    }

    // Users, by 用户名.
    let stored_users: HashMap<&str, &ExistingUser> = existing
        .users
        .iter()
        .map(|u| (u.username.as_str(), u))
        .collect();
    let stored_org = |id: i64| existing.organizations.iter().find(|o| o.id == id);
    let mut seen_users: HashMap<&str, u32> = HashMap::new();
    for row in &rows.users {
        let sheet = Sheet::Users;
        if let Some(first) = seen_users.insert(&row.username, row.row) {
            problems.push(duplicate(sheet, row.row, "用户名", first));
            continue;
        }
        let Some(org) = find_org(
            sheet,
            row.row,
            "单位",
            &row.organization,
            None,
            &mut problems,
        ) else {
            continue;
        };
        if let Err(reason) = row.role.allowed_in(org.kind) {
            problems.push(Problem::at(sheet, row.row, "角色", reason));
        }
        let stored = stored_users.get(row.username.as_str()).copied();
        if stored.is_some_and(|u| u.role == Role::Admin) {
            problems.push(Problem::at(
                sheet,
                row.row,
                "用户名",
                "系统管理员的账号不能通过导入修改",
            ));
        }
        if stored.is_none() && row.email.is_none() {
            problems.push(Problem::at(
                sheet,
                row.row,
                "电子邮箱",
                "新用户须填写电子邮箱，用于接收设置密码的链接",
            ));
        }
        if let Scope::District { district, .. } = scope {
            let now_outside = !org_in_district(org.kind, org.district, district);
            let was_outside = stored
                .and_then(|u| stored_org(u.organization_id))
                .is_some_and(|o| !org_in_district(o.kind, o.district.as_deref(), district));
            if now_outside || was_outside {
                problems.push(Problem::at(
                    sheet,
                    row.row,
                    if now_outside { "单位" } else { "用户名" },
                    format!("只能导入{district}街道办事处、承办机构和村(居)委会的用户"),
                ));
            }
        }
        let (action, changed) = match stored {
            None => (Action::Create, Vec::new()),
            Some(u) => {
                let mut changed = Vec::new();
                if u.display_name != row.display_name {
                    changed.push("姓名");
                }
                if row.email.is_some() && u.email != row.email {
                    changed.push("电子邮箱");
                }
                if org.reference != Ref::Existing(u.organization_id) {
                    changed.push("单位");
                }
                if u.role != row.role {
                    changed.push("角色");
                }
                (update_or_not(u.id, &changed), changed)
            }
        };
        plan.users.push(Planned {
            row: row.clone(),
            action,
            refs: org.reference,
            changed,
        });
    }

    if problems.is_empty() {
        Ok(plan)
    } else {
        problems.sort_by_key(|p| (Sheet::ALL.iter().position(|s| *s == p.sheet), p.row, p.col));
        Err(problems)
    }
}

fn org_in_district(kind: OrgKind, district: Option<&str>, mine: &str) -> bool {
    DISTRICT_KINDS.contains(&kind) && district == Some(mine)
}

fn update_or_not(id: i64, changed: &[&str]) -> Action {
    if changed.is_empty() {
        Action::Unchanged(id)
    } else {
        Action::Update(id)
    }
}

fn duplicate(sheet: Sheet, row: u32, header: &str, first: u32) -> Problem {
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
mod tests {
    use super::*;

    fn org(
        row: u32,
        name: &str,
        full_name: &str,
        kind: OrgKind,
        district: &str,
    ) -> OrganizationRow {
        OrganizationRow {
            row,
            name: name.into(),
            full_name: full_name.into(),
            kind,
            district: Some(district.into()).filter(|d: &String| !d.is_empty()),
        }
    }

    fn bureau() -> ExistingOrganization {
        ExistingOrganization {
            id: 7,
            name: "荔湾区民政局".into(),
            full_name: "广州市荔湾区民政局".into(),
            kind: OrgKind::CivilAffairsBureau,
            district: Some("荔湾区".into()),
        }
    }

    fn liwan() -> Scope {
        Scope::District {
            district: "荔湾区".into(),
            bureau_id: 7,
        }
    }

    #[test]
    fn a_row_equal_to_its_record_leaves_it_and_a_different_one_updates_it() {
        let existing = Existing {
            organizations: vec![bureau()],
            ..Existing::default()
        };
        let same = Rows {
            organizations: vec![org(
                1,
                "荔湾区民政局",
                "广州市荔湾区民政局",
                OrgKind::CivilAffairsBureau,
                "荔湾区",
            )],
            ..Rows::default()
        };
        let planned = plan(&same, &existing, &Scope::Everything).unwrap();
        assert_eq!(planned.organizations[0].action, Action::Unchanged(7));
        assert!(planned.changes_nothing());
        let renamed = Rows {
            organizations: vec![org(
                1,
                "荔湾区民政局",
                "广州市荔湾区民政局（新）",
                OrgKind::CivilAffairsBureau,
                "荔湾区",
            )],
            ..Rows::default()
        };
        let planned = plan(&renamed, &existing, &Scope::Everything).unwrap();
        assert_eq!(planned.organizations[0].action, Action::Update(7));
        assert_eq!(planned.organizations[0].changed, ["全称"]);
        assert_eq!(planned.counts()[1].organizations, 1);
    }

    #[test]
    fn references_go_by_short_or_full_name_to_records_and_to_rows() {
        let rows = Rows {
            organizations: vec![
                org(
                    1,
                    "西村街道办事处",
                    "广州市荔湾区西村街道办事处",
                    OrgKind::StreetOffice,
                    "荔湾区",
                ),
                org(
                    2,
                    "逢源人家",
                    "广州市荔湾区逢源人家服务中心",
                    OrgKind::Operator,
                    "荔湾区",
                ),
            ],
            stations: vec![StationRow {
                row: 1,
                name: "西村街社工服务站".into(),
                district: "荔湾区".into(),
                street: "西村街".into(),
                address: None,
                operator: "广州市荔湾区逢源人家服务中心".into(),
                purchaser: "西村街道办事处".into(),
                supervisor: "广州市荔湾区民政局".into(),
            }],
            zones: vec![ZoneRow {
                row: 1,
                station: "西村街社工服务站".into(),
                district: "荔湾区".into(),
                zone: "第一片区".into(),
                communities: vec!["西湾东社区".into()],
            }],
            ..Rows::default()
        };
        let existing = Existing {
            organizations: vec![bureau()],
            ..Existing::default()
        };
        let planned = plan(&rows, &existing, &liwan()).unwrap();
        assert_eq!(
            planned.stations[0].refs,
            StationRefs {
                operator: Ref::New(1),
                purchaser: Ref::New(0),
                supervisor: Ref::Existing(7),
            }
        );
        assert_eq!(planned.zones[0].refs, Ref::New(0));
    }

    #[test]
    fn a_district_manager_may_not_touch_another_district_even_without_a_change() {
        let yuexiu = ExistingOrganization {
            id: 8,
            name: "北京街道办事处".into(),
            full_name: "北京街道办事处".into(),
            kind: OrgKind::StreetOffice,
            district: Some("越秀区".into()),
        };
        let existing = Existing {
            organizations: vec![bureau(), yuexiu],
            ..Existing::default()
        };
        let rows = Rows {
            organizations: vec![
                org(
                    1,
                    "北京街道办事处",
                    "北京街道办事处",
                    OrgKind::StreetOffice,
                    "越秀区",
                ),
                org(
                    2,
                    "荔湾区民政局",
                    "广州市荔湾区民政局",
                    OrgKind::CivilAffairsBureau,
                    "荔湾区",
                ),
                org(
                    3,
                    "海龙街道办事处",
                    "海龙街道办事处",
                    OrgKind::StreetOffice,
                    "荔湾区",
                ),
                org(
                    4,
                    "海龙街道办事处",
                    "海龙街道办事处",
                    OrgKind::StreetOffice,
                    "荔湾区",
                ),
            ],
            ..Rows::default()
        };
        let problems = plan(&rows, &existing, &liwan()).unwrap_err();
        let at: Vec<(u32, u32)> = problems.iter().map(|p| (p.row, p.col)).collect();
        // 所在区 of row 1, 类型 of row 2, 名称 of the duplicate row 4.
        assert_eq!(at, [(1, 3), (2, 2), (4, 0)], "{problems:?}");
        assert!(
            problems[2].reason.contains("第 4 行") || problems[2].reason.contains("第 4"),
            "{problems:?}"
        );
    }

    #[test]
    fn kinds_and_roles_are_read_by_their_chinese_names_or_codes() {
        assert_eq!(
            kind_named("村（居）委会"),
            Some(OrgKind::ResidentsCommittee)
        );
        assert_eq!(kind_named("operator"), Some(OrgKind::Operator));
        assert_eq!(kind_named("系统管理"), None);
        assert_eq!(role_named("评估专家"), Some(Role::Expert));
        assert_eq!(role_named("系统管理员"), None);
        assert_eq!(
            split_communities("甲社区、乙社区，丙社区、"),
            ["甲社区", "乙社区", "丙社区"]
        );
    }
}
