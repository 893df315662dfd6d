//! `keyseal scan`, run as the real binary, on the leaks a boundary-bound regex and a
//! file walker miss: PEM private keys (also in diffs and JSON), keys glued to word
//! characters, keys whose signer turns valid later, FIFOs and process substitutions, files
//! git tracks although an ignore file matches them, scans that read nothing, and file names
//! that carry terminal escapes.
#![cfg(unix)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::fs;
use std::path::Path;

use base64ct::Encoding;
use keyseal::{KeyState, Keyring, SaveMode};
use predicates::prelude::*;
use support::*;

fn scan_json(f: &Fixture, args: &[&str], code: i32) -> serde_json::Value {
    let mut all = vec!["scan", "--keyring", "keyring.json", "--json"];
    all.extend_from_slice(args);
    json(&f.run(&all).code(code))
}

#[test]
fn pem_private_keys_are_found_in_files_diffs_and_json() {
    let f = Fixture::new();
    // What `keyseal keygen` writes by default, the way it most often leaks.
    f.run(&["keygen", "--out", "leaked.pem"]).success();
    let pem = fs::read_to_string(f.path("leaked.pem")).unwrap();
    let kid = keyseal::SigningKey::load_file(f.path("leaked.pem"))
        .unwrap()
        .key_id()
        .to_string();
    let diff: String = std::iter::once("diff --git a/k.pem b/k.pem\n+++ b/k.pem\n".to_string())
        .chain(pem.lines().map(|l| format!("+{l}\n")))
        .collect();
    f.write("tree/diff.patch", &diff);
    f.write(
        "tree/sa.json",
        &format!("{{\"private_key\": \"{}\"}}\n", pem.replace('\n', "\\n")),
    );
    let magic = base64ct::Base64::encode_string(&[&b"openssh-key-v1\0"[..], &[7u8; 80]].concat());
    f.write(
        "tree/id_ed25519",
        &format!(
            "-----BEGIN OPENSSH PRIVATE KEY-----\n{magic}\n-----END OPENSSH PRIVATE KEY-----\n"
        ),
    );
    // The armour alone, as documentation or source code writes it, is no key.
    f.write(
        "tree/doc.md",
        "Files start with -----BEGIN PRIVATE KEY----- and end with -----END PRIVATE KEY-----.\n",
    );
    let v = scan_json(&f, &["leaked.pem", "tree"], 1);
    assert_eq!(
        findings(&v),
        [
            ("leaked.pem".to_string(), 1, 1, "secret-key".to_string()),
            (
                "tree/diff.patch".to_string(),
                3,
                2,
                "secret-key".to_string()
            ),
            (
                "tree/id_ed25519".to_string(),
                1,
                1,
                "secret-key".to_string()
            ),
            ("tree/sa.json".to_string(), 1, 18, "secret-key".to_string()),
        ]
    );
    for (i, finding) in v["findings"].as_array().unwrap().iter().enumerate() {
        assert_eq!(finding["kind"], "secret_key");
        if i != 2 {
            assert_eq!(finding["key_id"], kid.as_str(), "{finding}");
        }
    }
    // Redacted: no line of the key's body is printed.
    let out = f.run(&["scan", "leaked.pem", "tree"]).code(1);
    let body = pem.lines().nth(1).unwrap();
    assert!(!stdout(&out).contains(body) && !stderr(&out).contains(body));
    assert!(stdout(&out).contains("leaked.pem:1:1: secret-key -----BEGIN PRIVATE KEY-----…"));
    // A diff of the key from standard input, as in `git diff --cached | keyseal scan -`.
    f.keyseal(&["scan", "-"])
        .write_stdin(diff)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("<stdin>:3:2: secret-key"));
}

#[test]
fn keys_glued_to_word_characters_are_found_and_the_checksum_decides() {
    let f = Fixture::new();
    let key = live_key("app_glued");
    let secret = signing(1).to_text().expose_secret().to_string();
    let contexts = [
        ("{\"a\": \"line\\n", "\"}"),
        ("url?k=%3D", "%3D"),
        ("%22", "%22"),
        ("q=%20", "%20"),
        ("\\u0022", "\\u0022"),
        ("API_KEY_", ""),
        ("x-", ""),
        ("", "-"),
        ("", "-x"),
        ("", "_end"),
        ("u", "abc"),
    ];
    let mut text = String::new();
    let mut expected = Vec::new();
    for (n, (before, after)) in contexts.iter().enumerate() {
        text.push_str(&format!("{before}{key}{after}\n"));
        let column = u64::try_from(before.len() + 1).unwrap();
        expected.push((
            "glued.txt".to_string(),
            n as u64 + 1,
            column,
            "live".to_string(),
        ));
    }
    for (before, after) in [("\\n", "x"), ("A", "-")] {
        text.push_str(&format!("{before}{secret}{after}\n"));
        let line = expected.len() as u64 + 1;
        let column = u64::try_from(before.len() + 1).unwrap();
        expected.push((
            "glued.txt".to_string(),
            line,
            column,
            "secret-key".to_string(),
        ));
    }
    // A look-alike (one character changed) is never reported, wherever it sits.
    let mut lookalike: Vec<char> = key.chars().collect();
    let at = lookalike.len() - 20;
    lookalike[at] = if lookalike[at] == 'Q' { 'R' } else { 'Q' };
    let lookalike: String = lookalike.into_iter().collect();
    text.push_str(&format!("x-{lookalike}-\n"));
    f.write("glued.txt", &text);
    let v = scan_json(&f, &["glued.txt"], 1);
    assert_eq!(findings(&v), expected);
}

