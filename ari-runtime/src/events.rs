//! The WebSocket side: `GET /events` as a stream of typed messages that
//! outlives dropped connections and Asterisk restarts.
//!
//! One reader task per connection reads frames and hands them, undecoded, to
//! every consumer through a bounded channel, in batches of the frames that
//! had already arrived (one wake-up of the consumer per batch rather than per
//! event). Each consumer decodes in its own `poll_next`: framing and decoding
//! then run side by side on a multi-thread runtime, a frame moves as a
//! reference-counted buffer, and a second consumer costs a decode rather than
//! a deep copy of every event. When a consumer is slow the reader waits for
//! it, so it stops reading the socket and TCP pushes back on Asterisk:
//! nothing is ever dropped or overwritten.

use super::bindings::{Bindings, OwnRequests};
use super::client::{Client, Credentials, Request};
use super::error::DecodeError;
use super::release::{self, ReleaseError};
use futures_util::{FutureExt as _, SinkExt as _, Stream, StreamExt as _};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::{self, client::IntoClientRequest as _};

/// A message type that can be decoded from one WebSocket text frame.
pub trait FromFrame: Sized + Send + 'static {
    /// Decodes one frame; an error keeps the frame's text.
    fn from_frame(text: &str) -> Result<Self, DecodeError>;
}

/// Untyped frames: the messages of bindings whose api-docs describe no
/// event WebSocket.
impl FromFrame for serde_json::Value {
    fn from_frame(text: &str) -> Result<Self, DecodeError> {
        serde_json::from_str(text).map_err(|source| DecodeError::new(None, text, source))
    }
}

/// The event WebSocket could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// No WebSocket request could be made from the client's base URL or credentials; holds the base URL, or what is wrong with the credentials.
    #[error("invalid event URL: {0}")]
    InvalidUrl(String),
    /// Connecting or the upgrade failed, including Asterisk refusing it (see [`ConnectError::status`]).
    #[error("WebSocket handshake failed: {0}")]
    WebSocket(#[source] tungstenite::Error),
    /// The handshake did not finish within the client's connect timeout, which it holds.
    #[error("WebSocket handshake did not complete within {0:?}")]
    Timeout(Duration),
}

impl ConnectError {
    /// The HTTP status Asterisk refused the upgrade with (401 for bad
    /// credentials, 400 for an unknown or missing `app`), if it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            ConnectError::WebSocket(tungstenite::Error::Http(response)) => {
                Some(response.status().as_u16())
            }
            _ => None,
        }
    }
}

/// One item of an [`EventStream`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum StreamItem<T> {
    /// A message from Asterisk, decoded.
    Event(T),
    /// A frame that could not be decoded; [`DecodeError::raw`] holds its
    /// text. The stream goes on.
    Malformed(DecodeError),
    /// The connection was lost. Events that happened while it was down are
    /// not replayed by Asterisk: after [`StreamItem::Reconnected`], read the
    /// state you depend on again (`GET /channels`, `/bridges`, ...). When
    /// `will_reconnect` is false this is the last item.
    Disconnected {
        /// What ended the connection (a close frame, a read error, a missed pong), or why reconnecting gave up.
        reason: String,
        /// Whether the stream will try to connect again.
        will_reconnect: bool,
    },
    /// A new connection is up, with the same `app` and `subscribeAll`, so the
    /// Stasis applications are registered again.
    Reconnected {
        /// Connection attempts it took, 1 when the first one succeeded.
        attempts: u32,
    },
}

impl<T> StreamItem<T> {
    /// The event, if this item is one.
    pub fn into_event(self) -> Option<T> {
        match self {
            StreamItem::Event(event) => Some(event),
            _ => None,
        }
    }

    /// The event, borrowed, if this item is one.
    pub fn as_event(&self) -> Option<&T> {
        match self {
            StreamItem::Event(event) => Some(event),
            _ => None,
        }
    }
}

/// When to try again after the connection was lost: `initial`, then
/// multiplied by `factor` up to `max`, each delay shortened by up to
/// `jitter` (a fraction) so that many clients of one restarted Asterisk do
/// not all come back in the same millisecond.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Backoff {
    /// The delay before the first reconnection attempt.
    pub initial: Duration,
    /// The longest delay between attempts, however many have failed.
    pub max: Duration,
    /// What each delay is multiplied by for the next attempt; 0 counts as 1.
    pub factor: u32,
    /// 0.0 (fixed schedule) to 1.0.
    pub jitter: f64,
    /// Give up (and end the stream) after this many failed attempts in a
    /// row; `None` tries forever.
    pub max_attempts: Option<u32>,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            initial: Duration::from_millis(200),
            max: Duration::from_secs(10),
            factor: 2,
            jitter: 0.2,
            max_attempts: None,
        }
    }
}

impl Backoff {
    /// Delays from `initial` up to `max`, with the default factor (2), jitter (0.2) and no attempt limit.
    pub fn new(initial: Duration, max: Duration) -> Self {
        Backoff {
            initial,
            max,
            ..Backoff::default()
        }
    }

    /// Sets the growth factor of the delays; 0 becomes 1 (a fixed delay).
    pub fn factor(mut self, factor: u32) -> Self {
        self.factor = factor.max(1);
        self
    }

    /// Sets the jitter, clamped to `0.0..=1.0`.
    pub fn jitter(mut self, jitter: f64) -> Self {
        self.jitter = jitter.clamp(0.0, 1.0);
        self
    }

    /// Sets how many failed attempts in a row end the stream; `None` tries forever.
    pub fn max_attempts(mut self, max_attempts: Option<u32>) -> Self {
        self.max_attempts = max_attempts;
        self
    }

    /// The delay before attempt `attempt` (1-based), without jitter.
    pub fn base_delay(&self, attempt: u32) -> Duration {
        let exponent = attempt.saturating_sub(1);
        let multiplier = self.factor.max(1).saturating_pow(exponent);
        self.initial.saturating_mul(multiplier).min(self.max)
    }

    /// The delay before attempt `attempt`, with jitter drawn from `unit`
    /// (a number in `0.0..1.0`).
    pub fn delay(&self, attempt: u32, unit: f64) -> Duration {
        let base = self.base_delay(attempt);
        let shortening = self.jitter.clamp(0.0, 1.0) * unit.clamp(0.0, 1.0);
        // `try_`: a NaN jitter (the field is public) or a huge base must not
        // panic; the plain delay is the fallback.
        Duration::try_from_secs_f64(base.as_secs_f64() * (1.0 - shortening)).unwrap_or(base)
    }
}

