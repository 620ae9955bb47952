//! Integrations: metadata in the table, the credential in Secrets Manager (moto), written once and
//! never shown again; nothing left behind by bad input or deletion.

use crate::authorization::Fixture;
use integration_tests::{secrets_client, OrgFixture, TestApp};
use serde_json::{json, Value};
use service::error::Code;
use service::permissions::Role;

/// The authorization walk's valid request for each of this concept's routes: (body, status on
/// success); `None` for a function that is not this concept's (tests/tests/api/authorization.rs).
pub(crate) fn walk_sample(f: &Fixture, function: &str) -> Option<(Option<Value>, u16)> {
    Some(match function {
        "list-integrations" | "get-integration" => (None, 200),
        "create-integration" => (
            Some(
                json!({ "kind": "dns_provider", "provider": "cloudflare", "name": "CF", "secret": "cf-token" }),
            ),
            201,
        ),
        "update-integration" => (Some(json!({ "name": "Renamed" })), 200),
        "delete-integration" => (None, 204),
        "rotate-integration-secret" => (Some(json!({ "secret": "rotated" })), 200),
        "set-default-storage" => (Some(json!({ "integrationId": f.integration })), 200),
        _ => return None,
    })
}

async fn org(t: &TestApp) -> OrgFixture {
    t.org_fixture("Integrations Inc", "pro", &[Role::Admin, Role::Viewer])
        .await
}

/// The secret's current value (`AWSCURRENT`, what consumers read) in moto under the documented
/// name, if any. The stage is named explicitly: moto 5.2 answers a stage-less read with the first
/// version even after `AWSCURRENT` moved (AWS answers `AWSCURRENT`).
pub(crate) async fn stored_secret(org: &str, integration: &str) -> Option<String> {
    current_secret(org, integration)
        .await
        .map(|(_, value)| value)
}

/// The current version's id and value (`AWSCURRENT`), if the secret exists.
pub(crate) async fn current_secret(org: &str, integration: &str) -> Option<(String, String)> {
    let out = secrets_client()
        .await
        .get_secret_value()
        .secret_id(format!("orgs/{org}/integrations/{integration}"))
        .version_stage("AWSCURRENT")
        .send()
        .await
        .ok()?;
    Some((
        out.version_id()?.to_string(),
        out.secret_string()?.to_string(),
    ))
}

/// Names of the secrets in moto that belong to the organization (by the documented prefix).
///
/// moto's ListSecrets answers 500 when another of its threads adds a secret while it iterates
/// (parallel tests do): such a page is asked again, a few times.
pub(crate) async fn secrets_of(org: &str) -> Vec<String> {
    let client = secrets_client().await;
    let mut names = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let mut attempt = 0;
        let page = loop {
            match client
                .list_secrets()
                .set_next_token(next.clone())
                .send()
                .await
            {
                Ok(page) => break page,
                Err(e) if attempt < 5 => {
                    attempt += 1;
                    eprintln!("list secrets in moto, asked again: {e:?}");
                    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                }
                Err(e) => panic!("list secrets in moto: {e:?}"),
            }
        };
        names.extend(
            page.secret_list()
                .iter()
                .filter_map(|s| s.name())
                .filter(|n| n.starts_with(&format!("orgs/{org}/")))
                .map(str::to_string),
        );
        match page.next_token() {
            Some(t) => next = Some(t.to_string()),
            None => return names,
        }
    }
}

