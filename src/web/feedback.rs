//! The 反馈 tab's forms: a party's feedback on the latest draft (no objection, remarks, an
//! objection to a section) and the agency's answer to an objection. The API's own functions do
//! the work; a refusal is shown on the page.

use super::forms::Posted;
use actix_web::{HttpResponse, post, web};
use serde::Deserialize;

use super::evaluation::{render_with, show_refused};
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

/// The input of an API field of the feedback (`objections[0].text` → `objection`).
fn feedback_input(field: &str) -> Option<String> {
    let input = match field {
        "remarks" => "remarks",
        "no_objection" | "report_id" => "opinion",
        f if f.starts_with("objections") && f.ends_with(".section") => "section",
        f if f.starts_with("objections") => "objection",
        _ => return None,
    };
    Some(input.to_owned())
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
        typed.headline = super::forms::FIX_MARKED.into();
        typed
            .errors
            .insert("objection".into(), "选择了“有异议”，请填写异议内容".into());
        return render_with(&state, &me, id, Some("feedback"), Some(typed)).await;
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
        Err(error) => show_refused(&state, &me, id, "feedback", typed, error, feedback_input).await,
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
    let objection = id.into_inner();
    let mut typed = Echo::new(
        &format!("answer-{objection}"),
        &[
            (
                "decision".to_owned(),
                form.decision.clone().unwrap_or_default(),
            ),
            ("reply".to_owned(), form.reply.clone()),
        ],
    );
    if decision.is_none() {
        typed
            .errors
            .insert("decision".into(), "请选择采纳或不采纳".into());
    }
    if form.reply.trim().is_empty() {
        typed.errors.insert("reply".into(), "请填写答复".into());
    }
    let Some(decision) = decision.filter(|_| typed.errors.is_empty()) else {
        typed.headline = super::forms::FIX_MARKED.into();
        return render_with(&state, &me, evaluation, Some("feedback"), Some(typed)).await;
    };
    let body = Answer {
        decision,
        reply: form.reply.trim().to_owned(),
    };
    let request_id = me.audit_request_id();
    match answer_for(&state, &me, objection, body, request_id).await {
        Ok(_) => back_to(evaluation, "feedback", None, Saved::Answer),
        Err(AppError::NotFound(_)) => super::not_found(),
        Err(error) => {
            let input =
                |field: &str| matches!(field, "decision" | "reply").then(|| field.to_owned());
            show_refused(&state, &me, evaluation, "feedback", typed, error, input).await
        }
    }
}
