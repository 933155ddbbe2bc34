//! The decoders file: the fast-path decoders of the models.

use super::ident;
use crate::ir::{self, Api, ModelKind};
use proc_macro2::TokenStream;
use quote::quote;

/// The fast-path decoders (see `runtime::decode`), in a file of their own:
/// they are as large as the models, and separate files are formatted in
/// parallel.
pub(super) fn emit_decoders(api: &Api) -> TokenStream {
    let structs = api.models.values().map(|model| match &model.kind {
        ModelKind::Struct => emit_struct_decoder(model),
        ModelKind::Polymorphic(_) => {
            let name = ident(&model.name);
            quote! {
                impl WireDecode for models::#name {
                    fn wire_decode(cursor: &mut Cursor<'_>) -> Result<Self, Mismatch> {
                        cursor.with_text(|text| Self::from_json(text).ok())
                    }
                }
            }
        }
    });
    quote! {
        //! Fast-path decoders of the models, for events: each reads its JSON
        //! directly and leaves anything unusual to serde.
        use super::models;
        use ::ari_runtime::decode::{Cursor, Mismatch, WireDecode, required};
        #( #structs )*
    }
}

/// The fast-path decoder of a struct (see `runtime::decode`): one slot per
/// property, filled by matching member names, unknown members skipped.
/// Anything else (a duplicate, a missing required member) is left to serde.
/// Slots are numbered, so that no property name can shadow the closure's
/// own bindings.
fn emit_struct_decoder(model: &ir::Model) -> TokenStream {
    let name = ident(&model.name);
    let slot = |index: usize| ident(&format!("slot{index}"));
    // Slot types are inferred from the struct literal below: spelling them
    // out doubled the file that formatting, most of the generator's time,
    // has to go through.
    let slots = model.properties.iter().enumerate().map(|(index, _)| {
        let slot = slot(index);
        quote! { let mut #slot = None; }
    });
    let arms = model.properties.iter().enumerate().map(|(index, p)| {
        let slot = slot(index);
        let wire = &p.api_name;
        quote! { #wire => cursor.field(&mut #slot), }
    });
    let assign = model.properties.iter().enumerate().map(|(index, p)| {
        let slot = slot(index);
        let field = ident(&p.name);
        if p.required {
            quote! { #field: required(#slot)?, }
        } else {
            quote! { #field: #slot.flatten(), }
        }
    });
    quote! {
        impl WireDecode for models::#name {
            fn wire_decode(cursor: &mut Cursor<'_>) -> Result<Self, Mismatch> {
                #( #slots )*
                cursor.object(|cursor, key| match key {
                    #( #arms )*
                    _ => cursor.skip_value(),
                })?;
                Ok(models::#name { #( #assign )* })
            }
        }
    }
}
