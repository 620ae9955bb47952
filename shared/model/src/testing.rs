//! Test support, compiled for this crate's tests and with the `testing` feature (the service
//! crate's tests turn it on; no function links it).

/// A small deterministic generator (xorshift64*) for property tests (here and in the service crate): the same cases
/// on every run, many more than a hand-written list.
pub struct Cases(u64);

impl Cases {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }
    #[allow(clippy::should_implement_trait)] // an endless generator, not an iterator
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// A string of up to `max` characters drawn from `alphabet`.
    pub fn text(&mut self, alphabet: &[char], max: usize) -> String {
        let n = (self.next() % (max as u64 + 1)) as usize;
        (0..n)
            .map(|_| alphabet[(self.next() % alphabet.len() as u64) as usize])
            .collect()
    }
}