/// A number in `0.0..1.0` that differs between calls and processes; jitter
/// needs no better randomness than std's hasher keys.
fn jitter_unit() -> f64 {
    use std::hash::{BuildHasher as _, Hasher as _};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// How an event stream keeps its connection.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct EventOptions {
    /// `None`: the stream ends after the first [`StreamItem::Disconnected`].
    pub reconnect: Option<Backoff>,
    /// Send a WebSocket ping after this long without one; `None` sends none.
    pub ping_interval: Option<Duration>,
    /// The connection counts as lost when nothing (pong or event) arrives
    /// within this long after a ping.
    pub pong_timeout: Duration,
    /// Items buffered per consumer before the reader waits for it.
    pub buffer: usize,
    /// After each (re)connection, compare the server's versions with the
    /// bindings the stream decodes for, in the background, and
    /// `tracing::warn!` when they differ (a restart may have brought another
    /// Asterisk).
    pub check_version: bool,
}

impl Default for EventOptions {
    fn default() -> Self {
        EventOptions {
            reconnect: Some(Backoff::default()),
            ping_interval: Some(Duration::from_secs(20)),
            pong_timeout: Duration::from_secs(10),
            buffer: 1024,
            check_version: true,
        }
    }
}

impl EventOptions {
    /// How to reconnect after a lost connection; `None` ends the stream at the first disconnection.
    pub fn reconnect(mut self, backoff: Option<Backoff>) -> Self {
        self.reconnect = backoff;
        self
    }

    /// Sends a ping every `ping_interval` (`None`: never) and counts the connection lost when nothing arrives within `pong_timeout` of one.
    pub fn keepalive(mut self, ping_interval: Option<Duration>, pong_timeout: Duration) -> Self {
        self.ping_interval = ping_interval;
        self.pong_timeout = pong_timeout;
        self
    }

    /// Sets how many items each consumer buffers before the reader waits for it (at least 1).
    pub fn buffer(mut self, buffer: usize) -> Self {
        self.buffer = buffer.max(1);
        self
    }

    /// Whether to compare the server's versions with the bindings' after each (re)connection, logging mismatches.
    pub fn check_version(mut self, check: bool) -> Self {
        self.check_version = check;
        self
    }

    fn spawn_version_check(&self, client: &Client, requests: OwnRequests) {
        if self.check_version {
            let client = client.clone();
            tokio::spawn(async move {
                // Mismatches are logged by the check itself.
                if let Err(error) = client.check_version_with(&requests).await {
                    tracing::debug!(target: "ari_runtime::events", %error, "version check failed");
                }
            });
        }
    }
}

/// The most frames the reader collects before handing them over.
const BATCH: usize = 64;

/// What the reader hands to consumers: frames, usually still to be decoded,
/// and the connection changes in between.
enum Delivery<T> {
    /// A frame's text, as a range of [`Batch::text`].
    Text(std::ops::Range<usize>),
    /// Decoded by the reader while its only consumer was behind.
    Decoded(StreamItem<T>),
    Disconnected {
        reason: String,
        will_reconnect: bool,
    },
    Reconnected {
        attempts: u32,
    },
}

impl<T> Delivery<T> {
    /// The same delivery for another consumer. Only the reader's own
    /// decodes cannot be shared (`T` need not be `Clone`), and the reader
    /// decodes only for a single consumer.
    fn share(&self) -> Option<Self> {
        Some(match self {
            Delivery::Text(range) => Delivery::Text(range.clone()),
            Delivery::Decoded(_) => return None,
            Delivery::Disconnected {
                reason,
                will_reconnect,
            } => Delivery::Disconnected {
                reason: reason.clone(),
                will_reconnect: *will_reconnect,
            },
            Delivery::Reconnected { attempts } => Delivery::Reconnected {
                attempts: *attempts,
            },
        })
    }
}

/// Deliveries handed to a consumer at once.
///
/// The frames' texts are copied one after another into one string: the
/// consumer then reads one block that no other thread touches, where the
/// frames themselves are views into tungstenite's shared read buffer whose
/// reference count both threads would update for every event (a cache line
/// bouncing between cores). The copy costs the reader less than that.
struct Batch<T> {
    text: String,
    items: Vec<Delivery<T>>,
}

impl<T> Batch<T> {
    fn new() -> Self {
        Batch {
            text: String::new(),
            items: Vec::new(),
        }
    }

    fn of(item: Delivery<T>) -> Self {
        Batch {
            text: String::new(),
            items: vec![item],
        }
    }

    fn push_text(&mut self, frame: &str) {
        if self.text.is_empty() {
            // Room for a full batch of typical events: one allocation.
            self.text.reserve(BATCH * 512);
        }
        let start = self.text.len();
        self.text.push_str(frame);
        self.items.push(Delivery::Text(start..self.text.len()));
    }

    /// The same batch for another consumer (see [`Delivery::share`]).
    fn share(&self) -> Self {
        Batch {
            text: self.text.clone(),
            items: self.items.iter().filter_map(Delivery::share).collect(),
        }
    }
}

/// Channel capacity, in batches, for a buffer of `buffer` items.
fn batches_for(buffer: usize) -> usize {
    buffer.div_ceil(BATCH).max(1)
}

/// Shared by every handle on a connection. When the last one goes, `stop`
/// is dropped with it: the reader, waiting on the other end even when no
/// event arrives, releases the apps' device states and closes.
struct ReaderGuard<T> {
    task: tokio::task::JoinHandle<()>,
    register: mpsc::UnboundedSender<mpsc::Sender<Batch<T>>>,
    capacity: usize,
    _stop: oneshot::Sender<()>,
    /// For [`EventStream::release_device_states`].
    client: Client,
    requests: OwnRequests,
    apps: Vec<String>,
}

/// Typed messages from the event WebSocket, with connection changes in
/// between (see [`StreamItem`]). Ends only when reconnecting is disabled or
/// gives up.
pub struct EventStream<T> {
    receiver: mpsc::Receiver<Batch<T>>,
    /// The rest of the batch being handed out, and its text.
    pending: std::vec::IntoIter<Delivery<T>>,
    pending_text: String,
    guard: Arc<ReaderGuard<T>>,
}

// Nothing in the stream is ever pinned in place: items are moved out.
impl<T> Unpin for EventStream<T> {}

