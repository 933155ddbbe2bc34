//! The resource files: the resource type, its entry methods, request builders and error enums.

use super::{doc, ident, paragraphs, since_note};
use crate::ir::{self, Api, ParamLocation, TypeRef};
use crate::naming;
use crate::surface;
use proc_macro2::{Ident, Literal, TokenStream};
use quote::quote;

pub(super) fn emit_resource(api: &Api, resource: &ir::Resource) -> TokenStream {
    let ty = ident(&resource.type_name);
    let resource_doc = doc(&paragraphs([
        Some(format!("Operations on `/{}`.", resource.api_name).as_str()),
        (!resource.requires_modules.is_empty())
            .then(|| {
                format!(
                    "Requires the Asterisk modules {}.",
                    resource.requires_modules.join(", ")
                )
            })
            .as_deref(),
    ]));
    let methods = resource
        .operations
        .iter()
        .map(|op| emit_entry_method(api, op));
    let builders = resource
        .operations
        .iter()
        .map(|op| emit_builder(api, resource, op));
    let handles = surface::handles(resource)
        .into_iter()
        .map(|handle| emit_handle(api, resource, &handle));
    let module_doc = format!(" `{}`: {}", resource.api_name, resource.file);
    quote! {
        #![doc = #module_doc]
        #resource_doc
        #[derive(Debug, Clone)]
        pub struct #ty {
            client: ::ari_runtime::Client,
        }

        impl #ty {
            pub(crate) fn new(client: ::ari_runtime::Client) -> Self {
                Self { client }
            }

            #( #methods )*
        }

        #( #handles )*

        #( #builders )*
    }
}

/// A handle: the client and an id, with each operation under the handle's
/// path as a method that takes every argument but the id.
fn emit_handle(api: &Api, resource: &ir::Resource, handle: &surface::Handle<'_>) -> TokenStream {
    let ty = ident(&handle.type_name);
    let resource_ty = ident(&resource.type_name);
    let docs = doc(&format!(
        "`{}` by its `{}`: the operations on that path without repeating the id. \
         Cheap to clone; made by the client's `{}(id)`.",
        handle.prefix, handle.id_param, handle.accessor
    ));
    let mut names = naming::Scope::with_reserved(&["new", "id", "clone"]);
    let methods = handle.operations.iter().map(|op| {
        let method = ident(&names.claim(op.name.clone()));
        let entry = ident(&op.name);
        let builder = ident(&surface::builder_name(op));
        let is_id =
            |p: &ir::Param| p.location == ParamLocation::Path && p.api_name == handle.id_param;
        let args = surface::arguments(op);
        let params = args.iter().filter(|p| !is_id(p)).map(|p| {
            let name = ident(&p.name);
            let ty = surface::argument(api, p).tokens();
            quote! { #name: #ty }
        });
        let passed = args.iter().map(|p| {
            if is_id(p) {
                quote! { &self.id }
            } else {
                let name = ident(&p.name);
                quote! { #name }
            }
        });
        let text = format!("[`{}::{}`] on this one.", resource.type_name, op.name);
        let docs = doc(&paragraphs([op.summary.as_deref(), Some(text.as_str())]));
        quote! {
            #docs
            pub fn #method(&self, #( #params ),*) -> #builder {
                #resource_ty::new(self.client.clone()).#entry(#( #passed ),*)
            }
        }
    });
    let followed = surface::followed(api);
    let index = followed.iter().position(|f| {
        f.handle.type_name == handle.type_name && f.resource.api_name == resource.api_name
    });
    let handle_impl = index.map(|i| super::calls::emit_handle_impl(&followed[i]));
    let waits = index.and_then(|i| super::calls::emit_waits(api, &followed, i));
    quote! {
        #docs
        #[derive(Debug, Clone)]
        pub struct #ty {
            client: ::ari_runtime::Client,
            id: String,
        }

        #handle_impl

        #waits

        impl #ty {
            /// The handle of `id` for the runtime's client.
            pub fn new(client: ::ari_runtime::Client, id: impl Into<String>) -> Self {
                Self { client, id: id.into() }
            }

            /// The id this handle addresses.
            pub fn id(&self) -> &str {
                &self.id
            }

            #( #methods )*
        }
    }
}

fn operation_doc(op: &ir::Operation) -> String {
    let route = format!("`{} {}` (`{}`)", op.method.as_str(), op.path, op.api_name);
    let since = since_note(&op.since);
    paragraphs([
        op.summary.as_deref(),
        op.notes.as_deref(),
        Some(route.as_str()),
        since.as_deref(),
    ])
}

