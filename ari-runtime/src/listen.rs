//! What the application's WebSocket servers share (the outbound ARI
//! server, the media listener): binding, the accept loop and its bound on
//! connections, TLS, and a handshake that checks the Basic credentials
//! Asterisk presents (401 otherwise), answers the expected subprotocol and
//! negotiates no extension (Asterisk's client refuses a server that does).

use crate::tls::{Socket, Transport};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_tungstenite::tungstenite;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};

/// A server could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ListenError {
    /// The address could not be listened on.
    #[error("cannot listen on {address}: {source}")]
    Bind {
        /// The address asked for.
        address: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The certificate chain or key given to `tls_pem`, or the CAs given to
    /// `tls_client_ca_pem`, cannot be used.
    #[error("cannot serve TLS: {0}")]
    Tls(String),
}

/// How a server accepts connections.
#[derive(Clone)]
pub(crate) struct ServerSettings {
    pub(crate) credentials: Option<(String, String)>,
    pub(crate) max_connections: usize,
    pub(crate) handshake_timeout: Duration,
    #[cfg(feature = "wss")]
    pub(crate) tls: Option<Arc<rustls::ServerConfig>>,
    /// What `tls` is built from.
    #[cfg(feature = "wss")]
    tls_pems: TlsPems,
    /// A certificate or key that could not be read, reported by `listen`.
    pub(crate) tls_problem: Option<String>,
    /// The subprotocol answered when offered (`ari`, `media`).
    pub(crate) protocol: &'static str,
}

impl ServerSettings {
    pub(crate) fn new(protocol: &'static str) -> Self {
        ServerSettings {
            credentials: None,
            max_connections: 1024,
            handshake_timeout: Duration::from_secs(10),
            #[cfg(feature = "wss")]
            tls: None,
            #[cfg(feature = "wss")]
            tls_pems: TlsPems::default(),
            tls_problem: None,
            protocol,
        }
    }

    #[cfg(feature = "wss")]
    pub(crate) fn set_tls_pem(&mut self, chain_pem: &[u8], key_pem: &[u8]) {
        self.tls_pems.identity = Some((chain_pem.to_vec(), key_pem.to_vec()));
        self.build_tls();
    }

    #[cfg(feature = "wss")]
    pub(crate) fn set_tls_client_ca_pem(&mut self, pem: &[u8]) {
        self.tls_pems.client_roots = Some(pem.to_vec());
        self.build_tls();
    }

    #[cfg(feature = "wss")]
    fn build_tls(&mut self) {
        let TlsPems {
            identity,
            client_roots,
        } = &self.tls_pems;
        let built = match identity {
            Some((chain, key)) => crate::tls::server_config(chain, key, client_roots.as_deref()),
            None => Err("client certificates are checked only over TLS: `tls_pem` first".into()),
        };
        match built {
            Ok(config) => {
                self.tls = Some(config);
                self.tls_problem = None;
            }
            Err(problem) => {
                self.tls = None;
                self.tls_problem = Some(problem);
            }
        }
    }
}

/// The PEM texts a TLS listener is configured with.
#[cfg(feature = "wss")]
#[derive(Clone, Default)]
struct TlsPems {
    /// Certificate chain and private key.
    identity: Option<(Vec<u8>, Vec<u8>)>,
    /// CAs a client's certificate must be signed by; none asked for without.
    client_roots: Option<Vec<u8>>,
}

impl std::fmt::Debug for ServerSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerSettings")
            .field("user", &self.credentials.as_ref().map(|(user, _)| user))
            .field("max_connections", &self.max_connections)
            .field("handshake_timeout", &self.handshake_timeout)
            .finish_non_exhaustive()
    }
}

