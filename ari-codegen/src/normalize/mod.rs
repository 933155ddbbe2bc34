//! Validation and normalisation: the dialect → [`ir::Api`].
//!
//! All knowledge of how Asterisk writes api-docs lives here; the emitter only
//! sees the IR. Every rejection names the file and the JSON path.

mod cycles;
mod enums;
mod hierarchy;
mod models;
mod operations;
mod types;

use crate::error::{Error, Result};
use crate::ir;
use crate::load::{ApiDocs, LISTING_FILE};
use crate::spec;
use enums::{EnumRegistry, ParamEnums};
use hierarchy::Hierarchy;
use models::{build_models, collect_models};
use operations::build_resource;
use sha2::Digest as _;
use std::collections::BTreeMap;

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
    // Parameter enums are named once every use is known: a first pass over
    // the resources collects them (and finds every error), the second builds
    // the resources with the final names.
    for (file, declaration) in &declarations {
        build_resource(
            file,
            declaration,
            &raw_models,
            &mut ParamEnums::Collect(&mut enums),
        )?;
    }
    let (enums, param_enum_names) = enums.finish(&models)?;
    for (file, declaration) in &declarations {
        let mut named = ParamEnums::Named(&param_enum_names);
        let mut resource = build_resource(file, declaration, &raw_models, &mut named)?;
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

#[cfg(test)]
mod tests;
