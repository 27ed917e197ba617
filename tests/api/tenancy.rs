//! The cross-tenant matrix: every user of two districts (bureau, street office, operator, agency
//! and center, as manager, member and expert), the municipal bureau and an admin, against every
//! evaluation, station and agreement route of both districts. Every cell is asserted.
//!
//! Writes are sent with a stale version (or a body that fails after the permission check), so a
//! permitted caller gets 409/422 and nothing changes: 404 means "cannot see", 403 "sees, may not
//! act", and the third answer "may act".

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::evaluations::{Setup, district, evaluation_body};
use crate::helpers::*;

both_backends!(no_route_leaks_or_allows_anything_across_tenants);

const STALE: i64 = 999_999;

#[derive(Debug)]
struct Actor {
    name: String,
    token: String,
    /// The district (0 or 1) whose organization the user belongs to; None for city and admin.
    district: Option<usize>,
    /// The organization's label in `Setup::orgs`, "city" or "system".
    org: &'static str,
    role: &'static str,
}

impl Actor {
    fn is(&self, d: usize, org: &str, role: &str) -> bool {
        self.district == Some(d) && self.org == org && self.role == role
    }

    fn admin(&self) -> bool {
        self.org == "system"
    }

    /// Sees district `d`'s station, agreement and evaluation.
    fn sees(&self, d: usize) -> bool {
        match self.org {
            "system" | "city" => true,
            _ => self.role != "expert" && self.district == Some(d),
        }
    }

    /// Sets up evaluations of `d`: targets, opening, extensions.
    fn organizes(&self, d: usize) -> bool {
        self.admin() || self.is(d, "bureau", "manager") || self.is(d, "agency", "manager")
    }

    /// Registers agreements and evaluations for `d`'s station.
    fn supervises(&self, d: usize) -> bool {
        self.admin() || self.is(d, "bureau", "manager")
    }

    /// The workflow table of DESIGN.md §3, written out independently of the code under test.
    /// Admins may do every write any party may (§1).
    fn may_fire(&self, d: usize, event: &str) -> bool {
        self.admin()
            || match event {
                "open" => self.organizes(d),
                "submit_self_assessment" => self.is(d, "operator", "manager"),
                "return_self_assessment" | "issue_draft" | "submit_for_review" => {
                    self.is(d, "agency", "manager")
                }
                "return_draft" | "approve" => self.is(d, "bureau", "manager"),
                "reopen" => false,
                "cancel" => self.is(d, "bureau", "manager"),
                other => panic!("unknown event {other}"),
            }
    }
}

const EVENTS: [&str; 9] = [
    "open",
    "submit_self_assessment",
    "return_self_assessment",
    "issue_draft",
    "submit_for_review",
    "return_draft",
    "approve",
    "reopen",
    "cancel",
];

/// 404 when the caller cannot see it, 403 when it sees but may not act, else `permitted`.
fn expected(sees: bool, may: bool, permitted: StatusCode) -> StatusCode {
    match (sees, may) {
        (false, _) => StatusCode::NOT_FOUND,
        (true, false) => StatusCode::FORBIDDEN,
        (true, true) => permitted,
    }
}

async fn actors(app: &TestApp, admin: &str, districts: &[Setup; 2]) -> Vec<Actor> {
    let mut actors = vec![Actor {
        name: "admin".into(),
        token: admin.to_owned(),
        district: None,
        org: "system",
        role: "admin",
    }];
    let city = app
        .create_org(admin, "广州市民政局", "municipal_bureau")
        .await;
    for role in ["manager", "member"] {
        let name = format!("city-{role}");
        app.create_user(admin, &name, city, role).await;
        actors.push(Actor {
            token: token_of(&app.login_ok(&name, PASSWORD).await),
            name,
            district: None,
            org: "city",
            role,
        });
    }
    for (d, setup) in districts.iter().enumerate() {
        for label in ["bureau", "street", "operator", "agency", "center"] {
            let org = setup
                .orgs
                .iter()
                .find(|(l, _)| l == label)
                .map(|(_, id)| *id)
                .expect("org of the district");
            let roles: &[&'static str] = if label == "agency" {
                &["manager", "member", "expert"]
            } else {
                &["manager", "member"]
            };
            for &role in roles {
                let name = format!("d{d}-{label}-{role}");
                let token = if label == "bureau" && role == "manager" {
                    setup.bureau.clone()
                } else {
                    app.create_user(admin, &name, org, role).await;
                    token_of(&app.login_ok(&name, PASSWORD).await)
                };
                actors.push(Actor {
                    name,
                    token,
                    district: Some(d),
                    org: label,
                    role,
                });
            }
        }
    }
    actors
}

fn ids(list: &Value) -> Vec<i64> {
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(id_of)
        .collect()
}

