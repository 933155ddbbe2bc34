//! A media session: one WebSocket of chan_websocket, read and written by
//! one task. Incoming audio and events go to a [`MediaReceiver`]; a
//! [`MediaSender`] hands audio and commands to the task, whose pacer writes
//! the audio in Asterisk's frames and at its pace.

use super::control::{Dialect, MediaCommand, MediaEvent, MediaStart};
use super::pacer::{Due, Pacer, silence_of};
use crate::client::Client;
use crate::tls::Socket;
use bytes::Bytes;
use futures_util::{SinkExt as _, Stream, StreamExt as _};
use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite;

/// How a media session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MediaEnded {
    /// Asterisk closed it: the channel was hung up (from ARI, the far end,
    /// or the application's `HANGUP`); the WebSocket close code.
    Hangup {
        /// 1000 for a normal hang-up, or the channel's cause.
        code: u16,
    },
    /// The application closed it (the channel is then hung up).
    Closed,
    /// The connection broke.
    Lost(String),
}

impl std::fmt::Display for MediaEnded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MediaEnded::Hangup { code } => write!(f, "the channel was hung up (close code {code})"),
            MediaEnded::Closed => f.write_str("the application closed the session"),
            MediaEnded::Lost(reason) => write!(f, "the media connection was lost: {reason}"),
        }
    }
}

/// A media session failed.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum MediaError {
    /// Asterisk has no media connection with this id (404): never created,
    /// or its channel is gone.
    #[error("no media connection {0} (404)")]
    UnknownConnection(String),
    /// Another socket already serves this connection (409).
    #[error("media connection {0} already has a socket (409)")]
    AlreadyConnected(String),
    /// Connecting failed.
    #[error("cannot connect the media WebSocket: {0}")]
    Connect(String),
    /// The session did not start as chan_websocket sessions do.
    #[error("the media session did not start: {0}")]
    NoStart(String),
    /// The session has ended: nothing more can be sent.
    #[error("the media session has ended: {0}")]
    Ended(MediaEnded),
    /// A flush dropped the audio this mark was waiting for.
    #[error("the mark was flushed before its audio was played")]
    Flushed,
    /// Asterisk would ignore or refuse this command (too long, or needing
    /// the JSON control format).
    #[error("command not sent: {0}")]
    Command(String),
    /// Bad input before anything reached Asterisk: a format Asterisk does
    /// not know, a direction that is none.
    #[error("{0}")]
    Format(String),
    /// These bindings cannot make a WebSocket media channel.
    #[error("{0}")]
    Unsupported(String),
    /// Asterisk refused to create the channel (its answer), or the request
    /// failed.
    #[error("the media channel was not created: {0}")]
    Rejected(String),
}

/// One item of a [`MediaReceiver`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MediaItem {
    /// Audio from the channel, in the session's format, one message as
    /// Asterisk sent it (usually one 20 ms frame; any size is possible).
    Audio(Bytes),
    /// A control event.
    Event(MediaEvent),
    /// The receiver fell this many audio messages behind and they were
    /// dropped (Asterisk closes a socket that is not read in time, so the
    /// session never stops reading). Events are never dropped.
    Lagged {
        /// Audio messages dropped.
        missed: u64,
    },
    /// The last item.
    Ended(MediaEnded),
}

/// Settings of a media session.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct MediaOptions {
    /// How long to wait for `MEDIA_START` after connecting (10 s).
    pub start_timeout: Duration,
    /// How far ahead of the playout the sender writes, in frames (50 =
    /// 1 s at 20 ms): enough for Asterisk never to run dry, little enough
    /// for a flush to cut in quickly, far below Asterisk's `MEDIA_XOFF`
    /// level (900).
    pub lead_frames: u64,
    /// Audio messages the receiver may have unread before the oldest are
    /// dropped (and reported as `Lagged`): 500, 10 s at 20 ms.
    pub receive_buffer: usize,
}

/// Asterisk drops whole incoming messages once its queue holds this many
/// frames (`QUEUE_LENGTH_MAX`); the sender's lead stays below it.
const ASTERISK_QUEUE_MAX: u64 = 1000;

impl MediaOptions {
    /// Sets the field of the same name.
    pub fn start_timeout(mut self, timeout: Duration) -> Self {
        self.start_timeout = timeout;
        self
    }

