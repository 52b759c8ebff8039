//! The shape of the house, checked (ARCHITECTURE.md draws it): every file of `src/` belongs to
//! one layer of [`LAYERS`], imports only from its own layer and the ones below, and no two
//! files import each other, directly or around a loop. A failure lists each offending `use`
//! (or path) with its file and line, and the layer it reaches up to.
//!
//! What counts as an import: every path that names something of the crate, in a `use`, in
//! code, or inside a macro's tokens (`crate::…`, `super::…`, `self::…`, a child module's name,
//! or a name a `use` brought in). A path through a re-export counts as an import of the file
//! that defines the item, and the re-export itself as an import of that file by the facade.
//! `mod x;` declarations are not imports.

use proc_macro2::{TokenStream, TokenTree};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::Path;
use syn::visit::Visit;

/// The layers of `src/`, bottom first. A module belongs to the layer of the longest entry
/// that names it or a folder above it (`edit` holds `edit/form`). `""` is `lib.rs`.
pub const LAYERS: &[(&str, &[&str])] = &[
    (
        "foundation",
        &[
            "text",
            "date",
            "diag",
            "reply",
            "clock",
            "retry",
            "platform",
            "deadlines",
        ],
    ),
    ("cards", &["cards"]),
    ("library", &["library"]),
    (
        "features",
        &[
            "commands", "digest", "render", "edit", "schedule", "config", "charts", "newsdesk",
            "follows",
        ],
    ),
    (
        "service",
        &[
            "service",
            "store",
            "metrics",
            "reload",
            "desk",
            "scheduler",
            "places",
            "feed",
            "fetch",
            "sources",
        ],
    ),
    ("composition", &["app"]),
    ("router", &["router"]),
    ("doors", &["discord", "matrix", "http", "web"]),
    ("cli", &["cli", "main", ""]),
];

/// One path that names something of the crate, as written, and where.
#[derive(Clone, Debug)]
pub struct Ref {
    /// The path as written (`use crate::app::App`, `super::handler::short`).
    pub text: String,
    pub line: usize,
}

/// What the check found.
#[derive(Debug, Default)]
pub struct Findings {
    /// Files that import each other: each loop as `a → b → … → a`, every step with its `use`.
    pub cycles: Vec<String>,
    /// Imports from a lower layer up to a higher one.
    pub upward: Vec<String>,
    /// Files that no layer holds.
    pub unplaced: Vec<String>,
    /// Files that could not be parsed.
    pub unparsed: Vec<String>,
}

impl Findings {
    pub fn is_clean(&self) -> bool {
        self.cycles.is_empty()
            && self.upward.is_empty()
            && self.unplaced.is_empty()
            && self.unparsed.is_empty()
    }

    pub fn report(&self) -> String {
        let mut out = String::new();
        for (title, items) in [
            ("files that do not parse", &self.unparsed),
            (
                "files in no layer (add them to LAYERS and ARCHITECTURE.md)",
                &self.unplaced,
            ),
            ("import cycles between files", &self.cycles),
            ("imports that cross a layer upward", &self.upward),
        ] {
            if !items.is_empty() {
                out.push_str(&format!("{} {title}:\n", items.len()));
                for i in items {
                    out.push_str(&format!("  {i}\n"));
                }
            }
        }
        out
    }
}

/// The module a file of `src/` is: `lib.rs` is `""`, `a/mod.rs` is `a`, `a/b.rs` is `a/b`.
pub fn module_of(relative: &str) -> String {
    let p = relative.strip_suffix(".rs").unwrap_or(relative);
    match p {
        "lib" => String::new(),
        p => p.strip_suffix("/mod").unwrap_or(p).to_owned(),
    }
}

/// Every `.rs` file under `src`, by module, with its text and its path as shown.
pub fn read_tree(src: &Path) -> BTreeMap<String, (String, String)> {
    let mut out = BTreeMap::new();
    let mut dirs = vec![src.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).expect("read src/").flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let rel = p
                    .strip_prefix(src)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                let text = std::fs::read_to_string(&p).expect("read a source file");
                out.insert(module_of(&rel), (format!("src/{rel}"), text));
            }
        }
    }
    out
}

