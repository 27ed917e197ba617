//! The survey's calls and results (满意度调查, DESIGN.md §10): the agency's callers record each
//! sampled client's call during on-site scoring; everyone who sees the list sees the sample, the
//! rate and each question's distribution, and only the callers see the calls one by one.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::app::access::{access_of, scheme_of, state_of, visible};
use crate::app::error::{AppError, FieldError};
use crate::app::readings::{Called, called};
use crate::app::views::utc;
use crate::auth::extractor::AuthenticatedUser;
use crate::db::audit::{self, NewEntry};
use crate::db::clients::{self as store, NewCall};
use crate::db::evaluations::EvaluationDetail;
use crate::db::{self, DbConnection};
use crate::domain::access::Denied;
use crate::domain::points::Points;
use crate::domain::survey::{QuestionFigure, RateKind, call_problems, distributions, figures};
use crate::domain::workflow::State;
use crate::state::AppState;

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutCall {
    pub reached: bool,
    /// 空号, 无人接听 or 拒访, when not reached.
    pub unreached_reason: Option<String>,
    /// Question code → option value; the questions left out were not answered.
    #[serde(default)]
    #[validate(length(max = 50, message = "最多 50 个答案"))]
    pub answers: BTreeMap<String, String>,
    /// When the call was made; now when absent.
    pub called_at: Option<DateTime<Utc>>,
}

/// One recorded call, for the callers.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CallView {
    pub client_id: i64,
    pub reached: bool,
    pub unreached_reason: Option<String>,
    pub answers: BTreeMap<String, String>,
    pub called_by: i64,
    pub called_at: DateTime<Utc>,
}

/// The draw being called.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SampleView {
    pub seed: String,
    pub size: i64,
    pub list_digest: String,
    pub client_ids: Vec<i64>,
    /// How many draws there were; the last is the one called.
    pub draws: i64,
    pub drawn_at: DateTime<Utc>,
}

/// GET /evaluations/{id}/survey.
#[derive(Debug, Serialize, ToSchema)]
pub struct Survey {
    /// None before the agency draws.
    pub sample: Option<SampleView>,
    /// The clients of the sample.
    pub sampled: i64,
    /// Sampled clients whose call is recorded, reached or not.
    pub called: i64,
    pub reached: i64,
    pub satisfied: i64,
    /// Percent over the reached (or the mean score, as the scheme says), two places half-up;
    /// null before anyone is reached.
    #[schema(value_type = Option<String>)]
    pub rate: Option<Points>,
    /// `share` or `mean`; null when the scheme has no questionnaire.
    pub rate_kind: Option<RateKind>,
    pub questions: Vec<QuestionFigure>,
    /// The calls one by one: only for the agency's callers, else null.
    pub calls: Option<Vec<CallView>>,
}

pub fn survey_of(
    conn: &mut DbConnection,
    detail: &EvaluationDetail,
    user: &AuthenticatedUser,
) -> Result<Survey, AppError> {
    let scheme = scheme_of(detail)?;
    let access = access_of(user, detail, &scheme);
    if !access.sees_clients() {
        return Err(Denied("只有社工站、评估机构和区民政局可以查看满意度调查".into()).into());
    }
    let called = called(conn, detail.row.id)?;
    let calls = called.as_ref().map(Called::calls).unwrap_or_default();
    let (figures, questions) = match &scheme.survey {
        Some(survey) => (Some(figures(survey, &calls)), distributions(survey, &calls)),
        None => (None, Vec::new()),
    };
    let shown = access.records_calls().then(|| {
        called.as_ref().map_or_else(Vec::new, |c| {
            c.rows
                .iter()
                .zip(&c.answers)
                .map(|(row, answers)| CallView {
                    client_id: row.client_id,
                    reached: row.reached,
                    unreached_reason: row.unreached_reason.clone(),
                    answers: answers.clone(),
                    called_by: row.called_by,
                    called_at: utc(row.called_at),
                })
                .collect()
        })
    });
    let sample = called.as_ref().map(|c| SampleView {
        seed: c.draw.seed.clone(),
        size: c.draw.size,
        list_digest: c.draw.list_digest.clone(),
        client_ids: c.ids.clone(),
        draws: c.draws,
        drawn_at: utc(c.draw.drawn_at),
    });
    Ok(Survey {
        sampled: sample.as_ref().map_or(0, |s| s.client_ids.len() as i64),
        sample,
        called: called.as_ref().map_or(0, |c| c.rows.len() as i64),
        reached: figures.as_ref().map_or(0, |f| f.reached),
        satisfied: figures.as_ref().map_or(0, |f| f.satisfied),
        rate: figures.and_then(|f| f.rate),
        rate_kind: scheme.survey.as_ref().map(|s| s.rate),
        questions,
        calls: shown,
    })
}

