//! What call control needs from the api-docs: which resources a handle can
//! follow, which resources each event names (the route table), and which
//! operations create a followable resource (the race-free creators).

use super::{Handle, handles};
use crate::ir::{self, Api, HttpMethod, ParamLocation, TypeRef};
use crate::naming;

/// The event that brings a resource into an application.
pub const ENTER_EVENT: &str = "StasisStart";
/// The event that takes a channel out of an application: its handles end.
pub const LEAVE_EVENT: &str = "StasisEnd";
/// The event an application's old connection gets when another takes over.
pub const DISPLACED_EVENT: &str = "ApplicationReplaced";
/// The event offering a channel to the applications a `StasisBroadcast`
/// names: the first to claim it gets it.
pub const OFFER_EVENT: &str = "CallBroadcast";
/// The operation that claims an offered channel.
pub const CLAIM_OPERATION: &str = "claimChannel";
/// The operation that creates a media channel.
pub const EXTERNAL_MEDIA_OPERATION: &str = "externalMedia";
/// An event named `<Property><suffix>` ends the resource in that property
/// (`ChannelDestroyed`, `PlaybackFinished`, `RecordingFailed`).
const ENDING_SUFFIXES: &[&str] = &["Destroyed", "Finished", "Failed"];

/// A resource a handle can follow: a handle whose `GET` answers a model
/// with a string key (`id` for `…Id` paths, `name` for `…Name` ones).
pub struct Followed<'a> {
    pub resource: &'a ir::Resource,
    pub handle: Handle<'a>,
    /// The router's name of the kind: the handle's accessor (`channel`),
    /// which is also the scheme of a `target_uri` (`channel:<id>`).
    pub kind: String,
    /// The model's wire id (`Channel`, `LiveRecording`).
    pub model: String,
    /// The key property (`id`).
    pub key: &'a ir::Property,
    /// `GET` of every such resource, and the listed model's key wire name.
    pub list: Option<&'a ir::Operation>,
    /// `GET` on the handle's path.
    pub get: &'a ir::Operation,
    /// `DELETE` on the handle's path, when it needs nothing but the id.
    pub delete: Option<&'a ir::Operation>,
}

pub fn followed(api: &Api) -> Vec<Followed<'_>> {
    let mut found = Vec::new();
    for resource in api.resources.values() {
        for handle in handles(resource) {
            let on_prefix = |method: HttpMethod| {
                handle
                    .operations
                    .iter()
                    .copied()
                    .find(|op| op.path == handle.prefix && op.method == method)
            };
            let Some(get) = on_prefix(HttpMethod::Get) else {
                continue;
            };
            let TypeRef::Model(model) = &get.response else {
                continue;
            };
            let Some(model_def) = api.models.get(model) else {
                continue;
            };
            let key_name = if handle.id_param.ends_with("Id") {
                "id"
            } else {
                "name"
            };
            let Some(key) = model_def
                .properties
                .iter()
                .find(|p| p.api_name == key_name && p.ty == TypeRef::String)
            else {
                continue;
            };
            let parent = handle.prefix.rsplit_once('/').map(|(parent, _)| parent);
            let list = resource.operations.iter().find(|op| {
                op.method == HttpMethod::Get
                    && Some(op.path.as_str()) == parent
                    && op.response == TypeRef::List(Box::new(TypeRef::Model(model.clone())))
            });
            let delete = on_prefix(HttpMethod::Delete).filter(|op| {
                op.params
                    .iter()
                    .all(|p| !p.required || p.api_name == handle.id_param)
            });
            found.push(Followed {
                resource,
                kind: handle.accessor.clone(),
                model: model.clone(),
                key,
                list,
                get,
                delete,
                handle,
            });
        }
    }
    // One kind per model: the first handle of it in resource order.
    let (mut models, mut kinds) = (
        std::collections::BTreeSet::new(),
        std::collections::BTreeSet::new(),
    );
    found.retain(|f| models.insert(f.model.clone()) && kinds.insert(f.kind.clone()));
    found
}

