//! The workflow over HTTP: setup → final with every return path, cancel and reopen; stale and
//! concurrent transitions; the audit chain and its verification; party-scoped access.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::evaluations::{Setup, district, evaluation_body};
use crate::helpers::*;

both_backends!(
    an_evaluation_walks_from_setup_to_final_and_back,
    stale_and_concurrent_transitions_let_exactly_one_through,
    audit_verify_detects_a_changed_row,
    other_districts_and_non_managers_cannot_act,
    deadlines_are_extended_as_records,
    administration_is_chained_in_the_global_audit_log,
);

pub struct Actors {
    pub agency: String,
    pub station: String,
}

pub async fn actors(app: &TestApp, s: &Setup, key: &str) -> Actors {
    let org = |label: &str| {
        s.orgs
            .iter()
            .find(|(l, _)| l == label)
            .map(|(_, id)| *id)
            .expect("org")
    };
    app.create_user(&s.admin, &format!("{key}-agency"), org("agency"), "manager")
        .await;
    app.create_user(
        &s.admin,
        &format!("{key}-station"),
        org("operator"),
        "manager",
    )
    .await;
    Actors {
        agency: token_of(&app.login_ok(&format!("{key}-agency"), PASSWORD).await),
        station: token_of(&app.login_ok(&format!("{key}-station"), PASSWORD).await),
    }
}

pub async fn create(app: &TestApp, s: &Setup) -> Value {
    let response = app
        .post("/api/v1/evaluations", Some(&s.bureau), &evaluation_body(s))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.expect("json")
}

pub async fn set_targets(app: &TestApp, s: &Setup, token: &str, id: i64) -> reqwest::Response {
    let station = app
        .get_json(&format!("/api/v1/stations/{}", s.station), Some(token))
        .await;
    let zone = station["zones"][0]["id"].as_i64().expect("zone");
    app.request(
        reqwest::Method::PUT,
        &format!("/api/v1/evaluations/{id}/targets"),
        Some(token),
        Some(&json!({"rows": [
            {"indicator": "visits.home", "zone_id": zone, "target": "1400"},
            {"indicator": "training.hours", "zone_id": null, "target": "1080.00"}
        ]})),
    )
    .await
}

pub async fn fire(
    app: &TestApp,
    token: &str,
    id: i64,
    event: &str,
    reason: Option<&str>,
) -> reqwest::Response {
    let mut body = json!({"event": event});
    if let Some(reason) = reason {
        body["reason"] = json!(reason);
    }
    app.post(
        &format!("/api/v1/evaluations/{id}/transitions"),
        Some(token),
        &body,
    )
    .await
}

pub async fn fire_ok(
    app: &TestApp,
    token: &str,
    id: i64,
    event: &str,
    reason: Option<&str>,
    to: &str,
) -> Value {
    let response = fire(app, token, id, event, reason).await;
    let status = response.status();
    let body: Value = response.json().await.expect("json");
    assert_eq!(status, StatusCode::OK, "{event}: {body}");
    assert_eq!(body["state"], to, "{event}");
    body
}

/// An evaluation view's next steps as (party, what, due date or "", overdue).
fn next_steps(view: &Value) -> Vec<(&str, &str, &str, bool)> {
    view["next_steps"]
        .as_array()
        .unwrap_or_else(|| panic!("next_steps in {view}"))
        .iter()
        .map(|s| {
            (
                s["party"].as_str().unwrap_or("?"),
                s["what"].as_str().unwrap_or("?"),
                s["due_on"].as_str().unwrap_or(""),
                s["overdue"] == true,
            )
        })
        .collect()
}

