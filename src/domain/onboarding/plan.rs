//! The plan of an onboarding workbook, sheet by sheet: each row's action by its natural key,
//! the references between sheets resolved (the workbook's own rows first, then the records),
//! and every problem by sheet, row and column.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::*;

/// Compares the rows with the records: every row's action, or every problem.
pub fn plan(rows: &Rows, existing: &Existing, scope: &Scope) -> Result<Plan, Vec<Problem>> {
    let mut problems = Vec::new();
    let organizations = organizations(rows, existing, scope, &mut problems);
    let orgs = OrgIndex::new(&organizations, existing);
    let stations = stations(rows, existing, scope, &orgs, &mut problems);
    let places = StationIndex::new(&stations, existing, scope);
    let zones = zones(rows, existing, &places, &mut problems);
    let agreements = agreements(rows, existing, &places, &mut problems);
    let users = users(rows, existing, scope, &orgs, &mut problems);
    if problems.is_empty() {
        Ok(Plan {
            organizations,
            stations,
            zones,
            agreements,
            users,
        })
    } else {
        problems.sort_by_key(|p| (Sheet::ALL.iter().position(|s| *s == p.sheet), p.row, p.col));
        Err(problems)
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

/// Organizations, by 名称.
fn organizations(
    rows: &Rows,
    existing: &Existing,
    scope: &Scope,
    problems: &mut Vec<Problem>,
) -> Vec<Planned<OrganizationRow>> {
    let mut planned = Vec::new();
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
        planned.push(Planned {
            row: row.clone(),
            action,
            refs: (),
            changed,
        });
    }

    planned
}

/// What a reference by 名称 or 全称 finds: the workbook's rows first, then the records.
struct OrgIndex<'a> {
    by_name: HashMap<&'a str, Vec<OrgFacts<'a>>>,
}

impl<'a> OrgIndex<'a> {
    fn new(organizations: &'a [Planned<OrganizationRow>], existing: &'a Existing) -> OrgIndex<'a> {
        let mut by_name: HashMap<&'a str, Vec<OrgFacts<'a>>> = HashMap::new();
        for (index, planned) in organizations.iter().enumerate() {
            let facts = OrgFacts {
                reference: match planned.action {
                    Action::Create => Ref::New(index),
                    Action::Update(id) | Action::Unchanged(id) => Ref::Existing(id),
                },
                kind: planned.row.kind,
                district: planned.row.district.as_deref(),
            };
            by_name.entry(&planned.row.name).or_default().push(facts);
            if planned.row.full_name != planned.row.name {
                by_name
                    .entry(&planned.row.full_name)
                    .or_default()
                    .push(facts);
            }
        }
        for stored in &existing.organizations {
            if organizations.iter().any(|p| p.row.name == stored.name) {
                continue;
            }
            let facts = OrgFacts {
                reference: Ref::Existing(stored.id),
                kind: stored.kind,
                district: stored.district.as_deref(),
            };
            for name in [&stored.name, &stored.full_name] {
                let found = by_name.entry(name).or_default();
                if !found.iter().any(|f| f.reference == facts.reference) {
                    found.push(facts);
                }
            }
        }
        OrgIndex { by_name }
    }

    /// The one organization `name` names (of `kind`, when given), or a problem at the cell.
    fn find(
        &self,
        sheet: Sheet,
        row: u32,
        header: &str,
        name: &str,
        kind: Option<OrgKind>,
        problems: &mut Vec<Problem>,
    ) -> Option<OrgFacts<'a>> {
        match self.by_name.get(name).map(Vec::as_slice) {
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
    }
}

/// Stations, by 名称 + 所在区.
fn stations(
    rows: &Rows,
    existing: &Existing,
    scope: &Scope,
    orgs: &OrgIndex,
    problems: &mut Vec<Problem>,
) -> Vec<Planned<StationRow, StationRefs>> {
    let mut planned = Vec::new();
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
        let operator = orgs.find(
            sheet,
            row.row,
            "承办机构",
            &row.operator,
            Some(OrgKind::Operator),
            problems,
        );
        let purchaser = orgs.find(
            sheet,
            row.row,
            "购买方",
            &row.purchaser,
            Some(OrgKind::StreetOffice),
            problems,
        );
        let supervisor = orgs.find(
            sheet,
            row.row,
            "监督方",
            &row.supervisor,
            Some(OrgKind::CivilAffairsBureau),
            problems,
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
        planned.push(Planned {
            row: row.clone(),
            action,
            refs,
            changed,
        });
    }
    planned
}

