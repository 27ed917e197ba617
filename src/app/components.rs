//! The parties' components (分项评分): PUT, GET /evaluations/{id}/components/{party}, POST …/submit
//! and …/withdraw, and GET /evaluations/{id}/score. Saved as a draft by the party's members,
//! submitted (locked) by its manager, withdrawn (撤回) until the draft is issued, amended with a
//! reason during draft_feedback; every change in the audit log.

use crate::app::access::{
    Record, Writing, access_of, audit_on_evaluation, scheme_of, state_of, visible,
};
use crate::app::error::{AppError, FieldError};
use crate::app::views::utc;
use crate::auth::extractor::AuthenticatedUser;
use crate::db::components::{self as store, ComponentRow, Content, DRAFT, SUBMITTED};
use crate::db::evaluations::{self as evaluations, EvaluationDetail};
use crate::db::{self, DbConnection, stations};
use crate::domain::components::{self, Concern, Strength};
use crate::domain::points::Points;
use crate::domain::scheme::{Scheme, SchemeParty};
use crate::domain::scoring::Raw;
use crate::domain::workflow::State;
use crate::state::AppState;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutComponent {
    /// On the party's native scale, 0…native_max, two places; not for the third party (its
    /// score comes from the experts) nor for a gate.
    pub raw_score: Option<Points>,
    /// A gate's result: pass or fail.
    pub passed: Option<bool>,
    #[validate(length(max = 2000, message = "最多 2000 字"))]
    pub gate_reason: Option<String>,
    #[serde(default)]
    #[validate(length(max = 200, message = "最多 200 条"), nested)]
    pub strengths: Vec<Strength>,
    #[serde(default)]
    #[validate(length(max = 200, message = "最多 200 条"), nested)]
    pub concerns: Vec<Concern>,
    /// The third party's closing words (结语) for the report.
    #[validate(length(max = 10000, message = "最多 10000 字"))]
    pub conclusion: Option<String>,
    /// Required to amend a submitted component after the draft is issued.
    #[validate(length(max = 2000, message = "最多 2000 字"))]
    pub reason: Option<String>,
    /// The component's version the caller saw (or send If-Match).
    pub version: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ComponentView {
    pub party: String,
    pub name: String,
    /// missing, draft or submitted
    pub status: String,
    pub raw_score: Option<Points>,
    pub passed: Option<bool>,
    pub gate_reason: Option<String>,
    pub strengths: Vec<Strength>,
    pub concerns: Vec<Concern>,
    pub conclusion: Option<String>,
    /// 0 while the component does not exist.
    pub version: i64,
    pub updated_at: Option<DateTime<Utc>>,
}

fn view(party: &SchemeParty, row: Option<&ComponentRow>) -> ComponentView {
    ComponentView {
        party: party.code.clone(),
        name: party.name.clone(),
        status: row.map_or("missing", |r| r.status.as_str()).to_owned(),
        raw_score: row
            .and_then(|r| r.raw_hundredths)
            .map(Points::from_hundredths),
        passed: row.and_then(|r| r.gate_passed),
        gate_reason: row.and_then(|r| r.gate_reason.clone()),
        strengths: row
            .and_then(|r| serde_json::from_str(&r.strengths).ok())
            .unwrap_or_default(),
        concerns: row
            .and_then(|r| serde_json::from_str(&r.concerns).ok())
            .unwrap_or_default(),
        conclusion: row.and_then(|r| r.conclusion.clone()),
        version: row.map_or(0, |r| r.version),
        updated_at: row.map(|r| utc(r.updated_at)),
    }
}

/// The view, with the third party's raw score from its experts' sheets.
fn view_with_panel(
    conn: &mut DbConnection,
    scheme: &Scheme,
    party: &SchemeParty,
    id: i64,
) -> Result<ComponentView, AppError> {
    let row = store::find(conn, id, &party.code)?;
    let mut found = view(party, row.as_ref());
    if scheme.third_party().is_some_and(|p| p.code == party.code) {
        found.raw_score = crate::app::panel::panel_raw(conn, id)?.map(Raw::rounded);
    }
    Ok(found)
}

fn party_of<'a>(scheme: &'a Scheme, code: &str) -> Result<&'a SchemeParty, AppError> {
    scheme
        .parties
        .iter()
        .find(|p| p.code == code)
        .ok_or(AppError::NotFound("评估方"))
}

pub(crate) fn draft_issued(state: State) -> bool {
    state.draft_issued()
}

fn ensure_version(row: Option<&ComponentRow>, expected: Option<i64>) -> Result<(), AppError> {
    let current = row.map_or(0, |r| r.version);
    match expected {
        Some(v) if v != current => Err(AppError::StaleVersion { current }),
        _ => Ok(()),
    }
}

