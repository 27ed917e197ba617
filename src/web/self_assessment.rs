//! The 自评 tab: the indicator table per zone with live percentages, the roster with its month
//! columns, the annex workbooks (download, upload with cell-level errors), evidence files and
//! the narrative. Every write goes through the API's own functions.

use actix_multipart::Multipart;
use actix_web::{HttpResponse, get, post, web};
use std::collections::BTreeMap;

use super::evaluation::render_with;
use super::evaluation::show_refused;
use super::forms::{Echo, Posted, csrf_verified, read_small_form, value};
use super::saved::Saved;
use super::session::WebUser;
use crate::app::attachments::{Purpose, upload_for};
use crate::app::error::{AppError, FieldError};
use crate::app::indicators::{CompletionRow, TargetRow, put_completions_for, put_targets_for};
use crate::app::input::validate;
use crate::app::self_assessment::write_narrative_for;
use crate::app::staff::{PutStaff, put_staff_for};
use crate::app::workbooks::{
    import_indicators_for, import_staff_for, indicators_workbook_for, staff_workbook_for,
};
use crate::domain::points::Points;
use crate::domain::staffing::{MonthEntry, Qualification, RosterWorker};
use crate::state::AppState;

fn back_to(id: i64, anchor: &str, saved: Saved) -> HttpResponse {
    super::saved::back_to(id, "self", Some(anchor), saved)
}

fn version_of(values: &[(String, String)]) -> Option<i64> {
    value(values, "version").and_then(|v| v.parse().ok())
}

/// Shows the page again with the form as typed and what stopped it.
async fn refused(
    state: &AppState,
    me: &WebUser,
    id: i64,
    echo: Echo,
    error: AppError,
    field_to_input: impl Fn(&str) -> Option<String>,
) -> HttpResponse {
    show_refused(state, me, id, "self", echo, error, field_to_input).await
}

/// `rows[3].completed` → 3
fn row_index(field: &str) -> Option<usize> {
    let rest = field.strip_prefix("rows[")?;
    rest[..rest.find(']')?].parse().ok()
}

/// One zone's figures as typed in its form: completions `c.<indicator>` during the
/// self-assessment, or targets `t.<indicator>` in setup; an empty one clears it.
#[post("/evaluations/{id}/self-assessment/zone")]
pub async fn save_zone(
    state: web::Data<AppState>,
    posted: Posted,
    id: web::Path<i64>,
) -> HttpResponse {
    let id = id.into_inner();
    let Posted { me, form: values } = posted;
    let zone_text = value(&values, "zone").unwrap_or("").to_owned();
    let zone_id: Option<i64> = zone_text.parse().ok();
    let form_name = match zone_id {
        Some(zone) => format!("zone-{zone}"),
        None => "zone-station".to_owned(),
    };
    let mut echo = Echo::new(&form_name, &values);
    let mut rows = Vec::new();
    let mut inputs = Vec::new();
    let setting_targets = values.iter().any(|(name, _)| name.starts_with("t."));
    let prefix = if setting_targets { "t." } else { "c." };
    for (name, text) in &values {
        let Some(code) = name.strip_prefix(prefix) else {
            continue;
        };
        let text = text.trim();
        let completed = if text.is_empty() {
            None
        } else {
            match text.parse::<Points>() {
                Ok(points) => Some(points),
                Err(reason) => {
                    echo.errors.insert(name.clone(), reason.to_string());
                    continue;
                }
            }
        };
        inputs.push(name.clone());
        rows.push(CompletionRow {
            indicator: code.to_owned(),
            zone_id,
            completed,
        });
    }
    if !echo.errors.is_empty() {
        echo.headline = super::forms::FIX_MARKED.into();
        return render_with(&state, &me, id, Some("self"), Some(echo)).await;
    }
    let request_id = me.audit_request_id();
    let version = version_of(&values);
    let saved = if setting_targets {
        let targets = rows
            .into_iter()
            .map(|r| TargetRow {
                indicator: r.indicator,
                zone_id: r.zone_id,
                target: r.completed,
            })
            .collect();
        put_targets_for(&state, &me, id, targets, version, request_id)
            .await
            .map(|_| ())
    } else {
        put_completions_for(&state, &me, id, rows, version, request_id)
            .await
            .map(|_| ())
    };
    match saved {
        Ok(()) => back_to(id, &form_name, Saved::Figures),
        Err(error) => {
            refused(&state, &me, id, echo, error, |field| {
                row_index(field).and_then(|i| inputs.get(i).cloned())
            })
            .await
        }
    }
}

