//! E-mail through a real SMTP server process (aiosmtpd, tests/support/smtp_sink.py): a workflow
//! walk mails exactly the expected addresses; messages wait for a stopped server and arrive once
//! it is back; three worker processes deliver a thousand messages exactly once; reminders come
//! once per user and deadline and follow extensions; the agency is told when the draft's
//! feedback deadline passes in silence; in-app notifications.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::evaluations::{Setup, district, evaluation_body};
use crate::helpers::*;
use crate::scoring::{onsite, score_all, user};
use crate::self_assessment::{fill, open};
use crate::workflow::{actors, fire_ok};

both_backends!(
    a_workflow_walk_mails_exactly_the_expected_addresses,
    messages_wait_for_a_stopped_server_and_arrive_once_it_is_back,
    three_workers_deliver_a_thousand_messages_exactly_once,
    reminders_come_once_per_user_and_deadline_and_follow_extensions,
    the_agency_is_told_once_when_the_feedback_deadline_passes_in_silence,
    the_server_runs_its_own_worker_and_writes_mail_files_by_default,
);

/// Debian's Python, where python3-aiosmtpd is installed (.ci/run installs it).
const PYTHON: &str = "/usr/bin/python3";

/// The SMTP server process and the directory it writes each accepted message to.
pub(crate) struct SmtpSink {
    child: tokio::process::Child,
    pub(crate) port: u16,
    dir: PathBuf,
}

impl SmtpSink {
    pub(crate) async fn start(dir: &Path, port: u16) -> SmtpSink {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/smtp_sink.py");
        let mut child = tokio::process::Command::new(PYTHON)
            .arg(script)
            .arg(dir)
            .arg(port.to_string())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("the SMTP server starts (apt-get install python3-aiosmtpd)");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .await
            .expect("the SMTP server says it is ready");
        let port = line
            .trim()
            .strip_prefix("ready ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("SMTP server: {line}"));
        SmtpSink {
            child,
            port,
            dir: dir.to_owned(),
        }
    }

    pub(crate) async fn stop(mut self) -> u16 {
        self.child.kill().await.expect("the SMTP server stops");
        self.port
    }

    /// Every message received: (envelope recipients, parsed message bytes).
    pub(crate) fn received(&self) -> Vec<Received> {
        let mut found: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .map(|entries| {
                entries
                    .flatten()
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|e| e == "eml"))
                    .collect()
            })
            .unwrap_or_default();
        found.sort();
        found
            .iter()
            .map(|path| Received::parse(&std::fs::read(path).expect("message file")))
            .collect()
    }
}

/// One message as the server got it, decoded.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    envelope_to: Vec<String>,
    pub(crate) to: String,
    pub(crate) subject: String,
    message_id: String,
    reply_to: Option<String>,
    pub(crate) text: String,
    pub(crate) html: String,
}

impl Received {
    fn parse(bytes: &[u8]) -> Received {
        let message = mail_parser::MessageParser::default()
            .parse(bytes)
            .expect("a message");
        let address = |a: Option<&mail_parser::Address>| {
            a.and_then(|a| a.first())
                .and_then(|a| a.address())
                .unwrap_or_default()
                .to_owned()
        };
        let envelope_to = message
            .header_values("X-Envelope-To")
            .filter_map(|v| v.as_text().map(|t| t.trim().to_owned()))
            .collect();
        Received {
            envelope_to,
            to: address(message.to()),
            subject: message.subject().unwrap_or_default().to_owned(),
            message_id: message.message_id().unwrap_or_default().to_owned(),
            reply_to: message
                .reply_to()
                .and_then(|a| a.first())
                .and_then(|a| a.address())
                .map(str::to_owned),
            text: message.body_text(0).unwrap_or_default().into_owned(),
            html: message.body_html(0).unwrap_or_default().into_owned(),
        }
    }
}

