//! The programme level (DESIGN.md §8): the summary workbook and the dashboards, each showing a
//! party only what the score view shows it; the list's grade and overdue filters answered from
//! the stored standing and agreeing with the views.

use calamine::{Data, Reader, Xlsx};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::evaluations::{district_in, evaluation_body};
use crate::helpers::*;
use crate::scoring::{onsite, score_all};
use crate::workflow::fire_ok;

both_backends!(
    the_demo_workbook_has_xicun_row_as_numbers,
    workbooks_and_dashboards_show_each_party_what_it_may_see,
    the_dashboard_reads_on_a_desk_and_a_phone,
);

/// The rows of one sheet of a workbook.
pub fn sheet_rows(bytes: &[u8], sheet: &str) -> Vec<Vec<Data>> {
    let mut workbook: Xlsx<_> =
        Xlsx::new(std::io::Cursor::new(bytes.to_vec())).expect("an xlsx workbook");
    let range = workbook.worksheet_range(sheet).expect("the sheet");
    range.rows().map(<[Data]>::to_vec).collect()
}

/// The cell of `row` under the header `name` (the first row).
pub fn cell<'a>(rows: &'a [Vec<Data>], row: &'a [Data], name: &str) -> &'a Data {
    let at = rows[0]
        .iter()
        .position(|h| *h == name)
        .unwrap_or_else(|| panic!("a column {name}: {:?}", rows[0]));
    &row[at]
}

/// The row of a station in sheet 评估结果.
fn station_row<'a>(rows: &'a [Vec<Data>], station: &str) -> Option<&'a Vec<Data>> {
    rows.iter()
        .skip(1)
        .find(|r| r.iter().any(|c| *c == station))
}

pub fn number(data: &Data) -> Option<String> {
    match data {
        Data::Float(f) => Some(format!("{f:.2}")),
        _ => None,
    }
}

pub async fn workbook(app: &TestApp, token: &str, query: &str) -> Vec<u8> {
    let response = app
        .get(&format!("/api/v1/evaluations.xlsx?{query}"), Some(token))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    response.bytes().await.expect("bytes").to_vec()
}

async fn dashboard(app: &TestApp, token: &str, query: &str) -> Value {
    app.get_json(&format!("/api/v1/dashboard?{query}"), Some(token))
        .await
}

async fn the_demo_workbook_has_xicun_row_as_numbers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let loaded = app
        .cli(&["demo", "--password", "Demo-pass-2026"], None)
        .await;
    assert!(loaded.status.success(), "{loaded:?}");
    let bureau = token_of(&app.login_ok("liwan-bureau", "Demo-pass-2026").await);
    let bytes = workbook(&app, &bureau, "district=荔湾区").await;

    let rows = sheet_rows(&bytes, "评估结果");
    assert_eq!(rows.len(), 2, "the header and 西村街 only: {rows:?}");
    let xicun = station_row(&rows, "西村街社工服务站").expect("西村街's row");
    let figures: Vec<Option<String>> = [
        "购买方（街道办事处）得分",
        "监督方（区民政局）得分",
        "督导中心（市社会工作督导中心）得分",
        "第三方评估机构得分",
        "总分",
    ]
    .iter()
    .map(|name| number(cell(&rows, xicun, name)))
    .collect();
    let expected = ["20.00", "8.30", "13.80", "46.98", "89.08"];
    assert_eq!(
        figures,
        expected.map(|e| Some(e.to_owned())),
        "numbers, not text"
    );
    assert_eq!(cell(&rows, xicun, "等级").to_string(), "良好");
    assert_eq!(
        number(cell(&rows, xicun, "入户探访完成率(%)")).as_deref(),
        Some("72.21")
    );
    assert_eq!(
        number(cell(&rows, xicun, "稳岗率(%)")).as_deref(),
        Some("70.00")
    );
    assert_eq!(
        number(cell(&rows, xicun, "人均培训(小时/人·月)")).as_deref(),
        Some("8.47")
    );
    let totals = sheet_rows(&bytes, "汇总");
    let liwan = station_row(&totals, "荔湾区").expect("荔湾区's line");
    assert_eq!(
        number(cell(&totals, liwan, "平均分")).as_deref(),
        Some("89.08")
    );
    assert_eq!(
        number(cell(&totals, liwan, "良好")).as_deref(),
        Some("1.00")
    );

    // The same row as openpyxl and LibreOffice read it.
    let dir = tempfile::tempdir().expect("a directory");
    let path = dir.path().join("summary.xlsx");
    std::fs::write(&path, &bytes).expect("written");
    let script = r#"
