//! The route table is the single source: the router, the binaries, the template and the OpenAPI
//! spec must match it. `UPDATE_GENERATED=1` rewrites the generated parts instead of failing.

use integration_tests::generate::{self, BEGIN, END};
use integration_tests::repo_root;
use service::routes::{Access, ROUTES};
use std::collections::BTreeSet;
use std::path::Path;

/// `openapi.yaml`, parsed.
fn spec() -> serde_yaml::Value {
    let text = std::fs::read_to_string(repo_root().join("openapi.yaml")).unwrap();
    serde_yaml::from_str(&text).unwrap()
}

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
    check_block(&root.join("openapi.yaml"), &generate::openapi_tags());
    // The nested stacks' templates are generated whole; none is left over.
    check_dir(&root.join(generate::STACKS_DIR), &generate::nested_stacks());
    check_between(
        &root.join("docs/routes.md"),
        (generate::ROUTES_TABLE_BEGIN, generate::ROUTES_TABLE_END),
        &generate::routes_table(),
    );

    // One generated `main` per route and worker; none is left over.
    let bins: Vec<(String, String)> = generate::all_functions()
        .iter()
        .map(|f| (format!("{f}.rs"), generate::bin_source(f)))
        .collect();
    check_dir(&root.join("functions/src/bin"), &bins);
}

