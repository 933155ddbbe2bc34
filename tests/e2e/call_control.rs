//! Call control against the real Asterisk: tracked handles and their own
//! event streams (`cargo test -- handle_stream`), race-free creators
//! (`creator_race`), a task per call (`call_task`), a stalled handle
//! (`overflow`) and a second connection taking the application over
//! (`displaced`). Reconciling (`reconcile`) is in `faults_asterisk`, which
//! may restart Asterisk, and `faults_proxy`, which drops the link.

use ari_generated::bridges::BridgeWaits;
use ari_generated::channels::ChannelHandle;
use ari_generated::channels::ChannelWaits;
use ari_generated::models::{ChannelState, Message};
use ari_generated::runtime::{AppState, EndCause, HandleError};
use ari_generated::{App, Client, IncomingCall, Tracked};
use ari_tests::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::mpsc;

type Error = Box<dyn std::error::Error + Send + Sync>;

async fn connect(client: &Client, name: &str) -> App {
    tokio::time::timeout(WAIT, client.app(name).connect())
        .await
        .expect("app connect: no answer")
        .expect("app connect")
}

/// A new application named after `prefix`, and a clean-up of the
/// channels whose ids carry its name (its own ids all do).
async fn fresh_app(client: &Client, prefix: &str) -> (String, App, Cleanup) {
    let name = unique(prefix);
    let app = connect(client, &name).await;
    let mut cleanup = Cleanup::default();
    cleanup.channels_starting_with(&name);
    (name, app, cleanup)
}

/// Channels still up whose id starts with `prefix` or whose name holds it
/// (both halves of `Local/answer-stasis-<prefix>@default`).
async fn channels_left(client: &Client, prefix: &str) -> Vec<String> {
    let all = client.channels().list().send().await.unwrap();
    all.into_iter()
        .filter(|c| c.id.starts_with(prefix) || c.name.contains(prefix))
        .map(|c| c.name.into_string())
        .collect()
}

async fn assert_no_channels_left(client: &Client, prefix: &str) {
    poll(&format!("no channels of {prefix} left"), || async {
        let left = channels_left(client, prefix).await;
        if left.is_empty() {
            Ok(())
        } else {
            Err(format!("{left:?}"))
        }
    })
    .await;
}

/// A channel originated into the application by its creator, answered
/// (`answer-wait`): returned in Stasis.
async fn answered_call(client: &Client, app: &App) -> Tracked<ChannelHandle> {
    client
        .channels()
        .originate("Local/answer-wait@default")
        .tracked(app)
        .await
        .unwrap()
}

/// A channel's handle sees its own playback's and recording's events
/// (which name only the playback or recording, attached to the channel by
/// `target_uri`); the playback's and the recording's handles end with
/// their `…Finished`.
#[tokio::test]
async fn handle_stream_channel_sees_its_playback_and_recording() {
    let client = client_or_return!();
    let (name, app, _cleanup) = fresh_app(&client, "hs-chan").await;
    let mut call = answered_call(&client, &app).await;
    assert!(app.is_own(call.id()), "{}", call.id());
    // Events before it (the `Dial` of the originate) are queued too.
    let start = call
        .wait_for_timeout(WAIT, |e| matches!(e, Message::StasisStart(_)))
        .await
        .unwrap();
    assert!(
        matches!(&start, Message::StasisStart(s) if s.channel.id == call.id()),
        "{start:?}"
    );

    let mut playback = call
        .play(&["sound:hello-world"])
        .tracked(&app)
        .await
        .unwrap();
    let finished = playback.finished_timeout(WAIT).await.unwrap();
    assert!(matches!(&*finished, Message::PlaybackFinished(f) if f.playback.id == playback.id()));
    // Ended: every later wait says so.
    let again = playback.next_event_timeout(WAIT).await.unwrap_err();
    assert!(
        matches!(again.ended(), Some(e) if matches!(e.cause, EndCause::Event { ref kind, .. } if kind == "PlaybackFinished")),
        "{again}"
    );

    let recording_name = unique("hs-rec");
    let mut recording = call
        .record(&recording_name, "wav")
        .tracked(&app)
        .await
        .unwrap();
    let started = recording
        .wait_for_timeout(WAIT, |e| matches!(e, Message::RecordingStarted(_)))
        .await
        .unwrap();
    assert!(matches!(&started, Message::RecordingStarted(r) if r.recording.name == recording_name));
    recording.stop().send().await.unwrap();
    let done = recording.finished_timeout(WAIT).await.unwrap();
    assert!(matches!(&*done, Message::RecordingFinished(_)), "{done:?}");
    let _ = client
        .recordings()
        .delete_stored(&recording_name)
        .send()
        .await;

    call.hangup().send().await.unwrap();
    let mut seen = Vec::new();
    let end = loop {
        match call.next_event_timeout(WAIT).await {
            Ok(event) => seen.push(describe(&event)),
            Err(error) => break error,
        }
    };
    assert!(
        matches!(end.ended(), Some(e) if matches!(e.cause, EndCause::Event { ref kind, .. } if kind == "StasisEnd")),
        "{end}"
    );
    let wanted = [
        "PlaybackStarted(sound:hello-world)",
        "PlaybackFinished(done)",
        &format!("RecordingStarted({recording_name})"),
        "RecordingFinished(done)",
        "StasisEnd",
    ];
    let mut rest = seen.iter();
    for want in wanted {
        assert!(rest.any(|s| s == want), "no {want} in order in {seen:?}");
    }
    assert_no_channels_left(&client, &name).await;
}

