//! What changed in ARI between two api-docs sets, and what it breaks for a
//! user of the generated crate.
//!
//! Both sides go through [`normalize`](crate::normalize::normalize) and the
//! comparison runs on the [`ir`](crate::ir::Api), not on the JSON text: a
//! reordered file or a reworded description is no change, a parameter that
//! became required is. Every change carries its wire names and the Rust item
//! the generated bindings expose for it ([`RustItem`]), so one diff can be
//! shown to someone reading the ARI documentation or to someone holding the
//! Rust API ([`render::View`]).
//!
//! The diff reports what the two inputs contain and nothing else. Asterisk
//! release tags are not chronological (fixes are backported to several
//! branches) and the `since` notes in the api-docs are sometimes wrong, so
//! "old" and "new" are simply the first and second argument.
//!
//! # JSON schema (`schema_version` 1)
//!
//! [`ApiDiff`] serializes as
//!
//! ```json
//! {
//!   "schema_version": 1,
//!   "old": { "label": "21.12.3", "asterisk_version": null, "api_version": "9.0.0", "digest": "…" },
//!   "new": { "label": "22.10.1", "asterisk_version": null, "api_version": "10.0.0", "digest": "…" },
//!   "summary": { "total": 29, "added": 29, "removed": 0, "changed": 0, "breaking": 0 },
//!   "changes": [
//!     {
//!       "kind": "parameter_added",
//!       "section": "operations",
//!       "effect": "added",
//!       "breaking": false,
//!       "reason": "a new optional parameter is a new builder method",
//!       "resource": "channels",
//!       "operation": "externalMedia",
//!       "parameter": "transport_data",
//!       "new": "string",
//!       "rust": {
//!         "kind": "builder_method",
//!         "item": "client.channels().external_media(…).transport_data(…)",
//!         "new": "impl AsRef<str>"
//!       }
//!     }
//!   ]
//! }
//! ```
//!
//! Every change has `kind` (one of [`ChangeKind`], snake_case), `section`
//! (`operations`, `models`, `enums`, `events`), `effect` (`added`, `removed`,
//! `changed`), `breaking`, `reason`, `rust.kind` (one of [`RustKind`],
//! snake_case) and `rust.item`. The locating fields `resource`, `operation`,
//! `parameter`, `status`, `model` (for events: `Message` or `Event`),
//! `property`, `enum`, `event`, `value`, the values `old`/`new` (wire view),
//! `rust.old`/`rust.new` (bindings view) and `rust.argument` (the name of an
//! argument, for `rust.kind` `argument`) appear only where they apply. Names
//! are wire names except `enum`, which the api-docs do not name: it is the
//! Rust type the bindings give the value set. Changes are sorted by section,
//! then by the names locating them. Fields may be added in later versions of
//! schema 1; removing or renaming one bumps `schema_version`.

pub mod cli;
pub mod matrix;
pub mod render;

use crate::error::Result;
use crate::ir::{self, Api, ModelKind, ParamLocation, TypeRef};
use crate::load::{ApiDocs, Remote};
use crate::surface;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Version of the JSON output; bumped when a field is removed or changes meaning.
pub const SCHEMA_VERSION: u32 = 1;

/// One side of a comparison: validated api-docs and what to call them.
#[derive(Debug, Clone)]
pub struct Input {
    /// The Asterisk version the api-docs record (`ASTERISK_VERSION`, or the
    /// live server's), else the folder name, else the source as given.
    pub label: String,
    pub api: Api,
}

impl Input {
    /// Loads a folder or a live URL and validates it as the generator does.
    pub fn load(source: &str, remote: &Remote) -> Result<Self> {
        let docs = ApiDocs::load(source, remote)?;
        Self::from_docs(&docs)
    }

    pub fn from_docs(docs: &ApiDocs) -> Result<Self> {
        let api = crate::normalize::normalize(docs)?;
        Ok(Input {
            label: label_of(docs),
            api,
        })
    }
}

fn label_of(docs: &ApiDocs) -> String {
    if let Some(version) = &docs.asterisk_version {
        return version.clone();
    }
    let is_url = docs.origin.starts_with("http://") || docs.origin.starts_with("https://");
    if !is_url
        && let Some(name) = std::path::Path::new(&docs.origin).file_name()
        && let Some(name) = name.to_str()
    {
        return name.to_owned();
    }
    docs.origin.clone()
}

