//! `pinggu demo` and `pinggu serve --demo`: both reference evaluations loaded through the
//! product's own rules, once; the 西村街 final report says 89.08 and 良好; a newcomer logs in
//! as the 瑞宝街 street office in the browser, gives feedback on the draft, and the agency's
//! e-mail lands in the mail directory.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use diesel::sql_types::{BigInt, Text};
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl, SqliteConnection};
use fantoccini::Locator;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::helpers::*;
use crate::journey::click;
use crate::pages::{
    ARROW_UP, Driver, ENTER, focused_value, press_keys, screenshot, tab_until, text_of,
    wait_for_path,
};

both_backends!(
    demo_loads_both_reference_evaluations_once,
    a_newcomer_serves_the_demo_and_the_street_office_gives_feedback,
);

/// A line of the printed users table.
#[derive(Debug, Clone)]
struct DemoUser {
    username: String,
    organization: String,
    password: String,
}

/// The users table that `demo` prints: the lines between the header and the blank line.
fn users_in(printed: &str) -> Vec<DemoUser> {
    printed
        .lines()
        .skip_while(|line| !line.starts_with("用户名"))
        .skip(1)
        .take_while(|line| !line.trim().is_empty())
        .map(|line| {
            let cells: Vec<&str> = line.split_whitespace().collect();
            assert_eq!(cells.len(), 4, "a row of the users table: {line}");
            DemoUser {
                username: cells[0].to_owned(),
                organization: cells[1].to_owned(),
                password: cells[3].to_owned(),
            }
        })
        .collect()
}

/// The evaluation page's path printed beside a station's name.
fn evaluation_path(printed: &str, station: &str) -> String {
    let line = printed
        .lines()
        .find(|l| l.contains(station) && l.contains("/evaluations/"))
        .unwrap_or_else(|| panic!("{station} is listed: {printed}"));
    let at = line.find("/evaluations/").expect("a link");
    line[at..].trim().to_owned()
}

