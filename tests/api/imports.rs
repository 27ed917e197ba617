//! Onboarding from one workbook (DESIGN.md §8): the template; a district's dry run, import, the
//! same file again, a changed row, rows with problems by `sheet!cell`; who may import what; the
//! welcome e-mail's link that sets a password once; two uploads of one file at once.

use std::io::Read;

use calamine::{Reader, Xlsx};
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION};
use serde_json::{Value, json};

use crate::helpers::*;
use crate::mail::{SmtpSink, worker_once};
use crate::pages::{
    cookie_value, csrf_in, form_login, get_with, page_html, plain_client, set_cookie,
};

both_backends!(
    the_template_has_the_sheets_headers_choices_and_an_example,
    a_district_is_onboarded_from_one_workbook,
    each_importer_stays_within_its_district,
    a_welcome_link_sets_the_password_once_and_offers_a_new_one,
    uploads_of_one_workbook_at_once_create_each_record_once,
    the_import_page_checks_then_imports,
    a_user_created_without_a_password_gets_a_link,
);

pub(crate) const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

pub(crate) const ORG_HEADERS: &[&str] = &["名称", "全称", "类型", "所在区"];
pub(crate) const STATION_HEADERS: &[&str] = &[
    "名称",
    "所在区",
    "街道",
    "地址",
    "承办机构",
    "购买方",
    "监督方",
];
pub(crate) const ZONE_HEADERS: &[&str] = &["服务站", "所在区", "片区", "社区"];
pub(crate) const AGREEMENT_HEADERS: &[&str] = &[
    "服务站",
    "所在区",
    "开始日期",
    "结束日期",
    "经费（元）",
    "应配社工",
    "应配持证社工",
];
pub(crate) const USER_HEADERS: &[&str] = &["用户名", "姓名", "电子邮箱", "单位", "角色"];

/// A sheet: its name, its headers and its rows.
pub(crate) type Sheet<'a> = (&'a str, &'a [&'a str], Vec<Vec<&'a str>>);

/// A workbook of these sheets: headers, then rows; a cell that reads as a number is written
/// as one, as Excel keeps what a user types.
pub(crate) fn workbook(sheets: &[Sheet]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    for (name, headers, rows) in sheets {
        let sheet = book.add_worksheet();
        sheet.set_name(*name).expect("sheet name");
        for (col, header) in headers.iter().enumerate() {
            sheet.write_string(0, col as u16, *header).expect("header");
        }
        for (r, row) in rows.iter().enumerate() {
            for (col, cell) in row.iter().enumerate() {
                let (row, col) = (r as u32 + 1, col as u16);
                match cell.parse::<f64>() {
                    Ok(number) => sheet.write_number(row, col, number).expect("number"),
                    Err(_) => sheet.write_string(row, col, *cell).expect("text"),
                };
            }
        }
    }
    book.save_to_buffer().expect("workbook")
}

/// What the administrator sets up for the city: two district bureaus, the municipal bureau,
/// an agency, and the bureaus' managers.
fn city_workbook() -> Vec<u8> {
    workbook(&[
        (
            "单位",
            ORG_HEADERS,
            vec![
                vec!["荔湾区民政局", "广州市荔湾区民政局", "区民政局", "荔湾区"],
                vec!["越秀区民政局", "广州市越秀区民政局", "区民政局", "越秀区"],
                vec!["广州市民政局", "", "市民政局", ""],
                vec!["广州市社会工作协会", "", "evaluation_agency", ""],
            ],
        ),
        (
            "用户",
            USER_HEADERS,
            vec![
                vec![
                    "liwan.boss",
                    "李局长",
                    "liwan.boss@example.cn",
                    "荔湾区民政局",
                    "负责人",
                ],
                // By the full name.
                vec![
                    "yuexiu.boss",
                    "岳局长",
                    "yuexiu.boss@example.cn",
                    "广州市越秀区民政局",
                    "负责人",
                ],
            ],
        ),
    ])
}

