//! What the router knows of resources: their kind, how generated handles
//! plug in, and what the generated route table tells it about a message.

use crate::client::Client;

/// A kind of ARI resource, by the name the generated bindings give it
/// (`channel`, `bridge`, `playback`, `live_recording`). It is also the
/// scheme of a `target_uri` (`channel:<id>`, `bridge:<id>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourceKind(pub &'static str);

impl ResourceKind {
    /// The kind's name.
    pub fn name(self) -> &'static str {
        self.0
    }
}

impl std::fmt::Display for ResourceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

/// A generated handle (`ChannelHandle`, `BridgeHandle`, …): the client and
/// the id of one resource, with that resource's operations as methods.
pub trait Handle: Clone + Send + Sync + 'static {
    /// The kind of resource it addresses.
    const KIND: ResourceKind;
    /// The handle of `id`.
    fn from_parts(client: Client, id: String) -> Self;
    /// The id it addresses.
    fn resource_id(&self) -> &str;
}

/// A handle for bindings that describe no channel: the router still gives
/// entering resources a handle, of this kind.
#[derive(Debug, Clone)]
pub struct UntypedHandle {
    client: Client,
    id: String,
}

impl UntypedHandle {
    /// The client it was made with.
    pub fn client(&self) -> &Client {
        &self.client
    }
}

impl Handle for UntypedHandle {
    const KIND: ResourceKind = ResourceKind("channel");
    fn from_parts(client: Client, id: String) -> Self {
        UntypedHandle { client, id }
    }
    fn resource_id(&self) -> &str {
        &self.id
    }
}

/// One property of an event type that holds a resource: a line of the
/// route table the bindings generate (see
/// [`Bindings::event_route`](crate::Bindings::event_route)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteField {
    /// The property's wire name (`channel`, `peer`, `playback`).
    pub property: &'static str,
    /// The kind of resource in it.
    pub kind: ResourceKind,
    /// The resource's key property (`id`; `name` for a recording).
    pub key: &'static str,
    /// The resource's `target_uri` property, naming the channel or bridge
    /// it is attached to: the event reaches that one's handles too.
    pub target: Option<&'static str>,
    /// The event ends this resource (destroyed, finished, failed, or a
    /// channel leaving the application): its handles' waits end after it.
    pub ends: bool,
    /// This resource enters the application (`StasisStart`).
    pub enters: bool,
}

/// What the router needs of one event type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventRoute {
    /// The properties holding resources.
    pub fields: &'static [RouteField],
    /// Another connection took the application over (`ApplicationReplaced`).
    pub displaces: bool,
    /// The event offers its entering resource to whoever claims it first
    /// (`CallBroadcast`).
    pub offers: bool,
}

/// `channel:<id>` → (`channel`, `<id>`).
pub(crate) fn split_target_uri(uri: &str) -> Option<(&str, &str)> {
    let (scheme, id) = uri.split_once(':')?;
    (!scheme.is_empty() && !id.is_empty()).then_some((scheme, id))
}

#[cfg(test)]
mod tests {
    use super::split_target_uri;

    #[test]
    fn target_uris_split_at_the_first_colon() {
        assert_eq!(split_target_uri("channel:abc"), Some(("channel", "abc")));
        assert_eq!(split_target_uri("bridge:a:b"), Some(("bridge", "a:b")));
        assert_eq!(split_target_uri("channel:"), None);
        assert_eq!(split_target_uri("nothing"), None);
    }
}
