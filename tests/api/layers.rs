//! The layers of README's layout, read from the source: nothing below the API and the pages
//! imports them, the two never import each other, no module imports itself round a cycle, and
//! no code outside the scheme module and the demo names a scheme's party codes.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every file under `dir` with one of the extensions, recursively.
fn files(dir: &Path, extensions: &[&str]) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        for entry in std::fs::read_dir(&next).expect("readable source directory") {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| extensions.contains(&e))
            {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// The module path of a source file: `src/app/reports.rs` → `app::reports`, `src/web/mod.rs` →
/// `web`, `src/lib.rs` → ``.
fn module_of(file: &Path) -> String {
    let relative = file
        .strip_prefix(root().join("src"))
        .expect("a file of src")
        .with_extension("");
    let mut parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts.join("::")
}

/// The code of a file without its unit tests (`#[cfg(test)]` to the end, as rustfmt leaves
/// them) and without comments.
fn code_of(file: &Path) -> String {
    let text = std::fs::read_to_string(file).expect("readable source");
    let text = match text.find("#[cfg(test)]") {
        Some(at) => &text[..at],
        None => &text[..],
    };
    text.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every module path a file names: `crate::a::b::c`, `crate::a::{b, c::d}`, `super::x`.
fn named_paths(module: &str, code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let parent = module.rsplit_once("::").map_or("", |(p, _)| p).to_owned();
    for (prefix, base) in [("crate::", String::new()), ("super::", parent)] {
        let mut rest = code;
        while let Some(at) = rest.find(prefix) {
            let before = rest[..at].chars().last();
            rest = &rest[at + prefix.len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let path: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            let path = path.trim_end_matches(':').to_owned();
            let join = |tail: &str| {
                [base.as_str(), tail]
                    .iter()
                    .filter(|s| !s.is_empty())
                    .copied()
                    .collect::<Vec<_>>()
                    .join("::")
            };
            let after = &rest[path.len()..];
            // `a::{b, c}`, or a group straight after the prefix: `super::{b, c}`.
            let group_start = if after.starts_with("::{") {
                Some(3)
            } else if path.is_empty() && after.starts_with('{') {
                Some(1)
            } else {
                None
            };
            if let Some(start) = group_start {
                let group = &after[start..after.find('}').unwrap_or(after.len())];
                for item in group.split(',') {
                    let item = item.trim().split(" as ").next().unwrap_or("").trim();
                    if item == "self" || item.is_empty() {
                        out.push(join(&path));
                    } else if path.is_empty() {
                        out.push(join(item));
                    } else {
                        out.push(join(&format!("{path}::{item}")));
                    }
                }
            } else {
                out.push(join(&path));
            }
        }
    }
    out
}

/// The longest prefix of `path` that is a module of the crate.
fn module_named(path: &str, modules: &BTreeSet<String>) -> Option<String> {
    let parts: Vec<&str> = path.split("::").collect();
    (1..=parts.len())
        .rev()
        .map(|n| parts[..n].join("::"))
        .find(|candidate| modules.contains(candidate))
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let sources = files(&root().join("src"), &["rs"]);
    let modules: BTreeSet<String> = sources.iter().map(|f| module_of(f)).collect();
    let mut edges = BTreeMap::new();
    for file in &sources {
        let module = module_of(file);
        let code = code_of(file);
        let targets: BTreeSet<String> = named_paths(&module, &code)
            .iter()
            .filter_map(|p| module_named(p, &modules))
            .filter(|target| *target != module && !target.is_empty())
            .collect();
        edges.insert(module, targets);
    }
    edges
}

fn top(module: &str) -> &str {
    module.split("::").next().unwrap_or(module)
}

#[test]
fn nothing_below_the_api_and_the_pages_imports_them() {
    let mut wrong = Vec::new();
    for (module, targets) in graph() {
        for target in targets {
            let upward = matches!(top(&target), "api" | "web")
                && !matches!(top(&module), "api" | "web" | "startup")
                && top(&target) != top(&module);
            let across = matches!(
                (top(&module), top(&target)),
                ("api", "web") | ("web", "api")
            );
            if upward || across {
                wrong.push(format!("{module} → {target}"));
            }
        }
    }
    assert!(wrong.is_empty(), "imports across the layers: {wrong:#?}");
}

#[test]
fn no_module_imports_itself_round_a_cycle() {
    let edges = graph();
    // Depth-first search; a back edge closes a cycle.
    fn visit(
        module: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
        cycles: &mut Vec<String>,
    ) {
        if let Some(at) = stack.iter().position(|m| m == module) {
            let mut cycle = stack[at..].to_vec();
            cycle.push(module.to_owned());
            cycles.push(cycle.join(" → "));
            return;
        }
        if done.contains(module) {
            return;
        }
        stack.push(module.to_owned());
        for next in edges.get(module).into_iter().flatten() {
            visit(next, edges, stack, done, cycles);
        }
        stack.pop();
        done.insert(module.to_owned());
    }
    let (mut done, mut cycles) = (BTreeSet::new(), Vec::new());
    for module in edges.keys() {
        visit(module, &edges, &mut Vec::new(), &mut done, &mut cycles);
    }
    assert!(cycles.is_empty(), "import cycles: {cycles:#?}");
}

#[test]
fn only_the_scheme_module_and_the_demo_name_party_codes() {
    let mut codes = BTreeSet::new();
    for scheme in files(&root().join("config/schemes"), &["json"]) {
        let text = std::fs::read_to_string(&scheme).expect("scheme file");
        let document: serde_json::Value = serde_json::from_str(&text).expect("scheme json");
        for party in document["parties"].as_array().expect("parties") {
            codes.insert(party["code"].as_str().expect("party code").to_owned());
        }
    }
    codes.insert("station".to_owned());
    assert!(
        codes.len() > 5,
        "the shipped schemes' party codes: {codes:?}"
    );
    let allowed = |file: &Path| {
        let module = module_of(file);
        module == "domain::scheme" || module == "schemes" || top(&module) == "demo"
    };
    // Words that are a party code only by coincidence: the audit log's entity "station".
    let coincidences = [("db::audit", "pub const STATION_ENTITY: &str = \"station\";")];
    let mut named = Vec::new();
    for file in files(&root().join("src"), &["rs", "html", "typ", "txt"]) {
        let is_rust = file.extension().is_some_and(|e| e == "rs");
        if is_rust && allowed(&file) {
            continue;
        }
        let text = if is_rust {
            code_of(&file)
        } else {
            std::fs::read_to_string(&file).expect("template")
        };
        for line in text.lines() {
            let line = line.trim();
            let coincidence = coincidences
                .iter()
                .any(|(module, text)| module_of(&file) == *module && line == *text);
            let names_one = codes.iter().any(|code| {
                line.contains(&format!("\"{code}\"")) || line.contains(&format!("'{code}'"))
            });
            if names_one && !coincidence {
                named.push(format!("{}: {line}", file.display()));
            }
        }
    }
    assert!(
        named.is_empty(),
        "party codes named outside the scheme module and the demo: {named:#?}"
    );
}

#[test]
fn api_handlers_leave_the_database_to_the_application_layer() {
    // A handler extracts, calls one `…_for` and maps the answer: a read or a write of its own
    // would bypass the rules and the serialized writes of `app/`.
    let mut direct = Vec::new();
    for file in files(&root().join("src/api"), &["rs"]) {
        let code = code_of(&file);
        for (number, line) in code.lines().enumerate() {
            let line = line.trim();
            if ["db::run(", "crate::db::", "use crate::db"]
                .iter()
                .any(|needle| line.contains(needle))
            {
                direct.push(format!("{}:{}: {line}", file.display(), number + 1));
            }
        }
    }
    assert!(
        direct.is_empty(),
        "API handlers reaching the database themselves: {direct:#?}"
    );
}

/// The checks above read what they claim to.
#[test]
fn the_source_graph_is_read() {
    let edges = graph();
    assert!(edges["api::components"].contains("app::components"));
    assert!(edges["app::access"].contains("domain::access"));
    assert_eq!(
        named_paths(
            "web::evaluation",
            "use super::{Chrome, page};\nuse crate::app::{a, b::c};"
        ),
        ["app::a", "app::b::c", "web::Chrome", "web::page"]
    );
}