/// `pinggu worker --once` sending through the sink (retries after `retry_base` seconds).
pub(crate) async fn worker_once(
    app: &TestApp,
    port: u16,
    extra: &[(&str, &str)],
) -> std::process::Output {
    let mut env: Vec<(String, String)> = [
        ("PINGGU__MAIL__TRANSPORT", "smtp".to_owned()),
        ("PINGGU__MAIL__SMTP__HOST", "127.0.0.1".to_owned()),
        ("PINGGU__MAIL__SMTP__PORT", port.to_string()),
        ("PINGGU__MAIL__SMTP__TLS", "none".to_owned()),
        ("PINGGU__NOTIFY__RETRY_BASE_SECONDS", "1".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let mut args = vec!["worker", "--once"];
    for (key, value) in extra {
        if *key == "--today" {
            args.extend(["--today", value]);
        } else {
            env.push(((*key).to_owned(), (*value).to_owned()));
        }
    }
    let output = run_cli_with(&app.db.url, app.db.dir.path(), &args, None, &env).await;
    assert!(
        output.status.success(),
        "worker: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

pub(crate) async fn outbox(app: &TestApp, query: &str) -> Vec<Value> {
    let admin = app.admin_token().await;
    app.get_json(
        &format!("/api/v1/admin/outbox?limit=1000&{query}"),
        Some(&admin),
    )
    .await["items"]
        .as_array()
        .cloned()
        .expect("items")
}

/// The addresses of the enabled, non-expert users with an e-mail of each organization.
async fn addresses(app: &TestApp, s: &Setup) -> BTreeMap<String, BTreeSet<String>> {
    let mut by_org = BTreeMap::new();
    for (label, org) in &s.orgs {
        let users = app
            .get_json(
                &format!("/api/v1/users?organization_id={org}&per_page=100"),
                Some(&s.admin),
            )
            .await;
        let found: BTreeSet<String> = users["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter(|u| u["disabled"] == false && u["role"] != "expert")
            .filter_map(|u| u["email"].as_str().map(str::to_owned))
            .collect();
        by_org.insert(label.clone(), found);
    }
    by_org
}

async fn a_workflow_walk_mails_exactly_the_expected_addresses(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let s = district(&app, &admin, "荔湾", "liwan").await;
    let who = actors(&app, &s, "liwan").await;
    // A second station user, a disabled one and one without an e-mail: two get no mail.
    user(&app, &s, "station-two", "operator", "member").await;
    let (gone, _) = user(&app, &s, "station-gone", "operator", "member").await;
    let disabled = app
        .request(
            Method::PATCH,
            &format!("/api/v1/users/{gone}"),
            Some(&admin),
            Some(&json!({"disabled": true})),
        )
        .await;
    assert_eq!(disabled.status(), StatusCode::OK);
    let (quiet, silent) = user(&app, &s, "station-quiet", "operator", "member").await;
    let cleared = app
        .request(
            Method::PATCH,
            &format!("/api/v1/users/{quiet}"),
            Some(&admin),
            Some(&json!({"email": null})),
        )
        .await;
    assert_eq!(cleared.status(), StatusCode::OK);
    let id = id_of(&crate::workflow::create(&app, &s).await);
    let zones = open(&app, &s, &who, id).await;
    fill(&app, &who.station, id, &zones).await;
    fire_ok(
        &app,
        &who.station,
        id,
        "submit_self_assessment",
        None,
        "onsite_scoring",
    )
    .await;
    fire_ok(
        &app,
        &who.agency,
        id,
        "return_self_assessment",
        Some("请补充三月份的到岗记录"),
        "self_assessment",
    )
    .await;
    fire_ok(
        &app,
        &who.station,
        id,
        "submit_self_assessment",
        None,
        "onsite_scoring",
    )
    .await;
    score_all(&app, &s, &who, id, "walk").await;
    fire_ok(&app, &who.agency, id, "issue_draft", None, "draft_feedback").await;
    let drafts = crate::reports::versions(&app, &who.station, id).await;
    let objection = json!({"report_id": drafts[0]["id"], "no_objection": false,
        "objections": [{"section": "zones", "text": "片区一的服务并不零散，请核实。"}]});
    let feedback = format!("/api/v1/evaluations/{id}/feedback");
    let given = app.post(&feedback, Some(&who.station), &objection).await;
    assert_eq!(given.status(), StatusCode::CREATED);
    let listed = app.get_json(&feedback, Some(&s.bureau)).await;
    let objection_id = id_of(&listed["items"][0]["objections"][0]);
    let reply = json!({"decision": "rejected", "reply": "经现场核实，各社工点服务未形成统筹。"});
    let answered = app
        .post(
            &format!("/api/v1/objections/{objection_id}/response"),
            Some(&who.agency),
            &reply,
        )
        .await;
    assert_eq!(answered.status(), StatusCode::OK);
    fire_ok(
        &app,
        &who.agency,
        id,
        "submit_for_review",
        None,
        "bureau_review",
    )
    .await;
    fire_ok(
        &app,
        &s.bureau,
        id,
        "return_draft",
        Some("请写明异议的答复"),
        "draft_feedback",
    )
    .await;
    let revised = app
        .request(
            Method::POST,
            &format!("/api/v1/evaluations/{id}/reports"),
            Some(&who.agency),
            None,
        )
        .await;
    assert_eq!(revised.status(), StatusCode::CREATED);
    fire_ok(
        &app,
        &who.agency,
        id,
        "submit_for_review",
        None,
        "bureau_review",
    )
    .await;
    fire_ok(&app, &s.bureau, id, "approve", None, "final").await;

    let dir = tempfile::tempdir().expect("sink dir");
    let sink = SmtpSink::start(dir.path(), 0).await;
    worker_once(&app, sink.port, &[]).await;
    let received = sink.received();
    let rows = outbox(&app, &format!("evaluation_id={id}")).await;
    assert!(rows.iter().all(|r| r["status"] == "sent"), "{rows:?}");

    // Each event went to exactly the parties it concerns: every enabled user with an address.
    let users = addresses(&app, &s).await;
    let of = |labels: &[&str]| -> BTreeSet<String> {
        labels
            .iter()
            .flat_map(|l| users[*l].iter().cloned())
            .collect()
    };
    let draft_readers = of(&["bureau", "street", "operator", "center"]);
    let expected: Vec<(&str, BTreeSet<String>, usize)> = vec![
        ("open", of(&["operator"]), 1),
        ("submit_self_assessment", of(&["agency", "bureau"]), 2),
        ("return_self_assessment", of(&["operator"]), 1),
        ("issue_draft", draft_readers.clone(), 1),
        ("give_feedback", of(&["agency"]), 1),
        ("answer_objection", of(&["operator"]), 1),
        ("submit_for_review", of(&["bureau"]), 2),
        ("return_draft", of(&["agency"]), 1),
        ("revise_draft", draft_readers, 1),
        (
            "approve",
            of(&["bureau", "street", "operator", "center", "agency"]),
            1,
        ),
    ];
    let station_addresses = &users["operator"];
    assert_eq!(
        station_addresses.len(),
        2,
        "the disabled and the address-less get no mail"
    );
    for (event, to, times) in &expected {
        let sent: Vec<String> = rows
            .iter()
            .filter(|r| r["event"] == *event)
            .filter_map(|r| r["to"].as_str().map(str::to_owned))
            .collect();
        let distinct: BTreeSet<String> = sent.iter().cloned().collect();
        assert_eq!(&distinct, to, "{event}");
        assert_eq!(
            sent.len(),
            to.len() * times,
            "{event} went {times} time(s) to each"
        );
    }
    let events: BTreeSet<&str> = rows.iter().filter_map(|r| r["event"].as_str()).collect();
    let named: BTreeSet<&str> = expected.iter().map(|(e, _, _)| *e).collect();
    assert_eq!(events, named, "no other mail");

    // The server got each message once, to its address, Chinese subject intact, the link naming
    // this evaluation, Reply-To the acting user.
    assert_eq!(received.len(), rows.len());
    let ids: BTreeSet<&str> = received.iter().map(|m| m.message_id.as_str()).collect();
    assert_eq!(ids.len(), received.len(), "no Message-ID twice");
    let link = format!("http://127.0.0.1:8080/evaluations/{id}");
    for row in &rows {
        let message_id = row["message_id"]
            .as_str()
            .expect("message_id")
            .trim_matches(['<', '>']);
        let got = received
            .iter()
            .find(|m| m.message_id == message_id)
            .unwrap_or_else(|| panic!("{row} arrived"));
        assert_eq!(Some(got.to.as_str()), row["to"].as_str());
        assert_eq!(got.envelope_to, std::slice::from_ref(&got.to));
        assert_eq!(Some(got.subject.as_str()), row["subject"].as_str());
        assert!(
            got.subject.starts_with("【荔湾社工服务站中期评估】"),
            "{}",
            got.subject
        );
        assert!(got.text.contains(&link), "{}", got.text);
        assert!(got.html.contains(&link));
        assert!(got.text.contains(&format!("评估编号 {id}")));
    }
    let returned = received
        .iter()
        .find(|m| m.subject.ends_with("自评被退回修改"))
        .expect("the return's mail");
    assert!(
        returned.text.contains("请补充三月份的到岗记录"),
        "{}",
        returned.text
    );
    assert!(returned.text.contains("请按退回原因修改自评后重新提交。"));
    assert_eq!(
        returned.reply_to.as_deref(),
        Some("liwan-agency@example.cn")
    );
    let draft = received
        .iter()
        .find(|m| m.subject.ends_with("评估报告初稿已发出") && station_addresses.contains(&m.to))
        .expect("the draft's mail to the station");
    assert!(
        draft.text.contains("请阅读评估报告初稿并提交反馈意见"),
        "{}",
        draft.text
    );
    assert!(
        draft.text.contains("请于 2025年5月27日 前完成"),
        "{}",
        draft.text
    );

    // The timeline shows each message with its status.
    let timeline = app
        .get_json(
            &format!("/api/v1/evaluations/{id}/timeline"),
            Some(&who.station),
        )
        .await;
    let approve = timeline["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["action"] == "approve")
        .cloned()
        .expect("approve entry");
    let shown = approve["messages"].as_array().expect("messages");
    assert_eq!(shown.len(), expected[9].1.len());
    assert!(shown.iter().all(|m| m["status"] == "sent"));

    // In-app: the same events, the address-less user included; read one; another's is 404.
    let notices = app.get_json("/api/v1/notifications", Some(&silent)).await;
    let items = notices["items"].as_array().expect("items");
    let seen: BTreeSet<&str> = items.iter().filter_map(|n| n["event"].as_str()).collect();
    assert_eq!(
        seen,
        BTreeSet::from([
            "open",
            "return_self_assessment",
            "issue_draft",
            "answer_objection",
            "revise_draft",
            "approve"
        ])
    );
    assert_eq!(notices["unread"].as_i64(), Some(items.len() as i64));
    assert!(items.iter().all(|n| n["link"] == link.as_str()));
    let first = id_of(&items[0]);
    let read = app
        .request(
            Method::POST,
            &format!("/api/v1/notifications/{first}/read"),
            Some(&silent),
            None,
        )
        .await;
    assert_eq!(read.status(), StatusCode::OK);
    let after = app
        .get_json("/api/v1/notifications?unread=true", Some(&silent))
        .await;
    assert_eq!(after["unread"].as_i64(), Some(items.len() as i64 - 1));
    assert_problem(
        app.request(
            Method::POST,
            &format!("/api/v1/notifications/{first}/read"),
            Some(&who.agency),
            None,
        )
        .await,
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    let _ = sink.stop().await;
}

async fn messages_wait_for_a_stopped_server_and_arrive_once_it_is_back(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_s, _who, id) = onsite(&app).await;
    let queued = outbox(&app, &format!("evaluation_id={id}")).await;
    assert!(queued.len() >= 3, "{queued:?}");
    let dir = tempfile::tempdir().expect("sink dir");
    let port = SmtpSink::start(dir.path(), 0).await.stop().await;

    // The server is down: every message waits for its next attempt with the failure recorded.
    worker_once(&app, port, &[]).await;
    let waiting = outbox(&app, &format!("evaluation_id={id}")).await;
    assert!(
        waiting
            .iter()
            .all(|r| r["status"] == "failed" && r["attempts"] == 1 && r["last_error"].is_string()),
        "{waiting:?}"
    );
    // Still down at the last allowed attempt: dead. An admin puts them back in the queue.
    tokio::time::sleep(std::time::Duration::from_millis(1300)).await;
    worker_once(&app, port, &[("PINGGU__NOTIFY__MAX_ATTEMPTS", "2")]).await;
    let dead = outbox(&app, "status=dead").await;
    assert_eq!(dead.len(), queued.len(), "{dead:?}");
    let admin = app.admin_token().await;
    for row in &dead {
        let path = format!("/api/v1/admin/outbox/{}/requeue", id_of(row));
        let again = app.request(Method::POST, &path, Some(&admin), None).await;
        assert_eq!(again.status(), StatusCode::OK);
        assert_problem(
            app.request(Method::POST, &path, Some(&admin), None).await,
            StatusCode::CONFLICT,
            "transition-refused",
        )
        .await;
    }
    let station = outbox(&app, "status=queued").await;
    assert_eq!(station.len(), queued.len());

    // Back up on the same port: all arrive, each once.
    let sink = SmtpSink::start(dir.path(), port).await;
    worker_once(&app, port, &[]).await;
    let sent = outbox(&app, &format!("evaluation_id={id}")).await;
    assert!(sent.iter().all(|r| r["status"] == "sent"), "{sent:?}");
    let received = sink.received();
    assert_eq!(received.len(), queued.len());
    let ids: BTreeSet<&str> = received.iter().map(|m| m.message_id.as_str()).collect();
    assert_eq!(ids.len(), queued.len());
    // Nothing is due any more: another pass sends nothing.
    worker_once(&app, port, &[]).await;
    assert_eq!(sink.received().len(), queued.len());
    // A worker that died between sending and marking left its message `sending`: once the lease
    // runs out another worker sends it again, with the same Message-ID, and marks it.
    let first = id_of(&sent[0]);
    app.execute(&format!(
        "UPDATE outbox SET status = 'sending', lease_until = '2020-01-01 00:00:00' WHERE id = {first}"
    ))
    .await;
    worker_once(&app, port, &[]).await;
    let again = sink.received();
    assert_eq!(again.len(), queued.len() + 1);
    let resent = again
        .iter()
        .filter(|m| {
            sent[0]["message_id"]
                .as_str()
                .is_some_and(|id| id.trim_matches(['<', '>']) == m.message_id)
        })
        .count();
    assert_eq!(resent, 2, "the same Message-ID, once more");
    worker_once(&app, port, &[]).await;
    assert_eq!(sink.received().len(), queued.len() + 1);
    let _ = sink.stop().await;
}

async fn three_workers_deliver_a_thousand_messages_exactly_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_s, who, id) = onsite(&app).await;
    let me = app.get_json("/api/v1/me", Some(&who.station)).await;
    let recipient = id_of(&me);
    let numbers = match backend {
        Backend::Postgres => "SELECT generate_series(1, 1000) AS n".to_owned(),
        Backend::Sqlite => "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 1000) SELECT n FROM s".to_owned(),
    };
    let seeded = app
        .execute(&format!(
            "INSERT INTO outbox (event, evaluation_id, recipient_user_id, to_address, subject, \
             body_text, message_id, status, attempts, next_attempt_at, created_at) \
             SELECT 'load', {id}, {recipient}, 'load' || n || '@example.cn', '【压力测试】第' || n || '封', \
             '正文', '<load-' || n || '@pinggu.test>', 'queued', 0, '2020-01-01 00:00:00', '2020-01-01 00:00:00' \
             FROM ({numbers}) AS numbers"
        ))
        .await;
    assert_eq!(seeded, 1000);
    let total = app
        .count("SELECT COUNT(*) AS n FROM outbox WHERE status = 'queued'")
        .await as usize;
    let dir = tempfile::tempdir().expect("sink dir");
    let sink = SmtpSink::start(dir.path(), 0).await;
    let port = sink.port;
    let (a, b, c) = tokio::join!(
        worker_once(&app, port, &[]),
        worker_once(&app, port, &[]),
        worker_once(&app, port, &[])
    );
    for output in [a, b, c] {
        assert!(output.status.success());
    }
    let received = sink.received();
    let mut counted: BTreeMap<String, usize> = BTreeMap::new();
    for message in &received {
        *counted.entry(message.message_id.clone()).or_default() += 1;
    }
    assert!(counted.values().all(|n| *n == 1), "a message went twice");
    assert_eq!(received.len(), total);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM outbox WHERE status <> 'sent'")
            .await,
        0
    );
    let _ = sink.stop().await;
}

/// An evaluation whose deadlines are far ahead of the day it is set up (and of today).
async fn created_with_2099_deadlines(app: &TestApp, s: &Setup) -> i64 {
    let mut body = evaluation_body(s);
    body["deadlines"] = json!({"self_assessment": "2099-05-06", "onsite_scoring": "2099-05-13",
                               "draft_feedback": "2099-05-27", "bureau_review": "2099-06-10"});
    let created = app
        .post("/api/v1/evaluations", Some(&s.bureau), &body)
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    id_of(&created.json::<Value>().await.expect("json"))
}

async fn reminders_come_once_per_user_and_deadline_and_follow_extensions(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let s = district(&app, &admin, "荔湾", "liwan").await;
    let who = actors(&app, &s, "liwan").await;
    user(&app, &s, "station-two", "operator", "member").await;
    // Deadlines ahead of the day the evaluation is set up (far ahead of today).
    let id = created_with_2099_deadlines(&app, &s).await;
    open(&app, &s, &who, id).await;
    let station: BTreeSet<String> = addresses(&app, &s).await["operator"].clone();
    assert_eq!(station.len(), 2);
    let dir = tempfile::tempdir().expect("sink dir");
    let sink = SmtpSink::start(dir.path(), 0).await;
    let port = sink.port;
    let reminders = |event: &'static str| {
        let app = &app;
        async move {
            outbox(app, &format!("evaluation_id={id}&event={event}"))
                .await
                .iter()
                .filter_map(|r| r["to"].as_str().map(str::to_owned))
                .collect::<Vec<_>>()
        }
    };

    // Four days before: nothing. Three days before: one reminder per station user; again: none.
    worker_once(&app, port, &[("--today", "2099-05-02")]).await;
    assert!(reminders("reminder-3").await.is_empty());
    worker_once(&app, port, &[("--today", "2099-05-03")]).await;
    let first: BTreeSet<String> = reminders("reminder-3").await.into_iter().collect();
    assert_eq!(first, station);
    worker_once(&app, port, &[("--today", "2099-05-03")]).await;
    assert_eq!(
        reminders("reminder-3").await.len(),
        station.len(),
        "once per user and deadline"
    );
    let mail = sink.received();
    let reminder = mail
        .iter()
        .find(|m| m.subject.ends_with("提交自评还有 3 天截止"))
        .expect("the reminder arrived");
    assert!(reminder.text.contains("2099年5月6日"), "{}", reminder.text);
    assert!(reminder.text.contains("请填写并提交自评"));
    // The station's deadline is extended: it is told, and the reminders follow the new date.
    let extended = app
        .post(
            &format!("/api/v1/evaluations/{id}/extensions"),
            Some(&who.agency),
            &json!({"stage": "self_assessment", "party": "station", "new_deadline": "2099-05-20",
                    "reason": "社工站人员调整"}),
        )
        .await;
    assert_eq!(extended.status(), StatusCode::CREATED);
    worker_once(&app, port, &[("--today", "2099-05-05")]).await;
    assert!(
        reminders("reminder-1").await.is_empty(),
        "not for the old date"
    );
    let told: BTreeSet<String> = reminders("extend_deadline").await.into_iter().collect();
    assert_eq!(told, station);
    worker_once(&app, port, &[("--today", "2099-05-17")]).await;
    assert_eq!(reminders("reminder-3").await.len(), 2 * station.len());
    // After the new date: one overdue notice, however often the job runs.
    worker_once(&app, port, &[("--today", "2099-05-21")]).await;
    worker_once(&app, port, &[("--today", "2099-05-22")]).await;
    assert_eq!(reminders("overdue").await.len(), station.len());
    let notices = app
        .get_json("/api/v1/notifications", Some(&who.station))
        .await;
    let events: Vec<&str> = notices["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|n| n["event"].as_str())
        .collect();
    assert_eq!(
        events,
        [
            "overdue",
            "reminder-3",
            "extend_deadline",
            "reminder-3",
            "open"
        ]
    );
    assert!(
        outbox(&app, &format!("evaluation_id={id}"))
            .await
            .iter()
            .all(|r| r["status"] == "sent")
    );
    let _ = sink.stop().await;
}

async fn the_agency_is_told_once_when_the_feedback_deadline_passes_in_silence(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let s = district(&app, &admin, "荔湾", "liwan").await;
    let who = actors(&app, &s, "liwan").await;
    let id = created_with_2099_deadlines(&app, &s).await;
    open(&app, &s, &who, id).await;
    crate::rectifications::to_draft(&app, &s, &who, id, "silence").await;
    // The station answers; the bureau, the street office and the center stay silent.
    let drafts = crate::reports::versions(&app, &who.station, id).await;
    let given = app
        .post(
            &format!("/api/v1/evaluations/{id}/feedback"),
            Some(&who.station),
            &json!({"report_id": drafts[0]["id"], "no_objection": true}),
        )
        .await;
    assert_eq!(given.status(), StatusCode::CREATED);
    let dir = tempfile::tempdir().expect("sink dir");
    let sink = SmtpSink::start(dir.path(), 0).await;
    let closed = || async {
        outbox(&app, &format!("evaluation_id={id}&event=feedback_closed"))
            .await
            .iter()
            .filter_map(|r| r["to"].as_str().map(str::to_owned))
            .collect::<BTreeSet<_>>()
    };
    // On the deadline the feedback may still come: nothing yet.
    worker_once(&app, sink.port, &[("--today", "2099-05-27")]).await;
    assert!(closed().await.is_empty(), "not before the deadline");
    // The day after: the agency, and only the agency, is told, once however often the job runs.
    worker_once(&app, sink.port, &[("--today", "2099-05-28")]).await;
    worker_once(&app, sink.port, &[("--today", "2099-05-29")]).await;
    let agency = addresses(&app, &s).await["agency"].clone();
    assert!(!agency.is_empty());
    assert_eq!(closed().await, agency);
    assert_eq!(
        outbox(&app, &format!("evaluation_id={id}&event=feedback_closed"))
            .await
            .len(),
        agency.len(),
        "once per user and deadline"
    );
    let mail = sink.received();
    let told = mail
        .iter()
        .find(|m| m.subject.ends_with("初稿反馈期限已过"))
        .expect("the agency's e-mail");
    assert!(
        told.text.contains("视为对评估报告初稿无异议"),
        "{}",
        told.text
    );
    assert!(
        told.text.contains("请将评估报告提交民政局审定。"),
        "{}",
        told.text
    );
    assert!(
        !told.text.contains("社工站在反馈期限内"),
        "the station answered: {}",
        told.text
    );
    let _ = sink.stop().await;
}

async fn the_server_runs_its_own_worker_and_writes_mail_files_by_default(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.notify.worker = true;
        s.notify.poll_interval_seconds = 1;
    })
    .await;
    let (_s, _who, id) = onsite(&app).await;
    let queued = outbox(&app, &format!("evaluation_id={id}")).await.len();
    let dir = app.db.dir.path().join("mail");
    let mut files = 0;
    for _ in 0..100 {
        files = std::fs::read_dir(&dir)
            .map(|entries| {
                entries
                    .flatten()
                    .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
                    .count()
            })
            .unwrap_or(0);
        if files >= queued {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(files, queued, "one .eml per message under mail.file_dir");
    let rows = outbox(&app, &format!("evaluation_id={id}")).await;
    assert!(rows.iter().all(|r| r["status"] == "sent"), "{rows:?}");
}
