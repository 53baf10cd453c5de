//! The files every server under test serves, so that suites can rely on them.
//!
//! ```text
//! ROOT/            0755 (vsftpd refuses anonymous logins on a writable root)
//!   hello.txt      "Hello, FTP!\n"
//!   big.bin        1 MiB, deterministic pattern (see [`big_bin`])
//!   sub/           0755
//!     nested.txt   "nested\n"
//!   upload/        0777, the place for STOR, MKD, DELE ...
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
    make_dir(&root.join(UPLOAD_DIR), 0o777)
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
