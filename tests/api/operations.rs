//! Operations: `GET /metrics` in Prometheus text, open or behind `server.metrics_token`; two
//! instances on one database serving each other's evidence files.

use reqwest::StatusCode;
use sha2::{Digest, Sha256};

use crate::helpers::*;

both_backends!(
    metrics_count_requests_reports_the_outbox_and_connections,
    metrics_ask_for_their_token_when_one_is_set,
    an_evidence_file_uploaded_through_one_instance_downloads_through_another,
    a_version_committed_but_never_typeset_is_typeset_when_asked_for,
    typesetting_final_reports_again_and_again_keeps_memory_level,
);

/// The value of the sample `name{labels}` in Prometheus text, if present.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
}

async fn metrics_count_requests_reports_the_outbox_and_connections(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (s, who, id) = crate::scoring::onsite(&app).await;
    crate::scoring::score_all(&app, &s, &who, id, "ops").await;
    crate::workflow::fire_ok(&app, &who.agency, id, "issue_draft", None, "draft_feedback").await;
    for _ in 0..3 {
        assert_eq!(
            app.get("/api/v1/me", None).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let response = app.get("/metrics", None).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("text/plain; version=0.0.4"))
    );
    let text = response.text().await.expect("text");
    // Counters are the process's: other tests of this binary add to them.
    let unauthorized = sample(
        &text,
        r#"http_requests_total{route="/api/v1/me",status="401"}"#,
    );
    assert!(unauthorized.is_some_and(|n| n >= 3.0), "{text}");
    assert!(
        text.contains(
            r#"http_request_duration_seconds_bucket{route="/api/v1/evaluations/{id}/transitions","#
        ),
        "durations by route pattern, not by path"
    );
    assert!(
        !text.contains(&format!("/api/v1/evaluations/{id}/")),
        "no concrete paths"
    );
    for format in ["html", "docx"] {
        let rendered = sample(
            &text,
            &format!(r#"pinggu_reports_rendered_total{{format="{format}"}}"#),
        );
        assert!(rendered.is_some_and(|n| n >= 1.0), "{format}: {text}");
    }
    // The draft's notices are queued in this test's database (the tests drain no outbox here).
    let queued = sample(&text, r#"pinggu_outbox_messages{status="queued"}"#);
    assert!(queued.is_some_and(|n| n >= 1.0), "{text}");
    assert!(
        sample(&text, r#"pinggu_db_connections{state="idle"}"#).is_some(),
        "{text}"
    );
    assert!(
        sample(&text, r#"pinggu_db_connections{state="in_use"}"#).is_some(),
        "{text}"
    );
}

async fn metrics_ask_for_their_token_when_one_is_set(backend: Backend) {
    let app = TestApp::spawn_with(backend, |settings| {
        settings.server.metrics_token = Some("metrics-token-0123456789".into());
    })
    .await;
    assert_eq!(
        app.get("/metrics", None).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get("/metrics", Some("another-token")).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let response = app.get("/metrics", Some("metrics-token-0123456789")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response
            .text()
            .await
            .expect("text")
            .contains("http_requests_total")
    );
}

async fn an_evidence_file_uploaded_through_one_instance_downloads_through_another(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let (_s, who, id, _zones) = crate::self_assessment::opened(&app).await;
    // Two machines on PostgreSQL keep files in the database, each with a directory of its own;
    // the embedded SQLite default is one machine, whose instances share storage.dir.
    let shared = tempfile::tempdir().expect("dir");
    let shared_dir = shared.path().display().to_string();
    let env: Vec<(&str, &str)> = match backend {
        Backend::Postgres => vec![],
        Backend::Sqlite => vec![("PINGGU__STORAGE__DIR", shared_dir.as_str())],
    };
    let first = ServeChild::start(&app, &env).await;
    let second = ServeChild::start(&app, &env).await;
    let boundary = "pinggu-instances-boundary";
    let mut content = b"%PDF-1.7\n".to_vec();
    content.extend((0..3_200_000u32).map(|n| (n % 251) as u8));
    let mut body = format!(
        "--{boundary}\r\ncontent-disposition: form-data; name=\"file\"; filename=\"签到表.pdf\"\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&content);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let client = reqwest::Client::new();
    let uploaded = client
        .post(format!(
            "{}/api/v1/evaluations/{id}/attachments",
            first.base
        ))
        .bearer_auth(&who.station)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .expect("upload");
    assert_eq!(uploaded.status(), StatusCode::CREATED);
    let stored: serde_json::Value = uploaded.json().await.expect("json");
    let attachment = id_of(&stored);
    let downloaded = client
        .get(format!("{}/api/v1/attachments/{attachment}", second.base))
        .bearer_auth(&who.agency)
        .send()
        .await
        .expect("download");
    assert_eq!(downloaded.status(), StatusCode::OK);
    let bytes = downloaded.bytes().await.expect("bytes");
    assert_eq!(bytes.len(), content.len());
    let digest: String = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(stored["sha256"], digest.as_str());
    assert!(bytes.as_ref() == content.as_slice(), "the same bytes");
    first.stop().await;
    second.stop().await;
}

async fn a_version_committed_but_never_typeset_is_typeset_when_asked_for(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (s, who, id) = crate::scoring::onsite(&app).await;
    crate::scoring::score_all(&app, &s, &who, id, "typeset").await;
    crate::workflow::fire_ok(&app, &who.agency, id, "issue_draft", None, "draft_feedback").await;
    let versions = format!("/api/v1/evaluations/{id}/reports");
    let listed = app.get_json(&versions, Some(&who.station)).await;
    let report = id_of(&listed["items"][0]);
    let formats = |listed: &serde_json::Value| -> Vec<String> {
        listed["items"][0]["files"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|f| f["format"].as_str().map(str::to_owned))
            .collect()
    };
    let before = formats(&listed);
    assert_eq!(before, ["docx", "html"]);
    // As if the process had ended between the transition's commit and the typesetting.
    app.execute_sql(&format!(
        "DELETE FROM report_files WHERE report_id = {report}"
    ))
    .await;
    let page = app
        .get(
            &format!("/api/v1/reports/{report}.html"),
            Some(&who.station),
        )
        .await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.expect("html").contains("征求意见稿"));
    let listed = app.get_json(&versions, Some(&who.station)).await;
    assert_eq!(
        formats(&listed),
        before,
        "typeset once, from the committed model"
    );
}

async fn typesetting_final_reports_again_and_again_keeps_memory_level(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (s, who, id) = crate::scoring::onsite(&app).await;
    crate::scoring::score_all(&app, &s, &who, id, "mem").await;
    let admin = app.admin_token().await;
    // A separate server, so that its memory is its own; every PDF is typeset there.
    let server = ServeChild::start(&app, &[]).await;
    let client = reqwest::Client::new();
    let fire = |token: &str, event: &str| {
        let mut body = serde_json::json!({"event": event});
        if event == "reopen" {
            body["reason"] = serde_json::json!("更正");
        }
        client
            .post(format!(
                "{}/api/v1/evaluations/{id}/transitions",
                server.base
            ))
            .bearer_auth(token.to_owned())
            .json(&body)
            .send()
    };
    let cycle = |first: &'static str| {
        let (agency, bureau, admin) = (&who.agency, &s.bureau, &admin);
        let fire = &fire;
        async move {
            let (token, event) = if first == "issue_draft" {
                (agency, "issue_draft")
            } else {
                (admin, "reopen")
            };
            for (token, event) in [
                (token, event),
                (agency, "submit_for_review"),
                (bureau, "approve"),
            ] {
                let response = fire(token, event).await.expect("answer");
                assert_eq!(response.status(), StatusCode::OK, "{event}");
            }
        }
    };
    cycle("issue_draft").await;
    cycle("reopen").await;
    let warm = server.status_kb("VmRSS");
    for _ in 0..6 {
        cycle("reopen").await;
    }
    let after = server.status_kb("VmRSS");
    let pdfs = app
        .count("SELECT COUNT(*) AS n FROM report_files WHERE format = 'pdf'")
        .await;
    eprintln!("{pdfs} final reports typeset: VmRSS {warm} kB after two, {after} kB after eight");
    assert!(pdfs >= 8, "every approval typeset its PDF ({pdfs})");
    // Each PDF once kept about 19 MB for good (typst's memo cache): six would add over 100 MB.
    assert!(after < warm + 50 * 1024, "{warm} kB → {after} kB");
    server.stop().await;
}
