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
    check_between(
        &root.join("openapi.yaml"),
        (generate::BODIES_BEGIN, generate::BODIES_END),
        &generate::body_schemas(),
    );
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
        // The directory's SCIM endpoint is the organization's too, but its caller is the
        // organization's identity provider with a SCIM token (its own access step).
        let org_route = r.path.starts_with("/orgs/{orgId}")
            && r.function != "request-membership"
            && !matches!(r.access, Access::Directory);
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
            // Exactly the writes take an Idempotency-Key.
            let idempotent = op["parameters"]
                .as_sequence()
                .into_iter()
                .flatten()
                .any(|p| p["$ref"] == "#/components/parameters/IdempotencyKey");
            assert_eq!(
                idempotent,
                route.is_write(),
                "{method} {path}: the Idempotency-Key parameter goes on exactly the writes (RouteDef::is_write)"
            );
            in_spec.insert((method, path));
        }
    }
    // SCIM (RFC 7644) describes itself: its discovery endpoints (`/Schemas`, `/ResourceTypes`,
    // `/ServiceProviderConfig`) are its contract, not this spec.
    for r in ROUTES
        .iter()
        .filter(|r| !matches!(r.access, Access::Directory))
    {
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
    let read = std::fs::read_to_string(&file).unwrap();
    // A route new to the table gets its operation's skeleton first (`UPDATE_GENERATED=1`).
    let mut text = if update() {
        generate::with_missing_operations(&read)
    } else {
        read.clone()
    };
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
    for r in ROUTES
        .iter()
        .filter(|r| !matches!(r.access, Access::Directory))
    {
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
    if expected != read {
        if update() {
            std::fs::write(&file, &expected).unwrap();
            text = expected;
        } else {
            panic!("openapi.yaml's problem codes differ from the route table's; run UPDATE_GENERATED=1 scripts/test.sh");
        }
    }
    let spec: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    for r in ROUTES
        .iter()
        .filter(|r| !matches!(r.access, Access::Directory))
    {
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

/// A route the spec lacks gets a skeleton that passes the spec's own checks: taken out of a copy,
/// `close-org` (alone on its path) and `update-team` (on a path shared with GET and DELETE) come
/// back with their operation id, path parameters, body schema and responses.
#[test]
fn a_route_missing_from_the_spec_gets_its_operation_skeleton() {
    let text = std::fs::read_to_string(repo_root().join("openapi.yaml")).unwrap();
    let mut spec: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    let paths = spec["paths"].as_mapping_mut().unwrap();
    paths.remove("/orgs/{orgId}/close");
    paths["/orgs/{orgId}/teams/{teamId}"]
        .as_mapping_mut()
        .unwrap()
        .remove("patch");
    let without = serde_yaml::to_string(&spec).unwrap();
    let back: serde_yaml::Value =
        serde_yaml::from_str(&generate::with_missing_operations(&without)).unwrap();
    for (path, method, function, body) in [
        ("/orgs/{orgId}/close", "post", "close-org", "CloseOrg"),
        (
            "/orgs/{orgId}/teams/{teamId}",
            "patch",
            "update-team",
            "UpdateNamed",
        ),
    ] {
        let op = &back["paths"][path][method];
        assert_eq!(op["operationId"].as_str(), Some(function));
        assert_eq!(
            op["requestBody"]["content"]["application/json"]["schema"]["$ref"].as_str(),
            Some(format!("#/components/schemas/{body}").as_str())
        );
        assert!(op["responses"]["401"].is_mapping() && op["responses"]["2XX"].is_mapping());
    }
    assert!(back["paths"]["/orgs/{orgId}/teams/{teamId}"]["get"].is_mapping());
    assert_eq!(
        back["paths"]["/orgs/{orgId}/close"]["parameters"][0]["$ref"].as_str(),
        Some("#/components/parameters/OrgId")
    );
}

/// Every route's request body is its handler's type: the spec has one exactly where the route
/// table names a body type, its schema is the generated one of that type (bounds and all, in the
/// generated block of `components.schemas`), and its example is a body that type accepts, parsed
/// as the handler parses it (so a generated client's documentation shows something that works).
#[test]
fn every_request_body_is_its_handlers_type_with_an_example_it_accepts() {
    let spec = spec();
    let names: std::collections::BTreeMap<&str, String> = generate::body_names()
        .into_iter()
        .map(|(r, name)| (r.function, name))
        .collect();
    let mut problems = Vec::new();
    for r in ROUTES {
        let op = &spec["paths"][r.path][r.method.to_lowercase()];
        let content = &op["requestBody"]["content"]["application/json"];
        let Some(body) = r.body else {
            if !content.is_null() {
                problems.push(format!("{}: the spec has a request body; the route table names no body type (RouteDef.body)", r.function));
            }
            continue;
        };
        let expected = format!("#/components/schemas/{}", names[r.function]);
        if content["schema"]["$ref"].as_str() != Some(expected.as_str()) {
            problems.push(format!(
                "{}: its request body's schema must be {{ $ref: \"{expected}\" }}",
                r.function
            ));
        }
        match serde_json::to_value(&content["example"]) {
            Ok(serde_json::Value::Null) | Err(_) => {
                problems.push(format!("{}: its request body has no example (write it in openapi.yaml, or give the type `#[cfg_attr(feature = \"openapi\", schemars(example = ..))]` before UPDATE_GENERATED=1)", r.function))
            }
            Ok(example) => {
                let input = service::pipeline::Input {
                    body: serde_json::to_vec(&example).unwrap(),
                    ..Default::default()
                };
                if let Err(e) = (body.parse)(&input) {
                    problems.push(format!(
                        "{}: its example is refused: {} {}",
                        r.function, e.code, e.detail
                    ));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "openapi.yaml:\n  {}",
        problems.join("\n  ")
    );
}

/// The example check parses as the handler does: an example past a bound, with a field the type
/// does not know, or of the wrong JSON type is refused.
#[test]
fn the_example_check_refuses_what_the_type_does() {
    let body = service::routes::route("create-invitation").body.unwrap();
    let parse = |v: serde_json::Value| {
        (body.parse)(&service::pipeline::Input {
            body: serde_json::to_vec(&v).unwrap(),
            ..Default::default()
        })
    };
    assert!(parse(serde_json::json!({ "email": "a@example.com", "role": "viewer" })).is_ok());
    let refused =
        parse(serde_json::json!({ "email": "a@example.com", "role": "viewer", "maxUses": 1001 }))
            .unwrap_err();
    assert_eq!(refused.code, service::error::Code::ValidationFailed);
    assert_eq!(refused.extra["field"], "maxUses");
    assert!(
        parse(serde_json::json!({ "email": "a@example.com", "role": "viewer", "z": 1 })).is_err()
    );
    assert!(parse(serde_json::json!({ "email": 1, "role": "viewer" })).is_err());
}

/// The bounds of the query parameters (the bodies' are generated from their types): the page
/// size and the audit log's action filter.
#[test]
fn query_parameter_bounds_are_the_constants_the_code_enforces() {
    use service::audit::handlers::MAX_ACTION_LEN;
    use service::pipeline::{DEFAULT_PAGE, MAX_PAGE};
    let spec = spec();
    let limit = &spec["components"]["parameters"]["Limit"]["schema"];
    assert_eq!(limit["maximum"].as_u64(), Some(MAX_PAGE as u64));
    assert_eq!(limit["default"].as_u64(), Some(DEFAULT_PAGE as u64));
    let action = spec["paths"]["/orgs/{orgId}/audit-log"]["get"]["parameters"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "action")
        .expect("the audit log's action parameter");
    assert_eq!(
        action["schema"]["maxLength"].as_u64(),
        Some(MAX_ACTION_LEN as u64)
    );
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