fn refused(detail: &str) -> AppError {
    AppError::TransitionRefused {
        detail: detail.to_owned(),
        missing: vec![],
    }
}

/// Serializes the component's write with the evaluation's other writers and its audit chain,
/// and records it.
fn record(
    conn: &mut DbConnection,
    detail: &EvaluationDetail,
    writing: Writing,
    party: &str,
    summary: String,
    reason: Option<String>,
) -> Result<(), AppError> {
    let now = db::now();
    evaluations::touch(conn, detail.row.id, now)?;
    let record = Record {
        entity: "component",
        entity_id: party.to_owned(),
        summary,
        reason,
    };
    audit_on_evaluation(conn, detail.row.id, writing, record, now)?;
    Ok(())
}

/// Saves a party's component as `user` (the API and the 评分 tab).
pub async fn put_component_for(
    state: &AppState,
    user: &AuthenticatedUser,
    id: i64,
    party_code: String,
    body: PutComponent,
    expected: Option<i64>,
    request_id: Option<String>,
) -> Result<ComponentView, AppError> {
    let user = user.clone();
    db::run(&state.pool, move |conn| {
        crate::app::standing::evaluation_write(conn, id, |conn| {
            let detail = visible(conn, &user, id)?;
            let scheme = scheme_of(&detail)?;
            let party = party_of(&scheme, &party_code)?;
            access_of(&user, &detail, &scheme).ensure_scores_for(party, false)?;
            let existing = store::find(conn, id, &party.code)?;
            ensure_version(existing.as_ref(), expected)?;
            let submitted = existing.as_ref().is_some_and(|r| r.status == SUBMITTED);
            let reason = body.reason.as_deref().map(str::trim).filter(|r| !r.is_empty());
            let amending = match state_of(&detail)? {
                State::SelfAssessment | State::OnsiteScoring if submitted => {
                    return Err(refused("本方评分已提交，需先撤回才能修改"));
                }
                State::SelfAssessment | State::OnsiteScoring => false,
                State::DraftFeedback if submitted => {
                    if reason.is_none() {
                        return Err(AppError::field("reason", "报告初稿发出后修改评分须填写原因"));
                    }
                    true
                }
                _ => return Err(refused("现在不能修改评分：评分在自评和实地评估阶段填写，初稿发出后只能在征求意见阶段修改已提交的评分")),
            };
            let third_party = scheme.third_party().is_some_and(|p| p.code == party.code);
            let mut problems: Vec<FieldError> = Vec::new();
            if body.raw_score.is_some() && (third_party || party.gate) {
                let why = if party.gate { "门槛项只记录通过与否" } else { "第三方的分数来自专家评分" };
                problems.push(FieldError::new("raw_score", why));
            }
            if body.conclusion.is_some() && !third_party {
                problems.push(FieldError::new("conclusion", "结语由第三方评估机构填写"));
            }
            if body.passed.is_some() && !party.gate {
                problems.push(FieldError::new("passed", "只有门槛项记录通过与否"));
            }
            let zones = stations::zones_of(conn, detail.row.station_id)?;
            for (field, reason) in components::problems(
                &scheme,
                party,
                third_party,
                &zones,
                body.raw_score,
                &body.strengths,
                &body.concerns,
            ) {
                problems.push(FieldError::new(field, reason));
            }
            if !problems.is_empty() {
                return Err(AppError::Validation(problems));
            }
            let strengths = serde_json::to_string(&body.strengths).map_err(anyhow::Error::from)?;
            let concerns = serde_json::to_string(&body.concerns).map_err(anyhow::Error::from)?;
            let gate_reason = body.gate_reason.as_deref().map(str::trim).filter(|r| !r.is_empty());
            let content = Content {
                raw_hundredths: body.raw_score.map(Points::hundredths),
                gate_passed: body.passed,
                gate_reason,
                strengths: &strengths,
                concerns: &concerns,
                conclusion: body.conclusion.as_deref().map(str::trim).filter(|c| !c.is_empty()),
            };
            let now = db::now();
            let version = existing.as_ref().map(|r| r.version);
            if store::save(conn, id, &party.code, version, &content, user.id, now)? == 0 {
                let current = store::find(conn, id, &party.code)?.map_or(0, |r| r.version);
                return Err(AppError::StaleVersion { current });
            }
            let summary = serde_json::json!({
                "raw_score": body.raw_score, "passed": body.passed, "gate_reason": gate_reason,
                "strengths": body.strengths, "concerns": body.concerns, "conclusion": body.conclusion,
            });
            let action = if amending { "amend_component" } else { "save_component" };
            let writing = Writing {
                user: &user,
                request_id,
                action,
            };
            record(conn, &detail, writing, &party.code, summary.to_string(), reason.map(str::to_owned))?;
            view_with_panel(conn, &scheme, party, id)
        })
    })
    .await
}

