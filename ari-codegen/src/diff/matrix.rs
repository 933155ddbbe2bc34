//! Which operations, models and events exist in which of several api-docs sets.
//!
//! Columns keep the order the inputs were given in: release tags are not
//! chronological (fixes are backported), so "first seen" and "last seen"
//! mean the leftmost and rightmost column that has the item, nothing more.

use super::Input;
use crate::ir::ModelKind;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// `resource.nickname`.
    Operation,
    Model,
    /// A concrete subtype of a polymorphic model (`StasisStart`).
    Event,
}

impl Kind {
    fn title(self) -> &'static str {
        match self {
            Kind::Operation => "Operations",
            Kind::Model => "Models",
            Kind::Event => "Events",
        }
    }

    fn column(self) -> &'static str {
        match self {
            Kind::Operation => "operation",
            Kind::Model => "model",
            Kind::Event => "event",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub kind: Kind,
    pub name: String,
    /// One entry per input, in input order.
    pub present: Vec<bool>,
}

impl Row {
    pub fn first_seen(&self) -> Option<usize> {
        self.present.iter().position(|p| *p)
    }

    pub fn last_seen(&self) -> Option<usize> {
        self.present.iter().rposition(|p| *p)
    }

    pub fn everywhere(&self) -> bool {
        self.present.iter().all(|p| *p)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matrix {
    pub labels: Vec<String>,
    /// Sorted by kind, then name.
    pub rows: Vec<Row>,
}

pub fn matrix(inputs: &[Input]) -> Matrix {
    let mut rows: BTreeMap<(Kind, String), Vec<bool>> = BTreeMap::new();
    for (index, input) in inputs.iter().enumerate() {
        let api = &input.api;
        let operations = api.resources.iter().flat_map(|(resource, r)| {
            r.operations
                .iter()
                .map(move |op| (Kind::Operation, format!("{resource}.{}", op.api_name)))
        });
        let models = api.models.keys().map(|id| (Kind::Model, id.clone()));
        let events: BTreeSet<(Kind, String)> = api
            .models
            .values()
            .filter_map(|m| match &m.kind {
                ModelKind::Polymorphic(p) => Some(p.leaves.iter()),
                ModelKind::Struct => None,
            })
            .flatten()
            .map(|leaf| (Kind::Event, leaf.clone()))
            .collect();
        for key in operations.chain(models).chain(events) {
            rows.entry(key).or_insert_with(|| vec![false; inputs.len()])[index] = true;
        }
    }
    Matrix {
        labels: inputs.iter().map(|i| i.label.clone()).collect(),
        rows: rows
            .into_iter()
            .map(|((kind, name), present)| Row {
                kind,
                name,
                present,
            })
            .collect(),
    }
}

impl Matrix {
    /// One Markdown table per kind; `only_differences` leaves out the rows
    /// present in every input.
    pub fn to_markdown(&self, only_differences: bool) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "## ARI availability: {}", self.labels.join(", "));
        for kind in [Kind::Operation, Kind::Model, Kind::Event] {
            let rows: Vec<&Row> = self
                .rows
                .iter()
                .filter(|r| r.kind == kind && !(only_differences && r.everywhere()))
                .collect();
            let total = self.rows.iter().filter(|r| r.kind == kind).count();
            let _ = writeln!(out, "\n### {}\n", kind.title());
            if rows.is_empty() {
                let _ = writeln!(out, "All {total} are in every input.",);
                continue;
            }
            if only_differences {
                let _ = writeln!(
                    out,
                    "{} of {total} are missing from some input.\n",
                    rows.len()
                );
            }
            let _ = write!(out, "| {} |", kind.column());
            for label in &self.labels {
                let _ = write!(out, " {} |", label.replace('|', "\\|"));
            }
            let _ = writeln!(out, " first seen | last seen |");
            let _ = writeln!(out, "|{}", " --- |".repeat(self.labels.len() + 3));
            for row in rows {
                let _ = write!(out, "| `{}` |", row.name);
                for present in &row.present {
                    let _ = write!(out, " {} |", if *present { "✓" } else { " " });
                }
                let label = |index: Option<usize>| {
                    index
                        .and_then(|i| self.labels.get(i))
                        .map_or("", String::as_str)
                };
                let _ = writeln!(
                    out,
                    " {} | {} |",
                    label(row.first_seen()),
                    label(row.last_seen())
                );
            }
        }
        out
    }
}
