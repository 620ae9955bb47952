//! The route table is the single source: the router, the binaries, the template and the OpenAPI
//! spec must match it. `UPDATE_GENERATED=1` rewrites the generated parts instead of failing.

use integration_tests::generate::{self, BEGIN, END};
use integration_tests::repo_root;
use shared::routes::{Access, ROUTES};
use std::collections::BTreeSet;
use std::path::Path;

fn update() -> bool {
    std::env::var("UPDATE_GENERATED").is_ok_and(|v| v == "1")
}

/// Compares a file's generated block with what the route table says, or rewrites it.
fn check_block(file: &Path, body: &str) {
    check_between(file, (BEGIN, END), body)
}

fn check_between(file: &Path, (begin, end): (&str, &str), body: &str) {
    let text = std::fs::read_to_string(file).unwrap();
    let expected = generate::splice(&text, begin, end, body)
        .unwrap_or_else(|| panic!("{} lacks the generated markers", file.display()));
    if expected != text {
        if update() {
            std::fs::write(file, expected).unwrap();
        } else {
            panic!(
                "{} is out of date with the route table; run UPDATE_GENERATED=1 scripts/test.sh",
                file.display()
            );
        }
    }
}

#[test]
fn router_binaries_and_template_match_the_route_table() {
    let root = repo_root();
    check_block(&root.join("Cargo.toml"), &generate::router_toml());
    check_block(&root.join("functions/Cargo.toml"), &generate::bins_toml());
    check_block(
        &root.join("infra/template.yaml"),
        &generate::template_functions(),
    );
    check_between(
        &root.join("README.md"),
        (generate::README_BEGIN, generate::README_END),
        &generate::readme_routes(),
    );

    let bin_dir = root.join("functions/src/bin");
    std::fs::create_dir_all(&bin_dir).unwrap();
    let wanted: BTreeSet<String> = generate::all_functions()
        .iter()
        .map(|f| format!("{f}.rs"))
        .collect();
    for entry in std::fs::read_dir(&bin_dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        if !wanted.contains(&name) {
            if update() {
                std::fs::remove_file(bin_dir.join(&name)).unwrap();
            } else {
                panic!("functions/src/bin/{name} has no route or worker in the table");
            }
        }
    }
    for f in generate::all_functions() {
        let path = bin_dir.join(format!("{f}.rs"));
        let expected = generate::bin_source(f);
        if std::fs::read_to_string(&path).ok().as_deref() != Some(expected.as_str()) {
            if update() {
                std::fs::write(&path, expected).unwrap();
            } else {
                panic!("functions/src/bin/{f}.rs is missing or differs from the generated main");
            }
        }
    }
}

#[test]
fn route_table_is_well_formed() {
    let mut seen = BTreeSet::new();
    for r in ROUTES {
        assert!(
            seen.insert((r.method, r.path)),
            "duplicate route {} {}",
            r.method,
            r.path
        );
        assert!(r.path.starts_with('/'));
        let org_route = r.path.starts_with("/orgs/{orgId}");
        assert_eq!(
            org_route,
            matches!(r.access, Access::Org(_)),
            "{}: org routes and only they use the org pipeline",
            r.function
        );
        if org_route {
            assert!(
                r.dynamo.contains(&shared::routes::Dynamo::BatchGetItem),
                "{}: the pipeline reads the access context with BatchGetItem",
                r.function
            );
        }
        if r.org_rule()
            .is_some_and(|o| o.effect == shared::routes::Effect::Write)
        {
            assert!(
                r.dynamo
                    .contains(&shared::routes::Dynamo::ConditionCheckItem),
                "{}: the access guard of a write may be a ConditionCheck",
                r.function
            );
        }
    }
    let functions: BTreeSet<_> = generate::all_functions().into_iter().collect();
    assert_eq!(
        functions.len(),
        generate::all_functions().len(),
        "duplicate function names"
    );
}