/// The result of comparing two inputs. See the module docs for its JSON form.
#[derive(Debug, Clone, Serialize)]
pub struct ApiDiff {
    pub schema_version: u32,
    pub old: Side,
    pub new: Side,
    pub summary: Counts,
    pub changes: Vec<Change>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Side {
    pub label: String,
    pub asterisk_version: Option<String>,
    pub api_version: Option<String>,
    /// SHA-256 of the api-docs, as in the generated `API_DOCS_DIGEST`.
    pub digest: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub total: usize,
    pub added: usize,
    pub removed: usize,
    pub changed: usize,
    pub breaking: usize,
}

impl ApiDiff {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    pub fn breaking(&self) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(|c| c.breaking)
    }
}

/// Where a change is shown; also the first sort key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Section {
    /// Resources, operations, their parameters, responses and error statuses.
    Operations,
    Models,
    /// Closed value sets (`allowableValues`), named as the bindings name them.
    Enums,
    /// The concrete message types of polymorphic models (`Message`, `Event`).
    Events,
}

impl Section {
    pub fn title(self) -> &'static str {
        match self {
            Section::Operations => "Resources and operations",
            Section::Models => "Models",
            Section::Enums => "Enums",
            Section::Events => "Events",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    Added,
    Removed,
    Changed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    ResourceAdded,
    ResourceRemoved,
    OperationAdded,
    OperationRemoved,
    /// HTTP method or path template.
    OperationRouteChanged,
    OperationResponseChanged,
    ParameterAdded,
    ParameterRemoved,
    ParameterRequiredChanged,
    /// Type, including `allowMultiple` and a different enum.
    ParameterTypeChanged,
    /// Path, query or body.
    ParameterLocationChanged,
    ErrorAdded,
    ErrorRemoved,
    ModelAdded,
    ModelRemoved,
    /// Plain object ↔ polymorphic (`subTypes`).
    ModelKindChanged,
    PropertyAdded,
    PropertyRemoved,
    PropertyRequiredChanged,
    PropertyTypeChanged,
    EnumAdded,
    EnumRemoved,
    EnumValueAdded,
    EnumValueRemoved,
    EventAdded,
    EventRemoved,
}

impl ChangeKind {
    pub fn section(self) -> Section {
        use ChangeKind::*;
        match self {
            ResourceAdded
            | ResourceRemoved
            | OperationAdded
            | OperationRemoved
            | OperationRouteChanged
            | OperationResponseChanged
            | ParameterAdded
            | ParameterRemoved
            | ParameterRequiredChanged
            | ParameterTypeChanged
            | ParameterLocationChanged
            | ErrorAdded
            | ErrorRemoved => Section::Operations,
            ModelAdded
            | ModelRemoved
            | ModelKindChanged
            | PropertyAdded
            | PropertyRemoved
            | PropertyRequiredChanged
            | PropertyTypeChanged => Section::Models,
            EnumAdded | EnumRemoved | EnumValueAdded | EnumValueRemoved => Section::Enums,
            EventAdded | EventRemoved => Section::Events,
        }
    }

    pub fn effect(self) -> Effect {
        use ChangeKind::*;
        match self {
            ResourceAdded | OperationAdded | ParameterAdded | ErrorAdded | ModelAdded
            | PropertyAdded | EnumAdded | EnumValueAdded | EventAdded => Effect::Added,
            ResourceRemoved | OperationRemoved | ParameterRemoved | ErrorRemoved | ModelRemoved
            | PropertyRemoved | EnumRemoved | EnumValueRemoved | EventRemoved => Effect::Removed,
            OperationRouteChanged
            | OperationResponseChanged
            | ParameterRequiredChanged
            | ParameterTypeChanged
            | ParameterLocationChanged
            | ModelKindChanged
            | PropertyRequiredChanged
            | PropertyTypeChanged => Effect::Changed,
        }
    }
}

/// One difference, located by wire names, with the Rust item it touches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub kind: ChangeKind,
    pub section: Section,
    pub effect: Effect,
    /// Whether code written against the old bindings may stop compiling or
    /// stop working against the new ones.
    pub breaking: bool,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// The operation's nickname.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameter: Option<String>,
    /// An error response's HTTP status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// The model; for events, the polymorphic model listing them (`Message`, `Event`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub property: Option<String>,
    /// The Rust name of a value set: the api-docs do not name them.
    #[serde(rename = "enum", skip_serializing_if = "Option::is_none")]
    pub enum_name: Option<String>,
    /// The concrete message type (its model id, the `type` on the wire).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// An enum's wire value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Before, as the api-docs put it (a type, `required`, a route).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<String>,
    pub rust: RustItem,
}