/// A bridge's handle sees the channels entering and leaving it, and ends
/// with its `BridgeDestroyed`.
#[tokio::test]
async fn handle_stream_bridge_sees_channels_enter_and_leave() {
    let client = client_or_return!();
    let (name, app, mut cleanup) = fresh_app(&client, "hs-bridge").await;
    let mut bridge = client.bridges().create().tracked(&app).await.unwrap();
    cleanup.bridge(bridge.id());
    let call = answered_call(&client, &app).await;
    bridge.add_channel(&[call.id()]).send().await.unwrap();
    let entered = tokio::time::timeout(WAIT, bridge.wait_channel(call.id()))
        .await
        .expect("no ChannelEnteredBridge")
        .unwrap();
    assert!(matches!(&entered, Message::ChannelEnteredBridge(e)
        if e.bridge.id == bridge.id() && e.channel.as_ref().is_some_and(|c| c.id == call.id())));
    bridge.remove_channel(&[call.id()]).send().await.unwrap();
    let left = bridge
        .wait_for_timeout(WAIT, |e| matches!(e, Message::ChannelLeftBridge(_)))
        .await
        .unwrap();
    assert!(matches!(&left, Message::ChannelLeftBridge(e) if e.channel.id == call.id()));
    bridge.destroy().send().await.unwrap();
    let destroyed = bridge.finished_timeout(WAIT).await.unwrap();
    assert!(matches!(&*destroyed, Message::BridgeDestroyed(_)));
    call.hangup().send().await.unwrap();
    assert_no_channels_left(&client, &name).await;
}

/// The seeds' "Getting started" on handles, the handler of
/// `ari-generated/examples/hello.rs`: a call into extension 1 (`Stasis(hello,world)`) is
/// answered, hears hello-world and is hung up; the task ends cleanly.
#[tokio::test]
async fn handle_stream_hello_seed() {
    let client = client_or_return!();
    let app = connect(&client, "hello").await;
    let (done, mut finished) = mpsc::unbounded_channel();
    let runner = tokio::spawn({
        let app = app.clone();
        async move {
            app.run(10, move |call: IncomingCall| {
                let done = done.clone();
                async move {
                    let IncomingCall {
                        channel,
                        start,
                        app,
                        ..
                    } = call;
                    let args = match &start {
                        Message::StasisStart(s) => s.args.clone(),
                        _ => Vec::new(),
                    };
                    let mut channel = channel;
                    channel.answer().send().await?;
                    // Extension 1 hands the channel over ringing: answered now.
                    tokio::time::timeout(WAIT, channel.wait_state(ChannelState::Up)).await??;
                    let mut playback = channel.play(&["sound:hello-world"]).tracked(&app).await?;
                    let finished = playback.finished().await?;
                    channel.hangup().send().await?;
                    let _ = done.send((args, finished));
                    Ok::<(), Error>(())
                }
            })
            .await
        }
    });
    // Extension 1 runs `Stasis(hello,world)`.
    place_call(&client, "1").await;
    let (args, finished) = tokio::time::timeout(WAIT, finished.recv())
        .await
        .expect("the call task did not finish")
        .unwrap();
    assert_eq!(args, ["world"]);
    assert!(
        matches!(&*finished, Message::PlaybackFinished(f) if f.playback.state.as_str() == "done")
    );
    assert_eq!(
        app.close().await,
        AppState::Closed {
            reason: "closed by the application".into()
        }
    );
    assert!(
        tokio::time::timeout(WAIT, runner).await.is_ok(),
        "run did not end with the app"
    );
}

