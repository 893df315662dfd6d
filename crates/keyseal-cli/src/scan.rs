//! `keyseal scan`: find keyseal API keys and secret signing keys in files, directories or
//! standard input, and say which are live.
//!
//! Candidates are found with the published regular expressions (`keyseal::SCANNER_REGEX`,
//! `keyseal::SECRET_KEY_SCANNER_REGEX`) and confirmed by their checksums, so a look-alike
//! string is never reported. Keys are only ever shown redacted. Files are read line by line
//! (lines longer than [`CHUNK`] are searched in overlapping pieces), so memory stays small
//! whatever the file size.

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use keyseal::{
    Error, KeyId, Keyring, MAX_KEY_LEN, MissingListPolicy, Prefix, SigningKey, StalePolicy,
    Timestamp, TokenId, UntrustedKey, Verifier, VerifierOptions,
};
use regex::bytes::Regex;
use serde_json::{Value, json};

use crate::cli::ScanArgs;
use crate::exit::{Exit, Failure};
use crate::{input, output};

/// The longest piece of a line searched at once.
const CHUNK: usize = 4 * 1024 * 1024;
/// Bytes of a cut line carried into the next piece: the longest key and the character in
/// front of it, so a key across the cut is found whole.
const CARRY: usize = MAX_KEY_LEN + 2;

/// What a found key is, from worst to harmless.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Status {
    /// A secret signing key: whoever holds it can issue keys.
    SecretKey,
    /// Verifies now.
    Live,
    /// Verifies later, when its not-before time comes.
    NotYetValid,
    /// No keyring given: its own (unverified) claims say it has not expired.
    Unverified,
    /// Signed by a keyring key, but expired.
    Expired,
    /// Revoked by the revocation list.
    Revoked,
    /// The signature does not verify.
    Forged,
    /// Signed by a key id the keyring does not hold.
    UnknownSigner,
    /// Signed by a retired key.
    RetiredSigner,
    /// Signed by a key outside its validity window.
    SignerOutsideValidity,
    /// No keyring given, and its own claims say it expired.
    UnverifiedExpired,
    /// Checksum right, contents broken.
    Malformed,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::SecretKey => "secret-key",
            Status::Live => "live",
            Status::NotYetValid => "not-yet-valid",
            Status::Unverified => "unverified",
            Status::Expired => "expired",
            Status::Revoked => "revoked",
            Status::Forged => "forged",
            Status::UnknownSigner => "unknown-signer",
            Status::RetiredSigner => "retired-signer",
            Status::SignerOutsideValidity => "signer-outside-validity",
            Status::UnverifiedExpired => "unverified-expired",
            Status::Malformed => "malformed",
        }
    }

    /// Whether the finding fails the scan: the key works now or later, or might.
    fn fails(self) -> bool {
        matches!(
            self,
            Status::SecretKey | Status::Live | Status::NotYetValid | Status::Unverified
        )
    }
}

/// One key found.
struct Finding {
    path: String,
    line: u64,
    column: u64,
    status: Status,
    redacted: String,
    key_id: Option<KeyId>,
    app_id: Option<String>,
    token_id: Option<TokenId>,
    expires_at: Option<Timestamp>,
    detail: Option<String>,
}

impl Finding {
    fn to_json(&self) -> Value {
        json!({
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "kind": if self.status == Status::SecretKey { "secret_key" } else { "api_key" },
            "status": self.status.as_str(),
            "fails": self.status.fails(),
            "key": self.redacted,
            "key_id": self.key_id.map(|k| k.to_string()),
            "app_id": self.app_id,
            "token_id": self.token_id.map(|t| t.to_string()),
            "expires_at": output::time_json(self.expires_at),
            "detail": self.detail,
        })
    }

