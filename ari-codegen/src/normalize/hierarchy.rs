//! The hierarchy of models that `subTypes` declare, and its checks.

use super::RawModel;
use crate::error::{Error, Result};
use std::collections::{BTreeMap, BTreeSet};

/// `subTypes` turned around: who is whose parent, and which discriminator applies.
pub(super) struct Hierarchy {
    parent: BTreeMap<String, String>,
}

impl Hierarchy {
    pub(super) fn build(models: &BTreeMap<String, RawModel<'_>>) -> Result<Self> {
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
    pub(super) fn lineage<'m>(&'m self, id: &'m str) -> impl Iterator<Item = &'m str> {
        std::iter::successors(Some(id), move |current| {
            self.parent.get(*current).map(String::as_str)
        })
    }

    pub(super) fn discriminator<'m>(
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

    pub(super) fn children<'m>(&'m self, id: &'m str) -> impl Iterator<Item = &'m str> {
        self.parent
            .iter()
            .filter(move |(_, parent)| parent.as_str() == id)
            .map(|(child, _)| child.as_str())
    }
}
