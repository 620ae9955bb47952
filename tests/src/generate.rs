//! Everything derived from the route table: the cargo-lambda router, the `[[bin]]` list and
//! `main`s of `functions/`, and the template's function resources. The route-table test checks the
//! files match and, with `UPDATE_GENERATED=1`, rewrites them.

use service::routes::{Dynamo, RouteDef, Secrets, Trigger, ROUTES, WORKERS};
use std::fmt::Write;

pub const BEGIN: &str = "# >>> generated from shared/src/routes.rs: do not edit by hand (UPDATE_GENERATED=1 scripts/test.sh rewrites it)";
pub const END: &str = "# <<< generated";

fn pascal(function: &str) -> String {
    function
        .split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

pub fn all_functions() -> Vec<&'static str> {
    ROUTES
        .iter()
        .map(|r| r.function)
        .chain(WORKERS.iter().map(|w| w.function))
        .collect()
}

/// `[workspace.metadata.lambda.watch.router]` entries, one key per path.
pub fn router_toml() -> String {
    let mut paths: Vec<&str> = Vec::new();
    for r in ROUTES {
        if !paths.contains(&r.path) {
            paths.push(r.path);
        }
    }
    let mut out = String::from("[workspace.metadata.lambda.watch.router]\n");
    for p in paths {
        // A greedy path (`{proxy+}`, every method): matchit's catch-all, one function.
        if let Some(r) = ROUTES.iter().find(|r| r.path == p && r.method == "ANY") {
            let greedy = p.replace("{proxy+}", "{*proxy}");
            writeln!(out, "\"{greedy}\" = \"{}\"", r.function).unwrap();
            continue;
        }
        let entries: Vec<String> = ROUTES
            .iter()
            .filter(|r| r.path == p)
            .map(|r| {
                format!(
                    "{{ method = \"{}\", function = \"{}\" }}",
                    r.method, r.function
                )
            })
            .collect();
        writeln!(out, "\"{p}\" = [{}]", entries.join(", ")).unwrap();
    }
    out
}

pub fn bins_toml() -> String {
    let mut out = String::new();
    for f in all_functions() {
        writeln!(
            out,
            "[[bin]]\nname = \"{f}\"\npath = \"src/bin/{f}.rs\"\ntest = false\nbench = false\n"
        )
        .unwrap();
    }
    out
}

pub fn bin_source(function: &str) -> String {
    let call = match WORKERS.iter().find(|w| w.function == function) {
        Some(w) => match w.trigger {
            Trigger::CognitoPostConfirmation => "runtime::serve_post_confirmation()".to_string(),
            Trigger::AuditStream => "runtime::serve_event_publisher()".to_string(),
            Trigger::HourlySchedule => "runtime::serve_purge()".to_string(),
            Trigger::NotificationStream => "runtime::serve_notifications()".to_string(),
            Trigger::RemovalStream => "runtime::serve_removals()".to_string(),
            Trigger::WebhookStream => "runtime::serve_webhook_deliveries()".to_string(),
            Trigger::MinuteSchedule => "runtime::serve_webhook_retries()".to_string(),
            Trigger::ApiAuthorizer => "runtime::serve_authorizer()".to_string(),
        },
        None => {
            let route = ROUTES
                .iter()
                .find(|r| r.function == function)
                .expect("a route or a worker");
            // Only the functions that send email build an SES client, only those that write
            // integration secrets a Secrets Manager client.
            let mut clients = Vec::new();
            if route.ses {
                clients.push("ses: Some(runtime::ses_client)");
            }
            if !route.secrets.is_empty() {
                clients.push("secrets: Some(runtime::secrets_client)");
            }
            let clients = if clients.is_empty() {
                "runtime::Clients::default()".to_string()
            } else {
                format!(
                    "runtime::Clients {{ {}, ..Default::default() }}",
                    clients.join(", ")
                )
            };
            format!(
                "runtime::serve_route(&service::routes::{}, {clients})",
                function.to_uppercase().replace('-', "_")
            )
        }
    };
    format!(
        "// Generated from shared/src/routes.rs. The handler lives in the service crate (shared/).\n\
         use service::runtime;\n\n\
         // One event at a time per instance: a single-threaded runtime starts no worker threads.\n\
         #[rustfmt::skip]\n\
         #[tokio::main(flavor = \"current_thread\")]\n\
         async fn main() -> Result<(), runtime::Error> {{\n    {call}.await\n}}\n"
    )
}

