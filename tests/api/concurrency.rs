//! Concurrent writes on one evaluation: each state-dependent write holds the evaluation's lock
//! before its checks (`db::evaluation_transaction`), so writers that sent no version wait for
//! one another instead of failing, and no write lands in a stage another has just ended.
//! SQLite's single writer hides these races; PostgreSQL is where they show.

use futures_util::future::join_all;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;
use crate::self_assessment::opened;
use crate::workflow::fire;

both_backends!(
    writers_without_a_version_never_get_a_stale_version,
    feedback_with_an_objection_never_lands_after_submit_for_review,
    evidence_never_lands_after_the_self_assessment_is_submitted,
    a_component_is_never_withdrawn_from_an_issued_draft,
    a_revised_draft_never_lands_in_the_bureaus_review,
    two_first_drafts_at_once_take_different_report_numbers,
);

async fn writers_without_a_version_never_get_a_stale_version(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_s, who, id, zones) = opened(&app).await;
    let narrative = format!("/api/v1/evaluations/{id}/self-assessment");
    let indicators = format!("/api/v1/evaluations/{id}/indicators");
    let before = app
        .get_json(&format!("/api/v1/evaluations/{id}"), Some(&who.station))
        .await;
    // Four clients, forty writes each, none sending a version: every one goes through.
    let clients = (0..4).map(|client| {
        let (app, token) = (&app, who.station.clone());
        let (narrative, indicators, zone) = (&narrative, &indicators, zones[client % zones.len()]);
        async move {
            let mut statuses = Vec::new();
            for n in 0..40 {
                let response = if n % 2 == 0 {
                    let body = json!({"narrative": format!("第 {client} 位第 {n} 次保存")});
                    app.request(Method::PUT, narrative, Some(&token), Some(&body))
                        .await
                } else {
                    let body = json!({"rows": [{"indicator": "visits.home", "zone_id": zone,
                                               "completed": format!("{n}")}]});
                    app.request(Method::PUT, indicators, Some(&token), Some(&body))
                        .await
                };
                statuses.push(response.status());
            }
            statuses
        }
    });
    let statuses: Vec<StatusCode> = join_all(clients).await.into_iter().flatten().collect();
    let refused: Vec<_> = statuses.iter().filter(|s| **s != StatusCode::OK).collect();
    assert!(
        refused.is_empty(),
        "{} of 160 refused: {refused:?}",
        refused.len()
    );
    let after = app
        .get_json(&format!("/api/v1/evaluations/{id}"), Some(&who.station))
        .await;
    let versions = after["version"].as_i64().unwrap_or(0) - before["version"].as_i64().unwrap_or(0);
    assert_eq!(versions, 160, "each write took its own version");
    let verify = app.cli(&["audit", "verify"], None).await;
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
}

/// The unanswered objections of the evaluation's feedback.
async fn unanswered(app: &TestApp, token: &str, id: i64) -> Vec<i64> {
    let listed = app
        .get_json(&format!("/api/v1/evaluations/{id}/feedback"), Some(token))
        .await;
    listed["items"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|f| f["objections"].as_array().cloned().unwrap_or_default())
        .filter(|o| o["decision"].is_null())
        .filter_map(|o| o["id"].as_i64())
        .collect()
}

async fn state_of(app: &TestApp, token: &str, id: i64) -> String {
    let view = app
        .get_json(&format!("/api/v1/evaluations/{id}"), Some(token))
        .await;
    view["state"].as_str().unwrap_or("").to_owned()
}

