//! The reminder job: for every evaluation in a stage with a deadline, the parties that still owe
//! it get a reminder `notify.reminder_days` before their deadline and one overdue notice after it,
//! each at most once per user and deadline (an extension is a new deadline); likewise the
//! station for the rectification items it still owes. When the draft's feedback deadline has
//! passed with parties silent, the agency is told it may go on. `today` is given, so that tests and
//! `pinggu worker --once --today` can set the clock.

use std::collections::{BTreeMap, HashMap};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::catalog::Notice;
use super::{Outgoing, queue};
use crate::db::evaluations::EvaluationDetail;
use crate::db::schema::evaluations;
use crate::db::{self, DbConnection, DbPool, extensions, rectifications};
use crate::domain::deadline::{party_due, still_owing};
use crate::domain::evaluation::Stage;
use crate::domain::next_step::Step;
use crate::domain::reminders::{Owed, ReminderKind, due_reminder};
use crate::domain::scheme::{STATION_PARTY, Scheme};
use crate::settings::Settings;

const ACTIVE: [&str; 4] = [
    "self_assessment",
    "onsite_scoring",
    "draft_feedback",
    "bureau_review",
];

/// Runs the job over every active evaluation; answers how many e-mails it queued.
pub fn run(
    pool: &DbPool,
    settings: &Settings,
    today: NaiveDate,
    now: NaiveDateTime,
) -> anyhow::Result<usize> {
    let mut conn = pool.get()?;
    let ids: Vec<i64> = evaluations::table
        .filter(evaluations::state.eq_any(ACTIVE))
        .order(evaluations::id)
        .select(evaluations::id)
        .load(&mut conn)?;
    let mut queued = 0;
    for id in ids {
        // One transaction per evaluation, serialized with its transitions by the row's lock.
        queued += db::write_transaction(&mut conn, |conn| -> anyhow::Result<usize> {
            db::evaluations::lock_row(conn, id)?;
            let Some(detail) = db::evaluations::find(conn, id)? else {
                return Ok(0);
            };
            remind(conn, settings, &detail, today, now)
        })?;
    }
    Ok(queued + remind_rectifications(&mut conn, settings, today, now)?)
}

/// The station's rectification items it still owes (open or returned), by evaluation and due
/// date: a reminder `reminder_days` before the date and one overdue notice after it, once per
/// user and date (a moved date is a new date).
fn remind_rectifications(
    conn: &mut DbConnection,
    settings: &Settings,
    today: NaiveDate,
    now: NaiveDateTime,
) -> anyhow::Result<usize> {
    let mut groups: BTreeMap<(i64, NaiveDate), (usize, NaiveDate)> = BTreeMap::new();
    for item in rectifications::owed(conn)? {
        let group = groups
            .entry((item.evaluation_id, item.due_on))
            .or_insert((0, item.due_set_on));
        group.0 += 1;
        // The latest setting of the date among them decides which reminders still come.
        group.1 = group.1.max(item.due_set_on);
    }
    let mut queued = 0;
    for ((evaluation_id, due_on), (items, set_on)) in groups {
        let owed = Owed {
            party: STATION_PARTY.to_owned(),
            due_on,
            set_on,
        };
        let Some(kind) = due_reminder(&owed, today, &settings.notify.reminder_days) else {
            continue;
        };
        queued += db::write_transaction(conn, |conn| -> anyhow::Result<usize> {
            db::evaluations::lock_row(conn, evaluation_id)?;
            let Some(detail) = db::evaluations::find(conn, evaluation_id)? else {
                return Ok(0);
            };
            let scheme: Scheme = serde_json::from_str(&detail.scheme_document)?;
            let station: Vec<i64> = detail
                .parties
                .iter()
                .filter(|(code, _)| code == STATION_PARTY)
                .map(|(_, org)| org.id)
                .collect();
            let days_left = match kind {
                ReminderKind::Before(days) => Some(days),
                ReminderKind::Overdue => None,
            };
            let out = Outgoing {
                notice: Notice::RectificationDue {
                    items,
                    due_on,
                    days_left,
                },
                detail: &detail,
                scheme: &scheme,
                audit_id: None,
                organizations: station,
                actor: None,
                once_key: Some(format!(
                    "rectification-{}:{evaluation_id}:{due_on}",
                    kind.code()
                )),
            };
            Ok(queue(conn, settings, &out, now)?)
        })?;
    }
    Ok(queued)
}