fn policy(out: &mut String, dynamo: &[Dynamo], ses: bool, secrets: &[Secrets], extra: &str) {
    if dynamo.is_empty() && !ses && secrets.is_empty() && extra.is_empty() {
        return;
    }
    out.push_str("      Policies:\n        - Version: \"2012-10-17\"\n          Statement:\n");
    if !dynamo.is_empty() {
        let actions: Vec<&str> = dynamo.iter().map(|d| d.iam_action()).collect();
        writeln!(
            out,
            "            - Effect: Allow\n              Action: [{}]",
            actions.join(", ")
        )
        .unwrap();
        out.push_str("              Resource:\n                - !GetAtt Table.Arn\n");
        if dynamo.contains(&Dynamo::Query) {
            out.push_str("                - !Sub \"${Table.Arn}/index/GSI1\"\n");
        }
    }
    if ses {
        out.push_str("            - Effect: Allow\n              Action: [ses:SendEmail, ses:SendRawEmail]\n              Resource: \"*\"\n              Condition:\n                StringEquals:\n                  ses:FromAddress: !Ref SesFromAddress\n");
    }
    if secrets.contains(&Secrets::ListSecrets) {
        // ListSecrets has no resource-level permissions.
        out.push_str("            - Effect: Allow\n              Action: [secretsmanager:ListSecrets]\n              Resource: \"*\"\n");
    }
    let on_prefix: Vec<&Secrets> = secrets
        .iter()
        .filter(|s| **s != Secrets::ListSecrets)
        .collect();
    if !on_prefix.is_empty() {
        // Only integration secrets: the name prefix, never the service's own keys.
        let actions: Vec<&str> = on_prefix.iter().map(|s| s.iam_action()).collect();
        writeln!(
            out,
            "            - Effect: Allow\n              Action: [{}]\n              Resource: !Sub \"arn:${{AWS::Partition}}:secretsmanager:${{AWS::Region}}:${{AWS::AccountId}}:secret:orgs/*/integrations/*\"",
            actions.join(", ")
        )
        .unwrap();
    }
    out.push_str(extra);
}

/// A function's log group (kept `LogRetentionDays`, not forever: the logs hold user ids), its
/// error alarm, and the function's resource header, which logs there in JSON.
fn function_header(out: &mut String, function: &str, summary: &str, route: bool) {
    let name = pascal(function);
    writeln!(
        out,
        "  {name}LogGroup:\n    Type: AWS::Logs::LogGroup\n    Properties:\n      LogGroupName: !Sub \"/aws/lambda/${{AWS::StackName}}/{function}\"\n      RetentionInDays: !Ref LogRetentionDays\n      KmsKeyId: !If [HasKmsKey, !Ref KmsKeyArn, !Ref AWS::NoValue]\n"
    )
    .unwrap();
    error_alarm(out, function, route);
    // The infrastructure scanner's checks (checkov) these functions do not satisfy, each skipped
    // with its reason where it applies.
    let mut skips = vec![
        ("CKV_AWS_117", "No VPC: the function reaches DynamoDB, SES, Secrets Manager and EventBridge at their public endpoints with IAM; a VPC would add NAT or endpoints and cold-start time and protect nothing here."),
        ("CKV_AWS_116", "No DLQ: a DLQ receives failed asynchronous invocations only. Routes are invoked synchronously by API Gateway; the stream workers send failed records to EventsDeadLetterQueue (their event source mapping), the hourly schedule to PurgeScheduleDeadLetterQueue, and the Cognito trigger is synchronous."),
    ];
    if route || matches!(function, "create-personal-org" | "authorize-caller") {
        skips.push(("CKV_AWS_115", "No reserved concurrency per route: the HTTP API's throttling (ApiThrottlingRate, ApiThrottlingBurst) bounds them all; reserving for each of the functions would take the account's quota from everything else. The workers reserve theirs."));
    }
    let mut metadata = String::from("    Metadata:\n      checkov:\n        skip:\n");
    for (id, comment) in skips {
        writeln!(
            metadata,
            "          - id: {id}\n            comment: \"{comment}\""
        )
        .unwrap();
    }
    writeln!(
        out,
        "  {name}Function:\n    Type: AWS::Serverless::Function\n{metadata}    Properties:\n      CodeUri: ../../target/lambda/{function}/\n      Description: \"{}\"\n      LoggingConfig:\n        LogFormat: JSON\n        LogGroup: !Ref {name}LogGroup",
        summary.replace('"', "'")
    )
    .unwrap();
}

/// The alarm name of a function's errors (the runbook's first section explains it).
pub fn error_alarm_name(function: &str) -> String {
    format!("{}ErrorsAlarm", pascal(function))
}

