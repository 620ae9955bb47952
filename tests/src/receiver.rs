//! A webhook receiver for the tests: an HTTP/1.1 server on 127.0.0.1 (a port of its own) that
//! records every request (headers, body, when it arrived) and answers the statuses it is told
//! to, in order, then 200. The signatures are checked by the tests with the Standard Webhooks
//! construction; the end-to-end run checks them with the PyPI libraries (scripts/e2e_webhooks.py).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    /// Header names in lowercase.
    pub headers: HashMap<String, String>,
    pub body: String,
    pub at: chrono::DateTime<chrono::Utc>,
}

impl Received {
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).map(String::as_str).unwrap_or("")
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }
}

#[derive(Clone, Default)]
pub struct Receiver {
    pub port: u16,
    received: Arc<Mutex<Vec<Received>>>,
    answers: Arc<Mutex<Vec<u16>>>,
}

impl Receiver {
    /// Starts a receiver; it runs as long as the test's runtime.
    pub async fn start() -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut r = Receiver {
            port: listener.local_addr().unwrap().port(),
            ..Default::default()
        };
        r.port = listener.local_addr().unwrap().port();
        let me = r.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let me = me.clone();
                tokio::spawn(async move { me.serve(stream).await });
            }
        });
        r
    }

    /// Where it listens, with a path.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// The next answers, in order (then 200).
    pub fn answer(&self, statuses: &[u16]) {
        self.answers.lock().unwrap().extend_from_slice(statuses);
    }

    /// Forgets the answers not given yet (every request gets 200 again).
    pub fn answer_ok(&self) {
        self.answers.lock().unwrap().clear();
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    async fn serve(&self, mut stream: tokio::net::TcpStream) {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        let head_end = loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
        let mut lines = head.split("\r\n");
        let path = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .unwrap_or("/")
            .to_string();
        let headers: HashMap<String, String> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        let length: usize = headers
            .get("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        while buf.len() < head_end + length {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        let body = String::from_utf8_lossy(&buf[head_end..head_end + length]).to_string();
        self.received.lock().unwrap().push(Received {
            path,
            headers,
            body,
            at: chrono::Utc::now(),
        });
        let status = {
            let mut answers = self.answers.lock().unwrap();
            if answers.is_empty() {
                200
            } else {
                answers.remove(0)
            }
        };
        let reply = format!(
            "HTTP/1.1 {status} Answer\r\ncontent-length: 2\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\nok"
        );
        let _ = stream.write_all(reply.as_bytes()).await;
        let _ = stream.shutdown().await;
    }
}
