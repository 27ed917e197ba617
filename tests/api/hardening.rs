//! HTTP hardening: the security headers on every answer (pages, API, errors, assets, files), no
//! inline script or handler in any page, the sandboxed report and evidence, the login's `next`
//! taking only paths of this site, the absolute lifetime of a login, one-line fields, and the
//! bounds of the evidence form.

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, LOCATION};
use serde_json::{Value, json};

use crate::helpers::*;
use crate::pages::{
    cookie_value, csrf_in, form_login, get_with, page_html, plain_client, session_of,
};

both_backends!(
    every_answer_carries_the_security_headers_and_no_page_an_inline_script,
    hsts_only_when_the_site_is_https,
    after_login_only_paths_of_this_site_are_followed,
    a_login_ends_after_session_max_hours_however_active,
    one_line_fields_refuse_line_breaks_and_control_characters,
    hostile_scheme_documents_are_refused_and_change_nothing,
    the_evidence_form_is_bounded_and_long_file_names_are_cut,
);

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// The headers every answer carries; `cache` is the Cache-Control expected.
fn assert_hardened(what: &str, headers: &HeaderMap, cache: &str) {
    let policy = header(headers, "content-security-policy");
    assert!(
        policy.contains("frame-ancestors 'none'"),
        "{what}: {policy}"
    );
    assert!(
        !policy.contains("unsafe-inline") || policy.contains("sandbox"),
        "{what}: {policy}"
    );
    assert_eq!(header(headers, "x-frame-options"), "DENY", "{what}");
    assert_eq!(
        header(headers, "x-content-type-options"),
        "nosniff",
        "{what}"
    );
    assert_eq!(header(headers, "referrer-policy"), "same-origin", "{what}");
    assert_eq!(header(headers, "cache-control"), cache, "{what}");
    assert_eq!(
        header(headers, "strict-transport-security"),
        "",
        "{what}: http only"
    );
}

/// Inline scripts (a `<script>` without `src`, but for JSON data blocks) and inline handlers.
fn inline_scripts(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for tag in html.split('<').skip(1) {
        let tag = tag.split('>').next().unwrap_or_default();
        let lower = tag.to_lowercase();
        if lower.starts_with("script")
            && !lower.contains("src=")
            && !lower.contains("application/json")
        {
            found.push(tag.to_owned());
        }
        let handler = lower.split_whitespace().skip(1).any(|attribute| {
            attribute.starts_with("on")
                && attribute.contains('=')
                && attribute[2..attribute.find('=').unwrap_or(2)]
                    .chars()
                    .all(|c| c.is_ascii_lowercase())
        });
        if handler || lower.contains("javascript:") {
            found.push(tag.to_owned());
        }
    }
    found
}

