//! A year's evaluations at once (DESIGN.md §8): POST /evaluation-batches over an onboarded
//! district — every station whose agreement covers the period, all or nothing, a 409 naming the
//! stations already evaluated; on-site dates per station then or by PATCH /evaluations/{id};
//! and what two districts, an agency and a station see of them.

use fantoccini::{Client, Locator};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::imports::{
    AGREEMENT_HEADERS, ORG_HEADERS, STATION_HEADERS, USER_HEADERS, ZONE_HEADERS, import_ok,
    onboarded, set_passwords_by_links, workbook,
};
use crate::pages::{csrf_in, get_with, page_html, post_fields};

both_backends!(
    a_districts_evaluations_are_created_in_one_call,
    my_list_is_filtered_in_the_address_on_a_desk_and_a_phone,
    the_batch_form_lists_the_stations_then_creates,
);

/// Two more 荔湾区 stations (one whose agreement ended), the supervision center and the
/// agency's manager, imported by the administrator.
fn more_of_liwan() -> Vec<u8> {
    workbook(&[
        (
            "单位",
            ORG_HEADERS,
            vec![
                vec!["广州市社工督导中心", "", "督导中心", ""],
                vec!["多宝街道办事处", "", "街道办事处", "荔湾区"],
                vec!["启智服务中心", "", "承办机构", "荔湾区"],
            ],
        ),
        (
            "服务站",
            STATION_HEADERS,
            vec![
                vec![
                    "多宝街社工服务站",
                    "荔湾区",
                    "多宝街",
                    "",
                    "启智服务中心",
                    "多宝街道办事处",
                    "荔湾区民政局",
                ],
                vec![
                    "彩虹街社工服务站",
                    "荔湾区",
                    "彩虹街",
                    "",
                    "启智服务中心",
                    "多宝街道办事处",
                    "荔湾区民政局",
                ],
            ],
        ),
        (
            "片区",
            ZONE_HEADERS,
            vec![
                vec!["多宝街社工服务站", "荔湾区", "第一片区", "多宝社区"],
                vec!["彩虹街社工服务站", "荔湾区", "第一片区", "彩虹社区"],
            ],
        ),
        (
            "协议",
            AGREEMENT_HEADERS,
            vec![
                vec![
                    "多宝街社工服务站",
                    "荔湾区",
                    "2025-01-01",
                    "2025-12-31",
                    "900000",
                    "12",
                    "8",
                ],
                vec![
                    "彩虹街社工服务站",
                    "荔湾区",
                    "2023-01-01",
                    "2023-12-31",
                    "900000",
                    "12",
                    "8",
                ],
            ],
        ),
        (
            "用户",
            USER_HEADERS,
            vec![
                vec![
                    "agency.boss",
                    "赵主任",
                    "agency.boss@example.cn",
                    "广州市社会工作协会",
                    "负责人",
                ],
                vec![
                    "city.officer",
                    "钱科员",
                    "city.officer@example.cn",
                    "广州市民政局",
                    "工作人员",
                ],
            ],
        ),
    ])
}

