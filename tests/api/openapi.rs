//! The OpenAPI document lists exactly the routes the router serves, and every answer each can
//! give (schemathesis checks the same against live answers in `.ci/fuzz`).

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::*;

both_backends!(
    openapi_lists_every_route_the_router_has,
    the_document_names_every_answer_an_operation_can_give,
);

/// Every route of the service; a route added to the router must be added here, and is
/// checked against the document and against the running router.
const ROUTES: &[(&str, &str)] = &[
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/api/v1/openapi.json"),
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/auth/refresh"),
    ("POST", "/api/v1/auth/logout"),
    ("GET", "/api/v1/me"),
    ("POST", "/api/v1/me/password"),
    ("GET", "/api/v1/organizations"),
    ("POST", "/api/v1/organizations"),
    ("GET", "/api/v1/organizations/{id}"),
    ("GET", "/api/v1/users"),
    ("POST", "/api/v1/users"),
    ("GET", "/api/v1/users/{id}"),
    ("PATCH", "/api/v1/users/{id}"),
    ("GET", "/api/v1/admin/login-attempts"),
    ("GET", "/api/v1/admin/outbox"),
    ("POST", "/api/v1/admin/outbox/{id}/requeue"),
    ("GET", "/api/v1/notifications"),
    ("POST", "/api/v1/notifications/{id}/read"),
    ("GET", "/api/v1/schemes"),
    ("POST", "/api/v1/schemes"),
    ("GET", "/api/v1/schemes/{code}"),
    ("GET", "/api/v1/stations"),
    ("POST", "/api/v1/stations"),
    ("GET", "/api/v1/stations/{id}"),
    ("POST", "/api/v1/stations/{id}/agreements"),
    ("GET", "/api/v1/stations/{id}/evaluations"),
    ("GET", "/api/v1/agreements/{id}"),
    ("GET", "/api/v1/evaluations"),
    ("GET", "/api/v1/evaluations.xlsx"),
    ("GET", "/api/v1/dashboard"),
    ("POST", "/api/v1/evaluations"),
    ("PATCH", "/api/v1/evaluations/{id}"),
    ("POST", "/api/v1/evaluation-batches"),
    ("GET", "/api/v1/evaluations/{id}"),
    ("POST", "/api/v1/evaluations/{id}/transitions"),
    ("GET", "/api/v1/evaluations/{id}/timeline"),
    ("PUT", "/api/v1/evaluations/{id}/targets"),
    ("GET", "/api/v1/evaluations/{id}/targets"),
    ("POST", "/api/v1/evaluations/{id}/extensions"),
    ("PUT", "/api/v1/evaluations/{id}/indicators"),
    ("GET", "/api/v1/evaluations/{id}/indicators"),
    ("PUT", "/api/v1/evaluations/{id}/staff"),
    ("GET", "/api/v1/evaluations/{id}/staff"),
    ("PUT", "/api/v1/evaluations/{id}/clients"),
    ("GET", "/api/v1/evaluations/{id}/clients"),
    ("POST", "/api/v1/evaluations/{id}/survey/sample"),
    (
        "PUT",
        "/api/v1/evaluations/{id}/survey/responses/{client_id}",
    ),
    ("GET", "/api/v1/evaluations/{id}/survey"),
    ("GET", "/api/v1/evaluations/{id}/clients.xlsx"),
    ("POST", "/api/v1/evaluations/{id}/clients.xlsx"),
    ("PUT", "/api/v1/evaluations/{id}/self-assessment"),
    ("GET", "/api/v1/evaluations/{id}/self-assessment"),
    ("GET", "/api/v1/evaluations/{id}/warnings"),
    ("GET", "/api/v1/evaluations/{id}/indicators.xlsx"),
    ("POST", "/api/v1/evaluations/{id}/indicators.xlsx"),
    ("GET", "/api/v1/evaluations/{id}/staff.xlsx"),
    ("POST", "/api/v1/evaluations/{id}/staff.xlsx"),
    ("GET", "/api/v1/imports/template.xlsx"),
    ("POST", "/api/v1/imports"),
    ("POST", "/api/v1/evaluations/{id}/attachments"),
    ("GET", "/api/v1/evaluations/{id}/attachments"),
    ("GET", "/api/v1/attachments/{id}"),
    ("PUT", "/api/v1/evaluations/{id}/components/{party}"),
    ("GET", "/api/v1/evaluations/{id}/components/{party}"),
    ("POST", "/api/v1/evaluations/{id}/components/{party}/submit"),
    (
        "POST",
        "/api/v1/evaluations/{id}/components/{party}/withdraw",
    ),
    ("GET", "/api/v1/evaluations/{id}/score"),
    ("GET", "/api/v1/me/affiliations"),
    ("PUT", "/api/v1/me/affiliations"),
    ("POST", "/api/v1/evaluations/{id}/experts"),
    ("GET", "/api/v1/evaluations/{id}/experts"),
    ("GET", "/api/v1/evaluations/{id}/expert-scores/me"),
    ("PUT", "/api/v1/evaluations/{id}/expert-scores/me"),
    ("POST", "/api/v1/evaluations/{id}/expert-scores/me/submit"),
    ("GET", "/api/v1/evaluations/{id}/reports"),
    ("POST", "/api/v1/evaluations/{id}/reports"),
    ("GET", "/api/v1/reports/{id}"),
    ("GET", "/api/v1/reports/{id}.html"),
    ("GET", "/api/v1/reports/{id}.docx"),
    ("GET", "/api/v1/reports/{id}.pdf"),
    ("GET", "/api/v1/reports/{id}.json"),
    ("GET", "/api/v1/reports/{id}/compare/{other}"),
    ("POST", "/api/v1/evaluations/{id}/feedback"),
    ("GET", "/api/v1/evaluations/{id}/feedback"),
    ("POST", "/api/v1/objections/{id}/response"),
    ("GET", "/api/v1/stations/{id}/rectifications"),
    ("PUT", "/api/v1/rectifications/{id}"),
    ("PATCH", "/api/v1/rectifications/{id}"),
    ("POST", "/api/v1/rectifications/{id}/verification"),
    ("POST", "/api/v1/rectifications/{id}/evidence"),
];

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

