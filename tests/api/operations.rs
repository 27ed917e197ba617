//! Operations: `GET /metrics` in Prometheus text, open or behind `server.metrics_token`.

use reqwest::StatusCode;

use crate::helpers::*;

both_backends!(
    metrics_count_requests_reports_the_outbox_and_connections,
    metrics_ask_for_their_token_when_one_is_set
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