/// The seeds' early bridging on handles (`ari-generated/examples/early_bridging.rs`): the
/// created channel is usable as soon as its creator returns, the bridge's
/// handle sees both channels enter, and the early DTMF crosses the bridge
/// to the inbound caller before anyone answers.
#[tokio::test]
async fn handle_stream_early_bridging_seed() {
    let client = client_or_return!();
    let (name, app, mut cleanup) = fresh_app(&client, "hs-early").await;
    let mut inbound = client
        .channels()
        .originate("Local/echo@default")
        .tracked(&app)
        .await
        .unwrap();
    let mut outbound = client
        .channels()
        .create("Local/early-dtmf@default", &name)
        .tracked(&app)
        .await
        .unwrap();
    outbound
        .set_channel_var("CALLERID(name)")
        .value("Early Bridging")
        .send()
        .await
        .unwrap();
    let mut bridge = client
        .bridges()
        .create()
        .type_("mixing")
        .tracked(&app)
        .await
        .unwrap();
    cleanup.bridge(bridge.id());
    bridge
        .add_channel(&[inbound.id(), outbound.id()])
        .send()
        .await
        .unwrap();
    outbound
        .dial()
        .caller(inbound.id())
        .timeout(30)
        .send()
        .await
        .unwrap();
    let dtmf = inbound
        .wait_for_timeout(
            WAIT,
            |e| matches!(e, Message::ChannelDtmfReceived(d) if d.digit == "5"),
        )
        .await
        .unwrap();
    assert!(matches!(&dtmf, Message::ChannelDtmfReceived(d) if d.channel.id == inbound.id()));
    let mut entered = Vec::new();
    while entered.len() < 2 {
        let event = bridge.next_event_timeout(WAIT).await.unwrap();
        if let Message::ChannelEnteredBridge(e) = &event {
            entered.extend(e.channel.as_ref().map(|c| c.id.to_string()));
        }
    }
    entered.sort();
    let mut both = vec![inbound.id().to_owned(), outbound.id().to_owned()];
    both.sort();
    assert_eq!(entered, both);
    // Ringing only: the outbound leg never answered.
    let state = outbound.get().send().await.unwrap().state;
    assert_ne!(state.as_str(), "Up");
    outbound.hangup().send().await.unwrap();
    assert!(outbound.finished_timeout(WAIT).await.is_ok());
    inbound.hangup().send().await.unwrap();
    bridge.destroy().send().await.unwrap();
    assert_no_channels_left(&client, &name).await;
}

/// Creators 50 times each: originate, externalMedia and snoop into the
/// application; each returns once its channel's `StasisStart` has come, and
/// `addChannel` right after never gets 422 "not in Stasis".
#[tokio::test]
async fn creator_race_originate_external_media_snoop_50_each() {
    let client = client_or_return!();
    let (name, app, mut cleanup) = fresh_app(&client, "race").await;
    let bridge = client.bridges().create().tracked(&app).await.unwrap();
    cleanup.bridge(bridge.id());
    let target = answered_call(&client, &app).await;
    for creator in ["originate", "externalMedia", "snoop"] {
        let rounds = (0..50).map(|round| {
            let (client, app, bridge, target, name) = (
                client.clone(),
                app.clone(),
                bridge.handle().clone(),
                target.handle().clone(),
                name.clone(),
            );
            async move {
                let channel = match creator {
                    "originate" => client
                        .channels()
                        .originate("Local/answer-wait@default")
                        .tracked(&app)
                        .await
                        .map_err(|e| e.to_string()),
                    "externalMedia" => client
                        .channels()
                        .external_media(&name, "ulaw")
                        .external_host(format!("127.0.0.1:{}", 40000 + round * 2))
                        .tracked(&app)
                        .await
                        .map_err(|e| e.to_string()),
                    _ => target
                        .snoop_channel(&name)
                        .spy("in")
                        .tracked(&app)
                        .await
                        .map_err(|e| e.to_string()),
                }
                .map_err(|e| format!("{creator} {round}: create: {e}"))?;
                let id = channel.id();
                bridge
                    .add_channel(&[id])
                    .send()
                    .await
                    .map_err(|e| format!("{creator} {round} {id}: addChannel: {e}"))?;
                channel
                    .hangup()
                    .send()
                    .await
                    .map_err(|e| format!("{creator} {round} {id}: hangup: {e}"))?;
                Ok::<_, String>(())
            }
        });
        let results = tokio::time::timeout(
            Duration::from_secs(60),
            futures_util::future::join_all(rounds),
        )
        .await
        .expect("50 creators within 60 s");
        let failures: Vec<&String> = results.iter().filter_map(|r| r.as_ref().err()).collect();
        assert!(failures.is_empty(), "{creator}: {failures:?}");
    }
    target.hangup().send().await.unwrap();
    bridge.destroy().send().await.unwrap();
    assert_no_channels_left(&client, &name).await;
}