    /// Sets the field of the same name; at most 950, so that a burst
    /// written before Asterisk's `MEDIA_XOFF` arrives cannot reach the
    /// 1,000 frames at which Asterisk drops audio silently.
    pub fn lead_frames(mut self, frames: u64) -> Self {
        self.lead_frames = frames.clamp(1, ASTERISK_QUEUE_MAX - 50);
        self
    }

    /// Sets the field of the same name.
    pub fn receive_buffer(mut self, messages: usize) -> Self {
        self.receive_buffer = messages.max(1);
        self
    }
}

impl Default for MediaOptions {
    fn default() -> Self {
        MediaOptions {
            start_timeout: Duration::from_secs(10),
            lead_frames: 50,
            receive_buffer: 500,
        }
    }
}

/// A chan_websocket media session: what the audio is (its `MEDIA_START`),
/// and the two halves to [`split`](Self::split) it into.
#[derive(Debug)]
pub struct MediaSession {
    start: MediaStart,
    sender: MediaSender,
    receiver: MediaReceiver,
}

impl MediaSession {
    /// Connects to Asterisk's `/media/<connection_id>` (a channel created by
    /// `externalMedia` with `transport=websocket`, `connection_type=server`;
    /// the id is its `MEDIA_WEBSOCKET_CONNECTION_ID` variable), on the
    /// client's server, and waits for `MEDIA_START`.
    pub async fn connect(
        client: &Client,
        connection_id: &str,
        options: MediaOptions,
    ) -> Result<MediaSession, MediaError> {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
        let base = client.base_url();
        let root = base.strip_suffix("/ari").unwrap_or(base);
        let url = if let Some(rest) = root.strip_prefix("https://") {
            format!("wss://{rest}")
        } else if let Some(rest) = root.strip_prefix("http://") {
            format!("ws://{rest}")
        } else {
            return Err(MediaError::Connect(format!("no WebSocket URL for {base}")));
        };
        let url = format!("{url}/media/{}", crate::client::encode_path(connection_id));
        let mut request = url
            .as_str()
            .into_client_request()
            .map_err(|error| MediaError::Connect(error.to_string()))?;
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            tungstenite::http::HeaderValue::from_static("media"),
        );
        let handshake = crate::tls::connect(request, client.websocket_tls());
        let limit = client.connect_timeout().unwrap_or(Duration::from_secs(10));
        let (socket, _) = tokio::time::timeout(limit, handshake)
            .await
            .map_err(|_| MediaError::Connect(format!("no handshake within {limit:?}")))?
            .map_err(|error| match &error {
                tungstenite::Error::Http(response) if response.status().as_u16() == 404 => {
                    MediaError::UnknownConnection(connection_id.to_owned())
                }
                tungstenite::Error::Http(response) if response.status().as_u16() == 409 => {
                    MediaError::AlreadyConnected(connection_id.to_owned())
                }
                _ => MediaError::Connect(error.to_string()),
            })?;
        MediaSession::open(socket, options, None).await
    }

    /// A session Asterisk opened to a listener, holding the listener's
    /// `permit` while it lives.
    pub(crate) async fn start_holding(
        socket: Socket,
        options: MediaOptions,
        permit: tokio::sync::OwnedSemaphorePermit,
    ) -> Result<MediaSession, MediaError> {
        MediaSession::open(socket, options, Some(permit)).await
    }

    /// A session over a socket that is open (either direction): reads
    /// `MEDIA_START`, then starts the session's task.
    async fn open(
        mut socket: Socket,
        options: MediaOptions,
        permit: Option<tokio::sync::OwnedSemaphorePermit>,
    ) -> Result<MediaSession, MediaError> {
        let first = tokio::time::timeout(options.start_timeout, async {
            loop {
                match socket.next().await {
                    Some(Ok(tungstenite::Message::Text(text))) => return Ok(text.to_string()),
                    Some(Ok(tungstenite::Message::Close(_))) | None => {
                        return Err("closed before MEDIA_START".to_owned());
                    }
                    Some(Ok(_)) => {}
                    Some(Err(error)) => return Err(error.to_string()),
                }
            }
        })
        .await
        .map_err(|_| {
            MediaError::NoStart(format!("no MEDIA_START within {:?}", options.start_timeout))
        })?
        .map_err(MediaError::NoStart)?;
        let (event, dialect) = MediaEvent::decode(&first);
        let MediaEvent::MediaStart(start) = event else {
            return Err(MediaError::NoStart(format!(
                "the first message is not MEDIA_START: {first}"
            )));
        };
        let pacer = Pacer::new(
            start.optimal_frame_size,
            Duration::from_millis(u64::from(start.ptime.max(1))),
            options.lead_frames.clamp(1, ASTERISK_QUEUE_MAX - 50),
            silence_of(&start.format),
        );
        let (commands, command_receiver) = mpsc::channel(256);
        let (items, item_receiver) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared::default());
        let audio_queued = Arc::new(AtomicUsize::new(0));
        let task = Task {
            dialect,
            pacer,
            items,
            audio_queued: Arc::clone(&audio_queued),
            receive_buffer: options.receive_buffer.max(1),
            lagged: 0,
            marks: HashMap::new(),
            shared: Arc::clone(&shared),
            _permit: permit,
        };
        tokio::spawn(task.run(socket, command_receiver));
        Ok(MediaSession {
            sender: MediaSender {
                commands,
                shared,
                frame: start.optimal_frame_size,
                next_mark: Arc::new(AtomicU64::new(1)),
            },
            receiver: MediaReceiver {
                items: item_receiver,
                audio_queued,
            },
            start,
        })
    }

    /// The session's `MEDIA_START`: format, frame size, timing, channel.
    pub fn start_event(&self) -> &MediaStart {
        &self.start
    }

    /// The sending and the receiving half; the session ends when Asterisk
    /// closes it, or once both halves are dropped.
    pub fn split(self) -> (MediaSender, MediaReceiver) {
        (self.sender, self.receiver)
    }
}

