//! Reads, from an event's raw text, only the ids the router needs: the
//! key (and `target_uri`) of each property the route table names; every
//! other value is skipped unread. Decoding the whole event is left to the
//! handles that receive it, on their own tasks.

use super::resource::{EventRoute, RouteField};
use crate::decode::{Cursor, Mismatch};
use std::borrow::Cow;

/// A resource named by an event: its field, key and `target_uri`.
pub(crate) struct Named<'t> {
    pub(crate) field: &'static RouteField,
    pub(crate) key: Cow<'t, str>,
    pub(crate) target: Option<Cow<'t, str>>,
}

/// Every resource `text` names by `route`, in text order; `None` when the
/// text is not valid JSON.
pub(crate) fn named<'t>(
    text: &'t str,
    route: &'static EventRoute,
    out: &mut Vec<Named<'t>>,
) -> Option<()> {
    if fast(text, route, out).is_ok() {
        return Some(());
    }
    // Escaped member names and other rarities: the same reading, by serde.
    out.clear();
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    for field in route.fields {
        let resources = match value.get(field.property) {
            Some(serde_json::Value::Array(items)) => items.iter().collect(),
            Some(object @ serde_json::Value::Object(_)) => vec![object],
            _ => Vec::new(),
        };
        for resource in resources {
            let Some(key) = resource.get(field.key).and_then(serde_json::Value::as_str) else {
                continue;
            };
            let target = field
                .target
                .and_then(|target| resource.get(target)?.as_str())
                .map(|target| Cow::Owned(target.to_owned()));
            out.push(Named {
                field,
                key: Cow::Owned(key.to_owned()),
                target,
            });
        }
    }
    Some(())
}

/// Reads the members the route names and stops after the last of them:
/// the rest of the frame is the handles' to read.
fn fast<'t>(
    text: &'t str,
    route: &'static EventRoute,
    out: &mut Vec<Named<'t>>,
) -> Result<(), Mismatch> {
    let mut cursor = Cursor::new(text);
    let mut left = route.fields.len();
    let read =
        cursor.object(
            |cursor, name| match route.fields.iter().find(|f| f.property == name) {
                Some(field) => {
                    left = left.saturating_sub(1);
                    resources(cursor, field, out, left == 0)?;
                    // Every named member read: done (`Mismatch` stops the object).
                    if left == 0 { Err(Mismatch) } else { Ok(()) }
                }
                None => cursor.skip_value_unchecked(),
            },
        );
    match read {
        Err(Mismatch) if left == 0 => Ok(()),
        Err(Mismatch) => Err(Mismatch),
        Ok(()) => {
            cursor.skip_whitespace();
            if cursor.at_end() {
                Ok(())
            } else {
                Err(Mismatch)
            }
        }
    }
}

/// A property's value: a resource, a list of them, or null. In the `last`
/// member the route names, a resource's reading stops at its key (and
/// target).
fn resources<'t>(
    cursor: &mut Cursor<'t>,
    field: &'static RouteField,
    out: &mut Vec<Named<'t>>,
    last: bool,
) -> Result<(), Mismatch> {
    if cursor.is_null() {
        return Ok(());
    }
    cursor.skip_whitespace();
    match cursor.peek() {
        Some(b'[') => cursor.array(|cursor| resource(cursor, field, out, false)),
        Some(b'{') => resource(cursor, field, out, last),
        _ => cursor.skip_value_unchecked(),
    }
}

fn resource<'t>(
    cursor: &mut Cursor<'t>,
    field: &'static RouteField,
    out: &mut Vec<Named<'t>>,
    last: bool,
) -> Result<(), Mismatch> {
    let (mut key, mut target) = (None, None);
    let wanted = |key: &Option<Cow<'t, str>>, target: &Option<Cow<'t, str>>| {
        key.is_some() && (field.target.is_none() || target.is_some())
    };
    let read = cursor.object(|cursor, name| {
        if name == field.key {
            key = Some(cursor.str_value()?);
        } else if Some(name) == field.target {
            target = Some(cursor.str_value()?);
        } else {
            cursor.skip_value_unchecked()?;
        }
        if last && wanted(&key, &target) {
            Err(Mismatch)
        } else {
            Ok(())
        }
    });
    match read {
        Ok(()) => {}
        Err(Mismatch) if last && wanted(&key, &target) => {}
        Err(Mismatch) => return Err(Mismatch),
    }
    if let Some(key) = key {
        out.push(Named { field, key, target });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calls::resource::ResourceKind;

    static FIELDS: [RouteField; 2] = [
        RouteField {
            property: "channel",
            kind: ResourceKind("channel"),
            key: "id",
            target: None,
            ends: false,
            enters: false,
        },
        RouteField {
            property: "playback",
            kind: ResourceKind("playback"),
            key: "id",
            target: Some("target_uri"),
            ends: true,
            enters: false,
        },
    ];
    static ROUTE: EventRoute = EventRoute {
        fields: &FIELDS,
        displaces: false,
        offers: false,
    };

    fn keys(text: &str) -> Option<Vec<(String, Option<String>)>> {
        let mut out = Vec::new();
        named(text, &ROUTE, &mut out)?;
        Some(
            out.into_iter()
                .map(|n| (n.key.into_owned(), n.target.map(Cow::into_owned)))
                .collect(),
        )
    }

    #[test]
    fn the_scan_reads_keys_and_targets_and_skips_the_rest() {
        let text = r#"{"type":"X","channel":{"name":"a","id":"c1","caller":{"id":"no"}},"playback":{"id":"p1","target_uri":"channel:c1"},"other":{"id":"zz"}}"#;
        assert_eq!(
            keys(text).unwrap(),
            [
                ("c1".into(), None),
                ("p1".into(), Some("channel:c1".into()))
            ]
        );
    }

    #[test]
    fn lists_nulls_escapes_and_broken_text() {
        assert_eq!(
            keys(r#"{"channel":[{"id":"a"},{"id":"b"}],"playback":null}"#).unwrap(),
            [("a".into(), None), ("b".into(), None)]
        );
        // An escaped member name: the serde reading finds it too.
        assert_eq!(
            keys(r#"{"chan\u006eel":{"id":"e\u0031"}}"#).unwrap(),
            [("e1".into(), None)]
        );
        assert_eq!(keys(r#"{"channel":{"id":"x"}"#), None);
    }

    #[test]
    fn skipped_values_of_every_shape() {
        let text = r#"{"a":1,"b":-2.5e3,"c":true,"d":null,"e":"s\"}{","f":[1,{"g":"]"}],"h":{},"channel":{"x":[],"id":"k"}}"#;
        assert_eq!(keys(text).unwrap(), [("k".into(), None)]);
        assert_eq!(
            keys(r#"{ "a" : { "b" : [ 1 , 2 ] } , "channel" : { "id" : "w" } }"#).unwrap(),
            [("w".into(), None)]
        );
    }
}
