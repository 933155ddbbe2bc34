//! Build-time bindings: with `ARI_API_DOCS` set (and the `codegen` feature
//! on), the bindings are generated from the user's api-docs into `OUT_DIR`
//! and compiled instead of the committed ones.

use std::process::ExitCode;

const SOURCE: &str = "ARI_API_DOCS";
const USER: &str = "ARI_API_DOCS_USER";
const PASSWORD: &str = "ARI_API_DOCS_PASSWORD";
/// A PEM file of the CAs to trust for an `https://` source (feature `codegen-https`).
const CA_CERT: &str = "ARI_API_DOCS_CA_CERT";

fn main() -> ExitCode {
    println!("cargo::rustc-check-cfg=cfg(ari_api_docs)");
    for variable in [SOURCE, USER, PASSWORD, CA_CERT] {
        println!("cargo::rerun-if-env-changed={variable}");
    }
    println!("cargo::rerun-if-changed=build.rs");
    let Some(source) = std::env::var_os(SOURCE).filter(|s| !s.is_empty()) else {
        return ExitCode::SUCCESS;
    };
    match generate(&source.to_string_lossy()) {
        Ok(()) => {
            println!("cargo::rustc-cfg=ari_api_docs");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("error: {message}");
            println!("cargo::error={}", message.replace('\n', " "));
            ExitCode::FAILURE
        }
    }
}

#[cfg(not(feature = "codegen"))]
fn generate(_source: &str) -> Result<(), String> {
    Err(format!(
        "{SOURCE} is set, but generating bindings at build time needs the `codegen` feature: \
         depend on ari-generated with `features = [\"codegen\"]`, or unset {SOURCE} to use the committed bindings"
    ))
}

#[cfg(feature = "codegen")]
fn generate(source: &str) -> Result<(), String> {
    use std::path::{Path, PathBuf};
    let is_url = source.starts_with("http://") || source.starts_with("https://");
    if !is_url {
        let dir = Path::new(source);
        if !dir.is_absolute() {
            return Err(format!(
                "{SOURCE}=`{source}` must be an absolute folder path or an http:// URL"
            ));
        }
        // Rebuild exactly when the input changes: the folder (files added or
        // removed) and every file in it.
        println!("cargo::rerun-if-changed={}", dir.display());
        if let Ok(entries) = std::fs::read_dir(dir) {
            for entry in entries.flatten() {
                println!("cargo::rerun-if-changed={}", entry.path().display());
            }
        }
    }
    let remote = ari_codegen::Remote {
        credentials: match (std::env::var(USER), std::env::var(PASSWORD)) {
            (Ok(user), Ok(password)) => Some(ari_codegen::Credentials { user, password }),
            _ => None,
        },
        ca_cert: std::env::var_os(CA_CERT)
            .filter(|path| !path.is_empty())
            .map(PathBuf::from),
    };
    let docs = ari_codegen::ApiDocs::load(source, &remote)
        .map_err(|e| format!("cannot load the api-docs in {SOURCE}: {e}"))?;
    let code = ari_codegen::generate_single_file(&docs)
        .map_err(|e| format!("cannot generate bindings from {SOURCE}: {e}"))?;
    let out_dir = std::env::var_os("OUT_DIR")
        .map(PathBuf::from)
        .ok_or("OUT_DIR is not set")?;
    let target = out_dir.join("ari_generated.rs");
    std::fs::write(&target, code).map_err(|e| format!("{}: {e}", target.display()))
}
