//! The third party's expert panel: an expert's affiliations (GET, PUT /me/affiliations), the
//! agency manager's assignments (POST, GET /evaluations/{id}/experts), and each expert's own
//! sheet (GET, PUT /evaluations/{id}/expert-scores/me, POST …/me/submit).

use crate::app::access::{
    Record, Writing, access_of, audit_on_evaluation, scheme_of, state_of, visible,
};
use crate::app::error::{AppError, FieldError};
use crate::auth::extractor::AuthenticatedUser;
use crate::db::components::{self, SUBMITTED as COMPONENT_SUBMITTED};
use crate::db::evaluations::{self as evaluations, EvaluationDetail, STATION_PARTY};
use crate::db::panel::{self as store, OPEN, SUBMITTED};
use crate::db::{self, DbConnection, users};
use crate::domain::panel;
use crate::domain::points::Points;
use crate::domain::scheme::Scheme;
use crate::domain::scoring::{self, Raw};
use crate::domain::text::each_one_line;
use crate::domain::user::Role;
use crate::domain::workflow::State;
use crate::state::AppState;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Affiliations {
    /// Organizations the expert has worked for or advised.
    #[validate(
        length(max = 100, message = "最多 100 个机构"),
        custom(function = "each_one_line")
    )]
    pub organizations: Vec<String>,
}

fn ensure_expert(user: &AuthenticatedUser) -> Result<(), AppError> {
    if user.role == Role::Expert {
        Ok(())
    } else {
        Err(AppError::forbidden(
            "只有评估专家需要填写曾任职或服务的机构",
        ))
    }
}

/// The organizations the expert `me` has worked for or advised.
pub async fn affiliations_for(
    state: &AppState,
    me: &AuthenticatedUser,
) -> Result<Affiliations, AppError> {
    ensure_expert(me)?;
    let id = me.id;
    let organizations = db::run(&state.pool, move |conn| {
        Ok::<_, AppError>(store::affiliations(conn, id)?)
    })
    .await?;
    Ok(Affiliations { organizations })
}