impl<T> EventStream<T> {
    /// Closes the connection, ending every consumer of it, after releasing
    /// the device-state subscriptions of its applications through REST
    /// ([`release_device_states`](Self::release_device_states)): Asterisk 22
    /// can deadlock its ARI when a connection closes while a device state
    /// event is on its way to it, and `subscribe_all` watches every device.
    ///
    /// Dropping the last handle does the same in the background (while the
    /// tokio runtime still runs), and only logs a failure. `close` waits
    /// for the release and returns its error, naming the application that
    /// kept its subscriptions; the connection is closed either way.
    pub async fn close(self) -> Result<(), ReleaseError> {
        let released = self.release_device_states().await;
        self.guard.task.abort();
        released
    }

    /// Releases, through REST, every device-state subscription of the
    /// connection's applications (`subscribe_all` makes one to every
    /// device), so that they can close without risking Asterisk 22's
    /// deadlock (see [`close`](Self::close)). The connection stays open;
    /// the applications get no more `DeviceStateChanged` events.
    pub async fn release_device_states(&self) -> Result<(), ReleaseError> {
        let guard = &self.guard;
        release::release_device_states(&guard.client, &guard.requests, &guard.apps).await
    }

    /// Another consumer of the same connection. It receives every item from
    /// now on; the reader goes at the pace of the slowest consumer.
    pub fn subscribe(&self) -> EventStream<T> {
        let (sender, receiver) = mpsc::channel(self.guard.capacity);
        // A closed register means the reader has ended: the new stream then
        // ends at once, like this one.
        let _ = self.guard.register.send(sender);
        EventStream {
            receiver,
            pending: Vec::new().into_iter(),
            pending_text: String::new(),
            guard: Arc::clone(&self.guard),
        }
    }
}

fn decode_text<T: FromFrame>(text: &str) -> StreamItem<T> {
    match T::from_frame(text) {
        Ok(event) => StreamItem::Event(event),
        Err(error) => {
            tracing::warn!(target: "ari_runtime::events", %error, "malformed event frame");
            StreamItem::Malformed(error)
        }
    }
}

/// A frame of a batch's text. The ranges are made by `Batch::push_text` on
/// that very text, so the empty fallback is never taken.
fn frame<'t>(text: &'t str, range: &std::ops::Range<usize>) -> &'t str {
    text.get(range.clone()).unwrap_or_default()
}

fn decode<T: FromFrame>(delivery: Delivery<T>, text: &str) -> StreamItem<T> {
    match delivery {
        Delivery::Text(range) => decode_text(frame(text, &range)),
        Delivery::Decoded(item) => item,
        Delivery::Disconnected {
            reason,
            will_reconnect,
        } => StreamItem::Disconnected {
            reason,
            will_reconnect,
        },
        Delivery::Reconnected { attempts } => StreamItem::Reconnected { attempts },
    }
}

impl<T: FromFrame> Stream for EventStream<T> {
    type Item = StreamItem<T>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            if let Some(delivery) = self.pending.next() {
                return Poll::Ready(Some(decode(delivery, &self.pending_text)));
            }
            match self.receiver.poll_recv(cx) {
                Poll::Ready(Some(batch)) => {
                    self.pending = batch.items.into_iter();
                    self.pending_text = batch.text;
                }
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

impl<T> std::fmt::Debug for EventStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventStream").finish_non_exhaustive()
    }
}

use super::tls::Socket;

const QUERY_VALUE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Everything needed to open the same connection again. Holds the
/// credentials, so it is never printed.
struct Target {
    client: Client,
    url: String,
    /// `path?app=...` without credentials, for logs.
    display: String,
}

impl Client {
    /// The WebSocket URL for a request, `http` becoming `ws`, and the same
    /// without credentials for logs.
    pub(crate) fn websocket_url(
        &self,
        request: &Request,
    ) -> Result<(String, String), ConnectError> {
        let base = self.base_url();
        let base = if let Some(rest) = base.strip_prefix("https://") {
            format!("wss://{rest}")
        } else if let Some(rest) = base.strip_prefix("http://") {
            format!("ws://{rest}")
        } else {
            return Err(ConnectError::InvalidUrl(base.to_owned()));
        };
        let encode = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| {
                    format!(
                        "{k}={}",
                        percent_encoding::utf8_percent_encode(v, QUERY_VALUE)
                    )
                })
                .collect::<Vec<_>>()
                .join("&")
        };
        let mut pairs: Vec<(&str, &str)> = request
            .query_pairs()
            .iter()
            .map(|(k, v)| (*k, v.as_str()))
            .collect();
        let display_query = encode(&pairs);
        if let Credentials::ApiKey(key) = self.credentials() {
            pairs.push(("api_key", key));
        }
        let query = encode(&pairs);
        let join = |query: &str| {
            format!(
                "{}{}{query}",
                request.path(),
                if query.is_empty() { "" } else { "?" }
            )
        };
        Ok((format!("{base}{}", join(&query)), join(&display_query)))
    }

    /// Opens the event WebSocket of `request` (built by the generated
    /// `events().event_websocket(…)`) with the client's [`EventOptions`],
    /// decoding into `B`'s messages: the same as
    /// [`EventStreamBuilder::from_request`] then `connect`.
    pub async fn connect_events<B: Bindings>(
        &self,
        request: Request,
    ) -> Result<EventStream<B::Message>, ConnectError> {
        EventStreamBuilder::<B>::from_request(self.clone(), request)
            .connect()
            .await
    }

    /// Opens the event WebSocket. The first connection is made here, so bad
    /// credentials or an unreachable server are reported at once; later
    /// losses are items of the stream.
    pub(crate) async fn open_events<T: FromFrame>(
        &self,
        request: Request,
        options: EventOptions,
        requests: OwnRequests,
    ) -> Result<EventStream<T>, ConnectError> {
        let (url, display) = self.websocket_url(&request)?;
        let apps = registered_apps(&request);
        let target = Target {
            client: self.clone(),
            url,
            display,
        };
        let socket = target.open().await?;
        tracing::info!(target: "ari_runtime::events", events = %target.display, "event WebSocket connected");
        options.spawn_version_check(self, requests);
        let capacity = batches_for(options.buffer);
        let (sender, receiver) = mpsc::channel(capacity);
        let (register, registrations) = mpsc::unbounded_channel();
        let (stop, stopped) = oneshot::channel();
        let reader = Reader {
            target,
            options,
            consumers: vec![sender],
            registrations,
            stopped,
            requests,
            apps: apps.clone(),
        };
        let task = tokio::spawn(reader.run(socket));
        Ok(EventStream {
            receiver,
            pending: Vec::new().into_iter(),
            pending_text: String::new(),
            guard: Arc::new(ReaderGuard {
                task,
                register,
                capacity,
                _stop: stop,
                client: self.clone(),
                requests,
                apps,
            }),
        })
    }
}

