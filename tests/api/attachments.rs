//! Evidence files: uploaded by the station while it may edit, type judged from the content,
//! SHA-256 kept, downloaded only by the evaluation's parties; an upload over the limit gets 413
//! while the server's memory stays flat (measured on a `pinggu serve` child process).

use futures_util::{StreamExt, stream};
use reqwest::StatusCode;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::evaluations::district;
use crate::helpers::*;
use crate::self_assessment::opened;
use crate::workflow::fire_ok;

both_backends!(
    evidence_is_kept_with_its_hash_and_seen_only_by_the_parties,
    an_upload_over_the_limit_gets_413_and_memory_stays_flat,
);

const BOUNDARY: &str = "pinggu-test-boundary-7d1f";

pub(crate) fn multipart(filename: &str, content: &[u8]) -> Vec<u8> {
    let mut body = format!(
        "--{BOUNDARY}\r\ncontent-disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n\
         content-type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

pub(crate) fn content_type() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

pub(crate) fn pdf(size: usize) -> Vec<u8> {
    let mut content = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    content.resize(size, b' ');
    content
}

async fn evidence_is_kept_with_its_hash_and_seen_only_by_the_parties(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (s, who, id, zones) = opened(&app).await;
    let other = district(&app, &s.admin, "海珠", "haizhu").await;
    let path = format!("/api/v1/evaluations/{id}/attachments");

    let content = pdf(300_000);
    let response = app
        .upload(
            &path,
            &who.station,
            &content_type(),
            multipart("../自评/培训记录.pdf", &content),
        )
        .await;
    let status = response.status();
    let created: Value = response.json().await.expect("json");
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let expected_hash: String = Sha256::digest(&content)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(created["sha256"], expected_hash.as_str());
    assert_eq!(created["bytes"], 300_000);
    assert_eq!(created["content_type"], "application/pdf");
    assert_eq!(
        created["filename"], "培训记录.pdf",
        "path components are dropped"
    );

    // Every party downloads the same bytes; another district sees nothing.
    let file = format!("/api/v1/attachments/{}", id_of(&created));
    for token in [&who.agency, &s.bureau, &who.station] {
        let download = app.get(&file, Some(token)).await;
        assert_eq!(download.status(), StatusCode::OK);
        assert_eq!(download.headers()["content-type"], "application/pdf");
        assert_eq!(
            download.bytes().await.expect("bytes").as_ref(),
            content.as_slice()
        );
    }
    assert_problem(
        app.get(&file, Some(&other.bureau)).await,
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    assert_problem(
        app.get(&path, Some(&other.bureau)).await,
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    // A file smaller than the part read to judge its type (a one-page scan's stub).
    let tiny = pdf(200);
    let response = app
        .upload(
            &path,
            &who.station,
            &content_type(),
            multipart("签到表.pdf", &tiny),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let small: Value = response.json().await.expect("json");
    assert_eq!(small["bytes"], 200);
    let listed = app.get_json(&path, Some(&who.agency)).await;
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(2));

    // An executable called .pdf is refused by its content; nothing is kept.
    let mut elf = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0".to_vec();
    elf.resize(20_000, 0);
    let problem = assert_problem(
        app.upload(
            &path,
            &who.station,
            &content_type(),
            multipart("报告.pdf", &elf),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(error_fields(&problem), ["file"]);
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("ELF"))
    );

    // Only the station uploads, and only while it may edit.
    for token in [&who.agency, &s.bureau] {
        let response = app
            .upload(&path, token, &content_type(), multipart("a.pdf", &pdf(100)))
            .await;
        assert_problem(response, StatusCode::FORBIDDEN, "forbidden").await;
    }
    let response = app
        .upload(
            &path,
            &other.bureau,
            &content_type(),
            multipart("a.pdf", &pdf(100)),
        )
        .await;
    assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;
    crate::self_assessment::fill(&app, &who.station, id, &zones).await;
    fire_ok(
        &app,
        &who.station,
        id,
        "submit_self_assessment",
        None,
        "onsite_scoring",
    )
    .await;
    let late = app
        .upload(
            &path,
            &who.station,
            &content_type(),
            multipart("a.pdf", &pdf(100)),
        )
        .await;
    assert_problem(late, StatusCode::CONFLICT, "transition-refused").await;
    let listed = app.get_json(&path, Some(&who.agency)).await;
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(2));
    // Kept in the database on PostgreSQL, in storage.dir on SQLite.
    let stored = match backend {
        Backend::Postgres => {
            app.count("SELECT COUNT(DISTINCT storage_key) AS n FROM file_chunks")
                .await as usize
        }
        Backend::Sqlite => std::fs::read_dir(
            app.db
                .dir
                .path()
                .join("files/evaluations")
                .join(id.to_string()),
        )
        .expect("stored files")
        .count(),
    };
    assert_eq!(stored, 2, "refused uploads leave no file behind");
    let timeline = app
        .get_json(
            &format!("/api/v1/evaluations/{id}/timeline"),
            Some(&who.agency),
        )
        .await;
    assert!(
        timeline["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|i| i["action"] == "upload_attachment")
    );
}

async fn an_upload_over_the_limit_gets_413_and_memory_stays_flat(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_s, who, id, _zones) = opened(&app).await;
    let server = ServeChild::start(&app, &[("PINGGU__STORAGE__MAX_UPLOAD_MB", "8")]).await;
    let base = &server.base;
    let client = reqwest::Client::new();
    let url = format!("{base}/api/v1/evaluations/{id}/attachments");
    // Warm up with a 1 MB upload within the limit.
    let small = client
        .post(&url)
        .bearer_auth(&who.station)
        .header("content-type", content_type())
        .body(multipart("小.pdf", &pdf(1_000_000)))
        .send()
        .await
        .expect("upload");
    assert_eq!(small.status(), StatusCode::CREATED);
    let before = server.status_kb("VmRSS");

    // 64 MB, generated as it is sent: the client holds no copy either.
    let head = format!(
        "--{BOUNDARY}\r\ncontent-disposition: form-data; name=\"file\"; filename=\"大.pdf\"\r\n\r\n"
    );
    let chunk = vec![b' '; 64 * 1024];
    let parts: Vec<Result<Vec<u8>, std::io::Error>> =
        vec![Ok(head.into_bytes()), Ok(pdf(64 * 1024))];
    let body = stream::iter(parts)
        .chain(stream::iter((0..1023).map(move |_| Ok(chunk.clone()))))
        .chain(stream::iter([Ok(
            format!("\r\n--{BOUNDARY}--\r\n").into_bytes()
        )]));
    let response = client
        .post(&url)
        .bearer_auth(&who.station)
        .header("content-type", content_type())
        .body(reqwest::Body::wrap_stream(body))
        .send()
        .await
        .expect("the server answers");
    assert_problem(response, StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large").await;
    let peak = server.status_kb("VmHWM");
    eprintln!("upload of 64 MB over an 8 MB limit: VmRSS before {before} kB, peak after {peak} kB");
    assert!(
        peak < before + 24 * 1024,
        "the server held the upload in memory: {before} kB → peak {peak} kB"
    );
    let listed: Value = client
        .get(&url)
        .bearer_auth(&who.station)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    assert_eq!(
        listed["items"].as_array().map(Vec::len),
        Some(1),
        "only the small file"
    );
    server.stop().await;
}
