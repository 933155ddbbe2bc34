//! Media over WebSocket (chan_websocket) against the real Asterisk
//! (`cargo test -- media_`): a WebSocket media channel (`slin16`, JSON
//! control) bridged with a Local channel whose far end runs a dialplan of
//! `extensions.conf` (a 2 s tone, a recorder, a DTMF sender). The far
//! end's recording is fetched through ARI and measured.

use ari_generated::bridges::BridgeHandle;
use ari_generated::channels::ChannelHandle;
use ari_generated::models::{ConnectionType, Encapsulation, Message, Transport};
use ari_generated::runtime::media::{
    MediaEnded, MediaError, MediaEvent, MediaItem, MediaListener, MediaOptions, MediaReceiver,
    MediaSender, MediaSession,
};
use ari_generated::{App, Client, Tracked};
use ari_tests::*;
use futures_util::StreamExt as _;
use std::time::{Duration, Instant};

/// 16 kHz, 16-bit: bytes per millisecond.
const BYTES_PER_MS: usize = 32;
const FORMAT: &str = "slin16";
/// `websocket_client.conf` `[media-client]`.
const CLIENT_MODE: &str = "127.0.0.1:8110";

/// `ms` of a 440 Hz tone in slin16.
fn tone(ms: usize) -> Vec<u8> {
    let samples = ms * 16;
    let mut audio = Vec::with_capacity(samples * 2);
    for n in 0..samples {
        let value =
            (8000.0 * (2.0 * std::f64::consts::PI * 440.0 * n as f64 / 16000.0).sin()) as i16;
        audio.extend_from_slice(&value.to_le_bytes());
    }
    audio
}

/// Milliseconds of 16-bit little-endian PCM at `samples_per_ms` whose
/// 20 ms windows are not silence.
fn voiced_ms(pcm: &[u8], samples_per_ms: usize) -> usize {
    let window = samples_per_ms * 20 * 2;
    pcm.chunks_exact(window)
        .filter(|chunk| {
            let energy: f64 = chunk
                .chunks_exact(2)
                .map(|s| f64::from(i16::from_le_bytes([s[0], s[1]])).powi(2))
                .sum::<f64>()
                / (chunk.len() / 2) as f64;
            energy.sqrt() > 300.0
        })
        .count()
        * 20
}

/// The PCM and its samples per ms of a 16-bit mono WAV file.
fn wav_pcm(wav: &[u8]) -> (Vec<u8>, usize) {
    assert_eq!(&wav[..4], b"RIFF", "not a WAV file");
    let mut at = 12;
    let mut rate = 8000;
    while at + 8 <= wav.len() {
        let id = &wav[at..at + 4];
        let size =
            u32::from_le_bytes([wav[at + 4], wav[at + 5], wav[at + 6], wav[at + 7]]) as usize;
        let body = &wav[at + 8..(at + 8 + size).min(wav.len())];
        if id == b"fmt " {
            rate = u32::from_le_bytes([body[4], body[5], body[6], body[7]]) as usize;
        } else if id == b"data" {
            assert_eq!(body.len(), size, "a complete data chunk");
            return (body.to_vec(), rate / 1000);
        }
        at += 8 + size + size % 2;
    }
    panic!("no data chunk");
}

fn within(measured: usize, expected: usize, tolerance: f64) -> bool {
    (measured as f64 - expected as f64).abs() <= expected as f64 * tolerance
}

/// How the media channel's socket is opened.
enum Mode {
    /// The test connects to Asterisk's `/media/<id>`.
    Server,
    /// Asterisk connects to this listener (`[media-client]`).
    Client(MediaListener),
}

/// A media channel bridged with a Local channel whose far end runs
/// `far_extension`.
struct MediaCall {
    _app: App,
    far: Tracked<ChannelHandle>,
    media: Tracked<ChannelHandle>,
    bridge: Tracked<BridgeHandle>,
    start: ari_generated::runtime::media::MediaStart,
    sender: MediaSender,
    receiver: MediaReceiver,
    _cleanup: Cleanup,
}

