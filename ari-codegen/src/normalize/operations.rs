//! Resources and their operations, with parameters, responses and error statuses.

use super::RawModel;
use super::enums::ParamEnums;
use super::types::{closed_values, parse_type};
use crate::error::{Error, Result};
use crate::ir::{self, Location, ParamLocation, TypeRef};
use crate::load::LISTING_FILE;
use crate::naming::{self, Scope};
use crate::spec;
use std::collections::{BTreeMap, BTreeSet};

pub(super) fn build_resource(
    file: &str,
    declaration: &spec::ApiDeclaration,
    models: &BTreeMap<String, RawModel<'_>>,
    enums: &mut ParamEnums<'_>,
) -> Result<ir::Resource> {
    let api_name = file.trim_end_matches(".json").to_owned();
    let name = naming::snake(&api_name);
    if RESERVED_MODULES.contains(&name.as_str()) {
        return Err(Error::spec(
            LISTING_FILE,
            "$.apis",
            format!(
                "resource `{api_name}` would become the module `{name}`, which the bindings reserve"
            ),
        ));
    }
    let mut operations: Vec<ir::Operation> = Vec::new();
    let mut nicknames: BTreeMap<String, String> = BTreeMap::new();
    let mut method_names: BTreeMap<String, String> = BTreeMap::new();
    for (api_index, api) in declaration.apis.iter().enumerate() {
        for (op_index, op) in api.operations.iter().enumerate() {
            let path = format!("$.apis[{api_index}].operations[{op_index}]");
            let operation = build_operation(file, &path, api, op, models, enums)?;
            if let Some(other) = nicknames.insert(operation.api_name.clone(), path.clone()) {
                return Err(Error::spec(
                    file,
                    format!("{path}.nickname"),
                    format!(
                        "nickname `{}` is already used at {other}",
                        operation.api_name
                    ),
                ));
            }
            if let Some(other) = method_names.insert(operation.name.clone(), path.clone()) {
                return Err(Error::spec(
                    file,
                    format!("{path}.nickname"),
                    format!(
                        "nickname `{}` becomes the method `{}`, like the operation at {other}",
                        operation.api_name, operation.name
                    ),
                ));
            }
            operations.push(operation);
        }
    }
    Ok(ir::Resource {
        type_name: naming::type_name(&api_name),
        name,
        api_name,
        file: file.to_owned(),
        description: None,
        requires_modules: declaration.requires_modules.clone(),
        operations,
    })
}

/// Modules the generated code defines besides one per resource.
const RESERVED_MODULES: &[&str] = &["models", "runtime"];

/// Names the builder type reserves for itself.
const BUILDER_RESERVED: &[&str] = &["send", "connect", "new", "client", "clone"];

