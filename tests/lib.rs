//! Shared helpers of the end-to-end tests against a real Asterisk
//! (`cargo xtask asterisk up`).
//!
//! Every test gets its client from [`client_or_skip`], uses names from
//! [`unique`] (tests of one binary run in parallel threads) and waits
//! through [`Events`], whose every wait has a deadline.

pub mod proxy;

use ari_generated::Client;
use ari_generated::models::Message;
pub use ari_generated::runtime::RestTransport;
use ari_generated::runtime::{Backoff, ClientBuilder, EventOptions, EventStream, StreamItem};
use futures_util::StreamExt as _;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// How long any single wait for Asterisk may take before the test fails.
pub const WAIT: Duration = Duration::from_secs(10);

/// How long one attempt of a polling wait may take.
pub const ATTEMPT: Duration = Duration::from_secs(2);

/// `ARI_URL`, `ARI_USER`, `ARI_PASSWORD`, with the harness's defaults.
pub fn settings() -> (String, String, String) {
    let var = |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.into());
    (
        var("ARI_URL", "http://127.0.0.1:8088"),
        var("ARI_USER", "asterisk"),
        var("ARI_PASSWORD", "asterisk"),
    )
}

/// The harness's ARI over TLS: `ARI_TLS_URL`, by default `https://localhost`
/// on the port after `ARI_URL`'s, and the PEM file of the test CA that
/// signed its certificate (`tests/asterisk/tls/ca.pem`).
pub fn tls_settings() -> (String, std::path::PathBuf) {
    let url = std::env::var("ARI_TLS_URL").unwrap_or_else(|_| {
        let (url, _, _) = settings();
        let port = url
            .rsplit(':')
            .next()
            .and_then(|port| port.trim_end_matches('/').parse::<u16>().ok())
            .unwrap_or(8088);
        format!("https://localhost:{}", port.saturating_add(1))
    });
    let ca = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("asterisk/tls/ca.pem");
    (url, ca)
}

/// A client for [`settings`], not yet checked. With `ARI_RECORD_ANSWERS`
/// set to a folder, it keeps there the first success body of every route
/// (`cargo xtask record-answers`).
pub fn client_from_settings() -> Result<Client, ari_generated::runtime::BuildError> {
    client_from_settings_over(RestTransport::Http)
}

/// [`client_from_settings`] with its requests over `transport`.
pub fn client_from_settings_over(
    transport: RestTransport,
) -> Result<Client, ari_generated::runtime::BuildError> {
    let (url, user, password) = settings();
    let builder = Client::builder(url.as_str())
        .basic_auth(user, password)
        .rest_transport(transport);
    match std::env::var_os("ARI_RECORD_ANSWERS") {
        Some(folder) => builder
            .inspect_answers(move |answer| record_answer(std::path::Path::new(&folder), answer))
            .build(),
        None => builder.build(),
    }
}

/// Writes a 2xx JSON answer as `{method, template, status, body}` (the body
/// as its exact text), once per route.
fn record_answer(folder: &std::path::Path, answer: &ari_generated::runtime::Answer<'_>) {
    let Ok(body) = std::str::from_utf8(answer.body) else {
        return;
    };
    // `/api-docs/…` is where the version check reads, not an operation.
    if !(200..300).contains(&answer.status)
        || !body.trim_start().starts_with(['{', '['])
        || answer.template.starts_with("/api-docs/")
    {
        return;
    }
    let name: String = format!("{} {}", answer.method, answer.template)
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let path = folder.join(format!("{name}.json"));
    if path.exists() {
        return;
    }
    let record = serde_json::json!({
        "method": answer.method.as_str(),
        "template": answer.template,
        "status": answer.status,
        "body": body,
    });
    let _ = std::fs::create_dir_all(folder);
    let _ = std::fs::write(path, format!("{record:#}\n"));
}

/// A client for the test Asterisk, or `None` (after a notice) when none
/// answers. With `CI=true` an unreachable Asterisk fails the test instead:
/// CI must never pass by skipping.
pub async fn client_or_skip() -> Option<Client> {
    client_or_skip_over(RestTransport::Http).await
}

