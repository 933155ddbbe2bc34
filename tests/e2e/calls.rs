//! Calls against the real Asterisk: the seeds' scenarios, originate into
//! Stasis and into the dialplan, DTMF, user events, channel variables,
//! recordings and device states. Each test asserts the exact sequence of
//! events about its channels.

use ari_generated::models::{Message, UpdateDeviceState};
use ari_tests::*;
use serde_json::json;
use std::time::Duration;

fn stasis_start_of(message: &Message) -> Option<ari_generated::models::StasisStart> {
    match message {
        Message::StasisStart(start) => Some((**start).clone()),
        _ => None,
    }
}

fn is_destroyed(message: &Message, channel: &str) -> bool {
    matches!(message, Message::ChannelDestroyed(e) if e.channel.id == channel)
}

/// The seeds' "Getting started with ARI": extension 1 runs
/// `Stasis(hello,world)`; the app answers, plays `sound:hello-world`, waits
/// for `PlaybackFinished` and hangs up.
#[tokio::test]
async fn hello_world_from_the_getting_started_seed() {
    let client = client_or_return!();
    let mut cleanup = Cleanup::default();
    let mut events = Events::connect(&client, &["hello"]).await;
    // `;1` waits in the dialplan (the seed's `application wait`), `;2` runs
    // extension 1.
    client
        .channels()
        .originate("Local/1@default")
        .context("default")
        .extension("answer-wait")
        .priority(1)
        .send()
        .await
        .unwrap();
    let mut seen = events
        .collect_until(|m| matches!(m, Message::StasisStart(_)))
        .await;
    let start = seen.last().and_then(stasis_start_of).unwrap();
    assert_eq!(start.application, "hello");
    assert_eq!(start.args, ["world"]);
    assert_eq!(start.channel.state.as_str(), "Ring");
    assert_eq!(start.channel.dialplan.exten, "1");
    assert!(start.channel.name.ends_with(";2"), "{}", start.channel.name);
    let id = start.channel.id.clone();
    cleanup.channel(&id);

    client.channels().answer(&id).send().await.unwrap();
    let playback = client
        .channels()
        .play(&id, &["sound:hello-world"])
        .send()
        .await
        .unwrap();
    assert_eq!(playback.media_uri, "sound:hello-world");
    seen.extend(
        events
            .collect_until(
                |m| matches!(m, Message::PlaybackFinished(e) if e.playback.id == playback.id),
            )
            .await,
    );
    client.channels().hangup(&id).send().await.unwrap();
    // The app followed the channel only while it was in Stasis, so
    // StasisEnd is the last event about it (no ChannelDestroyed).
    seen.extend(
        events
            .collect_until(|m| matches!(m, Message::StasisEnd(e) if e.channel.id == id))
            .await,
    );

    assert_eq!(
        sequence(&seen, &id),
        [
            "StasisStart(world)",
            "ChannelStateChange(Up)",
            "PlaybackStarted(sound:hello-world)",
            "PlaybackFinished(done)",
            // What ARI's `DELETE /channels/{id}` reports (default reason).
            "ChannelHangupRequest(32)",
            "StasisEnd",
        ]
    );
    events.assert_quiet(Duration::from_millis(300)).await;
}

