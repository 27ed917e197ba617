//! Login, throttling, refresh rotation and reuse, logout, disabled users.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

both_backends!(
    login_answers_tokens_and_the_user,
    wrong_password_and_unknown_user_get_the_same_answer,
    every_login_attempt_is_recorded,
    five_failures_for_one_user_throttle_even_the_right_password,
    failures_from_one_address_throttle_every_username,
    refresh_rotates_and_reuse_revokes_the_family,
    logout_ends_refresh_and_access_tokens,
    disabled_user_can_neither_log_in_nor_refresh,
    a_disabled_flag_alone_refuses_open_sessions,
    concurrent_wrong_passwords_cannot_pass_the_throttle,
    a_burst_of_right_passwords_is_asked_to_wait_a_second,
    tokens_are_required_and_checked,
);

async fn login_answers_tokens_and_the_user(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let login = app.login_ok(ADMIN, ADMIN_PASSWORD).await;
    assert_eq!(login["token_type"], "Bearer");
    assert_eq!(login["expires_in"], 900);
    assert_eq!(login["must_change_password"], false);
    assert!(
        login["refresh_token"]
            .as_str()
            .is_some_and(|t| t.len() >= 40)
    );
    assert_eq!(login["user"]["username"], ADMIN);
    assert_eq!(login["user"]["role"], "admin");
    assert_eq!(login["user"]["organization"]["kind"], "system");

    let me: Value = app
        .get("/api/v1/me", Some(&token_of(&login)))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(me["username"], ADMIN);
    assert_eq!(
        me["organization"]["name"],
        login["user"]["organization"]["name"]
    );

    // Usernames are case-insensitive.
    app.login_ok("ADMIN", ADMIN_PASSWORD).await;
}

