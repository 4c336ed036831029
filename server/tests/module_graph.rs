//! The server's module graph has no cycle, and docs/architecture.md shows it as it is.
//!
//! A module is a file under `server/src/` or a directory of them (`portal/`, `tiles/`); it
//! depends on another when its code names an item there (`crate::x`, `super::super::x`,
//! `use crate::{x, ..}`, `crate::x` in a macro's arguments). The files are read with syn, so
//! comments, doc comments and strings are not code. The graph is layered bottom-up: each
//! module is listed after everything it depends on.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use syn::buffer::{Cursor, TokenBuffer};
use syn::visit::{self, Visit};

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

/// The crate paths a file names, absolute (`crate::` dropped, `super::` resolved from the
/// module it is written in, inline `mod` blocks counted): every path in its syntax tree,
/// each branch of `use crate::{a, b::{c, d}}`, and `crate::`/`super::` paths in macro
/// arguments, which syn leaves as tokens. Comments, doc comments and strings are not code.
fn crate_paths(file: &syn::File, module: &[String]) -> Vec<Vec<String>> {
    let mut v = CratePaths {
        here: module.to_vec(),
        out: Vec::new(),
    };
    v.visit_file(file);
    v.out
}

struct CratePaths {
    /// The module being read: the file's, then any inline `mod` inside it.
    here: Vec<String>,
    out: Vec<Vec<String>>,
}

impl CratePaths {
    /// Records a path if it starts with `crate` or `super`.
    fn add(&mut self, segs: Vec<String>) {
        let full = match segs.first().map(String::as_str) {
            Some("crate") => segs[1..].to_vec(),
            Some("super") => {
                let supers = segs.iter().take_while(|s| *s == "super").count();
                let mut base = self.here.clone();
                base.truncate(base.len().saturating_sub(supers));
                base.extend_from_slice(&segs[supers..]);
                base
            }
            _ => return,
        };
        if !full.is_empty() {
            self.out.push(full);
        }
    }

    /// The paths of a macro's or attribute's tokens: `crate`/`super` followed by `::`
    /// segments, in any group.
    fn scan(&mut self, mut c: Cursor) {
        while !c.eof() {
            if let Some((inside, _, _, next)) = c.any_group() {
                self.scan(inside);
                c = next;
            } else if let Some((ident, next)) = c.ident() {
                c = next;
                if ident != "crate" && ident != "super" {
                    continue;
                }
                let mut segs = vec![ident.to_string()];
                while let Some((seg, after)) = colon2(c).and_then(Cursor::ident) {
                    segs.push(seg.to_string());
                    c = after;
                }
                self.add(segs);
            } else if let Some((_, next)) = c.token_tree() {
                c = next;
            } else {
                break;
            }
        }
    }
}

/// The cursor after a `::` at `c`.
fn colon2(c: Cursor) -> Option<Cursor> {
    let (p1, c) = c.punct()?;
    let (p2, c) = c.punct()?;
    (p1.as_char() == ':' && p2.as_char() == ':').then_some(c)
}

/// Every path a use tree imports, as segments (`self` in a group is its prefix), with the
/// name it is imported as (`None` for a glob).
fn use_paths(tree: &syn::UseTree, prefix: &[String], out: &mut Vec<(Vec<String>, Option<String>)>) {
    let with = |seg: &syn::Ident| {
        let mut p = prefix.to_vec();
        if seg != "self" {
            p.push(seg.to_string());
        }
        p
    };
    match tree {
        syn::UseTree::Path(p) => use_paths(&p.tree, &with(&p.ident), out),
        syn::UseTree::Name(n) => out.push((with(&n.ident), Some(n.ident.to_string()))),
        syn::UseTree::Rename(r) => out.push((with(&r.ident), Some(r.rename.to_string()))),
        syn::UseTree::Glob(_) => out.push((prefix.to_vec(), None)),
        syn::UseTree::Group(g) => {
            for t in &g.items {
                use_paths(t, prefix, out);
            }
        }
    }
}