async fn status(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<&Value>,
) -> StatusCode {
    app.request(method, path, Some(token), body).await.status()
}

async fn no_route_leaks_or_allows_anything_across_tenants(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let districts = [
        district(&app, &admin, "荔湾", "liwan").await,
        district(&app, &admin, "海珠", "haizhu").await,
    ];
    let mut evaluations = Vec::new();
    for setup in &districts {
        let response = app
            .post(
                "/api/v1/evaluations",
                Some(&setup.bureau),
                &evaluation_body(setup),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        evaluations.push(id_of(&response.json::<Value>().await.expect("json")));
    }
    let zones: Vec<i64> = {
        let mut zones = Vec::new();
        for setup in &districts {
            let station = app
                .get_json(&format!("/api/v1/stations/{}", setup.station), Some(&admin))
                .await;
            zones.push(station["zones"][0]["id"].as_i64().expect("zone"));
        }
        zones
    };
    let actors = actors(&app, &admin, &districts).await;
    assert_eq!(actors.len(), 1 + 2 + 2 * 11);
    let snapshot = "SELECT COUNT(*) AS n FROM audit_log";
    let (audit_before, outbox_before) = (
        app.count(snapshot).await,
        app.count("SELECT COUNT(*) AS n FROM outbox").await,
    );

    let mut cells = 0;
    for actor in &actors {
        let who = &actor.name;
        let token = actor.token.as_str();
        let visible: Vec<usize> = (0..2).filter(|&d| actor.sees(d)).collect();

        // Lists hold exactly what the caller sees.
        let listed = ids(&app.get_json("/api/v1/evaluations", Some(token)).await);
        let want: Vec<i64> = visible.iter().map(|&d| evaluations[d]).collect();
        assert_eq!(listed, want, "{who}: GET /evaluations");
        let listed = ids(&app.get_json("/api/v1/stations", Some(token)).await);
        let want: Vec<i64> = visible.iter().map(|&d| districts[d].station).collect();
        assert_eq!(listed, want, "{who}: GET /stations");
        cells += 2;

        for (d, setup) in districts.iter().enumerate() {
            let sees = actor.sees(d);
            let evaluation = evaluations[d];
            let read = expected(sees, true, StatusCode::OK);
            for path in [
                format!("/api/v1/evaluations/{evaluation}"),
                format!("/api/v1/evaluations/{evaluation}/timeline"),
                format!("/api/v1/evaluations/{evaluation}/targets"),
                format!("/api/v1/stations/{}", setup.station),
                format!("/api/v1/agreements/{}", setup.agreement),
            ] {
                let got = status(&app, Method::GET, &path, token, None).await;
                assert_eq!(got, read, "{who}: GET {path}");
                cells += 1;
            }

            let stale = StatusCode::CONFLICT;
            let targets = json!({"version": STALE, "rows": [
                {"indicator": "visits.home", "zone_id": zones[d], "target": "10"}]});
            let path = format!("/api/v1/evaluations/{evaluation}/targets");
            let got = status(&app, Method::PUT, &path, token, Some(&targets)).await;
            assert_eq!(
                got,
                expected(sees, actor.organizes(d), stale),
                "{who}: PUT {path}"
            );

            let extension = json!({"version": STALE, "stage": "self_assessment",
                                   "new_deadline": "2025-12-31", "reason": "矩阵"});
            let path = format!("/api/v1/evaluations/{evaluation}/extensions");
            let got = status(&app, Method::POST, &path, token, Some(&extension)).await;
            assert_eq!(
                got,
                expected(sees, actor.organizes(d), stale),
                "{who}: POST {path}"
            );

            let path = format!("/api/v1/evaluations/{evaluation}/transitions");
            for event in EVENTS {
                let body = json!({"event": event, "version": STALE, "reason": "矩阵"});
                let got = status(&app, Method::POST, &path, token, Some(&body)).await;
                let want = expected(sees, actor.may_fire(d, event), stale);
                assert_eq!(got, want, "{who}: {event} on {path}");
            }
            cells += 11;

            // Scoring (§3): the score is read by every party; the panel is the agency's; a
            // component is written by its own party and, before it is submitted, read only by it.
            let base = format!("/api/v1/evaluations/{evaluation}");
            let path = format!("{base}/score");
            let got = status(&app, Method::GET, &path, token, None).await;
            assert_eq!(got, read, "{who}: GET {path}");
            let agency_side = actor.admin()
                || actor.is(d, "agency", "manager")
                || actor.is(d, "agency", "member");
            let path = format!("{base}/experts");
            let got = status(&app, Method::GET, &path, token, None).await;
            assert_eq!(
                got,
                expected(sees, agency_side, StatusCode::OK),
                "{who}: GET {path}"
            );
            let nobody = json!({"user_id": 0});
            let got = status(&app, Method::POST, &path, token, Some(&nobody)).await;
            let assigns = actor.admin() || actor.is(d, "agency", "manager");
            let want = expected(sees, assigns, StatusCode::UNPROCESSABLE_ENTITY);
            assert_eq!(got, want, "{who}: POST {path}");
            let path = format!("{base}/components/purchaser");
            let component = json!({"raw_score": "1.00", "version": STALE});
            let got = status(&app, Method::PUT, &path, token, Some(&component)).await;
            let street = actor.is(d, "street", "manager") || actor.is(d, "street", "member");
            let want = expected(sees, actor.admin() || street, stale);
            assert_eq!(got, want, "{who}: PUT {path}");
            let path = format!("{base}/components/supervisor");
            let got = status(&app, Method::GET, &path, token, None).await;
            let bureau = actor.is(d, "bureau", "manager") || actor.is(d, "bureau", "member");
            assert_eq!(
                got,
                expected(sees, bureau, StatusCode::OK),
                "{who}: GET {path}"
            );
            let path = format!("{base}/expert-scores/me");
            let got = status(&app, Method::GET, &path, token, None).await;
            assert_eq!(got, StatusCode::NOT_FOUND, "{who}: GET {path}");
            cells += 6;

            // Reports and feedback: read by every party; a revised draft is the agency manager's,
            // feedback the managers' of the bureau, street office and station (refused here for the
            // state: no draft yet).
            for path in [
                format!("{base}/reports"),
                format!("{base}/feedback"),
                format!("/api/v1/stations/{}/rectifications", setup.station),
            ] {
                let got = status(&app, Method::GET, &path, token, None).await;
                assert_eq!(got, read, "{who}: GET {path}");
            }
            let path = format!("{base}/reports");
            let got = status(&app, Method::POST, &path, token, None).await;
            let want = expected(sees, assigns, StatusCode::CONFLICT);
            assert_eq!(got, want, "{who}: POST {path}");
            let path = format!("{base}/feedback");
            let feedback = json!({"report_id": 0, "no_objection": true});
            let got = status(&app, Method::POST, &path, token, Some(&feedback)).await;
            let answers = ["bureau", "street", "operator"]
                .iter()
                .any(|org| actor.is(d, org, "manager"));
            assert_eq!(got, expected(sees, answers, stale), "{who}: POST {path}");
            cells += 5;

            // An agreement whose period ends before it starts: refused after the permission check.
            let backwards = json!({"period_start": "2026-12-11", "period_end": "2026-01-10", "funding_yuan": "1.00",
                                   "required_staff": 20, "required_certified_staff": 13});
            let path = format!("/api/v1/stations/{}/agreements", setup.station);
            let got = status(&app, Method::POST, &path, token, Some(&backwards)).await;
            let want = expected(sees, actor.supervises(d), StatusCode::UNPROCESSABLE_ENTITY);
            assert_eq!(got, want, "{who}: POST {path}");

            // An evaluation whose deadlines go backwards; the agreement is a body reference, so one
            // the caller cannot see is an unknown value of that field.
            let mut body = evaluation_body(setup);
            body["deadlines"]["self_assessment"] = json!("2025-06-30");
            let response = app.post("/api/v1/evaluations", Some(token), &body).await;
            let got = response.status();
            if !sees {
                let problem = assert_problem(
                    response,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "validation-failed",
                )
                .await;
                assert_eq!(
                    error_fields(&problem),
                    ["agreement_id"],
                    "{who}: POST /evaluations"
                );
            } else if actor.supervises(d) {
                let problem = assert_problem(
                    response,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "validation-failed",
                )
                .await;
                assert!(
                    !error_fields(&problem).contains(&"agreement_id".to_owned()),
                    "{who}: {problem}"
                );
            } else {
                assert_eq!(got, StatusCode::FORBIDDEN, "{who}: POST /evaluations");
            }
            cells += 2;
        }
    }
    assert_eq!(cells, actors.len() * (2 + 2 * 29));

    // Not one of those requests changed anything.
    assert_eq!(app.count(snapshot).await, audit_before);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM outbox").await,
        outbox_before
    );
    for evaluation in &evaluations {
        let view = app
            .get_json(&format!("/api/v1/evaluations/{evaluation}"), Some(&admin))
            .await;
        assert_eq!(
            (view["state"].as_str(), view["version"].as_i64()),
            (Some("setup"), Some(1))
        );
    }
    for table in [
        "deadline_extensions",
        "targets",
        "components",
        "panel",
        "reports",
        "feedback",
        "agreements",
        "evaluations",
    ] {
        let rows = app
            .count(&format!("SELECT COUNT(*) AS n FROM {table}"))
            .await;
        let want = if !["agreements", "evaluations"].contains(&table) {
            0
        } else {
            2
        };
        assert_eq!(rows, want, "{table}");
    }
}
