//! The walk over the concrete message types of the polymorphic models.

use super::{Change, ChangeKind, Compare, RustKind};
use crate::ir::{Api, ModelKind};
use crate::surface;
use std::collections::{BTreeMap, BTreeSet};

impl Compare<'_> {
    pub(super) fn events(&mut self) {
        let leaves = |api: &Api| -> BTreeMap<String, BTreeSet<String>> {
            api.models
                .iter()
                .filter_map(|(id, m)| match &m.kind {
                    ModelKind::Polymorphic(p) => {
                        Some((id.clone(), p.leaves.iter().cloned().collect()))
                    }
                    ModelKind::Struct => None,
                })
                .collect()
        };
        let (old_bases, new_bases) = (leaves(self.old), leaves(self.new));
        let empty = BTreeSet::new();
        let bases: BTreeSet<&String> = old_bases.keys().chain(new_bases.keys()).collect();
        for base in bases {
            let old_leaves = old_bases.get(base).unwrap_or(&empty);
            let new_leaves = new_bases.get(base).unwrap_or(&empty);
            let rust_base = |api: &Api| api.models.get(base).map(|m| m.name.clone());
            let base_name = rust_base(self.new)
                .or_else(|| rust_base(self.old))
                .unwrap_or_else(|| base.clone());
            for leaf in old_leaves.difference(new_leaves) {
                let mut change = Change::new(
                    ChangeKind::EventRemoved,
                    true,
                    "the variant is gone: code matching it no longer compiles (the type would arrive as `Unknown`)",
                    (
                        RustKind::Variant,
                        format!(
                            "models::{base_name}::{}",
                            surface::model_name(self.old, leaf)
                        ),
                    ),
                );
                change.model = Some(base.clone());
                change.event = Some(leaf.clone());
                self.push(change);
            }
            for leaf in new_leaves.difference(old_leaves) {
                let mut change = Change::new(
                    ChangeKind::EventAdded,
                    false,
                    "a new variant of a `#[non_exhaustive]` enum; the type used to arrive as `Unknown`",
                    (
                        RustKind::Variant,
                        format!(
                            "models::{base_name}::{}",
                            surface::model_name(self.new, leaf)
                        ),
                    ),
                );
                change.model = Some(base.clone());
                change.event = Some(leaf.clone());
                self.push(change);
            }
        }
    }
}
