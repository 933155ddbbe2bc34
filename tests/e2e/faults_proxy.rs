//! Connection faults between the client and the real Asterisk, injected by
//! the loopback proxy of `tests/proxy.rs` (`cargo test -- fault_proxy`):
//! every fault ends in a typed error or a reconnect within a bound, never a
//! hang or a panic.

use ari_generated::Client;
use ari_generated::models::Message;
use ari_generated::runtime::{StreamItem, TransportError};
use ari_tests::proxy::{Fault, Proxy, upstream_of};
use ari_tests::*;
use std::time::{Duration, Instant};

/// A client through a new proxy to the test Asterisk, with short timeouts,
/// quick reconnects and this keepalive, so that each fault shows within
/// seconds.
async fn through_proxy(keepalive: Duration) -> Option<(Proxy, Client, Client)> {
    let direct = client_or_skip().await?;
    let (url, _, _) = settings();
    let proxy = Proxy::start(upstream_of(&url)).await.expect("proxy");
    let options = quick_events(
        Duration::from_millis(100),
        Duration::from_millis(400),
        keepalive,
    );
    let client = client_with_events(
        &format!("{}/ari", proxy.url()),
        options.check_version(false),
    )
    .request_timeout(Some(Duration::from_secs(2)))
    .connect_timeout(Some(Duration::from_secs(2)))
    .build()
    .unwrap();
    Some((proxy, client, direct))
}

/// A user event for `app` sent past the proxy, and its arrival on `events`.
async fn user_event_arrives(direct: &Client, events: &mut Events, app: &str, payload: &str) {
    let name = unique("fault");
    direct
        .events()
        .user_event(&name, app)
        .variables(serde_json::json!({ "variables": { "payload": payload } }))
        .send()
        .await
        .unwrap();
    events
        .until(|message| match message {
            Message::ChannelUserevent(event) if event.eventname == name => Some(()),
            _ => None,
        })
        .await;
}

/// The stream reports the loss, then reconnects once the link is healed.
async fn lost_then_back(events: &mut Events, bound: Duration) -> Duration {
    let started = Instant::now();
    loop {
        let left = bound.saturating_sub(started.elapsed());
        match events.next_item(left.max(Duration::from_millis(1))).await {
            StreamItem::Disconnected {
                will_reconnect: true,
                ..
            } => return started.elapsed(),
            StreamItem::Disconnected { .. } => panic!("gave up; seen {:?}", events.seen),
            _ => {}
        }
    }
}

async fn reconnected(events: &mut Events) {
    loop {
        if let StreamItem::Reconnected { .. } = events.next_item(WAIT).await {
            return;
        }
    }
}

