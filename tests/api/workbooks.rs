//! Excel in the annex layout: a workbook typed like the reference annexes gives the worked
//! example's figures; export → import changes nothing; a workbook with problems is refused with
//! every problem named by cell, and nothing changes.

use reqwest::StatusCode;
use rust_xlsxwriter::{Workbook, Worksheet};
use serde_json::Value;

use crate::helpers::*;
use crate::self_assessment::{XICUN, annex_roster, opened, put};

both_backends!(
    a_workbook_typed_like_the_annex_gives_the_worked_example,
    export_then_import_changes_nothing,
    a_workbook_with_problems_is_refused_cell_by_cell_and_changes_nothing,
    a_roster_workbook_follows_the_rules_of_the_json_roster,
);

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Indicator code → Chinese name, from the scheme as the API serves it.
pub(crate) async fn names(app: &TestApp, token: &str) -> Vec<(String, String)> {
    let scheme = app
        .get_json("/api/v1/schemes/guangzhou-2023", Some(token))
        .await;
    scheme["indicators"]
        .as_array()
        .expect("indicators")
        .iter()
        .map(|i| {
            (
                i["code"].as_str().unwrap_or("").to_owned(),
                i["name"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

fn name_of<'a>(names: &'a [(String, String)], code: &str) -> &'a str {
    names
        .iter()
        .find(|(c, _)| c == code)
        .map(|(_, n)| n.as_str())
        .expect("indicator in the scheme")
}

fn sheet<'a>(workbook: &'a mut Workbook, name: &str) -> &'a mut Worksheet {
    let sheet = workbook.add_worksheet();
    sheet.set_name(name).expect("sheet name");
    sheet
}

/// 附件1 as a station would type it: zone rows and 合计, and the station-wide sheet.
/// `edit` may change any cell before saving.
pub(crate) fn indicator_workbook(
    names: &[(String, String)],
    edit: fn(&mut Worksheet, &mut Worksheet),
) -> Vec<u8> {
    let mut workbook = Workbook::new();
    let zones = sheet(&mut workbook, "片区指标");
    zones.write(1, 0, "片区").expect("cell");
    for (k, (code, values)) in XICUN.zone_rows.iter().enumerate() {
        let col = 1 + 3 * k as u16;
        zones.write(1, col, name_of(names, code)).expect("cell");
        for (offset, label) in ["协议量", "完成量", "百分比"].iter().enumerate() {
            zones.write(2, col + offset as u16, *label).expect("cell");
        }
        let mut sums = (0.0, 0.0);
        for (z, (target, completed)) in values.iter().enumerate() {
            let row = 3 + z as u32;
            zones
                .write(row, 0, ["一片区", "二片区", "三片区"][z])
                .expect("cell");
            let (t, c): (f64, f64) = (target.parse().expect("n"), completed.parse().expect("n"));
            zones.write(row, col, t).expect("cell");
            zones.write(row, col + 1, c).expect("cell");
            sums = (sums.0 + t, sums.1 + c);
        }
        zones.write(6, 0, "合计").expect("cell");
        zones.write(6, col, sums.0).expect("cell");
        zones.write(6, col + 1, sums.1).expect("cell");
    }
    let station_sheet = sheet(&mut workbook, "全站指标");
    for (col, label) in ["指标", "协议量", "完成量", "百分比"].iter().enumerate() {
        station_sheet.write(1, col as u16, *label).expect("cell");
    }
    for (k, (code, target, completed)) in XICUN.station_rows.iter().enumerate() {
        let row = 2 + k as u32;
        station_sheet
            .write(row, 0, name_of(names, code))
            .expect("cell");
        station_sheet
            .write(row, 1, target.parse::<f64>().expect("n"))
            .expect("cell");
        station_sheet
            .write(row, 2, completed.parse::<f64>().expect("n"))
            .expect("cell");
    }
    let [first, second] = workbook
        .worksheets_mut()
        .get_disjoint_mut([0, 1])
        .expect("two sheets");
    edit(first, second);
    workbook.save_to_buffer().expect("workbook")
}

/// 附件2 as typed: one row per worker, 人员到位/社保购买/工资发放 per month.
/// A roster workbook of the layout exported before 合同期限 was added (its months begin at the
/// eleventh column): the import still reads it.
pub(crate) fn roster_workbook(months: &[&str]) -> Vec<u8> {
    roster_workbook_edited(months, |_| {})
}

/// As `roster_workbook`; `edit` may change any cell before saving.
pub(crate) fn roster_workbook_edited(months: &[&str], edit: fn(&mut Worksheet)) -> Vec<u8> {
    let mut workbook = Workbook::new();
    let roster = sheet(&mut workbook, "社工到岗情况");
    let fixed = [
        "序号",
        "姓名",
        "职位",
        "岗位资格证/资质",
        "从业2年以上",
        "从业起始日期",
        "片区",
        "入职日期",
        "离职日期",
        "备注",
    ];
    for (col, label) in fixed.iter().enumerate() {
        roster.write(1, col as u16, *label).expect("cell");
    }
    for (k, month) in months.iter().enumerate() {
        let (year, m) = month.split_once('-').expect("month");
        let col = 10 + 3 * k as u16;
        roster
            .write(1, col, format!("{year}年{}月", m.trim_start_matches('0')))
            .expect("cell");
    }
    for (line, (name, position, qualification, experienced, on_post, note)) in
        XICUN.roster.iter().enumerate()
    {
        let row = 3 + line as u32;
        let chinese = match *qualification {
            "intermediate" => "社会工作师",
            "assistant" => "助理社会工作师",
            _ => "非持证",
        };
        roster.write(row, 0, (line + 1) as f64).expect("cell");
        roster.write(row, 1, *name).expect("cell");
        roster.write(row, 2, *position).expect("cell");
        roster.write(row, 3, chinese).expect("cell");
        roster
            .write(row, 4, if *experienced { "是" } else { "否" })
            .expect("cell");
        roster.write(row, 9, *note).expect("cell");
        for (k, month) in months.iter().enumerate() {
            let Some(index) = XICUN.months.iter().position(|m| m == month) else {
                continue;
            };
            if on_post[index] == "0" {
                continue;
            }
            let col = 10 + 3 * k as u16;
            roster
                .write(row, col, on_post[index].parse::<f64>().expect("n"))
                .expect("cell");
            roster.write(row, col + 1, "√").expect("cell");
            roster.write(row, col + 2, "√").expect("cell");
        }
    }
    edit(roster);
    workbook.save_to_buffer().expect("workbook")
}

async fn a_workbook_typed_like_the_annex_gives_the_worked_example(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_s, who, id, zones) = opened(&app).await;
    let base = format!("/api/v1/evaluations/{id}");
    // The same data through JSON, for comparison.
    let names = names(&app, &who.station).await;
    let typed = indicator_workbook(&names, |_, _| {});
    let response = app
        .upload(
            &format!("{base}/indicators.xlsx"),
            &who.station,
            XLSX,
            typed,
        )
        .await;
    let status = response.status();
    let imported: Value = response.json().await.expect("json");
    assert_eq!(status, StatusCode::OK, "{imported}");
    let roster = roster_workbook(&XICUN.months);
    let response = app
        .upload(&format!("{base}/staff.xlsx"), &who.station, XLSX, roster)
        .await;
    let status = response.status();
    let staff: Value = response.json().await.expect("json");
    assert_eq!(status, StatusCode::OK, "{staff}");

    let total = |code: &str| {
        imported["totals"]
            .as_array()
            .expect("totals")
            .iter()
            .find(|t| t["indicator"] == code)
            .map(|t| t["percent"].clone())
    };
    assert_eq!(total("visits.home"), Some(Value::from("72.21")));
    assert_eq!(
        total("events.large.attendance"),
        Some(Value::from("119.47"))
    );
    assert_eq!(total("training.hours"), Some(Value::from("72.55")));
    assert_eq!(staff["metrics"]["experienced_share"], "76.76");
    assert_eq!(staff["metrics"]["stability_rate"], "70.00");
    assert_eq!(staff["metrics"]["certified_person_months"], "77.50");
    assert_eq!(staff["metrics"]["training_hours_per_person_month"], "8.47");

    // A 合计 row that disagrees with its zones is kept and warned about, never blocking.
    let miscounted = indicator_workbook(&names, |zones, _| {
        // F7: the 合计 of 入户探访's 完成量, 1011 in the annex.
        zones.write(6, 5, 1101.0).expect("cell");
    });
    let response = app
        .upload(
            &format!("{base}/indicators.xlsx"),
            &who.station,
            XLSX,
            miscounted,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let warnings = app
        .get_json(&format!("{base}/warnings"), Some(&who.agency))
        .await;
    let mismatches: Vec<&Value> = warnings["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|w| w["code"] == "total_row_mismatch")
        .collect();
    assert_eq!(mismatches.len(), 1, "{warnings}");
    assert_eq!(mismatches[0]["refs"], serde_json::json!(["visits.home"]));
    assert!(
        mismatches[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("1101.00") && m.contains("1011.00"))
    );

    // The same roster typed as JSON gives the same figures.
    let response = put(
        &app,
        &who.station,
        &format!("{base}/staff"),
        &annex_roster(),
    )
    .await;
    let json_staff: Value = response.json().await.expect("json");
    assert_eq!(json_staff["metrics"], staff["metrics"]);
    assert_eq!(json_staff["months"], staff["months"]);
    assert!(!zones.is_empty());
}

async fn export_then_import_changes_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_s, who, id, zones) = opened(&app).await;
    crate::self_assessment::fill(&app, &who.station, id, &zones).await;
    let base = format!("/api/v1/evaluations/{id}");
    for (json, xlsx) in [("indicators", "indicators.xlsx"), ("staff", "staff.xlsx")] {
        let before = app
            .get_json(&format!("{base}/{json}"), Some(&who.agency))
            .await;
        if json == "staff" {
            // 合同期限 and zones make the trip too (the workbook's last fixed columns).
            assert_eq!(before["workers"][0]["contract_term"], "2010.01.01-无固定期");
            assert!(before["workers"][1]["zone_id"].is_i64(), "{before}");
        }
        let download = app.get(&format!("{base}/{xlsx}"), Some(&who.agency)).await;
        assert_eq!(download.status(), StatusCode::OK);
        assert_eq!(
            download.headers()["content-type"].to_str().unwrap_or(""),
            XLSX
        );
        assert!(
            download.headers()["content-disposition"]
                .to_str()
                .is_ok_and(|d| d.contains("filename*=UTF-8''"))
        );
        let bytes = download.bytes().await.expect("bytes").to_vec();
        let response = app
            .upload(&format!("{base}/{xlsx}"), &who.station, XLSX, bytes)
            .await;
        let status = response.status();
        let answer: Value = response.json().await.expect("json");
        assert_eq!(status, StatusCode::OK, "{xlsx}: {answer}");
        let after = app
            .get_json(&format!("{base}/{json}"), Some(&who.agency))
            .await;
        assert_eq!(before, after, "{xlsx} round trip");
    }
    // The exported 合计 row agrees with the zones: no warning from it.
    let warnings = app
        .get_json(&format!("{base}/warnings"), Some(&who.agency))
        .await;
    assert!(
        warnings["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|w| w["code"] != "total_row_mismatch"),
        "{warnings}"
    );
}

async fn a_workbook_with_problems_is_refused_cell_by_cell_and_changes_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_s, who, id, _zones) = opened(&app).await;
    let base = format!("/api/v1/evaluations/{id}");
    let names = names(&app, &who.station).await;
    let broken = indicator_workbook(&names, |zones, station| {
        // C5: 困难群众和特殊群体建档 完成量 of 二片区 as text; F4: 入户探访 完成量 negative;
        // the 全站指标 sheet names an indicator the scheme does not have.
        zones.write(4, 2, "四百三十一").expect("cell");
        zones.write(3, 5, -538.0).expect("cell");
        station.write(2, 0, "社区宣传").expect("cell");
    });
    let problem = assert_problem(
        app.upload(
            &format!("{base}/indicators.xlsx"),
            &who.station,
            XLSX,
            broken,
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    let errors: Vec<(String, String)> = problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap_or("").to_owned(),
                e["message"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert_eq!(errors[0].0, "全站指标!A3");
    assert!(errors[0].1.contains("社区宣传"));
    assert_eq!(errors[1].0, "片区指标!F4");
    assert!(errors[1].1.contains("负数"));
    assert_eq!(errors[2].0, "片区指标!C5");
    assert!(errors[2].1.contains("不是数字"));

    // 2025年3月 is missing from the roster.
    let months: Vec<&str> = XICUN
        .months
        .iter()
        .copied()
        .filter(|m| *m != "2025-03")
        .collect();
    let problem = assert_problem(
        app.upload(
            &format!("{base}/staff.xlsx"),
            &who.station,
            XLSX,
            roster_workbook(&months),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(error_fields(&problem), ["社工到岗情况!W2"]);
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("2025年3月"))
    );

    // A sheet the annex does not have: what is typed there would be lost, so it is refused.
    let mut extra = Workbook::new();
    sheet(&mut extra, "社工到岗情况")
        .write(0, 0, "序号")
        .expect("cell");
    sheet(&mut extra, "补充说明")
        .write(0, 0, "三月份有两名社工请产假")
        .expect("cell");
    let problem = assert_problem(
        app.upload(
            &format!("{base}/staff.xlsx"),
            &who.station,
            XLSX,
            extra.save_to_buffer().expect("workbook"),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(error_fields(&problem), ["workbook"]);
    let said = problem["errors"][0]["message"].as_str().unwrap_or("");
    assert!(
        said.contains("工作表“补充说明”不是社工到岗情况附表的工作表"),
        "{said}"
    );

    let table = app
        .get_json(&format!("{base}/indicators"), Some(&who.station))
        .await;
    assert!(
        table["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .all(|r| r["completed"].is_null()),
        "nothing was written"
    );
    let staff = app
        .get_json(&format!("{base}/staff"), Some(&who.station))
        .await;
    assert_eq!(staff["workers"].as_array().map(Vec::len), Some(0));
    let garbage = app
        .upload(
            &format!("{base}/indicators.xlsx"),
            &who.station,
            XLSX,
            b"not a workbook".to_vec(),
        )
        .await;
    assert_problem(
        garbage,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    let wrong_type = app
        .upload(
            &format!("{base}/indicators.xlsx"),
            &who.station,
            "text/csv",
            b"a,b".to_vec(),
        )
        .await;
    assert_problem(
        wrong_type,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported-media-type",
    )
    .await;
}

async fn a_roster_workbook_follows_the_rules_of_the_json_roster(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_s, who, id, _zones) = opened(&app).await;
    let months: Vec<&str> = XICUN.months.to_vec();
    // Row 4 (the first worker): a name of 60 characters, a position over two lines, and a note
    // holding a control character (Excel keeps it escaped as _x0001_).
    let edited = roster_workbook_edited(&months, |roster| {
        roster.write(3, 1, "李".repeat(60)).expect("cell");
        roster.write(3, 2, "一片区\n社工").expect("cell");
        roster.write(3, 9, "备注\u{1}").expect("cell");
    });
    let problem = assert_invalid(
        app.upload(
            &format!("/api/v1/evaluations/{id}/staff.xlsx"),
            &who.station,
            XLSX,
            edited,
        )
        .await,
    )
    .await;
    assert_eq!(
        error_fields(&problem),
        ["社工到岗情况!B4", "社工到岗情况!C4", "社工到岗情况!J4"],
        "{problem}"
    );
    let staff = app
        .get_json(
            &format!("/api/v1/evaluations/{id}/staff"),
            Some(&who.station),
        )
        .await;
    assert_eq!(
        staff["workers"].as_array().map(Vec::len),
        Some(0),
        "nothing written"
    );
}
