//! Scoring end to end: the expert panel (conflicts, recusal, sheets, concurrency), the parties'
//! components, the weighted total and grade (DESIGN.md §4), and the issue_draft guard.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::evaluations::{Setup, evaluation_body};
use crate::helpers::*;
use crate::self_assessment::{annex_roster, opened, put};
use crate::workflow::{Actors, fire, fire_ok};

both_backends!(
    xicun_scores_89_08_and_is_graded_good,
    the_panel_flags_conflicts_recuses_and_loses_nothing,
    a_total_of_80_00_is_good_and_79_99_is_a_pass,
    guangzhou_2019_works_end_to_end_and_a_failed_gate_fails,
);

pub fn org(s: &Setup, label: &str) -> i64 {
    s.orgs
        .iter()
        .find(|(l, _)| l == label)
        .map(|(_, id)| *id)
        .expect("org")
}

/// A new user of `label`'s organization, logged in: (id, token).
pub async fn user(app: &TestApp, s: &Setup, name: &str, label: &str, role: &str) -> (i64, String) {
    let id = app.create_user(&s.admin, name, org(s, label), role).await;
    (id, token_of(&app.login_ok(name, PASSWORD).await))
}

fn hundredths(points: &str) -> i64 {
    let (whole, fraction) = points.split_once('.').unwrap_or((points, "0"));
    let fraction = format!("{fraction:0<2}");
    whole.parse::<i64>().expect("whole") * 100 + fraction[..2].parse::<i64>().expect("fraction")
}

fn points(hundredths: i64) -> String {
    format!("{}.{:02}", hundredths / 100, hundredths % 100)
}

/// Scores for every item of `sheet` (as GET …/expert-scores/me answers) that add up to `total`,
/// filling items to their maximum in order.
pub fn scores_for(sheet: &Value, total: &str) -> Value {
    let mut left = hundredths(total);
    let items: Vec<Value> = sheet["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| {
            let max = hundredths(item["max_points"].as_str().expect("max"));
            let score = left.min(max);
            left -= score;
            json!({"item": item["item"], "score": points(score)})
        })
        .collect();
    assert_eq!(left, 0, "{total} is above the sheet's maximum");
    json!({"conflict_of_interest": false, "items": items})
}

pub(crate) async fn sheet_path(id: i64) -> String {
    format!("/api/v1/evaluations/{id}/expert-scores/me")
}

/// Puts a body and answers its JSON, asserting 200.
pub(crate) async fn put_ok(app: &TestApp, token: &str, path: &str, body: &Value) -> Value {
    let response = app
        .request(Method::PUT, path, Some(token), Some(body))
        .await;
    let status = response.status();
    let answer: Value = response.json().await.expect("json");
    assert_eq!(status, StatusCode::OK, "PUT {path}: {answer}");
    answer
}

pub(crate) async fn post_ok(app: &TestApp, token: &str, path: &str) -> Value {
    let response = app.request(Method::POST, path, Some(token), None).await;
    let status = response.status();
    let answer: Value = response.json().await.expect("json");
    assert_eq!(status, StatusCode::OK, "POST {path}: {answer}");
    answer
}

/// Three experts of the agency (named `{key}-expert-N`), assigned by its manager, each
/// declaring no conflict and submitting a sheet with the given total. In onsite_scoring.
pub async fn panel(app: &TestApp, s: &Setup, who: &Actors, id: i64, key: &str, totals: &[&str]) {
    for (n, total) in totals.iter().enumerate() {
        let (expert, token) = user(app, s, &format!("{key}-expert-{n}"), "agency", "expert").await;
        let assigned = app
            .post(
                &format!("/api/v1/evaluations/{id}/experts"),
                Some(&who.agency),
                &json!({"user_id": expert}),
            )
            .await;
        assert_eq!(assigned.status(), StatusCode::CREATED);
        let path = sheet_path(id).await;
        let sheet = app.get_json(&path, Some(&token)).await;
        put_ok(app, &token, &path, &scores_for(&sheet, total)).await;
        let submitted = post_ok(app, &token, &format!("{path}/submit")).await;
        assert_eq!(submitted["total"], *total);
    }
}