#[derive(QueryableByName)]
struct TableName {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct RowCount {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Rows per table of the test's database.
async fn row_counts(url: &str) -> BTreeMap<String, i64> {
    let url = url.to_owned();
    tokio::task::spawn_blocking(move || {
        // The same two queries on either connection type.
        macro_rules! counts {
            ($conn:expr, $tables:expr) => {{
                let names: Vec<TableName> = diesel::sql_query($tables).load($conn).expect("tables");
                names
                    .into_iter()
                    .map(|t| {
                        let sql = format!("SELECT COUNT(*) AS n FROM \"{}\"", t.name);
                        let counted: RowCount =
                            diesel::sql_query(sql).get_result($conn).expect("count");
                        (t.name, counted.n)
                    })
                    .collect::<BTreeMap<String, i64>>()
            }};
        }
        if let Some(path) = url.strip_prefix("sqlite://") {
            let mut conn = SqliteConnection::establish(path).expect("sqlite");
            counts!(
                &mut conn,
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        } else {
            let mut conn = PgConnection::establish(&url).expect("postgres");
            counts!(
                &mut conn,
                "SELECT table_name::text AS name FROM information_schema.tables \
                 WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
            )
        }
    })
    .await
    .expect("count thread")
}

/// Logs a demo user in with the printed password, sets a new one (the demo's are generated,
/// to be changed first) and returns the access token.
/// The login answer of a server started outside the test (`TestApp::login_ok` for the others).
async fn login_at(client: &reqwest::Client, base: &str, username: &str, password: &str) -> Value {
    let body = json!({"username": username, "password": password});
    client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&body)
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("json")
}

async fn token_after_change(client: &reqwest::Client, base: &str, user: &DemoUser) -> String {
    let first = login_at(client, base, &user.username, &user.password).await;
    assert_eq!(first["must_change_password"], true, "{first}");
    let changed = client
        .post(format!("{base}/api/v1/me/password"))
        .bearer_auth(token_of(&first))
        .json(&json!({"current_password": user.password, "new_password": PASSWORD}))
        .send()
        .await
        .expect("password");
    assert!(changed.status().is_success(), "{}", changed.status());
    token_of(&login_at(client, base, &user.username, PASSWORD).await)
}

/// The final report of `path`'s evaluation, in every format, read as `token` sees it.
async fn final_report_says(client: &reqwest::Client, base: &str, token: &str, path: &str) {
    let id = path.trim_start_matches("/evaluations/");
    let get = |url: String| client.get(url).bearer_auth(token).send();
    let versions: Value = get(format!("{base}/api/v1/evaluations/{id}/reports"))
        .await
        .expect("reports")
        .json()
        .await
        .expect("json");
    let last = versions["items"]
        .as_array()
        .and_then(|v| v.last())
        .cloned()
        .expect("a version");
    assert_eq!(last["kind"], "final");
    let mut formats: Vec<&str> = last["files"]
        .as_array()
        .expect("files")
        .iter()
        .filter_map(|f| f["format"].as_str())
        .collect();
    formats.sort_unstable();
    assert_eq!(
        formats,
        ["docx", "html", "pdf"],
        "a Chinese font is installed"
    );
    let file = |format: &str| get(format!("{base}/api/v1/reports/{}.{format}", last["id"]));
    let html = file("html")
        .await
        .expect("html")
        .text()
        .await
        .expect("text");
    assert!(html.contains("89.08") && html.contains("良好"), "{html}");
    assert!(html.contains("西村街社工服务站"));
    // Formal text names organizations in full (全称), as the filed report does; the section
    // titles and the agency's commission keep the short names.
    for said in [
        "<dd>广州市荔湾区民政局</dd>",
        "<dd>广州市荔湾区西村街道办事处</dd>",
        "<dd>广州市社会工作协会</dd>",
        "由广州市荔湾区逢源人家服务中心承接运营。经广州市荔湾区西村街道办事处采购",
        "受荔湾区民政局委托，广州市社会工作协会负责",
        "七、评估结果",
        "（一）购买方评估 得分：20.00 分",
        "八、结语",
        "附件3：评估反馈及处理情况",
    ] {
        assert!(html.contains(said), "the final report says {said}");
    }
    // The publication copy masks the roster's names (李洁华 → 李*华) in every format; the
    // parties' copy names them.
    assert!(html.contains("李洁华"));
    let public = |format: &str| {
        get(format!(
            "{base}/api/v1/reports/{}.{format}?copy=public",
            last["id"]
        ))
    };
    let page = public("html")
        .await
        .expect("public html")
        .text()
        .await
        .expect("text");
    assert!(page.contains("李*华") && !page.contains("李洁华"), "{page}");
    assert!(page.contains("89.08"));
    let word = public("docx")
        .await
        .expect("public docx")
        .bytes()
        .await
        .expect("bytes");
    let word = crate::reports::read_word(&word).text;
    assert!(word.contains("李*华") && !word.contains("李洁华"));
    let pdf_text = |bytes: &[u8]| -> String {
        pdf_extract::extract_text_from_mem(bytes)
            .expect("a PDF")
            .split_whitespace()
            .collect()
    };
    let printed = pdf_text(
        &public("pdf")
            .await
            .expect("pdf")
            .bytes()
            .await
            .expect("bytes"),
    );
    assert!(printed.contains("李*华") && !printed.contains("李洁华"));
    let docx = file("docx").await.expect("docx");
    assert_eq!(docx.status(), StatusCode::OK);
    assert!(docx.bytes().await.expect("bytes").starts_with(b"PK"));
    let text = pdf_text(
        &file("pdf")
            .await
            .expect("pdf")
            .bytes()
            .await
            .expect("bytes"),
    );
    assert!(text.contains("89.08") && text.contains("良好"));
    // The demo agency's prefix numbers the report, on the cover and each page.
    let number = last["number"].as_str().expect("a report number");
    assert!(
        number.starts_with("穗社协评〔") && number.ends_with("〕第001号"),
        "{number}"
    );
    assert!(text.matches(number).count() > 5, "{number} on every page");
    assert!(printed.contains(number), "the public copy keeps the number");
}

async fn demo_loads_both_reference_evaluations_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let empty = row_counts(&app.db.url).await;
    // A password the policy refuses loads nothing.
    let weak = app.cli(&["demo", "--password", "short"], None).await;
    assert!(!weak.status.success());
    assert!(String::from_utf8_lossy(&weak.stderr).contains("--password"));
    assert_eq!(row_counts(&app.db.url).await, empty, "nothing written");

