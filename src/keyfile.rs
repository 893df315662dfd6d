//! Key files: written atomically, secret ones with mode 0600, never replaced unless asked;
//! secret key files open to group or others are refused, as OpenSSH refuses them.
//!
//! Writing: a temporary file in the same directory (created exclusively, mode 0600 for
//! secrets), written and `fsync`ed, then hard-linked to the final name (which fails if the
//! name exists: [`SaveMode::CreateNew`]) or renamed over it ([`SaveMode::Replace`]), then
//! the directory is `fsync`ed. A crash leaves either the old file or the new one, never a
//! half-written key; the temporary file is removed on every error path.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::string::{String, ToString};
use std::vec::Vec;
use std::{format, vec};

use zeroize::Zeroizing;

use crate::error::Error;
use crate::key_text::SECRET_TEXT_PREFIX;
use crate::{PublicKey, SigningKey};

/// Key files longer than this are refused unread (a PEM Ed25519 key is 119 bytes).
const MAX_KEY_FILE_LEN: usize = 64 * 1024;

/// What saving does when the file already exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveMode {
    /// Refuse with [`Error::KeyFileExists`]; the existing file is untouched. The safe
    /// default for secret keys: a lost secret key cannot be recovered.
    CreateNew,
    /// Replace the existing file atomically.
    Replace,
}

fn io_error(action: &'static str, path: &Path, e: &io::Error) -> Error {
    Error::Io {
        action,
        path: path.display().to_string(),
        kind: e.kind(),
        detail: e.to_string(),
    }
}

