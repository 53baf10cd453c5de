//! Seeded random bytes for the hostile peers: the same bytes every run.

/// `len` bytes of a xorshift32 stream started at `seed` (non-zero).
pub fn random_bytes(seed: u32, len: usize) -> Vec<u8> {
    let mut x = seed;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}
