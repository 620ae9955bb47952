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
    let text = std::fs::read_to_string(file).unwrap();
    let expected = generate::splice(&text, BEGIN, END, body)
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
