//! Validation and normalisation: the dialect → [`ir::Api`].
//!
//! All knowledge of how Asterisk writes api-docs lives here; the emitter only
//! sees the IR. Every rejection names the file and the JSON path.

use crate::error::{Error, Result};
use crate::ir::{self, Location, ParamLocation, TypeRef};
use crate::load::{ApiDocs, LISTING_FILE};
use crate::naming::{self, Scope};
use crate::spec;
use sha2::Digest as _;
use std::collections::{BTreeMap, BTreeSet};

/// Parses one file into a dialect struct; a mismatch names the JSON path.
pub fn parse_json<T: serde::de::DeserializeOwned>(file: &str, text: &str) -> Result<T> {
    let deserializer = &mut serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let path = e.path().to_string();
        // `?` is serde_path_to_error's "somewhere unknown", e.g. a syntax error
        // before any key; the message then carries line and column.
        let path = match path.as_str() {
            "." | "?" => "$".to_owned(),
            _ => format!("$.{path}"),
        };
        Error::spec(file, path, e.into_inner())
    })
}

const SWAGGER_VERSIONS: &[&str] = &["1.1", "1.2"];

pub fn normalize(docs: &ApiDocs) -> Result<ir::Api> {
    // The digest re-reads every file as plain JSON: two thirds of this
    // stage, and independent of the IR, so it runs beside it. The IR's error
    // wins when both fail, so the reported error does not depend on timing.
    std::thread::scope(|scope| {
        let digest = scope.spawn(|| api_docs_digest(docs));
        let api = build_ir(docs);
        let digest = digest
            .join()
            .unwrap_or_else(|_| Err(Error::spec(LISTING_FILE, "$", "the digest thread panicked")));
        let mut api = api?;
        api.meta.digest = digest?;
        Ok(api)
    })
}

fn build_ir(docs: &ApiDocs) -> Result<ir::Api> {
    let listing: spec::ResourceListing = parse_json(LISTING_FILE, &docs.listing.text)?;
    check_swagger_version(LISTING_FILE, &listing.swagger_version)?;
    let mut declarations = Vec::new();
    for file in &docs.resources {
        let declaration: spec::ApiDeclaration = parse_json(&file.name, &file.text)?;
        check_swagger_version(&file.name, &declaration.swagger_version)?;
        declarations.push((file.name.clone(), declaration));
    }

    let raw_models = collect_models(&declarations)?;
    let hierarchy = Hierarchy::build(&raw_models)?;
    let mut enums = EnumRegistry::default();
    let models = build_models(&raw_models, &hierarchy, &mut enums)?;
    let mut resources = BTreeMap::new();
    let mut resource_names: BTreeMap<String, String> = BTreeMap::new();
    // What resources.json says of each file (`Channel resources`).
    let listed: BTreeMap<String, &str> = listing
        .apis
        .iter()
        .filter_map(|entry| {
            let file = crate::load::resource_file_name(&entry.path)?;
            Some((file, entry.description.as_deref()?))
        })
        .collect();
    for (file, declaration) in &declarations {
        let mut resource = build_resource(file, declaration, &raw_models, &mut enums)?;
        resource.description = listed.get(file).map(|text| (*text).to_owned());
        if let Some(other) = resource_names.insert(resource.name.clone(), file.clone()) {
            return Err(Error::spec(
                file.as_str(),
                "$.resourcePath",
                format!(
                    "resource name `{}` is also produced by {other}",
                    resource.name
                ),
            ));
        }
        resources.insert(resource.api_name.clone(), resource);
    }
    let (enums, renames) = enums.finish(&models)?;
    for param in resources
        .values_mut()
        .flat_map(|r| r.operations.iter_mut())
        .flat_map(|op| op.params.iter_mut())
    {
        if let TypeRef::Enum(key) = &mut param.ty
            && let Some(name) = renames.get(key)
        {
            *key = name.clone();
        }
    }

    Ok(ir::Api {
        meta: ir::Meta {
            asterisk_version: docs.asterisk_version.clone(),
            api_version: listing.api_version.clone(),
            swagger_version: listing.swagger_version.clone(),
            digest: String::new(),
        },
        resources,
        models,
        enums,
    })
}

