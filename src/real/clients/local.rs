//! A file a client run left (a download, a listing) or was given (an
//! upload's source), read once as a stream: its length and running hash,
//! and its first bytes (a listing's text, a preview), never the whole file.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use crate::timeline::Digest;

/// How many leading bytes are kept (listings are far smaller).
const HEAD: usize = 1 << 20;

/// What the checks know of a local file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LocalFile {
    pub digest: Digest,
    /// The first [`HEAD`] bytes.
    pub head: Vec<u8>,
}

impl LocalFile {
    /// Reads the file at `path` chunk by chunk.
    pub fn read(path: &Path) -> io::Result<LocalFile> {
        let mut f = File::open(path)?;
        let mut out = LocalFile::default();
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            match f.read(&mut buf)? {
                0 => return Ok(out),
                n => out.add(&buf[..n]),
            }
        }
    }

    /// The same for bytes in memory.
    pub fn of(bytes: &[u8]) -> LocalFile {
        let mut out = LocalFile::default();
        out.add(bytes);
        out
    }

    /// Adds bytes read next (a stream read by a launch of its own).
    pub fn add(&mut self, bytes: &[u8]) {
        self.digest.update(bytes);
        let room = HEAD.saturating_sub(self.head.len()).min(bytes.len());
        self.head.extend_from_slice(&bytes[..room]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_reads_as_its_bytes_do() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let bytes: Vec<u8> = (0..(HEAD + 5000)).map(|i| i as u8).collect();
        std::fs::write(&path, &bytes).unwrap();
        let read = LocalFile::read(&path).unwrap();
        assert_eq!(read, LocalFile::of(&bytes));
        assert_eq!(read.digest, Digest::of(&bytes));
        assert_eq!(read.head, bytes[..HEAD]);
    }
}