/// One alarm per function on everything that fails it, summed over 5 minutes: the route's 5xx
/// answers (its request lines' `Errors5xx`), the invocations that failed (a crash, a timeout, a
/// worker's error) and the throttled ones. One alarm, not three: the stack stays well under
/// CloudFormation's 500 resources (SAM makes 3 or 4 of each function), and the runbook says how
/// to tell the three apart.
fn error_alarm(out: &mut String, function: &str, route: bool) {
    let name = pascal(function);
    // One metric the alarm's expression reads, by its id.
    let stat = |id: &str, namespace: &str, metric: &str, dimension: &str, value: &str| {
        format!(
            "        - Id: {id}\n          ReturnData: false\n          MetricStat:\n            Metric:\n              Namespace: {namespace}\n              MetricName: {metric}\n              Dimensions:\n                - Name: {dimension}\n                  Value: {value}\n            Period: 300\n            Stat: Sum\n"
        )
    };
    let (what, expression) = if route {
        (
            "5xx answers, failed invocations (crash or timeout) or throttles",
            "FILL(answers5xx, 0) + FILL(failed, 0) + FILL(throttled, 0)",
        )
    } else {
        (
            "failed invocations (an error, crash or timeout) or throttles",
            "FILL(failed, 0) + FILL(throttled, 0)",
        )
    };
    writeln!(
        out,
        "  {}:\n    Type: AWS::CloudWatch::Alarm\n    Properties:\n      AlarmName: !Sub \"${{AWS::StackName}}-{function}-errors\"\n      AlarmDescription: \"{function}: {what} in 5 minutes. docs/runbook.md#function-errors\"\n      ComparisonOperator: GreaterThanOrEqualToThreshold\n      Threshold: !Ref ErrorAlarmThreshold\n      EvaluationPeriods: 1\n      TreatMissingData: notBreaching\n      AlarmActions: !If [HasAlarmTopic, [!Ref AlarmTopicArn], !Ref AWS::NoValue]\n      OKActions: !If [HasAlarmTopic, [!Ref AlarmTopicArn], !Ref AWS::NoValue]\n      Metrics:\n        - Id: errors\n          Label: {function} errors\n          Expression: \"{expression}\"",
        error_alarm_name(function)
    )
    .unwrap();
    if route {
        let namespace = "!Sub \"Orgs/${AWS::StackName}\"";
        out.push_str(&stat(
            "answers5xx",
            namespace,
            "Errors5xx",
            "route",
            function,
        ));
    }
    let own = format!("!Ref {name}Function");
    out.push_str(&stat(
        "failed",
        "AWS/Lambda",
        "Errors",
        "FunctionName",
        &own,
    ));
    out.push_str(&stat(
        "throttled",
        "AWS/Lambda",
        "Throttles",
        "FunctionName",
        &own,
    ));
    out.push('\n');
}

fn route_resource(out: &mut String, r: &RouteDef) {
    function_header(
        out,
        r.function,
        &format!("{} {}: {}", r.method, r.path, r.summary),
        true,
    );
    let keys = r.server_keys();
    if !keys.is_empty() {
        // Only the functions that need a server key get it.
        out.push_str("      Environment:\n        Variables:\n");
        key_environment(out, &keys);
    }
    policy(out, r.dynamo, r.ses, r.secrets, "");
    // The route on the root stack's HTTP API: its integration, its route (JWT, or IAM for the
    // platform's services) and API Gateway's permission to invoke the function on that route only.
    let name = pascal(r.function);
    let (auth, authorizer) = match r.access {
        service::pipeline::Access::Service => ("AWS_IAM", String::new()),
        // The directory's function checks the organization's SCIM token itself.
        service::pipeline::Access::Directory => ("NONE", String::new()),
        // An organization's routes admit its API keys too: the Lambda authorizer
        // (`authorize-caller`) checks a person's JWT as the JWT authorizer does, or a key's shape.
        service::pipeline::Access::Org(_) => (
            "CUSTOM",
            "      AuthorizerId: !Ref CallerAuthorizerId\n".to_string(),
        ),
        service::pipeline::Access::User => (
            "JWT",
            "      AuthorizerId: !Ref JwtAuthorizerId\n".to_string(),
        ),
    };
    let source_path: String = r
        .path
        .split('/')
        .map(|seg| if seg.starts_with('{') { "*" } else { seg })
        .collect::<Vec<_>>()
        .join("/");
    writeln!(
        out,
        "\n  {name}Integration:\n    Type: AWS::ApiGatewayV2::Integration\n    Properties:\n      ApiId: !Ref HttpApiId\n      IntegrationType: AWS_PROXY\n      IntegrationUri: !GetAtt {name}Function.Arn\n      PayloadFormatVersion: \"2.0\"\n\n  {name}Route:\n    Type: AWS::ApiGatewayV2::Route\n    Properties:\n      ApiId: !Ref HttpApiId\n      RouteKey: \"{} {}\"\n      Target: !Sub \"integrations/${{{name}Integration}}\"\n      AuthorizationType: {auth}\n{authorizer}\n  {name}Permission:\n    Type: AWS::Lambda::Permission\n    Properties:\n      Action: lambda:InvokeFunction\n      FunctionName: !Ref {name}Function\n      Principal: apigateway.amazonaws.com\n      SourceArn: !Sub \"arn:${{AWS::Partition}}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:${{HttpApiId}}/*/{}{source_path}\"",
        r.method,
        r.path,
        if r.method == "ANY" { "*" } else { r.method }
    )
    .unwrap();
    out.push('\n');
}

/// The server keys' environment of a function that needs them.
fn key_environment(out: &mut String, keys: &[service::pipeline::ServerKey]) {
    // Bumping ServerKeysVersion updates these functions, which resolves the keys again
    // (CloudFormation resolves a secret only when the resource that names it changes).
    out.push_str("          SERVER_KEYS_VERSION: !Ref ServerKeysVersion\n");
    for k in keys {
        writeln!(
            out,
            "          {}: !Sub \"{{{{resolve:secretsmanager:${{{}}}:SecretString}}}}\"",
            k.env(),
            k.resource()
        )
        .unwrap();
    }
}

fn is_stream(t: Trigger) -> bool {
    matches!(
        t,
        Trigger::AuditStream
            | Trigger::NotificationStream
            | Trigger::RemovalStream
            | Trigger::WebhookStream
    )
}