async fn wrong_password_and_unknown_user_get_the_same_answer(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let wrong = assert_problem(
        app.login(ADMIN, "Wrong-pass-2025").await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    let unknown = assert_problem(
        app.login("nobody", "Wrong-pass-2025").await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    assert_eq!(wrong, unknown);
}

async fn every_login_attempt_is_recorded(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.login(ADMIN, "Wrong-pass-2025").await;
    app.login("ghost", "Wrong-pass-2025").await;
    let token = app.admin_token().await;

    let page: Value = app
        .get_json("/api/v1/admin/login-attempts?per_page=100", Some(&token))
        .await;
    assert_eq!(page["total"], 3);
    let items = page["items"].as_array().expect("items");
    let seen: Vec<(&str, &str)> = items
        .iter()
        .map(|i| {
            (
                i["username"].as_str().unwrap_or(""),
                i["outcome"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            (ADMIN, "success"),
            ("ghost", "bad_credentials"),
            (ADMIN, "bad_credentials")
        ]
    );
    for item in items {
        assert_eq!(item["ip"], "127.0.0.1");
        assert!(
            item["at"].as_str().is_some_and(|at| at.ends_with('Z')),
            "{item}"
        );
    }
    let only: Value = app
        .get_json("/api/v1/admin/login-attempts?username=ghost", Some(&token))
        .await;
    assert_eq!(only["total"], 1);
}

async fn five_failures_for_one_user_throttle_even_the_right_password(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let org = app
        .create_org(&app.admin_token().await, "西村街道办事处", "street_office")
        .await;
    app.create_user(&app.admin_token().await, "xicun", org, "manager")
        .await;

    for _ in 0..5 {
        assert_eq!(
            app.login("xicun", "Wrong-pass-2025").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let response = app.login("xicun", PASSWORD).await;
    let retry_after: u64 = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds");
    assert!(retry_after > 800 && retry_after <= 900, "{retry_after}");
    assert_problem(
        response,
        StatusCode::TOO_MANY_REQUESTS,
        "too-many-login-attempts",
    )
    .await;
    // Other users are not affected.
    app.login_ok(ADMIN, ADMIN_PASSWORD).await;
}

async fn failures_from_one_address_throttle_every_username(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.auth.throttle.per_ip = 3;
        s.auth.throttle.per_user = 10;
    })
    .await;
    for name in ["a-one", "a-two", "a-three"] {
        assert_eq!(
            app.login(name, "Wrong-pass-2025").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let response = app.login(ADMIN, ADMIN_PASSWORD).await;
    assert!(response.headers().contains_key("retry-after"));
    assert_problem(
        response,
        StatusCode::TOO_MANY_REQUESTS,
        "too-many-login-attempts",
    )
    .await;
}

async fn refresh(app: &TestApp, refresh_token: &str) -> reqwest::Response {
    app.post(
        "/api/v1/auth/refresh",
        None,
        &json!({"refresh_token": refresh_token}),
    )
    .await
}

async fn refresh_rotates_and_reuse_revokes_the_family(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let first = app.login_ok(ADMIN, ADMIN_PASSWORD).await;
    let first_refresh = first["refresh_token"].as_str().expect("refresh");

    let response = refresh(&app, first_refresh).await;
    assert_eq!(response.status(), StatusCode::OK);
    let second: Value = response.json().await.expect("json");
    let second_refresh = second["refresh_token"].as_str().expect("refresh");
    assert_ne!(first_refresh, second_refresh);
    assert_eq!(second["user"]["username"], ADMIN);
    assert_eq!(
        app.get("/api/v1/me", Some(&token_of(&second)))
            .await
            .status(),
        StatusCode::OK
    );

    // An unrelated session of the same user.
    let other = app.login_ok(ADMIN, ADMIN_PASSWORD).await;

    // The rotated token is reused: the whole family ends, the newest token and its access token too.
    assert_problem(
        refresh(&app, first_refresh).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    assert_problem(
        refresh(&app, second_refresh).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    assert_problem(
        app.get("/api/v1/me", Some(&token_of(&second))).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    assert_problem(
        app.get("/api/v1/me", Some(&token_of(&first))).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    // The other session lives on.
    assert_eq!(
        app.get("/api/v1/me", Some(&token_of(&other)))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        refresh(&app, other["refresh_token"].as_str().expect("r"))
            .await
            .status(),
        StatusCode::OK
    );

    assert_problem(
        refresh(&app, "not-a-token").await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
}

async fn logout_ends_refresh_and_access_tokens(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let login = app.login_ok(ADMIN, ADMIN_PASSWORD).await;
    let refresh_token = login["refresh_token"].as_str().expect("refresh");
    let response = app
        .post(
            "/api/v1/auth/logout",
            None,
            &json!({"refresh_token": refresh_token}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_problem(
        refresh(&app, refresh_token).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    assert_problem(
        app.get("/api/v1/me", Some(&token_of(&login))).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    // Logging out twice is harmless.
    let again = app
        .post(
            "/api/v1/auth/logout",
            None,
            &json!({"refresh_token": refresh_token}),
        )
        .await;
    assert_eq!(again.status(), StatusCode::NO_CONTENT);
}

async fn disabled_user_can_neither_log_in_nor_refresh(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let org = app.create_org(&admin, "逢源人家服务中心", "operator").await;
    let id = app.create_user(&admin, "fengyuan", org, "member").await;
    let login = app.login_ok("fengyuan", PASSWORD).await;

    let response = app
        .patch(
            &format!("/api/v1/users/{id}"),
            Some(&admin),
            &json!({"disabled": true}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["disabled"], true);

    assert_problem(
        app.get("/api/v1/me", Some(&token_of(&login))).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    assert_problem(
        refresh(&app, login["refresh_token"].as_str().expect("r")).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    let refused = assert_problem(
        app.login("fengyuan", PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    assert!(
        refused["detail"]
            .as_str()
            .is_some_and(|d| d.contains("停用")),
        "{refused}"
    );

    // Enabled again, the user logs in.
    let response = app
        .patch(
            &format!("/api/v1/users/{id}"),
            Some(&admin),
            &json!({"disabled": false}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    app.login_ok("fengyuan", PASSWORD).await;
}

async fn tokens_are_required_and_checked(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let response = app.get("/api/v1/me", None).await;
    assert!(response.headers().contains_key("www-authenticate"));
    assert_problem(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    assert_problem(
        app.get("/api/v1/me", Some("garbage")).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    // A token signed with another key.
    let login = app.login_ok(ADMIN, ADMIN_PASSWORD).await;
    let token = token_of(&login);
    let (head, _) = token.rsplit_once('.').expect("jwt");
    let forged = format!("{head}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    assert_problem(
        app.get("/api/v1/me", Some(&forged)).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
}

async fn a_disabled_flag_alone_refuses_open_sessions(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let org = app.create_org(&admin, "逢源人家服务中心", "operator").await;
    app.create_user(&admin, "fengyuan", org, "member").await;
    let login = app.login_ok("fengyuan", PASSWORD).await;
    // Disabled without its sessions being revoked (as a database tool would): still refused.
    app.execute_sql("UPDATE users SET disabled = TRUE WHERE username = 'fengyuan'")
        .await;
    assert_problem(
        app.get("/api/v1/me", Some(&token_of(&login))).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    assert_problem(
        refresh(&app, login["refresh_token"].as_str().expect("r")).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
}

async fn concurrent_wrong_passwords_cannot_pass_the_throttle(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let guesses = (0..12).map(|i| {
        let app = &app;
        async move {
            app.login(ADMIN, &format!("Guess-number-{i}"))
                .await
                .status()
        }
    });
    let statuses = futures_util::future::join_all(guesses).await;
    let checked = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let throttled = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!((checked, throttled), (5, 7), "{statuses:?}");
    assert_eq!(
        app.login(ADMIN, ADMIN_PASSWORD).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}

async fn a_burst_of_right_passwords_is_asked_to_wait_a_second(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let logins = (0..8).map(|_| {
        let app = &app;
        async move {
            let response = app.login(ADMIN, ADMIN_PASSWORD).await;
            let retry_after = response
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap_or("").to_owned());
            (response.status(), retry_after)
        }
    });
    let answers = futures_util::future::join_all(logins).await;
    let ok = answers.iter().filter(|(s, _)| *s == StatusCode::OK).count();
    assert!(ok >= 5, "{answers:?}");
    for (status, retry_after) in &answers {
        if *status != StatusCode::OK {
            // Only attempts in flight held it back: a second, not the whole window.
            assert_eq!(
                (*status, retry_after.as_deref()),
                (StatusCode::TOO_MANY_REQUESTS, Some("1"))
            );
        }
    }
    app.login_ok(ADMIN, ADMIN_PASSWORD).await;
}
