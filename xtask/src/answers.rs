//! `cargo xtask record-answers`: runs the end-to-end suite against the test
//! Asterisk with every client recording the first success body of each
//! route into `ari-generated/tests/answers/` (replaced whole), for the
//! plain unit test that decodes them.

use anyhow::{Context as _, bail};
use std::process::Command;

pub fn run() -> anyhow::Result<()> {
    let root = crate::workspace_root();
    let xtask = std::env::current_exe().context("locating the xtask binary")?;
    if !Command::new(&xtask)
        .args(["asterisk", "up"])
        .status()?
        .success()
    {
        bail!("`cargo xtask asterisk up` failed");
    }
    let staging = root.join("target/answers-staging");
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging)?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .current_dir(&root)
        .args(["test", "-p", "ari-tests", "--no-fail-fast"])
        .env("ARI_RECORD_ANSWERS", &staging)
        .env("ARI_XTASK", &xtask)
        .env("CI", "true")
        .status()
        .context("cannot run the end-to-end tests")?;
    if !status.success() {
        bail!("the end-to-end tests failed; the recorded answers are left as they were");
    }
    let count = std::fs::read_dir(&staging)?.count();
    let target = root.join("ari-generated/tests/answers");
    let _ = std::fs::remove_dir_all(&target);
    std::fs::rename(&staging, &target)
        .with_context(|| format!("moving the answers to {}", target.display()))?;
    println!("{count} answers recorded in {}", target.display());
    Ok(())
}
