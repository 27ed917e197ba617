//! The evaluation's workflow: POST /evaluations/{id}/transitions, GET …/timeline, and deadline
//! extensions (POST …/extensions).

use crate::app::access::{
    access_of, actor_of, claim_version, draft_readers, notify, organizer_write, scheme_of,
    state_of, visible,
};
use crate::app::error::AppError;
use crate::app::evaluations::{EvaluationView, today, view};
use crate::app::views::utc;
use crate::auth::extractor::AuthenticatedUser;
use crate::db::audit::{self, AuditRow, NewEntry};
use crate::db::evaluations::{self as store, EvaluationDetail, STATION_PARTY};
use crate::db::feedback as feedback_store;
use crate::db::{self, DbConnection, components, reports, self_assessments, targets};
use crate::domain::evaluation::Stage;
use crate::domain::organization::OrgKind;
use crate::domain::scheme::Scheme;
use crate::domain::workflow::{self, Event, Facts, Refusal, State};
use crate::domain::{indicators, staffing};
use crate::notify::catalog::Notice;
use crate::state::AppState;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

/// The events `me` may fire on the evaluation now (with whether each needs a reason), for the
/// pages' buttons; the guards on data are checked when one is fired.
pub async fn available_for(
    state: &AppState,
    me: &AuthenticatedUser,
    id: i64,
) -> Result<Vec<(Event, bool)>, AppError> {
    let user = me.clone();
    db::run(&state.pool, move |conn| {
        let detail = visible(conn, &user, id)?;
        let actor = actor_of(&user, &detail);
        Ok(workflow::available(state_of(&detail)?, actor))
    })
    .await
}

/// The parties each event concerns: their users get the notice.
fn recipients(event: Event, detail: &EvaluationDetail, scheme: &Scheme) -> Vec<i64> {
    let by_kind = |kinds: &[OrgKind]| -> Vec<i64> {
        detail
            .parties
            .iter()
            .filter(|(code, org)| {
                let kind = OrgKind::from_code(&org.kind);
                code == STATION_PARTY && kinds.contains(&OrgKind::Operator)
                    || scheme.parties.iter().any(|p| &p.code == code)
                        && kind.is_some_and(|k| kinds.contains(&k))
            })
            .map(|(_, org)| org.id)
            .collect()
    };
    let mut orgs = match event {
        Event::Open | Event::ReturnSelfAssessment => by_kind(&[OrgKind::Operator]),
        Event::SubmitSelfAssessment => {
            by_kind(&[OrgKind::EvaluationAgency, OrgKind::CivilAffairsBureau])
        }
        Event::IssueDraft => draft_readers(detail, scheme),
        Event::SubmitForReview => by_kind(&[OrgKind::CivilAffairsBureau]),
        Event::ReturnDraft => by_kind(&[OrgKind::EvaluationAgency]),
        Event::Approve | Event::Cancel | Event::Reopen => {
            detail.parties.iter().map(|(_, org)| org.id).collect()
        }
    };
    orgs.sort_unstable();
    orgs.dedup();
    orgs
}