/// SHA-256 over the canonical JSON (sorted keys, no whitespace, no
/// `basePath`, which names the server rather than the API), so that the same
/// api-docs served compact by Asterisk or saved indented give one digest.
fn api_docs_digest(docs: &ApiDocs) -> Result<String> {
    let mut hasher = sha2::Sha256::new();
    for file in std::iter::once(&docs.listing).chain(&docs.resources) {
        let mut canonical: serde_json::Value = parse_json(&file.name, &file.text)?;
        if let Some(object) = canonical.as_object_mut() {
            object.remove("basePath");
        }
        hasher.update(file.name.as_bytes());
        hasher.update([0]);
        hasher.update(canonical.to_string().as_bytes());
        hasher.update([0]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

fn check_swagger_version(file: &str, version: &str) -> Result<()> {
    if SWAGGER_VERSIONS.contains(&version) {
        Ok(())
    } else {
        Err(Error::spec(
            file,
            "$.swaggerVersion",
            format!(
                "unsupported swaggerVersion `{version}` (expected one of {SWAGGER_VERSIONS:?})"
            ),
        ))
    }
}

/// A model as declared, with where it was declared.
struct RawModel<'a> {
    file: &'a str,
    model: &'a spec::Model,
}

impl RawModel<'_> {
    fn path(&self) -> String {
        format!("$.models.{}", self.model.id)
    }
}

/// Models form one namespace across files. The same model may appear in
/// several files; that is fine as long as the copies agree.
fn collect_models<'a>(
    declarations: &'a [(String, spec::ApiDeclaration)],
) -> Result<BTreeMap<String, RawModel<'a>>> {
    let mut models: BTreeMap<String, RawModel<'a>> = BTreeMap::new();
    for (file, declaration) in declarations {
        for (key, model) in &declaration.models {
            if key != &model.id {
                return Err(Error::spec(
                    file.as_str(),
                    format!("$.models.{key}.id"),
                    format!("model is keyed `{key}` but its id is `{}`", model.id),
                ));
            }
            if let Some(existing) = models.get(key) {
                let same = existing.model.properties == model.properties
                    && existing.model.sub_types == model.sub_types
                    && existing.model.discriminator == model.discriminator;
                if !same {
                    return Err(Error::spec(
                        file.as_str(),
                        format!("$.models.{key}"),
                        format!(
                            "model `{key}` conflicts with the one declared in {}",
                            existing.file
                        ),
                    ));
                }
                continue;
            }
            models.insert(key.clone(), RawModel { file, model });
        }
    }
    Ok(models)
}

/// `subTypes` turned around: who is whose parent, and which discriminator applies.
struct Hierarchy {
    parent: BTreeMap<String, String>,
}

impl Hierarchy {
    fn build(models: &BTreeMap<String, RawModel<'_>>) -> Result<Self> {
        let mut parent: BTreeMap<String, String> = BTreeMap::new();
        for (id, raw) in models {
            for (index, sub) in raw.model.sub_types.iter().enumerate() {
                let path = format!("{}.subTypes[{index}]", raw.path());
                if !models.contains_key(sub) {
                    return Err(Error::spec(
                        raw.file,
                        path,
                        format!("subtype `{sub}` is not a declared model"),
                    ));
                }
                if let Some(previous) = parent.insert(sub.clone(), id.clone()) {
                    return Err(Error::spec(
                        raw.file,
                        path,
                        format!("`{sub}` is already a subtype of `{previous}`"),
                    ));
                }
            }
        }
        let hierarchy = Hierarchy { parent };
        for (id, raw) in models {
            let mut seen = BTreeSet::new();
            let mut current = id.as_str();
            while let Some(next) = hierarchy.parent.get(current) {
                if !seen.insert(next.clone()) || next == id {
                    return Err(Error::spec(
                        raw.file,
                        raw.path(),
                        "the subTypes of this model form a cycle",
                    ));
                }
                current = next;
            }
            if !raw.model.sub_types.is_empty() && hierarchy.discriminator(id, models).is_none() {
                return Err(Error::spec(
                    raw.file,
                    format!("{}.subTypes", raw.path()),
                    "model has subTypes but neither it nor a base names a discriminator",
                ));
            }
        }
        Ok(hierarchy)
    }

