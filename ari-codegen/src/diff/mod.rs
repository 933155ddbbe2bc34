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

mod enums;
mod events;
mod models;
mod operations;
mod spelling;

use crate::error::Result;
use crate::ir::{self, Api};
use crate::load::{ApiDocs, Remote};
use serde::Serialize;
use std::collections::BTreeMap;

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
}
