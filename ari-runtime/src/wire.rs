//! Serde helpers the generated code relies on.

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

/// Reads a string, borrowing when the input allows, and hands it to `build`.
/// Used by the open enums so that a known value costs no allocation.
pub fn deserialize_str<'de, D, T>(deserializer: D, build: fn(&str) -> T) -> Result<T, D::Error>
where
    D: de::Deserializer<'de>,
{
    struct StrVisitor<T>(fn(&str) -> T);
    impl<T> Visitor<'_> for StrVisitor<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string")
        }
        fn visit_str<E: de::Error>(self, value: &str) -> Result<T, E> {
            Ok((self.0)(value))
        }
    }
    deserializer.deserialize_str(StrVisitor(build))
}

/// A string that borrows from the input when it has no escapes.
struct CowStr<'de>(Cow<'de, str>);

impl<'de> de::Deserialize<'de> for CowStr<'de> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CowVisitor;
        impl<'de> Visitor<'de> for CowVisitor {
            type Value = CowStr<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, value: &'de str) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Borrowed(value)))
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Owned(value.to_owned())))
            }
        }
        deserializer.deserialize_str(CowVisitor)
    }
}

/// Finds the discriminator of a JSON object wherever it stands, skipping
/// everything else without building values.
///
/// Fast path: the top-level members are walked with the decoder's cursor up
/// to the first `key`, and its value is borrowed; the text after it is not
/// read, because the decode that follows (into the variant, or `RawValue`
/// for an unknown type) validates the whole text anyway. Reading
/// only the head matters: a full validating pre-scan cost a quarter of the
/// typed decode. Whatever the walk cannot settle (no object, escapes in a
/// member name or in the value, no such member, malformed input before it)
/// goes to the full scan, which gives the same answer or the error.
pub fn discriminator<'a>(text: &'a str, key: &str) -> Result<Cow<'a, str>, serde_json::Error> {
    discriminator_via(text, key, super::decode::Path::Auto)
}

/// [`discriminator`] through one reader: `SerdeOnly` is the full scan alone,
/// the reference the fast head scan is held against.
#[doc(hidden)]
pub fn discriminator_via<'a>(
    text: &'a str,
    key: &str,
    path: super::decode::Path,
) -> Result<Cow<'a, str>, serde_json::Error> {
    let head = match path {
        super::decode::Path::SerdeOnly => None,
        _ => super::decode::leading_string_member(text, key),
    };
    match head {
        Some(value) => Ok(Cow::Borrowed(value)),
        None => full_discriminator(text, key),
    }
}

/// The validating scan: reads the whole object with `IgnoredAny`.
fn full_discriminator<'a>(text: &'a str, key: &str) -> Result<Cow<'a, str>, serde_json::Error> {
    struct Finder<'k> {
        key: &'k str,
    }
    impl<'de> DeserializeSeed<'de> for Finder<'_> {
        type Value = Option<Cow<'de, str>>;
        fn deserialize<D: de::Deserializer<'de>>(
            self,
            deserializer: D,
        ) -> Result<Self::Value, D::Error> {
            deserializer.deserialize_map(self)
        }
    }
    impl<'de> Visitor<'de> for Finder<'_> {
        type Value = Option<Cow<'de, str>>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut found = None;
            while let Some(CowStr(name)) = map.next_key::<CowStr<'de>>()? {
                if found.is_none() && name == self.key {
                    found = Some(map.next_value::<CowStr<'de>>()?.0);
                } else {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            Ok(found)
        }
    }
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let found = Finder { key }.deserialize(&mut deserializer)?;
    deserializer.end()?;
    found.ok_or_else(|| de::Error::custom(format_args!("the object has no `{key}`")))
}

