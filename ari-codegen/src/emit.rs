//! IR → Rust source. Pure: no I/O, same IR in, same bytes out.
//!
//! Generated files are siblings in one module and refer to each other as
//! `super::models::X`; the hand-written runtime is always `crate::runtime`.

use crate::error::{Error, Result};
use crate::ir::{self, Api, ModelKind, ParamLocation, TypeRef};
use crate::naming;
use crate::surface;
use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::quote;

/// One generated file, relative to the `generated/` folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    pub path: String,
    pub contents: String,
}

pub fn emit(api: &Api) -> Result<Vec<GeneratedFile>> {
    emit_module(api, "")
}

/// The module's files, their paths starting with `prefix`.
fn emit_module(api: &Api, prefix: &str) -> Result<Vec<GeneratedFile>> {
    // Formatting (syn + prettyplease) is nine tenths of the generator's time,
    // and every file is formatted on its own: the files are shared out to
    // one thread per core, biggest first. The output does not depend on
    // which thread renders what.
    enum Job<'a> {
        Root,
        Models,
        Decoders,
        Resource(&'a ir::Resource),
    }
    let mut jobs = vec![Job::Models, Job::Decoders];
    jobs.extend(api.resources.values().map(Job::Resource));
    jobs.push(Job::Root);
    let render_job = |job: &Job| match job {
        Job::Root => render(&format!("{prefix}mod.rs"), api, emit_root(api, None)),
        Job::Models => render(&format!("{prefix}models.rs"), api, emit_models(api)),
        Job::Decoders => render(&format!("{prefix}decoders.rs"), api, emit_decoders(api)),
        Job::Resource(resource) => render(
            &format!("{prefix}{}.rs", resource.name),
            api,
            emit_resource(api, resource),
        ),
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .min(jobs.len());
    let mut files = if threads <= 1 {
        jobs.iter().map(render_job).collect::<Result<Vec<_>>>()?
    } else {
        let next = std::sync::atomic::AtomicUsize::new(0);
        let work = || {
            let mut done = Vec::new();
            loop {
                let index = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(job) = jobs.get(index) else {
                    return done;
                };
                done.push(render_job(job));
            }
        };
        std::thread::scope(|scope| {
            let helpers: Vec<_> = (1..threads).map(|_| scope.spawn(work)).collect();
            let mut results = work();
            for helper in helpers {
                match helper.join() {
                    Ok(more) => results.extend(more),
                    Err(_) => results.push(Err(Error::Emit {
                        file: format!("{prefix}*.rs"),
                        message: "a formatting thread panicked".into(),
                    })),
                }
            }
            results.into_iter().collect::<Result<Vec<_>>>()
        })?
    };
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// A standalone crate that commits its own bindings and takes the runtime
/// from the `ari-generated` crate. `runtime` is the dependency line for it,
/// e.g. `"0.1"` or `{ path = "../ari/ari-generated" }`. Paths are relative to
/// the crate folder.
pub fn emit_crate(api: &Api, name: &str, runtime: &str) -> Result<Vec<GeneratedFile>> {
    let mut files = emit_module(api, "src/generated/")?;
    let runtime = if runtime.trim_start().starts_with('{') {
        runtime.to_owned()
    } else {
        format!("\"{runtime}\"")
    };
    files.push(GeneratedFile {
        path: "Cargo.toml".into(),
        contents: format!(
            "{}[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n\
             [dependencies]\nari-runtime = {runtime}\nserde = {{ version = \"1\", features = [\"derive\"] }}\n\
             serde_json = {{ version = \"1\", features = [\"raw_value\"] }}\nthiserror = \"2\"\nbytes = \"1\"\n",
            header(api).replace("// ", "# ")
        ),
    });
    let lib = quote! {
        //! ARI bindings generated from Asterisk's api-docs by ari-codegen, over
        //! the runtime crate `ari-runtime` (HTTP, auth, event stream).

        pub mod runtime {
            //! The runtime (`ari-runtime`), with this crate's [`Client`].
            pub use crate::Client;
            pub use ari_runtime::*;
        }

        #[rustfmt::skip]
        mod generated;

        pub use generated::*;
    };
    files.push(render("src/lib.rs", api, lib)?);
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// The same bindings as one file holding `mod generated { … }`, for
/// `include!` from a build script's `OUT_DIR` (where `mod x;` cannot find
/// sibling files).
pub fn emit_single_file(api: &Api) -> Result<String> {
    let models = emit_models(api);
    let decoders = emit_decoders(api);
    let resources = api.resources.values().map(|r| {
        let module = ident(&r.name);
        let body = emit_resource(api, r);
        quote! { pub mod #module { #body } }
    });
    let root = emit_root(
        api,
        Some(quote! { pub mod models { #models } mod decoders { #decoders } #( #resources )* }),
    );
    let file = render("generated.rs", api, quote! { mod generated { #root } })?;
    Ok(file.contents)
}

fn header(api: &Api) -> String {
    format!(
        "// @generated by ari-codegen from the api-docs of Asterisk {} (apiVersion {}).\n\
         // Do not edit: change the generator or the api-docs, then run `cargo xtask regenerate`.\n\n",
        api.meta
            .asterisk_version
            .as_deref()
            .unwrap_or("(unknown version)"),
        api.meta.api_version.as_deref().unwrap_or("unknown"),
    )
}

fn render(path: &str, api: &Api, tokens: TokenStream) -> Result<GeneratedFile> {
    let file: syn::File = syn::parse2(tokens).map_err(|e| Error::Emit {
        file: path.to_owned(),
        message: e.to_string(),
    })?;
    Ok(GeneratedFile {
        path: path.to_owned(),
        contents: format!("{}{}", header(api), prettyplease::unparse(&file)),
    })
}

fn ident(name: &str) -> Ident {
    Ident::new(name, Span::call_site())
}

fn doc(text: &str) -> TokenStream {
    let lines: Vec<String> = text
        .trim()
        .lines()
        .map(|line| {
            let line = line.trim_end();
            if line.is_empty() {
                String::new()
            } else {
                format!(" {}", link_bare_urls(line))
            }
        })
        .collect();
    quote! { #( #[doc = #lines] )* }
}

/// Puts the api-docs' bare URLs in angle brackets, so that rustdoc links
/// them (and does not warn); a URL's trailing punctuation stays outside.
fn link_bare_urls(line: &str) -> String {
    line.split(' ')
        .map(|word| {
            if !(word.starts_with("http://") || word.starts_with("https://")) {
                return word.to_owned();
            }
            let url = word.trim_end_matches(['.', ',', ';', ':', ')', '!', '?']);
            format!("<{url}>{}", &word[url.len()..])
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Joins the non-empty paragraphs.
fn paragraphs<'a>(parts: impl IntoIterator<Item = Option<&'a str>>) -> String {
    parts
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n")
}

fn since_note(since: &[String]) -> Option<String> {
    (!since.is_empty()).then(|| format!("Since Asterisk {}.", since.join(", ")))
}

// ---------------------------------------------------------------- root

/// `inline` replaces the `pub mod x;` declarations with module bodies.
fn emit_root(api: &Api, inline: Option<TokenStream>) -> TokenStream {
    let asterisk_version = api.meta.asterisk_version.as_deref().unwrap_or("");
    let api_version = api.meta.api_version.as_deref().unwrap_or("");
    let digest = &api.meta.digest;
    let modules = inline.unwrap_or_else(|| {
        let names = api.resources.values().map(|r| ident(&r.name));
        quote! { pub mod models; mod decoders; #( pub mod #names; )* }
    });
    let client = emit_client(api);
    let bindings = emit_bindings(api);
    quote! {
        //! Bindings generated from Asterisk's api-docs.
        #![allow(clippy::all, unused_imports, unused_mut)]

        #modules

        /// The Asterisk version whose api-docs these bindings were generated from (empty when unknown).
        pub const ASTERISK_VERSION: &str = #asterisk_version;
        /// The `apiVersion` of those api-docs.
        pub const API_VERSION: &str = #api_version;
        /// SHA-256 of the api-docs files these bindings were generated from.
        pub const API_DOCS_DIGEST: &str = #digest;

        #client
        #bindings
    }
}

/// The client of these bindings: the runtime's client, with a method per
/// resource. A type of the generated crate, so that its methods are these
/// bindings' operations whichever other bindings share the runtime.
fn emit_client(api: &Api) -> TokenStream {
    let accessors = api.resources.values().map(|r| {
        let module = ident(&r.name);
        let ty = ident(&r.type_name);
        let text = format!("Operations on `/{}` ({}).", r.api_name, r.file);
        let docs = doc(&paragraphs([Some(text.as_str()), r.description.as_deref()]));
        quote! {
            #docs
            pub fn #module(&self) -> #module::#ty {
                #module::#ty::new(self.runtime.clone())
            }
        }
    });
    quote! {
        /// An ARI client for these bindings: cheap to clone, usable from many
        /// tasks at once. Dereferences to the runtime's client (`execute`,
        /// `base_url`, `event_options`).
        #[derive(Debug, Clone)]
        pub struct Client {
            runtime: ::ari_runtime::Client,
        }

        impl Client {
            /// A client with basic authentication and default timeouts.
            pub fn new(
                base_url: impl Into<String>,
                user: impl Into<String>,
                password: impl Into<String>,
            ) -> Result<Self, ::ari_runtime::BuildError> {
                ::ari_runtime::Client::new(base_url, user, password).map(Self::from)
            }

            /// Every setting: credentials, timeouts, trusted CAs, event options.
            pub fn builder(base_url: impl Into<String>) -> ::ari_runtime::ClientBuilder<Self> {
                ::ari_runtime::ClientBuilder::new(base_url).building()
            }

            /// The runtime's client, which every operation goes through.
            pub fn runtime(&self) -> &::ari_runtime::Client {
                &self.runtime
            }

            /// Events for the Stasis applications `apps` (registered by
            /// connecting), decoded into these bindings' messages.
            pub fn event_stream<I, S>(&self, apps: I) -> ::ari_runtime::EventStreamBuilder<Api>
            where
                I: IntoIterator<Item = S>,
                S: AsRef<str>,
            {
                ::ari_runtime::EventStreamBuilder::new(self.runtime.clone(), apps)
            }

            /// Compares the server's Asterisk version and `apiVersion` with
            /// the ones these bindings were generated from.
            pub async fn check_version(&self) -> Result<::ari_runtime::VersionCheck, ::ari_runtime::VersionError> {
                self.runtime.check_version::<Api>().await
            }

            #( #accessors )*
        }

        impl From<::ari_runtime::Client> for Client {
            fn from(runtime: ::ari_runtime::Client) -> Self {
                Client { runtime }
            }
        }

        impl ::std::ops::Deref for Client {
            type Target = ::ari_runtime::Client;
            fn deref(&self) -> &::ari_runtime::Client {
                &self.runtime
            }
        }
    }
}

/// `Api`, these bindings as the runtime sees them: versions, message type,
/// and the requests the runtime makes on its own, with method and path from
/// the api-docs (ARI's own where an operation is missing).
fn emit_bindings(api: &Api) -> TokenStream {
    let operation = |resource: &str, nickname: &str| {
        api.resources
            .values()
            .filter(|r| r.api_name == resource)
            .flat_map(|r| r.operations.iter())
            .find(|op| op.api_name == nickname)
    };
    let message = operation("events", "eventWebsocket")
        .and_then(|op| match &op.response {
            TypeRef::Model(id) => Some(ident(&api.models[id].name)),
            _ => None,
        })
        .map(|name| quote! { models::#name })
        .unwrap_or_else(|| quote! { ::serde_json::Value });
    let request = |resource: &str,
                   nickname: &str,
                   method: &str,
                   template: &str,
                   arg: TokenStream| {
        let (method, template) = match operation(resource, nickname) {
            Some(op) => (op.method.as_str().to_owned(), op.path.clone()),
            None => (method.to_owned(), template.to_owned()),
        };
        let method = ident(&method);
        let path = match (template.find('{'), template.find('}')) {
            (Some(start), Some(end)) if start < end => {
                let format = format!("{}{{}}{}", &template[..start], &template[end + 1..]);
                quote! { format!(#format, ::ari_runtime::encode_path(#arg)) }
            }
            _ => quote! { #template.to_owned() },
        };
        quote! {
            let mut request = ::ari_runtime::Request::new(::ari_runtime::Method::#method, #template, #path);
        }
    };
    let events = request("events", "eventWebsocket", "GET", "/events", quote! { "" });
    let application = request(
        "applications",
        "get",
        "GET",
        "/applications/{applicationName}",
        quote! { app },
    );
    let unsubscribe = request(
        "applications",
        "unsubscribe",
        "DELETE",
        "/applications/{applicationName}/subscription",
        quote! { app },
    );
    let info = request(
        "asterisk",
        "getInfo",
        "GET",
        "/asterisk/info",
        quote! { "" },
    );
    quote! {
        /// These bindings as the runtime sees them ([`::ari_runtime::Bindings`]).
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct Api;

        impl ::ari_runtime::Bindings for Api {
            const VERSION: ::ari_runtime::BindingsVersion = ::ari_runtime::BindingsVersion {
                asterisk_version: ASTERISK_VERSION,
                api_version: API_VERSION,
            };
            const API_DOCS_DIGEST: &'static str = API_DOCS_DIGEST;
            type Message = #message;

            fn event_websocket(apps: &[String], subscribe_all: Option<bool>) -> ::ari_runtime::Request {
                #events
                request.query_list("app", apps);
                if let Some(all) = subscribe_all {
                    request.query("subscribeAll", &all);
                }
                request
            }

            fn get_application(app: &str) -> ::ari_runtime::Request {
                #application
                request
            }

            fn unsubscribe(app: &str, event_sources: &[String]) -> ::ari_runtime::Request {
                #unsubscribe
                request.query_list("eventSource", event_sources);
                request
            }

            fn asterisk_info() -> ::ari_runtime::Request {
                #info
                request
            }
        }
    }
}

// ---------------------------------------------------------------- models

fn emit_models(api: &Api) -> TokenStream {
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
    quote! {
        //! Models: the objects ARI sends and receives, their closed value sets,
        //! and the messages and events dispatched on their discriminator.
        use serde::{Deserialize, Serialize};
        #( #structs )*
        #( #enums )*
        #( #messages )*
    }
}

fn model_doc(model: &ir::Model) -> TokenStream {
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

/// The fast-path decoders (see `runtime::decode`), in a file of their own:
/// they are as large as the models, and separate files are formatted in
/// parallel.
fn emit_decoders(api: &Api) -> TokenStream {
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

// ---------------------------------------------------------------- messages

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

fn emit_polymorphic(api: &Api, model: &ir::Model, poly: &ir::Polymorphic) -> TokenStream {
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

// ---------------------------------------------------------------- operations

fn emit_resource(api: &Api, resource: &ir::Resource) -> TokenStream {
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

        #( #builders )*
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
                    self.client.connect_events::<super::Api>(request).await
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
