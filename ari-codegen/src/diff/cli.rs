//! The `diff` and `matrix` commands, shared by `ari-codegen` and `cargo xtask`
//! so that both take the same arguments and print the same output.

use super::render::{self, Format, View};
use super::{ApiDiff, Input};
use crate::error::Result;
use crate::load::{Credentials, Remote};
use std::io::IsTerminal as _;
use std::path::PathBuf;

#[derive(Debug, Clone, clap::Args)]
pub struct DiffArgs {
    /// The api-docs before: a folder holding resources.json, or a live
    /// `http://HOST:PORT/ari/api-docs/resources.json`.
    pub old: String,
    /// The api-docs after, likewise.
    pub new: String,
    /// `text` (grouped, coloured on a terminal), `markdown` or `json`.
    #[arg(long, default_value = "text")]
    pub format: Format,
    /// Tell the changes as the generated Rust API sees them: methods,
    /// arguments, builder methods, fields and variants.
    #[arg(long)]
    pub bindings: bool,
    /// Exit with failure when any change breaks users of the generated crate.
    #[arg(long)]
    pub fail_on_breaking: bool,
    #[command(flatten)]
    pub remote: RemoteArgs,
}

#[derive(Debug, Clone, clap::Args)]
pub struct MatrixArgs {
    /// api-docs folders or live URLs; one column each, in this order.
    #[arg(required = true, num_args = 1..)]
    pub inputs: Vec<String>,
    /// Leave out what every input has.
    #[arg(long)]
    pub only_differences: bool,
    #[command(flatten)]
    pub remote: RemoteArgs,
}

/// How to reach a live Asterisk, for every command that takes a URL.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct RemoteArgs {
    /// ARI user, for live URLs.
    #[arg(long, requires = "password")]
    pub user: Option<String>,
    #[arg(long, requires = "user")]
    pub password: Option<String>,
    /// For `https://` URLs: a PEM file of the certificate authorities to
    /// trust instead of the platform's.
    #[arg(long)]
    pub ca_cert: Option<PathBuf>,
}

impl RemoteArgs {
    pub fn remote(&self) -> Remote {
        Remote {
            credentials: self
                .user
                .clone()
                .zip(self.password.clone())
                .map(|(user, password)| Credentials { user, password }),
            ca_cert: self.ca_cert.clone(),
        }
    }
}

/// Colour when stdout is a terminal and `NO_COLOR` is not set.
pub fn stdout_wants_colour() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Loads both sides, compares them and renders the result.
pub fn run_diff(args: &DiffArgs, colour: bool) -> Result<(ApiDiff, String)> {
    let remote = args.remote.remote();
    let old = Input::load(&args.old, &remote)?;
    let new = Input::load(&args.new, &remote)?;
    let diff = super::diff(&old, &new);
    let view = if args.bindings {
        View::Bindings
    } else {
        View::Wire
    };
    let output = render::render(
        &diff,
        render::Options {
            format: args.format,
            view,
            colour: colour && args.format == Format::Text,
        },
    );
    Ok((diff, output))
}

/// The message for `--fail-on-breaking`, when something breaks.
pub fn breaking_failure(args: &DiffArgs, diff: &ApiDiff) -> Option<String> {
    (args.fail_on_breaking && diff.summary.breaking > 0).then(|| {
        format!(
            "{} breaking change(s) between {} and {}",
            diff.summary.breaking, diff.old.label, diff.new.label
        )
    })
}

pub fn run_matrix(args: &MatrixArgs) -> Result<String> {
    let remote = args.remote.remote();
    let inputs = args
        .inputs
        .iter()
        .map(|source| Input::load(source, &remote))
        .collect::<Result<Vec<_>>>()?;
    Ok(super::matrix::matrix(&inputs).to_markdown(args.only_differences))
}
