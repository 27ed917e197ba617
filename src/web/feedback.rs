//! The 反馈 tab's forms: a party's feedback on the latest draft (no objection, remarks, an
//! objection to a section) and the agency's answer to an objection. The API's own functions do
//! the work; a refusal is shown on the page.

use super::forms::Posted;
use actix_web::{HttpResponse, post, web};
use serde::Deserialize;

use super::evaluation::{Refused, render, render_with};
use super::forms::Echo;
use super::saved::{Saved, back_to};
use crate::app::AppError;
use crate::app::feedback::{Answer, Decision, GiveFeedback, RaiseObjection, answer_for, give_for};
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub struct FeedbackForm {
    report_id: i64,
    /// "none" (无异议) or "objection"
    opinion: String,
    remarks: Option<String>,
    section: Option<String>,
    objection: Option<String>,
}

fn refusal(error: AppError) -> Refused {
    match error {
        AppError::Validation(errors) | AppError::Conflict(errors) => Refused {
            message: "提交的内容有误：".into(),
            missing: errors.into_iter().map(|e| e.message).collect(),
        },
        AppError::Forbidden(reason) => Refused {
            message: reason,
            missing: Vec::new(),
        },
        AppError::TransitionRefused { detail, missing } => Refused {
            message: detail,
            missing,
        },
        other => {
            tracing::error!(error = %other, "feedback page");
            Refused {
                message: "提交失败，请稍后再试".into(),
                missing: Vec::new(),
            }
        }
    }
}

#[post("/evaluations/{id}/feedback")]
pub async fn give(
    state: web::Data<AppState>,
    id: web::Path<i64>,
    posted: Posted<FeedbackForm>,
) -> HttpResponse {
    let id = id.into_inner();
    let Posted { me, form } = posted;
    // What was typed, to put back in the form if it is refused.
    let typed = Echo::new(
        "feedback",
        &[
            ("opinion".to_owned(), form.opinion.clone()),
            (
                "section".to_owned(),
                form.section.clone().unwrap_or_default(),
            ),
            (
                "objection".to_owned(),
                form.objection.clone().unwrap_or_default(),
            ),
            (
                "remarks".to_owned(),
                form.remarks.clone().unwrap_or_default(),
            ),
        ],
    );
    let text = form.objection.as_deref().map(str::trim).unwrap_or_default();
    let objecting = form.opinion == "objection";
    if objecting && text.is_empty() {
        let mut typed = typed;
        typed.headline = "有内容需要修改，请看标出的地方：".into();
        typed
            .errors
            .insert("objection".into(), "选择了“有异议”，请填写异议内容".into());
        return render_with(&state, &me, id, Some("feedback"), None, Some(typed)).await;
    }
    let body = GiveFeedback {
        report_id: form.report_id,
        no_objection: !objecting,
        remarks: form.remarks.filter(|r| !r.trim().is_empty()),
        objections: if objecting {
            vec![RaiseObjection {
                section: form.section.filter(|s| !s.is_empty()),
                text: text.to_owned(),
            }]
        } else {
            Vec::new()
        },
    };
    let request_id = me.audit_request_id();
    match give_for(&state, &me, id, body, request_id).await {
        Ok(_) => back_to(id, "feedback", Some("feedback-form"), Saved::Feedback),
        Err(AppError::NotFound(_)) => super::not_found(),
        Err(error) => {
            let refused = Some(refusal(error));
            render_with(&state, &me, id, Some("feedback"), refused, Some(typed)).await
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct AnswerForm {
    evaluation_id: i64,
    /// "accepted" or "rejected"; the agency must choose (nothing is preselected).
    #[serde(default)]
    decision: Option<String>,
    reply: String,
}

#[post("/objections/{id}/answer")]
pub async fn answer(
    state: web::Data<AppState>,
    id: web::Path<i64>,
    posted: Posted<AnswerForm>,
) -> HttpResponse {
    let Posted { me, form } = posted;
    let evaluation = form.evaluation_id;
    let decision = match form.decision.as_deref() {
        Some("accepted") => Some(Decision::Accepted),
        Some("rejected") => Some(Decision::Rejected),
        _ => None,
    };
    let mut missing = Vec::new();
    if decision.is_none() {
        missing.push("请选择采纳或不采纳".to_owned());
    }
    if form.reply.trim().is_empty() {
        missing.push("请填写答复".to_owned());
    }
    let Some(decision) = decision.filter(|_| missing.is_empty()) else {
        let refused = Refused {
            message: "提交的内容有误：".into(),
            missing,
        };
        return render(&state, &me, evaluation, Some("feedback"), Some(refused)).await;
    };
    let body = Answer {
        decision,
        reply: form.reply.trim().to_owned(),
    };
    let request_id = me.audit_request_id();
    match answer_for(&state, &me, id.into_inner(), body, request_id).await {
        Ok(_) => back_to(evaluation, "feedback", None, Saved::Answer),
        Err(AppError::NotFound(_)) => super::not_found(),
        Err(error) => {
            render(
                &state,
                &me,
                evaluation,
                Some("feedback"),
                Some(refusal(error)),
            )
            .await
        }
    }
}