impl<'ast> Visit<'ast> for CratePaths {
    fn visit_path(&mut self, p: &'ast syn::Path) {
        self.add(p.segments.iter().map(|s| s.ident.to_string()).collect());
        visit::visit_path(self, p);
    }

    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        let mut paths = Vec::new();
        use_paths(&u.tree, &[], &mut paths);
        for (p, _) in paths {
            self.add(p);
        }
        visit::visit_item_use(self, u);
    }

    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        self.here.push(m.ident.to_string());
        visit::visit_item_mod(self, m);
        self.here.pop();
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        self.scan(TokenBuffer::new2(m.tokens.clone()).begin());
        visit::visit_macro(self, m);
    }

    fn visit_meta_list(&mut self, m: &'ast syn::MetaList) {
        self.scan(TokenBuffer::new2(m.tokens.clone()).begin());
        visit::visit_meta_list(self, m);
    }
}

/// The full path of a crate path, its first segment a top-level module. `tops` maps each
/// top-level name (a module, or an item the crate root re-exports) to its module.
fn resolve(full: &[String], tops: &BTreeMap<String, String>) -> Option<Vec<String>> {
    let mut full = full.to_vec();
    let top = tops.get(full.first()?)?.clone();
    if full[0] != top {
        // A re-exported item: `crate::AppState` is `crate::state::AppState`.
        full.insert(0, top);
    }
    Some(full)
}

/// The top-level module a crate path resolves into, if any.
fn target(full: &[String], tops: &BTreeMap<String, String>) -> Option<String> {
    resolve(full, tops).map(|mut f| f.swap_remove(0))
}

fn parse(path: &Path) -> syn::File {
    let src = std::fs::read_to_string(path).unwrap();
    syn::parse_file(&src).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every file module (its path) with the crate paths it names, and the top-level names.
type Sources = (
    Vec<(Vec<String>, Vec<Vec<String>>)>,
    BTreeMap<String, String>,
);

/// Every file module with the crate paths it names, and the top-level names.
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
    for item in parse(&src_dir().join("lib.rs")).items {
        let syn::Item::Use(u) = item else { continue };
        if !matches!(u.vis, syn::Visibility::Public(_)) {
            continue;
        }
        let mut paths = Vec::new();
        use_paths(&u.tree, &[], &mut paths);
        for (mut segs, name) in paths {
            if segs.first().is_some_and(|s| s == "crate") {
                segs.remove(0);
            }
            if let (Some(m), Some(name)) = (segs.first(), name) {
                if tops.contains_key(m) {
                    tops.insert(name, m.clone());
                }
            }
        }
    }
    let code = all
        .into_iter()
        .filter(|(m, _)| m.first().is_some_and(|t| t != "lib" && t != "main"))
        .map(|(m, path)| {
            let paths = crate_paths(&parse(&path), &m);
            (m, paths)
        })
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
    for (m, paths) in &all {
        let deps = g.entry(m.join("::")).or_default();
        for p in paths {
            let Some(full) = resolve(p, &tops) else {
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
    for (m, paths) in &all {
        let top = &m[0];
        let deps = g.entry(top.clone()).or_default();
        for p in paths {
            if let Some(t) = target(p, &tops) {
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
    let file = syn::parse_file(
        r##"
        use crate::{a, b::{c, d as e}};
        // crate::zz
        /// crate::ww
        #[doc = "crate::vv"]
        fn f() {
            let s = "crate::yy";
            let r = r#"crate::xx " "#;
            super::super::f::g();
            x::crate_y;
            'c';
            '\n';
            println!("{}", crate::h::i);
        }
        mod inner {
            fn g() -> super::super::j::J {}
        }
        "##,
    )
    .unwrap();
    let here = vec!["portal".to_string(), "db".to_string()];
    let tops: BTreeMap<String, String> = [
        "a", "b", "f", "h", "j", "portal", "vv", "ww", "xx", "yy", "zz",
    ]
    .iter()
    .map(|s| (s.to_string(), s.to_string()))
    .collect();
    let found: BTreeSet<String> = crate_paths(&file, &here)
        .iter()
        .filter_map(|p| target(p, &tops))
        .collect();
    // `super::super::j` inside `mod inner` of portal::db is portal::j.
    let want: BTreeSet<String> = ["a", "b", "f", "h", "portal"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(found, want);
}
