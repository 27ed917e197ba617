//! The station's self-assessment through the API: the worked example of DESIGN.md §4 from the
//! 西村街 report's annexes (three zones, 24 workers, five months), the guard of
//! submit_self_assessment, and who may edit when.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::evaluations::{Setup, district};
use crate::helpers::*;
use crate::workflow::{Actors, actors, create, fire, fire_ok};

both_backends!(
    the_worked_example_is_reproduced_through_the_api,
    the_station_edits_only_during_its_self_assessment_and_bad_rows_are_refused,
);

/// The 西村街 annexes of the demo's data file (demo/xicun.json), in the shapes the tests use.
pub struct Annexes {
    /// Annex 1, per zone: (indicator, [(target, completed); 3 zones]).
    pub zone_rows: Vec<(&'static str, [(&'static str, &'static str); 3])>,
    /// Annex 1, station-wide rows: (indicator, target, completed).
    pub station_rows: Vec<(&'static str, &'static str, &'static str)>,
    pub months: Vec<&'static str>,
    /// Annex 2: name, position, qualification, two years of practice, on_post per month, note.
    pub roster: Vec<RosterLine>,
    /// Annex 2 again: each worker's zone (its index in the station's zones) and 合同期限.
    pub roster_places: Vec<(Option<usize>, &'static str)>,
}

pub type RosterLine = (
    &'static str,
    &'static str,
    &'static str,
    bool,
    Vec<&'static str>,
    &'static str,
);

pub static XICUN: std::sync::LazyLock<Annexes> = std::sync::LazyLock::new(|| {
    let data: Value =
        serde_json::from_str(include_str!("../../demo/xicun.json")).expect("demo/xicun.json");
    // The tests hold the fixture for the whole run: leaking it keeps their `&'static str`s.
    let text = |v: &Value| -> &'static str {
        Box::leak(v.as_str().expect("text").to_owned().into_boxed_str())
    };
    let list = |v: &Value| v.as_array().expect("a list").clone();
    let zone_rows = list(&data["indicators"]["zones"])
        .iter()
        .map(|row| {
            let pairs: Vec<(&'static str, &'static str)> = list(&row["zones"])
                .iter()
                .map(|pair| (text(&pair[0]), text(&pair[1])))
                .collect();
            (
                text(&row["indicator"]),
                pairs.try_into().expect("three zones"),
            )
        })
        .collect();
    let station_rows = list(&data["indicators"]["station"])
        .iter()
        .map(|row| {
            (
                text(&row["indicator"]),
                text(&row["target"]),
                text(&row["completed"]),
            )
        })
        .collect();
    let months = list(&data["months"]).iter().map(text).collect();
    let roster = list(&data["roster"])
        .iter()
        .map(|w| {
            (
                text(&w["name"]),
                text(&w["position"]),
                text(&w["qualification"]),
                w["over_two_years"].as_bool().expect("bool"),
                list(&w["on_post"]).iter().map(text).collect(),
                w.get("note").filter(|n| n.is_string()).map_or("", text),
            )
        })
        .collect();
    let zone_names: Vec<Value> = list(&data["station"]["zones"])
        .iter()
        .map(|z| z["name"].clone())
        .collect();
    let roster_places = list(&data["roster"])
        .iter()
        .map(|w| {
            (
                zone_names.iter().position(|z| *z == w["zone"]),
                w.get("contract_term").map_or("", text),
            )
        })
        .collect();
    Annexes {
        zone_rows,
        station_rows,
        months,
        roster,
        roster_places,
    }
});

pub async fn zones(app: &TestApp, s: &Setup) -> Vec<i64> {
    let station = app
        .get_json(&format!("/api/v1/stations/{}", s.station), Some(&s.admin))
        .await;
    station["zones"]
        .as_array()
        .expect("zones")
        .iter()
        .map(id_of)
        .collect()
}

/// Every row of annex 1, with the target or the completion in `field`.
pub fn annex_rows(zones: &[i64], field: &str) -> Vec<Value> {
    let pick = |pair: (&'static str, &'static str)| if field == "target" { pair.0 } else { pair.1 };
    let mut rows = Vec::new();
    for (indicator, values) in &XICUN.zone_rows {
        for (zone, pair) in zones.iter().zip(values) {
            rows.push(json!({"indicator": indicator, "zone_id": zone, field: pick(*pair)}));
        }
    }
    for (indicator, target, completed) in &XICUN.station_rows {
        rows.push(
            json!({"indicator": indicator, "zone_id": null, field: pick((target, completed))}),
        );
    }
    rows
}

pub fn annex_roster() -> Value {
    let workers: Vec<Value> = XICUN
        .roster
        .iter()
        .map(
            |(name, position, qualification, experienced, on_post, note)| {
                let months: serde_json::Map<String, Value> = XICUN
                    .months
                    .iter()
                    .zip(on_post)
                    .filter(|(_, on)| **on != "0")
                    .map(|(month, on)| {
                        (
                            (*month).to_owned(),
                            json!({"on_post": on, "insurance": true, "wage": true}),
                        )
                    })
                    .collect();
                json!({"name": name, "position": position, "qualification": qualification,
                   "over_two_years": experienced, "note": (!note.is_empty()).then_some(note),
                   "months": months})
            },
        )
        .collect();
    json!({ "workers": workers })
}

/// Annex 2 with each worker's zone among `zones` and 合同期限, as the demo enters them.
pub fn annex_roster_in(zones: &[i64]) -> Value {
    let mut roster = annex_roster();
    if let Some(workers) = roster["workers"].as_array_mut() {
        for (worker, (zone, term)) in workers.iter_mut().zip(&XICUN.roster_places) {
            worker["zone_id"] = json!(zone.and_then(|z| zones.get(z)));
            worker["contract_term"] = json!(term);
        }
    }
    roster
}

pub async fn put(app: &TestApp, token: &str, path: &str, body: &Value) -> reqwest::Response {
    app.request(Method::PUT, path, Some(token), Some(body))
        .await
}

/// A district with an opened 西村街-like evaluation whose targets are those of annex 1.
pub async fn opened(app: &TestApp) -> (Setup, Actors, i64, Vec<i64>) {
    let admin = app.admin_token().await;
    let s = district(app, &admin, "荔湾", "liwan").await;
    let who = actors(app, &s, "liwan").await;
    let id = id_of(&create(app, &s).await);
    let zones = open(app, &s, &who, id).await;
    (s, who, id, zones)
}

/// Sets annex 1's targets on evaluation `id` and opens its self-assessment; answers the zones.
pub async fn open(app: &TestApp, s: &Setup, who: &Actors, id: i64) -> Vec<i64> {
    let zones = zones(app, s).await;
    let targets = put(
        app,
        &who.agency,
        &format!("/api/v1/evaluations/{id}/targets"),
        &json!({"rows": annex_rows(&zones, "target")}),
    )
    .await;
    assert_eq!(targets.status(), StatusCode::OK);
    fire_ok(app, &who.agency, id, "open", None, "self_assessment").await;
    zones
}

/// Fills the self-assessment and submits it: on-site scoring begins.
pub async fn fill_and_submit(app: &TestApp, station: &str, id: i64, zones: &[i64]) {
    fill(app, station, id, zones).await;
    fire_ok(
        app,
        station,
        id,
        "submit_self_assessment",
        None,
        "onsite_scoring",
    )
    .await;
}

/// Fills the whole self-assessment of annex 1 and 2 and a narrative, as the station.
pub async fn fill(app: &TestApp, station: &str, id: i64, zones: &[i64]) {
    let base = format!("/api/v1/evaluations/{id}");
    let body = json!({"rows": annex_rows(zones, "completed")});
    let response = put(app, station, &format!("{base}/indicators"), &body).await;
    assert_eq!(response.status(), StatusCode::OK);
    let response = put(
        app,
        station,
        &format!("{base}/staff"),
        &annex_roster_in(zones),
    )
    .await;
    let status = response.status();
    assert_eq!(
        status,
        StatusCode::OK,
        "{}",
        response.text().await.unwrap_or_default()
    );
    let narrative = json!({"narrative": "本季度社工站围绕困难群众和特殊群体开展服务……"});
    let response = put(app, station, &format!("{base}/self-assessment"), &narrative).await;
    assert_eq!(response.status(), StatusCode::OK);
}

async fn the_worked_example_is_reproduced_through_the_api(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_s, who, id, zones) = opened(&app).await;

    // Nothing entered yet: the guard names what is missing.
    let refused = assert_problem(
        fire(&app, &who.station, id, "submit_self_assessment", None).await,
        StatusCode::CONFLICT,
        "transition-refused",
    )
    .await;
    let missing: Vec<&str> = refused["missing"]
        .as_array()
        .expect("missing")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        missing.contains(&"指标“入户探访（二片区）”尚未填写完成量"),
        "{missing:?}"
    );
    assert!(
        missing.contains(&"指标“培训时数”尚未填写完成量"),
        "{missing:?}"
    );
    assert!(
        missing.contains(&"2025年3月 的社工到岗情况尚未填写"),
        "{missing:?}"
    );
    assert!(missing.contains(&"自评报告尚未填写"), "{missing:?}");

