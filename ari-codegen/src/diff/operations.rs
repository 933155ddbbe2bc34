//! The walk over resources and operations: routes, responses, parameters and error statuses.

use super::spelling::{
    location_word, param_display, param_item, param_wire_type, params_by_wire_name, required_word,
    route, wire_type,
};
use super::{Change, ChangeKind, Compare, RustKind, split};
use crate::ir;
use crate::surface;
use std::collections::BTreeMap;

impl Compare<'_> {
    pub(super) fn resources(&mut self) {
        let sides = split(&self.old.resources, &self.new.resources);
        for (api_name, resource) in sides.removed {
            let mut change = Change::new(
                ChangeKind::ResourceRemoved,
                true,
                "the accessor and every operation under it are gone",
                (RustKind::Accessor, format!("client.{}()", resource.name)),
            );
            change.resource = Some(api_name.clone());
            self.push(change);
        }
        for (api_name, resource) in sides.added {
            let mut change = Change::new(
                ChangeKind::ResourceAdded,
                false,
                "a new accessor on the client",
                (RustKind::Accessor, format!("client.{}()", resource.name)),
            );
            change.resource = Some(api_name.clone());
            self.push(change);
        }
        for (api_name, old, new) in sides.kept {
            self.operations(api_name, old, new);
        }
    }

    fn operations(&mut self, resource: &str, old: &ir::Resource, new: &ir::Resource) {
        let by_nickname = |r: &ir::Resource| -> BTreeMap<String, ir::Operation> {
            r.operations
                .iter()
                .map(|op| (op.api_name.clone(), op.clone()))
                .collect()
        };
        let (old_ops, new_ops) = (by_nickname(old), by_nickname(new));
        let sides = split(&old_ops, &new_ops);
        for (_, op) in sides.removed {
            let change = Change::new(
                ChangeKind::OperationRemoved,
                true,
                "calls to the method no longer compile",
                (RustKind::Method, surface::entry_call(old, op)),
            )
            .in_operation(resource, &op.api_name)
            .values(Some(route(op)), None);
            self.push(change);
        }
        for (_, op) in sides.added {
            let change = Change::new(
                ChangeKind::OperationAdded,
                false,
                "a new method",
                (RustKind::Method, surface::entry_call(new, op)),
            )
            .in_operation(resource, &op.api_name)
            .values(None, Some(route(op)));
            self.push(change);
        }
        for (_, old_op, new_op) in sides.kept {
            self.operation(resource, new, old_op, new_op);
        }
    }

    fn operation(
        &mut self,
        resource: &str,
        new_resource: &ir::Resource,
        old: &ir::Operation,
        new: &ir::Operation,
    ) {
        let call = surface::entry_call(new_resource, new);
        let nickname = new.api_name.as_str();
        if route(old) != route(new) {
            let change = Change::new(
                ChangeKind::OperationRouteChanged,
                false,
                "the bindings send the request to the new route; calling code is unchanged",
                (RustKind::Method, call.clone()),
            )
            .in_operation(resource, nickname)
            .values(Some(route(old)), Some(route(new)));
            self.push(change);
        }
        if old.response != new.response || old.websocket != new.websocket {
            let change = Change::new(
                ChangeKind::OperationResponseChanged,
                true,
                "`send()` returns a different type",
                (RustKind::Method, call.clone()),
            )
            .in_operation(resource, nickname)
            .values(
                Some(wire_type(self.old, &old.response)),
                Some(wire_type(self.new, &new.response)),
            )
            .rust_values(
                Some(surface::decoded(self.old, &old.response).spelled()),
                Some(surface::decoded(self.new, &new.response).spelled()),
            );
            self.push(change);
        }
        self.parameters(resource, new_resource, old, new);
        let sides = split(&old.errors, &new.errors);
        let error_type = format!("{}::{}", new_resource.name, surface::error_name(new));
        for (status, _) in sides.removed {
            let mut change = Change::new(
                ChangeKind::ErrorRemoved,
                true,
                "the error variant is gone: code matching it no longer compiles",
                (
                    RustKind::ErrorVariant,
                    format!("{error_type}::{}", crate::naming::status_variant(*status)),
                ),
            )
            .in_operation(resource, nickname);
            change.status = Some(*status);
            self.push(change);
        }
        for (status, reasons) in sides.added {
            let mut change = Change::new(
                ChangeKind::ErrorAdded,
                false,
                "a new variant of a `#[non_exhaustive]` error enum; the status used to arrive as `UnexpectedStatus`",
                (
                    RustKind::ErrorVariant,
                    format!("{error_type}::{}", crate::naming::status_variant(*status)),
                ),
            )
            .in_operation(resource, nickname)
            .values(None, Some(reasons.join("; ")).filter(|r| !r.is_empty()));
            change.status = Some(*status);
            self.push(change);
        }
    }

    fn parameters(
        &mut self,
        resource: &str,
        new_resource: &ir::Resource,
        old: &ir::Operation,
        new: &ir::Operation,
    ) {
        let (old_params, new_params) = (params_by_wire_name(old), params_by_wire_name(new));
        let sides = split(&old_params, &new_params);
        let old_call = surface::entry_call(new_resource, old);
        let new_call = surface::entry_call(new_resource, new);
        for (key, param) in sides.removed {
            let reason = if param.required {
                "an argument of the method disappears"
            } else {
                "a builder method disappears"
            };
            let mut change = Change::new(
                ChangeKind::ParameterRemoved,
                true,
                reason,
                param_item(&old_call, param),
            )
            .in_operation(resource, &new.api_name)
            .argument_of(param)
            .values(Some(param_wire_type(self.old, param)), None)
            .rust_values(Some(surface::argument(self.old, param).spelled()), None);
            change.parameter = Some(key.clone());
            self.push(change);
        }
        for (key, param) in sides.added {
            let (breaking, reason) = if param.required {
                (
                    true,
                    "a new required parameter is a new argument of the method",
                )
            } else {
                (false, "a new optional parameter is a new builder method")
            };
            let mut change = Change::new(
                ChangeKind::ParameterAdded,
                breaking,
                reason,
                param_item(&new_call, param),
            )
            .in_operation(resource, &new.api_name)
            .argument_of(param)
            .values(None, Some(param_wire_type(self.new, param)))
            .rust_values(None, Some(surface::argument(self.new, param).spelled()));
            change.parameter = Some(key.clone());
            self.push(change);
        }
        for (key, old_param, new_param) in sides.kept {
            let located = |change: Change| -> Change {
                let mut change = change
                    .in_operation(resource, &new.api_name)
                    .argument_of(new_param);
                change.parameter = Some(key.clone());
                change
            };
            if old_param.required != new_param.required {
                let reason = if new_param.required {
                    "an optional parameter became required: the builder method becomes an argument of the method"
                } else {
                    "a required parameter became optional: the argument disappears and becomes a builder method"
                };
                let change = Change::new(
                    ChangeKind::ParameterRequiredChanged,
                    true,
                    reason,
                    param_item(&new_call, new_param),
                )
                .values(
                    Some(required_word(old_param.required)),
                    Some(required_word(new_param.required)),
                )
                .rust_values(
                    Some(param_display(&old_call, old_param)),
                    Some(param_display(&new_call, new_param)),
                );
                self.push(located(change));
            }
            if old_param.ty != new_param.ty || old_param.multiple != new_param.multiple {
                let old_wire = param_wire_type(self.old, old_param);
                let new_wire = param_wire_type(self.new, new_param);
                let reason = if old_wire == new_wire {
                    "the wire type is the same, but the bindings give it a different Rust type"
                } else {
                    "the argument takes a different type"
                };
                let change = Change::new(
                    ChangeKind::ParameterTypeChanged,
                    true,
                    reason,
                    param_item(&new_call, new_param),
                )
                .values(Some(old_wire), Some(new_wire))
                .rust_values(
                    Some(surface::argument(self.old, old_param).spelled()),
                    Some(surface::argument(self.new, new_param).spelled()),
                );
                self.push(located(change));
            }
            if old_param.location != new_param.location {
                let change = Change::new(
                    ChangeKind::ParameterLocationChanged,
                    false,
                    "the bindings put the value where Asterisk now expects it; calling code is unchanged",
                    param_item(&new_call, new_param),
                )
                .values(
                    Some(location_word(old_param.location).to_owned()),
                    Some(location_word(new_param.location).to_owned()),
                );
                self.push(located(change));
            }
        }
    }
}
