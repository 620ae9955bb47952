//! Local helper used by scripts/dev.sh and scripts/test.sh.
//!   devtool create-table <endpoint> <table>     create the table from infra/template.yaml (no-op if it exists)
//!   devtool token <secret> <userId> [email]     print a local HS256 token valid 30 days (email marked verified)
//!   devtool dns-server <port> <zone-file>       serve the zone file's TXT records (`<name> <value>` per line) on 127.0.0.1
//!   devtool token --mfa <secret> <userId> <email>   the same, signed in with a second factor (`amr: ["pwd","mfa"]`)

use integration_tests::{create_table_from_template, dynamodb_client, token_valid_for};

/// Local tokens last 30 days.
const TOKEN_SECONDS: i64 = 30 * 24 * 3600;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["create-table", endpoint, table] => {
            let client = dynamodb_client(endpoint, None).await;
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
            let server = integration_tests::dns::DnsServer::start_on(port, Some(zone.into())).await;
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
            println!("{}", shared::auth::sign_hs256(&claims, secret.as_bytes()))
        }
        _ => {
            eprintln!("usage: devtool create-table <endpoint> <table> | devtool dns-server <port> <zone-file> | devtool token [--mfa] <secret> <userId> [email]");
            std::process::exit(2);
        }
    }
}
