//! What an [`App`](super::App) reports about itself: its state, and notices.

use super::resource::ResourceKind;
use crate::error::DecodeError;

/// Where an application stands.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AppState {
    /// Connected, and Asterisk lists the application as registered.
    Ready,
    /// The connection was lost and is being re-established; handles are
    /// kept and reconciled once it is back.
    Reconnecting {
        /// Why it was lost.
        reason: String,
    },
    /// Another connection registered the same application
    /// (`ApplicationReplaced`): Asterisk sends it nothing more. Final; the
    /// connection is closed, every handle has ended.
    Displaced,
    /// The connection ended for good (reconnecting disabled or given up, or
    /// [`App::close`](super::App::close)). Final.
    Closed {
        /// Why.
        reason: String,
    },
}

impl AppState {
    /// Whether nothing follows this state.
    pub fn is_final(&self) -> bool {
        matches!(self, AppState::Displaced | AppState::Closed { .. })
    }
}

/// A supervision notice (see [`App::notices`](super::App::notices)).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Notice {
    /// The connection was lost.
    Disconnected {
        /// Why.
        reason: String,
        /// Whether it is being re-established.
        will_reconnect: bool,
    },
    /// A new connection is up and the handles were reconciled with what
    /// Asterisk has.
    Reconciled {
        /// Connection attempts it took.
        attempts: u32,
        /// Tracked resources Asterisk no longer had: their handles ended
        /// with [`EndCause::Vanished`](super::EndCause::Vanished).
        vanished: Vec<(ResourceKind, String)>,
        /// Channels in the application that no handle tracks (their
        /// `StasisStart` came while the connection was down, or before the
        /// application started).
        untracked: Vec<String>,
        /// Channels with the application's id prefix and no handle that
        /// were hung up (with [`AppBuilder::clean_up_orphans`](super::AppBuilder::clean_up_orphans)).
        cleaned_up: Vec<String>,
        /// Requests that failed, so that part could not be checked.
        failures: Vec<String>,
    },
    /// A frame that could not be decoded (also logged): it reached no handle.
    Malformed(DecodeError),
    /// Another connection took the application over.
    Displaced,
    /// What the router's claim of an offered call gave
    /// ([`AppBuilder::claim_offers`](super::AppBuilder::claim_offers)).
    Claimed {
        /// The offered channel.
        channel: String,
        /// The claim's answer, or why it failed.
        outcome: Result<super::Claim, String>,
    },
}