/// The change as the generated crate shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RustItem {
    pub kind: RustKind,
    /// `client.channels().external_media(…).transport_data(…)`, `models::Channel::tenantid`;
    /// for an argument, the method call it belongs to.
    pub item: String,
    /// For an argument: its name in the call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub argument: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<String>,
}

/// What sort of Rust item a change touches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RustKind {
    /// `client.channels()`.
    Accessor,
    /// `client.channels().originate(…)`.
    Method,
    /// A required parameter: an argument of the method.
    Argument,
    /// An optional parameter: a method of the request builder.
    BuilderMethod,
    /// A variant of an operation's error enum.
    ErrorVariant,
    /// A struct or enum in `models`.
    Type,
    /// A struct field.
    Field,
    /// A common property of a polymorphic model: an accessor method on its enum.
    CommonAccessor,
    /// A variant of a value-set enum or of a message enum.
    Variant,
}

impl RustKind {
    pub fn noun(self) -> &'static str {
        match self {
            RustKind::Accessor => "accessor",
            RustKind::Method => "method",
            RustKind::Argument => "argument",
            RustKind::BuilderMethod => "builder method",
            RustKind::ErrorVariant => "error variant",
            RustKind::Type => "type",
            RustKind::Field => "field",
            RustKind::CommonAccessor => "accessor",
            RustKind::Variant => "variant",
        }
    }
}

impl Change {
    fn new(
        kind: ChangeKind,
        breaking: bool,
        reason: impl Into<String>,
        (rust_kind, item): (RustKind, String),
    ) -> Self {
        Change {
            kind,
            section: kind.section(),
            effect: kind.effect(),
            breaking,
            reason: reason.into(),
            resource: None,
            operation: None,
            parameter: None,
            status: None,
            model: None,
            property: None,
            enum_name: None,
            event: None,
            value: None,
            old: None,
            new: None,
            rust: RustItem {
                kind: rust_kind,
                item,
                argument: None,
                old: None,
                new: None,
            },
        }
    }

    fn in_operation(mut self, resource: &str, operation: &str) -> Self {
        self.resource = Some(resource.to_owned());
        self.operation = Some(operation.to_owned());
        self
    }

    fn argument_of(mut self, param: &ir::Param) -> Self {
        if self.rust.kind == RustKind::Argument {
            self.rust.argument = Some(param.name.clone());
        }
        self
    }

    fn values(mut self, old: Option<String>, new: Option<String>) -> Self {
        self.old = old;
        self.new = new;
        self
    }

    fn rust_values(mut self, old: Option<String>, new: Option<String>) -> Self {
        self.rust.old = old;
        self.rust.new = new;
        self
    }

    /// The sort key after the section: the locating names, then the kind.
    fn sort_key(&self) -> impl Ord + '_ {
        (
            self.section,
            (
                self.resource.as_deref(),
                self.operation.as_deref(),
                self.model.as_deref(),
                self.enum_name.as_deref(),
            ),
            (
                self.parameter.as_deref(),
                self.property.as_deref(),
                self.status,
                self.event.as_deref(),
                self.value.as_deref(),
            ),
            self.kind,
        )
    }
}

/// Compares two validated api-docs sets.
pub fn diff(old: &Input, new: &Input) -> ApiDiff {
    let mut compare = Compare {
        old: &old.api,
        new: &new.api,
        changes: Vec::new(),
    };
    compare.resources();
    compare.models();
    compare.enums();
    compare.events();
    let mut changes = compare.changes;
    changes.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    let mut summary = Counts {
        total: changes.len(),
        ..Counts::default()
    };
    for change in &changes {
        match change.effect {
            Effect::Added => summary.added += 1,
            Effect::Removed => summary.removed += 1,
            Effect::Changed => summary.changed += 1,
        }
        summary.breaking += usize::from(change.breaking);
    }
    ApiDiff {
        schema_version: SCHEMA_VERSION,
        old: side(old),
        new: side(new),
        summary,
        changes,
    }
}