/// The trait impls every open enum of the generated models shares, in one
/// place rather than spelled out 20-odd times in the generated source (whose
/// size is most of the generator's time). The enum provides `as_str` and
/// `from_wire`; unknown values live in its catch-all variant. Paths are
/// absolute, so that a model named like a prelude type captures none of them.
#[doc(hidden)]
#[macro_export]
macro_rules! __open_enum_impls {
    ($name:ident) => {
        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::convert::From<&str> for $name {
            fn from(value: &str) -> Self {
                Self::from_wire(value)
            }
        }

        impl $crate::ParamValue for $name {
            fn to_param(&self) -> ::std::borrow::Cow<'_, str> {
                ::std::borrow::Cow::Borrowed(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<Self, D::Error> {
                $crate::wire::deserialize_str(deserializer, Self::from_wire)
            }
        }

        impl $crate::decode::WireDecode for $name {
            fn wire_decode(
                cursor: &mut $crate::decode::Cursor<'_>,
            ) -> ::std::result::Result<Self, $crate::decode::Mismatch> {
                cursor.str_value().map(|value| Self::from_wire(&value))
            }
        }
    };
}

/// Writes a variant's struct with its discriminator added back.
pub fn serialize_tagged<S, T>(
    serializer: S,
    key: &str,
    kind: &str,
    value: &T,
) -> Result<S::Ok, S::Error>
where
    S: serde::Serializer,
    T: serde::Serialize,
{
    use serde::ser::Error as _;
    let mut object = serde_json::to_value(value).map_err(S::Error::custom)?;
    match &mut object {
        serde_json::Value::Object(map) => {
            map.insert(key.to_owned(), serde_json::Value::String(kind.to_owned()));
        }
        _ => {
            return Err(S::Error::custom(
                "a message must serialize to a JSON object",
            ));
        }
    }
    serde::Serialize::serialize(&object, serializer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_discriminator_anywhere() {
        assert_eq!(discriminator(r#"{"type":"A","x":1}"#, "type").unwrap(), "A");
        assert_eq!(
            discriminator(r#"{"x":{"type":"inner"},"type":"B"}"#, "type").unwrap(),
            "B"
        );
        assert!(matches!(
            discriminator(r#"{"x":1,"type":"C"}"#, "type").unwrap(),
            Cow::Borrowed(_)
        ));
        assert_eq!(
            discriminator(r#"{"type":"D\u0045"}"#, "type").unwrap(),
            "DE"
        );
        assert!(discriminator(r#"{"x":1}"#, "type").is_err());
        assert!(discriminator(r#"{"type":1}"#, "type").is_err());
        assert!(discriminator(r#"[1]"#, "type").is_err());
        // Past the discriminator nothing is read: the variant's decode
        // validates the whole text (see `Message::from_json`).
        assert_eq!(
            discriminator(r#"{"type":"A"} trailing"#, "type").unwrap(),
            "A"
        );
        // Malformed before the discriminator: the full scan reports it.
        assert!(discriminator(r#"{"x":1 "type":"A"}"#, "type").is_err());
        assert!(discriminator(r#"{"x":"#, "type").is_err());
        assert!(discriminator(r#"{"#, "type").is_err());
        assert!(discriminator("", "type").is_err());
    }

    #[test]
    fn fast_path_agrees_with_the_full_scan() {
        for text in [
            r#"{"type":"A","x":1}"#,
            r#" { "cause" : 32 , "soft":true, "type" : "B" }"#,
            r#"{"variable":"a\"b","value":"","type":"C"}"#,
            r#"{"x":{"type":"inner","y":[1,{"z":"]}"}]},"type":"D"}"#,
            r#"{"x":[],"y":{},"z":null,"w":-1.5e3,"type":"E"}"#,
            r#"{"ty\u0070e":"escaped name","type":"F"}"#,
            r#"{"type":"G\u0045"}"#,
            r#"{"type":"H","type":"second"}"#,
            r#"{"x":"ünïcödé","type":"Ï"}"#,
        ] {
            assert_eq!(
                discriminator(text, "type").unwrap(),
                full_discriminator(text, "type").unwrap(),
                "{text}"
            );
        }
        assert_eq!(discriminator(r#"{"x":1,"type":"C"}"#, "type").unwrap(), "C");
        let head = super::super::decode::leading_string_member;
        assert_eq!(head(r#"{"ty\u0070e":"x"}"#, "type"), None);
        assert_eq!(head(r#"{"type":"a\"b"}"#, "type"), None);
        assert_eq!(head(r#"{"x":1}"#, "type"), None);
        assert_eq!(head(r#"{"type":"a"}"#, "type"), Some("a"));
    }
}
