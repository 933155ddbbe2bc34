//! The WebSocket side: `GET /events` as a stream of typed messages that
//! outlives dropped connections and Asterisk restarts.
//!
//! One reader task per connection reads frames and hands them, undecoded, to
//! every consumer through a bounded channel, in batches of the frames that
//! had already arrived (one wake-up of the consumer per batch rather than per
//! event). Each consumer decodes in its own `poll_next`: framing and decoding
//! then run side by side on a multi-thread runtime, a frame moves as a
//! reference-counted buffer, and a second consumer costs a decode rather than
//! a deep copy of every event. When a consumer is slow the reader waits for
//! it, so it stops reading the socket and TCP pushes back on Asterisk:
//! nothing is ever dropped or overwritten.

mod backoff;
mod builder;
mod connect;
mod options;
mod reader;
mod rest;
mod rest_queue;
mod stream;
#[cfg(test)]
mod tests;

pub use backoff::Backoff;
pub use builder::EventStreamBuilder;
pub use options::EventOptions;
pub(crate) use rest::{ReaderAlive, RestSocket};
pub(crate) use rest_queue::RestQueue;
pub use stream::EventStream;
pub(crate) use stream::{RawItem, SharedFrame, Subscriber};

use crate::error::DecodeError;
use std::time::Duration;
use tokio_tungstenite::tungstenite;

/// A message type that can be decoded from one WebSocket text frame.
pub trait FromFrame: Sized + Send + 'static {
    /// Decodes one frame; an error keeps the frame's text.
    fn from_frame(text: &str) -> Result<Self, DecodeError>;
}

/// Untyped frames: the messages of bindings whose api-docs describe no
/// event WebSocket.
impl FromFrame for serde_json::Value {
    fn from_frame(text: &str) -> Result<Self, DecodeError> {
        serde_json::from_str(text).map_err(|source| DecodeError::new(None, text, source))
    }
}

/// The event WebSocket could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// No WebSocket request could be made from the client's base URL or credentials; holds the base URL, or what is wrong with the credentials.
    #[error("invalid event URL: {0}")]
    InvalidUrl(String),
    /// Connecting or the upgrade failed, including Asterisk refusing it (see [`ConnectError::status`]).
    #[error("WebSocket handshake failed: {0}")]
    WebSocket(#[source] tungstenite::Error),
    /// The handshake did not finish within the client's connect timeout, which it holds.
    #[error("WebSocket handshake did not complete within {0:?}")]
    Timeout(Duration),
}

impl ConnectError {
    /// The HTTP status Asterisk refused the upgrade with (401 for bad
    /// credentials, 400 for an unknown or missing `app`), if it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            ConnectError::WebSocket(tungstenite::Error::Http(response)) => {
                Some(response.status().as_u16())
            }
            _ => None,
        }
    }
}

/// One item of an [`EventStream`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum StreamItem<T> {
    /// A message from Asterisk, decoded.
    Event(T),
    /// A frame that could not be decoded; [`DecodeError::raw`] holds its
    /// text. The stream goes on.
    Malformed(DecodeError),
    /// The connection was lost. Events that happened while it was down are
    /// not replayed by Asterisk: after [`StreamItem::Reconnected`], read the
    /// state you depend on again (`GET /channels`, `/bridges`, ...). When
    /// `will_reconnect` is false this is the last item.
    Disconnected {
        /// What ended the connection (a close frame, a read error, a missed pong), or why reconnecting gave up.
        reason: String,
        /// Whether the stream will try to connect again.
        will_reconnect: bool,
    },
    /// A new connection is up, with the same `app` and `subscribeAll`, so the
    /// Stasis applications are registered again.
    Reconnected {
        /// Connection attempts it took, 1 when the first one succeeded.
        attempts: u32,
    },
}

impl<T> StreamItem<T> {
    /// The event, if this item is one.
    pub fn into_event(self) -> Option<T> {
        match self {
            StreamItem::Event(event) => Some(event),
            _ => None,
        }
    }

    /// The event, borrowed, if this item is one.
    pub fn as_event(&self) -> Option<&T> {
        match self {
            StreamItem::Event(event) => Some(event),
            _ => None,
        }
    }
}
