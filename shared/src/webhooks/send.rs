//! One webhook attempt over the network, without server-side request forgery: the host is resolved
//! at every attempt and each of its addresses must be public (a name that resolves to a private
//! address later is refused, and the refusal is the attempt's logged outcome); the connection goes
//! to the address that was checked (no second lookup a rebinding name could answer differently);
//! redirects are never followed (a 3xx is a failed attempt); at most `BODY_READ_LIMIT` bytes of
//! the answer are read; everything within `ATTEMPT_TIMEOUT`. Hosts named in
//! `WEBHOOK_ALLOWED_PRIVATE_HOSTS` skip the address check (the local run's and the tests' receivers).

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use model::integrations::catalog::{authority_of, public_ip};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite};

/// A 2xx within this time is a success; anything else, or nothing, a failure.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(15);
/// How much of an answer's body is read (then the connection is dropped).
pub const BODY_READ_LIMIT: usize = 4096;

/// Where an endpoint's URL points.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub https: bool,
    pub host: String,
    pub port: u16,
    /// The `Host` header: the URL's authority as written (host and port).
    pub authority: String,
    pub path_and_query: String,
}

/// The parts of a stored endpoint URL (checked when it was stored; checked again here).
pub fn target_of(url: &str) -> Result<Target, String> {
    let (scheme, rest) = url.split_once("://").ok_or("not a URL")?;
    let https = match scheme.to_ascii_lowercase().as_str() {
        "https" => true,
        "http" => false,
        _ => return Err("not an http(s) URL".into()),
    };
    let (host, port) = authority_of(rest).ok_or("malformed authority")?;
    let authority = rest
        .split(['/', '?', '#'])
        .next()
        .unwrap_or_default()
        .to_string();
    let after = &rest[authority.len()..];
    let path_and_query = match after.split('#').next().unwrap_or_default() {
        "" => "/".to_string(),
        p if p.starts_with('?') => format!("/{p}"),
        p => p.to_string(),
    };
    Ok(Target {
        https,
        host,
        port: port.unwrap_or(if https { 443 } else { 80 }),
        authority,
        path_and_query,
    })
}

/// What an attempt came to on the network.
#[derive(Debug, Clone, PartialEq)]
pub struct Sent {
    /// The answer's status, when there was one.
    pub status: Option<u16>,
    /// Why there was no usable answer (never the URL, never a header).
    pub error: Option<String>,
    pub millis: u64,
}

impl Sent {
    pub fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// The address to connect to: the host's, each of whose addresses must be public unless the host
/// is allowed.
pub async fn resolve(target: &Target, allowed_private: &[String]) -> Result<SocketAddr, String> {
    let allowed = allowed_private.iter().any(|h| h == &target.host);
    let addresses: Vec<SocketAddr> = match target.host.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, target.port)],
        Err(_) => {
            match tokio::time::timeout(
                Duration::from_secs(5),
                tokio::net::lookup_host((target.host.as_str(), target.port)),
            )
            .await
            {
                Ok(Ok(found)) => found.collect(),
                Ok(Err(_)) => return Err("the host name did not resolve".into()),
                Err(_) => return Err("the host name did not resolve in time".into()),
            }
        }
    };
    if addresses.is_empty() {
        return Err("the host name has no address".into());
    }
    if !allowed {
        if let Some(bad) = addresses.iter().find(|a| !public_ip(a.ip())) {
            return Err(format!(
                "refused: the host resolves to a non-public address ({})",
                bad.ip()
            ));
        }
    }
    Ok(addresses[0])
}

fn tls() -> Result<tokio_rustls::TlsConnector, String> {
    static CONFIG: OnceLock<Result<Arc<rustls::ClientConfig>, String>> = OnceLock::new();
    let config = CONFIG.get_or_init(|| {
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map(|b| Arc::new(b.with_root_certificates(roots).with_no_client_auth()))
        .map_err(|e| format!("TLS set-up: {e}"))
    });
    config.clone().map(tokio_rustls::TlsConnector::from)
}

/// POSTs `body` with `headers` to the endpoint's URL: one attempt.
pub async fn post(
    url: &str,
    allowed_private: &[String],
    headers: &[(&str, String)],
    body: &str,
) -> Sent {
    let started = Instant::now();
    let result = tokio::time::timeout(
        ATTEMPT_TIMEOUT,
        attempt(url, allowed_private, headers, body),
    )
    .await;
    let millis = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    match result {
        Ok(Ok(status)) => Sent {
            status: Some(status),
            error: None,
            millis,
        },
        Ok(Err(error)) => Sent {
            status: None,
            error: Some(error),
            millis,
        },
        Err(_) => Sent {
            status: None,
            error: Some(format!(
                "no answer within {} seconds",
                ATTEMPT_TIMEOUT.as_secs()
            )),
            millis,
        },
    }
}