#[test]
fn a_key_whose_signer_becomes_valid_later_fails_the_scan() {
    let f = Fixture::new();
    let mut ring = Keyring::new();
    ring.add(signing(1).public_key(), KeyState::Active).unwrap();
    ring.add(signing(2).public_key(), KeyState::VerifyOnly)
        .unwrap();
    ring.set_validity(signing(2).key_id(), Some(now().saturating_add(DAY)), None)
        .unwrap();
    ring.save_json_file(f.path("future.json"), SaveMode::CreateNew)
        .unwrap();
    f.write(
        "k.txt",
        &format!("{}\n", issue_at(2, "app_later", now(), 30 * DAY)),
    );
    let v = json(
        &f.run(&["scan", "--keyring", "future.json", "--json", "k.txt"])
            .code(1),
    );
    assert_eq!(
        findings(&v),
        [(
            "k.txt".to_string(),
            1,
            1,
            "signer-not-yet-valid".to_string()
        )]
    );
    assert_eq!(v["findings"][0]["fails"], true);
}

#[test]
fn fifos_and_process_substitutions_are_read_as_streams() {
    let f = Fixture::new();
    let key = live_key("app_piped");
    f.write("k.txt", &format!("{key}\n"));
    let fifo = f.path("pipe");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let writer = {
        let fifo = fifo.clone();
        let key = key.clone();
        // Opening a FIFO for writing waits for the reader: the scan.
        std::thread::spawn(move || fs::write(fifo, format!("{key}\n")))
    };
    let v = scan_json(&f, &["pipe"], 1);
    if !writer.is_finished() {
        // The scan never opened the FIFO: open it here (non-blocking), so that the writer
        // ends and the test fails on the assertion below instead of hanging.
        use std::os::unix::fs::OpenOptionsExt;
        let _reader = fs::OpenOptions::new()
            .read(true)
            .custom_flags(0o4000) // O_NONBLOCK
            .open(&fifo);
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(
        findings(&v),
        [("pipe".to_string(), 1, 1, "live".to_string())]
    );
    let _ = writer.join().unwrap();
    // bash's <(...) names a pipe under /dev/fd.
    let out = std::process::Command::new("bash")
        .current_dir(f.dir.path())
        .arg("-c")
        .arg(format!(
            "timeout 60 {} scan --keyring keyring.json <(cat k.txt)",
            env!("CARGO_BIN_EXE_keyseal")
        ))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("scanned 1 file: 1 key found (1 live)"));
}

fn git(dir: &Path, args: &[&str]) {
    let ok = std::process::Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap()
        .success();
    assert!(ok, "git {args:?}");
}

#[test]
fn files_git_tracks_are_scanned_whatever_the_ignore_files_say() {
    let f = Fixture::new();
    let repo = f.path("repo");
    fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "-q"]);
    f.write("repo/.gitignore", "secret.env\n");
    f.write(
        "repo/secret.env",
        &format!("K={}\n", live_key("app_forced")),
    );
    f.write("repo/sub/.ignore", "*\n");
    f.write("repo/sub/config.txt", &format!("{}\n", live_key("app_sub")));
    f.write("repo/untracked.env", "nothing\n");
    git(
        &repo,
        &["add", "-f", "secret.env", "sub/.ignore", "sub/config.txt"],
    );
    git(&repo, &["commit", "-q", "-m", "keys"]);
    let v = scan_json(&f, &["repo"], 1);
    let paths: Vec<String> = findings(&v).into_iter().map(|(p, ..)| p).collect();
    assert_eq!(paths, ["repo/secret.env", "repo/sub/config.txt"]);
}

#[test]
fn a_scan_that_read_no_file_is_not_a_clean_scan() {
    let f = Fixture::new();
    fs::create_dir_all(f.path("empty")).unwrap();
    f.write("hidden/.ignore", "*\n");
    f.write("hidden/k.txt", &live_key("app_hidden"));
    for dir in ["empty", "hidden"] {
        f.run(&["scan", dir])
            .code(6)
            .stderr(predicate::str::contains(
                "scanned 0 files: nothing was read",
            ))
            .stderr(predicate::str::contains("not a clean scan"));
    }
    // What was hidden is found when asked.
    f.run(&["scan", "--no-ignore", "hidden"]).code(1);
}

#[test]
fn control_characters_in_file_names_are_escaped() {
    let f = Fixture::new();
    f.write(
        "a\u{1b}]0;pwned\u{7}\u{1b}[2J.txt",
        &format!("{}\n", live_key("app_esc")),
    );
    let out = f.run(&["scan", "--keyring", "keyring.json", "."]).code(1);
    let text = stdout(&out);
    assert!(
        text.contains("a\\x1b]0;pwned\\x07\\x1b[2J.txt:1:1: live"),
        "{text}"
    );
    assert!(!text.contains('\u{1b}') && !stderr(&out).contains('\u{1b}'));
}

#[test]
fn a_temporary_file_left_by_a_killed_keygen_is_found_and_removed_by_the_next_keygen() {
    let f = Fixture::new();
    let pem = fs::read_to_string(f.path("signing.pem")).unwrap();
    let temp = ".new.pem.0123456789abcdef.tmp";
    // Left by a keygen killed eleven minutes ago: stale (a younger one is left alone, as
    // another writer may be at work).
    f.write_aged(temp, &pem, std::time::Duration::from_secs(11 * 60));
    f.run(&["scan", "--keyring", "keyring.json", "."])
        .code(1)
        .stdout(predicate::str::contains(format!("{temp}:1:1: secret-key")));
    let unrelated = ".new.pem.backup";
    f.write(unrelated, "x");
    f.run(&["keygen", "--out", "new.pem"])
        .success()
        .stderr(predicate::str::contains(format!("removed {temp}")));
    assert!(!f.path(temp).exists());
    assert!(f.path(unrelated).exists());
}
