//! `keyseal scan`: find keyseal API keys and secret signing keys in files, directories or
//! standard input, and say which are live.
//!
//! API key candidates are found whatever characters surround them and confirmed by their
//! checksums ([`find`], FORMAT.md §1.11), so a look-alike string is never reported; secret
//! keys are found as `keyseal-secret-v1_` text (checksummed too) and as PEM private key
//! blocks ([`pem`]). Keys are only ever shown redacted. Files are read line by line (lines
//! longer than [`CHUNK`] are searched in overlapping pieces), so memory stays small
//! whatever the file size. The files of a directory are those ripgrep would search, plus
//! every file git tracks there ([`walk`]).

mod find;
mod finding;
mod pem;
mod walk;

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use keyseal::{
    Error, Keyring, MAX_KEY_LEN, MissingListPolicy, Prefix, SigningKey, StalePolicy, Timestamp,
    UntrustedKey, Verifier, VerifierOptions,
};
use serde_json::json;

use crate::cli::ScanArgs;
use crate::exit::{Exit, Failure};
use crate::{input, output};

use finding::{Finding, Status};
use pem::{PemFinding, PemTracker};

/// The longest piece of a line searched at once.
const CHUNK: usize = 4 * 1024 * 1024;
/// Bytes of a cut line carried into the next piece: the longest key and the character in
/// front of it, so a key across the cut is found whole.
const CARRY: usize = MAX_KEY_LEN + 2;

/// Decides what each found key is.
struct Judge {
    keyring: Option<Keyring>,
    /// One verifier per prefix met, the list's prefix with the list.
    verifiers: HashMap<String, Verifier>,
    now: Timestamp,
}

impl Judge {
    fn new(args: &ScanArgs, now: Timestamp) -> Result<Judge, Failure> {
        let keyring = args.keyring.as_deref().map(input::keyring).transpose()?;
        let mut verifiers = HashMap::new();
        if let (Some(keyring), Some(path), Some(prefix)) =
            (&keyring, &args.revocations, &args.prefix)
        {
            let bytes = input::list_bytes(path)?;
            let verifier = verifier(prefix.clone(), keyring)
                .update_revocations(&bytes, now)
                .map_err(|e| {
                    Failure::new(
                        format_args!("cannot use revocation list {}", output::path(path)),
                        &e,
                    )
                })?;
            if let Some(list) = verifier.revocation_list() {
                if now >= list.stale_after() {
                    output::note(format_args!(
                        "warning: revocation list {} has been stale since {}: revocations made since may be missing",
                        output::path(path),
                        list.stale_after()
                    ));
                }
            }
            verifiers.insert(prefix.as_str().to_string(), verifier);
        }
        Ok(Judge {
            keyring,
            verifiers,
            now,
        })
    }