/// What the task and the senders share.
#[derive(Default)]
struct Shared {
    ended: Mutex<Option<MediaEnded>>,
}

impl Shared {
    fn ended(&self) -> Option<MediaEnded> {
        self.ended
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

enum Outgoing {
    Audio(Bytes),
    Mark(String, oneshot::Sender<Result<(), MediaError>>),
    Flush(oneshot::Sender<()>),
    Command(MediaCommand, oneshot::Sender<Result<(), MediaError>>),
}

/// The sending half: cheap to clone. Audio is cut into the session's
/// frames and written at Asterisk's pace, a bounded lead ahead of the
/// playout, never past `MEDIA_XOFF`.
#[derive(Clone)]
pub struct MediaSender {
    commands: mpsc::Sender<Outgoing>,
    shared: Arc<Shared>,
    frame: usize,
    next_mark: Arc<AtomicU64>,
}

impl std::fmt::Debug for MediaSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaSender")
            .field("frame", &self.frame)
            .finish_non_exhaustive()
    }
}

/// A mark: resolves once everything sent before it has been played.
pub struct Mark {
    done: oneshot::Receiver<Result<(), MediaError>>,
    shared: Arc<Shared>,
}

impl std::future::Future for Mark {
    type Output = Result<(), MediaError>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.done).poll(cx).map(|outcome| {
            outcome.unwrap_or_else(|_| {
                Err(MediaError::Ended(
                    self.shared.ended().unwrap_or(MediaEnded::Closed),
                ))
            })
        })
    }
}

impl MediaSender {
    fn ended(&self) -> MediaError {
        MediaError::Ended(self.shared.ended().unwrap_or(MediaEnded::Closed))
    }

    async fn hand(&self, outgoing: Outgoing) -> Result<(), MediaError> {
        if let Some(ended) = self.shared.ended() {
            return Err(MediaError::Ended(ended));
        }
        self.commands.send(outgoing).await.map_err(|_| self.ended())
    }

    /// Queues audio in the session's format, of any length: it is cut into
    /// whole frames (a remainder waits for more, or for a mark). Waits while
    /// the session's queue of chunks is full. Fails once the session ended.
    pub async fn send(&self, audio: impl Into<Bytes>) -> Result<(), MediaError> {
        self.hand(Outgoing::Audio(audio.into())).await
    }

    /// A mark after the audio sent so far (its last partial frame completed
    /// with silence): resolves once Asterisk has played all of it, fails
    /// with `Flushed` if a flush drops it, or `Ended`.
    pub async fn mark(&self) -> Result<Mark, MediaError> {
        let id = format!("m{}", self.next_mark.fetch_add(1, Ordering::Relaxed));
        let (done, receiver) = oneshot::channel();
        self.hand(Outgoing::Mark(id, done)).await?;
        Ok(Mark {
            done: receiver,
            shared: Arc::clone(&self.shared),
        })
    }

