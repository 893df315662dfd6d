//! The core's modules are layered as `ARCHITECTURE.md` says: every file of `src/` imports
//! only modules of lower layers (and, inside a folder module, its siblings without a cycle),
//! so each file can be read knowing only the files below it.
//!
//! The import graph is read from the source: `use crate::…`, `super::…` and `crate::…`
//! paths in code (comments and `#[cfg(test)] mod tests` are left out: tests may use
//! anything), with names re-exported at the crate root resolved through `src/lib.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Every `.rs` file under `src/` except `lib.rs`, by module path (`revocation::list`).
fn source_files() -> BTreeMap<String, String> {
    fn walk(dir: &Path, prefix: &str, out: &mut BTreeMap<String, String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_stem().unwrap().to_str().unwrap().to_owned();
            if path.is_dir() {
                walk(&path, &format!("{prefix}{name}::"), out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let module = match name.as_str() {
                    "mod" => prefix.trim_end_matches("::").to_owned(),
                    _ => format!("{prefix}{name}"),
                };
                if module != "lib" {
                    out.insert(module, std::fs::read_to_string(&path).unwrap());
                }
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(&Path::new(ROOT).join("src"), "", &mut out);
    out
}

/// The code of a file without comments and without its unit tests.
fn code_of(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    };
    text.lines()
        .map(|line| match line.find("//") {
            Some(i) => &line[..i],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The paths named after `keyword::` in `code`, with `{…}` groups expanded one level:
/// `crate::{a::B, c}` gives `a::B` and `c`.
fn paths_after(code: &str, keyword: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find(keyword) {
        let before = rest[..i].chars().next_back();
        rest = &rest[i + keyword.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .unwrap_or(rest.len());
        let base = rest[..end].trim_end_matches(':');
        if rest[end..].starts_with('{') && rest[..end].ends_with("::") || end == 0 {
            let close = rest[end..].find('}').map_or(rest.len(), |c| end + c);
            let group = &rest[end..close];
            for item in group.split([',', '{', '}']) {
                let item = item.trim().trim_start_matches("self::");
                let item = item.split_whitespace().next().unwrap_or("");
                if item.is_empty() || item == "self" {
                    out.push(base.to_owned());
                } else if base.is_empty() {
                    out.push(item.to_owned());
                } else {
                    out.push(format!("{base}::{item}"));
                }
            }
        } else {
            out.push(base.to_owned());
        }
    }
    out
}

/// Crate-root re-exports in `lib.rs`: item name to the module it comes from.
fn reexports() -> BTreeMap<String, String> {
    let lib = std::fs::read_to_string(Path::new(ROOT).join("src/lib.rs")).unwrap();
    let mut out = BTreeMap::new();
    for statement in lib.split(';') {
        let Some(i) = statement.find("pub use ") else {
            continue;
        };
        let body = &statement[i + "pub use ".len()..];
        let (module, items) = match body.find("::") {
            Some(j) => (&body[..j], &body[j + 2..]),
            None => continue,
        };
        for item in items.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
            if !item.is_empty() {
                out.insert(item.to_owned(), module.trim().to_owned());
            }
        }
    }
    out
}

/// The file-level import graph: module path to the module paths it uses.
fn import_graph() -> BTreeMap<String, BTreeSet<String>> {
    let files = source_files();
    let roots = reexports();
    let resolve = |path: &str| -> Option<String> {
        let parts: Vec<&str> = path.split("::").collect();
        for n in (1..=parts.len()).rev() {
            let candidate = parts[..n].join("::");
            if files.contains_key(&candidate) {
                return Some(candidate);
            }
        }
        roots.get(parts[0]).cloned()
    };
    let mut graph = BTreeMap::new();
    for (module, text) in &files {
        let code = code_of(text);
        let mut deps = BTreeSet::new();
        for path in paths_after(&code, "crate::") {
            deps.extend(resolve(&path));
        }
        let parent = module.rsplit_once("::").map_or("", |(p, _)| p);
        for path in paths_after(&code, "super::") {
            let full = if parent.is_empty() {
                path
            } else {
                format!("{parent}::{path}")
            };
            deps.extend(resolve(&full));
        }
        // A folder module depends on the children it declares.
        for line in code.lines() {
            let line = line
                .trim()
                .trim_start_matches("pub(crate) ")
                .trim_start_matches("pub ");
            if let Some(child) = line.strip_prefix("mod ").and_then(|l| l.strip_suffix(';')) {
                deps.insert(format!("{module}::{child}"));
            }
        }
        deps.remove(module);
        graph.insert(module.clone(), deps);
    }
    graph
}

/// The layers listed in `ARCHITECTURE.md` under "Layers of the core": lines
/// `N. `a`, `b`: …`, numbered from the bottom.
fn documented_layers() -> BTreeMap<String, usize> {
    let doc = std::fs::read_to_string(Path::new(ROOT).join("ARCHITECTURE.md")).unwrap();
    let section = doc
        .split("\n## ")
        .find(|s| s.starts_with("Layers of the core"))
        .expect("ARCHITECTURE.md has a section 'Layers of the core'");
    let mut layers = BTreeMap::new();
    for line in section.lines() {
        let Some((number, rest)) = line.split_once(". ") else {
            continue;
        };
        let Ok(layer) = number.trim().parse::<usize>() else {
            continue;
        };
        let names = rest.split(':').next().unwrap();
        for name in names.split('`').skip(1).step_by(2) {
            assert!(
                layers.insert(name.to_owned(), layer).is_none(),
                "{name} is listed twice in ARCHITECTURE.md"
            );
        }
    }
    assert!(!layers.is_empty(), "no layers found in ARCHITECTURE.md");
    layers
}

fn top(module: &str) -> &str {
    module.split("::").next().unwrap()
}

#[test]
fn the_file_import_graph_has_no_cycle() {
    let graph = import_graph();
    // Depth-first search; a back edge is a cycle.
    fn visit<'a>(
        node: &'a str,
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        done: &mut BTreeSet<&'a str>,
        stack: &mut Vec<&'a str>,
    ) {
        if done.contains(node) {
            return;
        }
        if let Some(i) = stack.iter().position(|&n| n == node) {
            panic!("import cycle: {} -> {node}", stack[i..].join(" -> "));
        }
        stack.push(node);
        for dep in &graph[node] {
            visit(dep, graph, done, stack);
        }
        stack.pop();
        done.insert(node);
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        visit(node, &graph, &mut done, &mut Vec::new());
    }
    assert!(graph.len() > 20, "found only {} files", graph.len());
}

#[test]
fn every_module_imports_only_lower_layers() {
    let graph = import_graph();
    let layers = documented_layers();
    let mut problems = Vec::new();
    for (module, deps) in &graph {
        let Some(&own) = layers.get(top(module)) else {
            problems.push(format!("{module} is not in ARCHITECTURE.md's layers"));
            continue;
        };
        for dep in deps {
            if top(dep) == top(module) {
                continue; // inside a folder module: covered by the cycle check
            }
            match layers.get(top(dep)) {
                Some(&theirs) if theirs < own => {}
                _ => problems.push(format!(
                    "{module} (layer {own}) imports {dep} (layer {:?})",
                    layers.get(top(dep))
                )),
            }
        }
    }
    for name in layers.keys() {
        if !graph.keys().any(|m| top(m) == name) {
            problems.push(format!(
                "ARCHITECTURE.md lists {name}, which is not in src/"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_reader_sees_imports_it_must_see() {
    // The graph reader itself: a file that imports a lower module must show that edge, or
    // the checks above would pass on an empty graph.
    let graph = import_graph();
    assert!(graph["verifier"].contains("revocation"));
    assert!(graph["error"].contains("key_id"));
    assert!(graph["revocation::list"].contains("revocation::format"));
    assert!(graph["revocation"].contains("revocation::builder"));
    assert!(graph["keyring"].contains("keys"), "{:?}", graph["keyring"]);
    assert!(graph["limits"].is_empty());
}

#[test]
fn the_library_never_prints() {
    for (module, text) in source_files() {
        let code = code_of(&text);
        for forbidden in [
            "print!(",
            "println!(",
            "eprint!(",
            "eprintln!(",
            "dbg!(",
            "io::stdout",
            "io::stderr",
            "process::exit",
        ] {
            assert!(
                !code.contains(forbidden),
                "src/{module} uses {forbidden}: the library never prints or exits"
            );
        }
    }
}
