//! The 评分 tab: each party's component form (score or gate, strengths and concerns by section,
//! the third party's zones and 结语), the expert's scoring sheet with its running total and the
//! conflict declaration, and the panel's progress for the agency. Writes go through the API's
//! own functions.

use actix_web::http::header;
use actix_web::{HttpResponse, post, web};

use super::evaluation::render_with;
use super::forms::{Echo, csrf_refusal, show_refused, value};
use super::session::WebUser;
use crate::api::components::{
    ComponentView, PutComponent, component_for, put_component_for, submit_component_for,
};
use crate::api::error::ApiError;
use crate::api::evaluations::EvaluationView;
use crate::api::extract::validate;
use crate::api::panel::{
    AssignExpert, ItemScore, Panel, PutSheet, Sheet, assign_for, panel_for, put_sheet_for,
    sheet_for, submit_sheet_for,
};
use crate::domain::components::{Concern, Strength};
use crate::domain::points::Points;
use crate::domain::user::Role;
use crate::domain::workflow::State;
use crate::state::AppState;

/// Blank comment lines offered below those written.
const BLANK_COMMENTS: usize = 2;

pub struct CommentLine {
    pub index: usize,
    pub section: String,
    pub zones: Vec<i64>,
    pub text: String,
    pub suggestion: String,
}

pub struct ComponentForm {
    pub view: ComponentView,
    pub third_party: bool,
    pub gate: bool,
    pub native_max: Points,
    /// Saving is possible now; amending a submitted one needs a reason.
    pub editable: bool,
    pub amending: bool,
    /// The party's manager may submit or withdraw.
    pub manager: bool,
    pub strengths: Vec<CommentLine>,
    pub concerns: Vec<CommentLine>,
}

pub struct ScoringTab {
    pub forms: Vec<ComponentForm>,
    /// Other parties' components the user may see (read only).
    pub others: Vec<ComponentView>,
    pub sheet: Option<Sheet>,
    pub sheet_editable: bool,
    pub panel: Option<Panel>,
    pub panel_manager: bool,
    pub zones: Vec<(i64, String)>,
    pub sections: Vec<(String, String)>,
}

fn lines_of<'a>(
    items: impl Iterator<Item = (Option<&'a str>, Vec<i64>, &'a str, &'a str)>,
) -> Vec<CommentLine> {
    let mut lines: Vec<CommentLine> = items
        .enumerate()
        .map(|(index, (section, zones, text, suggestion))| CommentLine {
            index,
            section: section.unwrap_or("").to_owned(),
            zones,
            text: text.to_owned(),
            suggestion: suggestion.to_owned(),
        })
        .collect();
    for index in lines.len()..lines.len() + BLANK_COMMENTS {
        lines.push(CommentLine {
            index,
            section: String::new(),
            zones: Vec::new(),
            text: String::new(),
            suggestion: String::new(),
        });
    }
    lines
}

pub async fn load(
    state: &AppState,
    me: &WebUser,
    view: &EvaluationView,
    sections: Vec<(String, String)>,
    zones: Vec<(i64, String)>,
) -> ScoringTab {
    let manager = me.role == Role::Manager || me.is_admin();
    let scoring_open = matches!(view.state, State::SelfAssessment | State::OnsiteScoring);
    let mut forms = Vec::new();
    let mut others = Vec::new();
    let mut agency = false;
    for party in &view.parties {
        let own = party
            .organization
            .as_ref()
            .is_some_and(|o| o.id == me.organization.id)
            || me.is_admin();
        let third_party = party.code == "third_party";
        if own && third_party {
            agency = true;
        }
        let Ok(found) = component_for(state, me, view.id, party.code.clone()).await else {
            continue;
        };
        if !own || me.role == Role::Expert {
            if found.status != "missing" {
                others.push(found);
            }
            continue;
        }
        let submitted = found.status == "submitted";
        let editable = match view.state {
            State::SelfAssessment | State::OnsiteScoring => !submitted,
            State::DraftFeedback => submitted,
            _ => false,
        };
        let strengths = lines_of(
            found
                .strengths
                .iter()
                .map(|s: &Strength| (s.section.as_deref(), s.zones(), s.text.as_str(), "")),
        );
        let concerns = lines_of(found.concerns.iter().map(|c: &Concern| {
            (
                c.section.as_deref(),
                c.zones(),
                c.text.as_str(),
                c.suggestion.as_deref().unwrap_or(""),
            )
        }));
        forms.push(ComponentForm {
            third_party,
            gate: party.gate,
            native_max: party.native_max,
            editable,
            amending: view.state == State::DraftFeedback,
            manager: manager && scoring_open,
            strengths,
            concerns,
            view: found,
        });
    }
    let sheet = sheet_for(state, me, view.id).await.ok();
    let sheet_editable =
        view.state == State::OnsiteScoring && sheet.as_ref().is_some_and(|s| s.status == "open");
    let panel = if agency && me.role != Role::Expert {
        panel_for(state, me, view.id).await.ok()
    } else {
        None
    };
    ScoringTab {
        forms,
        others,
        sheet,
        sheet_editable,
        panel,
        panel_manager: agency && manager && !matches!(view.state, State::Final | State::Cancelled),
        zones,
        sections,
    }
}