/// 荔湾区's own: a street office, an operator, the station with two zones and its agreement,
/// and their managers; an example row left in, and `funding`/`second_zone` to change.
pub(crate) fn district_workbook(second_zone: &str, funding: &str) -> Vec<u8> {
    workbook(&[
        (
            "单位",
            ORG_HEADERS,
            vec![
                vec!["示例：某街道办事处", "", "街道办事处", "荔湾区"],
                vec![
                    "西村街道办事处",
                    "广州市荔湾区西村街道办事处",
                    "街道办事处",
                    "荔湾区",
                ],
                vec![
                    "逢源人家服务中心",
                    "广州市荔湾区逢源人家服务中心",
                    "承办机构",
                    "荔湾区",
                ],
            ],
        ),
        (
            "服务站",
            STATION_HEADERS,
            vec![vec![
                "西村街社工服务站",
                "荔湾区",
                "西村街",
                "西村街某路 1 号",
                "广州市荔湾区逢源人家服务中心",
                "西村街道办事处",
                "荔湾区民政局",
            ]],
        ),
        (
            "片区",
            ZONE_HEADERS,
            vec![
                vec![
                    "西村街社工服务站",
                    "荔湾区",
                    "第一片区",
                    "西湾东社区、西湾路社区",
                ],
                vec!["西村街社工服务站", "荔湾区", "第二片区", second_zone],
            ],
        ),
        (
            "协议",
            AGREEMENT_HEADERS,
            vec![vec![
                "西村街社工服务站",
                "荔湾区",
                "2024-12-11",
                "2025-12-10",
                funding,
                "20",
                "14",
            ]],
        ),
        (
            "用户",
            USER_HEADERS,
            vec![
                vec![
                    "xicun.office",
                    "王主任",
                    "xicun.office@example.cn",
                    "西村街道办事处",
                    "负责人",
                ],
                vec![
                    "xicun.station",
                    "陈站长",
                    "xicun.station@example.cn",
                    "逢源人家服务中心",
                    "负责人",
                ],
            ],
        ),
    ])
}

async fn import(app: &TestApp, token: &str, bytes: Vec<u8>, dry_run: bool) -> reqwest::Response {
    let path = if dry_run {
        "/api/v1/imports?dry_run=true"
    } else {
        "/api/v1/imports"
    };
    app.upload(path, token, XLSX, bytes).await
}

pub(crate) async fn import_ok(app: &TestApp, token: &str, bytes: Vec<u8>, dry_run: bool) -> Value {
    let response = import(app, token, bytes, dry_run).await;
    let status = response.status();
    let body: Value = response.json().await.expect("json");
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["dry_run"], dry_run, "{body}");
    body
}

fn counts(organizations: u32, stations: u32, zones: u32, agreements: u32, users: u32) -> Value {
    json!({"organizations": organizations, "stations": stations, "zones": zones,
           "agreements": agreements, "users": users})
}

/// Every record the import may write, counted.
async fn records(app: &TestApp) -> [i64; 6] {
    let mut found = [0; 6];
    for (slot, table) in [
        "organizations",
        "stations",
        "zones",
        "communities",
        "agreements",
        "users",
    ]
    .iter()
    .enumerate()
    {
        found[slot] = app
            .count(&format!("SELECT COUNT(*) AS n FROM {table}"))
            .await;
    }
    found
}

/// Sends the queued e-mails through a real SMTP server and sets each user's password with the
/// link of their last welcome e-mail, through the page.
pub(crate) async fn set_passwords_by_links(app: &TestApp, usernames: &[&str]) {
    for (username, token) in usernames.iter().zip(link_tokens(app, usernames).await) {
        let (status, location) = submit_link(app, &token, PASSWORD, PASSWORD).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{username}: {location}");
        assert_eq!(location, "/login?password_set=1");
    }
}

