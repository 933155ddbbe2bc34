//! One application, two worker processes, one load balancer
//! (`cargo test -- workers`): Asterisk's per-call outbound client
//! `outbound-workers` connects to HAProxy (started by `cargo xtask asterisk
//! up`, `tests/asterisk/haproxy/workers.cfg`), which hands each call's
//! socket to one of two `ari-worker` processes (`tests/worker.rs`). 100
//! calls: each carried by exactly one worker, both workers get calls, none
//! lost or carried twice, no channel left.

use ari_tests::*;
use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::sync::mpsc;

const CALLS: usize = 100;
/// Calls placed at once.
const AT_ONCE: usize = 10;

/// A worker process on `port`; its stdout lines, tagged with `name`, go to
/// `lines`. Killed when dropped.
async fn worker(
    port: u16,
    name: &'static str,
    lines: mpsc::UnboundedSender<(&'static str, String)>,
) -> tokio::process::Child {
    let (url, user, password) = settings();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_ari-worker"))
        .args([port.to_string(), name.to_owned()])
        .env("ARI_URL", url)
        .env("ARI_USER", user)
        .env("ARI_PASSWORD", password)
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("ari-worker starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let (ready, listening) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let mut ready = Some(ready);
        let mut reader = BufReader::new(stdout).lines();
        while let Ok(Some(line)) = reader.next_line().await {
            if line.starts_with("listening ") {
                if let Some(ready) = ready.take() {
                    let _ = ready.send(());
                }
                continue;
            }
            let _ = lines.send((name, line));
        }
    });
    tokio::time::timeout(WAIT, listening)
        .await
        .expect("the worker listens in time")
        .expect("the worker listens");
    child
}

#[tokio::test]
async fn workers_share_100_calls_behind_a_load_balancer_each_carried_once() {
    let direct = client_or_return!();
    let (sender, mut lines) = mpsc::unbounded_channel();
    let _first = worker(8101, "worker1", sender.clone()).await;
    let _second = worker(8102, "worker2", sender).await;

    let mut placed = Vec::new();
    for _ in 0..CALLS / AT_ONCE {
        let batch = (0..AT_ONCE).map(|_| local_call_into(&direct, "outbound-workers"));
        placed.extend(futures_util::future::join_all(batch).await);
    }

    // Who carried which call, from the workers' own reports.
    let mut carried: BTreeMap<String, Vec<&'static str>> = BTreeMap::new();
    let mut failures = Vec::new();
    let reports = tokio::time::timeout(Duration::from_secs(60), async {
        while carried.values().map(Vec::len).sum::<usize>() + failures.len() < CALLS {
            let (worker, line) = lines.recv().await.expect("workers running");
            if let Some(channel) = line.strip_prefix("handled ") {
                carried.entry(channel.to_owned()).or_default().push(worker);
            } else {
                failures.push(format!("{worker}: {line}"));
            }
        }
    })
    .await;
    assert!(
        reports.is_ok(),
        "{} of {CALLS} calls reported, failures {failures:?}",
        carried.len()
    );
    assert!(failures.is_empty(), "{failures:?}");
    let mut expected: Vec<String> = placed.iter().map(|name| format!("{name};2")).collect();
    expected.sort();
    let seen: Vec<String> = carried.keys().cloned().collect();
    assert_eq!(seen, expected, "every placed call carried");
    let twice: Vec<_> = carried.iter().filter(|(_, by)| by.len() > 1).collect();
    assert!(twice.is_empty(), "carried more than once: {twice:?}");
    let per_worker = |name| carried.values().filter(|by| by[0] == name).count();
    let (first, second) = (per_worker("worker1"), per_worker("worker2"));
    assert!(first > 0 && second > 0, "worker1 {first}, worker2 {second}");

    no_channels_left(&direct, "the calls", |c| {
        placed.iter().any(|name| c.name.starts_with(name.as_str()))
    })
    .await;
    // The workers stay up until Asterisk has closed every call's socket.
    per_call_sessions_closed(&direct, "outbound-workers").await;
}