    fill(&app, &who.station, id, &zones).await;
    let table = app
        .get_json(
            &format!("/api/v1/evaluations/{id}/indicators"),
            Some(&who.agency),
        )
        .await;
    let total = |code: &str| {
        let row = table["totals"]
            .as_array()
            .expect("totals")
            .iter()
            .find(|t| t["indicator"] == code)
            .unwrap_or_else(|| panic!("total of {code}"));
        (
            row["completed"].as_str().unwrap_or("").to_owned(),
            row["target"].as_str().unwrap_or("").to_owned(),
            row["percent"].as_str().unwrap_or("").to_owned(),
        )
    };
    for (code, completed, target, percent) in [
        ("visits.home", "1011.00", "1400.00", "72.21"),
        ("visits.phone", "3215.00", "4310.00", "74.59"),
        ("cases.intake", "27.00", "40.00", "67.50"),
        ("cases.sessions", "160.00", "240.00", "66.67"),
        ("cases.closed", "19.00", "32.00", "59.38"),
        ("groups.count", "5.00", "9.00", "55.56"),
        ("groups.sessions", "25.00", "54.00", "46.30"),
        ("groups.attendance", "238.00", "270.00", "88.15"),
        ("events.large.count", "14.00", "15.00", "93.33"),
        ("events.large.attendance", "1792.00", "1500.00", "119.47"),
        ("events.small.count", "32.00", "60.00", "53.33"),
        ("events.small.attendance", "1616.00", "3000.00", "53.87"),
        ("records", "1533.00", "1533.00", "100.00"),
        ("training.hours", "783.50", "1080.00", "72.55"),
    ] {
        assert_eq!(
            total(code),
            (completed.to_owned(), target.to_owned(), percent.to_owned()),
            "{code}"
        );
    }
    let row = |code: &str, zone: i64| {
        table["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .find(|r| r["indicator"] == code && r["zone_id"] == zone)
            .map(|r| (r["zone_name"].clone(), r["percent"].clone()))
    };
    assert_eq!(
        row("visits.phone", zones[0]),
        Some((json!("一片区"), json!("107.60")))
    );
    assert_eq!(
        row("groups.count", zones[2]),
        Some((json!("三片区"), json!("0.00")))
    );
    assert_eq!(
        row("events.large.attendance", zones[1]),
        Some((json!("二片区"), json!("164.50")))
    );

    let staff = app
        .get_json(
            &format!("/api/v1/evaluations/{id}/staff"),
            Some(&who.agency),
        )
        .await;
    assert_eq!(
        staff["metrics"],
        json!({
            "months": "5.00",
            "required_certified_person_months": "65.00",
            "certified_person_months": "77.50",
            "uncertified_person_months": "15.00",
            "total_person_months": "92.50",
            "over_staffing": "12.50",
            "experienced_person_months": "71.00",
            "experienced_share": "76.76",
            "stable_workers": 14,
            "required_staff": 20,
            "stability_rate": "70.00",
            "training_hours_per_person_month": "8.47"
        })
    );
    let heads: Vec<i64> = staff["months"]
        .as_array()
        .expect("months")
        .iter()
        .filter_map(|m| m["certified_heads"].as_i64())
        .collect();
    assert_eq!(heads, [16, 18, 17, 14, 13]);
    assert_eq!(staff["months"][3]["certified_person_months"], "13.50");
    assert_eq!(staff["workers"].as_array().map(Vec::len), Some(24));
    assert_eq!(staff["workers"][14]["on_post_total"], "3.50");
    assert_eq!(staff["workers"][14]["months"]["2025-03"]["on_post"], "0.50");

    // The annex's copy-paste defect: 咨询、偶到服务 and 品牌创建工作 carry the same figures.
    let warnings = app
        .get_json(
            &format!("/api/v1/evaluations/{id}/warnings"),
            Some(&who.agency),
        )
        .await;
    let items = warnings["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{warnings}");
    assert_eq!(items[0]["code"], "identical_figures");
    assert_eq!(items[0]["refs"], json!(["walk_in", "brand_building"]));
    assert!(
        items[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("1715.00 / 858.00"))
    );

    // Complete: the station submits, and may no longer edit.
    fire_ok(
        &app,
        &who.station,
        id,
        "submit_self_assessment",
        None,
        "onsite_scoring",
    )
    .await;
    let late = put(
        &app,
        &who.station,
        &format!("/api/v1/evaluations/{id}/self-assessment"),
        &json!({"narrative": "改"}),
    )
    .await;
    let problem = assert_problem(late, StatusCode::CONFLICT, "transition-refused").await;
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("自评"))
    );
}

