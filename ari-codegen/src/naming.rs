//! The one place where wire names become Rust identifiers.

use heck::{ToSnakeCase, ToUpperCamelCase};
use std::collections::BTreeSet;

const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "Self", "static", "struct", "super", "trait", "true", "try", "type",
    "typeof", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Names the generated modules use unqualified: the std prelude (types,
/// traits and variants) and serde's derive imports. A type of the api-docs
/// spelled like one would shadow it in `models.rs`, so it gets the keywords'
/// trailing underscore (`Result` → `Result_`).
const PRELUDE: &[&str] = &[
    "AsMut",
    "AsRef",
    "AsyncFn",
    "AsyncFnMut",
    "AsyncFnOnce",
    "Box",
    "Clone",
    "Copy",
    "Default",
    "Deserialize",
    "DoubleEndedIterator",
    "Drop",
    "Eq",
    "Err",
    "ExactSizeIterator",
    "Extend",
    "Fn",
    "FnMut",
    "FnOnce",
    "From",
    "FromIterator",
    "Future",
    "Into",
    "IntoFuture",
    "IntoIterator",
    "Iterator",
    "None",
    "Ok",
    "Option",
    "Ord",
    "PartialEq",
    "PartialOrd",
    "Result",
    "Send",
    "Serialize",
    "Sized",
    "Some",
    "String",
    "Sync",
    "ToOwned",
    "ToString",
    "TryFrom",
    "TryInto",
    "Unpin",
    "Vec",
];

pub fn is_keyword(ident: &str) -> bool {
    KEYWORDS.contains(&ident)
}

/// Keywords get a trailing underscore (`type` → `type_`), a leading digit a
/// prefix; raw identifiers would leak `r#` into every call site.
fn finish(mut ident: String, empty: &str, digit_prefix: &str) -> String {
    if ident.is_empty() {
        ident = empty.to_owned();
    }
    if ident.starts_with(|c: char| c.is_ascii_digit()) {
        ident.insert_str(0, digit_prefix);
    }
    if is_keyword(&ident) {
        ident.push('_');
    }
    ident
}

/// Fields, parameters, methods and modules: `channelId` → `channel_id`.
pub fn snake(wire: &str) -> String {
    finish(spell_symbols(wire).to_snake_case(), "value", "n_")
}

/// Types: an id that already is an UpperCamel identifier stays as it is, so
/// that `CallerID`, `RTPstat` and `RESTRequest` keep the spelling Asterisk
/// gave them instead of being re-cased into `RtPstat`.
pub fn type_name(wire: &str) -> String {
    let is_identifier = wire.starts_with(|c: char| c.is_ascii_uppercase())
        && wire.chars().all(|c| c.is_ascii_alphanumeric());
    let spelled = if is_identifier {
        wire.to_owned()
    } else {
        spell_symbols(wire).to_upper_camel_case()
    };
    let mut name = finish(spelled, "Value", "V");
    if PRELUDE.contains(&name.as_str()) {
        name.push('_');
    }
    name
}

/// Enum variants from values such as `Dialing Offhook`, `Pre-ring`, `*`, `#`.
pub fn variant(wire: &str) -> String {
    finish(spell_symbols(wire).to_upper_camel_case(), "Empty", "V")
}

/// A value made of punctuation only (`*`, `#`) has no letters to build a name
/// from; spell each character instead.
///
/// Identifiers are kept ASCII so that every name this module returns is a
/// valid Rust identifier by construction.
fn spell_symbols(wire: &str) -> String {
    if wire.chars().any(|c| c.is_ascii_alphanumeric()) {
        return wire
            .chars()
            .map(|c| if c.is_ascii() { c } else { ' ' })
            .collect();
    }
    wire.chars()
        .map(|c| match c {
            '*' => "Star ".to_owned(),
            '#' => "Hash ".to_owned(),
            '+' => "Plus ".to_owned(),
            '-' => "Minus ".to_owned(),
            '.' => "Dot ".to_owned(),
            '/' => "Slash ".to_owned(),
            '@' => "At ".to_owned(),
            '!' => "Bang ".to_owned(),
            '?' => "Question ".to_owned(),
            '&' => "Amp ".to_owned(),
            '%' => "Percent ".to_owned(),
            '=' => "Equals ".to_owned(),
            ':' => "Colon ".to_owned(),
            ',' => "Comma ".to_owned(),
            '_' => "Underscore ".to_owned(),
            ' ' => "Space ".to_owned(),
            other => format!("U{:04X} ", other as u32),
        })
        .collect()
}

/// Error variants are named after the status code's standard reason phrase.
pub fn status_variant(code: u16) -> String {
    let name = match code {
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        405 => "MethodNotAllowed",
        406 => "NotAcceptable",
        408 => "RequestTimeout",
        409 => "Conflict",
        410 => "Gone",
        412 => "PreconditionFailed",
        413 => "PayloadTooLarge",
        415 => "UnsupportedMediaType",
        422 => "UnprocessableEntity",
        429 => "TooManyRequests",
        500 => "InternalServerError",
        501 => "NotImplemented",
        502 => "BadGateway",
        503 => "ServiceUnavailable",
        504 => "GatewayTimeout",
        _ => return format!("Status{code}"),
    };
    name.to_owned()
}

/// Member names (fields, variants, builder methods) within one scope: a name
/// that two wire names share after conversion gets a numeric suffix, in input
/// order, so both remain reachable.
#[derive(Debug, Default)]
pub struct Scope {
    taken: BTreeSet<String>,
}

impl Scope {
    pub fn with_reserved(reserved: &[&str]) -> Self {
        Scope {
            taken: reserved.iter().map(|name| (*name).to_owned()).collect(),
        }
    }

    pub fn claim(&mut self, candidate: String) -> String {
        if self.taken.insert(candidate.clone()) {
            return candidate;
        }
        // `self_` (an escaped keyword) becomes `self_2`, not `self__2`.
        let separator = if candidate.ends_with('_') {
            ""
        } else if candidate.contains('_') || candidate.starts_with(char::is_lowercase) {
            "_"
        } else {
            ""
        };
        (2..)
            .map(|n| format!("{candidate}{separator}{n}"))
            .find(|name| self.taken.insert(name.clone()))
            .unwrap_or(candidate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_of_wire_names() {
        assert_eq!(snake("channelId"), "channel_id");
        assert_eq!(snake("type"), "type_");
        assert_eq!(snake("move"), "move_");
        assert_eq!(snake("from"), "from");
        assert_eq!(
            snake("create_or_update_with_id"),
            "create_or_update_with_id"
        );
        assert_eq!(snake("transfer_progress"), "transfer_progress");
        assert_eq!(snake("9lives"), "n_9lives");
    }

    #[test]
    fn type_names_do_not_shadow_the_prelude() {
        assert_eq!(type_name("Result"), "Result_");
        assert_eq!(type_name("option"), "Option_");
        assert_eq!(type_name("Serialize"), "Serialize_");
        assert_eq!(type_name("Results"), "Results");
    }

    #[test]
    fn type_names_keep_acronyms() {
        assert_eq!(type_name("CallerID"), "CallerID");
        assert_eq!(type_name("DialplanCEP"), "DialplanCEP");
        assert_eq!(type_name("RTPstat"), "RTPstat");
        assert_eq!(type_name("RESTRequest"), "RESTRequest");
        assert_eq!(type_name("deviceStates"), "DeviceStates");
        assert_eq!(type_name("Self"), "Self_");
    }

    #[test]
    fn variants_from_awkward_values() {
        assert_eq!(variant("in"), "In");
        assert_eq!(variant("Dialing Offhook"), "DialingOffhook");
        assert_eq!(variant("Pre-ring"), "PreRing");
        assert_eq!(variant("*"), "Star");
        assert_eq!(variant("#"), "Hash");
        assert_eq!(variant("NOT_INUSE"), "NotInuse");
        assert_eq!(variant("**"), "StarStar");
        assert_eq!(variant("1xx"), "V1xx");
    }

    #[test]
    fn scope_suffixes_collisions() {
        let mut scope = Scope::with_reserved(&["send"]);
        assert_eq!(scope.claim("send".into()), "send_2");
        assert_eq!(scope.claim("self_".into()), "self_");
        assert_eq!(scope.claim("self_".into()), "self_2");
        assert_eq!(scope.claim("foo_bar".into()), "foo_bar");
        assert_eq!(scope.claim("foo_bar".into()), "foo_bar_2");
        assert_eq!(scope.claim("PreRing".into()), "PreRing");
        assert_eq!(scope.claim("PreRing".into()), "PreRing2");
    }
}
