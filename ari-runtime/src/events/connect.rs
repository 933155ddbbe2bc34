//! The connection: the WebSocket URL of a request, opening it, and what is kept to open it again.

use super::reader::Reader;
use super::rest::{ReaderAlive, RestLink, RestSocket};
use super::rest_queue::RestQueue;
use super::stream::{EventStream, ReaderGuard, batches_for};
use super::{ConnectError, EventOptions, FromFrame};
use crate::bindings::OwnRequests;
use crate::client::{Client, Credentials, Request};
use crate::tls::Socket;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

const QUERY_VALUE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Everything needed to open the same connection again. Holds the
/// credentials, so it is never printed.
pub(super) struct Target {
    pub(super) client: Client,
    url: String,
    /// `path?app=...` without credentials, for logs.
    pub(super) display: String,
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

    /// Opens the event WebSocket. The first connection is made here, so bad
    /// credentials or an unreachable server are reported at once; later
    /// losses are items of the stream.
    pub(crate) async fn open_events<T: FromFrame>(
        &self,
        request: Request,
        options: EventOptions,
        requests: OwnRequests,
    ) -> Result<EventStream<T>, ConnectError> {
        let (target, socket) = self.open_target(&request).await?;
        options.spawn_version_check(self, requests);
        let connection = Connection {
            target,
            options,
            requests: Some(requests),
            apps: registered_apps(&request),
            rest: None,
            keep_open: false,
            linger: None,
        };
        Ok(connection.spawn(socket))
    }

    /// Opens a WebSocket that carries REST requests only, taking them from
    /// `queue`, for application `app` (Asterisk lets no socket open without
    /// one). The connection reconnects like an event stream; the returned
    /// stream keeps it open and is not read: the application's own events
    /// go nowhere.
    pub(crate) async fn open_rest_socket(
        &self,
        app: &str,
        queue: RestQueue,
    ) -> Result<(EventStream<serde_json::Value>, ReaderAlive), ConnectError> {
        let mut request = Request::new(reqwest::Method::GET, "/events", "/events".into());
        request.query("app", app);
        let (target, socket) = self.open_target(&request).await?;
        let link = RestLink::pulling(queue);
        let alive = link.alive();
        let connection = Connection {
            target,
            options: EventOptions {
                check_version: false,
                ..self.event_options().clone()
            },
            requests: None,
            apps: Vec::new(),
            rest: Some(link),
            keep_open: true,
            linger: None,
        };
        let stream = connection.spawn_without_consumer(socket);
        tracing::info!(target: "ari_runtime::rest", app, "REST WebSocket connected");
        Ok((stream, alive))
    }

    /// Serves a WebSocket someone else opened (Asterisk connecting out to
    /// the application): its events as a stream, and REST over it. It is
    /// not reopened when lost; `display` names it in logs.
    pub(crate) fn serve_socket<T: FromFrame>(
        &self,
        socket: Socket,
        display: String,
        options: EventOptions,
        requests: OwnRequests,
        first: Option<String>,
        linger: Option<std::time::Duration>,
    ) -> (EventStream<T>, RestSocket) {
        let (rest, link) = RestSocket::new();
        let connection = Connection {
            target: Target {
                client: self.clone(),
                url: String::new(),
                display,
            },
            options: EventOptions {
                reconnect: None,
                ..options
            },
            requests: Some(requests),
            apps: Vec::new(),
            rest: Some(link),
            keep_open: false,
            linger,
        };
        (connection.spawn_after(socket, first), rest)
    }

    async fn open_target(&self, request: &Request) -> Result<(Target, Socket), ConnectError> {
        let (url, display) = self.websocket_url(request)?;
        let target = Target {
            client: self.clone(),
            url,
            display,
        };
        let socket = target.open().await?;
        tracing::info!(target: "ari_runtime::events", events = %target.display, "event WebSocket connected");
        Ok((target, socket))
    }
}

/// A connection about to be read.
struct Connection {
    target: Target,
    options: EventOptions,
    requests: Option<OwnRequests>,
    apps: Vec<String>,
    rest: Option<RestLink>,
    keep_open: bool,
    linger: Option<std::time::Duration>,
}

impl Connection {
    fn spawn<T: FromFrame>(self, socket: Socket) -> EventStream<T> {
        self.spawn_after(socket, None)
    }

    /// With `first`, a frame read before the reader started, as the
    /// stream's first item.
    fn spawn_after<T: FromFrame>(self, socket: Socket, first: Option<String>) -> EventStream<T> {
        let capacity = batches_for(self.options.buffer);
        let (sender, receiver) = mpsc::channel(capacity);
        if let Some(first) = first {
            let mut batch = super::stream::Batch::new();
            batch.push_text(&first);
            // The channel is new and holds at least one batch.
            let _ = sender.try_send(batch);
        }
        self.start(socket, vec![sender], receiver, capacity)
    }

    /// With no consumer: the stream returned is never read, and only keeps
    /// the connection open.
    fn spawn_without_consumer<T: FromFrame>(self, socket: Socket) -> EventStream<T> {
        let (_, receiver) = mpsc::channel(1);
        self.start(socket, Vec::new(), receiver, 1)
    }

    fn start<T: FromFrame>(
        self,
        socket: Socket,
        consumers: Vec<mpsc::Sender<super::stream::Batch<T>>>,
        receiver: mpsc::Receiver<super::stream::Batch<T>>,
        capacity: usize,
    ) -> EventStream<T> {
        let (register, registrations) = mpsc::unbounded_channel();
        let (stop, stopped) = oneshot::channel();
        let raw = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let client = self.target.client.clone();
        let reader = Reader {
            target: self.target,
            options: self.options,
            consumers,
            registrations,
            stopped,
            requests: self.requests,
            apps: self.apps.clone(),
            raw: Arc::clone(&raw),
            rest: self.rest,
            keep_open: self.keep_open,
            linger: self.linger,
        };
        let task = tokio::spawn(reader.run(socket));
        EventStream {
            receiver,
            pending: Vec::new().into_iter(),
            pending_text: Arc::default(),
            guard: Arc::new(ReaderGuard {
                task,
                register,
                raw,
                capacity,
                _stop: stop,
                client,
                requests: self.requests,
                apps: self.apps,
            }),
        }
    }
}

/// The applications an event request registers: its `app` list, which
/// Asterisk splits at commas too.
pub(super) fn registered_apps(request: &Request) -> Vec<String> {
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
    pub(super) async fn open(&self) -> Result<Socket, ConnectError> {
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
        let handshake = crate::tls::connect(request, self.client.websocket_tls());
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