/// [`client_or_skip`] with its requests over `transport`.
pub async fn client_or_skip_over(transport: RestTransport) -> Option<Client> {
    let client = client_from_settings_over(transport).expect("ARI_URL is not a valid URL");
    let (url, _, _) = settings();
    let answer = tokio::time::timeout(WAIT, client.asterisk().ping().send()).await;
    let problem = match answer {
        Ok(Ok(_)) => return Some(client),
        Ok(Err(error)) => format!("{error}"),
        Err(_) => format!("no answer within {WAIT:?}"),
    };
    if std::env::var("CI").is_ok_and(|ci| ci == "true") {
        panic!(
            "CI=true but Asterisk does not answer at {url} ({problem}); \
             start it with `cargo xtask asterisk up`"
        );
    }
    eprintln!("SKIPPED: no Asterisk at {url} ({problem}); run `cargo xtask asterisk up`");
    None
}

/// `client_or_skip`, returning from the test when there is no Asterisk.
#[macro_export]
macro_rules! client_or_return {
    () => {
        $crate::client_or_return!($crate::RestTransport::Http)
    };
    ($transport:expr) => {
        match $crate::client_or_skip_over($transport).await {
            Some(client) => client,
            None => return,
        }
    };
}

/// Event options that retry quickly (`initial` doubling to `max`) and ping
/// every `keepalive`, waiting as long for the pong: a loss shows within
/// seconds, so a test or a soak does not idle.
pub fn quick_events(initial: Duration, max: Duration, keepalive: Duration) -> EventOptions {
    EventOptions::default()
        .reconnect(Some(Backoff::new(initial, max)))
        .keepalive(Some(keepalive), keepalive)
}

/// A client for `url` with the harness's credentials and these event options.
pub fn client_with_events(url: &str, options: EventOptions) -> ClientBuilder<Client> {
    let (_, user, password) = settings();
    Client::builder(url)
        .basic_auth(user, password)
        .event_options(options)
}

/// A Local channel whose `;2` half enters the Stasis application `app`
/// unanswered (`stasis-APP`), and whose `;1` half waits, answered once
/// `;2` is. Returns the name both halves share before their `;1` / `;2`.
pub async fn local_call_into(client: &Client, app: &str) -> String {
    let channel = client
        .channels()
        .originate(format!("Local/stasis-{app}@default"))
        .extension("answer-wait")
        .context("default")
        .send()
        .await
        .unwrap();
    channel
        .name
        .strip_suffix(";1")
        .unwrap_or(&channel.name)
        .to_owned()
}

/// Waits until no channel that `matches` is left (hung-up channels take a
/// moment to go).
pub async fn no_channels_left(
    client: &Client,
    what: &str,
    matches: impl Fn(&ari_generated::models::Channel) -> bool,
) {
    poll(&format!("no channel of {what} left"), || async {
        let left: Vec<String> = client
            .channels()
            .list()
            .send()
            .await
            .map_err(|error| error.to_string())?
            .into_iter()
            .filter(|channel| matches(channel))
            .map(|channel| channel.name.into_string())
            .collect();
        if left.is_empty() {
            Ok(())
        } else {
            Err(format!("{left:?}"))
        }
    })
    .await;
}

/// Waits until Asterisk has closed the per-call outbound sessions of `app`
/// (it destroys each call's application `<app>:<channel>` with its socket,
/// about 3 s after the call's StasisEnd). A server should not break such a
/// socket first: Asterisk then tries to reconnect it, and that path crashed
/// Asterisk 22.10.1 (res_http_websocket) once under load.
pub async fn per_call_sessions_closed(client: &Client, app: &str) {
    let prefix = format!("{app}:");
    poll(
        &format!("every per-call application of {app} closed"),
        || async {
            let open = client
                .applications()
                .list()
                .send()
                .await
                .map_err(|error| error.to_string())?
                .into_iter()
                .filter(|application| application.name.starts_with(prefix.as_str()))
                .count();
            if open == 0 {
                Ok(())
            } else {
                Err(format!("{open} open"))
            }
        },
    )
    .await;
}