fn build_operation(
    file: &str,
    path: &str,
    api: &spec::Api,
    op: &spec::Operation,
    models: &BTreeMap<String, RawModel<'_>>,
    enums: &mut ParamEnums<'_>,
) -> Result<ir::Operation> {
    let method = match op.http_method.to_ascii_uppercase().as_str() {
        "GET" => ir::HttpMethod::Get,
        "POST" => ir::HttpMethod::Post,
        "PUT" => ir::HttpMethod::Put,
        "DELETE" => ir::HttpMethod::Delete,
        "PATCH" => ir::HttpMethod::Patch,
        other => {
            return Err(Error::spec(
                file,
                format!("{path}.httpMethod"),
                format!("unsupported httpMethod `{other}`"),
            ));
        }
    };
    if op.nickname.trim().is_empty() {
        return Err(Error::spec(
            file,
            format!("{path}.nickname"),
            "an operation needs a nickname",
        ));
    }
    let websocket = match op.upgrade.as_deref() {
        None => false,
        Some(upgrade) if upgrade.eq_ignore_ascii_case("websocket") => true,
        Some(other) => {
            return Err(Error::spec(
                file,
                format!("{path}.upgrade"),
                format!("unsupported upgrade `{other}`"),
            ));
        }
    };
    let response_path = format!("{path}.responseClass");
    let response = match op.response_class.as_deref() {
        None => TypeRef::Void,
        Some(class) => parse_type(file, &response_path, class, models, true)?,
    };
    if websocket
        && !matches!(&response, TypeRef::Model(id) if !models[id].model.sub_types.is_empty())
    {
        return Err(Error::spec(
            file,
            response_path,
            "a WebSocket operation must answer with a model that has subTypes (the messages)",
        ));
    }

    let template_params = path_template_params(&api.path);
    let mut scope = Scope::with_reserved(BUILDER_RESERVED);
    let mut params = Vec::new();
    let mut seen_wire: BTreeSet<(String, &str)> = BTreeSet::new();
    for (index, p) in op.parameters.iter().enumerate() {
        let p_path = format!("{path}.parameters[{index}]");
        if !seen_wire.insert((p.name.clone(), p.param_type.as_str())) {
            return Err(Error::spec(
                file,
                format!("{p_path}.name"),
                format!("parameter `{}` is declared twice", p.name),
            ));
        }
        let location = match p.param_type.as_str() {
            "path" => ParamLocation::Path,
            "query" => ParamLocation::Query,
            "body" => match p.data_type.as_str() {
                "containers" => ParamLocation::BodyField,
                _ => ParamLocation::Body,
            },
            other => {
                return Err(Error::spec(
                    file,
                    format!("{p_path}.paramType"),
                    format!("unsupported paramType `{other}` (expected path, query or body)"),
                ));
            }
        };
        if location == ParamLocation::Path && !template_params.contains(&p.name) {
            return Err(Error::spec(
                file,
                format!("{p_path}.name"),
                format!(
                    "path parameter `{}` does not appear in `{}`",
                    p.name, api.path
                ),
            ));
        }
        let type_path = format!("{p_path}.dataType");
        let base_type = match location {
            ParamLocation::BodyField => TypeRef::Object,
            ParamLocation::Body => parse_type(file, &type_path, &p.data_type, models, false)?,
            ParamLocation::Path | ParamLocation::Query => {
                let ty = parse_type(file, &type_path, &p.data_type, models, false)?;
                if !matches!(
                    ty,
                    TypeRef::String
                        | TypeRef::Int
                        | TypeRef::Long
                        | TypeRef::Double
                        | TypeRef::Boolean
                        | TypeRef::Date
                ) {
                    return Err(Error::spec(
                        file,
                        type_path,
                        format!(
                            "`{}` cannot be sent in a {} parameter",
                            p.data_type, p.param_type
                        ),
                    ));
                }
                ty
            }
        };
        let ty = match closed_values(file, &p_path, p.allowable_values.as_ref())? {
            Some(values) if base_type == TypeRef::String && location != ParamLocation::Body => {
                TypeRef::Enum(enums.name(&op.nickname, &p.name, values))
            }
            _ => base_type,
        };
        let (minimum, maximum) = p
            .allowable_values
            .as_ref()
            .map(|v| {
                (
                    v.min.as_ref().map(ToString::to_string),
                    v.max.as_ref().map(ToString::to_string),
                )
            })
            .unwrap_or_default();
        params.push(ir::Param {
            name: scope.claim(naming::snake(&p.name)),
            api_name: p.name.clone(),
            location,
            ty,
            // A path parameter is required whatever the file says.
            required: location == ParamLocation::Path || p.required.unwrap_or(false),
            multiple: p.allow_multiple,
            default: p.default_value.clone(),
            description: p.description.clone(),
            minimum,
            maximum,
        });
    }
    for name in &template_params {
        if !params
            .iter()
            .any(|p| p.location == ParamLocation::Path && &p.api_name == name)
        {
            return Err(Error::spec(
                file,
                format!("{path}.parameters"),
                format!("`{{{name}}}` in `{}` has no path parameter", api.path),
            ));
        }
    }
    if params
        .iter()
        .filter(|p| p.location == ParamLocation::Body)
        .count()
        > 1
    {
        return Err(Error::spec(
            file,
            format!("{path}.parameters"),
            "more than one parameter claims the whole body",
        ));
    }

    let mut errors: BTreeMap<u16, Vec<String>> = BTreeMap::new();
    for (index, e) in op.error_responses.iter().enumerate() {
        let code = match &e.code {
            spec::StatusCode::Number(n) => u16::try_from(*n).ok(),
            spec::StatusCode::Text(text) => text.trim().parse::<u16>().ok(),
        }
        .filter(|code| (100..=599).contains(code))
        .ok_or_else(|| {
            Error::spec(
                file,
                format!("{path}.errorResponses[{index}].code"),
                "not an HTTP status code",
            )
        })?;
        errors
            .entry(code)
            .or_default()
            .push(e.reason.clone().unwrap_or_default());
    }

    Ok(ir::Operation {
        name: naming::snake(&op.nickname),
        type_name: naming::type_name(&op.nickname),
        api_name: op.nickname.clone(),
        method,
        path: api.path.clone(),
        summary: op.summary.clone(),
        notes: op.notes.clone(),
        since: op.since.clone(),
        params,
        response,
        errors,
        websocket,
        location: Location {
            file: file.to_owned(),
            path: path.to_owned(),
        },
    })
}

pub(super) fn path_template_params(path: &str) -> Vec<String> {
    path.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.to_owned()))
        .collect()
}
