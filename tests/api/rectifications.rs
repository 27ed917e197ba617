//! Rectification that is verified (DESIGN.md §10): at approval every concern of the final report
//! becomes an item due 90 days later; the station answers, the agency's manager verifies or
//! returns the answer with a reason, the bureau's manager may move the date; each change is told
//! by e-mail and in-app notice, kept in the item's history and audited; the station is reminded
//! before the date and once overdue; the next evaluation's report shows the verification.

use std::collections::BTreeSet;

use chrono::{Duration, NaiveDate};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::attachments::{content_type, multipart, pdf};
use crate::helpers::*;
use crate::mail::{SmtpSink, outbox, worker_once};
use crate::pages::{csrf_in, page_html, post_fields, session_of};
use crate::reports::{download, versions};
use crate::scoring::score_all_saying;
use crate::self_assessment::{fill, open, opened};
use crate::workflow::{Actors, fire_ok};

both_backends!(
    an_item_goes_open_answered_returned_answered_verified_into_the_next_report,
    the_station_is_reminded_before_the_due_date_and_once_overdue,
    a_verification_and_an_answer_at_once_leave_one_of_them,
    the_tab_answers_verifies_and_moves_the_date,
    the_loop_runs_in_the_browser_at_desk_and_phone_width,
);

const CONCERNS: [&str; 2] = ["台账记录不完整。", "志愿者培训不足。"];

/// The server's today (Asia/Shanghai, the test settings' zone).
fn today() -> NaiveDate {
    chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive()
}

/// Self-assessment, scoring (the third party naming `CONCERNS`) and the draft of evaluation `id`.
pub(crate) async fn to_draft(
    app: &TestApp,
    s: &crate::evaluations::Setup,
    who: &Actors,
    id: i64,
    key: &str,
) {
    let zones: Vec<i64> = crate::self_assessment::zones(app, s).await;
    fill(app, &who.station, id, &zones).await;
    fire_ok(
        app,
        &who.station,
        id,
        "submit_self_assessment",
        None,
        "onsite_scoring",
    )
    .await;
    let concerns: Vec<Value> = CONCERNS
        .iter()
        .map(|text| json!({"section": "management", "text": text}))
        .collect();
    let said = json!({"third_party": {"concerns": concerns}});
    score_all_saying(app, s, who, id, key, &said).await;
    fire_ok(app, &who.agency, id, "issue_draft", None, "draft_feedback").await;
}

/// An evaluation walked to its final report: answers (setup, actors, id, the station's items).
async fn approved(app: &TestApp) -> (crate::evaluations::Setup, Actors, i64, Vec<Value>) {
    let (s, who, id, _) = opened(app).await;
    to_draft(app, &s, &who, id, "rc").await;
    fire_ok(
        app,
        &who.agency,
        id,
        "submit_for_review",
        None,
        "bureau_review",
    )
    .await;
    fire_ok(app, &s.bureau, id, "approve", None, "final").await;
    let items = items_of(app, &s, &who.station).await;
    (s, who, id, items)
}

async fn items_of(app: &TestApp, s: &crate::evaluations::Setup, token: &str) -> Vec<Value> {
    app.get_json(
        &format!("/api/v1/stations/{}/rectifications", s.station),
        Some(token),
    )
    .await["items"]
        .as_array()
        .cloned()
        .expect("items")
}

fn item_path(item: &Value) -> String {
    format!("/api/v1/rectifications/{}", id_of(item))
}

async fn answer(app: &TestApp, token: &str, item: &Value, action: &str) -> reqwest::Response {
    let body = json!({"status": "answered", "action_taken": action, "version": item["version"]});
    app.request(Method::PUT, &item_path(item), Some(token), Some(&body))
        .await
}