/// The seeds' Asterisk 14 flow: `channels/create` an outbound channel, set
/// its caller id, bridge it with the inbound channel, then `dial` it. The
/// far end (`early-dtmf`) rings and sends early media without answering;
/// the digit it sends crosses the bridge to the inbound caller, whose far
/// end echoes it: media is bridged before answer.
#[tokio::test]
async fn early_bridging_from_the_asterisk_14_seed() {
    let client = client_or_return!();
    let mut cleanup = Cleanup::default();
    let app = unique("early");
    let mut events = Events::connect(&client, &[&app]).await;

    let inbound = client
        .channels()
        .originate("Local/echo@default")
        .app(&app)
        .send()
        .await
        .unwrap();
    cleanup.channel(&inbound.id);
    let mut seen = events
        .collect_until(|m| matches!(m, Message::StasisStart(e) if e.channel.id == inbound.id))
        .await;

    let outbound = client
        .channels()
        .create("Local/early-dtmf@default", &app)
        .send()
        .await
        .unwrap();
    cleanup.channel(&outbound.id);
    assert_eq!(outbound.state.as_str(), "Down");
    seen.extend(
        events
            .collect_until(|m| matches!(m, Message::StasisStart(e) if e.channel.id == outbound.id))
            .await,
    );
    client
        .channels()
        .set_channel_var(&outbound.id, "CALLERID(name)")
        .value("Early Bridge")
        .send()
        .await
        .unwrap();
    client
        .channels()
        .set_channel_var(&outbound.id, "EARLY_BRIDGED")
        .value("yes")
        .send()
        .await
        .unwrap();

    let bridge = client
        .bridges()
        .create()
        .type_("mixing")
        .name(&app)
        .send()
        .await
        .unwrap();
    cleanup.bridge(&bridge.id);
    client
        .bridges()
        .add_channel(&bridge.id, &[&inbound.id, &outbound.id])
        .send()
        .await
        .unwrap();
    client
        .channels()
        .dial(&outbound.id)
        .caller(&inbound.id)
        .timeout(10)
        .send()
        .await
        .unwrap();

    // The inbound channel's far end echoes what the bridge sends it.
    seen.extend(
        events
            .collect_until(
                |m| matches!(m, Message::ChannelDtmfReceived(e) if e.channel.id == inbound.id),
            )
            .await,
    );
    let outbound_now = client.channels().get(&outbound.id).send().await.unwrap();
    assert_eq!(
        outbound_now.state.as_str(),
        "Ringing",
        "media crossed the bridge before the outbound channel answered"
    );
    assert_eq!(outbound_now.caller.name, "Early Bridge");
    let in_bridge = client.bridges().get(&bridge.id).send().await.unwrap();
    let mut members = in_bridge.channels.clone();
    members.sort();
    let mut expected = vec![inbound.id.clone(), outbound.id.clone()];
    expected.sort();
    assert_eq!(members, expected);

    let bridgepeer = |peer: &str| format!("ChannelVarset(BRIDGEPEER={peer})");
    // The dial's start is published by the dialing thread while the callee
    // already rings, so under load it may reach the app after the callee's
    // own ringing events: it is checked apart from the ordered sequence.
    let mut outbound_events = sequence(&seen, &outbound.id);
    let dial_starts = outbound_events.iter().filter(|e| *e == "Dial()").count();
    assert_eq!(dial_starts, 1, "{outbound_events:?}");
    outbound_events.retain(|e| e != "Dial()");
    assert_eq!(
        outbound_events,
        [
            // A created channel enters Stasis at once, without dialing.
            format!("ChannelDialplan(Stasis:{app})"),
            "ChannelVarset(STASISSTATUS=)".into(),
            "StasisStart()".into(),
            "ChannelCallerId".into(),
            "ChannelVarset(EARLY_BRIDGED=yes)".into(),
            "ChannelEnteredBridge".into(),
            bridgepeer(&inbound.name),
            "ChannelStateChange(Ringing)".into(),
            "Dial(RINGING)".into(),
            "Dial(PROGRESS)".into(),
            "ChannelDtmfReceived(5)".into(),
        ]
    );
    let inbound_events = sequence(&seen, &inbound.id);
    assert_eq!(
        inbound_events,
        [
            "Dial()".to_owned(),
            "ChannelStateChange(Up)".into(),
            "Dial(ANSWER)".into(),
            "ChannelVarset(STASISSTATUS=)".into(),
            "StasisStart()".into(),
            "ChannelEnteredBridge".into(),
            bridgepeer(&outbound.name),
            // Dialing with `caller` gives the caller the callee's identity.
            "ChannelConnectedLine".into(),
            "ChannelDtmfReceived(5)".into(),
        ]
    );

    client.channels().hangup(&outbound.id).send().await.unwrap();
    client.channels().hangup(&inbound.id).send().await.unwrap();
    let mut ended = events
        .collect_until(|m| is_destroyed(m, &outbound.id))
        .await;
    if !ended.iter().any(|m| is_destroyed(m, &inbound.id)) {
        ended.extend(events.collect_until(|m| is_destroyed(m, &inbound.id)).await);
    }
    assert_eq!(
        sequence(&ended, &outbound.id),
        [
            "ChannelHangupRequest(32)",
            "ChannelVarset(BRIDGEPEER=)",
            "ChannelLeftBridge",
            "StasisEnd",
            "ChannelVarset(STASISSTATUS=SUCCESS)",
            "ChannelDestroyed(16)",
        ]
    );
    client.bridges().destroy(&bridge.id).send().await.unwrap();
}