/// The tokens of the last e-mails to these users' addresses, sent with the rest of the outbox
/// through a real SMTP server.
async fn link_tokens(app: &TestApp, usernames: &[&str]) -> Vec<String> {
    let dir = tempfile::tempdir().expect("sink dir");
    let sink = SmtpSink::start(dir.path(), 0).await;
    worker_once(app, sink.port, &[]).await;
    let received = sink.received();
    sink.stop().await;
    usernames
        .iter()
        .map(|username| {
            let address = format!("{username}@example.cn");
            let mail = received
                .iter()
                .rev()
                .find(|m| m.to == address)
                .unwrap_or_else(|| panic!("an e-mail to {address}"));
            assert!(!mail.text.contains(PASSWORD), "no password by e-mail");
            assert!(mail.text.contains(username), "{}", mail.text);
            let token = mail
                .text
                .split("/password/set?token=")
                .nth(1)
                .and_then(|rest| rest.split_whitespace().next())
                .unwrap_or_else(|| panic!("a link in {}", mail.text))
                .to_owned();
            assert!(mail.html.contains(&token), "the HTML part has the link too");
            token
        })
        .collect()
}

async fn link_token(app: &TestApp, username: &str) -> String {
    link_tokens(app, &[username]).await.remove(0)
}

/// Opens the link's page and posts the two passwords; answers the status and the Location.
async fn submit_link(
    app: &TestApp,
    token: &str,
    password: &str,
    again: &str,
) -> (StatusCode, String) {
    let (cookie, html) = link_page(app, token).await;
    let response = plain_client()
        .post(app.url("/password/set"))
        .header(COOKIE, cookie)
        .form(&[
            ("csrf", csrf_in(&html).as_str()),
            ("token", token),
            ("new_password", password),
            ("confirm_password", again),
        ])
        .send()
        .await
        .expect("post");
    let status = response.status();
    let location = response
        .headers()
        .get(LOCATION)
        .and_then(|l| l.to_str().ok())
        .map(str::to_owned);
    match location {
        Some(location) => (status, location),
        None => (status, response.text().await.expect("html")),
    }
}

/// The link's page: its form cookie and its HTML.
async fn link_page(app: &TestApp, token: &str) -> (String, String) {
    let page = plain_client()
        .get(app.url(&format!("/password/set?token={token}")))
        .send()
        .await
        .expect("link page");
    assert_eq!(page.status(), StatusCode::OK);
    let cookie = set_cookie(&page, "pinggu_login_csrf").expect("the form's cookie");
    let cookie = format!("pinggu_login_csrf={}", cookie_value(&cookie));
    (cookie, page.text().await.expect("html"))
}

/// The city and 荔湾区 onboarded: answers the administrator's and 荔湾区's manager's tokens.
pub(crate) async fn onboarded(app: &TestApp) -> (String, String) {
    let admin = app.admin_token().await;
    import_ok(app, &admin, city_workbook(), false).await;
    set_passwords_by_links(app, &["liwan.boss", "yuexiu.boss"]).await;
    let liwan = token_of(&app.login_ok("liwan.boss", PASSWORD).await);
    import_ok(app, &liwan, district_workbook("西场社区", "1200000"), false).await;
    (admin, liwan)
}