    /// The finding for API key text, or `None` for a look-alike (checksum wrong).
    fn api_key(&mut self, text: &str, path: &str, line: u64, column: u64) -> Option<Finding> {
        let key = match UntrustedKey::parse(text) {
            Ok(key) => key,
            Err(Error::UnsupportedVersion(v)) => {
                // A real key of a format this keyseal cannot read: it may well work.
                return Some(Finding {
                    path: path.to_string(),
                    line,
                    column,
                    status: Status::Unverified,
                    redacted: output::redact_key(text),
                    key_id: None,
                    app_id: None,
                    token_id: None,
                    expires_at: None,
                    detail: Some(format!(
                        "format version {v}, which this keyseal cannot read"
                    )),
                });
            }
            Err(_) => return None,
        };
        let claims = key.untrusted_claims().ok();
        let (status, detail) = match (&self.keyring, &claims) {
            (_, None) => (Status::Malformed, Some("claims do not decode".to_string())),
            (None, Some(c)) if c.expires_at() <= self.now => (Status::UnverifiedExpired, None),
            (None, Some(_)) => (
                Status::Unverified,
                Some("no --keyring given: it may be live".to_string()),
            ),
            (Some(keyring), Some(_)) => {
                let prefix = key.untrusted_prefix().to_string();
                let verifier = match self.verifiers.get(&prefix) {
                    Some(v) => v,
                    None => match Prefix::new(prefix.as_str()) {
                        Ok(p) => self
                            .verifiers
                            .entry(prefix.clone())
                            .or_insert_with(|| verifier(p, keyring)),
                        Err(e) => return Some(self.broken(text, &key, path, line, column, &e)),
                    },
                };
                match verifier.verify_at(text, self.now) {
                    Ok(_) => (Status::Live, None),
                    // A signer whose window has not started turns the key live on its own.
                    Err(Error::KeyOutsideValidity(kid))
                        if keyring
                            .get(kid)
                            .and_then(keyseal::KeyEntry::not_before)
                            .is_some_and(|from| self.now < from) =>
                    {
                        (
                            Status::SignerNotYetValid,
                            Some(format!(
                                "its signer {kid} becomes valid later; the key then verifies"
                            )),
                        )
                    }
                    Err(e) => (status_for(&e), Some(e.to_string())),
                }
            }
        };
        Some(Finding {
            path: path.to_string(),
            line,
            column,
            status,
            redacted: output::redact_key(text),
            key_id: Some(key.untrusted_key_id()),
            app_id: claims.as_ref().map(|c| c.app_id().to_string()),
            token_id: claims.as_ref().map(keyseal::Claims::token_id),
            expires_at: claims.as_ref().map(keyseal::Claims::expires_at),
            detail,
        })
    }

    fn broken(
        &self,
        text: &str,
        key: &UntrustedKey,
        path: &str,
        line: u64,
        column: u64,
        e: &Error,
    ) -> Finding {
        Finding {
            path: path.to_string(),
            line,
            column,
            status: Status::Malformed,
            redacted: output::redact_key(text),
            key_id: Some(key.untrusted_key_id()),
            app_id: None,
            token_id: None,
            expires_at: None,
            detail: Some(e.to_string()),
        }
    }

    /// The finding for secret key text, or `None` for a look-alike.
    fn secret_key(&self, text: &str, path: &str, line: u64, column: u64) -> Option<Finding> {
        let key_id = SigningKey::from_text(text).ok()?.key_id();
        Some(Finding {
            path: path.to_string(),
            line,
            column,
            status: Status::SecretKey,
            redacted: output::redact_secret(text),
            key_id: Some(key_id),
            app_id: None,
            token_id: None,
            expires_at: None,
            detail: Some(self.standing(key_id)),
        })
    }

    /// The finding for a PEM private key block.
    fn pem_key(&self, found: PemFinding, path: &str) -> Finding {
        let detail = match found.key_id {
            Some(kid) => format!("{}: {}", found.what, self.standing(kid)),
            None => format!("LEAKED PRIVATE KEY ({}): rotate it", found.what),
        };
        Finding {
            path: path.to_string(),
            line: found.line,
            column: found.column,
            status: Status::SecretKey,
            redacted: format!("-----BEGIN {}-----…", found.label),
            key_id: found.key_id,
            app_id: None,
            token_id: None,
            expires_at: None,
            detail: Some(detail),
        }
    }

    /// What a leaked signing key means for the keyring given.
    fn standing(&self, key_id: keyseal::KeyId) -> String {
        match &self.keyring {
            None => "LEAKED SECRET SIGNING KEY: rotate it".to_string(),
            Some(ring) => match ring.get(key_id) {
                Some(e) => format!(
                    "LEAKED SECRET SIGNING KEY, {} in the keyring: rotate it and retire it",
                    e.state()
                ),
                None => "LEAKED SECRET SIGNING KEY, not in the keyring".to_string(),
            },
        }
    }
}

/// A verifier that judges against a stale list rather than refusing everything.
fn verifier(prefix: Prefix, keyring: &Keyring) -> Verifier {
    Verifier::new(prefix, keyring.clone()).with_options(
        VerifierOptions::default()
            .on_stale_list(StalePolicy::AcceptAndReport)
            .without_list(MissingListPolicy::Allow),
    )
}

