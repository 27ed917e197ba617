//! The 西村街 fixture: every comment of the four parties from the reference report
//! (demo/xicun-comments.json) with the worked example's figures gives a final report that says
//! what the reference says, in HTML, Word and PDF; the station's next evaluation reports how its
//! rectification items went.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;
use crate::reports::{download, headings, read_word, versions};
use crate::scoring::score_all_saying;
use crate::self_assessment::{fill, open, opened};
use crate::workflow::{Actors, fire_ok};

both_backends!(the_xicun_fixture_reads_like_the_reference_report);

const FIXTURE: &str = include_str!("../../demo/xicun-comments.json");
const ZONE_NAMES: [&str; 3] = ["一片区", "二片区", "三片区"];

/// The fixture's comments as component bodies: zones named in the fixture become the test
/// station's zone ids (one zone as `zone_id`, several as `zone_ids`).
fn components(zones: &[i64]) -> Value {
    let mut fixture: Value = serde_json::from_str(FIXTURE).expect("the fixture is JSON");
    let id_of_zone = |name: &Value| {
        let at = ZONE_NAMES
            .iter()
            .position(|z| name == z)
            .expect("zone name");
        json!(zones[at])
    };
    let parties = fixture["components"].as_object_mut().expect("components");
    for body in parties.values_mut() {
        for list in ["strengths", "concerns"] {
            for comment in body[list].as_array_mut().into_iter().flatten() {
                let Some(named) = comment.as_object_mut().and_then(|c| c.remove("zones")) else {
                    continue;
                };
                let ids: Vec<Value> = named
                    .as_array()
                    .expect("zones")
                    .iter()
                    .map(id_of_zone)
                    .collect();
                match ids.as_slice() {
                    [one] => comment["zone_id"] = one.clone(),
                    _ => comment["zone_ids"] = json!(ids),
                }
            }
        }
    }
    fixture["components"].take()
}

/// Every comment text of the fixture, party by party.
fn comment_texts(said: &Value) -> Vec<String> {
    let mut texts = Vec::new();
    for body in said.as_object().expect("parties").values() {
        for list in ["strengths", "concerns"] {
            for comment in body[list].as_array().into_iter().flatten() {
                texts.push(comment["text"].as_str().expect("text").to_owned());
            }
        }
    }
    texts
}