/// Removes the temporary file unless it was renamed into place.
struct TempFile {
    path: PathBuf,
    keep: bool,
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.keep {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Creates a new, empty temporary file next to `path` with `mode` (Unix).
fn create_temp(dir: &Path, name: &str, mode: u32) -> Result<(TempFile, File), Error> {
    let mut last = None;
    for _ in 0..8 {
        let mut nonce = [0u8; 8];
        getrandom::fill(&mut nonce).map_err(|_| Error::RandomnessUnavailable)?;
        let hex: String = nonce.iter().map(|b| format!("{b:02x}")).collect();
        let path = dir.join(format!(".{name}.{hex}.tmp"));
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
        #[cfg(not(unix))]
        let _ = mode;
        match options.open(&path) {
            Ok(file) => return Ok((TempFile { path, keep: false }, file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(io_error("create a file in", dir, &e)),
        }
    }
    let e = last.unwrap_or_else(|| io::Error::from(io::ErrorKind::AlreadyExists));
    Err(io_error("create a file in", dir, &e))
}

/// Writes `contents` to `path` atomically; see the module documentation. `mode` is the
/// permission mode of a new file (Unix), applied exactly when `exact_mode` (secret files)
/// and through the umask otherwise.
fn write_atomically(
    path: &Path,
    contents: &[u8],
    save: SaveMode,
    mode: u32,
    exact_mode: bool,
) -> Result<(), Error> {
    let name = path.file_name().and_then(|n| n.to_str()).ok_or_else(|| {
        io_error(
            "write",
            path,
            &io::Error::new(io::ErrorKind::InvalidInput, "not a file name"),
        )
    })?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if save == SaveMode::CreateNew && fs::symlink_metadata(path).is_ok() {
        return Err(Error::KeyFileExists {
            path: path.display().to_string(),
        });
    }
    let (mut temp, mut file) = create_temp(dir, name, mode)?;
    let written = (|| {
        #[cfg(unix)]
        if exact_mode {
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(fs::Permissions::from_mode(mode))?;
        }
        #[cfg(not(unix))]
        let _ = exact_mode;
        file.write_all(contents)?;
        file.sync_all()
    })();
    drop(file);
    written.map_err(|e| io_error("write", &temp.path, &e))?;
    match save {
        SaveMode::Replace => {
            fs::rename(&temp.path, path).map_err(|e| io_error("write", path, &e))?;
            temp.keep = true;
        }
        SaveMode::CreateNew => match fs::hard_link(&temp.path, path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                return Err(Error::KeyFileExists {
                    path: path.display().to_string(),
                });
            }
            // A file system without hard links: check, then rename (two steps, so a file
            // created in between by another process would be replaced).
            Err(_) => {
                if fs::symlink_metadata(path).is_ok() {
                    return Err(Error::KeyFileExists {
                        path: path.display().to_string(),
                    });
                }
                fs::rename(&temp.path, path).map_err(|e| io_error("write", path, &e))?;
                temp.keep = true;
            }
        },
    }
    drop(temp);
    sync_dir(dir)
}

/// Makes the new directory entry durable.
fn sync_dir(dir: &Path) -> Result<(), Error> {
    #[cfg(unix)]
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io_error("sync directory", dir, &e))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Opens a file for reading, refusing first (without opening it) a FIFO or socket, which
/// would block the reader until someone writes to it, and a directory.
fn open_for_reading(path: &Path) -> Result<File, Error> {
    if let Ok(meta) = fs::metadata(path) {
        let t = meta.file_type();
        #[cfg(unix)]
        let special = {
            use std::os::unix::fs::FileTypeExt;
            t.is_fifo() || t.is_socket()
        };
        #[cfg(not(unix))]
        let special = false;
        if special || t.is_dir() {
            let e = io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a regular file (a FIFO, socket or directory)",
            );
            return Err(io_error("read", path, &e));
        }
    }
    File::open(path).map_err(|e| io_error("read", path, &e))
}

/// Reads a whole file of at most [`MAX_KEY_FILE_LEN`] bytes into a zeroized buffer of
/// fixed size (so no reallocation leaves a copy behind). With `secret`, refuses a file
/// that group or others may access.
fn read_key_file(path: &Path, secret: bool) -> Result<Zeroizing<Vec<u8>>, Error> {
    let mut file = open_for_reading(path)?;
    let meta = file.metadata().map_err(|e| io_error("read", path, &e))?;
    if !meta.is_file() {
        let e = io::Error::new(io::ErrorKind::InvalidInput, "not a regular file");
        return Err(io_error("read", path, &e));
    }
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o7777;
        if mode & 0o077 != 0 {
            return Err(Error::InsecurePermissions {
                path: path.display().to_string(),
                mode,
            });
        }
    }
    #[cfg(not(unix))]
    let _ = secret;
    let mut buf = Zeroizing::new(vec![0u8; MAX_KEY_FILE_LEN + 1]);
    let mut len = 0;
    while let Some(room) = buf.get_mut(len..).filter(|r| !r.is_empty()) {
        match file.read(room) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io_error("read", path, &e)),
        }
    }
    if len > MAX_KEY_FILE_LEN {
        let e = io::Error::new(io::ErrorKind::InvalidData, "too large to be a key file");
        return Err(io_error("read", path, &e));
    }
    buf.truncate(len);
    Ok(buf)
}

fn utf8<'a>(path: &Path, bytes: &'a [u8]) -> Result<&'a str, Error> {
    core::str::from_utf8(bytes).map_err(|_| {
        let e = io::Error::new(io::ErrorKind::InvalidData, "not a text file");
        io_error("read", path, &e)
    })
}