async fn every_answer_carries_the_security_headers_and_no_page_an_inline_script(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (s, who, id) = crate::scoring::onsite(&app).await;
    crate::scoring::score_all(&app, &s, &who, id, "hdr").await;
    crate::workflow::fire_ok(&app, &who.agency, id, "issue_draft", None, "draft_feedback").await;

    // The API: answers, errors, the document.
    for (path, token, status) in [
        (
            "/api/v1/evaluations",
            Some(who.agency.as_str()),
            StatusCode::OK,
        ),
        ("/api/v1/me", None, StatusCode::UNAUTHORIZED),
        (
            "/api/v1/evaluations/999999",
            Some(who.agency.as_str()),
            StatusCode::NOT_FOUND,
        ),
        ("/api/v1/openapi.json", None, StatusCode::OK),
        ("/api/v1/no-such-route", None, StatusCode::NOT_FOUND),
        ("/healthz", None, StatusCode::OK),
    ] {
        let response = app.get(path, token).await;
        assert_eq!(response.status(), status, "{path}");
        let policy = header(response.headers(), "content-security-policy").to_owned();
        assert!(policy.contains("default-src 'self'"), "{path}: {policy}");
        assert!(policy.contains("script-src 'self'"), "{path}: {policy}");
        assert_hardened(path, response.headers(), "no-store");
    }

    // The report's HTML and an evidence file: sandboxed, not cached.
    let reports = app
        .get_json(
            &format!("/api/v1/evaluations/{id}/reports"),
            Some(&who.station),
        )
        .await;
    let report = reports["items"][0]["id"].as_i64().expect("a draft");
    let html = app
        .get(
            &format!("/api/v1/reports/{report}.html"),
            Some(&who.station),
        )
        .await;
    assert_eq!(html.status(), StatusCode::OK);
    let policy = header(html.headers(), "content-security-policy").to_owned();
    assert!(policy.starts_with("sandbox"), "{policy}");
    assert!(policy.contains("default-src 'none'"), "{policy}");
    assert_hardened("report html", html.headers(), "no-store");

    // Pages: the login page, 我的待办, every tab of the evaluation page, the administration.
    let login = plain_client()
        .get(app.url("/login"))
        .send()
        .await
        .expect("login page");
    assert_hardened("/login", login.headers(), "no-store");
    assert_eq!(
        inline_scripts(&login.text().await.expect("html")),
        Vec::<String>::new()
    );
    let agency = session_of(&app, "liwan-agency").await;
    let station = session_of(&app, "liwan-station").await;
    let (admin_cookie, _) = crate::pages::form_login_as(&app, ADMIN, ADMIN_PASSWORD).await;
    let admin = format!("pinggu_session={}", cookie_value(&admin_cookie));
    let mut pages: Vec<(String, &str)> = vec![("/".into(), agency.as_str())];
    for tab in [
        "info",
        "self",
        "scoring",
        "reports",
        "feedback",
        "rectification",
        "timeline",
    ] {
        pages.push((format!("/evaluations/{id}?tab={tab}"), agency.as_str()));
        pages.push((format!("/evaluations/{id}?tab={tab}"), station.as_str()));
    }
    for admin_page in [
        "organizations",
        "users",
        "stations",
        "evaluations",
        "schemes",
        "outbox",
    ] {
        pages.push((format!("/admin/{admin_page}"), admin.as_str()));
    }
    for (path, session) in &pages {
        let response = get_with(&app, session, path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_hardened(path, response.headers(), "no-store");
        let html = response.text().await.expect("html");
        assert_eq!(inline_scripts(&html), Vec::<String>::new(), "{path}");
        assert!(
            html.contains(r#"<script src="/assets/pinggu.js" defer></script>"#),
            "{path}"
        );
        assert!(!html.contains("htmx"), "{path}");
    }
    let page_404 = get_with(&app, &agency, "/evaluations/999999").await;
    assert_eq!(page_404.status(), StatusCode::NOT_FOUND);
    assert_hardened("page 404", page_404.headers(), "no-store");

    // The embedded assets are public and cached, and still not sniffed or framed.
    for asset in ["/assets/pinggu.js", "/assets/style.css"] {
        let response = app.get(asset, None).await;
        assert_eq!(response.status(), StatusCode::OK, "{asset}");
        assert_eq!(
            header(response.headers(), "x-content-type-options"),
            "nosniff"
        );
        assert!(header(response.headers(), "cache-control").starts_with("public"));
    }
    assert_eq!(
        app.get("/assets/htmx.min.js", None).await.status(),
        StatusCode::NOT_FOUND
    );
}

async fn hsts_only_when_the_site_is_https(backend: Backend) {
    let app = TestApp::spawn_with(backend, |settings| {
        settings.server.public_url = "https://pinggu.example.cn".into();
    })
    .await;
    for path in ["/healthz", "/login", "/api/v1/me"] {
        let response = app.get(path, None).await;
        assert_eq!(
            header(response.headers(), "strict-transport-security"),
            "max-age=31536000",
            "{path}"
        );
    }
}

async fn after_login_only_paths_of_this_site_are_followed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_s, _who, id, _) = crate::self_assessment::opened(&app).await;
    let client = plain_client();
    let own = format!("/evaluations/{id}?tab=timeline");
    // As they arrive in a link's query (encoded once), and what the form would post.
    let hostile = [
        "/%09/evil.example",
        "/%0d%0a/evil.example",
        "/%2F/evil.example",
        "/%252F%252Fevil.example",
        "//evil.example",
        "/%5Cevil.example",
        "%5C%5Cevil.example",
        "https://evil.example/",
        "javascript:alert(1)",
        "/%20/evil.example",
    ];
    for next in hostile {
        let page = client
            .get(app.url(&format!("/login?next={next}")))
            .send()
            .await
            .expect("login page");
        let html = page.text().await.expect("html");
        assert!(html.contains(r#"name="next" value="/""#), "{next}");
    }
    let page = client
        .get(app.url(&format!(
            "/login?next={}",
            own.replace('?', "%3F").replace('=', "%3D")
        )))
        .send()
        .await
        .expect("login page");
    let html = page.text().await.expect("html");
    assert!(
        html.contains(&format!(
            r#"name="next" value="/evaluations/{id}?tab=timeline""#
        )),
        "a path of this site is kept"
    );

    // Posted with the login form, decoded: only the own path is followed.
    let decoded = [
        "/\t/evil.example",
        "/\r\n/evil.example",
        "/%2F/evil.example",
        "//evil.example",
        "/\\evil.example",
        "https://evil.example/",
    ];
    for next in decoded.iter().copied().chain([own.as_str()]) {
        let login = client
            .get(app.url("/login"))
            .send()
            .await
            .expect("login page");
        let nonce = login
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("pinggu_login_csrf="))
            .map(cookie_value)
            .expect("nonce");
        let csrf = csrf_in(&login.text().await.expect("html"));
        let response = client
            .post(app.url("/login"))
            .header("cookie", format!("pinggu_login_csrf={nonce}"))
            .form(&[
                ("username", "liwan-station"),
                ("password", PASSWORD),
                ("csrf", csrf.as_str()),
                ("next", next),
            ])
            .send()
            .await
            .expect("login");
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{next:?}");
        let location = header(response.headers(), LOCATION.as_str()).to_owned();
        let expected = if next == own { own.as_str() } else { "/" };
        assert_eq!(location, expected, "{next:?}");
    }
}

async fn a_login_ends_after_session_max_hours_however_active(backend: Backend) {
    let app = TestApp::spawn_with(backend, |settings| {
        settings.auth.session_max_hours = 1;
    })
    .await;
    let (_s, _who, id, _) = crate::self_assessment::opened(&app).await;
    let login = app.login_ok("liwan-station", PASSWORD).await;
    let token = token_of(&login);
    let refresh = login["refresh_token"].as_str().expect("refresh").to_owned();
    let session = session_of(&app, "liwan-station").await;
    assert_eq!(
        app.get("/api/v1/me", Some(&token)).await.status(),
        StatusCode::OK
    );
    assert_eq!(get_with(&app, &session, "/").await.status(), StatusCode::OK);
    // A refresh within the hour works, and its family still ends with the login.
    let renewed = app
        .post(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": refresh}),
        )
        .await;
    assert_eq!(renewed.status(), StatusCode::OK);
    let renewed: Value = renewed.json().await.expect("json");

    // Two hours later (the logins began long ago): the API token, the page session and the
    // refresh token are all refused.
    app.execute_sql("UPDATE sessions SET created_at = '2020-01-01 00:00:00'")
        .await;
    assert_eq!(
        app.get("/api/v1/me", Some(&token)).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let page = get_with(&app, &session, &format!("/evaluations/{id}")).await;
    assert_eq!(page.status(), StatusCode::SEE_OTHER);
    assert!(header(page.headers(), "location").starts_with("/login?next="));
    let again = app
        .post(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": renewed["refresh_token"]}),
        )
        .await;
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED);
    // A new login starts a new one.
    let fresh = app.login_ok("liwan-station", PASSWORD).await;
    assert_eq!(
        app.get("/api/v1/me", Some(&token_of(&fresh)))
            .await
            .status(),
        StatusCode::OK
    );
    let (cookie, _) = form_login(&app, "liwan-station").await;
    assert!(!cookie.is_empty());
}

async fn one_line_fields_refuse_line_breaks_and_control_characters(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let before = app.count("SELECT COUNT(*) AS n FROM organizations").await;
    for (name, district) in [("荔湾区\n民政局", "荔湾区"), ("荔湾区民政局", "荔湾\t区")]
    {
        let response = app
            .post(
                "/api/v1/organizations",
                Some(&admin),
                &json!({"name": name, "kind": "civil_affairs_bureau", "district": district}),
            )
            .await;
        let problem = assert_invalid(response).await;
        let field = if name.contains('\n') {
            "name"
        } else {
            "district"
        };
        assert_eq!(error_fields(&problem), [field]);
        assert!(
            problem["errors"][0]["message"]
                .as_str()
                .unwrap_or("")
                .contains("一行")
        );
    }
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM organizations").await,
        before
    );

    let org = app
        .create_org(&admin, "荔湾区民政局", "civil_affairs_bureau")
        .await;
    let user = app
        .post(
            "/api/v1/users",
            Some(&admin),
            &json!({"username": "zhang", "display_name": "张三\r\nBcc: x@evil.example",
                    "email": "zhang@example.cn", "password": PASSWORD, "organization_id": org,
                    "role": "manager"}),
        )
        .await;
    let problem = assert_invalid(user).await;
    assert_eq!(error_fields(&problem), ["display_name"]);
    let id = app.create_user(&admin, "zhang", org, "manager").await;
    let patched = app
        .patch(
            &format!("/api/v1/users/{id}"),
            Some(&admin),
            &json!({"display_name": "张\u{2028}三"}),
        )
        .await;
    let problem = assert_invalid(patched).await;
    assert_eq!(error_fields(&problem), ["display_name"]);

    let station = app
        .post(
            "/api/v1/stations",
            Some(&admin),
            &json!({"name": "西村街社工服务站", "district": "荔湾区", "street": "西村\n街道",
                    "operator_org_id": org, "purchaser_org_id": org, "supervisor_org_id": org,
                    "zones": [{"name": "一片区", "communities": ["西湾社区", "广\t雅社区"]}]}),
        )
        .await;
    let problem = assert_invalid(station).await;
    assert_eq!(error_fields(&problem), ["street", "zones[0].communities"]);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM stations").await, 0);

    // A scheme's names are one line too.
    let mut scheme = app
        .get_json("/api/v1/schemes/guangzhou-2023", Some(&admin))
        .await;
    scheme["code"] = json!("guangzhou-2023-test");
    scheme["parties"][0]["name"] = json!("监督方\n（区民政局）");
    let response = app.post("/api/v1/schemes", Some(&admin), &scheme).await;
    let problem = assert_invalid(response).await;
    assert_eq!(error_fields(&problem), ["parties[0].name"]);
}

