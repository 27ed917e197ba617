//! Users: admins manage all, a manager the members and experts of its own organization; role
//! rules by organization kind; optimistic concurrency on PATCH.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

both_backends!(
    managers_manage_members_and_experts_of_their_own_organization,
    members_cannot_manage_users,
    roles_follow_the_organization_kind,
    usernames_are_unique_and_checked,
    stale_versions_are_refused,
    admins_cannot_lock_themselves_out,
    managers_cannot_change_fellow_managers_but_disable_and_reset_members,
    concurrent_changes_on_one_version_let_exactly_one_through,
);

struct Agencies {
    admin: String,
    own: i64,
    other: i64,
    manager: String,
    other_member: i64,
}

async fn two_agencies(app: &TestApp) -> Agencies {
    let admin = app.admin_token().await;
    let own = app
        .create_org(&admin, "广州市社会工作协会", "evaluation_agency")
        .await;
    let other = app
        .create_org(&admin, "广州市社会组织联合会", "evaluation_agency")
        .await;
    app.create_user(&admin, "gz-manager", own, "manager").await;
    let other_member = app.create_user(&admin, "lh-member", other, "member").await;
    let manager = token_of(&app.login_ok("gz-manager", PASSWORD).await);
    Agencies {
        admin,
        own,
        other,
        manager,
        other_member,
    }
}

fn new_user(username: &str, org: i64, role: &str) -> Value {
    json!({"username": username, "display_name": "测试用户", "password": PASSWORD,
           "organization_id": org, "role": role, "must_change_password": false})
}