/// The applications an event request registers: its `app` list, which
/// Asterisk splits at commas too.
fn registered_apps(request: &Request) -> Vec<String> {
    request
        .query_pairs()
        .iter()
        .filter(|(name, _)| *name == "app")
        .flat_map(|(_, value)| value.split(','))
        .filter(|app| !app.is_empty())
        .map(str::to_owned)
        .collect()
}

impl Target {
    async fn open(&self) -> Result<Socket, ConnectError> {
        let mut request = self
            .url
            .as_str()
            .into_client_request()
            .map_err(|_| ConnectError::InvalidUrl(self.client.base_url().to_owned()))?;
        if let Some(authorization) = self.client.authorization() {
            request
                .headers_mut()
                .insert("Authorization", authorization.clone());
        } else if matches!(self.client.credentials(), Credentials::Basic { .. }) {
            return Err(ConnectError::InvalidUrl(
                "credentials are not a valid header".into(),
            ));
        }
        if let Ok(agent) = self.client.user_agent().parse() {
            request.headers_mut().insert("User-Agent", agent);
        }
        let handshake = super::tls::connect(request, self.client.websocket_tls());
        let (socket, _) = match self.client.connect_timeout() {
            Some(limit) => tokio::time::timeout(limit, handshake)
                .await
                .map_err(|_| ConnectError::Timeout(limit))?,
            None => handshake.await,
        }
        .map_err(ConnectError::WebSocket)?;
        Ok(socket)
    }
}

/// Why reading one connection stopped.
enum Ended {
    /// Every consumer is gone.
    NoConsumers,
    Lost(String),
}

struct Reader<T> {
    target: Target,
    options: EventOptions,
    consumers: Vec<mpsc::Sender<Batch<T>>>,
    registrations: mpsc::UnboundedReceiver<mpsc::Sender<Batch<T>>>,
    /// Ready once every handle is gone (see [`ReaderGuard`]).
    stopped: oneshot::Receiver<()>,
    /// The applications the connection registers, released before it closes.
    requests: OwnRequests,
    apps: Vec<String>,
}

/// How long the reader may spend releasing device states before it closes
/// anyway.
const RELEASE_TIMEOUT: Duration = Duration::from_secs(5);

/// What one frame means to the reader.
enum Frame {
    Text(tungstenite::Utf8Bytes),
    /// Pings are answered by tungstenite; pongs only prove liveness.
    Skip,
    End(Ended),
}

fn classify(frame: Option<Result<tungstenite::Message, tungstenite::Error>>) -> Frame {
    match frame {
        Some(Ok(tungstenite::Message::Text(text))) => Frame::Text(text),
        Some(Ok(tungstenite::Message::Close(frame))) => Frame::End(Ended::Lost(match frame {
            Some(frame) if !frame.reason.is_empty() => {
                format!("closed by the server ({}: {})", frame.code, frame.reason)
            }
            Some(frame) => format!("closed by the server ({})", frame.code),
            None => "closed by the server".into(),
        })),
        None => Frame::End(Ended::Lost("connection closed".into())),
        Some(Err(error)) => Frame::End(Ended::Lost(error.to_string())),
        Some(Ok(_)) => Frame::Skip,
    }
}

impl<T: FromFrame> Reader<T> {
    async fn run(mut self, mut socket: Socket) {
        loop {
            let reason = match self.read(&mut socket).await {
                Ended::NoConsumers => return self.finish(socket).await,
                Ended::Lost(reason) => reason,
            };
            let Some(backoff) = self.options.reconnect.clone() else {
                tracing::warn!(target: "ari_runtime::events", events = %self.target.display, %reason, "event WebSocket lost; not reconnecting");
                self.deliver(Delivery::Disconnected {
                    reason,
                    will_reconnect: false,
                })
                .await;
                return;
            };
            tracing::warn!(target: "ari_runtime::events", events = %self.target.display, %reason, "event WebSocket lost; reconnecting");
            if !self
                .deliver(Delivery::Disconnected {
                    reason,
                    will_reconnect: true,
                })
                .await
            {
                return;
            }
            match self.reconnect(&backoff).await {
                Ok((new_socket, attempts)) => {
                    socket = new_socket;
                    tracing::info!(target: "ari_runtime::events", events = %self.target.display, attempts, "event WebSocket reconnected");
                    self.options
                        .spawn_version_check(&self.target.client, self.requests);
                    if !self.deliver(Delivery::Reconnected { attempts }).await {
                        return self.finish(socket).await;
                    }
                }
                Err(reason) => {
                    tracing::error!(target: "ari_runtime::events", events = %self.target.display, %reason, "event WebSocket: giving up");
                    self.deliver(Delivery::Disconnected {
                        reason,
                        will_reconnect: false,
                    })
                    .await;
                    return;
                }
            }
        }
    }

    /// Every consumer is gone: releases the apps' device states (see
    /// [`EventStream::close`]), then closes.
    async fn finish(&mut self, mut socket: Socket) {
        let release =
            release::release_device_states(&self.target.client, &self.requests, &self.apps);
        let failure = match tokio::time::timeout(RELEASE_TIMEOUT, release).await {
            Ok(released) => released.err().map(|error| error.to_string()),
            Err(_) => Some(format!("no answer within {RELEASE_TIMEOUT:?}")),
        };
        if let Some(error) = failure {
            tracing::warn!(target: "ari_runtime::events", events = %self.target.display, %error, "closing without releasing device states");
        }
        let _ = socket.close(None).await;
    }

