//! Hostile workbooks on both workbook routes: a cell at the far corner, a zip bomb, a PNG renamed
//! .xlsx, a sheet of a million rows. Each is refused with a 422 naming the sheet (or the file)
//! and the reason, nothing changes, the server goes on serving, and its memory (a `pinggu serve`
//! child process, measured from /proc) stays under 300 MB.

use std::io::{Cursor, Write};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::self_assessment::{annex_roster, opened, put};
use crate::workbooks::{indicator_workbook, names};

both_backends!(hostile_workbooks_are_refused_and_change_nothing);

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A minimal .xlsx of one sheet named `sheet`, whose rows come from `rows` (the XML of each
/// `<row>`), written straight into the archive so that a million rows cost little here.
fn raw_workbook(sheet: &str, rows: impl Iterator<Item = String>) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(1));
    let parts = [
        (
            "[Content_Types].xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#.to_owned(),
        ),
        (
            "_rels/.rels",
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_owned(),
        ),
        (
            "xl/workbook.xml",
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="{sheet}" sheetId="1" r:id="rId1"/></sheets></workbook>"#
            ),
        ),
        (
            "xl/_rels/workbook.xml.rels",
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#.to_owned(),
        ),
    ];
    for (name, text) in parts {
        zip.start_file(name, options).expect("entry");
        zip.write_all(text.as_bytes()).expect("write");
    }
    zip.start_file("xl/worksheets/sheet1.xml", options)
        .expect("entry");
    zip.write_all(
        br#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1"/><sheetData>"#,
    )
    .expect("write");
    for row in rows {
        zip.write_all(row.as_bytes()).expect("write");
    }
    zip.write_all(b"</sheetData></worksheet>").expect("write");
    zip.finish().expect("zip").into_inner()
}

/// An archive whose one entry unpacks to 256 MiB of zeros (about 250 KiB packed).
fn zip_bomb() -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(1))
        .large_file(true);
    zip.start_file("xl/worksheets/sheet1.xml", options)
        .expect("entry");
    let zeros = vec![b'0'; 1024 * 1024];
    for _ in 0..256 {
        zip.write_all(&zeros).expect("write");
    }
    zip.finish().expect("zip").into_inner()
}

fn png_renamed() -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0".to_vec();
    png.extend(std::iter::repeat_n(0u8, 7 * 1024));
    png
}

