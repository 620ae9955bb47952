//! Organization settings kept as typed, validated sections, each read and replaced on its own
//! route (`/orgs/{orgId}/settings/<section>`), each change audited and evented: the
//! authentication policy, notification preferences and the cleanup policy (the default storage
//! for backups is the integrations' own section; the invite policy stays in `PATCH /orgs/{orgId}`).

pub mod authentication;
pub mod cleanup;
pub mod notifications;

/// The names of the entries whose values differ between `after` and `before` (the same names,
/// in the same order): a section's `changedKeys`.
pub fn changed_keys<T: PartialEq, const N: usize>(
    after: [(&'static str, T); N],
    before: [(&'static str, T); N],
) -> Vec<&'static str> {
    after
        .into_iter()
        .zip(before)
        .filter(|((_, a), (_, b))| a != b)
        .map(|((name, _), _)| name)
        .collect()
}
