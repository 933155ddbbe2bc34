//! Generates Rust bindings for the Asterisk REST Interface from the Swagger
//! 1.1/1.2 api-docs that Asterisk serves.
//!
//! The pipeline is one module per stage: [`load`] (folder or HTTP) →
//! [`spec`] (the dialect as written) → [`normalize`] (validated [`ir`]) →
//! [`naming`] → [`emit`] (quote → syn → prettyplease) → [`write`](mod@write) (atomic).
//! [`generate`] is pure; writing is left to the caller.

pub mod diff;
pub mod emit;
pub mod error;
pub mod ir;
pub mod load;
pub mod naming;
pub mod normalize;
pub mod spec;
pub mod surface;
pub mod write;

pub use emit::GeneratedFile;
pub use error::{Error, Result};
pub use load::{ApiDocs, Credentials, Remote};

/// api-docs in, generated files out (paths relative to the `generated/` module).
pub fn generate(docs: &ApiDocs) -> Result<Vec<GeneratedFile>> {
    let api = normalize::normalize(docs)?;
    emit::emit(&api)
}

/// api-docs in, the bindings as one file defining `mod generated`, for
/// build scripts that `include!` it from `OUT_DIR`.
pub fn generate_single_file(docs: &ApiDocs) -> Result<String> {
    let api = normalize::normalize(docs)?;
    emit::emit_single_file(&api)
}

/// Counts for the one-line summary the CLI and xtask print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary<'a> {
    pub asterisk_version: Option<&'a str>,
    pub api_version: Option<&'a str>,
    pub resources: usize,
    pub operations: usize,
    pub models: usize,
    /// Concrete message types: events plus the other `Message` subtypes.
    pub messages: usize,
}

impl<'a> Summary<'a> {
    pub fn of(api: &'a ir::Api) -> Self {
        let messages = api
            .models
            .values()
            .filter_map(|m| match &m.kind {
                ir::ModelKind::Polymorphic(p) => Some(p.leaves.len()),
                ir::ModelKind::Struct => None,
            })
            .max()
            .unwrap_or(0);
        Summary {
            asterisk_version: api.meta.asterisk_version.as_deref(),
            api_version: api.meta.api_version.as_deref(),
            resources: api.resources.len(),
            operations: api.resources.values().map(|r| r.operations.len()).sum(),
            models: api.models.len(),
            messages,
        }
    }
}

/// `Asterisk 22.10.1 (apiVersion 10.0.0): 11 resources, 109 operations, …`
impl std::fmt::Display for Summary<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Asterisk {} (apiVersion {}): {} resources, {} operations, {} models, {} message types",
            self.asterisk_version.unwrap_or("?"),
            self.api_version.unwrap_or("?"),
            self.resources,
            self.operations,
            self.models,
            self.messages
        )
    }
}

/// Writes generated files into `dir`, replacing what was there, atomically.
pub fn write_files(dir: &std::path::Path, files: &[GeneratedFile]) -> Result<()> {
    let files: Vec<(std::path::PathBuf, String)> = files
        .iter()
        .map(|f| (std::path::PathBuf::from(&f.path), f.contents.clone()))
        .collect();
    write::replace_dir(dir, &files)
}
