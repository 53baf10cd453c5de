//! Content as a source of bytes, never held whole: a generator (a unit of
//! bytes repeated to a length, which covers given text, the suite's
//! pattern, repeated text and zeros; or seeded pseudo-random bytes) or a
//! file on disk. A reader starts at any offset (REST) and fills buffers
//! chunk by chunk; the digest of a body is computed the same way.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::Arc;

use crate::timeline::Digest;

/// The suite's `size:` pattern: printable lines of 38 bytes.
pub const PATTERN: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz\r\n";
/// The fake client's upload pattern: the 94 printable ASCII characters, no
/// line ends (ASCII mode leaves it alone).
pub const PRINTABLE: &[u8; 94] = &{
    let mut out = [0u8; 94];
    let mut i = 0;
    while i < 94 {
        out[i] = b'!' + i as u8;
        i += 1;
    }
    out
};
/// The size of a generator's block and of a digest's reads.
const BLOCK: usize = 256 * 1024;

/// Where a file's or an upload's bytes come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// `len` bytes repeating `unit` (given bytes are their own unit).
    Cycle { unit: Arc<[u8]>, len: u64 },
    /// `len` pseudo-random bytes from `seed` (splitmix64, 8 bytes a word).
    Seeded { seed: u64, len: u64 },
    /// A file on disk, read as it is served; `len` is its size when the
    /// suite was loaded.
    File { path: PathBuf, len: u64 },
}

impl Body {
    /// Exactly these bytes.
    pub fn bytes(bytes: impl Into<Vec<u8>>) -> Body {
        let bytes: Vec<u8> = bytes.into();
        Body::Cycle {
            len: bytes.len() as u64,
            unit: bytes.into(),
        }
    }

    /// `len` bytes repeating `unit`; zeros when `unit` is empty.
    pub fn repeat(unit: &[u8], len: u64) -> Body {
        let unit: Arc<[u8]> = match unit.is_empty() {
            true => Arc::from(&[0u8][..]),
            false => unit.into(),
        };
        Body::Cycle { unit, len }
    }

    pub fn len(&self) -> u64 {
        match self {
            Body::Cycle { len, .. } | Body::Seeded { len, .. } | Body::File { len, .. } => *len,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A reader of the bytes from offset `from` on.
    pub fn reader(&self, from: u64) -> io::Result<BodyReader> {
        let pos = from.min(self.len());
        let gen = match self {
            Body::Cycle { unit, .. } => Gen::Cycle(cycle_block(unit)),
            Body::Seeded { seed, .. } => Gen::Seeded(*seed),
            Body::File { path, .. } => {
                let mut f = File::open(path)?;
                f.seek(SeekFrom::Start(pos))?;
                Gen::File(f)
            }
        };
        Ok(BodyReader {
            gen,
            pos,
            end: self.len(),
        })
    }

    /// The first `n` bytes (or all of them, when fewer).
    pub fn head(&self, n: usize) -> io::Result<Vec<u8>> {
        let mut out = vec![0u8; self.len().min(n as u64) as usize];
        let mut r = self.reader(0)?;
        let mut at = 0;
        while at < out.len() {
            match r.fill(&mut out[at..])? {
                0 => break,
                k => at += k,
            }
        }
        out.truncate(at);
        Ok(out)
    }

    /// Length and CRC-32 of the whole body (read once, chunk by chunk).
    pub fn digest(&self) -> io::Result<Digest> {
        let mut d = Digest::default();
        self.each_chunk(|chunk| {
            d.update(chunk);
            Ok(())
        })?;
        Ok(d)
    }

    /// Writes the whole body to `out`, chunk by chunk.
    pub fn write_to(&self, out: &mut impl Write) -> io::Result<()> {
        self.each_chunk(|chunk| out.write_all(chunk))
    }

    fn each_chunk(&self, mut f: impl FnMut(&[u8]) -> io::Result<()>) -> io::Result<()> {
        let mut r = self.reader(0)?;
        let mut buf = vec![0u8; BLOCK.min(self.len() as usize)];
        loop {
            match r.fill(&mut buf)? {
                0 => return Ok(()),
                n => f(&buf[..n])?,
            }
        }
    }
}

/// `unit` repeated to at least [`BLOCK`] bytes (a whole number of units),
/// so that a reader copies large runs.
fn cycle_block(unit: &[u8]) -> Arc<[u8]> {
    if unit.len() >= BLOCK || unit.is_empty() {
        return unit.into();
    }
    let times = BLOCK.div_ceil(unit.len());
    unit.repeat(times).into()
}

enum Gen {
    /// A block of whole units (see [`fill_cycle`]).
    Cycle(Arc<[u8]>),
    Seeded(u64),
    File(File),
}

/// Reads a [`Body`] from an offset, chunk by chunk.
pub struct BodyReader {
    gen: Gen,
    pos: u64,
    end: u64,
}

impl BodyReader {
    /// The offset of the next byte.
    pub fn pos(&self) -> u64 {
        self.pos
    }

    /// Bytes left to read.
    pub fn left(&self) -> u64 {
        self.end - self.pos
    }

    /// Fills the start of `buf` with the next bytes; 0 at the end.
    pub fn fill(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let want = (buf.len() as u64).min(self.left()) as usize;
        let buf = &mut buf[..want];
        let n = match &mut self.gen {
            Gen::Cycle(block) => fill_cycle(block, self.pos, buf),
            Gen::Seeded(seed) => fill_seeded(*seed, self.pos, buf),
            Gen::File(f) => f.read(buf)?,
        };
        if n == 0 && want > 0 {
            let why = "the file is shorter than when the suite was loaded";
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, why));
        }
        self.pos += n as u64;
        Ok(n)
    }
}