async fn feedback_with_an_objection_never_lands_after_submit_for_review(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (s, who, id) = crate::scoring::onsite(&app).await;
    crate::scoring::score_all(&app, &s, &who, id, "race").await;
    crate::workflow::fire_ok(&app, &who.agency, id, "issue_draft", None, "draft_feedback").await;
    // The feedback deadlines are past: submit_for_review needs only every objection answered,
    // and the station may still give (late) feedback — the two race.
    let (mut feedback_first, mut submit_first) = (0, 0);
    for round in 0..12 {
        let revised = app
            .post(
                &format!("/api/v1/evaluations/{id}/reports"),
                Some(&who.agency),
                &json!({}),
            )
            .await;
        assert_eq!(revised.status(), StatusCode::CREATED, "round {round}");
        let draft = id_of(&revised.json::<Value>().await.expect("json"));
        let objection = json!({"report_id": draft, "no_objection": false, "remarks": "",
            "objections": [{"section": "zones", "text": format!("第 {round} 轮异议")}]});
        let feedback_path = format!("/api/v1/evaluations/{id}/feedback");
        let (given, submitted) = tokio::join!(
            app.post(&feedback_path, Some(&who.station), &objection),
            fire(&app, &who.agency, id, "submit_for_review", None),
        );
        let (given, submitted) = (given.status(), submitted.status());
        let state = state_of(&app, &s.bureau, id).await;
        let open = unanswered(&app, &s.bureau, id).await;
        // The invariant: nothing reaches the bureau with an objection unanswered.
        assert!(
            state != "bureau_review" || open.is_empty(),
            "round {round}: feedback {given}, submit {submitted}, {state} with {open:?} unanswered"
        );
        assert!(
            given.is_success() != submitted.is_success(),
            "round {round}: exactly one goes through (feedback {given}, submit {submitted})"
        );
        if state == "bureau_review" {
            submit_first += 1;
            crate::workflow::fire_ok(
                &app,
                &s.bureau,
                id,
                "return_draft",
                Some("再议"),
                "draft_feedback",
            )
            .await;
        } else {
            feedback_first += 1;
            for objection in open {
                let reply = json!({"decision": "accepted", "reply": "已修改"});
                let answered = app
                    .post(
                        &format!("/api/v1/objections/{objection}/response"),
                        Some(&who.agency),
                        &reply,
                    )
                    .await;
                assert_eq!(answered.status(), StatusCode::OK);
            }
        }
    }
    eprintln!("feedback first {feedback_first}, submit first {submit_first}");
    let verify = app.cli(&["audit", "verify"], None).await;
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
}

const BOUNDARY: &str = "pinggu-concurrency-boundary";

fn evidence() -> Vec<u8> {
    let mut body = format!(
        "--{BOUNDARY}\r\ncontent-disposition: form-data; name=\"file\"; filename=\"签到表.pdf\"\r\n\
         content-type: application/pdf\r\n\r\n%PDF-1.7\n"
    )
    .into_bytes();
    body.extend_from_slice(&[b' '; 4096]);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn evidence_never_lands_after_the_self_assessment_is_submitted(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_s, who, id, zones) = opened(&app).await;
    crate::self_assessment::fill(&app, &who.station, id, &zones).await;
    let path = format!("/api/v1/evaluations/{id}/attachments");
    let content_type = format!("multipart/form-data; boundary={BOUNDARY}");
    for round in 0..10 {
        let (uploaded, submitted) = tokio::join!(
            app.upload(&path, &who.station, &content_type, evidence()),
            fire(&app, &who.station, id, "submit_self_assessment", None),
        );
        let (uploaded, submitted) = (uploaded.status(), submitted.status());
        assert_eq!(submitted, StatusCode::OK, "round {round}");
        // The upload either came first or was refused: never stored in onsite_scoring.
        let done = actions(&app, &who.agency, id).await;
        came_first_or_was_refused(
            &done,
            (uploaded, "upload_attachment"),
            "submit_self_assessment",
            round,
        );
        crate::workflow::fire_ok(
            &app,
            &who.agency,
            id,
            "return_self_assessment",
            Some("再核"),
            "self_assessment",
        )
        .await;
    }
}

async fn a_component_is_never_withdrawn_from_an_issued_draft(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (s, who, id) = crate::scoring::onsite(&app).await;
    crate::scoring::score_all(&app, &s, &who, id, "wd").await;
    let street = token_of(&app.login_ok("wd-street", PASSWORD).await);
    let component = format!("/api/v1/evaluations/{id}/components/purchaser");
    // The street office withdraws its component as the agency issues the draft: the draft is
    // issued with every component submitted, or the withdrawal stops it — never both. A lost
    // round (the withdrawal first) is submitted again and raced again.
    let withdraw = format!("{component}/withdraw");
    for round in 0..20 {
        let (withdrawn, issued) = tokio::join!(
            app.request(Method::POST, &withdraw, Some(&street), None),
            fire(&app, &who.agency, id, "issue_draft", None),
        );
        let (withdrawn, issued) = (withdrawn.status(), issued.status());
        assert!(
            withdrawn.is_success() != issued.is_success(),
            "round {round}: withdraw {withdrawn}, issue_draft {issued}"
        );
        let now = app.get_json(&component, Some(&street)).await;
        if issued.is_success() {
            assert_eq!(
                now["status"], "submitted",
                "round {round}: the draft's component"
            );
            assert_eq!(state_of(&app, &who.agency, id).await, "draft_feedback");
            eprintln!("issue_draft won in round {round}");
            return;
        }
        assert_eq!(now["status"], "draft", "round {round}");
        let again = app
            .request(
                Method::POST,
                &format!("{component}/submit"),
                Some(&street),
                None,
            )
            .await;
        assert_eq!(again.status(), StatusCode::OK, "round {round}");
    }
}

