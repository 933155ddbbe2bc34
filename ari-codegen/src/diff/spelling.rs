//! How changes spell what they locate: wire types, routes, words, and the Rust items of parameters and fields.

use super::RustKind;
use crate::ir::{self, Api, ModelKind, ParamLocation, TypeRef};
use std::collections::BTreeMap;

/// Parameters by wire name. The same name may appear once per location
/// (`paramType`); the later ones get the location appended so none is lost.
pub(super) fn params_by_wire_name(op: &ir::Operation) -> BTreeMap<String, ir::Param> {
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

pub(super) fn route(op: &ir::Operation) -> String {
    format!("{} {}", op.method.as_str(), op.path)
}

pub(super) fn required_word(required: bool) -> String {
    if required { "required" } else { "optional" }.to_owned()
}

pub(super) fn location_word(location: ParamLocation) -> &'static str {
    match location {
        ParamLocation::Path => "path",
        ParamLocation::Query => "query",
        ParamLocation::BodyField => "body field",
        ParamLocation::Body => "body",
    }
}

/// A required parameter is an argument of the call; an optional one a
/// builder method after it.
pub(super) fn param_item(call: &str, param: &ir::Param) -> (RustKind, String) {
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
pub(super) fn param_display(call: &str, param: &ir::Param) -> String {
    match param_item(call, param) {
        (RustKind::Argument, call) => format!("argument {} of {call}", param.name),
        (_, item) => item,
    }
}

/// Struct fields are fields; a polymorphic model's are accessors on the enum.
pub(super) fn field_item(model: &ir::Model, prop: &ir::Property) -> (RustKind, String) {
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
pub(super) fn wire_type(api: &Api, ty: &TypeRef) -> String {
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

pub(super) fn enum_values(e: &ir::EnumType) -> String {
    let values: Vec<&str> = e.variants.iter().map(|(_, wire)| wire.as_str()).collect();
    format!("one of {}", values.join(", "))
}

pub(super) fn param_wire_type(api: &Api, param: &ir::Param) -> String {
    let ty = wire_type(api, &param.ty);
    if param.multiple {
        format!("{ty}, allowMultiple")
    } else {
        ty
    }
}

pub(super) fn property_wire_type(api: &Api, prop: &ir::Property) -> String {
    let ty = wire_type(api, &prop.ty);
    if prop.required {
        format!("{ty}, required")
    } else {
        ty
    }
}
