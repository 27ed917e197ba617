//! Evaluations: created by the supervising bureau (or an admin) for an agreement, pinned to a
//! scheme version, with each party's organization. Who sees them: tenancy.rs.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

both_backends!(
    the_bureau_creates_an_evaluation_with_its_parties,
    bad_evaluation_input_is_refused_by_field,
    the_list_narrows_by_the_filters_and_a_station_has_its_history,
);

pub struct Setup {
    pub admin: String,
    pub bureau: String,
    pub station: i64,
    pub agreement: i64,
    pub agency: i64,
    pub center: i64,
    pub orgs: Vec<(String, i64)>,
}

/// One district: bureau, street office, operator, station, agreement, agency and center.
pub async fn district(app: &TestApp, admin: &str, prefix: &str, key: &str) -> Setup {
    district_in(app, admin, prefix, key, None).await
}

/// One district whose bureau is in `city` (所在市) when given.
pub async fn district_in(
    app: &TestApp,
    admin: &str,
    prefix: &str,
    key: &str,
    city: Option<&str>,
) -> Setup {
    let org =
        |name: String, kind: &'static str| async move { app.create_org(admin, &name, kind).await };
    let bureau = app
        .create_org_in(
            admin,
            &format!("{prefix}区民政局"),
            "civil_affairs_bureau",
            city,
        )
        .await;
    let street = org(format!("{prefix}街道办事处"), "street_office").await;
    let operator = org(format!("{prefix}社工服务中心"), "operator").await;
    let agency = org(format!("{prefix}评估机构"), "evaluation_agency").await;
    let center = org(format!("{prefix}督导中心"), "supervision_center").await;
    app.create_user(admin, &format!("{key}-bureau"), bureau, "manager")
        .await;
    let bureau_token = token_of(&app.login_ok(&format!("{key}-bureau"), PASSWORD).await);
    let station: Value = app
        .post(
            "/api/v1/stations",
            Some(&bureau_token),
            &json!({"name": format!("{prefix}社工服务站"), "district": format!("{prefix}区"), "street": prefix,
                    "operator_org_id": operator, "purchaser_org_id": street, "supervisor_org_id": bureau,
                    "zones": [{"name": "一片区", "communities": ["甲社区"]}, {"name": "二片区", "communities": ["乙社区"]},
                              {"name": "三片区", "communities": ["丙社区"]}]}),
        )
        .await
        .json()
        .await
        .expect("station");
    let agreement: Value = app
        .post(
            &format!("/api/v1/stations/{}/agreements", id_of(&station)),
            Some(&bureau_token),
            &json!({"period_start": "2024-12-11", "period_end": "2025-12-10", "funding_yuan": "1200000.00",
                    "required_staff": 20, "required_certified_staff": 13}),
        )
        .await
        .json()
        .await
        .expect("agreement");
    Setup {
        admin: admin.to_owned(),
        bureau: bureau_token,
        station: id_of(&station),
        agreement: id_of(&agreement),
        agency,
        center,
        orgs: vec![
            ("bureau".into(), bureau),
            ("street".into(), street),
            ("operator".into(), operator),
            ("agency".into(), agency),
            ("center".into(), center),
        ],
    }
}

pub fn evaluation_body(s: &Setup) -> Value {
    json!({
        "agreement_id": s.agreement, "scheme_code": "guangzhou-2023", "kind": "mid_term",
        "assessment_start": "2024-12-11", "assessment_end": "2025-04-30", "onsite_date": "2025-05-13",
        "agency_org_id": s.agency, "center_org_id": s.center,
        "deadlines": {"self_assessment": "2025-05-06", "onsite_scoring": "2025-05-13",
                      "draft_feedback": "2025-05-27", "bureau_review": "2025-06-10"}
    })
}