#[tokio::test]
async fn fault_proxy_byte_at_a_time_link_still_carries_rest_and_events() {
    // While a frame trickles in, no pong can pass it: the keepalive must
    // outlast the slowest frame, or it declares the link lost.
    let Some((proxy, client, direct)) = through_proxy(Duration::from_secs(10)).await else {
        return;
    };
    let app = unique("trickle");
    let mut events = Events::connect(&client, &[&app]).await;
    proxy.set(Fault::ByteAtATime(Duration::from_micros(200)));
    client.asterisk().ping().send().await.unwrap();
    let info = client.asterisk().get_info().send().await.unwrap();
    assert!(info.system.is_some());
    // Frames of an open stream arrive whole, however they are cut up.
    user_event_arrives(&direct, &mut events, &app, &"é😀\"".repeat(10)).await;
    // A WebSocket handshake answered one byte per packet is refused by
    // tungstenite's guard against slow-loris answers: a typed error, at once.
    let refused = tokio::time::timeout(WAIT, client.event_stream([unique("trickle")]).connect())
        .await
        .expect("no hang");
    match refused {
        Err(ari_generated::runtime::ConnectError::WebSocket(error)) => {
            assert!(
                error.to_string().to_lowercase().contains("attack"),
                "{error}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn fault_proxy_stalled_answers_end_in_a_timeout_error() {
    let Some((proxy, client, _direct)) = through_proxy(Duration::from_secs(10)).await else {
        return;
    };
    client.asterisk().ping().send().await.unwrap();
    proxy.set(Fault::StallAnswers);
    let started = Instant::now();
    let answer = tokio::time::timeout(WAIT, client.asterisk().ping().send())
        .await
        .expect("the request timeout must end a stalled request");
    match answer {
        Err(ari_generated::asterisk::PingError::Transport(TransportError::Http(error))) => {
            assert!(error.is_timeout(), "{error:?}");
        }
        other => panic!("{other:?}"),
    }
    // The request timeout is 2 s; the bound leaves room for a busy machine.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    proxy.set(Fault::Pass);
    client.asterisk().ping().send().await.unwrap();
}

#[tokio::test]
async fn fault_proxy_reset_mid_frame_is_an_error_for_rest_and_a_reconnect_for_events() {
    let Some((proxy, client, direct)) = through_proxy(Duration::from_secs(10)).await else {
        return;
    };
    // REST: the answer breaks off after its first bytes.
    proxy.set(Fault::ResetAfter(20));
    match client.asterisk().get_info().send().await {
        Err(ari_generated::asterisk::GetInfoError::Transport(TransportError::Http(_))) => {}
        other => panic!("{other:?}"),
    }
    proxy.set(Fault::Pass);

    // Events: a frame breaks off in the middle.
    let app = unique("reset");
    let mut events = Events::connect(&client, &[&app]).await;
    user_event_arrives(&direct, &mut events, &app, "before").await;
    proxy.set(Fault::ResetAfter(40));
    let name = unique("cut");
    direct
        .events()
        .user_event(&name, &app)
        .variables(serde_json::json!({ "variables": { "payload": "x".repeat(2000) } }))
        .send()
        .await
        .unwrap();
    lost_then_back(&mut events, WAIT).await;
    proxy.set(Fault::Pass);
    reconnected(&mut events).await;
    wait_for_application(&direct, &app).await;
    user_event_arrives(&direct, &mut events, &app, "after").await;
}

#[tokio::test]
async fn fault_proxy_half_open_link_is_noticed_by_the_keepalive() {
    let Some((proxy, client, direct)) = through_proxy(Duration::from_millis(600)).await else {
        return;
    };
    let app = unique("halfopen");
    let mut events = Events::connect(&client, &[&app]).await;
    user_event_arrives(&direct, &mut events, &app, "before").await;
    proxy.set(Fault::BlackHole);
    // Ping every 600 ms, pong within 600 ms: lost within about 1.2 s; the
    // bound leaves room for a busy machine.
    let noticed = lost_then_back(&mut events, Duration::from_secs(5)).await;
    assert!(noticed <= Duration::from_secs(5), "{noticed:?}");
    // While the link stays dead, reconnect attempts fail (each bounded by
    // the connect timeout) and the stream keeps trying.
    tokio::time::sleep(Duration::from_secs(1)).await;
    proxy.set(Fault::Pass);
    reconnected(&mut events).await;
    wait_for_application(&direct, &app).await;
    user_event_arrives(&direct, &mut events, &app, "after").await;
}

/// `cargo test -- reconcile`: the link drops (reset by the proxy) while
/// Asterisk keeps running. After the reconnect, a live tracked channel is
/// kept, a channel with the application's id prefix and no handle is hung
/// up (`clean_up_orphans`), and a call that entered the application while
/// it took no calls is reported untracked.
#[tokio::test]
async fn reconcile_after_a_dropped_link_keeps_live_handles_and_cleans_up_orphans() {
    use ari_generated::runtime::{AppState, Notice};
    let Some((proxy, client, direct)) = through_proxy(Duration::from_secs(1)).await else {
        return;
    };
    let name = unique("reconcile-link");
    let app = tokio::time::timeout(WAIT, client.app(&name).clean_up_orphans(true).connect())
        .await
        .unwrap()
        .unwrap();
    let mut cleanup = Cleanup::default();
    cleanup.channels_starting_with(&name);
    let mut notices = app.notices();
    let live = client
        .channels()
        .originate("Local/answer-wait@default")
        .tracked(&app)
        .await
        .unwrap();
    // An orphan: the application's prefix, in the dialplan, no handle.
    let orphan = app.new_id();
    direct
        .channels()
        .originate("Local/answer-wait@default")
        .context("default")
        .extension("answer-wait")
        .priority(1)
        .channel_id(&orphan)
        .send()
        .await
        .unwrap();
    // A call entering the application while nobody takes calls.
    place_incoming_call(&direct, &name).await;
    let untracked_call = poll("the incoming call in Stasis", || async {
        let channels = direct
            .channels()
            .list()
            .send()
            .await
            .map_err(|e| e.to_string())?;
        channels
            .into_iter()
            .find(|c| {
                c.name.contains(&format!("answer-stasis-{name}"))
                    && c.name.ends_with(";2")
                    && c.dialplan.app_name == "Stasis"
            })
            .map(|c| c.id.to_string())
            .ok_or_else(|| "not yet".to_owned())
    })
    .await;
    cleanup.channel(&untracked_call);

    proxy.set(Fault::ResetAfter(0));
    direct
        .events()
        .user_event("nudge", &name)
        .send()
        .await
        .unwrap();
    let mut state = app.state();
    tokio::time::timeout(
        WAIT,
        state.wait_for(|s| matches!(s, AppState::Reconnecting { .. })),
    )
    .await
    .expect("the drop went unnoticed")
    .unwrap();
    proxy.set(Fault::Pass);
    let (vanished, untracked, cleaned_up, failures) = tokio::time::timeout(WAIT, async {
        loop {
            if let Ok(Notice::Reconciled {
                vanished,
                untracked,
                cleaned_up,
                failures,
                ..
            }) = notices.recv().await
            {
                return (vanished, untracked, cleaned_up, failures);
            }
        }
    })
    .await
    .expect("no Reconciled notice");
    assert!(failures.is_empty(), "{failures:?}");
    assert!(vanished.is_empty(), "{vanished:?}");
    assert!(cleaned_up.contains(&orphan), "{cleaned_up:?}");
    assert!(untracked.contains(&untracked_call), "{untracked:?}");
    assert!(!live.is_ended());
    poll("the orphan hung up", || async {
        match direct.channels().get(&orphan).send().await {
            Err(ari_generated::channels::GetError::NotFound(_)) => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    live.hangup().send().await.unwrap();
    hang_up_quietly(&direct, &untracked_call).await;
    app.close().await;
}