fn layer_of(layers: &[(&str, &[&str])], module: &str) -> Option<usize> {
    let mut best: Option<(usize, usize)> = None;
    for (i, (_, entries)) in layers.iter().enumerate() {
        for e in *entries {
            let holds = if e.is_empty() {
                module.is_empty()
            } else {
                module == *e || module.starts_with(&format!("{e}/"))
            };
            if holds && best.is_none_or(|(len, _)| e.len() > len) {
                best = Some((e.len(), i));
            }
        }
    }
    best.map(|(_, i)| i)
}

fn join(segs: &[String]) -> String {
    segs.join("/")
}

/// What one file defines and refers to.
#[derive(Default)]
struct FileInfo {
    /// Names of items at the file's top level (inline modules too).
    items: BTreeSet<String>,
    /// Names bound by `use` at the file's top level: name → absolute path.
    bindings: BTreeMap<String, Vec<String>>,
    /// `use …::*` at the top level: the absolute paths globbed.
    globs: Vec<Vec<String>>,
    /// Every path naming something of the crate, made absolute.
    refs: Vec<(Vec<String>, Ref)>,
}

/// Walks one file, keeping the module scope it is in (inline `mod tests { … }` included).
struct Walker<'a> {
    files: &'a BTreeSet<String>,
    file: Vec<String>,
    scope: Vec<String>,
    inline: BTreeSet<Vec<String>>,
    /// Names bound by `use` in any scope of the file (for paths in code that start with one).
    local: BTreeMap<String, Vec<String>>,
    info: FileInfo,
}

impl Walker<'_> {
    /// The absolute path a path written in the current scope names, if it is the crate's.
    fn absolute(&self, segs: &[String]) -> Option<Vec<String>> {
        let first = segs.first()?;
        match first.as_str() {
            "crate" | "dossier" => Some(segs[1..].to_vec()),
            "self" => Some(self.scope.iter().chain(&segs[1..]).cloned().collect()),
            "super" => {
                let mut base = self.scope.clone();
                let mut rest = segs;
                while rest.first().is_some_and(|s| s == "super") {
                    base.pop()?;
                    rest = &rest[1..];
                }
                if rest.first().is_some_and(|s| s == "self") {
                    rest = &rest[1..];
                }
                Some(base.into_iter().chain(rest.iter().cloned()).collect())
            }
            name => {
                let mut child = self.scope.clone();
                child.push(name.to_owned());
                let is_child = (self.scope == self.file && self.files.contains(&join(&child)))
                    || self.inline.contains(&child);
                if is_child {
                    return Some(self.scope.iter().chain(segs).cloned().collect());
                }
                self.local
                    .get(name)
                    .map(|abs| abs.iter().chain(&segs[1..]).cloned().collect())
            }
        }
    }

    fn note(&mut self, segs: &[String], text: String, line: usize) {
        if let Some(abs) = self.absolute(segs) {
            self.info.refs.push((abs, Ref { text, line }));
        }
    }

    /// Each leaf of a use tree: the path to it, the name it binds (None for a glob), its line.
    fn leaves(
        tree: &syn::UseTree,
        prefix: &mut Vec<String>,
        out: &mut Vec<(Vec<String>, Option<String>, usize)>,
    ) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                Self::leaves(&p.tree, prefix, out);
                prefix.pop();
            }
            syn::UseTree::Name(n) => {
                let name = n.ident.to_string();
                let line = n.ident.span().start().line;
                if name == "self" {
                    let bound = prefix.last().cloned();
                    out.push((prefix.clone(), bound, line));
                } else {
                    let mut p = prefix.clone();
                    p.push(name.clone());
                    out.push((p, Some(name), line));
                }
            }
            syn::UseTree::Rename(r) => {
                let mut p = prefix.clone();
                let line = r.ident.span().start().line;
                if r.ident != "self" {
                    p.push(r.ident.to_string());
                }
                out.push((p, Some(r.rename.to_string()), line));
            }
            syn::UseTree::Glob(g) => {
                out.push((prefix.clone(), None, g.star_token.span.start().line));
            }
            syn::UseTree::Group(g) => {
                for t in &g.items {
                    Self::leaves(t, prefix, out);
                }
            }
        }
    }

    /// Paths inside a macro's tokens: runs of identifiers joined by `::`.
    fn tokens(&mut self, ts: TokenStream) {
        let mut run: Vec<(String, usize)> = Vec::new();
        let mut colons = 0;
        for tt in ts {
            match tt {
                TokenTree::Ident(i) => {
                    if run.is_empty() || colons != 2 {
                        self.flush(&mut run);
                    }
                    run.push((i.to_string(), i.span().start().line));
                    colons = 0;
                }
                TokenTree::Punct(p) if p.as_char() == ':' => colons += 1,
                TokenTree::Group(g) => {
                    self.flush(&mut run);
                    colons = 0;
                    self.tokens(g.stream());
                }
                _ => {
                    self.flush(&mut run);
                    colons = 0;
                }
            }
        }
        self.flush(&mut run);
    }

    fn flush(&mut self, run: &mut Vec<(String, usize)>) {
        if run.len() >= 2 {
            let segs: Vec<String> = run.iter().map(|(s, _)| s.clone()).collect();
            let line = run[0].1;
            self.note(&segs, segs.join("::"), line);
        }
        run.clear();
    }
}