/// Writes `contents` to `path` atomically, as keyseal writes its own files: a temporary file
/// in the same directory, written and `fsync`ed, then moved into place and the directory
/// `fsync`ed. Readers (a web server publishing the file, an edge reloading it) see the old
/// contents or the new, never a mix; on any error the old file is untouched and no
/// temporary file is left. Mode 0644 less the umask, for public data such as signed
/// revocation lists; secret keys have their own savers, with mode 0600.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use keyseal::{Error, SaveMode, write_file_atomically};
///
/// let dir = std::env::temp_dir().join(format!("keyseal-doc-write-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("revoked.bin");
/// write_file_atomically(&path, b"first", SaveMode::CreateNew)?;
/// write_file_atomically(&path, b"second", SaveMode::Replace)?;
/// assert_eq!(std::fs::read(&path)?, b"second");
/// assert!(matches!(
///     write_file_atomically(&path, b"third", SaveMode::CreateNew),
///     Err(Error::KeyFileExists { .. })
/// ));
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok(()) }
/// ```
///
/// # Errors
/// [`Error::KeyFileExists`] if the file exists and `mode` is [`SaveMode::CreateNew`];
/// [`Error::Io`] if the file cannot be written.
pub fn write_file_atomically(
    path: impl AsRef<Path>,
    contents: &[u8],
    mode: SaveMode,
) -> Result<(), Error> {
    write_atomically(path.as_ref(), contents, mode, 0o644, false)
}

