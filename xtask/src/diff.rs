//! `cargo xtask diff OLD NEW` and `cargo xtask matrix DIR...`: the same
//! commands as `ari-codegen diff|matrix`, reachable without naming the package.

pub use ari_codegen::diff::cli::{DiffArgs, MatrixArgs};

pub fn run_diff(args: DiffArgs) -> anyhow::Result<()> {
    let colour = ari_codegen::diff::cli::stdout_wants_colour();
    let (diff, output) = ari_codegen::diff::cli::run_diff(&args, colour)?;
    print!("{output}");
    match ari_codegen::diff::cli::breaking_failure(&args, &diff) {
        Some(message) => anyhow::bail!(message),
        None => Ok(()),
    }
}

pub fn run_matrix(args: MatrixArgs) -> anyhow::Result<()> {
    print!("{}", ari_codegen::diff::cli::run_matrix(&args)?);
    Ok(())
}
