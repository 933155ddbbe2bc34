//! The enums of allowed-value sets, named once every use is known.

use crate::error::{Error, Result};
use crate::ir;
use crate::naming::{self, Scope};
use std::collections::{BTreeMap, BTreeSet};

/// Allowed-value sets become enums. Parameters sharing a name and the same
/// values share one enum (`Direction`); a name used with different value sets
/// is qualified by the operation everywhere, so no variant of the name depends
/// on which operation happened to come first.
#[derive(Default)]
pub(super) struct EnumRegistry {
    model_enums: BTreeMap<String, (Vec<String>, String)>,
    /// Parameter name → (operation nickname, values).
    param_uses: BTreeMap<String, Vec<(String, Vec<String>)>>,
}

/// One parameter of one operation that has a closed value set: the typed
/// key an enum name is resolved for.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct ParamEnumUse {
    pub nickname: String,
    pub param: String,
}

/// How operations name their parameters' enums: first every use is
/// collected (the resources built then are thrown away), then, with all
/// uses known, the resources are built again with the final names.
pub(super) enum ParamEnums<'a> {
    Collect(&'a mut EnumRegistry),
    Named(&'a BTreeMap<ParamEnumUse, String>),
}

impl ParamEnums<'_> {
    /// The enum type of a parameter with these values.
    pub(super) fn name(&mut self, nickname: &str, param: &str, values: Vec<String>) -> String {
        let key = ParamEnumUse {
            nickname: nickname.to_owned(),
            param: param.to_owned(),
        };
        match self {
            ParamEnums::Collect(registry) => {
                registry
                    .param_uses
                    .entry(param.to_owned())
                    .or_default()
                    .push((nickname.to_owned(), values));
                String::new()
            }
            // Collected from the same input, so every use has its name.
            ParamEnums::Named(names) => names.get(&key).cloned().unwrap_or_default(),
        }
    }
}

impl EnumRegistry {
    pub(super) fn model_enum(
        &mut self,
        name: String,
        values: Vec<String>,
        description: &str,
    ) -> String {
        self.model_enums
            .insert(name.clone(), (values, description.to_owned()));
        name
    }

    /// The enums, and the final name of each parameter's enum.
    #[allow(clippy::type_complexity)]
    pub(super) fn finish(
        self,
        models: &BTreeMap<String, ir::Model>,
    ) -> Result<(
        BTreeMap<String, ir::EnumType>,
        BTreeMap<ParamEnumUse, String>,
    )> {
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
        let mut resolved: BTreeMap<ParamEnumUse, String> = BTreeMap::new();
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
                    let key = ParamEnumUse {
                        nickname: nickname.to_owned(),
                        param: param.clone(),
                    };
                    resolved.insert(key, name.clone());
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
