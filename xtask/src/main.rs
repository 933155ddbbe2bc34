//! Project automation: `cargo xtask <command>`.

mod answers;
mod asterisk;
mod bench;
mod ci;
mod diff;
mod fuzz;
mod regenerate;
mod soak;
#[cfg(test)]
mod tidy;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "xtask", about = "Project automation for the ARI toolkit")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Manage the real Asterisk used by tests and `regenerate --url`.
    Asterisk(asterisk::AsteriskArgs),
    /// Measure performance: decode, codegen, REST overhead, event throughput (docs/performance.md).
    Bench(bench::BenchArgs),
    /// What changed in ARI between two api-docs sets (folders or live URLs), and what breaks.
    Diff(diff::DiffArgs),
    /// Hold the event decoder's fast path against serde on mutated real messages.
    Fuzz(fuzz::FuzzArgs),
    /// Which operations, models and events exist in which of several api-docs sets.
    Matrix(diff::MatrixArgs),
    /// Record Asterisk's success answers from the end-to-end suite into ari-generated/tests/answers.
    RecordAnswers,
    /// Regenerate the committed bindings in `ari-generated` from api-docs.
    Regenerate(regenerate::RegenerateArgs),
    /// Continuous calls against the test Asterisk with restarts; RSS and fds sampled.
    Soak(soak::SoakArgs),
    /// Run every check CI runs: fmt, clippy, freshness, and all tests against a real Asterisk.
    Test(ci::TestArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Asterisk(args) => asterisk::run(args),
        Command::Bench(args) => bench::run_bench(args),
        Command::Diff(args) => diff::run_diff(args),
        Command::Fuzz(args) => fuzz::run(args),
        Command::Matrix(args) => diff::run_matrix(args),
        Command::RecordAnswers => answers::run(),
        Command::Regenerate(args) => regenerate::run(args),
        Command::Soak(args) => soak::run(args),
        Command::Test(args) => ci::run(args),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// The workspace root, whatever directory cargo was started from.
pub fn workspace_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(std::path::Path::to_path_buf)
        .unwrap_or_else(|| std::path::PathBuf::from("."))
}
