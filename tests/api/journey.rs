//! The whole 西村街 evaluation in the pages, every step by the user who owns it, each in their
//! own headless Chromium session: the agency opens; the station types one zone, uploads the
//! rest as .xlsx (a broken workbook first, refused cell by cell), uploads the roster, saves it
//! again through the editor, adds evidence and the narrative and submits; the agency assigns
//! three experts, who declare and score; the bureau, the street office and the center enter
//! their components and the agency its own; the draft; the station objects; the agency answers;
//! the bureau returns the draft; a revised draft and its comparison; approval; the final report
//! downloaded and read. Screenshots of every stage go to target/screenshots/journey-*.

use std::time::Duration;

use fantoccini::{Client, Locator};
use reqwest::StatusCode;
use reqwest::header::COOKIE;
use serde_json::Value;

use crate::helpers::*;
use crate::pages::{
    Driver, END, ENTER, SPACE, log_in, mark_page, plain_client, press_keys, screenshot, tab_until,
    text_of, wait_for_next_page, wait_for_path,
};
use crate::scoring::user;
use crate::self_assessment::XICUN;
use crate::workbooks::{indicator_workbook, names, roster_workbook};

both_backends!(
    the_xicun_evaluation_runs_start_to_end_in_the_pages,
    a_guangzhou_2019_evaluation_offers_each_party_what_the_api_allows,
);

/// Logs `username` in on a new browser at the evaluation's page.
async fn session(driver: &Driver, app: &TestApp, username: &str, id: i64) -> Client {
    let browser = driver.browser(1280, 900).await;
    browser
        .goto(&app.url(&format!("/evaluations/{id}")))
        .await
        .expect("page");
    log_in(&browser, username).await;
    wait_for_path(&browser, &format!("/evaluations/{id}")).await;
    browser
}

async fn tab(browser: &Client, app: &TestApp, id: i64, name: &str) {
    browser
        .goto(&app.url(&format!("/evaluations/{id}?tab={name}")))
        .await
        .expect("tab");
    wait_for_path(browser, &format!("/evaluations/{id}")).await;
}

pub(crate) async fn type_into(browser: &Client, css: &str, text: &str) {
    let field = browser
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("{css} on the page"));
    field.clear().await.expect("cleared");
    field.send_keys(text).await.expect("typed");
}

/// Sets a select's value as a keyboard user would pick it.
async fn choose(browser: &Client, css: &str, value: &str) {
    browser
        .execute(
            "const s = document.querySelector(arguments[0]); s.value = arguments[1]; \
             s.dispatchEvent(new Event('change', {bubbles: true})); return s.value;",
            vec![css.into(), value.into()],
        )
        .await
        .expect("chosen");
}

/// Clicks and waits for the next page; `confirm` accepts the question the button asks first.
pub(crate) async fn click(browser: &Client, css: &str, confirm: bool) {
    let button = browser
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("{css} on the page"));
    mark_page(browser).await;
    button.click().await.expect("clicked");
    if confirm {
        browser.accept_alert().await.expect("confirmed");
    }
    wait_for_next_page(browser).await;
}

/// Fires a workflow button (typing the reason where it asks for one).
async fn press(browser: &Client, event: &str, reason: Option<&str>) {
    if let Some(reason) = reason {
        type_into(browser, &format!("#action-{event}-reason"), reason).await;
    }
    click(browser, &format!("button[data-event='{event}']"), true).await;
    assert!(
        browser.find(Locator::Css("div.error")).await.is_err(),
        "{event} went through: {}",
        browser.source().await.unwrap_or_default()
    );
    // The page says in one line what was done.
    let said = text_of(browser, "#confirmation").await;
    assert!(
        said.starts_with('已') && said.ends_with('。'),
        "{event}: {said}"
    );
}

/// The agency's manager answers the (first) objection on the 反馈 tab, choosing 采纳 or 不采纳
/// (nothing is chosen for it); answers the tab's text.
async fn answer_objection(
    agency: &Client,
    app: &TestApp,
    id: i64,
    accepted: bool,
    reply: &str,
) -> String {
    tab(agency, app, id, "feedback").await;
    let decision = if accepted { "accepted" } else { "rejected" };
    agency
        .find(Locator::Css(&format!(
            ".answer-form input[value='{decision}']"
        )))
        .await
        .expect("the choice")
        .click()
        .await
        .expect("chosen");
    type_into(agency, "textarea[name='reply']", reply).await;
    click(agency, ".answer-form button", false).await;
    no_error(agency, "the answer").await;
    text_of(agency, ".feedback").await
}

