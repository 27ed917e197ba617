//! Reports end to end: the draft issued with the evaluation, feedback and objections answered,
//! a revised draft, the bureau's return and approval, frozen versions served byte-identical, the
//! rectification items of the final report, and reopen leading to a new final.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::*;
use crate::scoring::{score_all, user};
use crate::self_assessment::{fill, opened};
use crate::workflow::{fire, fire_ok};

both_backends!(the_objection_flow_ends_in_a_frozen_final_report);

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub async fn versions(app: &TestApp, token: &str, id: i64) -> Vec<Value> {
    app.get_json(&format!("/api/v1/evaluations/{id}/reports"), Some(token))
        .await["items"]
        .as_array()
        .cloned()
        .expect("items")
}

/// Downloads a version's file and checks it against the stored hash and size.
pub async fn download(app: &TestApp, token: &str, version: &Value, format: &str) -> Vec<u8> {
    let file = version["files"]
        .as_array()
        .expect("files")
        .iter()
        .find(|f| f["format"] == format)
        .cloned()
        .expect("file of the format");
    let url = file["url"].as_str().expect("url");
    let response = app.get(url, Some(token)).await;
    assert_eq!(response.status(), StatusCode::OK, "{url}");
    let bytes = response.bytes().await.expect("bytes").to_vec();
    assert_eq!(file["sha256"], sha256_hex(&bytes), "{url}");
    assert_eq!(file["bytes"].as_u64(), Some(bytes.len() as u64));
    bytes
}

/// A Word document read back with a parser: its heading texts in order, the text of every
/// paragraph (tables included), and each table's (rows, cells of the first body row).
pub struct WordText {
    pub headings: Vec<String>,
    pub text: String,
    pub tables: Vec<(usize, usize)>,
}

pub fn read_word(bytes: &[u8]) -> WordText {
    use docx_rs::{DocumentChild, TableCellContent, TableChild, TableRowChild};
    let docx = docx_rs::read_docx(bytes).expect("a Word document");
    let mut read = WordText {
        headings: Vec::new(),
        text: String::new(),
        tables: Vec::new(),
    };
    for child in &docx.document.children {
        match child {
            DocumentChild::Paragraph(p) => {
                let line = p.raw_text();
                if p.property
                    .style
                    .as_ref()
                    .is_some_and(|s| s.val.starts_with("Heading"))
                {
                    read.headings.push(line.clone());
                }
                read.text.push_str(&line);
                read.text.push('\n');
            }
            DocumentChild::Table(t) => {
                let mut widths = Vec::new();
                for TableChild::TableRow(row) in &t.rows {
                    widths.push(row.cells.len());
                    for TableRowChild::TableCell(cell) in &row.cells {
                        for content in &cell.children {
                            if let TableCellContent::Paragraph(p) = content {
                                read.text.push_str(&p.raw_text());
                                read.text.push('\t');
                            }
                        }
                    }
                }
                read.tables
                    .push((t.rows.len(), widths.last().copied().unwrap_or(0)));
            }
            _ => {}
        }
    }
    read
}

/// The text of each h2/h3/h4 heading of the HTML, in order.
pub fn headings(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for tag in html.split('<').skip(1) {
        let Some((name, rest)) = tag.split_once('>') else {
            continue;
        };
        if ["h2", "h3", "h4"].contains(&name) {
            found.push(rest.to_owned());
        }
    }
    found
}