    // One chosen password for every user: no forced change (generated ones are the serve
    // test's).
    let first = app
        .cli(&["demo", "--password", "Demo-pass-2026"], None)
        .await;
    let printed = String::from_utf8_lossy(&first.stdout).into_owned();
    assert!(
        first.status.success(),
        "{printed}{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(printed.contains("演示数据已加载"), "{printed}");
    assert!(printed.contains("西村街社工服务站：已出具最终报告，89.08 分，良好"));
    assert!(printed.contains("瑞宝街社工服务站：初稿反馈阶段，本阶段截止"));
    assert!(
        printed.contains("示意拆分"),
        "瑞宝街's split says what it is"
    );
    let users = users_in(&printed);
    assert_eq!(users.len(), 9 * 2 + 2 * 3, "{printed}");
    assert!(users.iter().all(|u| u.username != "admin"));
    assert!(users.iter().all(|u| u.password == "Demo-pass-2026"));
    for org in ["荔湾区民政局", "瑞宝街道办事处", "广州市社会组织联合会"] {
        assert!(users.iter().any(|u| u.organization == org), "{org}");
    }
    let loaded = row_counts(&app.db.url).await;

    let second = app.cli(&["demo"], None).await;
    let again = String::from_utf8_lossy(&second.stdout);
    assert!(second.status.success(), "{again}");
    assert!(again.contains("未做任何更改"), "{again}");
    assert!(
        !again.contains("Demo-pass-2026"),
        "no password is shown again"
    );
    assert_eq!(
        row_counts(&app.db.url).await,
        loaded,
        "the second run writes nothing"
    );
    let verify = app.cli(&["audit", "verify"], None).await;
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );

    // 西村街: final, and its report says so in every format.
    let login = app.login_ok("liwan-bureau", "Demo-pass-2026").await;
    assert_eq!(login["must_change_password"], false);
    let token = token_of(&login);
    let xicun = evaluation_path(&printed, "西村街社工服务站");
    final_report_says(&app.client, &app.address, &token, &xicun).await;

