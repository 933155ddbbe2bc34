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
use crate::events::EventStream;
use crate::listen::{ListenError, Listening, ServerSettings, listen};
use crate::tls::Socket;
use futures_util::StreamExt as _;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite;

/// Sessions handshaken but not yet taken by [`OutboundServer::accept`].
const ACCEPT_QUEUE: usize = 16;

/// How long a per-call session whose application has let go of it stays
/// open for Asterisk to close it after the call (see `Reader::linger`).
const PER_CALL_LINGER: Duration = Duration::from_secs(60);

/// Configures an [`OutboundServer`].
#[must_use]
pub struct OutboundServerBuilder<B> {
    client: Client,
    server: ServerSettings,
    first_event_timeout: Duration,
    bindings: std::marker::PhantomData<fn() -> B>,
}

/// Listens for Asterisk's outbound connections (ARI outbound WebSockets):
/// each connection that presents the configured credentials becomes a
/// [`Session`], taken with [`accept`](Self::accept).
pub struct OutboundServer<B: Bindings> {
    sessions: mpsc::Receiver<Session<B>>,
    listening: Listening,
}

impl<B> std::fmt::Debug for OutboundServerBuilder<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboundServerBuilder")
            .field("server", &self.server)
            .field("first_event_timeout", &self.first_event_timeout)
            .finish_non_exhaustive()
    }
}

/// The server could not start.
pub type OutboundError = ListenError;

impl<B: Bindings> OutboundServer<B> {
    /// A server whose sessions fall back to `client` (an ordinary HTTP
    /// client of the same Asterisk) for what cannot go over the socket: a
    /// binary download, and the requests the runtime makes on its own.
    pub fn builder(client: Client) -> OutboundServerBuilder<B> {
        OutboundServerBuilder {
            client: client.http_only(),
            server: ServerSettings::new("ari"),
            first_event_timeout: Duration::from_secs(10),
            bindings: std::marker::PhantomData,
        }
    }

    /// The address it listens on (with the port the system chose for `:0`).
    pub fn local_addr(&self) -> SocketAddr {
        self.listening.address
    }

    /// The next session Asterisk opened; `None` once the server has stopped.
    /// Cancellation-safe.
    pub async fn accept(&mut self) -> Option<Session<B>> {
        self.sessions.recv().await
    }

    /// Stops accepting, and resolves once the address is free to bind
    /// again (dropping the server frees it on the runtime's next turn).
    /// Sessions already accepted live on.
    pub async fn close(self) {
        self.listening.close().await;
    }

    /// How many connections were refused so far: wrong or missing
    /// credentials, a failed or late handshake, the connection bound.
    pub fn refused(&self) -> u64 {
        self.listening.refused()
    }
}

impl<B: Bindings> OutboundServerBuilder<B> {
    /// The Basic credentials Asterisk must present (`username` and
    /// `password` of its `websocket_client.conf` entry). Without them any
    /// connection is accepted, which only suits a trusted network.
    pub fn credentials(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.server.credentials = Some((user.into(), password.into()));
        self
    }

    /// At most this many connections at once, handshaking or open (1024 by
    /// default); more are closed at once.
    pub fn max_connections(mut self, max: usize) -> Self {
        self.server.max_connections = max.max(1);
        self
    }

    /// How long a connection may take to complete its handshake (10 s).
    pub fn handshake_timeout(mut self, timeout: Duration) -> Self {
        self.server.handshake_timeout = timeout;
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
        self.server
            .set_tls_pem(chain_pem.as_ref(), key_pem.as_ref());
        self
    }

    /// Requires Asterisk to present a client certificate signed by one of
    /// the CAs of `ca_pem` (its `websocket_client.conf` `cert_file` and
    /// `priv_key_file`); a connection without one fails its TLS handshake
    /// and counts as [`refused`](OutboundServer::refused). Only with
    /// [`tls_pem`](Self::tls_pem); a PEM with no usable certificate makes
    /// [`bind`](Self::bind) fail.
    #[cfg(feature = "wss")]
    pub fn tls_client_ca_pem(mut self, ca_pem: impl AsRef<[u8]>) -> Self {
        self.server.set_tls_client_ca_pem(ca_pem.as_ref());
        self
    }

    /// Listens on `address` (`127.0.0.1:8765`, `0.0.0.0:8765`).
    pub async fn bind(
        self,
        address: impl tokio::net::ToSocketAddrs + std::fmt::Display,
    ) -> Result<OutboundServer<B>, OutboundError> {
        let (sender, sessions) = mpsc::channel(ACCEPT_QUEUE);
        let (client, first_event_timeout) = (self.client, self.first_event_timeout);
        let listening = listen(address, self.server, "outbound ARI", move |socket, peer, permit| {
            let (client, sender) = (client.clone(), sender.clone());
            async move {
                let session = open_session::<B>(&client, first_event_timeout, socket, peer).await?;
                let rest = session.rest.clone();
                // The permit is held while the connection lives.
                tokio::spawn(async move {
                    rest.closed().await;
                    drop(permit);
                });
                if sender.send(session.session).await.is_err() {
                    tracing::debug!(target: "ari_runtime::outbound", %peer, "server gone; closing a new session");
                }
                Ok(())
            }
        })
        .await?;
        Ok(OutboundServer {
            sessions,
            listening,
        })
    }
}

/// A new session, and its socket's REST side (whose end frees the permit).
struct Opened<B: Bindings> {
    session: Session<B>,
    rest: crate::events::RestSocket,
}

/// The first event, which names the application, and the session.
async fn open_session<B: Bindings>(
    client: &Client,
    first_event_timeout: Duration,
    mut socket: Socket,
    peer: SocketAddr,
) -> Result<Opened<B>, String> {
    let first = tokio::time::timeout(first_event_timeout, first_text(&mut socket))
        .await
        .map_err(|_| format!("no event within {first_event_timeout:?}"))??;
    let application = crate::wire::discriminator(&first, "application")
        .map_err(|error| format!("the first event names no application: {error}"))?
        .into_owned();
    let display = format!("outbound session {application} from {peer}");
    // A per-call session (`<app>:<channel name>`) is Asterisk's to close.
    let linger = application.contains(':').then_some(PER_CALL_LINGER);
    let (events, rest) = client.serve_socket::<B::Message>(
        socket,
        display,
        client.event_options().clone(),
        OwnRequests::of::<B>(),
        Some(first),
        linger,
    );
    tracing::info!(target: "ari_runtime::outbound", %peer, %application, "outbound session open");
    Ok(Opened {
        session: Session {
            client: client.over_socket(rest.clone()),
            events,
            application,
            peer,
        },
        rest,
    })
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