impl<'ast> Visit<'ast> for Walker<'_> {
    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        let mut leaves = Vec::new();
        Self::leaves(&u.tree, &mut Vec::new(), &mut leaves);
        for (segs, bound, line) in leaves {
            let Some(abs) = self.absolute(&segs) else {
                continue;
            };
            let text = format!(
                "use {}{}",
                segs.join("::"),
                if bound.is_none() { "::*" } else { "" }
            );
            let top = self.scope == self.file;
            match bound {
                Some(name) => {
                    if top {
                        self.info.bindings.insert(name.clone(), abs.clone());
                    }
                    self.local.insert(name, abs.clone());
                }
                None if top => self.info.globs.push(abs.clone()),
                None => {}
            }
            self.info.refs.push((abs, Ref { text, line }));
        }
    }

    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if let Some((_, items)) = &m.content {
            self.scope.push(m.ident.to_string());
            for i in items {
                self.visit_item(i);
            }
            self.scope.pop();
        }
    }

    fn visit_path(&mut self, p: &'ast syn::Path) {
        let segs: Vec<String> = p.segments.iter().map(|s| s.ident.to_string()).collect();
        // One segment is a local name, or `crate` in `pub(crate)`.
        if segs.len() >= 2 {
            let line = p
                .segments
                .first()
                .map_or(0, |s| s.ident.span().start().line);
            self.note(&segs, segs.join("::"), line);
        }
        syn::visit::visit_path(self, p);
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        self.visit_path(&m.path);
        self.tokens(m.tokens.clone());
    }
}

fn inline_modules(items: &[syn::Item], scope: &[String], out: &mut BTreeSet<Vec<String>>) {
    for i in items {
        if let syn::Item::Mod(m) = i
            && let Some((_, inner)) = &m.content
        {
            let mut s = scope.to_vec();
            s.push(m.ident.to_string());
            inline_modules(inner, &s, out);
            out.insert(s);
        }
    }
}

