//! The server Asterisk connects out to (ARI outbound WebSockets, Asterisk
//! 20.15, 21.10, 22.5 and later: `ari.conf` `type=outbound_websocket`,
//! `websocket_client.conf` `type=websocket_client`).
//!
//! Each accepted connection is a [`Session`]: the typed event stream of the
//! applications it serves, and REST over the same socket through the
//! generated methods (or an [`App`] with its handles). A `persistent`
//! client opens one long-lived session (Asterisk queues its events while
//! it is down and flushes them when it reconnects); a `per_call_config`
//! client opens one per call, for the application `<app>:<channel name>`.
//!
//! The server checks the Basic credentials Asterisk sends (the
//! `username`/`password` of `websocket_client.conf`) and answers others
//! with 401; it negotiates no WebSocket extension (Asterisk refuses a server
//! that does). Handshakes have a deadline, and connections a bound.

use crate::bindings::{Bindings, OwnRequests};
use crate::calls::{App, AppBuilder};
use crate::client::Client;
use crate::events::{EventStream, RestSocket};
use crate::tls::{Socket, Transport};
use futures_util::StreamExt as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::{Semaphore, mpsc};
use tokio_tungstenite::tungstenite;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};

/// Sessions handshaken but not yet taken by [`OutboundServer::accept`].
const ACCEPT_QUEUE: usize = 16;

/// How long a per-call session whose application has let go of it stays
/// open for Asterisk to close it after the call (see `Reader::linger`).
const PER_CALL_LINGER: Duration = Duration::from_secs(60);

/// Configures an [`OutboundServer`].
#[derive(Clone)]
#[must_use]
pub struct OutboundServerBuilder<B> {
    client: Client,
    credentials: Option<(String, String)>,
    max_connections: usize,
    handshake_timeout: Duration,
    first_event_timeout: Duration,
    /// `wss://`: the listener's certificate and key.
    #[cfg(feature = "wss")]
    tls: Option<Arc<rustls::ServerConfig>>,
    /// A certificate or key that could not be read, reported by `bind`.
    tls_problem: Option<String>,
    bindings: std::marker::PhantomData<fn() -> B>,
}

impl<B> std::fmt::Debug for OutboundServerBuilder<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboundServerBuilder")
            .field("user", &self.credentials.as_ref().map(|(user, _)| user))
            .field("max_connections", &self.max_connections)
            .field("handshake_timeout", &self.handshake_timeout)
            .finish_non_exhaustive()
    }
}