/// A name no other test (in this or another process) uses.
pub fn unique(prefix: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "{prefix}-{}-{}-{nanos:x}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// An event stream with deadlines, keeping what it saw for failure messages.
pub struct Events {
    pub stream: EventStream<Message>,
    pub seen: Vec<String>,
}

impl Events {
    /// Connects for `apps` and waits until Asterisk lists them, so that an
    /// originate right after cannot race the registration.
    pub async fn connect(client: &Client, apps: &[&str]) -> Events {
        let stream =
            tokio::time::timeout(WAIT, client.event_stream(apps.iter().copied()).connect())
                .await
                .expect("event WebSocket: no answer")
                .expect("event WebSocket");
        for app in apps {
            wait_for_application(client, app).await;
        }
        Events {
            stream,
            seen: Vec::new(),
        }
    }

    pub fn from_stream(stream: EventStream<Message>) -> Events {
        Events {
            stream,
            seen: Vec::new(),
        }
    }

    /// The next item of the stream, whatever it is.
    pub async fn next_item(&mut self, within: Duration) -> StreamItem<Message> {
        match tokio::time::timeout(within, self.stream.next()).await {
            Ok(Some(item)) => {
                self.seen.push(match &item {
                    StreamItem::Event(message) => message.kind().to_owned(),
                    other => format!("{other:?}"),
                });
                item
            }
            Ok(None) => panic!("the event stream ended; seen: {:?}", self.seen),
            Err(_) => panic!("no event within {within:?}; seen: {:?}", self.seen),
        }
    }

    /// The next event; connection items and malformed frames fail the test.
    pub async fn next(&mut self) -> Message {
        match self.next_item(WAIT).await {
            StreamItem::Event(message) => message,
            other => panic!("expected an event, got {other:?}; seen: {:?}", self.seen),
        }
    }

    /// Skips events until `pick` returns something.
    pub async fn until<R>(&mut self, mut pick: impl FnMut(&Message) -> Option<R>) -> R {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if let StreamItem::Event(message) = self.next_item(left).await
                && let Some(found) = pick(&message)
            {
                return found;
            }
        }
    }

    /// Every event up to and including the first for which `done` holds.
    pub async fn collect_until(&mut self, mut done: impl FnMut(&Message) -> bool) -> Vec<Message> {
        let mut collected = Vec::new();
        self.until(|message| {
            collected.push(message.clone());
            done(message).then_some(())
        })
        .await;
        collected
    }

    /// Asserts that no event arrives within `quiet`.
    pub async fn assert_quiet(&mut self, quiet: Duration) {
        if let Ok(Some(item)) = tokio::time::timeout(quiet, self.stream.next()).await {
            panic!("unexpected {item:?}; seen before: {:?}", self.seen);
        }
    }
}

/// An event as a short text with what identifies it within a call, so
/// that a whole sequence can be asserted at once:
/// `ChannelStateChange(Up)`, `Dial(RINGING)`, `ChannelVarset(X=1)`.
pub fn describe(message: &Message) -> String {
    let detail = match message {
        Message::ChannelStateChange(e) => e.channel.state.as_str().to_owned(),
        Message::StasisStart(e) => e.args.join(","),
        Message::Dial(e) => e.dialstatus.to_string(),
        Message::ChannelVarset(e) => format!("{}={}", e.variable, e.value),
        Message::ChannelDtmfReceived(e) => e.digit.to_string(),
        Message::ChannelUserevent(e) => e.eventname.to_string(),
        Message::ChannelHangupRequest(e) => e.cause.map(|c| c.to_string()).unwrap_or_default(),
        Message::ChannelDestroyed(e) => e.cause.to_string(),
        Message::ChannelDialplan(e) => format!("{}:{}", e.dialplan_app, e.dialplan_app_data),
        Message::PlaybackStarted(e) => e.playback.media_uri.to_string(),
        Message::PlaybackFinished(e) => e.playback.state.as_str().to_owned(),
        Message::RecordingStarted(e) => e.recording.name.to_string(),
        Message::RecordingFinished(e) => e.recording.state.as_str().to_owned(),
        Message::DeviceStateChanged(e) => {
            format!("{}={}", e.device_state.name, e.device_state.state.as_str())
        }
        _ => return message.kind().to_owned(),
    };
    format!("{}({detail})", message.kind())
}