    /// The model itself, then its bases up to the root.
    fn lineage<'m>(&'m self, id: &'m str) -> impl Iterator<Item = &'m str> {
        std::iter::successors(Some(id), move |current| {
            self.parent.get(*current).map(String::as_str)
        })
    }

    fn discriminator<'m>(
        &self,
        id: &str,
        models: &'m BTreeMap<String, RawModel<'_>>,
    ) -> Option<&'m str> {
        self.lineage(id).find_map(|ancestor| {
            models
                .get(ancestor)
                .and_then(|m| m.model.discriminator.as_deref())
        })
    }

    fn children<'m>(&'m self, id: &'m str) -> impl Iterator<Item = &'m str> {
        self.parent
            .iter()
            .filter(move |(_, parent)| parent.as_str() == id)
            .map(|(child, _)| child.as_str())
    }
}

fn build_models(
    raw_models: &BTreeMap<String, RawModel<'_>>,
    hierarchy: &Hierarchy,
    enums: &mut EnumRegistry,
) -> Result<BTreeMap<String, ir::Model>> {
    let mut type_names: BTreeMap<String, String> = BTreeMap::new();
    let mut models = BTreeMap::new();
    for (id, raw) in raw_models {
        let name = naming::type_name(id);
        if let Some(other) = type_names.insert(name.clone(), id.clone()) {
            return Err(Error::spec(
                raw.file,
                raw.path(),
                format!("model `{id}` and model `{other}` both become the Rust type `{name}`"),
            ));
        }
        let discriminator = hierarchy.discriminator(id, raw_models);
        // A property defined on a base belongs to every descendant; the
        // discriminator is the enum's business, not the struct's.
        let mut scope = Scope::default();
        let mut properties = Vec::new();
        for ancestor in hierarchy.lineage(id) {
            let Some(owner) = raw_models.get(ancestor) else {
                continue;
            };
            for (prop_name, prop) in &owner.model.properties {
                if Some(prop_name.as_str()) == discriminator {
                    continue;
                }
                if properties
                    .iter()
                    .any(|p: &ir::Property| &p.api_name == prop_name)
                {
                    continue;
                }
                let path = format!("{}.properties.{prop_name}", owner.path());
                let ty = property_type(
                    owner.file,
                    &path,
                    &owner.model.id,
                    prop_name,
                    prop,
                    raw_models,
                    enums,
                )?;
                properties.push(ir::Property {
                    name: scope.claim(naming::snake(prop_name)),
                    api_name: prop_name.clone(),
                    ty,
                    required: prop.required.unwrap_or(false),
                    description: prop.description.clone(),
                    boxed: false,
                });
            }
        }
        let kind = if raw.model.sub_types.is_empty() {
            ir::ModelKind::Struct
        } else {
            let mut leaves = Vec::new();
            collect_leaves(hierarchy, id, &mut leaves);
            leaves.sort();
            ir::ModelKind::Polymorphic(ir::Polymorphic {
                discriminator: discriminator.unwrap_or("type").to_owned(),
                leaves,
                unknown_type_name: format!("Unknown{name}"),
                unknown_variant: crate::surface::UNKNOWN_VARIANT.to_owned(),
                common: Vec::new(),
                shared: Vec::new(),
            })
        };
        models.insert(
            id.clone(),
            ir::Model {
                name,
                api_name: id.clone(),
                file: raw.file.to_owned(),
                description: raw.model.description.clone(),
                properties,
                kind,
            },
        );
    }
    box_cycles(&mut models);
    // Common properties: those every leaf of a polymorphic model inherits
    // from it or from an intermediate base, so the enum can expose them.
    let snapshot = models.clone();
    for model in models.values_mut() {
        let ir::ModelKind::Polymorphic(poly) = &mut model.kind else {
            continue;
        };
        let mut bases = BTreeSet::new();
        collect_bases(hierarchy, &model.api_name, &mut bases);
        for base in &bases {
            for prop in &snapshot[base].properties {
                let on_base_itself = raw_models[base]
                    .model
                    .properties
                    .contains_key(&prop.api_name);
                if on_base_itself && !poly.common.iter().any(|p| p.api_name == prop.api_name) {
                    poly.common.push(prop.clone());
                }
            }
        }
        poly.common.sort_by(|a, b| a.api_name.cmp(&b.api_name));
        poly.shared = shared_properties(&poly.leaves, &poly.common, &snapshot);
        // The variants are the leaves' names; the catch-all yields to them.
        let mut variants = Scope::default();
        for leaf in &poly.leaves {
            variants.claim(snapshot[leaf].name.clone());
        }
        poly.unknown_variant = variants.claim(crate::surface::UNKNOWN_VARIANT.to_owned());
        let unknown = poly.unknown_type_name.clone();
        if type_names.contains_key(&unknown) {
            return Err(Error::spec(
                model.file.as_str(),
                format!("$.models.{}", model.api_name),
                format!("the type for unknown subtypes, `{unknown}`, collides with a model"),
            ));
        }
    }
    Ok(models)
}