/// The survey as `user` may see it.
pub async fn survey_for(
    state: &AppState,
    user: &AuthenticatedUser,
    id: i64,
) -> Result<Survey, AppError> {
    let user = user.clone();
    db::run(&state.pool, move |conn| {
        let detail = visible(conn, &user, id)?;
        survey_of(conn, &detail, &user)
    })
    .await
}

/// Records one sampled client's call as `user` (the agency's manager or members, during on-site
/// scoring); a later record of the same client replaces it. Answers the survey as it stands.
pub async fn put_call_for(
    state: &AppState,
    user: &AuthenticatedUser,
    id: i64,
    client_id: i64,
    body: PutCall,
    request_id: Option<String>,
) -> Result<Survey, AppError> {
    let user = user.clone();
    db::run(&state.pool, move |conn| {
        crate::app::standing::evaluation_write(conn, id, |conn| {
            let detail = visible(conn, &user, id)?;
            let scheme = scheme_of(&detail)?;
            if !access_of(&user, &detail, &scheme).records_calls() {
                return Err(Denied("只有评估机构可以记录满意度回访".into()).into());
            }
            if state_of(&detail)? != State::OnsiteScoring {
                return Err(AppError::TransitionRefused {
                    detail: "满意度回访在现场评估阶段记录".into(),
                    missing: vec![],
                });
            }
            let Some(survey) = &scheme.survey else {
                return Err(AppError::TransitionRefused {
                    detail: "本评估所用的评估方案没有满意度问卷".into(),
                    missing: vec![],
                });
            };
            let in_sample = called(conn, id)?.is_some_and(|c| c.ids.contains(&client_id));
            if !in_sample {
                return Err(AppError::NotFound(
                    "该服务对象不在本次满意度调查的抽样名单中",
                ));
            }
            let reason = body
                .unreached_reason
                .as_deref()
                .map(str::trim)
                .filter(|r| !r.is_empty());
            let problems: Vec<FieldError> =
                call_problems(survey, body.reached, reason, &body.answers)
                    .into_iter()
                    .map(|(field, message)| FieldError::new(field, message))
                    .collect();
            if !problems.is_empty() {
                return Err(AppError::Validation(problems));
            }
            let now = db::now();
            let called_at = body.called_at.map_or(now, |at| at.naive_utc());
            if called_at > now {
                return Err(AppError::field("called_at", "回访时间不能晚于现在"));
            }
            crate::db::evaluations::touch(conn, id, now)?;
            store::put_call(
                conn,
                &NewCall {
                    evaluation_id: id,
                    client_id,
                    reached: body.reached,
                    unreached_reason: reason,
                    answers: serde_json::to_string(&body.answers).map_err(anyhow::Error::from)?,
                    called_by: user.id,
                    called_at,
                    recorded_at: now,
                },
            )?;
            // The answers stay out of the log: whether the client was reached is enough to
            // trace who called whom.
            let outcome = reason.map_or_else(|| "已接通".to_owned(), |r| format!("未接通（{r}）"));
            audit::append(
                conn,
                &NewEntry {
                    entity: "survey_call".into(),
                    summary: format!("满意度回访 服务对象 #{client_id}：{outcome}"),
                    request_id,
                    ..NewEntry::on_evaluation(
                        id,
                        (user.id, user.organization.id),
                        "record_call",
                        now,
                    )
                },
            )?;
            survey_of(conn, &detail, &user)
        })
    })
    .await
}
