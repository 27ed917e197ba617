//! The satisfaction survey's client list (满意度调查): the station lists its service users during
//! the self-assessment; the station, the agency and the bureau see the list; the phone numbers
//! only the agency's callers, and only while the survey is open.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::evaluations::Setup;
use crate::helpers::*;
use crate::self_assessment::{fill_and_submit, opened};
use crate::workflow::{Actors, fire_ok};

both_backends!(
    the_station_lists_its_clients_and_only_the_agency_sees_their_phones,
    a_draw_is_reproducible_and_a_new_draw_needs_a_reason,
    two_first_draws_at_once_leave_one_first_draw,
    the_calls_give_the_rate_over_the_reached_in_the_report_and_the_workbook,
    the_list_comes_from_its_template,
    the_survey_tab_uploads_draws_calls_and_shows_the_rate,
    two_callers_of_one_client_at_once_leave_one_call,
);

fn clients() -> Value {
    json!({"clients": [
        {"key": "A-001", "name": "张*诺", "phone": "138 0000 0001", "community": "宝岗社区",
         "service": "困难群众", "first_served": "2024-07-01"},
        {"name": "李*华", "phone": "020-8888-0002", "community": "宝岗社区", "service": "个案"},
        {"name": "王*明", "phone": "13800000003", "community": "南华西社区", "service": "小组"}
    ]})
}

async fn put_clients(app: &TestApp, token: &str, id: i64, body: &Value) -> reqwest::Response {
    let path = format!("/api/v1/evaluations/{id}/clients");
    app.request(Method::PUT, &path, Some(token), Some(body))
        .await
}

async fn listed(app: &TestApp, token: &str, id: i64) -> Value {
    app.get_json(&format!("/api/v1/evaluations/{id}/clients"), Some(token))
        .await
}

fn phones(list: &Value) -> Vec<Value> {
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|c| c["phone"].clone())
        .collect()
}

async fn the_station_lists_its_clients_and_only_the_agency_sees_their_phones(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (s, who, id, zones) = opened(&app).await;

    let response = put_clients(&app, &who.station, id, &clients()).await;
    assert_eq!(response.status(), StatusCode::OK);
    let written: Value = response.json().await.expect("json");
    assert_eq!(written["total"], 3);
    assert_eq!(written["items"][0]["key"], "A-001");
    assert_eq!(written["items"][1]["name"], "李*华");
    assert!(
        written["items"][2]["id"].is_i64(),
        "each row answers with its id"
    );
    // Uploaded, the phones are the station's no more.
    assert_eq!(written["phones_shown"], false);
    assert_eq!(phones(&written), [Value::Null, Value::Null, Value::Null]);
    // The agency and the bureau see the list; before the survey opens, no phone for anyone.
    for token in [&who.agency, &s.bureau] {
        let list = listed(&app, token, id).await;
        assert_eq!(list["total"], 3);
        assert_eq!(phones(&list), [Value::Null, Value::Null, Value::Null]);
    }
    // The street office does not; another district's station does not see the evaluation.
    let (_, street) = crate::scoring::user(&app, &s, "cl-street", "street", "manager").await;
    let refused = app
        .get(&format!("/api/v1/evaluations/{id}/clients"), Some(&street))
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let admin = app.admin_token().await;
    let other = crate::evaluations::district(&app, &admin, "海珠", "haizhu").await;
    let stranger = crate::workflow::actors(&app, &other, "haizhu").await;
    let hidden = app
        .get(
            &format!("/api/v1/evaluations/{id}/clients"),
            Some(&stranger.station),
        )
        .await;
    assert_eq!(hidden.status(), StatusCode::NOT_FOUND);
    // Only the station writes the list.
    let by_agency = put_clients(&app, &who.agency, id, &clients()).await;
    assert_eq!(by_agency.status(), StatusCode::FORBIDDEN);

    // Bad rows are refused by field, and nothing is written.
    let mut bad = clients();
    bad["clients"][0]["phone"] = json!("12");
    bad["clients"][2]["name"] = json!("李*华");
    bad["clients"][2]["phone"] = json!("020-8888-0002");
    let problem = assert_invalid(put_clients(&app, &who.station, id, &bad).await).await;
    assert_eq!(error_fields(&problem), vec!["clients[0].phone"]);
    bad["clients"][0]["phone"] = json!("138 0000 0001");
    let problem = assert_invalid(put_clients(&app, &who.station, id, &bad).await).await;
    assert_eq!(error_fields(&problem), vec!["clients[2].phone"]);
    assert!(problem.to_string().contains("前面的“李*华”"), "{problem}");
    let list = listed(&app, &s.bureau, id).await;
    assert_eq!(list["items"][2]["name"], "王*明", "nothing written");

    // The survey opens with on-site scoring: the agency's callers see the phones, the station
    // and the bureau still do not, and the list no longer changes.
    fill_and_submit(&app, &who.station, id, &zones).await;
    let calling = listed(&app, &who.agency, id).await;
    assert_eq!(calling["phones_shown"], true);
    assert_eq!(
        phones(&calling),
        [
            json!("138 0000 0001"),
            json!("020-8888-0002"),
            json!("13800000003")
        ]
    );
    for token in [&who.station, &s.bureau] {
        assert_eq!(
            phones(&listed(&app, token, id).await),
            [Value::Null, Value::Null, Value::Null]
        );
    }
    let late = put_clients(&app, &who.station, id, &clients()).await;
    assert_eq!(late.status(), StatusCode::CONFLICT);

    // The audit log records the list by its count and digest, never a phone number.
    let timeline = app
        .get_json(&format!("/api/v1/evaluations/{id}/timeline"), Some(&admin))
        .await
        .to_string();
    assert!(timeline.contains("服务对象名单 3 人"), "{timeline}");
    assert!(!timeline.contains("0000 0001") && !timeline.contains("13800000003"));
    let dump = app
        .count("SELECT COUNT(*) AS n FROM audit_log WHERE summary LIKE '%13800000003%'")
        .await;
    assert_eq!(dump, 0);
}