    /// Plays `audio` and returns once it has been heard (a [`mark`](Self::mark) after it).
    pub async fn play(&self, audio: impl Into<Bytes>) -> Result<(), MediaError> {
        self.send(audio).await?;
        self.mark().await?.await
    }

    /// Stops everything now (barge-in): drops what is not yet written, and
    /// Asterisk's queue (`FLUSH_MEDIA`); pending marks fail with `Flushed`.
    pub async fn flush(&self) -> Result<(), MediaError> {
        let (done, receiver) = oneshot::channel();
        self.hand(Outgoing::Flush(done)).await?;
        receiver.await.map_err(|_| self.ended())
    }

    /// Sends a command (`PauseMedia` also stops the sender's clock).
    pub async fn command(&self, command: MediaCommand) -> Result<(), MediaError> {
        let (done, receiver) = oneshot::channel();
        self.hand(Outgoing::Command(command, done)).await?;
        receiver.await.map_err(|_| self.ended())?
    }

    /// Hangs the channel up (`HANGUP`); the session then ends.
    pub async fn hangup(&self) -> Result<(), MediaError> {
        self.command(MediaCommand::Hangup).await
    }

    /// Bytes per frame (`optimal_frame_size`), 0 for unframed codecs.
    pub fn frame_size(&self) -> usize {
        self.frame
    }
}

/// The receiving half: audio and events, then `Ended`.
pub struct MediaReceiver {
    items: mpsc::UnboundedReceiver<MediaItem>,
    audio_queued: Arc<AtomicUsize>,
}

impl std::fmt::Debug for MediaReceiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaReceiver").finish_non_exhaustive()
    }
}

impl Stream for MediaReceiver {
    type Item = MediaItem;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<MediaItem>> {
        let item = self.items.poll_recv(cx);
        if let Poll::Ready(Some(MediaItem::Audio(_))) = &item {
            self.audio_queued.fetch_sub(1, Ordering::Relaxed);
        }
        item
    }
}

struct Task {
    dialect: Dialect,
    pacer: Pacer,
    items: mpsc::UnboundedSender<MediaItem>,
    audio_queued: Arc<AtomicUsize>,
    receive_buffer: usize,
    lagged: u64,
    marks: HashMap<String, oneshot::Sender<Result<(), MediaError>>>,
    shared: Arc<Shared>,
    /// A listener's bound on connections, held while the session lives.
    _permit: Option<tokio::sync::OwnedSemaphorePermit>,
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

impl Task {
    async fn run(mut self, mut socket: Socket, mut commands: mpsc::Receiver<Outgoing>) {
        let mut senders_gone = false;
        let ended = loop {
            let due = self.pacer.next_due(Instant::now());
            tokio::select! {
                biased;
                frame = socket.next() => {
                    if let Some(ended) = self.receive(frame) {
                        break ended;
                    }
                }
                outgoing = commands.recv(), if !senders_gone => match outgoing {
                    Some(outgoing) => {
                        if let Err(error) = self.take(&mut socket, outgoing).await {
                            break MediaEnded::Lost(error.to_string());
                        }
                    }
                    None => {
                        senders_gone = true;
                        if self.items.is_closed() {
                            let _ = socket.close(None).await;
                            break MediaEnded::Closed;
                        }
                    }
                },
                () = sleep_until(due) => {}
            }
            if let Err(error) = self.write_due(&mut socket).await {
                break MediaEnded::Lost(error.to_string());
            }
            if senders_gone && self.items.is_closed() {
                let _ = socket.close(None).await;
                break MediaEnded::Closed;
            }
        };
        *self
            .shared
            .ended
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(ended.clone());
        for (_, mark) in self.marks.drain() {
            let _ = mark.send(Err(MediaError::Ended(ended.clone())));
        }
        let _ = self.items.send(MediaItem::Ended(ended));
    }

