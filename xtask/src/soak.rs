//! `cargo xtask soak --minutes M`: continuous calls against the test
//! Asterisk, restarted every few minutes, with the client's RSS and open
//! file descriptors sampled (`tests/soak.rs`, the `ari-soak` binary, in
//! release mode). Starts Asterisk if it is not running; leaves it running.

use anyhow::{Context as _, bail};
use std::process::Command;

#[derive(clap::Args)]
pub struct SoakArgs {
    /// How long to run.
    #[arg(long, default_value_t = 30.0)]
    minutes: f64,
    /// Restart Asterisk this often, in seconds (0: never).
    #[arg(long, default_value_t = 300)]
    restart_every: u64,
    /// Calls in flight at once.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// ARI port of the test Asterisk.
    #[arg(long, default_value_t = 8088)]
    port: u16,
}

pub fn run(args: SoakArgs) -> anyhow::Result<()> {
    let root = crate::workspace_root();
    let xtask = std::env::current_exe().context("locating the xtask binary")?;
    let port = args.port.to_string();
    let up = Command::new(&xtask)
        .args(["asterisk", "up", "--port", &port])
        .status()
        .context("cannot start Asterisk")?;
    if !up.success() {
        bail!("`cargo xtask asterisk up` failed");
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .current_dir(&root)
        .args([
            "run",
            "--release",
            "-q",
            "-p",
            "ari-tests",
            "--bin",
            "ari-soak",
            "--",
        ])
        .args(["--minutes", &args.minutes.to_string()])
        .args(["--restart-every", &args.restart_every.to_string()])
        .args(["--concurrency", &args.concurrency.to_string()])
        .env("ARI_XTASK", &xtask)
        .env("ARI_URL", format!("http://127.0.0.1:{port}"))
        .status()
        .context("cannot run the soak client")?;
    if !status.success() {
        bail!("the soak run failed ({status})");
    }
    Ok(())
}
