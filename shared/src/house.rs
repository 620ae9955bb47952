//! The house rules the compiler cannot state, read from the code's own imports
//! (docs/architecture.md): the files of this crate, and those of the model crate under it, import
//! each other without a circle; the generic layers know no concept; a concept never imports
//! another concept's handlers or routes (only `routes.rs`, the index, names them); and the `orgs`
//! CLI's files import each other without a circle. That the model never imports the service is the
//! compiler's: it is a crate below this one.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The service's layers every concept builds on; they import no concept. (The model's layers,
/// re-exported under their own names, resolve to `lib.rs` here.)
const GENERIC: &[&str] = &[
    "auth",
    "authorizer",
    "config",
    "dns",
    "email",
    "metrics",
    "pipeline",
];
/// The model crate's layers under its items; they import no item.
const MODEL_GENERIC: &[&str] = &[
    "aws",
    "body",
    "catalogue",
    "domain",
    "error",
    "json",
    "limits",
    "permissions",
    "store",
    "testing",
];
/// The top floor: the index of every route and the binaries' wiring; they may import anything.
const ROOT: &[&str] = &["routes", "runtime", "house"];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn model_src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("model/src")
}

/// Every `.rs` file under `dir`, relative to `root`.
fn files(dir: &Path, root: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, root, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path.strip_prefix(root).unwrap().to_path_buf());
        }
    }
}

/// The module path of a file (`orgs/item/mod.rs` -> `orgs::item`, `lib.rs` and `main.rs` -> ``).
fn module_of(file: &Path) -> Vec<String> {
    let mut parts: Vec<String> = file
        .with_extension("")
        .iter()
        .map(|p| p.to_string_lossy().to_string())
        .collect();
    if parts
        .last()
        .is_some_and(|p| p == "mod" || p == "lib" || (p == "main" && parts.len() == 1))
    {
        parts.pop();
    }
    parts
}

/// The source without the items under `#[cfg(test)]` (a `mod tests { .. }` anywhere in the file,
/// a test-only `use` or function).
fn without_tests(source: &str) -> String {
    let mut out = String::new();
    let mut rest = source;
    while let Some(i) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..i]);
        rest = &rest[i + "#[cfg(test)]".len()..];
        let semi = rest.find(';').unwrap_or(rest.len());
        let open = rest.find('{').unwrap_or(rest.len());
        if semi < open {
            rest = &rest[(semi + 1).min(rest.len())..];
            continue;
        }
        let mut depth = 0;
        let mut end = rest.len();
        for (j, c) in rest.char_indices().skip_while(|(j, _)| *j < open) {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = j + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// The `crate::` paths a source names outside its tests (`use crate::a::{b, c::d}` gives
/// `a::b` and `a::c::d`).
fn crate_paths(source: &str) -> Vec<Vec<String>> {
    let code: String = without_tests(source)
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = Vec::new();
    let mut rest = code.as_str();
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        let (paths, _) = parse_tree(rest, Vec::new());
        out.extend(paths);
    }
    out
}

/// Parses `a::b::{c, d::e}`-style trees after `crate::`: the paths and how much was read.
fn parse_tree(text: &str, prefix: Vec<String>) -> (Vec<Vec<String>>, usize) {
    let mut path = prefix;
    let mut i = 0;
    let bytes = text.as_bytes();
    loop {
        let start = i;
        while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
            i += 1;
        }
        if i > start {
            path.push(text[start..i].to_string());
        }
        if text[i..].starts_with("::{") {
            i += 3;
            let mut paths = Vec::new();
            loop {
                while i < bytes.len() && (bytes[i] == b' ' || bytes[i] == b'\n' || bytes[i] == b',')
                {
                    i += 1;
                }
                if i >= bytes.len() || bytes[i] == b'}' {
                    return (paths, i + 1);
                }
                let (inner, used) = parse_tree(&text[i..], path.clone());
                paths.extend(inner);
                i += used.max(1);
                // Skip an `as alias`.
                while i < bytes.len() && !matches!(bytes[i], b',' | b'}') {
                    i += 1;
                }
            }
        } else if text[i..].starts_with("::") && i > start {
            i += 2;
        } else {
            return (vec![path], i);
        }
    }
}

/// The file a path resolves to: the longest prefix that is a module file.
fn file_of(path: &[String], modules: &BTreeMap<Vec<String>, PathBuf>) -> PathBuf {
    (0..=path.len())
        .rev()
        .find_map(|n| modules.get(&path[..n].to_vec()).cloned())
        .unwrap_or_else(|| PathBuf::from("lib.rs"))
}