async fn attempt(
    url: &str,
    allowed_private: &[String],
    headers: &[(&str, String)],
    body: &str,
) -> Result<u16, String> {
    let target = target_of(url)?;
    let allowed = allowed_private.iter().any(|h| h == &target.host);
    if !target.https && !allowed {
        return Err("refused: only https:// is allowed".into());
    }
    let address = resolve(&target, allowed_private).await?;
    let tcp = tokio::net::TcpStream::connect(address)
        .await
        .map_err(|e| format!("connection failed: {}", io_reason(&e)))?;
    let _ = tcp.set_nodelay(true);
    if target.https {
        let name = rustls::pki_types::ServerName::try_from(target.host.clone())
            .map_err(|_| "TLS: the host is not a valid server name".to_string())?;
        let stream = tls()?
            .connect(name, tcp)
            .await
            .map_err(|e| format!("TLS handshake failed: {e}"))?;
        exchange(stream, &target, headers, body).await
    } else {
        exchange(tcp, &target, headers, body).await
    }
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::ConnectionRefused => "connection refused".into(),
        std::io::ErrorKind::ConnectionReset => "connection reset".into(),
        std::io::ErrorKind::TimedOut => "timed out".into(),
        kind => format!("{kind}"),
    }
}

async fn exchange<S>(
    stream: S,
    target: &Target,
    headers: &[(&str, String)],
    body: &str,
) -> Result<u16, String>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .map_err(|e| format!("HTTP handshake failed: {e}"))?;
    let driver = tokio::spawn(async move {
        let _ = connection.await;
    });
    let mut request = hyper::Request::builder()
        .method("POST")
        .uri(target.path_and_query.as_str())
        .header("host", target.authority.as_str())
        .header("content-type", "application/json")
        .header("user-agent", "orgs-webhooks/1");
    for (name, value) in headers {
        request = request.header(*name, value.as_str());
    }
    let request = request
        .body(Full::new(Bytes::copy_from_slice(body.as_bytes())))
        .map_err(|e| format!("request: {e}"))?;
    let response = sender.send_request(request).await;
    let result = match response {
        Ok(response) => {
            let status = response.status().as_u16();
            // Read a little of the answer (a receiver that answers before reading the whole
            // request is not cut off mid-way), never more.
            let mut body = response.into_body();
            let mut read = 0usize;
            while read < BODY_READ_LIMIT {
                match body.frame().await {
                    Some(Ok(frame)) => read += frame.data_ref().map_or(0, |d| d.len()),
                    _ => break,
                }
            }
            Ok(status)
        }
        Err(e) => Err(format!("no HTTP answer: {e}")),
    };
    driver.abort();
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_keep_the_path_and_query_and_default_the_port() {
        let t = target_of("https://hooks.example.com/a/b?x=1#frag").unwrap();
        assert_eq!(
            (t.https, t.host.as_str(), t.port, t.path_and_query.as_str()),
            (true, "hooks.example.com", 443, "/a/b?x=1")
        );
        let t = target_of("http://127.0.0.1:9000").unwrap();
        assert_eq!(
            (t.port, t.path_and_query.as_str(), t.authority.as_str()),
            (9000, "/", "127.0.0.1:9000")
        );
        assert_eq!(
            target_of("https://h.example.com?q").unwrap().path_and_query,
            "/?q"
        );
    }

    #[tokio::test]
    async fn private_addresses_are_refused_at_sending_time_unless_allowed() {
        let t = target_of("https://127.0.0.1:9/x").unwrap();
        assert!(resolve(&t, &[]).await.unwrap_err().contains("non-public"));
        assert!(resolve(&t, &["127.0.0.1".into()]).await.is_ok());
        // A name that resolves to loopback (as a rebinding name would) is refused too.
        let t = target_of("https://localhost:9/x").unwrap();
        assert!(resolve(&t, &[]).await.unwrap_err().contains("non-public"));
        let sent = post("http://10.0.0.1/x", &[], &[], "{}").await;
        assert!(sent.error.unwrap().contains("https"));
    }
}
