//! Restarting Asterisk under an open event stream. Alone in its binary:
//! the restart ends every call, so no other test may run beside it (cargo
//! runs test binaries one after the other).

use ari_generated::models::Message;
use ari_generated::runtime::StreamItem;
use ari_tests::*;
use std::time::{Duration, Instant};

#[tokio::test]
async fn the_stream_reports_an_asterisk_restart_and_comes_back() {
    let Some((url, _, _)) = client_or_skip().await.map(|_| settings()) else {
        return;
    };
    let Some(xtask) = xtask_or_skip() else {
        return;
    };
    // The generated path (`events().event_websocket()`), with the client's
    // event options: quick retries so the test does not idle.
    let options = quick_events(
        Duration::from_millis(100),
        Duration::from_millis(500),
        Duration::from_secs(2),
    );
    let client = client_with_events(&url, options).build().unwrap();
    let app = unique("reconnect");
    let stream = client
        .events()
        .event_websocket(&[&app])
        .connect()
        .await
        .unwrap();
    let mut events = Events::from_stream(stream);
    wait_for_application(&client, &app).await;

    let before = client
        .channels()
        .originate("Local/answer-wait@default")
        .app(&app)
        .send()
        .await
        .unwrap();
    events
        .until(|m| matches!(m, Message::StasisStart(s) if s.channel.id == before.id).then_some(()))
        .await;

    let restarted_at = Instant::now();
    let restart = tokio::task::spawn_blocking(move || {
        std::process::Command::new(&xtask)
            .args(["asterisk", "restart"])
            .output()
    });

    // Shutting down, Asterisk hangs the call up, then the socket goes.
    let mut before_drop = Vec::new();
    let reason = loop {
        match events.next_item(Duration::from_secs(30)).await {
            StreamItem::Event(message) => before_drop.push(message),
            StreamItem::Disconnected {
                reason,
                will_reconnect,
            } => {
                assert!(will_reconnect);
                break reason;
            }
            other => panic!("{other:?} before the drop"),
        }
    };
    assert!(!reason.is_empty());
    eprintln!("dropped after {:?}: {reason}", restarted_at.elapsed());
    // Asterisk hangs the call up as it shuts down (cause 4), then the
    // socket goes. Shutdown races: a second hangup request (cause 0) comes
    // anywhere, and the destruction may not make it out before the socket
    // closes.
    let ended: Vec<String> = sequence(&before_drop, &before.id)
        .into_iter()
        .filter(|e| e != "ChannelHangupRequest(0)")
        .collect();
    let stasis_left = [
        "ChannelHangupRequest(4)",
        "StasisEnd",
        "ChannelVarset(STASISSTATUS=SUCCESS)",
    ];
    assert!(
        ended == stasis_left || ended[..] == [&stasis_left[..], &["ChannelDestroyed(0)"]].concat(),
        "{ended:?}"
    );

    let attempts = match events.next_item(Duration::from_secs(60)).await {
        StreamItem::Reconnected { attempts } => attempts,
        other => panic!("expected Reconnected, got {other:?}"),
    };
    assert!(attempts >= 1);
    let output = restart.await.unwrap().expect("xtask runs");
    assert!(
        output.status.success(),
        "xtask asterisk restart: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    eprintln!(
        "reconnected after {attempts} attempts, {:?} after the restart began ({reason})",
        restarted_at.elapsed()
    );

    // The same `app=` registered the application again on the new server.
    wait_for_application(&client, &app).await;
    let gone = client.channels().get(&before.id).send().await;
    assert!(
        matches!(gone, Err(ari_generated::channels::GetError::NotFound(_))),
        "{gone:?}"
    );
    let after = client
        .channels()
        .originate("Local/answer-wait-1@default")
        .app(&app)
        .send()
        .await
        .unwrap();
    let seen = events
        .collect_until(|m| matches!(m, Message::ChannelDestroyed(e) if e.channel.id == after.id))
        .await;
    assert_eq!(
        sequence(&seen, &after.id),
        [
            "Dial()",
            "ChannelStateChange(Up)",
            "Dial(ANSWER)",
            "ChannelVarset(STASISSTATUS=)",
            "StasisStart()",
            "ChannelHangupRequest(16)",
            "StasisEnd",
            "ChannelVarset(STASISSTATUS=SUCCESS)",
            "ChannelDestroyed(16)",
        ]
    );
}
