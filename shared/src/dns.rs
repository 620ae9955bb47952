//! DNS TXT lookups, for proving that an organization controls a domain: one question over UDP
//! (asked again over TCP when the answer comes back truncated) to one recursive nameserver:
//! `DNS_NAMESERVER` (`host:port`, for local runs and tests) or else the system's first
//! (`/etc/resolv.conf`). No dependency beyond tokio: one question type is a few hundred lines,
//! where a resolver library brings caching, DNSSEC and every record type into the zip.
//!
//! What a lookup answers: the TXT strings of the name (each record's strings joined, as
//! RFC 7208 reads them), empty when the name or its TXT records do not exist (NXDOMAIN or no
//! data), or an error when the nameserver did not answer usefully (timeout, SERVFAIL, REFUSED,
//! a malformed or mismatched reply): a retry may succeed, so callers answer 503 for it.

use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};

const TYPE_TXT: u16 = 16;
const TYPE_OPT: u16 = 41;
const CLASS_IN: u16 = 1;
/// The UDP payload we advertise (EDNS0): large enough for every TXT set we look at, small enough
/// to avoid fragmentation (the DNS flag day 2020 value).
const EDNS_PAYLOAD: u16 = 1232;

/// Why a lookup has no answer to give (never "the record is missing": that is an empty answer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DnsError {
    /// No reply within the timeout, on every attempt.
    Timeout,
    /// The nameserver answered with this RCODE (2 SERVFAIL, 5 REFUSED, ...).
    Server(u8),
    /// The reply could not be read, or was not the reply to our question.
    Malformed(&'static str),
    /// The socket could not be used.
    Io(String),
    /// The name cannot be asked (empty label, label over 63 bytes, name over 253).
    BadName,
}

impl std::fmt::Display for DnsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DnsError::Timeout => f.write_str("the nameserver did not answer in time"),
            DnsError::Server(rcode) => write!(f, "the nameserver answered with rcode {rcode}"),
            DnsError::Malformed(why) => write!(f, "unreadable DNS reply: {why}"),
            DnsError::Io(e) => write!(f, "DNS socket error: {e}"),
            DnsError::BadName => f.write_str("not a name DNS can ask for"),
        }
    }
}

/// One recursive nameserver and how long to wait for it.
#[derive(Debug, Clone)]
pub struct Resolver {
    pub server: SocketAddr,
    /// Per attempt.
    pub timeout: Duration,
    /// UDP attempts before giving up (each with a new id).
    pub attempts: u32,
}

impl Resolver {
    pub fn new(server: SocketAddr) -> Self {
        Self {
            server,
            timeout: Duration::from_secs(2),
            attempts: 2,
        }
    }

    /// `DNS_NAMESERVER` (`host:port` or an IP, port 53 then) if set, else the first
    /// `nameserver` line of `/etc/resolv.conf`.
    /// `nameserver` (`host:port` or an IP) when given, else the system's first nameserver.
    pub fn configured(nameserver: Option<&str>) -> Result<Self, String> {
        if let Some(raw) = nameserver.map(str::trim).filter(|r| !r.is_empty()) {
            return parse_server(raw)
                .map(Self::new)
                .ok_or_else(|| format!("DNS_NAMESERVER `{raw}` is not host:port"));
        }
        let conf = std::fs::read_to_string("/etc/resolv.conf")
            .map_err(|e| format!("no DNS_NAMESERVER and no /etc/resolv.conf: {e}"))?;
        conf.lines()
            .filter_map(|l| l.trim().strip_prefix("nameserver"))
            .find_map(|rest| parse_server(rest.trim()))
            .map(Self::new)
            .ok_or_else(|| "no DNS_NAMESERVER and no nameserver in /etc/resolv.conf".to_string())
    }

    /// The TXT strings at `name` (empty when there are none).
    pub async fn txt(&self, name: &str) -> Result<Vec<String>, DnsError> {
        let mut last = DnsError::Timeout;
        for _ in 0..self.attempts.max(1) {
            let id = random_id()?;
            let query = encode_query(id, name)?;
            match self.ask_udp(&query).await {
                Ok(reply) => match decode_reply(&reply, id, name) {
                    Ok(Reply::Truncated) => {
                        let reply = self.ask_tcp(&query).await?;
                        return match decode_reply(&reply, id, name)? {
                            Reply::Records(r) => Ok(r),
                            Reply::Truncated => Err(DnsError::Malformed("truncated over TCP")),
                        };
                    }
                    Ok(Reply::Records(r)) => return Ok(r),
                    // A reply to another question (a late one, or a spoofing attempt): ask again.
                    Err(DnsError::Malformed(why)) => last = DnsError::Malformed(why),
                    Err(e) => return Err(e),
                },
                Err(DnsError::Timeout) => last = DnsError::Timeout,
                Err(e) => return Err(e),
            }
        }
        Err(last)
    }