/// What one call's task saw.
struct Seen {
    channel: String,
    events: Vec<Message>,
    end: HandleError<Message>,
}

/// One call as a task: mark the channel, mark it again, hang up, and read
/// until the handle ends.
async fn marked_call(call: IncomingCall) -> Result<Seen, Error> {
    let mut channel = call.channel;
    let own = channel.id().to_owned();
    channel.set_channel_var("TASK").value(&own).send().await?;
    channel.set_channel_var("STEP").value("2").send().await?;
    channel.hangup().send().await?;
    let mut events = Vec::new();
    let end = loop {
        match channel.next_event_timeout(WAIT).await {
            Ok(event) => events.push(event),
            Err(error) => break error,
        }
    };
    Ok(Seen {
        channel: own,
        events,
        end,
    })
}

/// Every event a task saw is about its channel, arrived once, in order.
fn check_own_events(seen: &Seen) -> Result<(), String> {
    let described: Vec<String> = seen.events.iter().map(describe).collect();
    for event in &seen.events {
        if channel_id(event) != Some(seen.channel.as_str()) {
            return Err(format!("{}: saw {:?}", seen.channel, event));
        }
    }
    let task = format!("ChannelVarset(TASK={})", seen.channel);
    let wanted = [task.as_str(), "ChannelVarset(STEP=2)", "StasisEnd"];
    let positions: Vec<Option<usize>> = wanted
        .iter()
        .map(|w| described.iter().position(|d| d == w))
        .collect();
    let once = wanted
        .iter()
        .all(|w| described.iter().filter(|d| d == w).count() == 1);
    let ordered = positions
        .windows(2)
        .all(|p| matches!(p, [Some(a), Some(b)] if a < b));
    let ended_by_stasis_end = matches!(seen.end.ended(), Some(e) if matches!(e.cause, EndCause::Event { ref kind, .. } if kind == "StasisEnd"));
    if !(once && ordered && ended_by_stasis_end) {
        return Err(format!(
            "{}: {described:?}, then {}",
            seen.channel, seen.end
        ));
    }
    Ok(())
}

/// Places `calls` calls into `extension` (`;2`), 20 originates at a time.
async fn place_calls(client: &Client, extension: &str, calls: usize) {
    let semaphore = Arc::new(tokio::sync::Semaphore::new(20));
    let placing = (0..calls).map(|_| {
        let semaphore = Arc::clone(&semaphore);
        async move {
            let _permit = semaphore.acquire().await.unwrap();
            place_call(client, extension).await;
        }
    });
    futures_util::future::join_all(placing).await;
}

