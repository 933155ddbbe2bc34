//! How a handle's waits end: the resource is gone, the handle fell behind,
//! or the wait's own deadline passed.

use super::resource::ResourceKind;
use crate::error::DecodeError;
use compact_str::CompactString;
use std::sync::Arc;
use std::time::Duration;

/// Why a wait on a tracked handle returned no event.
#[derive(Debug)]
#[non_exhaustive]
pub enum HandleError<T> {
    /// The resource is gone, or no longer ours to follow: every later wait
    /// returns the same.
    Ended(Ended<T>),
    /// The handle's queue was full when an event for it arrived: it has
    /// stopped following the resource (it alone; other handles and the
    /// application go on). `missed` counts the events it did not get.
    Overflowed {
        /// Events that arrived for the handle once its queue was full.
        missed: u64,
    },
    /// The wait's deadline passed; the handle is still usable.
    Timeout(Duration),
    /// An event for the handle could not be decoded (its text is in the
    /// error); the handle goes on with the next one.
    Malformed(DecodeError),
}

/// A resource a handle followed is gone.
#[derive(Debug)]
pub struct Ended<T> {
    /// Its kind.
    pub kind: ResourceKind,
    /// Its id.
    pub id: CompactString,
    /// What ended it.
    pub cause: EndCause<T>,
}

/// What ended a resource.
#[derive(Debug)]
#[non_exhaustive]
pub enum EndCause<T> {
    /// An event: the resource was destroyed (`ChannelDestroyed`,
    /// `BridgeDestroyed`), finished (`PlaybackFinished`,
    /// `RecordingFinished`), failed, or left the application (`StasisEnd`).
    Event {
        /// The event's `type`.
        kind: CompactString,
        /// The event itself (the hang-up cause of a `ChannelDestroyed`).
        event: Arc<T>,
    },
    /// It no longer existed when the application reconnected: it ended
    /// while the connection was down (`reason` says why that went down).
    Vanished {
        /// Why the connection had been lost.
        reason: String,
    },
    /// Another connection registered the application, and Asterisk sends
    /// it the events from now on (`ApplicationReplaced`).
    Displaced,
    /// The event connection ended for good.
    Closed {
        /// Why.
        reason: String,
    },
    /// An event of type `kind` ended it, but its text could not be decoded.
    Undecodable {
        /// The event's `type`.
        kind: CompactString,
        /// Why, with the text.
        error: DecodeError,
    },
}

impl<T> HandleError<T> {
    /// The end of the resource, if that is what this is.
    pub fn ended(&self) -> Option<&Ended<T>> {
        match self {
            HandleError::Ended(ended) => Some(ended),
            _ => None,
        }
    }

    /// The event that ended the resource, if an event did.
    pub fn end_event(&self) -> Option<&Arc<T>> {
        match self {
            HandleError::Ended(Ended {
                cause: EndCause::Event { event, .. },
                ..
            }) => Some(event),
            _ => None,
        }
    }
}

// By hand: derived, they would require `T: Clone`; events are shared.
impl<T> Clone for HandleError<T> {
    fn clone(&self) -> Self {
        match self {
            HandleError::Ended(ended) => HandleError::Ended(ended.clone()),
            HandleError::Overflowed { missed } => HandleError::Overflowed { missed: *missed },
            HandleError::Timeout(after) => HandleError::Timeout(*after),
            HandleError::Malformed(error) => HandleError::Malformed(error.clone()),
        }
    }
}

impl<T> Clone for Ended<T> {
    fn clone(&self) -> Self {
        Ended {
            kind: self.kind,
            id: self.id.clone(),
            cause: self.cause.clone(),
        }
    }
}

impl<T> Clone for EndCause<T> {
    fn clone(&self) -> Self {
        match self {
            EndCause::Event { kind, event } => EndCause::Event {
                kind: kind.clone(),
                event: Arc::clone(event),
            },
            EndCause::Vanished { reason } => EndCause::Vanished {
                reason: reason.clone(),
            },
            EndCause::Displaced => EndCause::Displaced,
            EndCause::Closed { reason } => EndCause::Closed {
                reason: reason.clone(),
            },
            EndCause::Undecodable { kind, error } => EndCause::Undecodable {
                kind: kind.clone(),
                error: error.clone(),
            },
        }
    }
}

impl<T> std::fmt::Display for EndCause<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EndCause::Event { kind, .. } => write!(f, "{kind}"),
            EndCause::Vanished { reason } => {
                write!(
                    f,
                    "gone after a reconnect (the connection was lost: {reason})"
                )
            }
            EndCause::Displaced => {
                f.write_str("the application was taken over by another connection")
            }
            EndCause::Closed { reason } => write!(f, "the event connection ended: {reason}"),
            EndCause::Undecodable { kind, error } => write!(f, "{kind} (undecodable: {error})"),
        }
    }
}

impl<T> std::fmt::Display for Ended<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} ended: {}", self.kind, self.id, self.cause)
    }
}

impl<T> std::fmt::Display for HandleError<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HandleError::Ended(ended) => ended.fmt(f),
            HandleError::Overflowed { missed } => write!(
                f,
                "the handle fell behind: its queue was full and {missed} event(s) did not reach it"
            ),
            HandleError::Timeout(after) => write!(f, "no matching event within {after:?}"),
            HandleError::Malformed(error) => write!(f, "an event could not be decoded: {error}"),
        }
    }
}

impl<T: std::fmt::Debug> std::error::Error for HandleError<T> {}
impl<T: std::fmt::Debug> std::error::Error for Ended<T> {}
