//! The administration pages over HTTP with a session cookie: organizations, users (create,
//! disable, reset), stations with zones and agreements, evaluations, targets in setup,
//! extensions, schemes and the outbox — each form refused with the error beside its field and
//! the typed values kept, and each party kept to what it may manage.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::pages::{csrf_in, get_with, location_of, page_html, post_fields, session_of};
use crate::scoring::user;

both_backends!(
    admins_and_bureaus_set_everything_up_in_pages,
    managers_manage_only_their_own_users_and_members_none,
);

/// Posts a form (with its CSRF token, taken from `page`) and answers the response.
async fn submit(
    app: &TestApp,
    session: &str,
    page: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let csrf = csrf_in(&page_html(app, session, page).await);
    let mut all: Vec<(&str, String)> = vec![("csrf", csrf)];
    all.extend(fields.iter().map(|(k, v)| (*k, (*v).to_owned())));
    post_fields(app, session, action, &all).await
}

/// The field error printed after the last input named `name` in `html` (forms come after
/// the table, whose rows may have inputs of the same name).
fn error_after(html: &str, name: &str) -> String {
    let Some(at) = html.rfind(&format!(r#"name="{name}""#)) else {
        return String::new();
    };
    let rest = &html[at..];
    let field_end = rest.find("</div>").unwrap_or(rest.len());
    rest[..field_end]
        .split(r#"<p class="field-error""#)
        .nth(1)
        .and_then(|rest| rest.split_once('>'))
        .and_then(|(_, rest)| rest.split("</p>").next())
        .unwrap_or_default()
        .to_owned()
}

async fn admins_and_bureaus_set_everything_up_in_pages(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (cookie, _) = crate::pages::form_login_as(&app, ADMIN, ADMIN_PASSWORD).await;
    let admin = format!("pinggu_session={}", crate::pages::cookie_value(&cookie));

    // Organizations: an empty name is refused beside its field, the district kept.
    let refused = submit(
        &app,
        &admin,
        "/admin/organizations",
        "/admin/organizations",
        &[
            ("name", " "),
            ("kind", "civil_affairs_bureau"),
            ("district", "番禺区"),
        ],
    )
    .await;
    assert_eq!(refused.status(), StatusCode::OK);
    let html = refused.text().await.expect("html");
    assert!(error_after(&html, "name").contains("机构名称"), "{html}");
    // The form's summary links to the field by its id; the field points at its error.
    assert!(html.contains(r##"<a href="#new-organization-name" data-field="name">"##));
    assert!(html.contains(r#"id="new-organization-name" name="name""#));
    assert!(html.contains(r#"aria-describedby="new-organization-name-error""#));
    assert!(
        html.contains(r#"value="番禺区""#),
        "the typed district is kept"
    );
    for (name, kind) in [
        ("番禺区民政局", "civil_affairs_bureau"),
        ("大石街道办事处", "street_office"),
        ("大石社工服务中心", "operator"),
        ("番禺评估机构", "evaluation_agency"),
        ("番禺督导中心", "supervision_center"),
    ] {
        let created = submit(
            &app,
            &admin,
            "/admin/organizations",
            "/admin/organizations",
            &[("name", name), ("kind", kind), ("district", "番禺区")],
        )
        .await;
        assert_eq!(created.status(), StatusCode::SEE_OTHER, "{name}");
    }
    let listed = page_html(&app, &admin, "/admin/organizations").await;
    assert!(
        listed.contains("大石社工服务中心") && listed.contains("承办"),
        "{listed}"
    );
    let token = app.admin_token().await;
    let orgs = app
        .get_json("/api/v1/organizations?per_page=100", Some(&token))
        .await;
    let org = |name: &str| -> String {
        orgs["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|o| o["name"] == name)
            .map(|o| o["id"].to_string())
            .expect("organization")
    };

    // Users: a short password is refused beside its field with the username kept; then the
    // bureau's manager is created.
    let bureau = org("番禺区民政局");
    let weak = submit(
        &app,
        &admin,
        "/admin/users",
        "/admin/users",
        &[
            ("username", "panyu-bureau"),
            ("display_name", "番禺民政"),
            ("email", "bureau@panyu.example.cn"),
            ("organization_id", &bureau),
            ("role", "manager"),
            ("password", "short"),
        ],
    )
    .await;
    assert_eq!(weak.status(), StatusCode::OK);
    let html = weak.text().await.expect("html");
    assert!(!error_after(&html, "password").is_empty(), "{html}");
    assert!(html.contains(r#"value="panyu-bureau""#));
    let created = submit(
        &app,
        &admin,
        "/admin/users",
        "/admin/users",
        &[
            ("username", "panyu-bureau"),
            ("display_name", "番禺民政"),
            ("email", "bureau@panyu.example.cn"),
            ("organization_id", &bureau),
            ("role", "manager"),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    let users = app
        .get_json("/api/v1/users?per_page=100", Some(&token))
        .await;
    let panyu = users["items"]
        .as_array()
        .expect("users")
        .iter()
        .find(|u| u["username"] == "panyu-bureau")
        .cloned()
        .expect("created");
    assert_eq!(panyu["must_change_password"], true);
    // Disabled from its row: it cannot log in; enabled and reset, it must change the password.
    let row = format!("/admin/users/{}", panyu["id"]);
    let disabled = submit(
        &app,
        &admin,
        "/admin/users",
        &row,
        &[
            ("version", &panyu["version"].to_string()),
            ("disabled", "true"),
        ],
    )
    .await;
    assert_eq!(disabled.status(), StatusCode::SEE_OTHER);
    let listed = page_html(&app, &admin, "/admin/users").await;
    assert!(listed.contains("已停用"));
    let login = app.login("panyu-bureau", PASSWORD).await;
    assert_ne!(
        login.status(),
        StatusCode::OK,
        "a disabled user cannot log in"
    );
    let current = app
        .get_json(&format!("/api/v1/users/{}", panyu["id"]), Some(&token))
        .await;
    let enabled = submit(
        &app,
        &admin,
        "/admin/users",
        &row,
        &[
            ("version", &current["version"].to_string()),
            ("disabled", "false"),
        ],
    )
    .await;
    assert_eq!(enabled.status(), StatusCode::SEE_OTHER);
    let current = app
        .get_json(&format!("/api/v1/users/{}", panyu["id"]), Some(&token))
        .await;
    let reset = submit(
        &app,
        &admin,
        "/admin/users",
        &row,
        &[
            ("version", &current["version"].to_string()),
            ("password", "Another-pass-2025"),
        ],
    )
    .await;
    assert_eq!(reset.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.login("panyu-bureau", "Another-pass-2025")
            .await
            .status(),
        StatusCode::OK
    );
    // Back to the shared test password (changed by the user, as the page would make them).
    let token_of_user = token_of(&app.login_ok("panyu-bureau", "Another-pass-2025").await);
    let changed = app
        .post(
            "/api/v1/me/password",
            Some(&token_of_user),
            &json!({"current_password": "Another-pass-2025", "new_password": PASSWORD}),
        )
        .await;
    assert!(changed.status().is_success(), "{}", changed.status());

    // Stations: the bureau registers one with its zones typed one per line; a repeated zone is
    // refused beside the zones.
    let bureau_session = session_of(&app, "panyu-bureau").await;
    let station_fields = |zones: &'static str| {
        vec![
            ("name", "大石街社工服务站"),
            ("district", "番禺区"),
            ("street", "大石街"),
            ("address", ""),
            ("zones", zones),
        ]
    };
    let mut fields = station_fields("一片区：甲社区、乙社区\n一片区：丙社区");
    let (operator, street, bureau_id) = (
        org("大石社工服务中心"),
        org("大石街道办事处"),
        bureau.clone(),
    );
    fields.extend([
        ("operator_org_id", operator.as_str()),
        ("purchaser_org_id", street.as_str()),
        ("supervisor_org_id", bureau_id.as_str()),
    ]);
    let repeated = submit(
        &app,
        &bureau_session,
        "/admin/stations",
        "/admin/stations",
        &fields,
    )
    .await;
    assert_eq!(repeated.status(), StatusCode::OK);
    let html = repeated.text().await.expect("html");
    assert!(error_after(&html, "zones").contains("重复"), "{html}");
    let mut fields = station_fields("一片区：甲社区、乙社区\n二片区：丙社区");
    fields.extend([
        ("operator_org_id", operator.as_str()),
        ("purchaser_org_id", street.as_str()),
        ("supervisor_org_id", bureau_id.as_str()),
    ]);
    let created = submit(
        &app,
        &bureau_session,
        "/admin/stations",
        "/admin/stations",
        &fields,
    )
    .await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    let listed = page_html(&app, &bureau_session, "/admin/stations").await;
    assert!(
        listed.contains("一片区（甲社区、乙社区）；二片区（丙社区）"),
        "{listed}"
    );
    let stations = app.get_json("/api/v1/stations", Some(&token)).await;
    let station = stations["items"][0]["id"].to_string();
    // Agreements: more certified than all staff is refused beside its field.
    let agreement = |certified: &'static str| {
        vec![
            ("station_id", station.clone()),
            ("period_start", "2024-12-11".to_owned()),
            ("period_end", "2025-12-10".to_owned()),
            ("funding_yuan", "1200000.00".to_owned()),
            ("required_staff", "20".to_owned()),
            ("required_certified_staff", certified.to_owned()),
        ]
    };
    let fields = agreement("21");
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let refused = submit(
        &app,
        &bureau_session,
        "/admin/stations",
        "/admin/agreements",
        &pairs,
    )
    .await;
    assert_eq!(refused.status(), StatusCode::OK);
    let html = refused.text().await.expect("html");
    assert!(
        error_after(&html, "required_certified_staff").contains("持证"),
        "{html}"
    );
    let fields = agreement("13");
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let created = submit(
        &app,
        &bureau_session,
        "/admin/stations",
        "/admin/agreements",
        &pairs,
    )
    .await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    assert!(
        page_html(&app, &bureau_session, "/admin/stations")
            .await
            .contains("2024-12-11 至 2025-12-10，社工 20 人（持证 13 人）")
    );

    // Evaluations: created by the bureau from the form, it lands on its page.
    let found = app
        .get_json(&format!("/api/v1/stations/{station}"), Some(&token))
        .await;
    let _ = found;
    let html = page_html(&app, &bureau_session, "/admin/evaluations").await;
    let agreement_id = html
        .split(r#"name="agreement_id""#)
        .nth(1)
        .and_then(|rest| rest.split(r#"<option value=""#).nth(1))
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .to_owned();
    let (agency, center) = (org("番禺评估机构"), org("番禺督导中心"));
    let created = submit(
        &app,
        &bureau_session,
        "/admin/evaluations",
        "/admin/evaluations",
        &[
            ("agreement_id", &agreement_id),
            ("scheme_code", "guangzhou-2023"),
            ("kind", "mid_term"),
            ("assessment_start", "2024-12-11"),
            ("assessment_end", "2025-04-30"),
            ("assessment_months", ""),
            ("onsite_date", "2025-05-13"),
            ("agency_org_id", &agency),
            ("center_org_id", &center),
            ("deadlines.self_assessment", "2025-05-06"),
            ("deadlines.onsite_scoring", "2025-05-13"),
            ("deadlines.draft_feedback", "2025-05-27"),
            ("deadlines.bureau_review", "2025-06-10"),
        ],
    )
    .await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    let page = location_of(&created);
    assert!(page.starts_with("/evaluations/"), "{page}");
    let id: i64 = page
        .trim_start_matches("/evaluations/")
        .parse()
        .expect("id");
    assert!(
        page_html(&app, &bureau_session, "/admin/evaluations")
            .await
            .contains("大石街社工服务站 中期评估")
    );

    // Targets in setup, by the bureau on the 自评 tab; then an extension on the 基本信息 tab.
    let zones = found_zones(&app, &token, &station).await;
    let tab = format!("/evaluations/{id}?tab=self");
    let set = submit(
        &app,
        &bureau_session,
        &tab,
        &format!("/evaluations/{id}/self-assessment/zone"),
        &[
            ("zone", &zones[0].to_string()),
            ("version", &version_of(&app, &token, id).await),
            ("t.visits.home", "700"),
        ],
    )
    .await;
    assert_eq!(set.status(), StatusCode::SEE_OTHER);
    let targets = app
        .get_json(&format!("/api/v1/evaluations/{id}/targets"), Some(&token))
        .await;
    assert_eq!(targets["rows"][0]["indicator"], "visits.home");
    assert_eq!(targets["rows"][0]["target"], "700.00");
    let info = format!("/evaluations/{id}?tab=info");
    let no_reason = submit(
        &app,
        &bureau_session,
        &info,
        &format!("/evaluations/{id}/extensions"),
        &[
            ("stage", "self_assessment"),
            ("party", ""),
            ("new_deadline", "2025-05-20"),
            ("reason", ""),
        ],
    )
    .await;
    assert_eq!(no_reason.status(), StatusCode::OK);
    let html = no_reason.text().await.expect("html");
    assert!(html.contains("请填写延期原因"), "{html}");
    assert!(
        html.contains(r#"value="2025-05-20""#),
        "the typed date is kept"
    );
    let extended = submit(
        &app,
        &bureau_session,
        &info,
        &format!("/evaluations/{id}/extensions"),
        &[
            ("stage", "self_assessment"),
            ("party", ""),
            ("new_deadline", "2025-05-20"),
            ("reason", "社工站人员调整"),
        ],
    )
    .await;
    assert_eq!(extended.status(), StatusCode::SEE_OTHER);
    let view = app
        .get_json(&format!("/api/v1/evaluations/{id}"), Some(&token))
        .await;
    assert_eq!(view["deadlines"]["self_assessment"], "2025-05-20");

    // Schemes: a broken document is refused with its problems; a new version is imported.
    let broken = submit(
        &app,
        &admin,
        "/admin/schemes",
        "/admin/schemes",
        &[("document", "{\"code\": 1}")],
    )
    .await;
    assert_eq!(broken.status(), StatusCode::OK);
    assert!(
        broken
            .text()
            .await
            .expect("html")
            .contains("role=\"alert\"")
    );
    let mut scheme: Value = app
        .get_json("/api/v1/schemes/guangzhou-2023", Some(&token))
        .await;
    scheme["version"] = json!(4);
    scheme["name"] = json!("广州市社工服务站评估方案（修订）");
    let document = serde_json::to_string(&scheme).expect("json");
    let imported = submit(
        &app,
        &admin,
        "/admin/schemes",
        "/admin/schemes",
        &[("document", &document)],
    )
    .await;
    assert_eq!(imported.status(), StatusCode::SEE_OTHER);
    let shown = page_html(&app, &admin, &location_of(&imported)).await;
    assert!(
        shown.contains("广州市社工服务站评估方案（修订）（第 4 版）"),
        "{shown}"
    );
    let again = submit(
        &app,
        &admin,
        "/admin/schemes",
        "/admin/schemes",
        &[("document", &document)],
    )
    .await;
    assert!(again.text().await.expect("html").contains("第 4 版已存在"));

    // The outbox: an extension for the bureau's own feedback notifies its manager, listed
    // with its status (no worker runs in the tests).
    let extended = submit(
        &app,
        &bureau_session,
        &info,
        &format!("/evaluations/{id}/extensions"),
        &[
            ("stage", "draft_feedback"),
            ("party", "supervisor"),
            ("new_deadline", "2025-06-03"),
            ("reason", "区民政局需内部会签"),
        ],
    )
    .await;
    assert_eq!(extended.status(), StatusCode::SEE_OTHER);
    let outbox = page_html(&app, &admin, "/admin/outbox").await;
    assert!(outbox.contains("bureau@panyu.example.cn"), "{outbox}");
    assert!(outbox.contains("排队中"), "{outbox}");
    // Only admins see the outbox.
    let hidden = get_with(&app, &bureau_session, "/admin/outbox").await;
    assert_eq!(hidden.status(), StatusCode::NOT_FOUND);
}

async fn found_zones(app: &TestApp, token: &str, station: &str) -> Vec<i64> {
    app.get_json(&format!("/api/v1/stations/{station}"), Some(token))
        .await["zones"]
        .as_array()
        .expect("zones")
        .iter()
        .filter_map(|z| z["id"].as_i64())
        .collect()
}

async fn version_of(app: &TestApp, token: &str, id: i64) -> String {
    app.get_json(&format!("/api/v1/evaluations/{id}"), Some(token))
        .await["version"]
        .to_string()
}

async fn managers_manage_only_their_own_users_and_members_none(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let s = crate::evaluations::district(&app, &admin, "荔湾", "liwan").await;
    let other = crate::evaluations::district(&app, &admin, "海珠", "haizhu").await;
    user(&app, &s, "liwan-op-manager", "operator", "manager").await;
    user(&app, &s, "liwan-op-member", "operator", "member").await;
    user(&app, &other, "haizhu-op-member", "operator", "member").await;

    let manager = session_of(&app, "liwan-op-manager").await;
    let listed = page_html(&app, &manager, "/admin/users").await;
    assert!(listed.contains("liwan-op-member"));
    assert!(
        !listed.contains("haizhu-op-member"),
        "another organization's users stay hidden"
    );
    assert!(
        !listed.contains(r#"href="/admin/organizations""#),
        "no admin menu"
    );
    // Row buttons ask through data, not script: a name with a quote cannot become code.
    assert!(listed.contains("data-confirm=\"确定停用"), "{listed}");
    assert!(
        !listed.contains("onsubmit"),
        "no user text spliced into script"
    );
    // The form offers the own organization only; a forged other one is refused.
    let forged = crate::scoring::org(&other, "operator").to_string();
    let refused = submit(
        &app,
        &manager,
        "/admin/users",
        "/admin/users",
        &[
            ("username", "sneaky"),
            ("display_name", "越权"),
            ("email", ""),
            ("organization_id", &forged),
            ("role", "member"),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(refused.status(), StatusCode::OK);
    assert!(
        refused
            .text()
            .await
            .expect("html")
            .contains("role=\"alert\"")
    );
    let token = app.admin_token().await;
    let users = app
        .get_json("/api/v1/users?per_page=100", Some(&token))
        .await;
    assert!(
        !users["items"]
            .as_array()
            .expect("users")
            .iter()
            .any(|u| u["username"] == "sneaky"),
        "nothing written"
    );
    // Another organization's user cannot be disabled through the row form.
    let haizhu = users["items"]
        .as_array()
        .expect("users")
        .iter()
        .find(|u| u["username"] == "haizhu-op-member")
        .cloned()
        .expect("user");
    let refused = submit(
        &app,
        &manager,
        "/admin/users",
        &format!("/admin/users/{}", haizhu["id"]),
        &[
            ("version", &haizhu["version"].to_string()),
            ("disabled", "true"),
        ],
    )
    .await;
    assert_eq!(refused.status(), StatusCode::OK);
    let after = app
        .get_json(&format!("/api/v1/users/{}", haizhu["id"]), Some(&token))
        .await;
    assert_eq!(after["disabled"], false);

    // A member manages nobody; a station's user cannot create stations.
    let member = session_of(&app, "liwan-op-member").await;
    assert_eq!(
        get_with(&app, &member, "/admin/users").await.status(),
        StatusCode::NOT_FOUND
    );
    let refused = submit(
        &app,
        &manager,
        "/admin/stations",
        "/admin/stations",
        &[
            ("name", "私建站"),
            ("district", "荔湾区"),
            ("street", "某街"),
            ("zones", "一片区：甲社区"),
        ],
    )
    .await;
    assert_eq!(refused.status(), StatusCode::OK);
    assert!(
        refused
            .text()
            .await
            .expect("html")
            .contains("role=\"alert\"")
    );
}