fn status_for(e: &Error) -> Status {
    match e {
        Error::Expired { .. } => Status::Expired,
        Error::NotYetValid { .. } => Status::NotYetValid,
        Error::Revoked { .. } => Status::Revoked,
        Error::BadSignature => Status::Forged,
        Error::UnknownKey(_) => Status::UnknownSigner,
        Error::RetiredKey(_) => Status::RetiredSigner,
        Error::KeyOutsideValidity(_) => Status::SignerOutsideValidity,
        Error::Malformed(_) => Status::Malformed,
        // Anything else leaves the question open: count it as possibly live.
        _ => Status::Unverified,
    }
}

/// The scan in progress.
struct Scan {
    judge: Judge,
    bar: ProgressBar,
    json: bool,
    findings: Vec<Finding>,
    files: u64,
    errors: u64,
}

impl Scan {
    /// Searches one stream, line by line.
    fn stream(&mut self, reader: impl Read, name: &str) -> Result<(), Failure> {
        self.files += 1;
        self.bar.set_message(format!(
            "{} files, {} keys: {}",
            self.files,
            self.findings.len(),
            output::escape(name)
        ));
        let mut reader = BufReader::with_capacity(64 * 1024, reader);
        let mut pem = PemTracker::default();
        let mut buf: Vec<u8> = Vec::new();
        let mut line = 1u64;
        // Column (0-based) of buf[0] within its line, and bytes of buf already searched.
        let mut column_base = 0usize;
        let mut carried = 0usize;
        loop {
            let limit = u64::try_from(CHUNK).unwrap_or(u64::MAX);
            let read = match (&mut reader).take(limit).read_until(b'\n', &mut buf) {
                Ok(n) => n,
                Err(e) => {
                    self.warn(format_args!("cannot read {}: {e}", output::escape(name)));
                    return Ok(());
                }
            };
            if read == 0 {
                return Ok(());
            }
            self.search(&buf, carried, name, line, column_base)?;
            let fresh = buf.get(carried..).unwrap_or_default();
            for found in pem.line(fresh, line, column_base + carried) {
                let finding = self.judge.pem_key(found, name);
                self.report(finding)?;
            }
            if buf.last() == Some(&b'\n') {
                line += 1;
                column_base = 0;
                carried = 0;
                buf.clear();
            } else if read < CHUNK {
                return Ok(()); // the last line, without a newline
            } else {
                let keep = buf.len().min(CARRY);
                let dropped = buf.len() - keep;
                buf.drain(..dropped);
                column_base += dropped;
                carried = keep;
            }
        }
    }

    /// Reports the keys in `buf` that end after its first `carried` bytes (those were
    /// searched with the previous piece).
    fn search(
        &mut self,
        buf: &[u8],
        carried: usize,
        name: &str,
        line: u64,
        column_base: usize,
    ) -> Result<(), Failure> {
        for secret in [true, false] {
            let ranges = if secret {
                find::secret_texts(buf)
            } else {
                find::api_keys(buf)
            };
            for (start, end) in ranges {
                if end <= carried {
                    continue;
                }
                let Some(text) = buf
                    .get(start..end)
                    .and_then(|t| std::str::from_utf8(t).ok())
                else {
                    continue;
                };
                let column = u64::try_from(column_base + start + 1).unwrap_or(u64::MAX);
                let finding = if secret {
                    self.judge.secret_key(text, name, line, column)
                } else {
                    self.judge.api_key(text, name, line, column)
                };
                if let Some(f) = finding {
                    self.report(f)?;
                }
            }
        }
        Ok(())
    }

    fn report(&mut self, finding: Finding) -> Result<(), Failure> {
        if !self.json {
            let line = finding.to_line();
            self.bar.suspend(|| output::line(line))?;
        }
        self.findings.push(finding);
        Ok(())
    }

    fn warn(&mut self, message: std::fmt::Arguments<'_>) {
        self.errors += 1;
        self.bar
            .suspend(|| output::note(format_args!("warning: {message}")));
    }

