//! An [`ApiDiff`] as text for a terminal, Markdown for a changelog, or JSON.

use super::{ApiDiff, Change, ChangeKind, Effect, RustKind, Section};
use std::fmt::Write as _;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Text,
    Markdown,
    Json,
}

impl std::str::FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "text" => Ok(Format::Text),
            "markdown" | "md" => Ok(Format::Markdown),
            "json" => Ok(Format::Json),
            other => Err(format!(
                "unknown format `{other}` (expected text, markdown or json)"
            )),
        }
    }
}

/// Whose vocabulary the changes are told in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum View {
    /// Resources, nicknames, parameters and models as the api-docs name them.
    #[default]
    Wire,
    /// Methods, arguments, builder methods, fields and variants of the generated crate.
    Bindings,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Options {
    pub format: Format,
    pub view: View,
    /// ANSI colours (text only).
    pub colour: bool,
}

/// The diff in the requested format; JSON ignores the view (it has both).
pub fn render(diff: &ApiDiff, options: Options) -> String {
    match options.format {
        Format::Text => text(diff, options.view, options.colour),
        Format::Markdown => markdown(diff, options.view),
        Format::Json => json(diff),
    }
}

pub fn json(diff: &ApiDiff) -> String {
    // Serializing plain structs of strings, numbers and booleans cannot fail;
    // should it ever, the message is still valid JSON.
    serde_json::to_string_pretty(diff).unwrap_or_else(|e| {
        serde_json::json!({ "schema_version": diff.schema_version, "error": e.to_string() })
            .to_string()
    }) + "\n"
}

fn title(diff: &ApiDiff) -> String {
    format!("ARI changes {} → {}", diff.old.label, diff.new.label)
}

fn summary_line(diff: &ApiDiff) -> String {
    let s = diff.summary;
    if s.total == 0 {
        return "no changes".to_owned();
    }
    format!(
        "{} changes: {} added, {} removed, {} changed; {} breaking",
        s.total, s.added, s.removed, s.changed, s.breaking
    )
}

fn sections(diff: &ApiDiff) -> Vec<(Section, Vec<&Change>)> {
    let mut out: Vec<(Section, Vec<&Change>)> = Vec::new();
    for change in &diff.changes {
        match out.last_mut() {
            Some((section, changes)) if *section == change.section => changes.push(change),
            _ => out.push((change.section, vec![change])),
        }
    }
    out
}

fn mark(change: &Change) -> &'static str {
    match change.effect {
        Effect::Added => "+",
        Effect::Removed => "-",
        Effect::Changed => "~",
    }
}

fn text(diff: &ApiDiff, view: View, colour: bool) -> String {
    let paint = |code: &str, text: &str| {
        if colour {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    };
    let mut out = String::new();
    let _ = writeln!(out, "{}: {}", paint("1", &title(diff)), summary_line(diff));
    for (section, changes) in sections(diff) {
        let _ = writeln!(out, "\n{}", paint("1", section.title()));
        for change in changes {
            let colour_code = match (change.breaking, change.effect) {
                (true, _) => "31",
                (false, Effect::Added) => "32",
                (false, _) => "33",
            };
            let tag = if change.breaking { " BREAKING" } else { "" };
            let _ = writeln!(
                out,
                "  {} {}{}",
                paint(colour_code, mark(change)),
                headline(change, view),
                paint(colour_code, tag)
            );
            let _ = writeln!(out, "      {}", paint("2", &change.reason));
        }
    }
    out
}

fn markdown(diff: &ApiDiff, view: View) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "## {}\n", title(diff));
    let _ = writeln!(out, "{}.", capitalised(&summary_line(diff)));
    for (section, changes) in sections(diff) {
        let _ = writeln!(out, "\n### {}\n", section.title());
        let _ = writeln!(out, "| | Change | Breaking | Why |");
        let _ = writeln!(out, "| --- | --- | --- | --- |");
        for change in changes {
            let breaking = if change.breaking { "**yes**" } else { "no" };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                mark(change),
                cell(&headline(change, view)),
                breaking,
                cell(&change.reason)
            );
        }
    }
    out
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A table cell: a `|` would end it, a newline the row.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn code(text: &str) -> String {
    format!("`{text}`")
}

fn verb(effect: Effect) -> &'static str {
    match effect {
        Effect::Added => "added",
        Effect::Removed => "removed",
        Effect::Changed => "changed",
    }
}

/// One line saying what changed, in the chosen vocabulary.
pub fn headline(change: &Change, view: View) -> String {
    match view {
        View::Wire => wire_headline(change),
        View::Bindings => bindings_headline(change),
    }
}

fn opt(value: &Option<String>) -> &str {
    value.as_deref().unwrap_or("")
}

fn transition(old: &Option<String>, new: &Option<String>) -> String {
    format!("{} → {}", code(opt(old)), code(opt(new)))
}