async fn the_template_has_the_sheets_headers_choices_and_an_example(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let response = app.get("/api/v1/imports/template.xlsx", Some(&admin)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], XLSX);
    let bytes = response.bytes().await.expect("bytes").to_vec();
    let mut book: Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.clone())).expect("xlsx");
    assert_eq!(
        book.sheet_names(),
        ["说明", "单位", "服务站", "片区", "协议", "用户"]
    );
    for (name, headers) in [
        ("单位", ORG_HEADERS),
        ("服务站", STATION_HEADERS),
        ("片区", ZONE_HEADERS),
        ("协议", AGREEMENT_HEADERS),
        ("用户", USER_HEADERS),
    ] {
        let range = book.worksheet_range(name).expect("sheet");
        let first: Vec<String> = (0..headers.len() as u32)
            .map(|c| {
                range
                    .get_value((0, c))
                    .map(|d| d.to_string())
                    .unwrap_or_default()
            })
            .collect();
        assert_eq!(first, *headers, "the headers of {name}");
        let example = range
            .get_value((1, 0))
            .map(|d| d.to_string())
            .unwrap_or_default();
        assert!(
            example.starts_with("示例："),
            "{name} has an example row: {example}"
        );
    }
    // The dropdowns of 类型 (单位!C) and 角色 (用户!E).
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.clone())).expect("zip");
    let mut validations = Vec::new();
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).expect("entry");
        let mut xml = String::new();
        entry.read_to_string(&mut xml).expect("xml");
        if xml.contains("<dataValidation ") {
            validations.push(xml);
        }
    }
    assert_eq!(validations.len(), 2, "two sheets offer choices");
    assert!(
        validations
            .iter()
            .any(|x| x.contains("sqref=\"C2:C5001\"") && x.contains("第三方评估机构"))
    );
    assert!(
        validations
            .iter()
            .any(|x| x.contains("sqref=\"E2:E5001\"") && x.contains("评估专家"))
    );

    // The template as downloaded imports nothing: its rows are examples.
    let problem = assert_invalid(import(&app, &admin, bytes, true).await).await;
    assert_eq!(error_fields(&problem), ["workbook"], "{problem}");
    // Without a login there is no template.
    let anonymous = app.get("/api/v1/imports/template.xlsx", None).await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}

