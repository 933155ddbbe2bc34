//! The validated, normalised description of one ARI version.
//!
//! Every name exists twice: `name` is the Rust identifier, `api_name` the exact
//! string on the wire. Maps are `BTreeMap`s so that nothing downstream depends
//! on the order in which the input happened to list things.

use std::collections::BTreeMap;

#[derive(Debug, Clone)]
pub struct Api {
    pub meta: Meta,
    /// Keyed by the resource's wire name (`channels`, `deviceStates`).
    pub resources: BTreeMap<String, Resource>,
    /// Keyed by the model's wire id (`Channel`, `CallerID`).
    pub models: BTreeMap<String, Model>,
    /// Closed value sets (`allowableValues` LIST), keyed by Rust type name.
    pub enums: BTreeMap<String, EnumType>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    pub asterisk_version: Option<String>,
    pub api_version: Option<String>,
    pub swagger_version: String,
    /// SHA-256 over every input file: Asterisk has changed the API without
    /// bumping `apiVersion`, so only the content identifies it.
    pub digest: String,
}

#[derive(Debug, Clone)]
pub struct Resource {
    /// Rust module and accessor name (`device_states`).
    pub name: String,
    /// Rust type of the accessor (`DeviceStates`).
    pub type_name: String,
    pub api_name: String,
    pub file: String,
    pub description: Option<String>,
    pub requires_modules: Vec<String>,
    pub operations: Vec<Operation>,
}

#[derive(Debug, Clone)]
pub struct Operation {
    /// Rust method name (`originate_with_id`).
    pub name: String,
    /// Prefix of the builder and error types (`OriginateWithId`).
    pub type_name: String,
    /// The nickname (`originateWithId`).
    pub api_name: String,
    pub method: HttpMethod,
    /// Path template relative to the ARI base, e.g. `/channels/{channelId}`.
    pub path: String,
    pub summary: Option<String>,
    pub notes: Option<String>,
    pub since: Vec<String>,
    pub params: Vec<Param>,
    pub response: TypeRef,
    /// Status code → the reasons Asterisk documents for it.
    pub errors: BTreeMap<u16, Vec<String>>,
    /// `upgrade: websocket`: the event connection rather than a plain request.
    pub websocket: bool,
    /// Where it came from, for diagnostics: `channels.json` `apis[3].operations[0]`.
    pub location: Location,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum HttpMethod {
    Get,
    Post,
    Put,
    Delete,
    Patch,
}

impl HttpMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
            HttpMethod::Put => "PUT",
            HttpMethod::Delete => "DELETE",
            HttpMethod::Patch => "PATCH",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Param {
    pub name: String,
    pub api_name: String,
    pub location: ParamLocation,
    pub ty: TypeRef,
    pub required: bool,
    pub multiple: bool,
    pub default: Option<serde_json::Value>,
    pub description: Option<String>,
    pub minimum: Option<String>,
    pub maximum: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ParamLocation {
    Path,
    Query,
    /// `containers`: the value goes under the parameter's name in the body object.
    BodyField,
    /// `object` or a model: the value is the whole body.
    Body,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum TypeRef {
    String,
    Int,
    Long,
    Double,
    Boolean,
    Date,
    /// Arbitrary JSON.
    Object,
    /// Raw bytes (file downloads).
    Binary,
    /// No content.
    Void,
    /// A model, by wire id.
    Model(String),
    /// A closed value set, by Rust type name (see [`Api::enums`]).
    Enum(String),
    List(Box<TypeRef>),
}

#[derive(Debug, Clone)]
pub struct Model {
    /// Rust type name.
    pub name: String,
    pub api_name: String,
    pub file: String,
    pub description: Option<String>,
    /// Own properties followed by inherited ones, the discriminator left out.
    pub properties: Vec<Property>,
    pub kind: ModelKind,
}

#[derive(Debug, Clone)]
pub enum ModelKind {
    /// A plain object.
    Struct,
    /// A base with `subTypes`: becomes an enum dispatched on the discriminator.
    Polymorphic(Polymorphic),
}

#[derive(Debug, Clone)]
pub struct Polymorphic {
    /// Wire name of the discriminator property (`type`).
    pub discriminator: String,
    /// Concrete descendants, by wire id, flattened through intermediate bases.
    pub leaves: Vec<String>,
    /// The variant carrying unrecognised messages (`UnknownMessage`).
    pub unknown_type_name: String,
    /// The catch-all variant's name: `Unknown`, unless a known type is
    /// called that (see [`crate::surface::UNKNOWN_VARIANT`]).
    pub unknown_variant: String,
    /// Properties that some leaf inherits from this base or from a base
    /// between it and the leaf: reachable on every variant.
    pub common: Vec<Property>,
    /// Properties that several leaves declare with the same type (`channel`,
    /// `bridge`, `playback`): reachable on every variant, `None` where absent.
    pub shared: Vec<Property>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Property {
    pub name: String,
    pub api_name: String,
    pub ty: TypeRef,
    pub required: bool,
    pub description: Option<String>,
    /// A direct reference to a struct model that leads back to the owner
    /// (itself included): stored boxed, or the type would have no size.
    pub boxed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnumType {
    pub name: String,
    pub description: String,
    /// (Rust variant, wire value), in the order Asterisk lists them.
    pub variants: Vec<(String, String)>,
    /// The variant that carries values this version did not list.
    pub other_variant: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: String,
    pub path: String,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.file, self.path)
    }
}