async fn the_objection_flow_ends_in_a_frozen_final_report(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (s, who, id, zones) = opened(&app).await;
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
    score_all(&app, &s, &who, id, "rp").await;
    let component = format!("/api/v1/evaluations/{id}/components/third_party");
    let current = app.get_json(&component, Some(&who.agency)).await;
    let comments = json!({
        "version": current["version"],
        "strengths": [{"section": "management", "text": "社工站制定了相对规范的管理制度。"}],
        "concerns": [{"section": "zones", "zone_id": zones[0], "text": "片区一服务落实较为零散。", "suggestion": "加强片区统筹。"}],
        "conclusion": "社工站以党建引领为核心。\n下阶段，建议社工站进一步强化党建引领与资源整合。",
    });
    let path = format!("{component}/withdraw");
    assert_eq!(
        app.request(Method::POST, &path, Some(&who.agency), None)
            .await
            .status(),
        StatusCode::OK
    );
    let mut body = comments.clone();
    body["version"] = json!(current["version"].as_i64().unwrap_or(0) + 1);
    let saved = app
        .request(Method::PUT, &component, Some(&who.agency), Some(&body))
        .await;
    assert_eq!(saved.status(), StatusCode::OK);
    let path = format!("{component}/submit");
    assert_eq!(
        app.request(Method::POST, &path, Some(&who.agency), None)
            .await
            .status(),
        StatusCode::OK
    );
    fire_ok(&app, &who.agency, id, "issue_draft", None, "draft_feedback").await;

    // Draft v1 exists, in HTML, with the outline's headings in order and the figures.
    let drafts = versions(&app, &who.station, id).await;
    assert_eq!(drafts.len(), 1);
    assert_eq!(
        (drafts[0]["version"].as_i64(), drafts[0]["kind"].as_str()),
        (Some(1), Some("draft"))
    );
    let html =
        String::from_utf8(download(&app, &who.station, &drafts[0], "html").await).expect("utf-8");
    assert!(html.contains(r#"<html lang="zh-CN">"#));
    assert_eq!(
        headings(&html),
        [
            "一、社工站基本情况",
            "二、评估依据、评估原则及评估办法",
            "三、监督方评估（荔湾区民政局）",
            "四、购买方评估（荔湾街道办事处）",
            "五、督导中心评估（荔湾督导中心）",
            "六、第三方专业评估",
            "（一）项目管理",
            "（二）社工站总体服务开展情况",
            "1.服务指标完成情况",
            "（三）各社工点服务开展情况",
            "七、评估结果",
            "八、结语",
            "附件1：指标完成情况统计表",
            "附件2：社工到岗情况统计表",
            "附件3：评估反馈及处理情况",
        ]
    );
    for said in [
        "以上四项总得分：89.08分　等级：良好",
        "（一）购买方评估 得分：20.00 分",
        "（四）第三方评估 得分：46.98 分",
        "1.指标完成情况统计表",
        "3.评估反馈及处理情况",
        "社工站制定了相对规范的管理制度。",
        "片区一服务落实较为零散。建议：加强片区统筹。",
        "持证社工应到岗65人次，实到岗77.5人次，超配12.5人次",
        "占社会工作者实际到岗人次的76.76%",
        "征求意见稿（第 1 稿）",
    ] {
        assert!(html.contains(said), "the draft says {said}");
    }
    // The same in Word: headings in order, the figures, the annex tables' cells.
    let word = read_word(&download(&app, &who.station, &drafts[0], "docx").await);
    assert_eq!(word.headings, headings(&html));
    for said in [
        "以上四项总得分：89.08分　等级：良好",
        "第三方评估 得分：46.98 分",
        "超配12.5人次",
    ] {
        assert!(word.text.contains(said), "the Word draft says {said}");
    }
    // Annex 1: whole indicator groups, seven indicators a table (3 header rows, 3 zones, 合计)
    // → 片区, 投入社工人数 and 7 × 3 cells a row; then the station-wide table; annex 2: 24
    // workers, two 小计 rows per 类型 and the two 总计 rows.
    assert_eq!(word.tables[0], (7, 23));
    assert_eq!(word.tables.len(), 4, "{:?}", word.tables);
    assert_eq!(
        word.tables[3].0,
        2 + 24 + 2 * 2 + 2,
        "24 workers, the groups' 小计 and the 总计 rows"
    );
    let html_rows = html.matches("<tr>").count();
    let word_rows: usize = word.tables.iter().map(|(rows, _)| rows).sum();
    assert_eq!(html_rows, word_rows, "the same tables in both formats");
    let other = user(&app, &s, "other-street", "street", "member").await.1;
    let url = drafts[0]["files"][0]["url"]
        .as_str()
        .expect("url")
        .to_owned();
    assert_eq!(app.get(&url, Some(&other)).await.status(), StatusCode::OK);

    // The station objects to a section; the agency rejects it with a reply.
    let feedback = format!("/api/v1/evaluations/{id}/feedback");
    let objection = json!({"report_id": drafts[0]["id"], "no_objection": false,
        "objections": [{"section": "zones", "text": "片区一的服务并不零散，请核实。"}]});
    let bad_section = json!({"report_id": drafts[0]["id"], "no_objection": false,
        "objections": [{"section": "nowhere", "text": "？"}]});
    let problem = assert_problem(
        app.post(&feedback, Some(&who.station), &bad_section).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(error_fields(&problem), ["objections[0].section"]);
    assert_eq!(
        app.post(&feedback, Some(&who.station), &objection)
            .await
            .status(),
        StatusCode::CREATED
    );
    assert_problem(
        app.post(&feedback, Some(&who.station), &objection).await,
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;
    assert_problem(
        app.post(&feedback, Some(&who.agency), &objection).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let refused = assert_problem(
        fire(&app, &who.agency, id, "submit_for_review", None).await,
        StatusCode::CONFLICT,
        "transition-refused",
    )
    .await;
    assert!(
        refused["missing"][0]
            .as_str()
            .is_some_and(|m| m.contains("1 条异议")),
        "{refused}"
    );
    let listed = app.get_json(&feedback, Some(&s.bureau)).await;
    let objection_id = id_of(&listed["items"][0]["objections"][0]);
    let answer = format!("/api/v1/objections/{objection_id}/response");
    let reply = json!({"decision": "rejected", "reply": "经现场核实，各社工点服务未形成统筹。"});
    assert_problem(
        app.post(&answer, Some(&who.station), &reply).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let answered = app.post(&answer, Some(&who.agency), &reply).await;
    assert_eq!(answered.status(), StatusCode::OK);
    fire_ok(
        &app,
        &who.agency,
        id,
        "submit_for_review",
        None,
        "bureau_review",
    )
    .await;
    fire_ok(
        &app,
        &s.bureau,
        id,
        "return_draft",
        Some("请在报告中写明异议的答复"),
        "draft_feedback",
    )
    .await;

    // v2: the revised draft tells the feedback and the answer.
    let revised = app
        .request(
            Method::POST,
            &format!("/api/v1/evaluations/{id}/reports"),
            Some(&who.agency),
            None,
        )
        .await;
    assert_eq!(revised.status(), StatusCode::CREATED);
    let revised: Value = revised.json().await.expect("json");
    assert_eq!(revised["version"], 2);
    let html = String::from_utf8(download(&app, &s.bureau, &revised, "html").await).expect("utf-8");
    assert!(html.contains("对“各社工点服务开展情况”提出异议：片区一的服务并不零散，请核实。（评估方未采纳该异议，答复：经现场核实，各社工点服务未形成统筹。）"), "v2 tells the objection");
    assert!(html.contains("在反馈期限内未反馈，视为无异议。"));
    // The comparison of v1 and v2 names the feedback section's new sentences.
    let compared = app
        .get_json(
            &format!(
                "/api/v1/reports/{}/compare/{}",
                drafts[0]["id"], revised["id"]
            ),
            Some(&who.station),
        )
        .await;
    let changed: Vec<&str> = compared["sections"]
        .as_array()
        .expect("sections")
        .iter()
        .filter_map(|c| c["section"].as_str())
        .collect();
    assert_eq!(changed, ["annex_feedback"], "{compared}");
    let added: Vec<&str> = compared["sections"][0]["added"]
        .as_array()
        .expect("added")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        added.iter().any(|a| a.contains("片区一的服务并不零散")),
        "{added:?}"
    );
    fire_ok(
        &app,
        &who.agency,
        id,
        "submit_for_review",
        None,
        "bureau_review",
    )
    .await;
    let done = fire_ok(&app, &s.bureau, id, "approve", None, "final").await;
    assert_eq!(done["score"]["total"], "89.08");

    // The final report: frozen, byte-identical on every download, approval on it.
    let all = versions(&app, &who.station, id).await;
    assert_eq!(all.len(), 3);
    let last = &all[2];
    assert_eq!(
        (last["version"].as_i64(), last["kind"].as_str()),
        (Some(3), Some("final"))
    );
    let first = download(&app, &who.station, last, "html").await;
    let again = download(&app, &s.admin, last, "html").await;
    assert_eq!(first, again);
    let html = String::from_utf8(first.clone()).expect("utf-8");
    let approved = html
        .find("本报告经")
        .map(|at| html[at..].chars().take(40).collect::<String>());
    assert!(
        approved
            .as_deref()
            .is_some_and(|a| a.starts_with("本报告经荔湾区民政局（用户liwan-bureau）于")),
        "approval: {approved:?}"
    );
    assert!(!html.contains("征求意见稿"));
    // The PDF, read back with a parser: the headings in order, the figures and the grade.
    let printed = download(&app, &who.station, last, "pdf").await;
    let text: String = pdf_extract::extract_text_from_mem(&printed)
        .expect("a PDF")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let mut at = 0;
    for heading in headings(&html) {
        let found = text[at..].find(&heading);
        assert!(
            found.is_some(),
            "the PDF has {heading} after what came before"
        );
        at += found.unwrap_or(0) + heading.len();
    }
    for said in [
        "以上四项总得分：89.08分等级：良好",
        "（四）第三方评估得分：46.98分",
        "超配12.5人次",
    ] {
        assert!(text.contains(said), "the PDF says {said}");
    }
    assert_problem(
        app.request(
            Method::POST,
            &format!("/api/v1/evaluations/{id}/reports"),
            Some(&who.agency),
            None,
        )
        .await,
        StatusCode::CONFLICT,
        "transition-refused",
    )
    .await;

    // Its concerns are the station's rectification items.
    let items = app
        .get_json(
            &format!("/api/v1/stations/{}/rectifications", s.station),
            Some(&who.station),
        )
        .await;
    let texts: Vec<&str> = items["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["text"].as_str())
        .collect();
    assert!(
        texts.contains(&"片区一服务落实较为零散。建议：加强片区统筹。"),
        "{texts:?}"
    );
    let item = &items["items"][0];
    let path = format!("/api/v1/rectifications/{}", id_of(item));
    let update = json!({"status": "answered", "action_taken": "已建立片区统筹例会。", "version": item["version"]});
    assert_problem(
        app.request(Method::PUT, &path, Some(&who.agency), Some(&update))
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let updated = app
        .request(Method::PUT, &path, Some(&who.station), Some(&update))
        .await;
    assert_eq!(updated.status(), StatusCode::OK);
    let stale = app
        .request(Method::PUT, &path, Some(&who.station), Some(&update))
        .await;
    assert_eq!(stale.status(), StatusCode::CONFLICT);

    // The station's next evaluation shows them with their status.
    let mut next = crate::evaluations::evaluation_body(&s);
    next["kind"] = json!("final_term");
    let response = app
        .post("/api/v1/evaluations", Some(&s.bureau), &next)
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let later = id_of(&response.json::<Value>().await.expect("json"));
    let view = app
        .get_json(&format!("/api/v1/evaluations/{later}"), Some(&who.station))
        .await;
    let carried = view["previous_rectifications"].as_array().expect("items");
    assert_eq!(carried.len(), items["items"].as_array().map_or(0, Vec::len));
    assert!(
        carried
            .iter()
            .any(|i| i["status"] == "answered" && i["action_taken"] == "已建立片区统筹例会。")
    );
    // Reopen leads to a new final; the old one stays as it was.
    fire_ok(
        &app,
        &s.admin,
        id,
        "reopen",
        Some("更正笔误"),
        "draft_feedback",
    )
    .await;
    fire_ok(
        &app,
        &who.agency,
        id,
        "submit_for_review",
        None,
        "bureau_review",
    )
    .await;
    fire_ok(&app, &s.bureau, id, "approve", None, "final").await;
    let all = versions(&app, &who.station, id).await;
    assert_eq!(
        all.iter()
            .map(|v| v["kind"].as_str().unwrap_or(""))
            .collect::<Vec<_>>(),
        ["draft", "draft", "final", "final"]
    );
    assert_eq!(download(&app, &who.station, &all[2], "html").await, first);
    // The station's answers survive the second approval.
    let again = app
        .get_json(
            &format!("/api/v1/stations/{}/rectifications", s.station),
            Some(&who.station),
        )
        .await;
    assert_eq!(
        again["items"].as_array().map(Vec::len),
        items["items"].as_array().map(Vec::len)
    );
    assert!(
        again["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|i| i["status"] == "answered")
    );

    let timeline = app
        .get_json(
            &format!("/api/v1/evaluations/{id}/timeline"),
            Some(&who.station),
        )
        .await;
    let actions: Vec<&str> = timeline["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["action"].as_str())
        .collect();
    let flow: Vec<&str> = actions
        .iter()
        .copied()
        .filter(|a| {
            [
                "issue_draft",
                "give_feedback",
                "answer_objection",
                "submit_for_review",
                "return_draft",
                "revise_draft",
                "approve",
                "reopen",
            ]
            .contains(a)
        })
        .collect();
    assert_eq!(
        flow,
        [
            "issue_draft",
            "give_feedback",
            "answer_objection",
            "submit_for_review",
            "return_draft",
            "revise_draft",
            "submit_for_review",
            "approve",
            "reopen",
            "submit_for_review",
            "approve"
        ]
    );
}
