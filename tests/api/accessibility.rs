//! axe-core in the browser tests: every page a browser test keeps a screenshot of is checked
//! first, and a serious or critical violation fails the test with the rule, its help text and
//! the elements. axe-core comes from npm (`tests/support/axe`, pinned by its package-lock.json)
//! and is injected through the WebDriver's script execution, which the pages' CSP does not
//! govern; the pages themselves still hold no inline script.

use std::path::PathBuf;

use fantoccini::Client;
use serde_json::Value;
use tokio::sync::OnceCell;

fn package_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/support/axe")
}

/// axe.min.js, installed with `npm ci` on first use (once per test process).
async fn axe_source() -> &'static str {
    static SOURCE: OnceCell<String> = OnceCell::const_new();
    SOURCE
        .get_or_init(|| async {
            let dir = package_dir();
            let script = dir.join("node_modules/axe-core/axe.min.js");
            if !script.exists() {
                let status = tokio::process::Command::new("npm")
                    .args(["ci", "--no-audit", "--no-fund", "--prefix"])
                    .arg(&dir)
                    .status()
                    .await
                    .expect("npm runs (apt-get install npm)");
                assert!(status.success(), "npm ci in {}", dir.display());
            }
            std::fs::read_to_string(&script).unwrap_or_else(|e| panic!("{}: {e}", script.display()))
        })
        .await
}

/// One violation as the test reports it.
fn described(violation: &Value) -> String {
    let targets: Vec<String> = violation["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .take(5)
        .map(|n| n["target"].to_string())
        .collect();
    format!(
        "{} ({}): {} — {}",
        violation["id"].as_str().unwrap_or("?"),
        violation["impact"].as_str().unwrap_or("?"),
        violation["help"].as_str().unwrap_or(""),
        targets.join(", ")
    )
}

/// Runs axe-core (WCAG 2.1 A and AA rules and best practices) on the page as it is now;
/// panics on a serious or critical violation, naming the page.
pub(crate) async fn assert_accessible(browser: &Client, page: &str) {
    let source = axe_source().await;
    // The source is the script's own body (no eval: the pages' CSP forbids it).
    let loaded = browser
        .execute(
            &format!("if (!window.axe) {{\n{source}\n}}\nreturn typeof window.axe;"),
            vec![],
        )
        .await
        .expect("axe-core injected");
    assert_eq!(loaded, "object", "axe-core loads on {page}");
    // A whole report is one long page: give axe-core time (chromedriver's default is 30 s).
    browser
        .update_timeouts(fantoccini::wd::TimeoutConfiguration::new(
            Some(std::time::Duration::from_secs(300)),
            None,
            None,
        ))
        .await
        .expect("script timeout");
    let started = std::time::Instant::now();
    let violations = browser
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
               axe.run(document, { resultTypes: ['violations'] })
                  .then(r => done(r.violations))
                  .catch(e => done([{ id: 'axe-error', impact: 'critical', help: String(e), nodes: [] }]));"#,
            vec![],
        )
        .await
        .unwrap_or_else(|e| panic!("axe-core on {page}: {e}"));
    eprintln!("axe-core on {page}: {} ms", started.elapsed().as_millis());
    let serious: Vec<String> = violations
        .as_array()
        .into_iter()
        .flatten()
        .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
        .map(described)
        .collect();
    assert!(
        serious.is_empty(),
        "axe-core on {page}:\n{}",
        serious.join("\n")
    );
}
