//! Organizations: created by admins, listed by everyone logged in; the system organization
//! comes from the first migration; data survives a restart.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

both_backends!(
    admins_create_organizations_and_everyone_lists_them,
    only_admins_create_organizations,
    organization_names_are_unique_and_system_is_unique,
    data_survives_a_restart,
    organizations_carry_a_full_name_besides_the_short_one,
    agencies_carry_a_report_number_prefix,
);

async fn admins_create_organizations_and_everyone_lists_them(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let response = app
        .post(
            "/api/v1/organizations",
            Some(&admin),
            &json!({"name": "荔湾区民政局", "kind": "civil_affairs_bureau", "district": "荔湾区"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let bureau: Value = response.json().await.expect("json");
    assert_eq!(bureau["name"], "荔湾区民政局");
    assert_eq!(bureau["kind"], "civil_affairs_bureau");
    assert_eq!(bureau["district"], "荔湾区");
    assert_eq!(bureau["version"], 1);
    app.create_org(&admin, "西村街道办事处", "street_office")
        .await;
    app.create_org(&admin, "广州市社会工作督导中心", "supervision_center")
        .await;

    let member = app
        .create_user(&admin, "bureau-member", id_of(&bureau), "member")
        .await;
    assert!(member > 0);
    let token = token_of(&app.login_ok("bureau-member", PASSWORD).await);
    let all: Value = app.get_json("/api/v1/organizations", Some(&token)).await;
    assert_eq!(all["total"], 4);
    assert_eq!(all["page"], 1);
    assert_eq!(all["per_page"], 20);
    assert_eq!(all["items"][0]["kind"], "system");

    let streets: Value = app
        .get_json("/api/v1/organizations?kind=street_office", Some(&token))
        .await;
    assert_eq!(streets["total"], 1);
    assert_eq!(streets["items"][0]["name"], "西村街道办事处");

    let paged: Value = app
        .get_json("/api/v1/organizations?page=2&per_page=3", Some(&token))
        .await;
    assert_eq!(paged["items"].as_array().map(Vec::len), Some(1));
    let clamped: Value = app
        .get_json("/api/v1/organizations?per_page=1000", Some(&token))
        .await;
    assert_eq!(clamped["per_page"], 100);

    let one: Value = app
        .get(
            &format!("/api/v1/organizations/{}", id_of(&bureau)),
            Some(&token),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(one["name"], "荔湾区民政局");
    assert_problem(
        app.get("/api/v1/organizations/99999", Some(&token)).await,
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    assert_problem(
        app.get("/api/v1/organizations/abc", Some(&token)).await,
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
}

async fn only_admins_create_organizations(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let bureau = app
        .create_org(&admin, "荔湾区民政局", "civil_affairs_bureau")
        .await;
    app.create_user(&admin, "liwan-manager", bureau, "manager")
        .await;
    let manager = token_of(&app.login_ok("liwan-manager", PASSWORD).await);
    let body = json!({"name": "海珠区民政局", "kind": "civil_affairs_bureau"});

    assert_problem(
        app.post("/api/v1/organizations", Some(&manager), &body)
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    assert_problem(
        app.post("/api/v1/organizations", None, &body).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    assert_problem(
        app.get("/api/v1/organizations", None).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    let all: Value = app.get_json("/api/v1/organizations", Some(&admin)).await;
    assert_eq!(all["total"], 2, "nothing written: {all}");
}

async fn organization_names_are_unique_and_system_is_unique(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    app.create_org(&admin, "荔湾区民政局", "civil_affairs_bureau")
        .await;
    let duplicate = assert_problem(
        app.post(
            "/api/v1/organizations",
            Some(&admin),
            &json!({"name": "荔湾区民政局", "kind": "civil_affairs_bureau"}),
        )
        .await,
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;
    assert_eq!(error_fields(&duplicate), vec!["name"]);
    let system = assert_problem(
        app.post(
            "/api/v1/organizations",
            Some(&admin),
            &json!({"name": "另一个系统", "kind": "system"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(error_fields(&system), vec!["kind"]);
}

async fn data_survives_a_restart(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let org = app
        .create_org(&admin, "海珠区民政局", "civil_affairs_bureau")
        .await;
    app.create_user(&admin, "haizhu", org, "manager").await;
    let old_login = app.login_ok("haizhu", PASSWORD).await;

    app.restart().await;

    let token = token_of(&app.login_ok("haizhu", PASSWORD).await);
    let me: Value = app.get_json("/api/v1/me", Some(&token)).await;
    assert_eq!(me["organization"]["name"], "海珠区民政局");
    // Sessions are in the database: an access token from before the restart still works.
    assert_eq!(
        app.get("/api/v1/me", Some(&token_of(&old_login)))
            .await
            .status(),
        StatusCode::OK
    );
}

/// 全称 besides 简称: given at creation and shown everywhere the organization is; the short name
/// when none is given; bounded like every one-line text.
async fn organizations_carry_a_full_name_besides_the_short_one(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let response = app
        .post(
            "/api/v1/organizations",
            Some(&admin),
            &json!({"name": "荔湾区民政局", "full_name": " 广州市荔湾区民政局 ",
                    "kind": "civil_affairs_bureau", "district": "荔湾区", "city": " 广州市 "}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let bureau: Value = response.json().await.expect("json");
    assert_eq!(bureau["name"], "荔湾区民政局");
    assert_eq!(bureau["full_name"], "广州市荔湾区民政局");
    assert_eq!(bureau["city"], "广州市");
    let street = app
        .create_org(&admin, "西村街道办事处", "street_office")
        .await;
    let found = app
        .get_json(&format!("/api/v1/organizations/{street}"), Some(&admin))
        .await;
    assert_eq!(
        found["full_name"], "西村街道办事处",
        "the short name by default"
    );
    assert_eq!(found["city"], Value::Null, "no city unless given");
    let listed = app
        .get_json(
            "/api/v1/organizations?kind=civil_affairs_bureau",
            Some(&admin),
        )
        .await;
    assert_eq!(listed["items"][0]["full_name"], "广州市荔湾区民政局");

    let too_long = app
        .post(
            "/api/v1/organizations",
            Some(&admin),
            &json!({"name": "海珠区民政局", "full_name": "广".repeat(101),
                    "kind": "civil_affairs_bureau"}),
        )
        .await;
    let problem = assert_invalid(too_long).await;
    assert_eq!(error_fields(&problem), vec!["full_name"]);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM organizations WHERE name = '海珠区民政局'")
            .await,
        0
    );
}

async fn agencies_carry_a_report_number_prefix(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let response = app
        .post(
            "/api/v1/organizations",
            Some(&admin),
            &json!({"name": "市社工协会", "kind": "evaluation_agency", "report_prefix": " 穗社评 "}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let agency: Value = response.json().await.expect("json");
    assert_eq!(agency["report_prefix"], "穗社评");
    for (name, body) in [
        (
            "海珠区民政局",
            json!({"name": "海珠区民政局", "kind": "civil_affairs_bureau", "report_prefix": "穗民评"}),
        ),
        (
            "长前缀评估机构",
            json!({"name": "长前缀评估机构", "kind": "evaluation_agency", "report_prefix": "评".repeat(21)}),
        ),
    ] {
        let refused = app.post("/api/v1/organizations", Some(&admin), &body).await;
        let problem = assert_invalid(refused).await;
        assert_eq!(error_fields(&problem), vec!["report_prefix"], "{name}");
        let query = format!("SELECT COUNT(*) AS n FROM organizations WHERE name = '{name}'");
        assert_eq!(app.count(&query).await, 0, "{name}");
    }
}