/// A party's component as `user` may see it (the API and the 评分 tab).
pub async fn component_for(
    state: &AppState,
    user: &AuthenticatedUser,
    id: i64,
    party_code: String,
) -> Result<ComponentView, AppError> {
    let user = user.clone();
    db::run(&state.pool, move |conn| {
        let detail = visible(conn, &user, id)?;
        let scheme = scheme_of(&detail)?;
        component_on(conn, &user, &detail, &scheme, &party_code)
    })
    .await
}

/// A party's component as `user` may see it, on a visible evaluation already loaded.
pub fn component_on(
    conn: &mut DbConnection,
    user: &AuthenticatedUser,
    detail: &EvaluationDetail,
    scheme: &Scheme,
    party_code: &str,
) -> Result<ComponentView, AppError> {
    let id = detail.row.id;
    let party = party_of(scheme, party_code)?;
    let row = store::find(conn, id, &party.code)?;
    let submitted = row.as_ref().is_some_and(|r| r.status == SUBMITTED);
    let issued = draft_issued(state_of(detail)?);
    if !components::may_see(
        &access_of(user, detail, scheme).viewer(),
        &party.code,
        submitted,
        issued,
    ) {
        return Err(AppError::forbidden(format!(
            "{}的评分在报告初稿发出前不公开",
            party.name
        )));
    }
    view_with_panel(conn, scheme, party, id)
}

/// Submits (`submitting`) or withdraws the party's component as `user` (the API and the 评分
/// tab).
pub async fn submit_component_for(
    state: &AppState,
    user: &AuthenticatedUser,
    id: i64,
    party: String,
    expected: Option<i64>,
    submitting: bool,
    request_id: Option<String>,
) -> Result<ComponentView, AppError> {
    let user = user.clone();
    db::run(&state.pool, move |conn| {
        crate::app::standing::evaluation_write(conn, id, |conn| {
            change_status(conn, &user, id, &party, expected, submitting, request_id)
        })
    })
    .await
}

/// Submits (locks) or withdraws (撤回) the party's component: its manager, or an admin, in
/// self_assessment or onsite_scoring.
fn change_status(
    conn: &mut DbConnection,
    user: &AuthenticatedUser,
    id: i64,
    party_code: &str,
    expected: Option<i64>,
    submitting: bool,
    request_id: Option<String>,
) -> Result<ComponentView, AppError> {
    let detail = visible(conn, user, id)?;
    let scheme = scheme_of(&detail)?;
    let party = party_of(&scheme, party_code)?;
    access_of(user, &detail, &scheme).ensure_scores_for(party, true)?;
    let existing = store::find(conn, id, &party.code)?;
    ensure_version(existing.as_ref(), expected)?;
    if !matches!(
        state_of(&detail)?,
        State::SelfAssessment | State::OnsiteScoring
    ) {
        return Err(refused("报告初稿发出后不能再提交或撤回评分"));
    }
    let Some(row) = existing else {
        return Err(refused("本方评分尚未填写"));
    };
    let (from, to, action) = if submitting {
        (DRAFT, SUBMITTED, "submit_component")
    } else {
        (SUBMITTED, DRAFT, "withdraw_component")
    };
    if row.status != from {
        return Err(refused(if submitting {
            "本方评分已提交"
        } else {
            "本方评分尚未提交，无需撤回"
        }));
    }
    if submitting {
        let third_party = scheme.third_party().is_some_and(|p| p.code == party.code);
        let mut missing = Vec::new();
        if party.gate && (row.gate_passed.is_none() || row.gate_reason.is_none()) {
            missing.push("门槛项的结果和理由".to_owned());
        } else if third_party {
            let sheets = crate::app::panel::submitted_sheets(conn, id)?.len();
            if i64::try_from(sheets).unwrap_or(i64::MAX) < scheme.min_experts {
                missing.push(format!(
                    "至少 {} 名未回避的专家提交评分表（已提交 {sheets} 份）",
                    scheme.min_experts
                ));
            }
        } else if !party.gate && row.raw_hundredths.is_none() {
            missing.push("本方得分".to_owned());
        }
        if !missing.is_empty() {
            return Err(AppError::TransitionRefused {
                detail: format!("还不能提交：缺少{}", missing.join("、")),
                missing,
            });
        }
    }
    let now = db::now();
    if store::set_status(conn, id, &party.code, row.version, to, now)? == 0 {
        let current = store::find(conn, id, &party.code)?.map_or(0, |r| r.version);
        return Err(AppError::StaleVersion { current });
    }
    let summary = format!(
        "{}：{}",
        party.name,
        if submitting {
            "提交评分"
        } else {
            "撤回评分"
        }
    );
    let writing = Writing {
        user,
        request_id,
        action,
    };
    record(conn, &detail, writing, &party.code, summary, None)?;
    view_with_panel(conn, &scheme, party, id)
}