async fn an_evaluation_walks_from_setup_to_final_and_back(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let s = district(&app, &admin, "荔湾", "liwan").await;
    let who = actors(&app, &s, "liwan").await;
    let id = id_of(&create(&app, &s).await);

    // The guard lists what is missing.
    let refused = assert_problem(
        fire(&app, &who.agency, id, "open", None).await,
        StatusCode::CONFLICT,
        "transition-refused",
    )
    .await;
    let missing = refused["missing"].as_array().expect("missing");
    assert!(
        missing
            .iter()
            .any(|m| m.as_str().is_some_and(|m| m.contains("协议量"))),
        "{refused}"
    );

    let response = set_targets(&app, &s, &who.agency, id).await;
    assert_eq!(response.status(), StatusCode::OK);
    let targets: Value = response.json().await.expect("json");
    assert_eq!(targets["rows"].as_array().map(Vec::len), Some(2));
    assert_eq!(targets["rows"][0]["target"], "1080.00");

    let opened = fire_ok(&app, &who.agency, id, "open", None, "self_assessment").await;
    assert_eq!(opened["version"], 3);
    assert_eq!(opened["next_deadline"]["stage"], "self_assessment");
    assert_eq!(opened["next_deadline"]["due_on"], "2025-05-06");
    assert_eq!(opened["next_deadline"]["overdue"], true);
    assert_eq!(opened["next_deadline"]["party"], "station");
    // The next steps: the station's self-assessment by its date, the agency's panel, undated.
    assert_eq!(
        next_steps(&opened),
        [
            ("station", "提交自评", "2025-05-06", true),
            ("third_party", "指派专家", "", false)
        ]
    );
    // Targets are set in setup only.
    assert_problem(
        set_targets(&app, &s, &who.agency, id).await,
        StatusCode::CONFLICT,
        "transition-refused",
    )
    .await;

    let zones = crate::self_assessment::zones(&app, &s).await;
    crate::self_assessment::fill(&app, &who.station, id, &zones).await;
    assert_problem(
        fire(&app, &who.agency, id, "submit_self_assessment", None).await,
        StatusCode::FORBIDDEN,
        "forbidden",
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
    let no_reason = assert_problem(
        fire(&app, &who.agency, id, "return_self_assessment", None).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(error_fields(&no_reason), vec!["reason"]);
    fire_ok(
        &app,
        &who.agency,
        id,
        "return_self_assessment",
        Some("培训记录不全"),
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
    crate::scoring::score_all(&app, &s, &who, id, "liwan").await;
    // Every score is in: only the agency can move, with no deadline.
    let scored = app
        .get_json(&format!("/api/v1/evaluations/{id}"), Some(&who.station))
        .await;
    assert_eq!(
        next_steps(&scored),
        [("third_party", "出具评估报告初稿", "", false)]
    );
    let drafted = fire_ok(&app, &who.agency, id, "issue_draft", None, "draft_feedback").await;
    assert_eq!(drafted["next_deadline"]["party"], "station");
    // The station is given more time for its feedback: the next deadline is now the bureau's.
    let extended = app
        .post(
            &format!("/api/v1/evaluations/{id}/extensions"),
            Some(&who.agency),
            &json!({"stage": "draft_feedback", "party": "station", "new_deadline": "2099-06-30", "reason": "站长出差"}),
        )
        .await;
    assert_eq!(extended.status(), StatusCode::CREATED);
    let feedback = app
        .get_json(&format!("/api/v1/evaluations/{id}"), Some(&who.station))
        .await;
    let next = &feedback["next_deadline"];
    assert_eq!(
        (
            &next["stage"],
            &next["party"],
            &next["due_on"],
            &next["overdue"]
        ),
        (
            &json!("draft_feedback"),
            &json!("supervisor"),
            &json!("2025-05-27"),
            &json!(true)
        )
    );
    assert_eq!(
        next["parties"],
        json!([
            {"party": "station", "due_on": "2099-06-30", "overdue": false},
            {"party": "supervisor", "due_on": "2025-05-27", "overdue": true},
            {"party": "purchaser", "due_on": "2025-05-27", "overdue": true}
        ])
    );
    assert_eq!(
        next_steps(&feedback),
        [
            ("station", "反馈初稿意见", "2099-06-30", false),
            ("supervisor", "反馈初稿意见", "2025-05-27", true),
            ("purchaser", "反馈初稿意见", "2025-05-27", true)
        ]
    );
    // The station's deadline is ahead: the draft waits for its feedback; the other two are past
    // theirs and count as no objection.
    assert_problem(
        fire(&app, &who.agency, id, "submit_for_review", None).await,
        StatusCode::CONFLICT,
        "transition-refused",
    )
    .await;
    let reports = app
        .get_json(
            &format!("/api/v1/evaluations/{id}/reports"),
            Some(&who.station),
        )
        .await;
    let draft = id_of(&reports["items"][0]);
    let given = app
        .post(
            &format!("/api/v1/evaluations/{id}/feedback"),
            Some(&who.station),
            &json!({"report_id": draft, "no_objection": true}),
        )
        .await;
    assert_eq!(given.status(), StatusCode::CREATED);
    let heard = app
        .get_json(&format!("/api/v1/evaluations/{id}"), Some(&who.agency))
        .await;
    assert_eq!(
        next_steps(&heard),
        [
            ("supervisor", "反馈初稿意见", "2025-05-27", true),
            ("purchaser", "反馈初稿意见", "2025-05-27", true),
            ("third_party", "提交民政局审定", "", false)
        ]
    );
    let in_review = fire_ok(
        &app,
        &who.agency,
        id,
        "submit_for_review",
        None,
        "bureau_review",
    )
    .await;
    assert_eq!(
        next_steps(&in_review),
        [("supervisor", "审定评估报告", "2025-06-10", true)]
    );
    let heard = app
        .get_json(
            &format!("/api/v1/evaluations/{id}/feedback"),
            Some(&s.bureau),
        )
        .await;
    let deemed: Vec<(&str, bool)> = heard["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|f| (f["party"].as_str().unwrap_or(""), f["deemed"] == true))
        .collect();
    assert_eq!(
        deemed,
        [
            ("station", false),
            ("supervisor", true),
            ("purchaser", true)
        ]
    );
    fire_ok(
        &app,
        &s.bureau,
        id,
        "return_draft",
        Some("请补充片区意见"),
        "draft_feedback",
    )
    .await;
    fire_ok(
        &app,
        &who.agency,
        id,
        "submit_for_review",
        None,
        "bureau_review",
    )
    .await;
    let done = fire_ok(&app, &s.bureau, id, "approve", None, "final").await;
    assert_eq!(done["next_deadline"], Value::Null);
    assert_eq!(done["next_steps"], json!([]));
    assert_problem(
        fire(&app, &s.bureau, id, "reopen", Some("更正")).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    assert_problem(
        fire(&app, &admin, id, "cancel", Some("重复")).await,
        StatusCode::CONFLICT,
        "transition-refused",
    )
    .await;
    fire_ok(
        &app,
        &admin,
        id,
        "reopen",
        Some("更正分数"),
        "draft_feedback",
    )
    .await;
    fire_ok(&app, &s.bureau, id, "cancel", Some("站点撤并"), "cancelled").await;
    assert_problem(
        fire(&app, &s.bureau, id, "cancel", Some("再次")).await,
        StatusCode::CONFLICT,
        "transition-refused",
    )
    .await;

    let timeline = app
        .get_json(
            &format!("/api/v1/evaluations/{id}/timeline"),
            Some(&who.station),
        )
        .await;
    let items = timeline["items"].as_array().expect("items");
    // Scoring's own entries (components, panel, sheets) are tested with scoring.
    let actions: Vec<&str> = items
        .iter()
        .filter(|i| {
            !["component", "panel", "expert_sheet"].contains(&i["entity"].as_str().unwrap_or(""))
        })
        .map(|i| i["action"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        actions,
        vec![
            "create",
            "set_targets",
            "open",
            "set_completions",
            "set_staff",
            "write_self_assessment",
            "submit_self_assessment",
            "return_self_assessment",
            "submit_self_assessment",
            "issue_draft",
            "extend_deadline",
            "give_feedback",
            "submit_for_review",
            "return_draft",
            "submit_for_review",
            "approve",
            "reopen",
            "cancel"
        ]
    );
    assert_eq!(items[7]["reason"], "培训记录不全");
    assert_eq!(
        (
            items[7]["from_state"].as_str(),
            items[7]["to_state"].as_str()
        ),
        (Some("onsite_scoring"), Some("self_assessment"))
    );
    assert_eq!(items[2]["actor"]["display_name"], "用户liwan-agency");
    assert_eq!(items[2]["actor"]["organization"], "荔湾评估机构");
    assert!(
        items
            .iter()
            .all(|i| i["at"].as_str().is_some_and(|a| a.ends_with('Z')))
    );

    // Every transition queued notices in its transaction (the e-mail issue sends them).
    let queued = app
        .count(&format!(
            "SELECT COUNT(*) AS n FROM outbox WHERE evaluation_id = {id}"
        ))
        .await;
    assert!(queued >= 11, "{queued}");
    let verified = app.cli(&["audit", "verify"], None).await;
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stderr)
    );
    assert!(String::from_utf8_lossy(&verified.stdout).contains("OK"));
}

async fn stale_and_concurrent_transitions_let_exactly_one_through(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let s = district(&app, &admin, "荔湾", "liwan").await;
    let who = actors(&app, &s, "liwan").await;
    let id = id_of(&create(&app, &s).await);
    assert_eq!(
        set_targets(&app, &s, &who.agency, id).await.status(),
        StatusCode::OK
    );

    let stale = app
        .post(
            &format!("/api/v1/evaluations/{id}/transitions"),
            Some(&who.agency),
            &json!({"event": "open", "version": 1}),
        )
        .await;
    let problem = assert_problem(stale, StatusCode::CONFLICT, "version-conflict").await;
    assert_eq!(problem["current_version"], 2);

    let body = json!({"event": "open", "version": 2});
    let path = format!("/api/v1/evaluations/{id}/transitions");
    let (first, second) = tokio::join!(
        app.post(&path, Some(&who.agency), &body),
        app.post(&path, Some(&s.bureau), &body)
    );
    let mut statuses = vec![first.status(), second.status()];
    statuses.sort();
    assert_eq!(statuses, vec![StatusCode::OK, StatusCode::CONFLICT]);
    let opens = app
        .count(&format!(
            "SELECT COUNT(*) AS n FROM audit_log WHERE evaluation_id = {id} AND action = 'open'"
        ))
        .await;
    assert_eq!(opens, 1);
    let evaluation = app
        .get_json(&format!("/api/v1/evaluations/{id}"), Some(&s.bureau))
        .await;
    assert_eq!(
        (evaluation["state"].as_str(), evaluation["version"].as_i64()),
        (Some("self_assessment"), Some(3))
    );
}

async fn audit_verify_detects_a_changed_row(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let s = district(&app, &admin, "荔湾", "liwan").await;
    let who = actors(&app, &s, "liwan").await;
    let id = id_of(&create(&app, &s).await);
    assert_eq!(
        set_targets(&app, &s, &who.agency, id).await.status(),
        StatusCode::OK
    );
    fire_ok(&app, &who.agency, id, "open", None, "self_assessment").await;
    assert!(app.cli(&["audit", "verify"], None).await.status.success());

    app.execute_sql(&format!(
        "UPDATE audit_log SET summary = '改过' WHERE evaluation_id = {id} AND seq = 2"
    ))
    .await;
    let broken = app.cli(&["audit", "verify"], None).await;
    assert!(!broken.status.success());
    let said = String::from_utf8_lossy(&broken.stderr);
    assert!(
        said.contains("审计链断裂") && said.contains(&format!("evaluation:{id} 第 2 条")),
        "{said}"
    );
}

async fn other_districts_and_non_managers_cannot_act(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let a = district(&app, &admin, "荔湾", "liwan").await;
    let b = district(&app, &admin, "海珠", "haizhu").await;
    let who_a = actors(&app, &a, "liwan").await;
    let who_b = actors(&app, &b, "haizhu").await;
    let id = id_of(&create(&app, &a).await);
    let city = app
        .create_org(&admin, "广州市民政局", "municipal_bureau")
        .await;
    app.create_user(&admin, "city", city, "manager").await;
    let city = token_of(&app.login_ok("city", PASSWORD).await);
    let agency_a = a
        .orgs
        .iter()
        .find(|(l, _)| l == "agency")
        .map(|(_, id)| *id)
        .expect("agency");
    app.create_user(&admin, "liwan-agency-member", agency_a, "member")
        .await;
    let member = token_of(&app.login_ok("liwan-agency-member", PASSWORD).await);

    for outsider in [&b.bureau, &who_b.agency, &who_b.station] {
        assert_problem(
            fire(&app, outsider, id, "open", None).await,
            StatusCode::NOT_FOUND,
            "not-found",
        )
        .await;
        assert_problem(
            app.get(
                &format!("/api/v1/evaluations/{id}/timeline"),
                Some(outsider),
            )
            .await,
            StatusCode::NOT_FOUND,
            "not-found",
        )
        .await;
        assert_problem(
            app.get(&format!("/api/v1/evaluations/{id}/targets"), Some(outsider))
                .await,
            StatusCode::NOT_FOUND,
            "not-found",
        )
        .await;
        let put = app
            .request(
                reqwest::Method::PUT,
                &format!("/api/v1/evaluations/{id}/targets"),
                Some(outsider),
                Some(&json!({"rows": [{"indicator": "training.hours", "zone_id": null, "target": "10"}]})),
            )
            .await;
        assert_problem(put, StatusCode::NOT_FOUND, "not-found").await;
    }
    // Sees it, may not act: the municipal bureau, members, the station for the bureau's events.
    for (token, event) in [
        (&city, "open"),
        (&member, "open"),
        (&who_a.station, "open"),
        (&who_a.agency, "approve"),
    ] {
        let problem = assert_problem(
            fire(&app, token, id, event, None).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
        assert!(problem["detail"].as_str().is_some_and(|d| !d.is_empty()));
    }
    assert_eq!(
        app.get(&format!("/api/v1/evaluations/{id}/timeline"), Some(&city))
            .await
            .status(),
        StatusCode::OK
    );
    let timeline = app
        .get_json(
            &format!("/api/v1/evaluations/{id}/timeline"),
            Some(&a.bureau),
        )
        .await;
    assert_eq!(
        timeline["items"].as_array().map(Vec::len),
        Some(1),
        "refusals write nothing"
    );
}

async fn deadlines_are_extended_as_records(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let a = district(&app, &admin, "荔湾", "liwan").await;
    let b = district(&app, &admin, "海珠", "haizhu").await;
    let who = actors(&app, &a, "liwan").await;
    let id = id_of(&create(&app, &a).await);
    let path = format!("/api/v1/evaluations/{id}/extensions");

    let response = app
        .post(&path, Some(&a.bureau), &json!({"stage": "self_assessment", "new_deadline": "2025-05-20", "reason": "五一假期"}))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let extension: Value = response.json().await.expect("json");
    assert_eq!(
        (
            extension["old_deadline"].as_str(),
            extension["new_deadline"].as_str()
        ),
        (Some("2025-05-06"), Some("2025-05-20"))
    );
    assert_eq!(extension["party"], Value::Null);
    let evaluation = app
        .get_json(&format!("/api/v1/evaluations/{id}"), Some(&who.station))
        .await;
    assert_eq!(evaluation["deadlines"]["self_assessment"], "2025-05-20");

    // For one party: the stage deadline stays; a second extension starts from the first.
    let party = json!({"stage": "draft_feedback", "party": "station", "new_deadline": "2025-06-03", "reason": "站长出差"});
    let first: Value = app
        .post(&path, Some(&who.agency), &party)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(first["old_deadline"], "2025-05-27");
    let mut again = party.clone();
    again["new_deadline"] = json!("2025-06-10");
    let second: Value = app
        .post(&path, Some(&who.agency), &again)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(second["old_deadline"], "2025-06-03");
    let evaluation = app
        .get_json(&format!("/api/v1/evaluations/{id}"), Some(&who.station))
        .await;
    assert_eq!(evaluation["deadlines"]["draft_feedback"], "2025-05-27");

    let cases = [
        (
            json!({"stage": "self_assessment", "new_deadline": "2025-05-01", "reason": "x"}),
            "new_deadline",
        ),
        (
            json!({"stage": "self_assessment", "party": "nobody", "new_deadline": "2025-07-01", "reason": "x"}),
            "party",
        ),
        (
            json!({"stage": "self_assessment", "new_deadline": "2025-07-01", "reason": ""}),
            "reason",
        ),
        (
            json!({"stage": "later", "new_deadline": "2025-07-01", "reason": "x"}),
            "stage",
        ),
    ];
    for (body, field) in cases {
        let problem = assert_problem(
            app.post(&path, Some(&a.bureau), &body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
        )
        .await;
        assert_eq!(error_fields(&problem), vec![field]);
    }
    let body = json!({"stage": "self_assessment", "new_deadline": "2025-07-01", "reason": "x"});
    assert_problem(
        app.post(&path, Some(&who.station), &body).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    assert_problem(
        app.post(&path, Some(&b.bureau), &body).await,
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;

    let timeline = app
        .get_json(
            &format!("/api/v1/evaluations/{id}/timeline"),
            Some(&a.bureau),
        )
        .await;
    let extensions: Vec<&Value> = timeline["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|i| i["action"] == "extend_deadline")
        .collect();
    assert_eq!(extensions.len(), 3);
    assert_eq!(extensions[0]["reason"], "五一假期");

    fire_ok(&app, &a.bureau, id, "cancel", Some("撤并"), "cancelled").await;
    assert_problem(
        app.post(&path, Some(&a.bureau), &body).await,
        StatusCode::CONFLICT,
        "transition-refused",
    )
    .await;
}

async fn administration_is_chained_in_the_global_audit_log(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let s = district(&app, &admin, "荔湾", "liwan").await;
    let user = app
        .create_user(&admin, "someone", s.orgs[0].1, "member")
        .await;
    let reset = app
        .patch(
            &format!("/api/v1/users/{user}"),
            Some(&admin),
            &json!({"password": "Reset-by-admin-1", "disabled": true}),
        )
        .await;
    assert_eq!(reset.status(), StatusCode::OK);

    // admin create, 5 organizations, 2 users, station, agreement, the change above.
    let global = "SELECT COUNT(*) AS n FROM audit_log WHERE chain = 'global'";
    assert_eq!(app.count(global).await, 11);
    let passwords = app.count("SELECT COUNT(*) AS n FROM audit_log WHERE summary LIKE '%Reset-by-admin%' OR summary LIKE '%argon2%'").await;
    assert_eq!(passwords, 0, "passwords never reach the log");
    let changed = app.count("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'update' AND summary LIKE '%重置密码%' AND summary LIKE '%停用%'").await;
    assert_eq!(changed, 1);

    // A user's own password change is chained too, with the request that made it.
    let changer = app
        .create_user(&admin, "changer", s.orgs[0].1, "member")
        .await;
    let token = token_of(&app.login_ok("changer", PASSWORD).await);
    let changed_own = app
        .post(
            "/api/v1/me/password",
            Some(&token),
            &json!({"current_password": PASSWORD, "new_password": "Changed-by-me-2"}),
        )
        .await;
    assert_eq!(changed_own.status(), StatusCode::NO_CONTENT);
    let own = format!(
        "SELECT COUNT(*) AS n FROM audit_log WHERE chain = 'global' AND action = 'change_password' \
         AND entity_id = '{changer}' AND actor_id = {changer} AND request_id IS NOT NULL"
    );
    assert_eq!(app.count(&own).await, 1);
    assert_eq!(app.count(global).await, 13);
    // Only the command line's entry (admin create) has no request behind it.
    let without_request = "SELECT COUNT(*) AS n FROM audit_log WHERE request_id IS NULL";
    assert_eq!(app.count(without_request).await, 1);
    assert!(app.cli(&["audit", "verify"], None).await.status.success());

    app.execute_sql("UPDATE audit_log SET actor_id = NULL WHERE chain = 'global' AND seq = 3")
        .await;
    let broken = app.cli(&["audit", "verify"], None).await;
    assert!(!broken.status.success());
    assert!(String::from_utf8_lossy(&broken.stderr).contains("global 第 3 条"));
}
