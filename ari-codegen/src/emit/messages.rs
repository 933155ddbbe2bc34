//! The polymorphic message enums (`Message`, `Event`): dispatch, accessors, the unknown variant.

use super::models::model_doc;
use super::{doc, ident, paragraphs};
use crate::ir::{self, Api, TypeRef};
use crate::surface;
use proc_macro2::TokenStream;
use quote::quote;

/// How a common property is read from one variant's struct; the unknown
/// variant (`leaf` = `None`) stores every common property as an `Option`.
fn common_accessor(prop: &ir::Property, leaf: Option<&ir::Model>) -> Option<TokenStream> {
    let (field, required) = match leaf {
        None => (ident(&prop.name), false),
        Some(model) => {
            let own = model
                .properties
                .iter()
                .find(|p| p.api_name == prop.api_name)?;
            (ident(&own.name), own.required)
        }
    };
    let copy = surface::is_copy(&prop.ty);
    Some(match (&prop.ty, required) {
        (TypeRef::String, true) => quote! { Some(value.#field.as_str()) },
        (TypeRef::String, false) => quote! { value.#field.as_deref() },
        (_, true) if copy => quote! { Some(value.#field) },
        (_, false) if copy => quote! { value.#field },
        (_, true) => quote! { Some(&value.#field) },
        (_, false) => quote! { value.#field.as_ref() },
    })
}

pub(super) fn emit_polymorphic(
    api: &Api,
    model: &ir::Model,
    poly: &ir::Polymorphic,
) -> TokenStream {
    let name = ident(&model.name);
    let unknown = ident(&poly.unknown_type_name);
    let catch_all = ident(&poly.unknown_variant);
    let discriminator = &poly.discriminator;
    let leaves: Vec<&ir::Model> = poly.leaves.iter().map(|id| &api.models[id]).collect();
    let docs = doc(&paragraphs([
        model.description.as_deref(),
        Some(&format!(
            "Dispatched on `{discriminator}`, wherever it stands in the object. A `{discriminator}` \
             these bindings do not know arrives as [`{name}::{unknown_variant}`]; a known one whose body does \
             not match its model is a [`::ari_runtime::DecodeError`] that keeps the raw text. \
             Known variants are boxed, so that a message moves as a pointer.",
            name = model.name,
            unknown_variant = poly.unknown_variant,
        )),
    ]));

    let variants = leaves.iter().map(|leaf| {
        let variant = ident(&leaf.name);
        let docs = model_doc(leaf);
        // Boxed: the largest event holds several channels and bridges inline
        // (4.5 KB for `BridgeAttendedTransfer`), and an unboxed enum is as
        // large as its largest variant, copied whole at every move on the
        // way from the socket to user code.
        quote! { #docs #variant(Box<#variant>), }
    });
    let kinds = leaves.iter().map(|leaf| {
        let variant = ident(&leaf.name);
        let wire = &leaf.api_name;
        quote! { #name::#variant(_) => #wire, }
    });
    let known: Vec<&String> = leaves.iter().map(|leaf| &leaf.api_name).collect();
    let decode_arms = leaves.iter().map(|leaf| {
        let variant = ident(&leaf.name);
        let wire = &leaf.api_name;
        quote! { #wire => via(text, path).map(Self::#variant), }
    });
    // One short line per variant: these arms are a good part of the models
    // file, and formatting is most of the generator's time.
    let serialize_arms = leaves.iter().map(|leaf| {
        let variant = ident(&leaf.name);
        quote! { #name::#variant(v) => tagged(serializer, key, kind, v), }
    });

    // The unknown variant keeps only the common properties.
    let accessible = poly
        .common
        .iter()
        .map(|prop| (prop, true))
        .chain(poly.shared.iter().map(|prop| (prop, false)));
    let accessors = accessible.map(|(prop, kept_when_unknown)| {
        let field = ident(&prop.name);
        let ty = match prop.ty {
            TypeRef::String => quote! { &str },
            _ if surface::is_copy(&prop.ty) => surface::decoded(api, &prop.ty).tokens(),
            _ => {
                let ty = surface::decoded(api, &prop.ty).tokens();
                quote! { &#ty }
            }
        };
        let docs = doc(&paragraphs([
            prop.description.as_deref(),
            Some(&format!(
                "`None` on variants that do not carry `{}`.",
                prop.api_name
            )),
        ]));
        // Only the variants that carry the property are listed: one
        // wildcard stands for the rest, which keeps the models file (and the
        // generator's formatting time) from growing with events × accessors.
        let mut arms: Vec<TokenStream> = leaves
            .iter()
            .filter_map(|leaf| {
                let variant = ident(&leaf.name);
                common_accessor(prop, Some(leaf))
                    .map(|read| quote! { #name::#variant(value) => #read, })
            })
            .collect();
        if let Some(read) = common_accessor(prop, None).filter(|_| kept_when_unknown) {
            arms.push(quote! { #name::#catch_all(value) => #read, });
        }
        if arms.len() < leaves.len() + 1 {
            arms.push(quote! { _ => None, });
        }
        quote! {
            #docs
            pub fn #field(&self) -> Option<#ty> {
                match self {
                    #( #arms )*
                }
            }
        }
    });

    let unknown_fields = poly.common.iter().map(|prop| {
        let field = ident(&prop.name);
        let ty = surface::decoded(api, &prop.ty).tokens();
        let docs = doc(prop.description.as_deref().unwrap_or(""));
        quote! { #docs pub #field: Option<#ty>, }
    });
    let common_fields = poly.common.iter().map(|prop| {
        let field = ident(&prop.name);
        let ty = surface::decoded(api, &prop.ty).tokens();
        let wire = &prop.api_name;
        quote! { #[serde(rename = #wire, default)] #field: Option<#ty>, }
    });
    let unknown_common = ident(&format!("{}Common", poly.unknown_type_name));
    let unknown_assign = poly.common.iter().map(|prop| {
        let field = ident(&prop.name);
        quote! { #field: common.#field, }
    });
    let unknown_doc = doc(&format!(
        "A `{}` whose `{discriminator}` these bindings do not know: a newer Asterisk's event is data, not an error.",
        model.api_name
    ));

    quote! {
        #docs
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        pub enum #name {
            #( #variants )*
            /// A type these bindings do not know.
            #catch_all(#unknown),
        }

        impl #name {
            /// Every `type` these bindings decode into a typed variant.
            pub const KNOWN_TYPES: &'static [&'static str] = &[ #( #known ),* ];

            /// The discriminator, as sent by Asterisk.
            pub fn kind(&self) -> &str {
                match self {
                    #( #kinds )*
                    #name::#catch_all(value) => &value.kind,
                }
            }

            /// Decodes one JSON text, such as a WebSocket frame.
            pub fn from_json(text: &str) -> Result<Self, ::ari_runtime::DecodeError> {
                Self::from_json_via(text, ::ari_runtime::decode::Path::Auto)
            }

            /// [`Self::from_json`] through one decoder only, to hold the fast path against serde.
            #[doc(hidden)]
            pub fn from_json_via(text: &str, path: ::ari_runtime::decode::Path) -> Result<Self, ::ari_runtime::DecodeError> {
                let kind = ::ari_runtime::wire::discriminator_via(text, #discriminator, path)
                    .map_err(|source| ::ari_runtime::DecodeError::new(None, text, source))?;
                use ::ari_runtime::decode::decode_via as via;
                let decoded = match kind.as_ref() {
                    #( #decode_arms )*
                    _ => {
                        // The head scan read the text only up to the
                        // discriminator; a message kept whole as unknown is
                        // checked by the full scan, as serde would read it.
                        let kind = ::ari_runtime::wire::discriminator_via(text, #discriminator, ::ari_runtime::decode::Path::SerdeOnly)
                            .map_err(|source| ::ari_runtime::DecodeError::new(None, text, source))?;
                        return Ok(#name::#catch_all(#unknown::decode(kind.into_owned(), text)?));
                    }
                };
                decoded.map_err(|source| ::ari_runtime::DecodeError::new(Some(kind.into_owned()), text, source))
            }

            #( #accessors )*
        }

        impl ::ari_runtime::FromFrame for #name {
            fn from_frame(text: &str) -> Result<Self, ::ari_runtime::DecodeError> {
                Self::from_json(text)
            }
        }

        impl Serialize for #name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                use ::ari_runtime::wire::serialize_tagged as tagged;
                let (key, kind) = (#discriminator, self.kind());
                match self {
                    #( #serialize_arms )*
                    #name::#catch_all(value) => value.raw.serialize(serializer),
                }
            }
        }

        impl<'de> Deserialize<'de> for #name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let raw = <&serde_json::value::RawValue>::deserialize(deserializer)?;
                Self::from_json(raw.get()).map_err(serde::de::Error::custom)
            }
        }

        #unknown_doc
        #[derive(Debug, Clone)]
        #[non_exhaustive]
        pub struct #unknown {
            /// The unrecognised discriminator.
            pub kind: String,
            #( #unknown_fields )*
            /// The whole message, exactly as received.
            pub raw: Box<serde_json::value::RawValue>,
        }

        #[derive(Default, Deserialize)]
        struct #unknown_common {
            #( #common_fields )*
        }

        impl #unknown {
            fn decode(kind: String, text: &str) -> Result<Self, ::ari_runtime::DecodeError> {
                let raw = serde_json::value::RawValue::from_string(text.to_owned())
                    .map_err(|source| ::ari_runtime::DecodeError::new(Some(kind.clone()), text, source))?;
                // Common fields are a convenience: one of an unexpected shape
                // must not turn a new event into an error.
                let common: #unknown_common = serde_json::from_str(text).unwrap_or_default();
                Ok(#unknown { kind, #( #unknown_assign )* raw })
            }
        }

        impl PartialEq for #unknown {
            fn eq(&self, other: &Self) -> bool {
                self.kind == other.kind && self.raw.get() == other.raw.get()
            }
        }
    }
}