    /// One frame from Asterisk; `Some` when the session is over.
    fn receive(
        &mut self,
        frame: Option<Result<tungstenite::Message, tungstenite::Error>>,
    ) -> Option<MediaEnded> {
        match frame {
            Some(Ok(tungstenite::Message::Binary(audio))) => {
                if self.audio_queued.load(Ordering::Relaxed) >= self.receive_buffer {
                    self.lagged += 1;
                    return None;
                }
                if self.lagged > 0 {
                    let _ = self.items.send(MediaItem::Lagged {
                        missed: std::mem::take(&mut self.lagged),
                    });
                }
                self.audio_queued.fetch_add(1, Ordering::Relaxed);
                let _ = self.items.send(MediaItem::Audio(audio));
                None
            }
            Some(Ok(tungstenite::Message::Text(text))) => {
                let (event, _) = MediaEvent::decode(&text);
                match &event {
                    MediaEvent::MediaXoff => self.pacer.set_xoff(true),
                    MediaEvent::MediaXon => self.pacer.set_xoff(false),
                    MediaEvent::MediaMarkProcessed { correlation_id } => {
                        if let Some(mark) = self.marks.remove(correlation_id) {
                            let _ = mark.send(Ok(()));
                        }
                    }
                    _ => {}
                }
                let _ = self.items.send(MediaItem::Event(event));
                None
            }
            Some(Ok(tungstenite::Message::Close(frame))) => Some(MediaEnded::Hangup {
                code: frame.map_or(1005, |frame| u16::from(frame.code)),
            }),
            Some(Ok(_)) => None,
            Some(Err(error)) => Some(MediaEnded::Lost(error.to_string())),
            None => Some(MediaEnded::Lost("connection closed".into())),
        }
    }

    async fn take(
        &mut self,
        socket: &mut Socket,
        outgoing: Outgoing,
    ) -> Result<(), tungstenite::Error> {
        match outgoing {
            Outgoing::Audio(audio) => self.pacer.push(audio),
            Outgoing::Mark(id, done) => {
                let dropped = self.pacer.mark(id.clone());
                if dropped > 0 {
                    tracing::debug!(target: "ari_runtime::media", dropped, "a partial frame of a format without known silence is dropped");
                }
                self.marks.insert(id, done);
            }
            Outgoing::Flush(done) => {
                for id in self.pacer.clear() {
                    if let Some(mark) = self.marks.remove(&id) {
                        let _ = mark.send(Err(MediaError::Flushed));
                    }
                }
                // Marks already written are in Asterisk's queue, which the
                // flush empties: their events never come.
                for (_, mark) in self.marks.drain() {
                    let _ = mark.send(Err(MediaError::Flushed));
                }
                self.write_command(socket, &MediaCommand::FlushMedia)
                    .await?;
                let _ = done.send(());
            }
            Outgoing::Command(command, done) => {
                let now = Instant::now();
                match command {
                    MediaCommand::PauseMedia => self.pacer.pause(now),
                    MediaCommand::ContinueMedia => self.pacer.resume(now),
                    _ => {}
                }
                match command.encode(self.dialect) {
                    Ok(text) => {
                        socket.send(tungstenite::Message::Text(text.into())).await?;
                        let _ = done.send(Ok(()));
                    }
                    Err(reason) => {
                        let _ = done.send(Err(MediaError::Command(reason)));
                    }
                }
            }
        }
        Ok(())
    }

    async fn write_command(
        &mut self,
        socket: &mut Socket,
        command: &MediaCommand,
    ) -> Result<(), tungstenite::Error> {
        match command.encode(self.dialect) {
            Ok(text) => socket.send(tungstenite::Message::Text(text.into())).await,
            Err(reason) => {
                tracing::warn!(target: "ari_runtime::media", %reason, "media command not sent");
                Ok(())
            }
        }
    }

    /// Writes what the pacer says is due, flushing once.
    async fn write_due(&mut self, socket: &mut Socket) -> Result<(), tungstenite::Error> {
        let due = self.pacer.due(Instant::now());
        if due.is_empty() {
            return Ok(());
        }
        for item in due {
            match item {
                Due::Frame(frame) => socket.feed(tungstenite::Message::Binary(frame)).await?,
                Due::Mark(id) => {
                    let command = MediaCommand::MarkMedia { correlation_id: id };
                    match command.encode(self.dialect) {
                        Ok(text) => socket.feed(tungstenite::Message::Text(text.into())).await?,
                        Err(reason) => {
                            tracing::warn!(target: "ari_runtime::media", %reason, "mark not sent")
                        }
                    }
                }
            }
        }
        socket.flush().await
    }
}