/// Saves a party's component and submits it as the party's manager.
pub async fn submit_component(app: &TestApp, token: &str, id: i64, party: &str, body: &Value) {
    let path = format!("/api/v1/evaluations/{id}/components/{party}");
    put_ok(app, token, &path, body).await;
    let submitted = post_ok(app, token, &format!("{path}/submit")).await;
    assert_eq!(submitted["status"], "submitted");
}

/// Every component of a guangzhou-2023 evaluation in onsite_scoring, with 西村街's figures
/// (20.00 / 8.30 / 13.80, and experts whose sheets mean 46.98), so that the draft can be issued.
pub async fn score_all(app: &TestApp, s: &Setup, who: &Actors, id: i64, key: &str) {
    let said = json!({"third_party": {"strengths": [{"section": "execution", "text": "服务指标总体完成"}]}});
    score_all_saying(app, s, who, id, key, &said).await;
}

/// As `score_all`, each party saying what `said[party]` holds (strengths, concerns, conclusion).
pub async fn score_all_saying(
    app: &TestApp,
    s: &Setup,
    who: &Actors,
    id: i64,
    key: &str,
    said: &Value,
) {
    let body = |party: &str, raw: Option<&str>| {
        let mut body = said.get(party).cloned().unwrap_or_else(|| json!({}));
        if let Some(raw) = raw {
            body["raw_score"] = json!(raw);
        }
        body
    };
    let (_, street) = user(app, s, &format!("{key}-street"), "street", "manager").await;
    let (_, center) = user(app, s, &format!("{key}-center"), "center", "manager").await;
    submit_component(
        app,
        &street,
        id,
        "purchaser",
        &body("purchaser", Some("20.00")),
    )
    .await;
    submit_component(
        app,
        &s.bureau,
        id,
        "supervisor",
        &body("supervisor", Some("8.30")),
    )
    .await;
    submit_component(app, &center, id, "center", &body("center", Some("13.80"))).await;
    panel(app, s, who, id, key, &["46.98", "46.98", "46.99"]).await;
    submit_component(
        app,
        &who.agency,
        id,
        "third_party",
        &body("third_party", None),
    )
    .await;
}

fn line(score: &Value, party: &str) -> Value {
    score["components"]
        .as_array()
        .expect("components")
        .iter()
        .find(|c| c["party"] == party)
        .cloned()
        .expect("line")
}

/// An opened guangzhou-2023 evaluation with its self-assessment submitted (so mail is queued
/// for open and submit_self_assessment).
pub async fn onsite(app: &TestApp) -> (Setup, Actors, i64) {
    let (s, who, id, zones) = opened(app).await;
    crate::self_assessment::fill_and_submit(app, &who.station, id, &zones).await;
    (s, who, id)
}