async fn openapi_lists_every_route_the_router_has(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let response = app.get("/api/v1/openapi.json", None).await;
    assert_eq!(response.status(), StatusCode::OK);
    let doc: Value = response.json().await.expect("json");
    assert!(
        doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "OpenAPI 3.1"
    );

    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("path item") {
            let method = method.to_ascii_uppercase();
            documented.insert((method.clone(), path.clone()));
            assert!(
                operation["responses"]
                    .as_object()
                    .is_some_and(|r| !r.is_empty()),
                "{method} {path} documents its answers"
            );
            // Actions without a body: logout, locking or unlocking a submission, issuing a
            // revised draft, re-queueing a message, marking a notification read.
            let bodiless = [
                "/logout",
                "/submit",
                "/withdraw",
                "/reports",
                "/requeue",
                "/read",
            ]
            .iter()
            .any(|a| path.ends_with(a));
            if matches!(method.as_str(), "POST" | "PUT" | "PATCH") && !bodiless {
                let has_body = operation.get("requestBody").is_some();
                assert!(has_body, "{method} {path} documents its request body");
            }
        }
    }
    let expected: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(
        documented, expected,
        "the document and the route list differ"
    );

    // The router serves exactly these: each listed method is routed, every other method on a
    // listed path answers 405.
    for (path, methods) in group(ROUTES) {
        let concrete = path
            .replace("{id}", "1")
            .replace("{code}", "guangzhou-2023");
        for method in METHODS {
            let response = app
                .request(
                    Method::from_bytes(method.as_bytes()).expect("method"),
                    &concrete,
                    None,
                    None,
                )
                .await;
            let status = response.status();
            let body: Value = response.json().await.unwrap_or(Value::Null);
            if methods.contains(&method) {
                assert!(
                    status != StatusCode::METHOD_NOT_ALLOWED && body["type"] != "route-not-found",
                    "{method} {path} is documented but not routed ({status}, {body})"
                );
            } else {
                assert_eq!(
                    status,
                    StatusCode::METHOD_NOT_ALLOWED,
                    "{method} {path} is routed but not documented"
                );
            }
        }
    }
    // Request and response schemas are in the document.
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    for name in [
        "LoginRequest",
        "TokenResponse",
        "CreateUser",
        "UpdateUser",
        "UserView",
        "Problem",
        "CreateOrganization",
        "Scheme",
    ] {
        assert!(schemas.contains_key(name), "schema {name}");
    }
}

