//! Every error is problem+json naming the field; bad input writes nothing.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

both_backends!(
    bad_bodies_name_the_field_and_write_nothing,
    malformed_and_oversized_bodies_are_refused,
    unknown_routes_and_methods_answer_problems,
    health_and_readiness,
);

async fn user_count(app: &TestApp, admin: &str) -> i64 {
    let users: Value = app.get_json("/api/v1/users", Some(admin)).await;
    users["total"].as_i64().expect("total")
}

async fn bad_bodies_name_the_field_and_write_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let org = app
        .create_org(&admin, "荔湾区民政局", "civil_affairs_bureau")
        .await;
    let valid = json!({"username": "liwan", "display_name": "荔湾", "password": PASSWORD,
                       "organization_id": org, "role": "member"});
    let cases: Vec<(Value, &str, &str)> = vec![
        (
            {
                let mut b = valid.clone();
                b.as_object_mut().map(|o| o.remove("display_name"));
                b
            },
            "display_name",
            "必填",
        ),
        (
            {
                let mut b = valid.clone();
                b["organization_id"] = json!("one");
                b
            },
            "organization_id",
            "类型错误",
        ),
        (
            {
                let mut b = valid.clone();
                b["role"] = json!("boss");
                b
            },
            "role",
            "boss",
        ),
        (
            {
                let mut b = valid.clone();
                b["colour"] = json!("red");
                b
            },
            "colour",
            "不允许",
        ),
        (
            {
                let mut b = valid.clone();
                b["display_name"] = json!("长".repeat(51));
                b
            },
            "display_name",
            "50",
        ),
        (
            {
                let mut b = valid.clone();
                b["display_name"] = json!("");
                b
            },
            "display_name",
            "1",
        ),
    ];
    for (body, field, says) in cases {
        let problem = assert_problem(
            app.post("/api/v1/users", Some(&admin), &body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
        )
        .await;
        let errors = problem["errors"].as_array().expect("errors");
        assert_eq!(errors.len(), 1, "{problem}");
        assert_eq!(errors[0]["field"], field, "{problem}");
        assert!(
            errors[0]["message"]
                .as_str()
                .is_some_and(|m| m.contains(says)),
            "{problem}"
        );
    }
    let org_body = json!({"name": "海珠区民政局", "kind": "bureau"});
    let problem = assert_problem(
        app.post("/api/v1/organizations", Some(&admin), &org_body)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["kind"]);
    let problem = assert_problem(
        app.get("/api/v1/organizations?kind=bureau", Some(&admin))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["kind"]);
    let problem = assert_problem(
        app.get("/api/v1/users?page=first", Some(&admin)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["page"]);
    let problem = assert_problem(
        app.get("/api/v1/admin/login-attempts?username=a%00b", Some(&admin))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["username"]);
    let login = assert_problem(
        app.post(
            "/api/v1/auth/login",
            None,
            &json!({"username": "ad\u{0}min", "password": "x"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(error_fields(&login), vec!["username"]);

    assert_eq!(user_count(&app, &admin).await, 1, "nothing written");
    let orgs: Value = app.get_json("/api/v1/organizations", Some(&admin)).await;
    assert_eq!(orgs["total"], 2, "nothing written");
}

async fn malformed_and_oversized_bodies_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let send = |body: Vec<u8>, content_type: &'static str| {
        app.client
            .post(app.url("/api/v1/organizations"))
            .bearer_auth(&admin)
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let response = send(b"{\"name\": \"x\",".to_vec(), "application/json")
        .await
        .expect("sent");
    assert_problem(response, StatusCode::BAD_REQUEST, "malformed-request").await;
    let response = send(b"name=x".to_vec(), "application/x-www-form-urlencoded")
        .await
        .expect("sent");
    assert_problem(
        response,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported-media-type",
    )
    .await;
    let huge = format!(
        "{{\"name\": \"{}\", \"kind\": \"operator\"}}",
        "x".repeat(2 * 1024 * 1024)
    );
    let response = send(huge.into_bytes(), "application/json")
        .await
        .expect("sent");
    assert_problem(response, StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large").await;
    let orgs: Value = app.get_json("/api/v1/organizations", Some(&admin)).await;
    assert_eq!(orgs["total"], 1, "nothing written");
}

async fn unknown_routes_and_methods_answer_problems(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    assert_problem(
        app.get("/api/v1/nothing-here", None).await,
        StatusCode::NOT_FOUND,
        "route-not-found",
    )
    .await;
    assert_problem(
        app.get("/no-such-page", None).await,
        StatusCode::NOT_FOUND,
        "route-not-found",
    )
    .await;
    // A browser gets the pages' 404 instead.
    let page = app
        .client
        .get(app.url("/no-such-page"))
        .header("accept", "text/html,application/xhtml+xml")
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    assert!(page.text().await.expect("html").contains("页面不存在"));
    let response = app
        .request(Method::DELETE, "/api/v1/users", None, None)
        .await;
    let allow = response
        .headers()
        .get("allow")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");
    assert_problem(
        response,
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
    )
    .await;
    let response = app
        .request(Method::PUT, "/api/v1/users/3", None, None)
        .await;
    assert_problem(
        response,
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
    )
    .await;
    // Every answer carries a request id, the one its log lines carry.
    let response = app.get("/healthz", None).await;
    assert!(
        response
            .headers()
            .get("x-request-id")
            .is_some_and(|v| v.len() >= 32)
    );
}

async fn health_and_readiness(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let live: Value = app.get_json("/healthz", None).await;
    assert_eq!(live["status"], "ok");
    let ready = app.get("/readyz", None).await;
    assert_eq!(ready.status(), StatusCode::OK);
}