async fn the_station_edits_only_during_its_self_assessment_and_bad_rows_are_refused(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let (s, who, id, zones) = opened(&app).await;
    let other = district(&app, &s.admin, "海珠", "haizhu").await;
    let other_zones = crate::self_assessment::zones(&app, &other).await;
    let path = format!("/api/v1/evaluations/{id}/indicators");

    let bad = json!({"rows": [
        {"indicator": "nothing", "zone_id": null, "completed": "1"},
        {"indicator": "visits.home", "zone_id": other_zones[0], "completed": "1"},
        {"indicator": "visits.home", "zone_id": zones[0], "completed": "1.5"},
        {"indicator": "training.hours", "zone_id": zones[0], "completed": "1"},
        {"indicator": "visits.home", "zone_id": zones[1], "completed": "298"},
        {"indicator": "visits.home", "zone_id": zones[1], "completed": "299"},
    ]});
    let problem = assert_problem(
        put(&app, &who.station, &path, &bad).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(
        error_fields(&problem),
        [
            "rows[0].indicator",
            "rows[1].zone_id",
            "rows[2].completed",
            "rows[3].zone_id",
            "rows[5]"
        ]
    );
    let table = app.get_json(&path, Some(&who.station)).await;
    assert!(
        table["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .all(|r| r["completed"].is_null()),
        "a refused PUT writes nothing"
    );
    let negative =
        json!({"rows": [{"indicator": "visits.home", "zone_id": zones[0], "completed": "-1"}]});
    assert_problem(
        put(&app, &who.station, &path, &negative).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;

    // Rows sent are written, others left; null removes.
    let first = json!({"rows": [
        {"indicator": "visits.home", "zone_id": zones[0], "completed": "538"},
        {"indicator": "training.hours", "zone_id": null, "completed": "783.5"}]});
    assert_eq!(
        put(&app, &who.station, &path, &first).await.status(),
        StatusCode::OK
    );
    let second =
        json!({"rows": [{"indicator": "training.hours", "zone_id": null, "completed": null}]});
    let table: Value = put(&app, &who.station, &path, &second)
        .await
        .json()
        .await
        .expect("json");
    let completed: Vec<(&str, &str)> = table["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|r| Some((r["indicator"].as_str()?, r["completed"].as_str()?)))
        .collect();
    assert_eq!(completed, [("visits.home", "538.00")]);

    let roster = json!({"workers": [
        {"name": "甲", "position": "社工", "qualification": "assistant", "over_two_years": false,
         "zone_id": other_zones[0], "joined_on": "2025-03-01", "left_on": "2025-01-01",
         "months": {"2025-1": {"on_post": "1", "insurance": true, "wage": true},
                    "2025-02": {"on_post": "0.3", "insurance": true, "wage": true}}},
        {"name": "", "position": "社工", "qualification": "doctor", "over_two_years": false}
    ]});
    let problem = assert_problem(
        put(
            &app,
            &who.station,
            &format!("/api/v1/evaluations/{id}/staff"),
            &roster,
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert!(!error_fields(&problem).is_empty());

    // Only the station (or an admin) edits; other parties see, other districts do not.
    for token in [&who.agency, &s.bureau] {
        assert_problem(
            put(&app, token, &path, &first).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
    }
    assert_problem(
        put(&app, &other.bureau, &path, &first).await,
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    assert_eq!(
        app.get(&path, Some(&s.bureau)).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.get(&path, Some(&other.bureau)).await.status(),
        StatusCode::NOT_FOUND
    );

    // After a return the station may edit again.
    fill(&app, &who.station, id, &zones).await;
    fire_ok(
        &app,
        &who.station,
        id,
        "submit_self_assessment",
        None,
        "onsite_scoring",
    )
    .await;
    assert_problem(
        put(&app, &who.station, &path, &first).await,
        StatusCode::CONFLICT,
        "transition-refused",
    )
    .await;
    fire_ok(
        &app,
        &who.agency,
        id,
        "return_self_assessment",
        Some("培训记录不全"),
        "self_assessment",
    )
    .await;
    assert_eq!(
        put(&app, &who.station, &path, &first).await.status(),
        StatusCode::OK
    );
}