/// `n` clients, each with the station's own number.
fn many(n: usize) -> Value {
    let clients: Vec<Value> = (1..=n)
        .map(|i| {
            json!({"key": format!("C-{i:03}"), "name": format!("服务对象{i}"),
                   "phone": format!("13800{i:06}"), "community": "宝岗社区", "service": "困难群众"})
        })
        .collect();
    json!({ "clients": clients })
}

/// Evaluation `id` of the district, opened, its clients `list` uploaded, its self-assessment
/// filled and submitted: the survey is open.
async fn surveying(app: &TestApp, s: &Setup, who: &Actors, id: i64, list: &Value) {
    let zones = crate::self_assessment::open(app, s, who, id).await;
    let response = put_clients(app, &who.station, id, list).await;
    assert_eq!(response.status(), StatusCode::OK);
    fill_and_submit(app, &who.station, id, &zones).await;
}

async fn sample(app: &TestApp, token: &str, id: i64, body: &Value) -> reqwest::Response {
    app.post(
        &format!("/api/v1/evaluations/{id}/survey/sample"),
        Some(token),
        body,
    )
    .await
}

/// The keys of the drawn clients, in draw order.
async fn drawn_keys(app: &TestApp, token: &str, id: i64, drawn: &Value) -> Vec<String> {
    let list = listed(app, token, id).await;
    let items = list["items"].as_array().cloned().unwrap_or_default();
    drawn["client_ids"]
        .as_array()
        .expect("client_ids")
        .iter()
        .map(|wanted| {
            items
                .iter()
                .find(|c| c["id"] == *wanted)
                .and_then(|c| c["key"].as_str())
                .map(str::to_owned)
                .expect("a drawn client is on the list")
        })
        .collect()
}

