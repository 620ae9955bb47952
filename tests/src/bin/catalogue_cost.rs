//! What the catalogue costs a function: its start (reading and validating `ORGS_CATALOGUE_FILE`,
//! or taking the built-in one) and every request (a role's permission set resolved against the
//! catalogue, an `/authorize` of 20 permissions decided, `/me`'s list of every permission).
//! `scripts/bench.sh` runs it twice, with the built-in catalogue (the compiled matrix alone) and
//! with the README's example, and prints the two side by side.

use service::access::decide;
use service::catalogue::PermId;
use service::catalogue::{current, install, install_from_env, Catalogue};
use service::orgs::settings::OrgStatus;
use service::permissions::Role;
use service::roles::HeldRole;
use std::hint::black_box;
use std::time::Instant;

const ROUNDS: u32 = 200_000;

fn main() {
    let start = Instant::now();
    let catalogue = match std::env::var("ORGS_CATALOGUE_FILE") {
        Ok(_) => install_from_env().unwrap_or_else(|e| panic!("{e}")),
        Err(_) => install(Catalogue::built_in()).unwrap(),
    };
    let load = start.elapsed();
    // The last 20 permissions: the operator's, where there are some.
    let names: Vec<String> = catalogue
        .all()
        .collect::<Vec<_>>()
        .iter()
        .rev()
        .take(20)
        .map(|p| p.as_str().to_string())
        .collect();
    let started = Instant::now();
    let mut allowed = 0usize;
    for i in 0..ROUNDS {
        let role = Role::ALL[(i % 6) as usize];
        let held = HeldRole::system(black_box(role));
        let asked = PermId::parse_all(black_box(&names)).unwrap();
        for p in asked {
            allowed += usize::from(decide(&held, OrgStatus::Active, None, p, true).allowed);
        }
        allowed += held.permissions.iter().count();
    }
    let per_request = started.elapsed() / ROUNDS;
    black_box(allowed);
    println!(
        "{:<32} {:>4} permissions {:>2} plans   start {:>7.1} µs   per request {:>6.2} µs",
        if current().source == "built-in" {
            "built-in (the compiled matrix)".to_string()
        } else {
            current()
                .source
                .rsplit('/')
                .next()
                .unwrap_or("")
                .to_string()
        },
        catalogue.len(),
        catalogue.plans().len(),
        load.as_secs_f64() * 1e6,
        per_request.as_secs_f64() * 1e6
    );
}
