//! Opening the WebSocket, over TLS for `wss://`.
//!
//! TLS uses the same rustls as reqwest, with the ring provider passed
//! explicitly rather than installed process-wide, so that an application
//! that installs another `CryptoProvider` (or none) sees no conflict, and
//! the platform's certificate verifier, as reqwest does.

use tokio_tungstenite::tungstenite::{self, handshake::client::Request};

/// Bytes read from the socket per system call, at most.
///
/// tungstenite reads into the free room of its frame buffer, which after the
/// first frames is about one frame: left alone it made one `recvfrom` per
/// four or five events. Reads go through a buffer of this size instead, so a
/// burst of events costs one system call, and tungstenite's small reads are
/// served from memory.
const READ_CHUNK: usize = 64 * 1024;

/// The room tungstenite's frame buffer gets per read, beyond what it holds.
///
/// tungstenite zeroes that room before every read, a read that finds nothing
/// included: at its default of 128 KiB, a REST round trip over the socket
/// zeroed some 400 KiB, most of the client's own work per request
/// (docs/performance.md). Its reads are served from memory, [`READ_CHUNK`]'s
/// buffer (or over TLS rustls' buffer of decrypted bytes above it), so a
/// small room costs copies, not system calls.
const FRAME_READ_ROOM: usize = 8 * 1024;

/// tungstenite's settings for every WebSocket, opened or accepted.
pub(crate) fn websocket_config() -> tungstenite::protocol::WebSocketConfig {
    tungstenite::protocol::WebSocketConfig::default().read_buffer_size(FRAME_READ_ROOM)
}

/// The byte stream under a WebSocket: TCP, or TLS this side accepted (an
/// outbound server's `wss://` listener). A client's TLS is tungstenite's
/// own layer above this.
pub(crate) enum Transport {
    Plain(tokio::io::BufReader<tokio::net::TcpStream>),
    #[cfg(feature = "wss")]
    Accepted(Box<tokio_rustls::server::TlsStream<tokio::io::BufReader<tokio::net::TcpStream>>>),
}

impl Transport {
    /// `tcp` read through a buffer of [`READ_CHUNK`].
    pub(crate) fn buffered(
        tcp: tokio::net::TcpStream,
    ) -> tokio::io::BufReader<tokio::net::TcpStream> {
        tokio::io::BufReader::with_capacity(READ_CHUNK, tcp)
    }
}

macro_rules! on_transport {
    ($self:ident, $stream:ident => $call:expr) => {
        match $self.get_mut() {
            Transport::Plain($stream) => {
                let $stream = std::pin::Pin::new($stream);
                $call
            }
            #[cfg(feature = "wss")]
            Transport::Accepted($stream) => {
                let $stream = std::pin::Pin::new($stream.as_mut());
                $call
            }
        }
    };
}

impl tokio::io::AsyncRead for Transport {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        on_transport!(self, stream => stream.poll_read(cx, buf))
    }
}

impl tokio::io::AsyncWrite for Transport {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        on_transport!(self, stream => stream.poll_write(cx, buf))
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        on_transport!(self, stream => stream.poll_flush(cx))
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        on_transport!(self, stream => stream.poll_shutdown(cx))
    }
}

pub(crate) type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<Transport>>;
type Handshake = Result<(Socket, tungstenite::handshake::client::Response), tungstenite::Error>;

/// The rustls configuration of a client: the ring provider, the platform's
/// verifier, and the CAs of `pem` too. Handed to reqwest, which is built
/// without a provider of its own (`rustls-no-provider`: aws-lc-rs would add
/// a C library build to every user's compile), and to `wss://` events.
/// A `pem` that is not empty must hold a certificate (a key given by
/// mistake is an error, not an empty trust list).
pub(crate) fn rustls_config(pem: &[u8]) -> Result<rustls::ClientConfig, String> {
    use rustls::pki_types::{CertificateDer, pem::PemObject as _};
    let roots = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| error.to_string())?;
    if !pem.is_empty() && roots.is_empty() {
        return Err("no certificate in the PEM given".into());
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let verifier =
        rustls_platform_verifier::Verifier::new_with_extra_roots(roots, provider.clone())
            .map_err(|error| error.to_string())?;
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| error.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(std::sync::Arc::new(verifier))
        .with_no_client_auth())
}