    async fn ask_udp(&self, query: &[u8]) -> Result<Vec<u8>, DnsError> {
        let local: SocketAddr = if self.server.is_ipv6() {
            "[::]:0".parse().expect("addr")
        } else {
            "0.0.0.0:0".parse().expect("addr")
        };
        let io = |e: std::io::Error| DnsError::Io(e.to_string());
        let socket = UdpSocket::bind(local).await.map_err(io)?;
        socket.connect(self.server).await.map_err(io)?;
        socket.send(query).await.map_err(io)?;
        let mut buf = vec![0u8; 65535];
        match tokio::time::timeout(self.timeout, socket.recv(&mut buf)).await {
            Ok(Ok(n)) => {
                buf.truncate(n);
                Ok(buf)
            }
            // A closed port answers with ICMP, which a connected socket reports as refused: the
            // nameserver is not there (yet), which a retry may change.
            Ok(Err(_)) | Err(_) => Err(DnsError::Timeout),
        }
    }

    async fn ask_tcp(&self, query: &[u8]) -> Result<Vec<u8>, DnsError> {
        let exchange = async {
            let mut stream = TcpStream::connect(self.server).await?;
            let mut framed = (query.len() as u16).to_be_bytes().to_vec();
            framed.extend_from_slice(query);
            stream.write_all(&framed).await?;
            let mut len = [0u8; 2];
            stream.read_exact(&mut len).await?;
            let mut reply = vec![0u8; usize::from(u16::from_be_bytes(len))];
            stream.read_exact(&mut reply).await?;
            Ok::<_, std::io::Error>(reply)
        };
        match tokio::time::timeout(self.timeout, exchange).await {
            Ok(Ok(reply)) => Ok(reply),
            Ok(Err(_)) | Err(_) => Err(DnsError::Timeout),
        }
    }
}

fn parse_server(raw: &str) -> Option<SocketAddr> {
    raw.parse::<SocketAddr>().ok().or_else(|| {
        raw.parse::<std::net::IpAddr>()
            .ok()
            .map(|ip| SocketAddr::new(ip, 53))
    })
}

fn random_id() -> Result<u16, DnsError> {
    let mut b = [0u8; 2];
    getrandom::fill(&mut b).map_err(|e| DnsError::Io(format!("no randomness: {e}")))?;
    Ok(u16::from_be_bytes(b))
}

/// The name's labels as DNS writes them (no trailing dot needed; one is accepted).
pub fn encode_name(name: &str) -> Result<Vec<u8>, DnsError> {
    let name = name.strip_suffix('.').unwrap_or(name);
    if name.is_empty() || name.len() > 253 {
        return Err(DnsError::BadName);
    }
    let mut out = Vec::with_capacity(name.len() + 2);
    for label in name.split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err(DnsError::BadName);
        }
        out.push(label.len() as u8);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
    Ok(out)
}

/// A recursive TXT question for `name` with an EDNS0 OPT record.
pub fn encode_query(id: u16, name: &str) -> Result<Vec<u8>, DnsError> {
    let mut q = Vec::with_capacity(64);
    q.extend_from_slice(&id.to_be_bytes());
    q.extend_from_slice(&0x0100u16.to_be_bytes()); // RD
    q.extend_from_slice(&1u16.to_be_bytes()); // QDCOUNT
    q.extend_from_slice(&0u16.to_be_bytes()); // ANCOUNT
    q.extend_from_slice(&0u16.to_be_bytes()); // NSCOUNT
    q.extend_from_slice(&1u16.to_be_bytes()); // ARCOUNT: the OPT record
    q.extend_from_slice(&encode_name(name)?);
    q.extend_from_slice(&TYPE_TXT.to_be_bytes());
    q.extend_from_slice(&CLASS_IN.to_be_bytes());
    q.push(0); // OPT: the root name
    q.extend_from_slice(&TYPE_OPT.to_be_bytes());
    q.extend_from_slice(&EDNS_PAYLOAD.to_be_bytes());
    q.extend_from_slice(&0u32.to_be_bytes()); // extended rcode, version, flags
    q.extend_from_slice(&0u16.to_be_bytes()); // no options
    Ok(q)
}

