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
