//! The models file: structs, open enums of closed value sets, and the message enums.

use super::messages::emit_polymorphic;
use super::{doc, ident, paragraphs};
use crate::ir::{self, Api, ModelKind};
use crate::surface;
use proc_macro2::TokenStream;
use quote::quote;

pub(super) fn emit_models(api: &Api) -> TokenStream {
    let structs = api
        .models
        .values()
        .filter(|m| matches!(m.kind, ModelKind::Struct))
        .map(|m| emit_struct(api, m));
    let enums = api.enums.values().map(emit_enum);
    let messages = api.models.values().filter_map(|m| match &m.kind {
        ModelKind::Polymorphic(poly) => Some(emit_polymorphic(api, m, poly)),
        ModelKind::Struct => None,
    });
    let answers = emit_answer_decoder(api);
    quote! {
        //! Models: the objects ARI sends and receives, their closed value sets,
        //! and the messages and events dispatched on their discriminator.
        use serde::{Deserialize, Serialize};
        #( #structs )*
        #( #enums )*
        #( #messages )*
        #answers
    }
}

/// `decode_answer(method, template, body)`: a success body of any operation
/// decoded into its documented type, by the operation's route, so that
/// recorded answers of a real Asterisk can be checked without a server.
fn emit_answer_decoder(api: &Api) -> TokenStream {
    let mut routes: Vec<(&str, &str, TokenStream)> = api
        .resources
        .values()
        .flat_map(|r| r.operations.iter())
        .filter(|op| !op.websocket)
        .filter(|op| {
            !matches!(
                op.response,
                crate::ir::TypeRef::Void | crate::ir::TypeRef::Binary
            )
        })
        .map(|op| {
            (
                op.method.as_str(),
                op.path.as_str(),
                surface::decoded(api, &op.response).tokens(),
            )
        })
        .collect();
    routes.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    routes.dedup_by(|a, b| (a.0, a.1) == (b.0, b.1));
    let arms = routes.iter().map(|(method, path, ty)| {
        quote! { (#method, #path) => Some(serde_json::from_slice::<#ty>(body).map(drop)), }
    });
    quote! {
        /// Decodes a success answer's body of the operation at `method` and
        /// path `template` (`GET`, `/channels/{channelId}`) into its documented
        /// type: for checking recorded answers. `None` for a route these
        /// bindings do not have, or whose answer is empty or binary.
        #[doc(hidden)]
        // Bindings without a JSON answer (no operation) never read `body`.
        #[allow(unused_variables)]
        pub fn decode_answer(
            method: &str,
            template: &str,
            body: &[u8],
        ) -> Option<Result<(), serde_json::Error>> {
            match (method, template) {
                #( #arms )*
                _ => None,
            }
        }
    }
}

pub(super) fn model_doc(model: &ir::Model) -> TokenStream {
    let origin = format!("`{}` in {}.", model.api_name, model.file);
    doc(&paragraphs([
        model.description.as_deref(),
        Some(origin.as_str()),
    ]))
}

fn emit_struct(api: &Api, model: &ir::Model) -> TokenStream {
    let name = ident(&model.name);
    let docs = model_doc(model);
    let fields = model.properties.iter().map(|p| {
        let field = ident(&p.name);
        let ty = surface::property(api, p).tokens();
        let docs = doc(p.description.as_deref().unwrap_or(""));
        let rename = (p.name != p.api_name).then(|| {
            let wire = &p.api_name;
            quote! { #[serde(rename = #wire)] }
        });
        if p.required {
            quote! { #docs #rename pub #field: #ty, }
        } else {
            quote! {
                #docs
                #rename
                #[serde(default, skip_serializing_if = "Option::is_none")]
                pub #field: #ty,
            }
        }
    });
    quote! {
        #docs
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        pub struct #name {
            #( #fields )*
        }
    }
}

fn emit_enum(e: &ir::EnumType) -> TokenStream {
    let name = ident(&e.name);
    let other = ident(&e.other_variant);
    let docs = doc(&format!(
        "{}\n\nOpen: a value this version does not list arrives as `{}` and is sent back unchanged.",
        e.description, e.other_variant
    ));
    let variants = e.variants.iter().map(|(variant, wire)| {
        let variant = ident(variant);
        let docs = doc(&format!("`{wire}`"));
        quote! { #docs #variant, }
    });
    let to_wire = e.variants.iter().map(|(variant, wire)| {
        let variant = ident(variant);
        quote! { #name::#variant => #wire, }
    });
    let from_wire = e.variants.iter().map(|(variant, wire)| {
        let variant = ident(variant);
        quote! { #wire => #name::#variant, }
    });
    quote! {
        #docs
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum #name {
            #( #variants )*
            /// A value not listed in the api-docs these bindings come from.
            #other(String),
        }

        impl #name {
            /// The value as Asterisk spells it.
            pub fn as_str(&self) -> &str {
                match self {
                    #( #to_wire )*
                    #name::#other(value) => value,
                }
            }

            /// Parses a wire value; never fails, as unknown values are kept.
            pub fn from_wire(value: &str) -> Self {
                match value {
                    #( #from_wire )*
                    other => #name::#other(other.to_owned()),
                }
            }
        }

        // Display, From<&str>, ParamValue, Serialize, Deserialize, WireDecode.
        ::ari_runtime::open_enum_impls!(#name);
    }
}