async fn org_id(app: &TestApp, token: &str, name: &str) -> i64 {
    let all = app
        .get_json("/api/v1/organizations?per_page=100", Some(token))
        .await;
    all["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|o| o["name"] == name)
        .map(id_of)
        .unwrap_or_else(|| panic!("organization {name}"))
}

async fn station_id(app: &TestApp, token: &str, name: &str) -> i64 {
    let all = app
        .get_json("/api/v1/stations?per_page=100", Some(token))
        .await;
    all["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|s| s["name"] == name)
        .map(id_of)
        .unwrap_or_else(|| panic!("station {name}"))
}

async fn listed(app: &TestApp, token: &str, query: &str) -> Vec<String> {
    let page = app
        .get_json(&format!("/api/v1/evaluations?{query}"), Some(token))
        .await;
    let mut names: Vec<String> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| e["station"]["name"].as_str().unwrap_or("").to_owned())
        .collect();
    names.sort();
    names
}

/// 荔湾区's mid-term evaluations of the first half of 2025, 西村街 on site on 10 July.
async fn batch_body(app: &TestApp, admin: &str, xicun: i64) -> Value {
    json!({
        "district": "荔湾区", "scheme_code": "guangzhou-2023", "kind": "mid_term",
        "assessment_start": "2025-01-01", "assessment_end": "2025-06-30",
        "agency_org_id": org_id(app, admin, "广州市社会工作协会").await,
        "center_org_id": org_id(app, admin, "广州市社工督导中心").await,
        "deadlines": {"self_assessment": "2025-07-06", "onsite_scoring": "2025-07-20",
                      "draft_feedback": "2025-08-03", "bureau_review": "2025-08-17"},
        "onsite_dates": {xicun.to_string(): "2025-07-10"},
    })
}

async fn a_districts_evaluations_are_created_in_one_call(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (admin, liwan) = onboarded(&app).await;
    import_ok(&app, &admin, more_of_liwan(), false).await;
    set_passwords_by_links(&app, &["agency.boss", "xicun.station", "city.officer"]).await;
    let city = token_of(&app.login_ok("city.officer", PASSWORD).await);
    let yuexiu = token_of(&app.login_ok("yuexiu.boss", PASSWORD).await);
    let agency = token_of(&app.login_ok("agency.boss", PASSWORD).await);
    let station = token_of(&app.login_ok("xicun.station", PASSWORD).await);
    let xicun = station_id(&app, &liwan, "西村街社工服务站").await;
    let duobao = station_id(&app, &liwan, "多宝街社工服务站").await;
    let caihong = station_id(&app, &liwan, "彩虹街社工服务站").await;
    let batch = batch_body(&app, &admin, xicun).await;

    // Another district's bureau, the municipal bureau and a station may not.
    for token in [&yuexiu, &city, &station] {
        let refused = app
            .post("/api/v1/evaluation-batches", Some(token), &batch)
            .await;
        assert_problem(refused, StatusCode::FORBIDDEN, "forbidden").await;
    }

    // Two submissions of one batch at once: one creates, the other names the stations.
    let before = app.count("SELECT COUNT(*) AS n FROM evaluations").await;
    let (first, second) = tokio::join!(
        app.post("/api/v1/evaluation-batches", Some(&liwan), &batch),
        app.post("/api/v1/evaluation-batches", Some(&liwan), &batch),
    );
    let mut answers = vec![first, second];
    answers.sort_by_key(|r| r.status());
    let conflict = answers.pop().expect("two answers");
    let created = answers.pop().expect("two answers");
    assert_eq!(created.status(), StatusCode::CREATED);
    let created: Value = created.json().await.expect("json");
    let ids: Vec<i64> = created["evaluation_ids"]
        .as_array()
        .expect("ids")
        .iter()
        .filter_map(Value::as_i64)
        .collect();
    assert_eq!(
        ids.len(),
        2,
        "西村街 and 多宝街; 彩虹街's agreement ended: {created}"
    );
    let problem = assert_problem(conflict, StatusCode::CONFLICT, "conflict").await;
    let mut named = error_fields(&problem);
    named.sort();
    let mut expected = vec![format!("stations.{xicun}"), format!("stations.{duobao}")];
    expected.sort();
    assert_eq!(named, expected, "{problem}");
    assert!(
        problem
            .to_string()
            .contains("西村街社工服务站已有该考核期的中期评估")
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM evaluations").await,
        before + 2
    );

    // On-site dates: given for 西村街, the on-site deadline for 多宝街 until changed.
    let of = |id: i64| format!("/api/v1/evaluations/{id}");
    let first = app.get_json(&of(ids[0]), Some(&liwan)).await;
    let second = app.get_json(&of(ids[1]), Some(&liwan)).await;
    assert_eq!(
        second["station"]["name"], "西村街社工服务站",
        "by name: 多 before 西"
    );
    assert_eq!(second["onsite_date"], "2025-07-10");
    assert_eq!(first["onsite_date"], "2025-07-20");
    assert_eq!(first["state"], "setup");
    let version = first["version"].as_i64().expect("version");
    let change = json!({"onsite_date": "2025-07-15", "version": version});
    let refused = app.patch(&of(ids[0]), Some(&station), &change).await;
    assert!(matches!(
        refused.status(),
        StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
    ));
    let early = json!({"onsite_date": "2025-06-01", "version": version});
    let problem = assert_invalid(app.patch(&of(ids[0]), Some(&liwan), &early).await).await;
    assert_eq!(error_fields(&problem), ["onsite_date"]);
    let changed = app.patch(&of(ids[0]), Some(&liwan), &change).await;
    assert_eq!(changed.status(), StatusCode::OK);
    let changed: Value = changed.json().await.expect("json");
    assert_eq!(changed["onsite_date"], "2025-07-15");
    assert_eq!(changed["version"], version + 1);
    let stale = app.patch(&of(ids[0]), Some(&liwan), &change).await;
    assert_problem(stale, StatusCode::CONFLICT, "version-conflict").await;

    // Naming a station without a covering agreement, or another district's, is refused.
    let mut only = batch.clone();
    only["kind"] = json!("final_term");
    only["station_ids"] = json!([caihong]);
    only["onsite_dates"] = json!({});
    let problem = assert_invalid(
        app.post("/api/v1/evaluation-batches", Some(&liwan), &only)
            .await,
    )
    .await;
    assert_eq!(error_fields(&problem), ["station_ids[0]"], "{problem}");

    // Who sees them: the district, the agency, the station its own; not the other district.
    let both = ["多宝街社工服务站".to_owned(), "西村街社工服务站".to_owned()];
    assert_eq!(
        listed(&app, &liwan, "district=荔湾区&year=2025").await,
        both
    );
    assert_eq!(listed(&app, &agency, "kind=mid_term").await, both);
    assert_eq!(listed(&app, &admin, "district=荔湾区").await, both);
    assert_eq!(
        listed(&app, &city, "district=荔湾区").await,
        both,
        "the city reads all"
    );
    assert_eq!(listed(&app, &station, "").await, ["西村街社工服务站"]);
    assert!(listed(&app, &yuexiu, "").await.is_empty());
    // In the order asked for.
    let ordered = |query: &'static str| {
        let (app, liwan) = (&app, &liwan);
        async move {
            let page = app
                .get_json(&format!("/api/v1/evaluations?{query}"), Some(liwan))
                .await;
            page["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|e| e["station"]["name"].as_str().unwrap_or("").to_owned())
                .collect::<Vec<_>>()
        }
    };
    let reversed: Vec<String> = both.iter().rev().cloned().collect();
    assert_eq!(ordered("sort=station_name").await, both);
    assert_eq!(ordered("sort=-station_name").await, reversed);
    // 西村街 on site 10 July, 多宝街 moved to 15 July above.
    assert_eq!(ordered("sort=onsite_date").await, reversed);
    assert_eq!(
        ordered("sort=-onsite_date&per_page=1").await,
        ["多宝街社工服务站"]
    );
    let problem = assert_invalid(
        app.get("/api/v1/evaluations?sort=grade", Some(&liwan))
            .await,
    )
    .await;
    assert_eq!(error_fields(&problem), ["sort"]);
    let hidden = app.get(&of(ids[0]), Some(&yuexiu)).await;
    assert_eq!(hidden.status(), StatusCode::NOT_FOUND);

    // The station's page: its evaluations over the years, for those who see the station.
    let page = format!("/stations/{xicun}");
    let html = page_html(&app, &session_of_user(&app, "liwan.boss").await, &page).await;
    assert!(html.contains("<h1>西村街社工服务站</h1>"), "{html}");
    assert!(
        html.contains(&format!(r#"<a href="/evaluations/{}">2025</a>"#, ids[1])),
        "{html}"
    );
    assert!(
        [
            "<td>中期评估</td>",
            "<td>2025-01-01 至 2025-06-30</td>",
            "<td>准备中</td>"
        ]
        .iter()
        .all(|cell| html.contains(cell)),
        "{html}"
    );
    let other = get_with(&app, &session_of_user(&app, "yuexiu.boss").await, &page).await;
    assert_eq!(other.status(), StatusCode::NOT_FOUND);
    let evaluation = page_html(
        &app,
        &session_of_user(&app, "liwan.boss").await,
        &format!("/evaluations/{}", ids[1]),
    )
    .await;
    assert!(
        evaluation.contains(&format!(r#"href="/stations/{xicun}""#)),
        "the evaluation links its station"
    );
}

async fn session_of_user(app: &TestApp, username: &str) -> String {
    let (cookie, _) = crate::pages::form_login(app, username).await;
    format!("pinggu_session={}", crate::pages::cookie_value(&cookie))
}

async fn titles(browser: &Client) -> Vec<String> {
    let mut found = Vec::new();
    for item in browser
        .find_all(Locator::Css(".list .title"))
        .await
        .expect("list")
    {
        found.push(item.text().await.expect("text"));
    }
    found
}

async fn my_list_is_filtered_in_the_address_on_a_desk_and_a_phone(backend: Backend) {
    use crate::pages::{
        Driver, log_in, mark_page, scrolls_sideways, text_of, wait_for_next_page, wait_for_path,
    };
    let app = TestApp::spawn(backend).await;
    let (admin, liwan) = onboarded(&app).await;
    import_ok(&app, &admin, more_of_liwan(), false).await;
    let xicun = station_id(&app, &liwan, "西村街社工服务站").await;
    let batch = batch_body(&app, &admin, xicun).await;
    let created = app
        .post("/api/v1/evaluation-batches", Some(&liwan), &batch)
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);

    let driver = Driver::start().await;
    for (width, height) in [(1280, 900), (360, 740)] {
        let browser = driver.browser(width, height).await;
        // A bookmarked filtered list survives the login.
        browser
            .goto(&app.url("/?q=西村&year=2025"))
            .await
            .expect("list");
        wait_for_path(&browser, "/login").await;
        mark_page(&browser).await;
        log_in(&browser, "liwan.boss").await;
        // Every path starts with "/": wait for the login page to be replaced instead.
        wait_for_next_page(&browser).await;
        let address = browser.current_url().await.expect("url");
        assert_eq!(address.path(), "/", "back on the list: {address}");
        assert_eq!(
            text_of(&browser, "#list-count").await,
            "共 1 项",
            "{width}px"
        );
        let shown = titles(&browser).await;
        assert_eq!(shown.len(), 1);
        assert!(shown[0].starts_with("西村街社工服务站"), "{shown:?}");
        let q = browser.find(Locator::Id("q")).await.expect("q");
        assert_eq!(
            q.prop("value").await.expect("value").as_deref(),
            Some("西村")
        );

        // Another filter, chosen on the page, lands in the address.
        q.clear().await.expect("cleared");
        browser
            .find(Locator::Css("#state option[value='setup']"))
            .await
            .expect("state")
            .click()
            .await
            .expect("chosen");
        mark_page(&browser).await;
        browser
            .find(Locator::Css("button[data-command='filter']"))
            .await
            .expect("button")
            .click()
            .await
            .expect("clicked");
        wait_for_next_page(&browser).await;
        let address = browser.current_url().await.expect("url");
        let query = address.query().unwrap_or_default().to_owned();
        assert!(
            query.contains("state=setup") && query.contains("year=2025"),
            "{query}"
        );
        assert_eq!(text_of(&browser, "#list-count").await, "共 2 项");
        assert_eq!(titles(&browser).await.len(), 2);
        // Only the overdue: none yet, and the box stays ticked.
        browser.goto(&app.url("/?overdue=1")).await.expect("list");
        assert_eq!(text_of(&browser, "#list-count").await, "共 0 项");
        let ticked = browser
            .find(Locator::Id("overdue"))
            .await
            .expect("overdue")
            .is_selected()
            .await
            .expect("state");
        assert!(ticked);
        // A year that is none is said, not an error page.
        browser
            .goto(&app.url("/?year=二〇二五"))
            .await
            .expect("list");
        assert!(
            text_of(&browser, "main")
                .await
                .contains("不是 2000 到 2100 之间的年份")
        );
        if width == 360 {
            assert!(!scrolls_sideways(&browser).await, "the list fits a phone");
        }
        browser.close().await.expect("closed");
    }
    driver.stop().await;
}

async fn the_batch_form_lists_the_stations_then_creates(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (admin, _) = onboarded(&app).await;
    import_ok(&app, &admin, more_of_liwan(), false).await;
    let session = session_of_user(&app, "liwan.boss").await;
    let html = page_html(&app, &session, "/admin/evaluations").await;
    assert!(html.contains("批量创建本区评估"), "{html}");
    assert!(
        html.contains(r#"name="district" type="text" value="荔湾区""#),
        "{html}"
    );
    let agency = org_id(&app, &admin, "广州市社会工作协会").await.to_string();
    let center = org_id(&app, &admin, "广州市社工督导中心").await.to_string();
    let mut fields: Vec<(&str, String)> = vec![
        ("csrf", csrf_in(&html)),
        ("district", "荔湾区".into()),
        ("scheme_code", "guangzhou-2023".into()),
        ("kind", "mid_term".into()),
        ("assessment_start", "2025-01-01".into()),
        ("assessment_end", "2025-06-30".into()),
        ("agency_org_id", agency),
        ("center_org_id", center),
        ("deadlines.self_assessment", "2025-07-06".into()),
        ("deadlines.onsite_scoring", "2025-07-20".into()),
        ("deadlines.draft_feedback", "2025-08-03".into()),
        ("deadlines.bureau_review", "2025-08-17".into()),
    ];
    let before = app.count("SELECT COUNT(*) AS n FROM evaluations").await;
    let listed = post_fields(&app, &session, "/admin/evaluation-batches", &fields).await;
    assert_eq!(listed.status(), StatusCode::OK);
    let listed = listed.text().await.expect("html");
    assert!(
        listed.contains("将为以下 2 个社工站各创建一项评估"),
        "{listed}"
    );
    assert!(
        listed.contains("<li>多宝街社工服务站</li>")
            && listed.contains("<li>西村街社工服务站</li>")
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM evaluations").await,
        before
    );
    fields.push(("confirm", "1".into()));
    let created = post_fields(&app, &session, "/admin/evaluation-batches", &fields).await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        created.headers()["location"],
        "/?state=setup&kind=mid_term&year=2025"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM evaluations").await,
        before + 2
    );
    // Again: the page names the stations already evaluated, and creates nothing.
    let again = post_fields(&app, &session, "/admin/evaluation-batches", &fields).await;
    let again = again.text().await.expect("html");
    assert!(
        again.contains("西村街社工服务站已有该考核期的中期评估"),
        "{again}"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM evaluations").await,
        before + 2
    );
}
