//! A small authoritative DNS server on a free port that serves the TXT records a test sets
//! (UDP, and TCP for answers too large for a plain UDP reply), and the tests of our lookup
//! (`shared::dns`) against it. Verified domains' tests point `DNS_NAMESERVER` at it.

use shared::dns::{DnsError, Resolver};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, UdpSocket};

/// The records (lowercased name -> TXT strings) and how the server misbehaves when asked to.
#[derive(Default)]
struct Zone {
    txt: HashMap<String, Vec<String>>,
    /// Names answered with SERVFAIL.
    failing: Vec<String>,
}

#[derive(Clone)]
pub struct DnsServer {
    pub addr: SocketAddr,
    zone: Arc<Mutex<Zone>>,
}

impl DnsServer {
    /// Starts on 127.0.0.1, UDP and TCP on one free port.
    pub async fn start() -> Self {
        let (udp, tcp) = loop {
            let udp = UdpSocket::bind("127.0.0.1:0").await.expect("udp");
            let port = udp.local_addr().unwrap().port();
            if let Ok(tcp) = TcpListener::bind(("127.0.0.1", port)).await {
                break (udp, tcp);
            }
        };
        let server = Self {
            addr: udp.local_addr().unwrap(),
            zone: Arc::default(),
        };
        let zone = server.zone.clone();
        tokio::spawn(async move {
            let mut buf = vec![0u8; 4096];
            while let Ok((n, from)) = udp.recv_from(&mut buf).await {
                if let Some(reply) = answer(&zone, &buf[..n], 512) {
                    let _ = udp.send_to(&reply, from).await;
                }
            }
        });
        let zone = server.zone.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = tcp.accept().await {
                let zone = zone.clone();
                tokio::spawn(async move {
                    let mut len = [0u8; 2];
                    if stream.read_exact(&mut len).await.is_err() {
                        return;
                    }
                    let mut q = vec![0u8; usize::from(u16::from_be_bytes(len))];
                    if stream.read_exact(&mut q).await.is_err() {
                        return;
                    }
                    if let Some(reply) = answer(&zone, &q, 65535) {
                        let mut framed = (reply.len() as u16).to_be_bytes().to_vec();
                        framed.extend_from_slice(&reply);
                        let _ = stream.write_all(&framed).await;
                    }
                });
            }
        });
        server
    }

    /// Sets the TXT records of `name` (an empty list removes them).
    pub fn set_txt(&self, name: &str, values: &[&str]) {
        let mut zone = self.zone.lock().unwrap();
        let name = name.to_ascii_lowercase();
        if values.is_empty() {
            zone.txt.remove(&name);
        } else {
            zone.txt
                .insert(name, values.iter().map(|v| v.to_string()).collect());
        }
    }

    /// Answers SERVFAIL for `name` from now on.
    pub fn fail(&self, name: &str) {
        self.zone
            .lock()
            .unwrap()
            .failing
            .push(name.to_ascii_lowercase());
    }

    pub fn resolver(&self) -> Resolver {
        Resolver::new(self.addr)
    }
}

/// The reply to one query: the question echoed and its TXT records, NXDOMAIN when the name has
/// none, TC (and no answers) when the reply would not fit `max` bytes. `None` for garbage.
fn answer(zone: &Mutex<Zone>, q: &[u8], max: usize) -> Option<Vec<u8>> {
    if q.len() < 12 {
        return None;
    }
    // The question: labels from byte 12 up to the root, then type and class.
    let mut at = 12;
    let mut labels = Vec::new();
    loop {
        let len = usize::from(*q.get(at)?);
        at += 1;
        if len == 0 {
            break;
        }
        labels.push(String::from_utf8_lossy(q.get(at..at + len)?).to_ascii_lowercase());
        at += len;
    }
    let question = q.get(12..at + 4)?;
    let name = labels.join(".");
    let zone = zone.lock().unwrap();
    let (rcode, records) = if zone.failing.contains(&name) {
        (2u16, Vec::new())
    } else {
        match zone.txt.get(&name) {
            Some(r) => (0, r.clone()),
            None => (3, Vec::new()),
        }
    };
    drop(zone);
    let header = |flags: u16, an: u16| {
        let mut m = q[..2].to_vec();
        m.extend_from_slice(&(0x8400 | 0x0100 | flags).to_be_bytes()); // QR AA RD
        m.extend_from_slice(&1u16.to_be_bytes());
        m.extend_from_slice(&an.to_be_bytes());
        m.extend_from_slice(&[0, 0, 0, 0]);
        m.extend_from_slice(question);
        m
    };
    let mut m = header(rcode, records.len() as u16);
    for r in &records {
        m.extend_from_slice(&[0xC0, 12, 0, 16, 0, 1, 0, 0, 0, 60]);
        // A value longer than 255 bytes is split into strings, as zone files do.
        let data: Vec<u8> = r
            .as_bytes()
            .chunks(255)
            .flat_map(|c| std::iter::once(c.len() as u8).chain(c.iter().copied()))
            .collect();
        m.extend_from_slice(&(data.len() as u16).to_be_bytes());
        m.extend_from_slice(&data);
    }
    if m.len() > max {
        return Some(header(0x0200, 0));
    }
    Some(m)
}

fn unique(label: &str) -> String {
    format!("{label}.{}.example", uuid::Uuid::new_v4().simple())
}

#[tokio::test]
async fn a_record_set_is_found_and_a_missing_one_is_empty() {
    let dns = DnsServer::start().await;
    let name = unique("_orgs-verification");
    let r = dns.resolver();
    assert_eq!(r.txt(&name).await, Ok(vec![]), "nothing set yet: NXDOMAIN");
    dns.set_txt(&name, &["orgs-verification=abc", "v=spf1 -all"]);
    assert_eq!(
        r.txt(&name.to_ascii_uppercase()).await,
        Ok(vec!["orgs-verification=abc".into(), "v=spf1 -all".into()]),
        "names are matched case-insensitively"
    );
    dns.set_txt(&name, &[]);
    assert_eq!(r.txt(&name).await, Ok(vec![]), "removed again");
}

#[tokio::test]
async fn a_large_answer_is_asked_again_over_tcp() {
    let dns = DnsServer::start().await;
    let name = unique("big");
    let long = "x".repeat(300);
    let values: Vec<String> = (0..4).map(|i| format!("{i}{long}")).collect();
    let refs: Vec<&str> = values.iter().map(String::as_str).collect();
    dns.set_txt(&name, &refs);
    assert_eq!(dns.resolver().txt(&name).await, Ok(values));
}

#[tokio::test]
async fn a_failing_or_absent_nameserver_is_an_error_not_a_missing_record() {
    let dns = DnsServer::start().await;
    let name = unique("broken");
    dns.fail(&name);
    assert_eq!(dns.resolver().txt(&name).await, Err(DnsError::Server(2)));
    // Nothing listens on this port (bound, then released).
    let gone = UdpSocket::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let mut r = Resolver::new(gone);
    r.timeout = Duration::from_millis(200);
    assert_eq!(r.txt("acme.example").await, Err(DnsError::Timeout));
}