/// The described events about `channel`, in order.
pub fn sequence(events: &[Message], channel: &str) -> Vec<String> {
    events
        .iter()
        .filter(|m| channel_id(m) == Some(channel))
        .map(describe)
        .collect()
}

/// Retries `attempt` every 50 ms until it gives `Ok`, and returns that;
/// fails the test after [`WAIT`], naming `what` and the last `Err`. An
/// attempt that does not finish within [`ATTEMPT`] counts as failed, so one
/// request stuck on a stale connection does not eat the whole wait.
pub async fn poll<T, F, Fut>(what: &str, mut attempt: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, String>>,
{
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let last = match tokio::time::timeout(ATTEMPT, attempt()).await {
            Ok(Ok(value)) => return value,
            Ok(Err(why)) => why,
            Err(_) => format!("no answer within {ATTEMPT:?}"),
        };
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: not within {WAIT:?}; last: {last}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Polls `check` until it holds (see [`poll`]).
pub async fn wait_until<F, Fut>(mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    poll("condition", || {
        let holds = check();
        async move {
            if holds.await {
                Ok(())
            } else {
                Err("not met".to_owned())
            }
        }
    })
    .await;
}

/// Polls `GET /applications/{app}` until Asterisk knows `app`, naming the
/// last answer when it gives up.
pub async fn wait_for_application(client: &Client, app: &str) {
    poll(&format!("application {app} registered"), || async {
        client
            .applications()
            .get(app)
            .send()
            .await
            .map(drop)
            .map_err(|error| error.to_string())
    })
    .await;
}

/// The devices `app` watches, by `GET /applications/{app}`.
pub async fn watched_devices(client: &Client, app: &str) -> Vec<String> {
    let application = tokio::time::timeout(WAIT, client.applications().get(app).send())
        .await
        .expect("GET /applications/{app}: no answer")
        .expect("GET /applications/{app}");
    application
        .device_names
        .iter()
        .map(|name| name.to_string())
        .collect()
}

/// Closes `events`, whose only application `app` watches devices, the way
/// that cannot deadlock Asterisk 22 ([`EventStream::close`]), checking each
/// step: the devices are released while the connection is open, and the
/// application is gone once it is closed.
pub async fn close_releasing_device_states(client: &Client, events: Events, app: &str) {
    assert!(!watched_devices(client, app).await.is_empty());
    events.stream.release_device_states().await.unwrap();
    assert_eq!(watched_devices(client, app).await, Vec::<String>::new());
    events.stream.close().await.unwrap();
    wait_for_application_gone(client, app).await;
}

/// Polls `GET /applications/{app}` until Asterisk no longer knows `app`.
pub async fn wait_for_application_gone(client: &Client, app: &str) {
    poll(&format!("application {app} gone"), || async {
        match client.applications().get(app).send().await {
            Err(ari_generated::applications::GetError::NotFound(_)) => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
}

/// The channel an event is about, for the variants that carry one (a
/// `Dial`'s peer, a playback's or recording's target channel).
pub fn channel_id(message: &Message) -> Option<&str> {
    Some(match message {
        Message::Dial(e) => &e.peer.id,
        Message::PlaybackStarted(e) => e.playback.target_uri.strip_prefix("channel:")?,
        Message::PlaybackFinished(e) => e.playback.target_uri.strip_prefix("channel:")?,
        Message::RecordingStarted(e) => e.recording.target_uri.strip_prefix("channel:")?,
        Message::RecordingFinished(e) => e.recording.target_uri.strip_prefix("channel:")?,
        Message::StasisStart(e) => &e.channel.id,
        Message::StasisEnd(e) => &e.channel.id,
        Message::ChannelCreated(e) => &e.channel.id,
        Message::ChannelDestroyed(e) => &e.channel.id,
        Message::ChannelStateChange(e) => &e.channel.id,
        Message::ChannelDialplan(e) => &e.channel.id,
        Message::ChannelHangupRequest(e) => &e.channel.id,
        Message::ChannelVarset(e) => &e.channel.as_ref()?.id,
        Message::ChannelDtmfReceived(e) => &e.channel.id,
        Message::ChannelEnteredBridge(e) => &e.channel.as_ref()?.id,
        Message::ChannelLeftBridge(e) => &e.channel.id,
        Message::ChannelUserevent(e) => &e.channel.as_ref()?.id,
        Message::ChannelConnectedLine(e) => &e.channel.id,
        Message::ChannelCallerId(e) => &e.channel.id,
        _ => return None,
    })
}

/// Hangs up channels and destroys bridges a test created when the test
/// fails half-way, so that a failure does not leave calls up for 300 s
/// (and break the "no channels left" checks of later tests). The clean-up runs on a runtime and a client of its own: the test's runtime
/// is blocked in the unwinding test, so a connection from the test client's
/// pool would wait for a driver that never runs.
#[derive(Default)]
pub struct Cleanup {
    channels: Vec<String>,
    bridges: Vec<String>,
    prefixes: Vec<String>,
}

impl Cleanup {
    /// Every channel whose id starts with `prefix`.
    pub fn channels_starting_with(&mut self, prefix: &str) {
        self.prefixes.push(prefix.to_owned());
    }

    pub fn channel(&mut self, id: &str) {
        self.channels.push(id.to_owned());
    }

    pub fn bridge(&mut self, id: &str) {
        self.bridges.push(id.to_owned());
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            return;
        }
        let channels = std::mem::take(&mut self.channels);
        let bridges = std::mem::take(&mut self.bridges);
        let prefixes = std::mem::take(&mut self.prefixes);
        // Drop cannot await, and the test's runtime is unwinding: a thread
        // with a runtime of its own does the clean-up.
        let cleaner = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            let Ok(client) = client_from_settings() else {
                return;
            };
            runtime.block_on(async {
                let mut channels = channels;
                if !prefixes.is_empty()
                    && let Ok(all) = client.channels().list().send().await
                {
                    channels.extend(
                        all.into_iter()
                            .map(|c| c.id.into_string())
                            .filter(|id| prefixes.iter().any(|p| id.starts_with(p))),
                    );
                }
                for channel in &channels {
                    hang_up_quietly(&client, channel).await;
                }
                for bridge in &bridges {
                    let _ = client.bridges().destroy(bridge).send().await;
                }
            });
        });
        let _ = cleaner.join();
    }
}

/// Originates `;1` into the dialplan (`answer-wait`) and `;2` into
/// `answer-stasis-<app>`: `;2` enters the application on its own, an
/// incoming call. Both hang up together.
pub async fn place_incoming_call(client: &Client, app: &str) {
    place_call(client, &format!("answer-stasis-{app}")).await;
}

/// Originates `;1` into `answer-wait` and `;2` into `extension`.
pub async fn place_call(client: &Client, extension: &str) {
    client
        .channels()
        .originate(format!("Local/{extension}@default"))
        .context("default")
        .extension("answer-wait")
        .priority(1)
        .send()
        .await
        .unwrap();
}

/// Hangs a channel up, ignoring "already gone": for clean-up.
pub async fn hang_up_quietly(client: &Client, channel: &str) {
    let _ = client.channels().hangup(channel).send().await;
}

/// The already-built xtask: `ARI_XTASK` (set by `cargo xtask test`), else
/// `target/debug/xtask`. Never `cargo xtask`: this runs inside `cargo test`,
/// which holds the build lock.
pub fn xtask() -> Option<std::path::PathBuf> {
    if let Ok(path) = std::env::var("ARI_XTASK") {
        return Some(std::path::PathBuf::from(path));
    }
    let built = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/debug/xtask");
    built.exists().then_some(built)
}

/// `xtask`, or `None` after a notice; under `CI=true` a missing xtask fails.
pub fn xtask_or_skip() -> Option<std::path::PathBuf> {
    let found = xtask();
    if found.is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true but no xtask binary: set ARI_XTASK or build it (`cargo xtask asterisk up`)"
        );
        eprintln!("SKIPPED: no target/debug/xtask to control Asterisk with");
    }
    found
}
