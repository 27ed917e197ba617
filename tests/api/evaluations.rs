//! Evaluations: created by the supervising bureau (or an admin) for an agreement, pinned to a
//! scheme version, with each party's organization. Who sees them: tenancy.rs.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

both_backends!(
    the_bureau_creates_an_evaluation_with_its_parties,
    bad_evaluation_input_is_refused_by_field,
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
    let org =
        |name: String, kind: &'static str| async move { app.create_org(admin, &name, kind).await };
    let bureau = org(format!("{prefix}区民政局"), "civil_affairs_bureau").await;
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
        json!({"code": "guangzhou-2023", "version": 1})
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