async fn a_district_is_onboarded_from_one_workbook(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let city = import_ok(&app, &admin, city_workbook(), false).await;
    assert_eq!(city["created"], counts(4, 0, 0, 0, 2), "{city}");
    let organizations = app
        .get_json("/api/v1/organizations?per_page=100", Some(&admin))
        .await;
    let yuexiu = organizations["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|o| o["name"] == "越秀区民政局")
        .expect("越秀区民政局")
        .clone();
    assert_eq!(yuexiu["full_name"], "广州市越秀区民政局");
    assert_eq!(yuexiu["kind"], "civil_affairs_bureau");
    assert_eq!(yuexiu["district"], "越秀区");

    // The new manager has no password until the link sets one.
    let refused = app.login("liwan.boss", PASSWORD).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    set_passwords_by_links(&app, &["liwan.boss"]).await;
    let liwan = token_of(&app.login_ok("liwan.boss", PASSWORD).await);

    // A dry run says what would change and writes nothing.
    let before = records(&app).await;
    let dry = import_ok(&app, &liwan, district_workbook("西场社区", "1200000"), true).await;
    assert_eq!(dry["created"], counts(2, 1, 2, 1, 2), "{dry}");
    assert_eq!(dry["updated"], counts(0, 0, 0, 0, 0));
    let changes = dry["changes"].as_array().expect("changes");
    assert_eq!(changes.len(), 8, "{dry}");
    assert_eq!(changes[0]["sheet"], "单位");
    assert_eq!(changes[0]["row"], 3, "the example row is passed by");
    assert_eq!(changes[0]["key"], "西村街道办事处");
    assert_eq!(changes[0]["action"], "created");
    assert_eq!(records(&app).await, before, "a dry run writes nothing");

    // The import writes it all.
    let done = import_ok(
        &app,
        &liwan,
        district_workbook("西场社区", "1200000"),
        false,
    )
    .await;
    assert_eq!(done["created"], dry["created"]);
    let stations = app.get_json("/api/v1/stations", Some(&liwan)).await;
    let station = &stations["items"][0];
    assert_eq!(station["name"], "西村街社工服务站");
    assert_eq!(station["operator"]["name"], "逢源人家服务中心");
    assert_eq!(station["purchaser"]["name"], "西村街道办事处");
    assert_eq!(station["supervisor"]["name"], "荔湾区民政局");
    let zones: Vec<(String, Value)> = station["zones"]
        .as_array()
        .expect("zones")
        .iter()
        .map(|z| {
            (
                z["name"].as_str().unwrap_or("").to_owned(),
                z["communities"].clone(),
            )
        })
        .collect();
    assert_eq!(
        zones,
        [
            ("第一片区".to_owned(), json!(["西湾东社区", "西湾路社区"])),
            ("第二片区".to_owned(), json!(["西场社区"])),
        ]
    );
    let station_id = id_of(station);
    let agreement_id = app
        .count(&format!(
            "SELECT id AS n FROM agreements WHERE station_id = {station_id}"
        ))
        .await;
    let agreement = app
        .get_json(&format!("/api/v1/agreements/{agreement_id}"), Some(&liwan))
        .await;
    assert_eq!(agreement["period_start"], "2024-12-11");
    assert_eq!(agreement["funding_yuan"], "1200000.00");
    assert_eq!(agreement["required_staff"], 20);
    assert_eq!(agreement["required_certified_staff"], 14);

    // The same file again changes nothing and says so.
    let written = records(&app).await;
    let again = import_ok(
        &app,
        &liwan,
        district_workbook("西场社区", "1200000"),
        false,
    )
    .await;
    assert_eq!(again["created"], counts(0, 0, 0, 0, 0), "{again}");
    assert_eq!(again["updated"], counts(0, 0, 0, 0, 0));
    assert_eq!(again["unchanged"], counts(2, 1, 2, 1, 2));
    assert_eq!(again["changes"], json!([]));
    assert_eq!(records(&app).await, written);

    // Changed rows update their records, and are counted as updated.
    let changed = import_ok(
        &app,
        &liwan,
        district_workbook("西场社区、西郊社区", "1250000.50"),
        false,
    )
    .await;
    assert_eq!(changed["updated"], counts(0, 0, 1, 1, 0), "{changed}");
    assert_eq!(changed["unchanged"], counts(2, 1, 1, 0, 2));
    let fields: Vec<&Value> = changed["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| &c["fields"])
        .collect();
    assert_eq!(fields, [&json!(["社区"]), &json!(["经费（元）"])]);
    let agreement = app
        .get_json(&format!("/api/v1/agreements/{agreement_id}"), Some(&liwan))
        .await;
    assert_eq!(agreement["funding_yuan"], "1250000.50");
    let station = app
        .get_json(&format!("/api/v1/stations/{station_id}"), Some(&liwan))
        .await;
    assert_eq!(
        station["zones"][1]["communities"],
        json!(["西场社区", "西郊社区"])
    );

    // Rows with problems: every one by sheet!cell, nothing written.
    let written = records(&app).await;
    let bad = workbook(&[
        (
            "单位",
            ORG_HEADERS,
            vec![vec!["东漖街道办事处", "", "街道", "荔湾区"]],
        ),
        (
            "服务站",
            &[
                "名称",
                "所在区",
                "街道",
                "地址",
                "承办机构",
                "购买方",
                "监督方",
                "备注",
            ],
            vec![],
        ),
        (
            "协议",
            AGREEMENT_HEADERS,
            vec![vec![
                "西村街社工服务站",
                "荔湾区",
                "2025-12-11",
                "2026-13-01",
                "1,300,000",
                "二十",
                "14",
            ]],
        ),
        (
            "用户",
            USER_HEADERS,
            vec![vec![
                "dongjiao",
                "",
                "not-an-address",
                "东漖街道办事处",
                "科长",
            ]],
        ),
    ]);
    let problem = assert_invalid(import(&app, &liwan, bad, false).await).await;
    let mut found = error_fields(&problem);
    found.sort();
    assert_eq!(
        found,
        [
            "协议!D2",
            "协议!F2",
            "单位!C2",
            "服务站!H1",
            "用户!B2",
            "用户!C2",
            "用户!E2"
        ],
        "{problem}"
    );
    let unknown = workbook(&[
        (
            "服务站",
            STATION_HEADERS,
            vec![vec![
                "多宝街社工服务站",
                "荔湾区",
                "多宝街",
                "",
                "无名中心",
                "西村街道办事处",
                "荔湾区民政局",
            ]],
        ),
        (
            "协议",
            AGREEMENT_HEADERS,
            vec![
                vec![
                    "西村街社工服务站",
                    "荔湾区",
                    "2025-06-01",
                    "2026-05-31",
                    "1",
                    "20",
                    "21",
                ],
                vec![
                    "彩虹街社工服务站",
                    "荔湾区",
                    "2025-12-11",
                    "2026-12-10",
                    "1",
                    "20",
                    "14",
                ],
            ],
        ),
        ("Sheet1", &["名称"], vec![]),
    ]);
    let problem = assert_invalid(import(&app, &liwan, unknown, false).await).await;
    let mut found = error_fields(&problem);
    found.sort();
    assert_eq!(
        found,
        ["workbook"],
        "an unknown sheet is refused by name: {problem}"
    );
    assert!(problem.to_string().contains("Sheet1"), "{problem}");
    let unknown = workbook(&[
        (
            "服务站",
            STATION_HEADERS,
            vec![vec![
                "多宝街社工服务站",
                "荔湾区",
                "多宝街",
                "",
                "无名中心",
                "西村街道办事处",
                "荔湾区民政局",
            ]],
        ),
        (
            "协议",
            AGREEMENT_HEADERS,
            vec![
                // Overlaps the agreement of 2024-12-11 and wants more certified than workers.
                vec![
                    "西村街社工服务站",
                    "荔湾区",
                    "2025-06-01",
                    "2026-05-31",
                    "1",
                    "20",
                    "21",
                ],
                vec![
                    "彩虹街社工服务站",
                    "荔湾区",
                    "2025-12-11",
                    "2026-12-10",
                    "1",
                    "20",
                    "14",
                ],
            ],
        ),
    ]);
    let problem = assert_invalid(import(&app, &liwan, unknown, false).await).await;
    let mut found = error_fields(&problem);
    found.sort();
    assert_eq!(
        found,
        ["协议!A3", "协议!C2", "协议!G2", "服务站!A2", "服务站!E2"],
        "{problem}"
    );
    assert_eq!(records(&app).await, written, "nothing was written");
}

async fn each_importer_stays_within_its_district(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, liwan) = onboarded(&app).await;
    let yuexiu = token_of(&app.login_ok("yuexiu.boss", PASSWORD).await);
    let written = records(&app).await;

    // 荔湾区's manager: a 越秀区 row is refused, even one that changes nothing; so is a bureau.
    let outside = workbook(&[(
        "单位",
        ORG_HEADERS,
        vec![
            vec!["越秀区民政局", "广州市越秀区民政局", "区民政局", "越秀区"],
            vec!["北京街道办事处", "", "街道办事处", "越秀区"],
            vec!["海龙街道办事处", "", "街道办事处", "荔湾区"],
        ],
    )]);
    let problem = assert_invalid(import(&app, &liwan, outside, true).await).await;
    assert_eq!(error_fields(&problem), ["单位!C2", "单位!D3"], "{problem}");

    // 越秀区's manager may not touch 荔湾区's station, its agreement or its users.
    let liwans = workbook(&[
        (
            "协议",
            AGREEMENT_HEADERS,
            vec![vec![
                "西村街社工服务站",
                "荔湾区",
                "2024-12-11",
                "2025-12-10",
                "1200000",
                "20",
                "14",
            ]],
        ),
        (
            "用户",
            USER_HEADERS,
            vec![vec![
                "xicun.station",
                "陈站长",
                "",
                "逢源人家服务中心",
                "负责人",
            ]],
        ),
    ]);
    let problem = assert_invalid(import(&app, &yuexiu, liwans, true).await).await;
    assert_eq!(error_fields(&problem), ["协议!B2", "用户!D2"], "{problem}");
    // Its own district's street office it may.
    let own = workbook(&[(
        "单位",
        ORG_HEADERS,
        vec![vec![
            "北京街道办事处",
            "广州市越秀区北京街道办事处",
            "街道办事处",
            "越秀区",
        ]],
    )]);
    let dry = import_ok(&app, &yuexiu, own, true).await;
    assert_eq!(dry["created"], counts(1, 0, 0, 0, 0));

    // A station's manager imports nothing; nor does anyone without a login.
    set_passwords_by_links(&app, &["xicun.station"]).await;
    let station = token_of(&app.login_ok("xicun.station", PASSWORD).await);
    let problem = assert_problem(
        import(
            &app,
            &station,
            district_workbook("西场社区", "1200000"),
            true,
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("区民政局负责人"))
    );
    let anonymous = plain_client()
        .post(app.url("/api/v1/imports"))
        .header("content-type", XLSX)
        .body(city_workbook())
        .send()
        .await
        .expect("post");
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(records(&app).await, written, "nothing was written");
}

async fn a_welcome_link_sets_the_password_once_and_offers_a_new_one(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    import_ok(&app, &admin, city_workbook(), false).await;
    let token = link_token(&app, "liwan.boss").await;

    let (_, html) = link_page(&app, &token).await;
    assert!(
        html.contains("liwan.boss") && html.contains("李局长"),
        "{html}"
    );
    // Both problems at once, each at its field; the link stays valid.
    let (status, html) = submit_link(&app, &token, "short", "other").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(r#"id="new_password-error""#), "{html}");
    assert!(html.contains("两次输入的新密码不一致"), "{html}");
    let (status, location) = submit_link(&app, &token, PASSWORD, PASSWORD).await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/login?password_set=1")
    );
    let login = plain_client()
        .get(app.url("/login?password_set=1"))
        .send()
        .await
        .expect("login page");
    assert!(login.text().await.expect("html").contains("密码已设置"));
    let me = token_of(&app.login_ok("liwan.boss", PASSWORD).await);
    let profile = app.get_json("/api/v1/me", Some(&me)).await;
    assert_eq!(profile["must_change_password"], false, "{profile}");

    // Used: it says so, sets nothing, and offers a new link by e-mail.
    let (_, html) = link_page(&app, &token).await;
    assert!(html.contains("该链接已使用过"), "{html}");
    let (status, html) = submit_link(&app, &token, "Another-pass-2025", "Another-pass-2025").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("该链接已使用过"));
    app.login_ok("liwan.boss", PASSWORD).await;
    let (cookie, html) = link_page(&app, &token).await;
    let renewed = plain_client()
        .post(app.url("/password/set/renew"))
        .header(COOKIE, cookie)
        .form(&[("csrf", csrf_in(&html).as_str()), ("token", token.as_str())])
        .send()
        .await
        .expect("renew");
    assert_eq!(renewed.status(), StatusCode::OK);
    assert!(
        renewed
            .text()
            .await
            .expect("html")
            .contains("新的链接已发送")
    );
    let fresh = link_token(&app, "liwan.boss").await;
    assert_ne!(fresh, token);

    // Expired: 72 hours after it was sent.
    app.execute("UPDATE password_links SET expires_at = created_at WHERE used_at IS NULL")
        .await;
    let (_, html) = link_page(&app, &fresh).await;
    assert!(
        html.contains("该链接已过期") && html.contains("72 小时"),
        "{html}"
    );
    let (status, html) = submit_link(&app, &fresh, "Another-pass-2025", "Another-pass-2025").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("该链接已过期"));
    // A made-up link is not recognised.
    let (_, html) = link_page(&app, "made-up").await;
    assert!(html.contains("无法识别该链接"));
    app.login_ok("liwan.boss", PASSWORD).await;
}