/// A type change invisible on the wire (an enum the bindings renamed) is
/// told with the Rust types, or it would read `x → x`.
fn type_transition(c: &Change) -> String {
    if c.old == c.new {
        format!("{} (in the bindings)", transition(&c.rust.old, &c.rust.new))
    } else {
        transition(&c.old, &c.new)
    }
}

fn wire_headline(c: &Change) -> String {
    use ChangeKind::*;
    let operation = format!("{}.{}", opt(&c.resource), opt(&c.operation));
    let parameter = || format!("{} parameter {}", code(&operation), code(opt(&c.parameter)));
    let property = || code(&format!("{}.{}", opt(&c.model), opt(&c.property)));
    let verb = verb(c.effect);
    match c.kind {
        ResourceAdded | ResourceRemoved => {
            format!("resource {} {verb}", code(opt(&c.resource)))
        }
        OperationAdded => format!(
            "operation {} {verb} ({})",
            code(&operation),
            code(opt(&c.new))
        ),
        OperationRemoved => format!(
            "operation {} {verb} ({})",
            code(&operation),
            code(opt(&c.old))
        ),
        OperationRouteChanged => format!(
            "operation {} route: {}",
            code(&operation),
            transition(&c.old, &c.new)
        ),
        OperationResponseChanged => format!(
            "operation {} response: {}",
            code(&operation),
            transition(&c.old, &c.new)
        ),
        ParameterAdded => format!("{} {verb}: {}", parameter(), code(opt(&c.new))),
        ParameterRemoved => format!("{} {verb}", parameter()),
        ParameterRequiredChanged => format!("{}: {}", parameter(), transition(&c.old, &c.new)),
        ParameterTypeChanged => format!("{} type: {}", parameter(), type_transition(c)),
        ParameterLocationChanged => {
            format!("{} location: {}", parameter(), transition(&c.old, &c.new))
        }
        ErrorAdded | ErrorRemoved => {
            let status = c.status.map(|s| s.to_string()).unwrap_or_default();
            let reason = c
                .new
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default();
            format!(
                "operation {} error status {status} {verb}{reason}",
                code(&operation)
            )
        }
        ModelAdded | ModelRemoved => format!("model {} {verb}", code(opt(&c.model))),
        ModelKindChanged => format!(
            "model {}: {}",
            code(opt(&c.model)),
            transition(&c.old, &c.new)
        ),
        PropertyAdded => format!("property {} {verb}: {}", property(), code(opt(&c.new))),
        PropertyRemoved => format!("property {} {verb}", property()),
        PropertyRequiredChanged => {
            format!("property {}: {}", property(), transition(&c.old, &c.new))
        }
        PropertyTypeChanged => format!("property {} type: {}", property(), type_transition(c)),
        EnumAdded => format!(
            "value set {} {verb}: {}",
            code(opt(&c.enum_name)),
            opt(&c.new)
        ),
        EnumRemoved => format!(
            "value set {} {verb}: {}",
            code(opt(&c.enum_name)),
            opt(&c.old)
        ),
        EnumValueAdded | EnumValueRemoved => format!(
            "value set {}: value {} {verb}",
            code(opt(&c.enum_name)),
            code(opt(&c.value))
        ),
        EventAdded | EventRemoved => format!(
            "{} type {} {verb}",
            code(opt(&c.model)),
            code(opt(&c.event))
        ),
    }
}

fn bindings_headline(c: &Change) -> String {
    let noun = c.rust.kind.noun();
    let subject = match (&c.rust.kind, &c.rust.argument) {
        (RustKind::Argument, Some(argument)) => {
            format!("argument {} of {}", code(argument), code(&c.rust.item))
        }
        _ => format!("{noun} {}", code(&c.rust.item)),
    };
    // A route or location change leaves the Rust side as it was; say what moved.
    let (old, new) = if c.rust.old.is_some() || c.rust.new.is_some() {
        (&c.rust.old, &c.rust.new)
    } else {
        (&c.old, &c.new)
    };
    match c.effect {
        Effect::Added => match &c.rust.new {
            Some(ty) if c.kind != ChangeKind::ErrorAdded && c.kind != ChangeKind::EnumAdded => {
                format!("{subject} added: {}", code(ty))
            }
            _ => format!("{subject} added"),
        },
        Effect::Removed => format!("{subject} removed"),
        Effect::Changed => match c.kind {
            ChangeKind::OperationRouteChanged => {
                format!("{subject} now calls {}", transition(old, new))
            }
            ChangeKind::ParameterLocationChanged => {
                format!("{subject} now sent in {}", transition(old, new))
            }
            ChangeKind::ParameterRequiredChanged => {
                format!("{subject} moved: {}", transition(old, new))
            }
            _ => format!("{subject}: {}", transition(old, new)),
        },
    }
}