async fn current_step(browser: &Client) -> String {
    text_of(browser, "ol.steps li[aria-current='step']").await
}

async fn no_error(browser: &Client, what: &str) {
    if let Ok(error) = browser.find(Locator::Css("div.error")).await {
        panic!("{what}: {}", error.text().await.unwrap_or_default());
    }
}

/// A selector for an id with dots in it (indicator codes).
fn by_id(id: &str) -> String {
    format!("[id='{id}']")
}

pub(crate) fn upload_file(name: &str, bytes: &[u8]) -> String {
    let dir = std::env::temp_dir().join(format!("pinggu-journey-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("upload dir");
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("upload file");
    path.display().to_string()
}

fn hundredths(text: &str) -> i128 {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    whole.parse::<i128>().expect("whole") * 100
        + format!("{fraction:0<2}")[..2]
            .parse::<i128>()
            .expect("fraction")
}

/// `completed × 100 / target`, half-up to two places, as text ("96.43%").
fn percent(completed: &str, target: &str) -> String {
    let (c, t) = (hundredths(completed), hundredths(target));
    let value = (c * 10_000 * 2 + t) / (t * 2);
    format!("{}.{:02}%", value / 100, value % 100)
}

async fn the_xicun_evaluation_runs_start_to_end_in_the_pages(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let s = crate::evaluations::district(&app, &admin, "荔湾", "liwan").await;
    let who = crate::workflow::actors(&app, &s, "liwan").await;
    user(&app, &s, "liwan-street", "street", "manager").await;
    user(&app, &s, "liwan-center", "center", "manager").await;
    let mut experts = Vec::new();
    for n in 1..=3 {
        experts.push(user(&app, &s, &format!("liwan-expert-{n}"), "agency", "expert").await);
    }
    let id = id_of(&crate::workflow::create(&app, &s).await);
    let zones = crate::self_assessment::zones(&app, &s).await;
    let put = crate::self_assessment::put(
        &app,
        &who.agency,
        &format!("/api/v1/evaluations/{id}/targets"),
        &serde_json::json!({"rows": crate::self_assessment::annex_rows(&zones, "target")}),
    )
    .await;
    assert_eq!(put.status(), StatusCode::OK);
    let driver = Driver::start().await;
    let shot = |n: &str| format!("journey-{backend:?}-{n}").to_lowercase();

    // 1. The agency opens the self-assessment.
    let agency = session(&driver, &app, "liwan-agency", id).await;
    press(&agency, "open", None).await;
    assert_eq!(current_step(&agency).await, "自评阶段");
    screenshot(&agency, &shot("01-opened")).await;

    // 2. The station: one zone typed, with live percentages.
    let station = session(&driver, &app, "liwan-station", id).await;
    tab(&station, &app, id, "self").await;
    let form = format!("#zone-{}", zones[0]);
    let (first_code, first_values) = XICUN.zone_rows[0];
    let first_input = by_id(&format!("zone-{}-{first_code}", zones[0]));
    for (code, values) in &XICUN.zone_rows {
        type_into(
            &station,
            &by_id(&format!("zone-{}-{code}", zones[0])),
            values[0].1,
        )
        .await;
    }
    let (visits, visits_values) = XICUN.zone_rows[1];
    let live = station
        .execute(
            "return document.querySelector(arguments[0]).closest('tr').querySelector('.percent').textContent;",
            vec![by_id(&format!("zone-{}-{visits}", zones[0])).into()],
        )
        .await
        .expect("percent");
    assert_eq!(
        live,
        Value::from(percent(visits_values[0].1, visits_values[0].0)),
        "the percentage follows the typing"
    );
    screenshot(&station, &shot("02-zone-typed")).await;
    click(&station, &format!("{form} button.save"), false).await;
    no_error(&station, "the typed zone").await;
    let kept = station
        .find(Locator::Css(&first_input))
        .await
        .expect("input")
        .prop("value")
        .await
        .expect("value");
    assert_eq!(
        kept.map(|v| hundredths(&v)),
        Some(hundredths(first_values[0].1)),
        "the saved zone shows what was typed"
    );

    // A workbook with a wrong cell is refused cell by cell, and nothing changes.
    let names = names(&app, &who.station).await;
    let broken = indicator_workbook(&names, |zones, _| {
        zones.write(4, 2, "很多").expect("cell");
    });
    type_into(
        &station,
        "#indicators-file",
        &upload_file("broken.xlsx", &broken),
    )
    .await;
    click(&station, "#indicators-xlsx button", false).await;
    let refusal = text_of(&station, "#indicators-xlsx .error").await;
    assert!(refusal.contains("未导入任何内容"), "{refusal}");
    assert!(refusal.contains("C5"), "the cell is named: {refusal}");
    screenshot(&station, &shot("03-workbook-refused")).await;
    // The rest uploaded as the annex's workbook (the typed zone as typed).
    let workbook = indicator_workbook(&names, |_, _| {});
    type_into(
        &station,
        "#indicators-file",
        &upload_file("indicators.xlsx", &workbook),
    )
    .await;
    click(&station, "#indicators-xlsx button", false).await;
    no_error(&station, "the indicator workbook").await;
    // The roster: uploaded, then saved again through the editor without losing a thing.
    let roster = roster_workbook(&XICUN.months);
    type_into(&station, "#staff-file", &upload_file("staff.xlsx", &roster)).await;
    click(&station, "#staff-xlsx button", false).await;
    no_error(&station, "the roster workbook").await;
    let before = app
        .get_json(
            &format!("/api/v1/evaluations/{id}/staff"),
            Some(&who.station),
        )
        .await;
    assert_eq!(before["workers"].as_array().map(Vec::len), Some(24));
    // By keyboard alone: from the table's scroll region, Tab through the first row's fields to
    // its 备注, type at its end, Enter saves the whole form.
    station
        .execute(
            "document.querySelector('#roster-form .scroll').focus(); return true;",
            vec![],
        )
        .await
        .expect("focused");
    tab_until(&station, "input[name='w0.note']").await;
    press_keys(&station, END).await;
    press_keys(&station, "（键盘录入）").await;
    mark_page(&station).await;
    press_keys(&station, ENTER).await;
    wait_for_next_page(&station).await;
    no_error(&station, "the roster editor").await;
    assert_eq!(
        text_of(&station, "#confirmation").await,
        "社工到岗情况已保存。"
    );
    let after = app
        .get_json(
            &format!("/api/v1/evaluations/{id}/staff"),
            Some(&who.station),
        )
        .await;
    let mut expected = before["workers"].clone();
    let first = &mut expected[0]["note"];
    *first = Value::from(format!(
        "{}（键盘录入）",
        first.as_str().unwrap_or_default()
    ));
    assert_eq!(
        expected, after["workers"],
        "the editor keeps every cell, and the note typed"
    );
    // A worker without a name is refused: the error beside the field, and the summary's link
    // names the field's id (it works without the script).
    let first_name = station
        .execute("return document.getElementById('w0.name').value;", vec![])
        .await
        .expect("name");
    let first_name = first_name.as_str().expect("a name").to_owned();
    station
        .find(Locator::Css("[id='w0.name']"))
        .await
        .expect("the name")
        .clear()
        .await
        .expect("cleared");
    click(&station, "#roster-form button.save", false).await;
    let linked = station
        .execute(
            "const a = document.querySelector('#roster-form .error-summary a');
             if (!a) { return null; }
             const field = document.getElementById(a.getAttribute('href').slice(1));
             return field ? [a.textContent, field.name, field.value] : ['no field', a.href];",
            vec![],
        )
        .await
        .expect("the summary");
    assert_eq!(
        linked,
        serde_json::json!(["请填写姓名（最多 50 字）", "w0.name", ""])
    );
    assert!(
        text_of(&station, "#roster-form td.sticky-name .field-error")
            .await
            .contains("请填写姓名")
    );
    screenshot(&station, &shot("04-roster-refused")).await;
    type_into(&station, "[id='w0.name']", &first_name).await;
    click(&station, "#roster-form button.save", false).await;
    no_error(&station, "the roster again").await;
    let again = app
        .get_json(
            &format!("/api/v1/evaluations/{id}/staff"),
            Some(&who.station),
        )
        .await;
    assert_eq!(
        after["workers"], again["workers"],
        "the refused roster came back as typed, every month kept"
    );
    assert_eq!(before["metrics"], after["metrics"]);
    // Evidence and the narrative.
    type_into(
        &station,
        "#evidence-file",
        &upload_file(
            "签到表.pdf",
            b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n",
        ),
    )
    .await;
    click(&station, "#evidence form button", false).await;
    assert!(text_of(&station, "#evidence").await.contains("签到表.pdf"));
    type_into(
        &station,
        "#narrative-text",
        "本期社工站围绕困难群众和特殊群体开展服务，完成协议指标。",
    )
    .await;
    // Meanwhile a colleague saves through the API: the page's save is stale, says who changed
    // what, and keeps the text typed; saving again goes through.
    let colleague = crate::self_assessment::put(
        &app,
        &who.station,
        &format!("/api/v1/evaluations/{id}/self-assessment"),
        &serde_json::json!({"narrative": "（同事保存的草稿）"}),
    )
    .await;
    assert_eq!(colleague.status(), StatusCode::OK);
    click(&station, "#narrative button.save", false).await;
    let stale = text_of(&station, "#narrative .error").await;
    assert!(stale.contains("填写自评报告"), "{stale}");
    assert!(stale.contains("您填写的内容仍在下方"), "{stale}");
    let typed = station
        .find(Locator::Id("narrative-text"))
        .await
        .expect("narrative")
        .prop("value")
        .await
        .expect("value");
    assert_eq!(
        typed.as_deref(),
        Some("本期社工站围绕困难群众和特殊群体开展服务，完成协议指标。")
    );
    screenshot(&station, &shot("04-stale-save")).await;
    click(&station, "#narrative button.save", false).await;
    no_error(&station, "the narrative").await;
    let saved = app
        .get_json(
            &format!("/api/v1/evaluations/{id}/self-assessment"),
            Some(&who.station),
        )
        .await;
    assert_eq!(
        saved["narrative"],
        "本期社工站围绕困难群众和特殊群体开展服务，完成协议指标。"
    );
    screenshot(&station, &shot("05-self-assessment")).await;
    press(&station, "submit_self_assessment", None).await;
    assert_eq!(current_step(&station).await, "现场评估阶段");

    // 3. The agency assigns three experts.
    tab(&agency, &app, id, "scoring").await;
    for (expert, _) in &experts {
        choose(&agency, "#panel-user", &expert.to_string()).await;
        click(&agency, "button[data-command='assign-expert']", false).await;
        no_error(&agency, "assigning an expert").await;
    }
    assert_eq!(
        agency
            .find_all(Locator::Css("#panel tbody tr"))
            .await
            .expect("rows")
            .len(),
        3
    );
    screenshot(&agency, &shot("06-panel")).await;

    // 4. Each expert declares and scores, with a running total; their sheets mean 46.98.
    // The third expert uses the keyboard alone: Tab to the declaration, Space chooses it, Tab
    // from score to score typing, Tab to 提交评分表, Enter, and Enter again to confirm.
    for (n, total) in ["46.98", "46.98", "46.99"].iter().enumerate() {
        let by_keyboard = n == 2;
        let expert = session(&driver, &app, &format!("liwan-expert-{}", n + 1), id).await;
        tab(&expert, &app, id, "scoring").await;
        if by_keyboard {
            tab_until(&expert, "input[name='conflict'][value='no']").await;
            press_keys(&expert, SPACE).await;
            assert!(
                expert
                    .execute(
                        "return document.querySelector(\"input[name='conflict'][value='no']\").checked;",
                        vec![]
                    )
                    .await
                    .expect("checked")
                    == true,
                "Space declared"
            );
        } else {
            expert
                .find(Locator::Css("input[name='conflict'][value='no']"))
                .await
                .expect("declaration")
                .click()
                .await
                .expect("declared");
        }
        let items = expert
            .execute(
                "return Array.from(document.querySelectorAll('input.item-score'))\
                 .map(i => [i.id, i.closest('tr').children[1].textContent.trim()]);",
                vec![],
            )
            .await
            .expect("items");
        let mut left = (total.parse::<f64>().expect("total") * 100.0).round() as i64;
        for item in items.as_array().expect("items") {
            let input = by_id(item[0].as_str().expect("id"));
            let max = (item[1].as_str().expect("max").parse::<f64>().expect("max") * 100.0).round()
                as i64;
            let score = left.min(max);
            left -= score;
            let typed = format!("{}.{:02}", score / 100, score % 100);
            if by_keyboard {
                // Tab selects the field's text: typing replaces it.
                tab_until(&expert, &input).await;
                press_keys(&expert, &typed).await;
            } else {
                type_into(&expert, &input, &typed).await;
            }
        }
        assert_eq!(left, 0);
        assert_eq!(
            text_of(&expert, "#sheet-total").await,
            *total,
            "running total"
        );
        if n == 0 {
            screenshot(&expert, &shot("07-expert-sheet")).await;
        }
        if by_keyboard {
            tab_until(&expert, "button[data-command='submit-sheet']").await;
            mark_page(&expert).await;
            press_keys(&expert, ENTER).await;
            expert.accept_alert().await.expect("confirmed");
            wait_for_next_page(&expert).await;
        } else {
            click(&expert, "button[data-command='submit-sheet']", true).await;
        }
        no_error(&expert, "the expert's sheet").await;
        assert!(text_of(&expert, "#sheet h2").await.contains("已提交"));
        expert.close().await.expect("closed");
    }

    // 5. The parties' components, each by its own manager.
    let comments: Value =
        serde_json::from_str(include_str!("../../demo/xicun-comments.json")).expect("fixture");
    let bureau = session(&driver, &app, "liwan-bureau", id).await;
    let street = session(&driver, &app, "liwan-street", id).await;
    let center = session(&driver, &app, "liwan-center", id).await;
    for (browser, party, score) in [
        (&bureau, "supervisor", "8.30"),
        (&street, "purchaser", "20.00"),
        (&center, "center", "13.80"),
    ] {
        tab(browser, &app, id, "scoring").await;
        let form = format!("#component-{party}");
        type_into(
            browser,
            &by_id(&format!("component-{party}-raw_score")),
            score,
        )
        .await;
        let strength = comments["components"][party]["strengths"][0]["text"]
            .as_str()
            .expect("strength");
        type_into(
            browser,
            &by_id(&format!("component-{party}-s0.text")),
            strength,
        )
        .await;
        click(
            browser,
            &format!("button[data-command='save-{party}']"),
            false,
        )
        .await;
        no_error(browser, party).await;
        click(
            browser,
            &format!("button[data-command='submit-{party}']"),
            true,
        )
        .await;
        no_error(browser, party).await;
        assert!(
            text_of(browser, &format!("{form} h2"))
                .await
                .contains("已提交")
        );
    }
    screenshot(&center, &shot("08-component")).await;
    tab(&agency, &app, id, "scoring").await;
    let third = &comments["components"]["third_party"];
    choose(
        &agency,
        "#component-third_party select[name='s0.section']",
        "execution",
    )
    .await;
    type_into(
        &agency,
        "[id='component-third_party-s0.text']",
        third["strengths"][0]["text"].as_str().expect("text"),
    )
    .await;
    type_into(
        &agency,
        "[id='component-third_party-c0.text']",
        third["concerns"][0]["text"].as_str().expect("text"),
    )
    .await;
    type_into(
        &agency,
        "[id='component-third_party-conclusion']",
        third["conclusion"]
            .as_str()
            .or(comments["conclusion"].as_str())
            .expect("the fixture's 结语"),
    )
    .await;
    click(&agency, "button[data-command='save-third_party']", false).await;
    no_error(&agency, "the third party's component").await;
    click(&agency, "button[data-command='submit-third_party']", true).await;
    no_error(&agency, "the third party's component").await;
    screenshot(&agency, &shot("09-third-party")).await;

    // 6. The draft.
    press(&agency, "issue_draft", None).await;
    assert_eq!(current_step(&agency).await, "初稿反馈阶段");
    tab(&agency, &app, id, "reports").await;
    assert!(
        text_of(&agency, ".reports")
            .await
            .contains("征求意见稿（第 1 稿）")
    );
    screenshot(&agency, &shot("10-draft")).await;

    // 7. The station objects to a section; the bureau and the street office have none.
    tab(&station, &app, id, "feedback").await;
    station
        .find(Locator::Css("input[name='opinion'][value='objection']"))
        .await
        .expect("objection choice")
        .click()
        .await
        .expect("chosen");
    choose(&station, "#section", "zones").await;
    type_into(&station, "#objection", "片区一的服务并不零散，请核实。").await;
    click(&station, "#feedback-form button", false).await;
    no_error(&station, "the objection").await;
    screenshot(&station, &shot("11-objection")).await;
    for browser in [&bureau, &street] {
        tab(browser, &app, id, "feedback").await;
        click(browser, "#feedback-form button", false).await;
        no_error(browser, "no objection").await;
    }

    // 8. The agency answers and submits for review.
    let answers = answer_objection(
        &agency,
        &app,
        id,
        false,
        "经现场核实，各社工点服务未形成统筹。",
    )
    .await;
    assert!(answers.contains("评估机构不采纳：经现场核实，各社工点服务未形成统筹。"));
    screenshot(&agency, &shot("12-answered")).await;
    press(&agency, "submit_for_review", None).await;
    assert_eq!(current_step(&agency).await, "民政局审定阶段");

    // 9. The bureau returns the draft, with its reason.
    bureau
        .goto(&app.url(&format!("/evaluations/{id}")))
        .await
        .expect("page");
    press(
        &bureau,
        "return_draft",
        Some("请在报告中补充片区服务统筹的说明。"),
    )
    .await;
    assert_eq!(current_step(&bureau).await, "初稿反馈阶段");
    screenshot(&bureau, &shot("13-returned")).await;

    // 10. A revised draft, compared with the first.
    tab(&agency, &app, id, "reports").await;
    click(&agency, "button[data-command='revise']", true).await;
    no_error(&agency, "the revised draft").await;
    assert!(
        text_of(&agency, ".reports")
            .await
            .contains("征求意见稿（第 2 稿）")
    );
    click(&agency, "form.compare button", false).await;
    let comparison = text_of(&agency, "#comparison").await;
    assert!(
        comparison.contains("征求意见稿第 1 稿 → 征求意见稿第 2 稿"),
        "{comparison}"
    );
    screenshot(&agency, &shot("14-revised")).await;
    // The parties' silence on the second draft counts after its deadline (long past here).
    press(&agency, "submit_for_review", None).await;

    // 11. Approval.
    bureau
        .goto(&app.url(&format!("/evaluations/{id}")))
        .await
        .expect("page");
    press(&bureau, "approve", None).await;
    assert_eq!(current_step(&bureau).await, "已出具最终报告");
    assert!(text_of(&bureau, ".result").await.contains("89.08"));
    screenshot(&bureau, &shot("15-final")).await;

    // 12. The final report, downloaded with the browser's session and read back.
    tab(&bureau, &app, id, "reports").await;
    let pdf_link = bureau
        .find(Locator::XPath(
            "//ul[@class='reports']/li[span[@class='title' and text()='最终报告']]/a[contains(@href, '/pdf')]",
        ))
        .await
        .expect("the final PDF link")
        .attr("href")
        .await
        .expect("href")
        .expect("a link");
    let cookie = bureau
        .get_named_cookie("pinggu_session")
        .await
        .expect("session cookie");
    let pdf = plain_client()
        .get(app.url(&pdf_link))
        .header(COOKIE, format!("pinggu_session={}", cookie.value()))
        .send()
        .await
        .expect("download");
    assert_eq!(pdf.status(), StatusCode::OK);
    let bytes = pdf.bytes().await.expect("bytes");
    let text = pdf_extract::extract_text_from_mem(&bytes).expect("a PDF");
    let text: String = text.split_whitespace().collect();
    assert!(text.contains("89.08"), "{text}");
    assert!(text.contains("良好"));
    let html_link = pdf_link.replace("/pdf", "/html");
    bureau
        .goto(&app.url(&html_link))
        .await
        .expect("the final report");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(bureau.source().await.expect("html").contains("89.08"));
    crate::pages::screenshot_sandboxed(&bureau, &shot("16-final-report")).await;

    for browser in [agency, station, bureau, street, center] {
        browser.close().await.expect("closed");
    }
    driver.stop().await;
    if backend == Backend::Sqlite && std::env::var_os("PINGGU_PAGE_FIXTURE").is_some() {
        keep_for_the_page_benchmark(&app, id);
    }
}

/// The same pages on the other shipped scheme, whose agency party is `professional` and whose
/// bureau also holds the financial gate: the agency's manager finds the targets, the extension
/// form, the expert panel, its component, the revised-draft button and the objection answers;
/// the station, the street office and the bureau their feedback forms.
async fn a_guangzhou_2019_evaluation_offers_each_party_what_the_api_allows(backend: Backend) {
    use crate::scoring::{post_ok, put_ok, scores_for, sheet_path, submit_component};
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let s = crate::evaluations::district(&app, &admin, "荔湾", "liwan").await;
    let who = crate::workflow::actors(&app, &s, "liwan").await;
    let (_, street_token) = user(&app, &s, "liwan-street", "street", "manager").await;
    let mut experts = Vec::new();
    for n in 1..=3 {
        experts.push(user(&app, &s, &format!("liwan-expert-{n}"), "agency", "expert").await);
    }
    let mut body = crate::evaluations::evaluation_body(&s);
    body["scheme_code"] = serde_json::json!("guangzhou-2019");
    let created = app
        .post("/api/v1/evaluations", Some(&s.bureau), &body)
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let id = id_of(&created.json::<Value>().await.expect("json"));
    let zones = crate::self_assessment::zones(&app, &s).await;
    let driver = Driver::start().await;
    let shot = |n: &str| format!("journey-2019-{backend:?}-{n}").to_lowercase();

    // Setup: the agency types a zone's targets in the page, may extend deadlines, and opens.
    let agency = session(&driver, &app, "liwan-agency", id).await;
    assert!(
        agency.find(Locator::Css("#extension form")).await.is_ok(),
        "the organizer's extension form"
    );
    tab(&agency, &app, id, "self").await;
    let target = by_id(&format!("zone-{}-visits.home-target", zones[0]));
    type_into(&agency, &target, "1400").await;
    click(&agency, &format!("#zone-{} button.save", zones[0]), false).await;
    no_error(&agency, "the targets").await;
    let targets = app
        .get_json(
            &format!("/api/v1/evaluations/{id}/targets"),
            Some(&who.agency),
        )
        .await;
    assert!(
        targets["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .any(|r| r["indicator"] == "visits.home" && r["target"] == "1400.00"),
        "{targets}"
    );
    tab(&agency, &app, id, "info").await;
    press(&agency, "open", None).await;
    assert_eq!(current_step(&agency).await, "自评阶段");

    // The station's self-assessment (its pages are walked on the other scheme).
    let base = format!("/api/v1/evaluations/{id}");
    let completed = serde_json::json!({"rows": [{"indicator": "visits.home", "zone_id": zones[0], "completed": "1460"}]});
    put_ok(
        &app,
        &who.station,
        &format!("{base}/indicators"),
        &completed,
    )
    .await;
    put_ok(
        &app,
        &who.station,
        &format!("{base}/staff"),
        &crate::self_assessment::annex_roster(),
    )
    .await;
    put_ok(
        &app,
        &who.station,
        &format!("{base}/self-assessment"),
        &serde_json::json!({"narrative": "本期服务情况……"}),
    )
    .await;
    crate::workflow::fire_ok(
        &app,
        &who.station,
        id,
        "submit_self_assessment",
        None,
        "onsite_scoring",
    )
    .await;

    // The agency's expert panel, in the page; the experts' sheets mean 630.00.
    tab(&agency, &app, id, "scoring").await;
    for (expert, _) in &experts {
        choose(&agency, "#panel-user", &expert.to_string()).await;
        click(&agency, "button[data-command='assign-expert']", false).await;
        no_error(&agency, "assigning an expert").await;
    }
    screenshot(&agency, &shot("01-panel")).await;
    for ((_, token), total) in experts.iter().zip(["630.00", "629.99", "630.01"]) {
        let path = sheet_path(id).await;
        let sheet = app.get_json(&path, Some(token)).await;
        put_ok(&app, token, &path, &scores_for(&sheet, total)).await;
        post_ok(&app, token, &format!("{path}/submit")).await;
    }
    // The other parties through the API; the agency's own component in its page.
    submit_component(
        &app,
        &street_token,
        id,
        "purchaser",
        &serde_json::json!({"raw_score": "180.00"}),
    )
    .await;
    submit_component(
        &app,
        &s.bureau,
        id,
        "supervisor",
        &serde_json::json!({"raw_score": "90.00"}),
    )
    .await;
    submit_component(
        &app,
        &s.bureau,
        id,
        "financial",
        &serde_json::json!({"passed": true, "gate_reason": "审计未发现问题"}),
    )
    .await;
    tab(&agency, &app, id, "scoring").await;
    type_into(
        &agency,
        "[id='component-professional-s0.text']",
        "服务指标总体完成。",
    )
    .await;
    click(&agency, "button[data-command='save-professional']", false).await;
    no_error(&agency, "the agency's component").await;
    click(&agency, "button[data-command='submit-professional']", true).await;
    no_error(&agency, "the agency's component").await;
    assert!(
        text_of(&agency, "#component-professional h2")
            .await
            .contains("已提交")
    );

    // The draft: 630 + 180 + 90 = 900.00, 优秀.
    tab(&agency, &app, id, "info").await;
    press(&agency, "issue_draft", None).await;
    assert_eq!(current_step(&agency).await, "初稿反馈阶段");
    assert!(text_of(&agency, ".result").await.contains("900.00"));
    tab(&agency, &app, id, "reports").await;
    assert!(
        agency
            .find(Locator::Css("button[data-command='revise']"))
            .await
            .is_ok(),
        "the agency may issue a revised draft"
    );

    // The station objects; the street office and the bureau have none.
    let station = session(&driver, &app, "liwan-station", id).await;
    tab(&station, &app, id, "feedback").await;
    station
        .find(Locator::Css("input[name='opinion'][value='objection']"))
        .await
        .expect("the station's feedback form")
        .click()
        .await
        .expect("chosen");
    type_into(&station, "#objection", "片区一的服务记录齐全，请核实。").await;
    click(&station, "#feedback-form button", false).await;
    no_error(&station, "the objection").await;
    for username in ["liwan-street", "liwan-bureau"] {
        let browser = session(&driver, &app, username, id).await;
        tab(&browser, &app, id, "feedback").await;
        click(&browser, "#feedback-form button", false).await;
        no_error(&browser, username).await;
        browser.close().await.expect("closed");
    }

    // The agency answers the objection and submits for the bureau's review.
    let answers = answer_objection(&agency, &app, id, true, "经核实，记录齐全，予以采纳。").await;
    assert!(answers.contains("评估机构采纳：经核实，记录齐全，予以采纳。"));
    screenshot(&agency, &shot("02-answered")).await;
    press(&agency, "submit_for_review", None).await;
    assert_eq!(current_step(&agency).await, "民政局审定阶段");

    for browser in [agency, station] {
        browser.close().await.expect("closed");
    }
    driver.stop().await;
}

/// With PINGGU_PAGE_FIXTURE set: a consistent copy of the finished evaluation's SQLite database,
/// with its id, for `cargo bench --bench pages` (which times the evaluation page over this data).
fn keep_for_the_page_benchmark(app: &TestApp, id: i64) {
    use diesel::{Connection, RunQueryDsl, SqliteConnection};
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-fixtures");
    std::fs::create_dir_all(&dir).expect("fixture dir");
    let copy = dir.join("xicun-journey.db");
    let _ = std::fs::remove_file(&copy);
    let path = app.db.url.trim_start_matches("sqlite://");
    let mut conn = SqliteConnection::establish(path).expect("the test's database");
    // VACUUM INTO takes what the write-ahead log holds too.
    diesel::sql_query(format!("VACUUM INTO '{}'", copy.display()))
        .execute(&mut conn)
        .expect("copied");
    let about = serde_json::json!({"evaluation_id": id, "users": ["liwan-bureau", "liwan-station", "liwan-agency"], "password": PASSWORD});
    std::fs::write(dir.join("xicun-journey.json"), about.to_string()).expect("fixture");
}