async fn media_call(
    client: &Client,
    far_extension: &str,
    mode: Mode,
    options: MediaOptions,
) -> MediaCall {
    let name = unique("media");
    let app = tokio::time::timeout(WAIT, client.app(&name).connect())
        .await
        .expect("app connect in time")
        .expect("app connect");
    let mut cleanup = Cleanup::default();
    cleanup.channels_starting_with(&name);
    let bridge = client.bridges().create().tracked(&app).await.unwrap();
    cleanup.bridge(bridge.id());
    let far = client
        .channels()
        .originate(format!("Local/{far_extension}@default"))
        .tracked(&app)
        .await
        .unwrap();
    let (media, session) = match mode {
        // The application's creator: channel, session, StasisStart.
        Mode::Server => app
            .media_channel(FORMAT)
            .options(options)
            .create()
            .await
            .unwrap(),
        // By hand with the generated operation; Asterisk connects.
        Mode::Client(mut listener) => {
            let id = app.new_id();
            let mut media = app.track::<ChannelHandle>(&id);
            client
                .channels()
                .external_media(&name, FORMAT)
                .channel_id(&id)
                .transport(Transport::Websocket)
                .encapsulation(Encapsulation::None)
                .transport_data("f(json)")
                .connection_type(ConnectionType::Client)
                .external_host("media-client")
                .send()
                .await
                .unwrap();
            let session = tokio::time::timeout(WAIT, listener.accept())
                .await
                .expect("Asterisk connects to the listener in time")
                .expect("the listener runs");
            media
                .wait_for_timeout(WAIT, |e| matches!(e, Message::StasisStart(_)))
                .await
                .unwrap();
            (media, session)
        }
    };
    bridge
        .add_channel(&[far.id(), media.id()])
        .send()
        .await
        .unwrap();
    let start = session.start_event().clone();
    assert_eq!(start.channel_id, media.id(), "{start:?}");
    let (sender, receiver) = session.split();
    MediaCall {
        _app: app,
        far,
        media,
        bridge,
        start,
        sender,
        receiver,
        _cleanup: cleanup,
    }
}

/// A media call whose far end records what it hears into a new stored
/// recording, and that recording's name.
async fn recorded_call(client: &Client, options: MediaOptions) -> (MediaCall, String) {
    let recording = unique("media-rec");
    let call = media_call(
        client,
        &format!("media-record-{recording}"),
        Mode::Server,
        options,
    )
    .await;
    (call, recording)
}

/// Audio and events received for `window`.
async fn receive_for(receiver: &mut MediaReceiver, window: Duration) -> (Vec<u8>, Vec<MediaEvent>) {
    let (mut audio, mut events) = (Vec::new(), Vec::new());
    let _ = tokio::time::timeout(window, async {
        while let Some(item) = receiver.next().await {
            match item {
                MediaItem::Audio(frame) => audio.extend_from_slice(&frame),
                MediaItem::Event(event) => events.push(event),
                MediaItem::Lagged { missed } => panic!("receiver lagged by {missed}"),
                MediaItem::Ended(ended) => panic!("session ended: {ended}"),
                other => panic!("{other:?}"),
            }
        }
    })
    .await;
    (audio, events)
}

/// The far end's recording `name`, once its call is hung up, as PCM.
async fn far_recording(client: &Client, call: &MediaCall, name: &str) -> (Vec<u8>, usize) {
    call.far.hangup().send().await.unwrap();
    // The file is complete (its header's sizes written) once the far end,
    // which records, has hung up.
    let recorder = format!("{};2", call.far.id());
    poll("the recording far end gone", || async {
        let channels = client
            .channels()
            .list()
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if channels.iter().any(|c| c.id == recorder) {
            Err(format!("{recorder} still up"))
        } else {
            Ok(())
        }
    })
    .await;
    let wav = poll(&format!("recording {name} stored"), || async {
        client
            .recordings()
            .get_stored_file(name)
            .send()
            .await
            .map_err(|e| e.to_string())
    })
    .await;
    let _ = client.recordings().delete_stored(name).send().await;
    wav_pcm(&wav)
}

async fn end(call: MediaCall, client: &Client) {
    let _ = call.far.hangup().send().await;
    let _ = call.media.hangup().send().await;
    let _ = call.bridge.destroy().send().await;
    let (media, far) = (call.media.id().to_owned(), call.far.id().to_owned());
    no_channels_left(client, "the call", |c| {
        c.id == media || c.id.starts_with(far.as_str())
    })
    .await;
}

