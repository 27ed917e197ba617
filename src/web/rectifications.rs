//! The 整改 tab's forms, through the API's own writes: the station answers an item, the agency's
//! manager verifies or returns it, the bureau's manager moves its due date. A refused or stale
//! form shows the tab again with the item as it now is.

use super::forms::Posted;
use actix_web::{HttpResponse, post, web};
use chrono::NaiveDate;
use serde::Deserialize;

use super::evaluation::{Refused, render};
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
    shown(&state, &me, form.evaluation_id, written).await
}

#[post("/rectifications/{id}/verification")]
pub async fn verification(
    state: web::Data<AppState>,
    id: web::Path<i64>,
    posted: Posted<VerificationForm>,
) -> HttpResponse {
    let Posted { me, form } = posted;
    let body = Verification {
        passed: form.passed == "true",
        reason: form.reason,
        version: Some(form.version),
    };
    let request_id = me.audit_request_id();
    let written = verify_for(&state, &me, *id, body, Some(form.version), request_id).await;
    shown(&state, &me, form.evaluation_id, written).await
}

#[post("/rectifications/{id}/due")]
pub async fn due(
    state: web::Data<AppState>,
    id: web::Path<i64>,
    posted: Posted<DueForm>,
) -> HttpResponse {
    let Posted { me, form } = posted;
    let Ok(due_on) = form.due_on.trim().parse::<NaiveDate>() else {
        let refused = Refused {
            message: "请填写有效的整改期限日期".into(),
            missing: Vec::new(),
        };
        return render(
            &state,
            &me,
            form.evaluation_id,
            Some("rectification"),
            Some(refused),
        )
        .await;
    };
    let body = ChangeDue {
        due_on,
        version: Some(form.version),
    };
    let request_id = me.audit_request_id();
    let written = change_due_for(&state, &me, *id, body, Some(form.version), request_id).await;
    shown(&state, &me, form.evaluation_id, written).await
}

/// Back to the item after a write; the tab with the reason after a refusal.
async fn shown(
    state: &AppState,
    me: &WebUser,
    evaluation: i64,
    written: Result<RectificationView, AppError>,
) -> HttpResponse {
    let refused = match written {
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
        Err(AppError::StaleVersion { .. }) => Refused {
            message: "该整改事项已被他人更新，下面是最新内容，请确认后再提交。".into(),
            missing: Vec::new(),
        },
        Err(AppError::Forbidden(reason)) => Refused {
            message: reason,
            missing: Vec::new(),
        },
        Err(AppError::TransitionRefused { detail, .. }) => Refused {
            message: detail,
            missing: Vec::new(),
        },
        Err(AppError::PayloadTooLarge) => Refused {
            message: "文件太大，请压缩后再上传".into(),
            missing: Vec::new(),
        },
        Err(AppError::Validation(errors)) => Refused {
            message: errors
                .iter()
                .map(|e| e.message.as_str())
                .collect::<Vec<_>>()
                .join("；"),
            missing: Vec::new(),
        },
        Err(error) => {
            tracing::error!(%error, "rectification page");
            Refused {
                message: "保存失败，请稍后再试".into(),
                missing: Vec::new(),
            }
        }
    };
    render(state, me, evaluation, Some("rectification"), Some(refused)).await
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
        (Err(error), Some(evaluation)) => shown(&state, &me, evaluation, Err(error)).await,
    }
}
