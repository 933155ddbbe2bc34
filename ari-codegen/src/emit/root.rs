//! The root file of the bindings: versions, the `Client`, and the `Api` the runtime sees.

use super::{doc, ident, paragraphs};
use crate::ir::Api;
use crate::surface;
use proc_macro2::TokenStream;
use quote::quote;

/// `inline` replaces the `pub mod x;` declarations with module bodies.
pub(super) fn emit_root(api: &Api, inline: Option<TokenStream>) -> TokenStream {
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
    // `client.channel(id)`: a handle, named so that it takes no name the
    // client already has.
    let mut taken: Vec<&str> = vec![
        "new",
        "builder",
        "runtime",
        "event_stream",
        "check_version",
        "app",
    ];
    taken.extend(api.resources.values().map(|r| r.name.as_str()));
    let mut names = crate::naming::Scope::with_reserved(&taken);
    let handles: Vec<TokenStream> = api
        .resources
        .values()
        .flat_map(|r| surface::handles(r).into_iter().map(move |h| (r, h)))
        .map(|(r, handle)| {
            let module = ident(&r.name);
            let ty = ident(&handle.type_name);
            let accessor = ident(&names.claim(handle.accessor.clone()));
            let text = format!(
                "`{}` by its `{}`, for every operation on it.",
                handle.prefix, handle.id_param
            );
            let docs = doc(&text);
            quote! {
                #docs
                pub fn #accessor(&self, id: impl Into<String>) -> #module::#ty {
                    #module::#ty::new(self.runtime.clone(), id)
                }
            }
        })
        .collect();
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

            /// The Stasis application `name`, connected by the builder's
            /// `connect`: tracked handles, race-free creators, a task per
            /// call, supervision.
            pub fn app(&self, name: impl Into<String>) -> ::ari_runtime::AppBuilder<Api> {
                ::ari_runtime::AppBuilder::new(self.runtime.clone(), name)
            }

            #( #accessors )*

            #( #handles )*
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
    let message = super::calls::message_model(api)
        .map(|model| ident(&model.name))
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
    let calls = super::calls::emit_bindings_items(api);
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

            #calls
        }

        /// An application of these bindings on its event connection (see [`Client::app`]).
        pub type App = ::ari_runtime::App<Api>;
        /// A handle of these bindings that receives its resource's events.
        pub type Tracked<H> = ::ari_runtime::Tracked<H, #message>;
        /// A channel that entered an [`App`] on its own.
        pub type IncomingCall = ::ari_runtime::IncomingCall<Api>;
    }
}
