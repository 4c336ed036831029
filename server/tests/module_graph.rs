//! The server's module graph has no cycle, and docs/architecture.md shows it as it is.
//!
//! A module is a file under `server/src/` or a directory of them (`portal/`, `tiles/`); it
//! depends on another when its code names an item there (`crate::x`, `super::super::x`,
//! `use crate::{x, ..}`). Doc comments and strings are not code. The graph is layered
//! bottom-up: each module is listed after everything it depends on.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`, with its module path (`["portal", "db"]`).
fn files(dir: &Path, prefix: &[String], out: &mut Vec<(Vec<String>, PathBuf)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        let name = p.file_stem().unwrap().to_string_lossy().to_string();
        if p.is_dir() {
            let mut sub = prefix.to_vec();
            sub.push(p.file_name().unwrap().to_string_lossy().to_string());
            files(&p, &sub, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            let mut m = prefix.to_vec();
            if name != "mod" {
                m.push(name);
            }
            out.push((m, p));
        }
    }
}

/// The code of a file without comments, string and character literals.
fn code_of(src: &str) -> String {
    let b = src.as_bytes();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    while i < b.len() {
        if b[i..].starts_with(b"//") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b[i..].starts_with(b"/*") {
            let mut depth = 0;
            while i < b.len() {
                if b[i..].starts_with(b"/*") {
                    depth += 1;
                    i += 2;
                } else if b[i..].starts_with(b"*/") {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if b[i] == b'r'
            && (b.get(i + 1) == Some(&b'#') || b.get(i + 1) == Some(&b'"'))
            && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_'))
        {
            // A raw string: r"…", r#"…"#, …
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&b'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&b'"') {
                out.push('r');
                i += 1;
                continue;
            }
            j += 1;
            let close: Vec<u8> = std::iter::once(b'"')
                .chain(std::iter::repeat_n(b'#', hashes))
                .collect();
            while j < b.len() && !b[j..].starts_with(&close) {
                j += 1;
            }
            i = j + close.len();
            out.push_str("\"\"");
        } else if b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if b[i] == b'\'' && b.get(i + 2) == Some(&b'\'') {
            i += 3;
        } else if b[i] == b'\'' && b.get(i + 1) == Some(&b'\\') {
            i += 2;
            while i < b.len() && b[i] != b'\'' {
                i += 1;
            }
            i += 1;
        } else {
            out.push(b[i] as char);
            i += 1;
        }
    }
    out
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The paths a file names: `crate::a::b`, `super::x`, and each branch of
/// `use crate::{a, b::{c, d}}`, as segments.
fn paths_in(code: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let chars: Vec<char> = code.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let starts_word = i == 0 || !is_ident(chars[i - 1]) && chars[i - 1] != ':';
        let rest: String = chars[i..chars.len().min(i + 8)].iter().collect();
        if starts_word && (rest.starts_with("crate::") || rest.starts_with("super::")) {
            let (mut paths, next) = parse_tree(&chars, i);
            out.append(&mut paths);
            i = next;
        } else {
            i += 1;
        }
    }
    out
}

/// Parses a path or use tree from `i`: segments joined by `::`, possibly ending in a
/// `{…}` group of trees. Returns every full path and the index after it.
fn parse_tree(chars: &[char], mut i: usize) -> (Vec<Vec<String>>, usize) {
    let mut segs = Vec::new();
    loop {
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        if i < chars.len() && chars[i] == '{' {
            i += 1;
            let mut all = Vec::new();
            loop {
                while i < chars.len() && (chars[i].is_whitespace() || chars[i] == ',') {
                    i += 1;
                }
                if i >= chars.len() || chars[i] == '}' {
                    i += 1;
                    break;
                }
                let (sub, next) = parse_tree(chars, i);
                for s in sub {
                    let mut p = segs.clone();
                    p.extend(s);
                    all.push(p);
                }
                if next == i {
                    i += 1;
                } else {
                    i = next;
                }
                // Skip `as name` and anything up to the next branch.
                while i < chars.len() && chars[i] != ',' && chars[i] != '}' {
                    i += 1;
                }
            }
            return (all, i);
        }
        let start = i;
        while i < chars.len() && is_ident(chars[i]) {
            i += 1;
        }
        if i == start {
            break;
        }
        segs.push(chars[start..i].iter().collect::<String>());
        if chars.get(i) == Some(&':') && chars.get(i + 1) == Some(&':') {
            i += 2;
        } else {
            break;
        }
    }
    (vec![segs], i)
}

/// The full path a path named in module `here` resolves to (`crate::` and `super::` made
/// absolute), its first segment a top-level module. `tops` maps each top-level name (a
/// module, or an item the crate root re-exports) to its module.
fn resolve(
    here: &[String],
    path: &[String],
    tops: &BTreeMap<String, String>,
) -> Option<Vec<String>> {
    let mut full: Vec<String> = match path.first().map(String::as_str) {
        Some("crate") => path[1..].to_vec(),
        Some("super") => {
            let mut base = here.to_vec();
            let mut k = 0;
            while path.get(k).map(String::as_str) == Some("super") {
                base.pop();
                k += 1;
            }
            base.extend_from_slice(&path[k..]);
            base
        }
        _ => return None,
    };
    let top = tops.get(full.first()?)?.clone();
    if full[0] != top {
        // A re-exported item: `crate::AppState` is `crate::state::AppState`.
        full.insert(0, top);
    }
    Some(full)
}

/// The top-level module a path named in module `here` resolves into, if any.
fn target(here: &[String], path: &[String], tops: &BTreeMap<String, String>) -> Option<String> {
    resolve(here, path, tops).map(|mut f| f.swap_remove(0))
}

/// Every file module (its path) with its code, and the top-level names.
type Sources = (Vec<(Vec<String>, String)>, BTreeMap<String, String>);

/// Every file module with its code, and the top-level names.
fn sources() -> Sources {
    let mut all = Vec::new();
    files(&src_dir(), &[], &mut all);
    let mut tops: BTreeMap<String, String> = all
        .iter()
        .filter_map(|(m, _)| m.first().cloned())
        .filter(|t| t != "lib" && t != "main")
        .map(|t| (t.clone(), t))
        .collect();
    // Items the crate root re-exports (`pub use state::AppState;`) belong to their module.
    let lib = code_of(&std::fs::read_to_string(src_dir().join("lib.rs")).unwrap());
    for line in lib.lines() {
        if let Some(rest) = line.trim().strip_prefix("pub use ") {
            let segs: Vec<&str> = rest.trim_end_matches(';').split("::").collect();
            if let (Some(m), Some(item)) = (segs.first(), segs.last()) {
                if tops.contains_key(*m) {
                    tops.insert(item.to_string(), m.to_string());
                }
            }
        }
    }
    let code = all
        .into_iter()
        .filter(|(m, _)| m.first().is_some_and(|t| t != "lib" && t != "main"))
        .map(|(m, path)| (m, code_of(&std::fs::read_to_string(path).unwrap())))
        .collect();
    (code, tops)
}

/// Within each directory module (`portal/`, `tiles/`…): file module → the files of the same
/// directory module it depends on, leaving out its ancestors (a module's shared items sit in
/// its `mod.rs`, which declares the submodules and gathers their routes) and descendants.
fn inner_graph() -> BTreeMap<String, BTreeSet<String>> {
    let (all, tops) = sources();
    let modules: BTreeSet<Vec<String>> = all.iter().map(|(m, _)| m.clone()).collect();
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (m, code) in &all {
        let deps = g.entry(m.join("::")).or_default();
        for p in paths_in(code) {
            let Some(full) = resolve(m, &p, &tops) else {
                continue;
            };
            let Some(t) = (1..=full.len())
                .rev()
                .map(|n| full[..n].to_vec())
                .find(|prefix| modules.contains(prefix))
            else {
                continue;
            };
            let related = t.starts_with(m) || m.starts_with(&t);
            if !related && t[0] == m[0] {
                deps.insert(t.join("::"));
            }
        }
    }
    g
}

/// Module → the modules it depends on.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let (all, tops) = sources();
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (m, code) in &all {
        let top = &m[0];
        let deps = g.entry(top.clone()).or_default();
        for p in paths_in(code) {
            if let Some(t) = target(m, &p, &tops) {
                if &t != top {
                    deps.insert(t);
                }
            }
        }
    }
    g
}

/// The modules in layers: each after all it depends on. `Err` names the modules left in a
/// cycle.
fn layers(g: &BTreeMap<String, BTreeSet<String>>) -> Result<Vec<Vec<String>>, Vec<String>> {
    let mut placed: BTreeSet<String> = BTreeSet::new();
    let mut out = Vec::new();
    while placed.len() < g.len() {
        let layer: Vec<String> = g
            .iter()
            .filter(|(m, deps)| !placed.contains(*m) && deps.iter().all(|d| placed.contains(d)))
            .map(|(m, _)| m.clone())
            .collect();
        if layer.is_empty() {
            return Err(g.keys().filter(|m| !placed.contains(*m)).cloned().collect());
        }
        placed.extend(layer.iter().cloned());
        out.push(layer);
    }
    Ok(out)
}

fn rendered(g: &BTreeMap<String, BTreeSet<String>>, layers: &[Vec<String>]) -> String {
    let mut s = String::from("```text\n");
    for (k, layer) in layers.iter().enumerate() {
        for m in layer {
            let deps = &g[m];
            let deps = if deps.is_empty() {
                "—".to_string()
            } else {
                deps.iter().cloned().collect::<Vec<_>>().join(", ")
            };
            s.push_str(&format!("{k}  {m:<9} → {deps}\n"));
        }
    }
    s.push_str("```\n");
    s
}

#[test]
fn server_modules_import_each_other_in_no_cycle() {
    let g = graph();
    assert!(g.len() > 15, "too few modules found: {g:?}");
    assert!(
        g["state"].contains("portal"),
        "the parser misses edges: {g:?}"
    );
    if layers(&g).is_err() {
        let cycles: Vec<String> = cycles(&g)
            .iter()
            .map(|c| c.iter().cloned().collect::<Vec<_>>().join(" ↔ "))
            .collect();
        panic!("modules in an import cycle: {}", cycles.join("; "));
    }
}

/// The modules reachable from `from` (itself only through a cycle).
fn reachable(g: &BTreeMap<String, BTreeSet<String>>, from: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo: Vec<&String> = g[from].iter().collect();
    while let Some(m) = todo.pop() {
        if seen.insert(m.clone()) {
            todo.extend(g[m].iter());
        }
    }
    seen
}

/// Each set of modules that import each other, directly or round a loop.
fn cycles(g: &BTreeMap<String, BTreeSet<String>>) -> BTreeSet<BTreeSet<String>> {
    let reach: BTreeMap<&String, BTreeSet<String>> =
        g.keys().map(|m| (m, reachable(g, m))).collect();
    g.keys()
        .filter(|m| reach[m].contains(*m))
        .map(|m| {
            reach[m]
                .iter()
                .filter(|o| reach[o].contains(m))
                .cloned()
                .collect()
        })
        .collect()
}

#[test]
fn submodules_of_a_directory_import_each_other_in_no_cycle() {
    let g = inner_graph();
    assert!(
        g["portal::inbox"].contains("portal::sql"),
        "the parser misses edges: {g:?}"
    );
    let cycles: Vec<String> = cycles(&g)
        .iter()
        .map(|c| c.iter().cloned().collect::<Vec<_>>().join(" ↔ "))
        .collect();
    assert!(
        cycles.is_empty(),
        "submodules in an import cycle: {}",
        cycles.join("; ")
    );
}

#[test]
fn architecture_doc_shows_the_module_graph_as_it_is() {
    let g = graph();
    let Ok(layers) = layers(&g) else {
        return; // the test above names the cycle
    };
    let want = rendered(&g, &layers);
    let doc_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/architecture.md");
    let doc = std::fs::read_to_string(&doc_path).unwrap();
    let marker = "<!-- module-graph: written by server/tests/module_graph.rs -->\n";
    let start = doc.find(marker).unwrap_or_else(|| {
        panic!("docs/architecture.md has no `{marker}`; put this after it:\n{want}")
    }) + marker.len();
    assert!(
        doc[start..].starts_with(&want),
        "docs/architecture.md's module graph is out of date; it should read:\n{want}"
    );
}

#[test]
fn the_parser_reads_use_trees_super_paths_and_skips_comments() {
    let code = code_of(
        "use crate::{a, b::{c, d as e}};\n// crate::zz\nlet s = \"crate::yy\";\n\
         let r = r#\"crate::xx \" \"#; super::super::f::g(); x::crate_y; 'c'; '\\n';",
    );
    let here = vec!["portal".to_string(), "db".to_string()];
    let tops: BTreeMap<String, String> = ["a", "b", "f", "portal", "xx", "yy", "zz"]
        .iter()
        .map(|s| (s.to_string(), s.to_string()))
        .collect();
    let found: BTreeSet<String> = paths_in(&code)
        .iter()
        .filter_map(|p| target(&here, p, &tops))
        .collect();
    let want: BTreeSet<String> = ["a", "b", "f"].iter().map(|s| s.to_string()).collect();
    assert_eq!(found, want);
}