/// `# Arguments`: each required parameter with the api-docs' text (the
/// optional ones are documented on their builder methods).
fn arguments_doc(args: &[&ir::Param]) -> Option<String> {
    if args.is_empty() {
        return None;
    }
    let items: Vec<String> = args
        .iter()
        .map(|p| {
            let text = p.description.as_deref().unwrap_or("").trim();
            let text = text.replace('\n', " ");
            let wire = if p.name == p.api_name {
                String::new()
            } else {
                format!(" (`{}`)", p.api_name)
            };
            format!("* `{}`{wire}: {text}", p.name)
                .trim_end()
                .to_owned()
        })
        .collect();
    Some(format!("# Arguments\n\n{}", items.join("\n")))
}

fn param_doc(p: &ir::Param) -> String {
    let mut notes = Vec::new();
    if let Some(default) = &p.default {
        notes.push(format!("Default: `{default}`."));
    }
    if let Some(min) = &p.minimum {
        notes.push(format!("Minimum: {min}."));
    }
    if let Some(max) = &p.maximum {
        notes.push(format!("Maximum: {max}."));
    }
    let wire = format!("Wire name: `{}`.", p.api_name);
    notes.push(wire);
    paragraphs([p.description.as_deref(), Some(notes.join(" ").as_str())])
}

