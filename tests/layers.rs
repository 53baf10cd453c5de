//! The pipeline's layer order, read from the `use crate::` lines of `src/`:
//! a module may import only modules of a lower layer (or its own), and no
//! two files import each other. A backward import fails here.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The layers, lowest first. Modules on one line share a layer and may not
/// import each other (the two fake peers).
const LAYERS: &[&[&str]] = &[
    &["wire"],
    &["timeline"],
    &["verdict"],
    &["script"],
    &["suite"],
    &["net", "topology"],
    &["real"],
    &["fake", "fake::client", "fake::server"],
    &["capture"],
    &["transcript"],
    &["ladder"],
    &["check"],
    &["offline"],
    &["runner"],
    &["nat"],
    &["report"],
    &["harness"],
    &["coverage"],
    &["cli"],
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `src/` with its module path (`fake::client::data`).
fn files() -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    let mut stack = vec![src()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push((module_of(&path), path));
            }
        }
    }
    out.sort();
    out
}

fn module_of(path: &Path) -> String {
    let rel = path.strip_prefix(src()).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
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

/// The layer of a module path: the longest layer entry that prefixes it.
fn layer(module: &str) -> Option<(usize, &'static str)> {
    let mut best: Option<(usize, &'static str)> = None;
    for (rank, names) in LAYERS.iter().enumerate() {
        for name in names.iter() {
            let hit = module == *name || module.starts_with(&format!("{name}::"));
            if hit && best.is_none_or(|(_, b)| name.len() > b.len()) {
                best = Some((rank, name));
            }
        }
    }
    best
}

/// The crate paths a file of module `module` imports: `use crate::a::b::{c,
/// d}` gives `a::b::c` and `a::b::d` (the longest prefix that is a file wins
/// when resolved), `crate::x::y` in code counts too, and `super::x` is read
/// relative to the file's parent module.
fn imports(module: &str, text: &str) -> BTreeSet<String> {
    let parent = module.rsplit_once("::").map_or("", |(p, _)| p);
    let text = text.replace("super::", &format!("crate::{parent}::"));
    let text = text.replace("crate::::", "crate::");
    crate_paths(&text)
}

fn crate_paths(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let code: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let mut rest = code.as_str();
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        let path: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        let path = path.trim_end_matches(':').to_string();
        if rest[path.len()..].starts_with("::{") {
            let body = &rest[path.len() + 3..];
            let end = body.find('}').unwrap_or(body.len());
            for item in body[..end].split(',') {
                let item = item.split_whitespace().next().unwrap_or("");
                let item = item.split("::").next().unwrap_or("");
                if !item.is_empty() && item != "self" {
                    out.insert(format!("{path}::{item}"));
                }
            }
        }
        if !path.is_empty() {
            out.insert(path);
        }
    }
    out
}

/// The file module an import path lands in: its longest prefix that is a
/// module of `src/`.
fn resolve(path: &str, modules: &BTreeSet<String>) -> Option<String> {
    let parts: Vec<&str> = path.split("::").collect();
    (1..=parts.len())
        .rev()
        .map(|n| parts[..n].join("::"))
        .find(|m| modules.contains(m))
}

#[test]
fn no_module_imports_a_later_layer() {
    let files = files();
    let mut wrong = Vec::new();
    for (module, path) in &files {
        let Some((rank, own)) = layer(module) else {
            continue;
        };
        let text = fs::read_to_string(path).unwrap();
        for import in imports(module, &text) {
            let Some((their, name)) = layer(&import) else {
                continue;
            };
            if name != own && their >= rank {
                wrong.push(format!("{module} (layer {own}) imports crate::{import}"));
            }
        }
    }
    assert!(wrong.is_empty(), "backward imports:\n{}", wrong.join("\n"));
}

#[test]
fn no_two_files_import_each_other() {
    let files = files();
    let modules: BTreeSet<String> = files.iter().map(|(m, _)| m.clone()).collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, path) in &files {
        let text = fs::read_to_string(path).unwrap();
        for import in imports(module, &text) {
            if let Some(target) = resolve(&import, &modules) {
                if &target != module && !module.starts_with(&format!("{target}::")) {
                    edges.entry(module.clone()).or_default().insert(target);
                }
            }
        }
    }
    let mut cycles = Vec::new();
    for (a, targets) in &edges {
        for b in targets {
            if a < b && edges.get(b).is_some_and(|t| t.contains(a)) {
                cycles.push(format!("{a} <-> {b}"));
            }
        }
    }
    assert!(
        cycles.is_empty(),
        "files importing each other:\n{}",
        cycles.join("\n")
    );
}

#[test]
fn every_top_level_module_has_a_layer() {
    let missing: Vec<String> = files()
        .into_iter()
        .map(|(m, _)| m)
        .filter(|m| !m.is_empty() && layer(m).is_none())
        .collect();
    assert!(missing.is_empty(), "modules with no layer: {missing:?}");
}

#[test]
fn the_reader_sees_grouped_relative_and_inline_imports() {
    let text = "use crate::check::{facts::Findings, Rule};\n\
                use super::session::FakeClient;\n\
                // use crate::runner;\n\
                fn f() { crate::report::json::render(&[]); }\n";
    let got = imports("fake::client::data", text);
    for want in [
        "check::facts",
        "check::Rule",
        "fake::client::session::FakeClient",
        "report::json::render",
    ] {
        assert!(got.contains(want), "{want} missing from {got:?}");
    }
    assert!(!got.iter().any(|i| i.starts_with("runner")), "{got:?}");
    assert_eq!(layer("fake::client::data"), Some((7, "fake::client")));
    assert_eq!(layer("check::facts"), layer("check"));
}