/// 200 concurrent calls, each run as a task by `App::run`: each task sees
/// exactly its own events, once, in order, and no channel is left.
#[tokio::test]
async fn call_task_200_concurrent_calls_see_only_their_own_events() {
    const CALLS: usize = 200;
    let client = client_or_return!();
    let name = unique("tasks");
    let app = connect(&client, &name).await;
    let (report, mut reports) = mpsc::unbounded_channel();
    // Every task waits for all to be running: the calls are concurrent.
    let all_in = Arc::new(tokio::sync::Barrier::new(CALLS));
    let runner = tokio::spawn({
        let app = app.clone();
        async move {
            app.run(CALLS, move |call: IncomingCall| {
                let report = report.clone();
                let all_in = Arc::clone(&all_in);
                async move {
                    tokio::time::timeout(Duration::from_secs(60), all_in.wait())
                        .await
                        .map_err(|_| "not every call arrived")?;
                    let seen = marked_call(call).await?;
                    let _ = report.send(check_own_events(&seen));
                    Ok::<(), Error>(())
                }
            })
            .await
        }
    });
    place_calls(&client, &format!("answer-stasis-{name}"), CALLS).await;
    let mut failures = Vec::new();
    for _ in 0..CALLS {
        match tokio::time::timeout(Duration::from_secs(90), reports.recv()).await {
            Ok(Some(Ok(()))) => {}
            Ok(Some(Err(failure))) => failures.push(failure),
            _ => panic!("a call task did not report; failures so far: {failures:?}"),
        }
    }
    assert!(
        failures.is_empty(),
        "{} tasks failed: {failures:?}",
        failures.len()
    );
    assert_no_channels_left(&client, &name).await;
    app.close().await;
    let _ = tokio::time::timeout(WAIT, runner).await;
}

/// One deliberately stalled handle (capacity 8, 30 events while it does
/// not read) gets the 8 it had room for, then `Overflowed`; the 199 other
/// calls complete as if nothing happened.
#[tokio::test]
async fn overflow_a_stalled_handle_alone_overflows() {
    const CALLS: usize = 200;
    let client = client_or_return!();
    let name = unique("overflow");
    let app = tokio::time::timeout(WAIT, client.app(&name).handle_capacity(8).connect())
        .await
        .unwrap()
        .unwrap();
    let (report, mut reports) = mpsc::unbounded_channel();
    let (stalled_sender, mut stalled) = mpsc::unbounded_channel();
    let first = Arc::new(AtomicBool::new(true));
    let runner = tokio::spawn({
        let app = app.clone();
        async move {
            app.run(CALLS, move |call: IncomingCall| {
                let report = report.clone();
                let stalled_sender = stalled_sender.clone();
                let first = Arc::clone(&first);
                async move {
                    if first.swap(false, Ordering::SeqCst) {
                        // Hand the handle to the test, which stalls it.
                        let _ = stalled_sender.send(call.channel);
                        return Ok(());
                    }
                    let seen = marked_call(call).await?;
                    let _ = report.send(check_own_events(&seen));
                    Ok::<(), Error>(())
                }
            })
            .await
        }
    });
    place_calls(&client, &format!("answer-stasis-{name}"), 1).await;
    let mut victim = tokio::time::timeout(WAIT, stalled.recv())
        .await
        .unwrap()
        .unwrap();
    for n in 0..30 {
        victim
            .set_channel_var("FLOOD")
            .value(n.to_string())
            .send()
            .await
            .unwrap();
    }
    place_calls(&client, &format!("answer-stasis-{name}"), CALLS - 1).await;
    let mut failures = Vec::new();
    for _ in 0..CALLS - 1 {
        match tokio::time::timeout(Duration::from_secs(90), reports.recv()).await {
            Ok(Some(Ok(()))) => {}
            Ok(Some(Err(failure))) => failures.push(failure),
            _ => panic!("a call task did not report; failures so far: {failures:?}"),
        }
    }
    assert!(
        failures.is_empty(),
        "{} tasks failed: {failures:?}",
        failures.len()
    );
    // Only now does the stalled handle read.
    let mut got = 0;
    let end = loop {
        match victim.next_event_timeout(WAIT).await {
            Ok(_) => got += 1,
            Err(error) => break error,
        }
    };
    assert_eq!(got, 8, "{end}");
    assert!(
        matches!(end, HandleError::Overflowed { missed } if missed >= 22),
        "{end}"
    );
    victim.hangup().send().await.unwrap();
    assert_no_channels_left(&client, &name).await;
    app.close().await;
    let _ = tokio::time::timeout(WAIT, runner).await;
}

