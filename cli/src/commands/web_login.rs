//! `orgs login --web`: the OAuth 2.0 authorization-code flow with PKCE (RFC 7636) and a loopback
//! redirect (RFC 8252), against an OpenID Connect issuer (Cognito's hosted UI in a deployment).
//! The endpoints come from the issuer's `/.well-known/openid-configuration`; the browser comes back
//! to `http://localhost:<port>/callback` with a code, which is exchanged (with the verifier only
//! this process knows) for the ID token the API's JWT authorizer accepts.

use crate::ctx::Ctx;
use crate::error::{Failure, Result};
use clap::Args;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

/// How long the browser has to come back.
const WAIT: Duration = Duration::from_secs(300);

#[derive(Args, Default)]
pub(crate) struct OAuthArgs {
    /// The OpenID Connect issuer (Cognito: https://cognito-idp.<region>.amazonaws.com/<pool id>);
    /// saved for the next login.
    #[arg(long, value_name = "URL", env = "ORGS_OAUTH_ISSUER", requires = "web")]
    pub(crate) issuer: Option<String>,
    /// The app client's id at the issuer (saved for the next login).
    #[arg(
        long,
        value_name = "ID",
        env = "ORGS_OAUTH_CLIENT_ID",
        requires = "web"
    )]
    pub(crate) client_id: Option<String>,
    /// The scopes to ask for, space-separated.
    #[arg(long, default_value = "openid email profile", requires = "web")]
    pub(crate) scopes: String,
    /// The loopback port the browser comes back to (default: any free one). An issuer that
    /// allows only registered callback URLs needs the one registered, e.g. 8976 for
    /// http://localhost:8976/callback.
    #[arg(long, value_name = "PORT", default_value_t = 0, requires = "web")]
    pub(crate) callback_port: u16,
    /// Print the address to open instead of opening a browser.
    #[arg(long, requires = "web")]
    pub(crate) no_browser: bool,
}

fn random_b64(n: usize) -> Result<String> {
    use base64::Engine;
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).map_err(|e| Failure::Other(format!("no randomness: {e}")))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// The S256 challenge of a verifier.
pub(crate) fn challenge_of(verifier: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", crate::api::segment(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The value of `key` in a query string (percent-decoded, `+` as a space).
fn query_value(query: &str, key: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == key).then(|| {
            let bytes = v.replace('+', " ").into_bytes();
            let mut out = Vec::new();
            let mut i = 0;
            while i < bytes.len() {
                if bytes[i] == b'%' && i + 2 < bytes.len() {
                    if let Ok(b) =
                        u8::from_str_radix(&String::from_utf8_lossy(&bytes[i + 1..i + 3]), 16)
                    {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                }
                out.push(bytes[i]);
                i += 1;
            }
            String::from_utf8_lossy(&out).into_owned()
        })
    })
}

