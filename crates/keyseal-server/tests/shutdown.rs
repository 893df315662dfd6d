//! Graceful shutdown: a SIGTERM answers held long polls at once (304) instead of holding
//! them up to their wait, lets an in-flight request run to completion (its `200` is then
//! committed), and the process exits promptly with nothing half-written.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

#[allow(unreachable_pub, clippy::collapsible_if)]
mod common;

use std::time::{Duration, Instant};

use common::{Server, client, data_dir, init, issue, lists};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

const PROMPT: Duration = Duration::from_secs(2);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_answers_held_long_polls_and_finishes_in_flight_requests() {
    let dir = data_dir();
    let admin = init(dir.path(), None);
    let mut s = Server::start_logging(dir.path(), None, &[], "info");
    let c = client();
    let (tid, _key) = issue(&c, &s, &admin, "app_shutdown", 600).await;
    let seq = lists::current(&c, &s).await.seq;

    // Two held long polls, asking for 50 s.
    let polls: Vec<_> = (0..2)
        .map(|_| {
            let (c, url) = (
                c.clone(),
                s.url(&format!("/v1/revocations.bin?after={seq}&wait=50")),
            );
            tokio::spawn(async move {
                let r = c.get(url).send().await.unwrap();
                (r.status().as_u16(), Instant::now())
            })
        })
        .collect();
    // A revoke whose request is in flight: headers sent, body not yet.
    let body = r#"{"reason":"in flight at shutdown"}"#;
    let mut slow = tokio::net::TcpStream::connect(s.addr).await.unwrap();
    slow.write_all(
        format!(
            "POST /v1/keys/{tid}/revoke HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {admin}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            s.addr,
            body.len()
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        polls.iter().all(|p| !p.is_finished()),
        "the long polls are held"
    );

    let sigterm = Instant::now();
    s.send_sigterm();
    for p in polls {
        let (status, at) = tokio::time::timeout(PROMPT, p)
            .await
            .expect("a held long poll is answered within 2 s of SIGTERM")
            .unwrap();
        assert_eq!(status, 304, "nothing newer: Not Modified");
        eprintln!("long poll answered {:?} after SIGTERM", at - sigterm);
    }
    // The in-flight request still runs: the process waits for it.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        s.child.try_wait().unwrap().is_none(),
        "the server waits for the in-flight request"
    );
    slow.write_all(body.as_bytes()).await.unwrap();
    let mut answer = String::new();
    tokio::time::timeout(PROMPT, slow.read_to_string(&mut answer))
        .await
        .expect("the in-flight request is answered")
        .unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 200"),
        "{}",
        answer.lines().next().unwrap_or("")
    );
    let status = s
        .wait_exit(PROMPT)
        .expect("the server exits within 2 s of its last request");
    assert!(status.success(), "exit status {status}");
    let took = sigterm.elapsed();
    eprintln!("SIGTERM with two held long polls and one in-flight revoke: exited after {took:?}");
    assert!(s.logged("requests finished, stopping background work"));

    // Nothing half-written: the store is sound and the acknowledged revocation published.
    assert_eq!(common::sqlite_integrity(dir.path()).await, "ok");
    let s = Server::start_logging(dir.path(), None, &[], "info");
    assert!(s.wait_logged(
        "start-up check: the latest list holds every committed entry",
        Duration::from_secs(10)
    ));
    let list = lists::current(&c, &s).await;
    assert!(list.tokens.contains(&tid));
    assert!(list.seq > seq);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_with_only_a_long_poll_open_exits_within_two_seconds() {
    let dir = data_dir();
    let _admin = init(dir.path(), None);
    let mut s = Server::start(dir.path(), None, &[]);
    let c = client();
    let seq = lists::current(&c, &s).await.seq;
    let url = s.url(&format!("/v1/revocations.bin?after={seq}&wait=55"));
    let poll = tokio::spawn(async move { c.get(url).send().await.map(|r| r.status().as_u16()) });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let sigterm = Instant::now();
    s.send_sigterm();
    let status = s.wait_exit(PROMPT).expect("exits within 2 s of SIGTERM");
    assert!(status.success());
    eprintln!(
        "SIGTERM with a held 55 s long poll: exited after {:?}",
        sigterm.elapsed()
    );
    let answered = tokio::time::timeout(PROMPT, poll).await.unwrap().unwrap();
    assert_eq!(answered.ok(), Some(304));
}
