//! The fake server's virtual file tree: files from the case (generated or
//! on disk, never held whole), folders they imply, uploads (in memory, or
//! spilled to temporary files that live as long as the tree) and `ls -l` /
//! NLST listings.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use tempfile::TempPath;

use crate::script::{Body, VirtualFile};

/// Files and folders the fake server serves, with a current folder.
#[derive(Debug, Clone, Default)]
pub struct Vfs {
    files: BTreeMap<String, Body>,
    dirs: BTreeSet<String>,
    cwd: String,
    /// Temporary files behind spilled uploads, deleted with the tree.
    spills: Vec<Arc<TempPath>>,
}

/// One listing entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub size: u64,
    pub is_dir: bool,
}

impl Vfs {
    /// A tree holding the case's files (folders implied by their paths).
    pub fn new(files: &[VirtualFile]) -> Vfs {
        let mut vfs = Vfs::default();
        for f in files {
            vfs.put(&f.path, f.content.clone(), None);
        }
        vfs
    }

    /// Resolves `path` against the current folder: no leading `/`, no `.`,
    /// `..` removed.
    pub fn resolve(&self, path: &str) -> String {
        let mut parts: Vec<&str> = if path.starts_with('/') {
            Vec::new()
        } else {
            self.cwd.split('/').filter(|p| !p.is_empty()).collect()
        };
        for p in path.split('/') {
            match p {
                "" | "." => {}
                ".." => {
                    parts.pop();
                }
                other => parts.push(other),
            }
        }
        parts.join("/")
    }

    pub fn cwd(&self) -> String {
        format!("/{}", self.cwd)
    }

    pub fn is_dir(&self, path: &str) -> bool {
        let p = self.resolve(path);
        p.is_empty() || self.dirs.contains(&p)
    }

    pub fn get(&self, path: &str) -> Option<&Body> {
        self.files.get(&self.resolve(path))
    }

    /// Changes folder; false when `path` is not a folder.
    pub fn cd(&mut self, path: &str) -> bool {
        if !self.is_dir(path) {
            return false;
        }
        self.cwd = self.resolve(path);
        true
    }

    /// Stores a file, creating the folders its path implies; `spill` is
    /// the temporary file behind it, if any.
    pub fn put(&mut self, path: &str, content: Body, spill: Option<TempPath>) {
        let p = self.resolve(path);
        self.add_parents(&p);
        self.files.insert(p, content);
        self.spills.extend(spill.map(Arc::new));
    }

    pub fn mkdir(&mut self, path: &str) -> bool {
        let p = self.resolve(path);
        if p.is_empty() || self.files.contains_key(&p) || !self.dirs.insert(p.clone()) {
            return false;
        }
        self.add_parents(&p);
        true
    }

    pub fn remove_file(&mut self, path: &str) -> bool {
        self.files.remove(&self.resolve(path)).is_some()
    }

    pub fn remove_dir(&mut self, path: &str) -> bool {
        self.dirs.remove(&self.resolve(path))
    }

    fn add_parents(&mut self, path: &str) {
        let mut acc = String::new();
        let parts: Vec<&str> = path.split('/').collect();
        for p in &parts[..parts.len().saturating_sub(1)] {
            if !acc.is_empty() {
                acc.push('/');
            }
            acc.push_str(p);
            self.dirs.insert(acc.clone());
        }
    }

    /// Entries of a folder, or the file itself; `None` when nothing is there.
    pub fn entries(&self, path: &str) -> Option<Vec<Entry>> {
        let p = self.resolve(path);
        if let Some(content) = self.files.get(&p) {
            let name = p.rsplit('/').next().unwrap_or(&p).to_string();
            return Some(vec![Entry {
                name,
                size: content.len(),
                is_dir: false,
            }]);
        }
        if !self.is_dir(path) {
            return None;
        }
        Some(self.children(&p))
    }

    fn children(&self, dir: &str) -> Vec<Entry> {
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        let direct = |k: &String| {
            k.strip_prefix(&prefix)
                .filter(|rest| !rest.is_empty() && !rest.contains('/'))
                .map(str::to_string)
        };
        let mut out: Vec<Entry> = self
            .dirs
            .iter()
            .filter_map(direct)
            .map(|name| Entry {
                name,
                size: 4096,
                is_dir: true,
            })
            .collect();
        for (k, v) in &self.files {
            if let Some(name) = direct(k) {
                out.push(Entry {
                    name,
                    size: v.len(),
                    is_dir: false,
                });
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out
    }
}

/// `ls -l` lines (CRLF-terminated), as UNIX servers send for LIST.
pub fn ls_long(entries: &[Entry]) -> Vec<u8> {
    let mut out = String::new();
    for e in entries {
        let mode = if e.is_dir { "drwxr-xr-x" } else { "-rw-r--r--" };
        out.push_str(&format!(
            "{mode}   1 ftp      ftp      {:>10} Jan 01 00:00 {}\r\n",
            e.size, e.name
        ));
    }
    out.into_bytes()
}

/// Bare names (CRLF-terminated), as NLST sends.
pub fn names(entries: &[Entry]) -> Vec<u8> {
    entries
        .iter()
        .flat_map(|e| format!("{}\r\n", e.name).into_bytes())
        .collect()
}

/// MLSD facts lines (RFC 3659 7).
pub fn mlsd(entries: &[Entry]) -> Vec<u8> {
    entries
        .iter()
        .flat_map(|e| {
            let kind = if e.is_dir { "dir" } else { "file" };
            format!("type={kind};size={}; {}\r\n", e.size, e.name).into_bytes()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vf(path: &str, c: &str) -> VirtualFile {
        VirtualFile {
            path: path.into(),
            content: Body::bytes(c.as_bytes()),
        }
    }

    #[test]
    fn folders_are_implied_and_entries_sorted_by_name() {
        let v = Vfs::new(&[vf("b.txt", "xy"), vf("dir/a.txt", "z")]);
        let names: Vec<_> = v
            .entries("/")
            .unwrap()
            .into_iter()
            .map(|e| e.name)
            .collect();
        assert_eq!(names, vec!["b.txt", "dir"]);
        assert!(v.is_dir("dir"));
        assert_eq!(v.entries("dir/a.txt").unwrap()[0].size, 1);
        assert!(v.entries("nope").is_none());
    }

    #[test]
    fn cd_resolves_relative_paths() {
        let mut v = Vfs::new(&[vf("dir/a.txt", "z")]);
        assert!(v.cd("dir"));
        assert_eq!(v.get("a.txt"), Some(&Body::bytes(&b"z"[..])));
        assert_eq!(v.get("../dir/./a.txt"), Some(&Body::bytes(&b"z"[..])));
        assert!(!v.cd("a.txt"));
        assert_eq!(v.cwd(), "/dir");
    }

    #[test]
    fn ls_long_has_size_and_name() {
        let line = ls_long(&[Entry {
            name: "f".into(),
            size: 12,
            is_dir: false,
        }]);
        let s = String::from_utf8(line).unwrap();
        assert!(s.starts_with("-rw-r--r--") && s.ends_with(" 12 Jan 01 00:00 f\r\n"));
    }
}
