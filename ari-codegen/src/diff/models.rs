//! The walk over models and their properties.

use super::spelling::{field_item, property_wire_type, required_word, wire_type};
use super::{Change, ChangeKind, Compare, RustKind, split};
use crate::ir::{self, ModelKind};
use crate::surface;
use std::collections::BTreeMap;

impl Compare<'_> {
    pub(super) fn models(&mut self) {
        let sides = split(&self.old.models, &self.new.models);
        for (id, model) in sides.removed {
            let mut change = Change::new(
                ChangeKind::ModelRemoved,
                true,
                "the type is gone",
                (RustKind::Type, format!("models::{}", model.name)),
            );
            change.model = Some(id.clone());
            self.push(change);
        }
        for (id, model) in sides.added {
            let mut change = Change::new(
                ChangeKind::ModelAdded,
                false,
                "a new type",
                (RustKind::Type, format!("models::{}", model.name)),
            );
            change.model = Some(id.clone());
            self.push(change);
        }
        for (id, old, new) in sides.kept {
            let is_polymorphic = |m: &ir::Model| matches!(m.kind, ModelKind::Polymorphic(_));
            if is_polymorphic(old) != is_polymorphic(new) {
                let describe = |m: &ir::Model| {
                    if is_polymorphic(m) {
                        "enum over its subtypes".to_owned()
                    } else {
                        "struct".to_owned()
                    }
                };
                let mut change = Change::new(
                    ChangeKind::ModelKindChanged,
                    true,
                    "the type changes between a struct and an enum over subtypes",
                    (RustKind::Type, format!("models::{}", new.name)),
                )
                .values(Some(describe(old)), Some(describe(new)));
                change.model = Some(id.clone());
                self.push(change);
            }
            self.properties(id, old, new);
        }
    }

    fn properties(&mut self, id: &str, old: &ir::Model, new: &ir::Model) {
        let by_wire = |m: &ir::Model| -> BTreeMap<String, ir::Property> {
            m.properties
                .iter()
                .map(|p| (p.api_name.clone(), p.clone()))
                .collect()
        };
        let (old_props, new_props) = (by_wire(old), by_wire(new));
        let sides = split(&old_props, &new_props);
        let located = |change: Change, property: &str| -> Change {
            let mut change = change;
            change.model = Some(id.to_owned());
            change.property = Some(property.to_owned());
            change
        };
        for (key, prop) in sides.removed {
            let change = Change::new(
                ChangeKind::PropertyRemoved,
                true,
                "the field is gone: code reading it no longer compiles",
                field_item(old, prop),
            )
            .values(Some(property_wire_type(self.old, prop)), None)
            .rust_values(Some(surface::property(self.old, prop).spelled()), None);
            self.push(located(change, key));
        }
        for (key, prop) in sides.added {
            let (breaking, reason) = if prop.required {
                (
                    true,
                    "a new required field: struct literals need a value, and the same object from an Asterisk without it no longer decodes",
                )
            } else {
                (
                    false,
                    "a new `Option` field: reading code is unaffected (struct literals, rare for models Asterisk sends, need `field: None`)",
                )
            };
            let change = Change::new(
                ChangeKind::PropertyAdded,
                breaking,
                reason,
                field_item(new, prop),
            )
            .values(None, Some(property_wire_type(self.new, prop)))
            .rust_values(None, Some(surface::property(self.new, prop).spelled()));
            self.push(located(change, key));
        }
        for (key, old_prop, new_prop) in sides.kept {
            if old_prop.required != new_prop.required {
                let reason = if new_prop.required {
                    "the field loses its `Option`"
                } else {
                    "the field becomes an `Option`"
                };
                let change = Change::new(
                    ChangeKind::PropertyRequiredChanged,
                    true,
                    reason,
                    field_item(new, new_prop),
                )
                .values(
                    Some(required_word(old_prop.required)),
                    Some(required_word(new_prop.required)),
                )
                .rust_values(
                    Some(surface::property(self.old, old_prop).spelled()),
                    Some(surface::property(self.new, new_prop).spelled()),
                );
                self.push(located(change, key));
            }
            // Boxing changes the Rust type when a new model closes a cycle.
            if old_prop.ty != new_prop.ty || old_prop.boxed != new_prop.boxed {
                let old_wire = wire_type(self.old, &old_prop.ty);
                let new_wire = wire_type(self.new, &new_prop.ty);
                let reason = if old_wire == new_wire {
                    "the wire type is the same, but the bindings give it a different Rust type"
                } else {
                    "the field has a different type"
                };
                let change = Change::new(
                    ChangeKind::PropertyTypeChanged,
                    true,
                    reason,
                    field_item(new, new_prop),
                )
                .values(Some(old_wire), Some(new_wire))
                .rust_values(
                    Some(surface::property(self.old, old_prop).spelled()),
                    Some(surface::property(self.new, new_prop).spelled()),
                );
                self.push(located(change, key));
            }
        }
    }
}