/// Marks the properties that close a cycle of struct models held by value
/// (`A { b: B }`, `B { a: Option<A> }`): each is a direct reference to a
/// struct model from which the owner is reachable again. Lists and the
/// polymorphic enums (whose variants are boxed) already add indirection.
fn box_cycles(models: &mut BTreeMap<String, ir::Model>) {
    let held = |model: &ir::Model| -> Vec<String> {
        model
            .properties
            .iter()
            .filter_map(|prop| match &prop.ty {
                TypeRef::Model(target) => Some(target.clone()),
                _ => None,
            })
            .collect()
    };
    let edges: BTreeMap<String, Vec<String>> = models
        .iter()
        .filter(|(_, model)| matches!(model.kind, ir::ModelKind::Struct))
        .map(|(id, model)| (id.clone(), held(model)))
        .collect();
    let reaches = |from: &str, goal: &str| -> bool {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.to_owned()];
        while let Some(id) = stack.pop() {
            if id == goal {
                return true;
            }
            if seen.insert(id.clone())
                && let Some(next) = edges.get(&id)
            {
                stack.extend(next.iter().cloned());
            }
        }
        false
    };
    for (id, model) in models.iter_mut() {
        if !edges.contains_key(id) {
            continue;
        }
        for prop in &mut model.properties {
            if let TypeRef::Model(target) = &prop.ty {
                prop.boxed = edges.contains_key(target) && reaches(target, id);
            }
        }
    }
}

/// Properties declared by at least two leaves, with one type among all that
/// declare them, that are not common already.
fn shared_properties(
    leaves: &[String],
    common: &[ir::Property],
    models: &BTreeMap<String, ir::Model>,
) -> Vec<ir::Property> {
    let mut by_name: BTreeMap<&str, Vec<&ir::Property>> = BTreeMap::new();
    for leaf in leaves {
        for prop in &models[leaf].properties {
            by_name
                .entry(prop.api_name.as_str())
                .or_default()
                .push(prop);
        }
    }
    by_name
        .into_values()
        .filter(|props| {
            props.len() >= 2
                && props
                    .iter()
                    .all(|p| p.ty == props[0].ty && p.name == props[0].name)
        })
        .map(|props| {
            // The first leaf's text describes that leaf ("the endpoint that
            // is signaled with the user event"); kept only when all agree.
            let agreed = props.iter().all(|p| p.description == props[0].description);
            let mut shared = props[0].clone();
            if !agreed {
                shared.description = Some(format!(
                    "The `{}` of the variants that carry one.",
                    shared.api_name
                ));
            }
            shared
        })
        .filter(|prop| {
            !common
                .iter()
                .any(|c| c.api_name == prop.api_name || c.name == prop.name)
        })
        .filter(|prop| !crate::surface::MESSAGE_METHODS.contains(&prop.name.as_str()))
        .map(|prop| ir::Property {
            required: false,
            ..prop
        })
        .collect()
}

fn collect_leaves(hierarchy: &Hierarchy, id: &str, out: &mut Vec<String>) {
    for child in hierarchy.children(id) {
        if hierarchy.children(child).next().is_none() {
            out.push(child.to_owned());
        } else {
            collect_leaves(hierarchy, child, out);
        }
    }
}