    /// Scans one path named on the command line: a directory is walked ([`walk`]); anything
    /// else (a file, a FIFO, a `<(...)` process substitution, a device) is read as a stream.
    fn path(&mut self, path: &Path, no_ignore: bool, strip_dot: bool) -> Result<(), Failure> {
        if path == Path::new("-") {
            let stdin = io::stdin();
            return self.stream(stdin.lock(), "<stdin>");
        }
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => {
                let files = walk::files(path, no_ignore, strip_dot, &mut |m| {
                    self.warn(format_args!("{m}"));
                });
                for (file, name) in files {
                    self.file(&file, &name)?;
                }
                Ok(())
            }
            Ok(_) => self.file(path, &path.display().to_string()),
            Err(e) => {
                self.warn(format_args!("cannot read {}: {e}", output::path(path)));
                Ok(())
            }
        }
    }

    fn file(&mut self, path: &Path, name: &str) -> Result<(), Failure> {
        match std::fs::File::open(path) {
            Ok(file) => self.stream(file, name),
            Err(e) => {
                self.warn(format_args!("cannot read {}: {e}", output::escape(name)));
                Ok(())
            }
        }
    }
}

fn progress_bar(show: bool) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    bar.set_draw_target(ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{spinner} scanning {wide_msg}") {
        bar.set_style(style);
    }
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

pub(crate) fn run(args: &ScanArgs) -> Result<Exit, Failure> {
    let now = args.at.unwrap_or_else(Timestamp::now);
    let judge = Judge::new(args, now)?;
    let show_progress = !args.no_progress && io::stderr().is_terminal();
    let mut scan = Scan {
        judge,
        bar: progress_bar(show_progress),
        json: args.json,
        findings: Vec::new(),
        files: 0,
        errors: 0,
    };
    let default = [PathBuf::from(".")];
    let (paths, strip_dot) = if args.paths.is_empty() {
        (&default[..], true)
    } else {
        (&args.paths[..], false)
    };
    for path in paths {
        scan.path(path, args.no_ignore, strip_dot)?;
    }
    scan.bar.finish_and_clear();
    finish(&scan)
}

fn finish(scan: &Scan) -> Result<Exit, Failure> {
    let failing = scan.findings.iter().filter(|f| f.status.fails()).count();
    if scan.json {
        output::json(&json!({
            "files_scanned": scan.files,
            "errors": scan.errors,
            "failing": failing,
            "findings": scan.findings.iter().map(Finding::to_json).collect::<Vec<_>>(),
        }))?;
    }
    let mut counts: Vec<(Status, usize)> = Vec::new();
    for f in &scan.findings {
        match counts.iter_mut().find(|(s, _)| *s == f.status) {
            Some((_, n)) => *n += 1,
            None => counts.push((f.status, 1)),
        }
    }
    counts.sort();
    let breakdown: Vec<String> = counts
        .iter()
        .map(|(s, n)| format!("{n} {}", s.as_str()))
        .collect();
    let found = u64::try_from(scan.findings.len()).unwrap_or(u64::MAX);
    if scan.files == 0 && scan.errors == 0 {
        output::note(
            "scanned 0 files: nothing was read (the paths hold no file, or ignore rules exclude every file; try --no-ignore). This is not a clean scan",
        );
        return Ok(Exit::NothingScanned);
    }
    output::note(format_args!(
        "scanned {}: {}",
        output::count(scan.files, "file"),
        if breakdown.is_empty() {
            "no keys found".to_string()
        } else {
            format!(
                "{} found ({})",
                output::count(found, "key"),
                breakdown.join(", ")
            )
        }
    ));
    if failing > 0 {
        output::note(
            "live keys or secret keys found: revoke API keys by token id (keyseal revoke --token ID@EXPIRES), rotate leaked signing keys, and remove them from the files",
        );
        Ok(Exit::Found)
    } else if scan.errors > 0 {
        output::note(format_args!(
            "{} could not be read: the scan is incomplete",
            output::count(scan.errors, "path")
        ));
        Ok(Exit::Io)
    } else {
        Ok(Exit::Ok)
    }
}
