//! Swagger types to IR types, and `allowableValues` to closed value sets.

use super::RawModel;
use super::enums::EnumRegistry;
use crate::error::{Error, Result};
use crate::ir::TypeRef;
use crate::naming;
use crate::spec;
use std::collections::BTreeMap;

pub(super) fn property_type(
    file: &str,
    path: &str,
    model_id: &str,
    prop_name: &str,
    prop: &spec::Property,
    models: &BTreeMap<String, RawModel<'_>>,
    enums: &mut EnumRegistry,
) -> Result<TypeRef> {
    let ty = parse_type(
        file,
        &format!("{path}.type"),
        &prop.data_type,
        models,
        false,
    )?;
    match closed_values(file, path, prop.allowable_values.as_ref())? {
        Some(values) if is_string_like(&ty) => {
            let name = naming::type_name(&format!(
                "{} {}",
                naming::type_name(model_id),
                naming::type_name(prop_name)
            ));
            let enum_name = enums.model_enum(
                name,
                values,
                &format!("Values of `{model_id}.{prop_name}`."),
            );
            Ok(wrap_like(&ty, TypeRef::Enum(enum_name)))
        }
        _ => Ok(ty),
    }
}

fn is_string_like(ty: &TypeRef) -> bool {
    match ty {
        TypeRef::String => true,
        TypeRef::List(inner) => **inner == TypeRef::String,
        _ => false,
    }
}

fn wrap_like(original: &TypeRef, inner: TypeRef) -> TypeRef {
    match original {
        TypeRef::List(_) => TypeRef::List(Box::new(inner)),
        _ => inner,
    }
}

/// `allowableValues` LIST → the values; RANGE is documentation only.
pub(super) fn closed_values(
    file: &str,
    path: &str,
    values: Option<&spec::AllowableValues>,
) -> Result<Option<Vec<String>>> {
    let Some(values) = values else {
        return Ok(None);
    };
    let path = format!("{path}.allowableValues");
    match values.value_type.to_ascii_uppercase().as_str() {
        "LIST" => match &values.values {
            Some(list) if !list.is_empty() => Ok(Some(list.clone())),
            _ => Err(Error::spec(
                file,
                format!("{path}.values"),
                "a LIST needs at least one value",
            )),
        },
        "RANGE" => Ok(None),
        other => Err(Error::spec(
            file,
            format!("{path}.valueType"),
            format!("unknown valueType `{other}` (expected LIST or RANGE)"),
        )),
    }
}

/// Swagger 1.x type names as Asterisk uses them.
pub(super) fn parse_type(
    file: &str,
    path: &str,
    text: &str,
    models: &BTreeMap<String, RawModel<'_>>,
    allow_special: bool,
) -> Result<TypeRef> {
    let text = text.trim();
    if let Some(inner) = text
        .strip_prefix("List[")
        .and_then(|rest| rest.strip_suffix(']'))
    {
        return Ok(TypeRef::List(Box::new(parse_type(
            file, path, inner, models, false,
        )?)));
    }
    let ty = match text {
        "string" => TypeRef::String,
        "int" | "integer" => TypeRef::Int,
        "long" => TypeRef::Long,
        "double" | "float" | "number" => TypeRef::Double,
        "boolean" => TypeRef::Boolean,
        "Date" | "date" | "dateTime" => TypeRef::Date,
        "object" => TypeRef::Object,
        "void" if allow_special => TypeRef::Void,
        "binary" if allow_special => TypeRef::Binary,
        name if models.contains_key(name) => TypeRef::Model(name.to_owned()),
        name => {
            return Err(Error::spec(
                file,
                path,
                format!("`{name}` is neither a primitive type nor a declared model"),
            ));
        }
    };
    Ok(ty)
}