#[post("/evaluations/{id}/self-assessment/narrative")]
pub async fn save_narrative(
    state: web::Data<AppState>,
    posted: Posted,
    id: web::Path<i64>,
) -> HttpResponse {
    let id = id.into_inner();
    let Posted { me, form: values } = posted;
    let narrative = value(&values, "narrative").unwrap_or("").to_owned();
    let echo = Echo::new("narrative", &values);
    let request_id = me.audit_request_id();
    let checked = validate(&crate::app::self_assessment::PutSelfAssessment {
        narrative: narrative.clone(),
        version: None,
    });
    let written = match checked {
        Ok(()) => {
            write_narrative_for(&state, &me, id, narrative, version_of(&values), request_id).await
        }
        Err(error) => Err(error),
    };
    match written {
        Ok(_) => back_to(id, "narrative", Saved::Narrative),
        Err(error) => {
            refused(&state, &me, id, echo, error, |field| {
                (field == "narrative").then(|| "narrative".to_owned())
            })
            .await
        }
    }
}

/// The roster editor: `w<i>.<field>` per worker line and `w<i>.m<YYYY-MM>.<field>` per month;
/// lines left wholly blank are skipped.
#[post("/evaluations/{id}/self-assessment/roster")]
pub async fn save_roster(
    state: web::Data<AppState>,
    posted: Posted,
    id: web::Path<i64>,
) -> HttpResponse {
    let id = id.into_inner();
    let Posted { me, form: values } = posted;
    let mut echo = Echo::new("roster", &values);
    let (workers, lines) = roster_from(&values, &mut echo);
    if !echo.errors.is_empty() {
        echo.headline = super::forms::FIX_MARKED.into();
        return render_with(&state, &me, id, Some("self"), Some(echo)).await;
    }
    let checked = validate(&PutStaff {
        workers: workers.clone(),
        version: None,
    });
    let request_id = me.audit_request_id();
    let written = match checked {
        Ok(()) => put_staff_for(&state, &me, id, workers, version_of(&values), request_id).await,
        Err(error) => Err(error),
    };
    match written {
        Ok(_) => back_to(id, "roster", Saved::Roster),
        Err(error) => {
            refused(&state, &me, id, echo, error, |field| {
                roster_input(field, &lines)
            })
            .await
        }
    }
}

/// `workers[2].months.2024-12.on_post` → the input of that line (lines are the form's
/// line numbers of the workers kept).
fn roster_input(field: &str, lines: &[usize]) -> Option<String> {
    let rest = field.strip_prefix("workers[")?;
    let end = rest.find(']')?;
    let line = lines.get(rest[..end].parse::<usize>().ok()?)?;
    let path = rest[end + 1..].trim_start_matches('.');
    Some(match path.strip_prefix("months.") {
        Some(month) => {
            let (month, field) = month.split_once('.').unwrap_or((month, "on_post"));
            format!("w{line}.m{month}.{field}")
        }
        // The zone's select sends the zone's id under `zone`.
        None if path == "zone_id" => format!("w{line}.zone"),
        None => format!("w{line}.{path}"),
    })
}