async fn managers_manage_members_and_experts_of_their_own_organization(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = two_agencies(&app).await;

    // Own organization: members and experts.
    let response = app
        .post(
            "/api/v1/users",
            Some(&a.manager),
            &new_user("gz-expert", a.own, "expert"),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let expert: Value = response.json().await.expect("json");
    assert_eq!(expert["organization"]["id"], a.own);
    assert_eq!(expert["role"], "expert");
    assert_eq!(
        app.post(
            "/api/v1/users",
            Some(&a.manager),
            &new_user("gz-member", a.own, "member")
        )
        .await
        .status(),
        StatusCode::CREATED
    );

    // Not managers, not admins, not in another organization.
    for (body, why) in [
        (new_user("gz-manager2", a.own, "manager"), "a manager"),
        (
            new_user("lh-expert", a.other, "expert"),
            "another organization",
        ),
    ] {
        let problem = assert_problem(
            app.post("/api/v1/users", Some(&a.manager), &body).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
        assert!(
            problem["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{why}"
        );
    }

    // Lists and views only the own organization.
    let list: Value = app.get_json("/api/v1/users", Some(&a.manager)).await;
    assert_eq!(list["total"], 3);
    assert!(
        list["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|u| u["organization"]["id"] == a.own)
    );
    let filtered: Value = app
        .get_json(
            &format!("/api/v1/users?organization_id={}", a.other),
            Some(&a.manager),
        )
        .await;
    assert_eq!(
        filtered["total"], 3,
        "a manager's filter cannot reach other organizations"
    );
    assert_problem(
        app.get(
            &format!("/api/v1/users/{}", a.other_member),
            Some(&a.manager),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    let patch_other = app
        .patch(
            &format!("/api/v1/users/{}", a.other_member),
            Some(&a.manager),
            &json!({"display_name": "改名"}),
        )
        .await;
    assert_problem(patch_other, StatusCode::NOT_FOUND, "not-found").await;

    // Changes its own members and experts, but cannot promote them.
    let expert_id = id_of(&expert);
    let renamed = app
        .patch(
            &format!("/api/v1/users/{expert_id}"),
            Some(&a.manager),
            &json!({"display_name": "李专家", "email": "li@example.cn"}),
        )
        .await;
    assert_eq!(renamed.status(), StatusCode::OK);
    let renamed: Value = renamed.json().await.expect("json");
    assert_eq!(
        (renamed["display_name"].as_str(), renamed["email"].as_str()),
        (Some("李专家"), Some("li@example.cn"))
    );
    assert_eq!(renamed["version"], 2);
    let cleared: Value = app
        .patch(
            &format!("/api/v1/users/{expert_id}"),
            Some(&a.manager),
            &json!({"email": null}),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(cleared["email"], Value::Null);
    assert_eq!(cleared["display_name"], "李专家");
    assert_problem(
        app.patch(
            &format!("/api/v1/users/{expert_id}"),
            Some(&a.manager),
            &json!({"role": "manager"}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;

    // The admin sees everybody and may filter.
    let all: Value = app.get_json("/api/v1/users", Some(&a.admin)).await;
    assert_eq!(all["total"], 5);
    let other: Value = app
        .get_json(
            &format!("/api/v1/users?organization_id={}", a.other),
            Some(&a.admin),
        )
        .await;
    assert_eq!(other["total"], 1);
}

async fn members_cannot_manage_users(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = two_agencies(&app).await;
    let member = token_of(&app.login_ok("lh-member", PASSWORD).await);
    assert_problem(
        app.get("/api/v1/users", Some(&member)).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    assert_problem(
        app.post(
            "/api/v1/users",
            Some(&member),
            &new_user("x-user", a.other, "member"),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    assert_problem(
        app.patch(
            &format!("/api/v1/users/{}", a.other_member),
            Some(&member),
            &json!({"display_name": "自己改"}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    assert_problem(
        app.get("/api/v1/admin/login-attempts", Some(&member)).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    assert_problem(
        app.get("/api/v1/admin/login-attempts", Some(&a.manager))
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    // Anonymous callers get 401 everywhere.
    assert_problem(
        app.get("/api/v1/users", None).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    assert_problem(
        app.post("/api/v1/users", None, &new_user("y-user", a.own, "member"))
            .await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    assert_problem(
        app.get("/api/v1/admin/login-attempts", None).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    assert_problem(
        app.patch("/api/v1/users/1", None, &json!({"disabled": true}))
            .await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
}

async fn roles_follow_the_organization_kind(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let street = app
        .create_org(&admin, "西村街道办事处", "street_office")
        .await;
    let me: Value = app.get_json("/api/v1/me", Some(&admin)).await;
    let system = me["organization"]["id"].as_i64().expect("system id");

    for (org, role) in [
        (street, "admin"),
        (street, "expert"),
        (system, "manager"),
        (system, "member"),
    ] {
        let problem = assert_problem(
            app.post(
                "/api/v1/users",
                Some(&admin),
                &new_user("role-test", org, role),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
        )
        .await;
        assert_eq!(error_fields(&problem), vec!["role"], "{role} in {org}");
    }
    let problem = assert_problem(
        app.post(
            "/api/v1/users",
            Some(&admin),
            &new_user("role-test", 424242, "member"),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["organization_id"]);

    // A second administrator, and a role change refused by kind.
    app.create_user(&admin, "admin2", system, "admin").await;
    let member = app
        .create_user(&admin, "street-member", street, "member")
        .await;
    let problem = assert_problem(
        app.patch(
            &format!("/api/v1/users/{member}"),
            Some(&admin),
            &json!({"role": "expert"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["role"]);
    let user: Value = app
        .get_json(&format!("/api/v1/users/{member}"), Some(&admin))
        .await;
    assert_eq!(
        (user["role"].as_str(), user["version"].as_i64()),
        (Some("member"), Some(1)),
        "nothing written"
    );
}

async fn usernames_are_unique_and_checked(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let org = app.create_org(&admin, "逢源人家服务中心", "operator").await;
    app.create_user(&admin, "fengyuan", org, "manager").await;
    let duplicate = assert_problem(
        app.post(
            "/api/v1/users",
            Some(&admin),
            &new_user("FengYuan", org, "member"),
        )
        .await,
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;
    assert_eq!(error_fields(&duplicate), vec!["username"]);
    for bad in ["ab", "张三", "has space"] {
        let problem = assert_problem(
            app.post("/api/v1/users", Some(&admin), &new_user(bad, org, "member"))
                .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
        )
        .await;
        assert_eq!(error_fields(&problem), vec!["username"], "{bad}");
    }
    let mut bad_email = new_user("with-email", org, "member");
    bad_email["email"] = json!("not-an-address");
    let problem = assert_problem(
        app.post("/api/v1/users", Some(&admin), &bad_email).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["email"]);
}

async fn stale_versions_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let org = app.create_org(&admin, "逢源人家服务中心", "operator").await;
    let id = app.create_user(&admin, "fengyuan", org, "member").await;
    let path = format!("/api/v1/users/{id}");

    let first = app
        .patch(
            &path,
            Some(&admin),
            &json!({"display_name": "第一次", "version": 1}),
        )
        .await;
    assert_eq!(first.status(), StatusCode::OK);
    let stale = assert_problem(
        app.patch(
            &path,
            Some(&admin),
            &json!({"display_name": "第二次", "version": 1}),
        )
        .await,
        StatusCode::CONFLICT,
        "version-conflict",
    )
    .await;
    assert_eq!(stale["current_version"], 2);
    assert!(
        stale["detail"].as_str().is_some_and(|d| d.contains('2')),
        "{stale}"
    );

    // If-Match works as well as a body version.
    let response = app
        .client
        .patch(app.url(&path))
        .bearer_auth(&admin)
        .header("If-Match", "\"1\"")
        .json(&json!({"display_name": "第三次"}))
        .send()
        .await
        .expect("sent");
    assert_problem(response, StatusCode::CONFLICT, "version-conflict").await;
    let response = app
        .client
        .patch(app.url(&path))
        .bearer_auth(&admin)
        .header("If-Match", "\"2\"")
        .json(&json!({"display_name": "第三次"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);

    let user: Value = app.get_json(&path, Some(&admin)).await;
    assert_eq!(
        (user["display_name"].as_str(), user["version"].as_i64()),
        (Some("第三次"), Some(3))
    );
    // A write without a version is accepted.
    assert_eq!(
        app.patch(&path, Some(&admin), &json!({"display_name": "第四次"}))
            .await
            .status(),
        StatusCode::OK
    );
}

async fn admins_cannot_lock_themselves_out(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let me: Value = app.get_json("/api/v1/me", Some(&admin)).await;
    let path = format!("/api/v1/users/{}", id_of(&me));
    assert_problem(
        app.patch(&path, Some(&admin), &json!({"disabled": true}))
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    assert_eq!(
        app.get("/api/v1/me", Some(&admin)).await.status(),
        StatusCode::OK
    );
}

async fn managers_cannot_change_fellow_managers_but_disable_and_reset_members(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = two_agencies(&app).await;
    let fellow = app
        .create_user(&a.admin, "gz-manager-2", a.own, "manager")
        .await;
    for change in [
        json!({"display_name": "改名"}),
        json!({"disabled": true}),
        json!({"password": "Taken-over-123"}),
    ] {
        assert_problem(
            app.patch(
                &format!("/api/v1/users/{fellow}"),
                Some(&a.manager),
                &change,
            )
            .await,
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
    }
    app.login_ok("gz-manager-2", PASSWORD).await;

    let member = app
        .create_user(&a.admin, "gz-member", a.own, "member")
        .await;
    let member_login = app.login_ok("gz-member", PASSWORD).await;
    let reset = app
        .patch(
            &format!("/api/v1/users/{member}"),
            Some(&a.manager),
            &json!({"password": "Given-by-manager-1"}),
        )
        .await;
    assert_eq!(reset.status(), StatusCode::OK);
    assert_problem(
        app.get("/api/v1/me", Some(&token_of(&member_login))).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    assert_eq!(
        app.login_ok("gz-member", "Given-by-manager-1").await["must_change_password"],
        true
    );
    let disabled = app
        .patch(
            &format!("/api/v1/users/{member}"),
            Some(&a.manager),
            &json!({"disabled": true}),
        )
        .await;
    assert_eq!(disabled.status(), StatusCode::OK);
    assert_eq!(
        app.login("gz-member", "Given-by-manager-1").await.status(),
        StatusCode::UNAUTHORIZED
    );
}

async fn concurrent_changes_on_one_version_let_exactly_one_through(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let org = app.create_org(&admin, "逢源人家服务中心", "operator").await;
    let id = app.create_user(&admin, "fengyuan", org, "member").await;
    let path = format!("/api/v1/users/{id}");
    let changes = (0..6).map(|i| {
        let (app, path, admin) = (&app, &path, &admin);
        async move {
            app.patch(
                path,
                Some(admin),
                &json!({"display_name": format!("名字{i}"), "version": 1}),
            )
            .await
            .status()
        }
    });
    let statuses = futures_util::future::join_all(changes).await;
    let ok = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    let conflicts = statuses
        .iter()
        .filter(|s| **s == StatusCode::CONFLICT)
        .count();
    assert_eq!((ok, conflicts), (1, 5), "{statuses:?}");
    let user: Value = app.get_json(&path, Some(&admin)).await;
    assert_eq!(user["version"], 2);
}