    // 瑞宝街: the draft out, the bureau and the station answered, the street office not yet.
    let admin = app.admin_token().await;
    let ruibao = evaluation_path(&printed, "瑞宝街社工服务站");
    let view = app
        .get_json(&format!("/api/v1{ruibao}"), Some(&admin))
        .await;
    assert_eq!(view["state"], "draft_feedback");
    let due = view["next_deadline"]["due_on"]
        .as_str()
        .expect("a deadline");
    let today = chrono::Utc::now().date_naive().to_string();
    assert!(due > today.as_str(), "the feedback deadline {due} is ahead");
    let owing: Vec<&str> = view["next_deadline"]["parties"]
        .as_array()
        .expect("parties")
        .iter()
        .filter_map(|p| p["party"].as_str())
        .collect();
    assert_eq!(
        owing,
        ["purchaser"],
        "only the street office still owes feedback"
    );
    let score = app
        .get_json(&format!("/api/v1{ruibao}/score"), Some(&admin))
        .await;
    assert_eq!(score["total"], "87.13");
    // Its period starts on 15 June: half of June on post counts as staying (reference: 20
    // workers stayed, 稳岗率 100%).
    let staff = app
        .get_json(&format!("/api/v1{ruibao}/staff"), Some(&admin))
        .await;
    assert_eq!(staff["metrics"]["stable_workers"], 20);
    assert_eq!(staff["metrics"]["stability_rate"], "100.00");
    assert_eq!(staff["metrics"]["certified_person_months"], "128.00");
    assert_eq!(staff["metrics"]["uncertified_person_months"], "34.50");
    // Its draft follows the 瑞宝街 reference's outline (guangzhou-2023-haizhu).
    let versions = app
        .get_json(&format!("/api/v1{ruibao}/reports"), Some(&admin))
        .await;
    let draft = versions["items"]
        .as_array()
        .and_then(|items| items.last())
        .cloned()
        .expect("the draft");
    let html = app
        .client
        .get(format!(
            "{}/api/v1/reports/{}.html",
            app.address, draft["id"]
        ))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("the draft's HTML")
        .text()
        .await
        .expect("text");
    assert_eq!(
        crate::reports::headings(&html),
        [
            "一、中期评估背景",
            "二、评估总结",
            "（一）社工站基本情况",
            "（二）各项目服务进度情况",
            "（三）项目管理",
            "（四）服务质量",
            "（五）服务监测",
            "（六）服务成效",
            "（七）购买方评估（瑞宝街道办事处）",
            "（八）督导中心（广州市社会工作督导中心）",
            "（九）监督方评估（海珠区民政局）",
            "三、评估反馈",
            "四、评估等级",
            "五、结语",
            "附件1：指标完成情况统计表",
            "附件2：社工到岗情况统计表",
        ]
    );
    for said in [
        "（三）评估阶段",
        "经过评估，瑞宝街社工服务站本次中期评估的分数为：87.13，本次中期评估的等级为：良好。",
        "稳岗率100.00%",
        "穗社联评〔",
        "自2016年6月起由广州市心明爱社会工作服务中心承接运营",
        // The survey: ten of the hundred drawn reached, seven 非常满意 and three 满意 as a mean.
        "随机抽取100名服务对象开展满意度调查，成功访问10名，按受访服务对象满意度评分的平均值计，受访服务对象总体满意度为92.50%。",
    ] {
        assert!(html.contains(said), "瑞宝街's draft says {said}");
    }
    let monitoring = html.find("（五）服务监测").expect("服务监测");
    let outcomes = html.find("（六）服务成效").expect("服务成效");
    let rate = html.find("总体满意度为92.50%").expect("the rate");
    assert!(
        monitoring < rate && rate < outcomes,
        "the rate under 服务监测"
    );
    assert!(!html.contains("13800000"), "no phone number in the report");
    let feedback = app
        .get_json(&format!("/api/v1{ruibao}/feedback"), Some(&admin))
        .await;
    let parties: Vec<&str> = feedback["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|f| f["party"].as_str())
        .collect();
    assert!(!parties.contains(&"purchaser"), "{parties:?}");
    assert_eq!(parties.len(), 2);
    let timeline = app
        .get_json(&format!("/api/v1{ruibao}/timeline"), Some(&admin))
        .await;
    assert!(
        timeline.to_string().contains("示意拆分"),
        "the timeline says the split is illustrative"
    );

    // The list by grade (as the caller sees the totals) and by whether a deadline has passed.
    let names = |page: Value| -> Vec<String> {
        let mut found: Vec<String> = page["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|e| e["station"]["name"].as_str().unwrap_or("").to_owned())
            .collect();
        found.sort();
        found
    };
    let list = |query: &'static str| {
        let (app, admin) = (&app, &admin);
        async move {
            app.get_json(&format!("/api/v1/evaluations?{query}"), Some(admin))
                .await
        }
    };
    let both = ["瑞宝街社工服务站", "西村街社工服务站"];
    assert_eq!(names(list("grade=good").await), both);
    assert_eq!(list("grade=good&per_page=1&page=2").await["total"], 2);
    assert!(names(list("grade=excellent").await).is_empty());
    assert!(names(list("overdue=true").await).is_empty());
    assert_eq!(names(list("overdue=false").await), both);
    app.execute(
        "UPDATE evaluation_deadlines SET due_on = '2020-01-01' WHERE stage = 'draft_feedback'",
    )
    .await;
    app.execute("DELETE FROM deadline_extensions").await;
    // Time has passed: the stored date of the next deadline moves with the stage's.
    app.execute("UPDATE evaluations SET due_on = '2020-01-01' WHERE state = 'draft_feedback'")
        .await;
    assert_eq!(names(list("overdue=true").await), ["瑞宝街社工服务站"]);
    assert_eq!(
        names(list("overdue=true&grade=good&kind=mid_term").await),
        ["瑞宝街社工服务站"]
    );
}

/// Reads lines until one satisfies `done`; returns them all.
async fn read_until<R: tokio::io::AsyncRead + Unpin>(
    lines: &mut tokio::io::Lines<BufReader<R>>,
    seconds: u64,
    done: impl Fn(&str) -> bool,
) -> Vec<String> {
    let mut seen = Vec::new();
    loop {
        let line = tokio::time::timeout(Duration::from_secs(seconds), lines.next_line())
            .await
            .unwrap_or_else(|_| panic!("still waiting after {seconds} s: {seen:?}"))
            .expect("read")
            .unwrap_or_else(|| panic!("serve ended: {seen:?}"));
        let finished = done(&line);
        seen.push(line);
        if finished {
            return seen;
        }
    }
}

/// The e-mail files written so far whose recipient and subject match.
/// The plain texts of the e-mails under `dir` to `to` whose subject holds `subject`.
fn mails_to(dir: &Path, to: &str, subject: &str) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
        .filter_map(|e| std::fs::read(e.path()).ok())
        .filter_map(|bytes| {
            let message = mail_parser::MessageParser::default().parse(&bytes)?;
            let addressed = message
                .to()
                .and_then(|a| a.first())
                .and_then(|a| a.address())
                == Some(to);
            (addressed && message.subject().is_some_and(|s| s.contains(subject))).then(|| {
                message
                    .body_text(0)
                    .map(|t| t.into_owned())
                    .unwrap_or_default()
            })
        })
        .collect()
}

async fn a_newcomer_serves_the_demo_and_the_street_office_gives_feedback(backend: Backend) {
    let db = TestDatabase::create(backend).await;
    let mut serve = serve_demo(&db, backend);
    let mut out = BufReader::new(serve.stdout.take().expect("stdout")).lines();
    let printed = read_until(&mut out, 180, |l| l.contains("/login"))
        .await
        .join("\n");
    let mut logs = BufReader::new(serve.stderr.take().expect("stderr")).lines();
    let listening = read_until(&mut logs, 60, |l| {
        serde_json::from_str::<Value>(l).is_ok_and(|e| e["port"].is_u64())
    })
    .await;
    let port = listening
        .last()
        .and_then(|l| serde_json::from_str::<Value>(l).ok())
        .and_then(|e| e["port"].as_u64())
        .expect("port");
    // Keep reading the log so that the server never blocks on a full pipe; keep its errors.
    let errors = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let logged = errors.clone();
    tokio::spawn(async move {
        while let Ok(Some(line)) = logs.next_line().await {
            let event = serde_json::from_str::<Value>(&line).unwrap_or_default();
            if event["level"] == "ERROR" {
                logged.lock().expect("log").push(line);
            }
        }
    });
    let base = format!("http://127.0.0.1:{port}");
    let users = users_in(&printed);
    assert_eq!(users.len(), 24, "{printed}");
    let mut passwords: Vec<&str> = users.iter().map(|u| u.password.as_str()).collect();
    passwords.sort_unstable();
    passwords.dedup();
    assert_eq!(passwords.len(), users.len(), "one generated password each");
    let user = |name: &str| {
        users
            .iter()
            .find(|u| u.username == name)
            .cloned()
            .unwrap_or_else(|| panic!("{name} in {printed}"))
    };

    // The 西村街 final report, through the API.
    let client = reqwest::Client::new();
    let token = token_after_change(&client, &base, &user("liwan-bureau")).await;
    final_report_says(&client, &base, &token, &evaluation_path(&printed, "西村街")).await;

    // The street office of 瑞宝街, in the browser: from the e-mail's link through the login and
    // its own password to the evaluation; 我的待办 says what it owes; then it reads the draft and
    // gives feedback.
    let street = user("ruibao-street");
    let ruibao = evaluation_path(&printed, "瑞宝街");
    let driver = Driver::start().await;
    let browser = driver.browser(1280, 900).await;
    let shot = |n: &str| format!("demo-{backend:?}-{n}").to_lowercase();
    arrive_by_link(&browser, &base, &ruibao, &street).await;
    screenshot(&browser, &shot("00-arrived")).await;
    let steps = text_of(&browser, "#next-steps").await;
    assert!(
        steps.contains("瑞宝街道办事处：反馈初稿意见 · ") && steps.contains("（待本单位办理）"),
        "{steps}"
    );
    let own = my_steps(&browser, &base).await;
    assert_eq!(own.0, "待本单位办理（1）");
    assert!(
        own.1.contains("瑞宝街社工服务站") && own.1.contains("反馈初稿意见 · "),
        "{own:?}"
    );
    screenshot(&browser, &shot("00-my-steps")).await;
    browser
        .goto(&format!("{base}{ruibao}?tab=reports"))
        .await
        .expect("reports tab");
    wait_for_path(&browser, &ruibao).await;
    assert!(
        text_of(&browser, ".reports")
            .await
            .contains("征求意见稿（第 1 稿）")
    );
    screenshot(&browser, &shot("01-draft")).await;
    browser
        .goto(&format!("{base}{ruibao}?tab=feedback"))
        .await
        .expect("feedback tab");
    wait_for_path(&browser, &ruibao).await;
    // An objection without its text: the form says so at its top (focused, a link to the
    // field) and beside the field, on the same tab.
    browser
        .find(Locator::Css("input[name='opinion'][value='objection']"))
        .await
        .expect("the objection choice")
        .click()
        .await
        .expect("chosen");
    click(&browser, "#feedback-form button", false).await;
    assert_eq!(
        text_of(&browser, ".error-summary a[href='#objection']").await,
        "选择了“有异议”，请填写异议内容"
    );
    assert!(
        text_of(&browser, "#objection-error")
            .await
            .contains("请填写异议内容")
    );
    let focused = browser
        .execute("return document.activeElement.className;", vec![])
        .await
        .expect("focus");
    assert_eq!(focused, "error error-summary", "the summary has the focus");
    assert!(
        text_of(&browser, "nav.tabs a[aria-current='page']").await == "反馈",
        "still on the tab"
    );
    let address = browser.current_url().await.expect("url");
    assert_eq!(
        (address.path(), address.query()),
        (ruibao.as_str(), Some("tab=feedback")),
        "the page's own address, not the form's"
    );
    screenshot(&browser, &shot("01-feedback-refused")).await;
    // The rest by keyboard alone, from the focused summary: Tab to the choice (the one chosen),
    // the arrow to 无异议, Tab to the remarks, type, Tab to the button, Enter.
    tab_until(&browser, "input[name='opinion']:checked").await;
    press_keys(&browser, ARROW_UP).await;
    assert_eq!(
        focused_value(&browser).await,
        "none",
        "the arrow chose 无异议"
    );
    tab_until(&browser, "#remarks").await;
    press_keys(&browser, "街道对评估报告初稿无异议。").await;
    tab_until(&browser, "#feedback-form button[type='submit']").await;
    crate::pages::mark_page(&browser).await;
    press_keys(&browser, ENTER).await;
    crate::pages::wait_for_next_page(&browser).await;
    if let Ok(error) = browser.find(Locator::Css("div.error")).await {
        panic!(
            "feedback refused: {}",
            error.text().await.unwrap_or_default()
        );
    }
    assert_eq!(
        text_of(&browser, "#confirmation").await,
        "反馈已提交，评估机构将收到通知。"
    );
    let said = text_of(&browser, ".feedback").await;
    assert!(said.contains("瑞宝街道办事处"), "{said}");
    assert!(said.contains("街道对评估报告初稿无异议。"), "{said}");
    screenshot(&browser, &shot("02-feedback")).await;
    let own = my_steps(&browser, &base).await;
    assert_eq!(
        own.0, "待本单位办理（0）",
        "fed back: nothing waits on the street office"
    );
    browser.close().await.expect("closed");

    // The agency, on a phone, from the same link: the last feedback is in, so 我的待办 says that
    // it must hand the report to the bureau — no deadline, and nothing for anyone else.
    let phone = driver.browser(360, 740).await;
    arrive_by_link(&phone, &base, &ruibao, &user("npo")).await;
    let steps = text_of(&phone, "#next-steps").await;
    assert!(
        steps.contains("广州市社会组织联合会：提交民政局审定（待本单位办理）"),
        "{steps}"
    );
    screenshot(&phone, &shot("03-agency-evaluation-360")).await;
    let own = my_steps(&phone, &base).await;
    assert_eq!(own.0, "待本单位办理（1）");
    assert!(
        own.1.contains("瑞宝街社工服务站") && own.1.contains("提交民政局审定"),
        "{own:?}"
    );
    screenshot(&phone, &shot("03-agency-my-steps-360")).await;
    phone.close().await.expect("closed");

    // The district bureau, the station and the supervision center: nothing waits on them now,
    // and the page says who acts.
    for (name, width) in [
        ("haizhu-bureau", 1280),
        ("ruibao-station", 360),
        ("center", 1280),
    ] {
        let browser = driver.browser(width, 900).await;
        arrive_by_link(&browser, &base, &ruibao, &user(name)).await;
        let steps = text_of(&browser, "#next-steps").await;
        assert!(
            steps.contains("广州市社会组织联合会：提交民政局审定")
                && !steps.contains("待本单位办理"),
            "{name}: {steps}"
        );
        screenshot(&browser, &shot(&format!("04-{name}-{width}"))).await;
        let own = my_steps(&browser, &base).await;
        assert_eq!(own.0, "待本单位办理（0）", "{name}");
        screenshot(&browser, &shot(&format!("04-{name}-my-steps-{width}"))).await;
        browser.close().await.expect("closed");
    }
    driver.stop().await;

    // Every party has answered: the stage now waits on the agency, and no party owes it.
    let street_token = token_of(&login_at(&client, &base, "ruibao-street", PASSWORD).await);
    let view: Value = client
        .get(format!("{base}/api/v1{ruibao}"))
        .bearer_auth(&street_token)
        .send()
        .await
        .expect("evaluation")
        .json()
        .await
        .expect("json");
    assert_eq!(view["state"], "draft_feedback");
    assert_eq!(view["next_deadline"], Value::Null, "{view}");

    // The agency's manager receives the notice as a file from the server's own worker.
    let mail = db.dir.path().join("data/mail");
    let to = "npo@demo.pinggu.example";
    let mut received = Vec::new();
    for _ in 0..300 {
        received = mails_to(&mail, to, "瑞宝街道办事处已提交反馈");
        if !received.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        received.len(),
        1,
        "the agency's e-mail under {}",
        mail.display()
    );
    // It asks for what 我的待办 shows the agency: the report to the bureau.
    assert!(
        received[0].contains("请将评估报告提交民政局审定。"),
        "{}",
        received[0]
    );
    // Five users were sent to the login from a link, and nothing failed.
    let errors = errors.lock().expect("log").clone();
    assert!(
        errors.is_empty(),
        "no ERROR in the server's log: {errors:#?}"
    );
    serve.kill().await.expect("stopped");

    // The same command again: the demo is there, nothing changes, and it serves.
    let mut again = serve_demo(&db, backend);
    let mut out = BufReader::new(again.stdout.take().expect("stdout")).lines();
    let printed = read_until(&mut out, 60, |l| l.contains("/login"))
        .await
        .join("\n");
    assert!(printed.contains("未做任何更改"), "{printed}");
    assert!(printed.contains(&ruibao), "{printed}");
    again.kill().await.expect("stopped");
}

/// A demo user opens an e-mail's link: the login with the printed password, the forced change to
/// one of their own, and the page linked — by keyboard alone (Tab, typing, Enter).
async fn arrive_by_link(browser: &fantoccini::Client, base: &str, path: &str, who: &DemoUser) {
    browser.goto(&format!("{base}{path}")).await.expect("page");
    wait_for_path(browser, "/login").await;
    for (field, text) in [("#username", &who.username), ("#password", &who.password)] {
        tab_until(browser, field).await;
        press_keys(browser, text).await;
    }
    press_keys(browser, ENTER).await;
    wait_for_path(browser, "/password").await;
    for (field, text) in [
        ("#current_password", who.password.as_str()),
        ("#new_password", PASSWORD),
        ("#confirm_password", PASSWORD),
    ] {
        tab_until(browser, field).await;
        press_keys(browser, text).await;
    }
    press_keys(browser, ENTER).await;
    wait_for_path(browser, path).await;
}

/// 我的待办's head: its title, and the text of the evaluations waiting on the organization.
async fn my_steps(browser: &fantoccini::Client, base: &str) -> (String, String) {
    browser.goto(&format!("{base}/")).await.expect("home");
    wait_for_path(browser, "/").await;
    (
        text_of(browser, "#my-steps h2").await,
        text_of(browser, "#my-steps").await,
    )
}

/// The README's command in the test's directory, logging JSON: on SQLite exactly as a newcomer
/// runs it (the default database under data/, the JWT secret generated there), on PostgreSQL
/// with the test's database and a secret; mail written to files under data/mail either way.
fn serve_demo(db: &TestDatabase, backend: Backend) -> tokio::process::Child {
    let mut command = tokio::process::Command::new(binary());
    command
        .args(["serve", "--demo", "--bind", "127.0.0.1:0"])
        .current_dir(db.dir.path())
        .env_clear()
        .env("PINGGU__LOG__FORMAT", "json")
        .env("PINGGU__NOTIFY__POLL_INTERVAL_SECONDS", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if backend == Backend::Postgres {
        command.env("DATABASE_URL", &db.url).env(
            "PINGGU__AUTH__JWT_SECRET",
            "test-secret-test-secret-test-secret-0123",
        );
    }
    command.spawn().expect("serve starts")
}