async fn receive_a_two_second_tone(client: &Client, mode: Mode) {
    let mut call = media_call(client, "media-tone", mode, MediaOptions::default()).await;
    assert_eq!(call.start.format, FORMAT);
    assert_eq!(call.start.optimal_frame_size, 20 * BYTES_PER_MS);
    assert_eq!(call.start.ptime, 20);
    let (audio, _) = receive_for(&mut call.receiver, Duration::from_secs(4)).await;
    let voiced = voiced_ms(&audio, 16);
    assert!(within(voiced, 2000, 0.05), "{voiced} ms of tone received");
    end(call, client).await;
}

#[tokio::test]
async fn media_receive_a_tone_and_media_start_over_a_connection_the_app_opens() {
    let client = client_or_return!();
    receive_a_two_second_tone(&client, Mode::Server).await;
}

#[tokio::test]
async fn media_receive_a_tone_over_a_connection_asterisk_opens() {
    let client = client_or_return!();
    let listener = MediaListener::builder()
        .credentials("media", "media-secret")
        .bind(CLIENT_MODE)
        .await
        .unwrap();
    receive_a_two_second_tone(&client, Mode::Client(listener)).await;
}

#[tokio::test]
async fn media_send_two_seconds_reach_the_far_end() {
    let client = client_or_return!();
    let (call, recording) = recorded_call(&client, MediaOptions::default()).await;
    // An odd length: the last partial frame is completed with silence.
    call.sender
        .play(tone(2000)[..2000 * BYTES_PER_MS - 100].to_vec())
        .await
        .unwrap();
    let (pcm, rate) = far_recording(&client, &call, &recording).await;
    let voiced = voiced_ms(&pcm, rate);
    assert!(
        within(voiced, 2000, 0.05),
        "{voiced} ms of the sent tone recorded"
    );
    end(call, &client).await;
}

#[tokio::test]
async fn media_dtmf_from_the_far_end_arrives_as_dtmf_end() {
    let client = client_or_return!();
    let mut call = media_call(&client, "media-dtmf", Mode::Server, MediaOptions::default()).await;
    let (_, events) = receive_for(&mut call.receiver, Duration::from_secs(3)).await;
    assert!(
        events
            .iter()
            .any(|e| matches!(e, MediaEvent::DtmfEnd { digit } if digit == "7")),
        "{events:?}"
    );
    end(call, &client).await;
}

#[tokio::test]
async fn media_mark_resolves_once_its_audio_was_played() {
    let client = client_or_return!();
    let call = media_call(
        &client,
        "answer-wait",
        Mode::Server,
        MediaOptions::default(),
    )
    .await;
    let started = Instant::now();
    call.sender.send(tone(1000)).await.unwrap();
    call.sender.mark().await.unwrap().await.unwrap();
    let heard = started.elapsed();
    assert!(
        heard >= Duration::from_millis(950) && heard <= Duration::from_millis(1500),
        "{heard:?}"
    );
    end(call, &client).await;
}

#[tokio::test]
async fn media_flush_cuts_playback_short() {
    let client = client_or_return!();
    let (call, recording) = recorded_call(&client, MediaOptions::default()).await;
    call.sender.send(tone(3000)).await.unwrap();
    let mark = call.sender.mark().await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    call.sender.flush().await.unwrap();
    assert!(matches!(mark.await, Err(MediaError::Flushed)));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (pcm, rate) = far_recording(&client, &call, &recording).await;
    let voiced = voiced_ms(&pcm, rate);
    // Half a second was played before the flush, plus what was on its way.
    assert!(
        (300..1_500).contains(&voiced),
        "{voiced} ms recorded after a flush of 3 s"
    );
    end(call, &client).await;
}

/// `seconds` of audio handed over at once, with a lead of `lead` frames:
/// the mark resolves once all of it has played, in about that long, the
/// far end has heard all of it, and Asterisk reported no error. Returns the
/// session's events.
async fn send_at_once(client: &Client, seconds: usize, lead: u64) -> Vec<MediaEvent> {
    let (mut call, recording) =
        recorded_call(client, MediaOptions::default().lead_frames(lead)).await;
    let started = Instant::now();
    call.sender.send(tone(seconds * 1000)).await.unwrap();
    let mark = call.sender.mark().await.unwrap();
    let window = Duration::from_secs(seconds as u64 + 2);
    let events = tokio::spawn(async move {
        let (_, events) = receive_for(&mut call.receiver, window).await;
        (events, call)
    });
    tokio::time::timeout(window + Duration::from_secs(3), mark)
        .await
        .expect("the mark in time")
        .unwrap();
    let heard = started.elapsed().as_millis() as usize;
    assert!(
        within(heard, seconds * 1000, 0.1),
        "{heard} ms for {seconds} s"
    );
    let (events, call) = events.await.unwrap();
    assert!(
        !events.iter().any(|e| matches!(e, MediaEvent::Error { .. })),
        "{events:?}"
    );
    let (pcm, rate) = far_recording(client, &call, &recording).await;
    let voiced = voiced_ms(&pcm, rate);
    assert!(
        within(voiced, seconds * 1000, 0.05),
        "{voiced} ms of {seconds} s recorded"
    );
    end(call, client).await;
    events
}