/// `POST /channels` with `app=`: the originated `;1` goes through dialing,
/// answer and Stasis; its far end hangs up after one second.
#[tokio::test]
async fn originate_into_stasis_follows_the_whole_call() {
    let client = client_or_return!();
    let mut cleanup = Cleanup::default();
    let app = unique("originate");
    let mut events = Events::connect(&client, &[&app]).await;
    let channel = client
        .channels()
        .originate("Local/answer-wait-1@default")
        .app(&app)
        .app_args("a,b")
        .send()
        .await
        .unwrap();
    cleanup.channel(&channel.id);
    assert_eq!(channel.state.as_str(), "Down");
    let seen = events.collect_until(|m| is_destroyed(m, &channel.id)).await;
    assert_eq!(
        sequence(&seen, &channel.id),
        [
            "Dial()",
            "ChannelStateChange(Up)",
            "Dial(ANSWER)",
            "ChannelVarset(STASISSTATUS=)",
            "StasisStart(a,b)",
            "ChannelHangupRequest(16)",
            "StasisEnd",
            "ChannelVarset(STASISSTATUS=SUCCESS)",
            "ChannelDestroyed(16)",
        ]
    );
    let channels = client.channels().list().send().await.unwrap();
    assert!(!channels.iter().any(|c| c.id == channel.id));
}

/// `POST /channels` with a dialplan location: no Stasis at all, so the app
/// watches with `subscribeAll`, filtering on the ids it chose.
#[tokio::test]
async fn originate_into_the_dialplan_follows_the_whole_call() {
    let client = client_or_return!();
    let mut cleanup = Cleanup::default();
    let app = unique("dialplan");
    let stream = client
        .event_stream([app.as_str()])
        .subscribe_all(true)
        .connect()
        .await
        .unwrap();
    let mut events = Events::from_stream(stream);
    wait_for_application(&client, &app).await;
    let id = unique("dp");
    let other = format!("{id}-2");
    cleanup.channel(&id);
    cleanup.channel(&other);
    let channel = client
        .channels()
        .originate("Local/answer-wait@default")
        .context("default")
        .extension("playback")
        .priority(1)
        .channel_id(&id)
        .other_channel_id(&other)
        .send()
        .await
        .unwrap();
    cleanup.channel(&channel.id);
    assert_eq!(channel.id, id);
    // `playback` answers, plays hello-world and hangs up.
    let seen = events.collect_until(|m| is_destroyed(m, &id)).await;
    let calls = sequence(&seen, &id);
    assert_eq!(
        calls,
        [
            "ChannelCreated",
            "ChannelDialplan(AppDial2:(Outgoing Line))",
            "Dial()",
            "ChannelStateChange(Up)",
            "Dial(ANSWER)",
            "ChannelDialplan(NoOp:)",
            "ChannelDialplan(Answer:)",
            "ChannelDialplan(Playback:hello-world)",
            "ChannelVarset(PLAYBACKSTATUS=SUCCESS)",
            "ChannelDialplan(Hangup:)",
            "ChannelHangupRequest(16)",
            "ChannelDestroyed(16)",
        ],
        "{calls:#?}"
    );
    assert_eq!(
        sequence(&seen, &other).first().map(String::as_str),
        Some("ChannelCreated")
    );
    // Dropped, not closed: the stream releases the devices it watches by
    // itself before it closes (a drop in a busy Asterisk 22.10.1 used to
    // deadlock ARI; see `EventStream::close`).
    assert!(!watched_devices(&client, &app).await.is_empty());
    drop(events);
    wait_for_application_gone(&client, &app).await;
}