/// Listens for Asterisk's outbound connections (ARI outbound WebSockets):
/// each connection that presents the configured credentials becomes a
/// [`Session`], taken with [`accept`](Self::accept).
pub struct OutboundServer<B: Bindings> {
    address: SocketAddr,
    sessions: mpsc::Receiver<Session<B>>,
    refused: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl<B: Bindings> Drop for OutboundServer<B> {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The server could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OutboundError {
    /// The address could not be listened on.
    #[error("cannot listen on {address}: {source}")]
    Bind {
        /// The address asked for.
        address: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The certificate chain or key given to `tls_pem` cannot be used.
    #[error("cannot serve TLS: {0}")]
    Tls(String),
}

impl<B: Bindings> OutboundServer<B> {
    /// A server whose sessions fall back to `client` (an ordinary HTTP
    /// client of the same Asterisk) for what cannot go over the socket: a
    /// binary download, and the requests the runtime makes on its own.
    pub fn builder(client: Client) -> OutboundServerBuilder<B> {
        OutboundServerBuilder {
            client: client.http_only(),
            credentials: None,
            max_connections: 1024,
            handshake_timeout: Duration::from_secs(10),
            first_event_timeout: Duration::from_secs(10),
            #[cfg(feature = "wss")]
            tls: None,
            tls_problem: None,
            bindings: std::marker::PhantomData,
        }
    }

    /// The address it listens on (with the port the system chose for `:0`).
    pub fn local_addr(&self) -> SocketAddr {
        self.address
    }

    /// The next session Asterisk opened; `None` once the server has stopped.
    /// Cancellation-safe.
    pub async fn accept(&mut self) -> Option<Session<B>> {
        self.sessions.recv().await
    }

    /// How many connections were refused so far: wrong or missing
    /// credentials, a failed or late handshake, the connection bound.
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }
}

impl<B: Bindings> OutboundServerBuilder<B> {
    /// The Basic credentials Asterisk must present (`username` and
    /// `password` of its `websocket_client.conf` entry). Without them any
    /// connection is accepted, which only suits a trusted network.
    pub fn credentials(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.credentials = Some((user.into(), password.into()));
        self
    }

    /// At most this many connections at once, handshaking or open (1024 by
    /// default); more are closed at once.
    pub fn max_connections(mut self, max: usize) -> Self {
        self.max_connections = max.max(1);
        self
    }

    /// How long a connection may take to complete its handshake (10 s).
    pub fn handshake_timeout(mut self, timeout: Duration) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// How long a new session may take to send its first event, which
    /// names its application (10 s): `ApplicationRegistered` for a
    /// persistent connection, the call's `StasisStart` for a per-call one.
    pub fn first_event_timeout(mut self, timeout: Duration) -> Self {
        self.first_event_timeout = timeout;
        self
    }

    /// Serves `wss://` (Asterisk's `tls_enabled = yes`, trusting the CA
    /// that signed this chain through `ca_list_file` when it is private):
    /// the certificate chain and its private key, both PEM. A chain or key
    /// that cannot be read makes [`bind`](Self::bind) fail.
    #[cfg(feature = "wss")]
    pub fn tls_pem(mut self, chain_pem: impl AsRef<[u8]>, key_pem: impl AsRef<[u8]>) -> Self {
        match crate::tls::server_config(chain_pem.as_ref(), key_pem.as_ref()) {
            Ok(config) => {
                self.tls = Some(config);
                self.tls_problem = None;
            }
            Err(problem) => self.tls_problem = Some(problem),
        }
        self
    }

    /// Listens on `address` (`127.0.0.1:8765`, `0.0.0.0:8765`).
    pub async fn bind(
        self,
        address: impl tokio::net::ToSocketAddrs + std::fmt::Display,
    ) -> Result<OutboundServer<B>, OutboundError> {
        if let Some(problem) = self.tls_problem {
            return Err(OutboundError::Tls(problem));
        }
        let listener = tokio::net::TcpListener::bind(&address)
            .await
            .map_err(|source| OutboundError::Bind {
                address: address.to_string(),
                source,
            })?;
        let local = listener
            .local_addr()
            .map_err(|source| OutboundError::Bind {
                address: address.to_string(),
                source,
            })?;
        let (sender, sessions) = mpsc::channel(ACCEPT_QUEUE);
        let refused = Arc::new(AtomicU64::new(0));
        let task = tokio::spawn(
            Listener {
                permits: Arc::new(Semaphore::new(self.max_connections)),
                settings: Arc::new(self),
                sender,
                refused: Arc::clone(&refused),
            }
            .run(listener),
        );
        tracing::info!(target: "ari_runtime::outbound", %local, "outbound WebSocket server listening");
        Ok(OutboundServer {
            address: local,
            sessions,
            refused,
            task,
        })
    }
}

struct Listener<B: Bindings> {
    settings: Arc<OutboundServerBuilder<B>>,
    sender: mpsc::Sender<Session<B>>,
    refused: Arc<AtomicU64>,
    permits: Arc<Semaphore>,
}

impl<B: Bindings> Listener<B> {
    async fn run(self, listener: tokio::net::TcpListener) {
        loop {
            let (tcp, peer) = match listener.accept().await {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of descriptors and the like: pause rather than spin.
                    tracing::warn!(target: "ari_runtime::outbound", %error, "accepting a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let Ok(permit) = Arc::clone(&self.permits).try_acquire_owned() else {
                self.refuse(peer, "the connection bound is reached");
                continue;
            };
            let (settings, sender, refused) = (
                Arc::clone(&self.settings),
                self.sender.clone(),
                Arc::clone(&self.refused),
            );
            tokio::spawn(async move {
                match open_session(&settings, tcp, peer).await {
                    Ok((session, rest)) => {
                        // The permit is held while the connection lives.
                        tokio::spawn(async move {
                            rest.closed().await;
                            drop(permit);
                        });
                        if sender.send(session).await.is_err() {
                            tracing::debug!(target: "ari_runtime::outbound", %peer, "server gone; closing a new session");
                        }
                    }
                    Err(reason) => {
                        refused.fetch_add(1, Ordering::Relaxed);
                        tracing::warn!(target: "ari_runtime::outbound", %peer, %reason, "outbound connection refused");
                    }
                }
            });
        }
    }

    fn refuse(&self, peer: SocketAddr, reason: &str) {
        self.refused.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(target: "ari_runtime::outbound", %peer, %reason, "outbound connection refused");
    }
}

/// The handshake, the credential check and the first event.
async fn open_session<B: Bindings>(
    settings: &OutboundServerBuilder<B>,
    tcp: tokio::net::TcpStream,
    peer: SocketAddr,
) -> Result<(Session<B>, RestSocket), String> {
    let _ = tcp.set_nodelay(true);
    let stream = tokio_tungstenite::MaybeTlsStream::Plain(accept_tls(settings, tcp).await?);
    let expected = settings.credentials.as_ref().map(|(user, password)| {
        use base64::Engine as _;
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
        )
    });
    #[allow(clippy::result_large_err)]
    let check = |request: &Request, response: Response| {
        check_request(expected.as_deref(), request, response)
    };
    let mut socket: Socket = tokio::time::timeout(
        settings.handshake_timeout,
        tokio_tungstenite::accept_hdr_async(stream, check),
    )
    .await
    .map_err(|_| format!("no handshake within {:?}", settings.handshake_timeout))?
    .map_err(|error| format!("handshake: {error}"))?;
    let first = tokio::time::timeout(settings.first_event_timeout, first_text(&mut socket))
        .await
        .map_err(|_| format!("no event within {:?}", settings.first_event_timeout))??;
    let application = crate::wire::discriminator(&first, "application")
        .map_err(|error| format!("the first event names no application: {error}"))?
        .into_owned();
    let display = format!("outbound session {application} from {peer}");
    // A per-call session (`<app>:<channel name>`) is Asterisk's to close.
    let linger = application.contains(':').then_some(PER_CALL_LINGER);
    let (events, rest) = settings.client.serve_socket::<B::Message>(
        socket,
        display,
        settings.client.event_options().clone(),
        OwnRequests::of::<B>(),
        Some(first),
        linger,
    );
    tracing::info!(target: "ari_runtime::outbound", %peer, %application, "outbound session open");
    Ok((
        Session {
            client: settings.client.over_socket(rest.clone()),
            events,
            application,
            peer,
        },
        rest,
    ))
}

/// The connection's byte stream: TLS accepted within the handshake
/// deadline when the server has a certificate, plain TCP otherwise.
async fn accept_tls<B: Bindings>(
    settings: &OutboundServerBuilder<B>,
    tcp: tokio::net::TcpStream,
) -> Result<Transport, String> {
    let plain = Transport::buffered(tcp);
    #[cfg(feature = "wss")]
    if let Some(config) = &settings.tls {
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::clone(config));
        let accepted = tokio::time::timeout(settings.handshake_timeout, acceptor.accept(plain))
            .await
            .map_err(|_| format!("no TLS handshake within {:?}", settings.handshake_timeout))?
            .map_err(|error| format!("TLS handshake: {error}"))?;
        return Ok(Transport::Accepted(Box::new(accepted)));
    }
    #[cfg(not(feature = "wss"))]
    let _ = settings;
    Ok(Transport::Plain(plain))
}

/// Refuses a request without the expected credentials (401), and answers
/// the `ari` protocol when offered; no extension is ever negotiated.
// The error type is tungstenite's callback contract.
#[allow(clippy::result_large_err)]
fn check_request(
    expected: Option<&str>,
    request: &Request,
    mut response: Response,
) -> Result<Response, ErrorResponse> {
    if let Some(expected) = expected {
        let presented = request
            .headers()
            .get(tungstenite::http::header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok());
        if presented != Some(expected) {
            let mut refusal = ErrorResponse::new(Some("401 Unauthorized".into()));
            *refusal.status_mut() = tungstenite::http::StatusCode::UNAUTHORIZED;
            refusal.headers_mut().insert(
                tungstenite::http::header::WWW_AUTHENTICATE,
                tungstenite::http::HeaderValue::from_static("Basic realm=\"ari\""),
            );
            return Err(refusal);
        }
    }
    let offers_ari = request
        .headers()
        .get_all(tungstenite::http::header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|protocol| protocol.trim() == "ari");
    if offers_ari {
        response.headers_mut().insert(
            tungstenite::http::header::SEC_WEBSOCKET_PROTOCOL,
            tungstenite::http::HeaderValue::from_static("ari"),
        );
    }
    Ok(response)
}

/// The first text frame of a new session.
async fn first_text(socket: &mut Socket) -> Result<String, String> {
    loop {
        match socket.next().await {
            Some(Ok(tungstenite::Message::Text(text))) => return Ok(text.to_string()),
            Some(Ok(tungstenite::Message::Close(_))) | None => {
                return Err("closed before its first event".into());
            }
            Some(Ok(_)) => {}
            Some(Err(error)) => return Err(error.to_string()),
        }
    }
}

/// One connection Asterisk opened: the events of the application it
/// serves, and REST over the same socket.
pub struct Session<B: Bindings> {
    client: Client,
    events: EventStream<B::Message>,
    application: String,
    peer: SocketAddr,
}

impl<B: Bindings> std::fmt::Debug for Session<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("application", &self.application)
            .field("peer", &self.peer)
            .finish_non_exhaustive()
    }
}

impl<B: Bindings> Session<B> {
    /// The application the session serves, from its first event: the
    /// `apps` of a persistent connection, `<app>:<channel name>` for a
    /// per-call one (channels originated for that call go into it).
    pub fn application(&self) -> &str {
        &self.application
    }

    /// Where Asterisk connected from.
    pub fn peer(&self) -> SocketAddr {
        self.peer
    }

    /// A client whose requests go over this session's socket, as the
    /// generated client (`session.client::<ari_generated::Client>()`). It
    /// fails with "not sent" once the session is gone.
    pub fn client<C: From<Client>>(&self) -> C {
        C::from(self.client.clone())
    }

    /// The session's events, and its client (see [`client`](Self::client)).
    /// The socket closes when the last consumer of the events is dropped.
    pub fn into_parts(self) -> (Client, EventStream<B::Message>) {
        (self.client, self.events)
    }

    /// The session as an [`App`] (handles, creators, a task per call), for
    /// its application, set up by `adjust`; Asterisk has registered the
    /// application already.
    pub fn into_app(self, adjust: impl FnOnce(AppBuilder<B>) -> AppBuilder<B>) -> App<B> {
        adjust(AppBuilder::new(self.client, self.application)).serve(self.events)
    }
}