async fn hostile_scheme_documents_are_refused_and_change_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let schemes = app.count("SELECT COUNT(*) AS n FROM schemes").await;
    let shipped = app
        .get_json("/api/v1/schemes/guangzhou-2023", Some(&admin))
        .await;
    let post_raw = |body: Vec<u8>| {
        app.client
            .post(app.url("/api/v1/schemes"))
            .bearer_auth(&admin)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };

    // Past the 1 MiB a JSON body may have: 413 before it is parsed.
    let mut huge = shipped.clone();
    huge["code"] = json!("huge");
    huge["texts"]["basis"] = json!("据".repeat(400_000));
    let response = post_raw(serde_json::to_vec(&huge).expect("json"))
        .await
        .expect("answer");
    assert_problem(response, StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large").await;

    // Nested past the parser's depth: a malformed body, not a stack overflow.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let response = post_raw(deep.into_bytes()).await.expect("answer");
    assert_problem(response, StatusCode::BAD_REQUEST, "malformed-request").await;

    // Lists past their bounds.
    let mut long = shipped.clone();
    long["code"] = json!("long");
    let indicator = long["indicators"][0].clone();
    long["indicators"] = json!(
        (0..201)
            .map(|n| {
                let mut one = indicator.clone();
                one["code"] = json!(format!("i{n}"));
                one
            })
            .collect::<Vec<_>>()
    );
    let response = app.post("/api/v1/schemes", Some(&admin), &long).await;
    let problem = assert_invalid(response).await;
    assert!(
        error_fields(&problem).contains(&"indicators".to_owned()),
        "{problem}"
    );

    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM schemes").await,
        schemes
    );
    assert_eq!(app.get("/healthz", None).await.status(), StatusCode::OK);
}