/// Replaces the expert's list, trimmed, sorted and without repeats; assignments to stations run
/// by one of them are then flagged (回避).
pub async fn put_affiliations_for(
    state: &AppState,
    me: &AuthenticatedUser,
    body: Affiliations,
) -> Result<Affiliations, AppError> {
    ensure_expert(me)?;
    let id = me.id;
    let mut organizations: Vec<String> = body
        .organizations
        .iter()
        .map(|o| o.trim().to_owned())
        .filter(|o| !o.is_empty())
        .collect();
    organizations.sort();
    organizations.dedup();
    if let Some(index) = organizations.iter().position(|o| o.chars().count() > 200) {
        return Err(AppError::field(
            &format!("organizations[{index}]"),
            "机构名称最多 200 字",
        ));
    }
    let saved = db::run(&state.pool, move |conn| {
        db::write_transaction(conn, |conn| {
            store::set_affiliations(conn, id, &organizations)?;
            Ok::<_, AppError>(store::affiliations(conn, id)?)
        })
    })
    .await?;
    Ok(Affiliations {
        organizations: saved,
    })
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignExpert {
    pub user_id: i64,
    /// Required when the expert lists the station's operator among their affiliations.
    #[validate(length(max = 2000, message = "最多 2000 字"))]
    pub override_reason: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PanelMember {
    pub user_id: i64,
    pub display_name: String,
    /// The expert lists the station's operator among their affiliations.
    pub conflict_flag: bool,
    pub override_reason: Option<String>,
    /// Null until declared; true recuses the expert.
    pub conflict_of_interest: Option<bool>,
    /// open or submitted
    pub status: String,
    /// The sheet's total (only for the agency and admins).
    pub total: Option<Points>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Candidate {
    pub user_id: i64,
    pub display_name: String,
    pub conflict_flag: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Panel {
    pub members: Vec<PanelMember>,
    /// The agency's experts not on the panel, flagged where they conflict.
    pub candidates: Vec<Candidate>,
    pub min_experts: i64,
    /// Non-recused experts who have submitted.
    pub submitted: i64,
}

fn agency_of(detail: &EvaluationDetail, scheme: &Scheme) -> Option<i64> {
    let third = scheme.third_party()?;
    detail
        .parties
        .iter()
        .find(|(code, _)| *code == third.code)
        .map(|(_, org)| org.id)
}

fn operator_name(detail: &EvaluationDetail) -> String {
    detail
        .parties
        .iter()
        .find(|(code, _)| code == STATION_PARTY)
        .map(|(_, org)| org.name.clone())
        .unwrap_or_default()
}

/// The submitted sheets of the experts who did not recuse themselves.
pub fn submitted_sheets(
    conn: &mut DbConnection,
    evaluation_id: i64,
) -> Result<Vec<Vec<Points>>, AppError> {
    Ok(store::counted_sheets(conn, evaluation_id)?)
}

/// The third party's exact raw score from the submitted sheets (§4); None before the first.
pub fn panel_raw(conn: &mut DbConnection, evaluation_id: i64) -> Result<Option<Raw>, AppError> {
    let sheets = submitted_sheets(conn, evaluation_id)?;
    Ok(scoring::third_party_raw(sheets.iter().map(Vec::as_slice)))
}

fn panel_of(
    conn: &mut DbConnection,
    detail: &EvaluationDetail,
    scheme: &Scheme,
) -> Result<Panel, AppError> {
    let id = detail.row.id;
    let operator = operator_name(detail);
    let members = store::members(conn, id)?;
    let scores = store::scores(conn, id)?;
    let agency = agency_of(detail, scheme);
    let experts = match agency {
        Some(agency) => users::experts_of(conn, agency)?,
        None => Vec::new(),
    };
    let flag = |conn: &mut DbConnection, user: i64| -> Result<bool, AppError> {
        Ok(panel::conflicts_with(
            &store::affiliations(conn, user)?,
            &operator,
        ))
    };
    let mut out = Vec::new();
    let mut submitted = 0;
    for (row, name) in &members {
        let total: Points = scores
            .iter()
            .filter(|(expert, _, _)| *expert == row.expert_id)
            .map(|(_, _, s)| Points::from_hundredths(*s))
            .sum();
        if row.sheet_status == SUBMITTED && row.conflict_of_interest == Some(false) {
            submitted += 1;
        }
        out.push(PanelMember {
            user_id: row.expert_id,
            display_name: name.clone(),
            conflict_flag: flag(conn, row.expert_id)?,
            override_reason: row.override_reason.clone(),
            conflict_of_interest: row.conflict_of_interest,
            status: row.sheet_status.clone(),
            total: Some(total),
        });
    }
    let mut candidates = Vec::new();
    for (user_id, display_name) in experts {
        if members.iter().any(|(m, _)| m.expert_id == user_id) {
            continue;
        }
        candidates.push(Candidate {
            user_id,
            conflict_flag: flag(conn, user_id)?,
            display_name,
        });
    }
    Ok(Panel {
        members: out,
        candidates,
        min_experts: scheme.min_experts,
        submitted,
    })
}

/// Assigns an expert as `user` (the API and the 评分 tab).
pub async fn assign_for(
    state: &AppState,
    user: &AuthenticatedUser,
    id: i64,
    body: AssignExpert,
    request_id: Option<String>,
) -> Result<Panel, AppError> {
    let user = user.clone();
    db::run(&state.pool, move |conn| {
        crate::app::standing::evaluation_write(conn, id, |conn| {
            let detail = visible(conn, &user, id)?;
            access_of(&user, &detail, &scheme_of(&detail)?).ensure_sees_panel(true)?;
            if !matches!(
                state_of(&detail)?,
                State::Setup | State::SelfAssessment | State::OnsiteScoring
            ) {
                return Err(AppError::TransitionRefused {
                    detail: "报告初稿发出后不能再指派专家".into(),
                    missing: vec![],
                });
            }
            let scheme = scheme_of(&detail)?;
            let agency = agency_of(&detail, &scheme);
            let expert = users::experts_of(conn, agency.unwrap_or(0))?
                .into_iter()
                .find(|(user_id, _)| *user_id == body.user_id)
                .ok_or_else(|| AppError::field("user_id", "须为本评估机构在用的评估专家"))?;
            // Serialize on the evaluation first: a concurrent assignment then sees this one.
            let now = db::now();
            evaluations::touch(conn, id, now)?;
            if store::member(conn, id, body.user_id)?.is_some() {
                return Err(AppError::Conflict(vec![FieldError::new(
                    "user_id",
                    "该专家已在专家组中",
                )]));
            }
            let operator = operator_name(&detail);
            let flagged =
                panel::conflicts_with(&store::affiliations(conn, body.user_id)?, &operator);
            let reason = body
                .override_reason
                .as_deref()
                .map(str::trim)
                .filter(|r| !r.is_empty());
            if flagged && reason.is_none() {
                return Err(AppError::Conflict(vec![FieldError::new(
                    "override_reason",
                    format!(
                        "{} 曾任职或服务于本站承办机构“{operator}”，须回避；如确需指派，请填写理由",
                        expert.1
                    ),
                )]));
            }
            store::assign(
                conn,
                id,
                body.user_id,
                user.id,
                reason.filter(|_| flagged),
                now,
            )?;
            let summary = match reason.filter(|_| flagged) {
                Some(_) => format!("指派专家 {}（与承办机构有关联，经说明理由指派）", expert.1),
                None => format!("指派专家 {}", expert.1),
            };
            let writing = Writing {
                user: &user,
                request_id,
                action: "assign_expert",
            };
            let record = Record {
                entity: "panel",
                entity_id: body.user_id.to_string(),
                summary,
                reason: reason.filter(|_| flagged).map(str::to_owned),
            };
            audit_on_evaluation(conn, id, writing, record, now)?;
            panel_of(conn, &detail, &scheme)
        })
    })
    .await
}

/// The panel for the agency (the API and the 评分 tab).
pub async fn panel_for(
    state: &AppState,
    user: &AuthenticatedUser,
    id: i64,
) -> Result<Panel, AppError> {
    let user = user.clone();
    db::run(&state.pool, move |conn| {
        let detail = visible(conn, &user, id)?;
        let scheme = scheme_of(&detail)?;
        panel_on(conn, &user, &detail, &scheme)
    })
    .await
}

/// The panel, for those who see it, on a visible evaluation already loaded.
pub fn panel_on(
    conn: &mut DbConnection,
    user: &AuthenticatedUser,
    detail: &EvaluationDetail,
    scheme: &Scheme,
) -> Result<Panel, AppError> {
    access_of(user, detail, scheme).ensure_sees_panel(false)?;
    panel_of(conn, detail, scheme)
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemScore {
    pub item: String,
    pub score: Points,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutSheet {
    /// 回避: true recuses the expert; the sheet opens once false is declared.
    pub conflict_of_interest: Option<bool>,
    #[serde(default)]
    #[validate(length(max = 500, message = "最多 500 项"))]
    pub items: Vec<ItemScore>,
    pub version: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SheetItem {
    pub item: String,
    pub name: String,
    pub max_points: Points,
    pub score: Option<Points>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Sheet {
    pub conflict_of_interest: Option<bool>,
    /// open or submitted
    pub status: String,
    pub version: i64,
    pub items: Vec<SheetItem>,
    /// The running total of the scored items.
    pub total: Points,
}

pub fn sheet_of(
    conn: &mut DbConnection,
    detail: &EvaluationDetail,
    scheme: &Scheme,
    expert: i64,
) -> Result<Sheet, AppError> {
    let row = store::member(conn, detail.row.id, expert)?.ok_or(AppError::NotFound("评分表"))?;
    let scores: Vec<(String, i64)> = store::scores(conn, detail.row.id)?
        .into_iter()
        .filter(|(e, _, _)| *e == expert)
        .map(|(_, item, score)| (item, score))
        .collect();
    let items: Vec<SheetItem> = panel::items(scheme)
        .into_iter()
        .map(|(code, name, max)| SheetItem {
            score: scores
                .iter()
                .find(|(i, _)| i == code)
                .map(|(_, s)| Points::from_hundredths(*s)),
            item: code.to_owned(),
            name: name.to_owned(),
            max_points: max,
        })
        .collect();
    Ok(Sheet {
        conflict_of_interest: row.conflict_of_interest,
        status: row.sheet_status,
        version: row.sheet_version,
        total: items.iter().filter_map(|i| i.score).sum(),
        items,
    })
}

/// The user's own sheet (the API and the 评分 tab).
pub async fn sheet_for(
    state: &AppState,
    user: &AuthenticatedUser,
    id: i64,
) -> Result<Sheet, AppError> {
    let user = user.clone();
    db::run(&state.pool, move |conn| {
        let detail = visible(conn, &user, id)?;
        sheet_of(conn, &detail, &scheme_of(&detail)?, user.id)
    })
    .await
}

/// The start of a write of one's own sheet: on the panel (404), during onsite_scoring, not yet
/// submitted, at the version seen.
fn sheet_write(
    conn: &mut DbConnection,
    user: &AuthenticatedUser,
    id: i64,
    expected: Option<i64>,
) -> Result<(EvaluationDetail, store::PanelRow), AppError> {
    let detail = visible(conn, user, id)?;
    let row = store::member(conn, id, user.id)?.ok_or(AppError::NotFound("评分表"))?;
    if expected.is_some_and(|v| v != row.sheet_version) {
        return Err(AppError::StaleVersion {
            current: row.sheet_version,
        });
    }
    if state_of(&detail)? != State::OnsiteScoring {
        return Err(AppError::TransitionRefused {
            detail: "专家只在实地评估阶段评分".into(),
            missing: vec![],
        });
    }
    if row.sheet_status != OPEN {
        return Err(AppError::TransitionRefused {
            detail: "评分表已提交".into(),
            missing: vec![],
        });
    }
    let scheme = scheme_of(&detail)?;
    if let Some(third) = scheme.third_party()
        && components::find(conn, id, &third.code)?.is_some_and(|c| c.status == COMPONENT_SUBMITTED)
    {
        return Err(AppError::TransitionRefused {
            detail: "第三方评分已提交，评分表不能再修改；如需修改，请评估机构负责人先撤回".into(),
            missing: vec![],
        });
    }
    Ok((detail, row))
}

fn record(
    conn: &mut DbConnection,
    detail: &EvaluationDetail,
    writing: Writing,
    summary: String,
) -> Result<(), AppError> {
    let now = db::now();
    evaluations::touch(conn, detail.row.id, now)?;
    let record = Record {
        entity: "expert_sheet",
        entity_id: writing.user.id.to_string(),
        summary,
        reason: None,
    };
    audit_on_evaluation(conn, detail.row.id, writing, record, now)?;
    Ok(())
}

/// Saves the user's own sheet (the API and the 评分 tab).
pub async fn put_sheet_for(
    state: &AppState,
    user: &AuthenticatedUser,
    id: i64,
    body: PutSheet,
    expected: Option<i64>,
    request_id: Option<String>,
) -> Result<Sheet, AppError> {
    let user = user.clone();
    db::run(&state.pool, move |conn| {
        crate::app::standing::evaluation_write(conn, id, |conn| {
            let (detail, row) = sheet_write(conn, &user, id, expected)?;
            let scheme = scheme_of(&detail)?;
            // A recusal is final: the panel is planned around it.
            if row.conflict_of_interest == Some(true) && body.conflict_of_interest == Some(false) {
                return Err(AppError::field(
                    "conflict_of_interest",
                    "已声明回避，不能撤销",
                ));
            }
            let declared = body.conflict_of_interest.or(row.conflict_of_interest);
            if !body.items.is_empty() && declared != Some(false) {
                let why = if declared == Some(true) {
                    "已声明回避，不能评分"
                } else {
                    "请先声明是否需要回避"
                };
                return Err(AppError::field("conflict_of_interest", why));
            }
            let scored: Vec<(String, Points)> = body
                .items
                .iter()
                .map(|i| (i.item.clone(), i.score))
                .collect();
            let problems: Vec<FieldError> = panel::sheet_problems(&scheme, &scored)
                .into_iter()
                .map(|(field, reason)| FieldError::new(field, reason))
                .collect();
            if !problems.is_empty() {
                return Err(AppError::Validation(problems));
            }
            let items: Vec<(String, i64)> = scored
                .iter()
                .map(|(i, s)| (i.clone(), s.hundredths()))
                .collect();
            if store::save_sheet(conn, id, user.id, row.sheet_version, declared, &items)? == 0 {
                let current = store::member(conn, id, user.id)?.map_or(0, |r| r.sheet_version);
                return Err(AppError::StaleVersion { current });
            }
            let summary =
                serde_json::json!({"conflict_of_interest": declared, "items": body.items})
                    .to_string();
            let action = if declared == Some(true) {
                "declare_conflict"
            } else {
                "save_expert_sheet"
            };
            record(
                conn,
                &detail,
                Writing {
                    user: &user,
                    request_id,
                    action,
                },
                summary,
            )?;
            sheet_of(conn, &detail, &scheme, user.id)
        })
    })
    .await
}

/// Submits the user's own sheet (the API and the 评分 tab).
pub async fn submit_sheet_for(
    state: &AppState,
    user: &AuthenticatedUser,
    id: i64,
    expected: Option<i64>,
    request_id: Option<String>,
) -> Result<Sheet, AppError> {
    let user = user.clone();
    db::run(&state.pool, move |conn| {
        crate::app::standing::evaluation_write(conn, id, |conn| {
            let (detail, row) = sheet_write(conn, &user, id, expected)?;
            let scheme = scheme_of(&detail)?;
            let current = sheet_of(conn, &detail, &scheme, user.id)?;
            let mut missing: Vec<String> = current
                .items
                .iter()
                .filter(|i| i.score.is_none())
                .map(|i| format!("“{}”尚未评分", i.name))
                .collect();
            if row.conflict_of_interest != Some(false) {
                missing.insert(0, "尚未声明无需回避".to_owned());
            }
            if !missing.is_empty() {
                return Err(AppError::TransitionRefused {
                    detail: "评分表还不能提交".into(),
                    missing,
                });
            }
            let now = db::now();
            if store::set_sheet_status(conn, id, user.id, row.sheet_version, SUBMITTED, now)? == 0 {
                let current = store::member(conn, id, user.id)?.map_or(0, |r| r.sheet_version);
                return Err(AppError::StaleVersion { current });
            }
            let summary = format!("提交评分表，合计 {}", current.total);
            record(
                conn,
                &detail,
                Writing {
                    user: &user,
                    request_id,
                    action: "submit_expert_sheet",
                },
                summary,
            )?;
            sheet_of(conn, &detail, &scheme, user.id)
        })
    })
    .await
}
