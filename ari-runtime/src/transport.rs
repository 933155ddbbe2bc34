//! How REST requests reach Asterisk: HTTP, or the event WebSocket
//! (Asterisk 20.14, 21.9, 22.4 and later). The generated methods are the
//! same over both; the transport is chosen once, on the client builder.

use crate::client::{Client, Request, Response};
use crate::error::TransportError;
use crate::events::{EventStream, RestSocket};

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
    /// The client's own sockets, each opened by the first request that
    /// needs it (a failed opening is tried again by the next request); a
    /// request takes a free one, opening another while every open one is
    /// busy, and waits for one to free once all are.
    OwnSockets {
        app: String,
        sockets: Vec<tokio::sync::OnceCell<OwnSocket>>,
        /// [`SOCKET_DEPTH`] per socket: a request beyond them waits here
        /// for whichever socket frees first.
        slots: tokio::sync::Semaphore,
    },
    /// A connection the application was given (an outbound session).
    Socket(RestSocket),
}

pub(crate) struct OwnSocket {
    socket: RestSocket,
    /// Keeps the connection open; never read.
    _connection: EventStream<serde_json::Value>,
}

impl RestPath {
    pub(crate) fn new(transport: RestTransport, app: String, sockets: usize) -> Self {
        match transport {
            RestTransport::Http => RestPath::Http,
            RestTransport::WebSocket => RestPath::OwnSockets {
                app,
                sockets: (0..sockets.max(1))
                    .map(|_| tokio::sync::OnceCell::new())
                    .collect(),
                slots: tokio::sync::Semaphore::new(sockets.max(1) * SOCKET_DEPTH),
            },
        }
    }
}

/// Requests in flight on one of the client's sockets at most. Asterisk
/// answers a socket's requests one after another on one thread; a thread
/// that is off the CPU holds up every request queued on it, so requests
/// beyond this wait on the client side for whichever socket frees first
/// (docs/performance.md).
const SOCKET_DEPTH: usize = 1;

/// The socket a request goes over: the least busy open one, or the next
/// one to open when every open one has requests in flight.
fn choose(sockets: &[tokio::sync::OnceCell<OwnSocket>]) -> usize {
    let mut best: Option<(usize, usize)> = None;
    for (index, cell) in sockets.iter().enumerate() {
        match cell.get() {
            Some(open) => {
                let busy = open.socket.in_flight();
                if busy == 0 {
                    return index;
                }
                if best.is_none_or(|(_, least)| busy < least) {
                    best = Some((index, busy));
                }
            }
            None => return index,
        }
    }
    best.map_or(0, |(index, _)| index)
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
        // Held until the answer is in.
        let _slot;
        let socket = match self.rest_path() {
            RestPath::Http => return self.send_http(request).await,
            RestPath::Socket(socket) => socket,
            RestPath::OwnSockets {
                app,
                sockets,
                slots,
            } => {
                let slot = match self.request_timeout() {
                    Some(limit) => {
                        tokio::time::timeout(limit, slots.acquire())
                            .await
                            .map_err(|_| TransportError::NotSent {
                                reason: format!("no REST WebSocket free within {limit:?}"),
                            })?
                    }
                    None => slots.acquire().await,
                };
                // The semaphore is never closed.
                _slot = slot.map_err(|_| TransportError::NotSent {
                    reason: "the client is closing".into(),
                })?;
                let index = choose(sockets);
                let app = if index == 0 {
                    app.clone()
                } else {
                    format!("{app}-{index}")
                };
                let opened = sockets[index]
                    .get_or_try_init(|| async {
                        // Boxed: opening a socket is rare and its future
                        // (11 KB) would make every request's future as large,
                        // and each of its moves a copy of it.
                        let (socket, connection) =
                            Box::pin(self.http_only().open_rest_socket(&app))
                                .await
                                .map_err(|error| TransportError::NotSent {
                                    reason: format!("cannot open the REST WebSocket: {error}"),
                                })?;
                        Ok::<_, TransportError>(OwnSocket {
                            socket,
                            _connection: connection,
                        })
                    })
                    .await?;
                &opened.socket
            }
        };
        let deadline = self
            .request_timeout()
            .map(|limit| limit.saturating_sub(started.elapsed()));
        match socket.execute(request, deadline).await {
            Ok(response) if response.status() == 406 => {
                tracing::debug!(target: "ari_runtime::rest", path = request.template(), "406 over the WebSocket: sending it over HTTP");
                self.send_http(request).await
            }
            other => other,
        }
    }
}