/// A write that raced the transition `ending` its stage: created (201) and recorded before it,
/// or refused (409).
fn came_first_or_was_refused(
    done: &[String],
    (status, action): (StatusCode, &str),
    ending: &str,
    round: usize,
) {
    if status == StatusCode::CREATED {
        let written_at = done.iter().rposition(|a| a == action);
        let ended_at = done.iter().rposition(|a| a == ending);
        assert!(written_at < ended_at, "round {round}: {done:?}");
    } else {
        assert_eq!(status, StatusCode::CONFLICT, "round {round}");
    }
}

/// The actions of the evaluation's timeline, oldest first.
async fn actions(app: &TestApp, token: &str, id: i64) -> Vec<String> {
    let timeline = app
        .get_json(&format!("/api/v1/evaluations/{id}/timeline"), Some(token))
        .await;
    timeline["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["action"].as_str().map(str::to_owned))
        .collect()
}

async fn a_revised_draft_never_lands_in_the_bureaus_review(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (s, who, id) = crate::scoring::onsite(&app).await;
    crate::scoring::score_all(&app, &s, &who, id, "rev").await;
    crate::workflow::fire_ok(&app, &who.agency, id, "issue_draft", None, "draft_feedback").await;
    let reports = format!("/api/v1/evaluations/{id}/reports");
    let nothing = json!({});
    for round in 0..8 {
        let (revised, submitted) = tokio::join!(
            app.post(&reports, Some(&who.agency), &nothing),
            fire(&app, &who.agency, id, "submit_for_review", None),
        );
        let (revised, submitted) = (revised.status(), submitted.status());
        assert_eq!(
            submitted,
            StatusCode::OK,
            "round {round}: the deadlines are past"
        );
        // Issued while the draft was out for feedback, before it went to the bureau.
        let done = actions(&app, &who.agency, id).await;
        came_first_or_was_refused(&done, (revised, "revise_draft"), "submit_for_review", round);
        crate::workflow::fire_ok(
            &app,
            &s.bureau,
            id,
            "return_draft",
            Some("再议"),
            "draft_feedback",
        )
        .await;
    }
}

/// The report number of the evaluation's newest version.
async fn newest_number(app: &TestApp, token: &str, id: i64) -> String {
    let versions = app
        .get_json(&format!("/api/v1/evaluations/{id}/reports"), Some(token))
        .await;
    versions["items"]
        .as_array()
        .and_then(|items| items.last())
        .and_then(|v| v["number"].as_str())
        .map(str::to_owned)
        .expect("a numbered report version")
}

async fn two_first_drafts_at_once_take_different_report_numbers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (s, who, first) = crate::scoring::onsite(&app).await;
    crate::scoring::score_all(&app, &s, &who, first, "na").await;
    // The same agency's second evaluation: the station's 末期 one.
    let mut body = crate::evaluations::evaluation_body(&s);
    body["kind"] = json!("final_term");
    let response = app
        .post("/api/v1/evaluations", Some(&s.bureau), &body)
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let second = id_of(&response.json::<Value>().await.expect("json"));
    let zones = crate::self_assessment::open(&app, &s, &who, second).await;
    crate::self_assessment::fill_and_submit(&app, &who.station, second, &zones).await;
    crate::scoring::score_all(&app, &s, &who, second, "nb").await;

    // Both first drafts at once: each takes the next of the agency's numbers, none twice.
    let (a, b) = tokio::join!(
        fire(&app, &who.agency, first, "issue_draft", None),
        fire(&app, &who.agency, second, "issue_draft", None),
    );
    assert_eq!((a.status(), b.status()), (StatusCode::OK, StatusCode::OK));
    let mut numbers = vec![
        newest_number(&app, &who.agency, first).await,
        newest_number(&app, &who.agency, second).await,
    ];
    numbers.sort();
    let year = numbers[0]
        .split(['〔', '〕'])
        .nth(1)
        .expect("the year")
        .to_owned();
    assert_eq!(
        numbers,
        [
            format!("荔湾评估机构〔{year}〕第001号"),
            format!("荔湾评估机构〔{year}〕第002号")
        ]
    );

    // A revised draft is the same report: it keeps the number.
    let before = newest_number(&app, &who.agency, first).await;
    let revised = app
        .post(
            &format!("/api/v1/evaluations/{first}/reports"),
            Some(&who.agency),
            &json!({}),
        )
        .await;
    assert!(revised.status().is_success(), "{}", revised.status());
    assert_eq!(newest_number(&app, &who.agency, first).await, before);
}