fn squeezed(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The Word document converted to PDF by LibreOffice (soffice, headless, a profile of its own so
/// that tests running at once do not share one), as `pdf_text`.
async fn libreoffice_pdf_text(docx: &[u8]) -> String {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let source = dir.path().join("report.docx");
    std::fs::write(&source, docx).expect("the Word report written");
    let profile = format!(
        "-env:UserInstallation=file://{}/profile",
        dir.path().display()
    );
    let converted = tokio::process::Command::new("soffice")
        .args([
            profile.as_str(),
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
        ])
        .arg(dir.path())
        .arg(&source)
        .output()
        .await
        .expect("LibreOffice (soffice) is installed: apt-get install libreoffice-writer-nogui");
    assert!(converted.status.success(), "{converted:?}");
    let printed = std::fs::read(dir.path().join("report.pdf")).expect("LibreOffice's PDF");
    pdf_text(&printed)
}

/// The PDF's text without whitespace and without the page footers (第 4 页, 第 4 页，共 11 页)
/// that break a paragraph running over a page.
fn pdf_text(bytes: &[u8]) -> String {
    let text = squeezed(&pdf_extract::extract_text_from_mem(bytes).expect("a PDF"));
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(at) = rest.find('第') {
        out.push_str(&rest[..at]);
        let after = &rest[at + '第'.len_utf8()..];
        let digits = after.len() - after.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits > 0 && after[digits..].starts_with('页') {
            rest = &after[digits + '页'.len_utf8()..];
            if let Some(total) = rest.strip_prefix("，共") {
                let digits =
                    total.len() - total.trim_start_matches(|c: char| c.is_ascii_digit()).len();
                if let Some(after) = total[digits..].strip_prefix('页') {
                    rest = after;
                }
            }
        } else {
            out.push('第');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// Walks evaluation `id` from its opened self-assessment to the issued draft.
async fn to_draft(
    app: &TestApp,
    s: &crate::evaluations::Setup,
    who: &Actors,
    id: i64,
    zones: &[i64],
    key: &str,
) {
    fill(app, &who.station, id, zones).await;
    fire_ok(
        app,
        &who.station,
        id,
        "submit_self_assessment",
        None,
        "onsite_scoring",
    )
    .await;
    score_all_saying(app, s, who, id, key, &components(zones)).await;
    fire_ok(app, &who.agency, id, "issue_draft", None, "draft_feedback").await;
}

/// Rows of the reference's annexes as the report must print them, cell by cell: annex 1's first
/// zone and its 合计 (投入社工人数, then 协议量, 完成量, 百分比; "/" where 咨询个案 does not
/// apply), annex 2's subtotals (heads per column, person-months per month, then the period's
/// 到岗 and 2年以上 subtotals) and the line of 稳岗率.
const ANNEX_ROWS: [&[&str]; 8] = [
    &[
        "一片区",
        "6",
        "742",
        "742",
        "100.00%",
        "700",
        "538",
        "76.86%",
        "1724",
        "1855",
        "107.60%",
        "/",
        "/",
        "/",
    ],
    &[
        "合计", "14", "1533", "1533", "100.00%", "1400", "1011", "72.21%",
    ],
    &[
        "持证社工小计（人数）",
        "16",
        "16",
        "16",
        "18",
        "18",
        "18",
        "17",
        "17",
        "17",
        "14",
        "14",
        "14",
        "13",
        "13",
        "13",
        "77.5",
        "61",
    ],
    &[
        "持证社工有效人次小计",
        "16",
        "18",
        "17",
        "13.5",
        "13",
        "77.5",
        "61",
    ],
    &[
        "非持证社工有效人次小计",
        "4",
        "4",
        "3",
        "2",
        "2",
        "15",
        "10",
    ],
    &[
        "每月社保购买、工资发放、人员到岗等情况总计",
        "20",
        "20",
        "20",
        "22",
        "22",
        "22",
        "20",
        "20",
        "20",
        "16",
        "16",
        "16",
        "15",
        "15",
        "15",
        "92.5",
        "71",
    ],
    &[
        "社工有效人次小计（即持证社工及非持证社工有效人次总数）",
        "20",
        "22",
        "20",
        "15.5",
        "15",
        "92.5",
        "71",
    ],
    &["评估期内持续在岗社工14人，协议要求配备社工20人，稳岗率70.00%。"],
];

/// The indicator groups heading annex 1's zone tables, table after table.
fn annex_groups(html: &str) -> Vec<String> {
    let annex = html
        .split("附件1：")
        .last()
        .and_then(|rest| rest.split("附件2：").next())
        .unwrap_or_default();
    let mut groups = Vec::new();
    for table in annex.split("<table").skip(1) {
        let Some(first_row) = table.split("</tr>").next() else {
            continue;
        };
        let cells: Vec<&str> = first_row
            .split("<th")
            .skip(1)
            .filter(|cell| !cell.starts_with("ead"))
            .filter_map(|cell| {
                cell.split_once('>')
                    .and_then(|(_, t)| t.split("</th>").next())
            })
            .collect();
        if cells.first() == Some(&"服务片区") {
            groups.extend(cells[2..].iter().map(|g| (*g).to_owned()));
        }
    }
    groups
}

async fn the_xicun_fixture_reads_like_the_reference_report(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (s, who, id, zones) = opened(&app).await;
    to_draft(&app, &s, &who, id, &zones, "xc").await;
    // The feedback deadline of the fixture's dates is past: silence counts as no objection.
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
    let last = all.last().expect("the final version");
    assert_eq!(last["kind"], "final");

    let html = String::from_utf8(download(&app, &who.station, last, "html").await).expect("utf-8");
    // The indicator paragraph counts the zones' services, not the station-wide work.
    let paragraph = html
        .split("评估期末月，社工站完成")
        .nth(1)
        .and_then(|rest| rest.split("</p>").next())
        .expect("the indicator paragraph");
    for station_wide in ["品牌创建工作", "培训时数", "社区调研"] {
        assert!(!paragraph.contains(station_wide), "{paragraph}");
    }
    // `cargo bench --bench reports` renders this model; refresh its copy with
    // PINGGU_REPORT_FIXTURE=benches/fixtures/xicun-report.json.
    if let Ok(path) = std::env::var("PINGGU_REPORT_FIXTURE") {
        let url = format!("/api/v1/reports/{}.json", last["id"]);
        let model = app.get_json(&url, Some(&who.station)).await;
        std::fs::write(path, serde_json::to_string_pretty(&model).expect("json")).expect("fixture");
    }
    let outline = [
        "一、社工站基本情况",
        "二、评估依据、评估原则及评估办法",
        "三、监督方评估（荔湾区民政局）",
        "四、购买方评估（荔湾街道办事处）",
        "五、督导中心评估（荔湾督导中心）",
        "六、第三方专业评估",
        "（一）项目管理",
        "（二）社工站总体服务开展情况",
        "1.项目执行与服务成效",
        "2.服务指标完成情况",
        "（三）各社工点服务开展情况",
        "七、评估结果",
        "八、结语",
        "附件1：指标完成情况统计表",
        "附件2：社工到岗情况统计表",
        "附件3：评估反馈及处理情况",
    ];
    assert_eq!(headings(&html), outline);
    let said = components(&zones);
    let texts = comment_texts(&said);
    assert_eq!(
        texts.len(),
        1 + 1 + 1 + 3 + 3 + 17 + 11,
        "every comment of the reference"
    );
    let conclusion: Vec<&str> = said["third_party"]["conclusion"]
        .as_str()
        .expect("conclusion")
        .lines()
        .collect();
    let figures = [
        // The reference's order and wording (its own punctuation aside).
        "（一）购买方评估 得分：20.00 分",
        "（二）监督方评估 得分：8.30 分",
        "（三）督导中心评估 得分：13.80 分",
        "（四）第三方评估 得分：46.98 分",
        "以上四项总得分：89.08分　等级：良好",
        "社工站完成困难群众和特殊群体建档1533",
        "（以上数据统计共计5个考核月份，由社工服务站提供，各片区指标完成情况见附件1）",
        "协议经费120.00万元，要求配备社工20名（其中持证社工13名），评估期末月在岗社工",
        "持证社工应到岗65人次，实到岗77.5人次，超配12.5人次",
        "本次评估购买方没有提出需要关注的地方。",
        "1.一片区社工点服务情况",
        "2.二片区、三片区社工点服务情况",
    ];
    for text in texts
        .iter()
        .map(String::as_str)
        .chain(conclusion.iter().copied())
        .chain(figures)
    {
        assert!(html.contains(text), "the HTML says {text}");
    }

    let word_bytes = download(&app, &who.station, last, "docx").await;
    let word = read_word(&word_bytes);
    assert_eq!(word.headings, outline);
    for text in texts
        .iter()
        .map(String::as_str)
        .chain(conclusion.iter().copied())
        .chain(figures)
    {
        assert!(word.text.contains(text), "the Word report says {text}");
    }
    // Annex 1: two zone tables of seven indicators, whole groups each (3 header rows, 3 zones,
    // 合计 → 片区, 投入社工人数 and 7 × 3 cells a row), the station-wide table; annex 2: two
    // header rows, 24 workers, two 小计 rows per 类型 and the two 总计 rows.
    assert_eq!(word.tables[0], (7, 23));
    assert_eq!(word.tables[1], (7, 23));
    assert_eq!(word.tables.len(), 4, "{:?}", word.tables);
    assert_eq!(word.tables[3], (2 + 24 + 2 * 2 + 2, 1 + 5 + 3));
    for row in ANNEX_ROWS {
        assert!(
            word.text.contains(&row.join("\t")),
            "the Word annexes have the row {row:?}"
        );
    }
    // Header rows repeat on each page, and no row breaks across one.
    let document = {
        use std::io::Read;
        let mut archive =
            zip::ZipArchive::new(std::io::Cursor::new(word_bytes.clone())).expect("a zip");
        let mut xml = String::new();
        archive
            .by_name("word/document.xml")
            .expect("the document")
            .read_to_string(&mut xml)
            .expect("xml");
        xml
    };
    let rows = document.matches("<w:tr>").count();
    assert_eq!(document.matches("<w:cantSplit />").count(), rows);
    assert_eq!(
        document.matches("<w:tblHeader />").count(),
        3 + 3 + 1 + 2,
        "the header rows of the four annex tables"
    );
    let groups = annex_groups(&html);
    let mut distinct = groups.clone();
    distinct.dedup();
    assert_eq!(
        groups, distinct,
        "no indicator group is split over two tables"
    );
    assert_eq!(groups.len(), 8, "{groups:?}");

    // LibreOffice opens the Word report and prints what it says (and .ci/run installs it).
    // The report number heads the cover and every page's footer; read without it, paragraphs
    // run on over page breaks.
    let number = last["number"].as_str().expect("a report number").to_owned();
    assert!(
        number.starts_with("荔湾评估机构〔") && number.ends_with("〕第001号"),
        "the agency's first number of the year, under its name without a prefix: {number}"
    );
    assert!(html.contains(&number) && word.text.contains(&number));
    let text = libreoffice_pdf_text(&word_bytes).await;
    assert!(
        text.matches(&number).count() > 10,
        "the number on the cover and on every page"
    );
    let text = text.replace(&number, "");
    let mut at = 0;
    for heading in outline {
        let found = text[at..].find(heading);
        assert!(
            found.is_some(),
            "LibreOffice shows {heading} after what came before"
        );
        at += found.unwrap_or(0) + heading.len();
    }
    for said in figures
        .into_iter()
        .chain(texts.iter().map(String::as_str).take(3))
    {
        assert!(text.contains(&squeezed(said)), "LibreOffice shows {said}");
    }
    for row in ANNEX_ROWS {
        let row = row.concat();
        assert!(text.contains(&row), "LibreOffice shows the annex row {row}");
    }

    let printed = download(&app, &who.station, last, "pdf").await;
    // The same bytes from the page's 报告 tab, for the logged-in station.
    let (cookie, _) = crate::pages::form_login(&app, "liwan-station").await;
    let session = format!("pinggu_session={}", crate::pages::cookie_value(&cookie));
    let client = crate::pages::plain_client();
    let tab = client
        .get(app.url(&format!("/evaluations/{id}?tab=reports")))
        .header(reqwest::header::COOKIE, &session)
        .send()
        .await
        .expect("reports tab")
        .text()
        .await
        .expect("html");
    let link = format!("/reports/{}/pdf", last["id"]);
    assert!(tab.contains(&link) && tab.contains("最终报告"), "{tab}");
    let from_page = client
        .get(app.url(&link))
        .header(reqwest::header::COOKIE, &session)
        .send()
        .await
        .expect("pdf");
    assert_eq!(from_page.status(), StatusCode::OK);
    assert_eq!(from_page.bytes().await.expect("bytes").to_vec(), printed);
    let text = pdf_text(&printed);
    assert!(
        text.matches(&number).count() > 10,
        "the PDF's pages are numbered too"
    );
    let text = text.replace(&number, "");
    let mut at = 0;
    for heading in outline {
        let found = text[at..].find(heading);
        assert!(
            found.is_some(),
            "the PDF has {heading} after what came before"
        );
        at += found.unwrap_or(0) + heading.len();
    }
    for said in texts.iter().map(String::as_str).chain(figures) {
        assert!(text.contains(&squeezed(said)), "the PDF says {said}");
    }
    for row in ANNEX_ROWS {
        let row = row.concat();
        assert!(text.contains(&row), "the PDF has the annex row {row}");
    }

    // The station answers two of its rectification items.
    let path = format!("/api/v1/stations/{}/rectifications", s.station);
    let items = app.get_json(&path, Some(&who.station)).await;
    let items = items["items"].as_array().cloned().expect("items");
    assert_eq!(
        items.len(),
        1 + 3 + 11,
        "one item per concern of the final report"
    );
    // The 整改 tab: the station answers the center's first item on the page; a second save from
    // the same (now stale) form is refused and shows the item as it now is.
    let center = items
        .iter()
        .find(|i| i["party"] == "center")
        .cloned()
        .expect("a center item");
    let tab = client
        .get(app.url(&format!("/evaluations/{id}?tab=rectification")))
        .header(reqwest::header::COOKIE, &session)
        .send()
        .await
        .expect("tab")
        .text()
        .await
        .expect("html");
    let action = format!("/rectifications/{}/answer", center["id"]);
    assert!(tab.contains(&action), "the station's form");
    let csrf = tab
        .split(r#"name="csrf" value=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .to_owned();
    let version = center["version"].to_string();
    let form = [
        ("csrf", csrf.as_str()),
        ("evaluation_id", &id.to_string()),
        ("version", version.as_str()),
        ("status", "answered"),
        ("action_taken", "制定社工成长支持计划。"),
    ];
    let saved = client
        .post(app.url(&action))
        .header(reqwest::header::COOKIE, &session)
        .form(&form)
        .send()
        .await
        .expect("saved");
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let again = client
        .post(app.url(&action))
        .header(reqwest::header::COOKIE, &session)
        .form(&form)
        .send()
        .await
        .expect("stale");
    assert_eq!(again.status(), StatusCode::OK);
    let html = again.text().await.expect("html");
    assert!(html.contains("已被他人更新"), "the stale save is refused");
    assert!(html.contains("整改情况：已整改，待核验"));
    assert!(html.contains("整改措施：制定社工成长支持计划。"));
    let answers = [
        ("answered", "已建立意见反馈闭环记录。"),
        ("open", "正在组织伦理规范复训。"),
    ];
    let mut answered = Vec::new();
    for (item, (status, action)) in items
        .iter()
        .filter(|i| i["party"] == "third_party")
        .zip(answers)
    {
        let update = json!({"status": status, "action_taken": action, "version": item["version"]});
        let response = app
            .request(
                Method::PUT,
                &format!("/api/v1/rectifications/{}", id_of(item)),
                Some(&who.station),
                Some(&update),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        answered.push((
            item["text"].as_str().expect("text").to_owned(),
            status,
            action,
        ));
    }

    // The next evaluation of the station, walked to its draft, reports them in 上期评估整改情况.
    let mut next = crate::evaluations::evaluation_body(&s);
    next["kind"] = json!("final_term");
    let response = app
        .post("/api/v1/evaluations", Some(&s.bureau), &next)
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let later = id_of(&response.json::<Value>().await.expect("json"));
    let zones = open(&app, &s, &who, later).await;
    to_draft(&app, &s, &who, later, &zones, "xc2").await;
    let draft = versions(&app, &who.station, later).await;
    let html =
        String::from_utf8(download(&app, &who.station, &draft[0], "html").await).expect("utf-8");
    let sections = headings(&html);
    let at = sections
        .iter()
        .position(|h| h.ends_with("上期评估整改情况"));
    assert_eq!(
        at,
        Some(11),
        "after the third party's sections: {sections:?}"
    );
    for (text, status, action) in &answered {
        let status = if *status == "answered" {
            "已整改，待核验"
        } else {
            "未整改"
        };
        let line = format!("{text}（整改情况：{status}。{action}）");
        assert!(html.contains(&line), "the next report says {line}");
    }
    assert!(
        html.contains("（整改情况：已整改，待核验。制定社工成长支持计划。）"),
        "the page's answer"
    );
    let open_items = html.matches("（整改情况：未整改）").count();
    assert_eq!(open_items, items.len() - answered.len() - 1);
    let word = read_word(&download(&app, &who.station, &draft[0], "docx").await);
    assert_eq!(word.headings, sections);
}
