//! Errors shared by every operation.

use std::fmt;
use std::sync::Arc;

/// An answer Asterisk gave with a non-success status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorResponse {
    /// The HTTP status code.
    pub status: u16,
    /// The `message` Asterisk puts in its JSON error bodies, when present.
    pub message: Option<String>,
    /// The body as received.
    pub body: String,
}

impl ErrorResponse {
    pub(crate) fn new(status: u16, body: &[u8]) -> Self {
        let body = String::from_utf8_lossy(body).into_owned();
        let message = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_owned));
        ErrorResponse {
            status,
            message,
            body,
        }
    }
}

impl fmt::Display for ErrorResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.message {
            Some(message) => write!(f, "HTTP {}: {message}", self.status),
            None if self.body.is_empty() => write!(f, "HTTP {}", self.status),
            None => write!(f, "HTTP {}: {}", self.status, self.body),
        }
    }
}

/// The request did not produce a usable answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// Connecting, sending or receiving failed (URL stripped: it may hold an `api_key`).
    #[error("request failed: {0}")]
    Http(#[source] reqwest::Error),
    /// A success answer whose body does not match the documented type.
    #[error("cannot decode the {status} answer: {source}")]
    Decode {
        /// The HTTP status of the answer.
        status: u16,
        /// The body as received (invalid UTF-8 replaced).
        body: String,
        /// Why the body does not decode into the documented type.
        #[source]
        source: serde_json::Error,
    },
    /// The request body could not be encoded.
    #[error("cannot encode the request body: {0}")]
    Encode(#[source] serde_json::Error),
}

impl TransportError {
    pub(crate) fn http(error: reqwest::Error) -> Self {
        TransportError::Http(error.without_url())
    }

    /// The status of the answer, if one arrived.
    pub fn status(&self) -> Option<u16> {
        match self {
            TransportError::Http(error) => error.status().map(|s| s.as_u16()),
            TransportError::Decode { status, .. } => Some(*status),
            TransportError::Encode(_) => None,
        }
    }
}

/// A message whose text could not be decoded. Keeps the raw text so nothing
/// Asterisk sent is lost, and the type when it could be read.
///
/// Cloneable (the source is shared) so that every consumer of a forked
/// [`EventStream`](super::EventStream) can receive it.
#[derive(Debug, Clone, thiserror::Error)]
#[error("cannot decode {} message: {source}", kind.as_deref().unwrap_or("a"))]
pub struct DecodeError {
    /// The discriminator, when it could be read.
    pub kind: Option<String>,
    /// The message exactly as received.
    pub raw: String,
    /// The JSON error, shared so that the error stays cheap to clone.
    #[source]
    pub source: Arc<serde_json::Error>,
}

impl DecodeError {
    /// The error for the frame text `raw`, whose discriminator `kind` is given when it could be read.
    pub fn new(kind: Option<String>, raw: &str, source: serde_json::Error) -> Self {
        DecodeError {
            kind,
            raw: raw.to_owned(),
            source: Arc::new(source),
        }
    }
}
