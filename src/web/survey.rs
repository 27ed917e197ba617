//! The 满意度 tab's forms: the station's client list workbook (template and upload), the agency
//! manager's draw, and one call of the calling sheet. Each goes through the application layer
//! as the API does; what the tab shows is read in `web::tabs::survey`.

use std::collections::BTreeMap;

use actix_multipart::Multipart;
use actix_web::{HttpResponse, get, post, web};

use super::evaluation::show_refused;
use super::forms::{Echo, Posted, value};
use super::saved::Saved;
use super::session::WebUser;
use crate::app::clients::{DrawSample, clients_template_for, draw_sample_for, import_clients_for};
use crate::app::input::validate;
use crate::app::survey::{PutCall, put_call_for};
use crate::state::AppState;

fn back_to(id: i64, anchor: &str, saved: Saved) -> HttpResponse {
    super::saved::back_to(id, "survey", Some(anchor), saved)
}

#[get("/evaluations/{id}/survey/clients.xlsx")]
pub async fn clients_template(
    state: web::Data<AppState>,
    me: WebUser,
    id: web::Path<i64>,
) -> HttpResponse {
    clients_template_for(&state, &me, id.into_inner())
        .await
        .map_or_else(|error| super::error_page(&me, error), crate::http::download)
}

#[post("/evaluations/{id}/survey/clients.xlsx")]
pub async fn upload_clients(
    state: web::Data<AppState>,
    me: WebUser,
    id: web::Path<i64>,
    payload: Multipart,
) -> HttpResponse {
    let id = id.into_inner();
    let write = async |bytes, request_id| {
        import_clients_for(&state, &me, id, bytes, request_id)
            .await
            .map(|_| ())
    };
    super::self_assessment::import_workbook(
        &state,
        &me,
        id,
        payload,
        ("survey", "clients", Saved::Clients),
        write,
    )
    .await
}

/// The agency's manager draws the clients to call.
#[post("/evaluations/{id}/survey/sample")]
pub async fn draw(state: web::Data<AppState>, id: web::Path<i64>, posted: Posted) -> HttpResponse {
    let id = id.into_inner();
    let Posted { me, form } = posted;
    let echo = Echo::new("sample", &form);
    let text = |name: &str| {
        value(&form, name)
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
    };
    let size = match text("size").map(|s| s.parse::<i64>()) {
        None => None,
        Some(Ok(size)) => Some(size),
        Some(Err(_)) => {
            let error = crate::app::AppError::field("size", "抽样人数须为整数");
            return show_refused(&state, &me, id, "survey", echo, error, |f| {
                Some(f.to_owned())
            })
            .await;
        }
    };
    let body = DrawSample {
        size,
        seed: text("seed"),
        reason: text("reason"),
    };
    let drawn = match validate(&body) {
        Ok(()) => draw_sample_for(&state, &me, id, body, me.audit_request_id()).await,
        Err(error) => Err(error),
    };
    match drawn {
        Ok(_) => back_to(id, "sample", Saved::Sample),
        Err(error) => {
            show_refused(&state, &me, id, "survey", echo, error, |f| {
                Some(f.to_owned())
            })
            .await
        }
    }
}

#[derive(Debug, serde::Deserialize)]
pub struct CallRoute {
    id: i64,
    client: i64,
}

/// One card of the calling sheet: the outcome (`reached` or a reason) and the answers (`q.<code>`).
#[post("/evaluations/{id}/survey/calls/{client}")]
pub async fn record_call(
    state: web::Data<AppState>,
    route: web::Path<CallRoute>,
    posted: Posted,
) -> HttpResponse {
    let CallRoute { id, client } = route.into_inner();
    let Posted { me, form } = posted;
    let form_name = format!("call-{client}");
    let echo = Echo::new(&form_name, &form);
    let outcome = value(&form, "outcome").unwrap_or("").trim().to_owned();
    let reached = outcome == "reached";
    let answers: BTreeMap<String, String> = form
        .iter()
        .filter_map(|(name, answer)| Some((name.strip_prefix("q.")?, answer.trim())))
        .filter(|(_, answer)| reached && !answer.is_empty())
        .map(|(code, answer)| (code.to_owned(), answer.to_owned()))
        .collect();
    let body = PutCall {
        reached,
        unreached_reason: (!reached && !outcome.is_empty()).then_some(outcome),
        answers,
        called_at: None,
    };
    let recorded = match validate(&body) {
        Ok(()) => put_call_for(&state, &me, id, client, body, me.audit_request_id()).await,
        Err(error) => Err(error),
    };
    match recorded {
        Ok(_) => back_to(id, &form_name, Saved::Call),
        Err(error) => {
            // `unreached_reason` and `answers` are the outcome's radios; `answers.x` question x's.
            let input = |field: &str| {
                Some(match field {
                    "unreached_reason" | "answers" => "outcome".to_owned(),
                    other => other
                        .strip_prefix("answers.")
                        .map_or_else(|| other.to_owned(), |code| format!("q.{code}")),
                })
            };
            show_refused(&state, &me, id, "survey", echo, error, input).await
        }
    }
}