async fn uploads_of_one_workbook_at_once_create_each_record_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let before = records(&app).await;
    let uploads = (0..4).map(|_| import(&app, &admin, city_workbook(), false));
    let answers = futures_util::future::join_all(uploads).await;
    let mut created = 0;
    for response in answers {
        let status = response.status();
        let body: Value = response.json().await.expect("json");
        assert_eq!(status, StatusCode::OK, "{body}");
        created += body["created"]["organizations"].as_u64().unwrap_or(0);
    }
    assert_eq!(created, 4, "one upload created the four organizations");
    let after = records(&app).await;
    assert_eq!(after[0], before[0] + 4);
    assert_eq!(after[5], before[5] + 2);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM password_links").await,
        2,
        "one welcome link per new user"
    );
}

const BOUNDARY: &str = "pinggu-import-boundary-51c3";

/// The page's form: its CSRF token, the button pressed and the workbook.
fn import_form(csrf: &str, mode: &str, workbook: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in [("csrf", csrf), ("mode", mode)] {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\ncontent-disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\ncontent-disposition: form-data; name=\"file\"; filename=\"导入.xlsx\"\r\n\
             content-type: {XLSX}\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(workbook);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn post_import_page(app: &TestApp, session: &str, mode: &str, workbook: &[u8]) -> String {
    let csrf = csrf_in(&page_html(app, session, "/admin/imports").await);
    let response = plain_client()
        .post(app.url("/admin/imports"))
        .header(COOKIE, session)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(import_form(&csrf, mode, workbook))
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), StatusCode::OK);
    response.text().await.expect("html")
}

