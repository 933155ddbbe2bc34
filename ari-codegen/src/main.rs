use ari_codegen::{ApiDocs, Summary, diff};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "ari-codegen",
    version,
    about = "Rust bindings from Asterisk ARI api-docs"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate the bindings module from api-docs.
    Generate {
        /// A folder holding resources.json and the files it lists, or a live
        /// `http://HOST:PORT/ari/api-docs/resources.json`.
        #[arg(long)]
        api_docs: String,
        /// Folder to write the generated module into (replaced atomically).
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        remote: diff::cli::RemoteArgs,
        /// The Asterisk version to record when the api-docs do not say.
        #[arg(long)]
        asterisk_version: Option<String>,
        /// Write a whole standalone crate of this name into `--out` (Cargo.toml,
        /// src/lib.rs, src/generated/) instead of just the module.
        #[arg(long)]
        crate_name: Option<String>,
        /// With `--crate-name`: the `ari-generated` dependency providing the
        /// runtime, as a version (`0.1`) or an inline table (`{ path = "…" }`).
        #[arg(long, default_value = "0.1", requires = "crate_name")]
        runtime: String,
    },
    /// What changed in ARI between two api-docs sets, and what breaks.
    Diff(diff::cli::DiffArgs),
    /// Which operations, models and events exist in which of several api-docs sets.
    Matrix(diff::cli::MatrixArgs),
}

fn main() -> ExitCode {
    let command = Cli::parse().command;
    let Command::Generate {
        api_docs,
        out,
        remote,
        asterisk_version,
        crate_name,
        runtime,
    } = command
    else {
        return run_analysis(command);
    };
    let started = std::time::Instant::now();
    let result = ApiDocs::load(&api_docs, &remote.remote()).and_then(|mut docs| {
        if docs.asterisk_version.is_none() {
            docs.asterisk_version = asterisk_version;
        }
        let api = ari_codegen::normalize::normalize(&docs)?;
        let files = match &crate_name {
            Some(name) => ari_codegen::emit::emit_crate(&api, name, &runtime)?,
            None => ari_codegen::emit::emit(&api)?,
        };
        ari_codegen::write_files(&out, &files)?;
        Ok((api, files.len()))
    });
    match result {
        Ok((api, written)) => {
            println!(
                "{}; {written} files written to {} in {:.0?}",
                Summary::of(&api),
                out.display(),
                started.elapsed()
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// `diff` and `matrix`: they read api-docs and write nothing.
fn run_analysis(command: Command) -> ExitCode {
    let result = match &command {
        Command::Diff(args) => diff::cli::run_diff(args, diff::cli::stdout_wants_colour())
            .map(|(diff, output)| (output, diff::cli::breaking_failure(args, &diff))),
        Command::Matrix(args) => diff::cli::run_matrix(args).map(|table| (table, None)),
        // `main` runs it before getting here.
        Command::Generate { .. } => return ExitCode::FAILURE,
    };
    match result {
        Ok((output, failure)) => {
            print!("{output}");
            match failure {
                Some(message) => {
                    eprintln!("error: {message}");
                    ExitCode::FAILURE
                }
                None => ExitCode::SUCCESS,
            }
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
