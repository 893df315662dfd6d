//! The files the commands read and change: what may be read, how a shared document is
//! locked while it is changed, symlinks written through to their target, temporary files
//! left by a killed run, and secret files written with mode 0600.
//!
//! **Locking.** Every read-change-write of a shared document (`keyring add|promote|retire|
//! set-validity`, `revoke`) holds an exclusive OS lock on the document itself (`flock` on
//! Unix, `LockFileEx` on Windows, through `fs4`) from before it reads the document until
//! the new one is in place. The kernel releases the lock when the process ends, however it
//! ends, so a killed run never leaves a lock behind. The document is replaced by renaming a
//! new file over it, so a run that waited re-opens the file after getting the lock and
//! starts again if the file it locked is no longer the one at the path.
//!
//! **Symlinks.** A keyring or list given as a symlink is written through: the change goes
//! to the file the link points to (often the published copy), and the link stays.
//!
//! **Temporary files.** keyseal writes `.NAME.<16 hex digits>.tmp` next to `NAME` and moves
//! it into place. A run killed in between leaves it behind (it may hold a whole secret key):
//! the next run that writes `NAME` removes it, under the document lock for shared documents,
//! once it is [`STALE_TEMPORARY_AGE`] old. Not every writer of those names takes the lock
//! (the signing service's `--publish-dir` writes through the library without it), so a
//! younger temporary may be a write at work and is left alone.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use crate::exit::{Exit, Failure};
use crate::output;

/// How long a keyring change waits for another keyseal run that holds the document's lock.
pub(crate) const KEYRING_LOCK_WAIT: Duration = Duration::from_secs(10);

/// Refuses a path that would block a reader forever (a FIFO, a socket) or cannot be read
/// as a file (a directory), before it is opened. A missing file is left to the reader,
/// whose message names it. Character devices (`/dev/zero`) are read with a size limit.
pub(crate) fn check_readable(path: &Path, what: &str) -> Result<(), Failure> {
    let Ok(meta) = fs::metadata(path) else {
        return Ok(());
    };
    let kind = if meta.is_dir() {
        Some("a directory")
    } else {
        special_kind(&meta)
    };
    match kind {
        Some(kind) => Err(Failure::other(
            Exit::Invalid,
            "not_a_file",
            format!(
                "{} is {kind}, not a file: give {what} as a regular file (keyseal does not wait on pipes)",
                output::path(path)
            ),
        )),
        None => Ok(()),
    }
}

#[cfg(unix)]
fn special_kind(meta: &fs::Metadata) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_fifo() {
        Some("a FIFO (named pipe)")
    } else if t.is_socket() {
        Some("a socket")
    } else {
        None
    }
}

#[cfg(not(unix))]
fn special_kind(_meta: &fs::Metadata) -> Option<&'static str> {
    None
}

/// The file a document path names: the target of a symlink (so that a change is written
/// through to it), or the path itself.
pub(crate) fn write_target(path: &Path) -> Result<PathBuf, Failure> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => fs::canonicalize(path).map_err(|e| {
            Failure::io(
                "follow the symlink",
                format_args!("{} (keyseal writes through symlinks)", output::path(path)),
                &e,
            )
        }),
        _ => Ok(path.to_path_buf()),
    }
}

/// An exclusive lock on a document, held until dropped (or the process ends).
pub(crate) struct DocumentLock {
    _file: File,
}

impl DocumentLock {
    /// Locks the document at `path` (which must exist), waiting up to `wait` for another
    /// holder.
    pub(crate) fn acquire(path: &Path, wait: Duration) -> Result<DocumentLock, Failure> {
        let start = Instant::now();
        loop {
            check_readable(path, "the document")?;
            let file = File::open(path).map_err(|e| Failure::io("open", output::path(path), &e))?;
            match fs4::FileExt::try_lock(&file) {
                Ok(()) => {
                    if same_file(&file, path) {
                        return Ok(DocumentLock { _file: file });
                    }
                    // Replaced while we waited: lock the new file.
                }
                Err(fs4::TryLockError::WouldBlock) => {
                    if start.elapsed() >= wait {
                        return Err(Failure::other(
                            Exit::Refused,
                            "document_locked",
                            format!(
                                "another keyseal run is changing {} (waited {} s; nothing written): run the command again",
                                output::path(path),
                                wait.as_secs()
                            ),
                        ));
                    }
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(fs4::TryLockError::Error(e)) => {
                    return Err(Failure::io("lock", output::path(path), &e));
                }
            }
        }
    }
}

/// Whether the open `file` is still the file at `path`.
#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_file: &File, path: &Path) -> bool {
    // Windows does not rename over an open file, so the file cannot have been replaced.
    path.exists()
}