/// A running accept loop.
pub(crate) struct Listening {
    pub(crate) address: SocketAddr,
    refused: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Listening {
    /// Connections refused so far.
    pub(crate) fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    /// Stops accepting, and resolves once the listening socket is closed:
    /// its address can then be bound again. Connections already accepted
    /// live on.
    pub(crate) async fn close(mut self) {
        self.task.abort();
        let _ = (&mut self.task).await;
    }
}

impl Drop for Listening {
    // Dropped, the accept loop ends on the runtime's next turn.
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Binds `address` and accepts: each connection within the bound that
/// completes the handshake goes to `serve`, with the permit it must hold
/// while it lives. A handshake or `serve` that fails counts as refused.
pub(crate) async fn listen<F, Fut>(
    address: impl tokio::net::ToSocketAddrs + std::fmt::Display,
    mut settings: ServerSettings,
    what: &'static str,
    serve: F,
) -> Result<Listening, ListenError>
where
    F: Fn(Socket, SocketAddr, OwnedSemaphorePermit) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    if let Some(problem) = settings.tls_problem.clone() {
        return Err(ListenError::Tls(problem));
    }
    // Built into `tls`; the private key need not stay in memory twice.
    #[cfg(feature = "wss")]
    {
        settings.tls_pems = TlsPems::default();
    }
    let bind_error = |source| ListenError::Bind {
        address: address.to_string(),
        source,
    };
    let listener = tokio::net::TcpListener::bind(&address)
        .await
        .map_err(bind_error)?;
    let local = listener.local_addr().map_err(bind_error)?;
    let refused = Arc::new(AtomicU64::new(0));
    let permits = Arc::new(Semaphore::new(settings.max_connections.max(1)));
    let (settings, serve) = (Arc::new(settings), Arc::new(serve));
    let counted = Arc::clone(&refused);
    let task = tokio::spawn(async move {
        loop {
            let (tcp, peer) = match listener.accept().await {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of descriptors and the like: pause rather than spin.
                    tracing::warn!(target: "ari_runtime::listen", what, %error, "accepting a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let refuse = {
                let refused = Arc::clone(&counted);
                move |reason: &str| {
                    refused.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(target: "ari_runtime::listen", what, %peer, %reason, "connection refused");
                }
            };
            let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
                refuse("the connection bound is reached");
                continue;
            };
            let (settings, serve) = (Arc::clone(&settings), Arc::clone(&serve));
            tokio::spawn(async move {
                let outcome = match handshake(&settings, tcp).await {
                    Ok(socket) => serve(socket, peer, permit).await,
                    Err(reason) => Err(reason),
                };
                if let Err(reason) = outcome {
                    refuse(&reason);
                }
            });
        }
    });
    tracing::info!(target: "ari_runtime::listen", what, %local, "listening");
    Ok(Listening {
        address: local,
        refused,
        task,
    })
}

/// TLS (when configured) and the WebSocket handshake, within the deadline.
async fn handshake(
    settings: &ServerSettings,
    tcp: tokio::net::TcpStream,
) -> Result<Socket, String> {
    let limit = settings.handshake_timeout;
    tokio::time::timeout(limit, async {
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
            check_request(expected.as_deref(), settings.protocol, request, response)
        };
        tokio_tungstenite::accept_hdr_async_with_config(
            stream,
            check,
            Some(crate::tls::websocket_config()),
        )
        .await
        .map_err(|error| format!("handshake: {error}"))
    })
    .await
    .map_err(|_| format!("no handshake within {limit:?}"))?
}

/// The connection's byte stream: TLS accepted when the server has a
/// certificate, plain TCP otherwise.
async fn accept_tls(
    settings: &ServerSettings,
    tcp: tokio::net::TcpStream,
) -> Result<Transport, String> {
    let plain = Transport::buffered(tcp);
    #[cfg(feature = "wss")]
    if let Some(config) = &settings.tls {
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::clone(config));
        let accepted = acceptor
            .accept(plain)
            .await
            .map_err(|error| format!("TLS handshake: {error}"))?;
        return Ok(Transport::Accepted(Box::new(accepted)));
    }
    #[cfg(not(feature = "wss"))]
    let _ = settings;
    Ok(Transport::Plain(plain))
}

/// Refuses a request without the expected credentials (401), and answers
/// `protocol` when offered; no extension is ever negotiated.
// The error type is tungstenite's callback contract.
#[allow(clippy::result_large_err)]
fn check_request(
    expected: Option<&str>,
    protocol: &'static str,
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
    let offered = request
        .headers()
        .get_all(tungstenite::http::header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|offered| offered.trim() == protocol);
    if offered {
        response.headers_mut().insert(
            tungstenite::http::header::SEC_WEBSOCKET_PROTOCOL,
            tungstenite::http::HeaderValue::from_static(protocol),
        );
    }
    Ok(response)
}
