//! The files every server under test serves, so that suites can rely on them.
//!
//! ```text
//! ROOT/            0755 (vsftpd refuses anonymous logins on a writable root)
//!   hello.txt      "Hello, FTP!\n"
//!   big.bin        1 MiB, deterministic pattern (see [`big_bin`])
//!   sub/           0755
//!     nested.txt   "nested\n"
//!   upload/        0777, the place for STOR, MKD, DELE ...
//!   large/         0755
//!     huge.bin     4 GiB + 16 bytes, sparse (see [`write_huge`])
//! ```

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use super::error::StartError;

pub const HELLO_NAME: &str = "hello.txt";
pub const HELLO: &[u8] = b"Hello, FTP!\n";
pub const BIG_NAME: &str = "big.bin";
pub const BIG_LEN: usize = 1 << 20;
pub const SUB_DIR: &str = "sub";
pub const NESTED_NAME: &str = "sub/nested.txt";
pub const NESTED: &[u8] = b"nested\n";
pub const UPLOAD_DIR: &str = "upload";
pub const LARGE_DIR: &str = "large";
pub const HUGE_NAME: &str = "large/huge.bin";
/// Past 2^32, where a 32-bit size or offset wraps.
pub const HUGE_LEN: u64 = (1 << 32) + 16;
/// The first 16 bytes of `huge.bin`.
pub const HUGE_HEAD: &[u8; 16] = b"ftpconform<4GiB\n";
/// The last 16 bytes of `huge.bin`, at offset 2^32.
pub const HUGE_TAIL: &[u8; 16] = b"ftpconform>4GiB\n";

/// The content of `big.bin`: byte `i` is `(i * 7 + i / 251) % 256`, so that
/// a shifted, truncated or repeated block does not compare equal.
pub fn big_bin() -> Vec<u8> {
    (0..BIG_LEN)
        .map(|i| ((i * 7 + i / 251) % 256) as u8)
        .collect()
}

/// Creates the seed tree in `root` (which may already exist).
pub fn seed_root(root: &Path) -> Result<(), StartError> {
    make_dir(root, 0o755)?;
    write(&root.join(HELLO_NAME), HELLO)?;
    write(&root.join(BIG_NAME), &big_bin())?;
    make_dir(&root.join(SUB_DIR), 0o755)?;
    write(&root.join(NESTED_NAME), NESTED)?;
    make_dir(&root.join(LARGE_DIR), 0o755)?;
    write_huge(&root.join(HUGE_NAME))?;
    make_dir(&root.join(UPLOAD_DIR), 0o777)
}

/// `huge.bin`: [`HUGE_HEAD`], zeros, and [`HUGE_TAIL`] at offset 2^32, as
/// a sparse file (a few KiB on disk): a server that cuts an offset or a
/// size to 32 bits serves the head where the tail was asked for.
pub fn write_huge(path: &Path) -> Result<(), StartError> {
    use std::io::{Seek, SeekFrom, Write};
    let what = format!("write {}", path.display());
    let e = || StartError::io(what.clone());
    let mut f = fs::File::create(path).map_err(e())?;
    f.write_all(HUGE_HEAD).map_err(e())?;
    let tail_at = HUGE_LEN - HUGE_TAIL.len() as u64;
    f.seek(SeekFrom::Start(tail_at)).map_err(e())?;
    f.write_all(HUGE_TAIL).map_err(e())?;
    drop(f);
    fs::set_permissions(path, fs::Permissions::from_mode(0o644)).map_err(e())
}

/// Creates `dir` (and parents) and sets its mode, ignoring the umask.
pub fn make_dir(dir: &Path, mode: u32) -> Result<(), StartError> {
    let what = || format!("create {}", dir.display());
    fs::create_dir_all(dir).map_err(StartError::io(what()))?;
    fs::set_permissions(dir, fs::Permissions::from_mode(mode)).map_err(StartError::io(what()))
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), StartError> {
    let what = format!("write {}", path.display());
    fs::write(path, bytes).map_err(StartError::io(what.clone()))?;
    fs::set_permissions(path, fs::Permissions::from_mode(0o644)).map_err(StartError::io(what))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_expected_tree() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("root");
        seed_root(&root).expect("seed");
        assert_eq!(fs::read(root.join(HELLO_NAME)).expect("hello"), HELLO);
        assert_eq!(fs::read(root.join(BIG_NAME)).expect("big"), big_bin());
        let huge = fs::metadata(root.join(HUGE_NAME)).expect("huge");
        assert_eq!(huge.len(), HUGE_LEN);
        // Sparse: far less on disk than its length.
        use std::os::unix::fs::MetadataExt;
        assert!(huge.blocks() * 512 < 1 << 20, "{} blocks", huge.blocks());
        assert_eq!(fs::read(root.join(NESTED_NAME)).expect("nested"), NESTED);
        let mode = fs::metadata(root.join(UPLOAD_DIR))
            .expect("upload")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o777);
    }

    #[test]
    fn big_bin_is_not_periodic_in_256() {
        let big = big_bin();
        assert_eq!(big.len(), BIG_LEN);
        assert_ne!(big[..256], big[256..512]);
    }
}
