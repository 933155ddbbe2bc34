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
    /// The request never reached Asterisk: no connection could be made, or
    /// the WebSocket it goes over was not connected, or its deadline passed
    /// before it was written. Sending it again is safe.
    #[error("request not sent: {reason}")]
    NotSent {
        /// Why it was not sent.
        reason: String,
    },
    /// A request that changes state (POST, PUT, DELETE) went out, but its
    /// answer was lost to a dropped connection or its deadline: it may or
    /// may not have taken effect. Check before sending it again.
    #[error("outcome unknown for {method} {template}: {reason}")]
    OutcomeUnknown {
        /// The request's method.
        method: reqwest::Method,
        /// The request's path template (`/channels/{channelId}`).
        template: &'static str,
        /// Why the answer was lost.
        reason: String,
    },
    /// A request that changes nothing (GET) went out over the WebSocket, but
    /// its answer was lost; sending it again is harmless.
    #[error("no answer: {reason}")]
    NoAnswer {
        /// Why the answer was lost.
        reason: String,
    },
}

impl TransportError {
    /// A failed HTTP request, by whether it can have taken effect: a
    /// connection that could not be made sent nothing; a state-changing
    /// request that failed later may have been carried out. Other failures
    /// of reading requests stay `Http`.
    pub(crate) fn http(
        error: reqwest::Error,
        method: &reqwest::Method,
        template: &'static str,
    ) -> Self {
        let error = error.without_url();
        if error.is_connect() {
            TransportError::NotSent {
                reason: error_chain(&error),
            }
        } else if *method == reqwest::Method::GET || *method == reqwest::Method::HEAD {
            TransportError::Http(error)
        } else {
            TransportError::OutcomeUnknown {
                method: method.clone(),
                template,
                reason: error_chain(&error),
            }
        }
    }

    /// Whether the request certainly did not reach Asterisk, so that
    /// sending it again cannot do anything twice.
    pub fn is_not_sent(&self) -> bool {
        matches!(self, TransportError::NotSent { .. })
    }

    /// Whether a state-changing request may or may not have taken effect.
    pub fn is_outcome_unknown(&self) -> bool {
        matches!(self, TransportError::OutcomeUnknown { .. })
    }

    /// The status of the answer, if one arrived.
    pub fn status(&self) -> Option<u16> {
        match self {
            TransportError::Http(error) => error.status().map(|s| s.as_u16()),
            TransportError::Decode { status, .. } => Some(*status),
            TransportError::Encode(_)
            | TransportError::NotSent { .. }
            | TransportError::OutcomeUnknown { .. }
            | TransportError::NoAnswer { .. } => None,
        }
    }
}

/// An error and its sources, as one line: reqwest's own message says only
/// "error sending request".
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
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