async fn a_draw_is_reproducible_and_a_new_draw_needs_a_reason(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let s = crate::evaluations::district(&app, &admin, "荔湾", "liwan").await;
    let who = crate::workflow::actors(&app, &s, "liwan").await;
    let first = id_of(&crate::workflow::create(&app, &s).await);
    surveying(&app, &s, &who, first, &many(250)).await;

    // Only the agency's manager draws.
    let by_station = sample(&app, &who.station, first, &json!({"seed": "s1"})).await;
    assert_eq!(by_station.status(), StatusCode::FORBIDDEN);
    let response = sample(&app, &who.agency, first, &json!({"seed": "s1"})).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let drawn: Value = response.json().await.expect("json");
    assert_eq!(
        (drawn["size"].clone(), drawn["draw"].clone()),
        (json!(100), json!(1))
    );
    assert_eq!(drawn["seed"], "s1");
    assert_eq!(drawn["list_digest"].as_str().map(str::len), Some(64));
    let keys = drawn_keys(&app, &who.agency, first, &drawn).await;
    let mut distinct = keys.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 100, "100 distinct clients of 250");

    // Another draw needs its reason; the earlier one stays on record.
    let again = sample(&app, &who.agency, first, &json!({"seed": "s2"})).await;
    let problem = assert_invalid(again).await;
    assert_eq!(error_fields(&problem), vec!["reason"]);
    let response = sample(
        &app,
        &who.agency,
        first,
        &json!({"seed": "s2", "reason": "首轮样本中多人为空号，经购买方同意重抽"}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let redrawn: Value = response.json().await.expect("json");
    assert_eq!(redrawn["draw"], 2);
    assert_ne!(
        drawn_keys(&app, &who.agency, first, &redrawn).await,
        keys,
        "another seed"
    );
    // A server-chosen seed is given back.
    let chosen: Value = sample(&app, &who.agency, first, &json!({"reason": "再抽一次"}))
        .await
        .json()
        .await
        .expect("json");
    assert!(
        chosen["seed"].as_str().is_some_and(|seed| seed.len() >= 16),
        "{chosen}"
    );

    // The same list and seed draw the same clients in another evaluation.
    let mut body = crate::evaluations::evaluation_body(&s);
    body["kind"] = json!("final_term");
    let response = app
        .post("/api/v1/evaluations", Some(&s.bureau), &body)
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let second = id_of(&response.json::<Value>().await.expect("json"));
    surveying(&app, &s, &who, second, &many(250)).await;
    let same: Value = sample(&app, &who.agency, second, &json!({"seed": "s1"}))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(same["list_digest"], drawn["list_digest"]);
    assert_eq!(drawn_keys(&app, &who.agency, second, &same).await, keys);

    // A list shorter than the sample is called whole.
    let haizhu = crate::evaluations::district(&app, &admin, "海珠", "haizhu").await;
    let others = crate::workflow::actors(&app, &haizhu, "haizhu").await;
    let third = id_of(&crate::workflow::create(&app, &haizhu).await);
    surveying(&app, &haizhu, &others, third, &many(40)).await;
    let all: Value = sample(&app, &others.agency, third, &json!({}))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(all["size"], 40);
    let mut everyone = drawn_keys(&app, &others.agency, third, &all).await;
    everyone.sort();
    assert_eq!(
        everyone,
        (1..=40).map(|i| format!("C-{i:03}")).collect::<Vec<_>>()
    );

    // A self-assessment returned after the draw keeps its list: the draws name its rows.
    fire_ok(
        &app,
        &who.agency,
        first,
        "return_self_assessment",
        Some("请补充服务对象名单以外的材料"),
        "self_assessment",
    )
    .await;
    let frozen = put_clients(&app, &who.station, first, &many(10)).await;
    assert_eq!(frozen.status(), StatusCode::CONFLICT);
    assert_eq!(listed(&app, &who.agency, first).await["total"], 250);

    // The audit log has each draw — its list digest, seed and clients — and its chain holds.
    let timeline = app
        .get_json(
            &format!("/api/v1/evaluations/{first}/timeline"),
            Some(&admin),
        )
        .await
        .to_string();
    assert!(timeline.contains("抽取满意度调查样本 100 人"), "{timeline}");
    assert!(timeline.contains("种子 s1") && timeline.contains("种子 s2"));
    assert!(timeline.contains(drawn["list_digest"].as_str().unwrap_or("?")));
    assert!(timeline.contains("经购买方同意重抽"));
    let verify = app.cli(&["audit", "verify"], None).await;
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
}

async fn two_first_draws_at_once_leave_one_first_draw(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let s = crate::evaluations::district(&app, &admin, "荔湾", "liwan").await;
    let who = crate::workflow::actors(&app, &s, "liwan").await;
    let id = id_of(&crate::workflow::create(&app, &s).await);
    surveying(&app, &s, &who, id, &many(30)).await;
    // Two first draws at once, neither with a reason: one is the first draw, the other is told
    // that a new draw needs a reason — never two first draws.
    let (seed_a, seed_b) = (json!({"seed": "a"}), json!({"seed": "b"}));
    let (a, b) = tokio::join!(
        sample(&app, &who.agency, id, &seed_a),
        sample(&app, &who.agency, id, &seed_b),
    );
    let mut statuses = [a.status(), b.status()];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::CREATED, StatusCode::UNPROCESSABLE_ENTITY]
    );
    let drawn = app
        .count(&format!(
            "SELECT COUNT(*) AS n FROM survey_draws WHERE evaluation_id = {id}"
        ))
        .await;
    assert_eq!(drawn, 1);
}