import json, sys, openpyxl
sheet = openpyxl.load_workbook(sys.argv[1])["评估结果"]
rows = list(sheet.iter_rows(values_only=True))
header = rows[0]
row = next(r for r in rows[1:] if "西村街社工服务站" in r)
names = ["购买方（街道办事处）得分", "监督方（区民政局）得分", "督导中心（市社会工作督导中心）得分",
         "第三方评估机构得分", "总分", "等级"]
print(json.dumps([[type(row[header.index(n)]).__name__, row[header.index(n)]] for n in names],
                 ensure_ascii=False))
print(sheet.freeze_panes)
"#;
    let read = tokio::process::Command::new("/usr/bin/python3")
        .arg("-c")
        .arg(script)
        .arg(&path)
        .output()
        .await
        .expect("python3 with openpyxl (apt-get install python3-openpyxl)");
    assert!(read.status.success(), "{read:?}");
    let printed = String::from_utf8_lossy(&read.stdout);
    let (values, frozen) = printed.split_once('\n').expect("two lines");
    let values: Vec<(String, Value)> = serde_json::from_str(values).expect("json");
    let shown: Vec<String> = values
        .iter()
        .map(|(kind, value)| match kind.as_str() {
            // openpyxl reads 20.00 as the integer 20: a number either way.
            "int" | "float" => format!("{:.2}", value.as_f64().expect("a number")),
            _ => format!("{kind}:{}", value.as_str().unwrap_or_default()),
        })
        .collect();
    assert_eq!(
        shown,
        ["20.00", "8.30", "13.80", "46.98", "89.08", "str:良好"],
        "{printed}"
    );
    assert_eq!(frozen.trim(), "A2", "the header row is frozen");

    let profile = format!(
        "-env:UserInstallation=file://{}/profile",
        dir.path().display()
    );
    let converted = tokio::process::Command::new("soffice")
        .args([
            profile.as_str(),
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76",
            "--outdir",
        ])
        .arg(dir.path())
        .arg(&path)
        .output()
        .await
        .expect("LibreOffice (apt-get install libreoffice-calc-nogui)");
    assert!(converted.status.success(), "{converted:?}");
    let csv = std::fs::read_to_string(dir.path().join("summary.csv")).expect("LibreOffice's CSV");
    let line = csv
        .lines()
        .find(|l| l.contains("西村街社工服务站"))
        .expect("西村街 in LibreOffice");
    assert!(
        line.contains("20.00,8.30,13.80,46.98,89.08,良好")
            || line.contains("8.30,20.00,13.80,46.98,89.08,良好"),
        "{line}"
    );
}