/// The workers' function resources (the `workers` stack's).
fn worker_resources() -> String {
    let mut out = String::new();
    for w in WORKERS {
        function_header(&mut out, w.function, w.summary, false);
        // The workers have their concurrency reserved (a burst of API traffic cannot starve
        // them) when the parameter is above 0; the purge runs one at a time.
        match w.trigger {
            Trigger::HourlySchedule => out.push_str(
                "      ReservedConcurrentExecutions: !If [HasPurgeReservation, !Ref PurgeReservedConcurrency, !Ref AWS::NoValue]\n",
            ),
            // The webhook deliveries: up to 10 batches of a shard at once (ParallelizationFactor).
            Trigger::WebhookStream => out.push_str(
                "      ReservedConcurrentExecutions: !If [HasWebhookReservation, !Ref WebhookReservedConcurrency, !Ref AWS::NoValue]\n",
            ),
            t if is_stream(t) || t == Trigger::MinuteSchedule => out.push_str(
                "      ReservedConcurrentExecutions: !If [HasStreamReservation, !Ref StreamReservedConcurrency, !Ref AWS::NoValue]\n",
            ),
            _ => {}
        }
        // Statements beyond the table, SES and secrets ones: what the trigger needs.
        let mut extra = String::new();
        match w.trigger {
            Trigger::CognitoPostConfirmation | Trigger::HourlySchedule => {}
            Trigger::AuditStream => {
                out.push_str(
                    "      Environment:\n        Variables:\n          EVENT_BUS_NAME: !Ref EventBusName\n",
                );
                stream_events(&mut out, "AuditStream", w.trigger);
                extra.push_str(concat!(
                    "            - Effect: Allow\n              Action: [events:PutEvents]\n",
                    "              Resource: !Sub \"arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/${EventBusName}\"\n",
                ));
            }
            Trigger::NotificationStream => stream_events(&mut out, "NotificationStream", w.trigger),
            Trigger::RemovalStream => {
                // A deleted team's memberships are removed page after page in one invocation.
                out.push_str("      Timeout: 900\n");
                stream_events(&mut out, "RemovalStream", w.trigger)
            }
            Trigger::WebhookStream => {
                // A batch's attempts are sent at once, each waiting at most 15 seconds.
                out.push_str("      Timeout: 60\n      Environment:\n        Variables:\n");
                key_environment(&mut out, w.keys);
                stream_events(&mut out, "WebhookStream", w.trigger)
            }
            Trigger::MinuteSchedule => {}
            Trigger::ApiAuthorizer => out.push_str(concat!(
                "      Timeout: 5\n      Environment:\n        Variables:\n",
                "          JWT_ISSUER: !Ref JwtIssuer\n          JWT_AUDIENCE: !Ref JwtAudience\n",
            )),
        }
        if is_stream(w.trigger) {
            extra.push_str(
                "            - Effect: Allow\n              Action: [sqs:SendMessage]\n              Resource: !GetAtt EventsDeadLetterQueue.Arn\n",
            );
        }
        policy(&mut out, w.dynamo, w.ses, w.secrets, &extra);
        match w.trigger {
            Trigger::CognitoPostConfirmation => {
                writeln!(
                    out,
                    "\n  {0}Permission:\n    Type: AWS::Lambda::Permission\n    Properties:\n      Action: lambda:InvokeFunction\n      FunctionName: !GetAtt {0}Function.Arn\n      Principal: cognito-idp.amazonaws.com\n      SourceAccount: !Ref AWS::AccountId",
                    pascal(w.function)
                )
                .unwrap();
            }
            Trigger::HourlySchedule => {
                out.push_str(concat!(
                    "      Timeout: 900\n",
                    "      Events:\n        Hourly:\n          Type: Schedule\n          Properties:\n",
                    "            Schedule: \"rate(1 hour)\"\n",
                    "            DeadLetterConfig:\n              Arn: !GetAtt PurgeScheduleDeadLetterQueue.Arn\n",
                ));
            }
            Trigger::MinuteSchedule => {
                out.push_str(concat!(
                    "      Timeout: 60\n",
                    "      Events:\n        EveryMinute:\n          Type: Schedule\n          Properties:\n",
                    "            Schedule: \"rate(1 minute)\"\n",
                    "            DeadLetterConfig:\n              Arn: !GetAtt PurgeScheduleDeadLetterQueue.Arn\n",
                ));
            }
            _ => {}
        }
        out.push('\n');
    }
    out
}

/// Where the nested stacks' templates are (one per concept with routes, one for the workers).
pub const STACKS_DIR: &str = "infra/stacks";