async fn verify(app: &TestApp, token: &str, item: &Value, body: Value) -> reqwest::Response {
    let mut body = body;
    body["version"] = item["version"].clone();
    let path = format!("{}/verification", item_path(item));
    app.request(Method::POST, &path, Some(token), Some(&body))
        .await
}

/// A PDF as evidence for the answer to `item`.
async fn upload(app: &TestApp, token: &str, item: &Value) -> reqwest::Response {
    let evidence = format!("{}/evidence", item_path(item));
    app.upload(
        &evidence,
        token,
        &content_type(),
        multipart("台账扫描件.pdf", &pdf(2_000)),
    )
    .await
}

async fn ok_json(response: reqwest::Response) -> Value {
    assert_eq!(response.status(), StatusCode::OK, "{}", response.url());
    response.json().await.expect("json")
}

/// The events of the user's in-app notices, newest first.
async fn notices(app: &TestApp, token: &str) -> Vec<String> {
    app.get_json("/api/v1/notifications", Some(token)).await["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|n| n["event"].as_str().map(str::to_owned))
        .collect()
}

async fn an_item_goes_open_answered_returned_answered_verified_into_the_next_report(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let (s, who, id, items) = approved(&app).await;
    assert_eq!(items.len(), CONCERNS.len());
    let due = today() + Duration::days(90);
    for item in &items {
        assert_eq!(item["status"], "open");
        assert_eq!(
            item["due_on"],
            due.to_string(),
            "90 days after the approval"
        );
        assert_eq!(item["overdue"], false);
        assert_eq!(item["history"], json!([]));
    }
    let item = items
        .iter()
        .find(|i| i["text"] == CONCERNS[0])
        .cloned()
        .expect("the first concern's item");

    // Only the station answers, and an answer needs its measures.
    assert_problem(
        answer(&app, &who.agency, &item, "代为填写").await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let empty = assert_invalid(answer(&app, &who.station, &item, "  ").await).await;
    assert_eq!(error_fields(&empty), ["action_taken"]);
    // Nothing to verify before the answer.
    assert_problem(
        verify(&app, &who.agency, &item, json!({"passed": true})).await,
        StatusCode::CONFLICT,
        "transition-refused",
    )
    .await;
    let item = ok_json(answer(&app, &who.station, &item, "已补全 2025 年台账。").await).await;
    assert_eq!(item["status"], "answered");
    // Its evidence: the station's files for this item, nobody else's.
    let uploaded = upload(&app, &who.station, &item).await;
    assert_eq!(uploaded.status(), StatusCode::CREATED);
    let file: Value = uploaded.json().await.expect("json");
    assert_eq!(file["rectification_id"], item["id"]);
    assert_problem(
        upload(&app, &who.agency, &item).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    // Another district's station sees none of it.
    let other = crate::evaluations::district(&app, &s.admin, "海珠", "haizhu").await;
    let stranger = crate::workflow::actors(&app, &other, "haizhu").await;
    assert_problem(
        upload(&app, &stranger.station, &item).await,
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    assert_problem(
        answer(&app, &stranger.station, &item, "越权").await,
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    assert_problem(
        app.get(
            &format!("/api/v1/stations/{}/rectifications", s.station),
            Some(&stranger.station),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    assert!(
        notices(&app, &who.agency)
            .await
            .contains(&"answer_rectification".to_owned())
    );

    // The station can never verify its own item; the agency must give a reason to return it.
    assert_problem(
        verify(&app, &who.station, &item, json!({"passed": true})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let bare =
        assert_invalid(verify(&app, &who.agency, &item, json!({"passed": false})).await).await;
    assert_eq!(error_fields(&bare), ["reason"]);
    let item = ok_json(
        verify(
            &app,
            &who.agency,
            &item,
            json!({"passed": false, "reason": "缺少第四季度台账的佐证。"}),
        )
        .await,
    )
    .await;
    assert_eq!(item["status"], "returned");
    assert!(
        notices(&app, &who.station)
            .await
            .contains(&"return_rectification".to_owned())
    );
    let item = ok_json(
        answer(
            &app,
            &who.station,
            &item,
            "已补全 2025 年全年台账并附扫描件。",
        )
        .await,
    )
    .await;
    assert_eq!(item["status"], "answered");

    // The bureau's manager moves the date (not into the past); nobody else may.
    let move_to = |date: NaiveDate, item: &Value| json!({"due_on": date.to_string(), "version": item["version"]});
    let later = today() + Duration::days(30);
    assert_problem(
        app.request(
            Method::PATCH,
            &item_path(&item),
            Some(&who.agency),
            Some(&move_to(later, &item)),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let past = assert_invalid(
        app.request(
            Method::PATCH,
            &item_path(&item),
            Some(&s.bureau),
            Some(&move_to(today() - Duration::days(1), &item)),
        )
        .await,
    )
    .await;
    assert_eq!(error_fields(&past), ["due_on"]);
    let item = ok_json(
        app.request(
            Method::PATCH,
            &item_path(&item),
            Some(&s.bureau),
            Some(&move_to(later, &item)),
        )
        .await,
    )
    .await;
    assert_eq!(item["due_on"], later.to_string());

    let item = ok_json(verify(&app, &who.agency, &item, json!({"passed": true})).await).await;
    assert_eq!(item["status"], "verified");
    assert!(item["verified_by"].as_i64().is_some());
    assert!(item["verified_at"].as_str().is_some());
    let history: Vec<(&str, &str)> = item["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|h| {
            (
                h["action"].as_str().unwrap_or(""),
                h["status"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        history,
        [
            ("answer", "answered"),
            ("return", "returned"),
            ("answer", "answered"),
            ("set_due", "answered"),
            ("verify", "verified"),
        ]
    );
    assert_eq!(item["history"][1]["note"], "缺少第四季度台账的佐证。");
    // A verified item is closed.
    assert_problem(
        answer(&app, &who.station, &item, "再改一次").await,
        StatusCode::CONFLICT,
        "transition-refused",
    )
    .await;
    assert!(
        notices(&app, &who.station)
            .await
            .contains(&"verify_rectification".to_owned())
    );

    // The e-mails went to the agency (the answers) and the station (the return, the pass).
    let mailed = |event: &'static str| {
        let app = &app;
        async move {
            outbox(app, &format!("evaluation_id={id}&event={event}"))
                .await
                .iter()
                .filter_map(|r| r["to"].as_str().map(str::to_owned))
                .collect::<BTreeSet<_>>()
        }
    };
    assert_eq!(
        mailed("answer_rectification").await,
        BTreeSet::from(["liwan-agency@example.cn".to_owned()])
    );
    assert_eq!(
        mailed("return_rectification").await,
        BTreeSet::from(["liwan-station@example.cn".to_owned()])
    );
    assert_eq!(
        mailed("verify_rectification").await,
        BTreeSet::from(["liwan-station@example.cn".to_owned()])
    );

    // The bureau's dashboard counts them: one verified, one still owed.
    let dashboard = app.get_json("/api/v1/dashboard", Some(&s.bureau)).await;
    assert_eq!(
        dashboard["rectification"],
        json!({"open": 1, "overdue": 0, "answered": 0, "verified": 1})
    );

    // Every change is in the audit log, and the chain holds.
    let audited = app
        .count(&format!(
            "SELECT COUNT(*) AS n FROM audit_log WHERE entity = 'rectification' AND entity_id = '{}'",
            id_of(&item)
        ))
        .await;
    assert_eq!(audited, 5);
    let verified = app.cli(&["audit", "verify"], None).await;
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stderr)
    );

    // The station's next evaluation reports the item as verified, the other as not answered.
    let mut body = crate::evaluations::evaluation_body(&s);
    body["kind"] = json!("final_term");
    let created = app
        .post("/api/v1/evaluations", Some(&s.bureau), &body)
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let next = id_of(&created.json::<Value>().await.expect("json"));
    open(&app, &s, &who, next).await;
    let view = app
        .get_json(&format!("/api/v1/evaluations/{next}"), Some(&s.bureau))
        .await;
    let carried = view["previous_rectifications"].as_array().expect("items");
    assert!(
        carried
            .iter()
            .any(|i| i["status"] == "verified" && i["text"] == CONCERNS[0])
    );
    to_draft(&app, &s, &who, next, "rc2").await;
    let draft = versions(&app, &who.station, next).await;
    let html =
        String::from_utf8(download(&app, &who.station, &draft[0], "html").await).expect("utf-8");
    let on = today();
    let line = format!(
        "{}（整改情况：已核验通过（{}年{}月{}日）。已补全 2025 年全年台账并附扫描件。）",
        CONCERNS[0],
        chrono::Datelike::year(&on),
        chrono::Datelike::month(&on),
        chrono::Datelike::day(&on)
    );
    assert!(html.contains(&line), "the next report says {line}");
    assert!(html.contains(&format!("{}（整改情况：未整改）", CONCERNS[1])));
}

async fn the_station_is_reminded_before_the_due_date_and_once_overdue(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_s, who, id, items) = approved(&app).await;
    let due: NaiveDate = items[0]["due_on"]
        .as_str()
        .and_then(|d| d.parse().ok())
        .expect("due date");
    let dir = tempfile::tempdir().expect("sink dir");
    let sink = SmtpSink::start(dir.path(), 0).await;
    let port = sink.port;
    let day = |offset: i64| (due + Duration::days(offset)).to_string();
    let reminded = |event: &'static str| {
        let app = &app;
        async move {
            outbox(app, &format!("evaluation_id={id}&event={event}"))
                .await
                .iter()
                .filter_map(|r| r["to"].as_str().map(str::to_owned))
                .collect::<Vec<_>>()
        }
    };
    worker_once(&app, port, &[("--today", &day(-4))]).await;
    assert!(reminded("rectification-reminder-3").await.is_empty());
    worker_once(&app, port, &[("--today", &day(-3))]).await;
    worker_once(&app, port, &[("--today", &day(-3))]).await;
    assert_eq!(
        reminded("rectification-reminder-3").await,
        ["liwan-station@example.cn"],
        "one reminder for both items, once"
    );
    let mail = sink.received();
    let reminder = mail
        .iter()
        .find(|m| m.subject.ends_with("整改事项还有 3 天到期"))
        .expect("the reminder arrived");
    assert!(reminder.text.contains("2 项整改事项"), "{}", reminder.text);
    // Once overdue: one notice, however often the job runs; the item shows overdue.
    worker_once(&app, port, &[("--today", &day(1))]).await;
    worker_once(&app, port, &[("--today", &day(2))]).await;
    assert_eq!(
        reminded("rectification-overdue").await,
        ["liwan-station@example.cn"]
    );
    assert!(
        notices(&app, &who.station)
            .await
            .contains(&"rectification-overdue".to_owned())
    );
    // The agency is not reminded of the station's items.
    assert!(
        !notices(&app, &who.agency)
            .await
            .iter()
            .any(|e| e.starts_with("rectification-"))
    );
    // Items answered are owed no more: a later date has no reminder.
    for item in &items {
        ok_json(answer(&app, &who.station, item, "已整改。").await).await;
    }
    let before = outbox(&app, &format!("evaluation_id={id}")).await.len();
    worker_once(&app, port, &[("--today", &day(5))]).await;
    assert_eq!(
        outbox(&app, &format!("evaluation_id={id}")).await.len(),
        before
    );
    let _ = sink.stop().await;
}

async fn a_verification_and_an_answer_at_once_leave_one_of_them(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (s, who, _id, _) = approved(&app).await;
    for round in 0..4 {
        let item = items_of(&app, &s, &who.station).await[0].clone();
        let item = if item["status"] == "answered" {
            item
        } else {
            ok_json(answer(&app, &who.station, &item, &format!("第 {round} 次整改。")).await).await
        };
        // The agency returns the answer while the station rewrites it, from the same version.
        let (returned, rewritten) = tokio::join!(
            verify(
                &app,
                &who.agency,
                &item,
                json!({"passed": false, "reason": "证据不足"})
            ),
            answer(&app, &who.station, &item, "补充了证据。"),
        );
        let statuses = [returned.status(), rewritten.status()];
        assert!(
            statuses == [StatusCode::OK, StatusCode::CONFLICT]
                || statuses == [StatusCode::CONFLICT, StatusCode::OK],
            "round {round}: {statuses:?}"
        );
        let now = items_of(&app, &s, &who.station).await[0].clone();
        let expected = if statuses[0] == StatusCode::OK {
            "returned"
        } else {
            "answered"
        };
        assert_eq!(now["status"], expected);
        assert_eq!(now["version"], item["version"].as_i64().unwrap_or(0) + 1);
        let last = now["history"]
            .as_array()
            .and_then(|h| h.last())
            .cloned()
            .expect("history");
        assert_eq!(
            last["status"], expected,
            "the history tells the write that won"
        );
    }
}

async fn the_tab_answers_verifies_and_moves_the_date(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (s, who, id, items) = approved(&app).await;
    let item = items
        .iter()
        .find(|i| i["text"] == CONCERNS[0])
        .cloned()
        .expect("item");
    let tab = format!("/evaluations/{id}?tab=rectification");
    let station = session_of(&app, "liwan-station").await;
    let agency = session_of(&app, "liwan-agency").await;

    // 我的待办: the station owes both items; the agency has nothing to verify yet.
    let home = page_html(&app, &station, "/").await;
    assert!(home.contains("待办整改事项（2）"), "the station's 我的待办");
    assert!(!page_html(&app, &agency, "/").await.contains("待办整改事项"));

    let html = page_html(&app, &station, &tab).await;
    assert!(html.contains(&format!(
        "整改期限：{}",
        item["due_on"].as_str().unwrap_or("")
    )));
    assert!(
        !html.contains("核验通过</button>"),
        "the station has no verification form"
    );
    let answer_path = format!("/rectifications/{}/answer", id_of(&item));
    let answering = |version: &Value, action: &str| {
        vec![
            ("csrf", csrf_in(&html)),
            ("evaluation_id", id.to_string()),
            ("version", version.to_string()),
            ("status", "answered".to_owned()),
            ("action_taken", action.to_owned()),
        ]
    };
    // Submitting without measures stays on the tab with the reason.
    let refused = post_fields(
        &app,
        &station,
        &answer_path,
        &answering(&item["version"], " "),
    )
    .await;
    assert_eq!(refused.status(), StatusCode::OK);
    // The error beside the field and in the form's summary, linking to the field's id.
    let form = format!("item-{}-answer", id_of(&item));
    let refused = refused.text().await.expect("html");
    assert!(
        refused.contains(&format!(
            r#"<p class="field-error" id="{form}-action_taken-error">请填写整改措施</p>"#
        )),
        "the error beside the measures"
    );
    assert!(refused.contains(&format!(
        r##"<a href="#{form}-action_taken" data-field="action_taken">请填写整改措施</a>"##
    )));
    assert!(refused.contains(&format!(r#"id="{form}-action_taken" name="action_taken""#)));
    // Someone changed the item meanwhile: the measures typed are still in the form.
    let mut stale = answering(&item["version"], "台账已补齐，待上传。");
    stale[2].1 = (item["version"].as_i64().unwrap_or(0) - 1).to_string();
    let stale = post_fields(&app, &station, &answer_path, &stale).await;
    assert_eq!(stale.status(), StatusCode::OK);
    let stale = stale.text().await.expect("html");
    assert!(stale.contains("该整改事项已被他人更新"), "{stale}");
    assert!(
        stale.contains("台账已补齐，待上传。</textarea>"),
        "what was typed"
    );
    let saved = post_fields(
        &app,
        &station,
        &answer_path,
        &answering(&item["version"], "已建立台账月检制度。"),
    )
    .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    assert!(
        page_html(&app, &agency, "/")
            .await
            .contains("待办整改事项（1）")
    );

    // The agency returns it on its tab, with the reason; the station sees why.
    let html = page_html(&app, &agency, &tab).await;
    let verify_path = format!("/rectifications/{}/verification", id_of(&item));
    let version = |n: i64| (item["version"].as_i64().unwrap_or(0) + n).to_string();
    let returning = |reason: &str| {
        vec![
            ("csrf", csrf_in(&html)),
            ("evaluation_id", id.to_string()),
            ("version", version(1)),
            ("passed", "false".to_owned()),
            ("reason", reason.to_owned()),
        ]
    };
    let without_reason = post_fields(&app, &agency, &verify_path, &returning("")).await;
    assert_eq!(without_reason.status(), StatusCode::OK);
    assert!(
        without_reason.text().await.expect("html").contains(&format!(
            r#"<p class="field-error" id="item-{}-verification-reason-error">核验不通过须说明理由</p>"#,
            id_of(&item)
        )),
        "the reason's error beside it"
    );
    let returned = post_fields(&app, &agency, &verify_path, &returning("请附月检记录。")).await;
    assert_eq!(returned.status(), StatusCode::SEE_OTHER);
    let html = page_html(&app, &station, &tab).await;
    assert!(html.contains("核验未通过，待重新整改"));
    assert!(html.contains("评估机构核验不通过，退回社工站：请附月检记录。"));

    // The bureau's manager moves the date from the tab; a bad date is refused in words.
    let bureau = session_of(&app, "liwan-bureau").await;
    let html = page_html(&app, &bureau, &tab).await;
    let due_path = format!("/rectifications/{}/due", id_of(&item));
    let moving = |date: String| {
        vec![
            ("csrf", csrf_in(&html)),
            ("evaluation_id", id.to_string()),
            ("version", version(2)),
            ("due_on", date),
        ]
    };
    let bad = post_fields(&app, &bureau, &due_path, &moving("明天".to_owned())).await;
    assert_eq!(bad.status(), StatusCode::OK);
    let bad = bad.text().await.expect("html");
    let form = format!("item-{}-due", id_of(&item));
    assert!(
        bad.contains(&format!(
            r#"<p class="field-error" id="{form}-due_on-error">请填写有效的整改期限日期</p>"#
        )),
        "the date's error beside it"
    );
    assert!(bad.contains(r#"value="明天""#), "what was typed");
    let later = (today() + Duration::days(10)).to_string();
    let moved = post_fields(&app, &bureau, &due_path, &moving(later.clone())).await;
    assert_eq!(moved.status(), StatusCode::SEE_OTHER);
    let now = items_of(&app, &s, &who.station).await;
    let now = now.iter().find(|i| i["id"] == item["id"]).expect("item");
    assert_eq!(now["due_on"], later);
}

async fn the_loop_runs_in_the_browser_at_desk_and_phone_width(backend: Backend) {
    use crate::journey::{click, type_into, upload_file};
    use crate::pages::{
        Driver, ENTER, log_in, mark_page, press_keys, screenshot, scrolls_sideways, tab_until,
        text_of, wait_for_next_page, wait_for_path,
    };

    let app = TestApp::spawn(backend).await;
    let (_s, _who, id, items) = approved(&app).await;
    let item = items
        .iter()
        .find(|i| i["text"] == CONCERNS[0])
        .cloned()
        .expect("item");
    let at = format!("#item-{}", id_of(&item));
    let driver = Driver::start().await;
    let name = format!("{backend:?}").to_lowercase();
    let open_tab = async |width: u32, username: &str| {
        let browser = driver.browser(width, 900).await;
        let path = format!("/evaluations/{id}?tab=rectification");
        browser.goto(&app.url(&path)).await.expect("page");
        log_in(&browser, username).await;
        wait_for_path(&browser, &format!("/evaluations/{id}")).await;
        browser.goto(&app.url(&path)).await.expect("tab");
        wait_for_path(&browser, &format!("/evaluations/{id}")).await;
        browser
    };

    // The station, on a phone: its measures and a scanned ledger, then submitted.
    let station = open_tab(360, "liwan-station").await;
    assert!(!scrolls_sideways(&station).await, "the 整改 tab at 360 px");
    let evidence = upload_file("ledger.pdf", &pdf(3_000));
    type_into(
        &station,
        &format!("#item-{}-evidence-file", id_of(&item)),
        &evidence,
    )
    .await;
    click(
        &station,
        &format!("{at} form[action$='/evidence'] button"),
        false,
    )
    .await;
    assert!(
        text_of(&station, &at)
            .await
            .contains("整改佐证：ledger.pdf")
    );
    // By keyboard alone. 提交整改情况 with no measures first: refused, the error beside the
    // field and in the form's summary, which has the focus; on the item's tab and address.
    let field = format!("#item-{}-answer-action_taken", id_of(&item));
    tab_until(&station, &format!("{at} button[value='answered']")).await;
    mark_page(&station).await;
    press_keys(&station, ENTER).await;
    wait_for_next_page(&station).await;
    assert_eq!(
        text_of(&station, &format!("{at} .error-summary a[href='{field}']")).await,
        "请填写整改措施"
    );
    assert_eq!(
        text_of(&station, &format!("{field}-error")).await,
        "请填写整改措施"
    );
    let focused = station
        .execute("return document.activeElement.className;", vec![])
        .await
        .expect("focus");
    assert_eq!(focused, "error error-summary", "the summary has the focus");
    let address = station.current_url().await.expect("url");
    assert_eq!(
        address.query(),
        Some("tab=rectification"),
        "the tab's address"
    );
    screenshot(&station, &format!("rectification-{name}-refused-360")).await;
    // From the summary: Tab to the field, type, Tab to 提交整改情况, Enter.
    tab_until(&station, &field).await;
    press_keys(&station, "已建立台账月检制度。").await;
    tab_until(&station, &format!("{at} button[value='answered']")).await;
    mark_page(&station).await;
    press_keys(&station, ENTER).await;
    wait_for_next_page(&station).await;
    assert_eq!(text_of(&station, "#confirmation").await, "整改事项已保存。");
    assert!(
        text_of(&station, &at)
            .await
            .contains("整改情况：已整改，待核验")
    );
    screenshot(&station, &format!("rectification-{name}-station-360")).await;
    station.close().await.expect("closed");

    // The agency, at a desk: 我的待办 leads to the item, which it verifies.
    let agency = driver.browser(1280, 900).await;
    agency.goto(&app.url("/")).await.expect("page");
    log_in(&agency, "liwan-agency").await;
    wait_for_path(&agency, "/").await;
    assert!(
        text_of(&agency, "#rectification-todo")
            .await
            .contains(CONCERNS[0])
    );
    click(&agency, "#rectification-todo a", false).await;
    wait_for_path(&agency, &format!("/evaluations/{id}")).await;
    click(
        &agency,
        &format!("{at} button[name='passed'][value='true']"),
        false,
    )
    .await;
    let verified = text_of(&agency, &at).await;
    assert!(verified.contains("整改情况：已核验通过"), "{verified}");
    screenshot(&agency, &format!("rectification-{name}-agency-1280")).await;
    agency.close().await.expect("closed");
    driver.stop().await;
}