/// What an event's property tells the router.
pub struct RouteStep<'a> {
    pub property: &'a ir::Property,
    pub followed: usize,
    /// The event ends the resource in this property.
    pub ends: bool,
    /// The resource in this property enters the application.
    pub enters: bool,
    /// The model's `target_uri`, through which the resource is attached to
    /// a channel or a bridge.
    pub target: Option<&'a ir::Property>,
}

/// The route table of one event (a leaf of the message model).
pub struct EventRoute<'a> {
    pub event: &'a ir::Model,
    pub steps: Vec<RouteStep<'a>>,
    pub displaces: bool,
    /// The event offers its entering resource for claiming.
    pub offers: bool,
}

/// The model of a property: itself, in an `Option`, or in a list.
fn model_of(ty: &TypeRef) -> Option<&str> {
    match ty {
        TypeRef::Model(id) => Some(id),
        TypeRef::List(inner) => match inner.as_ref() {
            TypeRef::Model(id) => Some(id),
            _ => None,
        },
        _ => None,
    }
}

/// The route table: for every event, the properties holding followed
/// resources, in property order.
pub fn routes<'a>(
    api: &'a Api,
    followed: &[Followed<'a>],
    leaves: &[&'a ir::Model],
) -> Vec<EventRoute<'a>> {
    let entering = entering(api, followed);
    leaves
        .iter()
        .map(|event| {
            let steps = event
                .properties
                .iter()
                .filter_map(|property| {
                    let model = model_of(&property.ty)?;
                    let index = followed.iter().position(|f| f.model == model)?;
                    let pascal = naming::type_name(&property.api_name);
                    let ends = ENDING_SUFFIXES
                        .iter()
                        .any(|suffix| event.api_name == format!("{pascal}{suffix}"))
                        || (event.api_name == LEAVE_EVENT
                            && is_entering(event, property, followed, entering));
                    let enters = event.api_name == ENTER_EVENT
                        && is_entering(event, property, followed, entering);
                    let target = api.models[model]
                        .properties
                        .iter()
                        .find(|p| p.api_name == "target_uri" && p.ty == TypeRef::String);
                    Some(RouteStep {
                        property,
                        followed: index,
                        ends,
                        enters,
                        target,
                    })
                })
                .collect();
            EventRoute {
                event,
                steps,
                displaces: event.api_name == DISPLACED_EVENT,
                offers: event.api_name == OFFER_EVENT,
            }
        })
        .collect()
}

