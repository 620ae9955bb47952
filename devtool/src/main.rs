//! The local run's helper (scripts/dev.sh, scripts/e2e.sh, the e2e scripts' tokens).
//!   devtool create-table <endpoint> <table>     create the table from infra/template.yaml (no-op if it exists)
//!   devtool token <secret> <userId> [email]     print a local HS256 token valid 30 days (email marked verified)
//!   devtool dns-server <port> <zone-file>       serve the zone file's TXT records (`<name> <value>` per line) on 127.0.0.1
//!   devtool token --mfa <secret> <userId> <email>   the same, signed in with a second factor (`amr: ["pwd","mfa"]`)
//!   devtool catalogue check <file> [--previous <file>]   validate an operator catalogue as the functions
//!                                               will (and, given the one in force, that it keeps its plans)

use devtool::table::create_table_from_template;
use devtool::token_valid_for;

/// Local tokens last 30 days.
const TOKEN_SECONDS: i64 = 30 * 24 * 3600;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["create-table", endpoint, table] => {
            let env = |name: &str| match name {
                "AWS_ENDPOINT_URL_DYNAMODB" => Some(endpoint.to_string()),
                "AWS_REGION" => Some(std::env::var(name).unwrap_or("us-east-1".into())),
                "AWS_ACCESS_KEY_ID" | "AWS_SECRET_ACCESS_KEY" => {
                    Some(std::env::var(name).unwrap_or("local".into()))
                }
                _ => None,
            };
            let sdk = service::aws::sdk_config_from(&env).unwrap_or_else(|e| {
                eprintln!("{e}");
                std::process::exit(1)
            });
            let client = aws_sdk_dynamodb::Client::new(&sdk);
            let exists = client
                .describe_table()
                .table_name(*table)
                .send()
                .await
                .is_ok();
            if exists {
                eprintln!("table {table} exists");
                return;
            }
            if let Err(e) = create_table_from_template(&client, table).await {
                eprintln!("{e}");
                std::process::exit(1);
            }
            eprintln!("table {table} created from infra/template.yaml");
        }
        ["dns-server", port, zone] => {
            let Ok(port) = port.parse::<u16>() else {
                eprintln!("dns-server: `{port}` is not a port");
                std::process::exit(2);
            };
            let server = devtool::dns::DnsServer::start_on(port, Some(zone.into())).await;
            eprintln!("DNS server on {} serving {zone}", server.addr);
            std::future::pending::<()>().await
        }
        ["token", secret, user] => println!(
            "{}",
            token_valid_for(secret, user, None, false, TOKEN_SECONDS)
        ),
        ["token", secret, user, email] => println!(
            "{}",
            token_valid_for(secret, user, Some(email), true, TOKEN_SECONDS)
        ),
        ["token", "--mfa", secret, user, email] => {
            let claims = serde_json::json!({
                "sub": user, "email": email, "email_verified": true, "amr": ["pwd", "mfa"],
                "exp": chrono::Utc::now().timestamp() + TOKEN_SECONDS,
            });
            println!("{}", service::auth::sign_hs256(&claims, secret.as_bytes()))
        }
        ["catalogue", "check", file] => check_catalogue(file, None),
        ["catalogue", "check", file, "--previous", previous] => {
            check_catalogue(file, Some(previous))
        }
        _ => {
            eprintln!("usage: devtool catalogue check <file> [--previous <file>] | devtool create-table <endpoint> <table> | devtool dns-server <port> <zone-file> | devtool token [--mfa] <secret> <userId> [email]");
            std::process::exit(2);
        }
    }
}

/// `devtool catalogue check`: the catalogue validated as the functions validate it when they
/// start (every problem named, exit 1), and, given the catalogue in force, that every plan of it
/// is still there (organizations may be on it). Prints what it holds.
fn check_catalogue(file: &str, previous: Option<&str>) {
    use service::catalogue::Catalogue;
    let fail = |problems: Vec<String>| -> ! {
        eprintln!("{file} is refused:");
        for p in problems {
            eprintln!("  - {p}");
        }
        std::process::exit(1)
    };
    let catalogue = Catalogue::from_file(file).unwrap_or_else(|p| fail(p));
    if let Some(previous) = previous {
        let before = Catalogue::from_file(previous).unwrap_or_else(|p| {
            eprintln!("{previous} (the catalogue in force) does not validate: {p:?}");
            std::process::exit(1)
        });
        let lost = catalogue.keeps_plans_of(&before);
        if !lost.is_empty() {
            fail(lost);
        }
    }
    let plans: Vec<String> = catalogue
        .plans()
        .iter()
        .map(|p| match p.seat_limit {
            Some(n) => format!("{} ({n} seats)", p.name),
            None => format!("{} (unlimited)", p.name),
        })
        .collect();
    eprintln!(
        "{file}: valid; {} operator permissions ({}), plans: {}; new organizations on {}",
        catalogue.operator_permissions().len(),
        catalogue
            .operator_permissions()
            .iter()
            .map(|p| p.name)
            .collect::<Vec<_>>()
            .join(", "),
        plans.join(", "),
        catalogue.default_plan()
    );
}