/// The polymorphic model and its polymorphic descendants, and its bases.
fn collect_bases(hierarchy: &Hierarchy, id: &str, out: &mut BTreeSet<String>) {
    for ancestor in hierarchy.lineage(id) {
        out.insert(ancestor.to_owned());
    }
    fn down(hierarchy: &Hierarchy, id: &str, out: &mut BTreeSet<String>) {
        for child in hierarchy.children(id) {
            if hierarchy.children(child).next().is_some() {
                out.insert(child.to_owned());
                down(hierarchy, child, out);
            }
        }
    }
    down(hierarchy, id, out);
}

fn property_type(
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
fn closed_values(
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
fn parse_type(
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

fn build_resource(
    file: &str,
    declaration: &spec::ApiDeclaration,
    models: &BTreeMap<String, RawModel<'_>>,
    enums: &mut EnumRegistry,
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
    enums: &mut EnumRegistry,
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
                TypeRef::Enum(enums.param_enum(&op.nickname, &p.name, values))
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

fn path_template_params(path: &str) -> Vec<String> {
    path.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.to_owned()))
        .collect()
}

/// Allowed-value sets become enums. Parameters sharing a name and the same
/// values share one enum (`Direction`); a name used with different value sets
/// is qualified by the operation everywhere, so no variant of the name depends
/// on which operation happened to come first.
#[derive(Default)]
struct EnumRegistry {
    model_enums: BTreeMap<String, (Vec<String>, String)>,
    /// Parameter name → (operation nickname, values).
    param_uses: BTreeMap<String, Vec<(String, Vec<String>)>>,
}

const PROVISIONAL: &str = "\u{0}param:";

impl EnumRegistry {
    fn model_enum(&mut self, name: String, values: Vec<String>, description: &str) -> String {
        self.model_enums
            .insert(name.clone(), (values, description.to_owned()));
        name
    }

    /// Parameter enums are named once all uses are known, so hand out a
    /// provisional key now and resolve it in [`EnumRegistry::finish`].
    fn param_enum(&mut self, nickname: &str, param: &str, values: Vec<String>) -> String {
        self.param_uses
            .entry(param.to_owned())
            .or_default()
            .push((nickname.to_owned(), values));
        format!("{PROVISIONAL}{nickname}\u{0}{param}")
    }

    /// The enums, and the final name of each provisional key.
    #[allow(clippy::type_complexity)]
    fn finish(
        self,
        models: &BTreeMap<String, ir::Model>,
    ) -> Result<(BTreeMap<String, ir::EnumType>, BTreeMap<String, String>)> {
        let taken_by_models: BTreeSet<&str> = models
            .values()
            .flat_map(|m| {
                let unknown = match &m.kind {
                    ir::ModelKind::Polymorphic(p) => Some(p.unknown_type_name.as_str()),
                    ir::ModelKind::Struct => None,
                };
                std::iter::once(m.name.as_str()).chain(unknown)
            })
            .collect();
        let mut out: BTreeMap<String, ir::EnumType> = BTreeMap::new();
        let mut insert = |name: String, values: &[String], description: String| -> Result<()> {
            if taken_by_models.contains(name.as_str()) {
                return Err(Error::spec(
                    "(all files)",
                    "$.models",
                    format!("the enum `{name}` ({description}) collides with a model of that name"),
                ));
            }
            if let Some(existing) = out.get(&name) {
                let existing_values: Vec<&String> =
                    existing.variants.iter().map(|(_, wire)| wire).collect();
                if existing_values != values.iter().collect::<Vec<_>>() {
                    return Err(Error::spec(
                        "(all files)",
                        "$.models",
                        format!("two different value sets both want the enum name `{name}`"),
                    ));
                }
                return Ok(());
            }
            out.insert(name.clone(), enum_type(name, values, description));
            Ok(())
        };
        for (name, (values, description)) in &self.model_enums {
            insert(name.clone(), values, description.clone())?;
        }
        let mut resolved: BTreeMap<String, String> = BTreeMap::new();
        for (param, uses) in &self.param_uses {
            let short = naming::type_name(param);
            // Uses with the same values share one enum, named after the
            // alphabetically first operation of the group, so the name does
            // not depend on the order of the files.
            let mut groups: Vec<(&Vec<String>, Vec<&str>)> = Vec::new();
            for (nickname, values) in uses {
                match groups.iter_mut().find(|(group, _)| *group == values) {
                    Some((_, nicknames)) => nicknames.push(nickname),
                    None => groups.push((values, vec![nickname])),
                }
            }
            let unqualified = groups.len() == 1
                && !taken_by_models.contains(short.as_str())
                && !self.model_enums.contains_key(&short);
            for (values, mut nicknames) in groups {
                nicknames.sort_unstable();
                nicknames.dedup();
                let name = if unqualified {
                    short.clone()
                } else {
                    naming::type_name(&format!("{} {}", naming::type_name(nicknames[0]), short))
                };
                let used_by: Vec<String> = nicknames.iter().map(|n| format!("`{n}`")).collect();
                let description = format!(
                    "Values of the `{param}` parameter of {}.",
                    used_by.join(", ")
                );
                insert(name.clone(), values, description)?;
                for nickname in nicknames {
                    resolved.insert(format!("{PROVISIONAL}{nickname}\u{0}{param}"), name.clone());
                }
            }
        }
        Ok((out, resolved))
    }
}

fn enum_type(name: String, values: &[String], description: String) -> ir::EnumType {
    let mut scope = Scope::default();
    let variants: Vec<(String, String)> = values
        .iter()
        .map(|value| (scope.claim(naming::variant(value)), value.clone()))
        .collect();
    let other_variant = scope.claim("Other".to_owned());
    ir::EnumType {
        name,
        description,
        variants,
        other_variant,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_models() -> BTreeMap<String, RawModel<'static>> {
        BTreeMap::new()
    }

    #[test]
    fn swagger_types_map_to_the_ir() {
        let models = no_models();
        let parse = |text: &str, special: bool| parse_type("f.json", "$.x", text, &models, special);
        assert_eq!(parse("string", false).unwrap(), TypeRef::String);
        assert_eq!(parse("int", false).unwrap(), TypeRef::Int);
        assert_eq!(parse("long", false).unwrap(), TypeRef::Long);
        assert_eq!(parse("double", false).unwrap(), TypeRef::Double);
        assert_eq!(parse("boolean", false).unwrap(), TypeRef::Boolean);
        assert_eq!(parse("Date", false).unwrap(), TypeRef::Date);
        assert_eq!(parse("object", false).unwrap(), TypeRef::Object);
        assert_eq!(
            parse("List[object]", false).unwrap(),
            TypeRef::List(Box::new(TypeRef::Object))
        );
        assert_eq!(
            parse("List[List[string]]", false).unwrap(),
            TypeRef::List(Box::new(TypeRef::List(Box::new(TypeRef::String))))
        );
        assert_eq!(parse("void", true).unwrap(), TypeRef::Void);
        assert_eq!(parse("binary", true).unwrap(), TypeRef::Binary);
        // `void` and `binary` only make sense as a response.
        assert!(parse("void", false).is_err());
        assert!(parse("binary", false).is_err());
        let error = parse("Channel", false).unwrap_err().to_string();
        assert_eq!(
            error,
            "f.json: $.x: `Channel` is neither a primitive type nor a declared model"
        );
    }

    #[test]
    fn path_templates_name_their_parameters() {
        assert_eq!(
            path_template_params("/channels/{channelId}/snoop/{snoopId}"),
            ["channelId", "snoopId"]
        );
        assert!(path_template_params("/channels").is_empty());
    }

    #[test]
    fn closed_values_only_for_lists() {
        let list = spec::AllowableValues {
            value_type: "LIST".into(),
            values: Some(vec!["in".into(), "out".into()]),
            min: None,
            max: None,
        };
        assert_eq!(
            closed_values("f", "$", Some(&list)).unwrap(),
            Some(vec!["in".to_owned(), "out".to_owned()])
        );
        let range = spec::AllowableValues {
            value_type: "RANGE".into(),
            values: None,
            min: Some(0.into()),
            max: None,
        };
        assert_eq!(closed_values("f", "$", Some(&range)).unwrap(), None);
        let empty = spec::AllowableValues {
            value_type: "LIST".into(),
            values: Some(vec![]),
            min: None,
            max: None,
        };
        assert!(closed_values("f", "$", Some(&empty)).is_err());
    }
}
