//! `keyseal scan`: find keyseal API keys and secret signing keys in files, directories or
//! standard input, and say which are live.
//!
//! API key candidates are found whatever characters surround them and confirmed by their
//! checksums ([`keyseal::find_keys`], FORMAT.md §1.11), so a look-alike string is never
//! reported; secret keys are found as `keyseal-secret-v1_` text (checksummed too,
//! [`keyseal::find_secret_texts`]) and as PEM private key blocks ([`pem`]). Keys are only
//! ever shown redacted. Files are read line by line (lines
//! longer than [`CHUNK`] are searched in overlapping pieces), so memory stays small
//! whatever the file size. The files of a directory are those ripgrep would search, plus
//! every file git tracks there ([`walk`]).

mod finding;
mod judge;
mod pem;
mod walk;

use std::io::{self, BufRead, BufReader, IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use keyseal::{MAX_KEY_LEN, Timestamp};
use serde_json::json;

use crate::cli::ScanArgs;
use crate::exit::{Exit, Failure};
use crate::output;

use finding::{Finding, Status};
use judge::Judge;
use pem::PemTracker;

/// The longest piece of a line searched at once.
const CHUNK: usize = 4 * 1024 * 1024;
/// Bytes of a cut line carried into the next piece: the longest key and the character in
/// front of it, so a key across the cut is found whole.
const CARRY: usize = MAX_KEY_LEN + 2;

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
                keyseal::find_secret_texts(buf)
            } else {
                keyseal::find_keys(buf)
            };
            for range in ranges {
                if range.end <= carried {
                    continue;
                }
                let start = range.start;
                let Some(text) = buf.get(range).and_then(|t| std::str::from_utf8(t).ok()) else {
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
