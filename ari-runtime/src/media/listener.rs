//! Media sessions Asterisk opens to the application: an `externalMedia`
//! channel with `connection_type=client` and `external_host` naming a
//! `websocket_client.conf` entry whose `uri` points here. Each connection
//! (one per call) that presents the entry's credentials becomes a
//! [`MediaSession`]; its `MEDIA_START` names the channel (`channel_id`),
//! which is how a session is matched to its call (the connection id of
//! client mode is the entry's name, the same for every call).

use super::session::{MediaOptions, MediaSession};
use crate::listen::{ListenError, Listening, ServerSettings, listen};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::sync::mpsc;

/// Configures a [`MediaListener`].
#[derive(Debug, Clone)]
#[must_use]
pub struct MediaListenerBuilder {
    server: ServerSettings,
    options: MediaOptions,
}

/// Listens for the media sessions Asterisk opens; see the module.
pub struct MediaListener {
    sessions: mpsc::Receiver<MediaSession>,
    listening: Listening,
}

impl std::fmt::Debug for MediaListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaListener")
            .field("address", &self.listening.address)
            .finish_non_exhaustive()
    }
}

impl MediaListener {
    /// A listener with the default settings; see the builder's methods.
    pub fn builder() -> MediaListenerBuilder {
        MediaListenerBuilder {
            server: ServerSettings::new("media"),
            options: MediaOptions::default(),
        }
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.listening.address
    }

    /// The next session (after its `MEDIA_START`); `None` once stopped.
    pub async fn accept(&mut self) -> Option<MediaSession> {
        self.sessions.recv().await
    }

    /// Stops accepting, and resolves once the address is free to bind
    /// again. Sessions already accepted live on.
    pub async fn close(self) {
        self.listening.close().await;
    }

    /// Connections refused so far (credentials, handshake, no `MEDIA_START`).
    pub fn refused(&self) -> u64 {
        self.listening.refused()
    }
}

impl MediaListenerBuilder {
    /// The Basic credentials Asterisk must present (the entry's `username`
    /// and `password`); without them any connection is accepted.
    pub fn credentials(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.server.credentials = Some((user.into(), password.into()));
        self
    }

    /// How long the handshake may take (10 s).
    pub fn handshake_timeout(mut self, timeout: Duration) -> Self {
        self.server.handshake_timeout = timeout;
        self
    }

    /// At most this many connections at once (1024).
    pub fn max_connections(mut self, max: usize) -> Self {
        self.server.max_connections = max.max(1);
        self
    }

    /// The sessions' settings.
    pub fn options(mut self, options: MediaOptions) -> Self {
        self.options = options;
        self
    }

    /// Serves `wss://`: the certificate chain and key, PEM.
    #[cfg(feature = "wss")]
    pub fn tls_pem(mut self, chain_pem: impl AsRef<[u8]>, key_pem: impl AsRef<[u8]>) -> Self {
        self.server
            .set_tls_pem(chain_pem.as_ref(), key_pem.as_ref());
        self
    }

    /// Requires Asterisk to present a client certificate signed by one of
    /// the CAs of `ca_pem` (its `websocket_client.conf` `cert_file` and
    /// `priv_key_file`); only with [`tls_pem`](Self::tls_pem).
    #[cfg(feature = "wss")]
    pub fn tls_client_ca_pem(mut self, ca_pem: impl AsRef<[u8]>) -> Self {
        self.server.set_tls_client_ca_pem(ca_pem.as_ref());
        self
    }

    /// Listens on `address`.
    pub async fn bind(
        self,
        address: impl tokio::net::ToSocketAddrs + std::fmt::Display,
    ) -> Result<MediaListener, ListenError> {
        let (sender, sessions) = mpsc::channel(16);
        let options = self.options;
        let listening = listen(
            address,
            self.server,
            "media",
            move |socket, _peer, permit| {
                let (sender, options) = (sender.clone(), options.clone());
                async move {
                    let session = MediaSession::start_holding(socket, options, permit)
                        .await
                        .map_err(|error| error.to_string())?;
                    let _ = sender.send(session).await;
                    Ok(())
                }
            },
        )
        .await?;
        Ok(MediaListener {
            sessions,
            listening,
        })
    }
}
