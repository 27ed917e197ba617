//! Rectification items (整改事项, DESIGN.md §7, §10): on approve every concern of the final
//! report becomes an item for the station, due the scheme's `rectification_days` later; the
//! station answers (`PUT /rectifications/{id}`), the agency's manager verifies or returns the
//! answer (`POST /rectifications/{id}/verification`), the bureau's manager may move the due date
//! (`PATCH /rectifications/{id}`); every change is audited and kept in the item's history; the
//! station's next evaluation shows them.

use crate::app::access::{Record, Writing, access_of, audit_on_evaluation, notify, scheme_of};
use crate::app::error::AppError;
use crate::app::views::utc;
use crate::auth::extractor::AuthenticatedUser;
use crate::auth::permissions::can_view_station;
use crate::db::evaluations::EvaluationDetail;
use crate::db::rectifications::{self as store, EventRow, NewItem, RectificationRow};
use crate::db::{self, DbConnection, components, stations};
use crate::domain::access::EvaluationAccess;
use crate::domain::components::Concern;
use crate::domain::rectification::{self, ItemStatus};
use crate::domain::scheme::{STATION_PARTY, Scheme};
use crate::notify::catalog::Notice;
use crate::report::build::RectificationFacts;
use crate::state::AppState;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

/// Turns every concern of the approved evaluation into an open item; an evaluation approved again
/// after reopen keeps its items and the station's answers.
pub fn create_from_concerns(
    conn: &mut DbConnection,
    detail: &EvaluationDetail,
    today: NaiveDate,
    now: chrono::NaiveDateTime,
) -> Result<usize, AppError> {
    let mut items = Vec::new();
    for component in components::list(conn, detail.row.id)? {
        let concerns: Vec<Concern> = serde_json::from_str(&component.concerns).unwrap_or_default();
        for concern in concerns {
            let zone_id = concern.zones().first().copied();
            let text = match concern
                .suggestion
                .as_deref()
                .filter(|s| !s.trim().is_empty())
            {
                Some(suggestion) => format!("{}建议：{suggestion}", concern.text),
                None => concern.text,
            };
            items.push(NewItem {
                party_code: component.party_code.clone(),
                section: concern.section,
                zone_id,
                text,
            });
        }
    }
    let days = scheme_of(detail)?
        .rectification_days
        .unwrap_or(rectification::DEFAULT_DAYS);
    let due_on = rectification::due_on(today, days);
    store::sync(
        conn,
        detail.row.station_id,
        detail.row.id,
        &items,
        (due_on, today),
        now,
    )?;
    Ok(items.len())
}

/// The items of the station's previous evaluation (the latest one before this), which this
/// evaluation follows up.
pub fn previous_items(
    conn: &mut DbConnection,
    detail: &EvaluationDetail,
) -> Result<Vec<RectificationRow>, AppError> {
    let rows = store::of_station(conn, detail.row.station_id)?;
    let previous = rows
        .iter()
        .map(|r| r.evaluation_id)
        .filter(|e| *e < detail.row.id)
        .max();
    Ok(rows
        .into_iter()
        .filter(|r| Some(r.evaluation_id) == previous)
        .collect())
}

/// The previous evaluation's items, for this evaluation's report (整改情况).
pub fn carried_into(
    conn: &mut DbConnection,
    detail: &EvaluationDetail,
) -> Result<Vec<RectificationFacts>, AppError> {
    Ok(previous_items(conn, detail)?
        .into_iter()
        .map(|r| RectificationFacts {
            text: r.text,
            status: ItemStatus::from_code(&r.status),
            action_taken: r.action_taken,
            verified_on: r.verified_on,
        })
        .collect())
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RectificationView {
    pub id: i64,
    pub evaluation_id: i64,
    /// The party whose concern it was.
    pub party: String,
    pub section: Option<String>,
    pub zone_id: Option<i64>,
    pub text: String,
    pub status: ItemStatus,
    pub action_taken: Option<String>,
    pub due_on: NaiveDate,
    /// The station still owes it and its day has passed.
    pub overdue: bool,
    pub verified_by: Option<i64>,
    pub verified_at: Option<DateTime<Utc>>,
    /// Every change, oldest first.
    pub history: Vec<HistoryEntry>,
    /// The station's evidence files for its answer (GET /attachments/{id}).
    pub evidence: Vec<EvidenceFile>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EvidenceFile {
    pub id: i64,
    pub filename: String,
    pub bytes: i64,
}

/// One change of an item: `answer`, `verify`, `return` or `set_due`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HistoryEntry {
    pub action: String,
    /// The item's status after the change.
    pub status: ItemStatus,
    /// The measures, the reason for returning, or the new due date.
    pub note: Option<String>,
    pub actor_id: Option<i64>,
    pub at: DateTime<Utc>,
}

impl RectificationView {
    /// Chinese for the pages and reports: 未整改, 已整改，待核验, …
    pub fn status_name(&self) -> &'static str {
        self.status.chinese_name()
    }
}