/// Every attribute of every item in the test's table, as text (a copy of the table).
async fn table_dump(t: &TestApp) -> String {
    t.table_items()
        .await
        .into_values()
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn an_admin_connects_rotates_and_deletes_and_a_viewer_sees_only_metadata() {
    let t = TestApp::new().await;
    let f = org(&t).await;
    let admin = t.as_user(f.member(Role::Admin));
    let base = format!("/orgs/{}/integrations", f.id);
    let (dns_secret, storage_secret, rotated) = (
        format!("cf-token-{}", uuid::Uuid::new_v4()),
        format!("s3-key-{}", uuid::Uuid::new_v4()),
        format!("s3-key-rotated-{}", uuid::Uuid::new_v4()),
    );
    let mut seen = String::new();

    let dns = admin
        .post(
            &base,
            json!({ "kind": "dns_provider", "provider": "cloudflare", "name": "Cloudflare",
            "config": { "zone": "example.com" }, "secret": dns_secret }),
        )
        .await;
    seen.push_str(&dns.body.to_string());
    let dns_id = dns.assert_status(201)["id"].as_str().unwrap().to_string();
    assert_eq!(dns.body["secretSet"], true);
    assert!(dns.body["fingerprint"].as_str().unwrap().starts_with("fp_"));
    let storage = admin
        .post(&base, json!({ "kind": "storage_provider", "provider": "s3", "name": "Backups",
            "config": { "bucket": "acme-backups", "region": "eu-west-1" }, "secret": storage_secret }))
        .await;
    seen.push_str(&storage.body.to_string());
    let storage_id = storage.assert_status(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        stored_secret(&f.id, &dns_id).await.as_deref(),
        Some(dns_secret.as_str()),
        "in Secrets Manager under the documented name"
    );

    // The default storage must be a storage provider.
    let default = format!("/orgs/{}/settings/default-storage", f.id);
    admin
        .put(&default, json!({ "integrationId": dns_id }))
        .await
        .assert_problem(409, Code::WrongIntegrationKind);
    admin
        .put(&default, json!({ "integrationId": storage_id }))
        .await
        .assert_status(200);
    let o = admin.get(&format!("/orgs/{}", f.id)).await;
    assert_eq!(o.assert_status(200)["defaultStorageId"], json!(storage_id));

    // Rotation: the new value is what Secrets Manager serves; the fingerprint changes.
    let before = storage.body["fingerprint"].clone();
    let r = admin
        .put(
            &format!("{base}/{storage_id}/secret"),
            json!({ "secret": rotated }),
        )
        .await;
    seen.push_str(&r.body.to_string());
    assert_ne!(r.assert_status(200)["fingerprint"], before);
    assert_eq!(
        stored_secret(&f.id, &storage_id).await.as_deref(),
        Some(rotated.as_str())
    );

    // A viewer sees the list with secretSet and fingerprints, and cannot change anything.
    let viewer = t.as_user(f.member(Role::Viewer));
    let list = viewer.get(&base).await;
    seen.push_str(&list.body.to_string());
    let items = list.assert_status(200)["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 2);
    for i in &items {
        assert_eq!(i["secretSet"], true);
        assert!(i["fingerprint"].as_str().unwrap().starts_with("fp_"));
        assert!(
            i.get("secret").is_none() && i.get("secretArn").is_none(),
            "{i}"
        );
    }
    assert_eq!(
        items.iter().filter(|i| i["defaultStorage"] == true).count(),
        1
    );
    let only_dns = viewer.get(&format!("{base}?kind=dns_provider")).await;
    assert_eq!(
        only_dns.assert_status(200)["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    viewer
        .put(
            &format!("{base}/{dns_id}/secret"),
            json!({ "secret": "nope" }),
        )
        .await
        .assert_problem(403, Code::Forbidden);
    let one = viewer.get(&format!("{base}/{dns_id}")).await;
    seen.push_str(&one.body.to_string());
    one.assert_status(200);

    // Deleting the default storage clears the setting and force-deletes the secret.
    admin
        .delete(&format!("{base}/{storage_id}"))
        .await
        .assert_status(204);
    assert_eq!(
        stored_secret(&f.id, &storage_id).await,
        None,
        "gone after delete"
    );
    let o = admin.get(&format!("/orgs/{}", f.id)).await;
    assert!(o.body.get("defaultStorageId").is_none(), "{}", o.body);
    admin
        .get(&format!("{base}/{storage_id}"))
        .await
        .assert_problem(404, Code::IntegrationNotFound);

    // No secret anywhere: responses, the audit log (the events' outbox), a copy of the table.
    let log = t
        .as_user(&f.owner)
        .get(&format!("/orgs/{}/audit-log?limit=100", f.id))
        .await;
    seen.push_str(&log.body.to_string());
    let actions: Vec<&str> = log.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["eventType"].as_str().unwrap())
        .collect();
    for want in [
        "IntegrationCreated",
        "DefaultStorageChanged",
        "IntegrationSecretRotated",
        "IntegrationDeleted",
    ] {
        assert!(actions.contains(&want), "{want} in {actions:?}");
    }
    let table = table_dump(&t).await;
    for secret in [&dns_secret, &storage_secret, &rotated] {
        assert!(
            !seen.contains(secret.as_str()),
            "a response carried a secret"
        );
        assert!(!table.contains(secret.as_str()), "the table holds a secret");
    }
    assert!(
        table.contains("fp_"),
        "the dump is of the table with the integrations"
    );
}

#[tokio::test]
async fn bad_input_is_refused_and_leaves_no_secret_and_no_item() {
    let t = TestApp::new().await;
    let f = org(&t).await;
    let admin = t.as_user(&f.owner);
    let base = format!("/orgs/{}/integrations", f.id);
    let s3 = |config: Value, secret: Value| json!({ "kind": "storage_provider", "provider": "s3", "name": "S3", "config": config, "secret": secret });
    let good = json!({ "bucket": "ok-bucket", "region": "eu-west-1" });
    let cases = [
        json!({ "kind": "ftp", "provider": "s3", "name": "x", "secret": "s" }),
        json!({ "kind": "dns_provider", "provider": "s3", "name": "x", "secret": "s" }),
        json!({ "kind": "storage_provider", "provider": "s3", "name": "x", "config": good }),
        s3(good.clone(), json!("")),
        s3(good.clone(), json!("x".repeat(8 * 1024 + 1))),
        s3(json!({ "bucket": "ok-bucket" }), json!("s")),
        s3(
            json!({ "bucket": "ok-bucket", "region": "eu-west-1", "accessKey": "AKIA" }),
            json!("s"),
        ),
        s3(json!({ "bucket": 7, "region": "eu-west-1" }), json!("s")),
        json!({ "kind": "addon_repo", "provider": "git", "name": "x", "config": { "url": "http://insecure" } }),
    ];
    for body in cases {
        let a = admin.post(&base, body.clone()).await;
        assert!(
            (400..500).contains(&a.status),
            "{body}: {} {}",
            a.status,
            a.body
        );
        assert_eq!(
            a.body["code"],
            Code::ValidationFailed.as_str(),
            "{body}: {}",
            a.body
        );
    }
    assert!(secrets_of(&f.id).await.is_empty(), "no secret left behind");
    let list = admin.get(&base).await;
    assert!(
        list.assert_status(200)["items"]
            .as_array()
            .unwrap()
            .is_empty(),
        "no item left behind"
    );
    // A public addon repository needs no secret, and may get one later.
    let repo = admin
        .post(&base, json!({ "kind": "addon_repo", "provider": "git", "name": "OCA", "config": { "url": "https://github.com/OCA/web" } }))
        .await;
    let repo_id = repo.assert_status(201)["id"].as_str().unwrap().to_string();
    assert_eq!(repo.body["secretSet"], false);
    assert!(secrets_of(&f.id).await.is_empty());
    let r = admin
        .put(
            &format!("{base}/{repo_id}/secret"),
            json!({ "secret": "deploy-key" }),
        )
        .await;
    assert_eq!(r.assert_status(200)["secretSet"], true);
    assert_eq!(
        stored_secret(&f.id, &repo_id).await.as_deref(),
        Some("deploy-key")
    );
    // Config is replaced and validated for the provider; the secret is not part of a PATCH.
    admin
        .patch(&format!("{base}/{repo_id}"), json!({ "secret": "x" }))
        .await
        .assert_problem(400, Code::InvalidBody);
    admin
        .patch(
            &format!("{base}/{repo_id}"),
            json!({ "config": { "url": "ftp://x" } }),
        )
        .await
        .assert_problem(400, Code::ValidationFailed);
    let p = admin
        .patch(
            &format!("{base}/{repo_id}"),
            json!({ "config": { "url": "https://github.com/OCA/server-tools", "branch": "17.0" } }),
        )
        .await;
    assert_eq!(p.assert_status(200)["config"]["branch"], "17.0");
}