fn side(input: &Input) -> Side {
    Side {
        label: input.label.clone(),
        asterisk_version: input.api.meta.asterisk_version.clone(),
        api_version: input.api.meta.api_version.clone(),
        digest: input.api.meta.digest.clone(),
    }
}

/// Keys present on one side only, and on both, each in sorted order.
struct Split<'a, K, V> {
    removed: Vec<(&'a K, &'a V)>,
    added: Vec<(&'a K, &'a V)>,
    kept: Vec<(&'a K, &'a V, &'a V)>,
}

fn split<'a, K: Ord, V>(old: &'a BTreeMap<K, V>, new: &'a BTreeMap<K, V>) -> Split<'a, K, V> {
    let mut result = Split {
        removed: Vec::new(),
        added: Vec::new(),
        kept: Vec::new(),
    };
    for (key, old_value) in old {
        match new.get(key) {
            Some(new_value) => result.kept.push((key, old_value, new_value)),
            None => result.removed.push((key, old_value)),
        }
    }
    for (key, new_value) in new {
        if !old.contains_key(key) {
            result.added.push((key, new_value));
        }
    }
    result
}

struct Compare<'a> {
    old: &'a Api,
    new: &'a Api,
    changes: Vec<Change>,
}

impl Compare<'_> {
    fn push(&mut self, change: Change) {
        self.changes.push(change);
    }

    fn resources(&mut self) {
        let sides = split(&self.old.resources, &self.new.resources);
        for (api_name, resource) in sides.removed {
            let mut change = Change::new(
                ChangeKind::ResourceRemoved,
                true,
                "the accessor and every operation under it are gone",
                (RustKind::Accessor, format!("client.{}()", resource.name)),
            );
            change.resource = Some(api_name.clone());
            self.push(change);
        }
        for (api_name, resource) in sides.added {
            let mut change = Change::new(
                ChangeKind::ResourceAdded,
                false,
                "a new accessor on the client",
                (RustKind::Accessor, format!("client.{}()", resource.name)),
            );
            change.resource = Some(api_name.clone());
            self.push(change);
        }
        for (api_name, old, new) in sides.kept {
            self.operations(api_name, old, new);
        }
    }

    fn operations(&mut self, resource: &str, old: &ir::Resource, new: &ir::Resource) {
        let by_nickname = |r: &ir::Resource| -> BTreeMap<String, ir::Operation> {
            r.operations
                .iter()
                .map(|op| (op.api_name.clone(), op.clone()))
                .collect()
        };
        let (old_ops, new_ops) = (by_nickname(old), by_nickname(new));
        let sides = split(&old_ops, &new_ops);
        for (_, op) in sides.removed {
            let change = Change::new(
                ChangeKind::OperationRemoved,
                true,
                "calls to the method no longer compile",
                (RustKind::Method, surface::entry_call(old, op)),
            )
            .in_operation(resource, &op.api_name)
            .values(Some(route(op)), None);
            self.push(change);
        }
        for (_, op) in sides.added {
            let change = Change::new(
                ChangeKind::OperationAdded,
                false,
                "a new method",
                (RustKind::Method, surface::entry_call(new, op)),
            )
            .in_operation(resource, &op.api_name)
            .values(None, Some(route(op)));
            self.push(change);
        }
        for (_, old_op, new_op) in sides.kept {
            self.operation(resource, new, old_op, new_op);
        }
    }

    fn operation(
        &mut self,
        resource: &str,
        new_resource: &ir::Resource,
        old: &ir::Operation,
        new: &ir::Operation,
    ) {
        let call = surface::entry_call(new_resource, new);
        let nickname = new.api_name.as_str();
        if route(old) != route(new) {
            let change = Change::new(
                ChangeKind::OperationRouteChanged,
                false,
                "the bindings send the request to the new route; calling code is unchanged",
                (RustKind::Method, call.clone()),
            )
            .in_operation(resource, nickname)
            .values(Some(route(old)), Some(route(new)));
            self.push(change);
        }
        if old.response != new.response || old.websocket != new.websocket {
            let change = Change::new(
                ChangeKind::OperationResponseChanged,
                true,
                "`send()` returns a different type",
                (RustKind::Method, call.clone()),
            )
            .in_operation(resource, nickname)
            .values(
                Some(wire_type(self.old, &old.response)),
                Some(wire_type(self.new, &new.response)),
            )
            .rust_values(
                Some(surface::decoded(self.old, &old.response).spelled()),
                Some(surface::decoded(self.new, &new.response).spelled()),
            );
            self.push(change);
        }
        self.parameters(resource, new_resource, old, new);
        let sides = split(&old.errors, &new.errors);
        let error_type = format!("{}::{}", new_resource.name, surface::error_name(new));
        for (status, _) in sides.removed {
            let mut change = Change::new(
                ChangeKind::ErrorRemoved,
                true,
                "the error variant is gone: code matching it no longer compiles",
                (
                    RustKind::ErrorVariant,
                    format!("{error_type}::{}", crate::naming::status_variant(*status)),
                ),
            )
            .in_operation(resource, nickname);
            change.status = Some(*status);
            self.push(change);
        }
        for (status, reasons) in sides.added {
            let mut change = Change::new(
                ChangeKind::ErrorAdded,
                false,
                "a new variant of a `#[non_exhaustive]` error enum; the status used to arrive as `UnexpectedStatus`",
                (
                    RustKind::ErrorVariant,
                    format!("{error_type}::{}", crate::naming::status_variant(*status)),
                ),
            )
            .in_operation(resource, nickname)
            .values(None, Some(reasons.join("; ")).filter(|r| !r.is_empty()));
            change.status = Some(*status);
            self.push(change);
        }
    }

    fn parameters(
        &mut self,
        resource: &str,
        new_resource: &ir::Resource,
        old: &ir::Operation,
        new: &ir::Operation,
    ) {
        let (old_params, new_params) = (params_by_wire_name(old), params_by_wire_name(new));
        let sides = split(&old_params, &new_params);
        let old_call = surface::entry_call(new_resource, old);
        let new_call = surface::entry_call(new_resource, new);
        for (key, param) in sides.removed {
            let reason = if param.required {
                "an argument of the method disappears"
            } else {
                "a builder method disappears"
            };
            let mut change = Change::new(
                ChangeKind::ParameterRemoved,
                true,
                reason,
                param_item(&old_call, param),
            )
            .in_operation(resource, &new.api_name)
            .argument_of(param)
            .values(Some(param_wire_type(self.old, param)), None)
            .rust_values(Some(surface::argument(self.old, param).spelled()), None);
            change.parameter = Some(key.clone());
            self.push(change);
        }
        for (key, param) in sides.added {
            let (breaking, reason) = if param.required {
                (
                    true,
                    "a new required parameter is a new argument of the method",
                )
            } else {
                (false, "a new optional parameter is a new builder method")
            };
            let mut change = Change::new(
                ChangeKind::ParameterAdded,
                breaking,
                reason,
                param_item(&new_call, param),
            )
            .in_operation(resource, &new.api_name)
            .argument_of(param)
            .values(None, Some(param_wire_type(self.new, param)))
            .rust_values(None, Some(surface::argument(self.new, param).spelled()));
            change.parameter = Some(key.clone());
            self.push(change);
        }
        for (key, old_param, new_param) in sides.kept {
            let located = |change: Change| -> Change {
                let mut change = change
                    .in_operation(resource, &new.api_name)
                    .argument_of(new_param);
                change.parameter = Some(key.clone());
                change
            };
            if old_param.required != new_param.required {
                let reason = if new_param.required {
                    "an optional parameter became required: the builder method becomes an argument of the method"
                } else {
                    "a required parameter became optional: the argument disappears and becomes a builder method"
                };
                let change = Change::new(
                    ChangeKind::ParameterRequiredChanged,
                    true,
                    reason,
                    param_item(&new_call, new_param),
                )
                .values(
                    Some(required_word(old_param.required)),
                    Some(required_word(new_param.required)),
                )
                .rust_values(
                    Some(param_display(&old_call, old_param)),
                    Some(param_display(&new_call, new_param)),
                );
                self.push(located(change));
            }
            if old_param.ty != new_param.ty || old_param.multiple != new_param.multiple {
                let old_wire = param_wire_type(self.old, old_param);
                let new_wire = param_wire_type(self.new, new_param);
                let reason = if old_wire == new_wire {
                    "the wire type is the same, but the bindings give it a different Rust type"
                } else {
                    "the argument takes a different type"
                };
                let change = Change::new(
                    ChangeKind::ParameterTypeChanged,
                    true,
                    reason,
                    param_item(&new_call, new_param),
                )
                .values(Some(old_wire), Some(new_wire))
                .rust_values(
                    Some(surface::argument(self.old, old_param).spelled()),
                    Some(surface::argument(self.new, new_param).spelled()),
                );
                self.push(located(change));
            }
            if old_param.location != new_param.location {
                let change = Change::new(
                    ChangeKind::ParameterLocationChanged,
                    false,
                    "the bindings put the value where Asterisk now expects it; calling code is unchanged",
                    param_item(&new_call, new_param),
                )
                .values(
                    Some(location_word(old_param.location).to_owned()),
                    Some(location_word(new_param.location).to_owned()),
                );
                self.push(located(change));
            }
        }
    }

    fn models(&mut self) {
        let sides = split(&self.old.models, &self.new.models);
        for (id, model) in sides.removed {
            let mut change = Change::new(
                ChangeKind::ModelRemoved,
                true,
                "the type is gone",
                (RustKind::Type, format!("models::{}", model.name)),
            );
            change.model = Some(id.clone());
            self.push(change);
        }
        for (id, model) in sides.added {
            let mut change = Change::new(
                ChangeKind::ModelAdded,
                false,
                "a new type",
                (RustKind::Type, format!("models::{}", model.name)),
            );
            change.model = Some(id.clone());
            self.push(change);
        }
        for (id, old, new) in sides.kept {
            let is_polymorphic = |m: &ir::Model| matches!(m.kind, ModelKind::Polymorphic(_));
            if is_polymorphic(old) != is_polymorphic(new) {
                let describe = |m: &ir::Model| {
                    if is_polymorphic(m) {
                        "enum over its subtypes".to_owned()
                    } else {
                        "struct".to_owned()
                    }
                };
                let mut change = Change::new(
                    ChangeKind::ModelKindChanged,
                    true,
                    "the type changes between a struct and an enum over subtypes",
                    (RustKind::Type, format!("models::{}", new.name)),
                )
                .values(Some(describe(old)), Some(describe(new)));
                change.model = Some(id.clone());
                self.push(change);
            }
            self.properties(id, old, new);
        }
    }

    fn properties(&mut self, id: &str, old: &ir::Model, new: &ir::Model) {
        let by_wire = |m: &ir::Model| -> BTreeMap<String, ir::Property> {
            m.properties
                .iter()
                .map(|p| (p.api_name.clone(), p.clone()))
                .collect()
        };
        let (old_props, new_props) = (by_wire(old), by_wire(new));
        let sides = split(&old_props, &new_props);
        let located = |change: Change, property: &str| -> Change {
            let mut change = change;
            change.model = Some(id.to_owned());
            change.property = Some(property.to_owned());
            change
        };
        for (key, prop) in sides.removed {
            let change = Change::new(
                ChangeKind::PropertyRemoved,
                true,
                "the field is gone: code reading it no longer compiles",
                field_item(old, prop),
            )
            .values(Some(property_wire_type(self.old, prop)), None)
            .rust_values(Some(surface::property(self.old, prop).spelled()), None);
            self.push(located(change, key));
        }
        for (key, prop) in sides.added {
            let (breaking, reason) = if prop.required {
                (
                    true,
                    "a new required field: struct literals need a value, and the same object from an Asterisk without it no longer decodes",
                )
            } else {
                (
                    false,
                    "a new `Option` field: reading code is unaffected (struct literals, rare for models Asterisk sends, need `field: None`)",
                )
            };
            let change = Change::new(
                ChangeKind::PropertyAdded,
                breaking,
                reason,
                field_item(new, prop),
            )
            .values(None, Some(property_wire_type(self.new, prop)))
            .rust_values(None, Some(surface::property(self.new, prop).spelled()));
            self.push(located(change, key));
        }
        for (key, old_prop, new_prop) in sides.kept {
            if old_prop.required != new_prop.required {
                let reason = if new_prop.required {
                    "the field loses its `Option`"
                } else {
                    "the field becomes an `Option`"
                };
                let change = Change::new(
                    ChangeKind::PropertyRequiredChanged,
                    true,
                    reason,
                    field_item(new, new_prop),
                )
                .values(
                    Some(required_word(old_prop.required)),
                    Some(required_word(new_prop.required)),
                )
                .rust_values(
                    Some(surface::property(self.old, old_prop).spelled()),
                    Some(surface::property(self.new, new_prop).spelled()),
                );
                self.push(located(change, key));
            }
            // Boxing changes the Rust type when a new model closes a cycle.
            if old_prop.ty != new_prop.ty || old_prop.boxed != new_prop.boxed {
                let old_wire = wire_type(self.old, &old_prop.ty);
                let new_wire = wire_type(self.new, &new_prop.ty);
                let reason = if old_wire == new_wire {
                    "the wire type is the same, but the bindings give it a different Rust type"
                } else {
                    "the field has a different type"
                };
                let change = Change::new(
                    ChangeKind::PropertyTypeChanged,
                    true,
                    reason,
                    field_item(new, new_prop),
                )
                .values(Some(old_wire), Some(new_wire))
                .rust_values(
                    Some(surface::property(self.old, old_prop).spelled()),
                    Some(surface::property(self.new, new_prop).spelled()),
                );
                self.push(located(change, key));
            }
        }
    }

    fn enums(&mut self) {
        let sides = split(&self.old.enums, &self.new.enums);
        for (name, e) in sides.removed {
            let mut change = Change::new(
                ChangeKind::EnumRemoved,
                true,
                "the type is gone",
                (RustKind::Type, format!("models::{name}")),
            )
            .values(Some(enum_values(e)), None);
            change.enum_name = Some(name.clone());
            self.push(change);
        }
        for (name, e) in sides.added {
            let mut change = Change::new(
                ChangeKind::EnumAdded,
                false,
                "a new type",
                (RustKind::Type, format!("models::{name}")),
            )
            .values(None, Some(enum_values(e)));
            change.enum_name = Some(name.clone());
            self.push(change);
        }
        for (name, old, new) in sides.kept {
            let wire_to_variant = |e: &ir::EnumType| -> BTreeMap<String, String> {
                e.variants
                    .iter()
                    .map(|(variant, wire)| (wire.clone(), variant.clone()))
                    .collect()
            };
            let (old_values, new_values) = (wire_to_variant(old), wire_to_variant(new));
            let values = split(&old_values, &new_values);
            for (wire, variant) in values.removed {
                let mut change = Change::new(
                    ChangeKind::EnumValueRemoved,
                    true,
                    format!(
                        "the variant is gone (the value would now arrive as `{}`)",
                        new.other_variant
                    ),
                    (RustKind::Variant, format!("models::{name}::{variant}")),
                );
                change.enum_name = Some(name.clone());
                change.value = Some(wire.clone());
                self.push(change);
            }
            for (wire, variant) in values.added {
                let mut change = Change::new(
                    ChangeKind::EnumValueAdded,
                    false,
                    format!(
                        "enums are `#[non_exhaustive]` and open: the value used to arrive as `{}`",
                        old.other_variant
                    ),
                    (RustKind::Variant, format!("models::{name}::{variant}")),
                );
                change.enum_name = Some(name.clone());
                change.value = Some(wire.clone());
                self.push(change);
            }
        }
    }

    fn events(&mut self) {
        let leaves = |api: &Api| -> BTreeMap<String, BTreeSet<String>> {
            api.models
                .iter()
                .filter_map(|(id, m)| match &m.kind {
                    ModelKind::Polymorphic(p) => {
                        Some((id.clone(), p.leaves.iter().cloned().collect()))
                    }
                    ModelKind::Struct => None,
                })
                .collect()
        };
        let (old_bases, new_bases) = (leaves(self.old), leaves(self.new));
        let empty = BTreeSet::new();
        let bases: BTreeSet<&String> = old_bases.keys().chain(new_bases.keys()).collect();
        for base in bases {
            let old_leaves = old_bases.get(base).unwrap_or(&empty);
            let new_leaves = new_bases.get(base).unwrap_or(&empty);
            let rust_base = |api: &Api| api.models.get(base).map(|m| m.name.clone());
            let base_name = rust_base(self.new)
                .or_else(|| rust_base(self.old))
                .unwrap_or_else(|| base.clone());
            for leaf in old_leaves.difference(new_leaves) {
                let mut change = Change::new(
                    ChangeKind::EventRemoved,
                    true,
                    "the variant is gone: code matching it no longer compiles (the type would arrive as `Unknown`)",
                    (
                        RustKind::Variant,
                        format!(
                            "models::{base_name}::{}",
                            surface::model_name(self.old, leaf)
                        ),
                    ),
                );
                change.model = Some(base.clone());
                change.event = Some(leaf.clone());
                self.push(change);
            }
            for leaf in new_leaves.difference(old_leaves) {
                let mut change = Change::new(
                    ChangeKind::EventAdded,
                    false,
                    "a new variant of a `#[non_exhaustive]` enum; the type used to arrive as `Unknown`",
                    (
                        RustKind::Variant,
                        format!(
                            "models::{base_name}::{}",
                            surface::model_name(self.new, leaf)
                        ),
                    ),
                );
                change.model = Some(base.clone());
                change.event = Some(leaf.clone());
                self.push(change);
            }
        }
    }
}

