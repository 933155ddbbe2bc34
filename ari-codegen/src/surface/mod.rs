//! The Rust shape of the bindings, decided once: how each api-docs type is
//! spelled, which parameters are a method's arguments and in what order, and
//! the names of builders, error enums, entry calls and what the message enums
//! reserve. [`emit`](crate::emit) writes this shape; [`diff`](crate::diff)
//! reports how it changes between two versions. Neither computes any of it.

mod calls;

pub use calls::*;

use crate::ir::{self, Api, ParamLocation, TypeRef};
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

/// A type as the generated crate spells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RustType {
    /// A type of the runtime crate (`CompactString`, `Timestamp`).
    Runtime(&'static str),
    /// A primitive, or a path every generated crate depends on
    /// (`serde_json::Value`, `bytes::Bytes`).
    Plain(&'static str),
    /// A model or an enum of the crate's `models`.
    Model(String),
    /// `Vec<T>`.
    Vec(Box<RustType>),
    /// `Option<T>`.
    Option(Box<RustType>),
    /// `Box<T>`: a property that closes a cycle of models held by value.
    Boxed(Box<RustType>),
    /// `&[T]`: an `allowMultiple` argument.
    Slice(Box<RustType>),
    /// `impl AsRef<str>`: any string, a model's id included.
    ImplAsRefStr,
    /// `impl Into<T>`.
    ImplInto(Box<RustType>),
}

impl RustType {
    /// As a user of the crate reads it, from the crate root
    /// (`runtime::CompactString`, `Option<models::Channel>`).
    pub fn spelled(&self) -> String {
        match self {
            RustType::Runtime(name) => format!("runtime::{name}"),
            RustType::Plain(name) => (*name).to_owned(),
            RustType::Model(name) => format!("models::{name}"),
            RustType::Vec(inner) => format!("Vec<{}>", inner.spelled()),
            RustType::Option(inner) => format!("Option<{}>", inner.spelled()),
            RustType::Boxed(inner) => format!("Box<{}>", inner.spelled()),
            RustType::Slice(inner) => format!("&[{}]", inner.spelled()),
            RustType::ImplAsRefStr => "impl AsRef<str>".to_owned(),
            RustType::ImplInto(inner) => format!("impl Into<{}>", inner.spelled()),
        }
    }

    /// As the generated code writes it in the crate's modules: the runtime
    /// by its absolute path, models through `super::models`.
    pub fn tokens(&self) -> TokenStream {
        match self {
            RustType::Runtime(name) => {
                let name = ident(name);
                quote! { ::ari_runtime::#name }
            }
            RustType::Plain(path) => {
                let segments = path.split("::").map(ident);
                match *path {
                    "()" => quote! { () },
                    _ => quote! { #( #segments )::* },
                }
            }
            RustType::Model(name) => {
                let name = ident(name);
                quote! { super::models::#name }
            }
            RustType::Vec(inner) => {
                let inner = inner.tokens();
                quote! { Vec<#inner> }
            }
            RustType::Option(inner) => {
                let inner = inner.tokens();
                quote! { Option<#inner> }
            }
            RustType::Boxed(inner) => {
                let inner = inner.tokens();
                quote! { Box<#inner> }
            }
            RustType::Slice(inner) => {
                let inner = inner.tokens();
                quote! { &[#inner] }
            }
            RustType::ImplAsRefStr => quote! { impl AsRef<str> },
            RustType::ImplInto(inner) => {
                let inner = inner.tokens();
                quote! { impl Into<#inner> }
            }
        }
    }
}

/// An identifier the IR has already made valid (keywords escaped by
/// `naming`), so no raw form is needed.
fn ident(name: &str) -> Ident {
    Ident::new(name, Span::call_site())
}

/// The type of a value decoded from Asterisk (a property, a response).
///
/// Strings are small-string optimised, as most of an event's strings (ids,
/// names, states, contexts) fit inline. Every integer is `i64`, whatever the
/// api-docs call it: Asterisk fills `int` properties from C `unsigned int`
/// too (RTP SSRCs and counters pass 2³¹), and everything it writes goes
/// through Jansson's `json_int_t` (`long long`), so `i64` holds any integer
/// Asterisk can send.
pub fn decoded(api: &Api, ty: &TypeRef) -> RustType {
    match ty {
        TypeRef::String => RustType::Runtime("CompactString"),
        TypeRef::Int | TypeRef::Long => RustType::Plain("i64"),
        TypeRef::List(inner) => RustType::Vec(Box::new(decoded(api, inner))),
        other => sent(api, other),
    }
}

/// The type of a value the client sends (what a builder stores). An `int`
/// parameter stays `i32`: Asterisk reads it into a C `int`, so a wider
/// value would be cut.
pub fn sent(api: &Api, ty: &TypeRef) -> RustType {
    match ty {
        TypeRef::String => RustType::Plain("String"),
        TypeRef::Int => RustType::Plain("i32"),
        TypeRef::Long => RustType::Plain("i64"),
        TypeRef::Double => RustType::Plain("f64"),
        TypeRef::Boolean => RustType::Plain("bool"),
        TypeRef::Date => RustType::Runtime("Timestamp"),
        TypeRef::Object => RustType::Plain("serde_json::Value"),
        TypeRef::Binary => RustType::Plain("bytes::Bytes"),
        TypeRef::Void => RustType::Plain("()"),
        TypeRef::Model(id) => RustType::Model(model_name(api, id)),
        TypeRef::Enum(name) => RustType::Model(name.clone()),
        TypeRef::List(inner) => RustType::Vec(Box::new(sent(api, inner))),
    }
}

/// Whether the decoded type is `Copy`, so that an accessor returns it by
/// value (`Option<i64>`, not `Option<&i64>`).
pub fn is_copy(ty: &TypeRef) -> bool {
    matches!(
        ty,
        TypeRef::Int | TypeRef::Long | TypeRef::Double | TypeRef::Boolean
    )
}

/// A model's Rust name by its id (the id itself for a dangling reference,
/// which normalisation rejects before anything is emitted).
pub fn model_name(api: &Api, id: &str) -> String {
    api.models
        .get(id)
        .map(|m| m.name.clone())
        .unwrap_or_else(|| id.to_owned())
}

/// A model's field: boxed where it closes a cycle, `Option` unless required.
pub fn property(api: &Api, prop: &ir::Property) -> RustType {
    let ty = decoded(api, &prop.ty);
    let ty = if prop.boxed {
        RustType::Boxed(Box::new(ty))
    } else {
        ty
    };
    if prop.required {
        ty
    } else {
        RustType::Option(Box::new(ty))
    }
}

/// What the entry method (for a required parameter) or the builder method
/// (for an optional one) takes.
pub fn argument(api: &Api, param: &ir::Param) -> RustType {
    if param.multiple {
        let element = match &param.ty {
            TypeRef::String => RustType::ImplAsRefStr,
            other => sent(api, other),
        };
        return RustType::Slice(Box::new(element));
    }
    match &param.ty {
        TypeRef::String => RustType::ImplAsRefStr,
        TypeRef::Object | TypeRef::Enum(_) => RustType::ImplInto(Box::new(sent(api, &param.ty))),
        other => sent(api, other),
    }
}

/// What a request builder keeps of a parameter.
pub fn stored(api: &Api, param: &ir::Param) -> RustType {
    let ty = sent(api, &param.ty);
    let ty = if param.multiple {
        RustType::Vec(Box::new(ty))
    } else {
        ty
    };
    if param.required {
        ty
    } else {
        RustType::Option(Box::new(ty))
    }
}

/// The entry method's arguments: the required parameters, path ones first
/// as they identify the target, then in api-docs order.
pub fn arguments(op: &ir::Operation) -> Vec<&ir::Param> {
    let mut args: Vec<&ir::Param> = op.params.iter().filter(|p| p.required).collect();
    args.sort_by_key(|p| p.location != ParamLocation::Path);
    args
}

/// The request builder an entry method returns (`OriginateRequest`).
pub fn builder_name(op: &ir::Operation) -> String {
    format!("{}Request", stem(&op.type_name))
}

/// The error enum of an operation (`OriginateError`).
pub fn error_name(op: &ir::Operation) -> String {
    format!("{}Error", stem(&op.type_name))
}

/// A type name without the underscore that escapes a keyword or prelude
/// name (`Self_`): with a suffix it is neither, and `Self_Request` is not
/// camel case.
fn stem(type_name: &str) -> &str {
    type_name.strip_suffix('_').unwrap_or(type_name)
}

/// `client.channels().originate(endpoint)`: the entry method with its
/// arguments' names.
pub fn entry_call(resource: &ir::Resource, op: &ir::Operation) -> String {
    let args: Vec<&str> = arguments(op).iter().map(|p| p.name.as_str()).collect();
    format!(
        "client.{}().{}({})",
        resource.name,
        op.name,
        args.join(", ")
    )
}

/// A resource addressed by a path id (`/channels/{channelId}`): a handle
/// type holding the client and the id, with every operation on that path
/// (and below it) as a method that needs no id.
#[derive(Debug, Clone)]
pub struct Handle<'a> {
    /// `ChannelHandle`, `LiveRecordingHandle`.
    pub type_name: String,
    /// The client's method that makes one: `channel`, `live_recording`.
    pub accessor: String,
    /// `/channels/{channelId}`.
    pub prefix: String,
    /// The id parameter's wire name: `channelId`.
    pub id_param: String,
    /// Every operation whose path starts with `prefix`, in api-docs order.
    pub operations: Vec<&'a ir::Operation>,
}

/// The handles of a resource. A prefix is the path up to its first
/// parameter; it makes a handle when that parameter is a single string whose
/// name ends in `Id` or `Name` (an identifier, not a technology or a class)
/// and the api-docs can `GET` the prefix itself (a thing that exists, not
/// an action such as `POST /events/user/{eventName}`). The name is the
/// prefix's literal segments after the resource (a plural of the parameter
/// dropped), then the parameter without `Id`/`Name`:
/// `/recordings/live/{recordingName}` → `LiveRecordingHandle`,
/// `/asterisk/modules/{moduleName}` → `ModuleHandle`.
pub fn handles(resource: &ir::Resource) -> Vec<Handle<'_>> {
    let mut by_prefix: std::collections::BTreeMap<String, Handle<'_>> = Default::default();
    for op in &resource.operations {
        let Some((prefix, literals, param)) = id_prefix(&op.path) else {
            continue;
        };
        let is_id = op.params.iter().any(|p| {
            p.api_name == param
                && p.location == ParamLocation::Path
                && p.ty == TypeRef::String
                && !p.multiple
        });
        let stem = param
            .strip_suffix("Id")
            .or_else(|| param.strip_suffix("Name"))
            .filter(|stem| !stem.is_empty());
        let (true, Some(stem)) = (is_id, stem) else {
            continue;
        };
        let plural = format!("{stem}s");
        let literals: Vec<&str> = literals
            .into_iter()
            .filter(|l| !l.eq_ignore_ascii_case(&plural))
            .collect();
        let words = [literals.as_slice(), &[stem]].concat().join(" ");
        let entry = by_prefix.entry(prefix.clone()).or_insert_with(|| Handle {
            type_name: format!(
                "{}Handle",
                crate::naming::type_name(&words).trim_end_matches('_')
            ),
            accessor: crate::naming::snake(&words),
            prefix,
            id_param: param.to_owned(),
            operations: Vec::new(),
        });
        entry.operations.push(op);
    }
    by_prefix
        .into_values()
        .filter(|handle| {
            handle
                .operations
                .iter()
                .any(|op| op.path == handle.prefix && op.method == ir::HttpMethod::Get)
        })
        .collect()
}

/// `/recordings/live/{recordingName}/stop` → (`/recordings/live/{recordingName}`,
/// [`live`], `recordingName`): the path up to its first parameter, the literal
/// segments between the resource and it, and its name.
fn id_prefix(path: &str) -> Option<(String, Vec<&str>, &str)> {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let at = segments.iter().position(|s| s.starts_with('{'))?;
    let param = segments[at].strip_prefix('{')?.strip_suffix('}')?;
    let prefix = format!("/{}", segments[..=at].join("/"));
    let literals = segments.get(1..at).unwrap_or_default().to_vec();
    Some((prefix, literals, param))
}

/// Methods and associated items the message enums define themselves, which
/// no accessor of a common or shared property may take.
pub const MESSAGE_METHODS: &[&str] = &[
    "kind",
    "from_json",
    "from_json_via",
    "from_frame",
    "serialize",
    "deserialize",
    "clone",
    "eq",
    "fmt",
];

/// The catch-all variant of a message enum, unless a known type takes the
/// name (then the enum's collision rule gives it another).
pub const UNKNOWN_VARIANT: &str = "Unknown";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_read_the_same_in_code_and_in_reports() {
        let nested = RustType::Option(Box::new(RustType::Vec(Box::new(RustType::Model(
            "Channel".into(),
        )))));
        assert_eq!(nested.spelled(), "Option<Vec<models::Channel>>");
        assert_eq!(
            nested.tokens().to_string(),
            "Option < Vec < super :: models :: Channel > >"
        );
        let slice = RustType::Slice(Box::new(RustType::ImplAsRefStr));
        assert_eq!(slice.spelled(), "&[impl AsRef<str>]");
        assert_eq!(
            RustType::Runtime("CompactString").tokens().to_string(),
            ":: ari_runtime :: CompactString"
        );
        assert_eq!(
            RustType::Plain("serde_json::Value").tokens().to_string(),
            "serde_json :: Value"
        );
        assert_eq!(RustType::Plain("()").tokens().to_string(), "()");
    }
}