struct House {
    /// file -> the files it imports, and the paths it names.
    imports: BTreeMap<PathBuf, (BTreeSet<PathBuf>, Vec<Vec<String>>)>,
}

fn house() -> House {
    house_in(&src())
}

/// The imports of the crate whose sources are under `root`.
fn house_in(root: &Path) -> House {
    let mut all = Vec::new();
    files(root, root, &mut all);
    let modules: BTreeMap<Vec<String>, PathBuf> =
        all.iter().map(|f| (module_of(f), f.clone())).collect();
    let mut imports = BTreeMap::new();
    for f in &all {
        let source = std::fs::read_to_string(root.join(f)).unwrap();
        let paths = crate_paths(&source);
        let targets = paths
            .iter()
            .map(|p| file_of(p, &modules))
            .filter(|t| t != f)
            .collect();
        imports.insert(f.clone(), (targets, paths));
    }
    House { imports }
}

fn top(file: &Path) -> String {
    module_of(file).first().cloned().unwrap_or_default()
}

fn is_concept(module: &str) -> bool {
    !module.is_empty() && !ROOT.contains(&module) && !GENERIC.contains(&module)
}

/// A circle of imports, if there is one (its files in order).
fn circle(house: &House) -> Option<Vec<PathBuf>> {
    fn visit(
        f: &PathBuf,
        house: &House,
        on_path: &mut Vec<PathBuf>,
        done: &mut BTreeSet<PathBuf>,
    ) -> Option<Vec<PathBuf>> {
        if let Some(i) = on_path.iter().position(|p| p == f) {
            return Some(on_path[i..].to_vec());
        }
        if !done.insert(f.clone()) {
            return None;
        }
        on_path.push(f.clone());
        for t in house
            .imports
            .get(f)
            .map(|(t, _)| t.clone())
            .unwrap_or_default()
        {
            if let Some(c) = visit(&t, house, on_path, done) {
                return Some(c);
            }
        }
        on_path.pop();
        None
    }
    let mut done = BTreeSet::new();
    house
        .imports
        .keys()
        .find_map(|f| visit(f, house, &mut Vec::new(), &mut done))
}

#[test]
fn the_files_import_each_other_without_a_circle() {
    for (crate_name, h, at_least) in [
        ("service", house(), 60),
        ("model", house_in(&model_src()), 40),
    ] {
        assert!(
            h.imports.len() > at_least,
            "read the {crate_name} crate's files"
        );
        if let Some(c) = circle(&h) {
            panic!("a circle of imports in the {crate_name} crate: {c:?} (docs/architecture.md: what may import what)");
        }
    }
}

/// The `orgs` CLI's files import each other without a circle too (its client, its context and
/// its output once took each other's types: the client a paging type of the context).
#[test]
fn the_cli_imports_without_a_circle() {
    let cli = Path::new(env!("CARGO_MANIFEST_DIR")).join("../cli/src");
    let h = house_in(&cli);
    assert!(h.imports.len() > 15, "read the CLI's files");
    if let Some(c) = circle(&h) {
        panic!("a circle of imports in the CLI: {c:?}");
    }
}

