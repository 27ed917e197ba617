//! The 评分 tab: each party's component form (score or gate, strengths and concerns by section,
//! the third party's zones and 结语), the expert's scoring sheet with its running total and the
//! conflict declaration, and the panel's progress for the agency: the forms, which go through the
//! application layer; what the tab shows is read in `web::tabs::scoring`.

use actix_web::{HttpResponse, post, web};

use super::evaluation::render_with;
use super::evaluation::show_refused;
use super::forms::{Echo, Posted, value};
use super::saved::Saved;
use super::session::WebUser;
use crate::app::AppError;
use crate::app::components::{PutComponent, put_component_for, submit_component_for};
use crate::app::input::validate;
use crate::app::panel::{
    AssignExpert, ItemScore, PutSheet, assign_for, put_sheet_for, submit_sheet_for,
};
use crate::domain::components::{Concern, Strength};
use crate::domain::points::Points;
use crate::state::AppState;

fn back_to(id: i64, anchor: &str, saved: Saved) -> HttpResponse {
    super::saved::back_to(id, "scoring", Some(anchor), saved)
}

async fn refused(
    state: &AppState,
    me: &WebUser,
    id: i64,
    echo: Echo,
    error: AppError,
    field_to_input: impl Fn(&str) -> Option<String>,
) -> HttpResponse {
    show_refused(state, me, id, "scoring", echo, error, field_to_input).await
}

fn points(values: &[(String, String)], name: &str, echo: &mut Echo) -> Option<Points> {
    let text = value(values, name).unwrap_or("").trim();
    if text.is_empty() {
        return None;
    }
    match text.parse::<Points>() {
        Ok(p) => Some(p),
        Err(reason) => {
            echo.errors.insert(name.to_owned(), reason.to_string());
            None
        }
    }
}

/// The comment lines of one list (`s` strengths, `c` concerns) as typed; blank lines skipped.
/// Answers the lines kept with the form line each came from.
fn comments(
    values: &[(String, String)],
    list: char,
) -> Vec<(usize, String, Vec<i64>, String, String)> {
    let mut lines: std::collections::BTreeMap<usize, (String, Vec<i64>, String, String)> =
        std::collections::BTreeMap::new();
    for (name, text) in values {
        let Some(rest) = name.strip_prefix(list) else {
            continue;
        };
        let Some((line, field)) = rest.split_once('.') else {
            continue;
        };
        let Ok(line) = line.parse::<usize>() else {
            continue;
        };
        let entry = lines.entry(line).or_default();
        match field {
            "section" => entry.0 = text.clone(),
            "zones" => entry.1.extend(text.parse::<i64>().ok()),
            "text" => entry.2 = text.trim().to_owned(),
            "suggestion" => entry.3 = text.trim().to_owned(),
            _ => {}
        }
    }
    lines
        .into_iter()
        .filter(|(_, (_, _, text, suggestion))| !text.is_empty() || !suggestion.is_empty())
        .map(|(line, (section, zones, text, suggestion))| (line, section, zones, text, suggestion))
        .collect()
}

/// `strengths[2].text` → the input of the form line it came from.
fn comment_input(field: &str, strengths: &[usize], concerns: &[usize]) -> Option<String> {
    let (list, lines, rest) = if let Some(rest) = field.strip_prefix("strengths[") {
        ('s', strengths, rest)
    } else if let Some(rest) = field.strip_prefix("concerns[") {
        ('c', concerns, rest)
    } else {
        return match field {
            "raw_score" | "passed" | "gate_reason" | "conclusion" | "reason" => {
                Some(field.to_owned())
            }
            _ => None,
        };
    };
    let end = rest.find(']')?;
    let line = lines.get(rest[..end].parse::<usize>().ok()?)?;
    let name = match rest[end + 1..].trim_start_matches('.') {
        "zone_id" | "zone_ids" => "zones",
        other => other,
    };
    Some(format!("{list}{line}.{name}"))
}

fn zone_fields(zones: Vec<i64>) -> (Option<i64>, Vec<i64>) {
    if zones.len() == 1 {
        (zones.first().copied(), Vec::new())
    } else {
        (None, zones)
    }
}

#[derive(Debug, serde::Deserialize)]
pub struct PartyRoute {
    id: i64,
    party: String,
}

