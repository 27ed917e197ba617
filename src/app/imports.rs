//! GET /imports/template.xlsx and POST /imports[?dry_run=true] (DESIGN.md §8): a district
//! onboarded from one workbook. The workbook is read with bounds off the async workers; then,
//! in one write transaction (imports one at a time), its rows are compared with the records by
//! their natural keys and — unless it is a dry run or anything is wrong — written all at once.
//! New users get no password: a link to set their own goes by e-mail.

use std::collections::HashMap;

use serde::Serialize;
use utoipa::ToSchema;

use crate::app::error::{AppError, FieldError};
use crate::app::password_links;
use crate::app::views::Download;
use crate::app::workbooks::{problems, xlsx_error};
use crate::auth::extractor::AuthenticatedUser;
use crate::auth::password::UNUSABLE_PASSWORD_HASH;
use crate::auth::permissions::onboarding_scope;
use crate::db::onboarding::{self as records, AgreementTerms, StationChanges};
use crate::db::organizations::NewOrganization;
use crate::db::stations::{NewAgreement, NewStation};
use crate::db::users::NewUser;
use crate::db::{self, DbConnection, audit, organizations, stations, users};
use crate::domain::onboarding::{self, Action, Counts, Plan, Planned, Ref, Sheet};
use crate::excel::{self, CellProblem, WORKBOOK};
use crate::notify::welcome::Invitee;
use crate::settings::Settings;
use crate::state::AppState;

/// Rows of one sheet, by what the import does (or would do) with them.
#[derive(Debug, Clone, Copy, Default, Serialize, ToSchema, PartialEq, Eq)]
pub struct ImportCounts {
    pub organizations: u32,
    pub stations: u32,
    pub zones: u32,
    pub agreements: u32,
    pub users: u32,
}

impl From<Counts> for ImportCounts {
    fn from(c: Counts) -> Self {
        ImportCounts {
            organizations: c.organizations,
            stations: c.stations,
            zones: c.zones,
            agreements: c.agreements,
            users: c.users,
        }
    }
}

/// One row that creates or updates its record.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportChange {
    /// 单位, 服务站, 片区, 协议 or 用户.
    pub sheet: String,
    /// The row as Excel numbers it.
    pub row: u32,
    /// The row's natural key as read, e.g. "西村街社工服务站（荔湾区）".
    pub key: String,
    /// `created` or `updated`.
    pub action: String,
    /// The headers whose value changes (for an update).
    pub fields: Vec<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportReport {
    pub dry_run: bool,
    pub created: ImportCounts,
    pub updated: ImportCounts,
    pub unchanged: ImportCounts,
    /// The rows that create or update, in sheet order.
    pub changes: Vec<ImportChange>,
}

impl ImportReport {
    /// Whether the workbook changes (or changed) nothing.
    pub fn changes_nothing(&self) -> bool {
        self.changes.is_empty()
    }
}

/// The empty template with its instructions, dropdowns and example rows.
pub fn template() -> Result<Download, AppError> {
    let bytes = excel::onboarding::template().map_err(xlsx_error)?;
    Ok(Download::workbook(bytes, "批量导入模板.xlsx".to_owned()))
}

/// Checks (dry run) or imports an onboarding workbook as `me`.
pub async fn import_for(
    state: &AppState,
    me: &AuthenticatedUser,
    workbook: Vec<u8>,
    dry_run: bool,
    request_id: Option<String>,
) -> Result<ImportReport, AppError> {
    let scope = onboarding_scope(me)?;
    let rows = excel::read_off_workers(workbook, excel::onboarding::read)
        .await?
        .map_err(problems)?;
    if rows == onboarding::Rows::default() {
        return Err(AppError::field(
            WORKBOOK,
            "工作簿中没有要导入的行（示例行不导入）",
        ));
    }
    let settings = state.settings.clone();
    let actor = (me.id, me.organization.id);
    db::run(&state.pool, move |conn| {
        db::write_transaction(conn, |conn| {
            records::lock_imports(conn)?;
            let existing = records::existing_for(conn, &rows)?;
            let plan = onboarding::plan(&rows, &existing, &scope).map_err(|found| {
                problems(
                    found
                        .into_iter()
                        .map(|p| CellProblem::new(p.sheet.name(), p.row, p.col, p.reason))
                        .collect(),
                )
            })?;
            let report = report_of(&plan, dry_run);
            if !dry_run && !report.changes_nothing() {
                let names: HashMap<i64, String> = existing
                    .organizations
                    .iter()
                    .map(|o| (o.id, o.full_name.clone()))
                    .collect();
                let writing = Writing {
                    settings: &settings,
                    actor,
                    request_id,
                    now: db::now(),
                    full_names: names,
                };
                writing.apply(conn, &plan).map_err(|e| {
                    if db::is_unique_violation(&e) {
                        AppError::Conflict(vec![FieldError::new(
                            WORKBOOK,
                            "导入期间有人新增了同名记录，请重新导入",
                        )])
                    } else {
                        e.into()
                    }
                })?;
            }
            Ok(report)
        })
    })
    .await
}