/// `dir` holds exactly `files` (name, content): with `UPDATE_GENERATED=1` written and the others
/// removed, else a file missing, different or left over fails the test.
fn check_dir(dir: &std::path::Path, files: &[(String, String)]) {
    std::fs::create_dir_all(dir).unwrap();
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        if !files.iter().any(|(f, _)| *f == name) {
            if update() {
                std::fs::remove_file(dir.join(&name)).unwrap();
            } else {
                panic!(
                    "{}/{name} is generated from nothing in the route table",
                    dir.display()
                );
            }
        }
    }
    for (file, expected) in files {
        let path = dir.join(file);
        if std::fs::read_to_string(&path).ok().as_deref() != Some(expected.as_str()) {
            if update() {
                std::fs::write(&path, expected).unwrap();
            } else {
                panic!(
                    "{} is missing or out of date with the route table; run UPDATE_GENERATED=1 scripts/test.sh",
                    path.display()
                );
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
        // Asking to join is the one organization path that people outside it call: it decides
        // on their verified email's domain, not on an access they do not have.
        let org_route = r.path.starts_with("/orgs/{orgId}") && r.function != "request-membership";
        assert_eq!(
            org_route,
            matches!(r.access, Access::Org(_)),
            "{}: org routes and only they use the org pipeline",
            r.function
        );
        if org_route {
            assert!(
                r.dynamo.contains(&service::routes::Dynamo::BatchGetItem),
                "{}: the pipeline reads the access context with BatchGetItem",
                r.function
            );
        }
        if r.org_rule().is_some_and(|o| {
            matches!(
                o.effect,
                service::routes::Effect::Write | service::routes::Effect::WriteWhileClosed
            )
        }) {
            assert!(
                r.dynamo
                    .contains(&service::routes::Dynamo::ConditionCheckItem),
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
    let spec = spec();
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
    use service::error::Code;
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
            format!(
                "      x-problem-codes: [{}]\n      tags: [{}]\n",
                list(&r.codes()),
                service::routes::concept_of(r)
            ),
        ));
    }
    let problem_line = format!(
        "        code: {{ type: string, description: \"Stable, machine-readable error code. The list grows (x-extensible-enum): accept a code you do not know and act on `status`.\", x-extensible-enum: [{}] }}\n",
        list(&all)
    );
    let mut expected = String::new();
    let mut lines = text.split_inclusive('\n').peekable();
    while let Some(line) = lines.next() {
        if line.starts_with("        code: { type: string, description: \"Stable") {
            expected.push_str(&problem_line);
            continue;
        }
        expected.push_str(line);
        if let Some((_, codes)) = wanted.iter().find(|(op, _)| op == line) {
            while lines.peek().is_some_and(|l| {
                l.starts_with("      x-problem-codes:") || l.starts_with("      tags:")
            }) {
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

/// Every numeric bound of `openapi.yaml`, where it is, and the constant of the rule it documents:
/// the spec says what the code enforces. `minLength`/`minItems` 1 (present and non-empty),
/// `minimum` 0 (a count) and `minimum` 1 (a positive number) need no constant unless listed here.
fn documented_bounds() -> Vec<(&'static str, &'static str, i64)> {
    use service::access::handlers::MAX_PERMISSIONS_PER_CHECK;
    use service::api_keys::handlers as keys;
    use service::audit::handlers::MAX_ACTION_LEN;
    use service::domain::{DESCRIPTION_MAX_CHARS, EMAIL_MAX_LEN, NAME_MAX_CHARS, USER_ID_MAX_LEN};
    use service::integrations::secret::MAX_SECRET_BYTES;
    use service::invitations::create::{
        DEFAULT_EXPIRES_IN_DAYS, DEFAULT_MAX_USES, EXPIRES_IN_DAYS, MAX_MESSAGE_CHARS,
        MAX_PROJECTS, MAX_USES,
    };
    use service::orgs::settings::{ADDRESS_MAX_CHARS, COMPANY_NAME_MAX_CHARS, VAT_ID_MAX_CHARS};
    use service::pipeline::{DEFAULT_PAGE, MAX_PAGE};
    use service::settings::authentication::{DOMAIN_LEN, MAX_DOMAINS};
    use service::settings::cleanup::AFTER_DAYS;
    let n = |v: usize| v as i64;
    let role_permissions = n(service::roles::handlers::PERMISSIONS_MAX);
    vec![
        ("CreateRole.name", "maxLength", n(NAME_MAX_CHARS)),
        ("UpdateRole.name", "maxLength", n(NAME_MAX_CHARS)),
        (
            "CreateRole.description",
            "maxLength",
            n(DESCRIPTION_MAX_CHARS),
        ),
        (
            "UpdateRole.description",
            "maxLength",
            n(DESCRIPTION_MAX_CHARS),
        ),
        ("CreateRole.permissions", "maxItems", role_permissions),
        ("UpdateRole.permissions", "maxItems", role_permissions),
        (
            "POST /orgs/{orgId}/authorize body.permissions",
            "maxItems",
            n(MAX_PERMISSIONS_PER_CHECK),
        ),
        (
            "POST /orgs/{orgId}/ownership-transfer body.userId",
            "maxLength",
            n(USER_ID_MAX_LEN),
        ),
        (
            "GET /orgs/{orgId}/audit-log ?action",
            "maxLength",
            n(MAX_ACTION_LEN),
        ),
        (
            "POST /orgs/{orgId}/integrations body.name",
            "maxLength",
            n(NAME_MAX_CHARS),
        ),
        (
            "POST /orgs/{orgId}/integrations body.secret",
            "maxLength",
            n(MAX_SECRET_BYTES),
        ),
        (
            "PATCH /orgs/{orgId}/integrations/{integrationId} body.name",
            "maxLength",
            n(NAME_MAX_CHARS),
        ),
        (
            "PUT /orgs/{orgId}/integrations/{integrationId}/secret body.secret",
            "maxLength",
            n(MAX_SECRET_BYTES),
        ),
        ("parameter Limit", "maximum", MAX_PAGE as i64),
        ("parameter Limit", "default", DEFAULT_PAGE as i64),
        ("CreateOrg.name", "maxLength", n(NAME_MAX_CHARS)),
        ("UpdateOrg.name", "maxLength", n(NAME_MAX_CHARS)),
        (
            "BillingProfile.companyName",
            "maxLength",
            n(COMPANY_NAME_MAX_CHARS),
        ),
        ("BillingProfile.address", "maxLength", n(ADDRESS_MAX_CHARS)),
        ("BillingProfile.vatId", "maxLength", n(VAT_ID_MAX_CHARS)),
        (
            "AuthenticationPolicy.allowedEmailDomains",
            "maxItems",
            n(MAX_DOMAINS),
        ),
        (
            "AuthenticationPolicy.allowedEmailDomains[]",
            "minLength",
            n(DOMAIN_LEN.0),
        ),
        (
            "AuthenticationPolicy.allowedEmailDomains[]",
            "maxLength",
            n(DOMAIN_LEN.1),
        ),
        (
            "CleanupRule.afterDays",
            "minimum",
            *AFTER_DAYS.start() as i64,
        ),
        ("CleanupRule.afterDays", "maximum", *AFTER_DAYS.end() as i64),
        ("CreateNamed.name", "maxLength", n(NAME_MAX_CHARS)),
        (
            "CreateNamed.description",
            "maxLength",
            n(DESCRIPTION_MAX_CHARS),
        ),
        ("UpdateNamed.name", "maxLength", n(NAME_MAX_CHARS)),
        (
            "UpdateNamed.description",
            "maxLength",
            n(DESCRIPTION_MAX_CHARS),
        ),
        ("CreateInvitation.email", "maxLength", n(EMAIL_MAX_LEN)),
        (
            "CreateInvitation.expiresInDays",
            "minimum",
            EXPIRES_IN_DAYS.0,
        ),
        (
            "CreateInvitation.expiresInDays",
            "maximum",
            EXPIRES_IN_DAYS.1,
        ),
        (
            "CreateInvitation.expiresInDays",
            "default",
            DEFAULT_EXPIRES_IN_DAYS,
        ),
        ("CreateInvitation.maxUses", "maximum", MAX_USES),
        ("CreateInvitation.maxUses", "default", DEFAULT_MAX_USES),
        (
            "CreateInvitation.message",
            "maxLength",
            n(MAX_MESSAGE_CHARS),
        ),
        ("CreateInvitation.projectIds", "maxItems", n(MAX_PROJECTS)),
        ("CreateApiKey.name", "maxLength", n(NAME_MAX_CHARS)),
        (
            "CreateApiKey.expiresInDays",
            "minimum",
            keys::EXPIRES_IN_DAYS.0,
        ),
        (
            "CreateApiKey.expiresInDays",
            "maximum",
            keys::EXPIRES_IN_DAYS.1,
        ),
        (
            "CreateApiKey.expiresInDays",
            "default",
            keys::DEFAULT_EXPIRES_IN_DAYS,
        ),
        (
            "CreateApiKey.projectIds",
            "maxItems",
            n(keys::PROJECTS_PER_KEY),
        ),
        (
            "PATCH /orgs/{orgId}/api-keys/{keyId} body.name",
            "maxLength",
            n(NAME_MAX_CHARS),
        ),
        (
            "POST /orgs/{orgId}/api-keys/{keyId}/roll body.graceMinutes",
            "maximum",
            keys::MAX_GRACE_MINUTES,
        ),
        (
            "POST /orgs/{orgId}/api-keys/{keyId}/roll body.graceMinutes",
            "default",
            keys::DEFAULT_GRACE_MINUTES,
        ),
        (
            "POST /api-keys/verify body.permissions",
            "maxItems",
            n(MAX_PERMISSIONS_PER_CHECK),
        ),
    ]
}

/// The numeric bounds of a spec: (where, keyword, value). Where: `Schema.property` (`[]` for its
/// items) in components, `parameter Name`, or `METHOD /path body.property` / `?param` / `<status>.property`.
fn spec_bounds(spec: &serde_yaml::Value) -> Vec<(String, String, i64)> {
    const KEYWORDS: [&str; 7] = [
        "minimum",
        "maximum",
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "default",
    ];
    fn walk(v: &serde_yaml::Value, at: &str, out: &mut Vec<(String, String, i64)>) {
        // allOf / oneOf / anyOf: each option's bounds are the property's.
        if let Some(options) = v.as_sequence() {
            for o in options {
                walk(o, at, out);
            }
            return;
        }
        let Some(map) = v.as_mapping() else { return };
        for (k, child) in map {
            let k = k.as_str().unwrap_or_default();
            if KEYWORDS.contains(&k) {
                if let Some(n) = child.as_i64() {
                    out.push((at.to_string(), k.to_string(), n));
                }
                continue;
            }
            // A request field's default is said in its description, "(default N)": a `default`
            // keyword makes the field required in generated clients (openapi-typescript).
            if k == "description" {
                let said = child
                    .as_str()
                    .and_then(|d| d.split_once("(default "))
                    .and_then(|(_, rest)| {
                        rest.split_once(')')
                            .and_then(|(n, _)| n.parse::<i64>().ok())
                    });
                if let Some(n) = said {
                    out.push((at.to_string(), "default".to_string(), n));
                }
                continue;
            }
            let next = match k {
                "properties" => {
                    for (p, schema) in child.as_mapping().into_iter().flatten() {
                        walk(
                            schema,
                            &format!("{at}.{}", p.as_str().unwrap_or_default()),
                            out,
                        );
                    }
                    continue;
                }
                "items" => format!("{at}[]"),
                _ => at.to_string(),
            };
            walk(child, &next, out);
        }
    }
    let mut out = Vec::new();
    for (name, schema) in spec["components"]["schemas"]
        .as_mapping()
        .into_iter()
        .flatten()
    {
        walk(schema, name.as_str().unwrap_or_default(), &mut out);
    }
    for (name, p) in spec["components"]["parameters"]
        .as_mapping()
        .into_iter()
        .flatten()
    {
        walk(
            &p["schema"],
            &format!("parameter {}", name.as_str().unwrap_or_default()),
            &mut out,
        );
    }
    for (path, item) in spec["paths"].as_mapping().into_iter().flatten() {
        for (method, op) in item.as_mapping().into_iter().flatten() {
            let at = format!(
                "{} {}",
                method.as_str().unwrap_or_default().to_uppercase(),
                path.as_str().unwrap_or_default()
            );
            for p in op["parameters"].as_sequence().into_iter().flatten() {
                if let Some(name) = p["name"].as_str() {
                    walk(&p["schema"], &format!("{at} ?{name}"), &mut out);
                }
            }
            walk(
                &op["requestBody"]["content"]["application/json"]["schema"],
                &format!("{at} body"),
                &mut out,
            );
            for (status, r) in op["responses"].as_mapping().into_iter().flatten() {
                let status = status
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("{status:?}"));
                walk(
                    &r["content"]["application/json"]["schema"],
                    &format!("{at} {status}"),
                    &mut out,
                );
            }
        }
    }
    out
}

#[test]
fn openapi_bounds_are_the_constants_the_code_enforces() {
    let spec = spec();
    let documented: BTreeSet<(String, String, i64)> = documented_bounds()
        .into_iter()
        .map(|(at, k, v)| (at.to_string(), k.to_string(), v))
        .collect();
    let listed = |at: &str, k: &str| documented.iter().any(|(a, kk, _)| a == at && kk == k);
    let structural =
        |k: &str, v: i64| matches!((k, v), ("minLength" | "minItems", 1) | ("minimum", 0 | 1));
    let found: BTreeSet<(String, String, i64)> = spec_bounds(&spec)
        .into_iter()
        .filter(|(at, k, v)| listed(at, k) || !structural(k, *v))
        .collect();
    let undocumented: Vec<_> = found.difference(&documented).collect();
    let missing: Vec<_> = documented.difference(&found).collect();
    assert!(
        undocumented.is_empty() && missing.is_empty(),
        "openapi.yaml's bounds and the code's constants differ.\n  in the spec, not (or not so) in the code's table: {undocumented:?}\n  in the table, not (or not so) in the spec: {missing:?}\n(tests/tests/api/route_table.rs, documented_bounds)"
    );
}

/// What is wrong with `value` under `schema` (a subset of JSON Schema: `$ref`, `allOf`, `oneOf`,
/// `type` (one or a list), `enum`, `required`, `properties`, `additionalProperties: false`,
/// `items` and the numeric bounds); empty when it fits.
fn violations(
    spec: &serde_yaml::Value,
    schema: &serde_yaml::Value,
    value: &serde_json::Value,
    at: &str,
) -> Vec<String> {
    use serde_json::Value as J;
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.trim_start_matches("#/components/schemas/");
        return violations(spec, &spec["components"]["schemas"][name], value, at);
    }
    let mut out = Vec::new();
    for part in schema["allOf"].as_sequence().into_iter().flatten() {
        out.extend(violations(spec, part, value, at));
    }
    if let Some(options) = schema["oneOf"].as_sequence() {
        let fitting = options
            .iter()
            .filter(|o| violations(spec, o, value, at).is_empty())
            .count();
        if fitting != 1 {
            out.push(format!("{at}: fits {fitting} of oneOf's options, not one"));
        }
    }
    let types: Vec<&str> = match &schema["type"] {
        serde_yaml::Value::String(t) => vec![t.as_str()],
        serde_yaml::Value::Sequence(ts) => ts.iter().filter_map(|t| t.as_str()).collect(),
        _ => vec![],
    };
    let is = |t: &str| match (t, value) {
        ("object", J::Object(_)) | ("array", J::Array(_)) | ("string", J::String(_)) => true,
        ("boolean", J::Bool(_)) | ("null", J::Null) => true,
        ("integer", J::Number(n)) => n.is_i64() || n.is_u64(),
        ("number", J::Number(_)) => true,
        _ => false,
    };
    if !types.is_empty() && !types.iter().any(|t| is(t)) {
        out.push(format!("{at}: {value} is not {types:?}"));
        return out;
    }
    if let Some(allowed) = schema["enum"].as_sequence() {
        let fits = allowed
            .iter()
            .any(|a| serde_json::to_value(a).ok().as_ref() == Some(value));
        if !fits {
            out.push(format!("{at}: {value} is not one of {allowed:?}"));
        }
    }
    let bound = |k: &str| schema[k].as_i64();
    match value {
        J::Object(map) => {
            for r in schema["required"].as_sequence().into_iter().flatten() {
                let r = r.as_str().unwrap_or_default();
                if !map.contains_key(r) {
                    out.push(format!("{at}: the required `{r}` is missing"));
                }
            }
            let props = schema["properties"].as_mapping();
            for (k, v) in map {
                match props.and_then(|p| p.get(k.as_str())) {
                    Some(s) => out.extend(violations(spec, s, v, &format!("{at}.{k}"))),
                    None if schema["additionalProperties"] == serde_yaml::Value::Bool(false) => {
                        out.push(format!("{at}: `{k}` is not a property of the schema"))
                    }
                    None => {}
                }
            }
        }
        J::Array(items) => {
            if bound("minItems").is_some_and(|m| (items.len() as i64) < m)
                || bound("maxItems").is_some_and(|m| (items.len() as i64) > m)
            {
                out.push(format!("{at}: {} items is outside the bounds", items.len()));
            }
            for (i, item) in items.iter().enumerate() {
                out.extend(violations(
                    spec,
                    &schema["items"],
                    item,
                    &format!("{at}[{i}]"),
                ));
            }
        }
        J::String(s) => {
            let n = s.chars().count() as i64;
            if bound("minLength").is_some_and(|m| n < m)
                || bound("maxLength").is_some_and(|m| n > m)
            {
                out.push(format!(
                    "{at}: a string of {n} characters is outside the bounds"
                ));
            }
        }
        J::Number(n) => {
            let n = n.as_i64().unwrap_or_default();
            if bound("minimum").is_some_and(|m| n < m) || bound("maximum").is_some_and(|m| n > m) {
                out.push(format!("{at}: {n} is outside the bounds"));
            }
        }
        _ => {}
    }
    out
}

/// Every request body has an example, and each example is a body its schema accepts (so a
/// generated client's documentation shows something that works).
#[test]
fn every_request_body_has_an_example_its_schema_accepts() {
    let spec = spec();
    let mut problems = Vec::new();
    for r in ROUTES {
        let op = &spec["paths"][r.path][r.method.to_lowercase()];
        let body = &op["requestBody"]["content"]["application/json"];
        if body.is_null() {
            continue;
        }
        match serde_json::to_value(&body["example"]) {
            Ok(serde_json::Value::Null) | Err(_) => {
                problems.push(format!("{}: its request body has no example", r.function))
            }
            Ok(example) => {
                problems.extend(violations(&spec, &body["schema"], &example, r.function))
            }
        }
    }
    assert!(
        problems.is_empty(),
        "openapi.yaml:\n  {}",
        problems.join("\n  ")
    );
}

#[test]
fn the_example_check_refuses_what_its_schema_does() {
    let spec: serde_yaml::Value =
        serde_yaml::from_str("components: { schemas: { R: { type: string, enum: [a, b] } } }")
            .unwrap();
    let schema: serde_yaml::Value = serde_yaml::from_str(
        "{ type: object, additionalProperties: false, required: [n], properties: { n: { type: integer, maximum: 3 }, r: { $ref: '#/components/schemas/R' } } }",
    )
    .unwrap();
    let check = |v: serde_json::Value| violations(&spec, &schema, &v, "x");
    assert!(check(serde_json::json!({ "n": 3, "r": "a" })).is_empty());
    assert_eq!(check(serde_json::json!({ "n": 4 })).len(), 1, "maximum");
    assert_eq!(check(serde_json::json!({ "r": "a" })).len(), 1, "required");
    assert_eq!(
        check(serde_json::json!({ "n": 1, "r": "c" })).len(),
        1,
        "enum through $ref"
    );
    assert_eq!(
        check(serde_json::json!({ "n": 1, "z": 1 })).len(),
        1,
        "additionalProperties"
    );
    assert_eq!(check(serde_json::json!({ "n": "1" })).len(), 1, "type");
}

/// The spec's patterns are the code's formats: a slug's length and characters, an id's prefix and
/// digits (a pattern the code does not enforce would generate clients that send what it refuses).
#[test]
fn openapi_patterns_are_the_formats_the_code_parses() {
    use service::domain::{ProjectId, Slug, ID_HEX_DIGITS, SLUG_LEN};
    let spec = spec();
    let (min, max) = SLUG_LEN;
    assert_eq!(
        spec["components"]["schemas"]["Slug"]["pattern"].as_str(),
        Some(format!("^[a-z0-9]([a-z0-9-]{{{},{}}})[a-z0-9]$", min - 2, max - 2).as_str())
    );
    assert_eq!(
        spec["components"]["schemas"]["CreateInvitation"]["properties"]["projectIds"]["items"]
            ["pattern"]
            .as_str(),
        Some(format!("^{}[0-9a-f]{{{ID_HEX_DIGITS}}}$", ProjectId::PREFIX).as_str())
    );
    // The examples' ids and slugs are ones the code accepts.
    for r in ROUTES {
        let example = serde_json::to_value(
            &spec["paths"][r.path][r.method.to_lowercase()]["requestBody"]["content"]
                ["application/json"]["example"],
        )
        .unwrap();
        let mut project_ids: Vec<serde_json::Value> = example["projectIds"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        project_ids.extend(example.get("projectId").cloned());
        for id in project_ids {
            assert!(
                ProjectId::parse(id.as_str().unwrap_or_default()).is_some(),
                "{}: {id}",
                r.function
            );
        }
        if let Some(i) = example["integrationId"].as_str() {
            assert!(
                service::domain::IntegrationId::parse(i).is_some(),
                "{}: {i}",
                r.function
            );
        }
        if let Some(slug) = example["slug"].as_str() {
            assert!(Slug::parse(slug).is_ok(), "{}: {slug}", r.function);
        }
    }
}

fn root_template() -> serde_yaml::Value {
    let text = std::fs::read_to_string(repo_root().join("infra/template.yaml")).unwrap();
    serde_yaml::from_str(&text).unwrap()
}

/// The resources of the root template and of every nested stack's, by logical id (unique over
/// all of them: every function's resources are named after it).
fn every_resource() -> serde_yaml::Mapping {
    let mut all = root_template()["Resources"].as_mapping().unwrap().clone();
    let mut stacks = 0;
    for (name, r) in root_template()["Resources"].as_mapping().unwrap() {
        if r["Type"] != "AWS::Serverless::Application" {
            continue;
        }
        stacks += 1;
        let location = r["Properties"]["Location"].as_str().unwrap();
        let text = std::fs::read_to_string(repo_root().join("infra").join(location))
            .unwrap_or_else(|e| panic!("{name:?}: {location}: {e}"));
        let doc: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
        for (k, v) in doc["Resources"].as_mapping().unwrap() {
            assert!(all.insert(k.clone(), v.clone()).is_none(), "{k:?} twice");
        }
    }
    assert_eq!(stacks, generate::nested_stacks().len());
    all
}

/// Operability: every function of the template logs to its own log group, kept
/// `LogRetentionDays` (never forever), in JSON.
#[test]
fn every_function_has_its_log_group_with_retention() {
    use serde_yaml::Value;
    let doc = root_template();
    let all = every_resource();
    let resources = &all;
    let reference = |v: &Value| match v {
        Value::Tagged(t) if t.tag == "!Ref" => t.value.as_str().map(str::to_string),
        _ => None,
    };
    let mut functions = 0;
    for (name, r) in resources {
        if r["Type"] != "AWS::Serverless::Function" {
            continue;
        }
        functions += 1;
        let logging = &r["Properties"]["LoggingConfig"];
        assert_eq!(logging["LogFormat"], "JSON", "{name:?}: JSON logs");
        let group = reference(&logging["LogGroup"])
            .unwrap_or_else(|| panic!("{name:?} names no log group of its own"));
        let g = &resources[&Value::String(group.clone())];
        assert_eq!(g["Type"], "AWS::Logs::LogGroup", "{group}");
        assert_eq!(
            reference(&g["Properties"]["RetentionInDays"]).as_deref(),
            Some("LogRetentionDays"),
            "{group}: kept LogRetentionDays"
        );
    }
    assert_eq!(functions, generate::all_functions().len(), "every function");
    assert!(doc["Parameters"]["LogRetentionDays"]["Default"] == 30);
}

/// Every function has its error alarm (generated from the route table): Lambda's `Errors` and
/// `Throttles` of that function and, for a route, the 5xx answers its request lines count, each
/// alarm notifying `AlarmTopicArn` when one is given. The alarms the issue names beyond them
/// exist. (scripts/stack-resources.py counts each stack's resources after SAM's transform.)
#[test]
fn every_function_has_its_error_alarm_and_the_service_its_alarms() {
    use serde_yaml::Value;
    let all = every_resource();
    let resources = &all;
    let tagged = |v: &Value, tag: &str| match v {
        Value::Tagged(t) if t.tag == tag => Some(t.value.clone()),
        _ => None,
    };
    let notifies = |alarm: &Value, name: &str| {
        for actions in ["AlarmActions", "OKActions"] {
            let cond = tagged(&alarm["Properties"][actions], "!If")
                .unwrap_or_else(|| panic!("{name}: {actions} under a condition"));
            assert_eq!(cond[0], "HasAlarmTopic", "{name}");
            assert_eq!(
                tagged(&cond[1][0], "!Ref").as_ref().and_then(Value::as_str),
                Some("AlarmTopicArn"),
                "{name}"
            );
        }
    };
    for function in generate::all_functions() {
        let name = generate::error_alarm_name(function);
        let alarm = &resources[&Value::String(name.clone())];
        assert_eq!(
            alarm["Type"], "AWS::CloudWatch::Alarm",
            "{function} has no {name}"
        );
        notifies(alarm, &name);
        let metrics = alarm["Properties"]["Metrics"].as_sequence().unwrap();
        let stat = |metric: &str| {
            metrics
                .iter()
                .find(|m| m["MetricStat"]["Metric"]["MetricName"] == metric)
                .map(|m| m["MetricStat"]["Metric"].clone())
        };
        let function_resource = format!("{}Function", name.strip_suffix("ErrorsAlarm").unwrap());
        for metric in ["Errors", "Throttles"] {
            let m = stat(metric).unwrap_or_else(|| panic!("{name}: no {metric}"));
            assert_eq!(m["Namespace"], "AWS/Lambda");
            assert_eq!(
                tagged(&m["Dimensions"][0]["Value"], "!Ref")
                    .as_ref()
                    .and_then(Value::as_str),
                Some(function_resource.as_str()),
                "{name}: {metric} of its own function"
            );
        }
        let is_route = service::routes::ROUTES
            .iter()
            .any(|r| r.function == function);
        let answers = stat("Errors5xx");
        assert_eq!(
            answers.is_some(),
            is_route,
            "{name}: 5xx answers for routes only"
        );
        if let Some(m) = answers {
            assert_eq!(m["Dimensions"][0]["Name"], "route");
            assert_eq!(m["Dimensions"][0]["Value"], function, "{name}");
        }
        // The expression adds up every metric the alarm reads.
        let expression = metrics
            .iter()
            .find_map(|m| m["Expression"].as_str())
            .unwrap_or_else(|| panic!("{name}: no expression"));
        for m in metrics.iter().filter(|m| m.get("MetricStat").is_some()) {
            let id = m["Id"].as_str().unwrap();
            assert!(
                expression.contains(&format!("FILL({id}, 0)")),
                "{name}: {expression}"
            );
        }
    }
    for alarm in [
        "EventsDeadLetterQueueAlarm",
        "PurgeScheduleDeadLetterQueueAlarm",
        "PurgeFailuresAlarm",
        "PurgeNotRunAlarm",
        "TableSystemErrorsAlarm",
        "TableThrottlesAlarm",
        "EmailBounceRateAlarm",
        "EmailComplaintRateAlarm",
    ] {
        let a = &resources[&Value::String(alarm.into())];
        assert_eq!(a["Type"], "AWS::CloudWatch::Alarm", "{alarm}");
        notifies(a, alarm);
        let runbook = a["Properties"]["AlarmDescription"].as_str().unwrap();
        let anchor = runbook.rsplit("docs/runbook.md#").next().unwrap();
        let doc = std::fs::read_to_string(repo_root().join("docs/runbook.md")).unwrap();
        assert!(
            doc.lines()
                .any(|l| l.starts_with("## ") && anchor_of(l) == anchor),
            "{alarm}: docs/runbook.md has no section #{anchor}"
        );
    }
}

/// The anchor GitHub gives a Markdown heading.
fn anchor_of(heading: &str) -> String {
    heading
        .trim_start_matches('#')
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// Every extra a problem can carry (`ApiError::with("key", ..)` anywhere in `shared/src`) is a
/// typed property of the spec's `Problem`, and none replaces a member RFC 9457 defines.
#[test]
fn every_problem_extra_is_typed_in_the_spec() {
    fn keys_in(dir: &Path, out: &mut BTreeSet<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                keys_in(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                for (_, rest) in text
                    .match_indices(".with(\"")
                    .map(|(i, _)| ((), &text[i + 7..]))
                {
                    if let Some((key, _)) = rest.split_once('"') {
                        out.insert(key.to_string());
                    }
                }
            }
        }
    }
    let mut keys = BTreeSet::new();
    keys_in(&repo_root().join("shared/src"), &mut keys);
    assert!(keys.contains("field") && keys.contains("limit"), "{keys:?}");
    let spec = spec();
    let problem = &spec["components"]["schemas"]["Problem"]["properties"];
    let reserved = [
        "type",
        "title",
        "status",
        "code",
        "detail",
        "instance",
        "requestId",
    ];
    for key in &keys {
        assert!(
            !reserved.contains(&key.as_str()),
            "the problem extra `{key}` would replace a standard member"
        );
        assert!(
            problem[key.as_str()].is_mapping(),
            "the problem extra `{key}` is not a property of Problem in openapi.yaml"
        );
    }
}

/// Every parameter of the root template is in the deploy guide's table (`docs/deploy.md`,
/// "Template parameters") with its default, and the table names none the template lacks: a
/// parameter added without saying when to change it fails here.
#[test]
fn the_deploy_guide_names_every_template_parameter_with_its_default() {
    let root = repo_root();
    let template = std::fs::read_to_string(root.join("infra/template.yaml")).unwrap();
    let mut params: Vec<(String, Option<String>)> = Vec::new();
    let mut inside = false;
    for line in template.lines() {
        if !line.starts_with(' ') && !line.is_empty() {
            inside = line == "Parameters:";
            continue;
        }
        if !inside {
            continue;
        }
        if let Some(name) = line.strip_prefix("  ").and_then(|l| l.strip_suffix(':')) {
            if !name.starts_with(' ') {
                params.push((name.to_string(), None));
            }
        } else if let Some(default) = line.trim_start().strip_prefix("Default:") {
            let default = default.trim().trim_matches('"').to_string();
            params.last_mut().expect("a default under a parameter").1 = Some(default);
        }
    }
    assert!(params.len() >= 20, "{params:?}");
    let guide = std::fs::read_to_string(root.join("docs/deploy.md")).unwrap();
    let table = guide
        .split("## Template parameters")
        .nth(1)
        .expect("docs/deploy.md has a Template parameters section");
    let rows: Vec<Vec<String>> = table
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| l.split('|').map(|c| c.trim().to_string()).collect())
        .collect();
    let mut missing = Vec::new();
    for (name, default) in &params {
        let row = rows.iter().find(|r| r[1] == format!("`{name}`"));
        let shown = match default.as_deref() {
            None => "(required)".to_string(),
            Some("") => "empty".to_string(),
            Some(d) => format!("`{d}`"),
        };
        match row {
            Some(r) if r[2] == shown || r[2] == shown.trim_matches('`') => {}
            Some(r) => missing.push(format!(
                "{name}: default shown as {}, template {shown}",
                r[2]
            )),
            None => missing.push(format!("{name}: not in the table")),
        }
    }
    let named: BTreeSet<&str> = params.iter().map(|(n, _)| n.as_str()).collect();
    for r in &rows {
        let n = r[1].trim_matches('`');
        if !named.contains(n) {
            missing.push(format!("{n}: in the table, not in the template"));
        }
    }
    assert!(
        missing.is_empty(),
        "docs/deploy.md, Template parameters: {missing:?}"
    );
}
