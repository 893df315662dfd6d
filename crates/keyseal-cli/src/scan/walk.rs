//! Which files of a directory are scanned: those ripgrep would search (`.gitignore`,
//! `.ignore` and `.git/info/exclude` respected, also outside a git repository; `.git`
//! skipped; hidden files included), plus, in a git work tree, every file git tracks there.
//! An ignore file decides what git adds, not what is in the repository: a file added with
//! `git add -f`, or a committed `.ignore` holding `*`, would otherwise hide tracked files
//! (and the keys in them) from the scan.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The regular files to scan under `root`, each with the name to show, in name order.
/// `strip_dot` drops the `./` of the default root from the names. Problems met while
/// walking go to `warn`.
pub(super) fn files(
    root: &Path,
    no_ignore: bool,
    strip_dot: bool,
    warn: &mut dyn FnMut(String),
) -> Vec<(PathBuf, String)> {
    let mut found = BTreeMap::new();
    let mut add = |path: PathBuf| {
        let shown = match path.strip_prefix(".") {
            Ok(rest) if strip_dot && !rest.as_os_str().is_empty() => rest.to_path_buf(),
            _ => path.clone(),
        };
        found.insert(shown.display().to_string(), path);
    };
    let mut builder = ignore::WalkBuilder::new(root);
    builder
        .standard_filters(!no_ignore)
        .hidden(false)
        .require_git(false)
        .follow_links(false)
        .filter_entry(|e| !(e.file_name() == ".git" && e.file_type().is_some_and(|t| t.is_dir())));
    for entry in builder.build() {
        match entry {
            Ok(e) if e.file_type().is_some_and(|t| t.is_file()) => add(e.into_path()),
            Ok(_) => {}
            Err(e) => warn(e.to_string()),
        }
    }
    for path in tracked(root) {
        if std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_file()) {
            add(path);
        }
    }
    found.into_iter().map(|(name, path)| (path, name)).collect()
}

/// The files git tracks under `root` (paths joined to `root`), or none when `root` is not
/// in a git work tree or git is not installed.
fn tracked(root: &Path) -> Vec<PathBuf> {
    let output = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["ls-files", "-z", "--cached", "--", "."])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output();
    let Ok(output) = output else {
        return Vec::new();
    };
    if !output.status.success() {
        return Vec::new();
    }
    output
        .stdout
        .split(|&b| b == 0)
        .filter(|p| !p.is_empty())
        .filter_map(|p| std::str::from_utf8(p).ok())
        .map(|p| root.join(p))
        .collect()
}
