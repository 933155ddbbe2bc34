//! Call control's generated parts: the route table and the resource
//! requests of `Api`, each followed handle's `Handle` impl, and the
//! `tracked` method of each creating request.

use super::ident;
use crate::ir::{self, Api, TypeRef};
use crate::surface::{self, Followed};
use proc_macro2::TokenStream;
use quote::quote;

/// The model every event frame decodes into: the event WebSocket's answer.
pub(super) fn message_model(api: &Api) -> Option<&ir::Model> {
    let op = api
        .resources
        .values()
        .filter(|r| r.api_name == "events")
        .flat_map(|r| r.operations.iter())
        .find(|op| op.api_name == "eventWebsocket")?;
    match &op.response {
        TypeRef::Model(id) => api.models.get(id),
        _ => None,
    }
}

fn kind(followed: &Followed<'_>) -> TokenStream {
    let name = &followed.kind;
    quote! { ::ari_runtime::ResourceKind(#name) }
}

/// The items of `impl Bindings for Api` that call control uses.
pub(super) fn emit_bindings_items(api: &Api) -> TokenStream {
    let followed = surface::followed(api);
    let message = message_model(api);
    let leaves: Vec<&ir::Model> = match message.map(|m| &m.kind) {
        Some(ir::ModelKind::Polymorphic(poly)) => poly
            .leaves
            .iter()
            .filter_map(|id| api.models.get(id))
            .collect(),
        _ => Vec::new(),
    };
    let discriminator = match message.map(|m| &m.kind) {
        Some(ir::ModelKind::Polymorphic(poly)) => poly.discriminator.clone(),
        _ => "type".to_owned(),
    };
    let routes: Vec<TokenStream> = surface::routes(api, &followed, &leaves)
        .iter()
        .filter(|route| !route.steps.is_empty() || route.displaces || route.offers)
        .map(|route| {
            let wire = &route.event.api_name;
            let fields = route.steps.iter().map(|step| emit_field(&followed, step));
            let (displaces, offers) = (route.displaces, route.offers);
            quote! {
                #wire => Some(&::ari_runtime::EventRoute {
                    fields: &[ #( #fields ),* ],
                    displaces: #displaces,
                    offers: #offers,
                }),
            }
        })
        .collect();
    let entering = match surface::entering(api, &followed) {
        Some(index) => {
            let f = &followed[index];
            let module = ident(&f.resource.name);
            let handle = ident(&f.handle.type_name);
            quote! { #module::#handle }
        }
        None => quote! { ::ari_runtime::UntypedHandle },
    };
    let lists = followed.iter().filter_map(|f| {
        let op = f.list?;
        let name = &f.kind;
        let request = request(op, None);
        let key = &f.key.api_name;
        Some(quote! { #name => Some((#request, #key)), })
    });
    let gets = followed.iter().map(|f| {
        let name = &f.kind;
        let request = request(f.get, Some(quote! { id }));
        quote! { #name => Some(#request), }
    });
    let deletes = followed.iter().filter_map(|f| {
        let name = &f.kind;
        let request = request(f.delete?, Some(quote! { id }));
        Some(quote! { #name => Some(#request), })
    });
    let sources = surface::event_sources(api, &followed)
        .into_iter()
        .map(|(index, scheme)| {
            let name = &followed[index].kind;
            let format = format!("{scheme}:{{}}");
            quote! { #name => Some(format!(#format, id)), }
        });
    let subscribe = match surface::subscribe_operation(api) {
        Some(op) => {
            let request = request(op, Some(quote! { app }));
            quote! {
                let mut request = #request;
                request.query_list("eventSource", event_sources);
                Some(request)
            }
        }
        None => quote! { None },
    };
    let claim = match surface::claim_operation(api) {
        Some((op, channel, application)) => {
            let method = ident(op.method.as_str());
            let template = &op.path;
            let (channel, application) = (&channel.api_name, &application.api_name);
            quote! {
                let mut request = ::ari_runtime::Request::new(::ari_runtime::Method::#method, #template, #template.to_owned());
                request.query(#channel, channel);
                request.query(#application, app);
                Some(request)
            }
        }
        None => quote! { None },
    };
    let websocket_media = match surface::websocket_media_operation(api) {
        Some(op) => {
            let method = ident(op.method.as_str());
            let template = &op.path;
            quote! {
                let mut request = ::ari_runtime::Request::new(::ari_runtime::Method::#method, #template, #template.to_owned());
                request.query("app", app);
                request.query("format", format);
                request.query("channelId", id);
                request.query("transport", "websocket");
                request.query("encapsulation", "none");
                for (name, value) in options {
                    request.query(name, value.as_str());
                }
                Some(request)
            }
        }
        None => quote! { None },
    };
    quote! {
        type Entering = #entering;

        // Bindings without the operation leave arguments unused.
        #[allow(unused_variables)]
        fn websocket_media(app: &str, format: &str, id: &str, options: &[(&'static str, String)]) -> Option<::ari_runtime::Request> {
            #websocket_media
        }

        // Bindings without the operation leave arguments unused.
        #[allow(unused_variables)]
        fn claim(channel: &str, app: &str) -> Option<::ari_runtime::Request> {
            #claim
        }

        // Bindings without the resource leave arguments unused.
        #[allow(unused_variables)]
        fn event_source(kind: ::ari_runtime::ResourceKind, id: &str) -> Option<String> {
            match kind.0 {
                #( #sources )*
                _ => None,
            }
        }

        // Bindings without the resource leave arguments unused.
        #[allow(unused_variables)]
        fn subscribe(app: &str, event_sources: &[String]) -> Option<::ari_runtime::Request> {
            #subscribe
        }

        const DISCRIMINATOR: &'static str = #discriminator;

        // Bindings without the resource leave arguments unused.
        #[allow(unused_variables)]
        fn event_route(kind: &str) -> Option<&'static ::ari_runtime::EventRoute> {
            match kind {
                #( #routes )*
                _ => None,
            }
        }

        // Bindings without the resource leave arguments unused.
        #[allow(unused_variables)]
        fn list(kind: ::ari_runtime::ResourceKind) -> Option<(::ari_runtime::Request, &'static str)> {
            match kind.0 {
                #( #lists )*
                _ => None,
            }
        }

        // Bindings without the resource leave arguments unused.
        #[allow(unused_variables)]
        fn get(kind: ::ari_runtime::ResourceKind, id: &str) -> Option<::ari_runtime::Request> {
            match kind.0 {
                #( #gets )*
                _ => None,
            }
        }

        // Bindings without the resource leave arguments unused.
        #[allow(unused_variables)]
        fn delete(kind: ::ari_runtime::ResourceKind, id: &str) -> Option<::ari_runtime::Request> {
            match kind.0 {
                #( #deletes )*
                _ => None,
            }
        }
    }
}

/// The request of `op` with its one path parameter (if any) set to `id`.
fn request(op: &ir::Operation, id: Option<TokenStream>) -> TokenStream {
    let method = ident(op.method.as_str());
    let template = &op.path;
    let path = match (id, template.find('{'), template.find('}')) {
        (Some(id), Some(start), Some(end)) if start < end => {
            let format = format!("{}{{}}{}", &template[..start], &template[end + 1..]);
            quote! { format!(#format, ::ari_runtime::encode_path(#id)) }
        }
        _ => quote! { #template.to_owned() },
    };
    quote! { ::ari_runtime::Request::new(::ari_runtime::Method::#method, #template, #path) }
}

/// One line of an event's route table.
fn emit_field(followed: &[Followed<'_>], step: &surface::RouteStep<'_>) -> TokenStream {
    let f = &followed[step.followed];
    let property = &step.property.api_name;
    let kind = kind(f);
    let key = &f.key.api_name;
    let target = match step.target {
        Some(target) => {
            let name = &target.api_name;
            quote! { Some(#name) }
        }
        None => quote! { None },
    };
    let (ends, enters) = (step.ends, step.enters);
    quote! {
        ::ari_runtime::RouteField {
            property: #property,
            kind: #kind,
            key: #key,
            target: #target,
            ends: #ends,
            enters: #enters,
        }
    }
}

/// `impl Handle` for a followed handle.
pub(super) fn emit_handle_impl(followed: &Followed<'_>) -> TokenStream {
    let ty = ident(&followed.handle.type_name);
    let kind = kind(followed);
    quote! {
        impl ::ari_runtime::Handle for #ty {
            const KIND: ::ari_runtime::ResourceKind = #kind;
            fn from_parts(client: ::ari_runtime::Client, id: String) -> Self {
                Self { client, id }
            }
            fn resource_id(&self) -> &str {
                &self.id
            }
        }
    }
}

/// `tracked(&app)` on a creating request: the route first, then the request.
pub(super) fn emit_tracked(
    api: &Api,
    op: &ir::Operation,
    error: &proc_macro2::Ident,
) -> Option<TokenStream> {
    let followed = surface::followed(api);
    let creator = surface::creator(api, &followed, op)?;
    let message = ident(&message_model(api)?.name);
    let f = &followed[creator.followed];
    let module = ident(&f.resource.name);
    let handle = ident(&f.handle.type_name);
    let id_field = ident(&creator.id.name);
    let (take_id, put_id) = if creator.id.required {
        (
            quote! { self.#id_field.clone() },
            quote! { self.#id_field = id; },
        )
    } else {
        (
            quote! { self.#id_field.take().unwrap_or_else(|| app.new_id()) },
            quote! { self.#id_field = Some(id); },
        )
    };
    let (set_app, enters) = match creator.app {
        Some(param) => {
            let app_field = ident(&param.name);
            let enters = creator.enters;
            if param.required {
                (
                    quote! {},
                    quote! { #enters && self.#app_field == app.name() },
                )
            } else {
                (
                    quote! {
                        if self.#app_field.is_none() {
                            self.#app_field = Some(app.name().to_owned());
                        }
                    },
                    quote! { #enters && self.#app_field.as_deref() == Some(app.name()) },
                )
            }
        }
        None => (quote! {}, quote! { false }),
    };
    let doc = format!(
        " Sends it for `app`, which follows the new {kind} from before the request on: \
         no event about it is missed, whichever arrives first. The id is the one set, \
         else a fresh one of `app` ([`::ari_runtime::App::new_id`]).",
        kind = f.kind
    );
    let enters_doc = creator.enters.then(|| {
        let text = format!(
            " A {} created into `app` (its `{}` unset means `app`) is returned once it has \
             entered the application (its `StasisStart` arrived), ready for `addChannel`; \
             if it ends first, or not within [`::ari_runtime::App::enter_timeout`], that is the error.",
            f.kind,
            creator.app.map_or("app", |p| p.name.as_str()),
        );
        quote! { #[doc = ""] #[doc = #text] }
    });
    Some(quote! {
        #[doc = #doc]
        #enters_doc
        pub async fn tracked(
            mut self,
            app: &::ari_runtime::App<super::Api>,
        ) -> Result<
            ::ari_runtime::Tracked<super::#module::#handle, super::models::#message>,
            ::ari_runtime::CreateError<#error, super::models::#message>,
        > {
            let id = #take_id;
            #set_app
            let enters = #enters;
            app.create(
                id,
                enters,
                app.enter_timeout(),
                |error: &#error| error.status() == Some(409),
                move |id| {
                    #put_id
                    self.send()
                },
            )
            .await
        }
    })
}

/// The ready-made waits of a followed handle, as a trait of its `Tracked`
/// (`ChannelWaits::wait_state`, `BridgeWaits::wait_channel`).
pub(super) fn emit_waits(
    api: &Api,
    followed: &[Followed<'_>],
    index: usize,
) -> Option<TokenStream> {
    let message = message_model(api)?;
    let ir::ModelKind::Polymorphic(poly) = &message.kind else {
        return None;
    };
    let leaves: Vec<&ir::Model> = poly
        .leaves
        .iter()
        .filter_map(|id| api.models.get(id))
        .collect();
    let waits = surface::waits(api, followed, index, &leaves, &poly.shared);
    if waits.is_empty() {
        return None;
    }
    let f = &followed[index];
    let handle = ident(&f.handle.type_name);
    let stem = f.handle.type_name.trim_end_matches("Handle");
    let trait_name = ident(&format!("{stem}Waits"));
    let message_ty = ident(&message.name);
    let output = quote! {
        impl ::std::future::Future<
            Output = Result<super::models::#message_ty, ::ari_runtime::HandleError<super::models::#message_ty>>,
        > + Send
    };
    let key = |resource: TokenStream, key: &ir::Property| {
        let field = ident(&key.name);
        if key.required {
            quote! { #resource.#field.as_str() }
        } else {
            quote! { #resource.#field.as_deref().unwrap_or_default() }
        }
    };
    let mut declarations = Vec::new();
    let mut bodies = Vec::new();
    for wait in &waits {
        match wait {
            surface::Wait::State { accessor, state } => {
                let accessor = ident(&accessor.name);
                let state_field = ident(&state.name);
                let own = key(quote! { resource }, f.key);
                let (arg, compare) = match &state.ty {
                    TypeRef::String => (
                        quote! { state: &str },
                        quote! { resource.#state_field.as_str() == state },
                    ),
                    _ => {
                        let ty = surface::property(api, state).tokens();
                        (
                            quote! { state: #ty },
                            quote! { resource.#state_field == state },
                        )
                    }
                };
                let owned = match &state.ty {
                    TypeRef::String => quote! { let state = state.to_owned(); },
                    _ => quote! {},
                };
                let text = format!(
                    " Skips events until one shows the {} in `state`, and returns it.",
                    f.kind.replace('_', " ")
                );
                declarations.push(quote! {
                    #[doc = #text]
                    fn wait_state(&mut self, #arg) -> #output;
                });
                bodies.push(quote! {
                    fn wait_state(&mut self, #arg) -> #output {
                        let id = self.id().to_owned();
                        #owned
                        self.wait_for(move |event| {
                            event.#accessor().is_some_and(|resource| #own == id && #compare)
                        })
                    }
                });
            }
            surface::Wait::Entered {
                event,
                own,
                member,
                member_key,
            } => {
                let method = ident(&format!("wait_{}", crate::naming::snake(&member.api_name)));
                let variant = ident(&event.name);
                let own_field = ident(&own.name);
                let member_field = ident(&member.name);
                let own_key = key(quote! { e.#own_field }, f.key);
                let member_matches = if member.required {
                    let member_key = key(quote! { e.#member_field }, member_key);
                    quote! { #member_key == member }
                } else {
                    let member_key = key(quote! { m }, member_key);
                    quote! { e.#member_field.as_ref().is_some_and(|m| #member_key == member) }
                };
                let text = format!(
                    " Skips events until `{}` shows the {} `{}` entering this one, and returns it.",
                    event.api_name,
                    member.api_name,
                    crate::naming::snake(&member.api_name),
                );
                let arg = ident(&crate::naming::snake(&member.api_name));
                declarations.push(quote! {
                    #[doc = #text]
                    fn #method(&mut self, #arg: &str) -> #output;
                });
                bodies.push(quote! {
                    fn #method(&mut self, #arg: &str) -> #output {
                        let (own, member) = (self.id().to_owned(), #arg.to_owned());
                        self.wait_for(move |event| {
                            matches!(event, super::models::#message_ty::#variant(e) if #own_key == own && #member_matches)
                        })
                    }
                });
            }
        }
    }
    let doc = format!(
        " Ready-made waits of a tracked [`{}`] (bring the trait into scope to call them).",
        f.handle.type_name
    );
    Some(quote! {
        #[doc = #doc]
        pub trait #trait_name {
            #( #declarations )*
        }

        impl #trait_name for ::ari_runtime::Tracked<#handle, super::models::#message_ty> {
            #( #bodies )*
        }
    })
}