const BOUNDARY: &str = "pinggu-hardening-boundary";

/// A multipart body of text fields and then a small PDF named `filename`.
fn form(fields: &[(&str, String)], filename: &str) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\ncontent-disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\ncontent-disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n\
             content-type: application/pdf\r\n\r\n%PDF-1.7\n%\u{e2}\u{e3}\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(&[b' '; 2048]);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn the_evidence_form_is_bounded_and_long_file_names_are_cut(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_s, who, id, _) = crate::self_assessment::opened(&app).await;
    let path = format!("/api/v1/evaluations/{id}/attachments");
    let content_type = format!("multipart/form-data; boundary={BOUNDARY}");

    let many: Vec<(&str, String)> = (0..9).map(|_| ("note", "x".to_owned())).collect();
    let response = app
        .upload(&path, &who.station, &content_type, form(&many, "a.pdf"))
        .await;
    let problem = assert_invalid(response).await;
    assert_eq!(error_fields(&problem), ["multipart"]);

    let long = [("note", "长".repeat(2000))];
    let response = app
        .upload(&path, &who.station, &content_type, form(&long, "a.pdf"))
        .await;
    let problem = assert_invalid(response).await;
    assert_eq!(error_fields(&problem), ["note"]);
    let listed = app.get_json(&path, Some(&who.station)).await;
    assert_eq!(
        listed["items"].as_array().map(Vec::len),
        Some(0),
        "nothing stored"
    );

    let name = format!("{}.pdf", "培训签到表".repeat(60));
    let response = app
        .upload(&path, &who.station, &content_type, form(&[], &name))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let stored: Value = response.json().await.expect("json");
    let kept = stored["filename"].as_str().expect("filename");
    assert_eq!(kept.chars().count(), 100, "{kept}");
    assert!(kept.ends_with(".pdf"), "{kept}");
    let station = session_of(&app, "liwan-station").await;
    let html = page_html(&app, &station, &format!("/evaluations/{id}?tab=self")).await;
    assert!(html.contains(kept));

    // The pages' workbook form is bounded the same way.
    let response = plain_client()
        .post(app.url(&format!(
            "/evaluations/{id}/self-assessment/indicators.xlsx"
        )))
        .header("cookie", &station)
        .header("content-type", &content_type)
        .body(form(&many, "a.xlsx"))
        .send()
        .await
        .expect("answer");
    let html = response.text().await.expect("html");
    assert!(html.contains("表单字段过多"), "the page says why");
}