/// The nested stacks: (name, the concept's routes or `None` for the workers).
fn stacks() -> Vec<(&'static str, Option<&'static [&'static RouteDef]>)> {
    service::routes::CONCEPTS
        .iter()
        .filter(|c| !c.routes.is_empty())
        .map(|c| (c.name, Some(c.routes)))
        .chain([("workers", None)])
        .collect()
}

/// The root stack's parameters each nested stack receives under the same name (plus the values
/// of root resources, below).
const PASSED_PARAMETERS: &[&str] = &[
    "AppBaseUrl",
    "SesFromAddress",
    "EventBusName",
    "OrgCreateLimit",
    "MfaClaim",
    "MfaClaimValues",
    "LogRetentionDays",
    "ServerKeysVersion",
    "AlarmTopicArn",
    "ErrorAlarmThreshold",
    "Tracing",
    "PurgeReservedConcurrency",
    "StreamReservedConcurrency",
    "WebhookReservedConcurrency",
    "Architecture",
    "KmsKeyArn",
    "JwtIssuer",
    "JwtAudience",
];

/// Root resources only the routes' stacks read (the authorizer is made from the workers' stack's
/// function: passing it to that stack would be a circle).
const ROUTE_VALUES: &[(&str, &str, &str)] = &[(
    "CallerAuthorizerId",
    "!Ref CallerAuthorizer",
    "The HTTP API's Lambda authorizer of the organization routes (people's JWTs and API keys).",
)];

/// Root resources a nested stack reads: (its parameter, the value the root passes, what it is).
const ROOT_VALUES: &[(&str, &str, &str)] = &[
    (
        "RootStackName",
        "!Ref AWS::StackName",
        "The root stack's name (log groups, alarms and metrics are named after it).",
    ),
    (
        "HttpApiId",
        "!Ref HttpApi",
        "The HTTP API the routes are added to.",
    ),
    (
        "JwtAuthorizerId",
        "!Ref JwtAuthorizer",
        "The HTTP API's JWT authorizer.",
    ),
    ("TableName", "!Ref Table", "The table."),
    ("TableArn", "!GetAtt Table.Arn", "The table's ARN."),
    (
        "TableStreamArn",
        "!GetAtt Table.StreamArn",
        "The table's stream.",
    ),
    (
        "CatalogueLayerArn",
        "!Ref CatalogueLayer",
        "The operator's catalogue layer.",
    ),
    (
        "InvitationCodeKey",
        "!Ref InvitationCodeKey",
        "The invitation code key's secret.",
    ),
    (
        "ApiKeyHashKey",
        "!Ref ApiKeyHashKey",
        "The API key digest key's secret.",
    ),
    (
        "EventsDeadLetterQueueArn",
        "!GetAtt EventsDeadLetterQueue.Arn",
        "Where failed stream records go.",
    ),
    (
        "PurgeScheduleDeadLetterQueueArn",
        "!GetAtt PurgeScheduleDeadLetterQueue.Arn",
        "Where undelivered schedule events go.",
    ),
    (
        "EmailConfigurationSet",
        "!Ref EmailConfigurationSet",
        "The SES configuration set.",
    ),
];

fn stack_resource(name: &str) -> String {
    format!("{}Stack", pascal(&name.replace('_', "-")))
}

/// The root template's nested stacks, between the generated markers: one
/// `AWS::Serverless::Application` per stack, its template under infra/stacks/.
pub fn template_functions() -> String {
    let mut out = String::new();
    for (name, routes) in stacks() {
        writeln!(
            out,
            "  {}:\n    Type: AWS::Serverless::Application\n    Properties:\n      Location: stacks/{name}.yaml\n      Parameters:",
            stack_resource(name)
        )
        .unwrap();
        for p in PASSED_PARAMETERS {
            writeln!(out, "        {p}: !Ref {p}").unwrap();
        }
        for (p, value, _) in ROOT_VALUES {
            writeln!(out, "        {p}: {value}").unwrap();
        }
        if routes.is_some() {
            for (p, value, _) in ROUTE_VALUES {
                writeln!(out, "        {p}: {value}").unwrap();
            }
        }
        out.push('\n');
    }
    out.trim_end().to_string() + "\n"
}

/// Every nested stack's template: (file name under infra/stacks/, content).
pub fn nested_stacks() -> Vec<(String, String)> {
    stacks()
        .into_iter()
        .map(|(name, routes)| {
            let body = match routes {
                Some(routes) => {
                    let mut out = String::new();
                    for r in routes {
                        route_resource(&mut out, r);
                    }
                    out
                }
                None => worker_resources(),
            };
            (
                format!("{name}.yaml"),
                nested_template(name, &body, routes.is_some()),
            )
        })
        .collect()
}

fn nested_template(name: &str, body: &str, routes: bool) -> String {
    let mut out = format!(
        "# Generated from shared/src/routes.rs: do not edit by hand (UPDATE_GENERATED=1 scripts/test.sh rewrites it).\n\
         # The `{name}` functions of the organizations service, a nested stack of infra/template.yaml.\n\
         AWSTemplateFormatVersion: \"2010-09-09\"\nTransform: AWS::Serverless-2016-10-31\n\
         Description: The organizations service's {name} functions (nested in the root stack).\n\nParameters:\n"
    );
    for p in PASSED_PARAMETERS {
        let number = matches!(
            *p,
            "OrgCreateLimit"
                | "LogRetentionDays"
                | "ErrorAlarmThreshold"
                | "PurgeReservedConcurrency"
                | "StreamReservedConcurrency"
                | "WebhookReservedConcurrency"
        );
        writeln!(
            out,
            "  {p}:\n    Type: {}\n    Description: The root stack's {p}.",
            if number { "Number" } else { "String" }
        )
        .unwrap();
    }
    for (p, _, what) in ROOT_VALUES
        .iter()
        .chain(ROUTE_VALUES.iter().filter(|_| routes))
    {
        writeln!(out, "  {p}:\n    Type: String\n    Description: {what}").unwrap();
    }
    out.push_str(concat!(
        "\nConditions:\n",
        "  HasAlarmTopic: !Not [!Equals [!Ref AlarmTopicArn, \"\"]]\n",
        "  HasKmsKey: !Not [!Equals [!Ref KmsKeyArn, \"\"]]\n",
    ));
    for (condition, parameter) in [
        ("HasPurgeReservation", "PurgeReservedConcurrency"),
        ("HasStreamReservation", "StreamReservedConcurrency"),
        ("HasWebhookReservation", "WebhookReservedConcurrency"),
    ] {
        if body.contains(condition) {
            writeln!(out, "  {condition}: !Not [!Equals [!Ref {parameter}, 0]]").unwrap();
        }
    }
    out.push_str(concat!(
        "\nGlobals:\n  Function:\n    Runtime: provided.al2023\n    Architectures: [!Ref Architecture]\n",
        "    Handler: bootstrap\n    MemorySize: 256\n    Timeout: 10\n    Tracing: !Ref Tracing\n",
        "    # The environment (with the server keys it resolves) encrypted with the operator's key.\n",
        "    KmsKeyArn: !If [HasKmsKey, !Ref KmsKeyArn, !Ref AWS::NoValue]\n",
        "    # The operator's catalogue (its permissions, which roles hold them, its plans): the layer's\n",
        "    # /opt/catalogue.json, read once when a function starts (service::catalogue).\n",
        "    Layers: [!Ref CatalogueLayerArn]\n",
        "    Environment:\n      Variables:\n",
        "        ORGS_CATALOGUE_FILE: /opt/catalogue.json\n        TABLE_NAME: !Ref TableName\n",
        "        AUTH_MODE: jwt\n        ORG_CREATE_LIMIT: !Ref OrgCreateLimit\n        APP_BASE_URL: !Ref AppBaseUrl\n",
        "        SES_FROM_ADDRESS: !Ref SesFromAddress\n        MFA_CLAIM: !Ref MfaClaim\n",
        "        MFA_CLAIM_VALUES: !Ref MfaClaimValues\n        AWS_LAMBDA_LOG_FORMAT: JSON\n",
        "        METRICS_NAMESPACE: !Sub \"Orgs/${RootStackName}\"\n",
        "        SES_CONFIGURATION_SET: !Ref EmailConfigurationSet\n",
        "\nResources:\n",
    ));
    let body = body
        .replace("${AWS::StackName}", "${RootStackName}")
        .replace("!GetAtt Table.Arn", "!Ref TableArn")
        .replace("${Table.Arn}", "${TableArn}")
        .replace("!GetAtt Table.StreamArn", "!Ref TableStreamArn")
        .replace(
            "!GetAtt EventsDeadLetterQueue.Arn",
            "!Ref EventsDeadLetterQueueArn",
        )
        .replace(
            "!GetAtt PurgeScheduleDeadLetterQueue.Arn",
            "!Ref PurgeScheduleDeadLetterQueueArn",
        );
    out.push_str(body.trim_end());
    out.push('\n');
    // The root stack makes the API's Lambda authorizer from this function.
    if body.contains("AuthorizeCallerFunction:") {
        out.push_str(concat!(
            "\nOutputs:\n  AuthorizeCallerFunctionArn:\n",
            "    Description: The HTTP API's Lambda authorizer of the organization routes.\n",
            "    Value: !GetAtt AuthorizeCallerFunction.Arn\n",
        ));
    }
    out
}

/// A stream-triggered function's event source mapping: its records filtered by the trigger's
/// pattern (the local stream poller reads the same from the template), failures reported per
/// record, what keeps failing to the dead-letter queue.
fn stream_events(out: &mut String, name: &str, trigger: Trigger) {
    let pattern = service::routes::stream_pattern(trigger).expect("a stream trigger");
    writeln!(
        out,
        "      Events:\n        {name}:\n          Type: DynamoDB\n          Properties:\n            Stream: !GetAtt Table.StreamArn\n            StartingPosition: TRIM_HORIZON"
    )
    .unwrap();
    // The webhook deliveries send a batch's attempts at once (10 receivers, each given at most
    // 15 s), and up to 10 batches of a shard at once (records of one organization, its partition
    // key, stay in order): a slow receiver holds up its own batch, not the shard.
    if trigger == Trigger::WebhookStream {
        out.push_str("            BatchSize: 10\n            ParallelizationFactor: 10\n");
    } else {
        out.push_str("            BatchSize: 100\n");
    }
    out.push_str(concat!(
        "            MaximumBatchingWindowInSeconds: 1\n",
        "            MaximumRetryAttempts: 1000\n            BisectBatchOnFunctionError: true\n",
        "            FunctionResponseTypes: [ReportBatchItemFailures]\n",
        "            DestinationConfig:\n              OnFailure:\n                Destination: !GetAtt EventsDeadLetterQueue.Arn\n",
        "            FilterCriteria:\n              Filters:\n",
    ));
    writeln!(out, "                - Pattern: '{pattern}'").unwrap();
}

/// Replaces the text between `begin` and `end` marker lines; `None` if the markers are missing.
pub fn splice(text: &str, begin: &str, end: &str, body: &str) -> Option<String> {
    let b = text.find(begin)?;
    let after_begin = b + text[b..].find('\n')? + 1;
    let e = after_begin + text[after_begin..].find(end)?;
    let line_start = text[..e].rfind('\n').map(|i| i + 1).unwrap_or(0);
    Some(format!(
        "{}{}{}",
        &text[..after_begin],
        body,
        &text[line_start..]
    ))
}

/// Markers of the generated route table in docs/routes.md (HTML comments: invisible in Markdown).
pub const ROUTES_TABLE_BEGIN: &str =
    "<!-- >>> generated from shared/src/routes.rs: do not edit by hand (UPDATE_GENERATED=1 scripts/test.sh rewrites it) -->";
pub const ROUTES_TABLE_END: &str = "<!-- <<< generated -->";

fn who(r: &RouteDef) -> String {
    use service::pipeline::{Access, Effect, Need};
    match r.access {
        Access::User => "any signed-in user".to_string(),
        Access::Service => {
            "the platform's services (IAM authorization in production; no token locally)"
                .to_string()
        }
        Access::Directory => {
            "the organization's identity provider, with one of its SCIM tokens (no JWT authorizer; the function checks the token)".to_string()
        }
        Access::Org(rule) => {
            let roles = |p: service::permissions::Permission| match p.min_role() {
                service::permissions::Role::Owner => "owner".to_string(),
                r => format!("{r}+"),
            };
            let mut who = match rule.need {
                Need::Any => "any member".to_string(),
                Need::Perm(p) => format!("`{p}` ({})", roles(p)),
                Need::PermOrSelf(p) => format!("`{p}` ({}), or the member themself", roles(p)),
            };
            match rule.effect {
                Effect::Write => who.push_str("; refused while closed"),
                Effect::Reactivate => who.push_str("; only while closed"),
                Effect::WriteWhileClosed => who.push_str("; allowed while closed"),
                Effect::Read => {}
            }
            who
        }
    }
}

/// The route table of docs/routes.md.
pub fn routes_table() -> String {
    let mut out = String::from(
        "| method | path | function | who | what |\n| --- | --- | --- | --- | --- |\n",
    );
    for r in ROUTES {
        writeln!(
            out,
            "| {} | `{}` | `{}` | {} | {} |",
            r.method,
            r.path,
            r.function,
            who(r),
            r.summary
        )
        .unwrap();
    }
    out
}

/// The spec's tags: one per concept, in the order of the route table (each operation names its
/// concept's tag; `openapi_documents_exactly_the_problem_codes_of_each_route` writes those).
pub fn openapi_tags() -> String {
    let mut out = String::from("tags:\n");
    for c in service::routes::CONCEPTS {
        out.push_str(&format!(
            "  - name: {}\n    description: {:?}\n",
            c.name, c.summary
        ));
    }
    out
}

/// Markers of the generated request-body schemas in openapi.yaml's `components.schemas`.
pub const BODIES_BEGIN: &str =
    "    # >>> generated from the handlers' body types: do not edit by hand (UPDATE_GENERATED=1 scripts/test.sh rewrites it)";
pub const BODIES_END: &str = "    # <<< generated request bodies";

/// Each route's request body: the name of its schema in `components.schemas`.
pub fn body_names() -> Vec<(&'static RouteDef, String)> {
    let mut generator = body_generator();
    ROUTES
        .iter()
        .filter_map(|r| r.body.map(|b| (*r, (b.schema)(&mut generator).0)))
        .collect()
}

fn body_generator() -> schemars::SchemaGenerator {
    let mut settings = schemars::generate::SchemaSettings::draft2020_12();
    settings.definitions_path = "/components/schemas/".into();
    settings.meta_schema = None;
    settings.into_generator()
}

/// The schemas of every request body (and of the named types they refer to), as YAML lines of
/// `components.schemas`: the bounds are the types' own (`model::body::Parse`), the descriptions
/// their doc comments.
pub fn body_schemas() -> String {
    let mut generator = body_generator();
    let mut schemas: std::collections::BTreeMap<String, serde_json::Value> = Default::default();
    for r in ROUTES {
        if let Some(b) = r.body {
            let (name, schema) = (b.schema)(&mut generator);
            let schema = schema.to_value();
            if let Some(before) = schemas.get(&name) {
                assert_eq!(before, &schema, "two body types named {name}");
            }
            schemas.insert(name, schema);
        }
    }
    for (name, schema) in generator.take_definitions(true) {
        schemas.insert(name, schema);
    }
    for schema in schemas.values_mut() {
        unwrap_doc_lines(schema);
        without_defaults(schema);
    }
    let mut out = String::new();
    for (name, schema) in schemas {
        writeln!(out, "    {name}:").unwrap();
        yaml_lines(&mut out, &schema, 6);
    }
    out
}

/// No `default` keyword in a request body: openapi-typescript makes a field with one required in
/// what a client sends (docs/cli.md). A default is said in the field's description instead.
fn without_defaults(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            map.remove("default");
            map.values_mut().for_each(without_defaults);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(without_defaults),
        _ => {}
    }
}