/// The views of `rows` on `today`, each with its history (one query for all).
pub fn views_of(
    conn: &mut DbConnection,
    rows: Vec<RectificationRow>,
    today: NaiveDate,
) -> Result<Vec<RectificationView>, AppError> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let events = store::events_of(conn, &ids)?;
    let files = crate::db::attachments::of_items(conn, &ids)?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let status = ItemStatus::from_code(&row.status);
            RectificationView {
                history: events
                    .iter()
                    .filter(|e| e.rectification_id == row.id)
                    .map(|e| HistoryEntry {
                        action: e.action.clone(),
                        status: ItemStatus::from_code(&e.status),
                        note: e.note.clone(),
                        actor_id: e.actor_id,
                        at: utc(e.at),
                    })
                    .collect(),
                evidence: files
                    .iter()
                    .filter(|f| f.rectification_id == Some(row.id))
                    .map(|f| EvidenceFile {
                        id: f.id,
                        filename: f.filename.clone(),
                        bytes: f.bytes,
                    })
                    .collect(),
                id: row.id,
                evaluation_id: row.evaluation_id,
                party: row.party_code,
                section: row.section,
                zone_id: row.zone_id,
                text: row.text,
                overdue: rectification::overdue(status, row.due_on, today),
                status,
                action_taken: row.action_taken,
                due_on: row.due_on,
                verified_by: row.verified_by,
                verified_at: row.verified_at.map(utc),
                updated_at: utc(row.updated_at),
                version: row.version,
            }
        })
        .collect())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Rectifications {
    pub items: Vec<RectificationView>,
}

/// The station's rectification items as `me` may see them (404 otherwise): API and pages.
pub async fn station_items_for(
    state: &AppState,
    me: &AuthenticatedUser,
    id: i64,
) -> Result<Vec<RectificationView>, AppError> {
    let user = me.clone();
    let today = state.settings.today();
    db::run(&state.pool, move |conn| {
        station_items_on(conn, &user, id, today)
    })
    .await
}

/// A station's items as `user` may see them (404 for a station they may not see).
pub fn station_items_on(
    conn: &mut DbConnection,
    user: &AuthenticatedUser,
    station_id: i64,
    today: NaiveDate,
) -> Result<Vec<RectificationView>, AppError> {
    let station = stations::find_row(conn, station_id)?.ok_or(AppError::NotFound("社工站"))?;
    if !can_view_station(conn, user, &station)? {
        return Err(AppError::NotFound("社工站"));
    }
    let rows = store::of_station(conn, station_id)?;
    views_of(conn, rows, today)
}