async fn the_import_page_checks_then_imports(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    onboarded(&app).await;
    let (cookie, _) = form_login(&app, "yuexiu.boss").await;
    let session = format!("pinggu_session={}", cookie_value(&cookie));
    let page = page_html(&app, &session, "/admin/imports").await;
    assert!(
        page.contains(r#"href="/admin/imports/template.xlsx""#),
        "{page}"
    );
    assert!(page.contains(r#"aria-current="page">批量导入"#), "{page}");
    let template = get_with(&app, &session, "/admin/imports/template.xlsx").await;
    assert_eq!(template.status(), StatusCode::OK);
    assert_eq!(template.headers()["content-type"], XLSX);

    let own = workbook(&[(
        "单位",
        ORG_HEADERS,
        vec![vec![
            "北京街道办事处",
            "广州市越秀区北京街道办事处",
            "街道办事处",
            "越秀区",
        ]],
    )]);
    let before = records(&app).await;
    let checked = post_import_page(&app, &session, "check", &own).await;
    assert!(checked.contains("检查结果"), "{checked}");
    assert!(
        checked.contains("<td>北京街道办事处</td><td>新增</td>"),
        "{checked}"
    );
    assert_eq!(records(&app).await, before, "checking writes nothing");
    let done = post_import_page(&app, &session, "import", &own).await;
    assert!(done.contains("导入完成"), "{done}");
    assert_eq!(records(&app).await[0], before[0] + 1);
    let again = post_import_page(&app, &session, "import", &own).await;
    assert!(again.contains("没有需要更改的内容"), "{again}");

    let outside = workbook(&[(
        "单位",
        ORG_HEADERS,
        vec![vec!["海龙街道办事处", "", "街道办事处", "荔湾区"]],
    )]);
    let refused = post_import_page(&app, &session, "import", &outside).await;
    assert!(refused.contains("工作簿有 1 处问题"), "{refused}");
    assert!(refused.contains("单位!D2：不属于越秀区"), "{refused}");

    // A station's manager has no such page.
    set_passwords_by_links(&app, &["xicun.station"]).await;
    let (cookie, _) = form_login(&app, "xicun.station").await;
    let station = format!("pinggu_session={}", cookie_value(&cookie));
    let hidden = get_with(&app, &station, "/admin/imports").await;
    assert_eq!(hidden.status(), StatusCode::NOT_FOUND);
}

async fn a_user_created_without_a_password_gets_a_link(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let org = app
        .create_org(&admin, "荔湾区民政局", "civil_affairs_bureau")
        .await;
    let without = json!({"username": "li.si", "display_name": "李四", "organization_id": org,
                         "role": "member"});
    let problem = assert_invalid(app.post("/api/v1/users", Some(&admin), &without).await).await;
    assert_eq!(error_fields(&problem), ["email"], "{problem}");
    let mut invited = without.clone();
    invited["email"] = json!("li.si@example.cn");
    let created = app.post("/api/v1/users", Some(&admin), &invited).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let created: Value = created.json().await.expect("json");
    assert_eq!(created["must_change_password"], true);
    assert_eq!(
        app.login("li.si", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    set_passwords_by_links(&app, &["li.si"]).await;
    let me = token_of(&app.login_ok("li.si", PASSWORD).await);
    let profile = app.get_json("/api/v1/me", Some(&me)).await;
    assert_eq!(profile["must_change_password"], false);
}
