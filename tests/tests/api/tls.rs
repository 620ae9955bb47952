//! The functions' HTTPS client verifies servers: a server whose certificate is not issued under the
//! Amazon Trust Services roots is refused at certificate verification (not at connecting).

use std::process::{Child, Command, Stdio};

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
    }
}

/// A local HTTPS server with a self-signed certificate for 127.0.0.1 (openssl and python3, as the
/// test command's machine has), answering every request with `{}`.
fn self_signed_https_server(dir: &std::path::Path) -> (Server, u16) {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
        ])
        .args([
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-addext",
            "basicConstraints=critical,CA:FALSE",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(Stdio::null())
        .status()
        .expect("openssl (to make a self-signed certificate)");
    assert!(made.success());
    let script = r#"
import http.server, socketserver, ssl, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.send_response(200); self.send_header("content-length", "2"); self.end_headers(); self.wfile.write(b"{}")
    def log_message(self, *a): pass
s = socketserver.TCPServer(("127.0.0.1", 0), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); ctx.load_cert_chain(sys.argv[1], sys.argv[2])
s.socket = ctx.wrap_socket(s.socket, server_side=True)
print(s.server_address[1], flush=True)
s.serve_forever()
"#;
    let mut child = Command::new("python3")
        .args(["-c", script])
        .arg(&cert)
        .arg(&key)
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3");
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    (
        Server(child),
        line.trim().parse().expect("the server's port"),
    )
}

#[tokio::test]
async fn the_functions_https_client_refuses_a_certificate_outside_the_amazon_roots() {
    let dir = std::env::temp_dir().join(format!("tls-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let (_server, port) = self_signed_https_server(&dir);
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
        .region(aws_sdk_dynamodb::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "local", "local", None, None, "test",
        ))
        .endpoint_url(format!("https://127.0.0.1:{port}"))
        .http_client(service::aws::http_client(None).unwrap())
        .retry_config(aws_sdk_dynamodb::config::retry::RetryConfig::disabled())
        .build();
    let refused = aws_sdk_dynamodb::Client::from_conf(config)
        .list_tables()
        .send()
        .await;
    let _ = std::fs::remove_dir_all(&dir);
    let error = format!(
        "{:?}",
        refused.expect_err("a self-signed server must be refused")
    );
    assert!(
        error.contains("UnknownIssuer"),
        "refused at certificate verification, not before: {error}"
    );
}

/// The webhook sender speaks TLS and verifies the receiver's certificate against the Mozilla roots:
/// a receiver with a self-signed certificate is refused at verification, and the refusal is the
/// attempt's error.
#[tokio::test]
async fn the_webhook_sender_refuses_a_receiver_certificate_no_public_root_issued() {
    let dir = std::env::temp_dir().join(format!("tls-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let (_server, port) = self_signed_https_server(&dir);
    let sent = service::webhooks::send::post(
        &format!("https://127.0.0.1:{port}/hook"),
        &["127.0.0.1".to_string()],
        &[("webhook-id", "msg_1".to_string())],
        "{}",
    )
    .await;
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(sent.status, None, "{sent:?}");
    let error = sent.error.unwrap();
    assert!(
        error.starts_with("TLS handshake failed") && error.contains("UnknownIssuer"),
        "refused at certificate verification: {error}"
    );
}
