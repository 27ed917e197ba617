//! Notifications (DESIGN.md §5, §7): each event's notices are rendered and queued — an outbox row
//! per recipient with an e-mail address, an in-app notification per recipient — in the event's own
//! transaction; the worker sends the outbox with lettre; the reminder job adds reminders.

pub mod catalog;
pub mod mailer;
pub mod reminders;
pub mod welcome;
pub mod worker;

use std::collections::HashSet;

use askama::Template;
use chrono::{NaiveDate, NaiveDateTime};

use crate::db::evaluations::EvaluationDetail;
use crate::db::{DbConnection, notifications, outbox, users};
use crate::domain::deadline::{owing_parties, party_due};
use crate::domain::evaluation::{Kind, STATION_PARTY};
use crate::domain::scheme::Scheme;
use crate::settings::Settings;
use catalog::{Notice, chinese_date};

/// Who caused the notice: named in it, and the Reply-To of its e-mails.
#[derive(Debug, Clone)]
pub struct Actor {
    pub display_name: String,
    pub email: Option<String>,
}

/// One event's notices to the users of some organizations of an evaluation.
pub struct Outgoing<'a> {
    pub notice: Notice,
    pub detail: &'a EvaluationDetail,
    pub scheme: &'a Scheme,
    pub audit_id: Option<i64>,
    pub organizations: Vec<i64>,
    pub actor: Option<Actor>,
    /// Reminders: the notice goes at most once per user under this key.
    pub once_key: Option<String>,
}

#[derive(Template)]
#[template(path = "mail.txt")]
struct TextBody<'a> {
    greeting: &'a str,
    station: &'a str,
    kind: &'a str,
    evaluation_id: i64,
    happened: &'a str,
    todo: Option<&'a str>,
    due: Option<String>,
    link: &'a str,
    actor: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "mail.html")]
struct HtmlBody<'a> {
    subject: &'a str,
    greeting: &'a str,
    station: &'a str,
    kind: &'a str,
    evaluation_id: i64,
    happened: &'a str,
    todo: Option<&'a str>,
    due: Option<String>,
    link: &'a str,
    actor: Option<&'a str>,
}

/// The page every e-mail links to.
pub fn evaluation_link(settings: &Settings, evaluation_id: i64) -> String {
    format!(
        "{}/evaluations/{evaluation_id}",
        settings.server.public_url.trim_end_matches('/')
    )
}

/// The host part of mail.from, for Message-IDs.
fn message_domain(settings: &Settings) -> String {
    settings
        .mail
        .from
        .rsplit_once('@')
        .map(|(_, host)| host.trim_end_matches('>').trim().to_owned())
        .filter(|host| !host.is_empty())
        .unwrap_or_else(|| "pinggu".to_owned())
}

/// The deadline an organization's parties have for `stage`: the earliest of theirs.
fn due_for(
    detail: &EvaluationDetail,
    stage: crate::domain::evaluation::Stage,
    parties: &[&str],
) -> Option<NaiveDate> {
    let stage_due = detail.deadlines.get(stage.code()).copied()?;
    parties
        .iter()
        .map(|party| {
            let granted = detail
                .party_extensions
                .get(&(stage.code().to_owned(), (*party).to_owned()))
                .copied();
            party_due(stage_due, granted)
        })
        .min()
        .or(Some(stage_due))
}

