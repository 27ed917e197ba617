//! Feedback on the draft report (DESIGN.md §5): the bureau, the street office and the station each
//! answer the latest draft — no objection, remarks, objections anchored to a section — and the
//! agency answers every objection. POST, GET /evaluations/{id}/feedback; POST
//! /objections/{id}/response.

use crate::app::access::{
    Record, Writing, access_of, audit_on_evaluation, notify, scheme_of, state_of, visible,
};
use crate::app::error::{AppError, FieldError};
use crate::auth::extractor::AuthenticatedUser;
use crate::db::evaluations::{self as evaluations, EvaluationDetail};
use crate::db::feedback::{self as store, NewFeedback};
use crate::db::{self, DbConnection, reports};
use crate::domain::deadline;
use crate::domain::evaluation::Stage;
use crate::domain::scheme::Scheme;
use crate::domain::workflow::State;
use crate::notify::catalog::Notice;
use crate::report::build::{FeedbackFacts, FeedbackRound, ObjectionFacts};
use crate::state::AppState;
use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

/// The parties asked for feedback on a draft, by party code.

#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RaiseObjection {
    /// An outline section code of the scheme.
    pub section: Option<String>,
    #[validate(length(min = 1, max = 5000, message = "请填写异议内容（最多 5000 字）"))]
    pub text: String,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GiveFeedback {
    /// The draft version answered: the latest one.
    pub report_id: i64,
    pub no_objection: bool,
    #[validate(length(max = 5000, message = "最多 5000 字"))]
    pub remarks: Option<String>,
    #[serde(default)]
    #[validate(length(max = 100, message = "最多 100 条"), nested)]
    pub objections: Vec<RaiseObjection>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ObjectionView {
    pub id: i64,
    pub section: Option<String>,
    pub text: String,
    /// accepted or rejected; null until answered
    pub decision: Option<String>,
    pub reply: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FeedbackView {
    pub id: i64,
    /// supervisor, purchaser or station
    pub party: String,
    pub organization: String,
    pub report_id: i64,
    pub report_version: i64,
    pub no_objection: bool,
    pub remarks: Option<String>,
    /// Silence past the feedback deadline, counted as no objection.
    pub deemed: bool,
    pub objections: Vec<ObjectionView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FeedbackList {
    pub items: Vec<FeedbackView>,
}

fn organization_name(detail: &EvaluationDetail, party: &str) -> String {
    detail
        .parties
        .iter()
        .find(|(code, _)| code == party)
        .map(|(_, org)| org.name.clone())
        .unwrap_or_default()
}

pub fn list_of(
    conn: &mut DbConnection,
    detail: &EvaluationDetail,
) -> Result<FeedbackList, AppError> {
    let items = store::list(conn, detail.row.id)?
        .into_iter()
        .map(|(row, version, raised)| FeedbackView {
            id: row.id,
            organization: organization_name(detail, &row.party_code),
            party: row.party_code,
            report_id: row.report_id,
            report_version: version,
            no_objection: row.no_objection,
            remarks: row.remarks,
            deemed: row.deemed,
            objections: raised
                .into_iter()
                .map(|o| ObjectionView {
                    id: o.id,
                    section: o.section,
                    text: o.text,
                    decision: o.decision,
                    reply: o.reply,
                })
                .collect(),
        })
        .collect();
    Ok(FeedbackList { items })
}

/// The feedback as the report tells it, by draft version.
pub fn rounds(
    conn: &mut DbConnection,
    detail: &EvaluationDetail,
    _scheme: &Scheme,
) -> Result<Vec<FeedbackRound>, AppError> {
    let mut rounds: Vec<FeedbackRound> = Vec::new();
    for (row, version, raised) in store::list(conn, detail.row.id)? {
        let entry = FeedbackFacts {
            organization: organization_name(detail, &row.party_code),
            no_objection: row.no_objection,
            deemed: row.deemed,
            remarks: row.remarks,
            objections: raised
                .into_iter()
                .map(|o| ObjectionFacts {
                    section: o.section,
                    text: o.text,
                    decision: o.decision,
                    reply: o.reply,
                })
                .collect(),
        };
        match rounds.last_mut() {
            Some(round) if round.version == version => round.entries.push(entry),
            _ => rounds.push(FeedbackRound {
                version,
                entries: vec![entry],
            }),
        }
    }
    Ok(rounds)
}

fn feedback_record(evaluation_id: i64, summary: &str) -> Record {
    Record {
        entity: "feedback",
        entity_id: evaluation_id.to_string(),
        summary: summary.to_owned(),
        reason: None,
    }
}

/// Records a party's feedback on the latest draft, as `me`: for the API and the pages.
pub async fn give_for(
    state: &AppState,
    me: &AuthenticatedUser,
    id: i64,
    body: GiveFeedback,
    request_id: Option<String>,
) -> Result<FeedbackList, AppError> {
    let user = me.clone();
    let settings = state.settings.clone();
    let today = crate::app::evaluations::today(state);
    db::run(&state.pool, move |conn| {
        crate::app::standing::evaluation_write(conn, id, |conn| {
            let now = db::now();
            let detail = visible(conn, &user, id)?;
            let access = access_of(&user, &detail, &scheme_of(&detail)?);
            let party = access.feedback_party()?;
            if state_of(&detail)? != State::DraftFeedback {
                return Err(AppError::TransitionRefused {
                    detail: "只有在征求意见阶段才能反馈报告初稿意见".into(),
                    missing: vec![],
                });
            }
            let latest = reports::latest(conn, id)?;
            if latest.as_ref().map(|r| r.id) != Some(body.report_id) {
                return Err(AppError::field("report_id", "请对最新一稿报告反馈意见"));
            }
            let scheme = scheme_of(&detail)?;
            let mut problems = Vec::new();
            for (index, objection) in body.objections.iter().enumerate() {
                if let Some(section) = &objection.section
                    && !scheme.outline.iter().any(|s| &s.code == section)
                {
                    problems.push(FieldError::new(
                        format!("objections[{index}].section"),
                        format!("报告中没有章节“{section}”"),
                    ));
                }
            }
            if body.no_objection && !body.objections.is_empty() {
                problems.push(FieldError::new(
                    "no_objection",
                    "提出异议时不能同时选择“无异议”",
                ));
            }
            if !problems.is_empty() {
                return Err(AppError::Validation(problems));
            }
            // Serialize on the evaluation first: a concurrent second answer then sees the first.
            evaluations::touch(conn, id, now)?;
            if store::exists(conn, body.report_id, party)? {
                return Err(AppError::Conflict(vec![FieldError::new(
                    "report_id",
                    "本单位已对这一稿报告反馈过意见",
                )]));
            }
            let org_id = user.organization.id;
            let raised: Vec<(Option<String>, String)> = body
                .objections
                .iter()
                .map(|o| (o.section.clone(), o.text.trim().to_owned()))
                .collect();
            let remarks = body
                .remarks
                .as_deref()
                .map(str::trim)
                .filter(|r| !r.is_empty());
            store::insert(
                conn,
                &NewFeedback {
                    evaluation_id: id,
                    report_id: body.report_id,
                    party_code: party,
                    org_id,
                    no_objection: body.no_objection,
                    remarks,
                    deemed: false,
                    created_by: Some(user.id),
                },
                &raised,
                now,
            )?;
            let summary = if raised.is_empty() {
                format!(
                    "{}反馈报告初稿意见：{}",
                    user.organization.name,
                    if body.no_objection {
                        "无异议"
                    } else {
                        "有意见"
                    }
                )
            } else {
                format!(
                    "{}对报告初稿提出 {} 条异议",
                    user.organization.name,
                    raised.len()
                )
            };
            let writing = Writing {
                user: &user,
                request_id,
                action: "give_feedback",
            };
            let audit_id =
                audit_on_evaluation(conn, id, writing, feedback_record(id, &summary), now)?;
            let agency: Vec<i64> = scheme
                .third_party()
                .and_then(|t| detail.parties.iter().find(|(code, _)| *code == t.code))
                .map(|(_, org)| vec![org.id])
                .unwrap_or_default();
            // What now waits on the agency, by the rule of 我的待办 and the evaluation page.
            let then = crate::app::evaluations::agency_steps_in(conn, &detail, &scheme, today)?;
            let notice = Notice::FeedbackReceived {
                from: user.organization.name.clone(),
                objections: raised.len(),
                then,
            };
            notify(
                conn, &settings, &user, &detail, &scheme, notice, audit_id, agency, now,
            )?;
            list_of(conn, &detail)
        })
    })
    .await
}

/// All feedback on the evaluation's drafts as `me` may see it: for the API and the pages.
pub async fn feedback_for(
    state: &AppState,
    me: &AuthenticatedUser,
    id: i64,
) -> Result<FeedbackList, AppError> {
    let user = me.clone();
    db::run(&state.pool, move |conn| {
        let detail = visible(conn, &user, id)?;
        list_of(conn, &detail)
    })
    .await
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Accepted,
    Rejected,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    pub decision: Decision,
    #[validate(length(min = 1, max = 5000, message = "请填写答复（最多 5000 字）"))]
    pub reply: String,
}

/// The agency's answer to an objection, as `me`: for the API and the pages.
pub async fn answer_for(
    state: &AppState,
    me: &AuthenticatedUser,
    id: i64,
    body: Answer,
    request_id: Option<String>,
) -> Result<ObjectionView, AppError> {
    let user = me.clone();
    let settings = state.settings.clone();
    let answered = db::run(&state.pool, move |conn| {
        db::write_transaction(conn, |conn| {
            let now = db::now();
            let found = store::objection(conn, id)?.ok_or(AppError::NotFound("异议"))?;
            // Serialized on its evaluation, then read again as it now is.
            db::evaluations::lock(conn, found.evaluation_id)?;
            let objection = store::objection(conn, id)?.ok_or(AppError::NotFound("异议"))?;
            let detail = visible(conn, &user, objection.evaluation_id)
                .map_err(|_| AppError::NotFound("异议"))?;
            access_of(&user, &detail, &scheme_of(&detail)?).ensure_answers_objections()?;
            if state_of(&detail)? != State::DraftFeedback {
                return Err(AppError::TransitionRefused {
                    detail: "只有在征求意见阶段才能答复异议".into(),
                    missing: vec![],
                });
            }
            let decision = match body.decision {
                Decision::Accepted => "accepted",
                Decision::Rejected => "rejected",
            };
            let reply = body.reply.trim();
            evaluations::touch(conn, detail.row.id, now)?;
            if store::answer(conn, id, decision, reply, user.id, now)? == 0 {
                return Err(AppError::Conflict(vec![FieldError::new(
                    "decision",
                    "该异议已经答复",
                )]));
            }
            let verdict = if decision == "accepted" {
                "采纳"
            } else {
                "不采纳"
            };
            let summary = format!("答复异议：{verdict}。{reply}");
            let writing = Writing {
                user: &user,
                request_id,
                action: "answer_objection",
            };
            let record = feedback_record(detail.row.id, &summary);
            let audit_id = audit_on_evaluation(conn, detail.row.id, writing, record, now)?;
            let objector: Vec<i64> = store::list(conn, detail.row.id)?
                .into_iter()
                .find(|(f, _, _)| f.id == objection.feedback_id)
                .map(|(f, _, _)| vec![f.org_id])
                .unwrap_or_default();
            let notice = Notice::ObjectionAnswered {
                accepted: decision == "accepted",
            };
            let scheme = scheme_of(&detail)?;
            notify(
                conn, &settings, &user, &detail, &scheme, notice, audit_id, objector, now,
            )?;
            Ok::<_, AppError>(ObjectionView {
                id,
                section: objection.section,
                text: objection.text,
                decision: Some(decision.to_owned()),
                reply: Some(reply.to_owned()),
            })
        })
    })
    .await?;
    Ok(answered)
}

/// The feedback parties whose feedback on the latest draft is missing: (party, due date).
pub fn silent_parties(
    conn: &mut DbConnection,
    detail: &EvaluationDetail,
) -> Result<Vec<(String, NaiveDate)>, AppError> {
    let Some(latest) = reports::latest(conn, detail.row.id)? else {
        return Ok(Vec::new());
    };
    let heard = store::parties_heard(conn, latest.id)?;
    let stage_due = detail
        .deadlines
        .get(Stage::DraftFeedback.code())
        .copied()
        .unwrap_or(NaiveDate::MAX);
    Ok(scheme_of(detail)?
        .feedback_parties()
        .iter()
        .filter(|party| detail.parties.iter().any(|(code, _)| code == *party))
        .filter(|party| !heard.iter().any(|h| h == *party))
        .map(|party| {
            let extension = detail
                .party_extensions
                .get(&(Stage::DraftFeedback.code().to_owned(), (*party).to_owned()))
                .copied();
            (
                (*party).to_owned(),
                deadline::party_due(stage_due, extension),
            )
        })
        .collect())
}

/// Records silence past the deadline as no objection (`deemed`), on submit_for_review.
pub fn record_deemed(
    conn: &mut DbConnection,
    detail: &EvaluationDetail,
    today: NaiveDate,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let Some(latest) = reports::latest(conn, detail.row.id)? else {
        return Ok(());
    };
    for (party, due) in silent_parties(conn, detail)? {
        if due >= today {
            continue;
        }
        let Some(org_id) = detail
            .parties
            .iter()
            .find(|(code, _)| *code == party)
            .map(|(_, org)| org.id)
        else {
            continue;
        };
        store::insert(
            conn,
            &NewFeedback {
                evaluation_id: detail.row.id,
                report_id: latest.id,
                party_code: &party,
                org_id,
                no_objection: true,
                remarks: None,
                deemed: true,
                created_by: None,
            },
            &[],
            now,
        )?;
    }
    Ok(())
}