/// The hostile files for one route, each with the field and a word its refusal must name.
fn hostile(
    sheet: &str,
    valid_with_far_corner: Vec<u8>,
) -> Vec<(&'static str, Vec<u8>, String, &'static str)> {
    let million_rows = raw_workbook(
        sheet,
        (1..=1_000_000).map(|r| format!(r#"<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>"#)),
    );
    vec![
        (
            "a cell at the far corner",
            valid_with_far_corner,
            sheet.to_owned(),
            "1048576",
        ),
        ("a zip bomb", zip_bomb(), "workbook".to_owned(), "过大"),
        (
            "a PNG renamed .xlsx",
            png_renamed(),
            "workbook".to_owned(),
            "无法读取",
        ),
        (
            "a million rows",
            million_rows,
            "workbook".to_owned(),
            "过大",
        ),
        (
            "a sheet of rows past the annex",
            raw_workbook(
                sheet,
                (1..=5_000).map(|r| format!(r#"<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>"#)),
            ),
            sheet.to_owned(),
            "超出附表范围",
        ),
    ]
}

async fn snapshot(app: &TestApp, token: &str, id: i64) -> (Value, Value, Value) {
    let base = format!("/api/v1/evaluations/{id}");
    (
        app.get_json(&format!("{base}/indicators"), Some(token))
            .await,
        app.get_json(&format!("{base}/staff"), Some(token)).await,
        app.get_json(&base, Some(token)).await["version"].clone(),
    )
}

async fn hostile_workbooks_are_refused_and_change_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_s, who, id, zones) = opened(&app).await;
    let base = format!("/api/v1/evaluations/{id}");
    // Something to lose: a completion and the roster.
    let body =
        json!({"rows": [{"indicator": "visits.home", "zone_id": zones[0], "completed": "431"}]});
    assert_eq!(
        put(&app, &who.station, &format!("{base}/indicators"), &body)
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        put(
            &app,
            &who.station,
            &format!("{base}/staff"),
            &annex_roster()
        )
        .await
        .status(),
        StatusCode::OK
    );
    let before = snapshot(&app, &who.station, id).await;

    let names = names(&app, &who.station).await;
    let far_indicators = indicator_workbook(&names, |zones, _| {
        zones.write(1_048_575, 16_383, "x").expect("cell");
    });
    let mut far_roster = rust_xlsxwriter::Workbook::new();
    {
        let sheet = far_roster.add_worksheet();
        sheet.set_name("社工到岗情况").expect("name");
        sheet.write(1, 0, "序号").expect("cell");
        sheet.write(1_048_575, 16_383, "x").expect("cell");
    }
    let far_roster = far_roster.save_to_buffer().expect("workbook");
    let mut far_clients = rust_xlsxwriter::Workbook::new();
    {
        let sheet = far_clients.add_worksheet();
        sheet.set_name("服务对象名单").expect("name");
        sheet.write(0, 0, "编号").expect("cell");
        sheet.write(1_048_575, 16_383, "x").expect("cell");
    }
    let far_clients = far_clients.save_to_buffer().expect("workbook");

    let server = ServeChild::start(&app, &[]).await;
    let client = reqwest::Client::new();
    let idle = server.status_kb("VmRSS");
    for (route, sheet, far) in [
        ("indicators.xlsx", "片区指标", far_indicators),
        ("staff.xlsx", "社工到岗情况", far_roster),
        ("clients.xlsx", "服务对象名单", far_clients),
    ] {
        let mut cases = hostile(sheet, far);
        if route == "clients.xlsx" {
            // 5,000 rows are within a client list's bounds (the next sheet's far cell is not).
            cases.pop();
        }
        for (what, bytes, field, word) in cases {
            let response = client
                .post(format!("{}{base}/{route}", server.base))
                .bearer_auth(&who.station)
                .header("content-type", XLSX)
                .body(bytes)
                .send()
                .await
                .expect("the server answers");
            let problem = assert_invalid(response).await;
            assert_eq!(error_fields(&problem), [field.as_str()], "{route}: {what}");
            let message = problem["errors"][0]["message"].as_str().unwrap_or("");
            assert!(message.contains(word), "{route}: {what}: {message}");
            let health = client
                .get(format!("{}/healthz", server.base))
                .send()
                .await
                .expect("the server still serves");
            assert_eq!(health.status(), StatusCode::OK, "{route}: {what}");
        }
    }
    // The onboarding workbook, read with the same bounds (5,001 rows a sheet).
    let admin = app.admin_token().await;
    let organizations = app.count("SELECT COUNT(*) AS n FROM organizations").await;
    let mut far_onboarding = rust_xlsxwriter::Workbook::new();
    {
        let sheet = far_onboarding.add_worksheet();
        sheet.set_name("单位").expect("name");
        sheet.write(0, 0, "名称").expect("cell");
        sheet.write(1_048_575, 16_383, "x").expect("cell");
    }
    let far_onboarding = far_onboarding.save_to_buffer().expect("workbook");
    let mut cases = hostile("单位", far_onboarding);
    cases.pop();
    cases.push((
        "a sheet of rows past the onboarding bound",
        raw_workbook(
            "单位",
            (1..=6_000).map(|r| format!(r#"<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>"#)),
        ),
        "单位".to_owned(),
        "超出",
    ));
    for (what, bytes, field, word) in cases {
        let response = client
            .post(format!("{}/api/v1/imports", server.base))
            .bearer_auth(&admin)
            .header("content-type", XLSX)
            .body(bytes)
            .send()
            .await
            .expect("the server answers");
        let problem = assert_invalid(response).await;
        assert_eq!(error_fields(&problem), [field.as_str()], "imports: {what}");
        let message = problem["errors"][0]["message"].as_str().unwrap_or("");
        assert!(message.contains(word), "imports: {what}: {message}");
    }
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM organizations").await,
        organizations,
        "no import wrote anything"
    );
    let peak = server.status_kb("VmHWM");
    eprintln!("hostile workbooks: VmRSS idle {idle} kB, peak {peak} kB");
    assert!(peak < 300 * 1024, "the server's memory peaked at {peak} kB");
    server.stop().await;
    assert_eq!(
        snapshot(&app, &who.station, id).await,
        before,
        "nothing changed"
    );
}