/// How a builder takes a parameter: (argument type, expression that stores it).
fn param_input(api: &Api, p: &ir::Param) -> (TokenStream, TokenStream) {
    let name = ident(&p.name);
    let ty = surface::argument(api, p).tokens();
    let store = match (&p.ty, p.multiple) {
        (TypeRef::String, true) => {
            quote! { #name.iter().map(|v| v.as_ref().to_owned()).collect::<Vec<String>>() }
        }
        (_, true) => quote! { #name.to_vec() },
        (TypeRef::String, false) => quote! { #name.as_ref().to_owned() },
        (TypeRef::Object | TypeRef::Enum(_), false) => quote! { #name.into() },
        (_, false) => quote! { #name },
    };
    (ty, store)
}

fn builder_name(op: &ir::Operation) -> Ident {
    ident(&surface::builder_name(op))
}

fn error_name(op: &ir::Operation) -> Ident {
    ident(&surface::error_name(op))
}

fn emit_entry_method(api: &Api, op: &ir::Operation) -> TokenStream {
    let method = ident(&op.name);
    let builder = builder_name(op);
    let args = surface::arguments(op);
    let docs = doc(&paragraphs([
        Some(operation_doc(op).as_str()),
        arguments_doc(&args).as_deref(),
    ]));
    let params = args.iter().map(|p| {
        let name = ident(&p.name);
        let (ty, _) = param_input(api, p);
        quote! { #name: #ty }
    });
    let inits = op.params.iter().map(|p| {
        let name = ident(&p.name);
        if p.required {
            let (_, store) = param_input(api, p);
            quote! { #name: #store, }
        } else {
            quote! { #name: None, }
        }
    });
    quote! {
        #docs
        pub fn #method(&self, #( #params ),*) -> #builder {
            #builder {
                client: self.client.clone(),
                #( #inits )*
            }
        }
    }
}

fn emit_builder(api: &Api, resource: &ir::Resource, op: &ir::Operation) -> TokenStream {
    let builder = builder_name(op);
    let error = error_name(op);
    let entry = format!("Request built by [`{}::{}`].", resource.type_name, op.name);
    let builder_doc = doc(&paragraphs([Some(entry.as_str()), op.summary.as_deref()]));
    let fields = op.params.iter().map(|p| {
        let name = ident(&p.name);
        let ty = surface::stored(api, p).tokens();
        quote! { #name: #ty, }
    });
    let setters = op.params.iter().filter(|p| !p.required).map(|p| {
        let name = ident(&p.name);
        let (ty, store) = param_input(api, p);
        let docs = doc(&param_doc(p));
        quote! {
            #docs
            pub fn #name(mut self, #name: #ty) -> Self {
                self.#name = Some(#store);
                self
            }
        }
    });

    let template = &op.path;
    let path_expr = path_expression(op);
    let method = ident(op.method.as_str());
    let fill = op.params.iter().map(fill_request);
    let request = quote! {
        let mut request = ::ari_runtime::Request::new(::ari_runtime::Method::#method, #template, #path_expr);
        #( #fill )*
    };

    let (finish, error_type) = if op.websocket {
        let TypeRef::Model(id) = &op.response else {
            return quote! {};
        };
        let message = ident(&api.models[id].name);
        (
            quote! {
                /// Opens the WebSocket and returns the stream of decoded messages.
                pub async fn connect(self) -> Result<::ari_runtime::EventStream<super::models::#message>, ::ari_runtime::ConnectError> {
                    #request
                    ::ari_runtime::EventStreamBuilder::<super::Api>::from_request(self.client, request).connect().await
                }
            },
            None,
        )
    } else {
        let response_ty = surface::decoded(api, &op.response).tokens();
        let success = match &op.response {
            TypeRef::Void => quote! { Ok(()) },
            TypeRef::Binary => quote! { Ok(response.into_bytes()) },
            _ => quote! { response.json().map_err(#error::Transport) },
        };
        let status_arms = op.errors.keys().map(|code| {
            let variant = ident(&naming::status_variant(*code));
            let code = Literal::u16_unsuffixed(*code);
            quote! { #code => Err(#error::#variant(response.into_error())), }
        });
        (
            quote! {
                /// Sends the request.
                pub async fn send(self) -> Result<#response_ty, #error> {
                    #request
                    let response = self.client.execute(request).await.map_err(#error::Transport)?;
                    match response.status() {
                        200..=299 => #success,
                        #( #status_arms )*
                        _ => Err(#error::UnexpectedStatus(response.into_error())),
                    }
                }
            },
            Some(emit_error(op)),
        )
    };

    let tracked = error_type
        .is_some()
        .then(|| super::calls::emit_tracked(api, op, &error))
        .flatten();
    quote! {
        #builder_doc
        #[derive(Debug, Clone)]
        #[must_use = "a request does nothing until it is sent"]
        pub struct #builder {
            client: ::ari_runtime::Client,
            #( #fields )*
        }

        impl #builder {
            #( #setters )*
            #finish
            #tracked
        }

        #error_type
    }
}

/// `format!("/channels/{}/play", encode(&self.channel_id))`, or a literal.
fn path_expression(op: &ir::Operation) -> TokenStream {
    let mut format = String::new();
    let mut args = Vec::new();
    let mut rest = op.path.as_str();
    while let Some(start) = rest.find('{') {
        format.push_str(&rest[..start].replace('{', "{{").replace('}', "}}"));
        let Some(end) = rest[start..].find('}') else {
            break;
        };
        let name = &rest[start + 1..start + end];
        if let Some(p) = op
            .params
            .iter()
            .find(|p| p.location == ParamLocation::Path && p.api_name == name)
        {
            let field = ident(&p.name);
            args.push(quote! { ::ari_runtime::encode_path(&::ari_runtime::ParamValue::to_param(&self.#field)) });
        }
        format.push_str("{}");
        rest = &rest[start + end + 1..];
    }
    format.push_str(&rest.replace('{', "{{").replace('}', "}}"));
    if args.is_empty() {
        quote! { #format.to_owned() }
    } else {
        quote! { format!(#format, #( #args ),*) }
    }
}

fn fill_request(p: &ir::Param) -> TokenStream {
    let field = ident(&p.name);
    let wire = &p.api_name;
    let call = match (p.location, p.multiple) {
        (ParamLocation::Path, _) => return quote! {},
        (ParamLocation::Query, false) => quote! { request.query(#wire, value) },
        (ParamLocation::Query, true) => quote! { request.query_list(#wire, value) },
        (ParamLocation::BodyField, _) => quote! { request.body_field(#wire, value) },
        (ParamLocation::Body, _) => quote! { request.body(value) },
    };
    if p.required {
        quote! { { let value = &self.#field; #call; } }
    } else {
        quote! { if let Some(value) = &self.#field { #call; } }
    }
}

fn emit_error(op: &ir::Operation) -> TokenStream {
    let error = error_name(op);
    let head = format!("Errors of `{}`.", op.api_name);
    let variants = op.errors.iter().map(|(code, reasons)| {
        let variant = ident(&naming::status_variant(*code));
        let reason = reasons
            .iter()
            .map(|r| r.trim())
            .filter(|r| !r.is_empty())
            .collect::<Vec<_>>()
            .join("; ");
        let docs = doc(&format!("`{code}`: {reason}"));
        // thiserror reads the message as a format string.
        // The response's own text carries the status and Asterisk's message.
        let message = if reason.is_empty() {
            "{0}".to_owned()
        } else {
            format!("{} ({{0}})", reason.replace('{', "{{").replace('}', "}}"))
        };
        quote! {
            #docs
            #[error(#message)]
            #variant(::ari_runtime::ErrorResponse),
        }
    });
    let status_arms = op.errors.keys().map(|code| {
        let variant = ident(&naming::status_variant(*code));
        let code = Literal::u16_unsuffixed(*code);
        quote! { #error::#variant(_) => Some(#code), }
    });
    let docs = doc(&head);
    quote! {
        #docs
        #[derive(Debug, thiserror::Error)]
        #[non_exhaustive]
        pub enum #error {
            #( #variants )*
            /// A status these api-docs do not document for this operation.
            #[error("unexpected status: {0}")]
            UnexpectedStatus(::ari_runtime::ErrorResponse),
            /// The request did not complete, or its answer could not be decoded.
            #[error(transparent)]
            Transport(::ari_runtime::TransportError),
        }

        impl #error {
            /// The HTTP status Asterisk answered with, if it answered.
            pub fn status(&self) -> Option<u16> {
                match self {
                    #( #status_arms )*
                    #error::UnexpectedStatus(response) => Some(response.status),
                    #error::Transport(error) => error.status(),
                }
            }
        }
    }
}
