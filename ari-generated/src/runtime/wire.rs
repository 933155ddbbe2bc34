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
pub fn discriminator<'a>(text: &'a str, key: &str) -> Result<Cow<'a, str>, serde_json::Error> {
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
        assert!(discriminator(r#"{"type":"A"} trailing"#, "type").is_err());
    }
}