fn group(routes: &[(&'static str, &'static str)]) -> Vec<(&'static str, Vec<&'static str>)> {
    let mut grouped: Vec<(&str, Vec<&str>)> = Vec::new();
    for (method, path) in routes {
        match grouped.iter_mut().find(|(p, _)| p == path) {
            Some((_, methods)) => methods.push(method),
            None => grouped.push((path, vec![method])),
        }
    }
    grouped
}

async fn the_document_names_every_answer_an_operation_can_give(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let doc: Value = app
        .get("/api/v1/openapi.json", None)
        .await
        .json()
        .await
        .expect("json");
    for (path, item) in doc["paths"].as_object().expect("paths") {
        if !path.starts_with("/api/v1/") || path.ends_with("openapi.json") {
            continue;
        }
        for (method, operation) in item.as_object().expect("path item") {
            let what = format!("{method} {path}");
            let answers = operation["responses"].as_object().expect("responses");
            let has = |code: &str| answers.contains_key(code);
            let parameters = operation["parameters"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let located = |place: &str| parameters.iter().any(|p| p["in"] == place);
            let mut expected = vec!["503"];
            if operation.get("requestBody").is_some() {
                expected.extend(["400", "413", "415", "422"]);
            }
            if located("query") {
                expected.extend(["400", "422"]);
            }
            if located("path") {
                expected.push("404");
            }
            if operation.get("security").is_some() {
                expected.extend(["401", "403"]);
            }
            for code in expected {
                assert!(has(code), "{what} documents {code}");
            }
            for (code, answer) in answers {
                assert!(
                    answer["description"]
                        .as_str()
                        .is_some_and(|d| !d.is_empty()),
                    "{what} {code} has a description"
                );
                if code.starts_with('4') || code.starts_with('5') {
                    let content = answer["content"].as_object().expect("content");
                    assert_eq!(
                        content.keys().collect::<Vec<_>>(),
                        ["application/problem+json"],
                        "{what} {code}"
                    );
                    assert_eq!(
                        content["application/problem+json"]["schema"]["$ref"],
                        "#/components/schemas/Problem"
                    );
                }
            }
        }
    }
    // The staff view admits the figures the annex row adds to a worker as typed.
    let worker = &doc["components"]["schemas"]["WorkerView"];
    for field in ["name", "months", "line", "zone_name", "on_post_total"] {
        assert!(
            worker["properties"].get(field).is_some(),
            "WorkerView.{field}"
        );
    }
    assert!(
        worker
            .get("additionalProperties")
            .is_none_or(|a| a != false)
    );
    // A workbook upload is a binary body.
    let body = &doc["paths"]["/api/v1/evaluations/{id}/staff.xlsx"]["post"]["requestBody"];
    let xlsx =
        &body["content"]["application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"];
    let schema = match xlsx["schema"]["$ref"].as_str() {
        Some(reference) => {
            &doc["components"]["schemas"][reference.rsplit('/').next().unwrap_or("")]
        }
        None => &xlsx["schema"],
    };
    assert_eq!(schema["type"], "string", "{body}");
    assert_eq!(schema["format"], "binary", "{body}");
}