/// 10 s at once with the default lead (1 s): written as Asterisk plays it,
/// its queue never near `MEDIA_XOFF`.
#[tokio::test]
async fn media_xoff_ten_seconds_at_once_are_heard_in_full_in_ten_seconds() {
    let client = client_or_return!();
    let events = send_at_once(&client, 10, 50).await;
    assert!(!events.contains(&MediaEvent::MediaXoff), "{events:?}");
}

/// 20 s at once (1,000 frames) with a lead past Asterisk's `MEDIA_XOFF`
/// level (900 frames): Asterisk says XOFF, the sender waits for XON, and
/// nothing is dropped.
#[tokio::test]
async fn media_xoff_past_the_xoff_level_the_sender_waits_for_xon() {
    let client = client_or_return!();
    let events = send_at_once(&client, 20, 950).await;
    assert!(events.contains(&MediaEvent::MediaXoff), "{events:?}");
    assert!(events.contains(&MediaEvent::MediaXon), "{events:?}");
}

/// A hang-up from Asterisk's side ends the session with its reason; what
/// is sent afterwards fails with that reason. A hang-up from the
/// application's side (`HANGUP`) ends it the same way.
#[tokio::test]
async fn media_hangup_from_either_side_ends_the_session_with_a_typed_reason() {
    let client = client_or_return!();
    let mut call = media_call(
        &client,
        "answer-wait",
        Mode::Server,
        MediaOptions::default(),
    )
    .await;
    call.media.hangup().send().await.unwrap();
    let ended = tokio::time::timeout(WAIT, async {
        loop {
            if let Some(MediaItem::Ended(ended)) = call.receiver.next().await {
                return ended;
            }
        }
    })
    .await
    .expect("the session ends");
    assert!(matches!(ended, MediaEnded::Hangup { .. }), "{ended:?}");
    assert!(matches!(
        call.sender.send(tone(20)).await,
        Err(MediaError::Ended(MediaEnded::Hangup { .. }))
    ));
    end(call, &client).await;

    let mut call = media_call(
        &client,
        "answer-wait",
        Mode::Server,
        MediaOptions::default(),
    )
    .await;
    call.sender.hangup().await.unwrap();
    let ended = tokio::time::timeout(WAIT, async {
        loop {
            if let Some(MediaItem::Ended(ended)) = call.receiver.next().await {
                return ended;
            }
        }
    })
    .await
    .expect("the session ends");
    assert!(
        matches!(ended, MediaEnded::Hangup { code: 1000 }),
        "{ended:?}"
    );
    call.media
        .finished_timeout(WAIT)
        .await
        .expect("the media channel is gone");
    end(call, &client).await;
}

#[tokio::test]
async fn media_connection_id_that_does_not_exist_is_a_typed_error() {
    let client = client_or_return!();
    match MediaSession::connect(
        client.runtime(),
        "no-such-connection",
        MediaOptions::default(),
    )
    .await
    {
        Err(MediaError::UnknownConnection(id)) => assert_eq!(id, "no-such-connection"),
        other => panic!("{other:?}"),
    }
}

/// Bad input is a typed error before anything reaches Asterisk (which
/// answers an unknown format with a bare 500).
#[tokio::test]
async fn media_an_unknown_format_or_direction_is_a_typed_error() {
    let client = client_or_return!();
    let app = client.app(unique("media-bad")).connect().await.unwrap();
    assert!(matches!(
        app.media_channel("nosuchcodec").create().await,
        Err(MediaError::Format(message)) if message.contains("nosuchcodec")
    ));
    assert!(matches!(
        app.media_channel(FORMAT)
            .direction("sideways")
            .create()
            .await,
        Err(MediaError::Format(_))
    ));
}