/// Parameters by wire name. The same name may appear once per location
/// (`paramType`); the later ones get the location appended so none is lost.
fn params_by_wire_name(op: &ir::Operation) -> BTreeMap<String, ir::Param> {
    let mut out = BTreeMap::new();
    for param in &op.params {
        let key = if out.contains_key(&param.api_name) {
            format!("{} ({})", param.api_name, location_word(param.location))
        } else {
            param.api_name.clone()
        };
        out.insert(key, param.clone());
    }
    out
}

fn route(op: &ir::Operation) -> String {
    format!("{} {}", op.method.as_str(), op.path)
}

fn required_word(required: bool) -> String {
    if required { "required" } else { "optional" }.to_owned()
}

fn location_word(location: ParamLocation) -> &'static str {
    match location {
        ParamLocation::Path => "path",
        ParamLocation::Query => "query",
        ParamLocation::BodyField => "body field",
        ParamLocation::Body => "body",
    }
}

/// A required parameter is an argument of the call; an optional one a
/// builder method after it.
fn param_item(call: &str, param: &ir::Param) -> (RustKind, String) {
    if param.required {
        (RustKind::Argument, call.to_owned())
    } else {
        // The argument list is the last parenthesis: arguments are bare names.
        let head = call.rfind('(').map_or(call, |open| &call[..open]);
        (
            RustKind::BuilderMethod,
            format!("{head}(…).{}(…)", param.name),
        )
    }
}