#[test]
fn openapi_spec_has_exactly_the_routes_of_the_table() {
    let text = std::fs::read_to_string(repo_root().join("openapi.yaml")).unwrap();
    let spec: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    assert!(
        spec["openapi"].as_str().unwrap().starts_with("3.1"),
        "OpenAPI 3.1"
    );
    let mut in_spec = BTreeSet::new();
    for (path, item) in spec["paths"].as_mapping().expect("paths") {
        for (method, op) in item.as_mapping().unwrap() {
            let method = method.as_str().unwrap().to_uppercase();
            if !["GET", "POST", "PUT", "PATCH", "DELETE"].contains(&method.as_str()) {
                continue;
            }
            let path = path.as_str().unwrap().to_string();
            let route = ROUTES.iter().find(|r| r.method == method && r.path == path);
            let route = route.unwrap_or_else(|| {
                panic!("openapi.yaml has {method} {path}, which is not in the route table")
            });
            assert_eq!(
                op["operationId"].as_str(),
                Some(route.function),
                "{method} {path}: operationId must be the function name"
            );
            assert!(
                op["responses"]["401"].is_mapping() || op["responses"]["default"].is_mapping(),
                "{method} {path}: document the 401"
            );
            in_spec.insert((method, path));
        }
    }
    for r in ROUTES {
        assert!(
            in_spec.contains(&(r.method.to_string(), r.path.to_string())),
            "route {} {} is missing from openapi.yaml",
            r.method,
            r.path
        );
    }
}

/// Every operation lists the problem codes its route can answer (`x-problem-codes`: the
/// pipeline's for its access rule plus the operation's own, `RouteDef::codes`), each code's
/// status is a documented response, and `Problem.code` enumerates exactly the codes routes answer.
/// The in-process client checks every answered code against the same list, so a handler cannot
/// return an undeclared code in any test. `UPDATE_GENERATED=1` rewrites the lists.
#[test]
fn openapi_documents_exactly_the_problem_codes_of_each_route() {
    use shared::error::Code;
    let file = repo_root().join("openapi.yaml");
    let mut text = std::fs::read_to_string(&file).unwrap();
    let list = |codes: &[Code]| {
        codes
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut all: Vec<Code> = ROUTES.iter().flat_map(|r| r.codes()).collect();
    all.sort();
    all.dedup();
    // Codes no route answers: a trigger's bad event and the personal organization's idempotent
    // path (handled, never answered).
    let not_http = [Code::InvalidEvent, Code::PersonalOrgExists];
    for c in Code::ALL {
        assert!(
            all.contains(c) != not_http.contains(c),
            "{c}: every code is answered by some route, except {not_http:?}"
        );
    }
    let mut wanted = Vec::new();
    for r in ROUTES {
        wanted.push((
            format!("      operationId: {}\n", r.function),
            format!("      x-problem-codes: [{}]\n", list(&r.codes())),
        ));
    }
    let problem_line = format!(
        "        code: {{ type: string, description: Stable, machine-readable error code., enum: [{}] }}\n",
        list(&all)
    );
    let mut expected = String::new();
    let mut lines = text.split_inclusive('\n').peekable();
    while let Some(line) = lines.next() {
        if line.starts_with("        code: { type: string, description: Stable") {
            expected.push_str(&problem_line);
            continue;
        }
        expected.push_str(line);
        if let Some((_, codes)) = wanted.iter().find(|(op, _)| op == line) {
            if lines
                .peek()
                .is_some_and(|l| l.starts_with("      x-problem-codes:"))
            {
                lines.next();
            }
            expected.push_str(codes);
        }
    }
    if expected != text {
        if update() {
            std::fs::write(&file, &expected).unwrap();
            text = expected;
        } else {
            panic!("openapi.yaml's problem codes differ from the route table's; run UPDATE_GENERATED=1 scripts/test.sh");
        }
    }
    let spec: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    for r in ROUTES {
        let op = &spec["paths"][r.path][r.method.to_lowercase()];
        let documented: Vec<&str> = op["x-problem-codes"]
            .as_sequence()
            .unwrap_or_else(|| panic!("{} has no x-problem-codes", r.function))
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        let declared: Vec<&str> = r.codes().iter().map(|c| c.as_str()).collect();
        assert_eq!(documented, declared, "{}", r.function);
        for c in r.codes() {
            let status = c.status().to_string();
            assert!(
                op["responses"][status.as_str()].is_mapping()
                    || op["responses"]["default"].is_mapping(),
                "{}: `{c}` answers {status}, which the operation does not document",
                r.function
            );
        }
    }
}