/// Doc comments' line breaks inside a paragraph become spaces (a blank line stays a break).
fn unwrap_doc_lines(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, x) in map.iter_mut() {
                match x {
                    serde_json::Value::String(text) if k == "description" => {
                        *text = text
                            .split("\n\n")
                            .map(|p| p.split('\n').map(str::trim).collect::<Vec<_>>().join(" "))
                            .collect::<Vec<_>>()
                            .join("\n\n");
                    }
                    _ => unwrap_doc_lines(x),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(unwrap_doc_lines),
        _ => {}
    }
}

/// A schema object as block YAML whose leaves are JSON (valid YAML flow): one line per key, and
/// one per property.
fn yaml_lines(out: &mut String, schema: &serde_json::Value, indent: usize) {
    let pad = " ".repeat(indent);
    let Some(map) = schema.as_object() else {
        writeln!(out, "{pad}{schema}").unwrap();
        return;
    };
    for (key, value) in map {
        match (key.as_str(), value) {
            ("properties" | "$defs", serde_json::Value::Object(props)) => {
                writeln!(out, "{pad}{key}:").unwrap();
                for (p, v) in props {
                    writeln!(out, "{pad}  {p}: {v}").unwrap();
                }
            }
            _ => writeln!(out, "{pad}{key}: {value}").unwrap(),
        }
    }
}