enum Reply {
    Records(Vec<String>),
    Truncated,
}

/// A reader over a DNS message that follows compression pointers when it reads names.
struct Reader<'a> {
    msg: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn u8(&mut self) -> Result<u8, DnsError> {
        let b = *self.msg.get(self.at).ok_or(DnsError::Malformed("short"))?;
        self.at += 1;
        Ok(b)
    }
    fn u16(&mut self) -> Result<u16, DnsError> {
        Ok(u16::from_be_bytes([self.u8()?, self.u8()?]))
    }
    fn bytes(&mut self, n: usize) -> Result<&'a [u8], DnsError> {
        let end = self.at.checked_add(n).ok_or(DnsError::Malformed("short"))?;
        let out = self
            .msg
            .get(self.at..end)
            .ok_or(DnsError::Malformed("short"))?;
        self.at = end;
        Ok(out)
    }
    /// Reads a name (lowercased, dot-separated), following at most 32 pointers.
    fn name(&mut self) -> Result<String, DnsError> {
        let mut labels: Vec<String> = Vec::new();
        let mut at = self.at;
        let mut resume = None;
        for _ in 0..128 {
            let len = *self.msg.get(at).ok_or(DnsError::Malformed("short name"))?;
            match len {
                0 => {
                    self.at = resume.unwrap_or(at + 1);
                    return Ok(labels.join("."));
                }
                l if l & 0xC0 == 0xC0 => {
                    let low = *self
                        .msg
                        .get(at + 1)
                        .ok_or(DnsError::Malformed("short name"))?;
                    if resume.is_none() {
                        resume = Some(at + 2);
                    }
                    at = usize::from(u16::from_be_bytes([l & 0x3F, low]));
                }
                l if l & 0xC0 == 0 => {
                    let label = self
                        .msg
                        .get(at + 1..at + 1 + usize::from(l))
                        .ok_or(DnsError::Malformed("short label"))?;
                    labels.push(String::from_utf8_lossy(label).to_ascii_lowercase());
                    at += 1 + usize::from(l);
                }
                _ => return Err(DnsError::Malformed("label type")),
            }
        }
        Err(DnsError::Malformed("name loops"))
    }
}

fn same_name(a: &str, b: &str) -> bool {
    a.trim_end_matches('.')
        .eq_ignore_ascii_case(b.trim_end_matches('.'))
}