#[tokio::test]
async fn dtmf_from_the_far_end_and_sent_through_ari() {
    let client = client_or_return!();
    let mut cleanup = Cleanup::default();
    let app = unique("dtmf");
    let mut events = Events::connect(&client, &[&app]).await;

    let sender = client
        .channels()
        .originate("Local/dtmf-1*9#@default")
        .app(&app)
        .send()
        .await
        .unwrap();
    cleanup.channel(&sender.id);
    let mut digits = Vec::new();
    while digits.len() < 4 {
        digits.push(
            events
                .until(|m| match m {
                    Message::ChannelDtmfReceived(e) if e.channel.id == sender.id => {
                        assert!(e.duration_ms > 0);
                        Some(e.digit.clone())
                    }
                    _ => None,
                })
                .await,
        );
    }
    assert_eq!(digits, ["1", "*", "9", "#"]);
    client.channels().hangup(&sender.id).send().await.unwrap();

    let echo = client
        .channels()
        .originate("Local/echo@default")
        .app(&app)
        .send()
        .await
        .unwrap();
    cleanup.channel(&echo.id);
    events
        .until(|m| stasis_start_of(m).filter(|s| s.channel.id == echo.id))
        .await;
    client
        .channels()
        .send_dtmf(&echo.id)
        .dtmf("42")
        .between(100)
        .send()
        .await
        .unwrap();
    let seen = events
        .collect_until(|m| matches!(m, Message::ChannelDtmfReceived(e) if e.channel.id == echo.id && e.digit == "2"))
        .await;
    let echoed: Vec<String> = sequence(&seen, &echo.id)
        .into_iter()
        .filter(|e| e.starts_with("ChannelDtmfReceived"))
        .collect();
    assert_eq!(echoed, ["ChannelDtmfReceived(4)", "ChannelDtmfReceived(2)"]);
    client.channels().hangup(&echo.id).send().await.unwrap();
    events.collect_until(|m| is_destroyed(m, &echo.id)).await;
}

/// User events from the dialplan (`UserEvent()`) and from ARI
/// (`POST /events/user`), seen by two consumers of one connection.
#[tokio::test]
async fn user_events_from_dialplan_and_ari_reach_every_consumer() {
    let client = client_or_return!();
    let mut cleanup = Cleanup::default();
    let app = unique("userevent");
    let mut events = Events::connect(&client, &[&app]).await;
    let mut second = Events::from_stream(events.stream.subscribe());

    let name = unique("Dialplan").replace('-', "");
    let channel = client
        .channels()
        .originate(format!("Local/userevent-{name}@default"))
        .app(&app)
        .send()
        .await
        .unwrap();
    cleanup.channel(&channel.id);
    let from_dialplan = |m: &Message| match m {
        Message::ChannelUserevent(e) if e.eventname == name => Some((**e).clone()),
        _ => None,
    };
    let event = events.until(from_dialplan).await;
    assert_eq!(
        event.userevent,
        json!({"eventname": name, "source": "dialplan"})
    );
    assert_eq!(event.application, app);
    let origin = event.channel.expect("the event names its channel");
    assert!(origin.name.ends_with(";2"), "{}", origin.name);
    assert_eq!(second.until(from_dialplan).await.userevent, event.userevent);

    client
        .events()
        .user_event("FromAri", &app)
        .source(&[format!("channel:{}", channel.id)])
        .variables(json!({"k": "v", "n": "1"}))
        .send()
        .await
        .unwrap();
    let from_ari = |m: &Message| match m {
        Message::ChannelUserevent(e) if e.eventname == "FromAri" => Some((**e).clone()),
        _ => None,
    };
    let event = events.until(from_ari).await;
    assert_eq!(
        event.userevent,
        json!({"eventname": "FromAri", "k": "v", "n": "1"})
    );
    assert_eq!(event.channel.map(|c| c.id), Some(channel.id.clone()));
    assert_eq!(second.until(from_ari).await.eventname, "FromAri");

    let missing = client
        .events()
        .user_event("Nowhere", unique("no-such-app"))
        .send()
        .await;
    assert!(
        matches!(
            missing,
            Err(ari_generated::events::UserEventError::NotFound(_))
        ),
        "{missing:?}"
    );
    client.channels().hangup(&channel.id).send().await.unwrap();
    events.collect_until(|m| is_destroyed(m, &channel.id)).await;
}