fn top_level_names(items: &[syn::Item]) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for i in items {
        let name = match i {
            syn::Item::Const(x) => Some(&x.ident),
            syn::Item::Enum(x) => Some(&x.ident),
            syn::Item::Fn(x) => Some(&x.sig.ident),
            syn::Item::Mod(x) => Some(&x.ident),
            syn::Item::Static(x) => Some(&x.ident),
            syn::Item::Struct(x) => Some(&x.ident),
            syn::Item::Trait(x) => Some(&x.ident),
            syn::Item::Type(x) => Some(&x.ident),
            syn::Item::Union(x) => Some(&x.ident),
            syn::Item::Macro(x) => x.ident.as_ref(),
            _ => None,
        };
        if let Some(n) = name {
            names.insert(n.to_string());
        }
    }
    names
}

/// The file that defines what an absolute path names (following re-exports), or the module
/// file the path itself names.
fn resolve(
    files: &BTreeSet<String>,
    infos: &BTreeMap<String, FileInfo>,
    abs: &[String],
    depth: usize,
) -> Option<String> {
    if depth > 8 {
        return None;
    }
    let mut cur: Vec<String> = Vec::new();
    for (i, seg) in abs.iter().enumerate() {
        let mut next = cur.clone();
        next.push(seg.clone());
        if files.contains(&join(&next)) {
            cur = next;
            continue;
        }
        let file = join(&cur);
        let info = infos.get(&file)?;
        if info.items.contains(seg) {
            return Some(file);
        }
        let rest = &abs[i + 1..];
        if let Some(target) = info.bindings.get(seg) {
            let mut p = target.clone();
            p.extend_from_slice(rest);
            return resolve(files, infos, &p, depth + 1).or(Some(file));
        }
        for g in &info.globs {
            let mut p = g.clone();
            p.extend_from_slice(&abs[i..]);
            if let Some(f) = resolve(files, infos, &p, depth + 1)
                && f != join(g)
            {
                return Some(f);
            }
        }
        return Some(file);
    }
    Some(join(&cur))
}

/// Check a tree of sources (module → (shown path, text)) against `layers`.
pub fn check(tree: &BTreeMap<String, (String, String)>, layers: &[(&str, &[&str])]) -> Findings {
    let mut findings = Findings::default();
    let files: BTreeSet<String> = tree.keys().cloned().collect();
    let mut infos: BTreeMap<String, FileInfo> = BTreeMap::new();
    for (module, (shown, text)) in tree {
        let parsed = match syn::parse_file(text) {
            Ok(f) => f,
            Err(e) => {
                findings.unparsed.push(format!("{shown}: {e}"));
                continue;
            }
        };
        let file: Vec<String> = if module.is_empty() {
            Vec::new()
        } else {
            module.split('/').map(str::to_owned).collect()
        };
        let mut inline = BTreeSet::new();
        inline_modules(&parsed.items, &file, &mut inline);
        let mut w = Walker {
            files: &files,
            file: file.clone(),
            scope: file,
            inline,
            local: BTreeMap::new(),
            info: FileInfo {
                items: top_level_names(&parsed.items),
                ..FileInfo::default()
            },
        };
        // Bindings first, so a path in code above its `use` still resolves.
        for item in &parsed.items {
            if let syn::Item::Use(u) = item {
                w.visit_item_use(u);
            }
        }
        w.info.refs.clear();
        w.visit_file(&parsed);
        infos.insert(module.clone(), w.info);
    }

    // Edges between files, each with the first reference that makes it.
    let mut edges: BTreeMap<String, BTreeMap<String, Ref>> = BTreeMap::new();
    for (module, info) in &infos {
        for (abs, r) in &info.refs {
            let Some(target) = resolve(&files, &infos, abs, 0) else {
                continue;
            };
            if target != *module && files.contains(&target) {
                edges
                    .entry(module.clone())
                    .or_default()
                    .entry(target)
                    .or_insert_with(|| r.clone());
            }
        }
    }
    let shown = |m: &str| tree.get(m).map_or(m.to_owned(), |(s, _)| s.clone());

    for m in &files {
        if layer_of(layers, m).is_none() {
            findings.unplaced.push(shown(m));
        }
    }
    for (from, tos) in &edges {
        let Some(lf) = layer_of(layers, from) else {
            continue;
        };
        for (to, r) in tos {
            if let Some(lt) = layer_of(layers, to)
                && lt > lf
            {
                findings.upward.push(format!(
                    "{}:{}: `{}` reaches up from {} ({}) to {} ({})",
                    shown(from),
                    r.line,
                    r.text,
                    layers[lf].0,
                    from,
                    layers[lt].0,
                    to
                ));
            }
        }
    }
    for scc in components(&files, &edges) {
        // The shortest loop from the component's first file, step by step.
        let start = &scc[0];
        let members: BTreeSet<&String> = scc.iter().collect();
        let mut prev: BTreeMap<String, String> = BTreeMap::new();
        let mut queue = VecDeque::from([start.clone()]);
        let mut closing = None;
        'bfs: while let Some(n) = queue.pop_front() {
            for to in edges.get(&n).into_iter().flat_map(|t| t.keys()) {
                if !members.contains(to) {
                    continue;
                }
                if to == start {
                    closing = Some(n.clone());
                    break 'bfs;
                }
                if !prev.contains_key(to) {
                    prev.insert(to.clone(), n.clone());
                    queue.push_back(to.clone());
                }
            }
        }
        let mut path = vec![start.clone()];
        if let Some(mut n) = closing {
            let mut back = vec![n.clone()];
            while let Some(p) = prev.get(&n) {
                back.push(p.clone());
                n = p.clone();
            }
            back.pop();
            back.reverse();
            path.extend(back);
        }
        path.push(start.clone());
        let steps: Vec<String> = path
            .windows(2)
            .map(|w| {
                let r = &edges[&w[0]][&w[1]];
                format!("{}:{} `{}`", shown(&w[0]), r.line, r.text)
            })
            .collect();
        findings.cycles.push(format!(
            "{} files in a loop ({}): {}",
            scc.len(),
            scc.join(", "),
            steps.join(" → ")
        ));
    }
    findings
}