async fn workbooks_and_dashboards_show_each_party_what_it_may_see(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // 荔湾: every component in, the draft not yet issued — 89.08 stored, not yet for everyone.
    let (s, who, id) = onsite(&app).await;
    score_all(&app, &s, &who, id, "pm").await;
    let admin = app.admin_token().await;
    // 海珠: an evaluation of another district, whose bureau gives its city (所在市).
    let other = district_in(&app, &admin, "海珠", "haizhu", Some("广州市")).await;
    let created = app
        .post(
            "/api/v1/evaluations",
            Some(&other.bureau),
            &evaluation_body(&other),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let city = app
        .create_org(&admin, "广州市民政局", "municipal_bureau")
        .await;
    app.create_user(&admin, "city", city, "manager").await;
    let city = token_of(&app.login_ok("city", PASSWORD).await);
    let street = token_of(&app.login_ok("pm-street", PASSWORD).await);

    // The bureau of 荔湾 sees its own district's total before the draft (as its score view does).
    let seen = dashboard(&app, &s.bureau, "").await;
    assert_eq!(seen["evaluations"], 1, "{seen}");
    assert_eq!(
        seen["by_grade"],
        json!([{"code": "good", "name": "良好", "count": 1}])
    );
    assert_eq!(seen["by_district"][0]["district"], "荔湾区");
    assert_eq!(seen["by_district"][0]["mean_total"], "89.08");
    assert_eq!(seen["by_district"][0]["median_total"], "89.08");
    assert_eq!(seen["by_state"][0]["state"], "onsite_scoring");
    let rows = sheet_rows(&workbook(&app, &s.bureau, "").await, "评估结果");
    assert_eq!(rows.len(), 2, "only 荔湾's evaluation");
    assert_eq!(
        number(cell(&rows, &rows[1], "总分")).as_deref(),
        Some("89.08")
    );
    let mine = app
        .get_json("/api/v1/evaluations?grade=good", Some(&s.bureau))
        .await;
    assert_eq!(mine["total"], 1);

    // The city sees both districts but no total before the draft; the list agrees.
    let seen = dashboard(&app, &city, "").await;
    assert_eq!(seen["evaluations"], 2);
    assert_eq!(seen["by_grade"], json!([]));
    let districts: Vec<&str> = seen["by_district"]
        .as_array()
        .expect("districts")
        .iter()
        .filter_map(|d| d["district"].as_str())
        .collect();
    assert_eq!(districts, ["海珠区", "荔湾区"]);
    assert!(seen["by_district"][1]["mean_total"].is_null());
    let rows = sheet_rows(&workbook(&app, &city, "").await, "评估结果");
    assert_eq!(rows.len(), 3);
    let liwan = station_row(&rows, "荔湾社工服务站").expect("荔湾's row");
    assert_eq!(*cell(&rows, liwan, "总分"), Data::Empty);
    assert_eq!(*cell(&rows, liwan, "购买方（街道办事处）得分"), Data::Empty);
    let hidden = app
        .get_json("/api/v1/evaluations?grade=good", Some(&city))
        .await;
    assert_eq!(hidden["total"], 0);

    // A municipal bureau with a city sees only what its city's district bureaus take part in.
    let guangzhou = app
        .create_org_in(
            &admin,
            "广州市民政局（市）",
            "municipal_bureau",
            Some("广州市"),
        )
        .await;
    app.create_user(&admin, "guangzhou", guangzhou, "manager")
        .await;
    let guangzhou = token_of(&app.login_ok("guangzhou", PASSWORD).await);
    let seen = dashboard(&app, &guangzhou, "").await;
    assert_eq!(seen["evaluations"], 1, "{seen}");
    assert_eq!(seen["by_district"][0]["district"], "海珠区");
    let rows = sheet_rows(&workbook(&app, &guangzhou, "").await, "评估结果");
    assert_eq!(rows.len(), 2);
    assert!(station_row(&rows, "荔湾社工服务站").is_none());
    let listed = app.get_json("/api/v1/evaluations", Some(&guangzhou)).await;
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["items"][0]["station"]["name"], "海珠社工服务站");
    assert_eq!(
        app.get(&format!("/api/v1/evaluations/{id}"), Some(&guangzhou))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );

    // The street office sees its own component only; the station none; neither the total.
    let rows = sheet_rows(&workbook(&app, &street, "").await, "评估结果");
    assert_eq!(rows.len(), 2);
    assert_eq!(
        number(cell(&rows, &rows[1], "购买方（街道办事处）得分")).as_deref(),
        Some("20.00")
    );
    assert_eq!(
        *cell(&rows, &rows[1], "监督方（区民政局）得分"),
        Data::Empty
    );
    assert_eq!(*cell(&rows, &rows[1], "总分"), Data::Empty);
    let seen = dashboard(&app, &who.station, "").await;
    assert_eq!(seen["evaluations"], 1);
    assert_eq!(seen["by_grade"], json!([]));

    // The other district's bureau sees nothing of 荔湾.
    let seen = dashboard(&app, &other.bureau, "").await;
    assert_eq!(seen["evaluations"], 1);
    assert_eq!(seen["by_district"][0]["district"], "海珠区");
    let rows = sheet_rows(&workbook(&app, &other.bureau, "").await, "评估结果");
    assert!(station_row(&rows, "荔湾社工服务站").is_none());

    // The agency's manager sees its evaluations' totals early.
    let seen = dashboard(&app, &who.agency, "").await;
    assert_eq!(seen["evaluations"], 1);
    assert_eq!(seen["by_agency"][0]["mean_total"], "89.08");
    assert_eq!(seen["by_agency"][0]["name"], "荔湾评估机构");

    // Once the draft is issued every party sees it, the city too.
    fire_ok(&app, &who.agency, id, "issue_draft", None, "draft_feedback").await;
    let seen = dashboard(&app, &city, "district=荔湾区").await;
    assert_eq!(seen["evaluations"], 1);
    assert_eq!(seen["by_grade"][0]["name"], "良好");
    assert_eq!(seen["by_district"][0]["mean_total"], "89.08");
    let rows = sheet_rows(&workbook(&app, &city, "district=荔湾区").await, "评估结果");
    assert_eq!(
        number(cell(&rows, &rows[1], "总分")).as_deref(),
        Some("89.08")
    );
    assert_eq!(
        number(cell(&rows, &rows[1], "监督方（区民政局）得分")).as_deref(),
        Some("8.30")
    );
    let shown = app
        .get_json("/api/v1/evaluations?grade=good", Some(&city))
        .await;
    assert_eq!(shown["total"], 1);

    // Bad filters are refused by name, never a 500.
    let refused = app.get("/api/v1/dashboard?year=1800", Some(&city)).await;
    let problem = assert_invalid(refused).await;
    assert_eq!(error_fields(&problem), ["year"]);
    let refused = app
        .get("/api/v1/evaluations.xlsx?kind=yearly", Some(&city))
        .await;
    let problem = assert_invalid(refused).await;
    assert_eq!(error_fields(&problem), ["kind"]);
    let anonymous = app.get("/api/v1/dashboard", None).await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}