#[tokio::test]
async fn channel_variables_round_trip() {
    let client = client_or_return!();
    let mut cleanup = Cleanup::default();
    let app = unique("vars");
    let mut events = Events::connect(&client, &[&app]).await;
    let channel = client
        .channels()
        .originate("Local/answer-wait@default")
        .app(&app)
        .variables(json!({"FROM_ORIGINATE": "o 1"}))
        .send()
        .await
        .unwrap();
    cleanup.channel(&channel.id);
    events
        .until(|m| stasis_start_of(m).filter(|s| s.channel.id == channel.id))
        .await;

    let value = "spaces, commas; & ünïcode / ? # %";
    client
        .channels()
        .set_channel_var(&channel.id, "TEST_VAR")
        .value(value)
        .send()
        .await
        .unwrap();
    let set = events
        .until(|m| match m {
            Message::ChannelVarset(e) if e.variable == "TEST_VAR" => Some((**e).clone()),
            _ => None,
        })
        .await;
    assert_eq!(set.value, value);
    assert_eq!(set.channel.map(|c| c.id), Some(channel.id.clone()));
    let read = client
        .channels()
        .get_channel_var(&channel.id, "TEST_VAR")
        .send()
        .await
        .unwrap();
    assert_eq!(read.value, value);
    let from_originate = client
        .channels()
        .get_channel_var(&channel.id, "FROM_ORIGINATE")
        .send()
        .await
        .unwrap();
    assert_eq!(from_originate.value, "o 1");
    let unset = client
        .channels()
        .get_channel_var(&channel.id, "NEVER_SET")
        .send()
        .await;
    assert!(
        matches!(
            unset,
            Err(ari_generated::channels::GetChannelVarError::NotFound(_))
        ),
        "{unset:?}"
    );
    client.channels().hangup(&channel.id).send().await.unwrap();
    events.collect_until(|m| is_destroyed(m, &channel.id)).await;
}

/// Record a channel hearing `hello-world`, list the recording, fetch the
/// file as bytes, delete it.
#[tokio::test]
async fn recordings_record_list_fetch_delete() {
    let client = client_or_return!();
    let mut cleanup = Cleanup::default();
    let app = unique("rec");
    let mut events = Events::connect(&client, &[&app]).await;
    // The far end plays hello-world (about 1.5 s) and hangs up.
    let channel = client
        .channels()
        .originate("Local/playback@default")
        .app(&app)
        .send()
        .await
        .unwrap();
    cleanup.channel(&channel.id);
    events
        .until(|m| stasis_start_of(m).filter(|s| s.channel.id == channel.id))
        .await;
    let name = unique("recording");
    let live = client
        .channels()
        .record(&channel.id, &name, "wav")
        .max_duration_seconds(1)
        .send()
        .await
        .unwrap();
    assert_eq!(live.name, name);
    let seen = events
        .collect_until(|m| matches!(m, Message::RecordingFinished(e) if e.recording.name == name))
        .await;
    assert_eq!(
        sequence(&seen, &channel.id)
            .into_iter()
            .filter(|e| e.starts_with("Recording"))
            .collect::<Vec<_>>(),
        [
            format!("RecordingStarted({name})"),
            "RecordingFinished(done)".into()
        ]
    );

    let stored = client.recordings().list_stored().send().await.unwrap();
    assert!(
        stored.iter().any(|r| r.name == name && r.format == "wav"),
        "{stored:?}"
    );
    let one = client.recordings().get_stored(&name).send().await.unwrap();
    assert_eq!(one.name, name);
    let bytes = client
        .recordings()
        .get_stored_file(&name)
        .send()
        .await
        .unwrap();
    // 8 kHz 16-bit mono: a WAV header, then at least half a second.
    assert!(bytes.len() > 44 + 8000, "{} bytes", bytes.len());
    assert_eq!(&bytes[..4], b"RIFF");
    assert_eq!(&bytes[8..12], b"WAVE");
    client
        .recordings()
        .delete_stored(&name)
        .send()
        .await
        .unwrap();
    let gone = client.recordings().get_stored(&name).send().await;
    assert!(
        matches!(
            gone,
            Err(ari_generated::recordings::GetStoredError::NotFound(_))
        ),
        "{gone:?}"
    );
    hang_up_quietly(&client, &channel.id).await;
    events.collect_until(|m| is_destroyed(m, &channel.id)).await;
}