/// The followed resource that `StasisStart` brings in: the one in its
/// first required property of a followed model (`channel`).
pub fn entering(api: &Api, followed: &[Followed<'_>]) -> Option<usize> {
    let start = api.models.values().find(|m| m.api_name == ENTER_EVENT)?;
    entering_property(start, followed, None).map(|(_, index)| index)
}

fn entering_property<'a>(
    event: &'a ir::Model,
    followed: &[Followed<'_>],
    kind: Option<usize>,
) -> Option<(&'a ir::Property, usize)> {
    event.properties.iter().find_map(|p| {
        let TypeRef::Model(model) = &p.ty else {
            return None;
        };
        let index = followed.iter().position(|f| &f.model == model)?;
        (p.required && kind.is_none_or(|kind| kind == index)).then_some((p, index))
    })
}

/// Whether `property` is the entering (or leaving) resource of `event`.
fn is_entering(
    event: &ir::Model,
    property: &ir::Property,
    followed: &[Followed<'_>],
    entering: Option<usize>,
) -> bool {
    entering.is_some()
        && entering_property(event, followed, entering)
            .is_some_and(|(p, _)| p.api_name == property.api_name)
}

/// An operation that creates a followed resource with an id of the
/// caller's choosing.
pub struct Creator<'a> {
    pub followed: usize,
    /// The parameter carrying the new resource's id.
    pub id: &'a ir::Param,
    /// The parameter naming the application, if the operation has one.
    pub app: Option<&'a ir::Param>,
    /// A channel created into an application: its creator waits for its
    /// `StasisStart`.
    pub enters: bool,
}

/// `op` creates a followed resource when it is a `POST` or `PUT` answering
/// that resource's model and takes its id: the handle's id parameter
/// (`channelId`, `playbackId`, `bridgeId`) unless it names the resource the
/// operation works on (the `channelId` of `/channels/{channelId}/snoop`),
/// else the one other string `…Id` parameter (`snoopId`), else the model's
/// key (`name` for a recording).
pub fn creator<'a>(
    api: &Api,
    followed: &[Followed<'a>],
    op: &'a ir::Operation,
) -> Option<Creator<'a>> {
    if !matches!(op.method, HttpMethod::Post | HttpMethod::Put) || op.websocket {
        return None;
    }
    let TypeRef::Model(model) = &op.response else {
        return None;
    };
    let index = followed.iter().position(|f| &f.model == model)?;
    let f = &followed[index];
    let strings = || {
        op.params
            .iter()
            .filter(|p| p.ty == TypeRef::String && !p.multiple)
    };
    let addresses_existing =
        op.path != f.handle.prefix && op.path.starts_with(&format!("{}/", f.handle.prefix));
    let own = strings().find(|p| p.api_name == f.handle.id_param && !addresses_existing);
    let other_ids: Vec<&ir::Param> = strings()
        .filter(|p| p.api_name.ends_with("Id") && p.api_name != f.handle.id_param)
        .collect();
    let id = own
        .or_else(|| (addresses_existing && other_ids.len() == 1).then(|| other_ids[0]))
        .or_else(|| {
            strings().find(|p| p.api_name == f.key.api_name && p.location != ParamLocation::Path)
        })?;
    let app = strings().find(|p| p.api_name == "app");
    let enters = app.is_some() && entering(api, followed) == Some(index);
    Some(Creator {
        followed: index,
        id,
        app,
        enters,
    })
}

/// `POST /applications/{applicationName}/subscription`: subscribes an
/// application to event sources.
pub fn subscribe_operation(api: &Api) -> Option<&ir::Operation> {
    api.resources
        .values()
        .filter(|r| r.api_name == "applications")
        .flat_map(|r| r.operations.iter())
        .find(|op| op.api_name == "subscribe")
}

/// `externalMedia` when it can make a WebSocket media channel: its
/// `transport` allows `websocket` and its `encapsulation` allows `none`
/// (Asterisk 20.16, 21.11, 22.6 and later), with the parameters the
/// runtime's media creator fills in, by wire name: `app`, `format`,
/// `channelId`, `transport`, `encapsulation` (all queries).
pub fn websocket_media_operation(api: &Api) -> Option<&ir::Operation> {
    let op = api
        .resources
        .values()
        .flat_map(|r| r.operations.iter())
        .find(|op| op.api_name == EXTERNAL_MEDIA_OPERATION && op.method == HttpMethod::Post)?;
    let allows = |param: &str, value: &str| {
        op.params.iter().any(|p| {
            p.api_name == param
                && p.location == ParamLocation::Query
                && matches!(&p.ty, TypeRef::Enum(name) if api.enums.get(name).is_some_and(|e| e.variants.iter().any(|(_, wire)| wire == value)))
        })
    };
    let has = |param: &str| {
        op.params
            .iter()
            .any(|p| p.api_name == param && p.location == ParamLocation::Query)
    };
    (allows("transport", "websocket")
        && allows("encapsulation", "none")
        && ["app", "format", "channelId"].into_iter().all(has))
    .then_some(op)
}

