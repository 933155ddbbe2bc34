//! `cargo xtask fuzz`: the differential check of the event decoder
//! (`ari-generated/tests/decoder_fuzz.rs`) on any number of mutated
//! messages, in release mode.

use anyhow::{Context as _, bail};

#[derive(clap::Args)]
pub struct FuzzArgs {
    /// How many mutated messages to check.
    #[arg(long, default_value_t = 1_000_000)]
    inputs: u64,
    /// The generator's seed: the same seed makes the same inputs.
    #[arg(long, default_value_t = 0x00A1_2026)]
    seed: u64,
}

pub fn run(args: FuzzArgs) -> anyhow::Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = std::process::Command::new(cargo)
        .current_dir(crate::workspace_root())
        .args([
            "test",
            "--release",
            "-p",
            "ari-generated",
            "--test",
            "decoder_fuzz",
            "--",
            "--exact",
            "fuzz_decoder_matches_serde_on_mutated_messages",
            "--nocapture",
        ])
        .env("ARI_FUZZ_INPUTS", args.inputs.to_string())
        .env("ARI_FUZZ_SEED", args.seed.to_string())
        .status()
        .context("cannot run cargo test")?;
    if !status.success() {
        bail!(
            "the decoder diverged from serde or panicked (seed {})",
            args.seed
        );
    }
    Ok(())
}