/// What the station may set: `answered` (its answer, for the agency to verify) or `open` (notes
/// kept without answering yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AnswerStatus {
    Open,
    Answered,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateRectification {
    pub status: AnswerStatus,
    /// 整改措施: required to answer.
    #[validate(length(max = 5000, message = "最多 5000 字"))]
    pub action_taken: Option<String>,
    /// The version the caller saw (or send If-Match).
    pub version: Option<i64>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Verification {
    /// 通过 (true) or 不通过 (false, back to the station with the reason).
    pub passed: bool,
    #[validate(length(max = 2000, message = "最多 2000 字"))]
    pub reason: Option<String>,
    pub version: Option<i64>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeDue {
    pub due_on: NaiveDate,
    pub version: Option<i64>,
}

/// One change of an item, in one transaction serialized on its evaluation: the item and its
/// evaluation read again under the lock, the caller's `change` checked and written over the
/// version seen, then the history, the audit entry and the notices.
struct Change<'a> {
    user: &'a AuthenticatedUser,
    id: i64,
    expected: Option<i64>,
    request_id: Option<String>,
    today: NaiveDate,
}

/// What a change wrote: the history line, the audit words and whom to tell.
struct Written {
    action: &'static str,
    status: ItemStatus,
    note: Option<String>,
    summary: String,
    notice: Option<(Notice, Vec<i64>)>,
}

fn change_item(
    conn: &mut DbConnection,
    settings: &crate::settings::Settings,
    change: Change,
    write: impl FnOnce(
        &mut DbConnection,
        &RectificationRow,
        &EvaluationAccess,
        &EvaluationDetail,
        i64,
    ) -> Result<Written, AppError>,
) -> Result<RectificationView, AppError> {
    db::write_transaction(conn, |conn| {
        let now = db::now();
        let found = store::find(conn, change.id)?.ok_or(AppError::NotFound("整改事项"))?;
        // Serialized on its evaluation, then read again as it now is.
        db::evaluations::lock(conn, found.evaluation_id)?;
        let item = store::find(conn, change.id)?.ok_or(AppError::NotFound("整改事项"))?;
        let station =
            stations::find_row(conn, item.station_id)?.ok_or(AppError::NotFound("整改事项"))?;
        if !can_view_station(conn, change.user, &station)? {
            return Err(AppError::NotFound("整改事项"));
        }
        let detail = db::evaluations::find(conn, item.evaluation_id)?
            .ok_or(AppError::NotFound("整改事项"))?;
        let scheme = scheme_of(&detail)?;
        let access = access_of(change.user, &detail, &scheme);
        let version = change.expected.unwrap_or(item.version);
        if version != item.version {
            return Err(AppError::StaleVersion {
                current: item.version,
            });
        }
        let written = write(conn, &item, &access, &detail, version)?;
        crate::db::evaluations::touch(conn, item.evaluation_id, now)?;
        store::add_event(
            conn,
            &EventRow {
                rectification_id: item.id,
                action: written.action.to_owned(),
                status: written.status.code().to_owned(),
                note: written.note.clone(),
                actor_id: Some(change.user.id),
                at: now,
            },
        )?;
        let writing = Writing {
            user: change.user,
            request_id: change.request_id,
            action: match written.action {
                "answer" => "answer_rectification",
                "verify" => "verify_rectification",
                "return" => "return_rectification",
                _ => "set_rectification_due",
            },
        };
        let record = Record {
            entity: "rectification",
            entity_id: item.id.to_string(),
            summary: written.summary,
            reason: written.note,
        };
        let audit_id = audit_on_evaluation(conn, item.evaluation_id, writing, record, now)?;
        if let Some((notice, organizations)) = written.notice {
            notify(
                conn,
                settings,
                change.user,
                &detail,
                &scheme,
                notice,
                audit_id,
                organizations,
                now,
            )?;
        }
        let row = store::find(conn, change.id)?.ok_or(AppError::NotFound("整改事项"))?;
        Ok(views_of(conn, vec![row], change.today)?.remove(0))
    })
}

/// The write of one item as `me` (`write` decides and stores the change, in `change_item`'s
/// transaction): target is (item, the version the caller saw, the request's id).
async fn change_for(
    state: &AppState,
    me: &AuthenticatedUser,
    (id, expected, request_id): (i64, Option<i64>, Option<String>),
    write: impl FnOnce(
        &mut DbConnection,
        &RectificationRow,
        &EvaluationAccess,
        &EvaluationDetail,
        i64,
    ) -> Result<Written, AppError>
    + Send
    + 'static,
) -> Result<RectificationView, AppError> {
    let user = me.clone();
    let settings = state.settings.clone();
    let today = state.settings.today();
    db::run(&state.pool, move |conn| {
        let change = Change {
            user: &user,
            id,
            expected,
            request_id,
            today,
        };
        change_item(conn, &settings, change, write)
    })
    .await
}

/// Another write came first: the version it left.
fn stale(conn: &mut DbConnection, id: i64) -> AppError {
    match store::find(conn, id) {
        Ok(found) => AppError::StaleVersion {
            current: found.map_or(0, |r| r.version),
        },
        Err(error) => error.into(),
    }
}

/// The organization standing for the scheme's agency party in the evaluation.
fn agency_org(detail: &EvaluationDetail, scheme: &Scheme) -> Vec<i64> {
    let agency = scheme.third_party().map(|p| p.code.as_str());
    detail
        .parties
        .iter()
        .filter(|(code, _)| Some(code.as_str()) == agency)
        .map(|(_, org)| org.id)
        .collect()
}

fn station_org(detail: &EvaluationDetail) -> Vec<i64> {
    detail
        .parties
        .iter()
        .filter(|(code, _)| code == STATION_PARTY)
        .map(|(_, org)| org.id)
        .collect()
}

/// The station's answer to an item, as `me`: for the API and the pages. `answered` tells the
/// agency there is an answer to verify.
pub async fn update_for(
    state: &AppState,
    me: &AuthenticatedUser,
    id: i64,
    body: UpdateRectification,
    expected: Option<i64>,
    request_id: Option<String>,
) -> Result<RectificationView, AppError> {
    let user_id = me.id;
    change_for(
        state,
        me,
        (id, expected, request_id),
        move |conn, item, access, detail, version| {
            if !access.answers_rectifications() {
                return Err(AppError::forbidden("整改情况由社工站填写"));
            }
            let status = ItemStatus::from_code(&item.status);
            if !status.answerable() {
                return Err(AppError::TransitionRefused {
                    detail: "该整改事项已核验通过，不能再修改".into(),
                    missing: vec![],
                });
            }
            let action = body
                .action_taken
                .as_deref()
                .map(str::trim)
                .filter(|a| !a.is_empty());
            let answered = body.status == AnswerStatus::Answered;
            if answered && action.is_none() {
                return Err(AppError::field("action_taken", "请填写整改措施"));
            }
            // Notes kept without answering leave a returned item returned.
            let next = match (answered, status) {
                (true, _) => ItemStatus::Answered,
                (false, ItemStatus::Returned) => ItemStatus::Returned,
                (false, _) => ItemStatus::Open,
            };
            if store::answer(conn, item.id, version, next, action, user_id, db::now())? == 0 {
                return Err(stale(conn, item.id));
            }
            let scheme = scheme_of(detail)?;
            Ok(Written {
                action: "answer",
                status: next,
                note: action.map(str::to_owned),
                summary: format!("填写整改情况（{}）：{}", next.chinese_name(), item.text),
                notice: answered.then(|| {
                    (
                        Notice::RectificationAnswered {
                            item: item.text.clone(),
                        },
                        agency_org(detail, &scheme),
                    )
                }),
            })
        },
    )
    .await
}

/// The agency manager's verification of an answered item: passed closes it, not passed (with
/// the reason) returns it to the station. The station never verifies its own item.
pub async fn verify_for(
    state: &AppState,
    me: &AuthenticatedUser,
    id: i64,
    body: Verification,
    expected: Option<i64>,
    request_id: Option<String>,
) -> Result<RectificationView, AppError> {
    let (user_id, today) = (me.id, state.settings.today());
    change_for(
        state,
        me,
        (id, expected, request_id),
        move |conn, item, access, detail, version| {
            if !access.verifies_rectifications() {
                return Err(AppError::forbidden("整改情况由评估机构负责人核验"));
            }
            if !ItemStatus::from_code(&item.status).verifiable() {
                return Err(AppError::TransitionRefused {
                    detail: "社工站尚未提交该事项的整改情况，不能核验".into(),
                    missing: vec![],
                });
            }
            let reason = body
                .reason
                .as_deref()
                .map(str::trim)
                .filter(|r| !r.is_empty());
            if !body.passed && reason.is_none() {
                return Err(AppError::field("reason", "核验不通过须说明理由"));
            }
            let next = if body.passed {
                ItemStatus::Verified
            } else {
                ItemStatus::Returned
            };
            if store::verify(conn, item.id, version, next, user_id, (today, db::now()))? == 0 {
                return Err(stale(conn, item.id));
            }
            Ok(Written {
                action: if body.passed { "verify" } else { "return" },
                status: next,
                note: reason.map(str::to_owned),
                summary: format!("核验整改情况（{}）：{}", next.chinese_name(), item.text),
                notice: Some((
                    Notice::RectificationVerified {
                        item: item.text.clone(),
                        passed: body.passed,
                        reason: reason.map(str::to_owned),
                        due_on: item.due_on,
                    },
                    station_org(detail),
                )),
            })
        },
    )
    .await
}

/// The supervising bureau manager moves an item's due date (not into the past).
pub async fn change_due_for(
    state: &AppState,
    me: &AuthenticatedUser,
    id: i64,
    body: ChangeDue,
    expected: Option<i64>,
    request_id: Option<String>,
) -> Result<RectificationView, AppError> {
    let (user_id, today) = (me.id, state.settings.today());
    change_for(
        state,
        me,
        (id, expected, request_id),
        move |conn, item, access, _, version| {
            if !access.sets_rectification_due() {
                return Err(AppError::forbidden("整改期限由区民政局负责人调整"));
            }
            let status = ItemStatus::from_code(&item.status);
            if status == ItemStatus::Verified {
                return Err(AppError::TransitionRefused {
                    detail: "该整改事项已核验通过，无需调整期限".into(),
                    missing: vec![],
                });
            }
            if body.due_on < today {
                return Err(AppError::field("due_on", "整改期限不能早于今天"));
            }
            if store::set_due(
                conn,
                item.id,
                version,
                body.due_on,
                today,
                user_id,
                db::now(),
            )? == 0
            {
                return Err(stale(conn, item.id));
            }
            Ok(Written {
                action: "set_due",
                status,
                note: Some(body.due_on.to_string()),
                summary: format!(
                    "整改期限由 {} 改为 {}：{}",
                    item.due_on, body.due_on, item.text
                ),
                notice: None,
            })
        },
    )
    .await
}

/// An item waiting on the user's organization, for 我的待办.
#[derive(Debug, Clone)]
pub struct WaitingItem {
    pub evaluation_id: i64,
    pub item_id: i64,
    pub station: String,
    pub text: String,
    pub status: ItemStatus,
    pub due_on: NaiveDate,
    pub overdue: bool,
}

/// The items whose next step is the user's: the station's to answer (open or returned), the
/// agency manager's to verify (answered) — by the same rules as the writes.
pub async fn waiting_for(
    state: &AppState,
    me: &AuthenticatedUser,
) -> Result<Vec<WaitingItem>, AppError> {
    let user = me.clone();
    let today = state.settings.today();
    db::run(&state.pool, move |conn| {
        let items = store::waiting_on(conn, user.organization.id)?;
        let mut ids: Vec<i64> = items.iter().map(|i| i.evaluation_id).collect();
        ids.sort_unstable();
        ids.dedup();
        // Each evaluation's access, from one batch of reads (not one per evaluation).
        let mut seen = std::collections::HashMap::new();
        for detail in db::evaluations::details_of(conn, &ids)? {
            let scheme = scheme_of(&detail)?;
            let access = access_of(&user, &detail, &scheme);
            seen.insert(detail.row.id, (access, detail.station_name));
        }
        let mut waiting = Vec::new();
        for item in items {
            let Some((access, station)) = seen.get(&item.evaluation_id) else {
                continue;
            };
            let status = ItemStatus::from_code(&item.status);
            let mine = (status.owed_by_station() && access.answers_rectifications())
                || (status.verifiable() && access.verifies_rectifications());
            if mine {
                waiting.push(WaitingItem {
                    evaluation_id: item.evaluation_id,
                    item_id: item.id,
                    station: station.clone(),
                    overdue: rectification::overdue(status, item.due_on, today),
                    text: item.text,
                    status,
                    due_on: item.due_on,
                });
            }
        }
        Ok(waiting)
    })
    .await
}

/// The station may add evidence to item `item_id` of evaluation `evaluation_id` now: it sees
/// the item (404), answers items (403) and the item is not verified yet (409).
pub fn ensure_answerable(
    conn: &mut DbConnection,
    user: &AuthenticatedUser,
    evaluation_id: i64,
    item_id: i64,
) -> Result<(), AppError> {
    let item = store::find(conn, item_id)?
        .filter(|item| item.evaluation_id == evaluation_id)
        .ok_or(AppError::NotFound("整改事项"))?;
    let detail = crate::app::access::visible(conn, user, evaluation_id)
        .map_err(|_| AppError::NotFound("整改事项"))?;
    let scheme = scheme_of(&detail)?;
    if !access_of(user, &detail, &scheme).answers_rectifications() {
        return Err(AppError::forbidden("整改佐证材料由社工站上传"));
    }
    if !ItemStatus::from_code(&item.status).answerable() {
        return Err(AppError::TransitionRefused {
            detail: "该整改事项已核验通过，不能再上传佐证材料".into(),
            missing: vec![],
        });
    }
    Ok(())
}