/// What a reference by 服务站 + 所在区 finds: the workbook's rows over the records.
struct StationIndex<'a> {
    by_key: HashMap<(&'a str, &'a str), StationFacts>,
    scope: &'a Scope,
}

impl<'a> StationIndex<'a> {
    fn new(
        stations: &'a [Planned<StationRow, StationRefs>],
        existing: &'a Existing,
        scope: &'a Scope,
    ) -> StationIndex<'a> {
        let mut by_key: HashMap<(&'a str, &'a str), StationFacts> = HashMap::new();
        for stored in &existing.stations {
            by_key.insert(
                (&stored.name, &stored.district),
                StationFacts {
                    reference: Ref::Existing(stored.id),
                    supervisor: Ref::Existing(stored.supervisor_org_id),
                },
            );
        }
        for (index, planned) in stations.iter().enumerate() {
            let reference = match planned.action {
                Action::Create => Ref::New(index),
                Action::Update(id) | Action::Unchanged(id) => Ref::Existing(id),
            };
            by_key.insert(
                (&planned.row.name, &planned.row.district),
                StationFacts {
                    reference,
                    supervisor: planned.refs.supervisor,
                },
            );
        }
        StationIndex { by_key, scope }
    }

    /// The station a row names, within the importer's scope, or a problem at the cell.
    fn find(
        &self,
        sheet: Sheet,
        row: u32,
        name: &str,
        district: &str,
        problems: &mut Vec<Problem>,
    ) -> Option<StationFacts> {
        if let Scope::District {
            district: mine,
            bureau_id,
        } = self.scope
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
            let found = self.by_key.get(&(name, district));
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
        let found = self.by_key.get(&(name, district)).copied();
        if found.is_none() {
            problems.push(Problem::at(
                sheet,
                row,
                "服务站",
                format!("{district}没有名为“{name}”的社工站（可在“服务站”表中添加）"),
            ));
        }
        found
    }
}

/// Zones, by station + 片区.
fn zones(
    rows: &Rows,
    existing: &Existing,
    places: &StationIndex,
    problems: &mut Vec<Problem>,
) -> Vec<Planned<ZoneRow, Ref>> {
    let mut planned = Vec::new();
    let mut seen_zones: HashMap<(&str, &str, &str), u32> = HashMap::new();
    for row in &rows.zones {
        let sheet = Sheet::Zones;
        if let Some(first) = seen_zones.insert((&row.station, &row.district, &row.zone), row.row) {
            problems.push(duplicate(sheet, row.row, "片区", first));
            continue;
        }
        let Some(station) = places.find(sheet, row.row, &row.station, &row.district, problems)
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
        planned.push(Planned {
            row: row.clone(),
            action,
            refs: station.reference,
            changed,
        });
    }
    planned
}

/// Agreements, by station + 开始日期.
fn agreements(
    rows: &Rows,
    existing: &Existing,
    places: &StationIndex,
    problems: &mut Vec<Problem>,
) -> Vec<Planned<AgreementRow, Ref>> {
    let mut planned = Vec::new();
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
        let Some(station) = places.find(sheet, row.row, &row.station, &row.district, problems)
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
        planned.push(Planned {
            row: row.clone(),
            action,
            refs: station.reference,
            changed,
        });
    }

    planned
}

/// Users, by 用户名.
fn users(
    rows: &Rows,
    existing: &Existing,
    scope: &Scope,
    orgs: &OrgIndex,
    problems: &mut Vec<Problem>,
) -> Vec<Planned<UserRow, Ref>> {
    let mut planned = Vec::new();
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
        let Some(org) = orgs.find(sheet, row.row, "单位", &row.organization, None, problems)
        else {
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
        planned.push(Planned {
            row: row.clone(),
            action,
            refs: org.reference,
            changed,
        });
    }

    planned
}