    async fn reconnect(&mut self, backoff: &Backoff) -> Result<(Socket, u32), String> {
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            tokio::select! {
                () = tokio::time::sleep(backoff.delay(attempt, jitter_unit())) => {}
                _ = &mut self.stopped => return Err("every consumer is gone".into()),
            }
            self.accept_consumers();
            if self.consumers.is_empty() {
                return Err("every consumer is gone".into());
            }
            match self.target.open().await {
                Ok(socket) => return Ok((socket, attempt)),
                Err(error) => {
                    tracing::debug!(target: "ari_runtime::events", attempt, %error, "reconnect attempt failed");
                    if backoff.max_attempts.is_some_and(|max| attempt >= max) {
                        return Err(format!(
                            "no connection after {attempt} attempts, last: {error}"
                        ));
                    }
                }
            }
        }
    }

    async fn read(&mut self, socket: &mut Socket) -> Ended {
        let mut next_ping = self
            .options
            .ping_interval
            .map(|every| Instant::now() + every);
        let mut pong_deadline: Option<Instant> = None;
        loop {
            // Biased towards the socket: after waiting for a slow consumer,
            // frames already received prove the connection alive before the
            // pong deadline is looked at.
            let frame = tokio::select! {
                biased;
                _ = &mut self.stopped => return Ended::NoConsumers,
                frame = socket.next() => frame,
                () = sleep_until(pong_deadline) => {
                    return Ended::Lost(format!(
                        "no pong within {:?} of a ping",
                        self.options.pong_timeout
                    ));
                }
                () = sleep_until(next_ping) => {
                    // One ping at a time: a second one must not push the
                    // deadline of the first further out.
                    if pong_deadline.is_none() {
                        if let Err(error) = socket.send(tungstenite::Message::Ping(Default::default())).await {
                            return Ended::Lost(format!("cannot send a ping: {error}"));
                        }
                        pong_deadline = Some(Instant::now() + self.options.pong_timeout);
                    }
                    next_ping = self.options.ping_interval.map(|every| Instant::now() + every);
                    continue;
                }
            };
            pong_deadline = None;
            let mut batch = Batch::new();
            let mut ended = None;
            match classify(frame) {
                Frame::Text(text) => batch.push_text(&text),
                Frame::Skip => {}
                Frame::End(end) => ended = Some(end),
            }
            // Frames that have already arrived join the batch without waiting.
            while ended.is_none() && batch.items.len() < BATCH {
                let Some(frame) = socket.next().now_or_never() else {
                    break;
                };
                match classify(frame) {
                    Frame::Text(text) => batch.push_text(&text),
                    Frame::Skip => {}
                    Frame::End(end) => ended = Some(end),
                }
            }
            if !batch.items.is_empty() && !self.deliver_frames(batch).await {
                return Ended::NoConsumers;
            }
            if let Some(end) = ended {
                return end;
            }
        }
    }

    fn accept_consumers(&mut self) {
        while let Ok(consumer) = self.registrations.try_recv() {
            self.consumers.push(consumer);
        }
        self.consumers.retain(|consumer| !consumer.is_closed());
    }

    /// Hands `item` to every consumer, waiting for room in each. False when
    /// none is left.
    async fn deliver(&mut self, item: Delivery<T>) -> bool {
        self.accept_consumers();
        self.deliver_batch(Batch::of(item)).await
    }

    /// Hands a batch of frames over. With a single consumer that is behind
    /// (its channel full), the reader decodes frames of the batch itself
    /// instead of waiting idle, until room appears: decoding is most of the
    /// work per event, and this spreads it over the reader's thread and the
    /// consumer's on a multi-thread runtime, in whatever share keeps both
    /// busy. Order is unchanged: the batch is still delivered whole.
    async fn deliver_frames(&mut self, mut batch: Batch<T>) -> bool {
        self.accept_consumers();
        if let [consumer] = self.consumers.as_slice()
            && consumer.capacity() == 0
        {
            let text = &batch.text;
            for delivery in &mut batch.items {
                if consumer.capacity() > 0 {
                    break;
                }
                if let Delivery::Text(range) = delivery {
                    *delivery = Delivery::Decoded(decode_text(frame(text, range)));
                }
            }
        }
        self.deliver_batch(batch).await
    }

    /// Hands `batch` to every consumer, waiting for room in each; consumers
    /// that register meanwhile start with the next batch. False when none is
    /// left.
    async fn deliver_batch(&mut self, batch: Batch<T>) -> bool {
        let Some((last, others)) = self.consumers.split_last() else {
            return false;
        };
        for consumer in others {
            // A consumer that is gone is removed at the next delivery.
            let _ = consumer.send(batch.share()).await;
        }
        let _ = last.send(batch).await;
        self.consumers.retain(|consumer| !consumer.is_closed());
        !self.consumers.is_empty()
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// How an event stream of bindings `B` is opened: for the Stasis
/// applications named (the generated client's `event_stream(["app"])`), or
/// for a request the generated `events().event_websocket(…)` built, with
/// per-stream connection options.
#[must_use = "nothing is connected until `connect` is awaited"]
pub struct EventStreamBuilder<B> {
    client: Client,
    apps: Vec<String>,
    subscribe_all: Option<bool>,
    request: Option<Request>,
    options: EventOptions,
    bindings: std::marker::PhantomData<fn() -> B>,
}

// By hand: derived, they would require `B: Clone` / `B: Debug`, which the
// builder never holds a `B` to need.
impl<B> Clone for EventStreamBuilder<B> {
    fn clone(&self) -> Self {
        EventStreamBuilder {
            client: self.client.clone(),
            apps: self.apps.clone(),
            subscribe_all: self.subscribe_all,
            request: self.request.clone(),
            options: self.options.clone(),
            bindings: std::marker::PhantomData,
        }
    }
}

impl<B> std::fmt::Debug for EventStreamBuilder<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventStreamBuilder")
            .field("client", &self.client)
            .field("apps", &self.apps)
            .field("subscribe_all", &self.subscribe_all)
            .field("request", &self.request)
            .field("options", &self.options)
            .finish()
    }
}

impl<B: Bindings> EventStreamBuilder<B> {
    /// Events for the Stasis applications `apps` (registered by
    /// connecting), with the client's [`EventOptions`].
    pub fn new<I, S>(client: Client, apps: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let options = client.event_options().clone();
        EventStreamBuilder {
            client,
            apps: apps
                .into_iter()
                .map(|app| app.as_ref().to_owned())
                .collect(),
            subscribe_all: None,
            request: None,
            options,
            bindings: std::marker::PhantomData,
        }
    }

    /// Events for a request built elsewhere (the generated
    /// `events().event_websocket(…)`); its `app` list names the applications.
    pub fn from_request(client: Client, request: Request) -> Self {
        let mut builder = Self::new(client, std::iter::empty::<&str>());
        builder.request = Some(request);
        builder
    }

