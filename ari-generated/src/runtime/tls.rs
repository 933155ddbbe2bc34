//! Opening the WebSocket, over TLS for `wss://`.
//!
//! TLS uses the same rustls as reqwest, with its aws-lc-rs provider passed
//! explicitly rather than installed process-wide, so that an application
//! that installs another `CryptoProvider` (or none) sees no conflict, and
//! the platform's certificate verifier, as reqwest does.

use tokio_tungstenite::tungstenite::{self, handshake::client::Request};

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;
type Handshake = Result<(Socket, tungstenite::handshake::client::Response), tungstenite::Error>;

#[cfg(feature = "wss")]
pub(crate) async fn connect(request: Request) -> Handshake {
    let connector = if request.uri().scheme_str() == Some("wss") {
        Some(tokio_tungstenite::Connector::Rustls(client_config()?))
    } else {
        None
    };
    tokio_tungstenite::connect_async_tls_with_config(request, None, false, connector).await
}

#[cfg(not(feature = "wss"))]
pub(crate) async fn connect(request: Request) -> Handshake {
    tokio_tungstenite::connect_async(request).await
}

/// Built once: loading the platform's roots is not free, and reconnects
/// should not repeat it.
#[cfg(feature = "wss")]
fn client_config() -> Result<std::sync::Arc<rustls::ClientConfig>, tungstenite::Error> {
    use rustls_platform_verifier::BuilderVerifierExt as _;
    use std::sync::{Arc, OnceLock};
    static CONFIG: OnceLock<Result<Arc<rustls::ClientConfig>, String>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
            rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .and_then(|builder| builder.with_platform_verifier())
                .map(|builder| Arc::new(builder.with_no_client_auth()))
                .map_err(|error| error.to_string())
        })
        .clone()
        .map_err(|error| {
            tungstenite::Error::Io(std::io::Error::other(format!("cannot set up TLS: {error}")))
        })
}