fn back_to(id: i64, anchor: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((
            header::LOCATION,
            format!("/evaluations/{id}?tab=scoring#{anchor}"),
        ))
        .finish()
}

async fn refused(
    state: &AppState,
    me: &WebUser,
    id: i64,
    echo: Echo,
    error: ApiError,
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
    me: WebUser,
    route: web::Path<PartyRoute>,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let PartyRoute { id, party } = route.into_inner();
    let values = form.into_inner();
    if let Some(refused) = csrf_refusal(&state, &me, &values) {
        return refused;
    }
    let form_name = format!("component-{party}");
    let mut echo = Echo::new(&form_name, &values);
    let version = value(&values, "version").and_then(|v| v.parse().ok());
    let request_id = Some(uuid::Uuid::new_v4().to_string());
    let command = value(&values, "command").unwrap_or("save");
    if command == "submit" || command == "withdraw" {
        let submitting = command == "submit";
        return match submit_component_for(&state, &me, id, party, version, submitting, request_id)
            .await
        {
            Ok(_) => back_to(id, &form_name),
            Err(error) => refused(&state, &me, id, echo, error, |_| None).await,
        };
    }
    let raw_score = points(&values, "raw_score", &mut echo);
    let strengths_typed = comments(&values, 's');
    let concerns_typed = comments(&values, 'c');
    if !echo.errors.is_empty() {
        echo.headline = "有内容需要修改，请看标出的地方：".into();
        return render_with(&state, &me, id, Some("scoring"), None, Some(echo)).await;
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
        Ok(_) => back_to(id, &form_name),
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
    me: WebUser,
    id: web::Path<i64>,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let id = id.into_inner();
    let values = form.into_inner();
    if let Some(refused) = csrf_refusal(&state, &me, &values) {
        return refused;
    }
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
        echo.headline = "有内容需要修改，请看标出的地方：".into();
        return render_with(&state, &me, id, Some("scoring"), None, Some(echo)).await;
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
    let saved = put_sheet_for(&state, &me, id, body, version, request_id()).await;
    let done = match saved {
        Ok(sheet) if value(&values, "command") == Some("submit") => {
            submit_sheet_for(&state, &me, id, Some(sheet.version), request_id()).await
        }
        other => other,
    };
    match done {
        Ok(_) => back_to(id, "sheet"),
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

fn request_id() -> Option<String> {
    Some(uuid::Uuid::new_v4().to_string())
}

/// The agency's manager assigns an expert to the panel.
#[post("/evaluations/{id}/scoring/panel")]
pub async fn assign_expert(
    state: web::Data<AppState>,
    me: WebUser,
    id: web::Path<i64>,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let id = id.into_inner();
    let values = form.into_inner();
    if let Some(refused) = csrf_refusal(&state, &me, &values) {
        return refused;
    }
    let echo = Echo::new("panel", &values);
    let Some(user_id) = value(&values, "user_id").and_then(|v| v.parse().ok()) else {
        let mut echo = echo;
        echo.headline = "请选择评估专家".into();
        return render_with(&state, &me, id, Some("scoring"), None, Some(echo)).await;
    };
    let body = AssignExpert {
        user_id,
        override_reason: value(&values, "override_reason")
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::to_owned),
    };
    match assign_for(&state, &me, id, body, request_id()).await {
        Ok(_) => back_to(id, "panel"),
        Err(error) => {
            refused(&state, &me, id, echo, error, |field| match field {
                "override_reason" | "user_id" => Some(field.to_owned()),
                _ => None,
            })
            .await
        }
    }
}