/// What the event's guard reads, and only that: other events pay no queries for it.
fn facts(
    conn: &mut DbConnection,
    event: Event,
    detail: &EvaluationDetail,
    scheme: &Scheme,
    today: NaiveDate,
) -> Result<Facts, AppError> {
    Ok(match event {
        Event::Open => Facts {
            parties_set: scheme
                .parties
                .iter()
                .all(|p| detail.parties.iter().any(|(code, _)| *code == p.code)),
            deadlines_set: detail.deadlines.len() == Stage::ALL.len(),
            targets_set: targets::count(conn, detail.row.id)? > 0,
            ..Facts::default()
        },
        Event::SubmitSelfAssessment => {
            let table = crate::app::indicators::table_of(conn, detail, scheme)?;
            let roster = crate::app::staff::roster_of(conn, detail.row.id)?;
            let period =
                staffing::period_months(detail.row.assessment_start, detail.row.assessment_end);
            let narrative = self_assessments::find(conn, detail.row.id)?;
            Facts {
                missing_completions: Some(indicators::missing_completions(&table)),
                missing_roster_months: Some(
                    staffing::unfilled_months(&roster, &period)
                        .into_iter()
                        .map(|m| m.chinese())
                        .collect(),
                ),
                narrative_written: Some(
                    narrative.is_some_and(|(text, _, _)| !text.trim().is_empty()),
                ),
                ..Facts::default()
            }
        }
        Event::IssueDraft => Facts {
            unsubmitted_components: Some(unsubmitted_components(conn, detail, scheme)?),
            ..Facts::default()
        },
        Event::SubmitForReview => {
            let unanswered = feedback_store::unanswered_of(conn, &[detail.row.id])?;
            Facts {
                unanswered_objections: Some(
                    unanswered.get(&detail.row.id).copied().unwrap_or_default(),
                ),
                feedback_pending: Some(
                    crate::app::feedback::silent_parties(conn, detail)?
                        .into_iter()
                        .filter(|(_, due)| *due >= today)
                        .map(|(party, _)| feedback_party_name(detail, &party))
                        .collect(),
                ),
                ..Facts::default()
            }
        }
        _ => Facts::default(),
    })
}

fn feedback_party_name(detail: &EvaluationDetail, party: &str) -> String {
    detail
        .parties
        .iter()
        .find(|(code, _)| code == party)
        .map_or_else(|| party.to_owned(), |(_, org)| org.name.clone())
}

/// What a transition brings with it, in its transaction: the draft report at issue_draft, the
/// deemed feedback of silent parties at submit_for_review, the final report and the
/// rectification items at approve.
fn consequences(
    conn: &mut DbConnection,
    event: Event,
    moved: &EvaluationDetail,
    user: &AuthenticatedUser,
    today: NaiveDate,
    now: chrono::NaiveDateTime,
) -> Result<Option<crate::app::reports::Issued>, AppError> {
    match event {
        Event::IssueDraft => Ok(Some(crate::app::reports::issue(
            conn,
            moved,
            user,
            reports::DRAFT,
            (today, now),
        )?)),
        Event::SubmitForReview => {
            crate::app::feedback::record_deemed(conn, moved, today, now)?;
            Ok(None)
        }
        Event::Approve => {
            let issued =
                crate::app::reports::issue(conn, moved, user, reports::FINAL, (today, now))?;
            crate::app::rectifications::create_from_concerns(conn, moved, today, now)?;
            Ok(Some(issued))
        }
        _ => Ok(None),
    }
}

