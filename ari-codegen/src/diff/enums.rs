//! The walk over the enums of closed value sets and their values.

use super::spelling::enum_values;
use super::{Change, ChangeKind, Compare, RustKind, split};
use crate::ir;
use std::collections::BTreeMap;

impl Compare<'_> {
    pub(super) fn enums(&mut self) {
        let sides = split(&self.old.enums, &self.new.enums);
        for (name, e) in sides.removed {
            let mut change = Change::new(
                ChangeKind::EnumRemoved,
                true,
                "the type is gone",
                (RustKind::Type, format!("models::{name}")),
            )
            .values(Some(enum_values(e)), None);
            change.enum_name = Some(name.clone());
            self.push(change);
        }
        for (name, e) in sides.added {
            let mut change = Change::new(
                ChangeKind::EnumAdded,
                false,
                "a new type",
                (RustKind::Type, format!("models::{name}")),
            )
            .values(None, Some(enum_values(e)));
            change.enum_name = Some(name.clone());
            self.push(change);
        }
        for (name, old, new) in sides.kept {
            let wire_to_variant = |e: &ir::EnumType| -> BTreeMap<String, String> {
                e.variants
                    .iter()
                    .map(|(variant, wire)| (wire.clone(), variant.clone()))
                    .collect()
            };
            let (old_values, new_values) = (wire_to_variant(old), wire_to_variant(new));
            let values = split(&old_values, &new_values);
            for (wire, variant) in values.removed {
                let mut change = Change::new(
                    ChangeKind::EnumValueRemoved,
                    true,
                    format!(
                        "the variant is gone (the value would now arrive as `{}`)",
                        new.other_variant
                    ),
                    (RustKind::Variant, format!("models::{name}::{variant}")),
                );
                change.enum_name = Some(name.clone());
                change.value = Some(wire.clone());
                self.push(change);
            }
            for (wire, variant) in values.added {
                let mut change = Change::new(
                    ChangeKind::EnumValueAdded,
                    false,
                    format!(
                        "enums are `#[non_exhaustive]` and open: the value used to arrive as `{}`",
                        old.other_variant
                    ),
                    (RustKind::Variant, format!("models::{name}::{variant}")),
                );
                change.enum_name = Some(name.clone());
                change.value = Some(wire.clone());
                self.push(change);
            }
        }
    }
}
