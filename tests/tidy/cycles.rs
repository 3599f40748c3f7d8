//! Module cycles among the top-level modules of one crate: `a` uses `b` if a file of `a` names
//! `crate::b` (also inside `crate::{...}` and `pub(in crate::b)`) or reaches `b` through
//! `super::`. A cycle means neither module can be understood, tested or moved without the other.

use super::lex::{lex, Token};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Why `from` uses `to`: the first place it does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    pub file: PathBuf,
    pub line: usize,
}

/// Top-level module -> modules it uses -> where.
pub type Graph = BTreeMap<String, BTreeMap<String, Edge>>;

/// A source file of a crate and the module path it defines (`src/a/b.rs` -> `["a", "b"]`).
#[derive(Debug)]
pub struct Source {
    pub path: PathBuf,
    pub module: Vec<String>,
    pub text: String,
}

/// The module path of a file under `src`, or `None` for a crate root or a separate binary.
pub fn module_of(src: &Path, file: &Path) -> Option<Vec<String>> {
    let rel = file.strip_prefix(src).ok()?;
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if parts.first().map(String::as_str) == Some("bin") {
        return None;
    }
    let last = parts.pop()?;
    let stem = last.strip_suffix(".rs")?;
    if parts.is_empty() && (stem == "lib" || stem == "main") {
        return None;
    }
    if stem != "mod" {
        parts.push(stem.to_owned());
    }
    Some(parts)
}

/// The top-level modules used by each top-level module.
pub fn graph(sources: &[Source]) -> Graph {
    let tops: BTreeSet<String> = sources
        .iter()
        .filter_map(|s| s.module.first().cloned())
        .collect();
    let mut graph = Graph::new();
    for s in sources {
        let Some(top) = s.module.first() else {
            continue;
        };
        let node = graph.entry(top.clone()).or_default();
        for (used, line) in references(&s.module, &lex(&s.text).tokens) {
            if used != *top && tops.contains(&used) {
                node.entry(used).or_insert(Edge {
                    file: s.path.clone(),
                    line,
                });
            }
        }
    }
    graph
}