    /// Subscribe the applications to every event source, not only their own
    /// channels and bridges (for a builder made by [`Self::new`]).
    pub fn subscribe_all(mut self, subscribe_all: bool) -> Self {
        self.subscribe_all = Some(subscribe_all);
        self
    }

    /// `None`: end the stream when the connection is lost.
    pub fn reconnect(mut self, backoff: Option<Backoff>) -> Self {
        self.options.reconnect = backoff;
        self
    }

    /// See [`EventOptions::keepalive`].
    pub fn keepalive(mut self, ping_interval: Option<Duration>, pong_timeout: Duration) -> Self {
        self.options = self.options.keepalive(ping_interval, pong_timeout);
        self
    }

    /// See [`EventOptions::buffer`].
    pub fn buffer(mut self, buffer: usize) -> Self {
        self.options = self.options.buffer(buffer);
        self
    }

    /// See [`EventOptions::check_version`].
    pub fn check_version(mut self, check: bool) -> Self {
        self.options.check_version = check;
        self
    }

    /// Replaces every connection option at once.
    pub fn options(mut self, options: EventOptions) -> Self {
        self.options = options;
        self
    }

    /// Connects, decoding into the bindings' messages.
    pub async fn connect(self) -> Result<EventStream<B::Message>, ConnectError> {
        let request = match self.request {
            Some(request) => request,
            None => B::event_websocket(&self.apps, self.subscribe_all),
        };
        self.client
            .open_events(request, self.options, OwnRequests::of::<B>())
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(2)).jitter(0.0);
        let schedule: Vec<u128> = (1..=8)
            .map(|attempt| backoff.delay(attempt, 0.99).as_millis())
            .collect();
        assert_eq!(schedule, [100, 200, 400, 800, 1600, 2000, 2000, 2000]);
        assert_eq!(backoff.base_delay(u32::MAX), Duration::from_secs(2));
        let odd = Backoff {
            jitter: f64::NAN,
            max: Duration::MAX,
            ..Backoff::default()
        };
        assert_eq!(odd.delay(1, 0.5), Duration::from_millis(200));
        assert_eq!(odd.delay(u32::MAX, 0.5), odd.base_delay(u32::MAX));
    }

    #[test]
    fn jitter_only_shortens_within_its_fraction() {
        let backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(8)).jitter(0.25);
        assert_eq!(backoff.delay(2, 0.0), Duration::from_secs(2));
        assert_eq!(backoff.delay(2, 1.0), Duration::from_millis(1500));
        for _ in 0..100 {
            let unit = jitter_unit();
            assert!((0.0..1.0).contains(&unit), "{unit}");
            let delay = backoff.delay(3, unit);
            assert!(delay <= Duration::from_secs(4) && delay >= Duration::from_secs(3));
        }
    }

    #[test]
    fn close_releases_the_apps_the_request_registers() {
        let mut request = Request::new(reqwest::Method::GET, "/events", "/events".into());
        request.query_list("app", &["a b".to_owned(), "c".to_owned()]);
        request.query("subscribeAll", &true);
        assert_eq!(registered_apps(&request), ["a b", "c"]);
        let mut request = Request::new(reqwest::Method::GET, "/events", "/events".into());
        request.query("app", "solo");
        assert_eq!(registered_apps(&request), ["solo"]);
    }

    #[test]
    fn websocket_url_keeps_the_key_out_of_the_display_form() {
        let client = Client::builder("https://pbx:8089")
            .api_key("user:s3cret")
            .build()
            .unwrap();
        let mut request = Request::new(reqwest::Method::GET, "/events", "/events".into());
        request.query_list("app", &["a b".to_owned(), "c".to_owned()]);
        request.query("subscribeAll", &true);
        let (url, display) = client.websocket_url(&request).unwrap();
        assert_eq!(
            url,
            "wss://pbx:8089/ari/events?app=a%20b%2Cc&subscribeAll=true&api_key=user%3As3cret"
        );
        assert_eq!(display, "/events?app=a%20b%2Cc&subscribeAll=true");
    }

    #[derive(Debug, Clone, PartialEq)]
    struct Word(String);

    impl FromFrame for Word {
        fn from_frame(text: &str) -> Result<Self, DecodeError> {
            serde_json::from_str::<String>(text)
                .map(Word)
                .map_err(|source| DecodeError::new(None, text, source))
        }
    }

    /// A one-shot WebSocket server that sends `frames` then closes.
    async fn serve(frames: Vec<&'static str>) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            let mut socket = tokio_tungstenite::accept_async(tcp).await.unwrap();
            for frame in frames {
                socket
                    .send(tungstenite::Message::text(frame))
                    .await
                    .unwrap();
            }
            let _ = socket.close(None).await;
        });
        format!("http://{address}")
    }

    /// No version check: these servers only speak WebSocket, and accept a
    /// fixed number of connections.
    fn test_options() -> EventOptions {
        EventOptions::default().check_version(false)
    }

    fn events_request() -> Request {
        Request::new(reqwest::Method::GET, "/events", "/events".into())
    }

    /// Bindings whose messages are [`Word`]s, with ARI's paths.
    struct Words;

    impl Bindings for Words {
        const VERSION: crate::BindingsVersion = crate::BindingsVersion {
            asterisk_version: "test",
            api_version: "0.0.0",
        };
        const API_DOCS_DIGEST: &'static str = "";
        type Message = Word;

        fn event_websocket(apps: &[String], subscribe_all: Option<bool>) -> Request {
            let mut request = events_request();
            request.query_list("app", apps);
            if let Some(all) = subscribe_all {
                request.query("subscribeAll", &all);
            }
            request
        }

        fn get_application(app: &str) -> Request {
            let path = format!("/applications/{}", crate::encode_path(app));
            Request::new(
                reqwest::Method::GET,
                "/applications/{applicationName}",
                path,
            )
        }

        fn unsubscribe(app: &str, event_sources: &[String]) -> Request {
            let path = format!("/applications/{}/subscription", crate::encode_path(app));
            let template = "/applications/{applicationName}/subscription";
            let mut request = Request::new(reqwest::Method::DELETE, template, path);
            request.query_list("eventSource", event_sources);
            request
        }

        fn asterisk_info() -> Request {
            Request::new(
                reqwest::Method::GET,
                "/asterisk/info",
                "/asterisk/info".into(),
            )
        }
    }

    #[tokio::test]
    async fn a_malformed_frame_is_an_item_and_the_stream_goes_on() {
        let url = serve(vec![r#""one""#, "{not json", r#""two""#]).await;
        let client = Client::builder(url).build().unwrap();
        let options = test_options().reconnect(None);
        let stream = client
            .open_events::<Word>(events_request(), options, OwnRequests::of::<Words>())
            .await
            .unwrap();
        let items: Vec<StreamItem<Word>> = stream.collect().await;
        assert_eq!(items.len(), 4, "{items:?}");
        assert!(matches!(&items[0], StreamItem::Event(Word(w)) if w == "one"));
        assert!(matches!(&items[1], StreamItem::Malformed(e) if e.raw == "{not json"));
        assert!(matches!(&items[2], StreamItem::Event(Word(w)) if w == "two"));
        assert!(matches!(
            &items[3],
            StreamItem::Disconnected {
                will_reconnect: false,
                ..
            }
        ));
    }

    /// A word that notes which thread decoded it.
    #[derive(Debug)]
    struct TracedWord(String, std::thread::ThreadId);

    impl FromFrame for TracedWord {
        fn from_frame(text: &str) -> Result<Self, DecodeError> {
            Word::from_frame(text).map(|word| TracedWord(word.0, std::thread::current().id()))
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_lagging_consumer_gets_help_and_every_item_in_order() {
        let frames: Vec<String> = (0..300)
            .map(|i| {
                if i % 50 == 7 {
                    format!("{{broken {i}")
                } else {
                    format!("\"w{i}\"")
                }
            })
            .collect();
        let frames: Vec<&'static str> = frames
            .into_iter()
            .map(|frame| &*Box::leak(frame.into_boxed_str()))
            .collect();
        let url = serve(frames.clone()).await;
        let client = Client::builder(url).build().unwrap();
        // One batch of room: the reader finds the channel full while the
        // consumer sleeps, and decodes the next batch itself.
        let options = test_options().reconnect(None).buffer(1);
        let mut stream = client
            .open_events::<TracedWord>(events_request(), options, OwnRequests::of::<Words>())
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        let consumer = std::thread::current().id();
        let mut decoded_here = 0;
        let mut decoded_elsewhere = 0;
        for (i, frame) in frames.iter().enumerate() {
            match stream.next().await {
                Some(StreamItem::Event(TracedWord(word, thread))) => {
                    assert_eq!(format!("\"{word}\""), *frame, "item {i}");
                    if thread == consumer {
                        decoded_here += 1;
                    } else {
                        decoded_elsewhere += 1;
                    }
                }
                Some(StreamItem::Malformed(error)) => assert_eq!(error.raw, *frame, "item {i}"),
                other => panic!("item {i}: {other:?}"),
            }
        }
        assert!(matches!(
            stream.next().await,
            Some(StreamItem::Disconnected { .. })
        ));
        assert!(decoded_elsewhere > 0, "the reader never helped");
        assert!(decoded_here > 0, "the consumer never decoded");
    }

    #[tokio::test]
    async fn every_subscriber_sees_every_item_even_when_one_is_slow() {
        let frames: Vec<&'static str> = vec![r#""a""#, r#""b""#, r#""c""#, r#""d""#, r#""e""#];
        let url = serve(frames).await;
        let client = Client::builder(url).build().unwrap();
        // A buffer of one: the reader must wait for the slow consumer
        // rather than drop anything.
        let options = test_options().reconnect(None).buffer(1);
        let fast = client
            .open_events::<Word>(events_request(), options, OwnRequests::of::<Words>())
            .await
            .unwrap();
        let slow = fast.subscribe();
        let slow = tokio::spawn(async move {
            let mut slow = slow;
            let mut seen = Vec::new();
            while let Some(item) = slow.next().await {
                tokio::time::sleep(Duration::from_millis(20)).await;
                seen.push(item.into_event().map(|w| w.0));
            }
            seen
        });
        let fast: Vec<_> = fast
            .map(|item| item.into_event().map(|w| w.0))
            .collect()
            .await;
        let slow = slow.await.unwrap();
        let expected: Vec<Option<String>> = ["a", "b", "c", "d", "e"]
            .iter()
            .map(|w| Some(w.to_string()))
            .chain([None])
            .collect();
        assert_eq!(fast, expected);
        assert_eq!(slow, expected);
    }

    #[tokio::test]
    async fn a_dropped_connection_is_reported_and_reopened() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move {
            for word in [r#""first""#, r#""second""#] {
                let (tcp, _) = listener.accept().await.unwrap();
                let mut socket = tokio_tungstenite::accept_async(tcp).await.unwrap();
                socket.send(tungstenite::Message::text(word)).await.unwrap();
                // Drop without a close frame, like a crashed server.
                drop(socket);
            }
        });
        let client = Client::builder(format!("http://{address}"))
            .build()
            .unwrap();
        let backoff = Backoff::new(Duration::from_millis(10), Duration::from_millis(50))
            .max_attempts(Some(3));
        let options = test_options().reconnect(Some(backoff));
        let mut stream = client
            .open_events::<Word>(events_request(), options, OwnRequests::of::<Words>())
            .await
            .unwrap();
        let mut next = async || {
            tokio::time::timeout(Duration::from_secs(5), stream.next())
                .await
                .unwrap()
        };
        assert!(matches!(next().await, Some(StreamItem::Event(Word(w))) if w == "first"));
        assert!(matches!(
            next().await,
            Some(StreamItem::Disconnected {
                will_reconnect: true,
                ..
            })
        ));
        assert!(matches!(
            next().await,
            Some(StreamItem::Reconnected { attempts: 1 })
        ));
        assert!(matches!(next().await, Some(StreamItem::Event(Word(w))) if w == "second"));
        assert!(matches!(
            next().await,
            Some(StreamItem::Disconnected {
                will_reconnect: true,
                ..
            })
        ));
        // Nobody listens any more: three failed attempts, then the end.
        match next().await {
            Some(StreamItem::Disconnected {
                reason,
                will_reconnect: false,
            }) => assert!(reason.contains("3 attempts"), "{reason}"),
            other => panic!("{other:?}"),
        }
        assert!(next().await.is_none());
    }

    #[cfg(feature = "wss")]
    #[tokio::test]
    async fn https_base_urls_speak_tls_to_the_event_socket() {
        // A plain-text server: a TLS client fails in the handshake; a
        // client without TLS would send it a plain HTTP upgrade instead.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let first_bytes = tokio::spawn(async move {
            let (mut tcp, _) = listener.accept().await.unwrap();
            let mut head = [0u8; 3];
            tcp.read_exact(&mut head).await.unwrap();
            tcp.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n")
                .await
                .unwrap();
            head
        });
        let client = Client::builder(format!("https://{address}"))
            .build()
            .unwrap();
        let error = client
            .open_events::<Word>(events_request(), test_options(), OwnRequests::of::<Words>())
            .await
            .unwrap_err();
        assert!(matches!(error, ConnectError::WebSocket(_)), "{error:?}");
        // 0x16 0x03: a TLS handshake record, not `GET`.
        let head = first_bytes.await.unwrap();
        assert_eq!(&head[..2], &[0x16, 0x03], "{head:?}");
    }

    #[tokio::test]
    async fn a_silent_server_is_detected_by_ping() {
        // Completes the handshake, then never reads or writes again.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (hold, mut held) = tokio::sync::mpsc::channel::<()>(1);
        tokio::spawn(async move {
            let (mut tcp, _) = listener.accept().await.unwrap();
            let mut request = vec![0u8; 4096];
            let read = tcp.read(&mut request).await.unwrap();
            let request = String::from_utf8_lossy(&request[..read]).into_owned();
            let key = request
                .lines()
                .find_map(|l| {
                    l.strip_prefix("Sec-WebSocket-Key: ")
                        .or(l.strip_prefix("sec-websocket-key: "))
                })
                .unwrap()
                .trim()
                .to_owned();
            let accept = tungstenite::handshake::derive_accept_key(key.as_bytes());
            let answer = format!(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
            );
            tcp.write_all(answer.as_bytes()).await.unwrap();
            let _keep = tcp;
            held.recv().await;
        });
        let client = Client::builder(format!("http://{address}"))
            .build()
            .unwrap();
        let options = test_options()
            .reconnect(None)
            .keepalive(Some(Duration::from_millis(50)), Duration::from_millis(100));
        let mut stream = client
            .open_events::<Word>(events_request(), options, OwnRequests::of::<Words>())
            .await
            .unwrap();
        let item = tokio::time::timeout(Duration::from_secs(5), stream.next())
            .await
            .unwrap();
        match item {
            Some(StreamItem::Disconnected { reason, .. }) => {
                assert!(reason.contains("no pong"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
        drop(hold);
    }

    /// A server for one application `lamp` that watches every device:
    /// WebSocket upgrades and ARI's applications resource, answering
    /// `DELETE …/subscription` with `delete_status`. It reports each request
    /// (`GET /ari/applications/lamp`) and the WebSocket's end (`closed`) in
    /// the order they happen.
    async fn serve_app_watching_devices(
        delete_status: u16,
    ) -> (String, mpsc::UnboundedReceiver<String>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (log, seen) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            loop {
                let Ok((mut tcp, _)) = listener.accept().await else {
                    return;
                };
                let log = log.clone();
                tokio::spawn(async move {
                    let mut head = vec![0u8; 4096];
                    let peeked = tcp.peek(&mut head).await.unwrap();
                    let head = String::from_utf8_lossy(&head[..peeked]).to_lowercase();
                    if head.contains("upgrade: websocket") {
                        let mut socket = tokio_tungstenite::accept_async(tcp).await.unwrap();
                        while let Some(Ok(_)) = socket.next().await {}
                        let _ = log.send("closed".to_owned());
                        return;
                    }
                    let mut request = vec![0u8; 4096];
                    let read = tcp.read(&mut request).await.unwrap();
                    let request = String::from_utf8_lossy(&request[..read]).into_owned();
                    let line = request.lines().next().unwrap_or_default();
                    let target = line.split(' ').take(2).collect::<Vec<_>>().join(" ");
                    let (status, body) = if target.starts_with("GET ") {
                        (
                            200,
                            r#"{"name":"lamp","device_names":["__AST_DEVICE_STATE_ALL_TOPIC"]}"#,
                        )
                    } else {
                        (delete_status, r#"{"message":"no"}"#)
                    };
                    let _ = log.send(target);
                    let answer = format!(
                        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    tcp.write_all(answer.as_bytes()).await.unwrap();
                });
            }
        });
        (format!("http://{address}"), seen)
    }

    /// A stream for `lamp` (watching every device) against
    /// [`serve_app_watching_devices`], and what that server sees.
    async fn lamp_stream(
        delete_status: u16,
    ) -> (EventStream<Word>, mpsc::UnboundedReceiver<String>) {
        let (url, seen) = serve_app_watching_devices(delete_status).await;
        let client = Client::builder(url)
            .event_options(test_options())
            .build()
            .unwrap();
        let stream = EventStreamBuilder::<Words>::new(client, ["lamp"])
            .subscribe_all(true)
            .connect()
            .await
            .unwrap();
        (stream, seen)
    }

    /// The server saw the release, then the WebSocket's end, in that order.
    async fn assert_released_then_closed(seen: &mut mpsc::UnboundedReceiver<String>) {
        let mut next = async || {
            tokio::time::timeout(Duration::from_secs(5), seen.recv())
                .await
                .expect("nothing within 5 s")
                .expect("server gone")
        };
        assert_eq!(next().await, "GET /ari/applications/lamp");
        assert_eq!(
            next().await,
            "DELETE /ari/applications/lamp/subscription?eventSource=deviceState%3A"
        );
        assert_eq!(next().await, "closed");
    }

    #[tokio::test]
    async fn dropping_the_last_handle_releases_device_states_before_closing() {
        let (stream, mut seen) = lamp_stream(200).await;
        let second = stream.subscribe();
        drop(stream);
        // Another handle still holds the connection.
        assert!(
            tokio::time::timeout(Duration::from_millis(200), seen.recv())
                .await
                .is_err()
        );
        drop(second);
        assert_released_then_closed(&mut seen).await;
    }

    #[tokio::test]
    async fn close_releases_then_closes_and_reports_a_refusal() {
        let (stream, mut seen) = lamp_stream(200).await;
        stream.close().await.unwrap();
        assert_released_then_closed(&mut seen).await;

        let (stream, mut seen) = lamp_stream(500).await;
        match stream.close().await {
            Err(ReleaseError::Refused { app, response }) => {
                assert_eq!((app.as_str(), response.status), ("lamp", 500));
            }
            other => panic!("{other:?}"),
        }
        assert_released_then_closed(&mut seen).await;
    }
}
