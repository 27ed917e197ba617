//! The parties' components: drafted by members, submitted and withdrawn by managers, amended
//! with a reason after the draft, and seen as DESIGN.md §3 says; the score adds them up.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;
use crate::self_assessment::{fill, opened};
use crate::workflow::fire_ok;

both_backends!(components_are_drafted_submitted_withdrawn_and_seen_as_section_3_says);

async fn put(app: &TestApp, token: &str, id: i64, party: &str, body: &Value) -> reqwest::Response {
    let path = format!("/api/v1/evaluations/{id}/components/{party}");
    app.request(Method::PUT, &path, Some(token), Some(body))
        .await
}

async fn act(app: &TestApp, token: &str, id: i64, party: &str, what: &str) -> reqwest::Response {
    let path = format!("/api/v1/evaluations/{id}/components/{party}/{what}");
    app.request(Method::POST, &path, Some(token), None).await
}

async fn user(app: &TestApp, admin: &str, name: &str, org: i64, role: &str) -> String {
    app.create_user(admin, name, org, role).await;
    token_of(&app.login_ok(name, PASSWORD).await)
}

async fn components_are_drafted_submitted_withdrawn_and_seen_as_section_3_says(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (s, who, id, zones) = opened(&app).await;
    let org = |label: &str| {
        s.orgs
            .iter()
            .find(|(l, _)| l == label)
            .map(|(_, id)| *id)
            .expect("org")
    };
    let street_member = user(&app, &s.admin, "street-member", org("street"), "member").await;
    let street = user(&app, &s.admin, "street-manager", org("street"), "manager").await;
    let center = user(&app, &s.admin, "center-manager", org("center"), "manager").await;

    // A member drafts; only the manager submits.
    let body = json!({"raw_score": "20.00",
        "strengths": [{"section": "management", "text": "制度健全，台账清晰"}],
        "concerns": [{"section": "execution", "text": "小组开展不足", "suggestion": "按协议补足小组节数"}]});
    let response = put(&app, &street_member, id, "purchaser", &body).await;
    let status = response.status();
    let draft: Value = response.json().await.expect("json");
    assert_eq!(status, StatusCode::OK, "{draft}");
    assert_eq!(
        (draft["status"].as_str(), draft["version"].as_i64()),
        (Some("draft"), Some(1))
    );
    assert_eq!(draft["concerns"][0]["suggestion"], "按协议补足小组节数");
    assert_problem(
        act(&app, &street_member, id, "purchaser", "submit").await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let submitted: Value = act(&app, &street, id, "purchaser", "submit")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(submitted["status"], "submitted");
    assert_problem(
        put(&app, &street, id, "purchaser", &body).await,
        StatusCode::CONFLICT,
        "transition-refused",
    )
    .await;

    // Withdrawn (撤回), edited again; a stale version is refused with the current one.
    let withdrawn: Value = act(&app, &street, id, "purchaser", "withdraw")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        (withdrawn["status"].as_str(), withdrawn["version"].as_i64()),
        (Some("draft"), Some(3))
    );
    let mut stale = body.clone();
    stale["version"] = json!(1);
    let problem = assert_problem(
        put(&app, &street, id, "purchaser", &stale).await,
        StatusCode::CONFLICT,
        "version-conflict",
    )
    .await;
    assert_eq!(problem["current_version"], 3);
    let mut current = body.clone();
    current["version"] = json!(3);
    assert_eq!(
        put(&app, &street, id, "purchaser", &current).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        act(&app, &street, id, "purchaser", "submit").await.status(),
        StatusCode::OK
    );

    // Input rules, every one named by field.
    for (party, token, bad, field) in [
        (
            "supervisor",
            &s.bureau,
            json!({"raw_score": "8.301"}),
            "raw_score",
        ),
        (
            "supervisor",
            &s.bureau,
            json!({"raw_score": "-1"}),
            "raw_score",
        ),
        (
            "supervisor",
            &s.bureau,
            json!({"raw_score": "10.01"}),
            "raw_score",
        ),
        (
            "third_party",
            &who.agency,
            json!({"raw_score": "46.98"}),
            "raw_score",
        ),
        (
            "supervisor",
            &s.bureau,
            json!({"strengths": [{"zone_id": zones[0], "text": "好"}]}),
            "strengths[0].zone_id",
        ),
        (
            "supervisor",
            &s.bureau,
            json!({"concerns": [{"section": "nowhere", "text": "问题"}]}),
            "concerns[0].section",
        ),
        (
            "third_party",
            &who.agency,
            json!({"concerns": [{"section": "zones", "zone_ids": [zones[1], zones[1]], "text": "问题"}]}),
            "concerns[0].zone_ids",
        ),
    ] {
        let problem = assert_problem(
            put(&app, token, id, party, &bad).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
        )
        .await;
        assert_eq!(error_fields(&problem), [field], "{bad}");
    }
    // Nobody writes another party's component.
    assert_problem(
        put(&app, &street, id, "supervisor", &json!({"raw_score": "1"})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    assert_problem(
        put(
            &app,
            &who.station,
            id,
            "purchaser",
            &json!({"raw_score": "1"}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    // The third party writes comments by zone.
    let zoned = json!({"concerns": [{"section": "zones", "zone_id": zones[2], "text": "三片区探访完成率偏低"}]});
    assert_eq!(
        put(&app, &who.agency, id, "third_party", &zoned)
            .await
            .status(),
        StatusCode::OK
    );

    for (party, token, raw) in [
        ("supervisor", &s.bureau, "8.30"),
        ("center", &center, "13.80"),
    ] {
        assert_eq!(
            put(&app, token, id, party, &json!({"raw_score": raw}))
                .await
                .status(),
            StatusCode::OK
        );
        assert_eq!(
            act(&app, token, id, party, "submit").await.status(),
            StatusCode::OK
        );
    }

    // Before the draft: a party sees only its own; the agency's manager and the bureau see the
    // submitted ones.
    let supervisor_path = format!("/api/v1/evaluations/{id}/components/supervisor");
    assert_problem(
        app.get(&supervisor_path, Some(&street)).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    assert_eq!(
        app.get(&supervisor_path, Some(&who.agency)).await.status(),
        StatusCode::OK
    );
    let score_path = format!("/api/v1/evaluations/{id}/score");
    let seen_by_street = app.get_json(&score_path, Some(&street)).await;
    let line = |score: &Value, party: &str| {
        score["components"]
            .as_array()
            .expect("components")
            .iter()
            .find(|c| c["party"] == party)
            .cloned()
            .expect("line")
    };
    assert_eq!(line(&seen_by_street, "purchaser")["score"], "20.00");
    assert_eq!(line(&seen_by_street, "supervisor")["score"], Value::Null);
    assert_eq!(line(&seen_by_street, "supervisor")["status"], "submitted");
    let seen_by_admin = app.get_json(&score_path, Some(&s.admin)).await;
    for (party, score) in [
        ("purchaser", "20.00"),
        ("supervisor", "8.30"),
        ("center", "13.80"),
    ] {
        assert_eq!(line(&seen_by_admin, party)["score"], score, "{party}");
    }
    assert_eq!(line(&seen_by_admin, "third_party")["status"], "draft");
    assert_eq!(
        seen_by_admin["total"],
        Value::Null,
        "the third party has not submitted"
    );
    // Its submission waits for the expert panel.
    let problem = assert_problem(
        act(&app, &who.agency, id, "third_party", "submit").await,
        StatusCode::CONFLICT,
        "transition-refused",
    )
    .await;
    assert!(
        problem["missing"][0]
            .as_str()
            .is_some_and(|m| m.contains("至少 3 名"))
    );

    // After the draft: every party sees every submitted component; a change needs a reason.
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
    crate::scoring::panel(&app, &s, &who, id, "c", &["46.98", "46.98", "46.99"]).await;
    let path = format!("/api/v1/evaluations/{id}/components/third_party/submit");
    let submitted: Value = app
        .request(Method::POST, &path, Some(&who.agency), None)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(submitted["raw_score"], "46.98");
    fire_ok(&app, &who.agency, id, "issue_draft", None, "draft_feedback").await;
    assert_eq!(
        app.get(&supervisor_path, Some(&street)).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        line(
            &app.get_json(&score_path, Some(&street)).await,
            "supervisor"
        )["score"],
        "8.30"
    );
    assert_problem(
        act(&app, &street, id, "purchaser", "withdraw").await,
        StatusCode::CONFLICT,
        "transition-refused",
    )
    .await;
    let no_reason = assert_problem(
        put(
            &app,
            &street,
            id,
            "purchaser",
            &json!({"raw_score": "19.50"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(error_fields(&no_reason), ["reason"]);
    let amended: Value = put(
        &app,
        &street,
        id,
        "purchaser",
        &json!({"raw_score": "19.50", "reason": "征求意见后调整"}),
    )
    .await
    .json()
    .await
    .expect("json");
    assert_eq!(
        (amended["status"].as_str(), amended["raw_score"].as_str()),
        (Some("submitted"), Some("19.50"))
    );
    let timeline = app
        .get_json(
            &format!("/api/v1/evaluations/{id}/timeline"),
            Some(&s.bureau),
        )
        .await;
    let amend = timeline["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["action"] == "amend_component")
        .cloned()
        .expect("amend entry");
    assert_eq!(amend["reason"], "征求意见后调整");
}