/// A second connection registering the same application: the first one's
/// state turns `Displaced` within a second, and its handles end so.
#[tokio::test]
async fn displaced_when_another_connection_registers_the_application() {
    let client = client_or_return!();
    let name = unique("displaced");
    let app = connect(&client, &name).await;
    let mut cleanup = Cleanup::default();
    let mut bridge = client.bridges().create().tracked(&app).await.unwrap();
    cleanup.bridge(bridge.id());
    let bridge_id = bridge.id().to_owned();
    let usurper = Events::connect(&client, &[&name]).await;
    let started = std::time::Instant::now();
    let state = tokio::time::timeout(Duration::from_secs(1), app.ended())
        .await
        .expect("not displaced within a second");
    assert_eq!(state, AppState::Displaced);
    eprintln!("displaced after {:?}", started.elapsed());
    let end = bridge.next_event_timeout(WAIT).await.unwrap_err();
    assert!(
        matches!(end.ended(), Some(e) if matches!(e.cause, EndCause::Displaced)),
        "{end}"
    );
    // The new connection has the application.
    client.bridges().destroy(&bridge_id).send().await.unwrap();
    drop(usurper);
}

/// `StasisBroadcast` offers each of 100 calls to two applications that both
/// claim every offer (`claim_offers`): each call is claimed exactly once,
/// handled by its winner only, and the loser's claim is an ordinary
/// `AlreadyClaimed`.
#[tokio::test]
async fn claim_two_applications_compete_for_100_broadcast_calls_each_claimed_once() {
    use ari_generated::runtime::{Claim, Notice};
    const CALLS: usize = 100;
    let client = client_or_return!();
    let prefix = unique("claim");
    let mut apps = Vec::new();
    for side in ["a", "b"] {
        let connecting = client
            .app(format!("{prefix}-{side}"))
            .claim_offers(true)
            .connect();
        apps.push(
            tokio::time::timeout(WAIT, connecting)
                .await
                .unwrap()
                .unwrap(),
        );
    }
    let mut notices: Vec<_> = apps.iter().map(App::notices).collect();
    let (handled_sender, mut handled) = mpsc::unbounded_channel();
    let runners: Vec<_> = apps
        .iter()
        .map(|app| {
            let (app, handled_sender) = (app.clone(), handled_sender.clone());
            tokio::spawn(async move {
                app.run(CALLS, move |call: IncomingCall| {
                    let handled_sender = handled_sender.clone();
                    async move {
                        let winner = call.app.name().to_owned();
                        let channel = call.channel.id().to_owned();
                        call.channel.hangup().send().await?;
                        let _ = handled_sender.send((winner, channel));
                        Ok::<(), Error>(())
                    }
                })
                .await
            })
        })
        .collect();
    // `;2` runs StasisBroadcast for every application named `<prefix>-…`.
    place_calls(&client, &format!("broadcastany-{prefix}-"), CALLS).await;
    let mut winners = std::collections::BTreeMap::new();
    for _ in 0..CALLS {
        let (winner, channel) = tokio::time::timeout(Duration::from_secs(60), handled.recv())
            .await
            .unwrap_or_else(|_| panic!("{} of {CALLS} calls handled", winners.len()))
            .unwrap();
        assert!(
            winners.insert(channel.clone(), winner).is_none(),
            "{channel} handled twice"
        );
    }
    // Every offer reached both applications: one claim won, one lost.
    let (mut won, mut lost) = (std::collections::BTreeSet::new(), 0);
    let deadline = tokio::time::Instant::now() + WAIT;
    while won.len() + lost < 2 * CALLS && tokio::time::Instant::now() < deadline {
        for receiver in &mut notices {
            while let Ok(notice) = receiver.try_recv() {
                match notice {
                    Notice::Claimed {
                        channel,
                        outcome: Ok(Claim::Won),
                    } => {
                        assert!(won.insert(channel.clone()), "{channel} won twice");
                    }
                    Notice::Claimed {
                        outcome: Ok(Claim::AlreadyClaimed | Claim::NotOffered),
                        ..
                    } => lost += 1,
                    Notice::Claimed {
                        outcome: Err(error),
                        ..
                    } => panic!("a claim failed: {error}"),
                    _ => {}
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(won.len(), CALLS);
    assert_eq!(lost, CALLS);
    let handled: std::collections::BTreeSet<_> = winners.keys().cloned().collect();
    assert_eq!(won, handled, "the calls handled are the claims won");
    assert_no_channels_left(&client, &prefix).await;
    for app in &apps {
        app.close().await;
    }
    for runner in runners {
        let _ = tokio::time::timeout(WAIT, runner).await;
    }
}
