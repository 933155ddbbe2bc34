//! Faults of the real Asterisk itself (`cargo test -- fault_sigkill`,
//! `fault_sigstop`, `fault_write_timeout`): killed under load, frozen under an
//! open stream, and dropping a consumer slower than its write timeout. Alone
//! in its binary, and the tests take turns: each stops the Asterisk every
//! other test talks to.

use ari_generated::Client;
use ari_generated::models::Message;
use ari_generated::runtime::StreamItem;
use ari_tests::*;
use std::path::Path;
use std::time::{Duration, Instant};

/// One fault at a time.
static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn xtask_run(xtask: &Path, args: &[&str]) {
    let output = std::process::Command::new(xtask)
        .args(args)
        .output()
        .expect("xtask runs");
    assert!(
        output.status.success(),
        "xtask {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A client whose waits are short, so that each fault shows within seconds.
fn quick_client(request_timeout: Duration) -> Client {
    let (url, _, _) = settings();
    let options = quick_events(
        Duration::from_millis(200),
        Duration::from_secs(1),
        Duration::from_secs(1),
    );
    client_with_events(&url, options.check_version(false))
        .request_timeout(Some(request_timeout))
        .connect_timeout(Some(Duration::from_secs(2)))
        .build()
        .unwrap()
}

/// Skips connection items and events until the stream says it lost the
/// connection, within `bound`; returns how long that took.
async fn until_disconnected(events: &mut Events, bound: Duration) -> Duration {
    let started = Instant::now();
    loop {
        let left = bound.saturating_sub(started.elapsed());
        if let StreamItem::Disconnected { will_reconnect, .. } =
            events.next_item(left.max(Duration::from_millis(1))).await
        {
            assert!(will_reconnect, "seen {:?}", events.seen);
            return started.elapsed();
        }
    }
}

async fn until_reconnected(events: &mut Events, bound: Duration) {
    let started = Instant::now();
    loop {
        let left = bound.saturating_sub(started.elapsed());
        if let StreamItem::Reconnected { .. } =
            events.next_item(left.max(Duration::from_millis(1))).await
        {
            return;
        }
    }
}

/// A user event for `app`, and its arrival.
async fn user_event_arrives(client: &Client, events: &mut Events, app: &str) {
    let name = unique("alive");
    client.events().user_event(&name, app).send().await.unwrap();
    events
        .until(|m| matches!(m, Message::ChannelUserevent(e) if e.eventname == name).then_some(()))
        .await;
}

#[tokio::test]
async fn fault_sigkill_under_fifty_requests_gives_typed_errors_and_the_stream_comes_back() {
    let _turn = TURN.lock().await;
    let Some(_) = client_or_skip().await else {
        return;
    };
    let Some(xtask) = xtask_or_skip() else {
        return;
    };
    let timeout = Duration::from_secs(3);
    let client = quick_client(timeout);
    let app = unique("sigkill");
    let mut events = Events::connect(&client, &[&app]).await;

    // 50 callers, each sending requests until one fails.
    let callers: Vec<_> = (0..50)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move {
                let mut answered = 0u32;
                loop {
                    let started = Instant::now();
                    match client.asterisk().get_info().send().await {
                        Ok(_) => answered += 1,
                        Err(ari_generated::asterisk::GetInfoError::Transport(error)) => {
                            return (answered, started.elapsed(), error.to_string());
                        }
                        Err(other) => panic!("not a transport error: {other:?}"),
                    }
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    xtask_run(&xtask, &["asterisk", "signal", "KILL"]);
    let killed = Instant::now();
    for caller in callers {
        let (answered, took, error) = tokio::time::timeout(timeout * 3, caller)
            .await
            .expect("every request ends within its timeout")
            .expect("no panic");
        assert!(
            answered > 0,
            "the caller never got an answer before the kill"
        );
        assert!(
            took <= timeout + Duration::from_secs(1),
            "{took:?}: {error}"
        );
    }
    assert!(killed.elapsed() < timeout * 3);
    until_disconnected(&mut events, Duration::from_secs(10)).await;

    // `restart` starts it on the port of its last start (a CI run may use another).
    xtask_run(&xtask, &["asterisk", "restart"]);
    until_reconnected(&mut events, Duration::from_secs(30)).await;
    wait_for_application(&client, &app).await;
    user_event_arrives(&client, &mut events, &app).await;
}

#[tokio::test]
async fn fault_sigstop_is_noticed_by_the_keepalive_and_the_stream_recovers_after_sigcont() {
    let _turn = TURN.lock().await;
    let Some(_) = client_or_skip().await else {
        return;
    };
    let Some(xtask) = xtask_or_skip() else {
        return;
    };
    let client = quick_client(Duration::from_secs(2));
    let app = unique("sigstop");
    let mut events = Events::connect(&client, &[&app]).await;
    user_event_arrives(&client, &mut events, &app).await;

    xtask_run(&xtask, &["asterisk", "signal", "STOP"]);
    // Resumes Asterisk even if an assertion below fails.
    struct Resume<'a>(&'a Path);
    impl Drop for Resume<'_> {
        fn drop(&mut self) {
            let _ = std::process::Command::new(self.0)
                .args(["asterisk", "signal", "CONT"])
                .output();
        }
    }
    let resume = Resume(&xtask);
    // Ping every 1 s, pong within 1 s: the documented bound is their sum.
    let noticed = until_disconnected(&mut events, Duration::from_secs(6)).await;
    assert!(noticed <= Duration::from_secs(6), "{noticed:?}");
    // A frozen server answers no request either: a timeout, within its bound.
    let started = Instant::now();
    let frozen = client.asterisk().ping().send().await;
    assert!(frozen.is_err_and(|e| matches!(
        e,
        ari_generated::asterisk::PingError::Transport(ari_generated::runtime::TransportError::Http(ref h)) if h.is_timeout()
    )));
    assert!(started.elapsed() < Duration::from_secs(4));
    drop(resume);

    until_reconnected(&mut events, Duration::from_secs(30)).await;
    wait_for_application(&client, &app).await;
    user_event_arrives(&client, &mut events, &app).await;
}

/// Asterisk drops the event socket of a client that does not read within
/// `websocket_write_timeout` (100 ms by default): the stream reports it (the
/// keepalive notices, as Asterisk leaves the TCP connection open) and
/// reconnects; what was sent meanwhile is lost (docs/runtime.md says how to
/// resynchronise).
#[tokio::test]
async fn fault_write_timeout_a_stalled_consumer_is_dropped_reported_and_reconnected() {
    let _turn = TURN.lock().await;
    let Some(_) = client_or_skip().await else {
        return;
    };
    let (url, _, _) = settings();
    // Asterisk 22.10.1 gives up on the socket after a failed write ("Problem
    // occurred during websocket write …, websocket closed") but leaves the
    // TCP connection open, so only the keepalive can tell: keep it short.
    let options = quick_events(
        Duration::from_millis(200),
        Duration::from_secs(1),
        Duration::from_secs(1),
    )
    // The smallest hand-over buffer: a stalled consumer stops the reader at
    // once, and TCP backs up to Asterisk.
    .buffer(1)
    .check_version(false);
    let client = client_with_events(&url, options).build().unwrap();
    let app = unique("stalled");
    let mut events = Events::connect(&client, &[&app]).await;
    user_event_arrives(&client, &mut events, &app).await;

    // Flood while nobody reads: megabytes of user events fill the socket
    // buffers, and Asterisk's writes block past its timeout.
    let payload = "x".repeat(16 * 1024);
    let flood = {
        let (client, app) = (client.clone(), app.clone());
        tokio::spawn(async move {
            let mut sent = 0u32;
            let started = Instant::now();
            while started.elapsed() < Duration::from_secs(20) && sent < 2000 {
                let sending = client
                    .events()
                    .user_event("flood", &app)
                    .variables(serde_json::json!({ "variables": { "payload": payload } }))
                    .send()
                    .await;
                if sending.is_err() {
                    break;
                }
                sent += 1;
            }
            sent
        })
    };
    let sent = tokio::time::timeout(Duration::from_secs(30), flood)
        .await
        .expect("the flood ends")
        .expect("no panic");
    assert!(sent > 100, "only {sent} events sent");

    // Now read: the flood's head, then the drop, then the reconnect.
    let mut received = 0u32;
    let deadline = Instant::now() + Duration::from_secs(30);
    let reason = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match events.next_item(left.max(Duration::from_millis(1))).await {
            StreamItem::Event(Message::ChannelUserevent(_)) => received += 1,
            StreamItem::Disconnected {
                reason,
                will_reconnect,
            } => {
                assert!(will_reconnect);
                break reason;
            }
            _ => {}
        }
    };
    eprintln!("sent {sent}, received {received} before the drop: {reason}");
    assert!(
        received < sent,
        "nothing was lost: was the socket dropped at all?"
    );
    until_reconnected(&mut events, Duration::from_secs(30)).await;
    wait_for_application(&client, &app).await;
    user_event_arrives(&client, &mut events, &app).await;
}

/// `cargo test -- reconcile`: Asterisk killed and restarted under an
/// application with live handles. After the reconnect the handles of what died end with
/// `Vanished` (carrying why the connection went), the notice lists them,
/// and the application takes new calls.
#[tokio::test]
async fn reconcile_after_a_restart_ends_dead_handles_and_takes_new_calls() {
    use ari_generated::runtime::{AppState, EndCause, Notice, ResourceKind};
    let _turn = TURN.lock().await;
    let Some(_) = client_or_skip().await else {
        return;
    };
    let Some(xtask) = xtask_or_skip() else {
        return;
    };
    let client = quick_client(Duration::from_secs(3));
    let name = unique("reconcile");
    let app = tokio::time::timeout(WAIT, client.app(&name).clean_up_orphans(true).connect())
        .await
        .unwrap()
        .unwrap();
    let mut notices = app.notices();
    let mut calls = app.calls().expect("the calls are free");
    let mut call = client
        .channels()
        .originate("Local/answer-wait@default")
        .tracked(&app)
        .await
        .unwrap();
    let mut bridge = client.bridges().create().tracked(&app).await.unwrap();
    let (call_id, bridge_id) = (call.id().to_owned(), bridge.id().to_owned());

    // Killed, so that no StasisEnd goes out first: the channel dies in the gap.
    xtask_run(&xtask, &["asterisk", "signal", "KILL"]);
    let mut state = app.state();
    tokio::time::timeout(
        Duration::from_secs(10),
        state.wait_for(|s| matches!(s, AppState::Reconnecting { .. })),
    )
    .await
    .expect("the loss went unnoticed for 10 s")
    .unwrap();
    xtask_run(&xtask, &["asterisk", "restart"]);
    let reconciled = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            match notices.recv().await {
                Ok(Notice::Reconciled {
                    vanished, failures, ..
                }) => return (vanished, failures),
                Ok(_) => continue,
                Err(error) => panic!("notices: {error}"),
            }
        }
    })
    .await
    .expect("no Reconciled notice within 60 s");
    let (vanished, failures) = reconciled;
    assert!(failures.is_empty(), "{failures:?}");
    assert!(
        vanished.contains(&(ResourceKind("channel"), call_id.clone())),
        "{vanished:?}"
    );
    assert!(
        vanished.contains(&(ResourceKind("bridge"), bridge_id.clone())),
        "{vanished:?}"
    );
    for end in [
        call.finished_timeout(WAIT).await.unwrap_err(),
        bridge.finished_timeout(WAIT).await.unwrap_err(),
    ] {
        assert!(
            matches!(end.ended(), Some(e) if matches!(&e.cause, EndCause::Vanished { reason } if !reason.is_empty())),
            "{end}"
        );
    }
    assert_eq!(*app.state().borrow(), AppState::Ready);

    // New calls reach the application after the gap.
    place_incoming_call(&client, &name).await;
    let incoming = tokio::time::timeout(WAIT, calls.next())
        .await
        .expect("no call after the restart")
        .expect("the application ended");
    incoming.channel.hangup().send().await.unwrap();
    app.close().await;
}