/// Reads the reply to question `id` for `name`: its TXT strings, or that it was truncated.
fn decode_reply(msg: &[u8], id: u16, name: &str) -> Result<Reply, DnsError> {
    let mut r = Reader { msg, at: 0 };
    if r.u16()? != id {
        return Err(DnsError::Malformed("another question's id"));
    }
    let flags = r.u16()?;
    if flags & 0x8000 == 0 {
        return Err(DnsError::Malformed("not a reply"));
    }
    let (qd, an) = (r.u16()?, r.u16()?);
    let _ns = r.u16()?;
    let _ar = r.u16()?;
    if flags & 0x0200 != 0 {
        return Ok(Reply::Truncated);
    }
    match (flags & 0x000F) as u8 {
        0 => {}
        // NXDOMAIN: nothing at that name.
        3 => return Ok(Reply::Records(Vec::new())),
        rcode => return Err(DnsError::Server(rcode)),
    }
    if qd != 1 {
        return Err(DnsError::Malformed("not one question"));
    }
    let asked = r.name()?;
    if !same_name(&asked, name) || r.u16()? != TYPE_TXT || r.u16()? != CLASS_IN {
        return Err(DnsError::Malformed("the reply is to another question"));
    }
    let mut records = Vec::new();
    for _ in 0..an {
        let _owner = r.name()?;
        let (rtype, _class) = (r.u16()?, r.u16()?);
        let _ttl = r.bytes(4)?;
        let len = usize::from(r.u16()?);
        let data = r.bytes(len)?;
        // CNAMEs the resolver followed come first; only the TXT records count.
        if rtype != TYPE_TXT {
            continue;
        }
        let mut text = Vec::new();
        let mut d = Reader { msg: data, at: 0 };
        while d.at < data.len() {
            let n = usize::from(d.u8()?);
            text.extend_from_slice(d.bytes(n)?);
        }
        records.push(String::from_utf8_lossy(&text).into_owned());
    }
    Ok(Reply::Records(records))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reply as a nameserver writes it: the question echoed, then TXT answers whose owner is
    /// a compression pointer to the question's name.
    fn reply(id: u16, name: &str, flags: u16, txt: &[&[&str]]) -> Vec<u8> {
        let mut m = Vec::new();
        m.extend_from_slice(&id.to_be_bytes());
        m.extend_from_slice(&(0x8180 | flags).to_be_bytes());
        m.extend_from_slice(&1u16.to_be_bytes());
        m.extend_from_slice(&(txt.len() as u16).to_be_bytes());
        m.extend_from_slice(&[0, 0, 0, 0]);
        m.extend_from_slice(&encode_name(name).unwrap());
        m.extend_from_slice(&TYPE_TXT.to_be_bytes());
        m.extend_from_slice(&CLASS_IN.to_be_bytes());
        for strings in txt {
            m.extend_from_slice(&[0xC0, 12]);
            m.extend_from_slice(&TYPE_TXT.to_be_bytes());
            m.extend_from_slice(&CLASS_IN.to_be_bytes());
            m.extend_from_slice(&300u32.to_be_bytes());
            let data: Vec<u8> = strings
                .iter()
                .flat_map(|s| std::iter::once(s.len() as u8).chain(s.bytes()))
                .collect();
            m.extend_from_slice(&(data.len() as u16).to_be_bytes());
            m.extend_from_slice(&data);
        }
        m
    }

    fn records(r: Result<Reply, DnsError>) -> Vec<String> {
        match r.unwrap() {
            Reply::Records(r) => r,
            Reply::Truncated => panic!("truncated"),
        }
    }

    #[test]
    fn reads_txt_records_and_joins_their_strings() {
        let m = reply(7, "_v.Acme.com", 0, &[&["a=1"], &["part one ", "part two"]]);
        assert_eq!(
            records(decode_reply(&m, 7, "_v.acme.com")),
            vec!["a=1".to_string(), "part one part two".to_string()]
        );
    }

    #[test]
    fn nxdomain_is_no_record_and_servfail_an_error() {
        assert!(records(decode_reply(&reply(1, "x.com", 3, &[]), 1, "x.com")).is_empty());
        assert_eq!(
            decode_reply(&reply(1, "x.com", 2, &[]), 1, "x.com").err(),
            Some(DnsError::Server(2))
        );
    }

    #[test]
    fn a_reply_to_another_question_is_refused() {
        let m = reply(9, "other.com", 0, &[&["x"]]);
        assert!(decode_reply(&m, 9, "acme.com").is_err(), "another name");
        assert!(decode_reply(&m, 8, "other.com").is_err(), "another id");
        assert!(
            decode_reply(&m[..m.len() - 3], 9, "other.com").is_err(),
            "cut short"
        );
        let mut looping = reply(9, "a.com", 0, &[]);
        looping[12] = 0xC0;
        looping[13] = 12;
        assert!(
            decode_reply(&looping, 9, "a.com").is_err(),
            "a pointer to itself"
        );
    }

    #[test]
    fn truncation_is_reported() {
        let m = reply(5, "a.com", 0x0200, &[]);
        assert!(matches!(decode_reply(&m, 5, "a.com"), Ok(Reply::Truncated)));
    }

    #[test]
    fn names_are_checked() {
        assert_eq!(encode_name("a..com"), Err(DnsError::BadName));
        assert_eq!(encode_name(&"a".repeat(64)), Err(DnsError::BadName));
        assert_eq!(
            encode_name("acme.com.").unwrap(),
            encode_name("acme.com").unwrap()
        );
        assert_eq!(
            parse_server("127.0.0.1"),
            Some("127.0.0.1:53".parse().unwrap())
        );
        assert_eq!(
            parse_server("[::1]:5353"),
            Some("[::1]:5353".parse().unwrap())
        );
        assert_eq!(parse_server("localhost:53"), None);
    }
}