/// The block holds whole units, so byte `i` of the body is
/// `block[i % block.len()]`.
fn fill_cycle(block: &[u8], pos: u64, buf: &mut [u8]) -> usize {
    if block.is_empty() {
        return 0;
    }
    let mut done = 0;
    while done < buf.len() {
        let at = ((pos + done as u64) % block.len() as u64) as usize;
        let n = (block.len() - at).min(buf.len() - done);
        buf[done..done + n].copy_from_slice(&block[at..at + n]);
        done += n;
    }
    done
}

fn fill_seeded(seed: u64, pos: u64, buf: &mut [u8]) -> usize {
    for (i, b) in buf.iter_mut().enumerate() {
        let at = pos + i as u64;
        *b = splitmix64(seed ^ (at / 8).wrapping_mul(0x9E37_79B9_7F4A_7C15)).to_le_bytes()
            [(at % 8) as usize];
    }
    buf.len()
}

fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(body: &Body, from: u64, chunk: usize) -> Vec<u8> {
        let mut r = body.reader(from).unwrap();
        let mut out = Vec::new();
        let mut buf = vec![0u8; chunk];
        loop {
            match r.fill(&mut buf).unwrap() {
                0 => return out,
                n => out.extend_from_slice(&buf[..n]),
            }
        }
    }

    #[test]
    fn a_cycle_repeats_its_unit_from_any_offset() {
        let body = Body::repeat(PATTERN, 1_000_003);
        let want: Vec<u8> = (0..1_000_003u64)
            .map(|i| PATTERN[(i % 38) as usize])
            .collect();
        assert_eq!(all(&body, 0, 7), want);
        assert_eq!(all(&body, 500_001, 65536), want[500_001..]);
        assert_eq!(body.digest().unwrap(), Digest::of(&want));
        assert_eq!(body.head(5).unwrap(), b"01234");
        assert_eq!(all(&Body::bytes(&b"hi"[..]), 0, 1), b"hi");
        assert_eq!(all(&Body::repeat(b"", 3), 0, 8), [0, 0, 0]);
    }

    #[test]
    fn seeded_bytes_depend_on_the_seed_and_not_on_the_chunking() {
        let a = Body::Seeded { seed: 1, len: 4099 };
        let b = Body::Seeded { seed: 2, len: 4099 };
        assert_eq!(all(&a, 0, 3), all(&a, 0, 4096));
        assert_eq!(all(&a, 13, 5), all(&a, 0, 4096)[13..]);
        assert_ne!(all(&a, 0, 64), all(&b, 0, 64));
    }

    #[test]
    fn a_file_is_read_from_disk_and_a_short_one_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"abcdef").unwrap();
        let body = Body::File {
            path: path.clone(),
            len: 6,
        };
        assert_eq!(all(&body, 2, 3), b"cdef");
        let longer = Body::File { path, len: 9 };
        let mut r = longer.reader(0).unwrap();
        let mut buf = [0u8; 16];
        assert_eq!(r.fill(&mut buf).unwrap(), 6);
        assert!(r.fill(&mut buf).is_err());
    }
}