async fn call(
    app: &TestApp,
    token: &str,
    id: i64,
    client: &Value,
    body: &Value,
) -> reqwest::Response {
    let path = format!("/api/v1/evaluations/{id}/survey/responses/{client}");
    app.request(Method::PUT, &path, Some(token), Some(body))
        .await
}

async fn survey(app: &TestApp, token: &str, id: i64) -> Value {
    app.get_json(&format!("/api/v1/evaluations/{id}/survey"), Some(token))
        .await
}

/// The clients of the latest draw, in draw order.
fn sampled(drawn: &Value) -> Vec<Value> {
    drawn["client_ids"].as_array().cloned().unwrap_or_default()
}

fn answered(overall: &str) -> Value {
    json!({"reached": true, "answers": {"overall": overall, "contact": "yes"}})
}

async fn the_calls_give_the_rate_over_the_reached_in_the_report_and_the_workbook(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let s = crate::evaluations::district(&app, &admin, "荔湾", "liwan").await;
    let who = crate::workflow::actors(&app, &s, "liwan").await;
    let id = id_of(&crate::workflow::create(&app, &s).await);
    surveying(&app, &s, &who, id, &many(120)).await;
    let before = survey(&app, &who.agency, id).await;
    assert_eq!(
        (before["sample"].clone(), before["rate"].clone()),
        (Value::Null, Value::Null)
    );
    let drawn: Value = sample(&app, &who.agency, id, &json!({"seed": "rate", "size": 105}))
        .await
        .json()
        .await
        .expect("json");
    let clients = sampled(&drawn);
    assert_eq!(clients.len(), 105);

    // Calls are checked against the questionnaire, by field, and recorded by the agency only.
    let problem =
        assert_invalid(call(&app, &who.agency, id, &clients[0], &answered("maybe")).await).await;
    assert_eq!(error_fields(&problem), vec!["answers.overall"]);
    let problem = assert_invalid(
        call(
            &app,
            &who.agency,
            id,
            &clients[0],
            &json!({"reached": false}),
        )
        .await,
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["unreached_reason"]);
    let by_station = call(&app, &who.station, id, &clients[0], &answered("yes")).await;
    assert_eq!(by_station.status(), StatusCode::FORBIDDEN);
    let unsampled = listed(&app, &who.agency, id).await["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|c| c["id"].clone())
        .find(|c| !clients.contains(c))
        .expect("a client outside the sample");
    let outside = call(&app, &who.agency, id, &unsampled, &answered("yes")).await;
    assert_eq!(outside.status(), StatusCode::NOT_FOUND);

    // 92 satisfied and 8 not of 100 reached, 5 not reached: 92.00 %.
    for (n, client) in clients.iter().enumerate() {
        let body = match n {
            0..46 => answered("very"),
            46..92 => answered("yes"),
            92..96 => answered("fair"),
            96..100 => answered("no"),
            _ => {
                let reason = ["空号", "无人接听", "拒访"][n % 3];
                json!({"reached": false, "unreached_reason": reason})
            }
        };
        let recorded = call(&app, &who.agency, id, client, &body).await;
        assert_eq!(recorded.status(), StatusCode::OK, "call {n}");
    }
    // A second call of the same client replaces the first.
    let again = call(&app, &who.agency, id, &clients[0], &answered("very")).await;
    assert_eq!(again.status(), StatusCode::OK);
    let figures = survey(&app, &who.agency, id).await;
    assert_eq!(
        [
            &figures["sampled"],
            &figures["called"],
            &figures["reached"],
            &figures["satisfied"]
        ],
        [&json!(105), &json!(105), &json!(100), &json!(92)]
    );
    assert_eq!(figures["rate"], "92.00");
    assert_eq!(figures["sample"]["seed"], "rate");
    let overall = &figures["questions"][0];
    assert_eq!(overall["code"], "overall");
    let counts: Vec<Value> = overall["distribution"]
        .as_array()
        .expect("distribution")
        .iter()
        .map(|o| o["count"].clone())
        .collect();
    assert_eq!(counts, [json!(46), json!(46), json!(4), json!(4), json!(0)]);
    assert_eq!(figures["calls"].as_array().map(Vec::len), Some(105));
    // The bureau and the station see the figures, not who said what; nobody else sees them.
    for token in [&s.bureau, &who.station] {
        let seen = survey(&app, token, id).await;
        assert_eq!(
            (seen["rate"].clone(), seen["calls"].clone()),
            (json!("92.00"), Value::Null)
        );
        assert!(!seen.to_string().contains("13800"), "no phone number");
    }
    let (_, street) = crate::scoring::user(&app, &s, "sv-nosy", "street", "manager").await;
    let refused = app
        .get(&format!("/api/v1/evaluations/{id}/survey"), Some(&street))
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    // The draft says the rate under 服务成效; the summary workbook has it as a number.
    crate::scoring::score_all(&app, &s, &who, id, "sv").await;
    fire_ok(&app, &who.agency, id, "issue_draft", None, "draft_feedback").await;
    let drafts = crate::reports::versions(&app, &who.station, id).await;
    let html =
        String::from_utf8(crate::reports::download(&app, &who.station, &drafts[0], "html").await)
            .expect("utf-8");
    assert!(
        html.contains("随机抽取105名服务对象开展满意度调查，成功访问100名，其中92名表示满意，受访服务对象总体满意度为92.00%"),
        "the rate in the report"
    );
    assert!(!html.contains("13800"), "no phone number in the report");
    let outcomes = html.find("项目执行与服务成效").expect("the section");
    assert!(html[outcomes..].contains("总体满意度为92.00%"));
    let bytes = crate::programme::workbook(&app, &s.bureau, "").await;
    let rows = crate::programme::sheet_rows(&bytes, "评估结果");
    assert_eq!(rows.len(), 2);
    let rate = crate::programme::cell(&rows, &rows[1], "服务对象满意度");
    assert_eq!(crate::programme::number(rate).as_deref(), Some("92.00"));
    assert!(!String::from_utf8_lossy(&bytes).contains("13800"));
    // The calls close with the survey.
    let late = call(&app, &who.agency, id, &clients[1], &answered("no")).await;
    assert_eq!(late.status(), StatusCode::CONFLICT);

    // One of three: 33.33 %.
    let haizhu = crate::evaluations::district(&app, &admin, "海珠", "haizhu").await;
    let others = crate::workflow::actors(&app, &haizhu, "haizhu").await;
    let few = id_of(&crate::workflow::create(&app, &haizhu).await);
    surveying(&app, &haizhu, &others, few, &many(3)).await;
    let drawn: Value = sample(&app, &others.agency, few, &json!({}))
        .await
        .json()
        .await
        .expect("json");
    for (client, overall) in sampled(&drawn).iter().zip(["very", "fair", "no"]) {
        let recorded = call(&app, &others.agency, few, client, &answered(overall)).await;
        assert_eq!(recorded.status(), StatusCode::OK);
    }
    let third = survey(&app, &others.agency, few).await;
    assert_eq!(
        (third["reached"].clone(), third["rate"].clone()),
        (json!(3), json!("33.33"))
    );

    // Every call is in the audit log, without the answers, and the chain holds.
    let logged = app
        .count(&format!(
            "SELECT COUNT(*) AS n FROM audit_log WHERE evaluation_id = {id} AND action = 'record_call'"
        ))
        .await;
    assert_eq!(logged, 106);
    let verify = app.cli(&["audit", "verify"], None).await;
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The template with `rows` filled in under its headers.
fn filled(template: &[u8], rows: &[[&str; 6]]) -> Vec<u8> {
    let headers = crate::programme::sheet_rows(template, "服务对象名单");
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("服务对象名单").expect("name");
    for (col, title) in headers[0].iter().enumerate() {
        sheet
            .write(0, col as u16, title.to_string())
            .expect("header");
    }
    for (r, row) in rows.iter().enumerate() {
        for (col, value) in row.iter().enumerate() {
            sheet.write(r as u32 + 1, col as u16, *value).expect("cell");
        }
    }
    book.save_to_buffer().expect("xlsx")
}

async fn the_list_comes_from_its_template(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (s, who, id, _) = opened(&app).await;
    let path = format!("/api/v1/evaluations/{id}/clients.xlsx");
    let response = app.get(&path, Some(&who.station)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], XLSX);
    let template = response.bytes().await.expect("bytes").to_vec();
    let headers = crate::programme::sheet_rows(&template, "服务对象名单");
    assert_eq!(headers.len(), 1, "an empty template");

    // A bad cell is named by its sheet and cell, and nothing is written.
    let bad = filled(
        &template,
        &[
            [
                "A-1",
                "张*诺",
                "020-8888 0001",
                "宝岗社区",
                "困难群众",
                "2024-07-01",
            ],
            ["A-2", "李*华", "12", "宝岗社区", "个案", ""],
        ],
    );
    let problem = assert_invalid(app.upload(&path, &who.station, XLSX, bad).await).await;
    assert_eq!(error_fields(&problem), vec!["服务对象名单!C3"]);
    let duplicate = filled(
        &template,
        &[
            ["A-1", "张*诺", "020-8888 0001", "宝岗社区", "困难群众", ""],
            ["A-1", "李*华", "13800000002", "宝岗社区", "个案", ""],
        ],
    );
    let problem = assert_invalid(app.upload(&path, &who.station, XLSX, duplicate).await).await;
    assert_eq!(error_fields(&problem), vec!["服务对象名单!A3"]);
    assert_eq!(
        listed(&app, &s.bureau, id).await["total"],
        0,
        "nothing written"
    );

    let good = filled(
        &template,
        &[
            [
                "A-1",
                "张*诺",
                "020-8888 0001",
                "宝岗社区",
                "困难群众",
                "2024-07-01",
            ],
            ["", "李*华", "13800000002", "南华西社区", "个案", ""],
        ],
    );
    let response = app.upload(&path, &who.station, XLSX, good).await;
    assert_eq!(response.status(), StatusCode::OK);
    let written: Value = response.json().await.expect("json");
    assert_eq!(written["total"], 2);
    assert_eq!(phones(&written), [Value::Null, Value::Null]);
    let list = listed(&app, &who.agency, id).await;
    assert_eq!(list["items"][1]["community"], "南华西社区");
    assert_eq!(list["items"][0]["first_served"], "2024-07-01");
    // Only the station uploads.
    let good = filled(
        &template,
        &[["", "王*明", "13800000003", "宝岗社区", "小组", ""]],
    );
    let refused = app.upload(&path, &who.agency, XLSX, good).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
}

/// In the browser, on the 满意度 tab: the station uploads its list (a broken workbook first), the
/// agency's manager draws and records the calls on the calling sheet (a missing outcome refused
/// beside its field), and the bureau reads the rate on a phone without a phone number in sight.
async fn the_survey_tab_uploads_draws_calls_and_shows_the_rate(backend: Backend) {
    use crate::journey::{click, type_into, upload_file};
    use crate::pages::{Driver, log_in, screenshot, scrolls_sideways, text_of, wait_for_path};
    use fantoccini::Locator;

    let app = TestApp::spawn(backend).await;
    let (_s, who, id, zones) = opened(&app).await;
    let template = app
        .get(
            &format!("/api/v1/evaluations/{id}/clients.xlsx"),
            Some(&who.station),
        )
        .await
        .bytes()
        .await
        .expect("template")
        .to_vec();
    let driver = Driver::start().await;
    let name = format!("{backend:?}").to_lowercase();
    let shoot = async |browser: &fantoccini::Client, section: &str, shot: &str| {
        browser
            .execute(
                "document.querySelector(arguments[0]).scrollIntoView();",
                vec![section.into()],
            )
            .await
            .expect("scrolled");
        screenshot(browser, &format!("survey-{name}-{shot}")).await;
    };
    let open_tab = async |width: u32, username: &str| {
        let browser = driver.browser(width, 900).await;
        let path = format!("/evaluations/{id}?tab=survey");
        browser.goto(&app.url(&path)).await.expect("page");
        log_in(&browser, username).await;
        wait_for_path(&browser, &format!("/evaluations/{id}")).await;
        browser.goto(&app.url(&path)).await.expect("tab");
        wait_for_path(&browser, &format!("/evaluations/{id}")).await;
        browser
    };

    // The station: a broken workbook is refused cell by cell, then the list goes in.
    let station = open_tab(1280, "liwan-station").await;
    let broken = filled(
        &template,
        &[["", "张*诺", "12", "宝岗社区", "困难群众", ""]],
    );
    type_into(
        &station,
        "#clients-file",
        &upload_file("clients-broken.xlsx", &broken),
    )
    .await;
    click(&station, "form[data-form='clients'] button", false).await;
    assert!(
        text_of(&station, "#clients .error")
            .await
            .contains("服务对象名单!C2")
    );
    let list = filled(
        &template,
        &[
            ["A-1", "张*诺", "13800000001", "宝岗社区", "困难群众", ""],
            ["A-2", "李*华", "13800000002", "宝岗社区", "个案", ""],
            ["A-3", "王*明", "13800000003", "南华西社区", "小组", ""],
        ],
    );
    type_into(
        &station,
        "#clients-file",
        &upload_file("clients.xlsx", &list),
    )
    .await;
    click(&station, "form[data-form='clients'] button", false).await;
    assert!(text_of(&station, "#clients").await.contains("共 3 人"));
    assert!(
        !station
            .source()
            .await
            .expect("html")
            .contains("13800000001")
    );
    shoot(&station, "#clients", "01-station").await;
    station.close().await.expect("closed");
    fill_and_submit(&app, &who.station, id, &zones).await;

    // The agency's manager draws everyone (three of the default hundred) and calls them.
    let agency = open_tab(1280, "liwan-agency").await;
    click(&agency, "button[data-command='draw']", false).await;
    assert!(text_of(&agency, "#sample").await.contains("已抽取 3 名"));
    let cards = agency
        .find_all(Locator::Css("li.call"))
        .await
        .expect("cards");
    assert_eq!(cards.len(), 3);
    assert!(
        agency
            .source()
            .await
            .expect("html")
            .contains("tel:13800000001")
    );
    let ids: Vec<String> = app
        .get_json(
            &format!("/api/v1/evaluations/{id}/survey"),
            Some(&who.agency),
        )
        .await["sample"]["client_ids"]
        .as_array()
        .expect("ids")
        .iter()
        .map(ToString::to_string)
        .collect();
    let card = |n: usize| format!("#call-{}", ids[n]);
    // No outcome chosen: refused beside the field, on the tab, the answer kept.
    agency
        .find(Locator::Css(&format!(
            "{} input[name='q.overall'][value='very']",
            card(0)
        )))
        .await
        .expect("option")
        .click()
        .await
        .expect("clicked");
    click(&agency, &format!("{} button", card(0)), false).await;
    let error = text_of(&agency, &format!("{} .field-error", card(0))).await;
    assert!(error.contains("未接通须选择原因"), "{error}");
    assert_eq!(
        text_of(&agency, "nav.tabs a[aria-current='page']").await,
        "满意度",
        "still on the tab"
    );
    let kept = agency
        .find(Locator::Css(&format!(
            "{} input[name='q.overall'][value='very']",
            card(0)
        )))
        .await
        .expect("option")
        .prop("checked")
        .await
        .expect("checked");
    assert_eq!(kept.as_deref(), Some("true"), "the answer typed is kept");
    for (n, outcome, overall) in [
        (0, "reached", Some("very")),
        (1, "reached", Some("no")),
        (2, "空号", None),
    ] {
        let pick = |css: String| {
            let agency = &agency;
            async move {
                agency
                    .find(Locator::Css(&css))
                    .await
                    .unwrap_or_else(|_| panic!("{css}"))
                    .click()
                    .await
                    .expect("clicked");
            }
        };
        pick(format!(
            "{} input[name='outcome'][value='{outcome}']",
            card(n)
        ))
        .await;
        if let Some(overall) = overall {
            pick(format!(
                "{} input[name='q.overall'][value='{overall}']",
                card(n)
            ))
            .await;
        }
        click(&agency, &format!("{} button", card(n)), false).await;
        assert!(
            agency.find(Locator::Css("div.error")).await.is_err(),
            "call {n}"
        );
    }
    let results = text_of(&agency, "#results").await;
    assert!(results.contains("50.00%"), "{results}");
    shoot(&agency, "#calls", "02-agency").await;
    agency.close().await.expect("closed");
    let phone = open_tab(360, "liwan-agency").await;
    assert!(
        !scrolls_sideways(&phone).await,
        "the calling sheet at 360 px"
    );
    shoot(&phone, "#calls", "03-phone-calls").await;
    phone.close().await.expect("closed");

    // The bureau, on a phone: the rate and the answers, no calling sheet, no phone number.
    let bureau = open_tab(360, "liwan-bureau").await;
    assert!(text_of(&bureau, "#results").await.contains("50.00%"));
    assert!(bureau.find(Locator::Css("#calls")).await.is_err());
    assert!(!bureau.source().await.expect("html").contains("1380000000"));
    assert!(!scrolls_sideways(&bureau).await, "the results at 360 px");
    shoot(&bureau, "#results", "04-phone-bureau").await;
    bureau.close().await.expect("closed");
    driver.stop().await;
}

async fn two_callers_of_one_client_at_once_leave_one_call(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let s = crate::evaluations::district(&app, &admin, "荔湾", "liwan").await;
    let who = crate::workflow::actors(&app, &s, "liwan").await;
    let id = id_of(&crate::workflow::create(&app, &s).await);
    surveying(&app, &s, &who, id, &many(20)).await;
    let (_, member) = crate::scoring::user(&app, &s, "liwan-caller", "agency", "member").await;
    let drawn: Value = sample(&app, &who.agency, id, &json!({"seed": "twice"}))
        .await
        .json()
        .await
        .expect("json");
    let clients = sampled(&drawn);
    // The manager and a member record the same client at once, and two others each: every
    // client keeps one call, the last one written.
    let (very, no, yes) = (answered("very"), answered("no"), answered("yes"));
    for round in 0..5 {
        let (a, b, c) = tokio::join!(
            call(&app, &who.agency, id, &clients[0], &very),
            call(&app, &member, id, &clients[0], &no),
            call(&app, &member, id, &clients[round + 1], &yes),
        );
        assert_eq!(
            [a.status(), b.status(), c.status()],
            [StatusCode::OK; 3],
            "round {round}"
        );
    }
    let calls = app
        .count(&format!(
            "SELECT COUNT(*) AS n FROM survey_calls WHERE evaluation_id = {id}"
        ))
        .await;
    assert_eq!(calls, 6);
    let figures = survey(&app, &who.agency, id).await;
    assert_eq!(
        (figures["called"].clone(), figures["reached"].clone()),
        (json!(6), json!(6))
    );
    let first = figures["calls"]
        .as_array()
        .expect("calls")
        .iter()
        .filter(|c| c["client_id"] == clients[0])
        .count();
    assert_eq!(first, 1);
}
