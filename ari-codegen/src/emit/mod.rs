//! IR → Rust source. Pure: no I/O, same IR in, same bytes out.
//!
//! Generated files are siblings in one module and refer to each other as
//! `super::models::X`; the hand-written runtime is always `crate::runtime`.

mod calls;
mod decoders;
mod messages;
mod models;
mod operations;
mod root;

use crate::error::{Error, Result};
use crate::ir::{self, Api};
use decoders::emit_decoders;
use models::emit_models;
use operations::emit_resource;
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;
use root::emit_root;

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