async fn the_dashboard_reads_on_a_desk_and_a_phone(backend: Backend) {
    use crate::pages::{
        Driver, log_in, mark_page, screenshot, scrolls_sideways, session_of, text_of,
        wait_for_next_page, wait_for_path,
    };
    use fantoccini::Locator;
    let app = TestApp::spawn(backend).await;
    let loaded = app.cli(&["demo", "--password", PASSWORD], None).await;
    assert!(loaded.status.success(), "{loaded:?}");

    let driver = Driver::start().await;
    for (width, height) in [(1280, 900), (360, 740)] {
        let browser = driver.browser(width, height).await;
        browser
            .goto(&app.url("/dashboard"))
            .await
            .expect("dashboard");
        wait_for_path(&browser, "/login").await;
        mark_page(&browser).await;
        log_in(&browser, "liwan-bureau").await;
        wait_for_next_page(&browser).await;
        wait_for_path(&browser, "/dashboard").await;
        assert_eq!(text_of(&browser, "#dashboard-count").await, "共 1 项评估");
        let grades = text_of(&browser, "#by-grade").await;
        assert!(grades.contains("良好"), "{width}px: {grades}");
        let districts = text_of(&browser, "#by-district").await;
        assert!(
            districts.contains("荔湾区") && districts.contains("89.08"),
            "{districts}"
        );
        let charts = browser
            .find_all(Locator::Css("svg.chart rect.chart-bar"))
            .await
            .expect("bars");
        assert!(charts.len() >= 4, "bars drawn: {}", charts.len());
        if width == 360 {
            assert!(!scrolls_sideways(&browser).await, "the dashboard at 360 px");
        }
        screenshot(&browser, &format!("dashboard-{width}")).await;

        // 我的待办 offers its list as the summary workbook; the header leads to 统计.
        browser.goto(&app.url("/?year=2024")).await.expect("list");
        wait_for_path(&browser, "/").await;
        let link = browser
            .find(Locator::Id("list-workbook"))
            .await
            .expect("the workbook link")
            .attr("href")
            .await
            .expect("href")
            .unwrap_or_default();
        assert_eq!(link, "/evaluations.xlsx?year=2024");
        let nav = browser
            .find(Locator::Css(".who a[href='/dashboard']"))
            .await
            .expect("统计 in the header")
            .text()
            .await
            .expect("text");
        assert_eq!(nav, "统计");
        browser.close().await.expect("closed");
    }

    // The link downloads the list's workbook with the page's session.
    let session = session_of(&app, "liwan-bureau").await;
    let response = crate::pages::get_with(&app, &session, "/evaluations.xlsx?year=2024").await;
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = response.bytes().await.expect("bytes");
    let rows = sheet_rows(&bytes, "评估结果");
    assert!(station_row(&rows, "西村街社工服务站").is_some());
    // A station's own users have no 统计 link.
    let station_page =
        crate::pages::page_html(&app, &session_of(&app, "xicun-station").await, "/").await;
    assert!(!station_page.contains("href=\"/dashboard\""));
}
