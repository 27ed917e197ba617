//! Stations, zones and agreements: set up by admins or the supervising bureau's manager, seen
//! only by the organizations that take part (and the municipal bureau and admins).

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

both_backends!(
    the_bureau_registers_a_station_and_its_agreement,
    each_organization_sees_only_its_own_stations,
    bad_station_and_agreement_input_is_refused_and_nothing_written,
);

struct District {
    bureau: i64,
    street: i64,
    operator: i64,
}

async fn district(app: &TestApp, admin: &str, name: &str) -> District {
    district_in(app, admin, name, None).await
}

/// A district whose bureau is in `city` (所在市) when given.
async fn district_in(app: &TestApp, admin: &str, name: &str, city: Option<&str>) -> District {
    District {
        bureau: app
            .create_org_in(
                admin,
                &format!("{name}区民政局"),
                "civil_affairs_bureau",
                city,
            )
            .await,
        street: app
            .create_org(admin, &format!("{name}街道办事处"), "street_office")
            .await,
        operator: app
            .create_org(admin, &format!("{name}社工服务中心"), "operator")
            .await,
    }
}

fn station_body(name: &str, d: &District) -> Value {
    json!({
        "name": name, "district": "荔湾区", "street": "西村街", "address": "西村街道 1 号",
        "operator_org_id": d.operator, "purchaser_org_id": d.street, "supervisor_org_id": d.bureau,
        "zones": [
            {"name": "一片区", "communities": ["西湾社区", "流花社区", "环市社区", "南岸社区"]},
            {"name": "二片区", "communities": ["西华社区", "协和社区"]},
            {"name": "三片区", "communities": []}
        ]
    })
}

fn agreement_body() -> Value {
    json!({"period_start": "2024-12-11", "period_end": "2025-12-10", "funding_yuan": "1200000.00",
           "required_staff": 20, "required_certified_staff": 13})
}

async fn manager_of(app: &TestApp, admin: &str, username: &str, org: i64) -> String {
    app.create_user(admin, username, org, "manager").await;
    token_of(&app.login_ok(username, PASSWORD).await)
}

