//! The 整改 tab's form: the station answers a rectification item (status and what was done),
//! through the API's own update; a stale item is shown as it now is.

use super::forms::Posted;
use actix_web::http::header;
use actix_web::{HttpResponse, post, web};
use serde::Deserialize;

use super::evaluation::{Refused, render};
use crate::app::AppError;
use crate::app::rectifications::{Status, UpdateRectification, update_for};
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub struct ItemForm {
    evaluation_id: i64,
    version: i64,
    /// open, in_progress or done
    status: String,
    action_taken: Option<String>,
}

#[post("/rectifications/{id}/answer")]
pub async fn answer(
    state: web::Data<AppState>,
    id: web::Path<i64>,
    posted: Posted<ItemForm>,
) -> HttpResponse {
    let Posted { me, form } = posted;
    let evaluation = form.evaluation_id;
    let status = match form.status.as_str() {
        "done" => Status::Done,
        "in_progress" => Status::InProgress,
        _ => Status::Open,
    };
    let body = UpdateRectification {
        status,
        action_taken: form.action_taken,
        version: Some(form.version),
    };
    let request_id = me.audit_request_id();
    let refused = match update_for(
        &state,
        &me,
        id.into_inner(),
        body,
        Some(form.version),
        request_id,
    )
    .await
    {
        Ok(_) => {
            return HttpResponse::SeeOther()
                .insert_header((
                    header::LOCATION,
                    format!("/evaluations/{evaluation}?tab=rectification"),
                ))
                .finish();
        }
        Err(AppError::NotFound(_)) => return super::not_found(),
        Err(AppError::StaleVersion { .. }) => Refused {
            message: "该整改事项已被他人更新，下面是最新内容，请确认后再保存。".into(),
            missing: Vec::new(),
        },
        Err(AppError::Forbidden(reason)) => Refused {
            message: reason,
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
    render(
        &state,
        &me,
        evaluation,
        Some("rectification"),
        Some(refused),
    )
    .await
}