/// Queues the notices; answers how many e-mails were queued.
pub fn queue(
    conn: &mut DbConnection,
    settings: &Settings,
    out: &Outgoing,
    now: NaiveDateTime,
) -> diesel::QueryResult<usize> {
    let detail = out.detail;
    let recipients = users::notice_recipients(conn, &out.organizations)?;
    let key_of = |user: i64| out.once_key.as_ref().map(|k| format!("{k}:{user}"));
    let keys: Vec<String> = recipients.iter().filter_map(|r| key_of(r.0)).collect();
    let mailed: HashSet<String> = outbox::existing_keys(conn, &keys)?.into_iter().collect();
    let notified: HashSet<String> = notifications::existing_keys(conn, &keys)?
        .into_iter()
        .collect();
    let kind = Kind::from_code(&detail.row.kind).map_or("评估", Kind::chinese_name);
    let link = evaluation_link(settings, detail.row.id);
    let domain = message_domain(settings);
    let actor = out.actor.as_ref().map(|a| a.display_name.as_str());
    let reply_to = out.actor.as_ref().and_then(|a| {
        a.email
            .as_deref()
            .map(|email| format!("{} <{email}>", a.display_name.replace(['<', '>', '"'], "")))
    });
    let event = out.notice.code();
    let (mut in_app_rows, mut messages) = (Vec::new(), Vec::new());
    for &organization in &out.organizations {
        let parties: Vec<&str> = detail
            .parties
            .iter()
            .filter(|(_, org)| org.id == organization)
            .map(|(code, _)| code.as_str())
            .collect();
        let Some(greeting) = detail
            .parties
            .iter()
            .find(|(_, org)| org.id == organization)
            .map(|(_, org)| org.name.as_str())
        else {
            continue;
        };
        let stage = out.notice.stage_owed();
        let owes = stage.is_some_and(|stage| {
            owing_parties(stage, out.scheme)
                .iter()
                .any(|p| parties.contains(&p.as_str()))
        });
        let due_on = stage.and_then(|stage| due_for(detail, stage, &parties));
        let words = out
            .notice
            .wording(owes, parties.contains(&STATION_PARTY), due_on);
        let subject = format!("【{}{kind}】{}", detail.station_name, words.title);
        let due = words.due_on.map(chinese_date);
        let text = TextBody {
            greeting,
            station: &detail.station_name,
            kind,
            evaluation_id: detail.row.id,
            happened: &words.happened,
            todo: words.todo.as_deref(),
            due: due.clone(),
            link: &link,
            actor,
        }
        .render()
        .unwrap_or_else(|_| format!("{}\n{link}", words.happened));
        let html = HtmlBody {
            subject: &subject,
            greeting,
            station: &detail.station_name,
            kind,
            evaluation_id: detail.row.id,
            happened: &words.happened,
            todo: words.todo.as_deref(),
            due: due.clone(),
            link: &link,
            actor,
        }
        .render()
        .unwrap_or_default();
        let in_app = match (&words.todo, &due) {
            (Some(todo), Some(due)) => format!("{}{todo}请于 {due} 前完成。", words.happened),
            (Some(todo), None) => format!("{}{todo}", words.happened),
            _ => words.happened.clone(),
        };
        for (user, _, email) in recipients.iter().filter(|r| r.1 == organization) {
            let key = key_of(*user);
            if !key.as_ref().is_some_and(|k| notified.contains(k)) {
                in_app_rows.push(notifications::NewNotification {
                    user_id: *user,
                    evaluation_id: Some(detail.row.id),
                    event: event.to_string(),
                    title: subject.clone(),
                    body: in_app.clone(),
                    dedupe_key: key.clone(),
                });
            }
            let Some(address) = email.as_deref().filter(|e| !e.trim().is_empty()) else {
                continue;
            };
            if key.as_ref().is_some_and(|k| mailed.contains(k)) {
                continue;
            }
            messages.push(outbox::NewMessage {
                event: event.to_string(),
                evaluation_id: Some(detail.row.id),
                audit_id: out.audit_id,
                recipient_user_id: *user,
                to_address: address.to_owned(),
                subject: subject.clone(),
                body_text: text.clone(),
                body_html: html.clone(),
                reply_to: reply_to.clone(),
                message_id: format!("<{}@{domain}>", uuid::Uuid::new_v4()),
                dedupe_key: key,
            });
        }
    }
    notifications::insert_all(conn, &in_app_rows, now)?;
    outbox::insert_all(conn, &messages, now)?;
    let queued = messages.len();
    Ok(queued)
}