fn remind(
    conn: &mut DbConnection,
    settings: &Settings,
    detail: &EvaluationDetail,
    today: NaiveDate,
    now: NaiveDateTime,
) -> anyhow::Result<usize> {
    let Some(stage) = Stage::from_code(&detail.row.state) else {
        return Ok(0);
    };
    let Some(stage_due) = detail.deadlines.get(stage.code()).copied() else {
        return Ok(0);
    };
    let scheme: Scheme = serde_json::from_str(&detail.scheme_document)?;
    let day_of = |at: NaiveDateTime| settings.local_date(at);
    // When each deadline of the stage was set: the evaluation's creation, or the latest
    // extension that moved it (for the stage, or for one party).
    let mut stage_set = day_of(detail.row.created_at);
    let mut party_set: HashMap<String, NaiveDate> = HashMap::new();
    for extension in extensions::for_evaluation(conn, detail.row.id)? {
        if extension.stage != stage.code() {
            continue;
        }
        match extension.party_code {
            None => stage_set = stage_set.max(day_of(extension.created_at)),
            Some(party) => {
                party_set.insert(party, day_of(extension.created_at));
            }
        }
    }
    let mut queued = 0;
    let mut silent: Vec<(String, NaiveDate)> = Vec::new();
    let done = db::evaluations::parties_done(conn, std::slice::from_ref(detail))?
        .remove(&detail.row.id)
        .unwrap_or_default();
    let owing = still_owing(stage, &scheme, &done, |p| {
        detail.parties.iter().any(|(code, _)| code == p)
    });
    for party in owing {
        let granted = detail
            .party_extensions
            .get(&(stage.code().to_owned(), party.clone()))
            .copied();
        let due_on = party_due(stage_due, granted);
        let set_on = match granted {
            Some(date) if date >= stage_due => party_set.get(&party).copied().unwrap_or(stage_set),
            _ => stage_set,
        };
        silent.push((party.clone(), due_on));
        let owed = Owed {
            party: party.clone(),
            due_on,
            set_on,
        };
        let Some(kind) = due_reminder(&owed, today, &settings.notify.reminder_days) else {
            continue;
        };
        let Some(organization) = detail
            .parties
            .iter()
            .find(|(code, _)| *code == party)
            .map(|(_, org)| org.id)
        else {
            continue;
        };
        let notice = match kind {
            ReminderKind::Before(days_left) => Notice::Reminder {
                stage,
                due_on,
                days_left,
            },
            ReminderKind::Overdue => Notice::Overdue { stage, due_on },
        };
        let out = Outgoing {
            notice,
            detail,
            scheme: &scheme,
            audit_id: None,
            organizations: vec![organization],
            actor: None,
            once_key: Some(format!(
                "{}:{}:{}:{party}:{due_on}",
                kind.code(),
                detail.row.id,
                stage.code()
            )),
        };
        queued += queue(conn, settings, &out, now)?;
    }
    if stage == Stage::DraftFeedback {
        queued += feedback_closed(conn, settings, detail, &scheme, &silent, today, now)?;
    }
    Ok(queued)
}

/// Every party still silent on the draft is past its feedback deadline (deemed to have no
/// objection), and the agency may hand the report to the bureau: the agency is told so once per
/// deadline, with its next steps as 我的待办 shows them. Feedback given by the last party says
/// the same in its own notice, so this comes only when someone stayed silent.
fn feedback_closed(
    conn: &mut DbConnection,
    settings: &Settings,
    detail: &EvaluationDetail,
    scheme: &Scheme,
    silent: &[(String, NaiveDate)],
    today: NaiveDate,
    now: NaiveDateTime,
) -> anyhow::Result<usize> {
    let Some(last_due) = silent.iter().map(|(_, due_on)| *due_on).max() else {
        return Ok(0);
    };
    let Some(agency) = scheme.third_party().map(|p| p.code.as_str()) else {
        return Ok(0);
    };
    let organization_of = |party: &str| {
        detail
            .parties
            .iter()
            .find(|(code, _)| code == party)
            .map(|(_, org)| org)
    };
    let Some(agency_org) = organization_of(agency) else {
        return Ok(0);
    };
    if last_due >= today {
        return Ok(0);
    }
    let then = crate::app::evaluations::agency_steps_in(conn, detail, scheme, today)?;
    if !then.contains(&Step::SubmitForReview) {
        return Ok(0);
    }
    let names = silent
        .iter()
        .map(|(party, _)| organization_of(party).map_or_else(|| party.clone(), |o| o.name.clone()))
        .collect();
    let out = Outgoing {
        notice: Notice::FeedbackClosed {
            silent: names,
            then,
        },
        detail,
        scheme,
        audit_id: None,
        organizations: vec![agency_org.id],
        actor: None,
        once_key: Some(format!("feedback-closed:{}:{last_due}", detail.row.id)),
    };
    Ok(queue(conn, settings, &out, now)?)
}