fn roster_from(values: &[(String, String)], echo: &mut Echo) -> (Vec<RosterWorker>, Vec<usize>) {
    let mut by_line: BTreeMap<usize, Vec<(&str, &str)>> = BTreeMap::new();
    for (name, text) in values {
        let Some(rest) = name.strip_prefix('w') else {
            continue;
        };
        let Some((line, field)) = rest.split_once('.') else {
            continue;
        };
        if let Ok(line) = line.parse::<usize>() {
            by_line
                .entry(line)
                .or_default()
                .push((field, text.as_str()));
        }
    }
    let mut workers = Vec::new();
    let mut lines = Vec::new();
    for (line, fields) in by_line {
        let get = |key: &str| {
            fields
                .iter()
                .find(|(f, _)| *f == key)
                .map(|(_, v)| v.trim())
                .unwrap_or("")
        };
        let typed = [
            "name",
            "position",
            "note",
            "joined_on",
            "left_on",
            "practice_start",
        ]
        .iter()
        .any(|k| !get(k).is_empty());
        if !typed {
            continue;
        }
        let mut date = |key: &str| {
            let text = get(key);
            if text.is_empty() {
                return None;
            }
            match chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
                Ok(day) => Some(day),
                Err(_) => {
                    echo.errors
                        .insert(format!("w{line}.{key}"), "日期格式为 2024-09-01".into());
                    None
                }
            }
        };
        let practice_start = date("practice_start");
        let joined_on = date("joined_on");
        let left_on = date("left_on");
        let mut months = BTreeMap::new();
        for (field, text) in &fields {
            let Some(rest) = field.strip_prefix('m') else {
                continue;
            };
            let Some(month) = rest.strip_suffix(".on_post") else {
                continue;
            };
            let on_post = match text.trim() {
                "" => continue,
                t => match t.parse::<Points>() {
                    Ok(p) => p,
                    Err(_) => {
                        echo.errors.insert(
                            format!("w{line}.m{month}.on_post"),
                            "人员到位须为 1、0.5 或 0".into(),
                        );
                        continue;
                    }
                },
            };
            months.insert(
                month.to_owned(),
                MonthEntry {
                    on_post,
                    insurance: !get(&format!("m{month}.insurance")).is_empty(),
                    wage: !get(&format!("m{month}.wage")).is_empty(),
                },
            );
        }
        let zone_id = get("zone").parse().ok();
        let note = Some(get("note").to_owned()).filter(|n| !n.is_empty());
        let contract_term = Some(get("contract_term").to_owned()).filter(|t| !t.is_empty());
        workers.push(RosterWorker {
            name: get("name").to_owned(),
            position: get("position").to_owned(),
            qualification: Qualification::from_code(get("qualification"))
                .unwrap_or(Qualification::Uncertified),
            over_two_years: !get("over_two_years").is_empty(),
            practice_start,
            zone_id,
            joined_on,
            left_on,
            note,
            contract_term,
            months,
        });
        lines.push(line);
    }
    (workers, lines)
}

/// `指标完成情况!D7` style cell problems, listed above the upload form.
fn cell_problems(error: AppError) -> Result<Vec<String>, AppError> {
    match error {
        AppError::Validation(errors) => Ok(errors
            .into_iter()
            .map(|FieldError { field, message, .. }| format!("{field}：{message}"))
            .collect()),
        other => Err(other),
    }
}

/// A workbook posted from a tab's upload form (`form_name`): read and written by `write`, then
/// back to the tab's form; its cell problems listed above the form, nothing written.
pub(crate) async fn import_workbook(
    state: &AppState,
    me: &WebUser,
    id: i64,
    payload: Multipart,
    (tab, form_name, saved): (&str, &str, Saved),
    write: impl AsyncFnOnce(Vec<u8>, Option<String>) -> Result<(), AppError>,
) -> HttpResponse {
    let form = match read_small_form(payload, crate::app::input::WORKBOOK_LIMIT_BYTES).await {
        Ok(form) => form,
        Err(error) => {
            let echo = Echo::new(form_name, &[]);
            return show_refused(state, me, id, tab, echo, error, |_| None).await;
        }
    };
    if !csrf_verified(state, me, &form.fields) {
        return super::refused_form(&form.fields);
    }
    let mut echo = Echo::new(form_name, &form.fields);
    let Some(bytes) = form.file else {
        echo.headline = "请选择要上传的 Excel 文件".into();
        return render_with(state, me, id, Some(tab), Some(echo)).await;
    };
    match write(bytes, me.audit_request_id()).await {
        Ok(()) => super::saved::back_to(id, tab, Some(form_name), saved),
        Err(error) => match cell_problems(error) {
            Ok(problems) => {
                echo.headline = format!(
                    "表格有 {} 处问题，未导入任何内容。请修改后重新上传：",
                    problems.len()
                );
                echo.general = problems;
                render_with(state, me, id, Some(tab), Some(echo)).await
            }
            Err(error) => show_refused(state, me, id, tab, echo, error, |_| None).await,
        },
    }
}