fn report_of(plan: &Plan, dry_run: bool) -> ImportReport {
    let [created, updated, unchanged] = plan.counts();
    let mut changes = Vec::new();
    fn push<T, R>(
        changes: &mut Vec<ImportChange>,
        sheet: Sheet,
        planned: &[Planned<T, R>],
        row_of: impl Fn(&T) -> (u32, String),
    ) {
        for p in planned {
            let action = match p.action {
                Action::Create => "created",
                Action::Update(_) => "updated",
                Action::Unchanged(_) => continue,
            };
            let (row, key) = row_of(&p.row);
            changes.push(ImportChange {
                sheet: sheet.name().to_owned(),
                row: row + 1,
                key,
                action: action.to_owned(),
                fields: p.changed.iter().map(|f| (*f).to_owned()).collect(),
            });
        }
    }
    push(
        &mut changes,
        Sheet::Organizations,
        &plan.organizations,
        |r| (r.row, r.name.clone()),
    );
    push(&mut changes, Sheet::Stations, &plan.stations, |r| {
        (r.row, format!("{}（{}）", r.name, r.district))
    });
    push(&mut changes, Sheet::Zones, &plan.zones, |r| {
        (r.row, format!("{} {}", r.station, r.zone))
    });
    push(&mut changes, Sheet::Agreements, &plan.agreements, |r| {
        (r.row, format!("{} {} 至 {}", r.station, r.start, r.end))
    });
    push(&mut changes, Sheet::Users, &plan.users, |r| {
        (r.row, format!("{}（{}）", r.username, r.display_name))
    });
    ImportReport {
        dry_run,
        created: created.into(),
        updated: updated.into(),
        unchanged: unchanged.into(),
        changes,
    }
}

/// The writes of one import.
struct Writing<'a> {
    settings: &'a Settings,
    actor: (i64, i64),
    request_id: Option<String>,
    now: chrono::NaiveDateTime,
    /// Organizations' full names by id, for the welcome e-mails.
    full_names: HashMap<i64, String>,
}

