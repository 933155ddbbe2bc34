//! Media over WebSocket (chan_websocket, Asterisk 20.16, 21.11, 22.6 and
//! later; JSON control since 20.18, 22.8, 23.2): a call's audio in and out
//! of the application, for voice agents.
//!
//! A channel made by `POST /channels/externalMedia` with
//! `transport=websocket`, `encapsulation=none` carries its audio over a
//! WebSocket: with `connection_type=server` the application connects to
//! Asterisk's `/media/<connection id>` ([`MediaSession::connect`]; the id
//! is the channel's `MEDIA_WEBSOCKET_CONNECTION_ID`), with
//! `connection_type=client` Asterisk connects to the application
//! ([`MediaListener`]). Either way the session starts with `MEDIA_START`
//! (format, frame size, timing), then:
//!
//! - a [`MediaReceiver`]: the channel's audio as it arrives, typed control
//!   events (unknown ones kept as data), then how the session ended;
//! - a [`MediaSender`]: audio of any length, cut into the session's frames
//!   and written a bounded lead ahead of Asterisk's playout (never past
//!   `MEDIA_XOFF`); marks that resolve once the audio before them has been
//!   played; a flush for barge-in; every other command.
//!
//! [`App::media_channel`](crate::App::media_channel) does it all in one
//! step: the channel, its session, the channel in the application.
//!
//! Pass `transport_data=f(json)` for JSON control messages (the plain-text
//! format is deprecated and lacks `SET_MEDIA_DIRECTION`); both are read.

mod control;
mod create;
mod listener;
mod pacer;
mod session;

pub use control::{MediaCommand, MediaEvent, MediaStart, MediaStatus};
pub use create::MediaChannelBuilder;
pub use listener::{MediaListener, MediaListenerBuilder};
pub use session::{
    Mark, MediaEnded, MediaError, MediaItem, MediaOptions, MediaReceiver, MediaSender, MediaSession,
};

/// The connection id of a media channel, from its `channelvars` (the
/// answer of `externalMedia`): `MEDIA_WEBSOCKET_CONNECTION_ID`.
pub fn connection_id(channelvars: Option<&serde_json::Value>) -> Option<&str> {
    channelvars?.get("MEDIA_WEBSOCKET_CONNECTION_ID")?.as_str()
}
