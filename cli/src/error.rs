//! Why a command failed (`Failure`), what it prints and the exit code it ends with.

use serde_json::Value;

/// Exit codes (documented in `orgs --help` and docs/cli.md).
pub mod exit {
    pub const OK: i32 = 0;
    /// The API refused (or answered `allowed: false` to `orgs can`).
    pub const REFUSED: i32 = 1;
    /// Bad usage (clap's own errors exit 2 too).
    pub const USAGE: i32 = 2;
    /// The API cannot be reached, or no one is logged in.
    pub const UNREACHABLE: i32 = 3;
    /// Done as asked, but what it waits for is not there yet (`orgs domains verify`: the record
    /// is not published, the domain still pending): a script retries later.
    pub const PENDING: i32 = 4;
}

/// Why a command failed: what to print and how to exit.
#[derive(Debug)]
pub enum Failure {
    /// The API answered with a problem.
    Problem {
        status: u16,
        problem: Value,
        retry_after: Option<String>,
    },
    Usage(String),
    Unreachable(String),
    NotLoggedIn,
    /// Anything else the CLI cannot do (a file it cannot read, a prompt without a terminal).
    Other(String),
}

impl Failure {
    pub fn code(&self) -> i32 {
        match self {
            Failure::Problem { .. } | Failure::Other(_) => exit::REFUSED,
            Failure::Usage(_) => exit::USAGE,
            Failure::Unreachable(_) | Failure::NotLoggedIn => exit::UNREACHABLE,
        }
    }

    /// The lines for stderr: the problem's title and detail, then what to do next.
    pub fn message(&self) -> String {
        match self {
            Failure::Problem {
                status,
                problem,
                retry_after,
            } => {
                let title = problem["title"].as_str().unwrap_or("Error");
                let detail = problem["detail"].as_str().unwrap_or("");
                let code = problem["code"].as_str().unwrap_or("");
                let mut out = format!("error: {title} ({status} {code}): {detail}");
                if let Some(field) = problem["field"].as_str() {
                    out.push_str(&format!("\n  field: {field}"));
                }
                if let Some(secs) = retry_after {
                    out.push_str(&format!("\n  retry in {secs} s"));
                }
                if let Some(purge_at) = problem["purgeAt"].as_str() {
                    out.push_str(&format!(
                        "\n  the organization is closed; it is purged at {purge_at}: `orgs reactivate` reopens it before then"
                    ));
                }
                match code {
                    "mfa_required" => out.push_str(
                        "\n  sign in with a second factor, then `orgs login --token-stdin` with the new token",
                    ),
                    "unauthenticated" => out.push_str(
                        "\n  your token is missing or expired: `orgs login --token-stdin` with a new one",
                    ),
                    _ => {}
                }
                out
            }
            Failure::Usage(m) => format!("error: {m}"),
            Failure::Unreachable(m) => format!(
                "error: cannot reach the API: {m}\n  check `orgs whoami` (the API URL) or ORGS_API_URL"
            ),
            Failure::NotLoggedIn => "error: not logged in: run `orgs login --api <url> --token-stdin` (or set ORGS_API_URL and ORGS_TOKEN)".to_string(),
            Failure::Other(m) => format!("error: {m}"),
        }
    }
}

pub type Result<T> = std::result::Result<T, Failure>;