/// `openapi.yaml` with an operation for every route it lacks: the skeleton the route table can
/// state (operation id, summary, path parameters, the body's schema and the example its type
/// gives with `#[schemars(example = ..)]`, a response per problem status). The problem-codes
/// pass then fills its `x-problem-codes` and `tags`; a description and the success answer's
/// schema can be written by hand afterwards, and are kept.
pub fn with_missing_operations(text: &str) -> String {
    let spec: serde_yaml::Value = serde_yaml::from_str(text).expect("openapi.yaml parses");
    let mut text = text.to_string();
    let mut generator = body_generator();
    for r in ROUTES {
        // SCIM describes itself (its discovery endpoints), not in this spec.
        if matches!(r.access, service::pipeline::Access::Directory)
            || spec["paths"][r.path][r.method.to_lowercase()].is_mapping()
        {
            continue;
        }
        let mut op = String::new();
        writeln!(op, "    {}:", r.method.to_lowercase()).unwrap();
        writeln!(op, "      operationId: {}", r.function).unwrap();
        op.push_str("      x-problem-codes: []\n      tags: []\n");
        writeln!(op, "      summary: {}", serde_json::Value::from(r.summary)).unwrap();
        if let Some(body) = r.body {
            let (name, schema) = (body.schema)(&mut generator);
            let example = schema
                .get("examples")
                .and_then(|e| e.get(0))
                .cloned()
                .unwrap_or(serde_json::Value::Null);
            writeln!(
                op,
                "      requestBody:\n        required: true\n        content:\n          application/json:\n            example: {example}\n            schema: {{ $ref: \"#/components/schemas/{name}\" }}"
            )
            .unwrap();
        }
        op.push_str("      responses:\n        \"2XX\": { description: Success. }\n");
        let mut statuses: Vec<u16> = r.codes().iter().map(|c| c.status()).collect();
        statuses.sort();
        statuses.dedup();
        for s in statuses {
            writeln!(
                op,
                "        \"{s}\": {{ $ref: \"#/components/responses/Problem\" }}"
            )
            .unwrap();
        }
        op.push_str("        default: { $ref: \"#/components/responses/Problem\" }\n");
        let path_line = format!("\n  {}:\n", r.path);
        text = match text.find(&path_line) {
            // The path is there: the operation goes at the end of its block.
            Some(at) => {
                let start = at + path_line.len();
                let end = text[start..]
                    .find("\n  /")
                    .or_else(|| text[start..].find("\ncomponents:"))
                    .map_or(text.len(), |e| start + e + 1);
                let end = text[..end].trim_end_matches('\n').len() + 1;
                format!("{}{op}{}", &text[..end], &text[end..])
            }
            None => {
                let mut block = format!("\n  {}:\n", r.path);
                let params: Vec<&str> = r
                    .path
                    .split('/')
                    .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
                    .collect();
                if !params.is_empty() {
                    block.push_str("    parameters:\n");
                    for p in params {
                        let component = pascal(p);
                        if spec["components"]["parameters"][component.as_str()].is_mapping() {
                            writeln!(
                                block,
                                "      - $ref: \"#/components/parameters/{component}\""
                            )
                            .unwrap();
                        } else {
                            writeln!(block, "      - {{ name: {p}, in: path, required: true, schema: {{ type: string }} }}").unwrap();
                        }
                    }
                }
                block.push_str(&op);
                let at = text
                    .find("\ncomponents:")
                    .expect("openapi.yaml has components");
                format!(
                    "{}{block}{}",
                    text[..at].trim_end_matches('\n'),
                    &text[at..]
                )
            }
        };
    }
    text
}
