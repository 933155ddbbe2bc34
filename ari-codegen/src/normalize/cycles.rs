//! Boxing the properties that close a cycle of struct models.

use crate::ir::{self, TypeRef};
use std::collections::{BTreeMap, BTreeSet};

/// Marks the properties that close a cycle of struct models held by value
/// (`A { b: B }`, `B { a: Option<A> }`): each is a direct reference to a
/// struct model from which the owner is reachable again. Lists and the
/// polymorphic enums (whose variants are boxed) already add indirection.
pub(super) fn box_cycles(models: &mut BTreeMap<String, ir::Model>) {
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