async fn the_bureau_registers_a_station_and_its_agreement(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let d = district(&app, &admin, "荔湾").await;
    let bureau = manager_of(&app, &admin, "liwan", d.bureau).await;

    let mut body = station_body("西村街社工服务站", &d);
    body["operating_since"] = json!("2018-12-11");
    let response = app.post("/api/v1/stations", Some(&bureau), &body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let station: Value = response.json().await.expect("json");
    assert_eq!(station["name"], "西村街社工服务站");
    assert_eq!(station["operating_since"], "2018-12-11");
    assert_eq!(station["supervisor"]["name"], "荔湾区民政局");
    assert_eq!(station["operator_org_id"], d.operator);
    let zones = station["zones"].as_array().expect("zones");
    assert_eq!(zones.len(), 3);
    assert!(zones.iter().all(|z| z["id"].as_i64().is_some()));
    assert_eq!(
        zones[0]["communities"],
        json!(["西湾社区", "流花社区", "环市社区", "南岸社区"])
    );
    assert_eq!(zones[2]["communities"], json!([]));
    let id = id_of(&station);
    assert_eq!(
        app.get_json(&format!("/api/v1/stations/{id}"), Some(&bureau))
            .await,
        station
    );

    let response = app
        .post(
            &format!("/api/v1/stations/{id}/agreements"),
            Some(&bureau),
            &agreement_body(),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let agreement: Value = response.json().await.expect("json");
    assert_eq!(agreement["funding_yuan"], "1200000.00");
    assert_eq!(
        (
            agreement["required_staff"].as_i64(),
            agreement["required_certified_staff"].as_i64()
        ),
        (Some(20), Some(13))
    );
    assert_eq!(agreement["period_start"], "2024-12-11");
    let again = app
        .get_json(
            &format!("/api/v1/agreements/{}", id_of(&agreement)),
            Some(&bureau),
        )
        .await;
    assert_eq!(again, agreement);

    // The next service year is fine; an overlapping one is not.
    let mut next = agreement_body();
    next["period_start"] = json!("2025-12-11");
    next["period_end"] = json!("2026-12-10");
    assert_eq!(
        app.post(
            &format!("/api/v1/stations/{id}/agreements"),
            Some(&admin),
            &next
        )
        .await
        .status(),
        StatusCode::CREATED
    );
    let mut overlapping = agreement_body();
    overlapping["period_start"] = json!("2025-06-01");
    let problem = assert_problem(
        app.post(
            &format!("/api/v1/stations/{id}/agreements"),
            Some(&bureau),
            &overlapping,
        )
        .await,
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["period_start"]);
}

async fn each_organization_sees_only_its_own_stations(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let a = district_in(&app, &admin, "荔湾", Some("广州市")).await;
    let b = district_in(&app, &admin, "顺德", Some("佛山市")).await;
    // A municipal bureau without a city oversees every district (a single-city deployment);
    // one with a city only its city's.
    let city = app.create_org(&admin, "市民政局", "municipal_bureau").await;
    let guangzhou = app
        .create_org_in(&admin, "广州市民政局", "municipal_bureau", Some("广州市"))
        .await;
    let foshan = app
        .create_org_in(&admin, "佛山市民政局", "municipal_bureau", Some("佛山市"))
        .await;
    let agency = app
        .create_org(&admin, "广州市社会工作协会", "evaluation_agency")
        .await;

    let bureau_a = manager_of(&app, &admin, "bureau-a", a.bureau).await;
    let bureau_b = manager_of(&app, &admin, "bureau-b", b.bureau).await;
    let station_a: Value = app
        .post(
            "/api/v1/stations",
            Some(&bureau_a),
            &station_body("西村街社工服务站", &a),
        )
        .await
        .json()
        .await
        .expect("json");
    let station_b: Value = app
        .post(
            "/api/v1/stations",
            Some(&bureau_b),
            &station_body("瑞宝街社工服务站", &b),
        )
        .await
        .json()
        .await
        .expect("json");
    let (sa, sb) = (id_of(&station_a), id_of(&station_b));
    let agreement_a: Value = app
        .post(
            &format!("/api/v1/stations/{sa}/agreements"),
            Some(&bureau_a),
            &agreement_body(),
        )
        .await
        .json()
        .await
        .expect("json");
    let agreement_b: Value = app
        .post(
            &format!("/api/v1/stations/{sb}/agreements"),
            Some(&bureau_b),
            &agreement_body(),
        )
        .await
        .json()
        .await
        .expect("json");
    let (ga, gb) = (id_of(&agreement_a), id_of(&agreement_b));

    // (who, stations they see)
    let viewers: Vec<(String, Vec<i64>)> = vec![
        (admin.clone(), vec![sa, sb]),
        (manager_of(&app, &admin, "city", city).await, vec![sa, sb]),
        (bureau_a.clone(), vec![sa]),
        (bureau_b.clone(), vec![sb]),
        (
            manager_of(&app, &admin, "street-a", a.street).await,
            vec![sa],
        ),
        (
            manager_of(&app, &admin, "street-b", b.street).await,
            vec![sb],
        ),
        (
            manager_of(&app, &admin, "operator-a", a.operator).await,
            vec![sa],
        ),
        (
            manager_of(&app, &admin, "operator-b", b.operator).await,
            vec![sb],
        ),
        (manager_of(&app, &admin, "agency", agency).await, vec![]),
        (
            manager_of(&app, &admin, "guangzhou", guangzhou).await,
            vec![sa],
        ),
        (manager_of(&app, &admin, "foshan", foshan).await, vec![sb]),
    ];
    for (token, visible) in &viewers {
        let list = app.get_json("/api/v1/stations", Some(token)).await;
        let listed: Vec<i64> = list["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(id_of)
            .collect();
        assert_eq!(&listed, visible);
        assert_eq!(list["total"], visible.len());
        for (station, agreement) in [(sa, ga), (sb, gb)] {
            let expected = if visible.contains(&station) {
                StatusCode::OK
            } else {
                StatusCode::NOT_FOUND
            };
            assert_eq!(
                app.get(&format!("/api/v1/stations/{station}"), Some(token))
                    .await
                    .status(),
                expected
            );
            assert_eq!(
                app.get(&format!("/api/v1/agreements/{agreement}"), Some(token))
                    .await
                    .status(),
                expected
            );
        }
    }

    // Only the supervising bureau's manager (and admins) add agreements; others who see the
    // station get 403, those who do not see it 404.
    let mut next = agreement_body();
    next["period_start"] = json!("2025-12-11");
    next["period_end"] = json!("2026-12-10");
    let path_a = format!("/api/v1/stations/{sa}/agreements");
    assert_problem(
        app.post(&path_a, Some(&bureau_b), &next).await,
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    for token in [&viewers[1].0, &viewers[4].0, &viewers[6].0] {
        assert_problem(
            app.post(&path_a, Some(token), &next).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
    }
    // A bureau registers stations only under its own supervision.
    let problem = app
        .post(
            "/api/v1/stations",
            Some(&bureau_b),
            &station_body("另一个社工站", &a),
        )
        .await;
    assert_problem(problem, StatusCode::FORBIDDEN, "forbidden").await;
    let member = app
        .create_user(&admin, "bureau-a-member", a.bureau, "member")
        .await;
    assert!(member > 0);
    let member = token_of(&app.login_ok("bureau-a-member", PASSWORD).await);
    assert_problem(
        app.post(
            "/api/v1/stations",
            Some(&member),
            &station_body("另一个社工站", &a),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    assert_problem(
        app.get("/api/v1/stations", None).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
}

async fn bad_station_and_agreement_input_is_refused_and_nothing_written(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let d = district(&app, &admin, "荔湾").await;

    let mut wrong_kinds = station_body("西村街社工服务站", &d);
    wrong_kinds["operator_org_id"] = json!(d.street);
    wrong_kinds["purchaser_org_id"] = json!(424242);
    let problem = assert_problem(
        app.post("/api/v1/stations", Some(&admin), &wrong_kinds)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(
        error_fields(&problem),
        vec!["operator_org_id", "purchaser_org_id"]
    );

    let mut duplicate_zone = station_body("西村街社工服务站", &d);
    duplicate_zone["zones"][1]["name"] = json!("一片区");
    let problem = assert_problem(
        app.post("/api/v1/stations", Some(&admin), &duplicate_zone)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["zones[1].name"]);

    let mut bad_since = station_body("西村街社工服务站", &d);
    bad_since["operating_since"] = json!("2016-13-01");
    let problem = assert_problem(
        app.post("/api/v1/stations", Some(&admin), &bad_since).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["operating_since"]);

    let mut no_zones = station_body("西村街社工服务站", &d);
    no_zones["zones"] = json!([]);
    let problem = assert_problem(
        app.post("/api/v1/stations", Some(&admin), &no_zones).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["zones"]);
    assert_eq!(
        app.get_json("/api/v1/stations", Some(&admin)).await["total"],
        0,
        "nothing written"
    );

    let station: Value = app
        .post(
            "/api/v1/stations",
            Some(&admin),
            &station_body("西村街社工服务站", &d),
        )
        .await
        .json()
        .await
        .expect("json");
    let duplicate = app
        .post(
            "/api/v1/stations",
            Some(&admin),
            &station_body("西村街社工服务站", &d),
        )
        .await;
    assert_eq!(
        error_fields(&assert_problem(duplicate, StatusCode::CONFLICT, "conflict").await),
        vec!["name"]
    );

    let path = format!("/api/v1/stations/{}/agreements", id_of(&station));
    let cases: Vec<(&str, Value, &str)> = vec![
        ("period_end", json!("2024-01-01"), "period_end"),
        (
            "required_certified_staff",
            json!(21),
            "required_certified_staff",
        ),
        ("funding_yuan", json!("12.345"), "funding_yuan"),
        ("required_staff", json!(-1), "required_staff"),
        ("period_start", json!("2024-13-01"), "period_start"),
    ];
    for (key, value, field) in cases {
        let mut body = agreement_body();
        body[key] = value;
        let problem = assert_problem(
            app.post(&path, Some(&admin), &body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
        )
        .await;
        assert_eq!(error_fields(&problem), vec![field], "{problem}");
    }
    assert_problem(
        app.post(
            "/api/v1/stations/999999/agreements",
            Some(&admin),
            &agreement_body(),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    assert_eq!(
        app.post(&path, Some(&admin), &agreement_body())
            .await
            .status(),
        StatusCode::CREATED,
        "nothing was written before"
    );
}
