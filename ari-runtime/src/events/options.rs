//! [`EventOptions`]: how an event stream keeps its connection.

use super::Backoff;
#[cfg(doc)]
use super::StreamItem;
use crate::bindings::OwnRequests;
use crate::client::Client;
use std::time::Duration;

/// How an event stream keeps its connection.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct EventOptions {
    /// `None`: the stream ends after the first [`StreamItem::Disconnected`].
    pub reconnect: Option<Backoff>,
    /// Send a WebSocket ping after this long without one; `None` sends none.
    pub ping_interval: Option<Duration>,
    /// The connection counts as lost when nothing (pong or event) arrives
    /// within this long after a ping.
    pub pong_timeout: Duration,
    /// Items buffered per consumer before the reader waits for it.
    pub buffer: usize,
    /// After each (re)connection, compare the server's versions with the
    /// bindings the stream decodes for, in the background, and
    /// `tracing::warn!` when they differ (a restart may have brought another
    /// Asterisk).
    pub check_version: bool,
}

impl Default for EventOptions {
    fn default() -> Self {
        EventOptions {
            reconnect: Some(Backoff::default()),
            ping_interval: Some(Duration::from_secs(20)),
            pong_timeout: Duration::from_secs(10),
            buffer: 1024,
            check_version: true,
        }
    }
}

impl EventOptions {
    /// How to reconnect after a lost connection; `None` ends the stream at the first disconnection.
    pub fn reconnect(mut self, backoff: Option<Backoff>) -> Self {
        self.reconnect = backoff;
        self
    }

    /// Sends a ping every `ping_interval` (`None`: never) and counts the connection lost when nothing arrives within `pong_timeout` of one.
    pub fn keepalive(mut self, ping_interval: Option<Duration>, pong_timeout: Duration) -> Self {
        self.ping_interval = ping_interval;
        self.pong_timeout = pong_timeout;
        self
    }

    /// Sets how many items each consumer buffers before the reader waits for it (at least 1).
    pub fn buffer(mut self, buffer: usize) -> Self {
        self.buffer = buffer.max(1);
        self
    }

    /// Whether to compare the server's versions with the bindings' after each (re)connection, logging mismatches.
    pub fn check_version(mut self, check: bool) -> Self {
        self.check_version = check;
        self
    }

    pub(super) fn spawn_version_check(&self, client: &Client, requests: OwnRequests) {
        if self.check_version {
            let client = client.clone();
            tokio::spawn(async move {
                // Mismatches are logged by the check itself.
                if let Err(error) = client.check_version_with(&requests).await {
                    tracing::debug!(target: "ari_runtime::events", %error, "version check failed");
                }
            });
        }
    }
}
