//! The 整改 tab's forms, through the API's own writes: the station answers an item, the agency's
//! manager verifies or returns it, the bureau's manager moves its due date. A refused or stale
//! form shows the tab again with the item as it now is and the form as typed (`item-{id}-answer`,
//! `-verification`, `-due`, `-evidence`), its errors beside the fields.

use super::forms::Posted;
use actix_web::{HttpResponse, post, web};
use chrono::NaiveDate;
use serde::Deserialize;

use super::evaluation::render_with;
use super::forms::Echo;
use super::session::WebUser;
use crate::app::AppError;
use crate::app::rectifications::{
    AnswerStatus, ChangeDue, RectificationView, UpdateRectification, Verification, change_due_for,
    update_for, verify_for,
};
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub struct AnswerForm {
    evaluation_id: i64,
    version: i64,
    /// `answered` (submit for verification) or `open` (keep the notes only).
    status: String,
    action_taken: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct VerificationForm {
    evaluation_id: i64,
    version: i64,
    /// "true" or "false", the button pressed.
    passed: String,
    reason: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct DueForm {
    evaluation_id: i64,
    version: i64,
    due_on: String,
}

#[post("/rectifications/{id}/answer")]
pub async fn answer(
    state: web::Data<AppState>,
    id: web::Path<i64>,
    posted: Posted<AnswerForm>,
) -> HttpResponse {
    let Posted { me, form } = posted;
    let typed = Echo::new(
        &format!("item-{id}-answer"),
        &[(
            "action_taken".to_owned(),
            form.action_taken.clone().unwrap_or_default(),
        )],
    );
    let status = if form.status == "answered" {
        AnswerStatus::Answered
    } else {
        AnswerStatus::Open
    };
    let body = UpdateRectification {
        status,
        action_taken: form.action_taken,
        version: Some(form.version),
    };
    let request_id = me.audit_request_id();
    let written = update_for(&state, &me, *id, body, Some(form.version), request_id).await;
    shown(&state, &me, form.evaluation_id, typed, written).await
}

#[post("/rectifications/{id}/verification")]
pub async fn verification(
    state: web::Data<AppState>,
    id: web::Path<i64>,
    posted: Posted<VerificationForm>,
) -> HttpResponse {
    let Posted { me, form } = posted;
    let typed = Echo::new(
        &format!("item-{id}-verification"),
        &[("reason".to_owned(), form.reason.clone().unwrap_or_default())],
    );
    let body = Verification {
        passed: form.passed == "true",
        reason: form.reason,
        version: Some(form.version),
    };
    let request_id = me.audit_request_id();
    let written = verify_for(&state, &me, *id, body, Some(form.version), request_id).await;
    shown(&state, &me, form.evaluation_id, typed, written).await
}

#[post("/rectifications/{id}/due")]
pub async fn due(
    state: web::Data<AppState>,
    id: web::Path<i64>,
    posted: Posted<DueForm>,
) -> HttpResponse {
    let Posted { me, form } = posted;
    let mut typed = Echo::new(
        &format!("item-{id}-due"),
        &[("due_on".to_owned(), form.due_on.clone())],
    );
    let Ok(due_on) = form.due_on.trim().parse::<NaiveDate>() else {
        typed.headline = super::forms::FIX_MARKED.into();
        typed
            .errors
            .insert("due_on".into(), "请填写有效的整改期限日期".into());
        let tab = Some("rectification");
        return render_with(&state, &me, form.evaluation_id, tab, Some(typed)).await;
    };
    let body = ChangeDue {
        due_on,
        version: Some(form.version),
    };
    let request_id = me.audit_request_id();
    let written = change_due_for(&state, &me, *id, body, Some(form.version), request_id).await;
    shown(&state, &me, form.evaluation_id, typed, written).await
}

/// Back to the item after a write; the tab with the form as typed and the reason after a
/// refusal.
async fn shown(
    state: &AppState,
    me: &WebUser,
    evaluation: i64,
    mut typed: Echo,
    written: Result<RectificationView, AppError>,
) -> HttpResponse {
    let error = match written {
        Ok(item) => {
            let anchor = format!("item-{}", item.id);
            return super::saved::back_to(
                evaluation,
                "rectification",
                Some(&anchor),
                super::saved::Saved::Rectification,
            );
        }
        Err(AppError::NotFound(_)) => return super::not_found(),
        Err(AppError::StaleVersion { .. }) => {
            typed.headline =
                "该整改事项已被他人更新，下面是最新内容；您填写的内容仍在表单中，请确认后再提交。"
                    .into();
            return render_with(state, me, evaluation, Some("rectification"), Some(typed)).await;
        }
        Err(AppError::PayloadTooLarge) => {
            typed.headline = "文件太大，请压缩后再上传".into();
            return render_with(state, me, evaluation, Some("rectification"), Some(typed)).await;
        }
        Err(error) => error,
    };
    let input = |field: &str| {
        matches!(field, "action_taken" | "reason" | "due_on" | "file").then(|| field.to_owned())
    };
    super::evaluation::show_refused(state, me, evaluation, "rectification", typed, error, input)
        .await
}

/// An evidence file for the station's answer, streamed by the API's upload once the CSRF token
/// checks; the form sends `evaluation_id` before the file, to come back to its tab.
#[post("/rectifications/{id}/evidence")]
pub async fn evidence(
    state: web::Data<AppState>,
    me: WebUser,
    id: web::Path<i64>,
    payload: actix_multipart::Multipart,
) -> HttpResponse {
    let csrf_refused = std::cell::Cell::new(false);
    let evaluation = std::cell::Cell::new(None);
    let uploaded = crate::app::attachments::upload_rectification_evidence_for(
        &state,
        &me,
        *id,
        payload,
        me.audit_request_id(),
        |fields| {
            evaluation.set(
                super::forms::value(fields, "evaluation_id").and_then(|v| v.parse::<i64>().ok()),
            );
            if super::forms::csrf_verified(&state, &me, fields) {
                Ok(())
            } else {
                csrf_refused.set(true);
                Err(AppError::forbidden("表单已过期，请刷新页面后重新上传"))
            }
        },
    )
    .await;
    match (uploaded, evaluation.get()) {
        (Ok(file), _) => super::saved::back_to(
            file.evaluation_id,
            "rectification",
            Some(&format!("item-{id}")),
            super::saved::Saved::RectificationEvidence,
        ),
        (Err(_), _) if csrf_refused.get() => super::refused_form(&[]),
        (Err(AppError::NotFound(_)), _) | (Err(_), None) => super::not_found(),
        (Err(error), Some(evaluation)) => {
            let typed = Echo::new(&format!("item-{id}-evidence"), &[]);
            shown(&state, &me, evaluation, typed, Err(error)).await
        }
    }
}
