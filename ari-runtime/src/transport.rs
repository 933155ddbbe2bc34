//! How REST requests reach Asterisk: HTTP, or the event WebSocket
//! (Asterisk 20.14, 21.9, 22.4 and later). The generated methods are the
//! same over both; the transport is chosen once, on the client builder.

use crate::client::{Client, Request, Response};
use crate::error::TransportError;
use crate::events::{EventStream, ReaderAlive, RestQueue, RestSocket};
use crate::socket_pool::{PooledSocket, SocketPool};

/// The transport of a client's REST requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum RestTransport {
    /// One HTTP request per operation (the default; every Asterisk).
    #[default]
    Http,
    /// `RESTRequest` frames over WebSockets the client opens as its
    /// requests need them and keeps open (reconnecting like an event
    /// stream). Asterisk answers the requests of one socket one after
    /// another, so the client spreads concurrent requests over a few sockets,
    /// one request on each at a time (see [`ClientBuilder::rest_sockets`](crate::ClientBuilder::rest_sockets)).
    /// Asterisk opens no socket without an application, so each registers
    /// one of its own (see [`ClientBuilder::rest_socket_app`](crate::ClientBuilder::rest_socket_app)),
    /// which no channel enters. Binary answers (a stored recording's file)
    /// go over HTTP: Asterisk answers 406 for them over a socket.
    WebSocket,
}

/// Where a client's requests go.
pub(crate) enum RestPath {
    Http,
    /// The client's own sockets, one request on each at a time (see
    /// [`SocketPool`]).
    OwnSockets {
        app: String,
        pool: SocketPool<OwnSocket>,
    },
    /// A connection the application was given (an outbound session).
    Socket(RestSocket),
}

/// One of the client's own sockets.
pub(crate) struct OwnSocket {
    /// Keeps the connection open; never read.
    _connection: EventStream<serde_json::Value>,
    reader: ReaderAlive,
}

impl PooledSocket for OwnSocket {
    fn is_alive(&self) -> bool {
        self.reader.is_alive()
    }
}

impl RestPath {
    pub(crate) fn new(transport: RestTransport, app: String, sockets: usize) -> Self {
        match transport {
            RestTransport::Http => RestPath::Http,
            RestTransport::WebSocket => RestPath::OwnSockets {
                app,
                pool: SocketPool::new(sockets),
            },
        }
    }
}

/// `ari-rest-<6 hex digits>`, distinct per client.
pub(crate) fn default_rest_app() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|since| since.subsec_nanos())
        .unwrap_or_default();
    let mixed = (nanos ^ std::process::id().rotate_left(16) ^ NEXT.fetch_add(1, Ordering::Relaxed))
        .wrapping_mul(0x9E37_79B9);
    format!("ari-rest-{:06x}", mixed >> 8)
}

impl Client {
    /// Sends `request` the way the client's transport says; the answer of
    /// a binary download refused over the socket (406) comes over HTTP.
    pub(crate) async fn send_request(&self, request: &Request) -> Result<Response, TransportError> {
        let started = tokio::time::Instant::now();
        let remaining = || {
            self.request_timeout()
                .map(|limit| limit.saturating_sub(started.elapsed()))
        };
        let answer = match self.rest_path() {
            RestPath::Http => return self.send_http(request).await,
            RestPath::Socket(socket) => socket.execute(request, remaining()).await,
            RestPath::OwnSockets { app, pool } => {
                pool.execute(request, remaining(), |index, queue| {
                    self.open_own_socket(app, index, queue)
                })
                .await
            }
        };
        match answer {
            Ok(response) if response.status() == 406 => {
                tracing::debug!(target: "ari_runtime::rest", path = request.template(), "406 over the WebSocket: sending it over HTTP");
                self.send_http_within(request, remaining()).await
            }
            other => other,
        }
    }

    /// Opens the pool's socket `index`, taking requests from `queue`,
    /// within the connect timeout (else the request timeout); its
    /// application is `app`, `app-1`, `app-2`, … by its place.
    fn open_own_socket(
        &self,
        app: &str,
        index: usize,
        queue: RestQueue,
    ) -> impl std::future::Future<Output = Result<OwnSocket, String>> + Send + 'static {
        let app = match index {
            0 => app.to_owned(),
            index => format!("{app}-{index}"),
        };
        let http = self.http_only();
        let limit = self.connect_timeout().or(self.request_timeout());
        async move {
            let opening = http.open_rest_socket(&app, queue);
            let opened = match limit {
                Some(limit) => tokio::time::timeout(limit, opening)
                    .await
                    .map_err(|_| format!("not open within {limit:?}"))?,
                None => opening.await,
            };
            let (connection, reader) = opened.map_err(|error| error.to_string())?;
            Ok(OwnSocket {
                _connection: connection,
                reader,
            })
        }
    }
}