/// The followed resources an application can subscribe to, with their
/// event-source scheme, read from the `eventSource` parameter's
/// description (`channel:{channelId}, bridge:{bridgeId}, …`): a scheme
/// counts when the parameter in its braces is a handle's id.
pub fn event_sources(api: &Api, followed: &[Followed<'_>]) -> Vec<(usize, String)> {
    let Some(description) = subscribe_operation(api)
        .and_then(|op| op.params.iter().find(|p| p.api_name == "eventSource"))
        .and_then(|p| p.description.as_deref())
    else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for (at, _) in description.match_indices(":{") {
        let scheme: String = description[..at]
            .chars()
            .rev()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let Some(param) = description[at + 2..].split('}').next() else {
            continue;
        };
        if let Some(index) = followed.iter().position(|f| f.handle.id_param == param)
            && !scheme.is_empty()
        {
            found.push((index, scheme));
        }
    }
    found
}

/// A ready-made wait of a tracked handle.
pub enum Wait<'a> {
    /// `wait_state(state)`: an event shows the resource in `state` (the
    /// model's required `state` property), read through the message enum's
    /// shared accessor `accessor`.
    State {
        accessor: &'a ir::Property,
        state: &'a ir::Property,
    },
    /// `wait_<member>(id)`: `event` (named `<Member>Entered<Kind>`, such as
    /// `ChannelEnteredBridge`) shows the resource `member` with that id
    /// entering this one.
    Entered {
        event: &'a ir::Model,
        own: &'a ir::Property,
        member: &'a ir::Property,
        member_key: &'a ir::Property,
    },
}

/// The ready-made waits of followed resource `index`.
pub fn waits<'a>(
    api: &'a Api,
    followed: &[Followed<'a>],
    index: usize,
    leaves: &[&'a ir::Model],
    shared: &'a [ir::Property],
) -> Vec<Wait<'a>> {
    let f = &followed[index];
    let mut waits = Vec::new();
    let model = &api.models[&f.model];
    let accessor = shared
        .iter()
        .find(|p| p.ty == TypeRef::Model(f.model.clone()));
    let state = model.properties.iter().find(|p| {
        p.api_name == "state" && p.required && matches!(p.ty, TypeRef::String | TypeRef::Enum(_))
    });
    if let (Some(accessor), Some(state)) = (accessor, state) {
        waits.push(Wait::State { accessor, state });
    }
    let kind_pascal = naming::type_name(f.handle.type_name.trim_end_matches("Handle"));
    for event in leaves {
        let followed_property = |p: &ir::Property| match &p.ty {
            TypeRef::Model(m) => followed.iter().position(|f| &f.model == m),
            _ => None,
        };
        let Some(own) = event
            .properties
            .iter()
            .find(|p| p.required && followed_property(p) == Some(index))
        else {
            continue;
        };
        for member in &event.properties {
            let Some(member_index) = followed_property(member) else {
                continue;
            };
            let member_pascal = naming::type_name(&member.api_name);
            if member_index != index
                && event.api_name == format!("{member_pascal}Entered{kind_pascal}")
            {
                waits.push(Wait::Entered {
                    event,
                    own,
                    member,
                    member_key: followed[member_index].key,
                });
            }
        }
    }
    waits
}

/// `POST /events/claim`: claims an offered channel for an application,
/// when its parameters are the channel's id and the application's name.
pub fn claim_operation(api: &Api) -> Option<(&ir::Operation, &ir::Param, &ir::Param)> {
    let op = api
        .resources
        .values()
        .flat_map(|r| r.operations.iter())
        .find(|op| op.api_name == CLAIM_OPERATION)?;
    let channel = op.params.iter().find(|p| p.api_name == "channelId")?;
    let application = op.params.iter().find(|p| p.api_name == "application")?;
    let others_optional = op
        .params
        .iter()
        .all(|p| !p.required || p.api_name == "channelId" || p.api_name == "application");
    others_optional.then_some((op, channel, application))
}