/// The configuration of a TLS listener: the certificate chain and key of
/// two PEM texts, with the ring provider; with `client_roots_pem`, a client
/// must present a certificate one of those CAs signed.
#[cfg(feature = "wss")]
pub(crate) fn server_config(
    chain_pem: &[u8],
    key_pem: &[u8],
    client_roots_pem: Option<&[u8]>,
) -> Result<std::sync::Arc<rustls::ServerConfig>, String> {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject as _};
    let chain = CertificateDer::pem_slice_iter(chain_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| format!("the certificate chain: {error}"))?;
    if chain.is_empty() {
        return Err("no certificate in the certificate chain PEM".into());
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem)
        .map_err(|error| format!("the private key: {error}"))?;
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|error| error.to_string())?;
    let builder = match client_roots_pem {
        None => builder.with_no_client_auth(),
        Some(pem) => {
            let mut roots = rustls::RootCertStore::empty();
            for certificate in CertificateDer::pem_slice_iter(pem) {
                let certificate =
                    certificate.map_err(|error| format!("the client CA PEM: {error}"))?;
                roots
                    .add(certificate)
                    .map_err(|error| format!("the client CA PEM: {error}"))?;
            }
            if roots.is_empty() {
                return Err("no certificate in the client CA PEM".into());
            }
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                std::sync::Arc::new(roots),
                provider,
            )
            .build()
            .map_err(|error| format!("the client CA PEM: {error}"))?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    builder
        .with_single_cert(chain, key)
        .map(std::sync::Arc::new)
        .map_err(|error| error.to_string())
}

/// The TLS side of `wss://`: the client's own configuration, shared with
/// its REST requests.
#[derive(Clone)]
pub(crate) struct TlsConfig {
    #[cfg(feature = "wss")]
    config: std::sync::Arc<rustls::ClientConfig>,
}

impl TlsConfig {
    /// The client's configuration, for events too.
    #[cfg(feature = "wss")]
    pub(crate) fn from_config(config: rustls::ClientConfig) -> Self {
        TlsConfig {
            config: std::sync::Arc::new(config),
        }
    }

    /// Without `wss` there is no TLS for events to configure.
    #[cfg(not(feature = "wss"))]
    pub(crate) fn from_config(_config: rustls::ClientConfig) -> Self {
        TlsConfig {}
    }
}

pub(crate) async fn connect(request: Request, tls: &TlsConfig) -> Handshake {
    let uri = request.uri();
    let host = uri
        .host()
        .ok_or(tungstenite::Error::Url(
            tungstenite::error::UrlError::NoHostName,
        ))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let secure = uri.scheme_str() == Some("wss");
    let port = uri.port_u16().unwrap_or(if secure { 443 } else { 80 });
    let tcp = tokio::net::TcpStream::connect((host.as_str(), port)).await?;
    // Events are small and latency matters more than packet count.
    tcp.set_nodelay(true)?;
    handshake(
        request,
        Transport::Plain(Transport::buffered(tcp)),
        secure,
        tls,
    )
    .await
}

#[cfg(feature = "wss")]
async fn handshake(
    request: Request,
    transport: Transport,
    secure: bool,
    tls: &TlsConfig,
) -> Handshake {
    let connector = secure.then(|| tokio_tungstenite::Connector::Rustls(tls.config.clone()));
    tokio_tungstenite::client_async_tls_with_config(
        request,
        transport,
        Some(websocket_config()),
        connector,
    )
    .await
}

#[cfg(not(feature = "wss"))]
async fn handshake(
    request: Request,
    transport: Transport,
    secure: bool,
    _tls: &TlsConfig,
) -> Handshake {
    if secure {
        return Err(tungstenite::Error::Url(
            tungstenite::error::UrlError::TlsFeatureNotEnabled,
        ));
    }
    let plain = tokio_tungstenite::MaybeTlsStream::Plain(transport);
    tokio_tungstenite::client_async_with_config(request, plain, Some(websocket_config())).await
}
