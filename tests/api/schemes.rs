//! Schemes as data: the shipped ones are served; GET returns exactly what POST accepts; broken
//! schemes are refused with their reasons; a stored version never changes.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

both_backends!(
    shipped_schemes_are_served,
    get_returns_exactly_what_post_accepts,
    broken_schemes_are_refused_with_the_reason,
    a_stored_version_never_changes,
    only_admins_add_schemes,
);

/// The shipped guangzhou-2023, its newest version (the reference reports' outline and the
/// satisfaction survey's questionnaire).
fn shipped_2023() -> Value {
    serde_json::from_str(include_str!("../../config/schemes/guangzhou-2023-v3.json")).expect("json")
}

/// Its first version, kept for the evaluations pinned to it.
fn shipped_2023_first() -> Value {
    serde_json::from_str(include_str!("../../config/schemes/guangzhou-2023.json")).expect("json")
}

async fn shipped_schemes_are_served(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let list = app.get_json("/api/v1/schemes", Some(&admin)).await;
    let codes: Vec<(&str, i64)> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|s| {
            (
                s["code"].as_str().unwrap_or(""),
                s["version"].as_i64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        codes,
        vec![
            ("guangzhou-2019", 1),
            ("guangzhou-2023", 3),
            ("guangzhou-2023", 2),
            ("guangzhou-2023", 1),
            ("guangzhou-2023-haizhu", 2),
            ("guangzhou-2023-haizhu", 1)
        ]
    );
    assert_eq!(list["items"][0]["total"], "1000.00");
    let scheme = app
        .get_json("/api/v1/schemes/guangzhou-2023", Some(&admin))
        .await;
    assert_eq!(scheme, shipped_2023());
    assert_eq!(
        app.get_json("/api/v1/schemes/guangzhou-2023?version=1", Some(&admin))
            .await,
        shipped_2023_first()
    );
    assert_problem(
        app.get("/api/v1/schemes/shanghai-2030", Some(&admin)).await,
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    assert_problem(
        app.get("/api/v1/schemes/guangzhou-2023?version=9", Some(&admin))
            .await,
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
}

async fn get_returns_exactly_what_post_accepts(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let mut scheme = app
        .get_json("/api/v1/schemes/guangzhou-2023", Some(&admin))
        .await;
    scheme["version"] = json!(4);
    scheme["name"] = json!("广州市社工站购买服务项目评估方案（2023 修订）");
    scheme["parties"]
        .as_array_mut()
        .expect("parties")
        .push(json!({
            "code": "committee", "name": "村(居)委会", "org_kind": "residents_committee",
            "weight": "0.00", "native_max": "0.00", "gate": true
        }));
    let response = app.post("/api/v1/schemes", Some(&admin), &scheme).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(response.json::<Value>().await.expect("json"), scheme);
    assert_eq!(
        app.get_json("/api/v1/schemes/guangzhou-2023?version=4", Some(&admin))
            .await,
        scheme
    );
    assert_eq!(
        app.get_json("/api/v1/schemes/guangzhou-2023", Some(&admin))
            .await,
        scheme,
        "newest by default"
    );
    assert_eq!(
        app.get_json("/api/v1/schemes/guangzhou-2023?version=3", Some(&admin))
            .await,
        shipped_2023()
    );
}

async fn broken_schemes_are_refused_with_the_reason(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let fresh = || {
        let mut scheme = shipped_2023();
        scheme["code"] = json!("test-scheme");
        scheme
    };
    let mut weights_99 = fresh();
    weights_99["parties"][0]["weight"] = json!("9.00");
    weights_99["parties"][0]["native_max"] = json!("9.00");
    let mut items_over = fresh();
    items_over["third_party_tree"]["sections"][0]["items"][0]["max_points"] = json!("10.00");
    let mut unknown = fresh();
    unknown["parties"][1]["colour"] = json!("red");
    let mut three_places = fresh();
    three_places["total"] = json!("100.005");
    let cases: Vec<(Value, &str, &str)> = vec![
        (weights_99, "parties", "99.00"),
        (items_over, "third_party_tree", "55.00"),
        (unknown, "parties[1].colour", "不允许"),
        (three_places, "total", "两位小数"),
    ];
    for (body, field, says) in cases {
        let problem = assert_problem(
            app.post("/api/v1/schemes", Some(&admin), &body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
        )
        .await;
        let found = problem["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .any(|e| {
                e["field"] == field && e["message"].as_str().is_some_and(|m| m.contains(says))
            });
        assert!(found, "{field} / {says}: {problem}");
    }
    let list = app.get_json("/api/v1/schemes", Some(&admin)).await;
    assert_eq!(list["total"], 6, "nothing stored");
}

async fn a_stored_version_never_changes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let mut changed = shipped_2023();
    changed["name"] = json!("改过的方案");
    let problem = assert_problem(
        app.post("/api/v1/schemes", Some(&admin), &changed).await,
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["version"]);
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains('3')),
        "{problem}"
    );
    assert_eq!(
        app.get_json("/api/v1/schemes/guangzhou-2023", Some(&admin))
            .await,
        shipped_2023()
    );
}

async fn only_admins_add_schemes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let bureau = app
        .create_org(&admin, "荔湾区民政局", "civil_affairs_bureau")
        .await;
    app.create_user(&admin, "liwan", bureau, "manager").await;
    let manager = token_of(&app.login_ok("liwan", PASSWORD).await);
    let mut scheme = shipped_2023();
    scheme["version"] = json!(4);
    assert_problem(
        app.post("/api/v1/schemes", Some(&manager), &scheme).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    assert_problem(
        app.post("/api/v1/schemes", None, &scheme).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    // Everyone logged in reads them.
    assert_eq!(
        app.get_json("/api/v1/schemes/guangzhou-2023", Some(&manager))
            .await,
        shipped_2023()
    );
}