impl SigningKey {
    /// Saves the key to `path` as PKCS#8 PEM (what `openssl genpkey` writes), atomically and
    /// with mode 0600.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use keyseal::{Error, SaveMode, SigningKey};
    ///
    /// let dir = std::env::temp_dir().join(format!("keyseal-doc-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("signing.pem");
    /// let key = SigningKey::generate()?;
    /// key.save_pem_file(&path, SaveMode::CreateNew)?;
    /// assert_eq!(SigningKey::load_file(&path)?.key_id(), key.key_id());
    /// // Never replaced by accident.
    /// let other = SigningKey::generate()?;
    /// assert!(matches!(
    ///     other.save_pem_file(&path, SaveMode::CreateNew),
    ///     Err(Error::KeyFileExists { .. })
    /// ));
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::KeyFileExists`] if the file exists and `mode` is [`SaveMode::CreateNew`];
    /// [`Error::Io`] if the file cannot be written.
    pub fn save_pem_file(&self, path: impl AsRef<Path>, mode: SaveMode) -> Result<(), Error> {
        let pem = self.to_pkcs8_pem();
        write_atomically(
            path.as_ref(),
            pem.expose_secret().as_bytes(),
            mode,
            0o600,
            true,
        )
    }

    /// Saves the key to `path` in the compact text form ([`SigningKey::to_text`], with a
    /// final newline), atomically and with mode 0600. [`SigningKey::load_file`] reads it back.
    ///
    /// # Errors
    /// [`Error::KeyFileExists`] if the file exists and `mode` is [`SaveMode::CreateNew`];
    /// [`Error::Io`] if the file cannot be written.
    pub fn save_text_file(&self, path: impl AsRef<Path>, mode: SaveMode) -> Result<(), Error> {
        let text = self.to_text();
        let secret = text.expose_secret();
        let mut contents = Zeroizing::new(Vec::with_capacity(secret.len() + 1));
        contents.extend_from_slice(secret.as_bytes());
        contents.push(b'\n');
        write_atomically(path.as_ref(), &contents, mode, 0o600, true)
    }

    /// Loads a secret key file: PKCS#8 PEM (as written by [`SigningKey::save_pem_file`] or
    /// `openssl genpkey -algorithm ed25519`) or the compact text form
    /// (`keyseal-secret-v1_…`), told apart by their first characters.
    ///
    /// On Unix, a file that group or others may read, write or execute is refused without
    /// being read (`chmod 600` it, or `0400`).
    ///
    /// # Errors
    /// [`Error::InsecurePermissions`], [`Error::Io`] (missing, not a regular file, too
    /// large, not text), or [`Error::KeyMaterial`] for the contents.
    pub fn load_file(path: impl AsRef<Path>) -> Result<SigningKey, Error> {
        let path = path.as_ref();
        let bytes = read_key_file(path, true)?;
        let text = utf8(path, &bytes)?;
        if text.trim_start().starts_with(SECRET_TEXT_PREFIX) {
            SigningKey::from_text(text)
        } else {
            SigningKey::from_pkcs8_pem(text)
        }
    }
}

impl PublicKey {
    /// Saves the key to `path` as SubjectPublicKeyInfo PEM (what `openssl pkey -pubout`
    /// writes), atomically, with mode 0644 less the umask.
    ///
    /// # Errors
    /// [`Error::KeyFileExists`] if the file exists and `mode` is [`SaveMode::CreateNew`];
    /// [`Error::Io`] if the file cannot be written.
    pub fn save_pem_file(&self, path: impl AsRef<Path>, mode: SaveMode) -> Result<(), Error> {
        write_atomically(
            path.as_ref(),
            self.to_spki_pem().as_bytes(),
            mode,
            0o644,
            false,
        )
    }

    /// Loads a SubjectPublicKeyInfo PEM file.
    ///
    /// # Errors
    /// [`Error::Io`] or [`Error::KeyMaterial`]; [`Error::InvalidPublicKey`] for a
    /// non-canonical or weak key.
    pub fn load_pem_file(path: impl AsRef<Path>) -> Result<PublicKey, Error> {
        let path = path.as_ref();
        let bytes = read_key_file(path, false)?;
        PublicKey::from_spki_pem(utf8(path, &bytes)?)
    }
}

#[cfg(feature = "json")]
impl crate::Keyring {
    /// Saves the keyring document ([`Keyring::to_json`](crate::Keyring::to_json)) to `path`
    /// atomically, so that a server publishing the file never serves half of it. Mode 0644
    /// less the umask.
    ///
    /// # Errors
    /// [`Error::KeyFileExists`] if the file exists and `mode` is [`SaveMode::CreateNew`];
    /// [`Error::Io`] if the file cannot be written.
    pub fn save_json_file(&self, path: impl AsRef<Path>, mode: SaveMode) -> Result<(), Error> {
        write_atomically(path.as_ref(), self.to_json().as_bytes(), mode, 0o644, false)
    }

    /// Loads a keyring document file. A FIFO or socket is refused without being opened
    /// (reading it could block forever).
    ///
    /// # Errors
    /// [`Error::Io`] or [`Error::KeyringDocument`].
    pub fn load_json_file(path: impl AsRef<Path>) -> Result<crate::Keyring, Error> {
        let path = path.as_ref();
        let file = open_for_reading(path)?;
        // Reads one byte past the limit at most: enough to know the file is too large.
        let limit = u64::try_from(crate::MAX_KEYRING_DOCUMENT_LEN).unwrap_or(u64::MAX);
        let mut bytes = Vec::new();
        file.take(limit.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|e| io_error("read", path, &e))?;
        if bytes.len() > crate::MAX_KEYRING_DOCUMENT_LEN {
            // The whole file's length, for the message; for a device or pipe (whose length
            // is 0) what was read.
            let read = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
            let len = fs::metadata(path).map_or(read, |m| m.len().max(read));
            return Err(crate::keyring_doc::too_large(
                usize::try_from(len).unwrap_or(usize::MAX),
            ));
        }
        crate::Keyring::from_json(utf8(path, &bytes)?)
    }
}

#[cfg(all(test, unix))]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    /// A FIFO is refused without being opened: opening it to read would wait for a writer.
    #[test]
    fn a_fifo_is_refused_instead_of_blocking() {
        let dir = std::env::temp_dir().join(format!("keyseal-fifo-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let fifo = dir.join("fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        // Should a reader block anyway, this writer unblocks it after a while (bounded).
        let unblock = fifo.clone();
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_secs(5));
            let _ = OpenOptions::new().write(true).open(unblock);
        });
        let started = std::time::Instant::now();
        let err = SigningKey::load_file(&fifo).unwrap_err();
        assert!(err.to_string().contains("not a regular file"), "{err}");
        #[cfg(feature = "json")]
        {
            let err = crate::Keyring::load_json_file(&fifo).unwrap_err();
            assert!(err.to_string().contains("not a regular file"), "{err}");
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(4));
        fs::remove_dir_all(&dir).unwrap();
    }
}