/// The top-level modules a file names, with the line of each mention. `module` is the file's
/// module path; inline `mod name { ... }` blocks extend it while they are open.
fn references(module: &[String], tokens: &[Token]) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    // Inline modules open at a brace depth: (name, depth inside).
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let text = |i: usize| tokens.get(i).map_or("", |t| t.text.as_str());
    let mut i = 0;
    while i < tokens.len() {
        match text(i) {
            "{" => depth += 1,
            "}" => {
                depth = depth.saturating_sub(1);
                if inline.last().is_some_and(|(_, d)| *d > depth) {
                    inline.pop();
                }
            }
            "mod" if text(i + 2) == "{" => {
                inline.push((text(i + 1).to_owned(), depth + 1));
            }
            "crate" if text(i + 1) == "::" && text(i.wrapping_sub(1)) != "::" => {
                for (name, line) in path_heads(tokens, i + 2) {
                    out.push((name, line));
                }
            }
            "super" if text(i + 1) == "::" && text(i.wrapping_sub(1)) != "::" => {
                let mut here: Vec<String> = module.to_vec();
                here.extend(inline.iter().map(|(n, _)| n.clone()));
                let mut j = i;
                while text(j) == "super" && text(j + 1) == "::" {
                    here.pop();
                    j += 2;
                }
                match here.first() {
                    Some(top) => out.push((top.clone(), tokens[i].line)),
                    None => out.extend(path_heads(tokens, j)),
                }
                i = j;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// The first segment(s) of a path that starts at token `i`: one identifier, or each item of a
/// `{...}` group.
fn path_heads(tokens: &[Token], i: usize) -> Vec<(String, usize)> {
    let Some(first) = tokens.get(i) else {
        return Vec::new();
    };
    if first.text != "{" {
        return vec![(first.text.clone(), first.line)];
    }
    let mut out = Vec::new();
    let mut depth = 0;
    let mut expect_item = true;
    for t in &tokens[i..] {
        match t.text.as_str() {
            "{" => {
                depth += 1;
                expect_item = depth == 1;
            }
            "}" => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            "," if depth == 1 => expect_item = true,
            name if expect_item && depth == 1 => {
                out.push((name.to_owned(), t.line));
                expect_item = false;
            }
            _ => {}
        }
    }
    out
}

/// The cycles of a graph: one per strongly connected component of more than one module, as
/// the modules in order around one loop of it (the first module repeated at the end).
pub fn cycles(graph: &Graph) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for start in graph.keys() {
        if seen.contains(start) {
            continue;
        }
        // The modules on a cycle through `start`: those it reaches that also reach it.
        let component: BTreeSet<String> = reachable(graph, start)
            .into_iter()
            .filter(|m| reachable(graph, m).contains(start))
            .collect();
        if component.is_empty() {
            continue;
        }
        seen.extend(component.iter().cloned());
        if let Some(path) = loop_through(graph, start, &component) {
            out.push(path);
        }
    }
    out
}

fn reachable(graph: &Graph, from: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut todo: Vec<&str> = vec![from];
    while let Some(m) = todo.pop() {
        for next in graph.get(m).into_iter().flat_map(BTreeMap::keys) {
            if out.insert(next.clone()) {
                todo.push(next);
            }
        }
    }
    out
}

/// A shortest loop from `start` back to it, within `component` (breadth first).
fn loop_through(graph: &Graph, start: &str, component: &BTreeSet<String>) -> Option<Vec<String>> {
    let mut came_from: BTreeMap<String, String> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start.to_owned()]);
    while let Some(m) = queue.pop_front() {
        for next in graph.get(&m).into_iter().flat_map(BTreeMap::keys) {
            if !component.contains(next) {
                continue;
            }
            if next == start {
                let mut path = vec![start.to_owned(), m.clone()];
                let mut at = m.clone();
                while let Some(prev) = came_from.get(&at) {
                    path.push(prev.clone());
                    at = prev.clone();
                }
                path.reverse();
                return Some(path);
            }
            if !came_from.contains_key(next) && next != start {
                came_from.insert(next.clone(), m.clone());
                queue.push_back(next.clone());
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(module: &[&str], text: &str) -> Source {
        Source {
            path: PathBuf::from(format!("src/{}.rs", module.join("/"))),
            module: module.iter().map(|m| m.to_string()).collect(),
            text: text.to_owned(),
        }
    }

    #[test]
    fn files_map_to_their_module_paths() {
        let src = Path::new("c/src");
        let m = |p: &str| module_of(src, &src.join(p));
        assert_eq!(m("a.rs"), Some(vec!["a".to_string()]));
        assert_eq!(m("a/mod.rs"), Some(vec!["a".to_string()]));
        assert_eq!(m("a/b.rs"), Some(vec!["a".to_string(), "b".to_string()]));
        assert_eq!(m("lib.rs"), None);
        assert_eq!(m("main.rs"), None);
        assert_eq!(m("bin/tool.rs"), None);
    }

    #[test]
    fn crate_paths_groups_and_super_are_references() {
        let sources = [
            source(&["a"], "use crate::{b, c::x};\nfn f() { super::d::g(); }"),
            source(&["b", "inner"], "use super::super::c::y; use super::z;"),
            source(
                &["c"],
                "#[cfg(test)] mod tests { use super::*; use super::helper; }",
            ),
            source(
                &["d"],
                "pub(in crate::a) fn g() {} // crate::b\nconst S: &str = \"crate::c\";",
            ),
        ];
        let g = graph(&sources);
        let used = |m: &str| g[m].keys().cloned().collect::<Vec<_>>();
        assert_eq!(used("a"), ["b", "c", "d"]);
        assert_eq!(used("b"), ["c"], "super::z from b::inner is b itself");
        assert!(
            used("c").is_empty(),
            "a test module's super is its own file"
        );
        assert_eq!(used("d"), ["a"], "comments and strings are not uses");
        assert_eq!(g["a"]["d"].line, 2);
    }

    #[test]
    fn a_cycle_is_reported_once_as_a_loop() {
        let sources = [
            source(&["view"], "use crate::annotations::update;"),
            source(
                &["annotations"],
                "use crate::codec; use crate::view::ReadView;",
            ),
            source(&["codec"], ""),
            source(&["store"], "use crate::view;"),
        ];
        let found = cycles(&graph(&sources));
        assert_eq!(found, [["annotations", "view", "annotations"]]);
        let acyclic = [source(&["a"], "use crate::b;"), source(&["b"], "")];
        assert!(cycles(&graph(&acyclic)).is_empty());
    }
}