async fn xicun_scores_89_08_and_is_graded_good(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (s, who, id) = onsite(&app).await;

    // The guard names every party still to submit.
    let refused = assert_problem(
        fire(&app, &who.agency, id, "issue_draft", None).await,
        StatusCode::CONFLICT,
        "transition-refused",
    )
    .await;
    assert_eq!(
        refused["missing"],
        json!([
            "监督方（区民政局）尚未提交评分",
            "购买方（街道办事处）尚未提交评分",
            "督导中心（市社会工作督导中心）尚未提交评分",
            "第三方评估机构尚未提交评分"
        ])
    );

    score_all(&app, &s, &who, id, "xc").await;
    let score_path = format!("/api/v1/evaluations/{id}/score");
    let score = app.get_json(&score_path, Some(&s.admin)).await;
    let figures: Vec<(&str, &str, &str)> = score["components"]
        .as_array()
        .expect("components")
        .iter()
        .map(|c| {
            (
                c["party"].as_str().unwrap_or(""),
                c["raw_score"].as_str().unwrap_or(""),
                c["score"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        figures,
        [
            ("supervisor", "8.30", "8.30"),
            ("purchaser", "20.00", "20.00"),
            ("center", "13.80", "13.80"),
            ("third_party", "46.98", "46.98"),
        ]
    );
    assert_eq!(score["total"], "89.08");
    assert_eq!(score["grade"], json!({"code": "good", "name": "良好"}));
    assert_eq!(score["gate_failed"], false);

    // Before the draft the street office sees its own component only, and never a sheet.
    let (_, street_member) = user(&app, &s, "xc-street-member", "street", "member").await;
    let seen = app.get_json(&score_path, Some(&street_member)).await;
    assert_eq!(line(&seen, "purchaser")["score"], "20.00");
    for party in ["supervisor", "center", "third_party"] {
        assert_eq!(line(&seen, party)["score"], Value::Null, "{party}");
        assert_eq!(line(&seen, party)["status"], "submitted", "{party}");
    }
    assert_eq!(seen["total"], Value::Null);
    let view = app
        .get_json(&format!("/api/v1/evaluations/{id}"), Some(&street_member))
        .await;
    assert_eq!(view["score"], Value::Null);
    let experts_path = format!("/api/v1/evaluations/{id}/experts");
    for token in [&street_member, &s.bureau, &who.station] {
        assert_problem(
            app.get(&experts_path, Some(token)).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
        assert_problem(
            app.get(&sheet_path(id).await, Some(token)).await,
            StatusCode::NOT_FOUND,
            "not-found",
        )
        .await;
    }
    // Nor in the timeline: the entries are there, their contents are not.
    let timeline = app
        .get_json(
            &format!("/api/v1/evaluations/{id}/timeline"),
            Some(&street_member),
        )
        .await;
    let items = timeline["items"].as_array().expect("items");
    let summary = |action: &str, entity: &str| {
        items
            .iter()
            .filter(|i| i["action"] == action && i["entity"] == entity)
            .map(|i| i["summary"].as_str().unwrap_or("").to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        summary("save_expert_sheet", "expert_sheet"),
        ["（专家评分只对评估机构公开）"; 3]
    );
    let components = summary("save_component", "component");
    assert_eq!(components.len(), 4);
    assert!(
        components.iter().any(|s| s.contains("20.00")),
        "{components:?}"
    );
    assert!(
        !components.iter().any(|s| s.contains("8.30")),
        "{components:?}"
    );
    // An expert sees their own sheet, not the panel's.
    let expert = token_of(&app.login_ok("xc-expert-2", PASSWORD).await);
    assert_eq!(
        app.get_json(&sheet_path(id).await, Some(&expert)).await["total"],
        "46.99"
    );
    assert_problem(
        app.get(&experts_path, Some(&expert)).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let panel = app.get_json(&experts_path, Some(&who.agency)).await;
    assert_eq!(
        (panel["submitted"].as_i64(), panel["min_experts"].as_i64()),
        (Some(3), Some(3))
    );

    // From issue_draft on, every party sees every component and the grade.
    let drafted = fire_ok(&app, &who.agency, id, "issue_draft", None, "draft_feedback").await;
    assert_eq!(
        drafted["score"],
        json!({"total": "89.08", "grade": {"code": "good", "name": "良好"}, "gate_failed": false})
    );
    let seen = app.get_json(&score_path, Some(&street_member)).await;
    assert_eq!(seen["total"], "89.08");
    assert_eq!(line(&seen, "supervisor")["score"], "8.30");
    assert_eq!(line(&seen, "third_party")["score"], "46.98");
    let listed = app
        .get_json("/api/v1/evaluations", Some(&who.station))
        .await;
    assert_eq!(listed["items"][0]["score"]["total"], "89.08");
    // Individual sheets stay with the agency.
    assert_problem(
        app.get(&experts_path, Some(&street_member)).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
}

async fn the_panel_flags_conflicts_recuses_and_loses_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (s, who, id) = onsite(&app).await;
    let experts_path = format!("/api/v1/evaluations/{id}/experts");
    let mut experts = Vec::new();
    for n in 0..4 {
        experts.push(user(&app, &s, &format!("expert-{n}"), "agency", "expert").await);
    }
    let (_, agency_member) = user(&app, &s, "agency-member", "agency", "member").await;

    // The first expert once advised the station's operator: flagged, and assigned only with a
    // reason.
    let affiliations = json!({"organizations": ["某公益基金会", " 荔湾社工服务中心 "]});
    let saved = put_ok(
        &app,
        &experts[0].1,
        "/api/v1/me/affiliations",
        &affiliations,
    )
    .await;
    assert_eq!(
        saved["organizations"],
        json!(["某公益基金会", "荔湾社工服务中心"])
    );
    assert_problem(
        app.request(
            Method::PUT,
            "/api/v1/me/affiliations",
            Some(&who.agency),
            Some(&affiliations),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let panel = app.get_json(&experts_path, Some(&who.agency)).await;
    let flags: Vec<(i64, bool)> = panel["candidates"]
        .as_array()
        .expect("candidates")
        .iter()
        .map(|c| {
            (
                c["user_id"].as_i64().unwrap_or(0),
                c["conflict_flag"] == true,
            )
        })
        .collect();
    assert_eq!(
        flags,
        experts
            .iter()
            .enumerate()
            .map(|(n, (id, _))| (*id, n == 0))
            .collect::<Vec<_>>()
    );
    let conflict = assert_problem(
        app.post(
            &experts_path,
            Some(&who.agency),
            &json!({"user_id": experts[0].0}),
        )
        .await,
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;
    assert_eq!(error_fields(&conflict), ["override_reason"]);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM panel").await, 0);
    assert_problem(
        app.post(
            &experts_path,
            Some(&agency_member),
            &json!({"user_id": experts[1].0}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let not_an_expert = assert_problem(
        app.post(&experts_path, Some(&who.agency), &json!({"user_id": 1}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(error_fields(&not_an_expert), ["user_id"]);
    let overridden = app
        .post(
            &experts_path,
            Some(&who.agency),
            &json!({"user_id": experts[0].0, "override_reason": "合作已于三年前结束"}),
        )
        .await;
    assert_eq!(overridden.status(), StatusCode::CREATED);
    for (expert, _) in &experts[1..3] {
        let assigned = app
            .post(
                &experts_path,
                Some(&who.agency),
                &json!({"user_id": expert}),
            )
            .await;
        assert_eq!(assigned.status(), StatusCode::CREATED);
    }
    let panel = app.get_json(&experts_path, Some(&agency_member)).await;
    assert_eq!(panel["members"][0]["conflict_flag"], true);
    assert_eq!(panel["members"][0]["override_reason"], "合作已于三年前结束");
    assert_eq!(panel["candidates"].as_array().map(Vec::len), Some(1));

    // The sheet opens after the declaration; a declared conflict recuses the expert.
    let path = sheet_path(id).await;
    let blank = app.get_json(&path, Some(&experts[0].1)).await;
    assert_eq!(blank["items"].as_array().map(Vec::len), Some(14));
    let mut early = scores_for(&blank, "40.00");
    early
        .as_object_mut()
        .map(|o| o.remove("conflict_of_interest"));
    let undeclared = assert_problem(
        app.request(Method::PUT, &path, Some(&experts[0].1), Some(&early))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(error_fields(&undeclared), ["conflict_of_interest"]);
    put_ok(
        &app,
        &experts[0].1,
        &path,
        &json!({"conflict_of_interest": true}),
    )
    .await;
    assert_problem(
        app.request(
            Method::PUT,
            &path,
            Some(&experts[0].1),
            Some(&scores_for(&blank, "40.00")),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_problem(
        app.request(
            Method::POST,
            &format!("{path}/submit"),
            Some(&experts[0].1),
            None,
        )
        .await,
        StatusCode::CONFLICT,
        "transition-refused",
    )
    .await;

    // Input rules of §4, by item.
    let first = blank["items"][0]["item"].clone();
    for bad in ["5.001", "-1.00", "5.01"] {
        let body = json!({"conflict_of_interest": false, "items": [{"item": first, "score": bad}]});
        let problem = assert_problem(
            app.request(Method::PUT, &path, Some(&experts[1].1), Some(&body))
                .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
        )
        .await;
        assert_eq!(error_fields(&problem), ["items[0].score"], "{bad}");
    }
    let unknown =
        json!({"conflict_of_interest": false, "items": [{"item": "nowhere", "score": "1"}]});
    let problem = assert_problem(
        app.request(Method::PUT, &path, Some(&experts[1].1), Some(&unknown))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(error_fields(&problem), ["items[0].item"]);

    // Two experts and the manager write at once: nothing is lost.
    let component = format!("/api/v1/evaluations/{id}/components/third_party");
    let comments = json!({"concerns": [{"section": "execution", "text": "小组工作偏少"}]});
    let sheet_one = scores_for(&blank, "41.25");
    let sheet_two = scores_for(&blank, "43.50");
    let (one, two, manager) = tokio::join!(
        app.request(Method::PUT, &path, Some(&experts[1].1), Some(&sheet_one)),
        app.request(Method::PUT, &path, Some(&experts[2].1), Some(&sheet_two)),
        app.request(Method::PUT, &component, Some(&who.agency), Some(&comments)),
    );
    for response in [one, two, manager] {
        assert_eq!(response.status(), StatusCode::OK);
    }
    let mine = app.get_json(&path, Some(&experts[1].1)).await;
    // Version 1 is the blank sheet of the assignment.
    assert_eq!(
        (mine["total"].as_str(), mine["version"].as_i64()),
        (Some("41.25"), Some(2))
    );
    assert_eq!(
        app.get_json(&path, Some(&experts[2].1)).await["total"],
        "43.50"
    );
    let written = app.get_json(&component, Some(&who.agency)).await;
    assert_eq!(written["concerns"][0]["text"], "小组工作偏少");

    // The same component from two agency users who saw the same version: one wins, one gets 409.
    let mut from_manager = comments.clone();
    from_manager["version"] = json!(1);
    let from_member = json!({"strengths": [{"text": "台账规范"}], "version": 1});
    let (a, b) = tokio::join!(
        app.request(
            Method::PUT,
            &component,
            Some(&who.agency),
            Some(&from_manager)
        ),
        app.request(
            Method::PUT,
            &component,
            Some(&agency_member),
            Some(&from_member)
        ),
    );
    let mut statuses = [a.status(), b.status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT]);
    // An expert's stale write too.
    let mut stale = sheet_two.clone();
    stale["version"] = json!(1);
    let problem = assert_problem(
        app.request(Method::PUT, &path, Some(&experts[2].1), Some(&stale))
            .await,
        StatusCode::CONFLICT,
        "version-conflict",
    )
    .await;
    assert_eq!(problem["current_version"], 2);

    // Two non-recused sheets are not enough for the third party.
    for (_, token) in &experts[1..3] {
        post_ok(&app, token, &format!("{path}/submit")).await;
    }
    let panel = app.get_json(&experts_path, Some(&who.agency)).await;
    assert_eq!(panel["submitted"], 2);
    let short = assert_problem(
        app.request(
            Method::POST,
            &format!("{component}/submit"),
            Some(&who.agency),
            None,
        )
        .await,
        StatusCode::CONFLICT,
        "transition-refused",
    )
    .await;
    assert!(
        short["missing"][0]
            .as_str()
            .is_some_and(|m| m.contains("至少 3 名")),
        "{short}"
    );
    let assigned = app
        .post(
            &experts_path,
            Some(&who.agency),
            &json!({"user_id": experts[3].0}),
        )
        .await;
    assert_eq!(assigned.status(), StatusCode::CREATED);
    put_ok(&app, &experts[3].1, &path, &scores_for(&blank, "45.00")).await;
    post_ok(&app, &experts[3].1, &format!("{path}/submit")).await;
    let submitted = post_ok(&app, &who.agency, &format!("{component}/submit")).await;
    // (41.25 + 43.50 + 45.00) / 3 = 43.25, the recused expert left out.
    assert_eq!(submitted["raw_score"], "43.25");
    let score = app
        .get_json(
            &format!("/api/v1/evaluations/{id}/score"),
            Some(&who.agency),
        )
        .await;
    assert_eq!(line(&score, "third_party")["score"], "43.25");
}

async fn a_total_of_80_00_is_good_and_79_99_is_a_pass(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (s, who, id) = onsite(&app).await;
    let (_, street) = user(&app, &s, "street", "street", "manager").await;
    let (_, center) = user(&app, &s, "center", "center", "manager").await;
    submit_component(
        &app,
        &street,
        id,
        "purchaser",
        &json!({"raw_score": "20.00"}),
    )
    .await;
    submit_component(
        &app,
        &s.bureau,
        id,
        "supervisor",
        &json!({"raw_score": "10.00"}),
    )
    .await;
    submit_component(&app, &center, id, "center", &json!({"raw_score": "15.00"})).await;
    panel(&app, &s, &who, id, "b", &["35.00", "34.99", "35.01"]).await;
    submit_component(&app, &who.agency, id, "third_party", &json!({})).await;
    let path = format!("/api/v1/evaluations/{id}/score");
    let score = app.get_json(&path, Some(&s.admin)).await;
    assert_eq!(
        (score["total"].as_str(), score["grade"]["name"].as_str()),
        (Some("80.00"), Some("良好"))
    );

    let purchaser = format!("/api/v1/evaluations/{id}/components/purchaser");
    post_ok(&app, &street, &format!("{purchaser}/withdraw")).await;
    submit_component(
        &app,
        &street,
        id,
        "purchaser",
        &json!({"raw_score": "19.99"}),
    )
    .await;
    let score = app.get_json(&path, Some(&s.admin)).await;
    assert_eq!(
        (score["total"].as_str(), score["grade"]["name"].as_str()),
        (Some("79.99"), Some("合格"))
    );
}

async fn guangzhou_2019_works_end_to_end_and_a_failed_gate_fails(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let s = crate::evaluations::district(&app, &admin, "荔湾", "liwan").await;
    let who = crate::workflow::actors(&app, &s, "liwan").await;
    let mut body = evaluation_body(&s);
    body["scheme_code"] = json!("guangzhou-2019");
    let response = app
        .post("/api/v1/evaluations", Some(&s.bureau), &body)
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let id = id_of(&response.json::<Value>().await.expect("json"));
    let zones = crate::self_assessment::zones(&app, &s).await;
    let base = format!("/api/v1/evaluations/{id}");
    let row = |field: &str, value: &str| json!({"rows": [{"indicator": "visits.home", "zone_id": zones[0], field: value}]});
    put_ok(
        &app,
        &who.agency,
        &format!("{base}/targets"),
        &row("target", "1400"),
    )
    .await;
    fire_ok(&app, &who.agency, id, "open", None, "self_assessment").await;
    put_ok(
        &app,
        &who.station,
        &format!("{base}/indicators"),
        &row("completed", "1460"),
    )
    .await;
    assert_eq!(
        put(
            &app,
            &who.station,
            &format!("{base}/staff"),
            &annex_roster()
        )
        .await
        .status(),
        StatusCode::OK
    );
    let narrative = json!({"narrative": "本期服务情况……"});
    put_ok(
        &app,
        &who.station,
        &format!("{base}/self-assessment"),
        &narrative,
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

    // 700 / 200 / 100 on 1000 points; the bureau is both the supervisor and the financial gate.
    let (_, street) = user(&app, &s, "street", "street", "manager").await;
    submit_component(
        &app,
        &street,
        id,
        "purchaser",
        &json!({"raw_score": "180.00"}),
    )
    .await;
    submit_component(
        &app,
        &s.bureau,
        id,
        "supervisor",
        &json!({"raw_score": "90.00"}),
    )
    .await;
    let gate = json!({"passed": true, "gate_reason": "审计未发现问题"});
    submit_component(&app, &s.bureau, id, "financial", &gate).await;
    panel(&app, &s, &who, id, "old", &["630.00", "629.99", "630.01"]).await;
    submit_component(&app, &who.agency, id, "professional", &json!({})).await;
    let drafted = fire_ok(&app, &who.agency, id, "issue_draft", None, "draft_feedback").await;
    assert_eq!(
        drafted["score"],
        json!({"total": "900.00", "grade": {"code": "excellent", "name": "优秀"}, "gate_failed": false})
    );
    let score = app.get_json(&format!("{base}/score"), Some(&street)).await;
    assert_eq!(line(&score, "professional")["score"], "630.00");
    assert_eq!(line(&score, "financial")["passed"], true);

    // A failed financial audit gives 不合格 whatever the total.
    let failed =
        json!({"passed": false, "gate_reason": "专项资金使用不规范", "reason": "审计报告更正"});
    put_ok(
        &app,
        &s.bureau,
        &format!("{base}/components/financial"),
        &failed,
    )
    .await;
    let score = app.get_json(&format!("{base}/score"), Some(&street)).await;
    assert_eq!(score["total"], "900.00");
    assert_eq!(score["grade"], json!({"code": "fail", "name": "不合格"}));
    assert_eq!(score["gate_failed"], true);
    assert_eq!(line(&score, "financial")["passed"], false);
}