/// Whether `candidate` is the name of a temporary file keyseal writes for `name`:
/// `.NAME.<16 lowercase hex digits>.tmp`.
pub(crate) fn is_temporary_for(candidate: &str, name: &str) -> bool {
    candidate
        .strip_prefix('.')
        .and_then(|rest| rest.strip_prefix(name))
        .and_then(|rest| rest.strip_prefix('.'))
        .and_then(|rest| rest.strip_suffix(".tmp"))
        .is_some_and(|hex| {
            hex.len() == 16 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        })
}

/// How old a temporary file must be before it is taken for one a killed run left. The
/// document lock keeps other keyseal runs out, but not every writer takes it: a signing
/// service publishing into the same folder (`keyseal-server --publish-dir`) writes the same
/// `.NAME.<hex>.tmp` names through the library without the lock. A live writer finishes a
/// temporary in seconds (the largest document is a 128 MiB list), so one unchanged for this
/// long has no writer left.
pub(crate) const STALE_TEMPORARY_AGE: Duration = Duration::from_secs(10 * 60);

/// Whether a temporary file last modified at `modified` is stale at `now`: unchanged for
/// at least [`STALE_TEMPORARY_AGE`]. A time in the future (a clock step) is not stale.
fn is_stale(modified: SystemTime, now: SystemTime) -> bool {
    now.duration_since(modified)
        .is_ok_and(|age| age >= STALE_TEMPORARY_AGE)
}

/// Removes the temporary files a killed run left next to `target`, with a note for each:
/// those unchanged for [`STALE_TEMPORARY_AGE`]. A younger one may belong to a writer at
/// work that does not take keyseal's lock, so it is left, with a note. Call it while holding
/// the document's lock (or, for a file being created, before creating it): no other keyseal
/// run is writing `target` then.
pub(crate) fn remove_stale_temporaries(target: &Path) {
    let Some(name) = target.file_name().and_then(|n| n.to_str()) else {
        return;
    };
    let parent = target.parent().filter(|p| !p.as_os_str().is_empty());
    let dir = parent.unwrap_or(Path::new("."));
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(candidate) = file_name.to_str() else {
            continue;
        };
        if !is_temporary_for(candidate, name) || !entry.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        let path = parent.map_or_else(|| PathBuf::from(candidate), |p| p.join(candidate));
        let modified = entry.metadata().and_then(|m| m.modified());
        if !modified.is_ok_and(|m| is_stale(m, SystemTime::now())) {
            output::note(format_args!(
                "left {}, a temporary file changed less than {} minutes ago: another program may be writing {} now (it is removed once it is older)",
                output::path(&path),
                STALE_TEMPORARY_AGE.as_secs() / 60,
                output::path(target)
            ));
            continue;
        }
        match fs::remove_file(&path) {
            Ok(()) => output::note(format_args!(
                "removed {}, a temporary file left by an interrupted keyseal run",
                output::path(&path)
            )),
            Err(e) => output::note(format_args!(
                "warning: cannot remove {}, a temporary file left by an interrupted keyseal run (it may hold a secret): {e}",
                output::path(&path)
            )),
        }
    }
}

