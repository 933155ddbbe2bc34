//! Models: collected across files, built with inherited properties, and their polymorphic parts.

use super::RawModel;
use super::cycles::box_cycles;
use super::enums::EnumRegistry;
use super::hierarchy::Hierarchy;
use super::types::property_type;
use crate::error::{Error, Result};
use crate::ir;
use crate::naming::{self, Scope};
use crate::spec;
use std::collections::{BTreeMap, BTreeSet};

/// Models form one namespace across files. The same model may appear in
/// several files; that is fine as long as the copies agree.
pub(super) fn collect_models<'a>(
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

pub(super) fn build_models(
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
