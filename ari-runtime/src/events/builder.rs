//! [`EventStreamBuilder`]: how an event stream is opened, for named applications or a prepared request.

use super::{Backoff, ConnectError, EventOptions, EventStream};
use crate::bindings::{Bindings, OwnRequests};
use crate::client::{Client, Request};
use std::time::Duration;

/// How an event stream of bindings `B` is opened: for the Stasis
/// applications named (the generated client's `event_stream(["app"])`), or
/// for a request the generated `events().event_websocket(…)` built, with
/// per-stream connection options.
#[must_use = "nothing is connected until `connect` is awaited"]
pub struct EventStreamBuilder<B> {
    client: Client,
    apps: Vec<String>,
    subscribe_all: Option<bool>,
    request: Option<Request>,
    options: EventOptions,
    bindings: std::marker::PhantomData<fn() -> B>,
}

// By hand: derived, they would require `B: Clone` / `B: Debug`, which the
// builder never holds a `B` to need.
impl<B> Clone for EventStreamBuilder<B> {
    fn clone(&self) -> Self {
        EventStreamBuilder {
            client: self.client.clone(),
            apps: self.apps.clone(),
            subscribe_all: self.subscribe_all,
            request: self.request.clone(),
            options: self.options.clone(),
            bindings: std::marker::PhantomData,
        }
    }
}

impl<B> std::fmt::Debug for EventStreamBuilder<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventStreamBuilder")
            .field("client", &self.client)
            .field("apps", &self.apps)
            .field("subscribe_all", &self.subscribe_all)
            .field("request", &self.request)
            .field("options", &self.options)
            .finish()
    }
}

impl<B: Bindings> EventStreamBuilder<B> {
    /// Events for the Stasis applications `apps` (registered by
    /// connecting), with the client's [`EventOptions`].
    pub fn new<I, S>(client: Client, apps: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let options = client.event_options().clone();
        EventStreamBuilder {
            client,
            apps: apps
                .into_iter()
                .map(|app| app.as_ref().to_owned())
                .collect(),
            subscribe_all: None,
            request: None,
            options,
            bindings: std::marker::PhantomData,
        }
    }

    /// Events for a request built elsewhere (the generated
    /// `events().event_websocket(…)`); its `app` list names the applications.
    pub fn from_request(client: Client, request: Request) -> Self {
        let mut builder = Self::new(client, std::iter::empty::<&str>());
        builder.request = Some(request);
        builder
    }

    /// Subscribe the applications to every event source, not only their own
    /// channels and bridges (for a builder made by [`Self::new`]).
    pub fn subscribe_all(mut self, subscribe_all: bool) -> Self {
        self.subscribe_all = Some(subscribe_all);
        self
    }

    /// `None`: end the stream when the connection is lost.
    pub fn reconnect(mut self, backoff: Option<Backoff>) -> Self {
        self.options.reconnect = backoff;
        self
    }

    /// See [`EventOptions::keepalive`].
    pub fn keepalive(mut self, ping_interval: Option<Duration>, pong_timeout: Duration) -> Self {
        self.options = self.options.keepalive(ping_interval, pong_timeout);
        self
    }

    /// See [`EventOptions::buffer`].
    pub fn buffer(mut self, buffer: usize) -> Self {
        self.options = self.options.buffer(buffer);
        self
    }

    /// See [`EventOptions::check_version`].
    pub fn check_version(mut self, check: bool) -> Self {
        self.options.check_version = check;
        self
    }

    /// Replaces every connection option at once.
    pub fn options(mut self, options: EventOptions) -> Self {
        self.options = options;
        self
    }

    /// Connects, decoding into the bindings' messages.
    pub async fn connect(self) -> Result<EventStream<B::Message>, ConnectError> {
        let request = match self.request {
            Some(request) => request,
            None => B::event_websocket(&self.apps, self.subscribe_all),
        };
        self.client
            .open_events(request, self.options, OwnRequests::of::<B>())
            .await
    }
}