/// Saves (`save`), submits (`submit`) or withdraws (`withdraw`) a party's component.
#[post("/evaluations/{id}/scoring/{party}")]
pub async fn save_component(
    state: web::Data<AppState>,
    route: web::Path<PartyRoute>,
    posted: Posted,
) -> HttpResponse {
    let PartyRoute { id, party } = route.into_inner();
    let Posted { me, form: values } = posted;
    let form_name = format!("component-{party}");
    let mut echo = Echo::new(&form_name, &values);
    let version = value(&values, "version").and_then(|v| v.parse().ok());
    let request_id = me.audit_request_id();
    let command = value(&values, "command").unwrap_or("save");
    if command == "submit" || command == "withdraw" {
        let submitting = command == "submit";
        return match submit_component_for(&state, &me, id, party, version, submitting, request_id)
            .await
        {
            Ok(_) if submitting => back_to(id, &form_name, Saved::ComponentSubmitted),
            Ok(_) => back_to(id, &form_name, Saved::ComponentWithdrawn),
            Err(error) => refused(&state, &me, id, echo, error, |_| None).await,
        };
    }
    let raw_score = points(&values, "raw_score", &mut echo);
    let strengths_typed = comments(&values, 's');
    let concerns_typed = comments(&values, 'c');
    if !echo.errors.is_empty() {
        echo.headline = super::forms::FIX_MARKED.into();
        return render_with(&state, &me, id, Some("scoring"), Some(echo)).await;
    }
    let text = |name: &str| {
        value(&values, name)
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
    };
    let strength_lines: Vec<usize> = strengths_typed.iter().map(|l| l.0).collect();
    let concern_lines: Vec<usize> = concerns_typed.iter().map(|l| l.0).collect();
    let body = PutComponent {
        raw_score,
        passed: match value(&values, "passed") {
            Some("yes") => Some(true),
            Some("no") => Some(false),
            _ => None,
        },
        gate_reason: text("gate_reason"),
        strengths: strengths_typed
            .into_iter()
            .map(|(_, section, zones, text, _)| {
                let (zone_id, zone_ids) = zone_fields(zones);
                Strength {
                    section: Some(section).filter(|s| !s.is_empty()),
                    zone_id,
                    zone_ids,
                    text,
                }
            })
            .collect(),
        concerns: concerns_typed
            .into_iter()
            .map(|(_, section, zones, text, suggestion)| {
                let (zone_id, zone_ids) = zone_fields(zones);
                Concern {
                    section: Some(section).filter(|s| !s.is_empty()),
                    zone_id,
                    zone_ids,
                    text,
                    suggestion: Some(suggestion).filter(|s| !s.is_empty()),
                }
            })
            .collect(),
        conclusion: text("conclusion"),
        reason: text("reason"),
        version,
    };
    let saved = match validate(&body) {
        Ok(()) => put_component_for(&state, &me, id, party, body, version, request_id).await,
        Err(error) => Err(error),
    };
    match saved {
        Ok(_) => back_to(id, &form_name, Saved::Component),
        Err(error) => {
            refused(&state, &me, id, echo, error, |field| {
                comment_input(field, &strength_lines, &concern_lines)
            })
            .await
        }
    }
}

/// The expert's sheet: the declaration and the item scores (`i.<item>`); `command` submit
/// saves, then submits.
#[post("/evaluations/{id}/scoring/sheet")]
pub async fn save_sheet(
    state: web::Data<AppState>,
    posted: Posted,
    id: web::Path<i64>,
) -> HttpResponse {
    let id = id.into_inner();
    let Posted { me, form: values } = posted;
    let mut echo = Echo::new("sheet", &values);
    let mut items = Vec::new();
    let mut inputs = Vec::new();
    for (name, _) in &values {
        if let Some(item) = name.strip_prefix("i.")
            && let Some(score) = points(&values, name, &mut echo)
        {
            inputs.push(name.clone());
            items.push(ItemScore {
                item: item.to_owned(),
                score,
            });
        }
    }
    if !echo.errors.is_empty() {
        echo.headline = super::forms::FIX_MARKED.into();
        return render_with(&state, &me, id, Some("scoring"), Some(echo)).await;
    }
    let conflict_of_interest = match value(&values, "conflict") {
        Some("yes") => Some(true),
        Some("no") => Some(false),
        _ => None,
    };
    let version = value(&values, "version").and_then(|v| v.parse().ok());
    let body = PutSheet {
        conflict_of_interest,
        items: if conflict_of_interest == Some(true) {
            Vec::new()
        } else {
            items
        },
        version,
    };
    let saved = put_sheet_for(&state, &me, id, body, version, me.audit_request_id()).await;
    let done = match saved {
        Ok(sheet) if value(&values, "command") == Some("submit") => {
            submit_sheet_for(&state, &me, id, Some(sheet.version), me.audit_request_id()).await
        }
        other => other,
    };
    match done {
        Ok(_) => back_to(id, "sheet", Saved::Sheet),
        Err(error) => {
            refused(&state, &me, id, echo, error, |field| {
                if field == "conflict_of_interest" {
                    return Some("conflict".to_owned());
                }
                let rest = field.strip_prefix("items[")?;
                let index: usize = rest[..rest.find(']')?].parse().ok()?;
                inputs.get(index).cloned()
            })
            .await
        }
    }
}

/// The agency's manager assigns an expert to the panel.
#[post("/evaluations/{id}/scoring/panel")]
pub async fn assign_expert(
    state: web::Data<AppState>,
    posted: Posted,
    id: web::Path<i64>,
) -> HttpResponse {
    let id = id.into_inner();
    let Posted { me, form: values } = posted;
    let echo = Echo::new("panel", &values);
    let Some(user_id) = value(&values, "user_id").and_then(|v| v.parse().ok()) else {
        let mut echo = echo;
        echo.headline = "请选择评估专家".into();
        return render_with(&state, &me, id, Some("scoring"), Some(echo)).await;
    };
    let body = AssignExpert {
        user_id,
        override_reason: value(&values, "override_reason")
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::to_owned),
    };
    match assign_for(&state, &me, id, body, me.audit_request_id()).await {
        Ok(_) => back_to(id, "panel", Saved::Panel),
        Err(error) => {
            refused(&state, &me, id, echo, error, |field| match field {
                "override_reason" | "user_id" => Some(field.to_owned()),
                _ => None,
            })
            .await
        }
    }
}
