//! The integrity of a byte stream without holding it: its length and a
//! running CRC-32 (IEEE), updated chunk by chunk as the bytes flow.

use std::fmt;

/// Length and running CRC-32 of a byte stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Digest {
    pub len: u64,
    pub crc: u32,
}

impl Digest {
    /// The digest of `bytes` alone.
    pub fn of(bytes: &[u8]) -> Digest {
        let mut d = Digest::default();
        d.update(bytes);
        d
    }

    /// Adds `bytes` to the end of the stream.
    pub fn update(&mut self, bytes: &[u8]) {
        let mut h = crc32fast::Hasher::new_with_initial_len(self.crc, self.len);
        h.update(bytes);
        self.len += bytes.len() as u64;
        self.crc = h.finalize();
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} bytes, crc32 {:08x}", self.len, self.crc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunked_updates_equal_one_update() {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let mut d = Digest::default();
        for chunk in data.chunks(777) {
            d.update(chunk);
        }
        assert_eq!(d, Digest::of(&data));
        assert_eq!(d.len, 100_000);
        assert_ne!(Digest::of(b"ab"), Digest::of(b"ba"));
        assert_eq!(Digest::of(b"123456789").crc, 0xcbf4_3926);
    }
}