#[tokio::test]
async fn device_states_change_and_notify() {
    let client = client_or_return!();
    let app = unique("devstate");
    let mut events = Events::connect(&client, &[&app]).await;
    let device = format!("Stasis:{}", unique("lamp"));
    client
        .device_states()
        .update(&device, UpdateDeviceState::NotInuse)
        .send()
        .await
        .unwrap();
    client
        .applications()
        .subscribe(&app, &[format!("deviceState:{device}")])
        .send()
        .await
        .unwrap();
    client
        .device_states()
        .update(&device, UpdateDeviceState::Inuse)
        .send()
        .await
        .unwrap();
    client
        .device_states()
        .update(&device, UpdateDeviceState::Ringing)
        .send()
        .await
        .unwrap();
    let mut changes = Vec::new();
    while changes.len() < 2 {
        changes.push(
            events
                .until(|m| match m {
                    Message::DeviceStateChanged(e) if e.device_state.name == device => {
                        Some(describe(m))
                    }
                    _ => None,
                })
                .await,
        );
    }
    assert_eq!(
        changes,
        [
            format!("DeviceStateChanged({device}=INUSE)"),
            format!("DeviceStateChanged({device}=RINGING)")
        ]
    );
    let state = client.device_states().get(&device).send().await.unwrap();
    assert_eq!(state.state.as_str(), "RINGING");
    let all = client.device_states().list().send().await.unwrap();
    assert!(all.iter().any(|d| d.name == device));
    client.device_states().delete(&device).send().await.unwrap();
    events.assert_quiet(Duration::from_millis(300)).await;
    close_releasing_device_states(&client, events, &app).await;
}

/// Handles address a channel and a bridge by id: every operation under
/// `/channels/{channelId}` and `/bridges/{bridgeId}` without repeating it.
#[tokio::test]
async fn handles_address_a_channel_and_a_bridge_by_id() {
    let client = client_or_return!();
    let app = unique("handles");
    let mut events = Events::connect(&client, &[&app]).await;
    let mut cleanup = Cleanup::default();
    let channel = client.channel(unique("handle-ch"));
    let bridge = client.bridge(unique("handle-br"));
    cleanup.channel(channel.id());
    cleanup.bridge(bridge.id());

    channel
        .originate_with_id("Local/answer-wait@default")
        .app(&app)
        .send()
        .await
        .unwrap();
    events
        .until(|m| {
            matches!(m, Message::StasisStart(s) if s.channel.id == channel.id()).then_some(())
        })
        .await;
    channel.answer().send().await.unwrap();
    let got = channel.get().send().await.unwrap();
    assert_eq!(got.id, channel.id());
    channel
        .set_channel_var("HANDLE")
        .value("1")
        .send()
        .await
        .unwrap();
    assert_eq!(
        channel
            .get_channel_var("HANDLE")
            .send()
            .await
            .unwrap()
            .value,
        "1"
    );

    let created = bridge.create_with_id().send().await.unwrap();
    assert_eq!(created.id, bridge.id());
    bridge.add_channel(&[channel.id()]).send().await.unwrap();
    events
        .until(|m| {
            matches!(m, Message::ChannelEnteredBridge(e) if e.bridge.id == bridge.id()
                && e.channel.as_ref().is_some_and(|c| c.id == channel.id()))
            .then_some(())
        })
        .await;
    assert_eq!(bridge.get().send().await.unwrap().channels, [channel.id()]);
    bridge.remove_channel(&[channel.id()]).send().await.unwrap();
    bridge.destroy().send().await.unwrap();
    channel.hangup().send().await.unwrap();
    events
        .until(|m| matches!(m, Message::StasisEnd(e) if e.channel.id == channel.id()).then_some(()))
        .await;
    // StasisEnd comes before the channel is destroyed: for a moment after
    // it, the channel can still be read.
    poll("the hung-up channel gone", || async {
        match channel.get().send().await {
            Err(ari_generated::channels::GetError::NotFound(_)) => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
}