/// The parameter in one line: `argument endpoint of client.…` or the builder call.
fn param_display(call: &str, param: &ir::Param) -> String {
    match param_item(call, param) {
        (RustKind::Argument, call) => format!("argument {} of {call}", param.name),
        (_, item) => item,
    }
}

/// Struct fields are fields; a polymorphic model's are accessors on the enum.
fn field_item(model: &ir::Model, prop: &ir::Property) -> (RustKind, String) {
    match model.kind {
        ModelKind::Struct => (
            RustKind::Field,
            format!("models::{}::{}", model.name, prop.name),
        ),
        ModelKind::Polymorphic(_) => (
            RustKind::CommonAccessor,
            format!("models::{}::{}()", model.name, prop.name),
        ),
    }
}

/// The swagger spelling of a type; an enum as its wire values.
fn wire_type(api: &Api, ty: &TypeRef) -> String {
    match ty {
        TypeRef::String => "string".to_owned(),
        TypeRef::Int => "int".to_owned(),
        TypeRef::Long => "long".to_owned(),
        TypeRef::Double => "double".to_owned(),
        TypeRef::Boolean => "boolean".to_owned(),
        TypeRef::Date => "Date".to_owned(),
        TypeRef::Object => "object".to_owned(),
        TypeRef::Binary => "binary".to_owned(),
        TypeRef::Void => "void".to_owned(),
        TypeRef::Model(id) => id.clone(),
        TypeRef::Enum(name) => match api.enums.get(name) {
            Some(e) => format!("string ({})", enum_values(e)),
            None => format!("string ({name})"),
        },
        TypeRef::List(inner) => format!("List[{}]", wire_type(api, inner)),
    }
}

fn enum_values(e: &ir::EnumType) -> String {
    let values: Vec<&str> = e.variants.iter().map(|(_, wire)| wire.as_str()).collect();
    format!("one of {}", values.join(", "))
}

fn param_wire_type(api: &Api, param: &ir::Param) -> String {
    let ty = wire_type(api, &param.ty);
    if param.multiple {
        format!("{ty}, allowMultiple")
    } else {
        ty
    }
}

fn property_wire_type(api: &Api, prop: &ir::Property) -> String {
    let ty = wire_type(api, &prop.ty);
    if prop.required {
        format!("{ty}, required")
    } else {
        ty
    }
}
