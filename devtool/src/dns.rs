//! A small authoritative DNS server on a free port that serves the TXT records it is given
//! (UDP, and TCP for answers too large for a plain UDP reply): the tests' (`DnsServer::shared`,
//! records set with `set_txt`) and the local runs' (`devtool dns-server`, records read from a
//! zone file on every query). `DNS_NAMESERVER` points the functions at it.

use service::dns::Resolver;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, UdpSocket};

/// The records (lowercased name -> TXT strings) and how the server misbehaves when asked to.
#[derive(Default)]
struct Zone {
    txt: HashMap<String, Vec<String>>,
    /// Names answered with SERVFAIL.
    failing: Vec<String>,
    /// Read on every query when set: one record per line, `<name> <value>` (`#` comments).
    file: Option<PathBuf>,
}

impl Zone {
    fn lookup(&self, name: &str) -> Option<Vec<String>> {
        let Some(path) = &self.file else {
            return self.txt.get(name).cloned();
        };
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let found: Vec<String> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .filter_map(|l| l.split_once(char::is_whitespace))
            .filter(|(n, _)| n.trim_end_matches('.').eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().trim_matches('"').to_string())
            .collect();
        (!found.is_empty()).then_some(found)
    }
}

#[derive(Clone)]
pub struct DnsServer {
    pub addr: SocketAddr,
    zone: Arc<Mutex<Zone>>,
}

impl DnsServer {
    /// Starts on 127.0.0.1, UDP and TCP on one free port.
    pub async fn start() -> Self {
        Self::start_on(0, None).await
    }

    /// The one server of a test binary, on its own thread (a test's runtime ends with the test);
    /// tests set records under names of their own.
    pub fn shared() -> Self {
        static SHARED: OnceLock<DnsServer> = OnceLock::new();
        SHARED
            .get_or_init(|| {
                let (tx, rx) = std::sync::mpsc::channel();
                std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .expect("dns runtime");
                    rt.block_on(async {
                        tx.send(Self::start().await).expect("send");
                        std::future::pending::<()>().await
                    })
                });
                rx.recv().expect("dns server started")
            })
            .clone()
    }

    /// Starts on `port` (0: a free one), serving `zone_file` when given (read on every query).
    pub async fn start_on(port: u16, zone_file: Option<PathBuf>) -> Self {
        let (udp, tcp) = loop {
            let udp = UdpSocket::bind(("127.0.0.1", port)).await.expect("udp");
            let bound = udp.local_addr().unwrap().port();
            match TcpListener::bind(("127.0.0.1", bound)).await {
                Ok(tcp) => break (udp, tcp),
                Err(e) if port != 0 => panic!("TCP port {port}: {e}"),
                Err(_) => {}
            }
        };
        let server = Self {
            addr: udp.local_addr().unwrap(),
            zone: Arc::new(Mutex::new(Zone {
                file: zone_file,
                ..Zone::default()
            })),
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
        match zone.lookup(&name) {
            Some(r) => (0, r),
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