/// Refuses a secret key file that is not owned by the user running keyseal, or that has
/// the set-user-id, set-group-id or sticky bit, as OpenSSH refuses such files: someone else
/// controls it. (Permissions open to group or others are refused by the library.)
#[cfg(unix)]
pub(crate) fn check_secret_file_owner(path: &Path) -> Result<(), Failure> {
    use std::os::unix::fs::MetadataExt;
    let Ok(meta) = fs::metadata(path) else {
        return Ok(()); // the loader reports a missing file
    };
    let euid = rustix::process::geteuid().as_raw();
    if meta.uid() != euid {
        return Err(Failure::other(
            Exit::Refused,
            "insecure_owner",
            format!(
                "secret key file {} is owned by user id {}, not by you (user id {euid}): keyseal refuses it, as OpenSSH does (chown it, or use your own copy)",
                output::path(path),
                meta.uid()
            ),
        ));
    }
    let special = meta.mode() & 0o7000;
    if special != 0 {
        return Err(Failure::other(
            Exit::Refused,
            "insecure_permissions",
            format!(
                "secret key file {} has the set-user-id, set-group-id or sticky bit (mode {:04o}): keyseal refuses it (run: chmod 600 {})",
                output::path(path),
                meta.mode() & 0o7777,
                output::path(path)
            ),
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
pub(crate) fn check_secret_file_owner(_path: &Path) -> Result<(), Failure> {
    Ok(())
}

/// Whether an existing file may be replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Overwrite {
    /// Refuse an existing file.
    Never,
    /// Replace it atomically.
    Allowed,
}

/// Writes a secret (an API key) to `path` with mode 0600, atomically: a temporary file
/// created with mode 0600, written and synced, then linked (new file) or renamed (replace)
/// into place. The temporary file is removed on every error path.
pub(crate) fn write_secret(
    path: &Path,
    contents: &[u8],
    overwrite: Overwrite,
) -> Result<(), Failure> {
    let exists = || {
        Failure::other(
            Exit::Refused,
            "key_file_exists",
            format!(
                "{} already exists; keyseal does not replace it (pass --force to replace it)",
                output::path(path)
            ),
        )
    };
    if overwrite == Overwrite::Never && fs::symlink_metadata(path).is_ok() {
        return Err(exists());
    }
    let name = path.file_name().and_then(|n| n.to_str()).ok_or_else(|| {
        Failure::other(
            Exit::Usage,
            "usage",
            format!("{} is not a file name", output::path(path)),
        )
    })?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    remove_stale_temporaries(path);
    let temp = Temporary(dir.join(format!(".{name}.{}.tmp", nonce()?)));
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options.open(&temp.0).and_then(|mut file| {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(fs::Permissions::from_mode(0o600))?;
        }
        file.write_all(contents)?;
        file.sync_all()
    });
    written.map_err(|e| Failure::io("write", output::path(&temp.0), &e))?;
    let placed = match overwrite {
        Overwrite::Allowed => fs::rename(&temp.0, path),
        Overwrite::Never => fs::hard_link(&temp.0, path),
    };
    match placed {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(exists()),
        Err(e) => Err(Failure::io("write", output::path(path), &e)),
    }
}

/// Removed when dropped (after a rename there is nothing left to remove).
struct Temporary(PathBuf);

impl Drop for Temporary {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

/// 16 hex digits from the process id, the time and a counter: unique enough for a file
/// created exclusively (a clash is an error, never an overwrite).
fn nonce() -> Result<String, Failure> {
    use std::sync::atomic::{AtomicU32, Ordering};
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|_| Failure::other(Exit::Io, "no_clock", "the system clock is before 1970"))?
        .subsec_nanos();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    Ok(format!(
        "{:08x}{:08x}",
        std::process::id(),
        nanos ^ n.rotate_left(24)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_names_are_recognised_exactly() {
        assert!(is_temporary_for(
            ".signing.pem.0123456789abcdef.tmp",
            "signing.pem"
        ));
        for other in [
            "signing.pem",
            ".signing.pem.tmp",
            ".signing.pem.0123456789ABCDEF.tmp",
            ".signing.pem.0123456789abcde.tmp",
            ".other.pem.0123456789abcdef.tmp",
            ".signing.pem.0123456789abcdef.tmp.bak",
        ] {
            assert!(!is_temporary_for(other, "signing.pem"), "{other}");
        }
    }

    #[test]
    fn only_temporaries_unchanged_for_the_whole_age_are_stale() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        assert!(is_stale(now - STALE_TEMPORARY_AGE, now));
        assert!(is_stale(now - 2 * STALE_TEMPORARY_AGE, now));
        assert!(!is_stale(
            now - STALE_TEMPORARY_AGE + Duration::from_secs(1),
            now
        ));
        assert!(!is_stale(now, now));
        assert!(!is_stale(now + Duration::from_secs(60), now));
        assert_eq!(STALE_TEMPORARY_AGE, Duration::from_secs(600));
    }
}