    fn to_line(&self) -> String {
        let mut s = format!(
            "{}:{}:{}: {} {}",
            self.path,
            self.line,
            self.column,
            self.status.as_str(),
            self.redacted
        );
        if let Some(kid) = self.key_id {
            s.push_str(&format!(" kid {kid}"));
        }
        if let Some(app) = &self.app_id {
            s.push_str(&format!(" app {app}"));
        }
        if let Some(token) = self.token_id {
            s.push_str(&format!(" token {token}"));
        }
        if let Some(t) = self.expires_at {
            s.push_str(&format!(" expires {t}"));
        }
        if let Some(d) = &self.detail {
            s.push_str(&format!(" ({d})"));
        }
        s
    }
}

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
                        format_args!("cannot use revocation list {}", path.display()),
                        &e,
                    )
                })?;
            if let Some(list) = verifier.revocation_list() {
                if now >= list.stale_after() {
                    output::note(format_args!(
                        "warning: revocation list {} has been stale since {}: revocations made since may be missing",
                        path.display(),
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
        let standing = match &self.keyring {
            None => "LEAKED SECRET SIGNING KEY: rotate it".to_string(),
            Some(ring) => match ring.get(key_id) {
                Some(e) => format!(
                    "LEAKED SECRET SIGNING KEY, {} in the keyring: rotate it and retire it",
                    e.state()
                ),
                None => "LEAKED SECRET SIGNING KEY, not in the keyring".to_string(),
            },
        };
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
            detail: Some(standing),
        })
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
    api: Regex,
    secret: Regex,
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
            "{} files, {} keys: {name}",
            self.files,
            self.findings.len()
        ));
        let mut reader = BufReader::with_capacity(64 * 1024, reader);
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
                    self.warn(format_args!("cannot read {name}: {e}"));
                    return Ok(());
                }
            };
            if read == 0 {
                return Ok(());
            }
            self.search(&buf, carried, name, line, column_base)?;
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
            let re = if secret { &self.secret } else { &self.api };
            let mut at = 0;
            let mut found = Vec::new();
            while let Some(m) = re.captures_at(buf, at).and_then(|c| c.get(1)) {
                at = m.end();
                if m.end() <= carried {
                    continue;
                }
                if let Ok(text) = std::str::from_utf8(m.as_bytes()) {
                    let column = u64::try_from(column_base + m.start() + 1).unwrap_or(u64::MAX);
                    found.push((text.to_string(), column));
                }
            }
            for (text, column) in found {
                let finding = if secret {
                    self.judge.secret_key(&text, name, line, column)
                } else {
                    self.judge.api_key(&text, name, line, column)
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

    /// Walks a file or directory as ripgrep does.
    fn walk(&mut self, root: &Path, no_ignore: bool, strip_dot: bool) -> Result<(), Failure> {
        let mut builder = ignore::WalkBuilder::new(root);
        builder
            .standard_filters(!no_ignore)
            .hidden(false)
            .require_git(false)
            .follow_links(false)
            .filter_entry(|e| {
                !(e.file_name() == ".git" && e.file_type().is_some_and(|t| t.is_dir()))
            })
            .sort_by_file_name(|a, b| a.cmp(b));
        for entry in builder.build() {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    self.warn(format_args!("{e}"));
                    continue;
                }
            };
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                continue;
            }
            let path = entry.path();
            let shown = match path.strip_prefix(".") {
                Ok(rest) if strip_dot && !rest.as_os_str().is_empty() => rest,
                _ => path,
            };
            let name = shown.display().to_string();
            match std::fs::File::open(path) {
                Ok(file) => self.stream(file, &name)?,
                Err(e) => self.warn(format_args!("cannot read {name}: {e}")),
            }
        }
        Ok(())
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

fn compile(pattern: &str) -> Result<Regex, Failure> {
    Regex::new(pattern).map_err(|e| {
        Failure::other(
            Exit::Io,
            "internal",
            format!("cannot compile the scanner regex: {e}"),
        )
    })
}

pub(crate) fn run(args: &ScanArgs) -> Result<Exit, Failure> {
    let now = args.at.unwrap_or_else(Timestamp::now);
    let judge = Judge::new(args, now)?;
    let show_progress = !args.no_progress && io::stderr().is_terminal();
    let mut scan = Scan {
        judge,
        api: compile(keyseal::SCANNER_REGEX)?,
        secret: compile(keyseal::SECRET_KEY_SCANNER_REGEX)?,
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
        if path == Path::new("-") {
            let stdin = io::stdin();
            scan.stream(stdin.lock(), "<stdin>")?;
        } else {
            scan.walk(path, args.no_ignore, strip_dot)?;
        }
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