#[post("/evaluations/{id}/self-assessment/indicators.xlsx")]
pub async fn upload_indicators(
    state: web::Data<AppState>,
    me: WebUser,
    id: web::Path<i64>,
    payload: Multipart,
) -> HttpResponse {
    let id = id.into_inner();
    let write = async |bytes, request_id| {
        import_indicators_for(&state, &me, id, bytes, request_id)
            .await
            .map(|_| ())
    };
    import_workbook(
        &state,
        &me,
        id,
        payload,
        ("self", "indicators-xlsx", Saved::Workbook),
        write,
    )
    .await
}

#[post("/evaluations/{id}/self-assessment/staff.xlsx")]
pub async fn upload_staff(
    state: web::Data<AppState>,
    me: WebUser,
    id: web::Path<i64>,
    payload: Multipart,
) -> HttpResponse {
    let id = id.into_inner();
    let write = async |bytes, request_id| {
        import_staff_for(&state, &me, id, bytes, request_id)
            .await
            .map(|_| ())
    };
    import_workbook(
        &state,
        &me,
        id,
        payload,
        ("self", "staff-xlsx", Saved::Workbook),
        write,
    )
    .await
}

#[get("/evaluations/{id}/self-assessment/indicators.xlsx")]
pub async fn indicators_workbook(
    state: web::Data<AppState>,
    me: WebUser,
    id: web::Path<i64>,
) -> HttpResponse {
    indicators_workbook_for(&state, &me, id.into_inner())
        .await
        .map_or_else(|error| super::error_page(&me, error), crate::http::download)
}

#[get("/evaluations/{id}/self-assessment/staff.xlsx")]
pub async fn staff_workbook(
    state: web::Data<AppState>,
    me: WebUser,
    id: web::Path<i64>,
) -> HttpResponse {
    staff_workbook_for(&state, &me, id.into_inner())
        .await
        .map_or_else(|error| super::error_page(&me, error), crate::http::download)
}

/// An evidence file, streamed to the store by the API's upload once the CSRF token checks.
#[post("/evaluations/{id}/self-assessment/evidence")]
pub async fn upload_evidence(
    state: web::Data<AppState>,
    me: WebUser,
    id: web::Path<i64>,
    payload: Multipart,
) -> HttpResponse {
    let id = id.into_inner();
    let csrf_refused = std::cell::Cell::new(false);
    let purpose = (id, Purpose::SelfAssessment);
    let uploaded = upload_for(
        &state,
        &me,
        purpose,
        payload,
        me.audit_request_id(),
        |fields| {
            if csrf_verified(&state, &me, fields) {
                Ok(())
            } else {
                csrf_refused.set(true);
                Err(AppError::forbidden("表单已过期，请刷新页面后重新上传"))
            }
        },
    )
    .await;
    match uploaded {
        Ok(_) => back_to(id, "evidence", Saved::Evidence),
        Err(_) if csrf_refused.get() => super::refused_form(&[]),
        Err(AppError::NotFound(_)) => super::not_found(),
        Err(error) => {
            refused(
                &state,
                &me,
                id,
                Echo::new("evidence", &[]),
                error,
                |field| (field == "file").then(|| "file".to_owned()),
            )
            .await
        }
    }
}

#[get("/evidence/{id}")]
pub async fn evidence_file(
    state: web::Data<AppState>,
    me: WebUser,
    id: web::Path<i64>,
) -> HttpResponse {
    crate::app::attachments::download_for(&state, &me, id.into_inner())
        .await
        .map_or_else(|error| super::error_page(&me, error), crate::http::download)
}

#[cfg(test)]
mod tests {
    use super::roster_input;

    #[test]
    fn an_api_field_of_the_roster_names_the_input_of_its_line() {
        let lines = [0, 3];
        assert_eq!(
            roster_input("workers[1].name", &lines).as_deref(),
            Some("w3.name")
        );
        assert_eq!(
            roster_input("workers[1].zone_id", &lines).as_deref(),
            Some("w3.zone")
        );
        assert_eq!(
            roster_input("workers[0].months.2025-01.on_post", &lines).as_deref(),
            Some("w0.m2025-01.on_post")
        );
        assert_eq!(roster_input("workers[2].name", &lines), None);
        assert_eq!(roster_input("required_staff", &lines), None);
    }
}