impl Writing<'_> {
    fn audit(
        &self,
        conn: &mut DbConnection,
        action: &str,
        entity: &str,
        id: i64,
        summary: String,
    ) -> diesel::QueryResult<()> {
        audit::append_global(
            conn,
            &audit::global_entry(
                Some(self.actor),
                action,
                entity,
                id,
                format!("批量导入：{summary}"),
                self.now,
                self.request_id.clone(),
            ),
        )?;
        Ok(())
    }

    fn apply(mut self, conn: &mut DbConnection, plan: &Plan) -> diesel::QueryResult<()> {
        let now = self.now;
        let mut org_ids = Vec::with_capacity(plan.organizations.len());
        for p in &plan.organizations {
            let r = &p.row;
            let id = match p.action {
                Action::Create => {
                    let id = organizations::insert(
                        conn,
                        &NewOrganization {
                            name: &r.name,
                            full_name: &r.full_name,
                            kind: r.kind.code(),
                            district: r.district.as_deref(),
                            // The workbook's 单位 sheet has no 所在市 (DESIGN.md §8).
                            city: None,
                            // Nor a 报告编号 prefix: the agency's name stands for it.
                            report_prefix: None,
                            created_at: now,
                            updated_at: now,
                        },
                    )?;
                    let summary = format!("创建机构“{}”（{}）", r.name, r.kind.chinese_name());
                    self.audit(conn, "create", "organization", id, summary)?;
                    id
                }
                Action::Update(id) => {
                    records::update_organization(
                        conn,
                        id,
                        &r.full_name,
                        r.district.as_deref(),
                        now,
                    )?;
                    let summary = format!("修改机构“{}”的{}", r.name, p.changed.join("、"));
                    self.audit(conn, "update", "organization", id, summary)?;
                    id
                }
                Action::Unchanged(id) => id,
            };
            self.full_names.insert(id, r.full_name.clone());
            org_ids.push(id);
        }
        let org = |r: Ref| match r {
            Ref::Existing(id) => id,
            Ref::New(index) => org_ids[index],
        };

        let mut station_ids = Vec::with_capacity(plan.stations.len());
        for p in &plan.stations {
            let r = &p.row;
            let (operator, purchaser, supervisor) = (
                org(p.refs.operator),
                org(p.refs.purchaser),
                org(p.refs.supervisor),
            );
            let id = match p.action {
                Action::Create => {
                    let new = NewStation {
                        name: &r.name,
                        district: &r.district,
                        street: &r.street,
                        address: r.address.as_deref(),
                        operator_org_id: operator,
                        purchaser_org_id: purchaser,
                        supervisor_org_id: supervisor,
                        // The workbook's 社工站 sheet has no 运营起始日期.
                        operating_since: None,
                        zones: &[],
                    };
                    let id = stations::insert(conn, &new, now)?;
                    let summary = format!("登记社工站“{}”（{}）", r.name, r.district);
                    self.audit(conn, "create", audit::STATION_ENTITY, id, summary)?;
                    id
                }
                Action::Update(id) => {
                    let changes = StationChanges {
                        street: &r.street,
                        address: r.address.as_deref(),
                        operator_org_id: operator,
                        purchaser_org_id: purchaser,
                        supervisor_org_id: supervisor,
                    };
                    records::update_station(conn, id, &changes, now)?;
                    let summary = format!("修改社工站“{}”的{}", r.name, p.changed.join("、"));
                    self.audit(conn, "update", audit::STATION_ENTITY, id, summary)?;
                    id
                }
                Action::Unchanged(id) => id,
            };
            station_ids.push(id);
        }
        let station = |r: Ref| match r {
            Ref::Existing(id) => id,
            Ref::New(index) => station_ids[index],
        };

        for p in &plan.zones {
            let r = &p.row;
            let station_id = station(p.refs);
            match p.action {
                Action::Create => {
                    let id = records::insert_zone(conn, station_id, &r.zone, &r.communities)?;
                    let summary = format!("为“{}”添加片区“{}”", r.station, r.zone);
                    self.audit(conn, "create", "zone", id, summary)?;
                }
                Action::Update(id) => {
                    records::set_communities(conn, id, &r.communities)?;
                    let summary = format!("修改“{}”片区“{}”的社区", r.station, r.zone);
                    self.audit(conn, "update", "zone", id, summary)?;
                }
                Action::Unchanged(_) => {}
            }
        }

        for p in &plan.agreements {
            let r = &p.row;
            match p.action {
                Action::Create => {
                    let new = NewAgreement {
                        station_id: station(p.refs),
                        period_start: r.start,
                        period_end: r.end,
                        funding_fen: r.funding_fen,
                        required_staff: r.required_staff,
                        required_certified_staff: r.required_certified_staff,
                    };
                    let id = stations::insert_agreement(conn, &new, now)?;
                    let summary = format!("“{}”的服务协议 {} 至 {}", r.station, r.start, r.end);
                    self.audit(conn, "create", "agreement", id, summary)?;
                }
                Action::Update(id) => {
                    let terms = AgreementTerms {
                        end: r.end,
                        funding_fen: r.funding_fen,
                        required_staff: r.required_staff,
                        required_certified_staff: r.required_certified_staff,
                    };
                    records::update_agreement(conn, id, &terms)?;
                    let summary = format!(
                        "修改“{}”服务协议（{} 起）的{}",
                        r.station,
                        r.start,
                        p.changed.join("、")
                    );
                    self.audit(conn, "update", "agreement", id, summary)?;
                }
                Action::Unchanged(_) => {}
            }
        }

        for p in &plan.users {
            let r = &p.row;
            let organization_id = org(p.refs);
            match p.action {
                Action::Create => {
                    let new = NewUser {
                        organization_id,
                        username: &r.username,
                        display_name: &r.display_name,
                        email: r.email.as_deref(),
                        role: r.role.code(),
                        password_hash: UNUSABLE_PASSWORD_HASH,
                        must_change_password: true,
                        created_at: now,
                        updated_at: now,
                    };
                    let id = users::insert(conn, &new)?;
                    let summary = format!("创建用户 {}（{}）", r.username, r.role.chinese_name());
                    self.audit(conn, "create", "user", id, summary)?;
                    if let Some(email) = r.email.as_deref() {
                        let organization = self
                            .full_names
                            .get(&organization_id)
                            .cloned()
                            .unwrap_or_default();
                        let to = Invitee {
                            user_id: id,
                            username: &r.username,
                            display_name: &r.display_name,
                            organization: &organization,
                            email,
                        };
                        password_links::send_in(conn, self.settings, &to, false, now)?;
                    }
                }
                Action::Update(id) => {
                    let changes = records::UserChanges {
                        display_name: &r.display_name,
                        email: r.email.as_deref(),
                        organization_id,
                        role: r.role.code(),
                    };
                    records::update_user(conn, id, &changes, now)?;
                    let summary = format!("修改用户 {} 的{}", r.username, p.changed.join("、"));
                    self.audit(conn, "update", "user", id, summary)?;
                }
                Action::Unchanged(_) => {}
            }
        }
        Ok(())
    }
}