/// Strongly connected components of more than one file (Tarjan's, iterative).
fn components(
    files: &BTreeSet<String>,
    edges: &BTreeMap<String, BTreeMap<String, Ref>>,
) -> Vec<Vec<String>> {
    let nodes: Vec<&String> = files.iter().collect();
    let index_of: BTreeMap<&String, usize> =
        nodes.iter().enumerate().map(|(i, n)| (*n, i)).collect();
    let succ: Vec<Vec<usize>> = nodes
        .iter()
        .map(|n| {
            edges
                .get(*n)
                .into_iter()
                .flat_map(|t| t.keys())
                .filter_map(|t| index_of.get(t).copied())
                .collect()
        })
        .collect();
    let n = nodes.len();
    let (mut index, mut low, mut on) = (vec![usize::MAX; n], vec![0; n], vec![false; n]);
    let (mut stack, mut out, mut next) = (Vec::new(), Vec::new(), 0);
    for root in 0..n {
        if index[root] != usize::MAX {
            continue;
        }
        let mut work = vec![(root, 0usize)];
        while let Some((v, i)) = work.pop() {
            if i == 0 {
                index[v] = next;
                low[v] = next;
                next += 1;
                stack.push(v);
                on[v] = true;
            }
            if let Some(&w) = succ[v].get(i) {
                work.push((v, i + 1));
                if index[w] == usize::MAX {
                    work.push((w, 0));
                } else if on[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                let mut comp = Vec::new();
                while let Some(w) = stack.pop() {
                    on[w] = false;
                    comp.push(nodes[w].clone());
                    if w == v {
                        break;
                    }
                }
                if comp.len() > 1 {
                    comp.sort();
                    out.push(comp);
                }
            }
        }
    }
    out
}

/// Files of `src/` longer than this say why in their `//!` header ("Why it is long: …").
pub const LONG_FILE: usize = 700;

fn src() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn src_has_no_import_cycles_and_no_upward_imports() {
    let findings = check(&read_tree(&src()), LAYERS);
    assert!(
        findings.is_clean(),
        "the layers of ARCHITECTURE.md are broken:\n{}",
        findings.report()
    );
}

#[test]
fn a_long_file_says_why() {
    let mut long = Vec::new();
    for (shown, text) in read_tree(&src()).values() {
        let lines = text.lines().count();
        let header: String = text
            .lines()
            .take_while(|l| l.starts_with("//!"))
            .collect::<Vec<_>>()
            .join(" ");
        if lines > LONG_FILE && !header.contains("Why it is long:") {
            long.push(format!("{shown}: {lines} lines"));
        }
    }
    assert!(
        long.is_empty(),
        "split these files by concern, or say in their `//!` header why they are long (\"Why it is long: …\"):\n  {}",
        long.join("\n  ")
    );
}

/// Which files may name each database crate: SQLite's only under `store/sqlite/`, PostgreSQL's
/// only under `store/` (its pool is shared with the leases through `store::postgres`).
const DATABASE_CRATES: [(&str, &str); 3] = [
    ("rusqlite", "src/store/sqlite/"),
    ("tokio_postgres", "src/store/"),
    ("deadpool_postgres", "src/store/"),
];

#[test]
fn only_the_store_names_the_database_crates() {
    let mut found = Vec::new();
    for (shown, text) in read_tree(&src()).values() {
        for (krate, home) in DATABASE_CRATES {
            for (n, line) in text.lines().enumerate() {
                if line.contains(&format!("{krate}::")) && !shown.starts_with(home) {
                    found.push(format!("{shown}:{}: {}", n + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "persistence belongs to the store layer (`src/store/`); these name a database crate outside it:\n  {}",
        found.join("\n  ")
    );
}

#[test]
fn every_file_says_what_it_is_for() {
    let bare: Vec<String> = read_tree(&src())
        .values()
        .filter(|(_, text)| !text.starts_with("//!"))
        .map(|(shown, _)| shown.clone())
        .collect();
    assert!(
        bare.is_empty(),
        "these files have no `//!` header: {bare:?}"
    );
}

#[test]
fn every_top_level_module_is_on_the_map() {
    let map =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("ARCHITECTURE.md"))
            .expect("ARCHITECTURE.md at the top of the repository");
    let missing: Vec<String> = read_tree(&src())
        .keys()
        .filter_map(|m| {
            m.split('/')
                .next()
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
        })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .filter(|t| !map.contains(&format!("`{t}")))
        .collect();
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md does not describe: {missing:?}"
    );
}

fn tree(files: &[(&str, &str)]) -> BTreeMap<String, (String, String)> {
    files
        .iter()
        .map(|(rel, text)| (module_of(rel), (format!("src/{rel}"), (*text).to_owned())))
        .collect()
}

const TOY_LAYERS: &[(&str, &[&str])] = &[
    ("foundation", &["text"]),
    ("library", &["library"]),
    ("composition", &["app"]),
    ("top", &["", "cli"]),
];

#[test]
fn a_deliberate_back_import_is_caught_and_named() {
    let clean = [
        (
            "lib.rs",
            "pub mod app; pub mod cli; pub mod library; pub mod text;",
        ),
        ("text.rs", "pub fn fold(s: &str) -> String { s.to_owned() }"),
        (
            "library.rs",
            "use crate::text::fold;\npub struct Library;\nimpl Library { pub fn find(&self) -> String { fold(\"x\") } }",
        ),
        (
            "app.rs",
            "use crate::library::Library;\npub struct App { pub library: Library }",
        ),
        (
            "cli/mod.rs",
            "pub mod chat;\npub fn run() { chat::start() }",
        ),
        (
            "cli/chat.rs",
            "pub fn start() { let _ = crate::app::App { library: crate::library::Library }; }",
        ),
    ];
    assert!(
        check(&tree(&clean), TOY_LAYERS).is_clean(),
        "{}",
        check(&tree(&clean), TOY_LAYERS).report()
    );

    // The library reaches up for the App: an upward import and a loop, both naming the `use`.
    let mut broken = clean.to_vec();
    broken[2] = (
        "library.rs",
        "use crate::text::fold;\nuse crate::app::App;\npub struct Library;\npub fn owner(_: &App) {}",
    );
    let f = check(&tree(&broken), TOY_LAYERS);
    assert_eq!(f.upward.len(), 1, "{}", f.report());
    assert!(
        f.upward[0].starts_with("src/library.rs:2: `use crate::app::App` reaches up from library"),
        "{}",
        f.upward[0]
    );
    assert_eq!(f.cycles.len(), 1, "{}", f.report());
    assert!(
        f.cycles[0].contains("src/library.rs:2 `use crate::app::App`"),
        "{}",
        f.cycles[0]
    );
    assert!(
        f.cycles[0].contains("src/app.rs:1 `use crate::library::Library`"),
        "{}",
        f.cycles[0]
    );
}

#[test]
fn loops_through_a_folder_facade_and_macros_are_seen() {
    // `cli/mod.rs` defines what its child uses and calls the child: a loop of two files in one
    // layer; the child's use of its parent is written inside `format!`.
    let files = [
        ("lib.rs", "pub mod cli; pub mod text;"),
        ("text.rs", "pub fn fold() {}"),
        (
            "cli/mod.rs",
            "pub mod chat;\npub const PROMPT: &str = \"> \";\npub fn run() { chat::start() }",
        ),
        (
            "cli/chat.rs",
            "pub fn start() { let _ = format!(\"{}\", super::PROMPT); }",
        ),
    ];
    let f = check(&tree(&files), TOY_LAYERS);
    assert_eq!(f.cycles.len(), 1, "{}", f.report());
    assert!(
        f.cycles[0].contains("src/cli/chat.rs:1 `super::PROMPT`"),
        "{}",
        f.cycles[0]
    );
    assert!(f.upward.is_empty());

    // Moving the shared constant into a file of its own breaks the loop; a re-export from the
    // facade counts as an import of the file that defines it, so it closes no loop either.
    let fixed = [
        ("lib.rs", "pub mod cli; pub mod text;"),
        ("text.rs", "pub fn fold() {}"),
        (
            "cli/mod.rs",
            "pub mod chat;\npub mod prompt;\npub use prompt::PROMPT;\npub fn run() { chat::start() }",
        ),
        ("cli/prompt.rs", "pub const PROMPT: &str = \"> \";"),
        (
            "cli/chat.rs",
            "use crate::cli::PROMPT;\npub fn start() { let _ = PROMPT; }",
        ),
    ];
    let f = check(&tree(&fixed), TOY_LAYERS);
    assert!(f.is_clean(), "{}", f.report());
}

#[test]
fn a_file_in_no_layer_is_named() {
    let files = [("lib.rs", "pub mod stray;"), ("stray.rs", "pub fn f() {}")];
    let f = check(&tree(&files), TOY_LAYERS);
    assert_eq!(f.unplaced, vec!["src/stray.rs".to_owned()]);
}

#[test]
fn the_real_tree_with_a_back_import_added_fails() {
    // The same check on a copy of today's src/ with one import from the library up to the
    // App: it must fail, and say where.
    let mut t = read_tree(&src());
    let lib = t.get_mut("library").expect("src/library.rs");
    lib.1
        .push_str("\n#[allow(unused_imports)]\nuse crate::app::App;\n");
    let line = lib.1.lines().count();
    let f = check(&t, LAYERS);
    let expected = format!("src/library.rs:{line}: `use crate::app::App` reaches up from library");
    assert!(
        f.upward.iter().any(|u| u.starts_with(&expected)),
        "{}",
        f.report()
    );
    assert!(
        f.cycles
            .iter()
            .any(|c| c.contains(&format!("src/library.rs:{line} `use crate::app::App`"))),
        "{}",
        f.report()
    );
}
