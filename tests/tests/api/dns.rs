//! Our lookup (`service::dns`) against the small DNS server of `integration_tests::dns`.

use integration_tests::dns::DnsServer;
use service::dns::{DnsError, Resolver};
use std::time::Duration;
use tokio::net::UdpSocket;

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