/// The scoring parties (and gates) whose component is not submitted, by name.
fn unsubmitted_components(
    conn: &mut DbConnection,
    detail: &EvaluationDetail,
    scheme: &Scheme,
) -> Result<Vec<String>, AppError> {
    let rows = components::list(conn, detail.row.id)?;
    Ok(scheme
        .parties
        .iter()
        .filter(|p| {
            !rows
                .iter()
                .any(|r| r.party_code == p.code && r.status == components::SUBMITTED)
        })
        .map(|p| p.name.clone())
        .collect())
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionRequest {
    pub event: Event,
    /// Required to return, cancel or reopen.
    #[validate(length(max = 2000, message = "原因不能超过 2000 个字符"))]
    pub reason: Option<String>,
    /// The version the caller saw (or send If-Match).
    pub version: Option<i64>,
}

/// Fires an event as `me` (the checks and effects of DESIGN.md §3): for the API and the pages.
pub async fn transition_for(
    state: &AppState,
    me: &AuthenticatedUser,
    id: i64,
    body: TransitionRequest,
    expected: Option<i64>,
    request_id: Option<String>,
) -> Result<EvaluationView, AppError> {
    let user = me.clone();
    let today = today(state);
    let settings = state.settings.clone();
    let moved = db::run(&state.pool, move |conn| {
        crate::app::standing::evaluation_write(conn, id, |conn| {
            let detail = visible(conn, &user, id)?;
            let actor = actor_of(&user, &detail);
            if !workflow::may_fire(body.event, actor) {
                return Err(AppError::forbidden(format!(
                    "您的单位或角色不能{}",
                    body.event.chinese_name()
                )));
            }
            let version = detail.row.version;
            if expected.is_some_and(|v| v != version) {
                return Err(AppError::StaleVersion { current: version });
            }
            let from = state_of(&detail)?;
            let reason = body
                .reason
                .as_deref()
                .map(str::trim)
                .filter(|r| !r.is_empty());
            let to =
                workflow::decide(from, body.event, actor, reason).map_err(
                    |refusal| match refusal {
                        Refusal::NotPermitted(reason) => AppError::forbidden(reason),
                        Refusal::WrongState(detail) => AppError::TransitionRefused {
                            detail,
                            missing: vec![],
                        },
                        Refusal::ReasonRequired => AppError::field("reason", "请填写原因"),
                    },
                )?;
            let scheme = scheme_of(&detail)?;
            let missing = workflow::missing(
                body.event,
                &facts(conn, body.event, &detail, &scheme, today)?,
            );
            if !missing.is_empty() {
                return Err(AppError::TransitionRefused {
                    detail: format!(
                        "还不能{}：{}",
                        body.event.chinese_name(),
                        missing.join("；")
                    ),
                    missing,
                });
            }
            let now = db::now();
            if store::advance(conn, id, from.code(), version, to.code(), now)? == 0 {
                return Err(AppError::StaleVersion {
                    current: store::current_version(conn, id)?,
                });
            }
            let audit_id = audit::append(
                conn,
                &NewEntry {
                    from_state: Some(from.code().into()),
                    to_state: Some(to.code().into()),
                    summary: format!(
                        "{}：{} → {}",
                        body.event.chinese_name(),
                        from.chinese_name(),
                        to.chinese_name()
                    ),
                    reason: reason.map(str::to_owned),
                    request_id: request_id.clone(),
                    ..NewEntry::on_evaluation(
                        id,
                        (user.id, user.organization.id),
                        body.event.code(),
                        now,
                    )
                },
            )?;
            let notice = Notice::Transition {
                event: body.event,
                reason: reason.map(str::to_owned),
            };
            let to_whom = recipients(body.event, &detail, &scheme);
            notify(
                conn, &settings, &user, &detail, &scheme, notice, audit_id, to_whom, now,
            )?;
            let moved = detail.advanced(to.code(), now);
            let issued = consequences(conn, body.event, &moved, &user, today, now)?;
            let summary = crate::app::evaluations::summary_of(conn, &user, &moved)?;
            let acted = crate::app::evaluations::acted_in_one(conn, &moved)?;
            Ok((moved, summary, acted, issued))
        })
    })
    .await?;
    let (moved, summary, acted, issued) = moved;
    // Typeset once the transition is committed: no writer waits for it.
    if let Some(issued) = issued {
        crate::app::reports::typeset_after_commit(state, issued).await;
    }
    view(moved, today, summary, &acted)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActorView {
    pub id: i64,
    pub display_name: String,
    pub organization: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineItem {
    pub at: DateTime<Utc>,
    /// What the entry is about: evaluation, component, panel, expert_sheet, …
    pub entity: String,
    pub actor: Option<ActorView>,
    pub action: String,
    pub summary: String,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub reason: Option<String>,
    /// The e-mails this entry caused, with their delivery status (evidence of notice).
    pub messages: Vec<TimelineMessage>,
}

/// One e-mail of the outbox as the timeline shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineMessage {
    pub event: String,
    pub to: Option<String>,
    pub subject: String,
    /// queued, sending, sent, failed (to be retried) or dead.
    pub status: String,
    pub attempts: i64,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Timeline {
    pub items: Vec<TimelineItem>,
    /// Reminders and overdue notices, which no audit entry caused.
    pub reminders: Vec<TimelineMessage>,
}

/// The notice that replaces an entry's summary when the caller may not see its content (§3):
/// another party's component before the draft is issued; the panel and the experts' sheets
/// outside the agency (an expert sees their own).
fn hidden_contents<'a>(
    user: &'a AuthenticatedUser,
    detail: &'a EvaluationDetail,
) -> Result<impl Fn(&AuditRow) -> Option<&'static str> + 'a, AppError> {
    let issued = crate::app::components::draft_issued(state_of(detail)?);
    let access = access_of(user, detail, &scheme_of(detail)?);
    let admin = access.is_admin();
    let agency = access.sees_panel();
    let own = access.parties;
    Ok(move |row: &AuditRow| match row.entity.as_str() {
        "component" if !(admin || issued || own.contains(&row.entity_id)) => {
            Some("（各方评分在报告初稿发出前不公开）")
        }
        "panel" | "expert_sheet" if !(admin || agency || row.actor_id == Some(user.id)) => {
            Some("（专家评分只对评估机构公开）")
        }
        _ => None,
    })
}

/// The evaluation's timeline as `me` may see it (404 otherwise): for the API and the pages.
pub async fn timeline_for(
    state: &AppState,
    me: &AuthenticatedUser,
    id: i64,
) -> Result<Timeline, AppError> {
    let user = me.clone();
    db::run(&state.pool, move |conn| {
        let detail = visible(conn, &user, id)?;
        timeline_on(conn, &user, &detail)
    })
    .await
}

/// The timeline of a visible evaluation already loaded, as `user` may see it.
pub fn timeline_on(
    conn: &mut DbConnection,
    user: &AuthenticatedUser,
    detail: &EvaluationDetail,
) -> Result<Timeline, AppError> {
    let id = detail.row.id;
    let mut rows = audit::timeline(conn, id)?;
    let hidden = hidden_contents(user, detail)?;
    for (row, _, _) in &mut rows {
        if let Some(notice) = hidden(row) {
            row.summary = notice.to_owned();
        }
    }
    let mail = crate::db::outbox::for_evaluation(conn, id)?;
    let mut by_entry: std::collections::HashMap<Option<i64>, Vec<TimelineMessage>> =
        std::collections::HashMap::new();
    for message in mail {
        by_entry
            .entry(message.audit_id)
            .or_default()
            .push(TimelineMessage {
                event: message.event,
                to: message.to_address,
                subject: message.subject,
                status: message.status,
                attempts: message.attempts,
                created_at: utc(message.created_at),
                sent_at: message.sent_at.map(utc),
            });
    }
    let reminders = by_entry.remove(&None).unwrap_or_default();
    let items = rows
        .into_iter()
        .map(|(row, actor, organization)| TimelineItem {
            messages: by_entry.remove(&Some(row.id)).unwrap_or_default(),
            entity: row.entity,
            at: utc(row.at),
            actor: actor.map(|(id, display_name)| ActorView {
                id,
                display_name,
                organization,
            }),
            action: row.action,
            summary: row.summary,
            from_state: row.from_state,
            to_state: row.to_state,
            reason: row.reason,
        })
        .collect();
    Ok(Timeline { items, reminders })
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateExtension {
    pub stage: Stage,
    /// A party code of the scheme, or the station's (`station`); absent: the whole stage.
    #[validate(length(min = 1, max = 64, message = "请选择评估方"))]
    pub party: Option<String>,
    pub new_deadline: NaiveDate,
    #[validate(length(min = 1, max = 2000, message = "请填写延期原因"))]
    pub reason: String,
    pub version: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExtensionView {
    pub id: i64,
    pub stage: String,
    pub party: Option<String>,
    pub old_deadline: NaiveDate,
    pub new_deadline: NaiveDate,
    pub reason: String,
    pub granted_by: i64,
    pub created_at: DateTime<Utc>,
}

/// Extends a deadline as `me` (the API and the evaluation page).
pub async fn extend_for(
    state: &AppState,
    me: &AuthenticatedUser,
    id: i64,
    body: CreateExtension,
    expected: Option<i64>,
    request_id: Option<String>,
) -> Result<ExtensionView, AppError> {
    let user = me.clone();
    let settings = state.settings.clone();
    let created = db::run(&state.pool, move |conn| {
        crate::app::standing::evaluation_write(conn, id, |conn| {
            let detail = organizer_write(
                conn,
                &user,
                id,
                expected,
                "只有评估机构或区民政局的负责人可以延长截止日期",
            )?;
            if matches!(state_of(&detail)?, State::Final | State::Cancelled) {
                return Err(AppError::TransitionRefused {
                    detail: "评估已结束，不能再延期".into(),
                    missing: vec![],
                });
            }
            let scheme = scheme_of(&detail)?;
            let party = body.party.as_deref().map(str::trim);
            if let Some(party) = party
                && party != STATION_PARTY
                && !scheme.parties.iter().any(|p| p.code == party)
            {
                return Err(AppError::field(
                    "party",
                    format!("评估方案中没有评估方“{party}”"),
                ));
            }
            let stage = body.stage.code();
            let stage_deadline = *detail.deadlines.get(stage).ok_or_else(|| {
                AppError::from(anyhow::anyhow!("evaluation {id} has no {stage} deadline"))
            })?;
            let old_date = match party {
                Some(party) => crate::domain::deadline::party_due(
                    stage_deadline,
                    detail
                        .party_extensions
                        .get(&(stage.to_owned(), party.to_owned()))
                        .copied(),
                ),
                None => stage_deadline,
            };
            if body.new_deadline <= old_date {
                return Err(AppError::field(
                    "new_deadline",
                    format!("须晚于现在的截止日期 {old_date}"),
                ));
            }
            let now = db::now();
            claim_version(conn, &detail, now)?;
            let reason = body.reason.trim();
            let row = crate::db::extensions::insert(
                conn,
                &crate::db::extensions::NewExtension {
                    evaluation_id: id,
                    stage,
                    party_code: party,
                    old_date,
                    new_date: body.new_deadline,
                    reason,
                    granted_by: user.id,
                },
                now,
            )?;
            let audit_id = audit::append(
                conn,
                &NewEntry {
                    entity: "deadline".into(),
                    entity_id: format!("{stage}:{}", party.unwrap_or("*")),
                    summary: format!("{stage} 截止日期 {old_date} → {}", body.new_deadline),
                    reason: Some(reason.to_owned()),
                    request_id,
                    ..NewEntry::on_evaluation(
                        id,
                        (user.id, user.organization.id),
                        "extend_deadline",
                        now,
                    )
                },
            )?;
            // The party concerned, or every party the stage waits for.
            let concerned: Vec<String> = match party {
                Some(party) => vec![party.to_owned()],
                None => crate::domain::deadline::owing_parties(body.stage, &scheme),
            };
            let mut to_whom: Vec<i64> = detail
                .parties
                .iter()
                .filter(|(code, _)| concerned.contains(code))
                .map(|(_, org)| org.id)
                .collect();
            to_whom.sort_unstable();
            to_whom.dedup();
            let notice = Notice::DeadlineExtended {
                stage: body.stage,
                old: old_date,
                new: body.new_deadline,
            };
            notify(
                conn, &settings, &user, &detail, &scheme, notice, audit_id, to_whom, now,
            )?;
            Ok::<_, AppError>(row)
        })
    })
    .await?;
    Ok(ExtensionView {
        id: created.id,
        stage: created.stage,
        party: created.party_code,
        old_deadline: created.old_date,
        new_deadline: created.new_date,
        reason: created.reason,
        granted_by: created.granted_by,
        created_at: utc(created.created_at),
    })
}
