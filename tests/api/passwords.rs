//! The password policy, changing one's password, an administrator's reset, and the forced
//! change of a password that someone else chose.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

both_backends!(
    password_change_keeps_this_session_and_ends_the_others,
    password_change_checks_the_current_password_and_the_policy,
    reset_by_admin_ends_all_sessions_and_forces_a_change,
    new_users_must_change_the_password_they_were_given,
    password_policy_applies_to_new_users,
);

async fn change(app: &TestApp, token: &str, current: &str, new: &str) -> reqwest::Response {
    app.post(
        "/api/v1/me/password",
        Some(token),
        &json!({"current_password": current, "new_password": new}),
    )
    .await
}

async fn password_change_keeps_this_session_and_ends_the_others(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let this = app.login_ok(ADMIN, ADMIN_PASSWORD).await;
    let other = app.login_ok(ADMIN, ADMIN_PASSWORD).await;

    let response = change(&app, &token_of(&this), ADMIN_PASSWORD, "Brand-new-pass-9").await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);

    assert_eq!(
        app.get("/api/v1/me", Some(&token_of(&this))).await.status(),
        StatusCode::OK
    );
    assert_problem(
        app.get("/api/v1/me", Some(&token_of(&other))).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    let refreshed = app
        .post(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": other["refresh_token"]}),
        )
        .await;
    assert_problem(refreshed, StatusCode::UNAUTHORIZED, "unauthorized").await;

    assert_eq!(
        app.login(ADMIN, ADMIN_PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    app.login_ok(ADMIN, "Brand-new-pass-9").await;
}

async fn password_change_checks_the_current_password_and_the_policy(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin_token().await;

    let wrong = assert_problem(
        change(&app, &token, "Not-my-pass-1", "Brand-new-pass-9").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(error_fields(&wrong), vec!["current_password"]);

    for weak in ["short1", "onlyletterslong", "1234567890123"] {
        let problem = assert_problem(
            change(&app, &token, ADMIN_PASSWORD, weak).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
        )
        .await;
        assert_eq!(error_fields(&problem), vec!["new_password"], "{weak}");
    }
    let same = assert_problem(
        change(&app, &token, ADMIN_PASSWORD, ADMIN_PASSWORD).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(error_fields(&same), vec!["new_password"]);
    // Nothing changed.
    app.login_ok(ADMIN, ADMIN_PASSWORD).await;
}

async fn reset_by_admin_ends_all_sessions_and_forces_a_change(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let org = app
        .create_org(&admin, "荔湾区民政局", "civil_affairs_bureau")
        .await;
    let id = app.create_user(&admin, "liwan", org, "manager").await;
    let before = app.login_ok("liwan", PASSWORD).await;

    let response = app
        .patch(
            &format!("/api/v1/users/{id}"),
            Some(&admin),
            &json!({"password": "Reset-by-admin-1"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let user: Value = response.json().await.expect("json");
    assert_eq!(user["must_change_password"], true);

    assert_problem(
        app.get("/api/v1/me", Some(&token_of(&before))).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    assert_eq!(
        app.login("liwan", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );

    let after = app.login_ok("liwan", "Reset-by-admin-1").await;
    assert_eq!(after["must_change_password"], true);
    let token = token_of(&after);
    // Everything but /me, /me/password and /auth/* is refused until the password is changed.
    assert_problem(
        app.get("/api/v1/users", Some(&token)).await,
        StatusCode::FORBIDDEN,
        "password-change-required",
    )
    .await;
    assert_problem(
        app.get("/api/v1/organizations", Some(&token)).await,
        StatusCode::FORBIDDEN,
        "password-change-required",
    )
    .await;
    let me: Value = app.get_json("/api/v1/me", Some(&token)).await;
    assert_eq!(me["must_change_password"], true);

    assert_eq!(
        change(&app, &token, "Reset-by-admin-1", "Chosen-by-me-22")
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get("/api/v1/users", Some(&token)).await.status(),
        StatusCode::OK
    );
    let me: Value = app.get_json("/api/v1/me", Some(&token)).await;
    assert_eq!(me["must_change_password"], false);
}

async fn new_users_must_change_the_password_they_were_given(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let org = app
        .create_org(&admin, "广州市社会工作协会", "evaluation_agency")
        .await;
    let response = app
        .post(
            "/api/v1/users",
            Some(&admin),
            &json!({"username": "expert1", "display_name": "专家一", "password": PASSWORD,
                    "organization_id": org, "role": "expert"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let user: Value = response.json().await.expect("json");
    assert_eq!(user["must_change_password"], true);

    let login = app.login_ok("expert1", PASSWORD).await;
    assert_eq!(login["must_change_password"], true);
    let token = token_of(&login);
    assert_problem(
        app.get("/api/v1/organizations", Some(&token)).await,
        StatusCode::FORBIDDEN,
        "password-change-required",
    )
    .await;
    // /auth/* stays open: refresh and logout work.
    let refreshed = app
        .post(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": login["refresh_token"]}),
        )
        .await;
    assert_eq!(refreshed.status(), StatusCode::OK);
}

async fn password_policy_applies_to_new_users(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.auth.password_min_length = 12).await;
    let admin = app.admin_token().await;
    let org = app
        .create_org(&admin, "瑞宝街道办事处", "street_office")
        .await;
    for weak in ["Short-pass1", "no-digits-at-all", "123456789012"] {
        let problem = assert_problem(
            app.post(
                "/api/v1/users",
                Some(&admin),
                &json!({"username": "ruibao", "display_name": "瑞宝", "password": weak,
                        "organization_id": org, "role": "member"}),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
        )
        .await;
        assert_eq!(error_fields(&problem), vec!["password"], "{weak}");
    }
    let users: Value = app.get_json("/api/v1/users", Some(&admin)).await;
    assert_eq!(users["total"], 1, "nothing written: {users}");
}
