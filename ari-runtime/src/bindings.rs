//! What a set of generated bindings tells the runtime, in the spirit of
//! progenitor's `ClientInfo`: the runtime names no generated item and no
//! resource path; the bindings of each Asterisk version implement
//! [`Bindings`] and hand the runtime their versions, their message type and
//! the few requests it makes on its own.

use crate::calls::{EventRoute, Handle, ResourceKind};
use crate::client::Request;
use crate::events::FromFrame;
use crate::version::BindingsVersion;

/// Implemented by the generated code (its `Api` type) for the runtime.
pub trait Bindings: Send + Sync + 'static {
    /// What the bindings were generated from; event streams and
    /// `check_version` compare the server with it.
    const VERSION: BindingsVersion;
    /// SHA-256 of the canonical api-docs the bindings were generated from.
    const API_DOCS_DIGEST: &'static str;
    /// What every event frame decodes into (the bindings' `models::Message`).
    type Message: FromFrame + Sync;

    /// `GET /events`: the event WebSocket for `apps`.
    fn event_websocket(apps: &[String], subscribe_all: Option<bool>) -> Request;
    /// `GET /applications/{applicationName}`: what an application watches.
    fn get_application(app: &str) -> Request;
    /// `DELETE /applications/{applicationName}/subscription`: stop watching
    /// `event_sources`.
    fn unsubscribe(app: &str, event_sources: &[String]) -> Request;
    /// `GET /asterisk/info`: the server's Asterisk version, among others.
    fn asterisk_info() -> Request;

    /// The handle a resource entering an application (`StasisStart`) gets.
    type Entering: Handle;

    /// The member of an event frame that names its type (`type`).
    const DISCRIMINATOR: &'static str;

    /// The route table: for the event type `kind`, the properties holding
    /// resources, which it ends or brings into the application, and
    /// whether it displaces the application; `None` for a type that names
    /// none (or that the bindings do not know). Generated from the events'
    /// properties; the router reads only those from a frame.
    fn event_route(kind: &str) -> Option<&'static EventRoute>;

    /// A request listing every resource of `kind` (`GET /channels`) and the
    /// property holding each one's id, where the api-docs have one.
    fn list(kind: ResourceKind) -> Option<(Request, &'static str)>;

    /// The request fetching one resource (`GET /playbacks/{playbackId}`).
    fn get(kind: ResourceKind, id: &str) -> Option<Request>;

    /// The event source that subscribes an application to resource `id`
    /// (`bridge:<id>`), for the kinds an application can subscribe to.
    fn event_source(kind: ResourceKind, id: &str) -> Option<String>;

    /// `POST /applications/{applicationName}/subscription`: watch
    /// `event_sources` too.
    fn subscribe(app: &str, event_sources: &[String]) -> Option<Request>;

    /// `POST /events/claim`: claims the offered `channel` for `app`, where
    /// the api-docs have it.
    fn claim(channel: &str, app: &str) -> Option<Request>;

    /// `POST /channels/externalMedia` for a WebSocket media channel
    /// (`transport=websocket`, `encapsulation=none`) of application `app`,
    /// in `format`, with id `id` and further query parameters `options`;
    /// `None` where the api-docs offer no WebSocket transport.
    fn websocket_media(
        app: &str,
        format: &str,
        id: &str,
        options: &[(&'static str, String)],
    ) -> Option<Request>;

    /// The request deleting one (`DELETE /channels/{channelId}`: hang up).
    fn delete(kind: ResourceKind, id: &str) -> Option<Request>;
}

/// The requests of [`Bindings`] as plain function pointers, so that a stream
/// keeps them without being generic over the bindings.
#[derive(Clone, Copy)]
pub(crate) struct OwnRequests {
    pub version: BindingsVersion,
    pub get_application: fn(&str) -> Request,
    pub unsubscribe: fn(&str, &[String]) -> Request,
    pub asterisk_info: fn() -> Request,
}

impl OwnRequests {
    pub fn of<B: Bindings>() -> Self {
        OwnRequests {
            version: B::VERSION,
            get_application: B::get_application,
            unsubscribe: B::unsubscribe,
            asterisk_info: B::asterisk_info,
        }
    }
}