fn open_browser(url: &str) -> bool {
    let (program, args): (&str, Vec<&str>) = if cfg!(target_os = "macos") {
        ("open", vec![url])
    } else if cfg!(windows) {
        ("cmd", vec!["/C", "start", "", url])
    } else {
        ("xdg-open", vec![url])
    };
    std::process::Command::new(program)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Waits for the browser's `GET /callback?code=..&state=..` and answers it; returns the query.
fn wait_for_callback(listener: &TcpListener) -> Result<String> {
    let deadline = Instant::now() + WAIT;
    listener
        .set_nonblocking(true)
        .map_err(|e| Failure::Other(e.to_string()))?;
    loop {
        match listener.accept() {
            Ok((mut stream, _)) => {
                stream.set_nonblocking(false).ok();
                stream.set_read_timeout(Some(Duration::from_secs(10))).ok();
                let mut request_line = String::new();
                BufReader::new(&stream).read_line(&mut request_line).ok();
                let target = request_line.split_whitespace().nth(1).unwrap_or_default();
                let Some(query) = target.strip_prefix("/callback?") else {
                    let _ = stream.write_all(
                        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                    );
                    continue;
                };
                let page = "<!doctype html><title>orgs</title><p>You can close this tab and go back to the terminal.</p>";
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
                    page.len()
                );
                return Ok(query.to_string());
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                if Instant::now() > deadline {
                    return Err(Failure::Other(
                        "the browser did not come back within 5 minutes; run `orgs login --web` again".into(),
                    ));
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            Err(e) => return Err(Failure::Other(format!("the loopback listener: {e}"))),
        }
    }
}

/// Signs in through the browser and answers the ID token (the access token when the issuer
/// gives no ID token).
pub(crate) fn sign_in(ctx: &mut Ctx, args: OAuthArgs) -> Result<String> {
    let issuer = args
        .issuer
        .or_else(|| ctx.config.oauth_issuer.clone())
        .ok_or_else(|| {
            Failure::Usage(
                "--web needs --issuer <url> (or ORGS_OAUTH_ISSUER) the first time".into(),
            )
        })?;
    let client_id = args
        .client_id
        .or_else(|| ctx.config.oauth_client_id.clone())
        .ok_or_else(|| {
            Failure::Usage(
                "--web needs --client-id <id> (or ORGS_OAUTH_CLIENT_ID) the first time".into(),
            )
        })?;
    let issuer = issuer.trim_end_matches('/').to_string();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    let discovery_url = format!("{issuer}/.well-known/openid-configuration");
    let unreachable = |what: &str, e: String| Failure::Unreachable(format!("{what}: {e}"));
    let text = agent
        .get(&discovery_url)
        .call()
        .map_err(|e| unreachable(&discovery_url, e.to_string()))?
        .body_mut()
        .read_to_string()
        .map_err(|e| unreachable(&discovery_url, e.to_string()))?;
    let discovery: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    let endpoint = |k: &str| {
        discovery[k].as_str().map(str::to_string).ok_or_else(|| {
            Failure::Other(format!(
                "{discovery_url} names no {k}: is {issuer} an OpenID Connect issuer?"
            ))
        })
    };
    let (authorize, token_url) = (
        endpoint("authorization_endpoint")?,
        endpoint("token_endpoint")?,
    );

    let listener = TcpListener::bind(("127.0.0.1", args.callback_port))
        .map_err(|e| Failure::Other(format!("127.0.0.1:{}: {e}", args.callback_port)))?;
    let port = listener
        .local_addr()
        .map_err(|e| Failure::Other(e.to_string()))?
        .port();
    let redirect_uri = format!("http://localhost:{port}/callback");
    let verifier = random_b64(32)?;
    let state = random_b64(16)?;
    let url = format!(
        "{authorize}?{}",
        form(&[
            ("response_type", "code"),
            ("client_id", &client_id),
            ("redirect_uri", &redirect_uri),
            ("scope", &args.scopes),
            ("state", &state),
            ("code_challenge", &challenge_of(&verifier)),
            ("code_challenge_method", "S256"),
        ])
    );
    if args.no_browser || !open_browser(&url) {
        eprintln!("Open this address in a browser to sign in:\n  {url}");
    } else {
        eprintln!("Signing in in your browser (or open {url}) ...");
    }
    let query = wait_for_callback(&listener)?;
    if let Some(error) = query_value(&query, "error") {
        let why = query_value(&query, "error_description").unwrap_or_default();
        return Err(Failure::Other(format!(
            "the issuer refused the sign-in: {error} {why}"
        )));
    }
    if query_value(&query, "state").as_deref() != Some(state.as_str()) {
        return Err(Failure::Other(
            "the browser came back with another sign-in's state: nothing saved; run `orgs login --web` again".into(),
        ));
    }
    let code = query_value(&query, "code")
        .ok_or_else(|| Failure::Other("the browser came back without a code".into()))?;
    let mut answer = agent
        .post(&token_url)
        .content_type("application/x-www-form-urlencoded")
        .send(form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &redirect_uri),
            ("client_id", &client_id),
            ("code_verifier", &verifier),
        ]))
        .map_err(|e| unreachable(&token_url, e.to_string()))?;
    let status = answer.status().as_u16();
    let tokens: Value = answer
        .body_mut()
        .read_to_string()
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null);
    if status != 200 {
        return Err(Failure::Other(format!(
            "the issuer did not give a token ({status} {})",
            tokens["error"].as_str().unwrap_or("no error named")
        )));
    }
    let token = tokens["id_token"]
        .as_str()
        .or_else(|| tokens["access_token"].as_str())
        .ok_or_else(|| Failure::Other("the issuer's answer holds no token".into()))?
        .to_string();
    ctx.config.oauth_issuer = Some(issuer);
    ctx.config.oauth_client_id = Some(client_id);
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_challenge_is_rfc_7636s_s256() {
        // RFC 7636, appendix B.
        assert_eq!(
            challenge_of("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn callback_values_are_decoded() {
        let q = "code=a%2Fb+c&state=xyz&error_description=Not%20allowed";
        assert_eq!(query_value(q, "code").as_deref(), Some("a/b c"));
        assert_eq!(query_value(q, "state").as_deref(), Some("xyz"));
        assert_eq!(
            query_value(q, "error_description").as_deref(),
            Some("Not allowed")
        );
        assert_eq!(query_value(q, "missing"), None);
    }
}