#[test]
fn the_generic_layers_import_no_concept() {
    let mut wrong = Vec::new();
    for (generic, h) in [(GENERIC, house()), (MODEL_GENERIC, house_in(&model_src()))] {
        let is_concept = |m: &str| !m.is_empty() && !ROOT.contains(&m) && !generic.contains(&m);
        for (f, (targets, _)) in &h.imports {
            if generic.contains(&top(f).as_str()) {
                for t in targets.iter().filter(|t| is_concept(&top(t))) {
                    wrong.push(format!("{} imports {}", f.display(), t.display()));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "generic layers know no concept: {wrong:#?}"
    );
}

/// The modules of each concept that only the index (`routes.rs`) and the binaries may name: its
/// `routes`, and every module its route table takes a handler from (`org_handler!(enroll::
/// approve_request)` makes `enroll` one), whatever the file is called.
fn private_modules() -> BTreeMap<String, BTreeSet<String>> {
    let mut private: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for entry in std::fs::read_dir(src()).unwrap() {
        let dir = entry.unwrap().path();
        let Ok(routes) = std::fs::read_to_string(dir.join("routes.rs")) else {
            continue;
        };
        let concept = dir.file_name().unwrap().to_string_lossy().to_string();
        let mine = private.entry(concept.clone()).or_default();
        mine.insert("routes".into());
        for call in routes.split("_handler!(").skip(1) {
            let path: Vec<&str> = call.split(')').next().unwrap_or("").split("::").collect();
            let module = match path.as_slice() {
                ["crate", c, m, _, ..] if *c == concept => m,
                [m, _] => m,
                other => panic!(
                    "{concept}/routes.rs: a handler path the reader does not know: {other:?}"
                ),
            };
            mine.insert(module.trim().to_string());
        }
    }
    private
}

#[test]
fn no_concept_imports_the_handlers_or_routes_of_another() {
    let private = private_modules();
    // The reader finds handler modules by what the route table calls, not by file name.
    assert!(private["domains"].contains("enroll"), "{private:?}");
    assert!(private["invitations"].contains("by_code"), "{private:?}");
    let mut wrong = Vec::new();
    for (f, (_, paths)) in &house().imports {
        let mine = top(f);
        if !is_concept(&mine) {
            continue;
        }
        for p in paths {
            if p.len() >= 2
                && p[0] != mine
                && is_concept(&p[0])
                && private.get(&p[0]).is_some_and(|m| m.contains(&p[1]))
            {
                wrong.push(format!("{} uses crate::{}", f.display(), p.join("::")));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "move what they share into the other concept's item, mod or views: {wrong:#?}"
    );
}

/// The names a concept's `mod.rs` takes from the model (`pub use model::orgs as item;`,
/// `pub use model::roles::{item, HeldRole};`): a path through them imports the model, not the
/// concept.
fn model_reexports(concept: &str) -> BTreeSet<String> {
    let Ok(text) = std::fs::read_to_string(src().join(concept).join("mod.rs")) else {
        return BTreeSet::new();
    };
    let mut names = BTreeSet::new();
    for prefix in ["model::", "item::"] {
        for part in text.split(&format!("pub use {prefix}")).skip(1) {
            let statement = format!("{prefix}{}", part.split(';').next().unwrap_or(""));
            let (paths, _) = parse_tree(&statement, Vec::new());
            names.extend(paths.into_iter().filter_map(|p| p.last().cloned()));
            names.extend(
                statement
                    .split(" as ")
                    .skip(1)
                    .filter_map(|a| a.split([',', '}', ' ']).next())
                    .map(str::to_string),
            );
        }
    }
    names
}

/// The concept folders import each other without a loop: an order of floors exists in which
/// every import goes down. What they share is the model's (an item, a value) or sits in the
/// lower concept.
#[test]
fn the_concepts_import_each_other_without_a_loop() {
    let mut folders: BTreeMap<PathBuf, (BTreeSet<PathBuf>, Vec<Vec<String>>)> = BTreeMap::new();
    let h = house();
    let concepts: BTreeSet<String> = h
        .imports
        .keys()
        .map(|f| top(f))
        .filter(|m| is_concept(m))
        .collect();
    let reexported: BTreeMap<String, BTreeSet<String>> = concepts
        .iter()
        .map(|c| (c.clone(), model_reexports(c)))
        .collect();
    assert!(reexported["orgs"].contains("item"), "{reexported:?}");
    for (f, (_, paths)) in &h.imports {
        let mine = top(f);
        if !concepts.contains(&mine) {
            continue;
        }
        let entry = folders.entry(PathBuf::from(&mine)).or_default();
        for p in paths {
            let through_model = |r: &BTreeSet<String>| p.len() > 1 && r.contains(&p[1]);
            if p[0] != mine && reexported.get(&p[0]).is_some_and(|r| !through_model(r)) {
                entry.0.insert(PathBuf::from(&p[0]));
            }
        }
    }
    if let Some(c) = circle(&House { imports: folders }) {
        panic!("concept folders in a loop: {c:?} (move what they share into the model or the lower one)");
    }
}

#[test]
fn the_reader_finds_imports_and_circles() {
    let paths = crate_paths(concat!(
        "use crate::a::{b, c::{d, e as f}};\nlet x = crate::g::h(1);\n// crate::skipped\n",
        "#[cfg(test)]\nuse crate::z;\n#[cfg(test)]\nmod t {\n    fn f() { crate::y::f() }\n}\n",
        "fn after() { crate::k::m() }",
    ));
    let joined: Vec<String> = paths.iter().map(|p| p.join("::")).collect();
    assert_eq!(joined, ["a::b", "a::c::d", "a::c::e", "g::h", "k::m"]);
    let f = |s: &str| PathBuf::from(s);
    let mut imports = BTreeMap::new();
    imports.insert(f("a.rs"), ([f("b.rs")].into(), vec![]));
    imports.insert(f("b.rs"), ([f("c.rs")].into(), vec![]));
    imports.insert(f("c.rs"), ([f("a.rs")].into(), vec![]));
    assert_eq!(circle(&House { imports }).map(|c| c.len()), Some(3));
}