async fn the_bureau_creates_an_evaluation_with_its_parties(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let s = district(&app, &admin, "荔湾", "liwan").await;
    let response = app
        .post("/api/v1/evaluations", Some(&s.bureau), &evaluation_body(&s))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let evaluation: Value = response.json().await.expect("json");
    assert_eq!(evaluation["state"], "setup");
    assert_eq!(evaluation["version"], 1);
    assert_eq!(evaluation["kind"], "mid_term");
    assert_eq!(
        evaluation["scheme"],
        json!({"code": "guangzhou-2023", "version": 3})
    );
    assert_eq!(evaluation["station"]["id"], s.station);
    assert_eq!(evaluation["station"]["name"], "荔湾社工服务站");
    assert_eq!(
        evaluation["next_deadline"],
        Value::Null,
        "no stage deadline in setup"
    );
    assert_eq!(evaluation["deadlines"]["draft_feedback"], "2025-05-27");
    let parties: Vec<(String, String, String)> = evaluation["parties"]
        .as_array()
        .expect("parties")
        .iter()
        .map(|p| {
            (
                p["code"].as_str().unwrap_or("").to_owned(),
                p["weight"].as_str().unwrap_or("").to_owned(),
                p["organization"]["name"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        parties,
        vec![
            ("supervisor".into(), "10.00".into(), "荔湾区民政局".into()),
            ("purchaser".into(), "20.00".into(), "荔湾街道办事处".into()),
            ("center".into(), "15.00".into(), "荔湾督导中心".into()),
            ("third_party".into(), "55.00".into(), "荔湾评估机构".into()),
        ]
    );
    assert_eq!(evaluation["station_operator"]["name"], "荔湾社工服务中心");
    let id = id_of(&evaluation);
    assert_eq!(
        app.get_json(&format!("/api/v1/evaluations/{id}"), Some(&s.bureau))
            .await,
        evaluation
    );

    // guangzhou-2019: the financial gate falls to the bureau; assessment months as a decimal.
    let mut body = evaluation_body(&s);
    body["scheme_code"] = json!("guangzhou-2019");
    body["kind"] = json!("final_term");
    body["assessment_months"] = json!("6.50");
    let response = app.post("/api/v1/evaluations", Some(&s.admin), &body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let old: Value = response.json().await.expect("json");
    assert_eq!(old["assessment_months"], "6.50");
    let gate = old["parties"]
        .as_array()
        .expect("parties")
        .iter()
        .find(|p| p["gate"] == true)
        .cloned()
        .expect("gate");
    assert_eq!(gate["organization"]["name"], "荔湾区民政局");
}

async fn bad_evaluation_input_is_refused_by_field(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let s = district(&app, &admin, "荔湾", "liwan").await;
    let cases: Vec<(&str, Value, Vec<&str>)> = vec![
        (
            "/assessment_start",
            json!("2025-05-01"),
            vec!["assessment_end"],
        ),
        ("/onsite_date", json!("2025-04-01"), vec!["onsite_date"]),
        (
            "/assessment_start",
            json!("2024-01-01"),
            vec!["assessment_start"],
        ),
        (
            "/deadlines/onsite_scoring",
            json!("2025-05-01"),
            vec!["deadlines.onsite_scoring"],
        ),
        ("/scheme_code", json!("shanghai"), vec!["scheme_code"]),
        ("/agency_org_id", json!(s.center), vec!["agency_org_id"]),
        ("/kind", json!("annual"), vec!["kind"]),
        (
            "/assessment_months",
            json!("6.555"),
            vec!["assessment_months"],
        ),
        (
            "/party_orgs",
            json!({"committee": s.center}),
            vec!["party_orgs.committee"],
        ),
    ];
    for (pointer, value, fields) in cases {
        let mut body = evaluation_body(&s);
        match body.pointer_mut(pointer) {
            Some(slot) => *slot = value,
            None => body[pointer.trim_start_matches('/')] = value,
        }
        let problem = assert_problem(
            app.post("/api/v1/evaluations", Some(&s.bureau), &body)
                .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
        )
        .await;
        assert_eq!(error_fields(&problem), fields, "{pointer}: {problem}");
    }
    assert_eq!(
        app.get_json("/api/v1/evaluations", Some(&s.bureau)).await["total"],
        0,
        "nothing written"
    );
    // Past dates are fine: last year's evaluations are entered too.
    assert_eq!(
        app.post("/api/v1/evaluations", Some(&s.bureau), &evaluation_body(&s))
            .await
            .status(),
        StatusCode::CREATED
    );
}

/// `GET /evaluations` with the filters of DESIGN.md §8 the stored data answers: each narrows the
/// count and the page alike, within what the caller may see; a filter naming nothing is a 422.
async fn the_list_narrows_by_the_filters_and_a_station_has_its_history(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let liwan = district(&app, &admin, "荔湾", "liwan").await;
    let haizhu = district(&app, &admin, "海珠", "haizhu").await;
    let mut created = Vec::new();
    for body in [
        evaluation_body(&liwan),
        json!({
            "agreement_id": liwan.agreement, "scheme_code": "guangzhou-2023", "kind": "final_term",
            "assessment_start": "2025-05-01", "assessment_end": "2025-11-30", "onsite_date": "2025-12-05",
            "agency_org_id": liwan.agency, "center_org_id": liwan.center,
            "deadlines": {"self_assessment": "2025-12-01", "onsite_scoring": "2025-12-05",
                          "draft_feedback": "2025-12-19", "bureau_review": "2026-01-05"}
        }),
        evaluation_body(&haizhu),
    ] {
        let response = app.post("/api/v1/evaluations", Some(&admin), &body).await;
        let status = response.status();
        let answer: Value = response.json().await.expect("json");
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        created.push(id_of(&answer));
    }
    let who = crate::workflow::actors(&app, &liwan, "liwan").await;
    assert!(
        crate::workflow::set_targets(&app, &liwan, &who.agency, created[0])
            .await
            .status()
            .is_success()
    );
    crate::workflow::fire_ok(
        &app,
        &who.agency,
        created[0],
        "open",
        None,
        "self_assessment",
    )
    .await;

    let ids = |answer: &Value| -> Vec<i64> {
        answer["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(id_of)
            .collect()
    };
    let list = |token: String, query: String| {
        let app = &app;
        async move {
            let answer = app
                .get_json(&format!("/api/v1/evaluations?{query}"), Some(&token))
                .await;
            assert_eq!(
                answer["total"].as_i64(),
                Some(answer["items"].as_array().map_or(0, Vec::len) as i64),
                "{query}: the count follows the filter"
            );
            answer
        }
    };
    let (a, b, c) = (created[0], created[1], created[2]);
    for (query, expected) in [
        (String::new(), vec![a, b, c]),
        ("district=荔湾区".to_owned(), vec![a, b]),
        ("district=海珠区".to_owned(), vec![c]),
        ("street=海珠".to_owned(), vec![c]),
        (format!("station_id={}", liwan.station), vec![a, b]),
        ("year=2024".to_owned(), vec![a, c]),
        ("year=2025".to_owned(), vec![b]),
        ("kind=final_term".to_owned(), vec![b]),
        ("state=self_assessment".to_owned(), vec![a]),
        ("state=setup&district=荔湾区".to_owned(), vec![b]),
        (format!("agency_org_id={}", haizhu.agency), vec![c]),
        ("q=荔湾社工".to_owned(), vec![a, b]),
        ("q=%".to_owned(), vec![]),
    ] {
        let query = query.replace('%', "%25");
        assert_eq!(
            ids(&list(admin.clone(), query.clone()).await),
            expected,
            "{query}"
        );
    }
    let paged = app
        .get_json(
            "/api/v1/evaluations?district=荔湾区&per_page=1&page=2",
            Some(&admin),
        )
        .await;
    assert_eq!((paged["total"].as_i64(), ids(&paged)), (Some(2), vec![b]));

    // The caller's scope holds whatever the filter says.
    let other = list(liwan.bureau.clone(), "district=海珠区".to_owned()).await;
    assert_eq!(ids(&other), Vec::<i64>::new());
    let own = list(liwan.bureau.clone(), "year=2024".to_owned()).await;
    assert_eq!(ids(&own), vec![a]);

    // A station's history: its evaluations as the caller sees them; 404 for a station the
    // caller may not see, or none.
    let history = app
        .get_json(
            &format!("/api/v1/stations/{}/evaluations", liwan.station),
            Some(&liwan.bureau),
        )
        .await;
    assert_eq!(
        (history["total"].as_i64(), ids(&history)),
        (Some(2), vec![a, b])
    );
    assert_eq!(history["items"][0]["state"], "self_assessment");
    for (token, station) in [(&haizhu.bureau, liwan.station), (&admin, 999_999)] {
        let hidden = app
            .get(
                &format!("/api/v1/stations/{station}/evaluations"),
                Some(token),
            )
            .await;
        assert_problem(hidden, StatusCode::NOT_FOUND, "not-found").await;
    }

    for (query, field) in [
        ("state=finished", "state"),
        ("kind=annual", "kind"),
        ("year=1999", "year"),
    ] {
        let refused = app
            .get(&format!("/api/v1/evaluations?{query}"), Some(&admin))
            .await;
        let problem = assert_invalid(refused).await;
        assert_eq!(error_fields(&problem), vec![field], "{query}");
    }
}
