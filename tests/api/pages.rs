//! The pages: login with a session cookie and CSRF tokens, 我的待办, the evaluation page (the
//! target of every e-mail link), in a real headless Chromium driven over WebDriver (Debian's
//! chromium and chromium-driver; .ci/run installs them), plus the cookie and CSRF rules over HTTP.
//! Screenshots go to target/screenshots/.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use serde_json::json;

use crate::helpers::*;
use crate::scoring::user;
use crate::self_assessment::opened;

both_backends!(
    a_user_follows_a_link_logs_in_and_lands_on_the_evaluation,
    forms_need_their_csrf_token_the_cookie_is_guarded_and_others_get_404,
    a_generated_password_must_be_changed_first,
    feedback_and_answers_go_through_the_feedback_tab,
    a_refused_form_shows_what_was_typed_and_a_failed_read_names_its_request,
);

/// chromedriver on a free port, ended with the test.
pub(crate) struct Driver {
    child: tokio::process::Child,
    url: String,
}

impl Driver {
    pub(crate) async fn start() -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let child = tokio::process::Command::new("/usr/bin/chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("chromedriver runs (apt-get install chromium chromium-driver)");
        let url = format!("http://127.0.0.1:{port}");
        for _ in 0..100 {
            if reqwest::get(format!("{url}/status")).await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Driver { child, url }
    }

    /// A new browser session (its own cookies) with a window of this size.
    pub(crate) async fn browser(&self, width: u32, height: u32) -> Client {
        // The viewport is emulated: a headless window is never narrower than about 500 px.
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({"binary": "/usr/bin/chromium",
                   "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                            "--disable-gpu", "--lang=zh-CN"],
                   "mobileEmulation": {"deviceMetrics": {"width": width, "height": height, "pixelRatio": 1}}}),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        ClientBuilder::new(connector)
            .capabilities(capabilities)
            .connect(&self.url)
            .await
            .expect("a browser session")
    }

    pub(crate) async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

fn screenshots() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

/// Checks the page with axe-core (no serious or critical violation), then keeps its screenshot
/// as target/screenshots/{name}.png: every page a browser test looks at is checked.
pub(crate) async fn screenshot(browser: &Client, name: &str) {
    crate::accessibility::assert_accessible(browser, name).await;
    let png = browser.screenshot().await.expect("screenshot");
    std::fs::write(screenshots().join(format!("{name}.png")), png).expect("screenshot saved");
}

/// As `screenshot`, for a document served sandboxed (a report's HTML view: no script runs
/// there, axe-core's included): its markup is checked again in a blank page of the browser.
pub(crate) async fn screenshot_sandboxed(browser: &Client, name: &str) {
    let png = browser.screenshot().await.expect("screenshot");
    std::fs::write(screenshots().join(format!("{name}.png")), png).expect("screenshot saved");
    let markup = browser.source().await.expect("the document");
    browser.goto("about:blank").await.expect("a blank page");
    browser
        .execute(
            "document.open(); document.write(arguments[0]); document.close(); return true;",
            vec![serde_json::Value::String(markup)],
        )
        .await
        .expect("the document written");
    crate::accessibility::assert_accessible(browser, name).await;
}

pub(crate) async fn text_of(browser: &Client, css: &str) -> String {
    browser
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("{css} on the page"))
        .text()
        .await
        .expect("text")
}

pub(crate) async fn log_in(browser: &Client, username: &str) {
    browser
        .find(Locator::Id("username"))
        .await
        .expect("username field")
        .send_keys(username)
        .await
        .expect("typed");
    browser
        .find(Locator::Id("password"))
        .await
        .expect("password field")
        .send_keys(PASSWORD)
        .await
        .expect("typed");
    browser
        .find(Locator::Css("button.primary"))
        .await
        .expect("login button")
        .click()
        .await
        .expect("clicked");
}

/// Waits (up to 10 s) until the browser is on a page whose path starts with `path`.
pub(crate) async fn wait_for_path(browser: &Client, path: &str) -> String {
    let mut current = String::new();
    for _ in 0..100 {
        current = browser
            .current_url()
            .await
            .map(|u| u.path().to_owned())
            .unwrap_or_default();
        let ready = browser
            .execute("return document.readyState;", vec![])
            .await
            .is_ok_and(|s| s == "complete");
        if current.starts_with(path) && ready {
            return current;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("still on {current}, waiting for {path}");
}

// --- The keyboard, as a user without a mouse drives the pages (WebDriver key codes).

pub(crate) const TAB: &str = "\u{E004}";
pub(crate) const ENTER: &str = "\u{E007}";
pub(crate) const ARROW_UP: &str = "\u{E013}";
pub(crate) const END: &str = "\u{E010}";
pub(crate) const SPACE: &str = " ";

/// Types into whatever has the focus, as a keyboard does.
pub(crate) async fn press_keys(browser: &fantoccini::Client, keys: &str) {
    browser
        .active_element()
        .await
        .expect("a focused element")
        .send_keys(keys)
        .await
        .expect("keys");
}

pub(crate) async fn focused_value(browser: &fantoccini::Client) -> String {
    browser
        .execute("return document.activeElement.value || '';", vec![])
        .await
        .expect("focus")
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Presses Tab until the element matching `css` has the focus (at most 200 times: a roster's
/// row has dozens of fields): the form can be walked by keyboard in its order.
pub(crate) async fn tab_until(browser: &fantoccini::Client, css: &str) {
    for _ in 0..200 {
        let there = browser
            .execute(
                "return document.activeElement !== null && document.activeElement.matches(arguments[0]);",
                vec![css.into()],
            )
            .await
            .expect("focus");
        if there == true {
            return;
        }
        press_keys(browser, TAB).await;
    }
    panic!("Tab never reached {css}");
}

/// Marks the current document so that `wait_for_next_page` can tell when the browser has
/// replaced it; waiting for an element alone may find it on the page that is going away.
pub(crate) async fn mark_page(browser: &Client) {
    browser
        .execute("window.pingguOldPage = true; return true;", vec![])
        .await
        .expect("marked");
}

pub(crate) async fn wait_for_next_page(browser: &Client) {
    for _ in 0..100 {
        let replaced = browser
            .execute(
                "return window.pingguOldPage === undefined && document.readyState === 'complete';",
                vec![],
            )
            .await
            .is_ok_and(|answer| answer == true);
        if replaced {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the browser stayed on the same page");
}

/// The roster table scrolled to its far right: how far its first worker's name cell stands from
/// the table's visible left edge, and how wide the 备注 cell is (px).
pub(crate) async fn roster_layout(browser: &Client) -> (i64, i64) {
    let measured = browser
        .execute(
            "const box = document.querySelector('#roster-form .scroll');
             const name = box && box.querySelector('tbody td.sticky-name');
             const note = box && box.querySelector('tbody td.note');
             if (!name || !note) { return null; }
             box.scrollLeft = box.scrollWidth;
             const left = name.getBoundingClientRect().left - box.getBoundingClientRect().left;
             return [Math.round(left), Math.round(note.getBoundingClientRect().width)];",
            vec![],
        )
        .await
        .expect("measured");
    let pair = measured
        .as_array()
        .expect("a roster with a worker's row on the page");
    (
        pair[0].as_i64().unwrap_or(i64::MAX),
        pair[1].as_i64().unwrap_or(0),
    )
}

/// Whether the page scrolls sideways at the window's width.
pub(crate) async fn scrolls_sideways(browser: &Client) -> bool {
    let widths = browser
        .execute(
            "return [document.documentElement.scrollWidth, window.innerWidth];",
            vec![],
        )
        .await
        .expect("widths");
    let (document, viewport) = (widths[0].as_i64(), widths[1].as_i64());
    assert_eq!(viewport, Some(360), "a phone's viewport: {widths}");
    document > viewport
}

async fn a_user_follows_a_link_logs_in_and_lands_on_the_evaluation(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_s, who, id, zones) = opened(&app).await;
    let driver = Driver::start().await;
    let name = format!("{backend:?}").to_lowercase();

    // The link of an e-mail, not logged in: the login page, then the evaluation.
    let browser = driver.browser(1280, 900).await;
    browser
        .goto(&app.url(&format!("/evaluations/{id}")))
        .await
        .expect("page");
    assert!(
        browser
            .current_url()
            .await
            .expect("url")
            .path()
            .starts_with("/login")
    );
    assert_eq!(text_of(&browser, "h1").await, "登录");
    let lang = browser
        .execute("return document.documentElement.lang;", vec![])
        .await
        .expect("lang");
    assert_eq!(lang, "zh-CN");
    screenshot(&browser, &format!("{name}-01-login")).await;
    log_in(&browser, "liwan-station").await;
    wait_for_path(&browser, &format!("/evaluations/{id}")).await;
    assert_eq!(
        text_of(&browser, "h1").await,
        "荔湾社工服务站 中期评估（2024）"
    );
    assert_eq!(
        text_of(&browser, ".steps li[aria-current=step]").await,
        "自评阶段"
    );
    let deadline = text_of(&browser, ".deadline").await;
    assert!(
        deadline.contains("已逾期 · 社工站：提交自评 · 2025年5月6日截止（待本单位办理）"),
        "{deadline}"
    );
    screenshot(&browser, &format!("{name}-02-evaluation")).await;
    browser
        .find(Locator::LinkText("时间线"))
        .await
        .expect("timeline tab")
        .click()
        .await
        .expect("clicked");
    browser
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(".timeline"))
        .await
        .expect("the timeline tab");
    let timeline = text_of(&browser, ".timeline").await;
    assert!(timeline.contains("启动评估"), "{timeline}");
    assert!(
        timeline.contains("邮件"),
        "the opening's e-mail is shown: {timeline}"
    );
    screenshot(&browser, &format!("{name}-03-timeline")).await;

    // The station's button: refused while the self-assessment is empty, with what is missing;
    // once it is filled, the evaluation moves on.
    async fn press(browser: &Client, event: &str) {
        let button = browser
            .find(Locator::Css(&format!("button[data-event='{event}']")))
            .await
            .expect("the button");
        mark_page(browser).await;
        button.click().await.expect("clicked");
        browser.accept_alert().await.expect("confirmed");
        wait_for_next_page(browser).await;
    }
    browser
        .find(Locator::LinkText("基本信息"))
        .await
        .expect("info tab")
        .click()
        .await
        .expect("clicked");
    press(&browser, "submit_self_assessment").await;
    let refused = browser
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("div.error"))
        .await
        .expect("the refusal")
        .text()
        .await
        .expect("text");
    assert!(refused.contains("自评报告尚未填写"), "{refused}");
    screenshot(&browser, &format!("{name}-04-refused")).await;
    // Filled meanwhile (through the API): the page's version is stale, and it says so, showing
    // the evaluation as it now is; pressing again goes through.
    crate::self_assessment::fill(&app, &who.station, id, &zones).await;
    press(&browser, "submit_self_assessment").await;
    let stale = browser
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("div.error"))
        .await
        .expect("the stale notice")
        .text()
        .await
        .expect("text");
    assert!(stale.contains("已被他人更新"), "{stale}");
    press(&browser, "submit_self_assessment").await;
    browser
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::XPath(
            "//ol[@class='steps']/li[@aria-current='step' and text()='现场评估阶段']",
        ))
        .await
        .expect("the evaluation moved on");
    assert!(
        browser
            .find(Locator::Css("button[data-event='submit_self_assessment']"))
            .await
            .is_err(),
        "no button the station may not press"
    );

    // 我的待办: the evaluation, waiting on the station, overdue in red.
    browser.goto(&app.url("/")).await.expect("home");
    assert_eq!(text_of(&browser, "#my-steps h2").await, "待本单位办理（0）");
    let item = text_of(&browser, ".item.overdue").await;
    assert!(item.contains("荔湾社工服务站 中期评估"), "{item}");
    assert!(item.contains("已逾期 · "), "{item}");
    assert!(item.contains("提交本方评分 · "), "{item}");
    screenshot(&browser, &format!("{name}-05-home")).await;
    // The roster at a desk's width: as wide as its content, names in view, 备注 with room.
    browser
        .goto(&app.url(&format!("/evaluations/{id}?tab=self")))
        .await
        .expect("self tab");
    wait_for_path(&browser, &format!("/evaluations/{id}")).await;
    let (name_left, note_width) = roster_layout(&browser).await;
    assert!(name_left < 60, "the name stays in view: {name_left} px");
    assert!(note_width >= 150, "备注 is not squeezed: {note_width} px");
    screenshot(&browser, &format!("{name}-05-roster-1280")).await;
    browser.close().await.expect("closed");

    // On a phone: no sideways scrolling on the home page or the evaluation page.
    let phone = driver.browser(360, 740).await;
    phone
        .goto(&app.url(&format!("/evaluations/{id}")))
        .await
        .expect("page");
    log_in(&phone, "liwan-station").await;
    wait_for_path(&phone, &format!("/evaluations/{id}")).await;
    assert!(
        !scrolls_sideways(&phone).await,
        "the evaluation page at 360 px"
    );
    screenshot(&phone, &format!("{name}-06-phone-evaluation")).await;
    // The wide tables (indicators, roster, the expert's sheet) scroll inside their cards.
    for tab in ["self", "scoring", "timeline"] {
        phone
            .goto(&app.url(&format!("/evaluations/{id}?tab={tab}")))
            .await
            .expect("tab");
        wait_for_path(&phone, &format!("/evaluations/{id}")).await;
        assert!(!scrolls_sideways(&phone).await, "the {tab} tab at 360 px");
        if tab == "self" {
            let (name_left, note_width) = roster_layout(&phone).await;
            assert!(name_left < 60, "the name stays in view: {name_left} px");
            assert!(note_width >= 150, "备注 is not squeezed: {note_width} px");
        }
        screenshot(&phone, &format!("{name}-06-phone-{tab}")).await;
    }
    phone.goto(&app.url("/")).await.expect("home");
    assert!(!scrolls_sideways(&phone).await, "the home page at 360 px");
    screenshot(&phone, &format!("{name}-07-phone-home")).await;
    // Logging out ends the session: the page asks for a login again.
    phone
        .find(Locator::Css("form[action='/logout'] button"))
        .await
        .expect("logout")
        .click()
        .await
        .expect("clicked");
    wait_for_path(&phone, "/login").await;
    phone.goto(&app.url("/")).await.expect("home");
    wait_for_path(&phone, "/login").await;
    phone.close().await.expect("closed");
    driver.stop().await;
}

/// A client that shows redirects instead of following them.
pub fn plain_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

pub(crate) fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

/// GETs a path with a session cookie, not following redirects.
pub(crate) async fn get_with(app: &TestApp, session: &str, path: &str) -> reqwest::Response {
    plain_client()
        .get(app.url(path))
        .header(COOKIE, session)
        .send()
        .await
        .expect("page")
}

/// Posts a form with a session cookie, not following redirects.
pub(crate) async fn post_with(
    app: &TestApp,
    session: &str,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    plain_client()
        .post(app.url(path))
        .header(COOKIE, session)
        .form(form)
        .send()
        .await
        .expect("post")
}

/// As `post_with`, with owned values.
pub(crate) async fn post_fields(
    app: &TestApp,
    session: &str,
    path: &str,
    fields: &[(&str, String)],
) -> reqwest::Response {
    let form: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    post_with(app, session, path, &form).await
}

pub fn cookie_value(header: &str) -> String {
    header
        .split(';')
        .next()
        .and_then(|pair| pair.split_once('='))
        .map(|(_, v)| v.to_owned())
        .unwrap_or_default()
}

/// The hidden CSRF field of a form in `html`.
pub(crate) fn csrf_in(html: &str) -> String {
    html.split(r#"name="csrf" value=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .to_owned()
}

/// Logs in through the form as `username`; answers the session cookie's Set-Cookie header and
/// where the login sends the browser.
pub async fn form_login(app: &TestApp, username: &str) -> (String, String) {
    form_login_as(app, username, PASSWORD).await
}

/// As `form_login`, with a password of its own (the administrator's).
pub async fn form_login_as(app: &TestApp, username: &str, password: &str) -> (String, String) {
    let client = plain_client();
    let page = client
        .get(app.url("/login"))
        .send()
        .await
        .expect("login page");
    let nonce = set_cookie(&page, "pinggu_login_csrf").expect("the login form's cookie");
    let csrf = csrf_in(&page.text().await.expect("html"));
    let response = client
        .post(app.url("/login"))
        .header(
            COOKIE,
            format!("pinggu_login_csrf={}", cookie_value(&nonce)),
        )
        .form(&[
            ("username", username),
            ("password", password),
            ("csrf", csrf.as_str()),
            ("next", "/"),
        ])
        .send()
        .await
        .expect("login");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    (
        set_cookie(&response, "pinggu_session").expect("the session cookie"),
        location_of(&response),
    )
}

async fn forms_need_their_csrf_token_the_cookie_is_guarded_and_others_get_404(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (s, _who, id, _) = opened(&app).await;
    let client = plain_client();

    // The login form without its token (or with another form's) is refused.
    let bare = client
        .post(app.url("/login"))
        .form(&[("username", "liwan-station"), ("password", PASSWORD)])
        .send()
        .await
        .expect("login");
    assert_eq!(bare.status(), StatusCode::FORBIDDEN);
    let forged = post_with(
        &app,
        "pinggu_login_csrf=made-up",
        "/login",
        &[
            ("username", "liwan-station"),
            ("password", PASSWORD),
            ("csrf", "0".repeat(64).as_str()),
        ],
    )
    .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);

    // The session cookie: HttpOnly, SameSite=Lax, not Secure on http.
    let (cookie, location) = form_login(&app, "liwan-station").await;
    assert_eq!(location, "/");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "{cookie}");
    let session = format!("pinggu_session={}", cookie_value(&cookie));
    let page = get_with(&app, &session, &format!("/evaluations/{id}")).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("html");
    assert!(html.contains(r#"<html lang="zh-CN">"#));
    let csrf = csrf_in(&html);
    assert_eq!(csrf.len(), 64);

    // Logout without the token: refused, the session lives on; with it: ended.
    let refused = post_with(&app, &session, "/logout", &[("csrf", "")]).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let still = get_with(&app, &session, "/").await;
    assert_eq!(still.status(), StatusCode::OK);
    let out = post_with(&app, &session, "/logout", &[("csrf", csrf.as_str())]).await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    let after = get_with(&app, &session, "/").await;
    assert_eq!(after.status(), StatusCode::SEE_OTHER, "the session ended");
    assert!(
        after
            .headers()
            .get(LOCATION)
            .and_then(|l| l.to_str().ok())
            .is_some_and(|l| l.starts_with("/login?next="))
    );

    // Another district's station user: 404 on this evaluation's page, as in the API.
    let admin = app.admin_token().await;
    let other = crate::evaluations::district(&app, &admin, "海珠", "haizhu").await;
    user(&app, &other, "haizhu-station-user", "operator", "manager").await;
    let (cookie, _) = form_login(&app, "haizhu-station-user").await;
    let stranger = client
        .get(app.url(&format!("/evaluations/{id}")))
        .header(COOKIE, format!("pinggu_session={}", cookie_value(&cookie)))
        .send()
        .await
        .expect("page");
    assert_eq!(stranger.status(), StatusCode::NOT_FOUND);
    assert!(stranger.text().await.expect("html").contains("页面不存在"));
    let _ = s;
    // Only paths of this site are followed after login.
    let nonce_page = client
        .get(app.url("/login?next=//evil.example/x"))
        .send()
        .await
        .expect("login page");
    let html = nonce_page.text().await.expect("html");
    assert!(
        html.contains(r#"name="next" value="/""#),
        "open redirect refused"
    );
}

async fn a_generated_password_must_be_changed_first(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (s, _who, id, _) = opened(&app).await;
    let admin = app.admin_token().await;
    let org = s
        .orgs
        .iter()
        .find(|(label, _)| label == "operator")
        .map(|(_, id)| *id)
        .expect("operator");
    let created = app
        .post(
            "/api/v1/users",
            Some(&admin),
            &json!({"username": "new-worker", "display_name": "新社工", "email": "new@example.cn",
                    "password": PASSWORD, "organization_id": org, "role": "member"}),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let (cookie, location) = form_login(&app, "new-worker").await;
    assert_eq!(location, "/password");
    let session = format!("pinggu_session={}", cookie_value(&cookie));
    let home = get_with(&app, &session, "/").await;
    assert_eq!(home.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        home.headers().get(LOCATION).and_then(|l| l.to_str().ok()),
        Some("/password")
    );
    // A page asked for (an e-mail's link) waits behind the change.
    let asked = format!("/evaluations/{id}?tab=timeline");
    let detour = get_with(&app, &session, &asked).await;
    let password_page = format!("/password?next=%2Fevaluations%2F{id}%3Ftab%3Dtimeline");
    assert_eq!(
        detour.headers().get(LOCATION).and_then(|l| l.to_str().ok()),
        Some(password_page.as_str())
    );
    let form = get_with(&app, &session, &password_page)
        .await
        .text()
        .await
        .expect("html");
    assert!(form.contains("请先设置自己的新密码"));
    assert!(form.contains(&format!(r#"name="next" value="{asked}""#)));
    let csrf = csrf_in(&form);
    // A mismatch keeps the user on the form, the error beside its field.
    let mismatch = post_with(
        &app,
        &session,
        "/password",
        &[
            ("csrf", csrf.as_str()),
            ("current_password", PASSWORD),
            ("new_password", "Brand-new-pass-1"),
            ("confirm_password", "Brand-new-pass-2"),
            ("next", "//evil.example/"),
        ],
    )
    .await;
    assert_eq!(mismatch.status(), StatusCode::OK);
    let again = mismatch.text().await.expect("html");
    assert!(again.contains("两次输入的新密码不一致"));
    // Two problems at once: both beside their fields, both in the summary.
    let both = post_with(
        &app,
        &session,
        "/password",
        &[
            ("csrf", csrf.as_str()),
            ("current_password", PASSWORD),
            ("new_password", "short1"),
            ("confirm_password", "short2"),
        ],
    )
    .await;
    let both = both.text().await.expect("html");
    for (field, said) in [
        ("new_password", "密码至少需要"),
        ("confirm_password", "两次输入的新密码不一致"),
    ] {
        assert!(
            both.contains(&format!(
                r#"<p class="field-error" id="{field}-error">{said}"#
            )),
            "{field}: {both}"
        );
        assert!(
            both.contains(&format!(r##"<li><a href="#{field}">{said}"##)),
            "{field} in the summary: {both}"
        );
    }
    assert!(
        again.contains(r#"name="next" value="/""#),
        "another site is never a page to come back to"
    );
    let changed = post_with(
        &app,
        &session,
        "/password",
        &[
            ("csrf", csrf.as_str()),
            ("current_password", PASSWORD),
            ("new_password", "Brand-new-pass-1"),
            ("confirm_password", "Brand-new-pass-1"),
            ("next", asked.as_str()),
        ],
    )
    .await;
    assert_eq!(changed.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        changed
            .headers()
            .get(LOCATION)
            .and_then(|l| l.to_str().ok()),
        Some(asked.as_str()),
        "the page asked for, after the change"
    );
    let home = get_with(&app, &session, "/").await;
    assert_eq!(home.status(), StatusCode::OK);
    assert!(home.text().await.expect("html").contains("我的待办"));
}

/// A redirect's Location ("" without one).
pub(crate) fn location_of(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(LOCATION)
        .and_then(|l| l.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// GETs a page with the session cookie; answers its HTML.
pub(crate) async fn page_html(app: &TestApp, session: &str, path: &str) -> String {
    let response = get_with(app, session, path).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.text().await.expect("html")
}

pub(crate) async fn session_of(app: &TestApp, username: &str) -> String {
    let (cookie, _) = form_login(app, username).await;
    format!("pinggu_session={}", cookie_value(&cookie))
}

async fn feedback_and_answers_go_through_the_feedback_tab(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (s, who, id) = crate::scoring::onsite(&app).await;
    crate::scoring::score_all(&app, &s, &who, id, "fb").await;
    crate::workflow::fire_ok(&app, &who.agency, id, "issue_draft", None, "draft_feedback").await;
    let tab = format!("/evaluations/{id}?tab=feedback");
    let station = session_of(&app, "liwan-station").await;
    let html = page_html(&app, &station, &tab).await;
    assert!(
        html.contains("对征求意见稿（第 1 稿）的反馈"),
        "the station may answer the draft"
    );
    let csrf = csrf_in(&html);
    let report_id = html
        .split(r#"name="report_id" value=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .to_owned();
    let feedback = format!("/evaluations/{id}/feedback");
    // An objection without its text stays on the page with the reason.
    let objecting = |text: &'static str| {
        [
            ("csrf", csrf.clone()),
            ("report_id", report_id.clone()),
            ("opinion", "objection".to_owned()),
            ("section", "zones".to_owned()),
            ("objection", text.to_owned()),
        ]
    };
    let empty = post_fields(&app, &station, &feedback, &objecting(" ")).await;
    assert_eq!(empty.status(), StatusCode::OK);
    let html = empty.text().await.expect("html");
    // The error beside its field, and in the form's summary as a link to it.
    assert!(
        html.contains(
            r#"<p class="field-error" id="objection-error">选择了“有异议”，请填写异议内容</p>"#
        ),
        "{html}"
    );
    assert!(html.contains(r#"aria-invalid="true" aria-describedby="objection-error""#));
    assert!(html.contains(r##"<li><a href="#objection" data-field="objection">选择了“有异议”，请填写异议内容</a></li>"##));
    assert!(
        html.contains(r#"<option value="zones" selected>"#),
        "the section chosen is kept"
    );
    assert!(
        html.contains(r#"value="objection" checked"#),
        "the opinion chosen is kept"
    );
    let given = post_fields(
        &app,
        &station,
        &feedback,
        &objecting("片区一的服务并不零散，请核实。"),
    )
    .await;
    assert_eq!(given.status(), StatusCode::SEE_OTHER);
    // Post/redirect/get: back on the tab, which says in one line what was done.
    let back = location_of(&given);
    assert!(back.starts_with(&format!("{tab}&saved=feedback")), "{back}");
    let confirmed = page_html(&app, &station, &back).await;
    assert!(
        confirmed
            .contains(r#"role="status" id="confirmation">反馈已提交，评估机构将收到通知。</p>"#),
        "{confirmed}"
    );
    // Only the product's own confirmations are ever shown.
    let typed = page_html(&app, &station, &format!("{tab}&saved=%3Cb%3E")).await;
    assert!(!typed.contains(r#"id="confirmation""#));
    let html = page_html(&app, &station, &tab).await;
    assert!(
        html.contains("对“各社工点服务开展情况”的异议：片区一的服务并不零散，请核实。"),
        "{html}"
    );
    assert!(html.contains("等待评估机构答复"));
    assert!(!html.contains("feedback-form"), "answered once");

    // The agency's manager answers it on the same tab.
    let agency = session_of(&app, "liwan-agency").await;
    let html = page_html(&app, &agency, &tab).await;
    let objection = html
        .split(r#"action="/objections/"#)
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_default()
        .to_owned();
    assert!(!objection.is_empty(), "the answer form");
    // 提交民政局审定 pressed on this tab while the objection waits: refused, on the same tab.
    let version = html
        .split(r#"name="version" value=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .to_owned();
    let press = [
        ("csrf", csrf_in(&html)),
        ("event", "submit_for_review".to_owned()),
        ("version", version),
        ("tab", "feedback".to_owned()),
    ];
    let refused = post_fields(
        &app,
        &agency,
        &format!("/evaluations/{id}/transitions"),
        &press,
    )
    .await;
    assert_eq!(refused.status(), StatusCode::OK);
    let refused = refused.text().await.expect("html");
    assert!(refused.contains("条异议尚未答复"), "{refused}");
    assert!(
        refused.contains(r#"<div class="error error-summary" role="alert" tabindex="-1">"#),
        "the refusal is a summary the script focuses"
    );
    assert!(
        refused.contains(r#"<a href="?tab=feedback" aria-current="page">反馈</a>"#),
        "still on the 反馈 tab"
    );
    assert!(refused.contains(&format!(r#"data-address="/evaluations/{id}?tab=feedback""#)));
    // Nothing is chosen for the agency: an answer without a choice is refused, not rejected.
    assert!(html.contains(r#"name="decision" value="rejected" required>"#));
    assert!(!html.contains(r#"name="decision" value="rejected" checked"#));
    let path = format!("/objections/{objection}/answer");
    let unchosen = [
        ("csrf", csrf_in(&html)),
        ("evaluation_id", id.to_string()),
        ("reply", "经现场核实，各社工点服务未形成统筹。".to_owned()),
    ];
    let refused = post_fields(&app, &agency, &path, &unchosen).await;
    assert_eq!(refused.status(), StatusCode::OK);
    let refused = refused.text().await.expect("html");
    let form = format!("answer-{objection}");
    assert!(
        refused.contains(&format!(
            r#"<p class="field-error" id="{form}-decision-error">请选择采纳或不采纳</p>"#
        )),
        "the error beside the choice"
    );
    assert!(refused.contains(&format!(
        r##"<a href="#{form}-decision" data-field="decision">请选择采纳或不采纳</a>"##
    )));
    assert!(
        refused.contains("经现场核实，各社工点服务未形成统筹。</textarea>"),
        "the reply typed is kept"
    );
    let answer = [
        ("csrf", csrf_in(&html)),
        ("evaluation_id", id.to_string()),
        ("decision", "rejected".to_owned()),
        ("reply", "经现场核实，各社工点服务未形成统筹。".to_owned()),
    ];
    let answered = post_fields(&app, &agency, &path, &answer).await;
    assert_eq!(answered.status(), StatusCode::SEE_OTHER);
    let back = location_of(&answered);
    assert!(
        page_html(&app, &agency, &back)
            .await
            .contains("答复已提交，提出异议的一方将收到通知。"),
        "{back}"
    );
    let html = page_html(&app, &station, &tab).await;
    assert!(html.contains("评估机构不采纳：经现场核实，各社工点服务未形成统筹。"));
    // The API sees the same record.
    let listed = app
        .get_json(
            &format!("/api/v1/evaluations/{id}/feedback"),
            Some(&who.station),
        )
        .await;
    assert_eq!(listed["items"][0]["objections"][0]["decision"], "rejected");
}

/// The pages' plumbing: a form without this session's token is refused with what was typed
/// shown back and nothing saved; a saved form's audit entry carries the request's id; a read
/// that fails shows the 500 page naming the request, never an empty tab.
async fn a_refused_form_shows_what_was_typed_and_a_failed_read_names_its_request(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_s, _who, id, _) = opened(&app).await;
    let (cookie, _) = form_login(&app, "liwan-station").await;
    let session = format!("pinggu_session={}", cookie_value(&cookie));
    let path = format!("/evaluations/{id}/self-assessment/narrative");
    let typed = "本期服务情况：入户走访 120 户，开展小组 6 个。";

    let refused = post_with(
        &app,
        &session,
        &path,
        &[("csrf", "stale"), ("narrative", typed)],
    )
    .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let html = refused.text().await.expect("html");
    assert!(html.contains("表单已过期"), "{html}");
    assert!(html.contains(typed), "what was typed is shown back: {html}");
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM self_assessments")
            .await,
        0
    );

    let page = get_with(&app, &session, &format!("/evaluations/{id}?tab=self")).await;
    let csrf = csrf_in(&page.text().await.expect("html"));
    let saved = post_with(
        &app,
        &session,
        &path,
        &[("csrf", &csrf), ("narrative", typed)],
    )
    .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let request_id = saved.headers()["x-request-id"]
        .to_str()
        .expect("request id")
        .to_owned();
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) AS n FROM audit_log WHERE request_id = '{request_id}' \
             AND action = 'write_self_assessment'"
        ))
        .await,
        1,
        "the page's audit entry carries the request's id"
    );

    app.execute_sql("ALTER TABLE self_assessments RENAME TO self_assessments_away")
        .await;
    let failed = get_with(&app, &session, &format!("/evaluations/{id}?tab=self")).await;
    assert_eq!(failed.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let request_id = failed.headers()["x-request-id"]
        .to_str()
        .expect("request id")
        .to_owned();
    let html = failed.text().await.expect("html");
    assert!(html.contains("系统出错"), "{html}");
    assert!(
        html.contains(&request_id),
        "the page names its request: {html}"
    );
}
